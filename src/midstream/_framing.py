"""How a raw response body is cut into events when it is not server-sent events.

The raw-response path (:mod:`midstream._raw`) reads SSE. Two providers stream
otherwise (and Bedrock in binary: :mod:`midstream._eventstream`):

* **NDJSON**: Ollama's native ``/api/chat`` sends one JSON object per line
  (``application/x-ndjson``), no ``data:`` prefix, no blank-line framing.
* **A JSON array**: Gemini's ``streamGenerateContent`` without ``alt=sse``
  sends one JSON array (``application/json``) whose elements are the events,
  written as they are generated: ``[{...}\\n,\\r\\n{...}\\n]``.

:class:`NDJSONFrames` and :class:`JsonArrayFrames` are the two framings,
sans-I/O: body bytes in, the events' JSON objects out, the same under every
chunking of the bytes. NDJSON lines are found with ``bytes.find`` and decoded
by jiter straight from the bytes. An array element's end is found by the
project's JSON core (:meth:`JsonCore.feed_until_done`, a fresh core per
element, as :meth:`json.JSONDecoder.raw_decode` does), so nothing before it is
scanned again; the element's text is then decoded once by jiter.

Errors are :class:`~midstream.ParseError` with the body's byte offset, line
and column. A body that stops in the middle of a line or an element is not an
error here: what was cut is dropped (as the SSE rules drop an unfinished
event block) and the pipeline's end-of-stream rule says ``Truncated``.
Objects completed before an error in the same chunk are returned first; the
error comes from the next call.

:func:`choose_framing` decides which framing a body has, in one place: from
its content type, the wire format, and its first non-blank byte.
"""

from __future__ import annotations

import codecs
from typing import Any, Final, Literal

from ._errors import (
    ErrorKind,
    IncompleteJsonError,
    JsonSyntaxError,
    ParseError,
)
from ._eventstream import EventStreamFrames
from ._frame_events import Framer, decode_event, too_big
from ._json_core import JsonCore
from ._json_utf8 import Utf8Input
from ._sse import DEFAULT_MAX_EVENT_SIZE

__all__ = [
    "FORMAT_FRAMINGS",
    "MEDIA_FRAMINGS",
    "Framing",
    "JsonArrayFrames",
    "NDJSONFrames",
    "choose_framing",
    "open_framing",
]

#: How a body can be framed.
Framing = Literal["sse", "ndjson", "json-array", "eventstream"]

#: The framings each wire format's body may have, where it is not SSE alone;
#: the first byte chooses between several. A WebSocket transcript of the
#: Realtime API (``websocat``) is one JSON message per line.
FORMAT_FRAMINGS: Final[dict[str, tuple[Framing, ...]]] = {
    "auto": ("sse", "json-array"),
    "gemini": ("sse", "json-array"),
    "ollama": ("ndjson",),
    "realtime": ("ndjson",),
    "bedrock": ("eventstream",),
}

#: Content types that say the framing. ``application/json`` is a JSON-array
#: stream only when the body begins with ``[``; otherwise it is an error body.
MEDIA_FRAMINGS: Final[dict[str, Framing]] = {
    "text/event-stream": "sse",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/x-jsonl": "ndjson",
    "application/jsonlines": "ndjson",
    "application/x-jsonlines": "ndjson",
    "application/json": "json-array",
    "application/vnd.amazon.eventstream": "eventstream",
}

_SSE_ONLY: Final[tuple[Framing, ...]] = ("sse",)
_BLANK: Final = " \t\r\n"


def choose_framing(
    head: bytes, format: str, media_type: str = "", framing: str | None = None
) -> Framing | None:
    """The framing of a body that begins with ``head`` (blanks stripped), or None.

    None means the body is no stream of ``format`` at all (a JSON error body,
    an HTML page): the caller says so. ``framing`` given by the caller wins;
    then the content type; then the first byte among the format's framings.
    """
    if framing is not None:
        if framing not in ("sse", "ndjson", "json-array", "eventstream"):
            raise ValueError(
                f"framing must be sse, ndjson, json-array or eventstream; got {framing!r}"
            )
        return framing  # type: ignore[return-value]  # checked above
    first = head[:1]
    said = MEDIA_FRAMINGS.get(media_type)
    if said == "ndjson" or said == "eventstream":
        return said
    if said == "json-array":
        return said if first == b"[" else None
    allowed = FORMAT_FRAMINGS.get(format, _SSE_ONLY) if said is None else _SSE_ONLY
    if first == b"[":
        return "json-array" if "json-array" in allowed else None
    if first == b"{" or first == b"<":
        return "ndjson" if first == b"{" and "ndjson" in allowed else None
    # anything else: SSE if the format may be SSE, else its one framing (which says where)
    return "sse" if "sse" in allowed else allowed[0]


def open_framing(
    framing: Framing, max_event_size: int = DEFAULT_MAX_EVENT_SIZE
) -> NDJSONFrames | JsonArrayFrames | EventStreamFrames:
    """The framer of a body that is not SSE."""
    if framing == "ndjson":
        return NDJSONFrames(max_event_size)
    if framing == "json-array":
        return JsonArrayFrames(max_event_size)
    if framing == "eventstream":
        return EventStreamFrames(max_event_size)
    raise ValueError(f"no framer for {framing!r}: SSE is read by SSEFrames")


def _cut_off(data: bytes) -> bool:
    """Whether ``data`` is the beginning of a JSON value, cut (maybe inside a character)."""
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(data)
    except UnicodeDecodeError:
        return False
    core: JsonCore[object] = JsonCore()
    try:
        core.feed(text)
        core.close()
    except IncompleteJsonError:
        return True
    except ParseError:
        return False
    return False


# --- NDJSON ----------------------------------------------------------------------------------


class NDJSONFrames(Framer):
    """NDJSON body bytes in, one JSON object per non-blank line out.

    Lines end at ``\\n`` (a ``\\r`` before it is whitespace to JSON); a blank
    line is skipped; a leading UTF-8 BOM is dropped. An unfinished line is kept
    as a list of pieces, joined once when it ends. At :meth:`close`, a last
    line without its ``\\n`` is an event if it is a whole JSON value, and
    dropped as cut off if it is the beginning of one.

    Args:
        max_event_size: the most bytes one line may take.
    """

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        super().__init__(max_event_size)
        self._partial: list[bytes] = []
        self._partial_len = 0
        self._offset = 0  # where the unfinished line starts in the body
        self._line = 1  # its line number
        #: bytes of a last line that the body cut off (dropped at close)
        self.cut_short = 0

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        """The objects of the lines this piece of the body completes, in order."""
        self._raise_pending()
        out: list[dict[str, Any]] = []
        find = chunk.find
        i = 0
        end = find(b"\n")
        try:
            while end >= 0:
                if self._partial:
                    self._partial.append(chunk[i:end])
                    line = b"".join(self._partial)
                    self._partial = []
                    self._partial_len = 0
                else:
                    line = chunk[i:end]
                self._take(line, out)
                self._offset += len(line) + 1
                self._line += 1
                i = end + 1
                end = find(b"\n", i)
            if i < len(chunk):
                rest = chunk[i:]
                self._partial.append(rest)
                self._partial_len += len(rest)
                if self._partial_len > self._max:
                    raise too_big(f"line {self._line} of the body", self._max, "bytes",
                                   self._offset, self._line, 1)
        except ParseError as exc:
            if not out:
                raise
            self._pending = exc
        return out

    def close(self) -> list[dict[str, Any]]:
        """The end of the body: a last line without ``\\n``, if it is whole."""
        self._raise_pending()
        if not self._partial:
            return []
        line = b"".join(self._partial)
        self._partial = []
        out: list[dict[str, Any]] = []
        try:
            self._take(line, out)
        except ParseError:
            if not _cut_off(line):
                raise
            self.cut_short = len(line)  # the body stopped inside this line
        return out

    def _take(self, line: bytes, out: list[dict[str, Any]]) -> None:
        if len(line) > self._max:
            raise too_big(f"line {self._line} of the body", self._max, "bytes", self._offset,
                           self._line, 1)
        if self._offset == 0 and line.startswith(b"\xef\xbb\xbf"):
            line = b"   " + line[3:]  # the BOM, as blanks: offsets still count its bytes
        if line.strip(b" \t\r"):
            out.append(decode_event(line, f"line {self._line} of the body", self._offset,
                               self._line, 1))


# --- a JSON array of events --------------------------------------------------------------------

# What the array framer expects next, outside an element.
_OPEN: Final = 0  # the "[" that opens the array
_FIRST: Final = 1  # the first element or "]"
_NEXT: Final = 2  # an element, after ","
_AFTER: Final = 3  # "," or "]"
_END: Final = 4  # nothing but blanks

_EXPECTED: Final = {
    _OPEN: "'[' (a JSON array of events)",
    _FIRST: "an object or ']'",
    _NEXT: "an object",
    _AFTER: "',' or ']'",
    _END: "nothing after the array's ']'",
}


class JsonArrayFrames(Framer):
    """The bytes of one JSON array in, its elements (the events' objects) out, each once complete.

    Between elements this framer reads the array's own punctuation; inside
    one, a fresh :class:`~midstream._json_core.JsonCore` finds where the
    element ends (``feed_until_done``), so each character is scanned once; the
    element's text is decoded once by jiter. Every element must be an object.
    Offsets are bytes of the body (a BOM included), lines and columns count
    characters.

    Args:
        max_event_size: the most characters one element may take.
    """

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        super().__init__(max_event_size)
        self._utf8 = Utf8Input()
        self._state = _OPEN
        self._core: JsonCore[object] | None = None
        self._parts: list[str] = []  # the element's text so far
        self._size = 0
        self._index = 0  # elements completed
        self._chars = 0  # characters decoded before the current text
        self._text = ""  # the text being read, for byte offsets in errors
        self._line = 1  # line and column of the next character
        self._column = 1
        self._start = (0, 1, 1)  # the current element's (byte offset, line, column)

    @property
    def complete(self) -> bool:
        """True once the array's ``]`` came."""
        return self._state == _END

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        """The elements this piece of the body completes, in order."""
        self._raise_pending()
        text, bad_utf8 = self._utf8.decode(bytes(chunk), self._chars)
        self._text = text
        out: list[dict[str, Any]] = []
        try:
            self._read(text, out)
            if bad_utf8 is not None:
                line, column = self._here()
                raise type(bad_utf8)(bad_utf8.kind, bad_utf8.msg, bad_utf8.offset, line, column,
                                     unit="byte")
        except ParseError as exc:
            if not out:
                raise
            self._pending = exc
        finally:
            self._utf8.chunk_read()
            self._chars += len(text)
        return out

    def close(self) -> list[dict[str, Any]]:
        """The end of the body. An array cut short is dropped as it stands (no error)."""
        self._raise_pending()
        self._core = None
        return []

    def _read(self, text: str, out: list[dict[str, Any]]) -> None:
        n = len(text)
        i = 0
        while i < n:
            core = self._core
            if core is not None:
                i = self._element(core, text, i, out)
                continue
            c = text[i]
            if c in _BLANK:
                if c == "\n":
                    self._line += 1
                    self._column = 1
                else:
                    self._column += 1
                i += 1
                continue
            state = self._state
            if state == _OPEN and c == "[":
                self._state = _FIRST
            elif state == _AFTER and c == ",":
                self._state = _NEXT
            elif state in (_AFTER, _FIRST) and c == "]":
                self._state = _END
            elif state in (_FIRST, _NEXT) and c == "{":
                self._core = JsonCore()
                self._start = (self._byte(self._chars + i), self._line, self._column)
                continue  # the core reads the "{"
            else:
                raise self._unexpected(c, i)
            self._column += 1
            i += 1

    def _element(self, core: JsonCore[object], text: str, i: int, out: list[dict[str, Any]]) -> int:
        """Feed the element's core from ``text[i]``; return where the element's text ends."""
        piece = text[i:] if i else text
        try:
            _events, used = core.feed_until_done(piece)
        except ParseError as exc:
            raise self._inside(exc, piece) from None
        if used:
            self._parts.append(piece[:used] if used < len(piece) else piece)
            self._size += used
            if self._size > self._max:
                at, line, column = self._start
                raise too_big(f"element {self._index + 1} of the JSON array", self._max,
                               "characters", at, line, column)
        if core.done:
            element = "".join(self._parts)
            self._parts = []
            self._size = 0
            self._core = None
            self._state = _AFTER
            self._index += 1
            at, line, column = self._start
            what = f"element {self._index} of the JSON array"
            out.append(decode_event(element.encode(), what, at, line, column))
            newlines = element.count("\n")
            if newlines:
                self._line += newlines
                self._column = len(element) - element.rfind("\n")
            else:
                self._column += len(element)
        return i + used

    def _here(self) -> tuple[int, int]:
        """The line and column after the text read so far (inside an element too)."""
        if self._core is None:
            return self._line, self._column
        _at, line, column = self._start
        text = "".join(self._parts)
        newlines = text.count("\n")
        if newlines:
            return line + newlines, len(text) - text.rfind("\n")
        return line, column + len(text)

    def _byte(self, at: int) -> int:
        """The body's byte offset of character ``at`` (absolute, in the current text)."""
        return self._utf8.fed_offset(at, self._chars, self._text)

    def _inside(self, exc: ParseError, piece: str) -> ParseError:
        """The core's error, placed in the body (its offsets count from the element)."""
        start, line, column = self._start
        before = "".join(self._parts) + piece
        at = start + len(before[: exc.offset].encode("utf-8", "surrogatepass"))
        col = exc.column + column - 1 if exc.line == 1 else exc.column
        what = f"element {self._index + 1} of the JSON array"
        return type(exc)(exc.kind, f"{what}: {exc.msg}", at, line + exc.line - 1, col,
                         unit="byte")

    def _unexpected(self, c: str, i: int) -> ParseError:
        return JsonSyntaxError(
            ErrorKind.UNEXPECTED_CHARACTER,
            f"expected {_EXPECTED[self._state]} in the JSON array body, found {c!r}",
            self._byte(self._chars + i), self._line, self._column, unit="byte",
        )
