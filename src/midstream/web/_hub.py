"""``StreamHub``: streams by id, kept between connections for resume.

A stream is started by the first request for its id and lives on when its
client goes away (the producer keeps reading the model, the replay log keeps
the messages), so that a reconnecting client resumes with ``Last-Event-ID``.
Bounded: a finished stream is forgotten ``linger`` seconds after its end, and
past ``max_streams`` the oldest are dropped (their producers cancelled).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from .._options import check_limit
from ._buffer import DEFAULT_CLIENT_BYTES, DEFAULT_CLIENT_MESSAGES
from ._channel import Channel
from ._produce import Source, SourceFactory, start_producer
from ._replay import DEFAULT_REPLAY_AGE, DEFAULT_REPLAY_BYTES, DEFAULT_REPLAY_MESSAGES, ReplayLog

__all__ = ["DEFAULT_MAX_STREAMS", "StreamHub"]

#: Streams a hub holds at once.
DEFAULT_MAX_STREAMS: Final = 1000


class StreamHub:
    """Streams by id, for resume across connections (in this process's memory).

    Args:
        max_streams: streams held at once; the oldest go first.
        linger: seconds a finished stream stays resumable.
        replay_messages, replay_bytes, replay_age: each stream's replay log bounds.
        client_messages, client_bytes: each client's buffer bound (see :class:`ClientBuffer`).
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        *,
        max_streams: int = DEFAULT_MAX_STREAMS,
        linger: float = DEFAULT_REPLAY_AGE,
        replay_messages: int | None = DEFAULT_REPLAY_MESSAGES,
        replay_bytes: int | None = DEFAULT_REPLAY_BYTES,
        replay_age: float | None = DEFAULT_REPLAY_AGE,
        client_messages: int = DEFAULT_CLIENT_MESSAGES,
        client_bytes: int = DEFAULT_CLIENT_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_streams = check_limit("max_streams", max_streams)
        self.linger = linger
        self._replay = (replay_messages, replay_bytes, replay_age)
        self._client = (client_messages, client_bytes)
        self._clock = clock
        self._channels: dict[str, tuple[Channel, float]] = {}

    def __contains__(self, stream_id: str) -> bool:
        self._expire()
        return stream_id in self._channels

    def __len__(self) -> int:
        return len(self._channels)

    def channels(self) -> list[Channel]:
        """Every stream the hub holds."""
        return [channel for channel, _started in self._channels.values()]

    def get(self, stream_id: str) -> Channel | None:
        """The stream with this id, if the hub still holds it."""
        self._expire()
        entry = self._channels.get(stream_id)
        return None if entry is None else entry[0]

    def channel(self, stream_id: str, source: Source | SourceFactory) -> Channel:
        """The stream with this id; started from ``source`` if the hub does not hold it."""
        found = self.get(stream_id)
        if found is not None:
            return found
        messages, size, age = self._replay
        log = ReplayLog(max_messages=messages, max_bytes=size, max_age=age, clock=self._clock)
        channel = Channel(log, client_messages=self._client[0], client_bytes=self._client[1])
        self._channels[stream_id] = (channel, self._clock())
        while len(self._channels) > self.max_streams:
            self._drop(next(iter(self._channels)))
        start_producer(channel, source)
        return channel

    def _expire(self) -> None:
        now = self._clock()
        for stream_id, (channel, _started) in list(self._channels.items()):
            if channel.finished and channel.ended_at is None:
                channel.ended_at = now
            elif channel.ended_at is not None and now - channel.ended_at > self.linger:
                self._drop(stream_id)

    def _drop(self, stream_id: str) -> None:
        channel, _started = self._channels.pop(stream_id)
        # Its clients are told, not left waiting for an end that would never come.
        channel.abort(f"the server dropped stream {stream_id!r}: more than"
                      f" {self.max_streams} streams at once")
