"""AWS's binary event stream (``application/vnd.amazon.eventstream``): Bedrock's raw body.

Bedrock's ``ConverseStream`` sends its events neither as SSE nor as JSON
lines but as binary messages, each::

    total length (4 bytes) | headers length (4) | CRC-32 of those 8 bytes (4)
    | headers | payload | CRC-32 of everything before it (4)

all integers big-endian. A header is a name (1-byte length, UTF-8) and a
typed value (1-byte type; a string is type 7, with a 2-byte length). The
``:message-type`` header says ``event`` (``:event-type`` names it, the
payload is its JSON), ``exception`` (``:exception-type`` names it, the payload
holds its ``message``) or ``error`` (``:error-code``, ``:error-message``).

:class:`EventStreamFrames` turns the body bytes into the events as boto3
gives them, one ``{"<event-type>": payload}`` object per message, so that the
Bedrock reader reads the raw body and boto3's stream alike. An exception or
error message becomes an ``{"error": {...}}`` object, which the raw path
raises as :class:`~midstream.StreamError`. A message is read once it is
whole: its length is in its first four bytes, so nothing is scanned twice.
A message whose lengths or checksums do not hold is a
:class:`~midstream.JsonSyntaxError` at its byte offset; a body that stops
inside a message is not an error here (what was cut is dropped, and the
pipeline says ``Truncated``).
"""

from __future__ import annotations

import struct
import zlib
from typing import Any, Final

from ._errors import ErrorKind, JsonSyntaxError, ParseError
from ._frame_events import Framer, decode_event, too_big
from ._sse import DEFAULT_MAX_EVENT_SIZE

__all__ = ["EventStreamFrames"]

#: Prelude (12 bytes) and the message's own CRC (4): a message has at least these.
_OVERHEAD: Final = 16
#: Bytes a header value of each fixed-size type takes (types 0 and 1 are true and false).
_FIXED: Final = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
_BYTES: Final = 6
_STRING: Final = 7


class EventStreamFrames(Framer):
    """AWS event-stream body bytes in, one event object per message out.

    ``max_event_size`` bounds one message, in bytes (a longer one is a
    :class:`~midstream.LimitExceededError`): the framer holds at most one
    message and the chunk that completes it.
    """

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        super().__init__(max_event_size)
        self._pieces: list[bytes] = []  # the body from the first message not yet read
        self._held = 0  # their length
        self._need = 12  # bytes the next step needs: a prelude, or the whole message
        self._offset = 0  # the body's byte offset of the buffer's first byte
        self._count = 0  # messages read
        #: bytes of the message the body stopped inside (0: it stopped between two)
        self.cut_short = 0

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        """The events of the messages this chunk completes, in order.

        Raises:
            JsonSyntaxError: a message whose lengths or checksums do not hold,
                or whose payload is not a JSON object.
            LimitExceededError: a message longer than ``max_event_size``.
        """
        self._raise_pending()
        self._pieces.append(chunk)
        self._held += len(chunk)
        if self._held < self._need:
            return []  # the pieces are joined once, when the message is whole
        pieces = self._pieces
        buffer = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        out: list[dict[str, Any]] = []
        at = 0
        n = len(buffer)
        self._need = 12
        try:
            while n - at >= 12:
                total, headers = struct.unpack_from(">II", buffer, at)
                self._check_prelude(buffer, at, total, headers)
                if n - at < total:
                    self._need = total
                    break
                out.append(self._message(buffer, at, total, headers))
                at += total
        except ParseError as exc:
            if not out:
                raise
            self._pending = exc  # the events before it go out first
        rest = buffer[at:] if at else buffer
        self._pieces = [rest] if rest else []
        self._held = len(rest)
        self._offset += at
        return out

    def close(self) -> list[dict[str, Any]]:
        """The end of the body: a message left unfinished is dropped (``cut_short`` says so)."""
        self._raise_pending()
        self.cut_short = self._held
        self._pieces = []
        self._held = 0
        return []

    # --- one message ---------------------------------------------------------------

    def _check_prelude(self, buffer: bytes, at: int, total: int, headers: int) -> None:
        offset = self._offset + at
        (crc,) = struct.unpack_from(">I", buffer, at + 8)
        if zlib.crc32(buffer[at : at + 8]) != crc:
            raise self._corrupt("its prelude's CRC-32 does not match", offset)
        if total < _OVERHEAD or headers > total - _OVERHEAD:
            raise self._corrupt(
                f"its lengths do not add up (total {total}, headers {headers})", offset
            )
        if total > self._max:
            raise too_big(f"message {self._count + 1} of the event stream", self._max, "bytes",
                          offset, 1, offset + 1)

    def _message(self, buffer: bytes, at: int, total: int, size: int) -> dict[str, Any]:
        offset = self._offset + at
        end = at + total - 4
        (crc,) = struct.unpack_from(">I", buffer, end)
        if zlib.crc32(buffer[at:end]) != crc:
            raise self._corrupt("its CRC-32 does not match", offset)
        self._count += 1
        headers = self._headers(buffer, at + 12, at + 12 + size, offset)
        payload = buffer[at + 12 + size : end]
        kind = headers.get(":message-type", "event")
        if kind == "event":
            name = headers.get(":event-type", "")
            return {name: self._json(payload, offset + 12 + size)}
        if kind == "exception":
            body = self._json(payload, offset + 12 + size) if payload.strip() else {}
            message = body.get("message") or body.get("Message")
            return {"error": {"type": headers.get(":exception-type"), "message": message}}
        return {"error": {"code": headers.get(":error-code"),
                          "message": headers.get(":error-message")}}

    def _headers(self, buffer: bytes, i: int, end: int, offset: int) -> dict[str, Any]:
        """The message's headers; the string ones as text, the others as their raw bytes."""
        found: dict[str, Any] = {}
        try:
            while i < end:
                length = buffer[i]
                name = buffer[i + 1 : i + 1 + length].decode()
                i += 1 + length
                kind = buffer[i]
                i += 1
                if kind in (_BYTES, _STRING):
                    (size,) = struct.unpack_from(">H", buffer, i)
                    value = buffer[i + 2 : i + 2 + size]
                    i += 2 + size
                    found[name] = value.decode() if kind == _STRING else value
                elif kind in _FIXED:
                    found[name] = buffer[i : i + _FIXED[kind]]
                    i += _FIXED[kind]
                else:
                    raise self._corrupt(f"a header of unknown type {kind}", offset)
        except (IndexError, struct.error, UnicodeDecodeError):
            raise self._corrupt("its headers are cut or not UTF-8", offset) from None
        if i != end:
            raise self._corrupt("its headers overrun their length", offset)
        return found

    def _json(self, payload: bytes, offset: int) -> dict[str, Any]:
        what = f"the payload of message {self._count} of the event stream"
        return decode_event(payload, what, offset, 1, offset + 1)

    def _corrupt(self, why: str, offset: int) -> ParseError:
        return JsonSyntaxError(
            ErrorKind.UNEXPECTED_CHARACTER,
            f"message {self._count + 1} of the event stream is corrupt: {why}"
            " (is the body application/vnd.amazon.eventstream?)",
            offset,
            1,
            offset + 1,
            unit="byte",
        )
