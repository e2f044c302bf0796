"""Gemini generateContent streams: whole calls, calls streamed by path, text, thoughts, usage."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

import midstream
from _wire import feed_each, flat, of
from helpers import merge_deltas, shared_path, split_at
from midstream import (
    ContentDelta,
    ErrorKind,
    Finish,
    IncompleteJsonError,
    JsonSyntaxError,
    ReasoningDelta,
    ToolArgumentsDelta,
    ToolCallDone,
    ToolCallError,
    ToolCallStart,
    Usage,
    ValueDone,
)
from midstream._tool_calls._gemini import parse_json_path

# --- building chunks -----------------------------------------------------------------


def chunk(*parts: dict[str, Any], finish: str | None = None, usage: dict[str, Any] | None = None,
          index: int | None = 0) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
    if finish:
        candidate["finishReason"] = finish
    if index is not None:
        candidate["index"] = index
    event: dict[str, Any] = {"candidates": [candidate], "modelVersion": "gemini-test"}
    if usage is not None:
        event["usageMetadata"] = usage
    return event


def call_part(name: str | None = None, args: Any = None, *, more: bool = False,
              pieces: list[dict[str, Any]] | None = None, sig: str | None = None,
              id: str | None = None) -> dict[str, Any]:
    fc: dict[str, Any] = {}
    if name is not None:
        fc["name"] = name
    if args is not None:
        fc["args"] = args
    if id is not None:
        fc["id"] = id
    if pieces:
        fc["partialArgs"] = pieces
    if more:
        fc["willContinue"] = True
    part: dict[str, Any] = {"functionCall": fc}
    if sig is not None:
        part["thoughtSignature"] = sig
    return part


def piece(path: str, *, s: str | None = None, n: Any = None, b: bool | None = None,
          null: bool = False, more: bool = False) -> dict[str, Any]:
    p: dict[str, Any] = {"jsonPath": path}
    if s is not None:
        p["stringValue"] = s
    elif n is not None:
        p["numberValue"] = n
    elif b is not None:
        p["boolValue"] = b
    elif null:
        p["nullValue"] = "NULL_VALUE"
    if more:
        p["willContinue"] = True
    return p


USAGE = {"promptTokenCount": 10, "candidatesTokenCount": 5, "thoughtsTokenCount": 2,
         "totalTokenCount": 17}


def genai_types() -> Any:
    return pytest.importorskip("google.genai.types")


def sdk(event: dict[str, Any]) -> Any:
    """The google-genai SDK's own object for a wire chunk, built by its own parser."""
    types = genai_types()
    from google.genai import models

    wire = json.loads(json.dumps(event))
    converted = models._GenerateContentResponse_from_mldev(wire, None, None)
    return types.GenerateContentResponse._from_response(response=converted, kwargs={})


def sse(event: dict[str, Any]) -> str:
    return json.dumps(event)


FORMS: dict[str, Callable[[dict[str, Any]], Any]] = {"dict": lambda e: e, "sse": sse, "sdk": sdk}


@pytest.fixture(params=sorted(FORMS))
def form(request: pytest.FixtureRequest) -> Callable[[dict[str, Any]], Any]:
    if request.param == "sdk":
        genai_types()
    return FORMS[request.param]




def signature(value: Any) -> str:
    """A thought signature as the wire's base64 text (the SDK gives bytes)."""
    return base64.b64encode(value).decode() if isinstance(value, bytes) else value


# --- whole calls -------------------------------------------------------------------------


def test_whole_calls_are_done_in_the_chunk_that_carries_them(form: Callable[..., Any]) -> None:
    stream = [
        chunk({"text": "thinking about it", "thought": True}),
        chunk({"text": "Let me "}, {"text": "check."}),
        chunk(call_part("get_weather", {"city": "Paris"}, sig="c2ln"),
              call_part("get_time", {"tz": "CET", "n": [1, 2.5]}, id="t1")),
        chunk(call_part("no_args")),
        chunk({"text": ""}, finish="STOP", usage=USAGE),
    ]
    per, acc = feed_each([form(e) for e in stream])
    assert [type(e) for e in per[0]] == [ReasoningDelta]
    assert merge_deltas(per[1]) == [ContentDelta(0, "Let me check.")]
    dones = of(ToolCallDone, per[2])
    assert [(d.index, d.id, d.name, d.arguments) for d in dones] == [
        (0, None, "get_weather", {"city": "Paris"}),
        (1, "t1", "get_time", {"tz": "CET", "n": [1, 2.5]}),
    ]
    assert signature(dones[0].provider_data["thought_signature"]) == "c2ln"
    assert dones[1].provider_data is None
    assert [(d.name, d.arguments, d.raw) for d in of(ToolCallDone, per[3])] == [
        ("no_args", {}, "")]
    assert per[4] == [Finish(0, "STOP"), Usage(10, 7, 17, "gemini-test", per[4][1].raw)]
    assert per[4][1].raw == USAGE  # the SDK's object too, as the wire's dict
    assert per[5] == []
    assert [(c.name, c.status) for c in acc.tool_calls] == [
        ("get_weather", "done"), ("get_time", "done"), ("no_args", "done")]
    assert signature(acc.tool_calls[0].provider_data["thought_signature"]) == "c2ln"


def test_thought_parts_are_reasoning_never_content() -> None:
    per, _ = feed_each([chunk({"text": "a", "thought": True}, {"text": "b"}, finish="STOP")])
    events = flat(per)
    assert of(ReasoningDelta, events) == [ReasoningDelta(0, "a")]
    assert of(ContentDelta, events) == [ContentDelta(0, "b")]


def test_max_tokens_is_a_truncation_and_cuts_the_streamed_call() -> None:
    stream = [chunk(call_part("f", more=True)),
              chunk(call_part(pieces=[piece("$.a", s="x", more=True)], more=True)),
              chunk(finish="MAX_TOKENS")]
    per, _ = feed_each(stream)
    errors = of(ToolCallError, flat(per))
    assert not of(ToolCallDone, flat(per)) and len(errors) == 1
    assert isinstance(errors[0].error, IncompleteJsonError)
    assert "truncated" in str(errors[0].error)
    assert of(Finish, flat(per)) == [Finish(0, "MAX_TOKENS")]


def test_stop_on_code_for_the_server_to_run_is_not_the_end() -> None:
    # Recorded (pydantic-ai test_google_model_builtin_code_execution_stream): STOP on the
    # executableCode part, then the result and the answer, then STOP again.
    stream = [
        chunk({"executableCode": {"language": "PYTHON", "code": "print(1)"}}, finish="STOP"),
        chunk({"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}}),
        chunk({"text": "It is 1."}, finish="STOP", usage=USAGE),
    ]
    per, _ = feed_each(stream)
    assert [type(e) for e in flat(per)] == [ContentDelta, Finish, Usage]


def test_blocked_prompt_finishes_choice_zero() -> None:
    per, _ = feed_each([{"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": USAGE}])
    assert [type(e) for e in per[0]] == [Finish, Usage] and per[0][0].reason == "SAFETY"


def test_astream_events_takes_an_async_stream_of_the_sdks_objects() -> None:
    genai_types()

    async def stream() -> Any:
        for event in [chunk(call_part("f", {"a": 1})), chunk(finish="STOP", usage=USAGE)]:
            yield sdk(event)

    async def collect() -> list[Any]:
        return [e async for e in midstream.astream_events(stream())]

    events = asyncio.run(collect())
    assert [type(e) for e in events] == [ToolCallStart, ToolArgumentsDelta, ToolCallDone,
                                         Finish, Usage]


def test_stream_events_takes_the_sdks_objects_as_they_come() -> None:
    genai_types()

    class Weather(BaseModel):
        city: str
        days: int

    stream = [
        chunk(call_part("Weather", more=True, sig="c2ln")),
        chunk(call_part(pieces=[piece("$.city", s="Par", more=True)], more=True)),
        chunk(call_part(pieces=[piece("$.city", s="is"), piece("$.days", n=3)])),
        chunk({"text": "{\"ok\": "}),
        chunk({"text": "true}"}, finish="STOP", usage=USAGE),
    ]
    events = list(midstream.stream_events(iter([sdk(e) for e in stream]), tools=[Weather]))
    done = of(ToolCallDone, events)[0]
    # The SDK gives numberValue 3 as 3.0: the int field validates as the int.
    assert done.arguments == Weather(city="Paris", days=3)
    assert done.raw == '{"city":"Paris","days":3}'
    assert signature(done.provider_data["thought_signature"]) == "c2ln"
    assert of(ValueDone, events)[-1] == ValueDone((), {"ok": True})
    assert not of(midstream.Truncated, events)


# --- calls streamed by path (Vertex streamFunctionCallArguments) ----------------------------


def test_partial_args_build_the_object_by_path(form: Callable[..., Any]) -> None:
    stream = [
        chunk(call_part("writeItems", more=True, sig="c2ln")),
        chunk(call_part(pieces=[piece("$.ops[0].action", s="a", more=True)], more=True)),
        chunk(call_part(pieces=[piece("$.ops[0].action", s="dd", more=True),
                                piece("$.ops[0].action", s="")], more=True)),
        chunk(call_part(pieces=[piece("$.ops[0].price", n=0.5),
                                piece("$.ops[1]['the name']", s='q"\n', more=True)], more=True)),
        chunk(call_part(pieces=[piece("$.ops[1]['the name']", s="")], more=True)),
        chunk(call_part(pieces=[piece("$.ok", b=True), piece("$.none", null=True),
                                piece("$.n", n=2)])),
        chunk({"text": ""}, finish="STOP"),
    ]
    per, acc = feed_each([form(e) for e in stream])
    value = {"ops": [{"action": "add", "price": 0.5}, {"the name": 'q"\n'}],
             "ok": True, "none": None, "n": 2}
    assert [type(e) for e in per[0]] == [ToolCallStart, ToolArgumentsDelta]
    dones = [k for k, evs in enumerate(per) for e in evs if isinstance(e, ToolCallDone)]
    assert dones == [5]  # done in the part that ends the call (no empty functionCall)
    done = of(ToolCallDone, flat(per))[0]
    assert done.arguments == value and json.loads(done.raw) == value
    assert signature(done.provider_data["thought_signature"]) == "c2ln"
    deltas = merge_deltas(of(ToolArgumentsDelta, flat(per)))
    assert len(deltas) == 1 and deltas[0].text == done.raw
    assert deltas[0].events[-1] == ValueDone((), value)
    assert ValueDone(("ops", 1, "the name"), 'q"\n') in deltas[0].events
    assert acc.tool_calls[0].status == "done"


def test_a_streamed_call_ended_by_an_empty_function_call() -> None:
    stream = [chunk(call_part("read", more=True)),
              chunk(call_part(pieces=[piece("$.id", s="A", more=True)], more=True)),
              chunk(call_part(pieces=[piece("$.id", s="")], more=True)),
              chunk(call_part()),
              chunk(call_part("empty", more=True)), chunk(call_part()),
              chunk(finish="STOP")]
    per, _ = feed_each(stream)
    assert [(k, e.name, e.arguments) for k, evs in enumerate(per) for e in evs
            if isinstance(e, ToolCallDone)] == [(3, "read", {"id": "A"}), (5, "empty", {})]


@pytest.mark.parametrize(("pieces", "words"), [
    ([piece("$.a", s="x"), piece("$.a", s="y")], "already has a value"),
    ([piece("$.a[0]", n=1), piece("$.a[2]", n=1)], "skips index 1"),
    ([piece("$.a[0]", n=1), piece("$.b", n=1), piece("$.a[1]", n=1)], "already has a value"),
    ([piece("$.a[0]", n=1), piece("$.a[0]", n=2)], "already written"),
    ([piece("$.a.b", n=1), piece("$.a[1]", n=1)], "where an object is"),
    ([piece("$.a[0]", n=1), piece("$.a.b", n=1)], "where an array is"),
    ([piece("$", n=1)], "names no member"),
    ([piece("a.b", n=1)], "does not start with"),
    ([piece("$.a")], "carries no value"),
    ([piece("$.a", n=float("nan"))], "not a JSON number"),
])
def test_a_path_that_does_not_fit_is_an_error_and_the_other_calls_go_on(
    pieces: list[dict[str, Any]], words: str
) -> None:
    stream = [chunk(call_part("bad", more=True)),
              *[chunk(call_part(pieces=[p], more=True)) for p in pieces],
              chunk(call_part(pieces=[piece("$.z", n=0)], more=True)),  # dropped: call failed
              chunk(call_part()),
              chunk(call_part("good", {"x": 1})), chunk(finish="STOP")]
    per, acc = feed_each(stream)
    events = flat(per)
    error = of(ToolCallError, events)
    assert len(error) == 1 and error[0].name == "bad"
    assert isinstance(error[0].error, JsonSyntaxError) and words in str(error[0].error)
    assert error[0].error.kind is ErrorKind.UNEXPECTED_CHARACTER
    assert error[0].error.offset == len(error[0].raw)
    assert [(d.name, d.arguments) for d in of(ToolCallDone, events)] == [("good", {"x": 1})]
    assert [c.name for c in acc.tool_calls] == ["bad", "good"]


def test_a_new_call_before_the_streamed_one_ended_cuts_it() -> None:
    per, _ = feed_each([chunk(call_part("a", more=True)),
                        chunk(call_part(pieces=[piece("$.x", s="1", more=True)], more=True)),
                        chunk(call_part("b", {"y": 2})), chunk(finish="STOP")])
    events = flat(per)
    assert [(e.name, type(e.error)) for e in of(ToolCallError, events)] == [
        ("a", IncompleteJsonError)]
    assert [e.name for e in of(ToolCallDone, events)] == ["b"]


def test_json_paths() -> None:
    assert parse_json_path("$.a[0]['b c'][\"d\"].é") == ["a", 0, "b c", "d", "é"]
    assert parse_json_path("$['it\\'s']") == ["it's"]
    for bad in ["$", "$.", "$[01]", "$.a[", "$['x]", "x", "$.1a"]:
        with pytest.raises(ValueError, match="partialArgs path"):
            parse_json_path(bad)


# --- property tests from a small grammar -------------------------------------------------------

keys = st.text(alphabet="ab _'\"\\é1\n", min_size=1, max_size=4)
scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
           | st.floats(allow_nan=False, allow_infinity=False, width=32).filter(
               lambda f: not f.is_integer())
           | st.text(max_size=12))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, min_size=1, max_size=3)
    | st.dictionaries(keys, inner, min_size=1, max_size=3),
    max_leaves=8,
)
objects = st.dictionaries(keys, values, max_size=4)

_NAME = re.compile(r"[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*")


def path_text(path: list[str | int]) -> str:
    out = ["$"]
    for seg in path:
        if isinstance(seg, int):
            out.append(f"[{seg}]")
        elif _NAME.fullmatch(seg):
            out.append("." + seg)
        else:
            out.append("['" + json.dumps(seg, ensure_ascii=False)[1:-1].replace("'", "\\'") + "']")
    return "".join(out)


def leaves(value: Any, path: list[str | int]) -> list[tuple[list[str | int], Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in leaves(v, [*path, k])]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in leaves(v, [*path, i])]
    return [(path, value)]


@st.composite
def streamed_call(draw: st.DrawFn, value: dict[str, Any], name: str,
                  sdk_numbers: bool) -> list[list[dict[str, Any]]]:
    """The functionCall parts of one call streamed by path: name part, pieces, end."""
    entries: list[dict[str, Any]] = []
    for path, leaf in leaves(value, []):
        p = path_text(path)
        if isinstance(leaf, str):
            cuts = draw(st.lists(st.integers(0, len(leaf)), max_size=3))
            texts = split_at(leaf, cuts)
            closer = draw(st.booleans())  # a last piece "" (recorded) or not
            if closer:
                texts.append("")
            for k, t in enumerate(texts):
                entries.append(piece(p, s=t, more=k < len(texts) - 1))
        elif leaf is None:
            entries.append(piece(p, null=True))
        elif isinstance(leaf, bool):
            entries.append(piece(p, b=leaf))
        else:
            entries.append(piece(p, n=float(leaf) if sdk_numbers else leaf))
    groups = split_at(entries, draw(st.lists(st.integers(0, len(entries)), max_size=4)))
    groups = [g for g in groups if g]
    empty_end = not groups or draw(st.booleans())
    parts = [[call_part(name, more=True, sig=draw(st.sampled_from([None, "c2ln"])))]]
    for k, g in enumerate(groups):
        parts.append([call_part(pieces=g, more=empty_end or k < len(groups) - 1)])
    if empty_end:
        parts.append([call_part()])
    return parts


@st.composite
def gemini_streams(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[tuple[str, Any]], str]:
    """A response: text, thoughts, whole and streamed calls (one after another), then STOP."""
    calls: list[tuple[str, Any]] = []
    text: list[str] = []
    parts_in_order: list[list[dict[str, Any]]] = []
    sdk_numbers = draw(st.booleans())
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["whole", "streamed", "text", "thought"]))
        name = draw(st.sampled_from(["f", "g", "read_screen"]))
        if kind == "whole":
            value = draw(objects)
            calls.append((name, value))
            parts_in_order.append([call_part(name, value)])
        elif kind == "streamed":
            value = draw(objects)
            calls.append((name, value))
            parts_in_order += draw(streamed_call(value, name, sdk_numbers))
        else:
            t = draw(st.text(min_size=1, max_size=8))
            if kind == "text":
                text.append(t)
            parts_in_order.append([{"text": t, "thought": kind == "thought"}])
    # Parts of one chunk: whole calls and text may share a chunk; a streamed call's parts
    # come one per chunk, as recorded.
    stream = [chunk(*p) for p in parts_in_order]
    stream.append(chunk({"text": ""}, finish="STOP", usage=USAGE))
    return stream, calls, "".join(text)


def check_calls(events: list[Any], calls: list[tuple[str, Any]]) -> None:
    dones = of(ToolCallDone, events)
    assert not of(ToolCallError, events)
    assert [(d.index, d.name) for d in dones] == [(i, n) for i, (n, _) in enumerate(calls)]
    for done, (_, value) in zip(dones, calls, strict=True):
        assert done.arguments == value
        assert (done.raw == "" and value == {}) or json.loads(done.raw) == value
    by_call: dict[int, list[Any]] = {}
    for d in of(ToolArgumentsDelta, events):
        by_call.setdefault(d.index, []).append(d)
    for index, deltas in by_call.items():
        merged = merge_deltas(deltas)[0]
        assert merged.text == dones[index].raw
        assert merged.events[-1] == ValueDone((), calls[index][1])


@given(gemini_streams())
def test_random_gemini_streams_as_dicts(stream: tuple[Any, Any, str]) -> None:
    chunks, calls, text = stream
    per, acc = feed_each(chunks)
    events = flat(per)
    check_calls(events, calls)
    assert "".join(e.text for e in of(ContentDelta, events)) == text
    assert of(Finish, events) == [Finish(0, "STOP")] and len(of(Usage, events)) == 1
    assert [c.status for c in acc.tool_calls] == ["done"] * len(calls)
    # The same stream as SSE text gives the same events.
    assert feed_each([json.dumps(c) for c in chunks])[0] == per


@given(gemini_streams())
def test_random_gemini_streams_as_sdk_objects(stream: tuple[Any, Any, str]) -> None:
    genai_types()
    chunks, calls, text = stream
    per, _ = feed_each([sdk(c) for c in chunks])
    events = flat(per)
    check_calls(events, calls)
    assert "".join(e.text for e in of(ContentDelta, events)) == text


@given(gemini_streams(), st.data())
def test_a_stream_cut_anywhere_never_completes_an_unfinished_call(
    stream: tuple[Any, Any, str], data: st.DataObject
) -> None:
    chunks = stream[0]
    cut = data.draw(st.integers(0, len(chunks) - 1))
    per, acc = feed_each(chunks[:cut])
    events = flat(per)
    # Every call either completed in the chunks kept, or ends in an error at close().
    for record in acc.tool_calls:
        mine = [e for e in events if isinstance(e, (ToolCallDone, ToolCallError))
                and e.index == record.index]
        assert len(mine) == 1
        if isinstance(mine[0], ToolCallError):
            assert isinstance(mine[0].error, IncompleteJsonError)
    full = flat(feed_each(chunks)[0])
    done_before = {e.index for e in of(ToolCallDone, events)}
    assert done_before <= {e.index for e in of(ToolCallDone, full)}


# --- the recorded real streams -------------------------------------------------------------------

_CALL_NOTE = re.compile(r"call\[(\d+)\] (\S+): ([^|]*)")


def noted_calls(notes: str) -> list[tuple[str, Any]]:
    """The calls a stream's notes record: (name, arguments)."""
    out = []
    for _, name, what in _CALL_NOTE.findall(notes.split(". features:")[0]):
        what = what.strip().rstrip(".")
        if "WITHOUT args" in what:
            out.append((name, {}))
        else:
            text = what[what.index(": {") + 2:]
            out.append((name, json.JSONDecoder().raw_decode(text)[0]))
    return out


def recorded() -> list[dict[str, Any]]:
    path = shared_path("corpus", "real", "google_generate_content.jsonl")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def text_parts(events: list[dict[str, Any]], thought: bool) -> str:
    return "".join(
        p.get("text", "") for e in events for c in e.get("candidates", ())
        for p in c.get("content", {}).get("parts", ()) if bool(p.get("thought")) == thought
    )


def test_real_gemini_streams_replay_to_their_notes(form: Callable[..., Any]) -> None:
    streams = recorded()
    assert len(streams) >= 26
    for record in streams:
        events = record["events"]
        per, acc = feed_each([form(e) for e in events])
        got = flat(per)
        assert [(c.name, c.arguments, c.status) for c in acc.tool_calls] == [
            (n, a, "done") for n, a in noted_calls(record["notes"])], record["id"]
        text = "".join(e.text for e in of(ContentDelta, got))
        assert text == text_parts(events, False), record["id"]
        noted = re.search(r"cand0\.text: ([^|]*)", record["notes"])
        size = re.search(r"(\d+)B", noted.group(1)) if noted else None
        assert len(text.encode()) == (int(size.group(1)) if size else 0), record["id"]
        thoughts = "".join(e.text for e in of(ReasoningDelta, got))
        assert thoughts == text_parts(events, True), record["id"]
        assert of(Finish, got) == [Finish(0, "STOP")], record["id"]
        assert len(of(Usage, got)) == 1, record["id"]
        signed = [p["thoughtSignature"] for e in events for c in e["candidates"]
                  for p in c["content"]["parts"] if "functionCall" in p and "thoughtSignature" in p]
        kept = [signature(c.provider_data["thought_signature"]) for c in acc.tool_calls
                if c.provider_data]
        assert kept == signed, record["id"]
        # a whole call is done in the chunk that carries it
        for k, evs in enumerate(per[:-1]):
            if of(ToolCallDone, evs):
                parts = [p for c in events[k]["candidates"] for p in c["content"]["parts"]]
                assert any("functionCall" in p for p in parts), record["id"]


def test_real_gemini_streams_give_the_same_events_as_dicts_and_as_sdk_objects() -> None:
    genai_types()

    def same(event: Any) -> Any:
        if isinstance(event, ToolCallDone) and event.provider_data:
            sig = signature(event.provider_data["thought_signature"])
            return (event.index, event.name, event.arguments, event.raw, sig)
        if isinstance(event, Usage):  # raw: the SDK drops the fields it does not know
            return (event.input_tokens, event.output_tokens, event.total_tokens, event.model)
        return event

    for record in recorded():
        as_dicts = flat(feed_each(record["events"])[0])
        as_sdk = flat(feed_each([sdk(e) for e in record["events"]])[0])
        assert [same(e) for e in as_sdk] == [same(e) for e in as_dicts], record["id"]
        [sdk_usage], [dict_usage] = of(Usage, as_sdk), of(Usage, as_dicts)
        assert sdk_usage.raw.items() <= dict_usage.raw.items(), record["id"]
