"""Every event a midstream parser returns, and nothing else.

Events are small frozen dataclasses with slots. Don't subclass them: code
matches on the exact class (``match ev: case ValueDone(path, value): ...``).

String content arrives as deltas: joining the ``text`` of every delta for one
value gives exactly the final value. A parser emits at most one delta per value
per ``feed()`` call, so the number of events follows the number of chunks and
values, not the number of characters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal, TypeAlias, TypeVar, cast

from ._types import JSONValue, Path

__all__ = [
    "BadRecord",
    "CodeBlockDone",
    "CodeBlockStart",
    "CodeDelta",
    "ContentDelta",
    "Event",
    "FieldInvalid",
    "FieldValidated",
    "Finish",
    "ItemInvalid",
    "JsonEvent",
    "ObjectAbandoned",
    "ObjectDone",
    "ProviderError",
    "ReasoningDelta",
    "RefusalDelta",
    "ServerSentEvent",
    "StringDelta",
    "TextDelta",
    "ToolArgumentsDelta",
    "ToolCallDone",
    "ToolCallError",
    "ToolCallStart",
    "Truncated",
    "Usage",
    "ValueDone",
    "ValueKind",
    "ValueStart",
]

#: The kinds of JSON value, as :class:`ValueStart` reports them.
ValueKind: TypeAlias = Literal["object", "array", "string", "number", "true", "false", "null"]


class Event:
    """Base of every event; carries nothing."""

    __slots__ = ()


_E = TypeVar("_E", bound=Event)


def fast_constructor(cls: type[_E]) -> Callable[..., _E]:
    """A faster ``cls(*fields)`` for the parsers' hot loops; the events are equal.

    A frozen dataclass's ``__init__`` stores each field through
    ``object.__setattr__`` looked up by name, which costs more than all the
    rest a parser does for an event. The constructor returned here is a
    private unfrozen class with the same slots: its ``__init__`` stores the
    fields with plain attribute stores, then gives the object ``cls`` as its
    class (an assignment CPython allows between two types of one layout, and
    checks). The object is then a ``cls`` in every way, frozen included.
    Measured with valgrind on CPython 3.11: 2.2k instructions an event, against
    4.5k for the dataclass's ``__init__``.

    Should the layouts ever differ (another Python, a changed event), the
    class's own constructor is returned instead: slower, never wrong.
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    args = ", ".join(names)
    stores = "".join(f"    self.{name} = {name}\n" for name in names)
    namespace: dict[str, Any] = {"cls": cls}
    # Generated, as dataclasses generates its __init__: a store needs its name in the code.
    exec(f"def __init__(self, {args}):\n{stores}    self.__class__ = cls\n", namespace)
    fields_of_cls = type(
        f"_{cls.__name__}Fields",
        (Event,),
        {"__slots__": names, "__init__": namespace["__init__"], "__module__": __name__},
    )
    try:
        probe = fields_of_cls(*range(len(names)))
    except TypeError:  # the layouts differ
        return cls
    if type(probe) is not cls or probe != cls(*range(len(names))):  # pragma: no cover
        return cls
    return cast("Callable[..., _E]", fields_of_cls)


# --- JSON values (JsonStream) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ValueStart(Event):
    """A value began at ``path``.

    For a string this comes with its opening quote; for a number or a literal
    with its first character. ``kind`` is one of :data:`ValueKind`.
    """

    path: Path
    kind: ValueKind


@dataclass(frozen=True, slots=True)
class StringDelta(Event):
    """New characters of the string value at ``path``, escapes already decoded.

    Joining the deltas of one value gives its final text. A delta is never held
    back longer than an unfinished escape (or a high surrogate waiting for its
    low half) needs.
    """

    path: Path
    text: str


@dataclass(frozen=True, slots=True)
class ValueDone(Event):
    """The value at ``path`` is complete.

    ``value`` is the decoded value; for an object or array it is the whole
    container. Emitted exactly once per value, in the ``feed()`` call that
    brings its last character; a number, whose end only the next character
    shows, is done with that character (or at ``close()`` at the root).
    """

    path: Path
    value: JSONValue


#: The events of :class:`~midstream.JsonStream`.
JsonEvent: TypeAlias = "ValueStart | StringDelta | ValueDone"


# --- Pydantic validation (ModelStream) ----------------------------------------


@dataclass(frozen=True, slots=True)
class FieldValidated(Event):
    """The value at ``path`` completed and validated; ``value`` is the validated value."""

    path: Path
    value: Any


@dataclass(frozen=True, slots=True)
class FieldInvalid(Event):
    """The value at ``path`` failed validation (when it completed, or early: see the README).

    ``errors`` are pydantic's error dicts, their ``loc`` rooted at the model.
    ``cause`` is None when the event reports errors of its own; on a container
    whose errors all come from values inside it that were reported already,
    it is the path of the first of those (the leaf, not a container between):
    one bad leaf gives one ``FieldInvalid`` with ``cause=None``, and one per
    container around it with ``cause`` naming the leaf.
    """

    path: Path
    errors: list[dict[str, Any]]
    cause: Path | None = None


# --- Tool calls (ToolCallAssembler) -------------------------------------------


@dataclass(frozen=True, slots=True)
class ToolCallStart(Event):
    """A tool call began: its id and function name are known."""

    choice: int
    index: int
    id: str | None
    name: str


@dataclass(frozen=True, slots=True)
class ToolArgumentsDelta(Event):
    """A fragment of a call's arguments: the raw ``text`` and its parsed JSON ``events``."""

    choice: int
    index: int
    text: str
    events: list[JsonEvent]


@dataclass(frozen=True, slots=True)
class ToolCallDone(Event):
    """A call's arguments closed and parsed (and validated, when a model is registered).

    ``arguments`` is the decoded dict, or the validated model instance;
    ``raw`` is the arguments text as received. ``provider_data`` holds the
    fields the provider attached to the call that the next request must send
    back beside it, as the provider gave them (None when there are none):
    Gemini's ``{"thought_signature": ...}`` (bytes from the google-genai SDK,
    base64 text from the wire), or from Gemini's OpenAI-compatible endpoint
    ``{"extra_content": {"google": {"thought_signature": ...}}}``. It is the
    last field and defaults to None, so code that builds or matches
    ``ToolCallDone`` by position is unchanged.
    """

    choice: int
    index: int
    id: str | None
    name: str
    arguments: Any
    raw: str
    provider_data: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ToolCallError(Event):
    """A call's arguments are not valid JSON, failed validation, or were cut off.

    ``raw`` keeps the text received; ``error`` says what is wrong.
    """

    choice: int
    index: int
    id: str | None
    name: str
    raw: str
    error: Exception


@dataclass(frozen=True, slots=True)
class ContentDelta(Event):
    """Ordinary assistant text of choice ``choice``."""

    choice: int
    text: str


@dataclass(frozen=True, slots=True)
class Finish(Event):
    """Choice ``choice`` finished; ``reason`` is the provider's (``"stop"``, ``"length"``, ...)."""

    choice: int
    reason: str | None


@dataclass(frozen=True, slots=True)
class RefusalDelta(Event):
    """A piece of the model's refusal to answer (Structured Outputs ``refusal``).

    A refusal is a normal outcome, not broken output: it comes instead of the
    content (Chat Completions ``delta.refusal``, Responses
    ``response.refusal.delta``), and joining the ``text`` of every
    ``RefusalDelta`` of a choice gives the whole refusal.
    """

    choice: int
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta(Event):
    """A piece of the model's reasoning (thinking) text: never part of the content."""

    choice: int
    text: str


@dataclass(frozen=True, slots=True)
class Usage(Event):
    """Token usage the provider reported for the response, and the model that answered.

    ``input_tokens`` and ``output_tokens`` are the provider's prompt and
    completion counts under one name for every wire format (None when it did not
    say); ``raw`` is the provider's usage object as a dict, with whatever
    details it carries (cached or reasoning tokens).
    """

    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    model: str | None
    raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ProviderError(Event):
    """The provider reported an error in the stream (an ``error`` event, ``response.failed``).

    ``type`` and ``code`` are the provider's (``"overloaded_error"``,
    ``"server_error"``, ...), ``message`` its text. What was delivered before
    it stands; the choice then ends in :class:`Truncated`.
    """

    type: str | None
    code: str | None
    message: str


# --- Markdown code blocks (CodeBlocks) and text between objects ---------------


@dataclass(frozen=True, slots=True)
class TextDelta(Event):
    """Text outside code blocks (CodeBlocks) or between objects (ObjectExtractor)."""

    text: str


@dataclass(frozen=True, slots=True)
class CodeBlockStart(Event):
    """A fenced code block opened.

    ``lang`` is the first word of the info string, or None; ``fence`` is the
    raw opening fence line, line ending included.
    """

    index: int
    lang: str | None
    info: str
    fence: str


@dataclass(frozen=True, slots=True)
class CodeDelta(Event):
    """Content of block ``index``; the ``text`` of a block's deltas joins to its ``code``.

    ``raw`` is the same lines as they were in the input: with the block-quote
    markers, list indentation and fence indentation that ``text`` drops
    (equal to ``text`` for a block at the top level). Joining, in event order,
    ``TextDelta.text``, ``CodeBlockStart.fence``, ``CodeDelta.raw`` and
    ``CodeBlockDone.fence`` gives back the whole input. ``events`` are the
    JSON events that ``text`` completes, for a ``json`` block when
    ``CodeBlocks(json=True)``; otherwise empty.
    """

    index: int
    text: str
    raw: str
    events: list[JsonEvent]


@dataclass(frozen=True, slots=True)
class CodeBlockDone(Event):
    """A code block ended.

    ``closed`` is False when the block ended without a closing fence (the
    text, or the list item or block quote holding it, ended); ``fence`` is the
    raw closing fence line, line ending included ("" when not closed).
    ``error`` is the JSON error of a ``json`` block parsed with
    ``CodeBlocks(json=True)`` (invalid, or unfinished when the block ended);
    otherwise None.
    """

    index: int
    lang: str | None
    info: str
    code: str
    closed: bool
    fence: str
    error: Exception | None


# --- Many objects in one stream (ObjectExtractor) -----------------------------


@dataclass(frozen=True, slots=True)
class ObjectDone(Event):
    """A complete JSON value found in the stream, at ``text[start:end]``."""

    index: int
    value: Any
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class BadRecord(Event):
    """A record that is not valid JSON; its raw ``text`` is kept and extraction goes on."""

    index: int
    text: str
    error: Exception
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ObjectAbandoned(Event):
    """A candidate whose field events were passed on turned out not to be JSON.

    From ``ObjectExtractor(fields=True)`` in auto mode: forget the field
    events under ``index``, which the next value uses again. The candidate's
    text comes as text; ``error`` says where and why its parse failed.

    From :func:`stream_events` (``index`` 0, ``start`` and the error's offsets
    in the choice's content): without ``model``, content that began like JSON
    and stopped being JSON (its events so far stay, nothing more is parsed);
    with ``model``, a candidate value given up, whose events are withdrawn.
    """

    index: int
    start: int
    error: Exception


@dataclass(frozen=True, slots=True)
class ItemInvalid(Event):
    """An object or array item that did not validate into the requested model."""

    index: int
    value: Any
    errors: list[dict[str, Any]]


# --- Server-sent events (SSEDecoder) ------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerSentEvent(Event):
    """One dispatched server-sent event, per the WHATWG rules."""

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None


# --- The end of a provider stream (stream_events) ------------------------------


@dataclass(frozen=True, slots=True)
class Truncated(Event):
    """Choice ``choice`` ended before its output was complete.

    ``reason`` is the provider's finish reason when it stopped the output
    (``"length"``, ``"max_tokens"``, ``"max_output_tokens"``,
    ``"content_filter"``, ``"failed"``, ...), ``"error"`` when the stream
    ended after a :class:`ProviderError` without saying that the choice
    finished, or None when it ended without either. ``partial`` is what the content
    holds so far: the JSON value (``JsonStream.snapshot()``) or the model's
    partial instance (``ModelStream.partial``) when the content was parsed, or
    None. What was unfinished never gets its ``ValueDone``; tool calls left
    unfinished end in :class:`ToolCallError`.
    """

    choice: int
    reason: str | None
    partial: Any
