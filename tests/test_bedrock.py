"""AWS Bedrock ConverseStream (and InvokeModel with Claude): recorded streams, boto3, properties."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _wire import (
    Reference,
    assemble,
    bedrock_converse,
    bedrock_invoke,
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
    ToolCallAssembler,
    ToolCallDone,
    ToolCallError,
    Truncated,
    stream_events,
)
from strategies import json_values

pytestmark = pytest.mark.shared


def reference(events: list[dict[str, Any]]) -> Reference:
    """Calls, text and reasoning by concatenation per ``contentBlockIndex``."""
    ref = Reference()
    starts: dict[int, dict[str, Any]] = {}
    inputs: dict[int, str] = {}
    for event in events:
        ((kind, payload),) = event.items()
        if kind == "contentBlockStart" and "toolUse" in payload["start"]:
            starts[payload["contentBlockIndex"]] = payload["start"]["toolUse"]
            inputs[payload["contentBlockIndex"]] = ""
        elif kind == "contentBlockDelta":
            delta = payload["delta"]
            if "toolUse" in delta:
                inputs[payload["contentBlockIndex"]] += delta["toolUse"]["input"]
            ref.text += delta.get("text", "")
            ref.reasoning += delta.get("reasoningContent", {}).get("text", "")
    for block, start in sorted(starts.items()):
        ref.calls.append((start["toolUseId"], start["name"], loads(inputs[block])))
    return ref


STREAMS = recorded_at_import("bedrock_converse_stream")


def test_the_recordings_are_there() -> None:
    assert len(recorded("bedrock_converse_stream")) >= 14


@pytest.mark.parametrize("sid", sorted(STREAMS))
def test_recorded_stream_replays_to_its_notes(sid: str) -> None:
    stream = STREAMS[sid]
    events, notes = stream["events"], stream["notes"]
    ref = reference(events)
    got = assemble(events)
    assert got.calls() == ref.calls
    assert [name for _, name, _ in got.calls()] == notes_tools(notes)
    assert not got.errors
    assert got.text == ref.text
    assert len(got.text.encode()) == notes_bytes(notes, "text")
    assert got.reasoning == ref.reasoning
    assert len(got.reasoning.encode()) == notes_bytes(notes, "reasoning")
    assert got.finishes == [notes_finish(notes)]
    assert len(got.usage) == 1 and got.usage[0].total_tokens is not None
    # The JSON text of each event (what a raw event-stream decoder gives) reads the same.
    as_text = assemble([json.dumps(e) for e in events])
    assert same_events(as_text.events, got.events)
    assert same_events(assemble(events, format="bedrock").events, got.events)


#: boto3 refuses the hand-written fixture's ``start: {}`` on a text block
#: (a ContentBlockStart union with no member): AWS never sends it.
NOT_FROM_AWS = {"vercel-ai:amazon-bedrock:amazon-bedrock-tool-no-args"}


@pytest.mark.parametrize("sid", sorted(set(STREAMS) - NOT_FROM_AWS))
def test_recorded_stream_through_boto3(sid: str) -> None:
    """boto3's own EventStream, decoding the recording as AWS sends it, gives the same events."""
    events = STREAMS[sid]["events"]
    source, body = bedrock_converse(events)
    got = assemble(source)
    assert same_events(got.events, assemble(events).events)
    assert body.sent == len(body.chunks)


def test_stream_events_takes_the_boto3_stream_and_closes_it_on_early_exit() -> None:
    sid = "haystack:amazon_bedrock:test_parse_streaming_response_with_two_tool_calls"
    source, body = bedrock_converse(STREAMS[sid]["events"])
    for ev in stream_events(source):
        if isinstance(ev, ToolCallDone):
            break
    assert body.closed
    assert body.sent < len(body.chunks)


@pytest.mark.parametrize(
    ("sid", "cut"),
    [
        ("vercel-ai:amazon-bedrock:amazon-bedrock-reasoning", False),
        ("vercel-ai:amazon-bedrock:issue-17523-converse-stream", True),  # max_tokens
    ],
)
def test_stream_events_gives_the_truncation_verdict(sid: str, cut: bool) -> None:
    source, body = bedrock_converse(STREAMS[sid]["events"])
    events = list(stream_events(source))
    truncated = [ev for ev in events if isinstance(ev, Truncated)]
    assert bool(truncated) == cut
    if cut:
        assert truncated[0].reason == "max_tokens"
    assert not body.closed  # read to its end: left alone


def test_reasoning_and_citations_stay_out_of_the_content() -> None:
    events = STREAMS["vercel-ai:amazon-bedrock:amazon-bedrock-reasoning"]["events"]
    out = list(stream_events(events))
    text = "".join(ev.text for ev in out if isinstance(ev, ContentDelta))
    thought = "".join(ev.text for ev in out if isinstance(ev, ReasoningDelta))
    assert text.startswith("There are **3** r's") and "Let me count" not in text
    assert thought.startswith("Let me count the r's")
    cited = STREAMS["vercel-ai:amazon-bedrock:amazon-bedrock-document-citations"]["events"]
    text = assemble(cited).text
    assert "sourceContent" not in text and "AI 1\r\n" not in text


# --- InvokeModel: Anthropic's events wrapped in chunk.bytes -----------------------------------


ANTHROPIC = recorded_at_import("anthropic_messages")
INVOKE_IDS = [
    sid
    for sid, s in sorted(ANTHROPIC.items())
    if "input_json_delta" in json.dumps(s["events"]) or "thinking_delta" in json.dumps(s["events"])
][:6]


@pytest.mark.parametrize("sid", INVOKE_IDS)
def test_invoke_model_with_claude_reads_as_anthropic(sid: str) -> None:
    """boto3's InvokeModel stream yields ``{"chunk": {"bytes": ...}}``: the Anthropic reader."""
    events = ANTHROPIC[sid]["events"]
    source, _body = bedrock_invoke(events)
    got = assemble(source)
    expected = assemble(events)
    assert same_events(got.events, expected.events)
    assert got.done or got.text or got.reasoning
    # The same wrapper with the bytes base64-encoded (a decoder that stops at the JSON).
    import base64

    wrapped = [
        {"chunk": {"bytes": base64.b64encode(json.dumps(e).encode()).decode()}} for e in events
    ]
    assert same_events(assemble(wrapped).events, expected.events)
    assert same_events(assemble(wrapped, format="anthropic").events, expected.events)


def test_invoke_model_stream_closes_on_early_exit() -> None:
    streams = recorded("anthropic_messages")
    sid = next(s for s in INVOKE_IDS if "input_json_delta" in json.dumps(streams[s]["events"]))
    source, body = bedrock_invoke(streams[sid]["events"])
    for ev in stream_events(source):
        if isinstance(ev, ToolCallDone):
            break
    assert body.closed


# --- properties: streams from a small grammar ----------------------------------------------------


@st.composite
def bedrock_streams(
    draw: st.DrawFn,
) -> tuple[list[dict[str, Any]], list[tuple[str, str, Any]], str]:
    """A ConverseStream with text, reasoning and parallel toolUse blocks, quirks on or off.

    Quirks: the ``"p"`` padding field; Claude's leading ``input: ""``; a tool
    without arguments (only ``input: ""``); the whole input in one delta (Nova,
    Kimi); ``metadata`` before ``messageStop``.
    """
    pad = draw(st.booleans())
    calls: list[tuple[str, str, Any]] = []
    text = ""

    def ev(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        if pad:
            payload = {**payload, "p": "abcdefghij"[: draw(st.integers(0, 10))]}
        return {kind: payload}

    events = [ev("messageStart", {"role": "assistant"})]
    parts = draw(st.lists(st.sampled_from(["text", "reasoning", "tool"]), max_size=5))
    for index, part in enumerate(parts):
        if part == "text":
            pieces = draw(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=3))
            text += "".join(pieces)
            events += [ev("contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": p}})
                       for p in pieces]
        elif part == "reasoning":
            events.append(ev("contentBlockDelta", {
                "contentBlockIndex": index, "delta": {"reasoningContent": {"text": "think"}}}))
        else:
            call_id, name = f"tooluse_{index}", draw(st.sampled_from(["weather", "search"]))
            events.append(ev("contentBlockStart", {
                "contentBlockIndex": index,
                "start": {"toolUse": {"toolUseId": call_id, "name": name}}}))
            if draw(st.booleans()):
                events.append(ev("contentBlockDelta", {
                    "contentBlockIndex": index, "delta": {"toolUse": {"input": ""}}}))
            args = draw(st.none() | st.dictionaries(st.text(max_size=5), json_values(), max_size=3))
            if args is not None:
                whole = json.dumps(args)
                for piece in draw(split_points(whole)):
                    if piece:
                        events.append(ev("contentBlockDelta", {
                            "contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}}))
            calls.append((call_id, name, {} if args is None else args))
        events.append(ev("contentBlockStop", {"contentBlockIndex": index}))
    end = [ev("messageStop", {"stopReason": "tool_use" if calls else "end_turn"}),
           ev("metadata", {"usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7}})]
    events += end[::-1] if draw(st.booleans()) else end
    return events, calls, text


@given(bedrock_streams())
def test_generated_streams_give_the_reference_calls(case: Any) -> None:
    events, calls, text = case
    got = assemble(events)
    assert got.calls() == calls
    assert not got.errors
    assert got.text == text
    assert got.usage[0].total_tokens == 7


@given(bedrock_streams(), st.data())
def test_a_stream_cut_inside_a_call_ends_it_in_an_error(case: Any, data: st.DataObject) -> None:
    events, calls, _ = case
    inside = [
        i for i, e in enumerate(events)
        if "contentBlockDelta" in e and "toolUse" in e["contentBlockDelta"]["delta"]
        and e["contentBlockDelta"]["delta"]["toolUse"]["input"]
    ]
    if not inside:
        return
    cut = data.draw(st.sampled_from(inside))
    whole = "".join(
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events[: cut + 1]
        if "contentBlockDelta" in e and "toolUse" in e["contentBlockDelta"]["delta"]
        and e["contentBlockDelta"]["contentBlockIndex"]
        == events[cut]["contentBlockDelta"]["contentBlockIndex"]
    )
    got = assemble(events[: cut + 1])
    block = events[cut]["contentBlockDelta"]["contentBlockIndex"]
    call_id = f"tooluse_{block}"
    complete = any(i == call_id for i, _, _ in calls) and whole == json.dumps(
        next(a for i, _, a in calls if i == call_id)
    )
    if complete:
        assert [d.id for d in got.done][-1] == call_id
    else:
        assert call_id not in [d.id for d in got.done]
        (error,) = [e for e in got.errors if e.id == call_id]
        assert isinstance(error.error, IncompleteJsonError)
        assert "the stream ended" in str(error.error)


def test_bad_json_is_an_error_and_the_other_calls_go_on() -> None:
    def call(index: int, name: str, pieces: list[str]) -> list[dict[str, Any]]:
        return [
            {"contentBlockStart": {"contentBlockIndex": index,
                                   "start": {"toolUse": {"toolUseId": f"t{index}", "name": name}}}},
            *({"contentBlockDelta": {"contentBlockIndex": index,
                                     "delta": {"toolUse": {"input": p}}}} for p in pieces),
            {"contentBlockStop": {"contentBlockIndex": index}},
        ]

    events = [
        *call(0, "a", ['{"x": ', "}"]),
        *call(1, "b", ['{"y"', ": 1}"]),
        {"messageStop": {"stopReason": "tool_use"}},
    ]
    got = assemble(events)
    (error,) = got.errors
    assert error.id == "t0" and isinstance(error.error, JsonSyntaxError)
    assert str(error.error) == "Expecting a value, found '}': line 1 column 7 (char 6)"
    assert got.calls() == [("t1", "b", {"y": 1})]


def test_a_max_tokens_stop_inside_a_call_says_truncated() -> None:
    events = [
        {"contentBlockStart": {"contentBlockIndex": 0,
                               "start": {"toolUse": {"toolUseId": "t", "name": "a"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0,
                               "delta": {"toolUse": {"input": '{"x": "ab'}}}},
        {"messageStop": {"stopReason": "max_tokens"}},
    ]
    out = list(stream_events(events))
    (error,) = [e for e in out if isinstance(e, ToolCallError)]
    assert "truncated" in str(error.error)
    assert [e.reason for e in out if isinstance(e, Truncated)] == ["max_tokens"]


def test_an_exception_event_is_a_provider_error_and_the_stream_is_cut() -> None:
    events = [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hel"}}},
        {"modelStreamErrorException": {"message": "boom", "originalStatusCode": 500}},
    ]
    out = list(stream_events(events))
    assert ProviderError("modelStreamErrorException", "500", "boom") in out
    assert isinstance(out[-1], Truncated) and out[-1].reason == "error"  # cut by the error


def test_a_server_tool_is_not_checked_against_tools() -> None:
    acc = ToolCallAssembler(tools={"mine": None}, format="bedrock")
    out = acc.feed({"contentBlockStart": {"contentBlockIndex": 0, "start": {
        "toolUse": {"toolUseId": "s", "name": "web_search", "type": "server_tool_use"}}}})
    out += acc.feed({"contentBlockDelta": {"contentBlockIndex": 0,
                                           "delta": {"toolUse": {"input": "{}"}}}})
    kinds = [type(e).__name__ for e in out]
    assert kinds == ["ToolCallStart", "ToolArgumentsDelta", "ToolCallDone"]


def test_a_call_is_done_in_the_feed_that_closes_its_json() -> None:
    """Done with the delta that closes the arguments, before ``contentBlockStop``."""
    sid = "haystack:amazon_bedrock:test_parse_streaming_response_with_two_tool_calls"
    acc = ToolCallAssembler()
    for event in STREAMS[sid]["events"]:
        out = acc.feed(event)
        if any(isinstance(e, ToolCallDone) for e in out):
            assert "contentBlockDelta" in event  # not the stop event
            assert event["contentBlockDelta"]["delta"]["toolUse"]["input"].endswith("}")


@pytest.mark.parametrize(
    ("reason", "cut"),
    [("end_turn", False), ("tool_use", False), ("stop_sequence", False),
     ("max_tokens", True), ("guardrail_intervened", True), ("content_filtered", True),
     ("model_context_window_exceeded", True)],
)
def test_every_stop_reason_has_its_verdict(reason: str, cut: bool) -> None:
    events = [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hi"}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": reason}},
    ]
    truncated = [e.reason for e in stream_events(events) if isinstance(e, Truncated)]
    assert truncated == ([reason] if cut else [])


def resplit(events: list[dict[str, Any]], cut: Any) -> list[dict[str, Any]]:
    """The stream with each call's input re-cut by ``cut(whole) -> pieces``, in place."""
    inputs: dict[Any, str] = {}
    for e in events:
        delta = e.get("contentBlockDelta", {}).get("delta", {})
        if "toolUse" in delta:
            block = e["contentBlockDelta"]["contentBlockIndex"]
            inputs[block] = inputs.get(block, "") + delta["toolUse"]["input"]
    out, placed = [], set()
    for e in events:
        delta = e.get("contentBlockDelta", {}).get("delta", {})
        if "toolUse" not in delta:
            out.append(e)
            continue
        block = e["contentBlockDelta"]["contentBlockIndex"]
        if block not in placed:
            placed.add(block)
            out += [{"contentBlockDelta": {"contentBlockIndex": block,
                                           "delta": {"toolUse": {"input": piece}}}}
                    for piece in cut(inputs[block])]
    return out


@pytest.mark.parametrize(
    "sid", sorted(s for s in STREAMS if "toolUse" in json.dumps(STREAMS[s]["events"]))
)
def test_recorded_calls_under_every_chunking_of_their_input(sid: str) -> None:
    """Each call's input re-cut every way (whole, per character, at each point...)."""
    from helpers import chunkings, run

    events = STREAMS[sid]["events"]
    expected = run(ToolCallAssembler, events)
    first = json.dumps(reference(events).calls[0][2])  # cut points from the first call
    for variant in chunkings(first, tokens=False):
        assert run(ToolCallAssembler, resplit(events, same_cuts(variant))) == expected
