"""The call table every reader writes to: calls, choices, validation, events.

A reader turns its wire format's events into a few operations here:
:meth:`CallTable.new_call` (and :meth:`~CallTable.start`),
:meth:`~CallTable.feed_args` per arguments fragment,
:meth:`~CallTable.end_args` when the provider says a call's arguments ended,
:meth:`~CallTable.finish_choice` with the finish reason,
:meth:`~CallTable.content` for ordinary text, and :meth:`~CallTable.emit` for
any other event (a refusal, usage, a provider error). Everything a call's lifecycle
decides (when it is done, what error it ends in, validation against
``tools=``, the events and their order) is decided here, once for every format.

What a call's input is, JSON arguments or free text, is one of two small
classes, :class:`JsonArguments` and :class:`TextInput`: the table asks them,
and never which kind it holds.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from .._errors import (
    ErrorKind,
    IncompleteJsonError,
    JsonSyntaxError,
    LimitExceededError,
    ParseError,
)
from .._events import (
    ContentDelta,
    Event,
    Finish,
    JsonEvent,
    ProviderError,
    ReasoningDelta,
    ToolArgumentsDelta,
    ToolCallDone,
    ToolCallError,
    ToolCallStart,
    ValueDone,
    fast_constructor,
)
from .._position import line_column
from ._records import TRUNCATION_REASONS, Status, ToolCall, UnknownToolError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .._json_stream import JsonStream

__all__ = ["OPEN", "Arguments", "Call", "CallTable", "Choice", "JsonArguments", "TextInput"]

# Call states. Plain ints, compared in the hot path.
OPEN: Final = 0  # arguments may still come
_ENDED: Final = 1  # the provider said the arguments ended, but they are unfinished
_DONE: Final = 2  # ToolCallDone emitted
_ERROR: Final = 3  # ToolCallError emitted

#: Calls the provider runs itself: their names are not the caller's tools.
_SERVER_CALLS: Final = frozenset({"server_tool_use", "mcp_tool_use", "mcp_call"})
#: JSON's whitespace (RFC 8259): what may surround a value. str.strip() takes more.
WS: Final = " \t\n\r"

# Built once per chunk: the fast way (see fast_constructor).
_tool_arguments_delta: Final[Callable[[int, int, str, list[JsonEvent]], ToolArgumentsDelta]] = (
    fast_constructor(ToolArgumentsDelta)
)
_content_delta: Final[Callable[[int, Any], ContentDelta]] = fast_constructor(ContentDelta)


class Arguments:
    """What a call's input is, and the rules that differ with it (the base of two)."""

    __slots__ = ()

    #: How the messages name the input, and what ends it.
    what = "Arguments"
    differ = "arguments differ"
    closes = "their JSON closed"

    def fragment(self, table: CallTable, call: Call, text: str) -> None:
        """A fragment of an open call's input, already counted into ``call.parts``."""
        raise NotImplementedError

    def end(self, table: CallTable, call: Call) -> None:
        """The provider says an open call's input is complete."""
        raise NotImplementedError

    def cut(self, table: CallTable, call: Call) -> None:
        """The choice or the stream ended while the call was open."""
        raise NotImplementedError

    def partial(self, call: Call) -> Any:
        """The value so far of a call still streaming, for :class:`ToolCall`."""
        raise NotImplementedError

    def validate(self, model: type[BaseModel], call: Call, raw: str) -> Any:
        """The value a model makes of the input (raises ``pydantic.ValidationError``)."""
        raise NotImplementedError

    def is_extra(self, text: str) -> bool:
        """Whether a fragment arriving after the Done is an error."""
        raise NotImplementedError

    def extra_error(self, call: Call) -> Exception:
        """The error for input after the Done."""
        raise NotImplementedError

    def agrees(self, seen: str, whole: str) -> bool:
        """Whether the whole input a provider repeats at the end is the one received."""
        raise NotImplementedError

    def on_error(self, call: Call) -> None:
        """A call failed: drop what is not a decoded value."""


class JsonArguments(Arguments):
    """Arguments as JSON text, parsed by a :class:`~midstream.JsonStream` as they arrive."""

    __slots__ = ("json_end", "stream")

    def __init__(self) -> None:
        self.stream: JsonStream | None = None
        self.json_end = -1  # where in the raw text the arguments' JSON value ended

    def fragment(self, table: CallTable, call: Call, text: str) -> None:
        stream = self.stream
        if stream is None:
            from .._json_stream import JsonStream

            stream = self.stream = JsonStream()
        try:
            events, used = stream.feed_until_done(text)
        except ParseError as exc:
            table.fail(call, exc)
            return
        table.out.append(_tool_arguments_delta(call.choice, call.index, text, events))
        # The root's ValueDone is the last event of the feed that completes it.
        if events and type(last := events[-1]) is ValueDone and not last.path:
            self.json_end = call.length - len(text) + used
            table.complete(call, stream.value)
            if call.state == _DONE and text[used:].strip(WS):
                table.fail(call, self.extra_error(call))

    def end(self, table: CallTable, call: Call) -> None:
        if self.stream is None and call.given:
            # The input came whole before any fragment (Anthropic content_block_start).
            table.feed_args(call, json.dumps(call.given, ensure_ascii=False))
            if call.state != OPEN:
                return
        stream = self.stream
        if stream is None or not call.raw().strip(WS):
            table.complete(call, {})
            return
        try:
            events = stream.close()
        except IncompleteJsonError as exc:
            call.state = _ENDED
            call.pending = exc
            return
        except ParseError as exc:
            table.fail(call, exc)
            return
        if events:
            table.out.append(ToolArgumentsDelta(call.choice, call.index, "", events))
        table.complete(call, stream.value)

    def cut(self, table: CallTable, call: Call) -> None:
        table.end_args(call)

    def partial(self, call: Call) -> Any:
        # snapshot() is the parser's live value: copy it so the record stays put.
        return copy.deepcopy(self.stream.snapshot()) if self.stream is not None else None

    def validate(self, model: type[BaseModel], call: Call, raw: str) -> Any:
        # The JSON text alone: what follows it in the same fragment is judged apart.
        json_text = raw[: self.json_end] if self.json_end >= 0 else raw
        return model.model_validate_json(json_text.strip(WS) or "{}")

    def is_extra(self, text: str) -> bool:
        return bool(text.strip(WS))

    def extra_error(self, call: Call) -> Exception:
        raw = call.raw()
        start = max(self.json_end, 0)
        offset = len(raw) - len(raw[start:].lstrip(WS))
        line, column = line_column(raw, offset)
        return JsonSyntaxError(
            ErrorKind.EXTRA_DATA,
            "Extra data after the arguments' JSON value closed",
            offset,
            line,
            column,
        )

    def agrees(self, seen: str, whole: str) -> bool:
        return whole.strip(WS) == seen.strip(WS)

    def on_error(self, call: Call) -> None:
        if self.stream is not None and not self.stream.done:
            call.arguments = None


class TextInput(Arguments):
    """Free-text input (a Responses custom tool's): never parsed, ended only by the provider."""

    __slots__ = ()

    what = "Input"
    differ = "input differs"
    closes = "its input was done"

    def fragment(self, table: CallTable, call: Call, text: str) -> None:
        table.out.append(ToolArgumentsDelta(call.choice, call.index, text, []))

    def end(self, table: CallTable, call: Call) -> None:
        table.complete(call, call.raw())

    def cut(self, table: CallTable, call: Call) -> None:
        # Free text has no end of its own: only the provider's *.done ends it.
        raw = call.raw()
        line, column = line_column(raw, len(raw))
        call.state = _ENDED
        call.pending = IncompleteJsonError(ErrorKind.UNEXPECTED_END, "", len(raw), line, column)

    def partial(self, call: Call) -> Any:
        return call.raw() if call.parts else None

    def validate(self, model: type[BaseModel], call: Call, raw: str) -> Any:
        # Free text is not a model's JSON: the model is given the text itself, a str.
        # One that takes a str (RootModel[str], with its constraints) validates it;
        # a model of fields refuses it ("Input should be a valid dictionary...").
        return model.model_validate(raw)

    def is_extra(self, text: str) -> bool:
        return bool(text)  # free text has no whitespace to spare

    def extra_error(self, call: Call) -> Exception:
        return ValueError("input received after the provider said it was done")

    def agrees(self, seen: str, whole: str) -> bool:
        return False  # called only where ``whole`` does not start with ``seen``


class Call:
    """The table's working state for one call."""

    __slots__ = (
        "args",
        "arguments",
        "choice",
        "error",
        "given",
        "id",
        "index",
        "length",
        "name",
        "parts",
        "pending",
        "provider_data",
        "started",
        "state",
        "type",
    )

    def __init__(
        self, choice: int, index: int, id: str | None, name: str, type: str, args: Arguments
    ) -> None:
        self.choice = choice
        self.index = index
        self.id = id
        self.name = name
        self.type = type
        self.args = args
        self.parts: list[str] = []
        self.length = 0
        self.state = OPEN
        self.started = False
        self.arguments: Any = None
        self.error: Exception | None = None
        self.pending: ParseError | None = None  # why an _ENDED call is unfinished
        #: The input given whole before any fragment (Anthropic content_block_start);
        #: used if no fragment comes.
        self.given: Any = None
        #: Fields to send back with the call next time (Gemini's thought signature).
        self.provider_data: dict[str, Any] | None = None

    def raw(self) -> str:
        if len(self.parts) > 1:
            self.parts[:] = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""


class Choice:
    """Calls of one choice, and how the wire refers to them."""

    __slots__ = ("by_id", "by_key", "calls", "finished", "indexes", "last")

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.by_key: dict[Any, Call] = {}  # a reader's key: wire index, block, item id
        self.by_id: dict[str, Call] = {}
        self.indexes: set[int] = set()
        self.last: Call | None = None
        self.finished = False


class CallTable:
    """Every call of one response, and the events they produce (``out``, per feed)."""

    __slots__ = ("calls", "choices", "errors", "max_length", "out", "registry")

    def __init__(
        self, registry: dict[str, type[BaseModel] | None] | None, max_length: int
    ) -> None:
        self.registry = registry
        self.max_length = max_length
        self.choices: dict[int, Choice] = {}
        self.calls: list[Call] = []
        self.out: list[Event] = []  # the events of the feed() under way
        self.errors = 0  # ProviderError events emitted

    # --- what readers call ----------------------------------------------------------

    def choice(self, number: int) -> Choice:
        choice = self.choices.get(number)
        if choice is None:
            choice = self.choices[number] = Choice()
        return choice

    def new_call(
        self,
        choice: Choice,
        number: int,
        index: Any,
        id: str | None,
        name: str,
        type: str,
        args: Arguments | None = None,
    ) -> Call:
        """A new call in ``choice``; ``index`` is the wire's, kept if it is a new int."""
        if not isinstance(index, int) or isinstance(index, bool) or index in choice.indexes:
            index = max(choice.indexes) + 1 if choice.indexes else 0
        call = Call(number, index, id, name, type, args if args is not None else JsonArguments())
        choice.indexes.add(index)
        choice.calls.append(call)
        choice.last = call
        if id:
            choice.by_id[id] = call
        self.calls.append(call)
        return call

    def start(self, call: Call) -> None:
        """The call's name is whole: ToolCallStart, and at once the verdict on an unknown name.

        With ``tools=`` given, a name not in it (and not a call the provider
        runs itself) ends the call here, in the feed that starts it: its
        arguments, whatever comes, are kept in the record's ``raw`` but give
        no events.
        """
        call.started = True
        self.out.append(ToolCallStart(call.choice, call.index, call.id, call.name))
        registry = self.registry
        if (
            registry is not None
            and call.name not in registry
            and call.type not in _SERVER_CALLS
        ):
            self.fail(call, UnknownToolError(call.name, registry))

    def emit(self, event: Event) -> None:
        """Pass on an event that is not a call's: refusal or reasoning text, usage, an error.

        Readers report what the provider says beside the calls with the event
        classes of :mod:`midstream._events` (``RefusalDelta``, ``ReasoningDelta``,
        ``Usage``, ``ProviderError``); it comes out of this ``feed()`` in order.
        """
        if type(event) is ProviderError:
            self.errors += 1
        self.out.append(event)

    def content(self, number: int, text: Any) -> None:
        """Ordinary text, as the provider sent it (some send a list of parts: passed on)."""
        self.out.append(_content_delta(number, text))

    def reasoning(self, number: int, text: str) -> None:
        """Reasoning (thinking) text: its own event, never content."""
        self.out.append(ReasoningDelta(number, text))

    def feed_args(self, call: Call, text: Any) -> None:
        """One fragment of a call's arguments."""
        if (
            type(text) is not str
            or call.state != OPEN
            or (length := call.length + len(text)) > self.max_length
        ):
            self._unusual_fragment(call, text)
            return
        call.length = length
        call.parts.append(text)
        if not call.started:
            self.start(call)
            if call.state != OPEN:  # an unknown tool: failed at its start
                return
        call.args.fragment(self, call, text)

    def end_args(self, call: Call) -> None:
        """The provider says the call's arguments are complete."""
        if call.state != OPEN:
            return
        if not call.started:
            self.start(call)
            if call.state != OPEN:
                return
        call.args.end(self, call)

    def finish_choice(self, number: int, reason: Any) -> None:
        """The choice ended (``reason``: the provider's finish reason): settle its calls."""
        choice = self.choice(number)
        if choice.finished:
            return
        choice.finished = True
        reason = reason if isinstance(reason, str) else None
        for call in choice.calls:
            self._finish_call(call, reason)
        self.out.append(Finish(number, reason))

    def close(self) -> None:
        """The stream ended: settle every call."""
        for call in self.calls:
            self._finish_call(call, None)

    def records(self) -> list[ToolCall]:
        records = []
        for call in self.calls:
            status: Status
            if call.state == _DONE:
                status, arguments = "done", call.arguments
            elif call.state == _ERROR:
                status, arguments = "error", call.arguments
            else:
                status, arguments = "streaming", call.args.partial(call)
            records.append(
                ToolCall(
                    choice=call.choice,
                    index=call.index,
                    id=call.id,
                    name=call.name,
                    type=call.type,
                    raw=call.raw(),
                    arguments=arguments,
                    status=status,
                    error=call.error,
                    provider_data=call.provider_data,
                )
            )
        return records

    def input_done(self, call: Call, whole: Any) -> None:
        """The provider ends the call's input, repeating it whole: feed what is missing, or fail."""
        if self.input_whole(call, whole):
            self.end_args(call)

    def input_whole(self, call: Call, whole: Any) -> bool:
        """The provider repeats the call's input whole: feed what is missing; False if it differs.

        Realtime repeats the input of a cut call too, so this does not end the call.
        """
        if isinstance(whole, str) and call.state == OPEN:
            seen = call.raw()
            if whole.startswith(seen):
                if len(whole) > len(seen):
                    # Input sent only (or partly) at its end (LM Studio).
                    self.feed_args(call, whole[len(seen) :])
            elif not call.args.agrees(seen, whole):
                self.fail(
                    call,
                    ValueError(
                        f"the {call.args.differ} in the *.done event from the deltas received:"
                        f" {whole!r}"
                    ),
                )
                return False
        return True

    # --- what the arguments classes call --------------------------------------------

    def complete(self, call: Call, value: Any) -> None:
        """The input is whole (its JSON closed, or the provider ended it): Done or Error."""
        call.arguments = value
        raw = call.raw()
        # (A name unknown to ``tools=`` failed at the start: a server call's is skipped.)
        model = self.registry.get(call.name) if self.registry is not None else None
        if model is not None:
            from pydantic import ValidationError

            try:
                value = call.args.validate(model, call, raw)
            except ValidationError as exc:
                self.fail(call, exc)
                return
        call.state = _DONE
        call.arguments = value
        self.out.append(ToolCallDone(
            call.choice, call.index, call.id, call.name, value, raw, call.provider_data
        ))

    def fail(self, call: Call, exc: Exception) -> None:
        call.state = _ERROR
        call.error = exc
        call.args.on_error(call)
        self.out.append(ToolCallError(call.choice, call.index, call.id, call.name, call.raw(), exc))

    # --- inside ---------------------------------------------------------------------

    def _unusual_fragment(self, call: Call, text: Any) -> None:
        """A fragment that is not text, past the length limit, or for a settled call."""
        if type(text) is not str:
            # Some OpenAI-compatible servers send the arguments already decoded.
            text = json.dumps(text, ensure_ascii=False)
        if not call.started:
            self.start(call)
        length = call.length + len(text)
        if length > self.max_length:
            call.length = length
            if call.state != OPEN:  # already settled: keep no more than the limit
                self._after_done(call, text)
                return
            call.parts.append(text)
            line, column = line_column(call.raw(), self.max_length)
            self.fail(
                call,
                LimitExceededError(
                    ErrorKind.SIZE_LIMIT,
                    f"Arguments longer than max_arguments_length={self.max_length}",
                    self.max_length,
                    line,
                    column,
                ),
            )
            return
        call.length = length
        call.parts.append(text)
        if call.state != OPEN:
            self._after_done(call, text)
        else:
            call.args.fragment(self, call, text)

    def _after_done(self, call: Call, text: str) -> None:
        """A fragment for a call already settled: after a Done, more input may be an error."""
        if call.state == _DONE and call.args.is_extra(text):
            self.fail(call, call.args.extra_error(call))

    def _finish_call(self, call: Call, reason: str | None) -> None:
        """The choice (or the stream) ended: settle the call one way or the other."""
        if call.state == OPEN:
            call.args.cut(self, call)
        if call.state != _ENDED:
            return
        exc = call.pending
        assert exc is not None
        what, end = call.args.what, call.args.closes
        if reason in TRUNCATION_REASONS:
            msg = (
                f"{what} truncated: the response stopped at the token limit"
                f" ({reason!r}) before {end}"
            )
        elif reason is None:
            msg = f"{what} incomplete: the stream ended before {end}"
        else:
            msg = f"{what} incomplete: the response finished ({reason!r}) before {end}"
        self.fail(call, IncompleteJsonError(exc.kind, msg, exc.offset, exc.line, exc.column))
