"""A bounded per-client buffer: the producer never waits for a slow reader, nothing is lost.

The producer :meth:`~ClientBuffer.put`\\ s each message and goes on. A reader
that keeps up takes them one frame after another. A reader that falls behind
sees its pending ``append``\\ s of one string merged into one (the text is
the same, the frames fewer); one that falls past the bound has its pending
messages dropped and gets one ``snapshot`` of the state at the moment it
reads again, which is everything it missed, at a cost bounded by the size of
the document instead of the length of its delay.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Final

from .._options import check_limit
from ._protocol import Message, sse_frame

__all__ = ["DEFAULT_CLIENT_BYTES", "DEFAULT_CLIENT_MESSAGES", "ClientBuffer"]

#: Pending messages for one client before it is sent a snapshot instead.
DEFAULT_CLIENT_MESSAGES: Final = 1000
#: Pending bytes (approximately: the frames' sizes) for one client, likewise.
DEFAULT_CLIENT_BYTES: Final = 1024 * 1024


class _Pending:
    """One message waiting for its client; an ``append`` may absorb the next ones."""

    __slots__ = ("frame", "message", "pieces", "size")

    def __init__(self, message: Message, frame: bytes | None) -> None:
        self.message = message
        self.frame = frame
        self.pieces: list[str] | None = None
        self.size = len(frame) if frame is not None else 64

    def frame_bytes(self) -> bytes:
        if self.frame is None:
            assert self.pieces is not None
            self.message = {**self.message, "text": "".join(self.pieces)}
            self.frame = sse_frame(self.message)
        return self.frame


def _merges(last: Message, new: Message) -> bool:
    return (
        new["type"] == "append" == last["type"]
        and new["path"] == last["path"]
        and new.get("stream") == last.get("stream")
    )


class ClientBuffer:
    """Messages waiting for one client.

    Args:
        snapshot: makes the ``snapshot`` message of the stream as it is now
            (called when the buffer overflowed, at the client's next read).
        max_messages, max_bytes: the bound past which the client gets a snapshot.
        on_ready: called (with no argument) when there is something to read or
            the buffer closed; the I/O side wakes its sender with it.
    """

    def __init__(
        self,
        snapshot: Callable[[], Message],
        *,
        max_messages: int = DEFAULT_CLIENT_MESSAGES,
        max_bytes: int = DEFAULT_CLIENT_BYTES,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self._snapshot = snapshot
        self.max_messages = check_limit("max_messages", max_messages)
        self.max_bytes = check_limit("max_bytes", max_bytes)
        self.on_ready = on_ready
        self._pending: deque[_Pending] = deque()
        self._bytes = 0
        self._snapshot_due = False
        self.closed = False
        self.snapshots = 0  # how many times this client was sent a snapshot after a fall behind
        self.merged = 0  # appends merged into the one before them
        self.peak_bytes = 0  # the most bytes ever pending (the bound holds it)

    def put(self, message: Message, frame: bytes | None = None) -> None:
        """Queue one message (with its frame, if already written); never blocks."""
        if self._snapshot_due:
            return  # the coming snapshot holds it
        pending = self._pending
        if pending and _merges(pending[-1].message, message):
            last = pending[-1]
            if last.pieces is None:
                last.pieces = [last.message["text"]]
            last.pieces.append(message["text"])
            last.message = {**last.message, "seq": message["seq"]}
            last.frame = None
            last.size += len(message["text"])
            self._bytes += len(message["text"])
            self.merged += 1
        else:
            entry = _Pending(message, frame)
            pending.append(entry)
            self._bytes += entry.size
        self._bound()  # a merged piece counts as much as a new message
        self._ready()

    def put_frames(self, frames: list[bytes]) -> None:
        """Queue frames replayed from the log (already written, never merged)."""
        for frame in frames:
            self._pending.append(_Pending({"type": "", "seq": 0}, frame))
            self._bytes += len(frame)
            if self._bound():
                break  # the snapshot holds the rest
        if frames:
            self._ready()

    def _bound(self) -> bool:
        """Past the bound, drop what is pending for a snapshot; True if it did."""
        self.peak_bytes = max(self.peak_bytes, self._bytes)
        if len(self._pending) > self.max_messages or self._bytes > self.max_bytes:
            self._pending.clear()
            self._bytes = 0
            self._snapshot_due = True
            return True
        return False

    def request_snapshot(self) -> None:
        """Send the client a snapshot at its next read, instead of what is pending."""
        self._pending.clear()
        self._bytes = 0
        self._snapshot_due = True
        self._ready()

    def close(self) -> None:
        """No more messages: the reader ends once it has taken what is pending."""
        self.closed = True
        self._ready()

    def _ready(self) -> None:
        if self.on_ready is not None:
            self.on_ready()

    @property
    def pending(self) -> int:
        """Messages waiting (a due snapshot counts as one)."""
        return len(self._pending) + self._snapshot_due

    def take(self) -> list[bytes]:
        """All that is pending, as SSE frames: a snapshot, or the messages in order."""
        if self._snapshot_due:
            self._snapshot_due = False
            self.snapshots += 1
            # Written now: the snapshot's value is the live state, which goes on changing.
            return [sse_frame(self._snapshot())]
        out = [p.frame_bytes() for p in self._pending]
        self._pending.clear()
        self._bytes = 0
        return out
