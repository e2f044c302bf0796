#!/usr/bin/env python
"""Load and faults on loopback: many SSE clients on many streams of ``midstream serve``.

Usage::

    python benchmarks/bench_web.py                     # 500 clients on 50 streams
    python benchmarks/bench_web.py --clients 100 --streams 10

A uvicorn server (in a child process, so that its CPU time is its own) serves
the demo answer through ``ModelStream`` on each stream, with a small buffer
per client. The clients, raw asyncio sockets in this process, each follow one
stream to its end with midstream's SSE decoder and ``StreamState``: 10% read
slowly (a small receive buffer, a pause between small reads), so that the
server's buffer for them merges appends and, past its bound, sends a
snapshot; 10% drop their connection in the middle and resume with
``Last-Event-ID``. Every client must end with exactly the value and field
states Python's ``ModelStream`` gives (nothing lost, nothing doubled).

Reported: bytes one client receives for a whole stream (and the document's
size), the server's CPU time per message published and per message
delivered, and how many snapshots and resumes there were. ``tests/test_web_load.py``
runs the same driver, smaller, with the server in a thread.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

from midstream import (  # noqa: E402
    Event,
    FieldInvalid,
    FieldValidated,
    ModelStream,
    SSEDecoder,
    ValueDone,
    ValueStart,
)
from midstream._demo import load_demo_chunks  # noqa: E402
from midstream.web import StreamHub, StreamState  # noqa: E402
from midstream.web._demo_model import DemoProject  # noqa: E402
from midstream.web._serve import ServeApp  # noqa: E402

#: The server's bounds under load: small, so that slow clients hit them.
CLIENT_MESSAGES = 50
CLIENT_BYTES = 16 * 1024
#: A slow client reads 1 KB, then waits this long: 20 KB/s.
SLOW_PAUSE = 0.05


def load_document(copies: int) -> str:
    """The demo answer with its features repeated ``copies`` times (valid for DemoProject).

    Bigger than the demo, so that a slow reader falls behind past what the
    sockets and uvicorn's own write buffer (64 KB) absorb, into midstream's
    per-client buffer.
    """
    doc = json.loads("".join(load_demo_chunks()))
    doc["features"] = doc["features"] * copies
    return json.dumps(doc, indent=2, ensure_ascii=False)


def token_sized(text: str) -> list[str]:
    """``text`` in pieces of 1 to 7 characters (about what a tokenizer gives), fixed."""
    rng = random.Random(0)
    out, i = [], 0
    while i < len(text):
        n = rng.randint(1, 7)
        out.append(text[i:i + n])
        i += n
    return out


async def load_source(
    chunks: list[str], delay: float, finished: threading.Event | None = None
) -> AsyncIterator[Event]:
    """``chunks`` through ``ModelStream(DemoProject)``, ``delay`` seconds apart.

    ``finished`` is set once the last event is out (the frozen clients of the
    test wait for it).
    """
    from pydantic import ValidationError

    stream = ModelStream(DemoProject)
    for chunk in chunks:
        await asyncio.sleep(delay)  # the model's pace (load shape, not synchronisation)
        for event in stream.feed(chunk):
            yield event
    with contextlib.suppress(ValidationError):  # "stars": 0 is invalid on purpose
        for event in stream.close():
            yield event
    if finished is not None:
        finished.set()


def load_app(
    chunks: list[str], delay: float, finished: dict[str, threading.Event] | None = None
) -> tuple[ServeApp, StreamHub]:
    """The serve app on the load document, with small per-client buffers."""
    hub = StreamHub(client_messages=CLIENT_MESSAGES, client_bytes=CLIENT_BYTES)
    events = finished if finished is not None else {}

    def source(stream_id: str, query: dict[str, list[str]]) -> AsyncIterator[Event]:
        return load_source(chunks, delay, events.get(stream_id))

    return ServeApp(source, hub=hub), hub


def expected(chunks: list[str]) -> tuple[Any, dict[tuple[Any, ...], str]]:
    """The final value and field states, as Python's ModelStream gives them."""
    stream = ModelStream(DemoProject)
    states: dict[tuple[Any, ...], str] = {}
    for chunk in chunks:
        for ev in stream.feed(chunk):
            if isinstance(ev, ValueStart):
                states[ev.path] = "partial"
            elif isinstance(ev, ValueDone):
                states[ev.path] = "complete"
            elif isinstance(ev, FieldValidated):
                states[ev.path] = "valid"
            elif isinstance(ev, FieldInvalid):
                states[ev.path] = "invalid"
    return json.loads("".join(chunks)), states


def listening_socket() -> socket.socket:
    """A listening socket on loopback whose connections get a small send buffer.

    Loopback sockets otherwise grow megabytes of buffer, which would hide a
    slow reader from the server (accepted sockets inherit the size).
    """
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


@contextlib.contextmanager
def live_server(app: Any) -> Iterator[int]:
    """Serve ``app`` with uvicorn on 127.0.0.1 in a thread; yields the port.

    The socket is bound and listening before uvicorn starts, so connections
    are accepted from the first moment (nothing to wait for).
    """
    import uvicorn

    sock = listening_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           backlog=1024))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@dataclass
class Client:
    """One SSE client following stream ``stream`` to its end."""

    stream: str
    slow: bool = False
    drop_at: int | None = None  # bytes after which the first connection is dropped
    headers: str = ""  # extra request header lines, each ending in CRLF
    attached: asyncio.Event = field(default_factory=asyncio.Event)  # the server has it
    state: StreamState = field(default_factory=StreamState)
    received: int = 0  # bytes of body received, all connections
    connections: int = 0
    messages: int = 0
    snapshots: int = 0  # after the first message: a fall behind, or a resume from a gone id
    duplicates: int = 0

    async def run(self, port: int) -> None:
        while not self.state.ended:
            self.connections += 1
            await self._connect(port, self.drop_at if self.connections == 1 else None)

    async def _connect(self, port: int, drop_at: int | None) -> None:
        sock = socket.socket()
        if self.slow:  # a small receive window: the server's writes back up
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock)
        resume = f"Last-Event-ID: {self.state.seq}\r\n" if self.connections > 1 else ""
        # HTTP/1.0: the body is the rest of the connection (no chunked framing to undo).
        writer.write(f"GET /streams/{self.stream} HTTP/1.0\r\nHost: bench\r\n{resume}"
                     f"{self.headers}\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        self.attached.set()  # the response began: the server attached this client
        decoder = SSEDecoder()
        got = 0
        try:
            while True:
                data = await reader.read(1024 if self.slow else 65536)
                if not data:
                    break
                if self.slow:
                    await asyncio.sleep(SLOW_PAUSE)  # a slow reader (load shape, not sync)
                got += len(data)
                self.received += len(data)
                for sse in decoder.feed(data):
                    msg = json.loads(sse.data)
                    if msg["type"] == "snapshot" and self.messages:  # not the first one
                        self.snapshots += 1
                    self.messages += 1
                    if not self.state.apply(msg):
                        self.duplicates += 1
                if drop_at is not None and got >= drop_at:
                    break  # drop the connection mid-stream
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def drive(port: int, clients: int, streams: int, *, slow: float, drop: float,
                seed: int = 0) -> list[Client]:
    """Run ``clients`` clients on ``streams`` streams concurrently; return them."""
    rng = random.Random(seed)
    run = [
        Client(f"s{i % streams}", slow=rng.random() < slow,
               drop_at=rng.randint(500, 8000) if rng.random() < drop else None)
        for i in range(clients)
    ]
    await asyncio.gather(*(c.run(port) for c in run))
    return run


def check(clients: list[Client], chunks: list[str]) -> None:
    """Every client ended with ModelStream's value and field states: nothing lost or doubled."""
    value, states = expected(chunks)
    for c in clients:
        assert c.state.ended, c
        assert c.state.value == value, c.stream
        assert {p: f.state for p, f in c.state.fields.items()} == states, c.stream


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def _serve_child(fd: int, chunks: list[str], delay: float) -> None:
    """The child process: serve the load app on the listening socket it inherited."""
    import uvicorn

    sock = socket.socket(fileno=fd)
    app, _hub = load_app(chunks, delay)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           backlog=1024))
    server.run(sockets=[sock])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--streams", type=int, default=50)
    ap.add_argument("--slow", type=float, default=0.1)
    ap.add_argument("--drop", type=float, default=0.1)
    ap.add_argument("--copies", type=int, default=10,
                    help="the demo's features repeated this many times (default 10: ~16 KB)")
    ap.add_argument("--delay", type=float, default=0.002,
                    help="seconds between two chunks of a stream (default 0.002)")
    ap.add_argument("--serve-fd", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    chunks = token_sized(load_document(args.copies))
    if args.serve_fd is not None:
        _serve_child(args.serve_fd, chunks, args.delay)
        return
    sock = listening_socket()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-fd", str(sock.fileno()), "--copies",
         str(args.copies), "--delay", str(args.delay)],
        pass_fds=[sock.fileno()],
    )
    try:
        port = sock.getsockname()[1]
        cpu_before = _cpu_seconds(child.pid)
        clients = asyncio.run(drive(port, args.clients, args.streams,
                                    slow=args.slow, drop=args.drop))
        cpu = _cpu_seconds(child.pid) - cpu_before
    finally:
        child.terminate()
        child.wait(30)
    check(clients, chunks)
    messages = clients[0].state.seq  # per stream (every stream is the same document)
    plain = [c.received for c in clients if not c.slow and c.drop_at is None]
    delivered = sum(c.state.seq for c in clients)  # messages a client would have applied
    doc = len("".join(chunks).encode())
    print(f"{len(chunks)} chunks per stream, {args.delay * 1000:g} ms apart")
    print(f"clients {len(clients)}, streams {args.streams}, slow {sum(c.slow for c in clients)},"
          f" dropped and resumed {sum(c.drop_at is not None for c in clients)}: all ended"
          " with the value and field states of ModelStream")
    print(f"bytes per stream (one client, whole stream): {min(plain)}..{max(plain)}"
          f" for a {doc}-byte document, {messages} messages")
    print(f"server CPU: {cpu:.2f} s; per message published"
          f" {cpu / (messages * args.streams) * 1e6:.0f} us; per message delivered"
          f" {cpu / delivered * 1e6:.1f} us")
    slow = [c.received for c in clients if c.slow]
    if slow:
        print(f"slow clients received {min(slow)}..{max(slow)} bytes (appends merged while"
              " they were behind)")
    print(f"snapshots after a fall behind or a resume: {sum(c.snapshots for c in clients)};"
          f" duplicates dropped: {sum(c.duplicates for c in clients)}")


if __name__ == "__main__":
    main()
