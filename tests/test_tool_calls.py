"""ToolCallAssembler: tool calls rebuilt from Chat Completions, Responses and Anthropic streams."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

import midstream
from helpers import chunkings, merge_deltas, shared_path, split_at, split_points
from midstream import (
    ContentDelta,
    ErrorKind,
    Finish,
    IncompleteJsonError,
    JsonSyntaxError,
    LimitExceededError,
    ToolArgumentsDelta,
    ToolCallDone,
    ToolCallError,
    ToolCallStart,
    ValueDone,
)
from midstream._tool_calls import ToolCall, ToolCallAssembler, UnknownToolError

openai = pytest.importorskip("openai")
from openai._models import construct_type  # noqa: E402  (what the SDK does with wire data)
from openai.lib.streaming.chat import ChatCompletionStreamState  # noqa: E402
from openai.types.chat import ChatCompletionChunk  # noqa: E402

# --- building chunks -------------------------------------------------------------


def entry(
    index: int | None = None,
    id: str | None = None,
    name: str | None = None,
    args: str | None = None,
    type: str | None = None,
) -> dict[str, Any]:
    """One ``delta.tool_calls`` entry; keys left out when None, as providers do."""
    e: dict[str, Any] = {}
    if index is not None:
        e["index"] = index
    if id is not None:
        e["id"] = id
    if type is not None:
        e["type"] = type
    function = {}
    if name is not None:
        function["name"] = name
    if args is not None:
        function["arguments"] = args
    if function:
        e["function"] = function
    return e


def chunk(*entries: dict[str, Any], choice: int = 0, content: str | None = None,
          finish: str | None = None) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    if entries:
        delta["tool_calls"] = list(entries)
    return {
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "m",
        "choices": [{"index": choice, "delta": delta, "finish_reason": finish}],
    }


def sdk(d: dict[str, Any]) -> Any:
    """A ChatCompletionChunk as the openai client builds it from the wire (no validation)."""
    return construct_type(type_=ChatCompletionChunk, value=d)


WRAPS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "dict": lambda d: d,
    "sdk": sdk,
    "sse": json.dumps,
}


@pytest.fixture(params=sorted(WRAPS))
def wrap(request: pytest.FixtureRequest) -> Callable[[dict[str, Any]], Any]:
    return WRAPS[request.param]


def feed_each(acc: ToolCallAssembler, events: Iterable[Any]) -> list[list[Any]]:
    """The events of each feed(), then those of close() as the last list."""
    out = [acc.feed(e) for e in events]
    out.append(acc.close())
    return out


def flat(per_feed: list[list[Any]]) -> list[Any]:
    return [ev for evs in per_feed for ev in evs]


def of(kind: type, events: Iterable[Any]) -> list[Any]:
    return [ev for ev in events if isinstance(ev, kind)]


def where(kind: type, per_feed: list[list[Any]]) -> list[int]:
    """Which feed() (or close(), the last) returned each event of ``kind``."""
    return [i for i, evs in enumerate(per_feed) for ev in evs if isinstance(ev, kind)]


def run_chat(chunks: list[dict[str, Any]], wrap: Callable[[dict[str, Any]], Any] = lambda d: d,
             **kw: Any) -> tuple[list[list[Any]], ToolCallAssembler]:
    acc = ToolCallAssembler(**kw)
    return feed_each(acc, [wrap(c) for c in chunks]), acc


# --- basic behaviour -----------------------------------------------------------------


WEATHER = [
    chunk(entry(0, "call_1", "get_weather", "", "function")),
    chunk(entry(0, args='{"ci')),
    chunk(entry(0, args='ty": "Par')),
    chunk(entry(0, args='is"}')),
    chunk(finish="tool_calls"),
]


def test_one_call_start_deltas_done_finish(wrap: Callable[[dict[str, Any]], Any]) -> None:
    per_feed, acc = run_chat(WEATHER, wrap)
    events = flat(per_feed)
    assert events[0] == ToolCallStart(0, 0, "call_1", "get_weather")
    deltas = of(ToolArgumentsDelta, events)
    assert "".join(d.text for d in deltas) == '{"city": "Paris"}'
    assert deltas[-1].events[-1] == ValueDone((), {"city": "Paris"})
    assert of(ToolCallDone, events) == [
        ToolCallDone(0, 0, "call_1", "get_weather", {"city": "Paris"}, '{"city": "Paris"}')
    ]
    assert where(ToolCallDone, per_feed) == [3]  # the chunk with the closing brace
    assert of(Finish, events) == [Finish(0, "tool_calls")]
    assert isinstance(events[-1], Finish)
    assert acc.tool_calls == [
        ToolCall(0, 0, "call_1", "get_weather", "function", '{"city": "Paris"}',
                 {"city": "Paris"}, "done")
    ]


def test_arguments_delta_carries_the_cores_events_for_its_fragment() -> None:
    per_feed, _ = run_chat(WEATHER)
    city = [d.events for d in of(ToolArgumentsDelta, flat(per_feed))]
    texts = [ev.text for evs in city for ev in evs if isinstance(ev, midstream.StringDelta)]
    assert texts == ["Par", "is"]  # the city streams before the call is done


def test_events_do_not_depend_on_how_arguments_are_cut() -> None:
    text = '{"q": "caf\\u00e9 \\"x\\"", "n": [1, 2.5e3, true, null], "o": {}}'
    expected = None
    for points in ([], [1], [5, 6, 7], list(range(len(text))), [10, 30, 31, 50]):
        parts = split_at(text, points)
        chunks = [chunk(entry(0, "c", "f", ""))] + [chunk(entry(0, args=p)) for p in parts]
        per_feed, _ = run_chat([*chunks, chunk(finish="stop")])
        got = merge_deltas(flat(per_feed))
        expected = expected or got
        assert got == expected
    assert of(ToolCallDone, expected or [])[0].arguments == json.loads(text)


def test_number_root_is_not_done_on_a_prefix() -> None:
    # `12` parses, but may still become `123`: done only at the finish.
    per_feed, _ = run_chat([
        chunk(entry(0, "c", "f", "12")),
        chunk(entry(0, args="3")),
        chunk(finish="tool_calls"),
    ])
    assert where(ToolCallDone, per_feed) == [2]
    assert of(ToolCallDone, flat(per_feed))[0].arguments == 123


def test_number_root_completes_at_close_without_finish() -> None:
    per_feed, _ = run_chat([chunk(entry(0, "c", "f", "12")), chunk(entry(0, args="3"))])
    assert where(ToolCallDone, per_feed) == [2]  # close()
    assert of(ToolCallDone, flat(per_feed))[0].arguments == 123
    # and the core's ValueDone for it is not lost
    assert merge_deltas(of(ToolArgumentsDelta, flat(per_feed)))[0].events[-1] == ValueDone((), 123)


def test_parallel_calls_interleaved_by_index(wrap: Callable[[dict[str, Any]], Any]) -> None:
    per_feed, acc = run_chat([
        chunk(entry(0, "a", "f", ""), entry(1, "b", "g", '{"y"')),
        chunk(entry(1, args=": 2")),
        chunk(entry(0, args='{"x": 1')),
        chunk(entry(1, args="}"), entry(0, args=" ")),
        chunk(entry(0, args="}")),
        chunk(finish="tool_calls"),
    ], wrap)
    done = of(ToolCallDone, flat(per_feed))
    assert [(d.index, d.id, d.name, d.arguments) for d in done] == [
        (1, "b", "g", {"y": 2}), (0, "a", "f", {"x": 1})
    ]
    assert where(ToolCallDone, per_feed) == [3, 4]
    assert [c.index for c in acc.tool_calls] == [0, 1]


def test_several_choices() -> None:
    per_feed, acc = run_chat([
        chunk(entry(0, "a", "f", '{"c": 0'), choice=0),
        chunk(entry(0, "b", "f", '{"c": 1}'), choice=1),
        chunk(content="hi", choice=2),
        chunk(entry(0, args="}"), choice=0, finish="tool_calls"),
        chunk(choice=1, finish="tool_calls"),
        chunk(choice=2, finish="stop"),
    ])
    events = flat(per_feed)
    assert [(d.choice, d.arguments) for d in of(ToolCallDone, events)] == [
        (1, {"c": 1}), (0, {"c": 0})
    ]
    assert of(ContentDelta, events) == [ContentDelta(2, "hi")]
    assert of(Finish, events) == [
        Finish(0, "tool_calls"), Finish(1, "tool_calls"), Finish(2, "stop")
    ]
    assert [(c.choice, c.index) for c in acc.tool_calls] == [(0, 0), (1, 0)]


def test_whole_call_in_one_chunk_with_finish(wrap: Callable[[dict[str, Any]], Any]) -> None:
    # Mistral and Groq send the call whole, sometimes with the finish_reason.
    per_feed, _ = run_chat(
        [chunk(entry(0, "c", "weather", '{"location": "SF"}'), finish="tool_calls")], wrap
    )
    assert [type(e).__name__ for e in per_feed[0]] == [
        "ToolCallStart", "ToolArgumentsDelta", "ToolCallDone", "Finish"
    ]


@pytest.mark.parametrize(
    "chunks",
    [
        [chunk(entry(0, "c", "ping", "")), chunk(finish="tool_calls")],
        [chunk(entry(0, "c", "ping")), chunk(finish="tool_calls")],
        [chunk(entry(0, "c", "ping", "  ")), chunk(finish="tool_calls")],
    ],
    ids=["empty-string", "no-arguments-key", "whitespace"],
)
def test_empty_arguments_mean_empty_object(chunks: list[dict[str, Any]]) -> None:
    per_feed, _ = run_chat(chunks)
    assert len(of(ToolCallStart, flat(per_feed))) == 1
    assert where(ToolCallDone, per_feed) == [1]  # at the finish
    assert of(ToolCallDone, flat(per_feed))[0].arguments == {}


def test_content_before_tool_call() -> None:
    per_feed, _ = run_chat([
        chunk(content="Reading"), chunk(content=" it."),
        chunk(entry(0, "c", "read", '{"p": 1}')), chunk(finish="tool_calls"),
    ])
    events = flat(per_feed)
    assert merge_deltas(of(ContentDelta, events)) == [ContentDelta(0, "Reading it.")]
    assert events.index(of(ContentDelta, events)[-1]) < events.index(of(ToolCallStart, events)[0])


# --- provider quirks ------------------------------------------------------------------


def test_quirk_id_and_name_repeated_on_every_chunk(wrap: Callable[[dict[str, Any]], Any]) -> None:
    # OpenRouter/Kimi (recorded in llm:test_tools_streaming_variant_a) and others repeat the
    # id and the name on every chunk. They name one call; they are not fragments to join.
    chunks = [
        chunk(entry(0, "call_9", "weather", "", "function")),
        chunk(entry(0, "call_9", "weather", '{"city":', "function")),
        chunk(entry(0, "call_9", "weather", ' "Oslo"}', "function")),
        chunk(finish="tool_calls"),
    ]
    per_feed, acc = run_chat(chunks, wrap)
    assert of(ToolCallStart, flat(per_feed)) == [ToolCallStart(0, 0, "call_9", "weather")]
    assert [(c.id, c.name, c.arguments) for c in acc.tool_calls] == [
        ("call_9", "weather", {"city": "Oslo"})
    ]
    # The openai SDK's accumulator concatenates them: this is what we must not do.
    state: Any = ChatCompletionStreamState()
    for c in chunks:
        state.handle_chunk(sdk(c))
    call = state.get_final_completion().choices[0].message.tool_calls[0]
    assert (call.id, call.function.name) == ("call_9call_9call_9", "weatherweatherweather")


def test_quirk_name_split_over_chunks() -> None:
    per_feed, _ = run_chat([
        chunk(entry(0, "c", "get_", "")),
        chunk(entry(0, name="weather")),
        chunk(entry(0, args="{}")),
        chunk(finish="tool_calls"),
    ])
    # Start waits for the first arguments text, so it carries the whole name.
    assert of(ToolCallStart, flat(per_feed)) == [ToolCallStart(0, 0, "c", "get_weather")]
    assert where(ToolCallStart, per_feed) == [2]
    assert of(ToolCallDone, flat(per_feed))[0].name == "get_weather"


def test_quirk_missing_index_order_of_first_appearance() -> None:
    # Mistral sends no `index`; calls are told apart by id, numbered as they appear.
    per_feed, acc = run_chat([
        chunk(entry(None, "m1", "weather", '{"city": "SF"}')),
        chunk(entry(None, "m2", "time", '{"tz": ')),
        chunk(entry(None, args='"UTC"}')),  # no id, no index: continues the latest call
        chunk(finish="tool_calls"),
    ], sdk)
    assert [(c.index, c.id, c.name, c.arguments) for c in acc.tool_calls] == [
        (0, "m1", "weather", {"city": "SF"}), (1, "m2", "time", {"tz": "UTC"})
    ]
    assert where(ToolCallDone, per_feed) == [0, 2]


def test_quirk_two_entries_with_the_same_index_in_one_chunk(
    wrap: Callable[[dict[str, Any]], Any],
) -> None:
    per_feed, acc = run_chat([
        chunk(entry(0, "c", "f", ""), entry(0, args='{"a"'), entry(0, args=": 1}")),
        chunk(finish="tool_calls"),
    ], wrap)
    assert [(c.index, c.arguments) for c in acc.tool_calls] == [(0, {"a": 1})]
    assert where(ToolCallDone, per_feed) == [0]


def test_quirk_index_reused_for_a_new_call() -> None:
    # Ollama (ollama/ollama#15457), some vLLM/SGLang builds: every parallel call at index 0.
    # A different id means a different call.
    per_feed, acc = run_chat([
        chunk(entry(0, "call_a", "write", '{"path": "a.py"}'),
              entry(0, "call_b", "write", '{"path": ')),
        chunk(entry(0, args='"b.py"}')),
        chunk(finish="tool_calls"),
    ])
    assert [(c.index, c.id, c.arguments) for c in acc.tool_calls] == [
        (0, "call_a", {"path": "a.py"}), (1, "call_b", {"path": "b.py"})
    ]
    assert where(ToolCallDone, per_feed) == [0, 1]


def test_quirk_type_missing_after_the_first_chunk(wrap: Callable[[dict[str, Any]], Any]) -> None:
    _, acc = run_chat([
        chunk(entry(0, "c", "f", "", type="function")),
        chunk(entry(0, args='{"k": true}')),
        chunk(finish="tool_calls"),
    ], wrap)
    assert acc.tool_calls[0].arguments == {"k": True}


def test_quirk_arguments_in_the_same_chunk_as_the_name() -> None:
    per_feed, _ = run_chat([chunk(entry(0, "c", "f", '{"k": ')), chunk(entry(0, args="1}"))])
    assert where(ToolCallStart, per_feed) == [0]
    assert per_feed[0][:2] == [
        ToolCallStart(0, 0, "c", "f"),
        ToolArgumentsDelta(0, 0, '{"k": ', per_feed[0][1].events),
    ]
    assert where(ToolCallDone, per_feed) == [1]


def test_quirk_empty_ids_and_names_on_later_chunks() -> None:
    # Alibaba sends "id": "" and Mistral "name": "" on continuation chunks.
    _, acc = run_chat([
        chunk(entry(0, "call_1", "weather", "")),
        chunk(entry(0, "", "", '{"a": 1}')),
        chunk(entry(0, "", None, "")),
        chunk(finish="tool_calls"),
    ])
    assert [(c.id, c.name, c.arguments) for c in acc.tool_calls] == [
        ("call_1", "weather", {"a": 1})
    ]


def test_quirk_call_index_not_starting_at_zero() -> None:
    # The Anthropic-fallback OpenAI-compatible server numbers the first call 1 (text was 0).
    _, acc = run_chat([chunk(content="hi"), chunk(entry(1, "t", "f", "{}"))])
    assert acc.tool_calls[0].index == 1


# --- ends and errors ----------------------------------------------------------------------


def test_finish_length_reports_unfinished_calls_as_truncated() -> None:
    per_feed, acc = run_chat([
        chunk(entry(0, "a", "f", '{"done": 1}')),
        chunk(entry(1, "b", "g", '{"text": "a long')),
        chunk(finish="length"),
    ])
    errors = of(ToolCallError, flat(per_feed))
    assert [(e.index, e.raw) for e in errors] == [(1, '{"text": "a long')]
    assert isinstance(errors[0].error, IncompleteJsonError)
    assert errors[0].error.kind is ErrorKind.UNEXPECTED_END
    assert "truncated" in str(errors[0].error) and "'length'" in str(errors[0].error)
    assert where(ToolCallError, per_feed) == [2]
    assert [c.status for c in acc.tool_calls] == ["done", "error"]


def test_unfinished_call_at_a_normal_finish_is_an_error_not_truncation() -> None:
    per_feed, _ = run_chat([chunk(entry(0, "a", "f", '{"x": [1')), chunk(finish="tool_calls")])
    (error,) = of(ToolCallError, flat(per_feed))
    assert isinstance(error.error, IncompleteJsonError)
    assert "truncated" not in str(error.error)


def test_close_reports_unfinished_calls() -> None:
    per_feed, acc = run_chat([chunk(entry(0, "a", "f", '{"x": "ab'))])
    assert where(ToolCallError, per_feed) == [1]  # close()
    (error,) = of(ToolCallError, flat(per_feed))
    assert (error.id, error.name, error.raw) == ("a", "f", '{"x": "ab')
    assert error.error.offset == len('{"x": "ab')
    assert acc.tool_calls[0].status == "error"
    assert acc.close() == []


def test_invalid_json_arguments_keep_the_raw_text() -> None:
    per_feed, acc = run_chat([
        chunk(entry(0, "a", "f", '{"x": 1,')),
        chunk(entry(0, args=' oops}')),
        chunk(entry(0, args=" more")),
        chunk(finish="tool_calls"),
    ])
    (error,) = of(ToolCallError, flat(per_feed))
    assert where(ToolCallError, per_feed) == [1]
    assert isinstance(error.error, JsonSyntaxError)
    assert error.error.offset == len('{"x": 1, ')
    assert not of(ToolCallDone, flat(per_feed))
    assert acc.tool_calls[0].raw == '{"x": 1, oops} more'


def test_text_after_the_closed_json_is_an_error_after_done() -> None:
    per_feed, acc = run_chat([
        chunk(entry(0, "a", "f", '{"x": 1}')),
        chunk(entry(0, args=" \n")),
        chunk(entry(0, args='{"y": 2}')),
        chunk(finish="tool_calls"),
    ])
    assert where(ToolCallDone, per_feed) == [0]
    assert where(ToolCallError, per_feed) == [2]
    error = of(ToolCallError, flat(per_feed))[0].error
    assert isinstance(error, JsonSyntaxError) and error.kind is ErrorKind.EXTRA_DATA
    assert (error.offset, error.line, error.column) == (10, 2, 1)
    assert acc.tool_calls[0].status == "error"


def test_max_arguments_length() -> None:
    per_feed, _ = run_chat(
        [chunk(entry(0, "a", "f", '{"x": "')), chunk(entry(0, args="y" * 20))],
        max_arguments_length=16,
    )
    (error,) = of(ToolCallError, flat(per_feed))
    assert isinstance(error.error, LimitExceededError)
    assert error.error.kind is ErrorKind.SIZE_LIMIT and error.error.offset == 16
    assert where(ToolCallError, per_feed) == [1]


def test_nothing_more_is_kept_past_the_limit() -> None:
    acc = ToolCallAssembler(max_arguments_length=16)
    acc.feed(chunk(entry(0, "a", "f", '{"x": "')))
    per_feed = [acc.feed(chunk(entry(0, args="y" * 10))) for _ in range(100)]
    assert [type(e) for e in per_feed[0]] == [ToolCallError]
    assert not any(per_feed[1:])
    assert len(acc.tool_calls[0].raw) <= 16 + 10  # up to the fragment that went past it


def test_feed_after_close_raises() -> None:
    acc = ToolCallAssembler()
    acc.close()
    with pytest.raises(RuntimeError):
        acc.feed(chunk())


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="'auto'"):
        ToolCallAssembler(format="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ToolCallAssembler(max_arguments_length=0)
    with pytest.raises(TypeError):
        ToolCallAssembler(tools=[42])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        ToolCallAssembler(tools={"f": dict})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        ToolCallAssembler().feed(42)


def test_sse_text_and_done_sentinel() -> None:
    acc = ToolCallAssembler()
    assert acc.feed("[DONE]") == []
    assert acc.feed(json.dumps(chunk(content="hi"))) == [ContentDelta(0, "hi")]


def test_unknown_events_are_ignored() -> None:
    acc = ToolCallAssembler()
    assert acc.feed({"type": "ping"}) == []
    assert acc.feed({"hello": 1}) == []
    assert acc.feed({"choices": []}) == []


def test_tool_calls_record_while_streaming() -> None:
    acc = ToolCallAssembler()
    acc.feed(chunk(entry(0, "a", "f", '{"items": [1, "tw')))
    (record,) = acc.tool_calls
    assert record.status == "streaming" and record.arguments == {"items": [1, "tw"]}
    acc.feed(chunk(entry(0, args='o"]}')))
    assert record.arguments == {"items": [1, "tw"]}  # a record is a snapshot, not live
    assert acc.tool_calls[0].arguments == {"items": [1, "two"]}
    assert acc.tool_calls[0].status == "done"


# --- validation ------------------------------------------------------------------------


class GetWeather(BaseModel):
    city: str
    days: int = 1


class Titled(BaseModel):
    model_config = ConfigDict(title="lookup")
    key: str


def test_model_instance_in_done() -> None:
    per_feed, _ = run_chat([
        chunk(entry(0, "a", "GetWeather", '{"city": "Oslo", "days": "3"}')),
        chunk(finish="tool_calls"),
    ], tools=[GetWeather])
    (done,) = of(ToolCallDone, flat(per_feed))
    assert done.arguments == GetWeather(city="Oslo", days=3)
    assert done.raw == '{"city": "Oslo", "days": "3"}'


def test_validation_error_keeps_the_raw_text() -> None:
    per_feed, acc = run_chat([chunk(entry(0, "a", "GetWeather", '{"days": 2}'))],
                             tools=[GetWeather])
    (error,) = of(ToolCallError, flat(per_feed))
    assert where(ToolCallError, per_feed) == [0]
    assert isinstance(error.error, ValidationError)
    assert error.raw == '{"days": 2}'
    assert acc.tool_calls[0].arguments == {"days": 2}  # the JSON decoded; the model did not


def test_model_name_is_its_json_schema_title() -> None:
    _, acc = run_chat([chunk(entry(0, "a", "lookup", '{"key": "k"}'))], tools=[Titled])
    assert acc.tool_calls[0].arguments == Titled(key="k")


def test_explicit_name_mapping() -> None:
    _, acc = run_chat(
        [chunk(entry(0, "a", "weather", '{"city": "x"}')), chunk(entry(1, "b", "free", "[1]"))],
        tools={"weather": GetWeather, "free": None},
    )
    assert [c.arguments for c in acc.tool_calls] == [GetWeather(city="x"), [1]]


def test_openai_tools_list_names_without_validation() -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    per_feed, acc = run_chat(
        [chunk(entry(0, "a", "get_weather", '{"any": 1}')),
         chunk(entry(1, "b", "rm_rf", "{}"))],
        tools=tools,
    )
    assert acc.tool_calls[0].arguments == {"any": 1}
    (error,) = of(ToolCallError, flat(per_feed))
    assert isinstance(error.error, UnknownToolError)
    assert error.error.name == "rm_rf" and error.error.known == ("get_weather",)


def test_openai_pydantic_function_tool_keeps_its_model() -> None:
    tool = openai.pydantic_function_tool(GetWeather, name="weather")
    _, acc = run_chat([chunk(entry(0, "a", "weather", '{"city": "x"}'))], tools=[tool])
    assert acc.tool_calls[0].arguments == GetWeather(city="x")


# --- hypothesis: random calls, cut and interleaved -----------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                  max_size=3),
    max_leaves=8,
)
arguments = st.one_of(
    st.dictionaries(st.text(max_size=6), json_values, max_size=4),  # what tools get
    json_values,  # any root, numbers included
)


@st.composite
def tool_streams(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Chunks carrying random calls, cut anywhere and interleaved, and the calls themselves."""
    calls = []
    for c in range(draw(st.integers(1, 2))):
        for i in range(draw(st.integers(1, 3))):
            value = draw(arguments)
            text = json.dumps(value, indent=draw(st.sampled_from([None, 1])),
                              ensure_ascii=draw(st.booleans()))
            name = draw(st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True))
            name_parts = split_at(name, draw(st.lists(st.integers(1, len(name)), max_size=2)))
            name_parts = [p for p in name_parts if p]
            seen = ""
            for p in name_parts:  # a piece equal to the name so far reads as a repetition
                assume(p != seen)
                seen += p
            parts = [p for p in split_at(text, draw(st.lists(st.integers(0, len(text)),
                                                             max_size=6))) if p]
            calls.append({"choice": c, "index": i, "id": f"call_{c}_{i}", "name": name,
                          "value": value, "text": text, "name_parts": name_parts,
                          "parts": parts, "repeat": draw(st.booleans())})
    # per call: name pieces (with empty arguments), then argument fragments
    queues = []
    for call in calls:
        q = [(call, "name", p) for p in call["name_parts"]] + [(call, "args", p)
                                                                for p in call["parts"]]
        queues.append(q)
    entries = []
    while any(queues):
        q = draw(st.sampled_from([q for q in queues if q]))
        entries.append(q.pop(0))
    cuts = draw(st.lists(st.integers(0, len(entries)), max_size=len(entries)))
    chunks: list[dict[str, Any]] = []
    first = set()
    for group in split_at(entries, cuts):  # type: ignore[arg-type]
        by_choice: dict[int, list[dict[str, Any]]] = {}
        for call, what, piece in group:
            key = (call["choice"], call["index"])
            e = {"index": call["index"], "function": {}}
            if key not in first or call["repeat"]:
                e["id"], e["type"] = call["id"], "function"
            if what == "name":
                e["function"] = {"name": piece, "arguments": ""}
            else:
                e["function"] = {"arguments": piece}
                if call["repeat"]:
                    e["function"]["name"] = call["name"]
            first.add(key)
            by_choice.setdefault(call["choice"], []).append(e)
        chunks.append({
            "id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": c, "delta": {"tool_calls": es}, "finish_reason": None}
                        for c, es in by_choice.items()],
        })
    finish_at = len(chunks)
    chunks.append({
        "id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
        "choices": [{"index": c, "delta": {}, "finish_reason": "tool_calls"}
                    for c in sorted({call["choice"] for call in calls})],
    })
    return chunks, calls, finish_at


def closing_chunk(chunks: list[dict[str, Any]], call: dict[str, Any], finish_at: int) -> int:
    """The chunk whose fragment closes the call's JSON (a root number: the finish)."""
    if isinstance(call["value"], (int, float)) and not isinstance(call["value"], bool):
        return finish_at
    last = -1
    for k, c in enumerate(chunks):
        for ch in c["choices"]:
            for e in ch["delta"].get("tool_calls", ()):
                if (ch["index"], e["index"]) == (call["choice"], call["index"]) and \
                        e["function"].get("arguments"):
                    last = k
    return last


@given(tool_streams(), st.sampled_from(["dict", "sdk", "validated"]))
def test_random_calls_cut_and_interleaved(
    stream: tuple[list[dict[str, Any]], list[dict[str, Any]], int], how: str
) -> None:
    chunks, calls, finish_at = stream
    make = {"dict": lambda d: d, "sdk": sdk, "validated": ChatCompletionChunk.model_validate}[how]
    acc = ToolCallAssembler()
    per_feed = feed_each(acc, [make(c) for c in chunks])
    events = flat(per_feed)
    assert not of(ToolCallError, events)
    starts = Counter((e.choice, e.index) for e in of(ToolCallStart, events))
    dones = {(e.choice, e.index): (k, e) for k, evs in enumerate(per_feed) for e in evs
             if isinstance(e, ToolCallDone)}
    assert len(of(ToolCallDone, events)) == len(dones) == len(calls)  # nothing twice
    assert set(starts.values()) == {1} and len(starts) == len(calls)
    assert Counter(e.choice for e in of(Finish, events)) == Counter(
        {c: 1 for c in {call["choice"] for call in calls}})
    merged = {(d.choice, d.index): d for d in merge_deltas(
        sorted(of(ToolArgumentsDelta, events), key=lambda d: (d.choice, d.index)))}
    for call in calls:
        key = (call["choice"], call["index"])
        k, done = dones[key]
        assert (done.id, done.name, done.arguments, done.raw) == (
            call["id"], call["name"], call["value"], call["text"])
        assert k == closing_chunk(chunks, call, finish_at)
        assert merged[key].text == call["text"]
        assert merged[key].events[-1] == ValueDone((), call["value"])
        order = [type(e) for e in events if getattr(e, "index", None) == call["index"]
                 and getattr(e, "choice", None) == call["choice"]
                 and not isinstance(e, Finish)]
        assert order[0] is ToolCallStart and order[-1] is ToolCallDone
    assert [(c.choice, c.index, c.id, c.name, c.arguments, c.status) for c in
            sorted(acc.tool_calls, key=lambda c: (c.choice, c.index))] == [
        (c["choice"], c["index"], c["id"], c["name"], c["value"], "done") for c in calls]


#: The same chunk as a dict, as the openai client builds it (no validation), and validated.
CHUNK_FORMS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "dict": lambda d: d, "sdk": sdk, "validated": ChatCompletionChunk.model_validate,
}


def learned_class(acc: ToolCallAssembler) -> type | None:
    """The event class an assembler has learned to read through ``__dict__`` (its own memo)."""
    return acc._fields.last  # type: ignore[attr-defined, no-any-return]


@given(tool_streams(), st.data())
def test_dicts_and_sdk_objects_take_one_path_whatever_was_seen_first(
    stream: tuple[list[dict[str, Any]], list[dict[str, Any]], int], data: st.DataObject
) -> None:
    # The old assembler chose its Chat reader by a process-wide set filled on first
    # sight of an SDK class, so what one assembler read depended on what any other had
    # read before it (and test coverage on test order). Now each fresh assembler reads
    # the same chunks the same way, in whatever order the forms are first seen.
    chunks = stream[0]
    order = data.draw(st.permutations(sorted(CHUNK_FORMS)), label="order of first sight")
    mixed = data.draw(st.lists(st.sampled_from(sorted(CHUNK_FORMS)), min_size=len(chunks),
                               max_size=len(chunks)), label="form of each chunk")
    runs = [[how] * len(chunks) for how in order] + [mixed]
    results = []
    for forms in runs:
        objects = [CHUNK_FORMS[how](c) for how, c in zip(forms, chunks, strict=True)]
        acc = ToolCallAssembler()
        assert learned_class(acc) is None  # nothing carried over from the runs before
        per_feed = feed_each(acc, objects)
        # What it learned is the class of these chunks' SDK objects, whatever came before.
        last_sdk = [type(o) for o in objects if not isinstance(o, dict)][-1:]
        assert learned_class(acc) is (last_sdk[0] if last_sdk else None)
        results.append((per_feed, acc.tool_calls))
    assert all(result == results[0] for result in results)


def _plain_fragment(arguments: Any) -> dict[str, Any]:
    return {"id": "c", "choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "function": {"arguments": arguments}}]}, "finish_reason": None}]}


def _choice(c: dict[str, Any]) -> dict[str, Any]:
    return c["choices"][0]  # type: ignore[no-any-return]


def _entry(c: dict[str, Any]) -> dict[str, Any]:
    return _choice(c)["delta"]["tool_calls"][0]  # type: ignore[no-any-return]


#: Each way a chunk may differ from a plain argument fragment.
_DEPARTURES: list[Callable[[dict[str, Any]], None]] = [
    lambda c: c.update(usage={"prompt_tokens": 1, "completion_tokens": 2}),
    lambda c: c.update(usage=None),
    lambda c: c.update(error={"message": "overloaded"}),
    lambda c: c.update(choices=c["choices"] * 2),
    lambda c: _choice(c).update(index=1),
    lambda c: _choice(c).update(index=None),
    lambda c: _choice(c).update(finish_reason="tool_calls"),
    lambda c: _choice(c).update(finish_reason="length"),
    lambda c: _choice(c).pop("finish_reason", None),
    lambda c: _choice(c).update(logprobs=None),
    lambda c: _choice(c)["delta"].update(role="assistant"),
    lambda c: _choice(c)["delta"].update(content="x"),
    lambda c: _choice(c)["delta"].update(refusal="no"),
    lambda c: _choice(c)["delta"].update(reasoning_content="hm"),
    lambda c: _choice(c)["delta"].update(tool_calls=_choice(c)["delta"]["tool_calls"] * 2),
    lambda c: _entry(c).update(index=1),
    lambda c: _entry(c).update(index=None),
    lambda c: _entry(c).pop("index", None),
    lambda c: _entry(c).update(id="call_a"),
    lambda c: _entry(c).update(id="call_b"),
    lambda c: _entry(c).update(type="function"),
    lambda c: _entry(c)["function"].update(name="f"),
    lambda c: _entry(c)["function"].update(name="g"),
    lambda c: _entry(c)["function"].pop("arguments", None),
]
#: Plain argument fragments, and chunks one or two departures away from one.
_FRAGMENT_EDGES = st.builds(
    lambda arguments, departures: [
        chunk := _plain_fragment(arguments), *(depart(chunk) for depart in departures)
    ][0],
    st.sampled_from(['{"a": ', '"b"', "1", "}", "", None, 7, " "]),
    st.lists(st.sampled_from(_DEPARTURES), max_size=2),
)
_OPENING = {"choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [
    {"index": 0, "id": "call_a", "type": "function", "function": {"name": "f", "arguments": ""}}
]}}]}


@given(st.lists(_FRAGMENT_EDGES, max_size=6), st.booleans())
def test_a_plain_argument_fragment_reads_as_any_other_chunk(
    chunks: list[dict[str, Any]], opened: bool
) -> None:
    # A dict of the commonest shape (one more arguments fragment of a known call)
    # takes the reader's shortcut; an SDK object always takes the general way.
    events = [_OPENING, *chunks] if opened else chunks
    as_dicts = feed_each(ToolCallAssembler(), events)
    as_objects = feed_each(ToolCallAssembler(), [sdk(e) for e in events])
    assert [comparable(evs) for evs in as_dicts] == [comparable(evs) for evs in as_objects]


def test_format_names_are_the_reader_table() -> None:
    from typing import get_args

    from midstream._tool_calls._readers import READERS, Format

    assert get_args(Format) == ("auto", *READERS)
    for name in READERS:
        ToolCallAssembler(format=name)  # type: ignore[arg-type]


# --- Responses API ----------------------------------------------------------------------------


#: Per Responses call item type: its item id, a name, the field holding its text, the event prefix.
RESPONSES_KINDS = {
    "function_call": ("fc_1", "multiply", "arguments", "response.function_call_arguments"),
    "custom_tool_call": ("ctc_1", "apply_patch", "input", "response.custom_tool_call_input"),
}


def responses_stream(kind: str, parts: list[str], *, done: str | None = None,
                     item_done: str | None = None,
                     end: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """A Responses stream with one call of ``kind``, its text streamed in ``parts``."""
    item_id, name, field, prefix = RESPONSES_KINDS[kind]
    item = {"id": item_id, "type": kind, "status": "in_progress", field: "",
            "call_id": "call_1", "name": name}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": None, "sequence_number": 0},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
    ]
    events += [{"type": f"{prefix}.delta", "item_id": item_id, "output_index": 0, "delta": p}
               for p in parts]
    if done is not None:
        events.append({"type": f"{prefix}.done", "item_id": item_id, "output_index": 0,
                       field: done})
    if item_done is not None:
        events.append({"type": "response.output_item.done", "output_index": 0,
                       "item": {**item, "status": "completed", field: item_done}})
    events.append(end or {"type": "response.completed",
                          "response": {"id": "r", "status": "completed"}})
    return events


def responses_call(arguments: list[str], *, done: str | None = None,
                   end: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return responses_stream("function_call", arguments, done=done, item_done=done, end=end)


def test_responses_function_call() -> None:
    events = responses_call(['{"a":', "12", "}"], done='{"a":12}')
    per_feed = feed_each(ToolCallAssembler(), events)
    assert of(ToolCallStart, flat(per_feed)) == [ToolCallStart(0, 0, "call_1", "multiply")]
    assert where(ToolCallStart, per_feed) == [1]
    assert where(ToolCallDone, per_feed) == [4]
    assert of(ToolCallDone, flat(per_feed))[0].arguments == {"a": 12}
    assert of(Finish, flat(per_feed)) == [Finish(0, "completed")]


def test_responses_root_number_done_at_arguments_done() -> None:
    per_feed = feed_each(ToolCallAssembler(), responses_call(["1", "2"], done="12"))
    assert where(ToolCallDone, per_feed) == [4]  # the *.arguments.done event
    assert of(ToolCallDone, flat(per_feed))[0].arguments == 12


def test_responses_arguments_only_in_done() -> None:
    # LM Studio sends no deltas: the arguments come whole in *.done.
    per_feed = feed_each(ToolCallAssembler(), responses_call([], done='{"loc": "SF"}'))
    assert of(ToolArgumentsDelta, flat(per_feed))[0].text == '{"loc": "SF"}'
    assert where(ToolCallDone, per_feed) == [2]


def test_responses_done_disagreeing_with_deltas_is_an_error() -> None:
    per_feed = feed_each(ToolCallAssembler(), responses_call(['{"a": 1'], done='{"b": 2}'))
    (error,) = of(ToolCallError, flat(per_feed))
    assert error.raw == '{"a": 1' and "differ" in str(error.error)


def test_responses_incomplete_max_output_tokens_is_truncation() -> None:
    end = {"type": "response.incomplete", "response": {
        "id": "r", "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}}
    per_feed = feed_each(ToolCallAssembler(), responses_call(['{"a": "lo'], end=end))
    (error,) = of(ToolCallError, flat(per_feed))
    assert "truncated" in str(error.error)
    assert of(Finish, flat(per_feed)) == [Finish(0, "max_output_tokens")]


def test_responses_text_and_text_only_in_done() -> None:
    events = [
        {"type": "response.output_text.delta", "item_id": "m", "content_index": 0, "delta": "He"},
        {"type": "response.output_text.delta", "item_id": "m", "content_index": 0, "delta": "llo"},
        {"type": "response.output_text.done", "item_id": "m", "content_index": 0, "text": "Hello"},
        {"type": "response.output_text.done", "item_id": "n", "content_index": 0, "text": "Hi"},
    ]
    per_feed = feed_each(ToolCallAssembler(), events)
    assert flat(per_feed) == [ContentDelta(0, "He"), ContentDelta(0, "llo"), ContentDelta(0, "Hi")]


def test_responses_sdk_objects() -> None:
    from openai.types.responses import ResponseStreamEvent

    events = responses_call(['{"a":', "1}"], done='{"a":1}')
    objects = [construct_type(type_=ResponseStreamEvent, value=e) for e in events]  # type: ignore[arg-type]
    per_feed = feed_each(ToolCallAssembler(), objects)
    assert of(ToolCallDone, flat(per_feed))[0].arguments == {"a": 1}


# --- Responses API: custom (free-form) tools ----------------------------------------------------


def custom_call(parts: list[str], **kw: Any) -> list[dict[str, Any]]:
    """A Responses stream calling a custom tool: its input is free text, streamed in ``parts``."""
    return responses_stream("custom_tool_call", parts, **kw)


def responses_sdk(event: dict[str, Any]) -> Any:
    """A Responses stream event as the openai client builds it from the wire (no validation)."""
    from openai.types.responses import ResponseStreamEvent

    return construct_type(type_=ResponseStreamEvent, value=event)  # type: ignore[arg-type]


RESPONSES_WRAPS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "dict": lambda d: d, "sdk": responses_sdk, "sse": json.dumps,
}

PATCH = "*** Begin Patch\n*** Update File: a.py\n@@\n-x = 1\n+x = {\"a\": [1, 2]}\n*** End Patch\n"


@pytest.mark.parametrize("how", sorted(RESPONSES_WRAPS))
def test_custom_tool_call_input_is_text(how: str) -> None:
    wrap = RESPONSES_WRAPS[how]
    events = custom_call(["*** Begin", " Patch\n", PATCH[len("*** Begin Patch\n"):]],
                         done=PATCH, item_done=PATCH)
    acc = ToolCallAssembler()
    per_feed = feed_each(acc, [wrap(e) for e in events])
    assert per_feed[1] == [ToolCallStart(0, 0, "call_1", "apply_patch")]  # at output_item.added
    deltas = of(ToolArgumentsDelta, flat(per_feed))
    assert [d.text for d in deltas] == ["*** Begin", " Patch\n", PATCH[len("*** Begin Patch\n"):]]
    assert all(d.events == [] for d in deltas)  # free text: no JSON events
    assert where(ToolCallDone, per_feed) == [5]  # the *_input.done event
    assert of(ToolCallDone, flat(per_feed)) == [
        ToolCallDone(0, 0, "call_1", "apply_patch", PATCH, PATCH)]
    assert not of(ToolCallError, flat(per_feed))
    assert of(Finish, flat(per_feed)) == [Finish(0, "completed")]
    assert acc.tool_calls == [ToolCall(0, 0, "call_1", "apply_patch", "custom_tool_call", PATCH,
                                       PATCH, "done")]


def test_custom_tool_call_events_do_not_depend_on_how_the_input_is_cut() -> None:
    # Text that JSON would read (and whitespace JSON would drop) is kept as it is.
    text = ' {"not": "parsed"} \n\t<p>é</p>\\u00e9 '
    expected = None
    for parts in chunkings(text):
        for how, wrap in RESPONSES_WRAPS.items():
            per_feed = feed_each(ToolCallAssembler(), [wrap(e) for e in
                                                       custom_call(parts, done=text)])
            got = merge_deltas(flat(per_feed))
            assert where(ToolCallDone, per_feed) == [len(parts) + 2], (how, parts)
            if expected is None:
                expected = got
            assert got == expected, (how, parts)
    assert expected is not None
    assert of(ToolArgumentsDelta, expected) == [ToolArgumentsDelta(0, 0, text, [])]
    assert of(ToolCallDone, expected)[0].arguments == text


@given(st.text(max_size=60).flatmap(lambda t: st.tuples(st.just(t), split_points(t))),
       st.sampled_from(sorted(RESPONSES_WRAPS)), st.booleans())
def test_random_custom_input_cut_anywhere(
    text_and_parts: tuple[str, list[str]], how: str, with_function_call: bool
) -> None:
    text, parts = text_and_parts
    events = custom_call(parts, done=text, item_done=text)
    if with_function_call:  # a JSON call before it in the same response
        events[1:1] = responses_call(['{"a": ', "[1]}"], done='{"a": [1]}')[1:-1]
        for e in events[1:6]:
            e["output_index"] = 1
    per_feed = feed_each(ToolCallAssembler(), [RESPONSES_WRAPS[how](e) for e in events])
    evs = flat(per_feed)
    assert not of(ToolCallError, evs)
    custom = [e for e in evs if getattr(e, "index", None) == 0]
    assert "".join(d.text for d in of(ToolArgumentsDelta, custom)) == text
    assert all(d.events == [] and d.text for d in of(ToolArgumentsDelta, custom))
    assert of(ToolCallDone, custom) == [ToolCallDone(0, 0, "call_1", "apply_patch", text, text)]
    assert type(custom[0]) is ToolCallStart and type(custom[-1]) is ToolCallDone
    if with_function_call:
        assert of(ToolCallDone, evs)[0].arguments == {"a": [1]}


def test_custom_tool_call_input_only_in_done_or_item_done() -> None:
    per_feed = feed_each(ToolCallAssembler(), custom_call([], done="a b"))
    assert of(ToolArgumentsDelta, flat(per_feed)) == [ToolArgumentsDelta(0, 0, "a b", [])]
    assert of(ToolCallDone, flat(per_feed))[0].arguments == "a b"
    # the earlier events missing: output_item.done alone carries the call
    events = [
        e for e in custom_call([], item_done="x") if e["type"] != "response.output_item.added"
    ]
    per_feed = feed_each(ToolCallAssembler(), events)
    assert [type(e) for e in flat(per_feed)] == [ToolCallStart, ToolArgumentsDelta, ToolCallDone,
                                                  Finish]
    # an empty input is an empty text, not {}
    per_feed = feed_each(ToolCallAssembler(), custom_call([], done=""))
    assert of(ToolCallDone, flat(per_feed))[0].arguments == ""
    assert not of(ToolArgumentsDelta, flat(per_feed))


def test_custom_tool_call_done_completing_or_differing_from_the_deltas() -> None:
    per_feed = feed_each(ToolCallAssembler(), custom_call(["x"], done="x "))
    assert [d.text for d in of(ToolArgumentsDelta, flat(per_feed))] == ["x", " "]
    assert of(ToolCallDone, flat(per_feed))[0].arguments == "x "
    # whitespace counts in free text (JSON arguments would compare equal)
    per_feed = feed_each(ToolCallAssembler(), custom_call(["x "], done="x"))
    (error,) = of(ToolCallError, flat(per_feed))
    assert error.raw == "x " and "differs" in str(error.error)


@pytest.mark.parametrize(("end", "words"), [
    ({"type": "response.incomplete", "response": {"status": "incomplete",
      "incomplete_details": {"reason": "max_output_tokens"}}}, "truncated"),
    ({"type": "response.completed", "response": {"status": "completed"}}, "('completed')"),
    (None, "the stream ended"),
])
def test_custom_tool_call_never_done_without_the_providers_end(
    end: dict[str, Any] | None, words: str
) -> None:
    # Free text has no closing bracket: only *_input.done or output_item.done ends it.
    events = custom_call(["*** Begin", " Patch"], end=end)
    if end is None:
        events.pop()  # no response.* end at all: close() settles the call
    acc = ToolCallAssembler()
    per_feed = feed_each(acc, events)
    (error,) = of(ToolCallError, flat(per_feed))
    assert not of(ToolCallDone, flat(per_feed))
    assert isinstance(error.error, IncompleteJsonError)
    assert error.error.kind is ErrorKind.UNEXPECTED_END and error.error.offset == 15
    assert words in str(error.error) and "Input" in str(error.error)
    assert error.raw == "*** Begin Patch"
    (record,) = acc.tool_calls
    assert (record.status, record.arguments, record.raw) == ("error", None, "*** Begin Patch")


def test_custom_tool_call_while_streaming_and_input_after_done() -> None:
    acc = ToolCallAssembler()
    events = custom_call(["ab", "c"], done="abc")
    for e in events[:3]:
        acc.feed(e)
    assert acc.tool_calls[0].arguments == "ab" and acc.tool_calls[0].status == "streaming"
    late = {"type": "response.custom_tool_call_input.delta", "item_id": "ctc_1",
            "output_index": 0, "delta": " "}
    out = [acc.feed(e) for e in [*events[3:5], late]]
    assert [type(e) for e in out[1]] == [ToolCallDone]
    (error,) = out[2]
    assert isinstance(error, ToolCallError) and "after" in str(error.error)


def test_custom_tool_call_and_tools() -> None:
    tools: list[Any] = [{"type": "custom", "name": "apply_patch", "format": {"type": "text"}}]
    per_feed = feed_each(ToolCallAssembler(tools=tools), custom_call(["p"], done="p"))
    assert of(ToolCallDone, flat(per_feed))[0].arguments == "p"
    per_feed = feed_each(ToolCallAssembler(tools=[GetWeather]), custom_call(["p"], done="p"))
    (error,) = of(ToolCallError, flat(per_feed))
    # reported at the start, before any input came; the record keeps the input
    assert isinstance(error.error, UnknownToolError) and error.raw == ""


def test_custom_tool_call_input_length_limit() -> None:
    per_feed = feed_each(ToolCallAssembler(max_arguments_length=4),
                         custom_call(["abc", "de"], done="abcde"))
    (error,) = of(ToolCallError, flat(per_feed))
    assert isinstance(error.error, LimitExceededError) and error.raw == "abcde"


# --- Anthropic Messages -----------------------------------------------------------------------


def anthropic_tool(blocks: list[tuple[str, dict[str, Any], list[str]]],
                   stop: str = "tool_use") -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [{"type": "message_start", "message": {"id": "msg"}}]
    for i, (kind, block, parts) in enumerate(blocks):
        events.append({"type": "content_block_start", "index": i,
                       "content_block": {"type": kind, **block}})
        for p in parts:
            delta = ({"type": "text_delta", "text": p} if kind == "text"
                     else {"type": "input_json_delta", "partial_json": p})
            events.append({"type": "content_block_delta", "index": i, "delta": delta})
        events.append({"type": "content_block_stop", "index": i})
    events.append({"type": "message_delta", "delta": {"stop_reason": stop}})
    events.append({"type": "message_stop"})
    return events


def test_anthropic_tool_use() -> None:
    events = anthropic_tool([
        ("text", {"text": ""}, ["Let me ", "check."]),
        ("tool_use", {"id": "toolu_1", "name": "get_weather", "input": {}},
         ['{"city', '": "Paris"', "}"]),
    ])
    per_feed = feed_each(ToolCallAssembler(), events)
    evs = flat(per_feed)
    assert merge_deltas(of(ContentDelta, evs)) == [ContentDelta(0, "Let me check.")]
    assert of(ToolCallStart, evs) == [ToolCallStart(0, 1, "toolu_1", "get_weather")]
    assert where(ToolCallDone, per_feed) == [8]  # the delta with the closing brace
    assert of(ToolCallDone, evs)[0].arguments == {"city": "Paris"}
    assert of(Finish, evs) == [Finish(0, "tool_use")]
    assert acc_types(events) == ["tool_use"]


def acc_types(events: list[dict[str, Any]]) -> list[str]:
    acc = ToolCallAssembler()
    for e in events:
        acc.feed(e)
    return [c.type for c in acc.tool_calls]


def test_anthropic_empty_input_and_input_in_block_start() -> None:
    events = anthropic_tool([
        ("tool_use", {"id": "t1", "name": "no_args", "input": {}}, [""]),
        ("tool_use", {"id": "t2", "name": "roll", "input": {"player": "p1"}}, []),
        ("server_tool_use", {"id": "s1", "name": "web_fetch", "input": {}}, []),
    ])
    per_feed = feed_each(ToolCallAssembler(), events)
    done = of(ToolCallDone, flat(per_feed))
    assert [(d.name, d.arguments) for d in done] == [
        ("no_args", {}), ("roll", {"player": "p1"}), ("web_fetch", {})
    ]
    assert [d.raw for d in done] == ["", '{"player": "p1"}', ""]
    # with tools given, server tools are not held to them, client tools are
    per_feed = feed_each(ToolCallAssembler(tools=[]), events)
    assert [e.name for e in of(ToolCallError, flat(per_feed))] == ["no_args", "roll"]
    assert [e.name for e in of(ToolCallDone, flat(per_feed))] == ["web_fetch"]


def test_anthropic_max_tokens_truncation() -> None:
    events = anthropic_tool([("tool_use", {"id": "t", "name": "f", "input": {}},
                              ['{"text": "cut'])], stop="max_tokens")
    per_feed = feed_each(ToolCallAssembler(), events)
    (error,) = of(ToolCallError, flat(per_feed))
    # reported with the stop_reason, not at content_block_stop, so it can say why
    assert where(ToolCallError, per_feed) == [where(Finish, per_feed)[0]]
    assert isinstance(error.error, IncompleteJsonError) and "truncated" in str(error.error)
    assert "'max_tokens'" in str(error.error)


def test_anthropic_sdk_objects() -> None:
    anthropic = pytest.importorskip("anthropic")
    from anthropic._models import construct_type as a_construct

    events = anthropic_tool([("tool_use", {"id": "t", "name": "f", "input": {}}, ['{"a":', " 1}"])])
    objects = [a_construct(type_=anthropic.types.RawMessageStreamEvent, value=e) for e in events]
    assert not any(isinstance(o, dict) for o in objects)
    per_feed = feed_each(ToolCallAssembler(format="anthropic"), objects)
    assert of(ToolCallDone, flat(per_feed))[0].arguments == {"a": 1}


def test_explicit_format_reads_events_as_that_format() -> None:
    events = anthropic_tool([("tool_use", {"id": "t", "name": "f", "input": {}}, ["{}"])])
    assert of(ToolCallDone, flat(feed_each(ToolCallAssembler(format="chat"), events))) == []
    assert of(ToolCallDone, flat(feed_each(ToolCallAssembler(format="anthropic"), events)))


# --- the recorded real streams ----------------------------------------------------------------

CORPUS = ("corpus", "real")


def records(name: str) -> list[dict[str, Any]]:
    with shared_path(*CORPUS, name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def comparable(events: list[Any]) -> list[Any]:
    """Events with exceptions as (type, message), so two runs compare equal."""
    return [
        (type(e).__name__, e.choice, e.index, e.raw, type(e.error).__name__, str(e.error))
        if isinstance(e, ToolCallError) else e
        for e in events
    ]


def replay(events: list[Any]) -> tuple[list[Any], ToolCallAssembler]:
    acc = ToolCallAssembler()
    out = [ev for e in events for ev in acc.feed(e)]
    return out + acc.close(), acc


def assert_nothing_lost(events: list[Any], acc: ToolCallAssembler) -> None:
    """Every call: one Start first, one final event, deltas joining to its raw text."""
    for call in acc.tool_calls:
        mine = [e for e in events
                if isinstance(e, (ToolCallStart, ToolArgumentsDelta, ToolCallDone, ToolCallError))
                and (e.choice, e.index) == (call.choice, call.index)]
        assert isinstance(mine[0], ToolCallStart), call
        assert [type(e) for e in mine].count(ToolCallStart) == 1
        final = [e for e in mine if isinstance(e, (ToolCallDone, ToolCallError))]
        assert len(final) == 1 and final[0] is mine[-1], call
        text = "".join(e.text for e in mine if isinstance(e, ToolArgumentsDelta))
        assert text == call.raw or (not text and call.raw == (final[0].raw or call.raw))
        core = [ev for e in mine if isinstance(e, ToolArgumentsDelta) for ev in e.events]
        if call.type == "custom_tool_call":  # free text: no JSON events
            assert not core and call.arguments == (text if call.status == "done" else None)
        elif isinstance(final[0], ToolCallDone) and text.strip():
            assert core[-1] == ValueDone((), call.arguments)
            assert Counter(type(ev).__name__ for ev in core)["ValueStart"] == Counter(
                type(ev).__name__ for ev in core)["ValueDone"]


#: Chat streams where the openai SDK's accumulator is wrong, and what is right.
SDK_WRONG = {
    # OpenRouter/Kimi repeats the id and the name on every chunk; the SDK joins the
    # repetitions ("00", "llm_versionllm_version"). One call, id "0", name "llm_version".
    "llm:test_tools_streaming_variant_a#0": [(0, "0", "llm_version", {})],
    # Mistral sends no `index`; the SDK fails (TypeError: list indices must be integers).
    "vercel-ai:mistral:mistral-tool-call": [(0, "gSIMJiOkT", "weather",
                                            {"location": "San Francisco"})],
    # The first call has index 1 (the server counted the text before it); the SDK appends
    # calls to a list and indexes it with 1: IndexError.
    "vercel-ai:openai-compatible:anthropic-fallback-tool-call": [
        (0, "toolu_sanitized", "read_file", {"path": "a.txt"})
    ],
}


def sdk_calls(events: list[dict[str, Any]]) -> list[tuple[int, str | None, str, Any]]:
    state: Any = ChatCompletionStreamState()
    for e in events:
        state.handle_chunk(sdk(e))
    return [
        (choice.index, call.id, call.function.name, json.loads(call.function.arguments or "{}"))
        for choice in state.get_final_completion().choices
        for call in choice.message.tool_calls or ()
    ]


def test_real_chat_streams_match_the_openai_sdk() -> None:
    streams = records("openai_chat_tool_calls.jsonl")
    assert len(streams) >= 50
    for record in streams:
        events = record["events"]
        got, acc = replay(events)
        as_sdk, _ = replay([sdk(e) for e in events])
        assert comparable(as_sdk) == comparable(got), record["id"]
        ours = [(c.choice, c.id, c.name, c.arguments) for c in acc.tool_calls]
        if record["id"] in SDK_WRONG:
            # the SDK really is wrong here: a wrong answer, or an exception
            with contextlib.suppress(TypeError, IndexError, RuntimeError):
                assert sdk_calls(events) != SDK_WRONG[record["id"]]
            assert ours == SDK_WRONG[record["id"]], record["id"]
        else:
            assert ours == sdk_calls(events), record["id"]
        assert all(c.status == "done" for c in acc.tool_calls), record["id"]
        assert_nothing_lost(got, acc)
        content: dict[int, str] = {}
        finishes: dict[int, str] = {}
        for e in events:
            for choice in e.get("choices") or ():
                text = (choice.get("delta") or {}).get("content")
                content[choice["index"]] = content.get(choice["index"], "") + (text or "")
                if choice.get("finish_reason"):
                    finishes.setdefault(choice["index"], choice["finish_reason"])
        assert {e.choice: e.text for e in merge_deltas(of(ContentDelta, got))} == {
            c: t for c, t in content.items() if t}, record["id"]
        assert {e.choice: e.reason for e in of(Finish, got)} == finishes, record["id"]


_RESPONSES_CALL_TYPES = {"function_call", "mcp_call", "custom_tool_call"}


def final_arguments(item: dict[str, Any]) -> Any:
    """What a finished Responses call item says its arguments are (a custom tool's: text)."""
    if item["type"] == "custom_tool_call":
        return item["input"]
    return json.loads(item["arguments"] or "{}")


def test_real_responses_streams_match_their_final_items() -> None:
    from openai.types.responses import ResponseStreamEvent

    streams = records("openai_responses.jsonl")
    with_calls = 0
    for record in streams:
        events = record["events"]
        got, acc = replay(events)
        final = [e["item"] for e in events if e.get("type") == "response.output_item.done"
                 and e["item"].get("type") in _RESPONSES_CALL_TYPES]
        if final:  # as SDK objects too (only where calls are: building them is the slow part)
            objects = [construct_type(type_=ResponseStreamEvent, value=e)  # type: ignore[arg-type]
                       for e in events]
            assert comparable(replay(objects)[0]) == comparable(got), record["id"]
        expected = [(item.get("call_id") or item["id"], item["name"], final_arguments(item))
                    for item in final]
        assert [(c.id, c.name, c.arguments) for c in acc.tool_calls] == expected, record["id"]
        assert all(c.status == "done" for c in acc.tool_calls), record["id"]
        with_calls += bool(expected)
        assert_nothing_lost(got, acc)
        # text: every delta, plus what *.done has beyond the deltas (LM Studio sends none;
        # openai-phase.1 was trimmed by its fixture's author)
        text, parts = "", {}
        for e in events:
            key = (e.get("item_id"), e.get("content_index"))
            if e.get("type") == "response.output_text.delta":
                text += e["delta"]
                parts[key] = parts.get(key, "") + e["delta"]
            elif e.get("type") == "response.output_text.done":
                seen = parts.get(key, "")
                if e["text"].startswith(seen):
                    text += e["text"][len(seen):]
        assert "".join(e.text for e in of(ContentDelta, got)) == text, record["id"]
        ends = [e for e in events if e.get("type") in
                ("response.completed", "response.incomplete", "response.failed")]
        assert len(of(Finish, got)) == len(ends[:1]), record["id"]
    assert with_calls >= 30


ODD_BLOCK_INDEXES = {"vercel-ai:anthropic:anthropic-code-execution-pdf-skill.1"}


def test_real_anthropic_streams_match_their_content_blocks() -> None:
    anthropic = pytest.importorskip("anthropic")
    from anthropic._models import construct_type as a_construct

    streams = records("anthropic_messages.jsonl")
    truncated = 0
    for record in streams:
        events = record["events"]
        got, acc = replay(events)
        objects = [a_construct(type_=anthropic.types.RawMessageStreamEvent, value=e)
                   for e in events]
        assert comparable(replay(objects)[0]) == comparable(got), record["id"]
        blocks: dict[int, dict[str, Any]] = {}
        expected, text, stop = [], "", None
        for e in events:
            kind = e.get("type")
            if kind == "message_start":
                blocks = {}
            elif kind == "content_block_start":
                block = e["content_block"]
                if block["type"] in ("tool_use", "server_tool_use", "mcp_tool_use"):
                    blocks[e["index"]] = {"block": block, "json": ""}
                    expected.append(blocks[e["index"]])
                text += block.get("text") or "" if block["type"] == "text" else ""
            elif kind == "content_block_delta":
                delta = e["delta"]
                if delta["type"] == "input_json_delta":
                    if e["index"] not in blocks:
                        # After a server tool result this recording's block_start repeats the
                        # result's index (5), while the deltas and the stop carry 6: the
                        # deltas are the bash_code_execution call's input.
                        assert record["id"] in ODD_BLOCK_INDEXES
                        blocks[e["index"]] = expected[-1]
                    blocks[e["index"]]["json"] += delta["partial_json"]
                elif delta["type"] == "text_delta":
                    text += delta["text"]
            elif kind == "message_delta" and stop is None:
                stop = e["delta"].get("stop_reason")
        calls = acc.tool_calls
        assert [(c.id, c.name) for c in calls] == [
            (x["block"]["id"], x["block"]["name"]) for x in expected], record["id"]
        for call, x in zip(calls, expected, strict=True):
            try:
                value = json.loads(x["json"]) if x["json"].strip() else x["block"]["input"]
            except ValueError:
                # cut off by max_tokens (anthropic-sdk-python:incomplete_partial_json_response)
                assert stop == "max_tokens", record["id"]
                assert call.status == "error" and "truncated" in str(call.error)
                assert call.raw == x["json"]
                truncated += 1
                continue
            assert (call.status, call.arguments) == ("done", value), record["id"]
        assert_nothing_lost(got, acc)
        assert "".join(e.text for e in of(ContentDelta, got)) == text, record["id"]
        assert of(Finish, got) == ([Finish(0, stop)] if stop else []), record["id"]
    assert truncated == 1


def test_legacy_function_call_delta() -> None:
    # The deprecated `functions` API streams `delta.function_call`: one call, no id.
    chunks = [chunk(), chunk(), chunk(finish="function_call")]
    chunks[0]["choices"][0]["delta"] = {"function_call": {"name": "f", "arguments": ""}}
    chunks[1]["choices"][0]["delta"] = {"function_call": {"arguments": '{"a": 1}'}}
    per_feed, acc = run_chat(chunks, sdk)
    assert of(ToolCallStart, flat(per_feed)) == [ToolCallStart(0, 0, None, "f")]
    assert where(ToolCallDone, per_feed) == [1]
    assert acc.tool_calls[0].arguments == {"a": 1}


def test_arguments_sent_already_decoded() -> None:
    acc = ToolCallAssembler()
    acc.feed({"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "id": "a", "function": {"name": "f", "arguments": {"x": [1]}}}]}}]})
    assert acc.tool_calls[0].arguments == {"x": [1]}
    assert acc.tool_calls[0].raw == '{"x": [1]}'


def test_anthropic_two_messages_in_one_assembler() -> None:
    events = anthropic_tool([("tool_use", {"id": "t1", "name": "f", "input": {}}, ["{}"])])
    second = ("tool_use", {"id": "t2", "name": "g", "input": {}}, ['{"a":', "1}"])
    events += anthropic_tool([second], stop="end_turn")
    per_feed = feed_each(ToolCallAssembler(), events)
    assert [(d.index, d.id, d.arguments) for d in of(ToolCallDone, flat(per_feed))] == [
        (0, "t1", {}), (1, "t2", {"a": 1})  # the second message's block 0 gets the next index
    ]
    assert of(Finish, flat(per_feed)) == [Finish(0, "tool_use"), Finish(0, "end_turn")]


def test_arguments_deltas_are_frozen_and_equal_to_constructed_ones(
    wrap: Callable[[dict[str, Any]], Any],
) -> None:
    # the assembler builds them with fast_constructor, not the dataclass's __init__
    per_feed, _ = run_chat([chunk(entry(1, "a", "f", "{")), chunk(entry(1, args="}"))], wrap)
    fast = of(ToolArgumentsDelta, flat(per_feed))
    plain = [ToolArgumentsDelta(0, 1, "{", [midstream.ValueStart((), "object")]),
             ToolArgumentsDelta(0, 1, "}", [ValueDone((), {})])]
    assert all(type(d) is ToolArgumentsDelta for d in fast)
    assert fast == plain and list(map(repr, fast)) == list(map(repr, plain))
    with pytest.raises(AttributeError):
        fast[0].text = "x"  # type: ignore[misc]  # still frozen


@pytest.mark.parametrize("cut", [None, 8, 9, 10], ids=["whole", "at-brace", "after-space", "in-y"])
def test_text_after_the_json_in_the_same_fragment_is_judged_apart(cut: int | None) -> None:
    # Done (validated on the JSON text alone), then the error for what follows, however cut.
    text = '{"a": 1} y'
    parts = [text] if cut is None else [text[:cut], text[cut:]]
    chunks = [chunk(entry(0, "c", "Only", parts[0]))] + [chunk(entry(0, args=p)) for p in parts[1:]]

    class Only(BaseModel):
        model_config = ConfigDict(extra="forbid")
        a: int

    per_feed, acc = run_chat(chunks, tools=[Only])
    events = flat(per_feed)
    assert [type(e) for e in events if isinstance(e, (ToolCallDone, ToolCallError))] == [
        ToolCallDone, ToolCallError
    ]
    assert of(ToolCallDone, events)[0].raw == parts[0]  # as received up to then
    assert of(ToolCallDone, events)[0].arguments == Only(a=1)
    assert of(ToolCallError, events)[0].error.kind is ErrorKind.EXTRA_DATA
    assert acc.tool_calls[0].raw == text


def test_sse_text_that_is_not_an_event() -> None:
    acc = ToolCallAssembler()
    for text in ("[" * 100_000, "{", "[1]"):
        with pytest.raises(ValueError):
            acc.feed(text)


def test_only_json_whitespace_may_follow_or_stand_for_the_arguments() -> None:
    # U+00A0 is whitespace to str.strip(), not to JSON.
    per_feed, _ = run_chat([chunk(entry(0, "a", "f", '{"x": 1}')), chunk(entry(0, args="\u00a0"))])
    assert where(ToolCallError, per_feed) == [1]
    per_feed, _ = run_chat([chunk(entry(0, "a", "f", " \t\r\n")), chunk(finish="stop")])
    assert of(ToolCallDone, flat(per_feed))[0].arguments == {}
    per_feed, _ = run_chat([chunk(entry(0, "a", "f", "\u00a0")), chunk(finish="stop")])
    assert isinstance(of(ToolCallError, flat(per_feed))[0].error, JsonSyntaxError)


def test_sdk_objects_holding_dicts_read_like_dicts() -> None:
    # Built without validation, an SDK object keeps as a dict what did not fit its type.
    chunks = [
        chunk(entry(0, "a", "f", '{"x": '), content="hi"),
        chunk(entry(None, None, None, "1}")),  # no index: continues the latest call
        chunk(finish="tool_calls"),
    ]
    mixed = [sdk(c) for c in chunks]
    mixed[0].__dict__["choices"] = chunks[0]["choices"]  # a choice left a dict
    mixed[1].choices[0].delta.__dict__["tool_calls"] = [entry(None, None, None, "1}")]
    assert isinstance(mixed[1].choices[0].delta.tool_calls[0], dict)
    assert comparable(replay(mixed)[0]) == comparable(replay(chunks)[0])
    assert of(ToolCallDone, replay(mixed)[0])[0].arguments == {"x": 1}


def test_sdk_objects_holding_tuples_read_like_lists() -> None:
    # An SDK object built by hand (model_construct) may hold tuples where the wire has lists.
    chunks = [
        chunk(entry(0, "a", "f", '{"x": '), entry(1, "b", "g", "[1"), content="hi"),
        chunk(entry(0, args="2}"), entry(1, args=", 3]")),
        chunk(finish="tool_calls"),
    ]
    tupled = [sdk(c) for c in chunks]
    for obj in tupled[:2]:
        obj.choices[0].delta.tool_calls = tuple(obj.choices[0].delta.tool_calls)
    tupled[1].choices = tuple(tupled[1].choices)
    assert comparable(replay(tupled)[0]) == comparable(replay(chunks)[0])
    assert [c.arguments for c in replay(tupled)[1].tool_calls] == [{"x": 2}, [1, 3]]
