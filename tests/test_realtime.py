"""OpenAI Realtime function calls: items, argument deltas, cut responses, detection."""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import count
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _wire import feed_each, flat, of
from helpers import merge_deltas, split_at
from midstream import (
    ContentDelta,
    Finish,
    IncompleteJsonError,
    ProviderError,
    ToolArgumentsDelta,
    ToolCallDone,
    ToolCallError,
    ToolCallStart,
    Usage,
    ValueDone,
)

openai = pytest.importorskip("openai")
from openai._models import construct_type  # noqa: E402
from openai.types.realtime import RealtimeServerEvent  # noqa: E402


class Session:
    """Builds one Realtime session's server events, each with its own event_id."""

    def __init__(self) -> None:
        self._ids = count()

    def ev(self, type: str, **fields: Any) -> dict[str, Any]:
        return {"type": type, "event_id": f"event_{next(self._ids)}", **fields}

    def call(self, n: int, name: str, parts: list[str], *, whole: str | None = None,
             status: str = "completed", args_done: bool = True) -> list[dict[str, Any]]:
        """One function_call item: added, deltas, arguments.done, item done."""
        item = {"id": f"item_{n}", "type": "function_call", "object": "realtime.item",
                "call_id": f"call_{n}", "name": name, "arguments": "", "status": "in_progress"}
        keys = {"response_id": "resp_1", "item_id": f"item_{n}", "output_index": n,
                "call_id": f"call_{n}"}
        out = [self.ev("response.output_item.added", response_id="resp_1", output_index=n,
                       item=item)]
        out += [self.ev("response.function_call_arguments.delta", delta=p, **keys) for p in parts]
        text = "".join(parts) if whole is None else whole
        if args_done:
            out.append(self.ev("response.function_call_arguments.done", name=name,
                               arguments=text, **keys))
        out.append(self.ev("response.output_item.done", response_id="resp_1", output_index=n,
                           item={**item, "arguments": text, "status": status}))
        return out

    def text(self, n: int, parts: list[str]) -> list[dict[str, Any]]:
        return [self.ev("response.output_text.delta", response_id="resp_1", item_id=f"msg_{n}",
                        output_index=n, content_index=0, delta=p) for p in parts]

    def created(self) -> dict[str, Any]:
        return self.ev("response.created", response={"id": "resp_1", "object":
                                                     "realtime.response", "status": "in_progress"})

    def done(self, status: str = "completed", reason: str | None = None) -> dict[str, Any]:
        response: dict[str, Any] = {
            "id": "resp_1", "object": "realtime.response", "status": status,
            "usage": {"total_tokens": 30, "input_tokens": 20, "output_tokens": 10},
        }
        if status != "completed":
            response["status_details"] = {"type": status, "reason": reason}
        return self.ev("response.done", response=response)


def sdk(event: dict[str, Any]) -> Any:
    """A Realtime server event as the openai client builds it from the wire."""
    return construct_type(type_=RealtimeServerEvent, value=event)


FORMS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "dict": lambda e: e, "sse": json.dumps, "sdk": sdk,
    "validated": lambda e: type(sdk(e)).model_validate(e),
}


@pytest.fixture(params=sorted(FORMS))
def form(request: pytest.FixtureRequest) -> Callable[[dict[str, Any]], Any]:
    return FORMS[request.param]




def test_a_call_done_at_its_closing_delta(form: Callable[..., Any]) -> None:
    s = Session()
    stream = [s.created(), *s.text(0, ["Let me ", "look."]),
              *s.call(1, "get_weather", ['{"ci', 'ty": "Par', 'is"}']), s.done()]
    per, acc = feed_each([form(e) for e in stream])
    events = flat(per)
    assert merge_deltas(of(ContentDelta, events)) == [ContentDelta(0, "Let me look.")]
    assert of(ToolCallStart, per[3]) == [ToolCallStart(0, 1, "call_1", "get_weather")]
    assert [type(e) for e in per[6]] == [ToolArgumentsDelta, ToolCallDone]  # the closing delta
    assert of(ToolCallDone, events) == [
        ToolCallDone(0, 1, "call_1", "get_weather", {"city": "Paris"}, '{"city": "Paris"}')]
    assert per[-2] == [Finish(0, "completed"), Usage(20, 10, 30, None, per[-2][1].raw)]
    assert [(c.id, c.status) for c in acc.tool_calls] == [("call_1", "done")]


def test_a_call_without_arguments_is_done_when_its_item_completes() -> None:
    s = Session()
    per, _ = feed_each([*s.call(0, "now", []), s.done()])
    assert [(k, e.arguments) for k, evs in enumerate(per) for e in evs
            if isinstance(e, ToolCallDone)] == [(2, {})]


@pytest.mark.parametrize(("status", "reason", "words"), [
    ("cancelled", "turn_detected", "('cancelled')"),
    ("cancelled", "client_cancelled", "('cancelled')"),
    ("incomplete", "max_output_tokens", "truncated"),
    ("incomplete", "content_filter", "('content_filter')"),
])
@pytest.mark.parametrize("parts", [['{"city": "Pa'], []], ids=["cut", "empty"])
def test_a_call_of_an_interrupted_response_is_an_error_not_a_call(
    status: str, reason: str, words: str, parts: list[str]
) -> None:
    # .done and output_item.done come for a cut call too, its arguments cut where they stopped.
    s = Session()
    stream = [*s.call(0, "get_weather", parts, status="incomplete"), s.done(status, reason)]
    per, acc = feed_each(stream)
    events = flat(per)
    assert not of(ToolCallDone, events)
    [error] = of(ToolCallError, events)
    assert isinstance(error.error, IncompleteJsonError) and words in str(error.error)
    assert of(Finish, events) == [Finish(0, reason if status == "incomplete" else status)]
    assert acc.tool_calls[0].status == "error"


def test_a_failed_response_is_a_provider_error() -> None:
    s = Session()
    done = s.done("failed")
    done["response"]["status_details"]["error"] = {"type": "server_error", "message": "boom"}
    per, _ = feed_each([*s.call(0, "f", ['{"a'], args_done=False, status="incomplete"), done])
    events = flat(per)
    assert of(ProviderError, events) == [ProviderError("server_error", None, "boom")]
    assert len(of(ToolCallError, events)) == 1 and of(Finish, events) == [Finish(0, "failed")]


def test_an_error_event() -> None:
    s = Session()
    error = s.ev("error", error={"type": "invalid_request_error", "code": "bad", "message": "no"})
    assert feed_each([error])[0][0] == [ProviderError("invalid_request_error", "bad", "no")]


def test_done_disagreeing_with_the_deltas_is_an_error() -> None:
    s = Session()
    per, _ = feed_each([*s.call(0, "f", ['{"a": '], whole='{"b": 1}'), s.done()])
    [error] = of(ToolCallError, flat(per))
    assert "differ" in str(error.error)


def test_arguments_only_in_done_are_taken() -> None:
    s = Session()
    per, _ = feed_each([*s.call(0, "f", [], whole='{"a": 1}'), s.done()])
    assert [e.arguments for e in of(ToolCallDone, flat(per))] == [{"a": 1}]


def test_a_session_of_several_responses() -> None:
    s = Session()
    stream = [s.created(), *s.call(0, "f", ['{"a": 1}']), s.done(),
              s.created(), *s.call(1, "g", ['{"b": 2}']), s.done()]
    events = flat(feed_each(stream)[0])
    assert [(e.name, e.arguments) for e in of(ToolCallDone, events)] == [
        ("f", {"a": 1}), ("g", {"b": 2})]
    assert of(Finish, events) == [Finish(0, "completed")] * 2 and len(of(Usage, events)) == 2


def test_realtime_and_responses_events_are_told_apart_by_event_id() -> None:
    # The same call, a response cancelled right after the item was added: Realtime sends
    # .done with empty arguments for a cut call; the Responses API ends a call there.
    s = Session()
    realtime = [*s.call(0, "f", [], status="incomplete"), s.done("cancelled", "turn_detected")]
    assert of(ToolCallError, flat(feed_each(realtime)[0]))
    responses = []
    for n, e in enumerate(realtime[:-1]):
        e = {k: v for k, v in e.items() if k != "event_id"}
        responses.append({**e, "sequence_number": n})
    responses.append({"type": "response.completed", "sequence_number": 9,
                      "response": {"status": "completed"}})
    assert [e.arguments for e in of(ToolCallDone, flat(feed_each(responses)[0]))] == [{}]


# --- property tests ------------------------------------------------------------------------

arguments = st.dictionaries(
    st.text(max_size=5),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                 lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c,
                                                                   max_size=3),
                 max_leaves=6),
    max_size=4,
)


@st.composite
def sessions(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[tuple[str, Any]], str]:
    """A response: text items and calls (one after another), arguments cut anywhere."""
    s = Session()
    events: list[dict[str, Any]] = [s.created()]
    calls: list[tuple[str, Any]] = []
    text = []
    for n in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            value = draw(arguments)
            raw = json.dumps(value, indent=draw(st.sampled_from([None, 1])))
            parts = split_at(raw, draw(st.lists(st.integers(0, len(raw)), max_size=5)))
            name = draw(st.sampled_from(["f", "get_weather"]))
            calls.append((name, value))
            events += s.call(n, name, [p for p in parts if p], args_done=draw(st.booleans()))
        else:
            t = draw(st.text(min_size=1, max_size=10))
            text.append(t)
            events += s.text(n, split_at(t, draw(st.lists(st.integers(1, len(t)), max_size=2))))
    events.append(s.done())
    return events, calls, "".join(text)


@given(sessions(), st.sampled_from(sorted(FORMS)))
def test_random_sessions(session: tuple[Any, Any, str], how: str) -> None:
    events, calls, text = session
    per, acc = feed_each([FORMS[how](e) for e in events])
    out = flat(per)
    assert not of(ToolCallError, out)
    dones = of(ToolCallDone, out)
    assert [(d.name, d.arguments) for d in dones] == calls
    assert "".join(e.text for e in of(ContentDelta, out)) == text
    for done in dones:
        deltas = merge_deltas([d for d in of(ToolArgumentsDelta, out) if d.index == done.index])
        if done.raw:
            assert deltas[0].text == done.raw and deltas[0].events[-1] == ValueDone(
                (), done.arguments)
    assert [c.status for c in acc.tool_calls] == ["done"] * len(calls)


@given(sessions(), st.data())
def test_a_session_cut_anywhere_never_completes_an_unfinished_call(
    session: tuple[Any, Any, str], data: st.DataObject
) -> None:
    events = session[0]
    cut = data.draw(st.integers(0, len(events) - 1))
    per, acc = feed_each(events[:cut])
    out = flat(per)
    for record in acc.tool_calls:
        final = [e for e in out if isinstance(e, (ToolCallDone, ToolCallError))
                 and e.index == record.index]
        assert len(final) == 1
        if isinstance(final[0], ToolCallDone):
            # done only if its JSON closed, or its item completed, before the cut
            item_done = [e for e in events[:cut] if e["type"] == "response.output_item.done"
                         and e["item"]["id"] == f"item_{record.index}"]
            assert item_done or json.loads(final[0].raw) == final[0].arguments
        else:
            assert isinstance(final[0].error, IncompleteJsonError)
