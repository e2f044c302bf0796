"""The two modes of :class:`~midstream.ObjectExtractor`, over one output.

:class:`Found` is what both modes share: the events of a ``feed()`` call, the
text passed on between values, the index of the next value, validation into a
model, and each value's own parser events (``fields=True``).
:class:`AutoScanner` finds values in prose and :class:`LineReader` reads one
per line; each keeps only its own state, and each checks a value with a core
parser it owns (a bare :class:`~midstream._json_core.JsonCore`, or a
:class:`~midstream.JsonStream` when field events are wanted). What each mode
finds, and how the auto mode stays linear, is told in :mod:`midstream._objects`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final, TypeAlias

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
from ._json_core import JsonCore
from ._json_stream import JsonStream
from ._position import Position
from ._types import JSONValue

__all__ = ["AutoScanner", "Found", "LineReader", "Validator"]

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

#: The parser that checks a value: a bare core, or a JsonStream for field events.
Driver: TypeAlias = "JsonCore[JsonEvent]"


class Validator:
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


def _value_of(driver: Driver, text: str, max_depth: int) -> JSONValue:
    """The value a driver accepted: built by a JsonStream, or loaded from its text."""
    if isinstance(driver, JsonStream):
        return driver.value
    return _load(text, max_depth)


def _detached(error: ParseError) -> ParseError:
    """``error`` without its traceback, to keep.

    The failed parser holds the error, and the traceback holds the parser's
    frames: kept as it is, each failed value would leave a reference cycle
    that only the cyclic GC frees.
    """
    return error.with_traceback(None)


class Found:
    """The output both modes write: events, text between values, indexes, validation."""

    def __init__(
        self, *, model: Any, fields: bool, max_depth: int, max_object_length: int, what: str
    ) -> None:
        self.fields = fields
        self.max_depth = max_depth
        self.max_object_length = max_object_length
        self._what = what  # "Object" or "Record", for the size error
        self._validator = Validator(model) if model is not None else None
        self.index = 0
        self.out: list[Event] = []
        self.text: list[str] = []
        self._mark = 0  # where the value's events of this feed() call begin in out
        self._events_now = False  # the value in progress produced events in this call
        self._shown = False  # ... in an earlier call

    def take(self) -> list[Event]:
        """End of a feed() or close() call: its events; the next call starts anew."""
        self.flush_text()
        if self._events_now:
            self._shown = True
        out = self.out
        self.out = []
        self._mark = 0
        self._events_now = False
        return out

    def flush_text(self) -> None:
        """Pass on the text decided so far, as one TextDelta."""
        if self.text:
            text = "".join(self.text)
            self.text.clear()
            out = self.out
            if out and type(out[-1]) is TextDelta:  # a failed candidate's events were dropped
                text = out.pop().text + text  # type: ignore[attr-defined]
            out.append(TextDelta(text))

    def new_driver(self) -> Driver:
        """A parser for the next value (its field events start here)."""
        self.flush_text()
        self._mark = len(self.out)
        self._events_now = False
        self._shown = False
        limit = self.max_object_length
        cls = JsonStream if self.fields else JsonCore
        return cls(max_depth=self.max_depth, max_string_length=limit, max_number_length=limit)

    def field_events(self, events: list[JsonEvent]) -> None:
        """The value's parser events, its index in front of their paths."""
        if events:
            self.out += _prefixed(events, self.index)
            self._events_now = True

    def drop_field_events(self) -> bool:
        """Forget this call's events of the failed value; True if earlier calls showed some."""
        if self._events_now:
            del self.out[self._mark :]
            self._events_now = False
        shown = self._shown
        self._shown = False
        return shown

    def found(self, value: JSONValue, start: int, end: int) -> None:
        """A value at ``start:end``: ObjectDone, or ItemInvalid if it fails validation."""
        self.flush_text()
        index = self.index
        self.index += 1
        self._shown = False
        validator = self._validator
        if validator is None:
            self.out.append(ObjectDone(index, value, start, end))
            return
        ok, result = validator.check(value)
        if ok:
            self.out.append(ObjectDone(index, result, start, end))
        else:
            self.out.append(ItemInvalid(index, value, result.errors(include_url=False)))

    def bad(self, text: str, error: ParseError, start: int, end: int) -> None:
        """A record that is not one JSON value (ndjson)."""
        self.drop_field_events()
        self.flush_text()
        self.out.append(BadRecord(self.index, text, error, start, end))
        self.index += 1

    def size_error(self, offset: int, line: int, column: int) -> LimitExceededError:
        """A value longer than ``max_object_length``, at ``offset``."""
        return LimitExceededError(
            ErrorKind.SIZE_LIMIT,
            f"{self._what} longer than max_object_length={self.max_object_length} characters; "
            "raise max_object_length to accept it",
            offset,
            line,
            column,
        )


class AutoScanner:
    """``"auto"`` mode: the JSON objects and arrays anywhere in text.

    Holds the text from the first undecided character on (a candidate in
    progress, or a bracket whose fate the next non-blank character decides);
    its :class:`Position` places that text in the stream.
    """

    def __init__(self, found: Found) -> None:
        self._found = found
        self._parts: list[str] = []  # the held text
        self._held = Position()  # its base is where the held text begins
        self._driver: Driver | None = None  # the candidate in progress
        self._start = 0  # where it began
        self._fed = 0  # it was fed up to here
        self._error: ParseError | None = None  # its parse failed
        # fate of brackets a failed parse read as structure: end, or -1 (fails)
        self._fates: dict[int, int] = {}

    def read(self, chunk: str, final: bool) -> None:
        """Take the next chunk (empty at the end of the stream)."""
        parts = self._parts
        if chunk:
            parts.append(chunk)
            if self._driver is not None:
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
        limit = self._start + self._found.max_object_length
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
                self._error = _detached(exc)
                return False
            self._fed += used
            if events:
                self._found.field_events(events)
            if driver.done:
                return False
            at += used
            size *= 2
        return self._fed < limit

    def _scan(self, buf: str, final: bool) -> None:
        """Decide all of the held text ``buf`` that can be decided; hold the rest."""
        base = self._held.base
        n = len(buf)
        pos = 0  # where the search for the next candidate goes on
        lit = 0  # text from here to pos is decided as text, not yet passed on
        text = self._found.text
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
            self._driver = self._found.new_driver()
            self._start = self._fed = base + k
            self._error = None
        if pos > lit:
            text.append(buf[lit:pos])
        self._discard(buf, pos)
        if len(fates) > 1024 and len(fates) > 2 * (n - pos):
            # most entries are behind us: drop them (amortised, each entry once)
            self._fates = {k: v for k, v in fates.items() if k >= self._held.base}

    def _settle(self, buf: str, final: bool) -> tuple[int, bool]:
        """The candidate completed or failed (or the stream ended).

        Returns where the search goes on, and whether a value was found.
        """
        driver = self._driver
        assert driver is not None
        found = self._found
        base = self._held.base
        start = self._start
        if self._error is None and driver.done:
            self._driver = None
            end = self._fed
            value = _value_of(driver, buf[start - base : end - base], found.max_depth)
            found.found(value, start, end)
            return end - base, True
        error = self._error
        if error is not None:
            fail = start + error.offset
        elif self._fed >= start + found.max_object_length:
            fail = start + found.max_object_length
        else:
            assert final
            try:
                driver.close()
            except ParseError as exc:
                error = _detached(exc)
            fail = self._fed
        self._driver = None
        self._error = None
        self._structure(buf, start - base, fail - base)
        if found.drop_field_events():
            found.flush_text()
            if error is None:
                line, column = self._held.locate(buf, fail)
                error = found.size_error(fail, line, column)
            else:
                error = self._rebased(error, buf, start - base)
            found.out.append(ObjectAbandoned(found.index, start, error))
        return start - base + 1, False

    def _structure(self, buf: str, a: int, b: int) -> None:
        """Record the fate of each bracket that the failed parse of ``buf[a:b]`` read as structure.

        ``buf[a:b]`` is valid JSON so far (the parse failed at ``b``), so quotes
        and backslashes alone tell strings from structure.
        """
        base = self._held.base
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
        found = self._found
        found.flush_text()
        span = buf[k:end]
        if found.fields:
            stream = JsonStream(
                max_depth=found.max_depth, max_string_length=len(span), max_number_length=len(span)
            )
            found.out += _prefixed(stream.feed(span), found.index)
            value = stream.value
        else:
            value = _load(span, found.max_depth)
        base = self._held.base
        found.found(value, base + k, base + end)
        return end

    def _discard(self, buf: str, pos: int) -> None:
        """Drop ``buf[:pos]`` (decided); keep the rest as the held text."""
        self._held.advance(buf, pos)
        self._parts = [buf[pos:]] if pos < len(buf) else []

    def _rebased(self, error: ParseError, buf: str, rel: int) -> ParseError:
        """``error`` of a parse that began at ``buf[rel]``, placed in the whole stream."""
        at = self._held.base + rel + error.offset
        line, column = self._held.locate(buf, at)
        return type(error)(error.kind, error.msg, at, line, column)


class LineReader:
    """``"ndjson"`` mode: one record per line; a line that is not one value is a BadRecord."""

    def __init__(self, found: Found) -> None:
        self._found = found
        self._received = 0  # characters read: the stream offset after the current chunk
        self._line = Position()  # its base is where the current line begins
        self._driver: Driver | None = None  # the line's record, once it began
        self._start = 0  # where it began
        self._error: ParseError | None = None  # its parse failed
        self._record: list[str] = []
        self._record_length = 0
        self._skip_line = False  # the line's record was too long: the rest is text

    def read(self, chunk: str, final: bool) -> None:
        """Take the next chunk (empty at the end of the stream)."""
        at = self._received  # stream offset of chunk[0]
        self._received += len(chunk)
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
            self._found.text.append("\n")
            self._line.line += 1
            self._line.base = self._line.line_start = at + newline + 1
            i = newline + 1
        if final:
            self._end_line()

    def _line_piece(self, chunk: str, i: int, end: int, at: int) -> None:
        """Take ``chunk[i:end]``, a piece of the current line."""
        found = self._found
        if self._skip_line:
            found.text.append(chunk[i:end])
            return
        if self._driver is None:
            j = _skip(_LINE_BLANKS, chunk, i, end)
            if j > i:
                found.text.append(chunk[i:j])
            if j == end:
                return
            i = j
            self._driver = found.new_driver()
            self._start = at + i
            self._error = None
            self._record = []
            self._record_length = 0
        room = found.max_object_length - self._record_length
        if end - i > room:
            self._record.append(chunk[i : i + room])
            self._too_long()
            found.text.append(chunk[i + room : end])
            return
        piece = chunk[i:end]
        self._record.append(piece)
        self._record_length += len(piece)
        if self._error is None:
            try:
                events = self._driver.feed(piece)
            except ParseError as exc:
                self._error = _detached(exc)
                return
            found.field_events(events)

    def _too_long(self) -> None:
        start = self._start
        end = start + self._found.max_object_length
        self._driver = None
        line, column = self._line.locate("", end)
        error = self._found.size_error(end, line, column)
        self._found.bad("".join(self._record), error, start, end)
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
        found = self._found
        if error is None:
            try:
                found.field_events(driver.close())
            except ParseError as exc:
                error = _detached(exc)
        if error is None:
            found.found(_value_of(driver, text, found.max_depth), start, start + len(text))
        else:
            at = start + error.offset
            line, column = self._line.locate("", at)
            error = type(error)(error.kind, error.msg, at, line, column)
            found.bad(text, error, start, start + len(text))
        self._error = None
        if len(text) < len(raw):
            found.text.append(raw[len(text) :])
