"""The public :class:`ToolCallAssembler`: events in, each to its wire format's reader."""

from __future__ import annotations

import json
from typing import Any, Final

from .._compat import mypyc_attr
from .._events import Event
from .._options import check_limit
from ._chat import ChatReader
from ._fields import Fields
from ._reader import Reader
from ._readers import FORMATS, READERS, Format, detect
from ._records import DEFAULT_MAX_ARGUMENTS_LENGTH, ToolCall, ToolsArg, tool_registry
from ._responses import ResponsesReader
from ._table import CallTable

#: What :meth:`ToolCallAssembler.hot` says an event's string is (the key's first item).
_CHAT_ARGUMENTS: Final = 0
_RESPONSES_TEXT: Final = 1

__all__ = ["ToolCallAssembler"]


@mypyc_attr(allow_interpreted_subclasses=True)
class ToolCallAssembler:
    """Reassembles streamed tool calls and parses their arguments as they arrive.

    Feed it every event of one response, in order: OpenAI Chat Completions
    chunks, Responses API events, Anthropic Messages events (also Bedrock
    InvokeModel's ``{"chunk": {"bytes": ...}}``), Gemini ``generateContent``
    chunks, OpenAI Realtime server events, Bedrock ConverseStream events,
    Ollama ``/api/chat`` lines or Cohere v2 chat events, as SDK objects, dicts,
    or the JSON text of an SSE ``data:`` line or NDJSON line (``"[DONE]"`` is
    ignored).
    Each call yields :class:`ToolCallStart`, :class:`ToolArgumentsDelta` per
    arguments fragment (with the core's JSON events for it), then exactly one of
    :class:`ToolCallDone` or :class:`ToolCallError`; only text that follows a
    closed JSON value brings a :class:`ToolCallError` after the Done. Ordinary
    text comes as :class:`ContentDelta`, the end of a choice as :class:`Finish`.
    Beside the calls: a Structured Outputs refusal comes as
    :class:`RefusalDelta`, reasoning (thinking) text as :class:`ReasoningDelta`
    (never as content), the provider's token counts as one :class:`Usage` per
    response, and an error the provider reports in the stream as
    :class:`ProviderError`, before the choice's :class:`Finish` (if any).
    Events of other kinds (citations, signatures, server tool results) are ignored.

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
                ``mcp_call``), reported in the ``feed()`` that starts the
                call, right after its :class:`ToolCallStart`: its arguments,
                whatever comes, give no more events (they are kept in the
                record's ``raw``). A custom tool's input is text: a model
                under its name is given the text itself, a ``str``, so a
                ``RootModel[str]`` (with its constraints) validates it and a
                model of fields ends the call in :class:`ToolCallError` with
                pydantic's "Input should be a valid dictionary" (Responses
                ``{"type": "custom", "name": ...}`` definitions register the
                name, keeping a model given for it). None (the default): no
                validation, any name.
            format: ``"auto"`` (default) tells the format of each event by its
                shape (each reader of ``_readers.READERS`` is asked in turn; an
                event of no known format is ignored). A format's name (``"chat"``, ``"realtime"``,
                ``"responses"``, ``"anthropic"``, ``"gemini"``, ``"bedrock"``,
                ``"ollama"``, ``"cohere"``) reads every event as that format.
            max_arguments_length: the longest arguments text of one call; a
                longer one ends in :class:`ToolCallError` with a
                :class:`LimitExceededError`.

        Raises:
            ValueError: an unknown ``format`` or a limit below 1.
            TypeError: ``tools`` holds something that is not a model or a tool definition.
        """
        if format not in FORMATS:
            allowed = ", ".join(map(repr, FORMATS))
            raise ValueError(f"format must be one of {allowed}; got {format!r}")
        check_limit("max_arguments_length", max_arguments_length)
        self._table = table = CallTable(tool_registry(tools), max_arguments_length)
        self._fields = fields = Fields()
        #: Every format's reader, in the order detection asks them.
        self._readers: list[Reader] = [reader(table, fields) for reader in READERS.values()]
        #: The reader of every event with a fixed ``format``; None for "auto".
        self._fixed: Reader | None = None
        if format != "auto":
            self._fixed = self._readers[list(READERS).index(format)]
        chat = self._readers[list(READERS).index("chat")]
        responses = self._readers[list(READERS).index("responses")]
        assert isinstance(chat, ChatReader) and isinstance(responses, ResponsesReader)
        #: The readers of the events :meth:`feed_hot` reads.
        self._chat = chat
        self._responses = responses
        self._closed = False

    # --- public -----------------------------------------------------------------

    def feed(self, event: Any, /) -> list[Event]:
        """Take one stream event; return the events it completes, in order.

        Args:
            event: a Chat Completions chunk, a Responses or Anthropic stream
                event: SDK object, dict, or the JSON text of the SSE data.

        Returns:
            :class:`ToolCallStart`, :class:`ToolArgumentsDelta`,
            :class:`ToolCallDone`, :class:`ToolCallError`, :class:`ContentDelta`,
            :class:`ReasoningDelta`, :class:`Usage`, :class:`ProviderError`
            and :class:`Finish` events.

        Raises:
            RuntimeError: after :meth:`close`.
            TypeError: ``event`` is neither a mapping nor an SDK object.
            ValueError: ``event`` is text that is not JSON.
        """
        if self._closed:
            raise RuntimeError("ToolCallAssembler.feed() after close()")
        out: list[Event] = []
        self._table.out = out
        if type(event) is dict:
            fields: dict[str, Any] | None = event
        elif type(event) is self._fields.last:  # the SDK's event class, seen before
            fields = event.__dict__
            # What the SDK's class does not declare (an error beside the choices,
            # an error event of a type it has no class for) is in its extras.
            extra = getattr(event, "__pydantic_extra__", None)
            if extra:
                fields = {**extra, **fields}
        elif isinstance(event, (str, bytes)):
            fields = _decode(event)
        else:
            fields = self._fields.with_extra(event)
        if fields is None:
            return out
        reader = self._fixed
        if reader is None:
            reader = detect(self._readers, fields)
            if reader is None:
                return out
        reader.read(fields)
        return out

    def hot(self, event: dict[str, Any], /) -> tuple[tuple[int, Any, Any], str] | None:
        """Where a decoded event's one varying string goes, and the string; None if nowhere.

        A Chat Completions chunk that is only one more fragment of a call's
        arguments, or a Responses output text delta: for the raw-response
        path, which gives a later event that differs only in that string to
        :meth:`feed_hot` without decoding it. Neither depends on the string
        but through its being non-empty, nor on the event's ``obfuscation``
        or ``sequence_number``.
        """
        reader = self._fixed if self._fixed is not None else detect(self._readers, event)
        if type(reader) is ChatReader:
            fragment = reader.fragment_of(event)
            if fragment is not None:
                return (_CHAT_ARGUMENTS, fragment[0], fragment[1]), fragment[2]
        elif type(reader) is ResponsesReader:
            text = reader.text_of(event)
            if text is not None:
                return (_RESPONSES_TEXT, text[0], text[1]), text[2]
        return None

    def feed_hot(self, key: tuple[int, Any, Any], text: str, /) -> list[Event] | None:
        """:meth:`feed` of an event :meth:`hot` told ``key`` of, with ``text`` as its string.

        None where :meth:`feed` would read it otherwise (closed, the call not
        known yet): the caller feeds the event itself.
        """
        if self._closed:
            return None
        out: list[Event] = []
        self._table.out = out
        kind, first, second = key
        if kind == _CHAT_ARGUMENTS:
            return out if self._chat.feed_fragment(first, second, text) else None
        self._responses.feed_text(first, second, text)
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
        out: list[Event] = []
        self._table.out = out
        self._table.close()
        return out

    @property
    def tool_calls(self) -> list[ToolCall]:
        """Every call so far, in order of first appearance, as :class:`ToolCall` records."""
        return self._table.records()


def _decode(text: str | bytes) -> dict[str, Any] | None:
    """The fields of an event given as the JSON text of an SSE ``data:`` line; None for none."""
    text = text.strip()
    if not text or text in ("[DONE]", b"[DONE]"):
        return None
    try:
        fields = json.loads(text)
    except RecursionError:
        raise ValueError(f"event text nested too deeply to decode: {text!r:.80}") from None
    if not isinstance(fields, dict):
        raise ValueError(f"expected a JSON object for an event, got {text!r:.80}")
    return fields
