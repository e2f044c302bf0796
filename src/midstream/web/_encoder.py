"""Events to ``midstream-events/1`` messages: sans-I/O, one message per event at most.

The encoder never resends what the client has: a string travels as its
``append`` pieces and ends with a bare ``done``; a container's ``done`` carries
no value (the client built it from the messages before); a validated value is
sent only where it differs from the JSON the client already holds (a coerced
scalar), never for a container. So the bytes sent grow linearly with the
document.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from .._events import (
    BadRecord,
    CodeBlockDone,
    CodeBlockStart,
    CodeDelta,
    ContentDelta,
    Event,
    FieldInvalid,
    FieldValidated,
    Finish,
    ItemInvalid,
    ObjectAbandoned,
    ObjectDone,
    ProviderError,
    ReasoningDelta,
    RefusalDelta,
    StringDelta,
    TextDelta,
    ToolArgumentsDelta,
    ToolCallDone,
    ToolCallError,
    ToolCallStart,
    Truncated,
    Usage,
    ValueDone,
    ValueStart,
)
from .._types import Path
from ._protocol import Message, clean_errors, to_jsonable

__all__ = ["Encoder", "TextUnit"]


@dataclass(frozen=True, slots=True)
class TextUnit:
    """A line, sentence or word from a splitter (``Lines``, ``Sentences``, ``Words``).

    The splitters return plain strings; wrap them to put them on the wire:
    ``[TextUnit("sentence", s) for s in sentences.feed(chunk)]``.
    """

    kind: str
    text: str


class Encoder:
    """Turns midstream events into protocol messages, numbering them.

    Args:
        stream: the tag put on every message (``"stream"``), for several
            streams in one response; None for a single stream.
        seq: the counter giving sequence numbers; encoders multiplexed into one
            response share one, so that ``seq`` grows across all of them.
    """

    def __init__(self, stream: str | None = None, seq: Iterator[int] | None = None) -> None:
        self.stream = stream
        self._seq = seq if seq is not None else itertools.count(1)
        # The last completed value: a FieldValidated that follows it sends its
        # value only if validation changed it.
        self._done_path: Path | None = None
        self._done_value: Any = None

    def _msg(self, type_: str, **fields: Any) -> Message:
        msg: Message = {"type": type_, "seq": next(self._seq)}
        if self.stream is not None:
            msg["stream"] = self.stream
        msg.update(fields)
        return msg

    def encode(self, events: Iterable[Event | TextUnit]) -> list[Message]:
        """The messages of ``events``, in order (events with nothing new to say give none)."""
        out = []
        for ev in events:
            msg = self.encode_one(ev)
            if msg is not None:
                out.append(msg)
        return out

    def encode_one(self, ev: Event | TextUnit) -> Message | None:
        """The message of one event, or None (an event whose content the client has)."""
        # Events are final classes (code matches on the exact class), so the
        # exact type picks the family; events of the transport
        # (ServerSentEvent) have none: nothing for a page.
        family = _FAMILIES.get(type(ev))
        return None if family is None else family(self, ev)

    def _json(self, ev: Any) -> Message | None:
        m = self._msg
        if isinstance(ev, StringDelta):
            return m("append", path=list(ev.path), text=ev.text) if ev.text else None
        if isinstance(ev, ValueStart):
            return m("start", path=list(ev.path), kind=ev.kind)
        self._done_path, self._done_value = ev.path, ev.value  # a ValueDone
        if isinstance(ev.value, (dict, list, str)):
            return m("done", path=list(ev.path))
        return m("set", path=list(ev.path), value=ev.value)

    def _field(self, ev: Any) -> Message:
        if isinstance(ev, FieldInvalid):
            return self._msg("invalid", path=list(ev.path), errors=clean_errors(ev.errors))
        raw = self._done_value if ev.path == self._done_path else None
        msg = self._msg("valid", path=list(ev.path))
        if not isinstance(raw, (dict, list)):  # a container is never dumped or resent
            value = to_jsonable(ev.value)
            changed = value != raw or type(value) is not type(raw)
            if changed and not isinstance(value, (dict, list)):
                msg["value"] = value
        return msg

    def _tool(self, ev: Any) -> Message | None:
        m, call = self._msg, [ev.choice, ev.index]
        if isinstance(ev, ToolCallStart):
            return m("tool_start", call=call, id=ev.id, name=ev.name)
        if isinstance(ev, ToolArgumentsDelta):
            return m("tool_append", call=call, text=ev.text) if ev.text else None
        if isinstance(ev, ToolCallDone):
            return m("tool_done", call=call, arguments=to_jsonable(ev.arguments))
        return m("tool_error", call=call, error=str(ev.error))

    def _block(self, ev: Any) -> Message | None:
        m = self._msg
        if isinstance(ev, CodeBlockStart):
            return m("code_start", index=ev.index, lang=ev.lang, info=ev.info)
        if isinstance(ev, CodeDelta):
            return m("code_append", index=ev.index, text=ev.text) if ev.text else None
        error = None if ev.error is None else str(ev.error)
        return m("code_done", index=ev.index, closed=ev.closed, error=error)

    def _item(self, ev: Any) -> Message:
        m = self._msg
        if isinstance(ev, ObjectDone):
            return m("item", index=ev.index, value=to_jsonable(ev.value))
        if isinstance(ev, ItemInvalid):
            return m("item_invalid", index=ev.index, errors=clean_errors(ev.errors))
        if isinstance(ev, BadRecord):
            return m("item_error", index=ev.index, error=str(ev.error))
        return m("item_abandoned", index=ev.index)

    def _outcome(self, ev: Any) -> Message:
        m = self._msg
        if isinstance(ev, TextUnit):
            return m("unit", kind=ev.kind, text=ev.text)
        if isinstance(ev, Finish):
            return m("finish", choice=ev.choice, reason=ev.reason)
        if isinstance(ev, Usage):
            return m("usage", input_tokens=ev.input_tokens, output_tokens=ev.output_tokens,
                     total_tokens=ev.total_tokens, model=ev.model)
        if isinstance(ev, ProviderError):
            return m("error", message=ev.message, error_type=ev.type, code=ev.code)
        return m("truncated", choice=ev.choice, reason=ev.reason)

    def _text(self, ev: ContentDelta | TextDelta | RefusalDelta | ReasoningDelta) -> Message | None:
        if not ev.text:
            return None
        channel = (
            "refusal" if isinstance(ev, RefusalDelta)
            else "reasoning" if isinstance(ev, ReasoningDelta) else "content"
        )
        msg = self._msg("text", text=ev.text)
        if channel != "content":
            msg["channel"] = channel
        return msg

    def end(self) -> Message:
        """The last message of a stream that finished (after ``truncated``, if it was cut)."""
        return self._msg("end")

    def error(self, exc: BaseException) -> Message:
        """The message of a stream that failed: what was sent before it stands."""
        return self._msg("error", message=str(exc) or type(exc).__name__,
                         error_type=type(exc).__name__)


#: Event class -> the Encoder method that writes its message.
_FAMILIES: Final[dict[type, Callable[[Encoder, Any], Message | None]]] = {
    **dict.fromkeys((StringDelta, ValueStart, ValueDone), Encoder._json),
    **dict.fromkeys((FieldValidated, FieldInvalid), Encoder._field),
    **dict.fromkeys((ContentDelta, TextDelta, RefusalDelta, ReasoningDelta), Encoder._text),
    **dict.fromkeys(
        (ToolCallStart, ToolArgumentsDelta, ToolCallDone, ToolCallError), Encoder._tool
    ),
    **dict.fromkeys((CodeBlockStart, CodeDelta, CodeBlockDone), Encoder._block),
    **dict.fromkeys((ObjectDone, ItemInvalid, BadRecord, ObjectAbandoned), Encoder._item),
    **dict.fromkeys((TextUnit, Finish, Usage, ProviderError, Truncated), Encoder._outcome),
}
