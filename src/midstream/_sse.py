"""Server-sent events: bytes (or text) in, :class:`ServerSentEvent` out.

The rules are the WHATWG "event stream interpretation" ones, followed to the
letter: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

How this decoder stays correct under every chunking, and linear:

* UTF-8 is decoded with an incremental decoder, so a character split across
  chunks comes out whole; bytes that are not UTF-8 become U+FFFD, as the spec's
  "UTF-8 decode" does. A leading BOM is dropped once, even when split.
* Line ends (``\\r\\n``, ``\\r``, ``\\n``) are found with ``str.find`` over the new
  text only. A line ending in ``\\r`` at the very end of a chunk is
  complete already (both ``\\r`` and ``\\r\\n`` end it), so it is processed at once
  and a ``\\n`` at the start of the next chunk is skipped: events are never held
  back waiting for the next chunk.
* The only text kept between chunks is the unfinished line (as a list of
  pieces, joined once when it ends) and the fields of the unfinished event.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Iterator
from typing import Final, NoReturn

from ._errors import (
    ErrorKind,
    IncompleteJsonError,
    JsonSyntaxError,
    LimitExceededError,
    ParseError,
)
from ._events import ServerSentEvent
from ._lifecycle import Lifecycle
from ._options import check_limit
from ._types import JSONValue

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder", "SSEFrames", "iter_sse", "iter_sse_json"]

#: Characters one event block may take, its lines counted without line ends
#: (comments and unknown fields included), before :class:`LimitExceededError`.
#: The spec sets no limit and browsers set none; Go's bufio.Scanner 64 KiB line
#: cap is a known trap for real OpenAI Responses streams, whose final
#: ``response.completed`` event repeats the whole output. 16 Mi characters is
#: far above any real event and still bounds memory.
DEFAULT_MAX_EVENT_SIZE: Final = 16 * 1024 * 1024


class SSEDecoder(Lifecycle):
    """Decode a server-sent event stream incrementally.

    Feed the raw bytes of an HTTP response body (or text) as they arrive;
    each call returns the events its data completed::

        decoder = midstream.SSEDecoder()
        for chunk in response.iter_bytes():
            for event in decoder.feed(chunk):
                print(event.event, event.data)
        decoder.close()

    Per the spec, an event is dispatched at a blank line and only when it has
    at least one ``data`` field; ``data`` lines are joined with ``\\n``; the last
    event id persists across events until an ``id`` field changes it (an
    ``id`` containing NUL is ignored); ``retry`` is taken only when it is all
    ASCII digits. :attr:`ServerSentEvent.retry` is the ``retry`` given in the
    event's own block (None if none); :attr:`retry` keeps the latest one seen,
    including from blocks that dispatch nothing.

    Args:
        max_event_size: the most characters one event block may take (its
            lines without line ends). Defaults to :data:`DEFAULT_MAX_EVENT_SIZE`.
    """

    def __init__(self, *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        super().__init__()
        self._max_event_size = check_limit("max_event_size", max_event_size)
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._bom_checked = False
        self._skip_lf = False
        self._partial: list[str] = []
        self._partial_len = 0
        self._offset = 0  # characters consumed before the current chunk
        self._line_no = 1
        self._line_start = 0  # offset of the current line's first character
        self._block_chars = 0  # characters of the finished lines of this block
        self._event_type = ""
        self._data: list[str] = []
        self._id_buffer = ""
        self._block_retry: int | None = None
        self._last_event_id = ""
        self._retry: int | None = None

    @property
    def last_event_id(self) -> str:
        """The last event ID string: what a reconnecting client sends as ``Last-Event-ID``."""
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        """The reconnection time in milliseconds from the latest valid ``retry`` field, or None."""
        return self._retry

    def feed(self, data: str | bytes, /) -> list[ServerSentEvent]:
        """Decode the next piece of the stream.

        Args:
            data: raw bytes (decoded as UTF-8, bad bytes as U+FFFD) or text.
                Don't switch from bytes to text in the middle of a character.

        Returns:
            The events dispatched by this piece, in stream order.

        Raises:
            LimitExceededError: an event block grew past ``max_event_size``.
        """
        self._check_open()
        if isinstance(data, str):
            text = data
            if self._utf8.getstate()[0]:
                # bytes then text mid-character: the cut-off bytes are invalid
                text = self._utf8.decode(b"", True) + text
                self._utf8.reset()
        else:
            text = self._utf8.decode(data)
        if not text:
            return []
        if not self._bom_checked:
            self._bom_checked = True
            if text[0] == "\ufeff":
                text = text[1:]
                if not text:
                    return []
        try:
            return self._feed_text(text)
        except ParseError as exc:
            self._poison(exc)
            raise

    def close(self) -> list[ServerSentEvent]:
        """End the stream.

        Per the spec, an event whose blank line never came is discarded, so
        this returns no events; it exists for the ``feed()``/``close()`` shape
        and to let a later ``feed()`` fail loudly.

        Returns:
            An empty list.
        """
        if self._check_close():
            self._closed = True
            self._utf8.decode(b"", True)
            self._partial.clear()
            self._data.clear()
        return []

    def _feed_text(self, text: str) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        base = self._offset
        n = len(text)
        self._offset += n
        i = 0
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                i = 1
                self._line_start = base + 1
        # str.find is several times faster than a regex over "\r\n?|\n"; each
        # find starts past the last one, so the chunk is scanned once.
        find = text.find
        next_cr = find("\r", i)
        next_lf = find("\n", i)
        while next_cr >= 0 or next_lf >= 0:
            if next_cr < 0 or 0 <= next_lf < next_cr:
                start = next_lf
                end = start + 1
                next_lf = find("\n", end)
            else:
                start = next_cr
                end = start + 1
                if end < n and text[end] == "\n":
                    end += 1
                    next_lf = find("\n", end)
                elif end == n:
                    self._skip_lf = True  # "\r" may be half of a "\r\n": skip a "\n" next
                next_cr = find("\r", end)
            if self._partial:
                self._partial.append(text[i:start])
                line = "".join(self._partial)
                self._partial.clear()
                self._partial_len = 0
            else:
                line = text[i:start]
            self._check(len(line))
            event = self._process_line(line)
            if event is not None:
                events.append(event)
            self._line_no += 1
            self._line_start = base + end
            i = end
        if i < n:
            self._partial.append(text[i:])
            self._partial_len += n - i
            self._check(self._partial_len)
        return events

    def _check(self, line_len: int) -> None:
        room = self._max_event_size - self._block_chars
        if line_len > room:
            self._fail(room)

    def _fail(self, column0: int) -> NoReturn:
        raise LimitExceededError(
            ErrorKind.SIZE_LIMIT,
            f"server-sent event longer than max_event_size={self._max_event_size} characters",
            self._line_start + column0,
            self._line_no,
            column0 + 1,
        )

    def _process_line(self, line: str) -> ServerSentEvent | None:
        if not line:
            self._block_chars = 0
            return self._dispatch()
        self._block_chars += len(line)
        if line[0] == ":":
            return None
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event_type = value
        elif name == "id":
            if "\0" not in value:
                self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            try:
                retry = int(value)
            except ValueError:  # more digits than int() accepts: no sane reconnection time
                return None
            self._retry = self._block_retry = retry
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        # NOTE: as per the spec, the last event ID is set here and never reset.
        self._last_event_id = self._id_buffer
        retry, self._block_retry = self._block_retry, None
        if not self._data:
            self._event_type = ""
            return None
        event = ServerSentEvent(
            event=self._event_type or "message",
            data="\n".join(self._data),
            id=self._last_event_id,
            retry=retry,
        )
        self._data = []
        self._event_type = ""
        return event


_BOM: Final = b"\xef\xbb\xbf"


class SSEFrames:
    """The raw-response path's SSE decoder: body bytes in, ``(event type, data)`` bytes out.

    The same WHATWG rules as :class:`SSEDecoder` for what the raw path needs
    (``event`` and ``data`` fields, comments, the three line ends, a leading
    BOM, ``max_event_size``), with no :class:`ServerSentEvent` per event and no
    text decoding: the ``data`` bytes go to the JSON decoder as they are (which
    decodes UTF-8 once, itself), and the event type stays bytes (``b""`` when
    the block has none). ``id`` and ``retry`` are skipped: nothing on this path
    reconnects. Line ends are found with ``bytes.find`` over the new bytes only;
    an unfinished line is kept as a list of pieces, joined once when it ends, so
    an event cut into many reads is still copied once. Positions in errors are
    byte offsets.
    """

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._max_event_size = check_limit("max_event_size", max_event_size)
        self._head = b""  # the first bytes, until they show whether a BOM leads
        self._bom_checked = False
        self._skip_lf = False
        self._partial: list[bytes] = []
        self._partial_len = 0
        self._offset = 0
        self._line_no = 1
        self._line_start = 0
        self._block_chars = 0
        self._event_type = b""
        self._data: list[bytes] = []
        # The last block's ``event: name\ndata: `` lines, told once (see _one_block).
        self._event_head = b"event: \ndata: "  # an empty name, until a block names one
        self._event_kind = b""

    def feed(self, chunk: bytes) -> list[tuple[bytes, bytes]]:
        """The events this piece of the body completes, in order."""
        if (
            self._block_chars == 0  # between two blocks: no field, no line, pending
            and not self._partial
            and not self._skip_lf
            and self._bom_checked
        ):
            event = self._one_block(chunk)
            if event is not None:
                return [event]
        if not self._bom_checked:
            chunk = self._skip_bom(chunk)
        n = len(chunk)
        if n == 0:
            return []
        events: list[tuple[bytes, bytes]] = []
        base = self._offset
        self._offset += n
        i = 0
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 10:  # b"\n"
                i = 1
                self._line_start = base + 1
        find = chunk.find
        next_cr = find(b"\r", i)
        next_lf = find(b"\n", i)
        while next_cr >= 0 or next_lf >= 0:
            if next_cr < 0 or 0 <= next_lf < next_cr:
                start = next_lf
                end = start + 1
                next_lf = find(b"\n", end)
            else:
                start = next_cr
                end = start + 1
                if end < n and chunk[end] == 10:
                    end += 1
                    next_lf = find(b"\n", end)
                elif end == n:
                    self._skip_lf = True
                next_cr = find(b"\r", end)
            if self._partial:
                self._partial.append(chunk[i:start])
                line = b"".join(self._partial)
                self._partial = []
                self._partial_len = 0
            else:
                line = chunk[i:start]
            self._take_line(line, events)
            self._line_no += 1
            self._line_start = base + end
            i = end
        if i < n:
            self._partial.append(chunk[i:])
            self._partial_len += n - i
            if self._partial_len > self._max_event_size - self._block_chars:
                self._fail(self._max_event_size - self._block_chars)
        return events

    def _skip_bom(self, chunk: bytes) -> bytes:
        """The body's first bytes without a UTF-8 BOM (b"" while a BOM may be cut short)."""
        chunk = self._head + chunk
        if len(chunk) < 3 and _BOM.startswith(chunk):
            self._head = chunk  # maybe a BOM cut short: wait for more
            return b""
        self._head = b""
        self._bom_checked = True
        return chunk[3:] if chunk.startswith(_BOM) else chunk

    def _take_line(self, line: bytes, events: list[tuple[bytes, bytes]]) -> None:
        """One whole line: a blank one dispatches the block's event, another is a field."""
        size = len(line)
        if size == 0:
            self._block_chars = 0
            if self._data:
                data = self._data
                events.append((self._event_type, data[0] if len(data) == 1 else b"\n".join(data)))
                self._data = []
            self._event_type = b""
            return
        if size > self._max_event_size - self._block_chars:
            self._fail(self._max_event_size - self._block_chars)
        self._block_chars += size
        if line.startswith(b"data: "):
            self._data.append(line[6:])
        elif line[0] != 58:  # b":" starts a comment
            self._field(line)

    def _one_block(self, chunk: bytes) -> tuple[bytes, bytes] | None:
        """The event of a chunk that is exactly one ordinary block, or None to take the long way.

        What the providers send, one write per event, and what most reads
        give: ``data: {...}\\n\\n``, or ``event: name\\ndata: {...}\\n\\n``. Told
        with a few C-level tests (a prefix, a suffix, and no other line end in
        the data: ``int in bytes`` is a ``memchr``) instead of a ``bytes.find``
        per line, whose argument parsing costs more than the search. Called
        only between blocks (nothing pending), so the state after it is the one
        the general loop would leave: the offsets and line count moved on.
        """
        n = len(chunk)
        if n > self._max_event_size or not chunk.endswith(b"\n\n"):
            return None
        if chunk.startswith(b"data: "):
            kind = b""
            start = 6
            lines = 2
        elif chunk.startswith(self._event_head):  # the event line of the block before
            kind = self._event_kind
            start = len(self._event_head)
            lines = 3
        elif chunk.startswith(b"event: "):
            j = 7
            while j < n and chunk[j] != 10 and chunk[j] != 13:
                j += 1
            if j + 7 > n - 2 or chunk[j] != 10 or chunk[j + 1 : j + 7] != b"data: ":
                return None
            kind = chunk[7:j]
            start = j + 7
            lines = 3
            self._event_head = chunk[:start]
            self._event_kind = kind
        else:
            return None
        data = chunk[start : n - 2]
        if 10 in data or 13 in data:  # more than one data line, or a \r line end
            return None
        self._offset += n
        self._line_no += lines
        self._line_start = self._offset
        return (kind, data)

    def _field(self, line: bytes) -> None:
        name, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event_type = value

    def _fail(self, column0: int) -> NoReturn:
        raise LimitExceededError(
            ErrorKind.SIZE_LIMIT,
            f"server-sent event longer than max_event_size={self._max_event_size} bytes",
            self._line_start + column0,
            self._line_no,
            column0 + 1,
        )


def iter_sse(
    chunks: Iterable[str | bytes], /, *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE
) -> Iterator[ServerSentEvent]:
    """Yield the events of an SSE stream given as chunks of bytes or text.

    Args:
        chunks: the stream, e.g. ``iter(lambda: sys.stdin.buffer.read1(65536), b"")``.
        max_event_size: as for :class:`SSEDecoder`.

    Raises:
        LimitExceededError: an event block grew past ``max_event_size``.
    """
    decoder = SSEDecoder(max_event_size=max_event_size)
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()


#: The data of the event that ends an OpenAI Chat Completions stream.
_DONE = "[DONE]"


class _NotJson(ValueError):
    pass


def _reject_constant(name: str) -> NoReturn:
    raise _NotJson(f"{name} is not JSON")


def iter_sse_json(events: Iterable[ServerSentEvent], /) -> Iterator[JSONValue]:
    """Yield the ``data`` of each event parsed as JSON, skipping ``data: [DONE]``.

    Fits OpenAI (Chat Completions, Responses) and Anthropic streams, whose
    every event carries one JSON payload (Anthropic and Responses repeat the
    ``event:`` name as the payload's ``"type"``).

    Raises:
        JsonSyntaxError: an event's data is not JSON; ``offset``, ``line`` and
            ``column`` are positions in that event's ``data``.
        IncompleteJsonError: an event's data ends inside a JSON value.
        LimitExceededError: a payload nested or a number too large to decode.
    """
    for event in events:
        data = event.data
        if data == _DONE:
            continue
        yield _loads(event)


def _loads(event: ServerSentEvent, what: str = "") -> JSONValue:
    data = event.data
    what = what or f"the data of SSE event {event.event!r}"
    try:
        value: JSONValue = json.loads(data, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(data.rstrip()):
            raise IncompleteJsonError(
                ErrorKind.UNEXPECTED_END,
                f"{what} ends inside a JSON value",
                exc.pos,
                exc.lineno,
                exc.colno,
            ) from None
        raise JsonSyntaxError(
            ErrorKind.UNEXPECTED_CHARACTER,
            f"{what} is not JSON: {exc.msg}",
            exc.pos,
            exc.lineno,
            exc.colno,
        ) from None
    except RecursionError:
        raise LimitExceededError(
            ErrorKind.DEPTH_LIMIT, f"{what} nests too deeply to decode", 0, 1, 1
        ) from None
    except _NotJson as exc:  # json.loads accepts NaN and Infinity; JSON does not
        raise JsonSyntaxError(ErrorKind.INVALID_LITERAL, f"{what}: {exc}", 0, 1, 1) from None
    except ValueError as exc:  # an int beyond sys.get_int_max_str_digits()
        raise LimitExceededError(ErrorKind.NUMBER_LIMIT, f"{what}: {exc}", 0, 1, 1) from None
    return value
