"""What the Bedrock, Ollama and Cohere tests share: recorded streams, references, real SDKs.

A reference is built from the raw events by plain concatenation (the way the
corpus README says its notes were checked), independent of the readers under
test; the notes themselves give each stream's tool names and finish reason.

The SDK helpers run each provider's real client against a recording: ollama
and cohere through an ``httpx.MockTransport`` (the SDK's own HTTP, NDJSON/SSE
decoding and models), boto3 through a ``before-send`` hook that answers with
the recording as an AWS event stream (botocore's own decoder and parser).
Each gives the stream object the SDK returns and the body, whose ``closed``
says whether closing the stream reached the connection.
"""

from __future__ import annotations

import binascii
import json
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from helpers import shared_path
from midstream import (
    ContentDelta,
    Finish,
    ReasoningDelta,
    ToolCallAssembler,
    ToolCallDone,
    ToolCallError,
    Usage,
)


def recorded(name: str) -> dict[str, dict[str, Any]]:
    """The streams of ``../shared/corpus/real/<name>.jsonl``, by id."""
    path = shared_path("corpus", "real", f"{name}.jsonl")
    streams = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return {s["id"]: s for s in streams}


class Recorded(dict[str, dict[str, Any]]):
    """Streams by id; where ``../shared`` is absent, empty, and looking one up skips the test."""

    def __init__(self, name: str, streams: dict[str, dict[str, Any]]) -> None:
        super().__init__(streams)
        self.name = name

    def __missing__(self, sid: str) -> dict[str, Any]:
        return recorded(self.name)[sid]  # skips (fails where CI is set) when absent


def recorded_at_import(name: str) -> Recorded:
    """:func:`recorded` for parametrizing at import: empty where ``../shared`` is absent.

    A parametrized test then has no cases, and any other test that looks a
    stream up skips (fails where ``CI`` is set), as :func:`shared_path` does.
    """
    from helpers import SHARED

    if not SHARED.joinpath("corpus", "real", f"{name}.jsonl").exists():
        return Recorded(name, {})
    return Recorded(name, recorded(name))


def notes_finish(notes: str) -> str:
    match = re.search(r"finish=([^.;\s]+)", notes)
    assert match, notes
    return match.group(1)


def notes_tools(notes: str) -> list[str]:
    """The tool names the notes record, in order (Bedrock ``toolUse``, others ``tool_call[i]``)."""
    return re.findall(r"(?:block\[\d+\] toolUse|tool_call\[\d+\]) (\S+?):", notes)


def notes_bytes(notes: str, what: str) -> int:
    """Total bytes the notes record for text (``what="text"``) or reasoning."""
    if what == "text":
        pattern = r"(?:text: |message\.content: )(?:text|JSON \([^)]*\)), (\d+)B"
    else:
        pattern = r"(?:reasoningContent\.text|thinking|tool_plan): (\d+)B"
    return sum(int(n) for n in re.findall(pattern, notes))


@dataclass
class Reference:
    """What a stream holds, by concatenation: calls (id, name, arguments), text, reasoning."""

    calls: list[tuple[str | None, str, Any]] = field(default_factory=list)
    text: str = ""
    reasoning: str = ""


def loads(text: str) -> Any:
    return json.loads(text) if text.strip() else {}


@dataclass
class Outcome:
    """What an assembler made of a stream."""

    events: list[Any]
    done: list[ToolCallDone]
    errors: list[ToolCallError]
    text: str
    reasoning: str
    finishes: list[str | None]
    usage: list[Usage]

    def calls(self) -> list[tuple[str | None, str, Any]]:
        return [(d.id, d.name, d.arguments) for d in self.done]


def outcome(events: list[Any]) -> Outcome:
    return Outcome(
        events,
        [e for e in events if isinstance(e, ToolCallDone)],
        [e for e in events if isinstance(e, ToolCallError)],
        "".join(e.text for e in events if isinstance(e, ContentDelta)),
        "".join(e.text for e in events if isinstance(e, ReasoningDelta)),
        [e.reason for e in events if isinstance(e, Finish)],
        [e for e in events if isinstance(e, Usage)],
    )


def assemble(items: Any, **kw: Any) -> Outcome:
    acc = ToolCallAssembler(**kw)
    events = [ev for item in items for ev in acc.feed(item)]
    return outcome(events + acc.close())


def same_cuts(pieces: list[str]) -> Any:
    """A cutter that cuts any text at the lengths of ``pieces`` (the rest in one last piece)."""
    lengths = [len(p) for p in pieces]

    def cut(whole: str) -> list[str]:
        out, at = [], 0
        for n in lengths:
            out.append(whole[at : at + n])
            at += n
        out.append(whole[at:])
        return [p for p in out if p]

    return cut


def same_events(a: list[Any], b: list[Any]) -> bool:
    """Equal event lists, a Usage compared by its counts (an SDK's ``raw`` has more keys)."""

    def key(e: Any) -> Any:
        if isinstance(e, Usage):
            return ("Usage", e.input_tokens, e.output_tokens, e.total_tokens, e.model)
        if isinstance(e, ToolCallError):
            return ("ToolCallError", e.index, e.raw, str(e.error))
        return e

    return [key(e) for e in a] == [key(e) for e in b]


# --- real SDK clients answering from a recording ----------------------------------------------


class Body:
    """An HTTP body that says whether it was closed (httpx stream / urllib3 ``raw``)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.sent += 1
            yield chunk

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[bytes]:  # urllib3's API
        return iter(self)

    def close(self) -> None:
        self.closed = True


def _transport(body: Body, content_type: str) -> Any:
    httpx = pytest.importorskip("httpx")

    class Stream(httpx.SyncByteStream):  # type: ignore[misc,name-defined]
        def __iter__(self) -> Iterator[bytes]:
            return iter(body)

        def close(self) -> None:
            body.close()

    def handler(request: Any) -> Any:
        return httpx.Response(200, stream=Stream(), headers={"content-type": content_type})

    return httpx.MockTransport(handler)


def ollama_stream(events: list[dict[str, Any]]) -> tuple[Any, Body]:
    """``ollama.Client().chat(..., stream=True)`` answering ``events`` as NDJSON."""
    ollama = pytest.importorskip("ollama")
    body = Body([(json.dumps(e) + "\n").encode() for e in events])
    client = ollama.Client(
        host="http://ollama.test", transport=_transport(body, "application/x-ndjson")
    )
    return client.chat(model="m", messages=[{"role": "user", "content": "hi"}], stream=True), body


def cohere_stream(events: list[dict[str, Any]]) -> tuple[Any, Body]:
    """``cohere.ClientV2().chat_stream(...)`` answering ``events`` as SSE."""
    cohere = pytest.importorskip("cohere")
    httpx = pytest.importorskip("httpx")
    blocks = [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events]
    body = Body([*blocks, b"data: [DONE]\n\n"])
    http = httpx.Client(transport=_transport(body, "text/event-stream"))
    client = cohere.ClientV2(api_key="k", httpx_client=http)
    return client.chat_stream(model="m", messages=[{"role": "user", "content": "hi"}]), body


def _header(name: str, value: str) -> bytes:
    n, v = name.encode(), value.encode()
    return bytes([len(n)]) + n + bytes([7]) + struct.pack(">H", len(v)) + v


def event_message(event_type: str, payload: bytes) -> bytes:
    """One AWS event-stream message (``application/vnd.amazon.eventstream``)."""
    headers = (
        _header(":event-type", event_type)
        + _header(":content-type", "application/json")
        + _header(":message-type", "event")
    )
    prelude = struct.pack(">II", 12 + len(headers) + len(payload) + 4, len(headers))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    message = prelude + headers + payload
    return message + struct.pack(">I", binascii.crc32(message))


def _bedrock(operation: str, call: str, frames: list[bytes], **params: Any) -> tuple[Any, Body]:
    boto3 = pytest.importorskip("boto3")
    from botocore.awsrequest import AWSResponse

    body = Body(frames)
    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )

    def send(request: Any, **kwargs: Any) -> Any:
        headers = {"content-type": "application/vnd.amazon.eventstream"}
        return AWSResponse(request.url, 200, headers, body)

    client.meta.events.register(f"before-send.bedrock-runtime.{operation}", send)
    return getattr(client, call)(modelId="m", **params), body


def bedrock_converse(events: list[dict[str, Any]]) -> tuple[Any, Body]:
    """boto3's ``converse_stream(...)["stream"]`` answering ``events``."""
    frames = [event_message(k, json.dumps(v).encode()) for e in events for k, v in e.items()]
    response, body = _bedrock(
        "ConverseStream",
        "converse_stream",
        frames,
        messages=[{"role": "user", "content": [{"text": "hi"}]}],
    )
    return response["stream"], body


def bedrock_invoke(anthropic_events: list[dict[str, Any]]) -> tuple[Any, Body]:
    """boto3's ``invoke_model_with_response_stream(...)["body"]`` streaming Anthropic events."""
    import base64

    frames = [
        event_message(
            "chunk",
            json.dumps({"bytes": base64.b64encode(json.dumps(e).encode()).decode()}).encode(),
        )
        for e in anthropic_events
    ]
    response, body = _bedrock(
        "InvokeModelWithResponseStream", "invoke_model_with_response_stream", frames, body=b"{}"
    )
    return response["body"], body


# --- one assembler over a list of events, feed by feed (Gemini, Realtime, Chat quirks) ---


def feed_each(events: list[Any], **kw: Any) -> tuple[list[list[Any]], ToolCallAssembler]:
    """The events of each feed() of a fresh assembler, then those of close() as the last list."""
    acc = ToolCallAssembler(**kw)
    per = [acc.feed(e) for e in events]
    per.append(acc.close())
    return per, acc


def flat(per: list[list[Any]]) -> list[Any]:
    return [e for evs in per for e in evs]


def of(kind: type, events: list[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]
