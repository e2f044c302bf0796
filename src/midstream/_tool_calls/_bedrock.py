"""AWS Bedrock ConverseStream events: the dicts boto3 yields, ``{eventType: payload}``.

A call is a ``contentBlockStart`` whose ``start`` holds a ``toolUse``
(``toolUseId``, ``name``), keyed by its ``contentBlockIndex``; its input comes
as ``contentBlockDelta`` ``delta.toolUse.input`` pieces of JSON text and ends
with the block's ``contentBlockStop`` (an input of ``""`` only, the shape of a
tool without arguments, is ``{}``). Text is ``delta.text`` (text blocks have no
start event); ``delta.reasoningContent.text`` is reasoning, never content;
citations, signatures and redacted reasoning are left out. ``messageStop``'s
``stopReason`` (``end_turn``, ``tool_use``, ``max_tokens``...) finishes the
choice (always 0); ``metadata.usage`` is a :class:`Usage`. An exception event
(``modelStreamErrorException``...; boto3 raises these, a raw decoded stream
holds them) is a :class:`ProviderError`, and the stream then ends unfinished.
The ``"p"`` padding field Bedrock adds to payloads (boto3 drops it) is ignored.

Bedrock's InvokeModel streams Anthropic's own events, wrapped: see
:mod:`._anthropic`.
"""

from __future__ import annotations

from typing import Any, Final

from .._events import ProviderError
from ._provider import usage_of
from ._reader import Reader

__all__ = ["BedrockReader"]

_EVENTS: Final = frozenset(
    {
        "messageStart",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    }
)
#: The error events of the ConverseStream output union.
_ERRORS: Final = frozenset(
    {
        "internalServerException",
        "modelStreamErrorException",
        "validationException",
        "throttlingException",
        "serviceUnavailableException",
    }
)


class BedrockReader(Reader):
    """Bedrock ConverseStream: content blocks (tool uses, text, reasoning), the message's end."""

    __slots__ = ()

    def claims(self, event: dict[str, Any]) -> bool:
        if len(event) != 1:
            return False
        key = next(iter(event))
        return key in _EVENTS or key in _ERRORS

    def read(self, event: dict[str, Any]) -> None:
        if len(event) != 1:  # format="bedrock" given something else
            return
        kind = next(iter(event))
        payload = self.fields.of(event[kind])
        if kind == "contentBlockDelta":
            self._delta(payload)
        elif kind == "contentBlockStart":
            self._start(payload)
        elif kind == "contentBlockStop":
            call = self.table.choice(0).by_key.get(payload.get("contentBlockIndex"))
            if call is not None:
                self.table.end_args(call)
        elif kind == "messageStop":
            self.table.finish_choice(0, payload.get("stopReason"))
        elif kind == "metadata":
            raw = payload.get("usage")
            if raw is not None:
                counts = self.fields.of(raw)
                self.table.emit(
                    usage_of(
                        counts.get("inputTokens"),
                        counts.get("outputTokens"),
                        counts.get("totalTokens"),
                        None,
                        raw,
                    )
                )
        elif kind == "messageStart":
            # Block indexes restart with each message.
            choice = self.table.choice(0)
            choice.by_key.clear()
            choice.finished = False
        elif kind in _ERRORS:
            message = payload.get("message")
            code = payload.get("originalStatusCode")
            self.table.emit(
                ProviderError(
                    kind,
                    None if code is None else str(code),
                    message if isinstance(message, str) else "",
                )
            )

    def _delta(self, payload: dict[str, Any]) -> None:
        table = self.table
        delta = self.fields.of(payload.get("delta"))
        text = delta.get("text")
        if text:
            table.content(0, text)
            return
        tool = delta.get("toolUse")
        if tool is not None:
            call = table.choice(0).by_key.get(payload.get("contentBlockIndex"))
            piece = self.fields.of(tool).get("input")
            if call is not None and piece:
                table.feed_args(call, piece)
            return
        reasoning = delta.get("reasoningContent")
        if reasoning is not None:
            thought = self.fields.of(reasoning).get("text")
            if thought:
                table.reasoning(0, thought)

    def _start(self, payload: dict[str, Any]) -> None:
        start = self.fields.of(payload.get("start"))
        tool = start.get("toolUse")
        if tool is None:
            return
        block = self.fields.of(tool)
        table = self.table
        choice = table.choice(0)
        index = payload.get("contentBlockIndex")
        call_id = block.get("toolUseId")
        name = block.get("name")
        kind = block.get("type")  # "server_tool_use" for a tool Bedrock runs itself
        call = table.new_call(
            choice,
            0,
            index,
            call_id if isinstance(call_id, str) else None,
            name if isinstance(name, str) else "",
            kind if isinstance(kind, str) else "tool_use",
        )
        choice.by_key[index] = call
        table.start(call)
