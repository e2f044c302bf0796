"""Cohere v2 chat stream: recorded streams, the cohere SDK, properties."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _wire import (
    Reference,
    assemble,
    cohere_stream,
    loads,
    notes_bytes,
    notes_finish,
    notes_tools,
    recorded,
    recorded_at_import,
    same_cuts,
    same_events,
)
from helpers import split_points
from midstream import (
    ContentDelta,
    IncompleteJsonError,
    JsonSyntaxError,
    ProviderError,
    ReasoningDelta,
    ToolCallDone,
    Truncated,
    stream_events,
)
from strategies import json_values

pytestmark = pytest.mark.shared

STREAMS = recorded_at_import("cohere_v2_chat")


def test_the_recordings_are_there() -> None:
    assert len(recorded("cohere_v2_chat")) >= 11


def reference(events: list[dict[str, Any]]) -> Reference:
    ref = Reference()
    starts: dict[int, dict[str, Any]] = {}
    arguments: dict[int, str] = {}
    for event in events:
        kind = event["type"]
        message = event.get("delta", {}).get("message", {})
        if kind == "tool-call-start":
            starts[event["index"]] = message["tool_calls"]
            arguments[event["index"]] = message["tool_calls"]["function"].get("arguments", "")
        elif kind == "tool-call-delta":
            arguments[event["index"]] += message["tool_calls"]["function"]["arguments"]
        elif kind in ("content-start", "content-delta"):
            ref.text += message["content"].get("text", "")
            ref.reasoning += message["content"].get("thinking", "")
        elif kind == "tool-plan-delta":
            ref.reasoning += message["tool_plan"]
    for index, call in sorted(starts.items()):
        ref.calls.append((call["id"], call["function"]["name"], loads(arguments[index])))
    return ref


def sdk_objects(events: list[dict[str, Any]]) -> list[Any]:
    """Each event as the cohere SDK parses an SSE event: its own ``parse_sse_obj``."""
    pytest.importorskip("cohere")
    from cohere.core.http_sse import ServerSentEvent
    from cohere.core.pydantic_utilities import parse_sse_obj
    from cohere.v2.types.v2chat_stream_response import V2ChatStreamResponse

    return [
        parse_sse_obj(ServerSentEvent(event=e["type"], data=json.dumps(e)), V2ChatStreamResponse)
        for e in events
    ]


@pytest.mark.parametrize("sid", sorted(STREAMS))
def test_recorded_stream_replays_to_its_notes(sid: str) -> None:
    stream = STREAMS[sid]
    events, notes = stream["events"], stream["notes"]
    got = assemble(events)
    ref = reference(events)
    assert got.calls() == ref.calls
    assert [name for _, name, _ in got.calls()] == notes_tools(notes)
    assert not got.errors
    assert got.text == ref.text
    assert len(got.text.encode()) == notes_bytes(notes, "text")
    assert got.reasoning == ref.reasoning
    assert len(got.reasoning.encode()) == notes_bytes(notes, "reasoning")
    assert got.finishes == [notes_finish(notes)]
    # SSE data text and format="cohere" read the same.
    assert same_events(assemble([json.dumps(e) for e in events]).events, got.events)
    assert same_events(assemble(events, format="cohere").events, got.events)


@pytest.mark.parametrize("sid", sorted(STREAMS))
def test_recorded_stream_through_the_cohere_sdk(sid: str) -> None:
    events = STREAMS[sid]["events"]
    expected = assemble(events)
    assert same_events(assemble(sdk_objects(events)).events, expected.events)
    source, _body = cohere_stream(events)
    through_client = assemble(source)
    assert same_events(through_client.events, expected.events)
    # The SDK reads counts as floats; Usage has them as ints.
    for usage in through_client.usage:
        assert isinstance(usage.input_tokens, int) and isinstance(usage.output_tokens, int)


def test_stream_events_takes_the_sdk_stream_and_closes_it_on_early_exit() -> None:
    source, body = cohere_stream(STREAMS["vercel-ai:cohere:cohere-tool-call"]["events"])
    for ev in stream_events(source):
        if isinstance(ev, ToolCallDone):
            break
    assert body.closed and body.sent < len(body.chunks)


@pytest.mark.parametrize(
    ("sid", "reason"),
    [
        ("langchain-cohere:test_stream", None),
        ("vercel-ai:cohere:cohere-tool-call", None),
        ("langchain-cohere:test_sql_agent#0", "ERROR"),
    ],
)
def test_the_truncation_verdict(sid: str, reason: str | None) -> None:
    source, _body = cohere_stream(STREAMS[sid]["events"])
    out = list(stream_events(source))
    assert [t.reason for t in out if isinstance(t, Truncated)] == ([reason] if reason else [])
    if reason == "ERROR":
        (error,) = [e for e in out if isinstance(e, ProviderError)]
        assert error.type == "INVALID_TOOL_GENERATION"
        assert error.message.startswith("your request resulted in an invalid tool generation")


def test_max_tokens_inside_a_call_says_truncated() -> None:
    events = STREAMS["vercel-ai:cohere:cohere-tool-call"]["events"]
    cut = [e for e in events if e["type"] != "tool-call-end"]
    end = {**cut[-1], "delta": {**cut[-1]["delta"], "finish_reason": "MAX_TOKENS"}}
    cut = [e for e in cut[:-1] if not (e["type"] == "tool-call-delta" and
                                        e["delta"]["message"]["tool_calls"]["function"]
                                        ["arguments"] == "\"}")]
    out = list(stream_events([*cut, end]))
    errors = [e for e in out if type(e).__name__ == "ToolCallError"]
    assert len(errors) == 2 and all("truncated" in str(e.error) for e in errors)
    assert [t.reason for t in out if isinstance(t, Truncated)] == ["MAX_TOKENS"]


def test_thinking_and_the_tool_plan_are_reasoning_and_citations_stay_out() -> None:
    out = list(stream_events(STREAMS["vercel-ai:cohere:cohere-reasoning"]["events"]))
    text = "".join(e.text for e in out if isinstance(e, ContentDelta))
    assert text == "The answer to 2 + 2 is 4."
    thought = "".join(e.text for e in out if isinstance(e, ReasoningDelta))
    assert thought.startswith("The user is asking for the sum of 2 and 2.")
    cited = assemble(STREAMS["langchain-cohere:test_single_csv#3@6bb7b3b"]["events"])
    assert "tool_output" not in cited.text and cited.text.count("Shawshank") == 1


# --- properties -------------------------------------------------------------------------------


@st.composite
def cohere_streams(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[Any], str]:
    """A tool plan, parallel calls with arguments split anywhere, text; quirks on or off.

    Quirks: ``tool-call-start`` carrying a first fragment or ``""``;
    pretty-printed arguments (Command R); a call without any fragment.
    """
    events: list[dict[str, Any]] = [
        {"id": "x", "type": "message-start", "delta": {"message": {"role": "assistant"}}}
    ]
    for word in draw(st.lists(st.text(min_size=1, max_size=5), max_size=3)):
        events.append({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": word}}})
    calls = []
    pretty = draw(st.booleans())
    for index in range(draw(st.integers(0, 3))):
        args = draw(st.none() | st.dictionaries(st.text(max_size=4), json_values(), max_size=3))
        whole = "" if args is None else json.dumps(args, indent=4 if pretty else None)
        pieces = [p for p in draw(split_points(whole)) if p] if whole else []
        first = pieces.pop(0) if pieces and draw(st.booleans()) else ""
        call_id, name = f"c_{index}", draw(st.sampled_from(["f", "g"]))
        events.append({"type": "tool-call-start", "index": index, "delta": {"message": {
            "tool_calls": {"id": call_id, "type": "function",
                           "function": {"name": name, "arguments": first}}}}})
        events += [{"type": "tool-call-delta", "index": index, "delta": {"message": {
            "tool_calls": {"function": {"arguments": p}}}}} for p in pieces]
        events.append({"type": "tool-call-end", "index": index})
        calls.append((call_id, name, {} if args is None else args))
    text = ""
    if not calls:
        events.append({"type": "content-start", "index": 0,
                       "delta": {"message": {"content": {"type": "text", "text": ""}}}})
        for piece in draw(st.lists(st.text(min_size=1, max_size=6), max_size=4)):
            text += piece
            events.append({"type": "content-delta", "index": 0,
                           "delta": {"message": {"content": {"text": piece}}}})
        events.append({"type": "content-end", "index": 0})
    events.append({"type": "message-end", "delta": {
        "finish_reason": "TOOL_CALL" if calls else "COMPLETE",
        "usage": {"tokens": {"input_tokens": 1, "output_tokens": 2}}}})
    return events, calls, text


@given(cohere_streams())
def test_generated_streams_give_the_reference_calls(case: Any) -> None:
    events, calls, text = case
    got = assemble(events)
    assert got.calls() == calls
    assert not got.errors and got.text == text
    assert got.usage[0].total_tokens == 3


@given(cohere_streams(), st.data())
def test_a_stream_cut_inside_a_call_ends_it_in_an_error(case: Any, data: st.DataObject) -> None:
    events, calls, _ = case
    deltas = [i for i, e in enumerate(events) if e["type"] == "tool-call-delta"]
    if not deltas:
        return
    cut = data.draw(st.sampled_from(deltas))
    index = events[cut]["index"]

    def fragments(upto: int) -> str:
        return "".join(
            e["delta"]["message"]["tool_calls"]["function"]["arguments"]
            for e in events[:upto]
            if e["type"] in ("tool-call-start", "tool-call-delta") and e["index"] == index
        )

    got = assemble(events[: cut + 1])
    call_id = calls[index][0]
    if fragments(cut + 1) == fragments(len(events)):  # the last fragment: its JSON closed
        assert call_id in [d.id for d in got.done]
    else:
        assert call_id not in [d.id for d in got.done]
        (error,) = [e for e in got.errors if e.id == call_id]
        assert isinstance(error.error, IncompleteJsonError)
        assert "the stream ended" in str(error.error)


def test_bad_json_is_an_error_and_the_other_calls_go_on() -> None:
    def call(index: int, pieces: list[str]) -> list[dict[str, Any]]:
        return [
            {"type": "tool-call-start", "index": index, "delta": {"message": {"tool_calls": {
                "id": f"c{index}", "function": {"name": "f", "arguments": ""}}}}},
            *({"type": "tool-call-delta", "index": index, "delta": {"message": {
                "tool_calls": {"function": {"arguments": p}}}}} for p in pieces),
            {"type": "tool-call-end", "index": index},
        ]

    got = assemble([*call(0, ['{"a": tru', "e x}"]), *call(1, ['{"b"', ": 2}"]),
                    {"type": "message-end", "delta": {"finish_reason": "TOOL_CALL"}}])
    (error,) = got.errors
    assert error.id == "c0" and isinstance(error.error, JsonSyntaxError)
    assert got.calls() == [("c1", "f", {"b": 2})]


def test_a_call_is_done_in_the_feed_that_closes_its_json() -> None:
    from midstream import ToolCallAssembler

    acc = ToolCallAssembler()
    dones = []
    for event in STREAMS["vercel-ai:cohere:cohere-tool-call"]["events"]:
        if any(isinstance(e, ToolCallDone) for e in acc.feed(event)):
            dones.append(event["type"])
    assert dones == ["tool-call-delta", "tool-call-delta"]


def test_astream_events_takes_the_async_sdk_stream_and_closes_it() -> None:
    import asyncio

    cohere = pytest.importorskip("cohere")
    httpx = pytest.importorskip("httpx")
    from midstream import astream_events

    events = STREAMS["vercel-ai:cohere:cohere-tool-call"]["events"]
    closed: list[bool] = []

    class Body(httpx.AsyncByteStream):  # type: ignore[misc]
        async def __aiter__(self) -> Any:
            for e in events:
                yield f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode()

        async def aclose(self) -> None:
            closed.append(True)

    def handler(request: Any) -> Any:
        return httpx.Response(200, stream=Body(), headers={"content-type": "text/event-stream"})

    async def main() -> tuple[list[Any], list[Any]]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        client = cohere.AsyncClientV2(api_key="k", httpx_client=http)
        messages = [{"role": "user", "content": "hi"}]
        whole = [ev async for ev in astream_events(client.chat_stream(model="m",
                                                                      messages=messages))]
        first = []
        gen = astream_events(client.chat_stream(model="m", messages=messages))
        async for ev in gen:
            if isinstance(ev, ToolCallDone):
                first.append(ev)
                break
        await gen.aclose()  # type: ignore[attr-defined]
        return whole, first

    whole, first = asyncio.run(main())
    assert [e.name for e in whole if isinstance(e, ToolCallDone)] == ["weather", "cityAttractions"]
    assert not any(isinstance(e, Truncated) for e in whole)
    assert [e.name for e in first] == ["weather"] and closed == [True, True]


def resplit(events: list[dict[str, Any]], cut: Any) -> list[dict[str, Any]]:
    """The stream with each call's arguments re-cut by ``cut(whole) -> pieces``.

    The first piece goes in ``tool-call-start`` (as Cohere does), the rest in
    ``tool-call-delta`` events where the first delta was.
    """
    whole: dict[Any, str] = {}
    for e in events:
        if e["type"] in ("tool-call-start", "tool-call-delta"):
            fragment = e["delta"]["message"]["tool_calls"]["function"].get("arguments", "")
            whole[e["index"]] = whole.get(e["index"], "") + fragment
    out = []
    for e in events:
        if e["type"] == "tool-call-delta":
            continue
        if e["type"] == "tool-call-start":
            pieces = cut(whole[e["index"]]) or [""]
            call = e["delta"]["message"]["tool_calls"]
            start = {**call, "function": {**call["function"], "arguments": pieces[0]}}
            out.append({**e, "delta": {"message": {"tool_calls": start}}})
            out += [{"type": "tool-call-delta", "index": e["index"], "delta": {"message": {
                "tool_calls": {"function": {"arguments": p}}}}} for p in pieces[1:]]
            continue
        out.append(e)
    return out


@pytest.mark.parametrize(
    "sid", sorted(s for s in STREAMS if "tool-call-start" in json.dumps(STREAMS[s]["events"]))
)
def test_recorded_calls_under_every_chunking_of_their_arguments(sid: str) -> None:
    from helpers import chunkings, run
    from midstream import ToolCallAssembler

    events = STREAMS[sid]["events"]
    expected = run(ToolCallAssembler, events)
    first = json.dumps(reference(events).calls[0][2], indent=4)  # cut points from the first call
    for variant in chunkings(first, tokens=False):
        assert run(ToolCallAssembler, resplit(events, same_cuts(variant))) == expected
