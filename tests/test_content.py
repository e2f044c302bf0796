"""How `stream_events` reads a choice's content: found with `model=`, strict, auto.

With ``model=`` (and ``json`` left at None) the value is the first JSON object or
array in the content: the whole content, one in a ```json fence, or one after a
sentence (``ObjectExtractor``'s auto mode is the reference for which). Content that
is plain JSON gives exactly the events of ``json=True``. In auto mode without a
model, content that stops being JSON ends in ``ObjectAbandoned``. Every case runs
under every chunking of the content.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from _sse_server import load_corpus
from helpers import chunkings, merge_deltas, shared_path, split_points
from midstream import (
    ContentDelta,
    FieldInvalid,
    FieldValidated,
    Finish,
    JsonSyntaxError,
    ModelStream,
    ObjectAbandoned,
    ParseError,
    StringDelta,
    Truncated,
    Usage,
    ValueDone,
    ValueStart,
    stream_events,
)
from strategies import json_documents, json_text_no_surrogates

JSON_EVENTS = (ValueStart, StringDelta, ValueDone, FieldValidated, FieldInvalid)


class Answer(BaseModel):
    answer: str


class Sentiment(BaseModel):
    sentiment: str


class Item(BaseModel):
    name: str
    qty: int = 1


def _chunks(pieces: list[str], finish: str | None = "stop") -> list[dict[str, Any]]:
    chunks: list[dict[str, Any]] = [
        {"object": "chat.completion.chunk",
         "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        for piece in pieces
    ]
    if finish is not None:
        chunks.append({"object": "chat.completion.chunk",
                       "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    return chunks


def _collect(source: Any, **kw: Any) -> tuple[list[Any], Exception | None]:
    """The events, and the exception that ended them (None if none)."""
    events: list[Any] = []
    try:
        for ev in stream_events(source, **kw):
            events.append(ev)
    except (ParseError, ValidationError) as exc:
        return events, exc
    return events, None


def _settled(events: list[Any]) -> list[Any]:
    """The content's JSON events that stand: those after the last ObjectAbandoned, merged.

    A candidate that the reader gives up is followed by ObjectAbandoned, which
    withdraws every JSON event before it (how many there were depends on the
    chunking); the value found comes after.
    """
    kept: list[Any] = []
    for ev in events:
        if isinstance(ev, ObjectAbandoned):
            kept = []
        elif isinstance(ev, JSON_EVENTS):
            kept.append(ev)
    return merge_deltas(kept)


def _content(events: list[Any]) -> str:
    return "".join(
        ev.text for ev in events
        if isinstance(ev, ContentDelta) and ev.choice == 0 and isinstance(ev.text, str)
    )


_BRACKET = re.compile(r"[\[{]")


def _first_value(text: str) -> tuple[int, int] | None:
    """Where the first JSON object or array of ``text`` is: ObjectExtractor's reference scan."""
    i = 0
    while (m := _BRACKET.search(text, i)) is not None:
        k = m.start()
        try:
            _value, end = json.JSONDecoder().raw_decode(text, k)
        except ValueError:
            i = k + 1
        else:
            return k, end
    return None


def _model_run(model: Any, text: str) -> tuple[list[Any], Exception | None]:
    """ModelStream on ``text`` fed whole: its JSON events, and its error (if any)."""
    stream = ModelStream(model)
    events: list[Any] = []
    try:
        events += stream.feed(text)
        events += stream.close()
    except (ParseError, ValidationError) as exc:
        events += getattr(exc, "events", [])
        return merge_deltas(events), exc
    return merge_deltas(events), None


# --- model=: the value found in the content --------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> dict[str, dict[str, Any]]:
    return load_corpus(shared_path("corpus", "real"))


FENCED = [
    # prose, then a ```json fence
    ("workflowai:fireworks:completion_tool_calls_stream_2", Answer),
    # the content is a ```json fence
    ("workflowai:mistralai:stream_completion_with_tools_2", Answer),
    # a fence on one line, glued to the closing brace
    ("workflowai:groq_test:test_invalid_json_response:15", Sentiment),
    # Claude: blank lines, then a ```json fence (Anthropic Messages events)
    ("workflowai:anthropic:anthropic_stream_with_tools_2", Answer),
]


def _recorded_content(stream: dict[str, Any]) -> str:
    return _content(list(stream_events(stream["events"], json=False)))


@pytest.mark.shared
@pytest.mark.parametrize(("sid", "model"), FENCED)
def test_a_fenced_answer_validates_under_every_chunking(
    corpus: dict[str, Any], sid: str, model: type[BaseModel]
) -> None:
    recorded = corpus[sid]["events"]
    text = _recorded_content(corpus[sid])
    where = _first_value(text)
    assert where is not None
    start, end = where
    expected_value = model.model_validate_json(text[start:end])
    expected_fields, error = _model_run(model, text[start:end])
    assert error is None

    runs = [recorded, *(_chunks(pieces) for pieces in chunkings(text))]
    for source in runs:
        events, exc = _collect(source, model=model)
        assert exc is None, (source, exc)
        assert _settled(events) == expected_fields
        roots = [ev for ev in events if isinstance(ev, FieldValidated) and ev.path == ()]
        assert roots == [FieldValidated((), expected_value)]
        # what follows the value (the closing fence) is text: content deltas and the finish
        after = events[events.index(roots[0]) + 1 :]
        assert all(isinstance(ev, (ContentDelta, Finish, Usage)) for ev in after)
        last = [ev for ev in events if not isinstance(ev, Usage)][-1]
        assert isinstance(last, Finish) and last.reason in ("stop", "end_turn")
        assert _content(events) == text

    # json=True keeps the strict mode, and its error says it is about the content
    with pytest.raises(JsonSyntaxError) as info:
        list(stream_events(recorded, model=model, json=True))
    assert str(info.value).startswith("content of choice 0: ")
    assert info.value.offset == len(text) - len(text.lstrip())  # the first non-blank


@pytest.mark.shared
def test_a_fenced_answer_cut_by_the_token_limit_is_truncated(corpus: dict[str, Any]) -> None:
    sid = "workflowai:groq:finish_reason_length_stream_response"
    text = _recorded_content(corpus[sid])
    for source in [corpus[sid]["events"], *(_chunks(p, "length") for p in chunkings(text))]:
        events, exc = _collect(source, model=Answer)
        assert exc is None
        assert events[-2] == Finish(0, "length")
        assert isinstance(events[-1], Truncated) and events[-1].reason == "length"
        assert not any(isinstance(ev, (FieldValidated, FieldInvalid)) for ev in events)


@pytest.mark.shared
def test_plain_json_content_gives_the_events_of_json_true(corpus: dict[str, Any]) -> None:
    """The recorded JSON answers: the default finds the whole content, event for event."""
    compared = 0
    for stream in corpus.values():
        text = _recorded_content(stream)
        if stream["api"] != "openai.chat.completions" or not text.lstrip().startswith(("{", "[")):
            continue
        try:
            json.loads(text)
        except ValueError:
            continue
        strict = _collect(stream["events"], model=Any, json=True)
        found = _collect(stream["events"], model=Any)
        assert found[0] == strict[0], stream["id"]
        assert (found[1] is None) == (strict[1] is None), stream["id"]
        compared += 1
    assert compared >= 20


@given(doc=json_documents(strings=json_text_no_surrogates), data=st.data())
def test_property_plain_json_content_events_are_unchanged(doc: str, data: st.DataObject) -> None:
    if not doc.lstrip().startswith(("{", "[")):
        doc = f"[{doc}]"
    pieces = [p for p in data.draw(split_points(doc)) if p]
    strict = _collect(_chunks(pieces), model=Any, json=True)
    found = _collect(_chunks(pieces), model=Any)
    assert found[0] == strict[0]
    assert type(found[1]) is type(strict[1])


def test_prose_after_the_value_is_text_not_an_error() -> None:
    for pieces in chunkings('{"name": "nut", "qty": 2}\n\nHope this helps! {"x": 1}'):
        events, exc = _collect(_chunks(pieces), model=Item)
        assert exc is None
        roots = [ev for ev in events if isinstance(ev, FieldValidated) and ev.path == ()]
        assert roots == [FieldValidated((), Item(name="nut", qty=2))]
        after = events[events.index(roots[0]) + 1 :]
        assert all(isinstance(ev, (ContentDelta, Finish, Usage)) for ev in after)
    # json=True: the same trailing prose is an error about the content
    with pytest.raises(JsonSyntaxError, match=r"^content of choice 0: Extra data"):
        list(stream_events(_chunks(['{"name": "nut"} Hope this helps']), model=Item, json=True))


def test_a_value_that_does_not_validate_still_raises_at_the_finish() -> None:
    for pieces in chunkings('Here:\n```json\n{"name": "nut", "qty": "two"}\n```'):
        events, exc = _collect(_chunks(pieces), model=Item)
        assert isinstance(exc, ValidationError)
        assert not any(isinstance(ev, Finish) for ev in events)
        invalid = [ev.path for ev in events if isinstance(ev, FieldInvalid)]
        assert invalid == [("qty",), ()]


def test_content_with_no_value_says_so() -> None:
    with pytest.raises(ParseError) as info:
        list(stream_events(_chunks(["I cannot ", "answer that."]), model=Item))
    assert str(info.value).startswith(
        "content of choice 0: no JSON object or array found, nor one JSON value: "
    )
    # a scalar model: the whole content is its value, read at the finish
    events = list(stream_events(_chunks([" 4", "2 "]), model=int))
    assert FieldValidated((), 42) in events
    # a value left open when the choice finished normally: unfinished JSON, about the content
    with pytest.raises(ParseError, match=r"^content of choice 0: ") as unfinished:
        list(stream_events(_chunks(["Sure:\n", '{"name": "n']), model=Item))
    assert unfinished.value.offset == len('Sure:\n{"name": "n')


PROSE = st.text(alphabet='ab :,"1\n`{}[]', max_size=20)
ITEMS = st.builds(Item, name=json_text_no_surrogates, qty=st.integers(-5, 5))


@given(
    before=PROSE,
    item=ITEMS,
    fence=st.booleans(),
    after=PROSE,
    indent=st.sampled_from([None, 2]),
    data=st.data(),
)
def test_property_the_value_found_is_the_reference_scans(
    before: str, item: Item, fence: bool, after: str, indent: int | None, data: st.DataObject
) -> None:
    """Prose (with stray brackets), an optional ```json fence, a value, more prose:
    the events that stand are ModelStream's on the first value the reference scan
    finds, under any chunking; a candidate given up is marked ObjectAbandoned."""
    value = json.dumps(item.model_dump(), indent=indent)
    text = f"{before}```json\n{value}\n```{after}" if fence else f"{before}{value}{after}"
    _check_found(text, [p for p in data.draw(split_points(text)) if p])


def _check_found(text: str, pieces: list[str]) -> None:
    events, exc = _collect(_chunks(pieces), model=Item)
    assert _content(events) == text
    where = _first_value(text)
    if where is None:
        # no value: unfinished JSON, or content that is not one value either
        assert isinstance(exc, ParseError) and str(exc).startswith("content of choice 0: ")
        return
    start, end = where
    expected, expected_error = _model_run(Item, text[start:end])
    assert _settled(events) == expected
    assert type(exc) is type(expected_error)
    if exc is None:
        assert events[-1] == Finish(0, "stop")
    for ev in events:
        if isinstance(ev, ObjectAbandoned):
            assert ev.index == 0 and ev.start < start
            assert isinstance(ev.error, ParseError)


TRICKY = [
    '[{"name": "x", "qty": 1}',  # the value closes inside a candidate open at the end
    '[[[{"name": "x"}, ',
    'a [1, {"name": "x"}, oops] b',  # ... inside one that fails
    '{"{"name": "x"}',  # a bracket read inside a string
    '["{"] {"name": "x"}',
    '```json\n{"name": "x"}\n``` and {"name": "y"}',  # the first one counts
    'Sure: {"name": "n',  # unfinished: an error about the content
    "no value here",
    "[] then {\"name\": \"x\"}",  # the first value does not validate
    '[[{"name": "", "qty": 0}]',  # found at the end, and it does not validate
]


@pytest.mark.parametrize("text", TRICKY)
def test_the_value_found_is_the_reference_scans_under_every_chunking(text: str) -> None:
    for pieces in chunkings(text):
        _check_found(text, [p for p in pieces if p])


def test_a_candidate_given_up_after_showing_events_is_abandoned() -> None:
    text = 'Use [this] or {"name": "x"}'
    events, exc = _collect(_chunks(list(text)), model=Item)
    assert exc is None
    abandoned = [ev for ev in events if isinstance(ev, ObjectAbandoned)]
    assert [(ev.index, ev.start) for ev in abandoned] == [(0, 4)]
    error = abandoned[0].error
    assert isinstance(error, JsonSyntaxError)
    assert (error.offset, error.line, error.column) == (6, 1, 7)  # the "h": offsets in the content
    assert _settled(events)[-1] == FieldValidated((), Item(name="x"))


# --- auto mode (no model): content that stops being JSON says so ----------------------------------

NOT_JSON = [
    ("[Note] this is not JSON", 0, 1),
    ('{"a": 1, "b": tru x}', 0, 17),
    ("  \n [1, 2, oops]", 4, 11),
    ('{"a": "x"} fine', None, None),  # JSON, then prose: nothing abandoned
]


@pytest.mark.parametrize(("text", "start", "offset"), NOT_JSON)
def test_auto_content_that_stops_being_json_is_abandoned_under_every_chunking(
    text: str, start: int | None, offset: int | None
) -> None:
    outcomes = set()
    for pieces in chunkings(text):
        events, exc = _collect(_chunks(pieces))
        assert exc is None
        abandoned = [ev for ev in events if isinstance(ev, ObjectAbandoned)]
        has_root = any(isinstance(ev, ValueDone) and ev.path == () for ev in events)
        assert has_root == (start is None)
        if start is None:
            assert not abandoned
            continue
        assert len(abandoned) == 1
        ev = abandoned[0]
        assert (ev.index, ev.start) == (0, start)
        assert isinstance(ev.error, JsonSyntaxError) and ev.error.offset == offset
        # after it, the content goes on as text only
        after = events[events.index(ev) + 1 :]
        assert all(isinstance(e, (ContentDelta, Finish, Usage)) for e in after)
        outcomes.add((ev.error.kind, ev.error.offset, ev.error.line, ev.error.column))
    assert len(outcomes) <= 1  # the same error whatever the chunking


# --- linear: the finder never re-reads the content without bound --------------------------------


class _Counting:
    """A ModelStream that counts the characters it is fed."""

    fed = 0

    def __init__(self, model: Any) -> None:
        self._stream = ModelStream(model)

    def feed(self, text: str) -> list[Any]:
        _Counting.fed += len(text)
        return self._stream.feed(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


ADVERSARIAL = [
    lambda n: "[" * n + "x",  # the leading value fails at the very end
    lambda n: "a " + "[" * n + "x",  # a candidate in prose that fails at the end
    lambda n: "a " + "[{" * n,  # ... that is still open at the end
    lambda n: "{ x" * n + '{"name": "x"}',  # many candidates, each given up at once
    lambda n: "[1, " * n + "oops " + '{"name": "x"}',
]


@pytest.mark.parametrize("make", ADVERSARIAL)
def test_characters_fed_to_the_model_parsers_grow_linearly(
    make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import midstream._pydantic

    # The pipeline imports ModelStream from the package when it needs one: patched
    # there, the counting stream is used on the compiled build too.
    monkeypatch.setattr(midstream._pydantic, "ModelStream", _Counting)
    fed = []
    for n in (200, 800):
        text = make(n)
        _Counting.fed = 0
        _collect(_chunks(list(text)), model=Item)  # one character per chunk: the worst case
        fed.append(_Counting.fed / len(text))
    # per character of content, the same small number of characters fed at both sizes
    assert 0 < fed[0] <= 3 and 0 < fed[1] <= 3, fed
