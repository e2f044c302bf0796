#!/usr/bin/env python
"""Benchmark ToolCallAssembler against the openai SDK's own accumulator, on the same chunks.

Usage::

    python benchmarks/bench_tool_calls.py                 # 1 KB to 1 MB (a few minutes)
    python benchmarks/bench_tool_calls.py --quick         # 1 KB and 10 KB, 3 repeats
    python benchmarks/bench_tool_calls.py --sizes 10k --workloads tool_string --repeat 9

One tool call whose arguments are a :mod:`benchmarks.cases` document (``tool_string``:
a ``write_file`` call with one long escaped string; ``structured``: an object of
many fields) is cut at cl100k_base token boundaries, one token per
``ChatCompletionChunk`` (built with ``openai._models.construct_type``, as the
openai client builds them from the wire), after a first chunk with the id and
the name and before a last one with ``finish_reason``. Every peer consumes that
same list of objects:

- ``openai-sdk``: ``ChatCompletionStreamState(input_tools=[strict tool])``, what
  ``client.chat.completions.stream(tools=[pydantic_function_tool(M)])`` runs:
  it re-parses the whole arguments text (``jiter`` partial mode) on every chunk.
- ``openai-sdk (no tools)``: the same without ``input_tools``: no parsing, but
  it still rebuilds its snapshot of the message on every chunk.
- ``midstream``: ``ToolCallAssembler().feed(chunk)`` per chunk, then ``close()``;
  it parses the arguments as they arrive (the events are built and returned).

The chunks are replayed as a live stream delivers them: in batches of 64, each
walked (untimed) just before it is timed, so that it is in the CPU cache, as a
chunk the client has just built from the wire is (see :func:`replay`).
``midstream, cold cache`` is midstream on the chunks as they lie in memory: at
10 KB and up, reading the pre-built objects then waits on memory, which adds
about a microsecond a chunk. The targets are judged live.

Runs are interleaved and the minimum over the repeats is kept. Times are CPU
time of this process (``time.process_time``, so that other processes on a
shared machine count less; ``--clock wall`` for wall time), as in the JSON and
model benchmarks. An SDK run is stopped after ``--budget`` seconds (default
60, wall time): its cost per chunk is then measured on the chunks it got
through (a lower bound: the SDK's cost per chunk grows with the arguments) and
its whole run extrapolated (marked ``~``).
The output is markdown: cost per chunk, ratios, and the issue's targets.

``--formats anthropic,responses,...`` (or ``--formats all``) measures the
other wire formats instead, on the same documents and token boundaries, each
as its SDK builds the events, against the SDK's own accumulator where it has one:

- ``anthropic``: Messages events (``content_block_start`` tool_use, one
  ``input_json_delta`` per token, ``content_block_stop``, ``message_delta``,
  ``message_stop``) built with ``anthropic._models.construct_type``; the peer
  ``anthropic-sdk`` is ``anthropic.lib.streaming``'s ``accumulate_event``, what
  ``MessageStream`` runs on every event: it re-parses the call's whole JSON
  (``jiter`` partial mode) on every delta.
- ``responses``: Responses API events (one
  ``response.function_call_arguments.delta`` per token); the peer
  ``openai-sdk`` is ``ResponseStreamState(input_tools=[strict tool])``, what
  ``client.responses.stream(tools=...)`` runs: it appends each delta to its
  snapshot and parses the arguments once, at ``response.completed``.
- ``realtime``: the same deltas as Realtime server events (``event_id``),
  midstream alone (the SDK's connection yields events, it assembles nothing).
- ``gemini``: Vertex AI's streamed arguments: a ``functionCall`` part with the
  name and ``willContinue``, then one ``partialArgs`` entry per chunk (each
  string value cut at cl100k tokens, other values whole; empty arrays and
  objects, which ``partialArgs`` cannot carry, are left out of the document),
  then an empty ``functionCall``; ``gemini-whole``: the default, the call's
  ``args`` object in one chunk. google-genai's own objects; midstream alone:
  google-genai has no accumulator.
- ``bedrock``: the dicts boto3 yields for ConverseStream, one
  ``contentBlockDelta`` ``toolUse.input`` per token;
- ``cohere``: the cohere SDK's own event objects (``parse_sse_obj``; dicts
  without the SDK), one ``tool-call-delta`` per token;
- ``ollama``: ``ollama.ChatResponse`` lines (dicts without the SDK); the call
  comes whole in one line with ``arguments`` as an object.

Google-genai, ollama and cohere objects are dicts where the SDK is not installed.
The target is the same for every format: midstream's cost per chunk (per KB of
arguments for a call that comes whole: ``ollama``, ``gemini-whole``) stays
within ×2 from the smallest size to the largest (1 KB to 1 MB by default; an
SDK peer's 1 MB run is capped by ``--budget`` and extrapolated, as for Chat).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import platform
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from importlib import metadata
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))
# Measure the installed midstream (`pip install .` builds its compiled core);
# with none installed, the checkout's source. The report says which.
if importlib.util.find_spec("midstream") is None:
    sys.path.insert(0, str(ROOT / "src"))

from benchmarks import midstream_build  # noqa: E402
from benchmarks.cases import CASES, parse_sizes  # noqa: E402
from benchmarks.chunking import token_chunks  # noqa: E402
from midstream import ToolCallAssembler  # noqa: E402

#: The issue's target: at least this many times less time than the SDK at 10 KB.
TARGET_RATIO: Final = 50.0
#: Linear: midstream's cost per chunk at 1 MB within this factor of 1 KB's.
LINEAR_FACTOR: Final = 2.0
#: Chunks timed between two reads of the clock (see replay()); a capped run
#: looks at its deadline after each batch.
BATCH: Final = 64

NAME: Final = "write_file"


@dataclass
class Result:
    """One peer on one workload."""

    seconds: float  # the whole run (extrapolated when capped)
    chunks: int  # chunks in the workload
    done: int  # chunks actually processed (< chunks when capped)
    spent: float  # seconds actually spent on ``done`` chunks
    runs: int

    @property
    def capped(self) -> bool:
        return self.done < self.chunks

    @property
    def per_chunk(self) -> float:
        """Seconds per chunk, over the chunks processed."""
        return self.spent / self.done if self.capped else self.seconds / self.chunks


def build_chunks(arguments: str) -> list[Any]:
    """The chat completion chunks of one streamed call, as SDK objects."""
    from openai._models import construct_type
    from openai.types.chat import ChatCompletionChunk

    def make(delta: dict[str, Any], finish: str | None = None) -> Any:
        return construct_type(
            type_=ChatCompletionChunk,
            value={
                "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0,
                "model": "gpt-4o", "choices": [
                    {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
                ],
            },
        )

    first = {"role": "assistant", "tool_calls": [{
        "index": 0, "id": "call_bench", "type": "function",
        "function": {"name": NAME, "arguments": ""},
    }]}
    chunks = [make(first)]
    for token in token_chunks(arguments):
        chunks.append(make({"tool_calls": [{"index": 0, "function": {"arguments": token}}]}))
    chunks.append(make({}, "tool_calls"))
    return chunks


def build_events(fmt: str, arguments: str) -> list[Any]:
    """One streamed call in another wire format, as its SDK yields it (see the module notes)."""
    tokens = token_chunks(arguments)
    if fmt == "bedrock":
        return [
            {"messageStart": {"role": "assistant"}},
            {"contentBlockStart": {"contentBlockIndex": 0, "start": {
                "toolUse": {"toolUseId": "tooluse_bench", "name": NAME}}}},
            *({"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"toolUse": {"input": t}}}}
              for t in tokens),
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"messageStop": {"stopReason": "tool_use"}},
        ]
    if fmt == "cohere":
        events = [
            {"type": "message-start", "id": "bench", "delta": {"message": {"role": "assistant"}}},
            {"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls": {
                "id": "bench", "type": "function",
                "function": {"name": NAME, "arguments": ""}}}}},
            *({"type": "tool-call-delta", "index": 0, "delta": {"message": {
                "tool_calls": {"function": {"arguments": t}}}}} for t in tokens),
            {"type": "tool-call-end", "index": 0},
            {"type": "message-end", "delta": {"finish_reason": "TOOL_CALL"}},
        ]
        try:
            from cohere.core.http_sse import ServerSentEvent
            from cohere.core.pydantic_utilities import parse_sse_obj
            from cohere.v2.types.v2chat_stream_response import V2ChatStreamResponse
        except ImportError:
            return events
        return [parse_sse_obj(ServerSentEvent(data=json.dumps(e)), V2ChatStreamResponse)
                for e in events]
    if fmt == "ollama":
        lines = [
            {"model": "m", "created_at": "t", "done": False, "message": {
                "role": "assistant", "content": "",
                "tool_calls": [{"function": {"name": NAME, "arguments": json.loads(arguments)}}]}},
            {"model": "m", "created_at": "t", "done": True, "done_reason": "stop",
             "message": {"role": "assistant", "content": ""}},
        ]
        try:
            import ollama
        except ImportError:
            return lines
        return [ollama.ChatResponse.model_validate(line) for line in lines]
    if fmt == "anthropic":
        return _anthropic_events(tokens)
    if fmt in ("responses", "realtime"):
        return _openai_events(fmt, arguments, tokens)
    if fmt in ("gemini", "gemini-whole"):
        return _gemini_events(fmt, arguments)
    raise ValueError(f"unknown format {fmt!r}")


def _anthropic_events(tokens: list[str]) -> list[Any]:
    """Anthropic Messages events, as the anthropic client builds them from the wire."""
    from anthropic._models import construct_type
    from anthropic.types import RawMessageStreamEvent

    usage = {"input_tokens": 10, "output_tokens": len(tokens)}
    events = [
        {"type": "message_start", "message": {
            "id": "msg_bench", "type": "message", "role": "assistant", "model": "claude",
            "content": [], "stop_reason": None, "stop_sequence": None, "usage": usage}},
        {"type": "content_block_start", "index": 0, "content_block": {
            "type": "tool_use", "id": "toolu_bench", "name": NAME, "input": {}}},
        *({"type": "content_block_delta", "index": 0,
           "delta": {"type": "input_json_delta", "partial_json": t}} for t in tokens),
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
         "usage": usage},
        {"type": "message_stop"},
    ]
    return [construct_type(type_=RawMessageStreamEvent, value=e) for e in events]


def _openai_events(fmt: str, arguments: str, tokens: list[str]) -> list[Any]:
    """Responses (``sequence_number``) or Realtime (``event_id``) events, as openai builds them."""
    from openai._models import construct_type

    item = {"id": "fc_bench", "type": "function_call", "call_id": "call_bench", "name": NAME,
            "arguments": "", "status": "in_progress"}
    response = {"id": "resp_bench", "object": "response", "created_at": 0, "model": "gpt-4o",
                "status": "in_progress", "output": [], "tools": [], "tool_choice": "auto",
                "parallel_tool_calls": True}
    usage = {"input_tokens": 10, "output_tokens": len(tokens), "total_tokens": 10 + len(tokens)}
    done_item = {**item, "arguments": arguments, "status": "completed"}
    keys = {"item_id": "fc_bench", "output_index": 0}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": response},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        *({"type": "response.function_call_arguments.delta", **keys, "delta": t} for t in tokens),
        {"type": "response.function_call_arguments.done", **keys, "arguments": arguments},
        {"type": "response.output_item.done", "output_index": 0, "item": done_item},
    ]
    if fmt == "responses":
        from openai.types.responses import ResponseStreamEvent as Event

        events.append({"type": "response.completed", "response": {
            **response, "status": "completed", "output": [done_item], "usage": usage}})
        for n, e in enumerate(events):
            e["sequence_number"] = n
    else:
        from openai.types.realtime import RealtimeServerEvent as Event

        events.append({"type": "response.done", "response": {
            "id": "resp_bench", "object": "realtime.response", "status": "completed",
            "usage": usage}})
        for n, e in enumerate(events):
            e["event_id"] = f"event_{n}"
            if "response" not in e:
                e["response_id"] = "resp_bench"
            if "item_id" in e:
                e["call_id"] = "call_bench"
    return [construct_type(type_=Event, value=e) for e in events]


def _json_path(path: list[str | int]) -> str:
    """An RFC 9535 normalized path (``$['a'][0]``), as Gemini's ``partialArgs`` name values."""
    return "$" + "".join(
        f"[{s}]" if isinstance(s, int)
        else "['" + json.dumps(s, ensure_ascii=False)[1:-1].replace("'", "\\'") + "']"
        for s in path
    )


def _partial_args(value: Any, path: list[str | int]) -> Iterator[dict[str, Any]]:
    """The ``partialArgs`` entries of ``value``: every string leaf cut at cl100k tokens."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _partial_args(v, [*path, k])
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _partial_args(v, [*path, i])
    elif isinstance(value, str):
        pieces = token_chunks(value) or [""]
        for k, piece in enumerate(pieces):
            yield {"jsonPath": _json_path(path), "stringValue": piece,
                   "willContinue": k < len(pieces) - 1}
    elif value is None:
        yield {"jsonPath": _json_path(path), "nullValue": "NULL_VALUE"}
    elif isinstance(value, bool):
        yield {"jsonPath": _json_path(path), "boolValue": value}
    else:
        yield {"jsonPath": _json_path(path), "numberValue": value}


def _no_empty(value: Any) -> Any:
    """``value`` without its empty arrays and objects, which ``partialArgs`` cannot carry."""
    if isinstance(value, dict):
        return {k: _no_empty(v) for k, v in value.items() if v != [] and v != {}}
    if isinstance(value, list):
        return [_no_empty(v) for v in value if v != [] and v != {}]
    return value


def format_arguments(fmt: str, workload: str, size: int) -> str:
    """The workload's document as ``fmt`` can stream it (Gemini by path: no empty containers)."""
    arguments = CASES[workload].generate(size)
    if fmt == "gemini":
        return json.dumps(_no_empty(json.loads(arguments)), ensure_ascii=False)
    return arguments


def _gemini_events(fmt: str, arguments: str) -> list[Any]:
    """Gemini chunks: the call whole (``args``), or streamed by path, one entry a chunk.

    ``gemini``: Vertex AI's ``streamFunctionCallArguments``: a part with the name
    and ``willContinue``, then one ``partialArgs`` entry per chunk (each string
    value cut at cl100k tokens), then an empty ``functionCall`` with the finish.
    ``gemini-whole``: the default, the call's ``args`` object in one chunk.
    Built by google-genai's own parser where it is installed (dicts without it).
    """
    def chunk(fc: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"functionCall": fc}]},
                                     "index": 0}
        if finish:
            candidate["finishReason"] = finish
        return {"candidates": [candidate], "modelVersion": "gemini-bench"}

    value = json.loads(arguments)
    if fmt == "gemini-whole":
        chunks = [chunk({"name": NAME, "args": value}, "STOP")]
    else:
        chunks = [chunk({"name": NAME, "willContinue": True})]
        chunks += [chunk({"partialArgs": [p], "willContinue": True})
                   for p in _partial_args(value, [])]
        chunks.append(chunk({}, "STOP"))
    try:
        from google.genai import models, types
    except ImportError:
        return chunks
    convert = models._GenerateContentResponse_from_mldev  # what the client does with a line
    return [types.GenerateContentResponse._from_response(response=convert(c, None, None),
                                                         kwargs={}) for c in chunks]


FORMATS: Final = ("anthropic", "responses", "gemini", "gemini-whole", "realtime",
                  "bedrock", "cohere", "ollama")
#: Formats whose call comes whole in one chunk: their cost is given per KB of arguments.
WHOLE: Final = ("ollama", "gemini-whole")


# --- peers ----------------------------------------------------------------------------

#: A peer, started: feed it a batch of chunks; finish and get the call's arguments.
Started = tuple[Callable[[Sequence[Any]], None], Callable[[], Any]]


def start_midstream() -> Started:
    acc = ToolCallAssembler()
    feed = acc.feed

    def feed_batch(batch: Sequence[Any]) -> None:
        for chunk in batch:
            feed(chunk)  # the events are built and returned

    def finish() -> Any:
        acc.close()
        return acc.tool_calls[0].arguments

    return feed_batch, finish


def _sdk(strict: bool) -> Callable[[], Started]:
    from openai.lib.streaming.chat import ChatCompletionStreamState

    tools: list[Any] = [{"type": "function", "function": {
        "name": NAME, "strict": True,
        "parameters": {"type": "object", "properties": {}, "additionalProperties": True},
    }}] if strict else []

    def start() -> Started:
        state: Any = ChatCompletionStreamState(input_tools=tools)
        handle = state.handle_chunk

        def feed_batch(batch: Sequence[Any]) -> None:
            for chunk in batch:
                for _ev in handle(chunk):
                    pass

        def finish() -> Any:
            return state.get_final_completion().choices[0].message.tool_calls[0].function.arguments

        return feed_batch, finish

    return start


def _anthropic_sdk() -> Started:
    """The anthropic SDK's accumulator: ``MessageStream`` runs it on every event.

    ``accumulate_event`` appends each ``input_json_delta`` to the block's JSON
    bytes and re-parses them all (``jiter`` partial mode) into the snapshot.
    """
    from anthropic.lib.streaming._messages import accumulate_event

    snapshot: list[Any] = [None]
    bufs: dict[int, bytes] = {}

    def feed_batch(batch: Sequence[Any]) -> None:
        for event in batch:
            snapshot[0] = accumulate_event(event=event, current_snapshot=snapshot[0],
                                           json_bufs=bufs)

    def finish() -> Any:
        return snapshot[0].content[0].input

    return feed_batch, finish


def _responses_sdk() -> Started:
    """The openai SDK's Responses accumulator (``responses.stream(tools=[strict tool])``).

    ``ResponseStreamState`` appends each delta to the snapshot's arguments text
    and parses the call's arguments once, at ``response.completed``.
    """
    from openai.lib.streaming.responses import ResponseStreamState

    state: Any = ResponseStreamState(input_tools=[{
        "type": "function", "name": NAME, "strict": True,
        "parameters": {"type": "object", "properties": {}, "additionalProperties": True},
    }], text_format=omit())
    handle = state.handle_event
    last: list[Any] = [None]

    def feed_batch(batch: Sequence[Any]) -> None:
        for event in batch:
            for ev in handle(event):
                last[0] = ev

    def finish() -> Any:
        return last[0].response.output[0].parsed_arguments

    return feed_batch, finish


def omit() -> Any:
    """The openai SDK's "not given" marker (``Omit``)."""
    from openai import Omit

    return Omit()


#: The SDK accumulator each format is measured against, by peer name.
ACCUMULATORS: Final[dict[str, tuple[str, Callable[[], Started]]]] = {
    "anthropic": ("anthropic-sdk", _anthropic_sdk),
    "responses": ("openai-sdk", _responses_sdk),
}
_PEER_NOTES: Final = {
    "anthropic": "`anthropic.lib.streaming` `accumulate_event`, what `MessageStream` runs"
    " (re-parses the call's JSON with jiter on every delta)",
    "responses": "`ResponseStreamState(input_tools=[strict tool])`, what"
    " `responses.stream(tools=...)` runs (appends the deltas, parses once at the end)",
}
#: Why a format has none.
NO_ACCUMULATOR: Final = {
    "gemini": "google-genai has no accumulator (a stream is a list of chunks to read)",
    "gemini-whole": "google-genai has no accumulator (a stream is a list of chunks to read)",
    "realtime": "the openai SDK's Realtime connection yields events, it assembles nothing",
    "bedrock": "boto3 yields the ConverseStream dicts, it assembles nothing",
    "cohere": "the cohere SDK yields events, it assembles nothing",
    "ollama": "the call comes whole",
}


PEERS: Final = ("openai-sdk", "openai-sdk (no tools)", "midstream", "midstream, cold cache")


def make_peers() -> dict[str, tuple[Callable[[], Started], bool]]:
    """Each peer by name: how to start it, and whether its chunks are replayed live."""
    return {
        "openai-sdk": (_sdk(True), True),
        "openai-sdk (no tools)": (_sdk(False), True),
        "midstream": (start_midstream, True),
        "midstream, cold cache": (start_midstream, False),
    }


# --- measuring --------------------------------------------------------------------------


def walk(objects: Iterable[Any]) -> None:
    """Read every object the chunks hold, as building them from the wire has just done."""
    for obj in objects:
        if type(obj) is list:
            walk(obj)
        elif not isinstance(obj, (type, Enum)):  # an SDK's enum member leads to its class
            fields = getattr(obj, "__dict__", None)
            if fields is not None:
                walk(fields.values())


def replay(
    start: Callable[[], Started],
    chunks: Sequence[Any],
    clock: Callable[[], float],
    deadline: float | None = None,
    live: bool = True,
) -> tuple[int, Any, float]:
    """Feed ``chunks`` to a new peer; return the chunks fed, the arguments, the seconds spent.

    In a live stream, the client builds each chunk from the wire just before the
    consumer gets it, so the chunk is in the CPU's cache. Here every chunk is
    built before timing (so that all peers get the same objects), and a 10 KB
    stream's ~4k chunks, half a dozen nested pydantic objects each, no longer fit
    in the cache: each read of a chunk would wait on memory, which no live
    consumer does. So with ``live`` the chunks go in batches of :data:`BATCH`,
    each one walked, untimed, before it is timed, for every peer alike. Without
    ``live``, the batches are timed as they lie in memory.
    """
    feed_batch, finish = start()
    spent = 0.0
    n = len(chunks)
    for at in range(0, n, BATCH):
        batch = chunks[at : at + BATCH]
        if live:
            walk(batch)
        begin = clock()
        feed_batch(batch)
        spent += clock() - begin
        if deadline is not None and at + BATCH < n and time.perf_counter() > deadline:
            return at + len(batch), None, spent
    begin = clock()
    value = finish()
    return n, value, spent + clock() - begin


def measure(
    chunks: list[Any],
    arguments: str,
    repeat: int,
    budget: float,
    min_time: float,
    clock: Callable[[], float] = time.process_time,
    peers: dict[str, tuple[Callable[[], Started], bool]] | None = None,
) -> dict[str, Result]:
    """Time every peer on one list of chunks, interleaved; check they agree.

    A run shorter than ``min_time`` is looped until it lasts that long, so that
    small and large workloads are timed over similar stretches of a machine
    whose load changes (a 3 ms run would otherwise catch only quiet moments).
    """
    expected = json.loads(arguments)
    if peers is None:
        peers = make_peers()
    times: dict[str, list[float]] = {name: [] for name in peers}
    loops = dict.fromkeys(peers, 1)
    capped: dict[str, tuple[int, float]] = {}
    n = len(chunks)
    for r in range(repeat + 1):  # the first round calibrates (and checks the result)
        order = list(peers) if r % 2 == 0 else list(reversed(peers))
        for name in order:
            if name in capped or (times[name] and sum(times[name]) > budget):
                continue  # a slow peer is run once (or until it has used its budget)
            start, live = peers[name]
            deadline = None if name.startswith("midstream") else time.perf_counter() + budget
            gc.collect()
            gc.disable()
            try:
                elapsed = 0.0
                for _ in range(loops[name]):
                    done, value, seconds = replay(start, chunks, clock, deadline, live)
                    elapsed += seconds
                elapsed /= loops[name]
            finally:
                gc.enable()
            if done < n:
                capped[name] = (done, elapsed)
                continue
            if r == 0:
                got = json.loads(value) if isinstance(value, str) else value
                if got != expected:
                    raise AssertionError(f"{name} assembled different arguments")
                loops[name] = max(1, math.ceil(min_time / max(elapsed, 1e-9)))
                if loops[name] > 1 or repeat:
                    continue  # calibration only: timed in the rounds that follow
            times[name].append(elapsed)
    results = {}
    for name in peers:
        if name in capped:
            done, spent = capped[name]
            # The SDK's per-chunk cost grows with the text: extrapolate quadratically.
            total = spent * (n / done) ** 2
            results[name] = Result(total, n, done, spent, 1)
        else:
            best = min(times[name])
            results[name] = Result(best, n, n, best, len(times[name]) * loops[name])
    return results


def _us(seconds: float) -> str:
    us = seconds * 1e6
    return f"{us:,.0f}" if us >= 100 else f"{us:.2f}" if us < 10 else f"{us:.1f}"


def _total(result: Result) -> str:
    mark = "~" if result.capped else ""
    s = result.seconds
    text = f"{s:,.0f} s" if s >= 100 else f"{s:.2f} s" if s >= 0.1 else f"{s * 1e3:.1f} ms"
    return mark + text


def _ratio(other: Result, subject: Result) -> str:
    r = other.seconds / subject.seconds
    return ("~" if other.capped else "") + (f"{r:,.0f}×" if r >= 10 else f"{r:.2g}×")


def _capped(result: Result) -> str:
    return f" (first {result.done:,} chunks)" if result.capped else ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1k,10k,100k,1m")
    parser.add_argument("--workloads", default="tool_string,structured")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--budget", type=float, default=60.0,
                        help="longest single SDK run in seconds before it is capped (default 60)")
    parser.add_argument("--min-time", type=float, default=0.3,
                        help="loop shorter runs to at least this many seconds (default 0.3)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="cpu: process CPU time, robust to other processes (default);"
                        " wall: perf_counter")
    parser.add_argument("--quick", action="store_true", help="1k and 10k, 3 repeats")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target fails")
    parser.add_argument("--formats", default="",
                        help="measure these wire formats instead of Chat Completions:"
                        f" any of {','.join(FORMATS)}, or all (see the module notes)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat = "1k,10k", 3
    sizes = parse_sizes(args.sizes)
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    for w in workloads:
        if w not in CASES:
            parser.error(f"unknown workload {w!r}; known: {', '.join(CASES)}")
    if args.formats:
        formats = [f.strip() for f in args.formats.split(",") if f.strip()]
        if formats == ["all"]:
            formats = list(FORMATS)
        for f in formats:
            if f not in FORMATS:
                parser.error(f"unknown format {f!r}; known: {', '.join(FORMATS)}")
        return other_formats(formats, workloads, sizes, args)

    rows = []
    for workload in workloads:
        for label, size in sizes:
            arguments = CASES[workload].generate(size)
            chunks = build_chunks(arguments)
            print(f"{workload} {label}: {len(chunks)} chunks ...", file=sys.stderr, flush=True)
            clock = time.process_time if args.clock == "cpu" else time.perf_counter
            results = measure(chunks, arguments, args.repeat, args.budget, args.min_time, clock)
            rows.append((workload, label, size, len(arguments.encode()), results))

    print("## Tool calls: openai SDK accumulator vs midstream\n")
    print(
        "One call's arguments streamed one cl100k token per `ChatCompletionChunk`; the same"
        " chunk objects for every peer, each batch of chunks in the cache before it is timed,"
        " as in a live stream (`cold cache`: midstream on chunks as they lie in memory);"
        " microseconds per chunk (minimum over runs), and how many times longer the SDK takes"
        " than midstream. `~`: the SDK run was stopped at"
        f" {args.budget:g} s, its cost per chunk measured on the chunks it got through (a lower"
        " bound, as it grows with the text) and its total extrapolated quadratically.\n"
    )
    print("| workload | size | chunks | openai-sdk µs/chunk | openai-sdk (no tools) µs/chunk"
          " | midstream µs/chunk | ratio | ratio (no tools) | midstream, cold cache µs/chunk"
          " | ratio, cold cache | midstream total | openai-sdk total |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for workload, label, _size, nbytes, res in rows:
        sdk, plain, ms = res["openai-sdk"], res["openai-sdk (no tools)"], res["midstream"]
        cold = res["midstream, cold cache"]
        print(
            f"| {workload} | {label} ({nbytes:,} B) | {ms.chunks:,}"
            f" | {_us(sdk.per_chunk)}{_capped(sdk)} | {_us(plain.per_chunk)}{_capped(plain)}"
            f" | {_us(ms.per_chunk)} | {_ratio(sdk, ms)} | {_ratio(plain, ms)}"
            f" | {_us(cold.per_chunk)} | {_ratio(sdk, cold)} | {_total(ms)} | {_total(sdk)} |"
        )
    print("\n### Targets\n")
    failed = False
    for workload in workloads:
        mine = [(label, res) for w, label, _s, _b, res in rows if w == workload]
        by_label = dict(mine)
        if "10k" in by_label:
            res = by_label["10k"]
            r = res["openai-sdk"].seconds / res["midstream"].seconds
            ok = r >= TARGET_RATIO
            failed |= not ok
            print(f"- {'PASS' if ok else 'FAIL'} {workload} 10k: midstream takes {r:,.0f}× less"
                  f" time than the openai SDK (target ≥ {TARGET_RATIO:g}×)")
        if len(mine) >= 2:
            (l0, r0), (l1, r1) = mine[0], mine[-1]
            growth = r1["midstream"].per_chunk / r0["midstream"].per_chunk
            ok = growth <= LINEAR_FACTOR
            failed |= not ok
            print(f"- {'PASS' if ok else 'FAIL'} {workload}: midstream's cost per chunk"
                  f" {l0} → {l1} changes ×{growth:.2f} (linear: within ×{LINEAR_FACTOR:g})")
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("openai", "jiter", "pydantic"))
    load = ""
    try:
        import os

        load = f", load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    except (AttributeError, OSError):
        pass
    print(f"\n{platform.python_implementation()} {platform.python_version()},"
          f" {platform.machine()}, {versions}{load}; {args.clock} time, {args.repeat} repeats,"
          " minimum kept"
          " (on a shared machine the spread between runs is noise).")
    print(midstream_build())
    return 1 if failed and args.strict else 0


def other_formats(
    formats: list[str], workloads: list[str], sizes: list[tuple[str, int]], args: Any
) -> int:
    """``--formats``: midstream on each wire format, beside the SDK's accumulator where one exists.

    The targets: midstream's cost per chunk (per KB for a call that comes whole)
    within :data:`LINEAR_FACTOR` from the smallest size to the largest.
    """
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    print("## Tool calls in other wire formats: midstream and the SDKs' accumulators\n")
    print("One call's arguments, the Chat table's documents cut at the same cl100k token"
          " boundaries, one token per event of each format (Gemini `partialArgs`: each string"
          " value cut so, one entry per chunk), as that format's SDK builds the events;"
          " microseconds per chunk, and how many times longer the SDK's accumulator takes than"
          " midstream. `~`: the SDK run was stopped at"
          f" {args.budget:g} s and extrapolated, as in the Chat table.\n")
    print("| format | workload | size | chunks | midstream µs/chunk | µs per KB of arguments"
          " | SDK µs/chunk | ratio | SDK total |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    failed = False
    targets = []
    for fmt in formats:
        sdk = ACCUMULATORS.get(fmt)
        peers = {"midstream": (start_midstream, True)}
        if sdk is not None:
            peers[sdk[0]] = (sdk[1], True)
        for workload in workloads:
            costs = []
            for label, size in sizes:
                arguments = format_arguments(fmt, workload, size)
                events = build_events(fmt, arguments)
                print(f"{fmt} {workload} {label}: {len(events)} chunks ...", file=sys.stderr,
                      flush=True)
                res = measure(events, arguments, args.repeat, args.budget, args.min_time,
                              clock, peers)
                ms = res["midstream"]
                per_kb = ms.seconds / (len(arguments.encode()) / 1024)
                costs.append((label, per_kb if fmt in WHOLE else ms.per_chunk))
                theirs = "— | — | —"
                if sdk is not None:
                    other = res[sdk[0]]
                    theirs = (f"{_us(other.per_chunk)}{_capped(other)} | {_ratio(other, ms)}"
                              f" | {_total(other)}")
                print(f"| {fmt} | {workload} | {label} ({len(arguments.encode()):,} B)"
                      f" | {len(events):,} | {_us(ms.per_chunk)} | {_us(per_kb)} | {theirs} |")
            if len(costs) >= 2:
                (l0, c0), (l1, c1) = costs[0], costs[-1]
                ok = c1 / c0 <= LINEAR_FACTOR
                failed |= not ok
                unit = "KB" if fmt in WHOLE else "chunk"
                targets.append(f"- {'PASS' if ok else 'FAIL'} {fmt} {workload}: midstream's"
                               f" cost per {unit} {l0} → {l1} changes ×{c1 / c0:.2f}"
                               f" (linear: within ×{LINEAR_FACTOR:g})")
    if targets:
        print("\n### Targets\n")
        print("\n".join(targets))
    print("\n### Peers\n")
    for fmt in formats:
        sdk = ACCUMULATORS.get(fmt)
        print(f"- {fmt}: " + (f"against {sdk[0]}, {_PEER_NOTES[fmt]}" if sdk is not None
                              else f"midstream alone: {NO_ACCUMULATOR[fmt]}"))
    print()
    print(midstream_build())
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    raise SystemExit(main())
