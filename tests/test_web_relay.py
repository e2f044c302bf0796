"""``midstream serve`` without --demo: the answer of an OpenAI-compatible server, relayed.

The real openai SDK talks to the project's recording server on loopback
(a real recorded stream); the relay's messages rebuild the validated answer,
and a client that goes away closes the upstream request (the server sees the
disconnect while it still holds the rest of the answer back).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from pydantic import BaseModel

from _sse_server import RecordingServer, load_corpus
from helpers import shared_path
from midstream.web import EventStreamResponse, StreamState
from midstream.web._serve import ServeApp, relay_source
from test_web_server import Conn
from web_helpers import in_loop

STREAM = "openai-python:test_parse_pydantic_model:15ae68f7"


class Weather(BaseModel):
    city: str
    temperature: int
    units: str


@pytest.fixture(scope="module")
def server() -> Any:
    pytest.importorskip("openai")
    with RecordingServer(load_corpus(shared_path("corpus", "real"))) as srv:
        yield srv


@pytest.fixture
def relay(server: RecordingServer, monkeypatch: pytest.MonkeyPatch) -> RecordingServer:
    server.reset()
    monkeypatch.setenv("OPENAI_BASE_URL", server.url + "/v1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return server


@pytest.mark.shared
@in_loop
async def test_relay_streams_the_validated_fields(relay: RecordingServer) -> None:
    app = ServeApp(lambda stream_id, query: relay_source(Weather, query["prompt"][0], STREAM))
    conn = Conn(query=b"prompt=Weather+in+SF%3F")
    conn.scope.update(path="/streams/w1", method="GET")
    await app(conn.scope, conn.receive, conn.send)
    state = StreamState()
    for msg in conn.messages():
        state.apply(msg)
    assert state.ended and state.value == {"city": "San Francisco", "temperature": 68,
                                           "units": "f"}
    assert {p: f.state for p, f in state.fields.items()} == {
        (): "valid", ("city",): "valid", ("temperature",): "valid", ("units",): "valid"
    }
    assert state.finish == "stop"
    assert not any(m["type"] == "text" for m in conn.messages())  # content is not sent twice
    path, body, _headers = relay.requests[-1]
    assert path == "/v1/chat/completions" and body["messages"][-1]["content"] == "Weather in SF?"


@pytest.mark.shared
@in_loop
async def test_a_client_gone_closes_the_upstream_request(relay: RecordingServer) -> None:
    relay.hold_after = 4
    conn = Conn()
    task = asyncio.ensure_future(
        EventStreamResponse(relay_source(Weather, "Weather?", STREAM))(
            conn.scope, conn.receive, conn.send)
    )
    await asyncio.to_thread(relay.holding.wait, 60)
    conn.gone.set()
    await task
    assert await asyncio.to_thread(relay.disconnected.wait, 60)
    assert not relay.released.is_set()
    assert json.loads(json.dumps(conn.messages()))[0]["type"] == "snapshot"
