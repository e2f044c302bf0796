"""Ollama's native /api/chat NDJSON: recorded streams, the ollama SDK, properties."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _wire import (
    Reference,
    assemble,
    notes_bytes,
    notes_finish,
    notes_tools,
    ollama_stream,
    recorded,
    recorded_at_import,
    same_events,
)
from midstream import (
    ContentDelta,
    Finish,
    JsonSyntaxError,
    ProviderError,
    ReasoningDelta,
    ToolCallAssembler,
    ToolCallDone,
    ToolCallStart,
    Truncated,
    Usage,
    astream_events,
    stream_events,
)
from strategies import json_values

pytestmark = pytest.mark.shared

STREAMS = recorded_at_import("ollama_chat")
#: The ollama SDK refuses this edited fixture's call without ``arguments``
#: (its model requires the field; Ollama itself always sends it).
SDK_REFUSES = {"semantic-kernel:ollama:chat_completion_multiple_function_calls_test_response"}


def test_the_recordings_are_there() -> None:
    assert len(recorded("ollama_chat")) >= 3


def reference(events: list[dict[str, Any]]) -> Reference:
    ref = Reference()
    for event in events:
        message = event["message"]
        ref.text += message.get("content", "")
        ref.reasoning += message.get("thinking", "")
        for call in message.get("tool_calls", []):
            function = call["function"]
            ref.calls.append((call.get("id"), function["name"], function.get("arguments", {})))
    return ref


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
    assert got.finishes == [notes_finish(notes)]
    (usage,) = got.usage
    last = events[-1]
    assert (usage.input_tokens, usage.output_tokens, usage.model) == (
        last["prompt_eval_count"], last["eval_count"], last["model"]
    )
    # NDJSON lines as text and as bytes, and format="ollama", read the same.
    as_bytes = [json.dumps(e).encode() + b"\n" for e in events]
    for lines in ([json.dumps(e) for e in events], as_bytes):
        assert same_events(assemble(lines).events, got.events)
    assert same_events(assemble(events, format="ollama").events, got.events)


@pytest.mark.parametrize("sid", sorted(set(STREAMS) - SDK_REFUSES))
def test_recorded_stream_through_the_ollama_sdk(sid: str) -> None:
    """``ollama.chat(..., stream=True)`` yields ChatResponse objects: the same events."""
    events = STREAMS[sid]["events"]
    ollama = pytest.importorskip("ollama")
    models = [ollama.ChatResponse.model_validate(e) for e in events]
    expected = assemble(events).events
    assert same_events(assemble(models).events, expected)
    source, _body = ollama_stream(events)
    assert same_events(assemble(source).events, expected)


def test_a_call_is_done_in_the_line_that_carries_it() -> None:
    sid = "dotnet-extensions:OllamaChatClientTests.FunctionCallContent_NonStreaming"
    line = STREAMS[sid]["events"][0]
    acc = ToolCallAssembler()
    out = acc.feed({**line, "done": False, "done_reason": None})
    assert [type(e) for e in out if not isinstance(e, Usage)][-1] is ToolCallDone
    assert acc.close() == []


def test_stream_events_takes_the_sdk_stream_and_closes_it_on_early_exit() -> None:
    events = STREAMS["semantic-kernel:ollama:chat_completion_test_response_stream"]["events"]
    source, body = ollama_stream(events)
    for ev in stream_events(source):
        if isinstance(ev, ContentDelta):
            break
    assert body.closed and body.sent < len(body.chunks)


@pytest.mark.parametrize(("reason", "cut"), [("stop", False), ("length", True), (None, True)])
def test_the_truncation_verdict(reason: str | None, cut: bool) -> None:
    """``length`` is the token limit; a stream without its ``done`` line was cut."""
    events = list(STREAMS["semantic-kernel:ollama:chat_completion_test_response_stream"]["events"])
    if reason is None:
        events = events[:-1]
    else:
        events[-1] = {**events[-1], "done_reason": reason}
    source, _body = ollama_stream(events)
    truncated = [ev for ev in stream_events(source) if isinstance(ev, Truncated)]
    assert [t.reason for t in truncated] == ([reason] if cut else [])


def test_astream_events_takes_the_async_sdk_stream_and_closes_it() -> None:
    ollama = pytest.importorskip("ollama")
    httpx = pytest.importorskip("httpx")
    events = STREAMS["semantic-kernel:ollama:chat_completion_test_response_stream"]["events"]
    closed: list[bool] = []

    class Body(httpx.AsyncByteStream):  # type: ignore[misc]
        async def __aiter__(self) -> Any:
            for e in events:
                yield (json.dumps(e) + "\n").encode()

        async def aclose(self) -> None:
            closed.append(True)

    def handler(request: Any) -> Any:
        return httpx.Response(200, stream=Body())

    async def main() -> tuple[list[Any], list[Any]]:
        client = ollama.AsyncClient(host="http://o.test", transport=httpx.MockTransport(handler))
        whole = [ev async for ev in astream_events(await client.chat(model="m", stream=True))]
        first = []
        gen = astream_events(await client.chat(model="m", stream=True))
        async for ev in gen:
            first.append(ev)
            break
        await gen.aclose()  # type: ignore[attr-defined]
        return whole, first

    whole, first = asyncio.run(main())
    assert "".join(e.text for e in whole if isinstance(e, ContentDelta)) == " these times of day."
    assert isinstance(whole[-1], Finish) and not any(isinstance(e, Truncated) for e in whole)
    assert len(first) == 1 and closed == [True, True]


def test_thinking_is_reasoning_not_content() -> None:
    lines = [
        {"model": "qwen3", "message": {"role": "assistant", "content": "", "thinking": "Hmm"},
         "done": False},
        {"model": "qwen3", "message": {"role": "assistant", "content": "{\"a\": 1}"},
         "done": False},
        {"model": "qwen3", "message": {"role": "assistant", "content": ""}, "done": True,
         "done_reason": "stop", "prompt_eval_count": 1, "eval_count": 2},
    ]
    out = list(stream_events(lines))
    assert [e.text for e in out if isinstance(e, ReasoningDelta)] == ["Hmm"]
    assert "".join(e.text for e in out if isinstance(e, ContentDelta)) == '{"a": 1}'
    assert not any(isinstance(e, Truncated) for e in out)


def test_an_error_line_is_a_provider_error_and_the_stream_is_cut() -> None:
    lines = [
        {"model": "m", "message": {"role": "assistant", "content": "Hi"}, "done": False},
        {"error": "model runner has unexpectedly stopped"},
    ]
    out = list(stream_events(lines))
    assert ProviderError(None, None, "model runner has unexpectedly stopped") in out
    assert isinstance(out[-1], Truncated)


def test_arguments_as_json_text_that_does_not_parse_is_an_error_and_the_rest_go_on() -> None:
    line = {"model": "m", "done": True, "done_reason": "stop", "message": {
        "role": "assistant", "content": "",
        "tool_calls": [
            {"function": {"name": "a", "arguments": '{"x": 1'}},
            {"function": {"name": "b", "arguments": '{"y": 2}'}},
        ]}}
    got = assemble([line])
    (error,) = got.errors
    assert error.name == "a" and "Arguments incomplete" in str(error.error)
    assert got.calls() == [(None, "b", {"y": 2})]
    bad = {**line, "message": {**line["message"], "tool_calls": [
        {"function": {"name": "a", "arguments": '{"x": }'}}]}}
    (error,) = assemble([bad]).errors
    assert isinstance(error.error, JsonSyntaxError)


# --- properties -----------------------------------------------------------------------------


@st.composite
def ollama_streams(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[Any], str]:
    """Lines of text, thinking and whole calls (parallel in one line or spread over lines).

    Quirks: calls with an ``id`` (newer servers) or without; ``function.index``
    (newer servers, restarting at 0 in each line) or none; a call without
    ``arguments``; ``done_reason`` missing (servers before it existed).
    """
    lines: list[dict[str, Any]] = []
    calls: list[Any] = []
    text = ""
    with_ids = draw(st.booleans())
    with_index = draw(st.booleans())
    for _ in range(draw(st.integers(0, 4))):
        message: dict[str, Any] = {"role": "assistant", "content": ""}
        kind = draw(st.sampled_from(["text", "thinking", "calls"]))
        if kind == "text":
            piece = draw(st.text(max_size=8))
            message["content"] = piece
            text += piece
        elif kind == "thinking":
            message["thinking"] = draw(st.text(min_size=1, max_size=8))
        else:
            entries = []
            for i in range(draw(st.integers(1, 3))):
                call_id = f"call_{len(calls)}" if with_ids else None
                name = draw(st.sampled_from(["get", "put"]))
                args = draw(st.none() | st.dictionaries(st.text(max_size=4), json_values(),
                                                         max_size=3))
                function: dict[str, Any] = {"name": name}
                if with_index:
                    function["index"] = i
                if args is not None:
                    function["arguments"] = args
                entries.append({"function": function, **({"id": call_id} if call_id else {})})
                calls.append((call_id, name, {} if args is None else args))
            message["tool_calls"] = entries
        lines.append({"model": "m", "created_at": "t", "message": message, "done": False})
    last: dict[str, Any] = {"model": "m", "created_at": "t",
                            "message": {"role": "assistant", "content": ""}, "done": True,
                            "prompt_eval_count": 5, "eval_count": 6}
    if draw(st.booleans()):
        last["done_reason"] = "stop"
    lines.append(last)
    return lines, calls, text


@given(ollama_streams())
def test_generated_streams_give_the_reference_calls(case: Any) -> None:
    lines, calls, text = case
    got = assemble(lines)
    assert got.calls() == calls
    assert not got.errors and got.text == text
    assert got.finishes == ["stop"] and got.usage[0].total_tokens == 11
    starts = [e for e in got.events if isinstance(e, ToolCallStart)]
    assert sorted(e.index for e in starts) == list(range(len(calls)))  # every call its own index


@given(ollama_streams(), st.data())
def test_a_stream_cut_anywhere_keeps_whole_calls_and_is_truncated(
    case: Any, data: st.DataObject
) -> None:
    """Ollama calls are whole in their line: a cut loses later lines, never half a call."""
    lines, calls, _ = case
    cut = data.draw(st.integers(0, len(lines) - 1))
    out = list(stream_events(lines[:cut]))
    done = [(e.id, e.name, e.arguments) for e in out if isinstance(e, ToolCallDone)]
    assert done == calls[: len(done)]
    assert isinstance(out[-1], Truncated) and out[-1].reason is None


def test_content_with_a_format_schema_is_structured_output() -> None:
    """``format=<schema>`` makes the content JSON: fields stream and the model validates."""
    from pydantic import BaseModel

    from midstream import FieldValidated, ValueDone

    class Fruit(BaseModel):
        name: str
        count: int

    text = '{"name": "apple", "count": 3}'
    lines = [{"model": "m", "message": {"role": "assistant", "content": text[i:i + 4]},
              "done": False} for i in range(0, len(text), 4)]
    lines.append({"model": "m", "message": {"role": "assistant", "content": ""}, "done": True,
                  "done_reason": "stop", "prompt_eval_count": 3, "eval_count": 8})
    source, _body = ollama_stream(lines)
    out = list(stream_events(source, model=Fruit))
    roots = [e for e in out if isinstance(e, ValueDone) and e.path == ()]
    assert [r.value for r in roots] == [{"name": "apple", "count": 3}]
    assert any(isinstance(e, FieldValidated) and e.path == () and e.value == Fruit(name="apple",
               count=3) for e in out)
    assert not any(isinstance(e, Truncated) for e in out)
