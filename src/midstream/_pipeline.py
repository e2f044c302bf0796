"""The sans-I/O policy behind `stream_events`: provider events in, midstream events out.

A :class:`ProviderPipeline` takes what a provider's stream yields (SDK objects
or dicts of any wire format the :class:`~midstream.ToolCallAssembler` reads),
and returns tool-call, content and finish events, with the content of one
choice parsed as JSON (``JsonStream``) or validated (``ModelStream``) on the
way. It does no I/O: the adapters (``_adapters``) and the CLI drive it.

How the content is read is one of three small readers, chosen once:

* :class:`_Whole` (``json=True``, or a model with ``json=True``): the content
  must be exactly one JSON value.
* :class:`_Leading` (``json=None`` without a model): content that starts with
  ``{`` or ``[`` is parsed up to the end of that value; what follows is text.
  Content that stops being JSON is left as text, with an
  :class:`~midstream.ObjectAbandoned` event.
* :class:`_Found` (a model, ``json=None``): the first JSON object or array in
  the content, found by :class:`~midstream.ObjectExtractor` (so in a ```json
  fence, after a sentence, or as the whole content), validated by a
  ``ModelStream`` fed as the text arrives.
Only :class:`ContentDelta` text reaches the content parser: reasoning
(:class:`ReasoningDelta`), :class:`Usage` and :class:`ProviderError` pass
through as they come.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import Any, Final

from ._errors import ErrorKind, LimitExceededError, ParseError
from ._events import (
    ContentDelta,
    Event,
    Finish,
    ObjectAbandoned,
    ObjectDone,
    ProviderError,
    RefusalDelta,
    TextDelta,
    Truncated,
    fast_constructor,
)
from ._json_stream import JsonStream
from ._tool_calls import TRUNCATION_REASONS, Format, ToolCallAssembler, ToolsArg

__all__ = ["CUT_REASONS", "HotKey", "ProviderPipeline"]


#: Finish reasons that mean the provider stopped the output before the model
#: finished it: token limits (:data:`~midstream._tool_calls.TRUNCATION_REASONS`),
#: OpenAI ``content_filter``, Responses ``failed``/``incomplete``/``cancelled``,
#: Anthropic ``refusal`` (a classifier stopped the stream) and ``pause_turn``,
#: and the ``abort``/``error`` of some OpenAI-compatible servers (vLLM).
#: Bedrock ``guardrail_intervened``/``content_filtered``; Cohere ``ERROR``/``TIMEOUT``.
CUT_REASONS: Final = TRUNCATION_REASONS | frozenset(
    {
        "content_filter", "failed", "incomplete", "cancelled", "refusal", "pause_turn",
        "abort", "error",
    }
) | frozenset(
    # Gemini finishReason (and promptFeedback.blockReason) values other than STOP:
    # every one of them stops the answer before the model ended it.
    {
        "FINISH_REASON_UNSPECIFIED", "SAFETY", "RECITATION", "LANGUAGE", "OTHER",
        "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "MALFORMED_FUNCTION_CALL",
        "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_OTHER", "NO_IMAGE",
        "IMAGE_RECITATION", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS",
        "MISSING_THOUGHT_SIGNATURE", "MALFORMED_RESPONSE",
    }
) | frozenset({"guardrail_intervened", "content_filtered", "ERROR", "TIMEOUT"})

#: What JSON allows before a value.
_JSON_BLANKS: Final = " \t\n\r"

# --- the commonest chunk (see ProviderPipeline._plain_delta) ---------------------------------

_content_delta: Final[Callable[[int, str], ContentDelta]] = fast_constructor(ContentDelta)

#: What :meth:`ProviderPipeline.hot_string` says of a chunk's string: whose it is,
#: and where it goes there (the choice; the assembler's own key).
HotKey = tuple[int, Any]
#: The string is one piece of the choice's content.
_CONTENT: Final = 0
#: The string is the assembler's to read (see ToolCallAssembler.hot).
_ASSEMBLER: Final = 1


def _about_content(exc: ParseError, choice: int, before: list[Event]) -> ParseError:
    """``exc`` of the content's parser, saying that it is about the content of ``choice``.

    Its ``events`` are all the events of the failing call before the error
    (``before``: the content delta and the events that came before it), so
    nothing delivered is lost.
    """
    error = type(exc)(
        exc.kind, f"content of choice {choice}: {exc.msg}", exc.offset, exc.line, exc.column
    )
    error.events = [*before, *exc.events]
    return error


class _Verdict(Exception):
    """A reader's ``finish()`` found events and then a failed verdict: deliver, then raise."""

    def __init__(self, events: list[Event], error: Exception) -> None:
        super().__init__(error)
        self.events = events
        self.error = error


class _Reader:
    """How one choice's content is read: text in, JSON (and validation) events out.

    A base class, not a Protocol, so that the compiled build calls its
    subclasses' methods directly (a Protocol's are looked up by name per call).
    """

    def feed(self, text: str) -> list[Event]:
        """Events for the next piece of content. Raises ParseError (offsets in the content)."""
        raise NotImplementedError

    def finish(self) -> list[Event]:
        """The choice finished normally: the last events, or why the content is not right."""
        raise NotImplementedError

    def partial(self) -> Any:
        """The value so far, for :class:`Truncated`; None if there is none."""
        raise NotImplementedError


def _partial_of(parser: Any) -> Any:
    if parser is None:
        return None
    if isinstance(parser, JsonStream):
        return parser.snapshot()
    return parser.partial  # ModelStream


def _model_stream(model: Any) -> Any:
    from ._pydantic import ModelStream

    return ModelStream(model)


class _Whole(_Reader):
    """The content must be exactly one JSON value (``json=True``)."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._parser: Any = None

    def feed(self, text: str) -> list[Event]:
        parser = self._parser
        if parser is None:
            parser = self._parser = (
                JsonStream() if self._model is None else _model_stream(self._model)
            )
        events: list[Event] = parser.feed(text)
        return events

    def finish(self) -> list[Event]:
        if self._parser is None:
            # JSON was required and none came: an empty parser's close() says so.
            return list(JsonStream().close())
        events: list[Event] = self._parser.close()
        return events

    def partial(self) -> Any:
        return _partial_of(self._parser)


class _Leading(_Reader):
    """``json=None`` without a model: the value the content starts with, if it starts like one.

    Content whose first non-blank character is ``{`` or ``[`` is parsed up to
    the end of that value; what follows it is text. If it stops being JSON, the
    events so far stay valid, an :class:`ObjectAbandoned` says so, and the rest
    is text (``error`` keeps the reason).
    """

    def __init__(self) -> None:
        self._parser: JsonStream | None = None
        self._blanks: list[str] = []  # leading blanks, fed with the value so offsets hold
        self._start = 0
        self._stopped = False
        self.error: ParseError | None = None

    def feed(self, text: str) -> list[Event]:
        if self._stopped:
            return []
        parser = self._parser
        if parser is None:
            head = text.lstrip(_JSON_BLANKS)
            if not head:
                self._blanks.append(text)  # undecided yet, and insignificant to JSON
                return []
            if head[0] not in "{[":
                self._stopped = True
                return []
            blanks = "".join(self._blanks)
            self._blanks = []
            self._start = len(blanks) + len(text) - len(head)
            text = blanks + text
            parser = self._parser = JsonStream()
        try:
            events, _used = parser.feed_until_done(text)
        except ParseError as exc:
            # Not JSON after all: it stays plain content, and the events say so.
            self.error = exc
            self._stopped = True
            return [*exc.events, ObjectAbandoned(0, self._start, exc)]
        out: list[Event] = list(events)
        if parser.done:
            out += parser.close()
            self._stopped = True  # what follows the JSON value is plain text
        return out

    def finish(self) -> list[Event]:
        if self._parser is None or self._stopped:
            return []
        return list(self._parser.close())

    def partial(self) -> Any:
        return _partial_of(self._parser)


class _Text:
    """The content so far in its pieces, sliced by content offset at the cost of the slice."""

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._starts: list[int] = []
        self.total = 0

    def append(self, text: str) -> None:
        self._pieces.append(text)
        self._starts.append(self.total)
        self.total += len(text)

    def slice(self, a: int, b: int) -> str:
        if a >= b:
            return ""
        i = bisect_right(self._starts, a) - 1
        parts: list[str] = []
        starts, pieces = self._starts, self._pieces
        while i < len(pieces) and starts[i] < b:
            piece = pieces[i]
            parts.append(piece[max(a - starts[i], 0) : b - starts[i]])
            i += 1
        return "".join(parts)

    def whole(self) -> str:
        return "".join(self._pieces)


#: States of :class:`_Found`.
_BLANK: Final = 0  # only blanks so far
_DIRECT: Final = 1  # the content starts with a bracket: its value, read directly
_FINDING: Final = 2  # the extractor looks for the value
_FOUND: Final = 3  # the value is complete: the rest is text


class _Found(_Reader):
    """A model with ``json=None``: the first JSON object or array in the content is the value.

    Finding it is :class:`~midstream.ObjectExtractor`'s job (auto mode: it
    holds back, from the first bracket on, only what may still be a value, and
    never parses a bracket twice without need), so a ```json fence, a sentence
    before or after the value, or the bare value all work. The text that the
    extractor holds back starts at a candidate value: a ``ModelStream`` is fed
    that text as it arrives, so fields validate while they stream. A candidate
    given up after its events were passed on gets an :class:`ObjectAbandoned`
    (its events are withdrawn; the next candidate uses index 0 again), and the
    one found is the value: what follows it is text. Content with no object or
    array at all must be one JSON value as a whole (a scalar model), read at
    the end.

    Content that starts with ``{`` or ``[`` (after blanks) is read directly,
    without the extractor, so plain JSON costs what ``json=True`` costs and
    gives the same events. Only if that value stops being JSON (or is left
    open at the end) does the extractor start, once, on the content so far.
    """

    def __init__(self, model: Any) -> None:
        self._model = model
        self._state = _BLANK
        self._finder: Any = None  # ObjectExtractor, while _FINDING
        self._text = _Text()
        self._decided = 0  # content before this is text (the extractor said so)
        self._lines = 0  # newlines in the decided text
        self._line_start = 0  # where the last line of the decided text begins
        self._parser: Any = None  # ModelStream of the candidate at _start
        self._start = 0
        self._line = 1  # line and column of _start
        self._column = 1
        self._fed = 0  # the candidate has read the content up to here
        self._ended_early = False  # its feed() saw text after the value: no close()

    def feed(self, text: str) -> list[Event]:
        state = self._state
        if state == _FOUND:
            return []  # the value is complete: the rest is text
        self._text.append(text)
        out: list[Event] = []
        if state == _BLANK:
            head = text.lstrip(_JSON_BLANKS)
            if not head:
                return out
            if head[0] not in "{[":
                self._find(out)
                return out
            self._state = _DIRECT
            start = self._text.total - len(head)
            blanks = self._text.slice(0, start)
            self._decide(blanks)
            self._candidate(start, out)
        if self._state == _DIRECT:
            self._direct(text, out)
        else:
            self._take(self._finder.feed(text), out)
            if self._state == _FINDING:
                self._follow(out)
        return out

    # --- the direct path ---------------------------------------------------------------

    def _direct(self, text: str, out: list[Event]) -> None:
        """Feed the content's leading value what it has not read (usually ``text``)."""
        parser = self._parser
        first = self._fed == self._start
        end = self._text.total
        piece = text if self._fed == end - len(text) else self._text.slice(self._fed, end)
        try:
            out += parser.feed(piece)
        except ParseError as exc:
            if exc.kind is ErrorKind.EXTRA_DATA:  # the value ended in this piece; text follows
                out += exc.events
                self._state = _FOUND
                self._ended_early = True
                return
            # Not JSON after all (or past a limit, which the extractor applies too):
            # withdraw what it showed, and look for the value.
            self._parser = None
            if not first:
                out.append(ObjectAbandoned(0, self._start, self._rebased(exc)))
            self._find(out)
            return
        self._fed = end
        if parser.done:
            self._state = _FOUND

    # --- the extractor's path ------------------------------------------------------------

    def _find(self, out: list[Event], follow: bool = True) -> None:
        """Start the extractor on the content so far (once: the direct path gave up).

        ``follow``: feed the candidate it holds (not at the end, where its
        ``close()`` decides that candidate at once).
        """
        from ._objects import ObjectExtractor

        self._state = _FINDING
        self._finder = ObjectExtractor()
        self._decided = self._lines = self._line_start = 0
        self._take(self._finder.feed(self._text.whole()), out)
        if follow and self._state == _FINDING:
            self._follow(out)

    def _take(self, events: list[Event], out: list[Event], final: bool = False) -> None:
        for ev in events:
            if type(ev) is TextDelta:
                self._decide(ev.text)
            elif type(ev) is ObjectDone:
                self._value(ev.start, ev.end, out, final)
                return

    def _decide(self, text: str) -> None:
        newlines = text.count("\n")
        if newlines:
            self._lines += newlines
            self._line_start = self._decided + text.rfind("\n") + 1
        self._decided += len(text)

    def _candidate(self, start: int, out: list[Event], final: bool = False) -> Any:
        """The ModelStream of the candidate at ``start`` (a new one if it is not the current)."""
        if self._parser is not None and self._start == start:
            return self._parser
        if self._parser is not None:
            self._abandon(out, final)
        self._parser = _model_stream(self._model)
        self._start = self._fed = start
        self._line = self._lines + 1
        self._column = start - self._line_start + 1
        return self._parser

    def _feed(self, parser: Any, end: int) -> list[Event]:
        try:
            events: list[Event] = parser.feed(self._text.slice(self._fed, end))
        except ParseError as exc:
            # Not a syntax error (the extractor reads the same grammar and keeps
            # this candidate): a limit of the model's parser. About the content.
            raise self._rebased(exc) from None
        self._fed = end
        return events

    def _follow(self, out: list[Event]) -> None:
        """Feed the candidate the extractor still holds, if any."""
        if self._decided >= self._text.total:
            if self._parser is not None:
                self._abandon(out)
            return
        parser = self._candidate(self._decided, out)
        out += self._feed(parser, self._text.total)

    def _value(self, start: int, end: int, out: list[Event], final: bool = False) -> None:
        """The extractor found the value at ``[start, end)``: validate it; the rest is text."""
        parser = self._candidate(start, out, final)
        out += self._feed(parser, end)
        self._state = _FOUND
        self._finder = None
        self._text = _Text()  # nothing more to slice

    def _abandon(self, out: list[Event], final: bool = False) -> None:
        """The current candidate is not JSON: say so, with where and why its parse fails.

        ``final``: the content has ended, so a candidate still open fails there.
        """
        parser, start = self._parser, self._start
        self._parser = None
        end = self._text.total
        try:
            parser.feed(self._text.slice(self._fed, end))
            if final:
                parser.close()
        except ParseError as exc:
            error = self._rebased(exc)
        else:  # the extractor's own length limit, not a syntax error
            from ._objects import DEFAULT_MAX_OBJECT_LENGTH

            error = LimitExceededError(
                ErrorKind.SIZE_LIMIT,
                f"Object longer than max_object_length={DEFAULT_MAX_OBJECT_LENGTH} characters",
                end, self._line, self._column + end - start,
            )
        out.append(ObjectAbandoned(0, start, error))

    def _rebased(self, exc: ParseError) -> ParseError:
        """``exc`` of the candidate's parser, with offsets in the whole content."""
        column = exc.column + self._column - 1 if exc.line == 1 else exc.column
        error = type(exc)(
            exc.kind, exc.msg, self._start + exc.offset, self._line + exc.line - 1, column
        )
        error.events = exc.events
        return error

    # --- the end ---------------------------------------------------------------------------

    def finish(self) -> list[Event]:
        from pydantic import ValidationError  # imported already: a model is in use

        out: list[Event] = []
        try:
            return self._finish(out)
        except ParseError as exc:
            exc.events = [*out, *exc.events]  # what this call found before the error
            raise
        except ValidationError as exc:  # the model's verdict on a value found just now
            if not out:
                raise
            raise _Verdict(out, exc) from None

    def _finish(self, out: list[Event]) -> list[Event]:
        unfinished: ParseError | None = None
        if self._state == _DIRECT:
            # The content's value was left open: a value closed inside it may be the one.
            try:
                out += self._parser.close()
            except ParseError as exc:
                unfinished = self._rebased(exc)
                self._parser = None
                out.append(ObjectAbandoned(0, self._start, unfinished))
                self._find(out, follow=False)
            else:  # cannot happen: an open object or array never closes at the end
                self._state = _FOUND
                return out
        if self._state == _FINDING:
            # The extractor decides what it held: a candidate open at the end fails
            # there, and a value that closed inside it is found now.
            self._take(self._finder.close(), out, final=True)
        parser = self._parser
        if parser is not None:
            # The value found (its verdict: pydantic.ValidationError if it failed),
            # or a candidate still open at the end with none found: unfinished JSON.
            if self._ended_early:
                parser.value  # noqa: B018 - raises the verdict; close() would repeat the extra data
                return out
            try:
                out += parser.close()
            except ParseError as exc:
                raise self._rebased(exc) from None
            return out
        if unfinished is not None:
            raise unfinished
        # No object or array in the content: it must be one JSON value (a scalar model).
        whole = _model_stream(self._model)
        try:
            return [*out, *whole.feed(self._text.whole()), *whole.close()]
        except ParseError as exc:
            error = type(exc)(
                exc.kind, f"no JSON object or array found, nor one JSON value: {exc.msg}",
                exc.offset, exc.line, exc.column,
            )
            error.events = exc.events
            raise error from None

    def partial(self) -> Any:
        return _partial_of(self._parser)


class ProviderPipeline:
    """Provider events in; tool calls, content, and the content's fields out (sans-I/O)."""

    def __init__(
        self,
        *,
        model: Any,
        json: bool | None,
        tools: ToolsArg,
        choice: int,
        keep_text: bool,
        format: Format = "auto",
    ) -> None:
        self._calls = ToolCallAssembler(tools=tools, format=format)
        #: which plain text chunks :meth:`_plain_delta` may read (none once closed)
        self._plain_chat = format == "auto" or format == "chat"
        self._plain_anthropic = format == "auto" or format == "anthropic"
        self._choice = choice
        self._reader: _Reader | None
        if model is not None:
            self._reader = _Found(model) if json is None else _Whole(model)
        elif json is None:
            self._reader = _Leading()
        else:
            self._reader = _Whole(None) if json else None
        self._stopped = self._reader is None  # the content is no longer read
        self._seen: set[int] = set()
        self._finished: set[int] = set()
        #: Choices that refused (RefusalDelta): no JSON is owed at their finish.
        self._refused: set[int] = set()
        #: A ProviderError came: a choice left unfinished was cut by it.
        self._errored = False
        self._keep_text = keep_text
        self._text: list[str] = []
        #: the content's verdict, raised by the next call once its events are out
        self._pending: Exception | None = None

    @property
    def content_error(self) -> ParseError | None:
        """Auto mode: why content that began like JSON was left as plain text."""
        reader = self._reader
        return reader.error if isinstance(reader, _Leading) else None

    def received(self) -> str:
        return "".join(self._text)

    def feed(self, item: Any) -> list[Event]:
        self._raise_pending()
        if type(item) is dict:
            delta = self._plain_delta(item)
            if delta is not None:  # what the assembler makes of it
                return self._plain(delta, delta.choice, delta.text)
        return self._relay(self._calls.feed(item))

    # --- a chunk read from its bytes (see midstream._templates) -------------------------------

    def hot_string(self, item: Any) -> tuple[HotKey, str] | None:
        """Where a decoded chunk's one varying string goes, and the string; None if nowhere.

        A chunk :meth:`_plain_delta` reads (one piece of a choice's content) or
        one :meth:`ToolCallAssembler.hot` tells (a call's argument fragment, a
        Responses text delta). Whether it is one depends on the string only
        through its being non-empty, and never on the chunk's top-level
        ``obfuscation`` or ``sequence_number`` (:data:`midstream._templates.FREE`),
        so a chunk that differs from it only in those is one too, and
        :meth:`feed_hot` gives its events.
        """
        if type(item) is not dict:
            return None
        delta = self._plain_delta(item)
        if delta is not None:
            return (_CONTENT, delta.choice), delta.text
        hot = self._calls.hot(item)
        if hot is None:
            return None
        return (_ASSEMBLER, hot[0]), hot[1]

    def feed_hot(self, key: HotKey, text: str) -> list[Event] | None:
        """The events of ``feed(chunk)`` for a chunk that :meth:`hot_string` says is ``key, text``.

        None where the pipeline's state now reads such a chunk otherwise (closed,
        the call not known): the caller then decodes the chunk and feeds it.
        """
        self._raise_pending()
        kind, where = key
        if kind == _CONTENT:
            if not text or not (self._plain_chat or self._plain_anthropic):
                return None
            return self._plain(_content_delta(where, text), where, text)
        events = self._calls.feed_hot(where, text)
        if events is None:
            return None
        if len(events) == 1 and type(events[0]) is ContentDelta:  # a Responses text delta
            delta = events[0]
            return self._plain(delta, delta.choice, delta.text)
        return self._relay(events)

    def _plain(self, delta: ContentDelta, number: int, text: Any) -> list[Event]:
        """The events of a chunk that is only ``delta``, of choice ``number`` and that text:
        what :meth:`_relay` makes of it, without its loop or asking the event again."""
        plain: list[Event] = [delta]
        self._took_content(number, text, plain)
        return plain

    def _took_content(self, number: int, text: Any, out: list[Event]) -> None:
        """A content delta of choice ``number`` was passed on: its JSON events after it."""
        self._seen.add(number)
        if number == self._choice and isinstance(text, str):
            if self._keep_text:
                self._text.append(text)
            if not self._stopped:
                self._content(text, out)

    def _relay(self, events: list[Event]) -> list[Event]:
        """The assembler's events, with the content's JSON events and the finish's after them."""
        out: list[Event] = []
        for ev in events:
            if isinstance(ev, Finish):
                self._seen.add(ev.choice)
                self._finish(ev, out)
                continue
            out.append(ev)
            if isinstance(ev, ContentDelta):
                self._took_content(ev.choice, ev.text, out)
            elif type(ev) is RefusalDelta:
                self._seen.add(ev.choice)
                self._refused.add(ev.choice)
            elif type(ev) is ProviderError:
                self._errored = True
            else:
                choice = getattr(ev, "choice", None)
                if isinstance(choice, int):
                    self._seen.add(choice)
        return out

    def close(self) -> list[Event]:
        self._raise_pending()
        self._plain_chat = self._plain_anthropic = False  # feed() now raises, as the assembler's
        out: list[Event] = list(self._calls.close())
        if not self._seen:
            self._seen.add(self._choice)  # an empty stream is not a complete answer
        # After a provider's error, what it left unfinished was cut by that error.
        reason = "error" if self._errored else None
        for choice in sorted(self._seen - self._finished):
            self._finished.add(choice)
            out.append(
                Truncated(choice, reason, self._partial() if choice == self._choice else None)
            )
            if choice == self._choice:
                self._stopped = True
        return out

    def _plain_delta(self, item: dict[str, Any]) -> ContentDelta | None:
        """The event of the commonest chunk, one piece of a choice's content; None for any other.

        A Chat Completions chunk of one choice whose delta is only ``content``
        (and ``role``), with no finish reason, and no ``usage`` or ``error``
        (what readers act on at the top besides ``choices``); or an Anthropic
        ``text_delta``.
        The assembler makes exactly one :class:`ContentDelta` of such a chunk
        and keeps no state for it, so this makes that event itself, without
        the assembler's dispatch and lists: the raw-response path's hot loop.
        Anything else, or any doubt, is None and takes the assembler's way;
        the tests compare the two ways on the recorded streams (dicts against
        SDK objects) and on generated chunks (dicts against their JSON text).
        """
        choices = item.get("choices")
        if choices is not None:
            return self._plain_chat_delta(item, choices) if self._plain_chat else None
        if not self._plain_anthropic or item.get("type") != "content_block_delta":
            return None
        delta = item.get("delta")
        if type(delta) is not dict or len(delta) != 2 or delta.get("type") != "text_delta":
            return None
        text = delta.get("text")
        if type(text) is not str or not text or len(item) != 3 or "index" not in item:
            return None  # type, index and delta only
        return _content_delta(0, text)

    @staticmethod
    def _plain_chat_delta(item: dict[str, Any], choices: Any) -> ContentDelta | None:
        """:meth:`_plain_delta` for a Chat Completions chunk."""
        if type(choices) is not list or len(choices) != 1:
            return None
        choice = choices[0]
        if type(choice) is not dict:
            return None
        delta = choice.get("delta")
        number = choice.get("index")
        if type(delta) is not dict or type(number) is not int:
            return None
        text = delta.get("content")
        if type(text) is not str or not text or choice.get("finish_reason") is not None:
            return None
        # Nothing but the content (and the role) in the delta; nothing but index,
        # delta, logprobs and finish reason in the choice; no usage or error at the
        # top. Counted, not looped over: a loop costs what the assembler does.
        if len(delta) != 1 and (len(delta) != 2 or "role" not in delta):
            return None
        if len(choice) > 2 + ("logprobs" in choice) + ("finish_reason" in choice):
            return None
        if item.get("usage") is not None or item.get("error") is not None:
            return None
        return _content_delta(number, text)

    def _raise_pending(self) -> None:
        error = self._pending
        if error is not None:
            self._pending = None
            raise error

    def _content(self, text: str, out: list[Event]) -> None:
        assert self._reader is not None
        try:
            out += self._reader.feed(text)
        except ParseError as exc:
            raise _about_content(exc, self._choice, out) from None

    def _finish(self, finish: Finish, out: list[Event]) -> None:
        """The content's last events (a root number, the model's verdict), Finish, Truncated."""
        choice, reason = finish.choice, finish.reason
        self._finished.add(choice)
        cut = reason is None or reason in CUT_REASONS
        if choice != self._choice:
            out.append(finish)
            if cut:
                out.append(Truncated(choice, reason, None))
            return
        if not cut and not self._stopped and choice not in self._refused:
            # (A choice that refused owes no JSON: its RefusalDelta events say why.)
            assert self._reader is not None
            try:
                out += self._reader.finish()
            except ParseError as exc:
                raise _about_content(exc, choice, out) from None
            except _Verdict as verdict:
                # The value was found only now: its events first, the error next call.
                out += verdict.events
                self._pending = verdict.error
                self._stopped = True
                return
        out.append(finish)
        if cut:
            out.append(Truncated(choice, reason, self._partial()))
        self._stopped = True

    def _partial(self) -> Any:
        return None if self._reader is None else self._reader.partial()
