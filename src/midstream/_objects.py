"""Many JSON values in one stream: JSON Lines, objects in prose, array items.

:class:`ObjectExtractor` has two modes.

``"ndjson"``: one record per line (``\\n`` or ``\\r\\n``; the last line may end
without one). The record is the line's text between leading and trailing
blanks (space, tab, ``\\r``); blank lines are skipped. A record that is not
exactly one JSON value is a :class:`~midstream.BadRecord`, and the next line is
read as usual: a bad line never hides a good one.

``"auto"``: JSON objects and arrays anywhere in text (prose, Markdown,
```json fences). What it finds is defined by a whole-text scan with the
standard library, which the tests run as the reference::

    i = 0
    while (k := the first '{' or '[' at or after i) exists:
        try:
            value, end = json.JSONDecoder().raw_decode(text, k)
        except ValueError:
            i = k + 1      # begins no JSON value: the bracket is text
        else:
            found(value, start=k, end=end)
            i = end        # skip past the value

with two differences. ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON
(RFC 8259), so a candidate that holds one fails (``raw_decode`` accepts them).
And the limits below.

How it runs in one pass. The candidate at ``k`` is checked by a fresh core
parser as text arrives, and everything from ``k`` on is held back (only that:
text before it is passed on at once). Either the candidate completes at
``end`` (an object; scanning goes on at ``end``), or it fails at ``f``: a
character no JSON continuation allows, a limit, or the end of the stream. Then
the bracket at ``k`` is text and scanning goes on at the next bracket after
``k``. Parsing afresh from each of those would be quadratic (think of
``[[[[...x``) and is not needed for most of them: a bracket that the failed
parse read as structure (not inside a string) begins the same value in a parse
of its own, because JSON is context-free. If that value closed before ``f`` it
is valid, and found without parsing for validity again; if it was still open at
``f``, its own parse would fail at ``f`` as well. Only a bracket that the failed
parse read inside a string is parsed afresh.

Limits. A candidate that nests deeper than ``max_depth`` or runs longer than
``max_object_length`` characters fails where it passes the limit. The brackets
still open inside it at that point are not tried again: their own parse would
start shallower or later and might succeed, but trying each would cost up to
``max_depth`` (or ``max_object_length``) characters per bracket. Values that
closed inside it before that point are found as usual. So a megabyte of
``[`` or ``{"a":`` is scanned in linear time, and nothing is lost: it comes out
as text. (The one costly input is crafted text whose quotes read as valid JSON
both ways, in and out of strings, for long stretches: each phase switch may
re-read up to ``max_object_length`` characters.)

Offsets (``start``, ``end``) count characters from the start of the stream.
The text of the stream is exactly the concatenation, in event order, of the
:class:`~midstream.TextDelta` texts, the raw text of each object
(``text[start:end]``) and the ``text`` of each bad record. (With a model, a
value that fails validation comes as an :class:`~midstream.ItemInvalid`, which
has no offsets, instead of an ``ObjectDone``.)
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Final, Literal, TypeAlias, TypeVar, overload

from ._adapters import aiter_events, iter_events
from ._errors import ErrorKind, LimitExceededError, ParseError
from ._events import (
    BadRecord,
    Event,
    ItemInvalid,
    JsonEvent,
    ObjectAbandoned,
    ObjectDone,
    StringDelta,
    TextDelta,
    ValueDone,
    ValueStart,
)
from ._json_core import DEFAULT_MAX_DEPTH, JsonCore
from ._json_stream import JsonStream
from ._options import check_limit
from ._types import JSONValue, Path

__all__ = [
    "DEFAULT_MAX_OBJECT_LENGTH",
    "ObjectExtractor",
    "aiter_items",
    "aiter_objects",
    "iter_items",
    "iter_objects",
]

T = TypeVar("T")

#: ``"auto"``: JSON objects and arrays anywhere in text; ``"ndjson"``: one value per line.
Mode: TypeAlias = Literal["auto", "ndjson"]
#: What the iterators do with an item that fails (validation, or a bad NDJSON line).
OnInvalid: TypeAlias = Literal["skip", "raise"]

#: Longest object (auto mode) or record (ndjson), in characters: 4 Mi. Model
#: output tops out near 128k tokens (about 500k characters), so nothing real is
#: cut, while a candidate that never closes holds back at most this much text.
DEFAULT_MAX_OBJECT_LENGTH: Final = 4 * 1024 * 1024

_MODES: Final = ("auto", "ndjson")
_ON_INVALID: Final = ("skip", "raise")

_BRACKET = re.compile(r"[\[{]").search
_BLANKS = re.compile(r"[ \t\n\r]*")
_LINE_BLANKS = re.compile(r"[ \t\r]*")
# A run of '{' each followed (after whitespace) by something no key can start with.
_HOPELESS_BRACES = re.compile(r'\{[{ \t\n\r]*(?=[^ \t\n\r"}])').match
_STRUCTURE = re.compile(r'["\[\]{}]').search
_STRING_SPECIAL = re.compile(r'["\\]').search
# What may follow '{' or '[' (after blanks) in JSON: anything else fails at once.
_AFTER_BRACE: Final = frozenset('"}')
_AFTER_BRACKET: Final = frozenset('"[]{-0123456789tfn')
_SLICE: Final = 256  # first piece of held text fed to a new candidate


class _Checker(JsonCore[JsonEvent]):
    """The core parser with nothing attached: checks a candidate, builds no events."""

    def _on_start(self, kind: str) -> None:
        pass

    def _on_string(self, text: str) -> None:
        pass

    def _on_scalar(self, value: JSONValue) -> None:
        pass

    def _on_key(self, key: str) -> None:
        pass

    def _on_end(self) -> None:
        pass


_Driver: TypeAlias = "JsonStream | _Checker"


class _Validator:
    """Validates values into a model with a pydantic TypeAdapter (imported lazily)."""

    def __init__(self, model: Any) -> None:
        from pydantic import TypeAdapter

        self._adapter: Any = TypeAdapter(model)

    def check(self, value: Any) -> tuple[bool, Any]:
        """``(True, validated)`` or ``(False, pydantic.ValidationError)``."""
        from pydantic import ValidationError

        try:
            return True, self._adapter.validate_python(value)
        except ValidationError as exc:
            return False, exc


def _skip(blanks: re.Pattern[str], text: str, pos: int, end: int) -> int:
    """Where the run of ``blanks`` at ``text[pos:end]`` ends."""
    match = blanks.match(text, pos, end)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _prefixed(events: list[JsonEvent], index: int) -> list[Event]:
    """The events with ``index`` put in front of their paths."""
    head = (index,)
    out: list[Event] = []
    for ev in events:
        if type(ev) is StringDelta:
            out.append(StringDelta(head + ev.path, ev.text))
        elif type(ev) is ValueDone:
            out.append(ValueDone(head + ev.path, ev.value))
        else:
            assert type(ev) is ValueStart
            out.append(ValueStart(head + ev.path, ev.kind))
    return out


def _load(text: str, max_depth: int) -> JSONValue:
    """The value of ``text``, which a core parser has already accepted."""
    try:
        return json.loads(text)  # type: ignore[no-any-return]
    except RecursionError:  # nesting beyond the C scanner's recursion limit
        stream = JsonStream(
            max_depth=max_depth, max_string_length=len(text), max_number_length=len(text)
        )
        stream.feed(text)
        stream.close()
        return stream.value


class ObjectExtractor:
    """Find the JSON values in a stream of text, as they complete.

    >>> ex = ObjectExtractor()
    >>> ex.feed('Two records: {"id": 1} and {"id"')
    [TextDelta(text='Two records: '), ObjectDone(index=0, value={'id': 1}, start=13, end=22), \
TextDelta(text=' and ')]
    >>> ex.feed(': 2}.')
    [ObjectDone(index=1, value={'id': 2}, start=27, end=36), TextDelta(text='.')]
    >>> ex.close()
    []

    Events: :class:`~midstream.TextDelta` for the text between values (passed
    on as soon as it cannot be part of a value); :class:`~midstream.ObjectDone`
    for each value, ``index`` counting from 0; :class:`~midstream.BadRecord` for
    an NDJSON line that is not one JSON value (it takes an ``index`` too);
    :class:`~midstream.ItemInvalid` instead of ``ObjectDone`` for a value that
    fails validation into ``model``. See the module docs for what "auto" finds.

    With ``fields=True``, the parser's :class:`~midstream.ValueStart`,
    :class:`~midstream.StringDelta` and :class:`~midstream.ValueDone` events for
    each value come too, as it streams, their paths prefixed with its index:
    ``ValueDone((0, "name"), "Ada")`` is the ``name`` of object 0. They are
    provisional until the value's verdict: ``ObjectDone`` or ``ItemInvalid``
    (good), ``BadRecord`` (ndjson) or :class:`~midstream.ObjectAbandoned` (auto:
    the candidate turned out not to be JSON; its index is used again by the next
    one). A candidate that fails within the ``feed()`` call that began it shows
    no field events at all, so how many provisional events come before a
    verdict depends on the chunking; all other events do not.

    Args:
        mode: ``"auto"`` (values anywhere in text) or ``"ndjson"`` (one per line).
        model: a type to validate each value into (pydantic ``TypeAdapter``):
            ``ObjectDone.value`` is then the validated value.
        fields: also pass on each value's parser events (see above).
        max_depth: deepest nesting of a value.
        max_object_length: longest value (auto) or line (ndjson), in characters.
            A longer NDJSON line is a ``BadRecord`` holding its first
            ``max_object_length`` characters; the rest of the line is text.
    """

    def __init__(
        self,
        *,
        mode: Mode = "auto",
        model: type[Any] | None = None,
        fields: bool = False,
        max_depth: int = DEFAULT_MAX_DEPTH,
        max_object_length: int = DEFAULT_MAX_OBJECT_LENGTH,
    ) -> None:
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES!r}, got {mode!r}")
        check_limit("max_depth", max_depth)
        check_limit("max_object_length", max_object_length)
        self.mode: Mode = mode
        self.fields = fields
        self.max_depth = max_depth
        self.max_object_length = max_object_length
        self._validator = _Validator(model) if model is not None else None
        self._closed = False
        self._index = 0
        self._received = 0
        self._out: list[Event] = []
        self._text: list[str] = []

        # The value in progress (auto: the candidate; ndjson: the record).
        self._driver: _Driver | None = None
        self._start = 0  # where it began
        self._mark = 0  # where its events of this feed() call begin in _out
        self._events_now = False  # it produced events in this feed() call
        self._shown = False  # ... in an earlier call

        # auto: the held text, from _base on (a candidate in progress, or a
        # bracket whose fate the next non-blank character decides)
        self._parts: list[str] = []
        self._base = 0
        self._line = 1  # line of _base
        self._line_start = 0  # offset where that line begins
        self._fed = 0  # the candidate was fed up to here
        self._error: ParseError | None = None  # the candidate's parse failed
        # fate of brackets a failed parse read as structure: end, or -1 (fails)
        self._fates: dict[int, int] = {}

        # ndjson: the record on the current line
        self._record: list[str] = []
        self._record_length = 0
        self._skip_line = False  # the line's record was too long: the rest is text
        self._lineno = 1
        self._lineno_start = 0

    # --- public API --------------------------------------------------------------

    def feed(self, text: str, /) -> list[Event]:
        """Read the next chunk; return the events it completes, in stream order.

        ``feed("")`` does nothing. Never raises on bad input: text that is not
        JSON is text (auto) or a :class:`~midstream.BadRecord` (ndjson).
        """
        if self._closed:
            raise RuntimeError("feed() after close(): this ObjectExtractor has ended")
        if not text:
            return []
        self._received += len(text)
        return self._run(text, final=False)

    def close(self) -> list[Event]:
        """End the stream: decide what was held back, and return the last events.

        A candidate still open is text (auto); a last line without a line
        break is a record (ndjson).
        """
        if self._closed:
            return []
        self._closed = True
        return self._run("", final=True)

    # --- common ------------------------------------------------------------------

    def _run(self, text: str, final: bool) -> list[Event]:
        self._out = []
        self._mark = 0
        self._events_now = False
        if self.mode == "auto":
            self._auto(text, final)
        else:
            self._ndjson(text, final)
        self._flush_text()
        if self._events_now:
            self._shown = True
        out = self._out
        self._out = []
        return out

    def _flush_text(self) -> None:
        if self._text:
            text = "".join(self._text)
            self._text.clear()
            out = self._out
            if out and type(out[-1]) is TextDelta:  # a failed candidate's events were dropped
                text = out.pop().text + text  # type: ignore[attr-defined]
            out.append(TextDelta(text))

    def _new_driver(self) -> _Driver:
        self._flush_text()
        self._mark = len(self._out)
        self._events_now = False
        self._shown = False
        limit = self.max_object_length
        cls = JsonStream if self.fields else _Checker
        return cls(max_depth=self.max_depth, max_string_length=limit, max_number_length=limit)

    def _field_events(self, events: list[JsonEvent]) -> None:
        if events:
            self._out += _prefixed(events, self._index)
            self._events_now = True

    def _drop_field_events(self) -> bool:
        """Forget this call's events of the failed value; True if earlier calls showed some."""
        if self._events_now:
            del self._out[self._mark :]
            self._events_now = False
        shown = self._shown
        self._shown = False
        return shown

    def _found(self, value: JSONValue, start: int, end: int) -> None:
        self._flush_text()
        index = self._index
        self._index += 1
        self._shown = False
        validator = self._validator
        if validator is None:
            self._out.append(ObjectDone(index, value, start, end))
            return
        ok, result = validator.check(value)
        if ok:
            self._out.append(ObjectDone(index, result, start, end))
        else:
            self._out.append(ItemInvalid(index, value, result.errors(include_url=False)))

    def _size_error(self, offset: int, line: int, column: int) -> LimitExceededError:
        what = "Object" if self.mode == "auto" else "Record"
        return LimitExceededError(
            ErrorKind.SIZE_LIMIT,
            f"{what} longer than max_object_length={self.max_object_length} characters; "
            "raise max_object_length to accept it",
            offset,
            line,
            column,
        )

    # --- auto ----------------------------------------------------------------------

    def _auto(self, chunk: str, final: bool) -> None:
        parts = self._parts
        if chunk:
            parts.append(chunk)
            driver = self._driver
            if driver is not None:
                # The candidate in progress has read all text before this chunk.
                if self._feed_candidate(chunk, 0) and not final:
                    return
            elif len(parts) > 1 and not chunk.strip(" \t\n\r") and not final:
                return  # still only blanks after the held bracket
        buf = "".join(parts) if len(parts) != 1 else parts[0]
        self._scan(buf, final)

    def _feed_candidate(self, buf: str, at: int) -> bool:
        """Feed the candidate ``buf[at:]``, up to its length limit; True if still open."""
        driver = self._driver
        assert driver is not None
        if self._error is not None or driver.done:
            return False
        limit = self._start + self.max_object_length
        stop = min(len(buf), at + limit - self._fed)
        # Slices of bounded size: most candidates fail within a few characters,
        # and copying all the held text for each would be quadratic.
        size = _SLICE
        while at < stop:
            piece = buf if at == 0 and stop == len(buf) <= size else buf[at : at + size]
            if len(piece) > stop - at:
                piece = piece[: stop - at]
            try:
                events, used = driver.feed_until_done(piece)
            except ParseError as exc:
                self._error = exc
                return False
            self._fed += used
            if events:
                self._field_events(events)
            if driver.done:
                return False
            at += used
            size *= 2
        return self._fed < limit

    def _scan(self, buf: str, final: bool) -> None:
        """Decide all of the held text ``buf`` that can be decided; hold the rest."""
        base = self._base
        n = len(buf)
        pos = 0  # where the search for the next candidate goes on
        lit = 0  # text from here to pos is decided as text, not yet passed on
        text = self._text
        fates = self._fates
        while True:
            if self._driver is not None:
                if self._feed_candidate(buf, self._fed - base) and not final:
                    pos = lit = self._start - base
                    break
                pos, found = self._settle(buf, final)
                if found:
                    lit = pos
                continue
            match = _BRACKET(buf, pos)
            if match is None:
                pos = n
                break
            k = match.start()
            fate = fates.get(base + k) if fates else None
            if fate is not None:
                if fate < 0:
                    pos = k + 1
                    continue
                if k > lit:
                    text.append(buf[lit:k])
                pos = lit = self._known_value(buf, k, fate - base)
                continue
            if buf[k] == "{":
                hopeless = _HOPELESS_BRACES(buf, k)
                if hopeless is not None:
                    pos = hopeless.end()
                    continue
            after = _skip(_BLANKS, buf, k + 1, n)
            if after == n:
                if not final:
                    pos = k  # the next non-blank character decides
                    break
                pos = k + 1
                continue
            if buf[after] not in (_AFTER_BRACE if buf[k] == "{" else _AFTER_BRACKET):
                pos = k + 1
                continue
            if k > lit:
                text.append(buf[lit:k])
            lit = k
            self._driver = self._new_driver()
            self._start = self._fed = base + k
            self._error = None
        if pos > lit:
            text.append(buf[lit:pos])
        self._discard(buf, pos)
        if len(fates) > 1024 and len(fates) > 2 * (n - pos):
            # most entries are behind us: drop them (amortised, each entry once)
            self._fates = {k: v for k, v in fates.items() if k >= self._base}

    def _settle(self, buf: str, final: bool) -> tuple[int, bool]:
        """The candidate completed or failed (or the stream ended).

        Returns where the search goes on, and whether a value was found.
        """
        driver = self._driver
        assert driver is not None
        base = self._base
        start = self._start
        if self._error is None and driver.done:
            self._driver = None
            end = self._fed
            if isinstance(driver, JsonStream):
                value = driver.value
            else:
                value = _load(buf[start - base : end - base], self.max_depth)
            self._found(value, start, end)
            return end - base, True
        error = self._error
        if error is not None:
            fail = start + error.offset
        elif self._fed >= start + self.max_object_length:
            fail = start + self.max_object_length
        else:
            assert final
            try:
                driver.close()
            except ParseError as exc:
                error = exc
            fail = self._fed
        self._driver = None
        self._error = None
        self._structure(buf, start - base, fail - base)
        if self._drop_field_events():
            self._flush_text()
            if error is None:
                line, column = self._position(buf, fail - base)
                error = self._size_error(fail, line, column)
            else:
                error = self._rebased(error, buf, start - base)
            self._out.append(ObjectAbandoned(self._index, start, error))
        return start - base + 1, False

    def _structure(self, buf: str, a: int, b: int) -> None:
        """Record the fate of each bracket that the failed parse of ``buf[a:b]`` read as structure.

        ``buf[a:b]`` is valid JSON so far (the parse failed at ``b``), so quotes
        and backslashes alone tell strings from structure.
        """
        base = self._base
        fates = self._fates
        stack: list[int] = []
        in_string = False
        i = a + 1
        while True:
            if in_string:
                m = _STRING_SPECIAL(buf, i, b)
                if m is None:
                    break
                i = m.start()
                if buf[i] == '"':
                    in_string = False
                    i += 1
                else:
                    i += 2
                continue
            m = _STRUCTURE(buf, i, b)
            if m is None:
                break
            i = m.start()
            char = buf[i]
            if char == '"':
                in_string = True
            elif char == "[" or char == "{":
                stack.append(i)
            elif stack:  # the root itself never closes before a failure
                fates[base + stack.pop()] = base + i + 1
            i += 1
        for opened in stack:
            fates[base + opened] = -1

    def _known_value(self, buf: str, k: int, end: int) -> int:
        """Report the value at ``buf[k:end]``, found valid inside a failed candidate."""
        self._flush_text()
        span = buf[k:end]
        if self.fields:
            stream = JsonStream(
                max_depth=self.max_depth, max_string_length=len(span), max_number_length=len(span)
            )
            self._out += _prefixed(stream.feed(span), self._index)
            value = stream.value
        else:
            value = _load(span, self.max_depth)
        self._found(value, self._base + k, self._base + end)
        return end

    def _discard(self, buf: str, pos: int) -> None:
        """Drop ``buf[:pos]`` (decided); keep the rest as the held text."""
        if pos:
            newlines = buf.count("\n", 0, pos)
            if newlines:
                self._line += newlines
                self._line_start = self._base + buf.rfind("\n", 0, pos) + 1
            self._base += pos
        self._parts = [buf[pos:]] if pos < len(buf) else []

    def _position(self, buf: str, rel: int) -> tuple[int, int]:
        """Line and column of ``buf[rel]``, ``buf`` being the held text."""
        newlines = buf.count("\n", 0, rel)
        if not newlines:
            return self._line, self._base + rel - self._line_start + 1
        return self._line + newlines, rel - buf.rfind("\n", 0, rel)

    def _rebased(self, error: ParseError, buf: str, rel: int) -> ParseError:
        """``error`` of a parse that began at ``buf[rel]``, placed in the whole stream."""
        at = rel + error.offset
        line, column = self._position(buf, at)
        return type(error)(error.kind, error.msg, self._base + at, line, column)

    # --- ndjson ------------------------------------------------------------------------

    def _ndjson(self, chunk: str, final: bool) -> None:
        at = self._received - len(chunk)  # stream offset of chunk[0]
        i = 0
        n = len(chunk)
        while i < n:
            newline = chunk.find("\n", i)
            end = n if newline < 0 else newline
            if end > i:
                self._line_piece(chunk, i, end, at)
            if newline < 0:
                break
            self._end_line()
            self._text.append("\n")
            self._lineno += 1
            self._lineno_start = at + newline + 1
            i = newline + 1
        if final:
            self._end_line()

    def _line_piece(self, chunk: str, i: int, end: int, at: int) -> None:
        """Take ``chunk[i:end]``, a piece of the current line."""
        if self._skip_line:
            self._text.append(chunk[i:end])
            return
        if self._driver is None:
            j = _skip(_LINE_BLANKS, chunk, i, end)
            if j > i:
                self._text.append(chunk[i:j])
            if j == end:
                return
            i = j
            self._driver = self._new_driver()
            self._start = at + i
            self._error = None
            self._record = []
            self._record_length = 0
        room = self.max_object_length - self._record_length
        if end - i > room:
            self._record.append(chunk[i : i + room])
            self._too_long()
            self._text.append(chunk[i + room : end])
            return
        piece = chunk[i:end]
        self._record.append(piece)
        self._record_length += len(piece)
        if self._error is None:
            driver = self._driver
            try:
                events = driver.feed(piece)
            except ParseError as exc:
                self._error = exc
                return
            if events:
                self._field_events(events)

    def _too_long(self) -> None:
        start = self._start
        limit = self.max_object_length
        self._driver = None
        self._drop_field_events()
        self._flush_text()
        column = start - self._lineno_start + 1 + limit
        error = self._size_error(start + limit, self._lineno, column)
        text = "".join(self._record)
        self._out.append(BadRecord(self._index, text, error, start, start + limit))
        self._index += 1
        self._record = []
        self._skip_line = True

    def _end_line(self) -> None:
        """The current line ended: report its record, if it has one."""
        self._skip_line = False
        driver = self._driver
        if driver is None:
            return
        self._driver = None
        raw = "".join(self._record)
        self._record = []
        text = raw.rstrip(" \t\r")
        start = self._start
        error = self._error
        if error is None:
            try:
                events = driver.close()
            except ParseError as exc:
                error = exc
            else:
                if events:
                    self._field_events(events)
        if error is None:
            value = driver.value if isinstance(driver, JsonStream) else _load(text, self.max_depth)
            self._found(value, start, start + len(text))
        else:
            self._drop_field_events()
            self._flush_text()
            column = start - self._lineno_start + 1 + error.offset
            error = type(error)(error.kind, error.msg, start + error.offset, self._lineno, column)
            self._out.append(BadRecord(self._index, text, error, start, start + len(text)))
            self._index += 1
        self._error = None
        if len(text) < len(raw):
            self._text.append(raw[len(text) :])


# --- iterators -------------------------------------------------------------------------


def _check_on_invalid(on_invalid: str) -> None:
    if on_invalid not in _ON_INVALID:
        raise ValueError(f"on_invalid must be one of {_ON_INVALID!r}, got {on_invalid!r}")


class _Raise:
    """An error to raise in the iterator, after the values that came before it."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


class _Objects:
    """ObjectExtractor as a parser of values (and :class:`_Raise`), for the iterators."""

    def __init__(self, mode: Mode, model: Any, on_invalid: OnInvalid) -> None:
        _check_on_invalid(on_invalid)
        self._extractor = ObjectExtractor(mode=mode)
        self._validator = _Validator(model) if model is not None else None
        self._strict = on_invalid == "raise"

    def feed(self, text: str, /) -> list[Any]:
        return self._pick(self._extractor.feed(text))

    def close(self) -> list[Any]:
        return self._pick(self._extractor.close())

    def _pick(self, events: list[Event]) -> list[Any]:
        values: list[Any] = []
        for ev in events:
            if type(ev) is ObjectDone:
                if self._validator is None:
                    values.append(ev.value)
                    continue
                ok, result = self._validator.check(ev.value)
                if ok:
                    values.append(result)
                elif self._strict:
                    values.append(_Raise(result))
                    break
            elif type(ev) is BadRecord and self._strict:
                values.append(_Raise(ev.error))
                break
        return values


class _Items:
    """The items of the array at ``path`` of one JSON document, as a parser of values."""

    def __init__(self, path: Path, model: Any, on_invalid: OnInvalid) -> None:
        _check_on_invalid(on_invalid)
        self._stream = JsonStream()
        self._path = tuple(path)
        self._depth = len(self._path)
        self._seen = False
        self._validator = _Validator(model) if model is not None else None
        self._strict = on_invalid == "raise"

    def feed(self, text: str, /) -> list[Any]:
        try:
            events = self._stream.feed(text)
        except ParseError as exc:
            # the items completed before the error still count
            return [*self._pick(exc.events), _Raise(exc)]
        return self._pick(events)

    def close(self) -> list[Any]:
        try:
            values = self._pick(self._stream.close())
        except ParseError as exc:
            return [*self._pick(exc.events), _Raise(exc)]
        if not self._seen:
            values.append(
                _Raise(LookupError(f"iter_items: the document has no value at path {self._path!r}"))
            )
        return values

    def _pick(self, events: list[JsonEvent]) -> list[Any]:
        values: list[Any] = []
        depth = self._depth
        path = self._path
        validator = self._validator
        for ev in events:
            p = ev.path
            if len(p) == depth + 1:
                if type(ev) is ValueDone and type(p[depth]) is int and p[:depth] == path:
                    if validator is None:
                        values.append(ev.value)
                        continue
                    ok, result = validator.check(ev.value)
                    if ok:
                        values.append(result)
                    elif self._strict:
                        values.append(_Raise(result))
                        break
            elif type(ev) is ValueStart and p == path:
                self._seen = True
                if ev.kind != "array":
                    values.append(
                        _Raise(
                            TypeError(
                                f"iter_items: the value at path {path!r} is {_a(ev.kind)}, "
                                "not an array"
                            )
                        )
                    )
                    break
        return values


def _raising(values: Iterator[Any]) -> Iterator[Any]:
    """Yield the values; raise a :class:`_Raise`'s error where it stands."""
    try:
        for value in values:
            if type(value) is _Raise:
                raise value.error
            yield value
    finally:
        close = getattr(values, "close", None)
        if close is not None:
            close()


async def _araising(values: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """The async twin of :func:`_raising`."""
    try:
        async for value in values:
            if type(value) is _Raise:
                raise value.error
            yield value
    finally:
        aclose = getattr(values, "aclose", None)
        if aclose is not None:
            await aclose()


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


@overload
def iter_objects(
    chunks: Iterable[str], /, *, mode: Mode = ..., model: None = ..., on_invalid: OnInvalid = ...
) -> Iterator[JSONValue]: ...
@overload
def iter_objects(
    chunks: Iterable[str], /, *, mode: Mode = ..., model: type[T], on_invalid: OnInvalid = ...
) -> Iterator[T]: ...
def iter_objects(
    chunks: Iterable[str],
    /,
    *,
    mode: Mode = "auto",
    model: type[Any] | None = None,
    on_invalid: OnInvalid = "skip",
) -> Iterator[Any]:
    """Yield each JSON value in a stream of text chunks as it completes.

    >>> list(iter_objects(['Here: {"a": 1', '} and [2, 3].']))
    [{'a': 1}, [2, 3]]

    Args:
        chunks: the text, in pieces of any size.
        mode: ``"auto"`` (values anywhere in text) or ``"ndjson"`` (one per
            line); see :class:`ObjectExtractor`.
        model: a type to validate each value into; the validated values are yielded.
        on_invalid: ``"skip"`` values that fail validation and bad NDJSON lines,
            or ``"raise"``: a failed value raises :class:`pydantic.ValidationError`
            and a bad line its :class:`~midstream.ParseError`.

    When the loop stops early, ``chunks.close()`` is called if it exists.
    """
    return _raising(iter_events(_Objects(mode, model, on_invalid), chunks))


@overload
def aiter_objects(
    chunks: AsyncIterable[str],
    /,
    *,
    mode: Mode = ...,
    model: None = ...,
    on_invalid: OnInvalid = ...,
) -> AsyncIterator[JSONValue]: ...
@overload
def aiter_objects(
    chunks: AsyncIterable[str],
    /,
    *,
    mode: Mode = ...,
    model: type[T],
    on_invalid: OnInvalid = ...,
) -> AsyncIterator[T]: ...
def aiter_objects(
    chunks: AsyncIterable[str],
    /,
    *,
    mode: Mode = "auto",
    model: type[Any] | None = None,
    on_invalid: OnInvalid = "skip",
) -> AsyncIterator[Any]:
    """The async twin of :func:`iter_objects`, over an async iterable of chunks."""
    return _araising(aiter_events(_Objects(mode, model, on_invalid), chunks))


@overload
def iter_items(
    chunks: Iterable[str], /, *, path: Path = ..., model: None = ..., on_invalid: OnInvalid = ...
) -> Iterator[JSONValue]: ...
@overload
def iter_items(
    chunks: Iterable[str], /, *, path: Path = ..., model: type[T], on_invalid: OnInvalid = ...
) -> Iterator[T]: ...
def iter_items(
    chunks: Iterable[str],
    /,
    *,
    path: Path = (),
    model: type[Any] | None = None,
    on_invalid: OnInvalid = "skip",
) -> Iterator[Any]:
    """Yield the items of the JSON array at ``path`` one by one, each as it closes.

    The chunks hold one JSON document (whitespace around it is fine).

    >>> list(iter_items(['{"rows": [{"n": 1}, {"n"', ': 2}]}'], path=("rows",)))
    [{'n': 1}, {'n': 2}]

    Args:
        chunks: the document, in pieces of any size.
        path: where the array is: object keys and array indexes from the root;
            ``()`` for a root array.
        model: a type to validate each item into; the validated items are yielded.
        on_invalid: ``"skip"`` items that fail validation, or ``"raise"``
            :class:`pydantic.ValidationError`.

    Raises:
        JsonSyntaxError: the document is not JSON (items before the error
            have been yielded).
        IncompleteJsonError: the stream ended inside the document.
        TypeError: the value at ``path`` is not an array.
        LookupError: the document has no value at ``path``.
    """
    return _raising(iter_events(_Items(path, model, on_invalid), chunks))


@overload
def aiter_items(
    chunks: AsyncIterable[str],
    /,
    *,
    path: Path = ...,
    model: None = ...,
    on_invalid: OnInvalid = ...,
) -> AsyncIterator[JSONValue]: ...
@overload
def aiter_items(
    chunks: AsyncIterable[str],
    /,
    *,
    path: Path = ...,
    model: type[T],
    on_invalid: OnInvalid = ...,
) -> AsyncIterator[T]: ...
def aiter_items(
    chunks: AsyncIterable[str],
    /,
    *,
    path: Path = (),
    model: type[Any] | None = None,
    on_invalid: OnInvalid = "skip",
) -> AsyncIterator[Any]:
    """The async twin of :func:`iter_items`, over an async iterable of chunks."""
    return _araising(aiter_events(_Items(path, model, on_invalid), chunks))
