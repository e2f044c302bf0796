#!/usr/bin/env python
"""Benchmark a provider's stream from the socket: the SDK's objects against the raw-response path.

Usage::

    python benchmarks/bench_wire.py                  # 1 KB to 1 MB, the corpus, 1,000 streams
    python benchmarks/bench_wire.py --quick          # 1 KB and 10 KB, 50 concurrent streams
    python benchmarks/bench_wire.py --sizes 10k --workloads chat_json --no-real --streams 0

A real HTTP server on 127.0.0.1, in its own process (a plain asyncio server:
chunked transfer encoding, ``TCP_NODELAY``, one write per SSE event, as the
providers send them), serves

- generated streams, cut at cl100k token boundaries (:mod:`benchmarks.chunking`)
  from :mod:`benchmarks.cases` documents: ``chat_json`` (Chat Completions
  content: the ``structured`` document), ``chat_tool`` (one tool call's
  arguments: ``tool_string``), ``responses`` (``response.output_text.delta``
  events) and ``anthropic`` (``content_block_delta`` events), framed as the
  providers frame them (``tests/_sse_server.py``'s ``sse_bytes``);
- the recorded streams of ``../shared/corpus/real`` (openai chat, responses,
  anthropic), each format's streams summed (their requests included).

The client (this process) reads the same bytes through each peer, with the
openai (or anthropic) SDK's own HTTP client, and counts its own CPU time
(``time.process_time``; the minimum over ``--repeat`` interleaved runs) per
chunk (SSE event). A generated stream shorter than ``--min-chunks`` (2,000) is
asked for again, each time its own request, until a run has that many chunks:
one short stream timed alone, after the ``gc.collect()`` that starts each run,
times mostly the refilling of the CPU's caches (every peer's, the floor's
included), not what a process serving such streams pays for each:

- ``floor``: ``with_streaming_response`` and ``http_response.iter_raw()``:
  reading the body and nothing else, the transport's own cost;
- ``sdk iterate``: ``client.….create(stream=True)`` iterated, no parsing of
  the content (the openai SDK, or the Anthropic SDK for ``anthropic``);
- ``sdk + midstream``: ``stream_events()`` over that SDK stream (today's path);
- ``httpx-sse``: ``httpx_sse.EventSource`` over the raw response, then
  ``json.loads`` of each event, then ``stream_events()`` over the dicts;
- ``raw``: ``stream_events()`` over ``with_streaming_response.create(...)``;
- ``aiohttp floor`` and ``aiohttp raw``: the same two on the async openai
  client over aiohttp (``DefaultAioHttpClient``, whose HTTP parser is compiled).

Then ``--streams`` (default 1,000) concurrent paced streams on one event loop
of the async openai client: the SDK path, the raw path, and the raw path over
aiohttp; chunks per second per core (chunks over the client's CPU time, in the
steady state after every stream has opened) and the p50/p99 delay from a
chunk's send time on the server (stamped into its content; both processes read
the same monotonic clock) to its event reaching the consumer.

Targets (on the compiled build, judged per workload): what the raw path adds
above the floor is at least 25x less than what the SDK's iteration adds; the
raw path costs at most 1.5x the floor; its cost per chunk flat from the
smallest size to the largest (within 1.5x).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.util
import json
import os
import pickle
import platform
import random
import resource
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))
if importlib.util.find_spec("midstream") is None:
    sys.path.insert(0, str(ROOT / "src"))

#: What the raw path adds above the floor, at least this many times less than the SDK's.
TARGET_ADDED: Final = 25.0
#: The raw path's whole cost at most this many times the floor's.
TARGET_FLOOR: Final = 1.5
#: Flat: the raw path's cost per chunk at the largest size within this factor of the smallest.
TARGET_FLAT: Final = 1.5

WORKLOADS: Final = ("chat_json", "chat_tool", "responses", "anthropic")
APIS: Final = {
    "chat_json": "openai.chat.completions",
    "chat_tool": "openai.chat.completions",
    "responses": "openai.responses",
    "anthropic": "anthropic.messages",
}
MESSAGES: Final = [{"role": "user", "content": "hi"}]
#: Placeholder the server overwrites with its send time (microseconds, monotonic clock).
STAMP: Final = b"@@@@@@@@@@@@@@@@"


# --- the streams ---------------------------------------------------------------------------


_PADDING = random.Random(0)


def _chat_chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    """A chunk as OpenAI sends one now: the fields of the recorded ones, padding last."""
    return {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion.chunk",
        "created": 1741570283, "model": "gpt-4o-2024-08-06", "service_tier": "default",
        "system_fingerprint": "fp_eb9dce56a8",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        "usage": None, "obfuscation": _padding(),
    }


def _padding() -> str:
    """OpenAI's ``obfuscation``: random characters, a random number of them."""
    alphabet = string.ascii_letters + string.digits
    return "".join(_PADDING.choices(alphabet, k=_PADDING.randint(1, 16)))


def events_for(workload: str, text: str) -> list[dict[str, Any]]:
    """The provider events that stream ``text`` one cl100k token per event."""
    from benchmarks.chunking import token_chunks

    _PADDING.seed(len(text))  # the same paddings for the same text, whatever ran before
    chunks = token_chunks(text)
    if workload == "chat_json":
        return [
            _chat_chunk({"role": "assistant", "content": "", "refusal": None}),
            *(_chat_chunk({"content": c}) for c in chunks),
            _chat_chunk({}, "stop"),
        ]
    if workload == "chat_tool":
        head = {"index": 0, "id": "call_DdmO9pD3xa9XTPNJ32zg2hcA", "type": "function",
                "function": {"name": "write_file", "arguments": ""}}
        return [
            _chat_chunk({"role": "assistant", "content": None, "tool_calls": [head]}),
            *(_chat_chunk({"tool_calls": [{"index": 0, "function": {"arguments": c}}]})
              for c in chunks),
            _chat_chunk({}, "tool_calls"),
        ]
    if workload == "responses":
        item = "msg_67c9fdcecf488190bdd9a0409de3a1f8"
        response = {"id": "resp_67c9fdcecf", "object": "response", "status": "in_progress",
                    "model": "gpt-4o-2024-08-06", "output": []}
        done = {**response, "status": "completed", "output": [
            {"id": item, "type": "message", "status": "completed", "role": "assistant",
             "content": [{"type": "output_text", "text": text, "annotations": []}]}]}
        events: list[dict[str, Any]] = [
            {"type": "response.created", "response": response},
            {"type": "response.output_item.added", "output_index": 0,
             "item": {"id": item, "type": "message", "status": "in_progress",
                      "role": "assistant", "content": []}},
            {"type": "response.content_part.added", "item_id": item, "output_index": 0,
             "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}},
        ]
        events += [{"type": "response.output_text.delta", "sequence_number": 0,
                    "item_id": item, "output_index": 0, "content_index": 0, "delta": c,
                    "logprobs": [], "obfuscation": _padding()} for c in chunks]
        events += [
            {"type": "response.output_text.done", "item_id": item, "output_index": 0,
             "content_index": 0, "text": text},
            {"type": "response.completed", "response": done},
        ]
        for n, ev in enumerate(events):
            ev["sequence_number"] = n
        return events
    if workload == "anthropic":
        message = {"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
                   "content": [], "model": "claude-sonnet-4-5", "stop_reason": None,
                   "stop_sequence": None, "usage": {"input_tokens": 25, "output_tokens": 1}}
        return [
            {"type": "message_start", "message": message},
            {"type": "content_block_start", "index": 0,
             "content_block": {"type": "text", "text": ""}},
            *({"type": "content_block_delta", "index": 0,
               "delta": {"type": "text_delta", "text": c}} for c in chunks),
            {"type": "content_block_stop", "index": 0},
            {"type": "message_delta", "delta": {"stop_reason": "end_turn",
                                                "stop_sequence": None},
             "usage": {"output_tokens": len(chunks)}},
            {"type": "message_stop"},
        ]
    raise ValueError(f"unknown workload {workload!r}")


def sse_blocks(api: str, events: list[dict[str, Any]]) -> list[bytes]:
    """The events framed as the provider frames them (tests/_sse_server.py's ``sse_bytes``)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from _sse_server import sse_bytes

    return sse_bytes({"api": api, "events": events})


def paced_blocks(chunks: int) -> list[bytes]:
    """A chat stream whose every content delta is the server's send time (see STAMP)."""
    events = [_chat_chunk({"role": "assistant", "content": ""})]
    events += [_chat_chunk({"content": STAMP.decode()}) for _ in range(chunks)]
    events.append(_chat_chunk({}, "stop"))
    return sse_blocks("openai.chat.completions", events)


@dataclass
class Stream:
    """One body the server can send, and what the client needs to ask for it."""

    name: str
    api: str
    blocks: list[bytes]
    chunks: int  # SSE events

    @property
    def nbytes(self) -> int:
        return sum(len(b) for b in self.blocks)


# --- the server (its own process) -------------------------------------------------------------


async def _serve(bodies: dict[str, list[bytes]], paced: dict[str, float], port_out: Any) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = json.loads(await reader.readexactly(length)) if length else {}
                name = str(body.get("model", ""))
                blocks = bodies.get(name)
                if blocks is None:
                    writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                    continue
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                             b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n")
                interval = paced.get(name)
                start = time.monotonic()
                for i, block in enumerate(blocks):
                    if interval is not None:
                        delay = start + i * interval - time.monotonic()
                        if delay > 0:
                            await asyncio.sleep(delay)
                        if STAMP in block:
                            stamp = str(int(time.monotonic() * 1e6)).rjust(len(STAMP), "0")
                            block = block.replace(STAMP, stamp.encode())
                    writer.write(b"%x\r\n%b\r\n" % (len(block), block))
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    port_out.write(f"{port}\n")
    port_out.flush()
    async with server:
        await server.serve_forever()


def serve_main(path: str) -> None:
    """``--serve FILE``: load the bodies from FILE, print the port, serve until killed."""
    _raise_fd_limit()
    with open(path, "rb") as f:
        bodies, paced = pickle.load(f)
    asyncio.run(_serve(bodies, paced, sys.stdout))


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Server:
    """The server process, started with the bodies it will serve."""

    def __init__(self, streams: Sequence[Stream], paced: dict[str, float]) -> None:
        self._file = tempfile.NamedTemporaryFile(suffix=".pickle", delete=False)  # noqa: SIM115
        pickle.dump(({s.name: s.blocks for s in streams}, paced), self._file)
        self._file.close()
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", self._file.name],
            stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        port = self.proc.stdout.readline().strip()
        if not port:
            raise RuntimeError("the benchmark server did not start")
        self.url = f"http://127.0.0.1:{port}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        os.unlink(self._file.name)


# --- the peers (client side) ---------------------------------------------------------------------


def _endpoint(openai: Any, anthropic: Any, api: str) -> tuple[Any, dict[str, Any]]:
    """The SDK resource that streams ``api``, and the arguments it needs besides ``model``."""
    if api == "anthropic.messages":
        return anthropic.messages, {"max_tokens": 1024, "messages": MESSAGES}
    if api == "openai.responses":
        return openai.responses, {"input": "hi"}
    return openai.chat.completions, {"messages": MESSAGES}


class Clients:
    """The SDK clients, pointed at the server."""

    def __init__(self, url: str) -> None:
        import openai

        self.openai = openai.OpenAI(base_url=url + "/v1", api_key="k", max_retries=0)
        self.anthropic: Any = None
        try:
            import anthropic

            self.anthropic = anthropic.Anthropic(base_url=url, api_key="k", max_retries=0)
        except ImportError:
            pass
        self.url = url

    def endpoint(self, api: str) -> tuple[Any, dict[str, Any]]:
        return _endpoint(self.openai, self.anthropic, api)


def _floor(endpoint: Any, kw: dict[str, Any]) -> int:
    n = 0
    with endpoint.with_streaming_response.create(stream=True, **kw) as response:
        for _ in response.http_response.iter_raw():
            n += 1
    return n


def _sdk_iterate(endpoint: Any, kw: dict[str, Any]) -> int:
    n = 0
    for _ in endpoint.create(stream=True, **kw):
        n += 1
    return n


def _sdk_midstream(endpoint: Any, kw: dict[str, Any]) -> int:
    from midstream import stream_events

    n = 0
    for _ in stream_events(endpoint.create(stream=True, **kw)):
        n += 1
    return n


def _httpx_sse(endpoint: Any, kw: dict[str, Any]) -> int:
    import httpx_sse

    from midstream import stream_events

    n = 0
    with endpoint.with_streaming_response.create(stream=True, **kw) as response:
        source = httpx_sse.EventSource(response.http_response)
        dicts = (json.loads(sse.data) for sse in source.iter_sse() if sse.data != "[DONE]")
        for _ in stream_events(dicts):
            n += 1
    return n


def _raw(endpoint: Any, kw: dict[str, Any]) -> int:
    from midstream import stream_events

    n = 0
    for _ in stream_events(endpoint.with_streaming_response.create(stream=True, **kw)):
        n += 1
    return n


SYNC_PEERS: Final[dict[str, Callable[[Any, dict[str, Any]], int]]] = {
    "floor": _floor,
    "sdk iterate": _sdk_iterate,
    "sdk + midstream": _sdk_midstream,
    "httpx-sse": _httpx_sse,
    "raw": _raw,
}


class AioClients:
    """The async SDK clients over aiohttp, on one event loop kept for every run."""

    def __init__(self, url: str) -> None:
        import openai

        self.loop = asyncio.new_event_loop()
        self.openai = openai.AsyncOpenAI(base_url=url + "/v1", api_key="k", max_retries=0,
                                         http_client=openai.DefaultAioHttpClient())
        self.anthropic: Any = None
        try:
            import anthropic

            self.anthropic = anthropic.AsyncAnthropic(
                base_url=url, api_key="k", max_retries=0,
                http_client=anthropic.DefaultAioHttpClient(),
            )
        except (ImportError, AttributeError, RuntimeError):
            pass

    def endpoint(self, api: str) -> tuple[Any, dict[str, Any]]:
        return _endpoint(self.openai, self.anthropic, api)

    def close(self) -> None:
        async def close() -> None:
            await self.openai.close()
            if self.anthropic is not None:
                await self.anthropic.close()

        self.loop.run_until_complete(close())
        self.loop.close()


async def _afloor(endpoint: Any, kw: dict[str, Any]) -> int:
    n = 0
    async with endpoint.with_streaming_response.create(stream=True, **kw) as response:
        async for _ in response.http_response.aiter_raw():
            n += 1
    return n


async def _araw(endpoint: Any, kw: dict[str, Any]) -> int:
    from midstream import astream_events

    n = 0
    async for _ in astream_events(endpoint.with_streaming_response.create(stream=True, **kw)):
        n += 1
    return n


ASYNC_PEERS: Final = {"aiohttp floor": _afloor, "aiohttp raw": _araw}


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    api: str
    chunks: int
    nbytes: int
    cpu: dict[str, float]  # peer -> CPU seconds for all of the row's streams (min over runs)

    def per_chunk(self, peer: str) -> float | None:
        seconds = self.cpu.get(peer)
        return None if seconds is None else seconds / self.chunks


def measure(rows: list[tuple[str, list[Stream]]], clients: Clients, aio: AioClients | None,
            repeat: int) -> list[Row]:
    """Each row's streams through each peer, ``repeat`` interleaved runs, minimum CPU kept."""
    out = []
    for label, streams in rows:
        api = streams[0].api
        if api == "anthropic.messages" and clients.anthropic is None:
            continue
        best: dict[str, float] = {}
        peers: list[str] = list(SYNC_PEERS)
        if aio is not None and (api != "anthropic.messages" or aio.anthropic is not None):
            peers += list(ASYNC_PEERS)
        print(f"{label}: {sum(s.chunks for s in streams):,} chunks ...", file=sys.stderr,
              flush=True)
        for run in range(repeat + 1):  # run 0 warms up (connections, imports), untimed
            for peer in peers:
                gc.collect()
                start = time.process_time()
                for stream in streams[:1] if run == 0 else streams:
                    if peer in SYNC_PEERS:
                        endpoint, kw = clients.endpoint(api)
                        SYNC_PEERS[peer](endpoint, {**kw, "model": stream.name})
                    else:
                        assert aio is not None
                        endpoint, kw = aio.endpoint(api)
                        aio.loop.run_until_complete(
                            ASYNC_PEERS[peer](endpoint, {**kw, "model": stream.name}))
                seconds = time.process_time() - start
                if run:
                    best[peer] = min(best.get(peer, seconds), seconds)
        out.append(Row(label, api, sum(s.chunks for s in streams),
                       sum(s.nbytes for s in streams), best))
    return out


def concurrency(url: str, names: list[str], chunks: int, path: str) -> dict[str, float]:
    """``len(names)`` paced streams at once on one loop: chunks/s per core, p50/p99 delay (ms)."""
    import openai

    from midstream import ContentDelta, astream_events

    async def run() -> dict[str, float]:
        # a generous timeout: opening a thousand streams at once keeps the loop busy a while
        http = {"http_client": openai.DefaultAioHttpClient()} if path == "raw, aiohttp" else {}
        client = openai.AsyncOpenAI(base_url=url + "/v1", api_key="k", max_retries=0,
                                    timeout=300.0, **http)
        delays: list[float] = []
        received = started = 0
        # Opening a stream (the request) costs far more than a chunk: the steady state
        # is counted from when the last stream has its first chunk.
        steady: list[float] = []

        async def one(name: str) -> None:
            nonlocal received, started
            kw = {"model": name, "messages": MESSAGES, "stream": True}
            if path == "sdk":
                source: Any = await client.chat.completions.create(**kw)
            else:
                source = client.chat.completions.with_streaming_response.create(**kw)
            first = True
            async for ev in astream_events(source, json=False):
                if type(ev) is ContentDelta:
                    delays.append(time.monotonic() - int(ev.text) / 1e6)
                    received += 1
                    if first:
                        first = False
                        started += 1
                        if started == len(names):
                            steady[:] = [time.process_time(), received, len(delays)]

        start_cpu, start_wall = time.process_time(), time.monotonic()
        async with client:
            await asyncio.gather(*(one(name) for name in names))
        end_cpu = time.process_time()
        cpu, wall = end_cpu - start_cpu, time.monotonic() - start_wall
        mark_cpu, mark_received, mark_delays = steady or [start_cpu, 0, 0]
        later = sorted(delays[int(mark_delays):]) or sorted(delays)
        return {
            "chunks": received, "cpu": cpu, "wall": wall,
            "per_core": (received - mark_received) / max(end_cpu - mark_cpu, 1e-9),
            "p50": later[len(later) // 2] * 1e3,
            "p99": later[min(len(later) - 1, int(len(later) * 0.99))] * 1e3,
        }

    return asyncio.run(run())


# --- the report ----------------------------------------------------------------------------------


def _us(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1e6:.2f}"


def report(rows: list[Row], conc: dict[str, dict[str, float]], args: argparse.Namespace) -> bool:
    """Print the markdown tables; True if every target judged holds."""
    import midstream
    from benchmarks import midstream_build

    peers = [*SYNC_PEERS, *ASYNC_PEERS]
    print("## From the socket: CPU per chunk, SDK objects against the raw response\n")
    print("The client process's CPU time per chunk (SSE event), µs, request included; the same"
          " bytes from a loopback server in its own process; minimum over"
          f" {args.repeat} interleaved runs. `added` = peer minus `floor`.\n")
    print("| stream | chunks | " + " | ".join(peers) + " | sdk added / raw added"
          " | raw / floor |")
    print("|---|---:|" + "---:|" * len(peers) + "---:|---:|")
    ok = True
    verdicts = []
    for row in rows:
        floor = row.per_chunk("floor")
        sdk = row.per_chunk("sdk iterate")
        raw = row.per_chunk("raw")
        cells = [_us(row.per_chunk(p)) for p in peers]
        ratio = floor_ratio = "n/a"
        if floor is not None and sdk is not None and raw is not None:
            added = max(raw - floor, 1e-9)
            ratio = f"{(sdk - floor) / added:.0f}×"
            floor_ratio = f"{raw / floor:.2f}×"
            if midstream.COMPILED:
                good = (sdk - floor) >= TARGET_ADDED * (raw - floor)
                verdicts.append((good, f"{row.label}: the SDK adds {(sdk - floor) * 1e6:.1f} µs"
                                 f" a chunk above the floor, the raw path {(raw - floor) * 1e6:.2f}"
                                 f" µs: {ratio} (target ≥ {TARGET_ADDED:g}×)"))
                good2 = raw <= TARGET_FLOOR * floor
                verdicts.append((good2, f"{row.label}: raw path {raw / floor:.2f}× the floor"
                                 f" (target ≤ {TARGET_FLOOR:g}×)"))
        print(f"| {row.label} ({row.nbytes:,} B) | {row.chunks:,} | " + " | ".join(cells)
              + f" | {ratio} | {floor_ratio} |")
    by_workload: dict[str, list[Row]] = {}
    for row in rows:
        if not row.label.startswith("real "):
            by_workload.setdefault(row.label.split()[0], []).append(row)
    for workload, mine in by_workload.items():
        if len(mine) >= 2 and midstream.COMPILED:
            first, last = mine[0].per_chunk("raw"), mine[-1].per_chunk("raw")
            if first and last:
                growth = last / first
                verdicts.append((growth <= TARGET_FLAT, f"{workload}: raw path per chunk"
                                 f" {mine[0].label.split()[1]} → {mine[-1].label.split()[1]}"
                                 f" ×{growth:.2f} (flat: within ×{TARGET_FLAT:g})"))
    if conc:
        print(f"\n### {args.streams:,} concurrent streams on one event loop\n")
        print(f"Each stream {args.stream_chunks} chunks, one every {args.interval * 1e3:g} ms"
              f" ({args.streams / args.interval:,.0f} chunks/s offered). Steady state, from"
              " when every stream has its first chunk: chunks per CPU second of the client,"
              " and the delay from a chunk's send time on the server to its event at the"
              " consumer (the same monotonic clock). CPU s and wall s: the whole run.\n")
        print("| path | chunks | client CPU s | wall s | chunks/s per core | p50 delay ms"
              " | p99 delay ms |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for path, r in conc.items():
            print(f"| {path} | {int(r['chunks']):,} | {r['cpu']:.2f} | {r['wall']:.2f}"
                  f" | {r['per_core']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} |")
    print("\n### Targets\n")
    if not midstream.COMPILED:
        print("- SKIP: the targets are judged on the compiled build (`pip install .`)")
    for good, text in verdicts:
        ok &= good
        print(f"- {'PASS' if good else 'FAIL'} {text}")
    names = ("openai", "anthropic", "httpx2", "httpx", "aiohttp", "jiter")
    versions = []
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"{name} {metadata.version(name)}")
    load = f", load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    print(f"\n{platform.python_implementation()} {platform.python_version()},"
          f" {platform.machine()}, {', '.join(versions)}{load}; process CPU time.")
    print(midstream_build())
    return ok


# --- main -----------------------------------------------------------------------------------------


def build_rows(workloads: list[str], sizes: list[tuple[str, int]], real: bool,
               min_chunks: int = 0) -> list[tuple[str, list[Stream]]]:
    """Each row's streams: a generated one asked for ``ceil(min_chunks / chunks)`` times."""
    from benchmarks.cases import CASES

    rows: list[tuple[str, list[Stream]]] = []
    for workload in workloads:
        source = "tool_string" if workload == "chat_tool" else "structured"
        for label, size in sizes:
            events = events_for(workload, CASES[source].generate(size))
            api = APIS[workload]
            name = f"{workload}-{label}"
            stream = Stream(name, api, sse_blocks(api, events), len(events))
            times = max(1, -(-min_chunks // stream.chunks))
            rows.append((f"{workload} {label}" + (f" ×{times}" if times > 1 else ""),
                         [stream] * times))
    if real:
        from benchmarks.chunking import CorpusUnavailable, corpus_dir

        try:
            directory = corpus_dir()
        except CorpusUnavailable as exc:
            print(f"skipping the recorded streams: {exc}", file=sys.stderr)
            return rows
        sys.path.insert(0, str(ROOT / "tests"))
        from _sse_server import load_corpus

        by_api: dict[str, list[Stream]] = {}
        for sid, stream in load_corpus(directory).items():
            if any(ev.get("type") == "error" or ev.get("error") for ev in stream["events"]):
                continue  # the SDKs raise on these: nothing to time
            by_api.setdefault(stream["api"], []).append(
                Stream(sid, stream["api"], sse_blocks(stream["api"], stream["events"]),
                       len(stream["events"]) + (stream["api"] == "openai.chat.completions"))
            )
        for api, streams in sorted(by_api.items()):
            rows.append((f"real {api} ({len(streams)} streams)", streams))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None and len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve_main(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1k,10k,100k,1m")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--min-chunks", type=int, default=2000,
                        help="ask for a short generated stream again until a run has this"
                             " many chunks (default 2000; 0: once)")
    parser.add_argument("--no-real", action="store_true", help="skip the recorded corpus")
    parser.add_argument("--no-aiohttp", action="store_true", help="skip the aiohttp peers")
    parser.add_argument("--streams", type=int, default=1000,
                        help="concurrent streams (0: skip; default 1000)")
    parser.add_argument("--stream-chunks", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.25,
                        help="seconds between two chunks of a concurrent stream")
    parser.add_argument("--quick", action="store_true",
                        help="1k and 10k, 2 repeats, 50 concurrent streams of 40 chunks")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target fails")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat = "1k,10k", 2
        args.streams = min(args.streams, 50)
        args.stream_chunks, args.interval = 40, 0.05
    from benchmarks.cases import parse_sizes

    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    for w in workloads:
        if w not in WORKLOADS:
            parser.error(f"unknown workload {w!r}; known: {', '.join(WORKLOADS)}")
    rows = build_rows(workloads, parse_sizes(args.sizes), not args.no_real, args.min_chunks)
    streams = [s for _label, ss in rows for s in ss]
    paced_names = [f"paced-{i}" for i in range(args.streams)]
    paced = paced_blocks(args.stream_chunks)
    streams += [Stream(n, "openai.chat.completions", paced, args.stream_chunks + 2)
                for n in paced_names]
    _raise_fd_limit()
    server = Server(streams, {n: args.interval for n in paced_names})
    aio: AioClients | None = None
    try:
        clients = Clients(server.url)
        if not args.no_aiohttp:
            try:
                aio = AioClients(server.url)
            except (ImportError, RuntimeError) as exc:
                print(f"skipping the aiohttp peers: {exc}", file=sys.stderr)
        results = measure(rows, clients, aio, args.repeat)
        conc: dict[str, dict[str, float]] = {}
        if args.streams:
            for path in ("sdk", "raw") if args.no_aiohttp else ("sdk", "raw", "raw, aiohttp"):
                print(f"{args.streams} concurrent streams, {path} path ...", file=sys.stderr,
                      flush=True)
                conc[path] = concurrency(server.url, paced_names, args.stream_chunks, path)
    finally:
        if aio is not None:
            aio.close()
        server.close()
    ok = report(results, conc, args)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
