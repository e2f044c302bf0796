"""The server side in process: client buffers, merge, the ASGI response, resume, the hub."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from midstream import JsonStream, StringDelta, ValueDone, ValueStart
from midstream.web import (
    Channel,
    ClientBuffer,
    Encoder,
    EventStreamResponse,
    StreamHub,
    StreamState,
    merge,
)
from web_helpers import decode_frames, in_loop

DOC = json.dumps({"title": "streaming", "tags": ["a", "b"], "body": "x" * 50, "n": 3})


def doc_events(text: str = DOC, step: int = 3) -> list[Any]:
    parser = JsonStream()
    events = []
    for i in range(0, len(text), step):
        events += parser.feed(text[i:i + step])
    return events + parser.close()


# --- the client buffer ---------------------------------------------------------------


def test_a_slow_client_gets_its_appends_merged_and_nothing_lost() -> None:
    channel = Channel()
    client = channel.attach(0)
    encoder = Encoder()
    channel.publish(encoder.encode(doc_events(step=1)))  # the client reads nothing meanwhile
    frames = client.take()
    state = StreamState()
    for msg in decode_frames(frames):
        state.apply(msg)
    assert state.value == json.loads(DOC)
    appends = [m for m in decode_frames(frames) if m["type"] == "append"]
    assert len(appends) == 4 and client.merged > 40  # one per string, not one per character
    assert state.seq == channel.last_seq


def test_merged_appends_count_against_the_bound_too() -> None:
    """One long string, read by nobody: its appends merge into one message, which must not
    grow past the byte bound (it did: only a new message was checked)."""
    channel = Channel(client_bytes=1024)
    client = channel.attach(0)
    encoder = Encoder()
    text = json.dumps({"s": "y" * 20_000})
    channel.publish(encoder.encode(doc_events(text, step=4)))
    assert client.snapshots == 0 and client.pending == 1  # a snapshot is due
    assert client.peak_bytes <= 1024 + 64  # the bound, and at most one piece past it
    (msg,) = decode_frames(client.take())
    assert msg["type"] == "snapshot"
    state = StreamState()
    state.apply(msg)
    assert state.value == json.loads(text) and state.seq == channel.last_seq


def test_past_its_bound_a_client_gets_one_snapshot_and_the_producer_goes_on() -> None:
    channel = Channel(client_messages=5)
    client = channel.attach(0)
    encoder = Encoder()
    events = doc_events()
    channel.publish(encoder.encode(events[:20]))
    assert client.pending == 1  # the pending messages were dropped for a snapshot due
    channel.publish(encoder.encode(events[20:]))  # still never waits
    state = StreamState()
    (msg,) = decode_frames(client.take())
    assert msg["type"] == "snapshot" and client.snapshots == 1
    state.apply(msg)
    assert state.value == json.loads(DOC) and state.seq == channel.last_seq
    assert len(ClientBuffer(lambda: {}).take()) == 0


# --- merge -----------------------------------------------------------------------------


class Source:
    """An async source that yields when told to, and records being closed."""

    def __init__(self, items: list[Any], fail: bool = False) -> None:
        self.items, self.fail = items, fail
        self.closed = False
        self.go = asyncio.Event()

    async def run(self) -> Any:
        try:
            for item in self.items:
                await self.go.wait()
                self.go.clear()
                yield item
            if self.fail:
                await self.go.wait()
                raise RuntimeError("upstream failed")
            await self.go.wait()  # an upstream that stays open until told
        finally:
            self.closed = True


@in_loop
async def test_merge_interleaves_as_events_arrive_and_closes_every_source() -> None:
    a, b = Source(["a1", "a2"]), Source(["b1"])
    merged = merge({"a": a.run(), "b": b.run()})
    b.go.set()
    assert await anext(merged) == ("b", "b1")
    a.go.set()
    assert await anext(merged) == ("a", "a1")
    await merged.aclose()  # the consumer stops
    assert a.closed and b.closed


@in_loop
async def test_merge_one_source_failing_closes_the_others() -> None:
    a, b = Source([], fail=True), Source(["b1"])
    merged = merge({"a": a.run(), "b": b.run()})
    a.go.set()
    with pytest.raises(RuntimeError, match="upstream failed"):
        async for _ in merged:
            pass
    assert a.closed and b.closed


# --- the ASGI response -----------------------------------------------------------------


class Conn:
    """A plain ASGI connection: collects what is sent, disconnects when told."""

    def __init__(self, headers: list[tuple[bytes, bytes]] = (), query: bytes = b"") -> None:  # type: ignore[assignment]
        self.scope = {"type": "http", "headers": list(headers), "query_string": query}
        self.sent: list[dict[str, Any]] = []
        self.gone = asyncio.Event()
        self.got = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        self.got.set()

    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent[1:])

    def messages(self) -> list[dict[str, Any]]:
        return decode_frames([self.body()])


async def serve(response: Any, conn: Conn) -> None:
    await response(conn.scope, conn.receive, conn.send)


@in_loop
async def test_plain_asgi_response_streams_the_document() -> None:
    conn = Conn()
    await serve(EventStreamResponse(doc_events()), conn)
    start = conn.sent[0]
    headers = dict(start["headers"])
    assert start["status"] == 200
    assert headers[b"content-type"].startswith(b"text/event-stream")
    assert headers[b"cache-control"] == b"no-cache" and headers[b"x-accel-buffering"] == b"no"
    assert conn.sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    state = StreamState()
    msgs = conn.messages()
    assert msgs[0]["type"] == "snapshot" and msgs[-1]["type"] == "end"
    for msg in msgs:
        state.apply(msg)
    assert state.value == json.loads(DOC) and state.ended


@in_loop
async def test_a_client_disconnect_closes_the_upstream_source() -> None:
    upstream = Source([ValueStart((), "string"), StringDelta((), "hi")])
    conn = Conn()
    task = asyncio.ensure_future(serve(EventStreamResponse(upstream.run()), conn))
    upstream.go.set()
    while len(conn.sent) < 2:  # the headers, then the first message (a snapshot holding the start)
        conn.got.clear()
        await conn.got.wait()
    assert conn.messages()[0]["fields"] == [{"path": [], "state": "partial"}]
    conn.gone.set()
    await task
    assert upstream.closed


@in_loop
async def test_a_kept_stream_resumes_from_last_event_id_with_nothing_lost_or_doubled() -> None:
    hub = StreamHub()
    upstream = Source(doc_events())
    first = Conn()
    task = asyncio.ensure_future(serve(EventStreamResponse(upstream.run, hub=hub,
                                                           stream_id="s1"), first))
    for _ in range(10):
        upstream.go.set()
        first.got.clear()
        await first.got.wait()
    first.gone.set()
    await task
    assert not upstream.closed  # kept for resume: the model goes on
    seen = first.messages()
    last = seen[-1]["seq"]
    while not hub.get("s1").finished:  # type: ignore[union-attr]
        upstream.go.set()
        await asyncio.sleep(0)
    upstream.go.set()
    again = Conn(headers=[(b"last-event-id", str(last).encode())])
    await serve(EventStreamResponse(lambda: pytest.fail("restarted"), hub=hub,
                                    stream_id="s1"), again)
    rest = again.messages()
    assert rest[0]["seq"] == last + 1  # from the log: no snapshot, no gap, no repeat
    state = StreamState()
    for msg in seen + rest:
        assert state.apply(msg)
    assert state.value == json.loads(DOC) and state.ended
    by_query = Conn(query=f"after={last}".encode())
    await serve(EventStreamResponse(lambda: [], hub=hub, stream_id="s1"), by_query)
    assert by_query.messages() == rest


@in_loop
async def test_websocket_carries_the_same_messages() -> None:
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "websocket.connect"}]

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop()
        await asyncio.Event().wait()
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    http = Conn()
    await serve(EventStreamResponse(doc_events()), http)
    await EventStreamResponse(doc_events())(
        {"type": "websocket", "headers": [], "query_string": b""}, receive, send
    )
    assert sent[0] == {"type": "websocket.accept"}
    assert sent[-1]["type"] == "websocket.close"
    assert [json.loads(m["text"]) for m in sent[1:-1]] == http.messages()


@in_loop
async def test_heartbeat_comment_on_a_quiet_connection() -> None:
    upstream = Source([ValueStart((), "null"), ValueDone((), None)])
    conn = Conn()
    task = asyncio.ensure_future(serve(EventStreamResponse(upstream.run(), heartbeat=0.001), conn))
    while b": ping\n\n" not in conn.body():
        conn.got.clear()
        await conn.got.wait()
    conn.gone.set()
    await task
    assert upstream.closed


def test_fastapi_returns_it_as_is() -> None:
    fastapi = pytest.importorskip("fastapi")
    httpx = pytest.importorskip("httpx")

    app = fastapi.FastAPI()

    @app.post("/answer")
    async def answer() -> EventStreamResponse:
        return EventStreamResponse(doc_events())

    async def fetch() -> bytes:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            reply = await client.post("/answer")
            assert reply.headers["content-type"].startswith("text/event-stream")
            return reply.content

    state = StreamState()
    for msg in decode_frames([asyncio.run(fetch())]):
        state.apply(msg)
    assert state.value == json.loads(DOC) and state.ended


@in_loop
async def test_the_client_files_are_served_from_the_wheel() -> None:
    from midstream.web import ClientFiles

    for path, kind in (("/x/midstream.js", b"text/javascript"), ("/midstream.d.ts", b"text/plain")):
        conn = Conn()
        conn.scope["path"] = path
        await ClientFiles()(conn.scope, conn.receive, conn.send)
        assert conn.sent[0]["status"] == 200
        assert dict(conn.sent[0]["headers"])[b"content-type"].startswith(kind)
        assert b"midstream-events/1" in conn.body()
    conn = Conn()
    conn.scope["path"] = "/etc/passwd"
    await ClientFiles()(conn.scope, conn.receive, conn.send)
    assert conn.sent[0]["status"] == 404


def test_serve_needs_demo_or_a_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from midstream._cli import main

    assert main(["serve"]) == 2
    assert "--demo" in capsys.readouterr().err


def test_a_hub_forgets_finished_streams_after_linger_and_holds_at_most_max_streams() -> None:
    now = [0.0]

    async def run() -> None:
        hub = StreamHub(max_streams=2, linger=10.0, clock=lambda: now[0])
        for name in ("a", "b"):
            channel = hub.channel(name, [])
            await channel.task
            assert channel.finished
        assert "a" in hub and "b" in hub
        now[0] = 11.0
        assert "a" not in hub and len(hub) == 0
        first = hub.channel("c", Source([]).run())
        listener = first.attach(None)
        for name in ("d", "e"):
            hub.channel(name, doc_events())
        assert "c" not in hub and len(hub) == 2
        msgs = decode_frames(listener.take())
        assert [m["type"] for m in msgs] == ["snapshot"] and msgs[0]["ended"]
        assert "more than 2 streams" in msgs[0]["error"]["message"] and listener.closed

    asyncio.run(run())


@in_loop
async def test_several_streams_in_one_response_are_tagged() -> None:
    async def answer(text: str) -> Any:
        parser = JsonStream()
        for i in range(0, len(text), 2):
            for event in parser.feed(text[i:i + 2]):
                yield event
            await asyncio.sleep(0)  # another stream's turn
        for event in parser.close():
            yield event

    docs = {"a": {"x": "first", "n": [1, 2]}, "b": ["second", {"y": None}]}
    conn = Conn()
    await serve(EventStreamResponse(merge({k: answer(json.dumps(v)) for k, v in docs.items()})),
                conn)
    msgs = conn.messages()
    assert [m["seq"] for m in msgs[1:]] == list(range(1, len(msgs)))  # one sequence for all
    tags = [m.get("stream") for m in msgs[1:-1]]
    assert set(tags) == {"a", "b"} and tags != sorted(tags)  # interleaved as they came
    state = StreamState()
    for msg in msgs:
        state.apply(msg)
    assert state.ended and state.value is None
    assert {k: s.value for k, s in state.streams.items()} == docs
    assert state.snapshot()["streams"]["b"]["value"] == docs["b"]


def test_the_replay_log_is_bounded_in_messages_bytes_and_age() -> None:
    from midstream.web import ReplayLog

    now = [0.0]
    log = ReplayLog(max_messages=5, max_bytes=40, max_age=10.0, clock=lambda: now[0])
    for seq in range(1, 5):
        log.append(seq, b"x" * 8)
        now[0] += 1
    assert log.since(0) is not None and log.since(2) == [b"x" * 8] * 2
    log.append(5, b"y" * 20)  # 52 bytes: the oldest go until 40 fit
    assert log.bytes <= 40 and log.since(0) is None and log.since(3) == [b"x" * 8, b"y" * 20]
    assert log.since(5) == [] and log.since(6) is None  # an id never given: a snapshot
    now[0] += 20
    assert log.since(4) is None and len(log) == 0  # too old: gone


def test_plain_asgi_without_starlette() -> None:
    """With Starlette absent the response is a plain ASGI app and still streams."""
    import subprocess
    import sys

    code = """
import asyncio, sys
sys.modules["starlette"] = None  # an import of it now fails, as where it is not installed
from midstream import JsonStream
from midstream.web import EventStreamResponse, StreamState
from midstream.web._asgi import _ResponseBase
assert _ResponseBase is object
sent = []
async def receive():
    await asyncio.Event().wait()
async def send(message):
    sent.append(message)
parser = JsonStream()
events = parser.feed('{"a": [1, "b"]}') + parser.close()
scope = {"type": "http", "headers": [], "query_string": b""}
asyncio.run(EventStreamResponse(events)(scope, receive, send))
from midstream import SSEDecoder
import json
state = StreamState()
for ev in SSEDecoder().feed(b"".join(m.get("body", b"") for m in sent[1:])):
    state.apply(json.loads(ev.data))
assert state.value == {"a": [1, "b"]} and state.ended
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr
