"""Outcomes beside the output: refusals, provider errors and token usage, in every wire format."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import midstream
from helpers import chunkings, shared_path, split_points
from midstream import (
    ContentDelta,
    Finish,
    ModelRefused,
    ParseError,
    ProviderError,
    RefusalDelta,
    ToolCallAssembler,
    Truncated,
    Usage,
    stream_events,
    stream_model,
)

openai = pytest.importorskip("openai")
from openai._models import construct_type  # noqa: E402  (what the SDK does with wire data)
from openai.types.chat import ChatCompletionChunk  # noqa: E402
from openai.types.responses import ResponseStreamEvent  # noqa: E402


class Answer(BaseModel):
    answer: str


def _records(name: str) -> list[dict[str, Any]]:
    path = shared_path("corpus", "real", name)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _by_id(name: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in _records(name)}


def chat_sdk(event: dict[str, Any]) -> Any:
    return construct_type(type_=ChatCompletionChunk, value=event)


def responses_sdk(event: dict[str, Any]) -> Any:
    return construct_type(type_=ResponseStreamEvent, value=event)  # type: ignore[arg-type]


def anthropic_sdk(event: dict[str, Any]) -> Any:
    anthropic = pytest.importorskip("anthropic")
    from anthropic._models import construct_type as a_construct

    return a_construct(type_=anthropic.types.RawMessageStreamEvent, value=event)


def _of(kind: type, events: Iterable[Any]) -> list[Any]:
    return [ev for ev in events if isinstance(ev, kind)]


def _refusal(events: Iterable[Any], choice: int = 0) -> str:
    return "".join(ev.text for ev in events if isinstance(ev, RefusalDelta) and ev.choice == choice)


def _drain(gen: Iterable[Any]) -> list[Any]:
    return list(gen)


async def _aiter(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def _adrain(tp: Any, items: list[Any]) -> list[Any]:
    async def main() -> list[Any]:
        return [v async for v in midstream.astream_model(tp, _aiter(items))]

    return asyncio.run(main())


# --- refusals: Chat Completions ---------------------------------------------------------------


def _chat_refusals() -> list[dict[str, Any]]:
    """The recorded single-choice Chat streams whose answer is a refusal (delta.refusal)."""
    found = []
    for record in _records("openai_chat_text.jsonl"):
        choices = [c for e in record["events"] for c in (e.get("choices") or [])]
        if any((c.get("delta") or {}).get("refusal") for c in choices) and all(
            c.get("index", 0) == 0 for c in choices
        ):
            found.append(record)
    return found


def _rechunk_refusal(events: list[dict[str, Any]], pieces: list[str]) -> list[dict[str, Any]]:
    """The recorded stream with its refusal deltas replaced by one chunk per piece."""
    refusing = [
        i for i, e in enumerate(events)
        if any((c.get("delta") or {}).get("refusal") for c in e.get("choices") or [])
    ]
    template = copy.deepcopy(events[refusing[0]])
    template["choices"][0]["logprobs"] = None
    out = events[: refusing[0]]
    for piece in pieces:
        chunk = copy.deepcopy(template)
        chunk["choices"][0]["delta"] = {"refusal": piece}
        out.append(chunk)
    return out + events[refusing[-1] + 1 :]


@pytest.mark.shared
def test_recorded_chat_refusals_are_refusals_under_every_chunking() -> None:
    """A refusal is RefusalDelta events then Finish: no Truncated, no parse error, any chunking.

    Before: "content of choice 0: Expecting a value" (an IncompleteJsonError)
    as if the model had sent broken JSON.
    """
    records = _chat_refusals()
    assert len(records) >= 8
    for record in records:
        events = record["events"]
        whole = "".join(
            (c.get("delta") or {}).get("refusal") or ""
            for e in events for c in e.get("choices") or []
        )
        assert whole, record["id"]
        for pieces in chunkings(whole, tokens=False):
            chunks = _rechunk_refusal(events, [p for p in pieces if p])
            for wrap in (lambda d: d, chat_sdk):
                stream = [wrap(c) for c in chunks]
                for options in ({"model": Answer}, {"model": Answer, "json": True}, {"json": True}):
                    got = list(stream_events(stream, **options))
                    assert _refusal(got) == whole, (record["id"], pieces)
                    assert not _of(Truncated, got), record["id"]
                    finishes = _of(Finish, got)
                    assert finishes == [Finish(0, "stop")], record["id"]
                    # the refusal comes before the choice's Finish
                    last_refusal = max(i for i, ev in enumerate(got) if type(ev) is RefusalDelta)
                    assert last_refusal < got.index(finishes[0])
                with pytest.raises(ModelRefused) as info:
                    _drain(stream_model(Answer, stream))
                assert info.value.refusal == whole
                assert not isinstance(info.value, ValueError)  # not "bad output"
        with pytest.raises(ModelRefused, match="the model refused: I"):
            _adrain(Answer, events)


@pytest.mark.shared
def test_a_refusal_in_another_choice_leaves_the_parsed_choice_alone() -> None:
    record = _by_id("openai_chat_json_content.jsonl")[
        "openai-python:test_parse_pydantic_model_multiple_choices:a0c4f0be"
    ]
    got = list(stream_events(record["events"], json=True))
    refused = {ev.choice for ev in _of(RefusalDelta, got)}
    assert refused and 0 not in refused
    assert not _of(Truncated, got)
    assert [ev.path for ev in got if isinstance(ev, midstream.ValueDone) and ev.path == ()] == [()]


def test_refusal_with_plain_content_still_checks_the_content_of_others() -> None:
    """Content that is bad JSON is still a ParseError: only a refusal is spared."""
    bad = [
        {"choices": [{"index": 0, "delta": {"content": '{"answer": '}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    with pytest.raises(ParseError, match="content of choice 0"):
        list(stream_events(bad, model=Answer))


# --- refusals: Responses API ------------------------------------------------------------------


def _responses_refusal(pieces: list[str], *, deltas: bool = True) -> list[dict[str, Any]]:
    whole = "".join(pieces)
    item = {"id": "msg_1", "type": "message", "role": "assistant", "status": "in_progress",
            "content": []}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "sequence_number": 0,
         "response": {"id": "resp_1", "status": "in_progress", "model": "gpt-4o", "output": []}},
        {"type": "response.output_item.added", "sequence_number": 1, "output_index": 0,
         "item": item},
        {"type": "response.content_part.added", "sequence_number": 2, "item_id": "msg_1",
         "output_index": 0, "content_index": 0, "part": {"type": "refusal", "refusal": ""}},
    ]
    if deltas:
        events += [
            {"type": "response.refusal.delta", "sequence_number": 3 + i, "item_id": "msg_1",
             "output_index": 0, "content_index": 0, "delta": piece}
            for i, piece in enumerate(pieces)
        ]
    n = len(events)
    events += [
        {"type": "response.refusal.done", "sequence_number": n, "item_id": "msg_1",
         "output_index": 0, "content_index": 0, "refusal": whole},
        {"type": "response.completed", "sequence_number": n + 1,
         "response": {"id": "resp_1", "status": "completed", "model": "gpt-4o", "output": [],
                      "usage": {"input_tokens": 20, "output_tokens": 9, "total_tokens": 29}}},
    ]
    return events


REFUSAL = "I'm sorry, I can't help with that. ünïcödé 🙅"


@settings(max_examples=60, deadline=None)
@given(pieces=split_points(REFUSAL), sdk=st.booleans())
def test_responses_refusal_under_every_chunking(pieces: list[str], sdk: bool) -> None:
    events = _responses_refusal([p for p in pieces if p])
    stream = [responses_sdk(e) for e in events] if sdk else events
    got = list(stream_events(stream, model=Answer))
    assert _refusal(got) == REFUSAL
    assert not _of(Truncated, got)
    assert _of(Finish, got) == [Finish(0, "completed")]
    with pytest.raises(ModelRefused) as info:
        _drain(stream_model(Answer, stream))
    assert info.value.refusal == REFUSAL


def test_responses_refusal_sent_only_in_its_done_event() -> None:
    got = list(stream_events(_responses_refusal([REFUSAL], deltas=False), model=Answer))
    assert _of(RefusalDelta, got) == [RefusalDelta(0, REFUSAL)]
    assert not _of(ContentDelta, got)


# --- provider errors -----------------------------------------------------------------------------


@pytest.mark.shared
def test_responses_failed_carries_the_providers_error_once() -> None:
    record = _by_id("openai_responses.jsonl")["vercel-ai:openai:openai-error.1"]
    for wrap in (lambda d: d, responses_sdk):
        stream = [wrap(e) for e in record["events"]]
        got = list(stream_events(stream))
        errors = _of(ProviderError, got)
        assert len(errors) == 1  # the "error" event and response.failed say the same thing
        assert errors[0].type == errors[0].code == "insufficient_quota"
        assert errors[0].message.startswith("You exceeded your current quota")
        assert got[-3:] == [errors[0], Finish(0, "failed"), Truncated(0, "failed", None)]
    # without the "error" event, response.failed's own error is the one reported
    failed_only = [e for e in record["events"] if e["type"] != "error"]
    got = list(stream_events(failed_only))
    assert _of(ProviderError, got) == [
        ProviderError(None, "insufficient_quota", errors[0].message)
    ]
    assert got[-2:] == [Finish(0, "failed"), Truncated(0, "failed", None)]


@pytest.mark.shared
def test_an_openai_compatible_servers_error_chunk_is_reported_and_nothing_is_lost() -> None:
    records = _by_id("openai_chat_text.jsonl")
    for sid, message in [
        ("pydantic-ai:test_tool_use_failed_error_streaming#0", "Tool call validation failed"),
        ("pydantic-ai:test_tool_use_failed_error_streaming_with_text#0", "Tool choice is"),
    ]:
        events = records[sid]["events"]
        got = list(stream_events(events))
        before = list(stream_events(events[:-1]))
        # everything delivered before the error stands, then the error, then the cut
        assert got[: len(before) - 1] == before[:-1]
        error = got[len(before) - 1]
        assert error.type == "invalid_request_error" and error.code == "tool_use_failed"
        assert error.message.startswith(message)
        assert got[len(before) :] == [Truncated(0, "error", None)]
        assert before[-1] == Truncated(0, None, None)
    # OpenRouter: an error field beside the choices, a number for its code
    got = list(stream_events(records["pydantic-ai:test_openrouter_stream_error"]["events"]))
    assert ProviderError(None, "400", "Token limit reached") in got


def _anthropic_cut_by(error: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "text_delta", "text": '{"answer": "fo'}},
        {"type": "error", "error": error},
    ]


def test_an_anthropic_error_event_is_reported_before_the_cut() -> None:
    """Before: Truncated(reason=None), the provider's reason lost."""
    error = {"type": "overloaded_error", "message": "Overloaded"}
    for wrap in (lambda d: d, anthropic_sdk):
        stream = [wrap(e) for e in _anthropic_cut_by(error)]
        got = list(stream_events(stream, model=Answer))
        assert got[-2] == ProviderError("overloaded_error", None, "Overloaded")
        cut = got[-1]
        assert isinstance(cut, Truncated) and cut.reason == "error"
        assert cut.partial.answer == "fo"  # what came before the error stands
        acc = ToolCallAssembler(format="anthropic")
        assert acc.feed(wrap(_anthropic_cut_by(error)[-1])) == [
            ProviderError("overloaded_error", None, "Overloaded")
        ]


def test_cli_sse_reports_the_providers_error_with_exit_4() -> None:
    from test_cli import run

    body = "".join(f"data: {json.dumps(e)}\n\n" for e in _anthropic_cut_by(
        {"type": "overloaded_error", "message": "Overloaded"}))
    done = run("sse", stdin=body.encode())
    assert done.returncode == 4
    assert b"the server sent an error (event 4): Overloaded (overloaded_error)" in done.stderr
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert lines[-1] == {
        "type": "ProviderError", "error_type": "overloaded_error", "code": None,
        "message": "Overloaded",
    }
    assert {"type": "ContentDelta", "choice": 0, "text": '{"answer": "fo'} in lines


# --- usage ---------------------------------------------------------------------------------------


@pytest.mark.shared
def test_recorded_chat_usage_is_one_event_per_response() -> None:
    """Before: no event for the include_usage chunk (choices: []) nor for usage on a chunk."""
    seen = 0
    for name in ("openai_chat_text.jsonl", "openai_chat_json_content.jsonl",
                 "openai_chat_tool_calls.jsonl"):
        for record in _records(name):
            events = record["events"]
            reported = [e for e in events if e.get("usage")]
            for wrap in (lambda d: d, chat_sdk):
                acc = ToolCallAssembler()
                got = [ev for e in events for ev in acc.feed(wrap(e)) if isinstance(ev, Usage)]
                assert len(got) == len(reported), record["id"]
                for ev, chunk in zip(got, reported, strict=True):
                    usage = chunk["usage"]
                    assert ev.input_tokens == usage["prompt_tokens"]
                    assert ev.output_tokens == usage["completion_tokens"]
                    assert ev.total_tokens == usage["total_tokens"]
                    assert ev.model == chunk["model"]
                    assert ev.raw == usage  # the fields the provider sent, as a plain dict
            seen += bool(reported)
    assert seen >= 90


@pytest.mark.shared
def test_recorded_responses_usage_comes_before_the_finish() -> None:
    seen = 0
    for record in _records("openai_responses.jsonl"):
        ends = [e for e in record["events"]
                if e.get("type") in ("response.completed", "response.incomplete")
                and (e["response"].get("usage"))]
        if not ends:
            continue
        seen += 1
        (end,) = ends
        for wrap in (lambda d: d, responses_sdk):
            got = list(stream_events([wrap(e) for e in record["events"]]))
            usages = _of(Usage, got)
            assert len(usages) == 1, record["id"]
            usage = end["response"]["usage"]
            assert usages[0].input_tokens == usage["input_tokens"]
            assert usages[0].output_tokens == usage["output_tokens"]
            total = usage.get("total_tokens", usage["input_tokens"] + usage["output_tokens"])
            assert usages[0].total_tokens == total
            assert usages[0].model == end["response"].get("model")
            assert got.index(usages[0]) < got.index(_of(Finish, got)[0])
    assert seen >= 40


@pytest.mark.shared
def test_recorded_anthropic_usage_joins_message_start_and_message_delta() -> None:
    seen = 0
    for record in _records("anthropic_messages.jsonl"):
        events = record["events"]
        starts = [e for e in events if e.get("type") == "message_start"]
        deltas = [e for e in events if e.get("type") == "message_delta" and e.get("usage")]
        if len(starts) != 1 or len(deltas) != 1:
            continue
        seen += 1
        start_usage = starts[0]["message"]["usage"]
        end_usage = deltas[0]["usage"]
        for wrap in (lambda d: d, anthropic_sdk):
            acc = ToolCallAssembler()
            got = [ev for e in events for ev in acc.feed(wrap(e)) if isinstance(ev, Usage)]
            assert len(got) == 1, record["id"]
            expected_in = end_usage.get("input_tokens") or start_usage["input_tokens"]
            assert got[0].input_tokens == expected_in, record["id"]
            assert got[0].output_tokens == end_usage["output_tokens"]
            assert got[0].total_tokens == expected_in + end_usage["output_tokens"]
            assert got[0].model == starts[0]["message"]["model"]
    assert seen >= 10


def test_table_emit_is_how_a_reader_reports_events_beside_the_calls() -> None:
    from midstream._tool_calls._table import CallTable

    table = CallTable(None, 100)
    out: list[Any] = []
    table.out = out
    usage = Usage(1, 2, 3, "m", {"a": 1})
    table.emit(usage)
    table.emit(ProviderError("t", "c", "m"))
    assert out == [usage, ProviderError("t", "c", "m")] and table.errors == 1



# --- an unknown tool is reported at its start ----------------------------------------------------


class GetWeather(BaseModel):
    city: str


def _chat_call(name_pieces: list[str], arg_pieces: list[str]) -> list[dict[str, Any]]:
    """One Chat call whose name and arguments stream in the pieces given, then its finish."""
    chunks: list[dict[str, Any]] = []
    for i, piece in enumerate(name_pieces):
        entry: dict[str, Any] = {"index": 0, "function": {"name": piece}}
        if i == 0:
            entry.update(id="call_1", type="function")
        chunks.append({"choices": [{"index": 0, "delta": {"tool_calls": [entry]}}]})
    chunks += [
        {"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": piece}}]}}]}
        for piece in arg_pieces
    ]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    return chunks


ARGS = '{"path": "/etc/passwd", "mode": "w"}'


@settings(max_examples=80, deadline=None)
@given(pieces=split_points(ARGS), split=st.integers(1, 6), sdk=st.booleans())
def test_an_unknown_tool_fails_in_the_feed_that_starts_it(
    pieces: list[str], split: int, sdk: bool
) -> None:
    """Before: the UnknownToolError came only once the arguments' JSON closed."""
    name = "rm_rf"
    name_pieces = [name[:split], name[split:]] if split < len(name) else [name]
    chunks = _chat_call(name_pieces, [p for p in pieces if p])
    acc = ToolCallAssembler(tools=[GetWeather])
    per_feed = [acc.feed(chat_sdk(c) if sdk else c) for c in chunks] + [acc.close()]
    starting = next(i for i, evs in enumerate(per_feed)
                    if any(isinstance(ev, midstream.ToolCallStart) for ev in evs))
    start_feed = per_feed[starting]
    assert [type(ev).__name__ for ev in start_feed] == ["ToolCallStart", "ToolCallError"]
    error = start_feed[1]
    assert isinstance(error.error, midstream.UnknownToolError) and error.error.name == name
    # nothing more about the call: no argument deltas, no second verdict
    later = [ev for evs in per_feed[starting + 1 :] for ev in evs]
    assert later == [Finish(0, "tool_calls")]
    (record,) = acc.tool_calls
    assert record.status == "error" and record.raw == ARGS


def test_an_unknown_tool_at_the_start_of_responses_and_anthropic_calls() -> None:
    responses = [
        {"type": "response.output_item.added", "output_index": 0,
         "item": {"id": "fc_1", "type": "function_call", "call_id": "c1", "name": "rm_rf",
                  "arguments": ""}},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1",
         "output_index": 0, "delta": "{}"},
    ]
    anthropic = [
        {"type": "message_start", "message": {"id": "m", "model": "claude-x"}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "tool_use", "id": "t1", "name": "rm_rf", "input": {}}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "input_json_delta", "partial_json": "{}"}},
        {"type": "content_block_stop", "index": 0},
    ]
    for events, at in ((responses, 0), (anthropic, 1)):
        acc = ToolCallAssembler(tools=[GetWeather])
        per_feed = [acc.feed(e) for e in events]
        assert [type(ev).__name__ for ev in per_feed[at]] == ["ToolCallStart", "ToolCallError"]
        assert all(not evs for evs in per_feed[at + 1 :])


# --- a model registered under a custom tool's name ---------------------------------------------


def _custom_call(text: str) -> list[dict[str, Any]]:
    return [
        {"type": "response.output_item.added", "output_index": 0,
         "item": {"id": "ctc_1", "type": "custom_tool_call", "call_id": "c1",
                  "name": "apply_patch", "input": ""}},
        {"type": "response.custom_tool_call_input.delta", "item_id": "ctc_1",
         "output_index": 0, "delta": text},
        {"type": "response.custom_tool_call_input.done", "item_id": "ctc_1",
         "output_index": 0, "input": text},
    ]


def test_a_model_under_a_custom_tools_name_is_given_the_text() -> None:
    """Before: the model was silently ignored and the text passed as valid."""
    from typing import Annotated

    from pydantic import RootModel, StringConstraints

    class apply_patch(RootModel[Annotated[str, StringConstraints(pattern=r"^\*\*\* Begin")]]):
        pass

    definition = {"type": "custom", "name": "apply_patch", "format": {"type": "text"}}
    for tools in ([apply_patch], [apply_patch, definition], [definition, apply_patch]):
        acc = ToolCallAssembler(tools=tools)
        done = [ev for e in _custom_call("*** Begin Patch") for ev in acc.feed(e)]
        assert done[-1] == midstream.ToolCallDone(
            0, 0, "c1", "apply_patch", apply_patch("*** Begin Patch"), "*** Begin Patch"
        )
        acc = ToolCallAssembler(tools=tools)
        bad = [ev for e in _custom_call("rm -rf /") for ev in acc.feed(e)]
        assert isinstance(bad[-1], midstream.ToolCallError)
        assert "pattern" in str(bad[-1].error)

    class fields(BaseModel):
        x: int

    acc = ToolCallAssembler(tools={"apply_patch": fields})
    out = [ev for e in _custom_call("text") for ev in acc.feed(e)]
    assert isinstance(out[-1], midstream.ToolCallError)
    assert "valid dictionary" in str(out[-1].error)


def test_the_chat_view_shows_a_refusal_and_a_providers_error() -> None:
    """``midstream chat`` on a terminal: before, both were silently dropped."""
    import io

    from midstream._demo import ChatView

    out = io.StringIO()
    view = ChatView(out, ansi=False, json=True)
    for ev in stream_events(_responses_refusal(["I can't ", "help."]), model=Answer):
        view.handle(ev)
    view.handle(ProviderError("overloaded_error", None, "Overloaded"))
    view.finish()
    assert "[refused] I can't help." in out.getvalue()
    assert "[provider error: Overloaded]" in out.getvalue()


def test_model_refused_pickles_and_says_what_it_is() -> None:
    import pickle

    exc = pickle.loads(pickle.dumps(ModelRefused("No.")))
    assert exc.refusal == "No." and str(exc) == "the model refused: No."
