"""``midstream serve``: a small ASGI app (plain ASGI, run by uvicorn) and its sources.

Routes: ``/`` the page, ``/midstream.js`` and ``/midstream.d.ts`` the client,
``/streams/{id}`` the stream (SSE on GET or POST, or a WebSocket): a new id
starts a stream, a known one resumes it (``Last-Event-ID`` or ``?after=N``).
With ``--demo`` a stream is the bundled demo answer, paced like a model and
validated by :class:`DemoProject`; otherwise the answer of an
OpenAI-compatible server (``OPENAI_BASE_URL``) to ``?prompt=``, validated by a
schema given as ``module:Model``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs

from .._demo import demo_delays, load_demo_chunks
from .._events import ContentDelta, Event
from ._asgi import EventStreamResponse, Receive, Scope, Send
from ._hub import StreamHub
from ._merge import _close
from ._static import CONTENT_TYPES, ClientFiles, reply, static_file

__all__ = ["ServeApp", "demo_source", "relay_source"]

async def demo_source(speed: float = 1.0) -> AsyncIterator[Event]:
    """The bundled answer through ``ModelStream(DemoProject)``, paced like a model."""
    from pydantic import ValidationError

    from .._pydantic import ModelStream
    from ._demo_model import DemoProject

    chunks = load_demo_chunks()
    stream = ModelStream(DemoProject)
    for chunk, delay in zip(chunks, demo_delays(len(chunks), speed), strict=True):
        if delay:
            await asyncio.sleep(delay)  # the model's pace, not a synchronisation
        for event in stream.feed(chunk):
            yield event
    try:
        for event in stream.close():
            yield event
    except ValidationError:
        pass  # on purpose: the page shows the invalid field; its events came already


async def relay_source(schema: Any, prompt: str, model: str | None = None) -> AsyncIterator[Event]:
    """An OpenAI-compatible server's answer to ``prompt``, validated field by field."""
    import openai

    from .._adapters import astream_events

    client = openai.AsyncOpenAI(
        api_key=os.environ.get("OPENAI_API_KEY") or "not-needed",
        base_url=os.environ.get("OPENAI_BASE_URL"), max_retries=0,
    )
    stream = await client.chat.completions.create(
        model=model or os.environ.get("OPENAI_MODEL") or "gpt-4o-mini",
        messages=[{"role": "user", "content": prompt}],
        stream=True,
        response_format={"type": "json_schema", "json_schema": {
            "name": schema.__name__, "schema": schema.model_json_schema()}},
    )
    events = astream_events(stream, model=schema)
    try:
        async for event in events:
            if not isinstance(event, ContentDelta):  # the fields carry the content already
                yield event
    finally:
        await _close(events)


class ServeApp:
    """The ASGI app of ``midstream serve``.

    Args:
        source: makes the events of a new stream from its id and the request's query.
        hub: where the streams live (kept for resume).
        heartbeat: seconds between heartbeat comments.
    """

    def __init__(
        self,
        source: Callable[[str, dict[str, list[str]]], AsyncIterator[Event]],
        *,
        hub: StreamHub | None = None,
        heartbeat: float = 15.0,
    ) -> None:
        self.source = source
        self.hub = hub if hub is not None else StreamHub()
        self.heartbeat = heartbeat

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        path: str = scope["path"]
        if path.startswith("/streams/") and len(path) > len("/streams/"):
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            stream_id = path[len("/streams/"):]
            response = EventStreamResponse(
                lambda: self.source(stream_id, query), hub=self.hub, stream_id=stream_id,
                heartbeat=self.heartbeat,
            )
            await response(scope, receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})
        elif path == "/":
            await reply(send, 200, CONTENT_TYPES["demo.html"], static_file("demo.html"))
        else:
            await ClientFiles()(scope, receive, send)
