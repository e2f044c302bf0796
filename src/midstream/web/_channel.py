"""One stream's hub: its state, its replay log and its clients (sans-I/O).

Every message published is applied to the server's own :class:`StreamState`
(from which snapshots are made), written once as an SSE frame, kept in the
:class:`ReplayLog` and put into each client's :class:`ClientBuffer`. Nothing
here waits: the producer publishes and goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ._buffer import DEFAULT_CLIENT_BYTES, DEFAULT_CLIENT_MESSAGES, ClientBuffer
from ._protocol import Message, sse_frame
from ._replay import ReplayLog
from ._state import StreamState

__all__ = ["Channel"]


class Channel:
    """The messages of one stream and the clients reading it.

    Args:
        log: the replay log (a default-bounded one when None).
        client_messages, client_bytes: each client's bound (see :class:`ClientBuffer`).
    """

    def __init__(
        self,
        log: ReplayLog | None = None,
        *,
        client_messages: int = DEFAULT_CLIENT_MESSAGES,
        client_bytes: int = DEFAULT_CLIENT_BYTES,
    ) -> None:
        self.state = StreamState()
        self.log = log if log is not None else ReplayLog()
        self.clients: set[ClientBuffer] = set()
        self.finished = False
        self.task: Any = None  # the producer feeding it, set by the I/O side
        self.ended_at: float | None = None  # when a hub first saw it finished
        # Over the clients gone: the most bytes one had pending, the snapshots they were sent.
        self.peak_client_bytes = 0
        self.client_snapshots = 0
        self._client_messages = client_messages
        self._client_bytes = client_bytes

    @property
    def last_seq(self) -> int:
        """The seq of the last message published (0 before the first)."""
        return self.state.seq

    def publish(self, messages: Iterable[Message]) -> None:
        """Apply, log and hand each message to every client; ``end`` closes them."""
        for msg in messages:
            self.state.apply(msg)
            frame = sse_frame(msg)
            self.log.append(msg["seq"], frame)
            for client in self.clients:
                client.put(msg, frame)
            if msg["type"] == "end":
                self.finished = True
                for client in self.clients:
                    client.close()
                self.clients.clear()

    def abort(self, reason: str) -> None:
        """End a stream whose producer was stopped: its clients get ``error`` then ``end``."""
        if self.finished:
            return
        if self.task is not None and not self.task.done():
            self.task.cancel()
        seq = self.last_seq
        self.publish([
            {"type": "error", "seq": seq + 1, "message": reason, "error_type": "Aborted"},
            {"type": "end", "seq": seq + 2},
        ])

    def attach(
        self, after: int | None = None, on_ready: Callable[[], None] | None = None
    ) -> ClientBuffer:
        """A buffer for a new client: what it missed after ``after``, then what comes.

        ``after`` None (a first visit) or gone from the log gives a snapshot
        first; a known id gives the frames after it, from the log.
        """
        client = ClientBuffer(
            self.state.snapshot,
            max_messages=self._client_messages,
            max_bytes=self._client_bytes,
            on_ready=on_ready,
        )
        frames = None if after is None else self.log.since(after)
        if frames is None:
            client.request_snapshot()
        else:
            client.put_frames(frames)
        if self.finished:
            client.close()
        else:
            self.clients.add(client)
        return client

    def detach(self, client: ClientBuffer) -> None:
        """Forget a client that went away (or read to the end)."""
        self.clients.discard(client)
        self.peak_client_bytes = max(self.peak_client_bytes, client.peak_bytes)
        self.client_snapshots += client.snapshots
