"""Load and faults on loopback, bounded: many SSE clients on several streams of a real server.

The driver is ``benchmarks/bench_web.py``'s, smaller, with the server in a
thread of this process so that its buffers can be inspected afterwards. Some
clients drop their connection mid-stream and resume with ``Last-Event-ID``;
some are frozen: their connection takes no bytes until their stream has been
all produced (what uvicorn does when a client's TCP window is closed, made
certain by a middleware instead of left to the kernel's buffer sizes), so the
server's buffer for them passes its bound and they are sent a snapshot.
Every client must end with exactly ModelStream's value and field states, and
the server's buffers must stay within their bounds. No timing is asserted.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from web_live import bench_web, live_server

CLIENTS, STREAMS = 40, 4


def freezing(app: Any, finished: dict[str, threading.Event]) -> Any:
    """ASGI middleware: a request with ``X-Frozen: s1`` gets no body until stream s1 ended."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        name = dict(scope.get("headers", ())).get(b"x-frozen")
        if name is None:
            await app(scope, receive, send)
            return
        gate = finished[name.decode()]

        async def frozen(message: Any) -> None:
            if message["type"] == "http.response.body" and not gate.is_set():
                await asyncio.to_thread(gate.wait)
            await send(message)

        await app(scope, receive, frozen)

    return wrapped


def test_many_clients_frozen_and_dropping_lose_nothing_and_memory_stays_bounded() -> None:
    chunks = bench_web.token_sized(bench_web.load_document(10))
    finished = {f"s{i}": threading.Event() for i in range(STREAMS)}
    app, hub = bench_web.load_app(chunks, 0.0, finished)

    def client(i: int) -> bench_web.Client:
        stream = f"s{i % STREAMS}"
        return bench_web.Client(
            stream,
            headers=f"X-Frozen: {stream}\r\n" if i in (1, 3) else "",
            drop_at=3000 + 997 * i if i % 10 == 2 else None,
        )

    async def drive(port: int) -> list[bench_web.Client]:
        clients = [client(i) for i in range(CLIENTS)]
        # The frozen ones first, each the first on its stream: attached before the
        # stream ends, however the machine schedules the rest.
        frozen = [asyncio.ensure_future(c.run(port)) for c in clients if c.headers]
        await asyncio.gather(*(c.attached.wait() for c in clients if c.headers))
        await asyncio.gather(*frozen, *(c.run(port) for c in clients if not c.headers))
        return clients

    with live_server(freezing(app, finished)) as port:
        clients = asyncio.run(asyncio.wait_for(drive(port), 240))
    bench_web.check(clients, chunks)  # nothing lost or doubled, for every client

    frozen = [c for c in clients if c.headers]
    dropped = [c for c in clients if c.drop_at is not None]
    assert frozen and all(c.snapshots == 1 and c.connections == 1 for c in frozen)
    assert all(c.received < min(p.received for p in clients if p not in frozen) for c in frozen)
    # The replay log holds every message: a resume gets exactly what was missed, never
    # a message twice. (A client the loaded machine leaves behind may also pass its
    # buffer's bound and be sent a snapshot, as any client may: check() above proved
    # its states exact either way; the resume itself is tested in test_web_server.)
    assert dropped and all(c.connections == 2 and c.duplicates == 0 for c in dropped), [
        (c.drop_at, c.connections, c.duplicates, c.snapshots, c.received) for c in dropped]
    largest_frame = max(len(f) for ch in hub.channels() for f in ch.log.since(0) or [])
    for channel in hub.channels():
        assert channel.finished and not channel.clients
        assert channel.peak_client_bytes <= bench_web.CLIENT_BYTES + largest_frame
        assert channel.log.bytes <= 4 * 1024 * 1024
    assert len(hub) == STREAMS
