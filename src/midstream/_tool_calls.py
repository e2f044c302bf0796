"""Tool-call reassembly: provider stream events in, whole validated calls out.

A model that calls tools while streaming sends each call's id and name first,
then its arguments as fragments of a JSON text, several calls interleaved.
:class:`ToolCallAssembler` puts the calls back together, parses every call's
arguments with its own :class:`~midstream.JsonStream` as they arrive, and
reports a call done in the very ``feed()`` whose event closes its JSON, so a
tool can start while the next call is still streaming.

Three wire formats, told apart per event (``format="auto"``):

- OpenAI Chat Completions chunks (``choices[].delta.tool_calls``), as
  ``openai.types.chat.ChatCompletionChunk`` objects or plain dicts; also what
  OpenAI-compatible servers send (Groq, Mistral, DeepSeek, xAI, vLLM, Ollama...).
- OpenAI Responses API stream events (``response.output_item.added`` with a
  ``function_call``, ``mcp_call`` or ``custom_tool_call`` item,
  ``response.function_call_arguments.delta`` / ``.done``,
  ``response.custom_tool_call_input.delta`` / ``.done``,
  ``response.output_text.delta``, ``response.completed``...).
- Anthropic Messages stream events (``content_block_start`` with a
  ``tool_use`` / ``server_tool_use`` / ``mcp_tool_use`` block,
  ``input_json_delta``, ``content_block_stop``, ``text_delta``, ``message_delta``).

Provider quirks, each decided here once (the tests name each one):

- *id and name repeated on every chunk.* The first non-empty id is the call's
  id; the name is complete once arguments start, and a fragment equal to the
  name so far is a repetition, not more name. (The openai SDK's accumulator
  concatenates them: ``weatherweather``.)
- *name split over chunks.* Name fragments before the first arguments text are
  joined; :class:`ToolCallStart` waits for the first arguments text (or for
  the end of the call), so it always carries the whole name.
- *missing ``index``* (Mistral): an entry with a new id is a new call, in order
  of first appearance; one without id continues the latest call.
- *an index reused for a new call* (Ollama, some vLLM/SGLang builds send every
  parallel call as ``index: 0``): an entry whose id differs from the call at
  its index starts a new call, numbered after the highest index in use.
- *two entries with the same index in one chunk*: processed in order, so the
  second continues (or, with a different id, follows) the first.
- ``type`` missing after the first chunk, arguments in the same chunk as the
  name, the whole arguments in one chunk: nothing depends on them.
- *empty arguments* (``""``, or no arguments at all) mean ``{}``.
- Responses streams whose arguments arrive only in ``*.done`` (LM Studio) and
  Anthropic blocks whose input comes whole in ``content_block_start``: that
  text is fed as the call's one fragment.

A call is never declared done on a parsable prefix of its arguments: ``12``
may still become ``123``, so a root number completes only when the provider
says the arguments ended (``content_block_stop``, ``*.arguments.done``) or the
choice finishes, or at :meth:`ToolCallAssembler.close`. A custom tool's
free-text input, where every prefix would do, completes only when the
provider says it ended (``*_input.done``, ``response.output_item.done``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

from ._compat import mypyc_attr
from ._errors import (
    ErrorKind,
    IncompleteJsonError,
    JsonSyntaxError,
    LimitExceededError,
    ParseError,
)
from ._events import (
    ContentDelta,
    Event,
    Finish,
    JsonEvent,
    ToolArgumentsDelta,
    ToolCallDone,
    ToolCallError,
    ToolCallStart,
    ValueDone,
    fast_constructor,
)
from ._options import check_limit

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ._json_stream import JsonStream

__all__ = [
    "DEFAULT_MAX_ARGUMENTS_LENGTH",
    "TRUNCATION_REASONS",
    "ToolCall",
    "ToolCallAssembler",
    "UnknownToolError",
]

#: Longest arguments text of one call, in characters (64 Mi, the core's
#: string limit): far past any real call (the largest in the recorded corpus
#: is 6 KB), small enough that a runaway stream cannot take the process's memory.
DEFAULT_MAX_ARGUMENTS_LENGTH: Final = 64 * 1024 * 1024

#: Finish reasons that mean "cut off by a token limit": unfinished calls are
#: then reported as truncated. Chat Completions ``length``; Anthropic
#: ``max_tokens`` and ``model_context_window_exceeded``; Responses
#: ``max_output_tokens`` (``incomplete_details.reason``).
TRUNCATION_REASONS: Final = frozenset(
    {"length", "max_tokens", "max_output_tokens", "model_context_window_exceeded"}
)

Format = Literal["auto", "chat", "responses", "anthropic"]
_FORMATS: Final = ("auto", "chat", "responses", "anthropic")

#: What ``tools=`` accepts: models and tool definitions, or name -> model.
ToolsArg: TypeAlias = (
    "Iterable[type[BaseModel] | Mapping[str, Any]] | Mapping[str, type[BaseModel] | None] | None"
)

Status = Literal["streaming", "done", "error"]

# Call states. Plain ints, compared in the hot path.
_OPEN: Final = 0  # arguments may still come
_ENDED: Final = 1  # the provider said the arguments ended, but their JSON is unfinished
_DONE: Final = 2  # ToolCallDone emitted
_ERROR: Final = 3  # ToolCallError emitted

_ANTHROPIC_TYPES: Final = frozenset(
    {
        "message_start",
        "message_delta",
        "message_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "ping",
    }
)
_ANTHROPIC_CALLS: Final = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})
_RESPONSES_CALLS: Final = frozenset({"function_call", "mcp_call", "custom_tool_call"})
#: A Responses call to a custom (free-form) tool: its input is text, not JSON.
_CUSTOM: Final = "custom_tool_call"
#: Calls the provider runs itself: their names are not the caller's tools.
_SERVER_CALLS: Final = frozenset({"server_tool_use", "mcp_tool_use", "mcp_call"})
_RESPONSES_ARGS_DELTA: Final = frozenset(
    {
        "response.function_call_arguments.delta",
        "response.mcp_call_arguments.delta",
        "response.custom_tool_call_input.delta",
    }
)
#: The events that end a call's arguments, and the field holding them whole.
_RESPONSES_ARGS_DONE: Final = {
    "response.function_call_arguments.done": "arguments",
    "response.mcp_call_arguments.done": "arguments",
    "response.custom_tool_call_input.done": "input",
}
_RESPONSES_END: Final = frozenset({"response.completed", "response.incomplete", "response.failed"})
_EMPTY: Final[Mapping[str, Any]] = {}
_NO_ENTRIES: Final[list[Any]] = []  # a delta's tool_calls when it has none; never changed
#: JSON's whitespace (RFC 8259): what may surround a value. str.strip() takes more.
_WS: Final = " \t\n\r"


# This module is compiled by mypyc in wheels (hatch_build.py). The public
# classes stay ordinary Python classes (pickling, dataclasses functions,
# subclassing by users); the assembler's working state is native.
@mypyc_attr(native_class=False)
class UnknownToolError(LookupError):
    """A call names a tool that is not among the ``tools=`` given.

    Attributes:
        name: the name the model used.
        known: the registered names.
    """

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = tuple(sorted(known))
        super().__init__(f"the model called {name!r}, which is not a registered tool {self.known}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.name, self.known))


@mypyc_attr(native_class=False)
@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call as received so far (see :attr:`ToolCallAssembler.tool_calls`).

    Attributes:
        choice: the choice index (0 for Responses and Anthropic streams).
        index: the call's index in its choice, as the events carry it.
        id: the provider's call id (Responses: ``call_id``), None if none came.
        name: the function name.
        type: the provider's kind of call: ``"function"`` (Chat Completions and
            Responses), ``"mcp_call"``, ``"custom_tool_call"`` (a Responses
            custom tool: free-text input), or Anthropic's ``"tool_use"``,
            ``"server_tool_use"``, ``"mcp_tool_use"``.
        raw: the arguments text received, as received.
        arguments: once done, the validated model or the decoded JSON (a
            custom tool's: the input text); while streaming, the partial value
            so far (None before any); after an error, the decoded JSON if it
            decoded (a custom tool's text if the provider ended it), else None.
        status: ``"streaming"``, ``"done"`` or ``"error"``.
        error: what went wrong, when ``status == "error"``.
    """

    choice: int
    index: int
    id: str | None
    name: str
    type: str
    raw: str
    arguments: Any
    status: Status
    error: Exception | None = None


class _Call:
    """The assembler's working state for one call."""

    __slots__ = (
        "arguments",
        "choice",
        "error",
        "id",
        "index",
        "json_end",
        "length",
        "name",
        "parts",
        "pending",
        "start_input",
        "started",
        "state",
        "stream",
        "text",
        "type",
    )

    def __init__(self, choice: int, index: int, id: str | None, name: str, type: str) -> None:
        self.choice = choice
        self.index = index
        self.id = id
        self.name = name
        self.type = type
        self.text = type == _CUSTOM  # free-text input: never parsed, never a JSONStream
        self.parts: list[str] = []
        self.length = 0
        self.json_end = -1  # where in the raw text the arguments' JSON value ended
        self.stream: JsonStream | None = None
        self.state = _OPEN
        self.started = False
        self.arguments: Any = None
        self.error: Exception | None = None
        self.pending: ParseError | None = None  # why an _ENDED call's JSON is unfinished
        self.start_input: Any = None  # Anthropic: input given whole in content_block_start

    def raw(self) -> str:
        if len(self.parts) > 1:
            self.parts[:] = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""


class _Choice:
    """Calls of one choice, and how the wire refers to them."""

    __slots__ = ("by_id", "by_key", "calls", "finished", "indexes", "last")

    def __init__(self) -> None:
        self.calls: list[_Call] = []
        self.by_key: dict[Any, _Call] = {}  # wire index / Anthropic block / Responses item id
        self.by_id: dict[str, _Call] = {}
        self.indexes: set[int] = set()
        self.last: _Call | None = None
        self.finished = False


#: Classes whose instances keep their fields in ``__dict__`` (pydantic models),
#: learned on first sight; as many entries as there are event classes.
_BY_DICT: Final[set[type]] = set()


def _fields(obj: Any) -> Mapping[str, Any]:
    """The fields of a dict or of an SDK object (pydantic models keep them in ``__dict__``)."""
    cls = type(obj)
    if cls in _BY_DICT:
        return obj.__dict__  # type: ignore[no-any-return]
    if isinstance(obj, Mapping):
        return obj
    if obj is None:
        return _EMPTY
    fields = getattr(obj, "__dict__", None)
    if type(fields) is dict:
        _BY_DICT.add(cls)
        return fields
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        dumped = dump()
        if isinstance(dumped, Mapping):
            return dumped
    raise TypeError(f"expected a dict or an SDK event object, got {cls.__name__}")


def _is_chat(fields: Mapping[str, Any], choices: Any) -> bool:
    """Whether an event's fields are a Chat Completions chunk's (it has ``choices``)."""
    return choices is not None or "choices" in fields


def _all_fields(obj: Any) -> Mapping[str, Any]:
    """Like :func:`_fields`, with a pydantic model's extra fields too.

    An SDK older than the stream puts a block type it does not know (an MCP
    tool use in a non-beta Anthropic SDK) into another class, and its id and
    name into the extras. Used once per block or item, not per delta.
    """
    fields = _fields(obj)
    extra = getattr(obj, "__pydantic_extra__", None)
    if extra and fields is not obj:
        return {**extra, **fields}
    return fields


def _model_name(model: type[BaseModel]) -> str:
    """A model's tool name: its JSON-schema title (``model_config['title']`` or the class name)."""
    title = model.model_config.get("title")
    return title if isinstance(title, str) and title else model.__name__


def _registry(tools: ToolsArg) -> dict[str, type[BaseModel] | None] | None:
    if tools is None:
        return None
    from pydantic import BaseModel

    def model_or_none(value: Any, where: str) -> type[BaseModel] | None:
        if value is None or (isinstance(value, type) and issubclass(value, BaseModel)):
            return value
        raise TypeError(f"{where}: expected a pydantic model class or None, got {value!r}")

    registry: dict[str, type[BaseModel] | None] = {}
    if isinstance(tools, Mapping):
        for name, value in tools.items():
            if not isinstance(name, str):
                raise TypeError(f"tools: names must be str, got {name!r}")
            registry[name] = model_or_none(value, f"tools[{name!r}]")
        return registry
    for tool in tools:
        if isinstance(tool, type) and issubclass(tool, BaseModel):
            registry[_model_name(tool)] = tool
        elif isinstance(tool, Mapping):
            function = tool.get("function")
            name = function.get("name") if isinstance(function, Mapping) else tool.get("name")
            if not isinstance(name, str):
                raise TypeError(f"tools: a tool definition without a name: {tool!r}")
            # openai.pydantic_function_tool() keeps the model on its "function" dict.
            model = getattr(function, "model", None) or getattr(tool, "model", None)
            ok = isinstance(model, type) and issubclass(model, BaseModel)
            registry[name] = model if ok else None
        else:
            raise TypeError(
                "tools: expected pydantic model classes or tool definitions"
                f" (dicts with a name), got {tool!r}"
            )
    return registry


# Built once per chunk: the fast way (see fast_constructor).
_tool_arguments_delta: Final[Callable[[int, int, str, list[JsonEvent]], ToolArgumentsDelta]] = (
    fast_constructor(ToolArgumentsDelta)
)


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


@mypyc_attr(allow_interpreted_subclasses=True)
class ToolCallAssembler:
    """Reassembles streamed tool calls and parses their arguments as they arrive.

    Feed it every event of one response, in order: OpenAI Chat Completions
    chunks, Responses API events or Anthropic Messages events, as SDK objects,
    dicts, or the JSON text of an SSE ``data:`` line (``"[DONE]"`` is ignored).
    Each call yields :class:`ToolCallStart`, :class:`ToolArgumentsDelta` per
    arguments fragment (with the core's JSON events for it), then exactly one of
    :class:`ToolCallDone` or :class:`ToolCallError`; only text that follows a
    closed JSON value brings a :class:`ToolCallError` after the Done. Ordinary
    text comes as :class:`ContentDelta`, the end of a choice as :class:`Finish`.
    Events of other kinds (reasoning, citations, usage, server tool results) are
    ignored.

    When things happen: :class:`ToolCallDone` comes from the ``feed()`` whose
    event closes the arguments' JSON (a root number: when the arguments end,
    see the module notes). :class:`ToolCallStart` comes with the call's first
    arguments text for Chat Completions (a name may still be arriving before
    it), and at once for Responses and Anthropic. A finish reason, the end of
    the stream (:meth:`close`) or, for Anthropic and Responses, the provider's
    end of a call's arguments settle every unfinished call: ``{}`` if it had no
    arguments, else a :class:`ToolCallError` (with "truncated" in its message
    for a token-limit finish, :data:`TRUNCATION_REASONS`).

    ``choice`` is the choice index (always 0 for Responses and Anthropic);
    ``index`` is the provider's index of the call (Chat ``index``, Anthropic
    content-block index, Responses ``output_index``), or, where a provider
    leaves it out or reuses it for another call, the next index unused in the
    choice. Use one assembler per response.

    Custom tools (Responses ``custom_tool_call``, a free-form or grammar tool)
    take free text, not JSON, through the same events: :class:`ToolCallStart`
    at ``response.output_item.added``, a :class:`ToolArgumentsDelta` per
    ``response.custom_tool_call_input.delta`` with the raw text and no JSON
    ``events`` (an empty list), then :class:`ToolCallDone` whose ``arguments``
    and ``raw`` are the input text as received (whitespace included; ``""``
    stays ``""``). Text has no closing bracket, so only the provider's end of
    the input (``response.custom_tool_call_input.done`` or
    ``response.output_item.done``) completes such a call; an input that
    disagrees with the deltas is a :class:`ToolCallError`. A finish or
    :meth:`close` before that ends it in a :class:`ToolCallError` holding an
    :class:`IncompleteJsonError` (kind ``UNEXPECTED_END``, offset the length
    received; "truncated" in its message for a token-limit finish), the same
    error as for JSON arguments cut off, so one check finds every call that
    did not finish. The record's ``type`` is ``"custom_tool_call"``.

    Example::

        acc = ToolCallAssembler(tools=[GetWeather])
        for chunk in client.chat.completions.create(..., stream=True):
            for ev in acc.feed(chunk):
                if isinstance(ev, ToolCallDone):
                    run(ev.name, ev.arguments)  # a GetWeather instance
        acc.close()
    """

    def __init__(
        self,
        *,
        tools: ToolsArg = None,
        format: Format = "auto",
        max_arguments_length: int = DEFAULT_MAX_ARGUMENTS_LENGTH,
    ) -> None:
        """Create an assembler for one response.

        Args:
            tools: what to validate against. Either pydantic model classes (a
                model's tool name is its JSON-schema title: ``model_config["title"]``
                if set, else the class name), tool definitions as sent to the API
                (OpenAI ``{"type": "function", "function": {"name": ...}}``,
                Responses or Anthropic ``{"name": ...}``; the dicts from
                ``openai.pydantic_function_tool(Model)`` validate with their
                model), or a mapping ``{name: model or None}``. A call whose name
                has a model ends with that model's instance in
                :attr:`ToolCallDone.arguments`, or a :class:`ToolCallError`
                holding the ``pydantic.ValidationError``. With tools given, a
                call to any other name ends in :class:`ToolCallError` with
                :class:`UnknownToolError` (except calls the provider runs itself:
                Anthropic ``server_tool_use``/``mcp_tool_use``, Responses
                ``mcp_call``). A custom tool's input is text: its name is
                checked, a model under its name is not applied (Responses
                ``{"type": "custom", "name": ...}`` definitions register the
                name). None (the default): no validation, any name.
            format: ``"auto"`` (default) tells the format of each event by its
                shape: a ``choices`` field is a Chat Completions chunk, a
                ``type`` starting with ``response.`` a Responses event, an
                Anthropic event type an Anthropic event; anything else is
                ignored. ``"chat"``, ``"responses"`` or ``"anthropic"`` read
                every event as that format.
            max_arguments_length: the longest arguments text of one call; a
                longer one ends in :class:`ToolCallError` with a
                :class:`LimitExceededError`.

        Raises:
            ValueError: an unknown ``format`` or a limit below 1.
            TypeError: ``tools`` holds something that is not a model or a tool definition.
        """
        if format not in _FORMATS:
            allowed = ", ".join(map(repr, _FORMATS))
            raise ValueError(f"format must be one of {allowed}; got {format!r}")
        check_limit("max_arguments_length", max_arguments_length)
        self._format = format
        self._registry = _registry(tools)
        self._max_length = max_arguments_length
        self._choices: dict[int, _Choice] = {}
        self._calls: list[_Call] = []
        self._content: dict[Any, list[str]] = {}  # Responses: text received per content part
        self._closed = False
        self._out: list[Event] = []

    # --- public -----------------------------------------------------------------

    def feed(self, event: Any, /) -> list[Event]:
        """Take one stream event; return the events it completes, in order.

        Args:
            event: a Chat Completions chunk, a Responses or Anthropic stream
                event: SDK object, dict, or the JSON text of the SSE data.

        Returns:
            :class:`ToolCallStart`, :class:`ToolArgumentsDelta`,
            :class:`ToolCallDone`, :class:`ToolCallError`, :class:`ContentDelta`
            and :class:`Finish` events.

        Raises:
            RuntimeError: after :meth:`close`.
            TypeError: ``event`` is neither a mapping nor an SDK object.
            ValueError: ``event`` is text that is not JSON.
        """
        if self._closed:
            raise RuntimeError("ToolCallAssembler.feed() after close()")
        out: list[Event] = []
        self._out = out
        fmt = self._format
        cls = type(event)
        fields: Mapping[str, Any]
        if cls in _BY_DICT:
            # An SDK object, the commonest case: its fields read from __dict__
            # as a dict, the fastest way (see _chat_objects).
            sdk_fields: dict[str, Any] = event.__dict__
            choices = sdk_fields.get("choices")
            if fmt == "chat" or (fmt == "auto" and _is_chat(sdk_fields, choices)):
                if choices:
                    self._chat_objects(choices)
                return out
            fields = sdk_fields
        else:
            if cls is dict:
                fields = event
            elif isinstance(event, (str, bytes)):
                text = event.strip()
                if not text or text in ("[DONE]", b"[DONE]"):
                    return []
                try:
                    fields = json.loads(text)
                except RecursionError:
                    raise ValueError(
                        f"event text nested too deeply to decode: {text!r:.80}"
                    ) from None
                if not isinstance(fields, dict):
                    raise ValueError(f"expected a JSON object for an event, got {text!r:.80}")
            else:
                fields = _fields(event)
            if fmt == "chat" or (fmt == "auto" and _is_chat(fields, fields.get("choices"))):
                self._chat(fields)
                return out
        if fmt == "auto":
            kind = fields.get("type")
            if not isinstance(kind, str):
                return out
            if kind.startswith("response."):
                fmt = "responses"
            elif kind in _ANTHROPIC_TYPES:
                fmt = "anthropic"
            else:
                return out
        if fmt == "responses":
            self._responses(fields)
        else:
            self._anthropic(fields)
        return out

    def close(self) -> list[Event]:
        """End the stream: report every call still unfinished.

        A call whose arguments are a complete root number completes here; an
        empty one is ``{}``; any other unfinished call ends in
        :class:`ToolCallError` holding an :class:`IncompleteJsonError`. Calling
        ``close()`` again returns nothing.
        """
        if self._closed:
            return []
        self._closed = True
        self._out = []
        for call in self._calls:
            self._finish_call(call, None)
        return self._out

    @property
    def tool_calls(self) -> list[ToolCall]:
        """Every call so far, in order of first appearance, as :class:`ToolCall` records."""
        records = []
        for call in self._calls:
            if call.state == _DONE:
                status: Status = "done"
                arguments = call.arguments
            elif call.state == _ERROR:
                status, arguments = "error", call.arguments
            else:
                status = "streaming"
                if call.text:
                    arguments = call.raw() if call.parts else None
                else:
                    # snapshot() is the parser's live value: copy it so the record stays put.
                    partial = call.stream.snapshot() if call.stream is not None else None
                    arguments = copy.deepcopy(partial)
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
                )
            )
        return records

    # --- calls ------------------------------------------------------------------

    def _choice(self, number: int) -> _Choice:
        choice = self._choices.get(number)
        if choice is None:
            choice = self._choices[number] = _Choice()
        return choice

    def _new_call(
        self, choice: _Choice, number: int, index: Any, id: str | None, name: str, type: str
    ) -> _Call:
        if not isinstance(index, int) or isinstance(index, bool) or index in choice.indexes:
            index = max(choice.indexes) + 1 if choice.indexes else 0
        call = _Call(number, index, id, name, type)
        choice.indexes.add(index)
        choice.calls.append(call)
        choice.last = call
        if id:
            choice.by_id[id] = call
        self._calls.append(call)
        return call

    def _start(self, call: _Call) -> None:
        call.started = True
        self._out.append(ToolCallStart(call.choice, call.index, call.id, call.name))

    def _feed_args(self, call: _Call, text: Any) -> None:
        """One fragment of a call's arguments."""
        stream = call.stream
        if (
            stream is None
            or type(text) is not str
            or call.state != _OPEN
            or (length := call.length + len(text)) > self._max_length
        ):
            text, stream = self._unusual_fragment(call, text)
            if stream is None:
                return
            length = call.length + len(text)
        call.length = length
        call.parts.append(text)
        try:
            events, used = stream.feed_until_done(text)
        except ParseError as exc:
            self._fail(call, exc)
            return
        self._out.append(_tool_arguments_delta(call.choice, call.index, text, events))
        # The root's ValueDone is the last event of the feed that completes it.
        if events and type(last := events[-1]) is ValueDone and not last.path:
            call.json_end = call.length - len(text) + used
            self._complete(call, stream.value)
            if call.state == _DONE and text[used:].strip(_WS):
                self._extra_data(call)

    def _unusual_fragment(self, call: _Call, text: Any) -> tuple[str, JsonStream | None]:
        """A call's first fragment, or one that is not parsed: returns the text and the parser.

        The parser is None when the fragment has been dealt with here: the
        call was already settled, the fragment passes the length limit, or the
        call's input is free text (a custom tool's), which is not parsed.
        """
        if type(text) is not str:
            # Some OpenAI-compatible servers send the arguments already decoded.
            text = json.dumps(text, ensure_ascii=False)
        if not call.started:
            self._start(call)
        state = call.state
        length = call.length + len(text)
        if length > self._max_length:
            call.length = length
            if state != _OPEN:  # already settled: keep no more than the limit
                self._after_done(call, text)
                return text, None
            call.parts.append(text)
            raw = call.raw()
            line, column = _position(raw, self._max_length)
            self._fail(
                call,
                LimitExceededError(
                    ErrorKind.SIZE_LIMIT,
                    f"Arguments longer than max_arguments_length={self._max_length}",
                    self._max_length,
                    line,
                    column,
                ),
            )
            return text, None
        if state != _OPEN or call.text:  # not parsed: kept, and judged here
            call.length = length
            call.parts.append(text)
            if state != _OPEN:
                self._after_done(call, text)
            else:  # free text: a fragment without JSON events
                self._out.append(ToolArgumentsDelta(call.choice, call.index, text, []))
            return text, None
        stream = call.stream
        if stream is None:
            from ._json_stream import JsonStream

            stream = call.stream = JsonStream()
        return text, stream

    def _end_args(self, call: _Call) -> None:
        """The provider says the call's arguments are complete."""
        if call.state != _OPEN:
            return
        if not call.started:
            self._start(call)
        if call.text:
            self._complete(call, call.raw())
            return
        if call.stream is None and call.start_input:
            # Anthropic sent the input whole in content_block_start and no deltas.
            self._feed_args(call, json.dumps(call.start_input, ensure_ascii=False))
            if call.state != _OPEN:
                return
        stream = call.stream
        if stream is None or not call.raw().strip(_WS):
            self._complete(call, {})
            return
        try:
            events = stream.close()
        except IncompleteJsonError as exc:
            call.state = _ENDED
            call.pending = exc
            return
        except ParseError as exc:
            self._fail(call, exc)
            return
        if events:
            self._out.append(ToolArgumentsDelta(call.choice, call.index, "", events))
        self._complete(call, stream.value)

    def _finish_call(self, call: _Call, reason: str | None) -> None:
        """The choice (or the stream) ended: settle the call one way or the other."""
        if call.state == _OPEN:
            if call.text:
                # Free text has no end of its own: only the provider's *.done ends it.
                raw = call.raw()
                line, column = _position(raw, len(raw))
                call.state = _ENDED
                call.pending = IncompleteJsonError(
                    ErrorKind.UNEXPECTED_END, "", len(raw), line, column
                )
            else:
                self._end_args(call)
        if call.state != _ENDED:
            return
        exc = call.pending
        assert exc is not None
        what, end = (
            ("Input", "its input was done") if call.text else ("Arguments", "their JSON closed")
        )
        if reason in TRUNCATION_REASONS:
            msg = (
                f"{what} truncated: the response stopped at the token limit"
                f" ({reason!r}) before {end}"
            )
        elif reason is None:
            msg = f"{what} incomplete: the stream ended before {end}"
        else:
            msg = f"{what} incomplete: the response finished ({reason!r}) before {end}"
        self._fail(call, IncompleteJsonError(exc.kind, msg, exc.offset, exc.line, exc.column))

    def _complete(self, call: _Call, value: Any) -> None:
        """The arguments' JSON closed (or a free-text input ended): validate, then Done or Error."""
        call.arguments = value
        raw = call.raw()
        # Validate the JSON text alone: what follows it in the same fragment is judged apart.
        json_text = raw[: call.json_end] if call.json_end >= 0 else raw
        registry = self._registry
        if registry is not None:
            if call.name not in registry:
                if call.type not in _SERVER_CALLS:
                    self._fail(call, UnknownToolError(call.name, registry))
                    return
            else:
                model = registry[call.name]
                if model is not None and not call.text:  # free text is not a model's JSON
                    from pydantic import ValidationError

                    try:
                        value = model.model_validate_json(json_text.strip(_WS) or "{}")
                    except ValidationError as exc:
                        self._fail(call, exc)
                        return
        call.state = _DONE
        call.arguments = value
        self._out.append(
            ToolCallDone(call.choice, call.index, call.id, call.name, value, raw)
        )

    def _fail(self, call: _Call, exc: Exception) -> None:
        call.state = _ERROR
        call.error = exc
        if call.stream is not None and not call.stream.done:
            call.arguments = None
        self._out.append(
            ToolCallError(call.choice, call.index, call.id, call.name, call.raw(), exc)
        )

    def _after_done(self, call: _Call, text: str) -> None:
        """A fragment for a call already settled: after a Done, anything but whitespace is an error.

        Free text has no whitespace to spare: any more of it is an error.
        """
        if call.state == _DONE and (text if call.text else text.strip(_WS)):
            self._extra_data(call)

    def _extra_data(self, call: _Call) -> None:
        if call.text:
            self._fail(call, ValueError("input received after the provider said it was done"))
            return
        raw = call.raw()
        start = max(call.json_end, 0)
        offset = len(raw) - len(raw[start:].lstrip(_WS))
        line, column = _position(raw, offset)
        self._fail(
            call,
            JsonSyntaxError(
                ErrorKind.EXTRA_DATA,
                "Extra data after the arguments' JSON value closed",
                offset,
                line,
                column,
            ),
        )

    def _finish_choice(self, number: int, reason: Any) -> None:
        choice = self._choice(number)
        if choice.finished:
            return
        choice.finished = True
        reason = reason if isinstance(reason, str) else None
        for call in choice.calls:
            self._finish_call(call, reason)
        self._out.append(Finish(number, reason))

    # --- OpenAI Chat Completions --------------------------------------------------

    def _chat(self, chunk: Mapping[str, Any]) -> None:
        # The hot path of the library's most common use: SDK objects are read
        # through their __dict__ inline, and a plain fragment of a known call
        # goes straight to _feed_args.
        by_dict = _BY_DICT
        for raw in chunk.get("choices") or ():
            c = raw if type(raw) is dict else raw.__dict__ if type(raw) in by_dict else _fields(raw)
            number = c.get("index")
            if type(number) is not int:
                number = 0
            raw = c.get("delta")
            if raw is not None:
                delta = (
                    raw if type(raw) is dict else raw.__dict__ if type(raw) in by_dict
                    else _fields(raw)
                )
                content = delta.get("content")
                if content:
                    self._out.append(ContentDelta(number, content))
                entries = delta.get("tool_calls")
                if entries:
                    choice = self._choices.get(number) or self._choice(number)
                    by_key = choice.by_key
                    for raw in entries:
                        entry = (
                            raw if type(raw) is dict else raw.__dict__ if type(raw) in by_dict
                            else _fields(raw)
                        )
                        raw = entry.get("function")
                        function = (
                            raw if type(raw) is dict else raw.__dict__ if type(raw) in by_dict
                            else _EMPTY if raw is None else _fields(raw)
                        )
                        if not entry.get("id") and not function.get("name"):
                            call = by_key.get(entry.get("index"))
                            if call is not None:
                                choice.last = call
                                arguments = function.get("arguments")
                                if arguments:
                                    self._feed_args(call, arguments)
                                continue
                        self._chat_entry(choice, number, entry, function)
                elif (legacy := delta.get("function_call")) is not None:
                    # The deprecated `functions` API: one call, no id, no index.
                    choice = self._choices.get(number) or self._choice(number)
                    self._chat_entry(choice, number, {"index": 0}, _fields(legacy))
            reason = c.get("finish_reason")
            if reason:
                self._finish_choice(number, reason)

    def _chat_objects(self, choices: Any) -> None:
        """Chat choices as SDK objects: their fields read from ``__dict__``, the fastest way.

        A pydantic model's class defines ``__getattr__``, which makes every
        attribute read go through a Python-level hook; one ``__dict__`` read
        and item lookups cost less (by valgrind, 1.2k instructions for three
        fields against 1.6k), and less again when the compiled build knows
        them for dicts and lists. What a lookup cannot take (a field missing
        because the SDK built the object without validation, a dict where a
        model was expected, a tuple where a list was) sends that choice or
        entry down the generic path; every read comes before any effect, so
        nothing is done twice.
        """
        if type(choices) is not list:
            self._chat({"choices": choices})
            return
        listed: list[Any] = choices
        for raw in listed:
            try:
                fields: dict[str, Any] = raw.__dict__
                number = fields["index"]
                delta = fields["delta"]
                reason = fields["finish_reason"]
                if delta is not None:
                    fields = delta.__dict__
                    content = fields["content"]
                    found = fields["tool_calls"]
                    entries: list[Any] = found if found else _NO_ENTRIES
                    legacy = None if entries else fields["function_call"]
            except (AttributeError, KeyError, TypeError):
                self._chat({"choices": (raw,)})
                continue
            if type(number) is not int:
                number = 0
            if delta is not None:
                if content:
                    self._out.append(ContentDelta(number, content))
                if entries:
                    choice = self._choices.get(number) or self._choice(number)
                    for entry in entries:
                        try:
                            entry_fields: dict[str, Any] = entry.__dict__
                            call_id = entry_fields["id"]
                            wire = entry_fields["index"]
                            function: dict[str, Any] = entry_fields["function"].__dict__
                            name = function["name"]
                            arguments = function["arguments"]
                        except (AttributeError, KeyError, TypeError):
                            generic = _fields(entry)
                            raw_function = generic.get("function")
                            self._chat_entry(
                                choice,
                                number,
                                generic,
                                _EMPTY if raw_function is None else _fields(raw_function),
                            )
                            continue
                        if not call_id and not name:
                            call = choice.by_key.get(wire)
                            if call is not None:
                                choice.last = call
                                if arguments:
                                    self._feed_args(call, arguments)
                                continue
                        self._chat_entry(choice, number, entry_fields, function)
                elif legacy is not None:
                    choice = self._choices.get(number) or self._choice(number)
                    self._chat_entry(choice, number, {"index": 0}, _fields(legacy))
            if reason:
                self._finish_choice(number, reason)

    def _chat_entry(
        self,
        choice: _Choice,
        number: int,
        entry: Mapping[str, Any],
        function: Mapping[str, Any],
    ) -> None:
        """A tool_calls entry that may start a call, or name or identify one."""
        wire = entry.get("index")
        call_id = entry.get("id") or None
        name = function.get("name") or ""
        known = choice.by_id.get(call_id) if call_id else None
        call: _Call
        if known is not None:
            call = known
            if isinstance(wire, int):
                choice.by_key[wire] = call
        elif isinstance(wire, int):
            at_index = choice.by_key.get(wire)
            if at_index is None or (call_id and at_index.id and call_id != at_index.id):
                # A new call, or a provider that reuses an index for the next call.
                call = self._new_call(choice, number, wire, call_id, "", "function")
                choice.by_key[wire] = call
            else:
                call = at_index
        elif call_id:
            call = self._new_call(choice, number, None, call_id, "", "function")
        else:
            call = choice.last or self._new_call(choice, number, None, None, "", "function")
        if call_id and call.id is None:
            call.id = call_id
            choice.by_id[call_id] = call
        choice.last = call
        if name and not call.started and name != call.name:
            call.name += name
        arguments = function.get("arguments")
        if arguments:
            self._feed_args(call, arguments)

    # --- OpenAI Responses ---------------------------------------------------------

    def _responses(self, event: Mapping[str, Any]) -> None:
        kind = event.get("type")
        if kind in _RESPONSES_ARGS_DELTA:
            call = self._responses_call(event)
            if call is not None:
                delta = event.get("delta")
                if delta:
                    self._feed_args(call, delta)
        elif kind == "response.output_text.delta":
            delta = event.get("delta")
            if delta:
                key = (event.get("item_id"), event.get("content_index"))
                self._content.setdefault(key, []).append(delta)
                self._out.append(ContentDelta(0, delta))
        elif kind == "response.output_text.done":
            # Some servers (LM Studio) send the text only here.
            key = (event.get("item_id"), event.get("content_index"))
            text = event.get("text")
            seen = "".join(self._content.get(key, ()))
            if isinstance(text, str) and len(text) > len(seen) and text.startswith(seen):
                self._content[key] = [text]
                self._out.append(ContentDelta(0, text[len(seen) :]))
        elif kind == "response.output_item.added":
            item = _all_fields(event.get("item"))
            if item.get("type") in _RESPONSES_CALLS:
                self._responses_item(event, item)
        elif kind in _RESPONSES_ARGS_DONE:
            call = self._responses_call(event)
            if call is not None:
                self._responses_args_done(call, event.get(_RESPONSES_ARGS_DONE[kind]))
        elif kind == "response.output_item.done":
            item = _all_fields(event.get("item"))
            if item.get("type") in _RESPONSES_CALLS:
                choice = self._choice(0)
                call = choice.by_key.get(item.get("id"))
                if call is None:  # its earlier events are missing: take it whole
                    call = self._responses_item(event, item)
                self._responses_args_done(call, item.get("input" if call.text else "arguments"))
        elif kind in _RESPONSES_END:
            response = _fields(event.get("response"))
            status = response.get("status")
            reason: Any = status if isinstance(status, str) else kind[len("response.") :]
            details = response.get("incomplete_details")
            if details is not None:
                detail = _fields(details).get("reason")
                if isinstance(detail, str):
                    reason = detail
            self._finish_choice(0, reason)

    def _responses_item(self, event: Mapping[str, Any], item: Mapping[str, Any]) -> _Call:
        choice = self._choice(0)
        item_id = item.get("id")
        call = choice.by_key.get(item_id)
        if call is not None:
            return call
        kind = item.get("type")
        call_id = item.get("call_id") or (item_id if kind == "mcp_call" else None)
        name = item.get("name")
        call = self._new_call(
            choice,
            0,
            event.get("output_index"),
            call_id if isinstance(call_id, str) else None,
            name if isinstance(name, str) else "",
            "function" if kind == "function_call" else str(kind),
        )
        choice.by_key[item_id] = call
        self._start(call)
        return call

    def _responses_call(self, event: Mapping[str, Any]) -> _Call | None:
        choice = self._choice(0)
        call = choice.by_key.get(event.get("item_id"))
        if call is None:
            index = event.get("output_index")
            for candidate in choice.calls:
                if candidate.index == index:
                    return candidate
        return call

    def _responses_args_done(self, call: _Call, arguments: Any) -> None:
        if isinstance(arguments, str) and call.state == _OPEN:
            seen = call.raw()
            if arguments.startswith(seen):
                if len(arguments) > len(seen):
                    # Arguments sent only (or partly) in *.done (LM Studio).
                    self._feed_args(call, arguments[len(seen) :])
            elif call.text or arguments.strip(_WS) != seen.strip(_WS):
                what = "input differs" if call.text else "arguments differ"
                self._fail(
                    call,
                    ValueError(
                        f"the {what} in the *.done event from the deltas received:"
                        f" {arguments!r}"
                    ),
                )
                return
        self._end_args(call)

    # --- Anthropic Messages -------------------------------------------------------

    def _anthropic(self, event: Mapping[str, Any]) -> None:
        kind = event.get("type")
        if kind == "content_block_delta":
            raw_delta = event.get("delta")
            delta = raw_delta if type(raw_delta) is dict else _fields(raw_delta)
            delta_type = delta.get("type")
            if delta_type == "input_json_delta":
                choice = self._choice(0)
                block = event.get("index")
                call = choice.by_key.get(block)
                if call is None and choice.last is not None and choice.last.state == _OPEN:
                    # Recorded (vercel-ai anthropic-code-execution-pdf-skill): after a server
                    # tool result, the next block_start repeats the result's index while its
                    # deltas and stop carry the right one. The open call is the one meant.
                    call = choice.by_key[block] = choice.last
                text = delta.get("partial_json")
                if call is not None and text:
                    call.start_input = None  # the deltas, not the start block, hold the input
                    self._feed_args(call, text)
            elif delta_type == "text_delta":
                text = delta.get("text")
                if text:
                    self._out.append(ContentDelta(0, text))
        elif kind == "content_block_start":
            block = _all_fields(event.get("content_block"))
            block_type = block.get("type")
            if block_type in _ANTHROPIC_CALLS:
                choice = self._choice(0)
                call_id = block.get("id")
                name = block.get("name")
                call = self._new_call(
                    choice,
                    0,
                    event.get("index"),
                    call_id if isinstance(call_id, str) else None,
                    name if isinstance(name, str) else "",
                    str(block_type),
                )
                call.start_input = block.get("input") or None
                choice.by_key[event.get("index")] = call
                self._start(call)
            elif block_type == "text":
                text = block.get("text")
                if text:
                    self._out.append(ContentDelta(0, text))
        elif kind == "content_block_stop":
            call = self._choice(0).by_key.get(event.get("index"))
            if call is not None:
                self._end_args(call)
        elif kind == "message_delta":
            delta = _fields(event.get("delta"))
            reason = delta.get("stop_reason")
            if reason:
                self._finish_choice(0, reason)
        elif kind == "message_start":
            # Block indexes restart with each message.
            choice = self._choice(0)
            choice.by_key.clear()
            choice.finished = False
