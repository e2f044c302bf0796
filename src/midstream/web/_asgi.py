"""``EventStreamResponse``: a stream of midstream events as SSE (or WebSocket), in plain ASGI.

As sse-starlette does, the sender and a disconnect listener run side by
side and whichever returns first cancels the other. What it adds: a
producer that never waits for the client (each client reads from its own
bounded :class:`ClientBuffer`), ``Last-Event-ID`` / ``?after=N`` resume from
the stream's replay log, and a producer cancelled (its source closed) when
the client goes away, unless the stream is kept for resume.

With Starlette installed, the class is a Starlette ``Response`` so that
FastAPI returns it as is; without it, it is a plain ASGI application.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs

from ._buffer import ClientBuffer
from ._channel import Channel
from ._hub import StreamHub
from ._produce import Source, SourceFactory, start_producer
from ._protocol import frame_json, ping_frame

__all__ = [
    "DEFAULT_HEARTBEAT",
    "EventStreamResponse",
    "Receive",
    "Scope",
    "Send",
    "resume_point",
]

#: The ASGI types, written out (no dependency for them).
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: Seconds between heartbeat comments on a quiet connection.
DEFAULT_HEARTBEAT: Final = 15.0
#: Seconds one write may take before a frozen client is dropped.
DEFAULT_SEND_TIMEOUT: Final = 30.0

if TYPE_CHECKING:
    _ResponseBase = object
else:
    try:  # FastAPI returns a Response as is and JSON-encodes anything else
        from starlette.responses import Response as _ResponseBase
    except ImportError:  # pragma: no cover - starlette is the optional ``web`` extra
        _ResponseBase = object


def resume_point(scope: Scope) -> int | None:
    """The last id the client has: ``Last-Event-ID``, else ``?after=N``; None if neither."""
    value: str | None = None
    for name, raw in scope.get("headers", ()):
        if name.lower() == b"last-event-id":
            value = raw.decode("latin-1").strip()
    if value is None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        value = query.get("after", [None])[0]
    if value is None or not value.isdigit():
        return None
    return int(value)


class EventStreamResponse(_ResponseBase):
    """Send a stream of midstream events to one client as ``midstream-events/1``.

    Args:
        source: the events (sync or async iterable of events, of
            :class:`TextUnit`, or ``(tag, event)`` pairs), or a function
            making them (called only when the stream starts, not on resume).
        hub: where streams live between connections; with ``stream_id``, a
            known id is resumed instead of started again.
        stream_id: the stream's id in ``hub``.
        keep: keep the stream running when its last client goes away, so that
            it can be resumed (default: only when a hub holds it). When False,
            a client disconnect cancels the producer and closes the source.
        heartbeat: seconds between ``: ping`` comments on a quiet connection.
        send_timeout: seconds one write may take before the client is dropped.
        headers: extra response headers.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        source: Source | SourceFactory,
        *,
        hub: StreamHub | None = None,
        stream_id: str | None = None,
        keep: bool | None = None,
        heartbeat: float = DEFAULT_HEARTBEAT,
        send_timeout: float = DEFAULT_SEND_TIMEOUT,
        headers: dict[str, str] | None = None,
    ) -> None:
        if (hub is None) != (stream_id is None):
            raise ValueError("give both hub and stream_id, or neither")
        self.source = source
        self.hub = hub
        self.stream_id = stream_id
        self.keep = (hub is not None) if keep is None else keep
        self.heartbeat = heartbeat
        self.send_timeout = send_timeout
        self.extra_headers = headers or {}
        # What FastAPI and Starlette read from a Response they did not build.
        self.status_code = 200
        self.background = None

    def _channel(self) -> Channel:
        if self.hub is not None and self.stream_id is not None:
            return self.hub.channel(self.stream_id, self.source)
        channel = Channel()
        start_producer(channel, self.source)
        return channel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one connection: HTTP (SSE) or WebSocket."""
        websocket = scope["type"] == "websocket"
        if websocket:
            if (await receive())["type"] != "websocket.connect":
                return
            await send({"type": "websocket.accept"})
        channel = self._channel()
        wake = asyncio.Event()
        client = channel.attach(resume_point(scope), on_ready=wake.set)
        if not websocket:
            headers = {
                "content-type": "text/event-stream; charset=utf-8",
                "cache-control": "no-cache",
                "x-accel-buffering": "no",
                **{k.lower(): v for k, v in self.extra_headers.items()},
            }
            await send({
                "type": "http.response.start", "status": 200,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
            })
        sender = asyncio.ensure_future(self._send_all(client, wake, send, websocket))
        listener = asyncio.ensure_future(_until_disconnect(receive))
        try:
            done, _ = await asyncio.wait({sender, listener}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sender, listener):
                task.cancel()
            await asyncio.gather(sender, listener, return_exceptions=True)
            channel.detach(client)
            if not self.keep and not channel.clients and channel.task is not None:
                channel.task.cancel()  # closes the source: the upstream call stops
                await asyncio.wait({channel.task})  # (a cancellation of ours still propagates)
        error = sender.exception() if sender in done and not sender.cancelled() else None
        # A client gone or frozen mid-write is the end of its stream, not a server error.
        if error is not None and not isinstance(error, (OSError, asyncio.TimeoutError)):
            raise error

    async def _send_all(
        self, client: ClientBuffer, wake: asyncio.Event, send: Send, websocket: bool
    ) -> None:
        async def write(frames: list[bytes]) -> None:
            if websocket:
                for frame in frames:
                    await send({"type": "websocket.send", "text": frame_json(frame)})
            else:
                body = b"".join(frames)
                await send({"type": "http.response.body", "body": body, "more_body": True})

        async def write_within(frames: list[bytes]) -> None:
            # Not wait_for: a cancellation arriving with its timeout could leave it waiting.
            task = asyncio.ensure_future(write(frames))
            try:
                done, _ = await asyncio.wait({task}, timeout=self.send_timeout)
            finally:
                task.cancel()
            if not done:
                raise asyncio.TimeoutError(f"a write took over {self.send_timeout} s")
            task.result()

        loop = asyncio.get_running_loop()
        while True:
            frames = client.take()
            if frames:
                await write_within(frames)
                continue
            if client.closed:
                break
            wake.clear()
            if client.pending or client.closed:
                continue
            # Idle: the next message or the heartbeat, whichever comes first, wakes us.
            timer = loop.call_later(self.heartbeat, wake.set)
            try:
                await wake.wait()
            finally:
                timer.cancel()
            if not client.pending and not client.closed and not websocket:
                await write_within([ping_frame()])
        if websocket:
            await send({"type": "websocket.close", "code": 1000})
        else:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] not in ("http.disconnect", "websocket.disconnect"):
        pass
