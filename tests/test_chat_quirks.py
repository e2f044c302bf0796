"""OpenAI-compatible Chat Completions servers and SDKs, each quirk from a recording or a report."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from _wire import feed_each, flat, of
from helpers import shared_path, split_at
from midstream import Finish, ToolCallDone, ToolCallError

openai = pytest.importorskip("openai")
from openai._models import construct_type  # noqa: E402
from openai.types.chat import ChatCompletionChunk  # noqa: E402


def chunk(*entries: dict[str, Any], finish: str | None = None, **delta: Any) -> dict[str, Any]:
    if entries:
        delta["tool_calls"] = list(entries)
    choice: dict[str, Any] = {"index": 0, "delta": delta}
    if finish is not None:
        choice["finish_reason"] = finish
    return {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [choice]}


def sdk(event: dict[str, Any]) -> Any:
    return construct_type(type_=ChatCompletionChunk, value=event)


FORMS: dict[str, Callable[[dict[str, Any]], Any]] = {"dict": lambda e: e, "sse": json.dumps,
                                                     "sdk": sdk}


@pytest.fixture(params=sorted(FORMS))
def form(request: pytest.FixtureRequest) -> Callable[[dict[str, Any]], Any]:
    return FORMS[request.param]


def calls(events: list[Any]) -> list[tuple[int, str | None, str, Any]]:
    assert not of(ToolCallError, events)
    return [(d.index, d.id, d.name, d.arguments) for d in of(ToolCallDone, events)]


# --- Gemini's OpenAI-compatible endpoint -------------------------------------------------------

SIGNATURE = {"google": {"thought_signature": "EjQKMgEMOdbHJChLX75Q"}}


def test_gemini_whole_calls_without_index_and_their_thought_signature(
    form: Callable[..., Any]
) -> None:
    # The chunk measured in THU-MAIC/OpenMAIC#1556 (and noho/dayu-agent#45): no `index`, the
    # signature in extra_content, the choice's index after the delta, then "stop".
    stream = [
        {"choices": [{"delta": {"role": "assistant", "tool_calls": [
            {"extra_content": SIGNATURE, "function": {
                "arguments": '{"offset":1,"limit":100,"path":"/app/SKILL.md"}', "name": "read"},
             "id": "call_297140", "type": "function"},
            {"function": {"arguments": '{"query":"weather"}', "name": "search_web"},
             "id": "jm4owj31", "type": "function"}]}, "index": 0}],
         "model": "gemini-3.8-flash", "object": "chat.completion.chunk"},
        {"choices": [{"delta": {}, "finish_reason": "stop", "index": 0}],
         "object": "chat.completion.chunk"},
    ]
    per, acc = feed_each([form(e) for e in stream])
    assert calls(per[0]) == [
        (0, "call_297140", "read", {"offset": 1, "limit": 100, "path": "/app/SKILL.md"}),
        (1, "jm4owj31", "search_web", {"query": "weather"})]
    dones = of(ToolCallDone, per[0])
    assert dones[0].provider_data == {"extra_content": SIGNATURE}
    assert dones[1].provider_data is None
    assert per[1] == [Finish(0, "stop")]
    assert acc.tool_calls[0].provider_data == {"extra_content": SIGNATURE}


def test_gemini_split_calls_without_index_and_a_signature_of_its_own(
    form: Callable[..., Any]
) -> None:
    # open-webui/computer#224: arguments split over indexless deltas, the signature in a
    # metadata-only delta, finish_reason "stop" after the calls.
    stream = [
        chunk({"id": "function-call-1", "type": "function",
               "function": {"name": "get_weather", "arguments": '{"location":'}}),
        chunk({"function": {"arguments": '"Sydney"}'}}),
        chunk({"extra_content": SIGNATURE}),
        chunk({"id": "function-call-2", "type": "function",
               "function": {"name": "get_time", "arguments": '{"tz":"AE'}}),
        chunk({"function": {"arguments": 'T"}'}}),
        chunk(finish="stop"),
    ]
    per, _ = feed_each([form(e) for e in stream])
    events = flat(per)
    assert calls(events) == [(0, "function-call-1", "get_weather", {"location": "Sydney"}),
                             (1, "function-call-2", "get_time", {"tz": "AET"})]
    assert [k for k, evs in enumerate(per) for e in evs if isinstance(e, ToolCallDone)] == [1, 4]
    # the signature came after the call was done: the record has it
    assert feed_each(stream)[1].tool_calls[0].provider_data == {"extra_content": SIGNATURE}


# --- Mistral --------------------------------------------------------------------------------------


def recorded(name: str) -> list[dict[str, Any]]:
    """The events of one recorded Chat stream."""
    with shared_path("corpus", "real", "openai_chat_tool_calls.jsonl").open() as fh:
        events: list[dict[str, Any]] = next(
            r for r in map(json.loads, fh) if r["id"] == name)["events"]
    return events


def test_mistral_recorded_whole_call_without_index_finishing_in_the_same_chunk() -> None:
    per, _ = feed_each(recorded("vercel-ai:mistral:mistral-tool-call"))
    assert calls(per[1]) == [(0, "gSIMJiOkT", "weather", {"location": "San Francisco"})]
    assert of(Finish, per[1]) == [Finish(0, "tool_calls")]


class MistralFunction(BaseModel):
    name: str
    arguments: Any


class MistralToolCall(BaseModel):
    """The mistralai SDK's ToolCall, as far as its defaults go: id "null", index 0."""

    function: MistralFunction
    id: str | None = "null"
    type: str | None = None
    index: int | None = 0


class MistralDelta(BaseModel):
    content: str | None = None
    tool_calls: list[MistralToolCall] | None = None


class MistralChoice(BaseModel):
    index: int
    delta: MistralDelta
    finish_reason: str | None = None


class MistralChunk(BaseModel):
    id: str
    model: str
    choices: list[MistralChoice]


@pytest.mark.parametrize("together", [True, False], ids=["one-chunk", "two-chunks"])
def test_mistral_sdk_defaults_do_not_merge_two_calls(together: bool) -> None:
    a = {"function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    b = {"function": {"name": "get_time", "arguments": '{"tz": "CET"}'}}
    wire = ([chunk(a, b, finish="tool_calls")] if together
            else [chunk(a), chunk(b, finish="tool_calls")])
    objects = [MistralChunk.model_validate(c) for c in wire]
    assert objects[0].choices[0].delta.tool_calls[0].id == "null"  # what the SDK gives
    for events in (objects, [o.model_dump() for o in objects], wire):
        assert calls(flat(feed_each(events)[0])) == [
            (0, None, "get_weather", {"city": "Paris"}), (1, None, "get_time", {"tz": "CET"})]


def test_a_name_repeated_without_arguments_after_the_call_is_no_new_call() -> None:
    stream = [chunk({"index": 0, "function": {"name": "f", "arguments": '{"a": 1}'}}),
              chunk({"index": 0, "function": {"name": "f", "arguments": ""}}),
              chunk({"function": {"name": "f"}}),
              chunk(finish="tool_calls")]
    per, acc = feed_each(stream)
    assert calls(flat(per)) == [(0, None, "f", {"a": 1})] and len(acc.tool_calls) == 1


# --- vLLM and other servers reusing an index ----------------------------------------------------


def test_vllm_two_complete_calls_with_the_same_index_in_one_chunk() -> None:
    # vllm-project/vllm#53965 (parallel calls delivered in one delta) and ai-dynamo/dynamo#4723
    # (every parallel call at index 0).
    stream = [chunk({"index": 0, "id": "chatcmpl-tool-a", "type": "function",
                     "function": {"name": "add_numbers", "arguments": '{"a": 2, "b": 2}'}},
                    {"index": 0, "id": "chatcmpl-tool-b", "type": "function",
                     "function": {"name": "get_weather",
                                  "arguments": '{"location": "Tokyo", "unit": "celsius"}'}}),
              chunk(finish="tool_calls")]
    assert calls(flat(feed_each(stream)[0])) == [
        (0, "chatcmpl-tool-a", "add_numbers", {"a": 2, "b": 2}),
        (1, "chatcmpl-tool-b", "get_weather", {"location": "Tokyo", "unit": "celsius"})]


# --- xAI ------------------------------------------------------------------------------------------


def test_xai_recorded_finish_reason_missing_until_the_end() -> None:
    events = recorded("vercel-ai:xai:xai-tool-call")
    assert any("finish_reason" not in c for e in events for c in e["choices"])
    per, _ = feed_each(events)
    assert calls(flat(per)) == [(0, "call_55117580", "weather", {"location": "San Francisco"})]
    assert of(Finish, flat(per)) == [Finish(0, "tool_calls")]


def test_xai_empty_finish_reason_is_no_finish() -> None:
    stream = [chunk({"index": 0, "id": "call_1", "type": "function",
                     "function": {"name": "f", "arguments": "1"}}, finish=""),
              chunk({"index": 0, "function": {"arguments": "2"}}, finish=""),
              chunk(finish="tool_calls")]
    per, _ = feed_each(stream)
    # a root number is done only at the finish: "" did not finish the choice
    assert calls(per[2]) == [(0, "call_1", "f", 12)] and of(Finish, per[2]) == [
        Finish(0, "tool_calls")]


# --- LiteLLM --------------------------------------------------------------------------------------


def litellm_chunk(*tool_calls: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    """A ModelResponseStream as ``model_dump()`` gives it: every field present, nulls included."""
    return {
        "id": "chatcmpl-8e5a8a5f", "created": 1706043294, "model": "gemini-2.0-flash",
        "object": "chat.completion.chunk", "system_fingerprint": None,
        "choices": [{"finish_reason": finish, "index": 0, "logprobs": None, "delta": {
            "provider_specific_fields": None, "refusal": None, "content": None,
            "role": "assistant", "function_call": None, "audio": None,
            "tool_calls": list(tool_calls) or None}}],
        "provider_specific_fields": None, "citations": None,
    }


def test_litellm_made_up_ids_for_whole_calls_at_one_index() -> None:
    # LiteLLM's Gemini transformation gives each whole functionCall part a made-up
    # `call_<uuid>` id, type "function" and the candidate's index (0 for every call).
    stream = [
        litellm_chunk({"id": "call_9c1e", "type": "function", "index": 0,
                       "function": {"name": "get_capital", "arguments": '{"country": "France"}'}}),
        litellm_chunk({"id": "call_51aa", "type": "function", "index": 0,
                       "function": {"name": "get_capital", "arguments": '{"country": "Peru"}'}}),
        litellm_chunk(finish="tool_calls"),
    ]
    assert calls(flat(feed_each(stream)[0])) == [
        (0, "call_9c1e", "get_capital", {"country": "France"}),
        (1, "call_51aa", "get_capital", {"country": "Peru"})]


def test_litellm_streamed_arguments_with_type_repeated() -> None:
    # Anthropic or Bedrock through LiteLLM: continuation deltas carry no id, no name, but
    # repeat type "function".
    stream = [
        litellm_chunk({"id": "toolu_01", "type": "function", "index": 0,
                       "function": {"name": "get_weather", "arguments": ""}}),
        litellm_chunk({"id": None, "type": "function", "index": 0,
                       "function": {"name": None, "arguments": '{"city": '}}),
        litellm_chunk({"id": None, "type": "function", "index": 0,
                       "function": {"name": None, "arguments": '"Paris"}'}}),
        litellm_chunk(finish="tool_calls"),
    ]
    assert calls(flat(feed_each(stream)[0])) == [
        (0, "toolu_01", "get_weather", {"city": "Paris"})]


# --- property test: the quirks on and off ------------------------------------------------


@st.composite
def quirky_streams(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[tuple[str, Any]]]:
    """Calls one after another, each whole or split, with a quirk set drawn per stream."""
    no_index = draw(st.booleans())  # Gemini, Mistral
    null_id = not no_index and draw(st.booleans())  # mistralai SDK: index 0, id "null"
    empty_finish = draw(st.booleans())  # xAI
    final = draw(st.sampled_from(["tool_calls", "stop"]))  # Gemini says "stop"
    expected = []
    stream = []
    for n in range(draw(st.integers(1, 3))):
        value = draw(st.dictionaries(st.sampled_from("abc"), st.integers() | st.text(max_size=5),
                                     max_size=3))
        name = draw(st.sampled_from(["f", "g"]))
        text = json.dumps(value)
        parts = [p for p in split_at(text, draw(st.lists(st.integers(1, len(text) - 1),
                                                          max_size=3))) if p]
        if null_id:
            parts = [text]  # without ids, only whole calls can be told apart
        expected.append((name, value))
        for k, part in enumerate(parts):
            entry: dict[str, Any] = {"function": {"arguments": part}}
            if k == 0:
                entry["function"]["name"] = name
                entry["type"] = "function"
                entry["id"] = "null" if null_id else f"call_{n}"
            if not no_index:
                entry["index"] = 0 if null_id else n
            if k == 0 and draw(st.booleans()):
                entry["extra_content"] = SIGNATURE
            stream.append(chunk(entry, finish="" if empty_finish else None))
    stream.append(chunk(finish=final))
    return stream, expected


@given(quirky_streams(), st.sampled_from(sorted(FORMS)))
def test_quirks_on_and_off(stream: tuple[list[dict[str, Any]], list[Any]], how: str) -> None:
    chunks, expected = stream
    per, acc = feed_each([FORMS[how](c) for c in chunks])
    events = flat(per)
    assert [(name, args) for _, _, name, args in calls(events)] == expected
    assert [c.status for c in acc.tool_calls] == ["done"] * len(expected)
    assert len(of(Finish, events)) == 1
