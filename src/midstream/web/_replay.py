"""The replay log of one stream: the recent messages, bounded in count, bytes and age.

A client that comes back with ``Last-Event-ID: N`` gets the messages after
``N`` from here, as the frames already written (nothing is encoded twice).
When ``N`` has left the log (too old, or the log is full), :meth:`since`
says so and the caller sends a ``snapshot`` instead: a fresh start that is
always right, never a silent gap.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Final

from .._options import check_limit

__all__ = ["DEFAULT_REPLAY_AGE", "DEFAULT_REPLAY_BYTES", "DEFAULT_REPLAY_MESSAGES", "ReplayLog"]

#: Messages kept for resume per stream (a long answer is a few thousand).
DEFAULT_REPLAY_MESSAGES: Final = 10_000
#: Bytes of frames kept per stream.
DEFAULT_REPLAY_BYTES: Final = 4 * 1024 * 1024
#: Seconds a message is kept: a client gone longer than this starts over from a snapshot.
DEFAULT_REPLAY_AGE: Final = 300.0


class ReplayLog:
    """Recent ``(seq, frame)`` pairs of one stream, oldest dropped first.

    Args:
        max_messages, max_bytes, max_age: the bounds (None: no bound).
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        *,
        max_messages: int | None = DEFAULT_REPLAY_MESSAGES,
        max_bytes: int | None = DEFAULT_REPLAY_BYTES,
        max_age: float | None = DEFAULT_REPLAY_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_messages = None if max_messages is None else check_limit(
            "max_messages", max_messages
        )
        self.max_bytes = None if max_bytes is None else check_limit("max_bytes", max_bytes)
        self.max_age = max_age
        self._clock = clock
        self._entries: deque[tuple[int, bytes, float]] = deque()
        self.bytes = 0
        self.last = 0  # the seq of the newest message ever appended

    def append(self, seq: int, frame: bytes) -> None:
        """Keep ``frame`` (message ``seq``), dropping what is now past a bound."""
        self._entries.append((seq, frame, self._clock()))
        self.bytes += len(frame)
        self.last = seq
        self._trim()

    def _trim(self) -> None:
        entries = self._entries
        while entries and (
            (self.max_messages is not None and len(entries) > self.max_messages)
            or (self.max_bytes is not None and self.bytes > self.max_bytes)
        ):
            self.bytes -= len(entries.popleft()[1])
        if self.max_age is not None:
            oldest = self._clock() - self.max_age
            while entries and entries[0][2] < oldest:
                self.bytes -= len(entries.popleft()[1])

    def since(self, after: int) -> list[bytes] | None:
        """The frames of the messages after ``after``, or None when some are gone.

        ``after`` past the newest message (an id this stream never gave) is
        gone too: the client then needs a snapshot, not silence.
        """
        self._trim()
        if after > self.last or after < 0:
            return None
        if after == self.last:
            return []
        entries = self._entries
        if not entries or entries[0][0] > after + 1:
            return None
        # Sequence numbers in one log are consecutive: index by arithmetic, not search.
        start = after + 1 - entries[0][0]
        if entries[start][0] != after + 1:  # numbers skipped by the publisher: search
            start = next(i for i, entry in enumerate(entries) if entry[0] > after)
        return [entries[i][1] for i in range(start, len(entries))]

    def __len__(self) -> int:
        return len(self._entries)
