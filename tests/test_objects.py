"""ObjectExtractor, iter_objects and iter_items: many JSON values in one stream.

The oracle for "auto" mode is the whole-text scan the module docs define:
``json.JSONDecoder().raw_decode`` tried at each ``{``/``[`` from left to right,
skipping past every value it decodes, with NaN/Infinity rejected (midstream
follows RFC 8259; raw_decode accepts them). The oracle for "ndjson" is
``json.loads`` on each non-blank line.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from helpers import chunkings, cpu_in_turns, merge_deltas, shared_path, split_points
from midstream import (
    BadRecord,
    ErrorKind,
    Event,
    IncompleteJsonError,
    ItemInvalid,
    JsonSyntaxError,
    LimitExceededError,
    ObjectAbandoned,
    ObjectDone,
    ObjectExtractor,
    StringDelta,
    TextDelta,
    ValueDone,
    ValueStart,
    aiter_items,
    aiter_objects,
    iter_items,
    iter_objects,
)
from strategies import json_numbers, json_text

# --- oracles ---------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259)")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_BRACKET = re.compile(r"[\[{]")


def reference_scan(text: str) -> list[tuple[str, int, int]]:
    """The values raw_decode finds, as (canonical JSON, start, end)."""
    found = []
    i = 0
    while (m := _BRACKET.search(text, i)) is not None:
        k = m.start()
        try:
            value, end = _DECODER.raw_decode(text, k)
        except (ValueError, RecursionError):
            i = k + 1
            continue
        found.append((canon(value), k, end))
        i = end
    return found


def reference_ndjson(text: str) -> list[tuple[str, str, int, int]]:
    """Each non-blank line: ("ok", canonical JSON, start, end) or ("bad", text, start, end)."""
    records = []
    offset = 0
    for line in text.split("\n"):
        body = line.strip(" \t\r")
        if body:
            start = offset + len(line) - len(line.lstrip(" \t\r"))
            try:
                records.append(("ok", canon(_DECODER.decode(body)), start, start + len(body)))
            except (ValueError, RecursionError):
                records.append(("bad", body, start, start + len(body)))
        offset += len(line) + 1
    return records


def canon(value: Any) -> str:
    """Type-exact comparison: 1, 1.0 and True differ; key order counts."""
    return json.dumps(value)


def extract(chunks: Iterable[str], **kw: Any) -> list[Event]:
    ex = ObjectExtractor(**kw)
    events: list[Event] = []
    for chunk in chunks:
        events += ex.feed(chunk)
    events += ex.close()
    return events


def objects(events: list[Event]) -> list[tuple[str, int, int]]:
    return [(canon(ev.value), ev.start, ev.end) for ev in events if type(ev) is ObjectDone]


def records(events: list[Event]) -> list[tuple[str, str, int, int]]:
    out = []
    for ev in events:
        if type(ev) is ObjectDone:
            out.append(("ok", canon(ev.value), ev.start, ev.end))
        elif type(ev) is BadRecord:
            out.append(("bad", ev.text, ev.start, ev.end))
    return out


def norm(events: list[Event]) -> list[Any]:
    """Merged events, errors as (class, kind, offset, line, column).

    Exceptions compare by identity, so events that carry one are compared by key.
    """
    out: list[Any] = []
    for ev in merge_deltas(events):
        if type(ev) in (BadRecord, ObjectAbandoned):
            err = ev.error  # type: ignore[union-attr]
            key = (type(err).__name__, err.kind, err.offset, err.line, err.column)
            fields = {f: getattr(ev, f) for f in ev.__dataclass_fields__ if f != "error"}  # type: ignore[attr-defined]
            out.append((type(ev).__name__, fields, key))
        else:
            out.append(ev)
    return out


def assert_invariant(text: str, **kw: Any) -> list[Event]:
    """Every chunking of ``text`` gives the events feeding it whole gives."""
    whole = extract([text], **kw)
    for chunks in chunkings(text):
        assert norm(extract(chunks, **kw)) == norm(whole), chunks
    return whole


def assert_round_trip(text: str, events: list[Event]) -> None:
    """Text, objects' raw text and bad records tile the input, in event order."""
    at = 0
    for ev in events:
        if type(ev) is TextDelta:
            assert ev.text, "empty TextDelta"
            assert text.startswith(ev.text, at), (at, ev)
            at += len(ev.text)
        elif type(ev) in (ObjectDone, BadRecord):
            assert ev.start == at, (at, ev)  # type: ignore[union-attr]
            if type(ev) is BadRecord:
                assert text[ev.start : ev.end] == ev.text
            else:
                assert canon(json.loads(text[ev.start : ev.end])) == canon(ev.value)  # type: ignore[union-attr]
            at = ev.end  # type: ignore[union-attr]
    assert at == len(text)


def assert_indexes(events: list[Event]) -> None:
    indexes = [ev.index for ev in events if type(ev) in (ObjectDone, BadRecord, ItemInvalid)]  # type: ignore[union-attr]
    assert indexes == list(range(len(indexes)))


# --- strategies ------------------------------------------------------------------

# Strings with what makes scanning hard: braces, brackets, quotes, backslashes,
# escapes and non-ASCII (the shared json_text, shorter, half of the time).
_STRINGS = st.text(st.sampled_from(list('ab{}[]":,\\/\n\t\x00é😀')), max_size=6) | json_text
_VALUES = st.recursive(
    st.none() | st.booleans() | json_numbers | _STRINGS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_STRINGS, children, max_size=4)
    ),
    max_leaves=10,
)

_PROSE = st.text(st.sampled_from(list('ab {}[]":,\\`\n\t019-.etrufnl')), max_size=14)


@st.composite
def dumped(draw: st.DrawFn, one_line: bool = False) -> str:
    value = draw(_VALUES)
    return json.dumps(
        value,
        indent=None if one_line else draw(st.sampled_from([None, None, 1, "\t"])),
        separators=draw(st.sampled_from([None, (",", ":"), (" , ", " : ")])),
        ensure_ascii=draw(st.booleans()),
    )


@st.composite
def containers(draw: st.DrawFn) -> str:
    value = draw(
        st.lists(_VALUES, max_size=4)
        | st.dictionaries(_STRINGS, _VALUES, max_size=4)
    )
    return json.dumps(value, ensure_ascii=draw(st.booleans()))


@st.composite
def broken(draw: st.DrawFn) -> str:
    """A container that is not JSON: cut short, or with one character changed."""
    text = draw(containers())
    if len(text) < 3 or draw(st.booleans()):
        return text[: draw(st.integers(1, max(1, len(text) - 1)))]
    i = draw(st.integers(1, len(text) - 2))
    return text[:i] + draw(st.sampled_from(list('x]}{[",:\n'))) + text[i + 1 :]


_SEGMENTS = st.one_of(
    _PROSE,
    dumped(),
    containers(),
    broken(),
    containers().map(lambda t: f"```json\n{t}\n```\n"),
    containers().map(json.dumps),  # JSON inside a JSON string: escaped braces
    st.sampled_from(["[NaN]", '{"a": Infinity}', "[1, -Infinity]", "[1, 2", '{"a"', "{}", "[]"]),
)


@st.composite
def free_text(draw: st.DrawFn) -> str:
    return "".join(draw(st.lists(_SEGMENTS, max_size=8)))


@st.composite
def ndjson_text(draw: st.DrawFn) -> str:
    lines = draw(
        st.lists(
            st.one_of(
                dumped(one_line=True),
                st.sampled_from(["", " ", "\t ", "  "]),
                _PROSE.map(lambda t: t.replace("\n", " ")),
                broken().map(lambda t: t.replace("\n", " ")),
                dumped(one_line=True).map(lambda t: f"  {t} \t"),
            ),
            max_size=8,
        )
    )
    sep = draw(st.sampled_from(["\n", "\r\n"]))
    return sep.join(lines) + draw(st.sampled_from(["", sep]))


# --- auto mode: the reference scan ---------------------------------------------------


@given(data=st.data())
def test_auto_finds_what_raw_decode_finds_under_any_chunking(data: st.DataObject) -> None:
    text = data.draw(free_text())
    chunks = data.draw(split_points(text))
    events = extract(chunks)
    assert objects(events) == reference_scan(text)
    assert_round_trip(text, events)
    assert_indexes(events)
    assert merge_deltas(events) == merge_deltas(extract([text]))
    assert merge_deltas(extract(list(text))) == merge_deltas(events)  # one character at a time


@given(data=st.data())
def test_auto_holds_back_only_the_candidate_in_progress(data: st.DataObject) -> None:
    """After each feed, everything is passed on up to the candidate still undecided."""
    text = data.draw(free_text())
    chunks = data.draw(split_points(text))
    ex = ObjectExtractor()
    seen = ""
    emitted = 0
    for chunk in chunks:
        seen += chunk
        for ev in ex.feed(chunk):
            emitted += len(ev.text) if type(ev) is TextDelta else ev.end - ev.start  # type: ignore[union-attr]
        assert emitted == _undecided_from(seen), (seen, emitted)


def _undecided_from(prefix: str) -> int:
    """Where the reference scan of ``prefix`` meets a candidate the text so far cannot decide."""
    from midstream import JsonStream, ParseError

    i = 0
    while (m := _BRACKET.search(prefix, i)) is not None:
        k = m.start()
        try:
            _, end = _DECODER.raw_decode(prefix, k)
        except (ValueError, RecursionError):
            pass
        else:
            i = end
            continue
        if not prefix[k + 1 :].strip(" \t\n\r"):
            return k  # a bracket whose next non-blank character decides
        stream = JsonStream()
        try:
            stream.feed(prefix[k:])
        except ParseError:
            i = k + 1
            continue
        return k  # a valid JSON prefix: still open
    return len(prefix)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Two: {"id": 1} and {"id": 2}.', [({"id": 1}, 5, 14), ({"id": 2}, 19, 28)]),
        ('```json\n{"a": [1, 2]}\n```', [({"a": [1, 2]}, 8, 21)]),
        ('{"a": [1, 2] x}', [([1, 2], 6, 12)]),  # the outer object fails, the inner array not
        ('{"s": "[3]" y', [([3], 7, 10)]),  # a bracket inside a string of a failed candidate
        ('{"s": "[3]"}', [({"s": "[3]"}, 0, 12)]),  # ... of a found one: skipped with it
        ("[NaN] [Infinity] [1, -Infinity] [1]", [([1], 32, 35)]),
        ("see [1] and {name} and {}", [([1], 4, 7), ({}, 23, 25)]),
        ('{"a": {"b": 1}, "c": [2', [({"b": 1}, 6, 14)]),  # cut off: only the closed part
        ("[[[ [1] ]", [([[1]], 2, 9)]),
        ("{ \n }", [({}, 0, 5)]),
        ('{"a":1}{"b":2}[3]', [({"a": 1}, 0, 7), ({"b": 2}, 7, 14), ([3], 14, 17)]),
    ],
)
def test_auto_examples(text: str, expected: list[tuple[Any, int, int]]) -> None:
    events = assert_invariant(text)
    assert [(ev.value, ev.start, ev.end) for ev in events if type(ev) is ObjectDone] == expected
    assert objects(events) == reference_scan(text)
    assert_round_trip(text, events)


def test_auto_passes_text_on_at_once() -> None:
    ex = ObjectExtractor()
    assert ex.feed("Hello, ") == [TextDelta("Hello, ")]
    assert ex.feed('here: {"a"') == [TextDelta("here: ")]  # the candidate is held
    assert ex.feed(": 1") == []
    assert ex.feed("} ok {") == [
        ObjectDone(0, {"a": 1}, 13, 21),
        TextDelta(" ok "),
    ]  # a '{' at the end: the next non-blank character decides
    assert ex.feed("  ") == []
    assert ex.feed("x") == [TextDelta("{  x")]
    assert ex.close() == []


def test_auto_close_decides_what_was_held() -> None:
    ex = ObjectExtractor()
    assert ex.feed('a {"k": [1, {"n": 2}') == [TextDelta("a ")]
    assert ex.close() == [
        TextDelta('{"k": [1, '),
        ObjectDone(0, {"n": 2}, 12, 20),
    ]
    assert ex.close() == []
    with pytest.raises(RuntimeError):
        ex.feed("more")


# --- auto mode: limits and hostile input ------------------------------------------------


def test_depth_limit_fails_the_candidate_and_the_brackets_open_inside_it() -> None:
    text = "[[[[1]]]] {}"
    events = assert_invariant(text, max_depth=3)
    # [[[[1]]]] nests 4 deep: it fails at its 4th '['; the brackets at 1 and 2 were
    # open there and are not tried again; the one at 3 starts afresh.
    assert objects(events) == [("[1]", 3, 6), ("{}", 10, 12)]
    assert_round_trip(text, events)
    assert objects(extract([text], max_depth=4)) == [("[[[[1]]]]", 0, 9), ("{}", 10, 12)]


def test_length_limit_keeps_values_closed_before_it() -> None:
    text = '{"a": [1], "b": {"c": 22}, "d": [3]} [4]'
    events = assert_invariant(text, max_object_length=20)
    # the object passes 20 characters inside {"c": 22}: [1] closed before that point,
    # {"c": 22} was open there, [3] comes after it and is tried afresh.
    assert objects(events) == [("[1]", 6, 9), ("[3]", 32, 35), ("[4]", 37, 40)]
    assert_round_trip(text, events)
    assert objects(extract([text])) == reference_scan(text)


def _extract_in_reads(text: str, chunk: int) -> list[Event]:
    ex = ObjectExtractor()
    events: list[Event] = []
    for i in range(0, len(text), chunk):
        events += ex.feed(text[i : i + chunk])
    return events + ex.close()


@pytest.mark.parametrize(
    ("unit", "size"),
    [
        ("{", 1_000_000),
        ("[", 1_000_000),
        ('{"a":', 1_000_000),
        # brackets inside strings: each is parsed afresh
        ('{"a":"[', 200_000),
        # quotes that read as JSON both in and out of strings
        ('["[",",[",', 200_000),
        ("[1x", 200_000),
    ],
)
def test_hostile_input_is_linear_and_lossless(unit: str, size: int) -> None:
    small = (unit * (size // 10 // len(unit) + 1))[: size // 10]
    big = (unit * (size // len(unit) + 1))[:size]
    got: list[list[Event]] = []
    # the same characters both ways: the big text once, its tenth ten times.
    # Linear: about the same time; quadratic: 10x.
    # Best of three turns each: one turn on a loaded machine is one sample of its load.
    t_small, t_big = cpu_in_turns(
        lambda: [_extract_in_reads(small, 65536) for _ in range(10)],
        lambda: got.append(_extract_in_reads(big, 65536)),
        rounds=3,
    )
    assert t_big < 3 * t_small, (t_small, t_big)
    events = got[0]
    assert "".join(ev.text for ev in events if type(ev) is TextDelta) == big
    assert not [ev for ev in events if type(ev) is not TextDelta]


# --- ndjson ------------------------------------------------------------------------------


@given(data=st.data())
def test_ndjson_matches_json_loads_per_line_under_any_chunking(data: st.DataObject) -> None:
    text = data.draw(ndjson_text())
    chunks = data.draw(split_points(text))
    events = extract(chunks, mode="ndjson")
    assert records(events) == reference_ndjson(text)  # bad lines never hide good ones
    assert_round_trip(text, events)
    assert_indexes(events)
    assert norm(events) == norm(extract([text], mode="ndjson"))


@given(data=st.data())
def test_ndjson_holds_back_only_the_current_record(data: st.DataObject) -> None:
    text = data.draw(ndjson_text())
    chunks = data.draw(split_points(text))
    ex = ObjectExtractor(mode="ndjson")
    seen = ""
    emitted = 0
    for chunk in chunks:
        seen += chunk
        for ev in ex.feed(chunk):
            emitted += len(ev.text) if type(ev) is TextDelta else ev.end - ev.start  # type: ignore[union-attr]
        line_start = seen.rfind("\n") + 1
        body = len(seen) - len(seen[line_start:].lstrip(" \t\r"))
        assert emitted == body if body < len(seen) else emitted == len(seen)


def test_ndjson_examples() -> None:
    text = '{"a": 1}\r\n\n  [1, 2] \nnot json {\n 3\n"x"'
    events = assert_invariant(text, mode="ndjson")
    assert records(events) == [
        ("ok", '{"a": 1}', 0, 8),
        ("ok", "[1, 2]", 13, 19),
        ("bad", "not json {", 21, 31),
        ("ok", "3", 33, 34),
        ("ok", '"x"', 35, 38),
    ]
    bad = next(ev for ev in events if type(ev) is BadRecord)
    assert isinstance(bad.error, JsonSyntaxError)
    # positions count from the start of the stream
    assert (bad.error.offset, bad.error.line, bad.error.column) == (22, 4, 2)  # the "o" of "not"
    assert_round_trip(text, events)


def test_ndjson_error_positions_are_in_the_stream() -> None:
    events = extract(['{"a": 1}\n  {"b": tru', "x}\n"], mode="ndjson")
    bad = next(ev for ev in events if type(ev) is BadRecord)
    assert bad.text == '{"b": trux}' and (bad.start, bad.end) == (11, 22)
    assert isinstance(bad.error, JsonSyntaxError)
    assert bad.error.kind is ErrorKind.INVALID_LITERAL
    assert (bad.error.offset, bad.error.line, bad.error.column) == (20, 2, 12)
    cut = extract(['[1,\n{"c": 2}'], mode="ndjson")
    assert isinstance(cut[0], BadRecord) and isinstance(cut[0].error, IncompleteJsonError)
    assert records(cut)[1] == ("ok", '{"c": 2}', 4, 12)


def test_ndjson_line_longer_than_the_limit() -> None:
    text = '{"a": "xxxxxxxxxx"}\n{"b": 1}\n'
    events = assert_invariant(text, mode="ndjson", max_object_length=8)
    bad = events[0]
    assert isinstance(bad, BadRecord) and bad.text == '{"a": "x' and (bad.start, bad.end) == (0, 8)
    assert isinstance(bad.error, LimitExceededError) and bad.error.kind is ErrorKind.SIZE_LIMIT
    assert records(events)[1] == ("ok", '{"b": 1}', 20, 28)
    assert_round_trip(text, events)


# --- field events -----------------------------------------------------------------------


def _settled(events: list[Event]) -> list[Event]:
    """Drop the provisional field events of values that were abandoned or bad."""
    out: list[Event] = []
    pending: list[Event] = []
    for ev in events:
        if type(ev) in (ValueStart, StringDelta, ValueDone):
            pending.append(ev)
            continue
        if type(ev) is ObjectDone:
            out += pending
        pending = []
        if type(ev) is not ObjectAbandoned:
            out.append(ev)
    return merge_deltas(out)


@given(data=st.data(), mode=st.sampled_from(["auto", "ndjson"]))
def test_field_events_stream_inside_each_value(data: st.DataObject, mode: str) -> None:
    text = data.draw(free_text() if mode == "auto" else ndjson_text())
    chunks = data.draw(split_points(text))
    events = extract(chunks, mode=mode, fields=True)
    plain = extract([text], mode=mode)
    # without the field events, the same events as without fields=True
    fieldless = [
        ev for ev in _settled(events) if type(ev) not in (ValueStart, StringDelta, ValueDone)
    ]
    assert norm(fieldless) == norm(plain)
    assert norm(_settled(events)) == norm(_settled(extract([text], mode=mode, fields=True)))
    # each value's events are rooted at its index and end with its whole value
    last: dict[int, Any] = {}
    for ev in _settled(events):
        if type(ev) is ValueDone and len(ev.path) == 1:
            last[ev.path[0]] = ev.value  # type: ignore[index]
        elif type(ev) is ObjectDone:
            assert canon(last.pop(ev.index)) == canon(ev.value)
    assert not last


def test_field_events_before_the_object_closes() -> None:
    ex = ObjectExtractor(fields=True)
    assert ex.feed('Result: {"title": "Hel') == [
        TextDelta("Result: "),
        ValueStart((0,), "object"),
        ValueStart((0, "title"), "string"),
        StringDelta((0, "title"), "Hel"),
    ]
    assert ex.feed('lo", "n": 1} {"x": tru') == [
        StringDelta((0, "title"), "lo"),
        ValueDone((0, "title"), "Hello"),
        ValueStart((0, "n"), "number"),
        ValueDone((0, "n"), 1),
        ValueDone((0,), {"title": "Hello", "n": 1}),
        ObjectDone(0, {"title": "Hello", "n": 1}, 8, 34),
        TextDelta(" "),
        ValueStart((1,), "object"),
        ValueStart((1, "x"), "true"),
    ]
    events = ex.feed("ly}")
    assert [type(ev) for ev in events] == [ObjectAbandoned, TextDelta]
    abandoned = events[0]
    assert isinstance(abandoned, ObjectAbandoned) and (abandoned.index, abandoned.start) == (1, 35)
    assert isinstance(abandoned.error, JsonSyntaxError) and abandoned.error.offset == 44
    assert ex.feed(" [2]") == [
        TextDelta(" "),
        ValueStart((1,), "array"),
        ValueStart((1, 0), "number"),
        ValueDone((1, 0), 2),
        ValueDone((1,), [2]),
        ObjectDone(1, [2], 48, 51),
    ]


def test_a_candidate_failing_within_one_feed_shows_no_field_events() -> None:
    events = extract(['a [true story] {"a": [1, 2] x} b'], fields=True)
    assert [type(ev) for ev in events] == [
        TextDelta,
        ValueStart,
        ValueStart,
        ValueDone,
        ValueStart,
        ValueDone,
        ValueDone,
        ObjectDone,
        TextDelta,
    ]
    assert events[7] == ObjectDone(0, [1, 2], 21, 27)


# --- models ------------------------------------------------------------------------------


class Rec(BaseModel):
    id: int
    name: str


_RECORDS = st.lists(
    st.one_of(
        st.builds(lambda i, n: {"id": i, "name": n}, st.integers(-5, 5), st.text(max_size=5)),
        st.builds(lambda n: {"id": "x", "name": n}, st.text(max_size=5)),
        st.just({"name": "no id"}),
        st.just([1, 2]),
    ),
    max_size=6,
)


def _valid(value: Any) -> bool:
    return isinstance(value, dict) and type(value.get("id")) is int and "name" in value


@given(data=st.data(), mode=st.sampled_from(["auto", "ndjson"]))
def test_model_validation(data: st.DataObject, mode: str) -> None:
    values = data.draw(_RECORDS)
    sep = "\n" if mode == "ndjson" else " and "
    text = sep.join(json.dumps(v) for v in values)
    chunks = data.draw(split_points(text))
    events = extract(chunks, mode=mode, model=Rec)
    verdicts = [ev for ev in events if type(ev) in (ObjectDone, ItemInvalid)]
    assert len(verdicts) == len(values)
    assert_indexes(events)
    for value, ev in zip(values, verdicts, strict=True):
        if _valid(value):
            assert isinstance(ev, ObjectDone) and ev.value == Rec(**value)
        else:
            assert isinstance(ev, ItemInvalid) and ev.value == value and ev.errors
    assert list(iter_objects(chunks, mode=mode, model=Rec)) == [
        Rec(**v) for v in values if _valid(v)
    ]
    if any(not _valid(v) for v in values):
        got: list[Rec] = []
        with pytest.raises(ValidationError):
            for rec in iter_objects(chunks, mode=mode, model=Rec, on_invalid="raise"):
                got.append(rec)
        first_bad = next(i for i, v in enumerate(values) if not _valid(v))
        assert got == [Rec(**v) for v in values[:first_bad]]


def test_item_invalid_event() -> None:
    events = extract(['{"id": 1, "name": "a"} {"id": "x", "name": "b"}'], model=Rec)
    assert events[0] == ObjectDone(0, Rec(id=1, name="a"), 0, 22)
    invalid = events[2]
    assert isinstance(invalid, ItemInvalid) and invalid.index == 1
    assert invalid.value == {"id": "x", "name": "b"}
    assert [e["loc"] for e in invalid.errors] == [("id",)]


def test_iterators_on_bad_records() -> None:
    chunks = ['{"a": 1}\nnope\n', "[2]\n"]
    assert list(iter_objects(chunks, mode="ndjson")) == [{"a": 1}, [2]]
    it = iter_objects(chunks, mode="ndjson", on_invalid="raise")
    assert next(it) == {"a": 1}
    with pytest.raises(JsonSyntaxError):
        next(it)
    with pytest.raises(ValueError, match="on_invalid"):
        iter_objects(chunks, on_invalid="ignore")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="mode"):
        ObjectExtractor(mode="jsonl")  # type: ignore[arg-type]


# --- iter_items ------------------------------------------------------------------------------


@st.composite
def item_documents(draw: st.DrawFn) -> tuple[list[Any], tuple[str | int, ...], str, list[int]]:
    """A document with an array of items at a path, and where each item completes."""
    items = draw(st.lists(_VALUES, max_size=6))
    texts = [json.dumps(v, ensure_ascii=draw(st.booleans())) for v in items]
    path: tuple[str | int, ...] = draw(st.sampled_from([(), ("items",), ("data", "rows"), (1,)]))
    head, tail = "[", "]"
    for key in reversed(path):
        if isinstance(key, int):
            head, tail = '[{"x": ["[", 1]}, ' + head, tail + "]"
        else:
            head, tail = '{"before": "{[", ' + json.dumps(key) + ": " + head, tail + ', "z": []}'
    doc = head
    done_at = []
    for i, t in enumerate(texts):
        if i:
            doc += ", "
        doc += t
        # a number is complete only when the character after it comes
        done_at.append(
            len(doc)
            + (1 if isinstance(items[i], (int, float)) and not isinstance(items[i], bool) else 0)
        )
    doc += tail
    return items, path, doc, done_at


@given(data=st.data())
def test_iter_items_yields_each_item_as_it_closes(data: st.DataObject) -> None:
    items, path, doc, done_at = data.draw(item_documents())
    chunks = data.draw(split_points(doc))
    fed = 0
    when: list[int] = []

    def source() -> Iterable[str]:
        nonlocal fed
        for chunk in chunks:
            fed += len(chunk)
            yield chunk

    got = []
    for item in iter_items(source(), path=path):
        got.append(item)
        when.append(fed)
    assert [canon(v) for v in got] == [canon(v) for v in items]
    for i, at in enumerate(when):
        # yielded by the feed of the chunk that completed it, not later
        before = at - len(next(c for c, end in _chunk_ends(chunks) if end == at))
        assert before < done_at[i] <= at, (i, before, done_at[i], at)


def _chunk_ends(chunks: list[str]) -> list[tuple[str, int]]:
    out, at = [], 0
    for c in chunks:
        at += len(c)
        out.append((c, at))
    return out


def test_iter_items_models_and_errors() -> None:
    doc = '{"rows": [{"id": 1, "name": "a"}, {"id": "bad", "name": "b"}, {"id": 3, "name": "c"}]}'
    skipped = iter_items(chunkings(doc).__next__(), path=("rows",), model=Rec, on_invalid="skip")
    assert list(skipped) == [Rec(id=1, name="a"), Rec(id=3, name="c")]
    with pytest.raises(ValidationError):
        list(iter_items([doc], path=("rows",), model=Rec, on_invalid="raise"))
    with pytest.raises(TypeError, match="an object, not an array"):
        list(iter_items([doc]))
    with pytest.raises(LookupError):
        list(iter_items([doc], path=("missing",)))
    with pytest.raises(IncompleteJsonError):
        list(iter_items(['[1, 2, {"a"']))
    got = []
    with pytest.raises(JsonSyntaxError):
        for item in iter_items(['[1, 2, {"a": 3} x']):
            got.append(item)
    assert got == [1, 2, {"a": 3}]


def test_iter_items_raises_at_an_invalid_item_by_default() -> None:
    # The default was "skip": an item that failed validation vanished without a trace.
    doc = '{"rows": [{"id": 1, "name": "a"}, {"id": "bad", "name": "b"}, {"id": 3, "name": "c"}]}'
    for chunks in chunkings(doc):
        got: list[Any] = []
        with pytest.raises(ValidationError):
            for item in iter_items(chunks, path="rows", model=Rec):
                got.append(item)
        assert got == [Rec(id=1, name="a")]

    async def items() -> list[Any]:
        return [item async for item in aiter_items(_agen([doc]), path="rows", model=Rec)]

    with pytest.raises(ValidationError):
        asyncio.run(items())


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("rows", [1, 2]),
        ("data.0.rows", [3]),
        (["data", 0, "rows"], [3]),
        (("data", 0, "rows"), [3]),
        ("", None),
    ],
)
def test_iter_items_takes_the_dotted_path_subscribe_takes(path: Any, expected: Any) -> None:
    # path="rows" was split into ("r", "o", "w", "s") and failed only at the end.
    doc = '{"rows": [1, 2], "data": [{"rows": [3]}]}'
    if expected is None:
        with pytest.raises(TypeError, match="not an array"):
            list(iter_items([doc], path=path))
        return
    for chunks in chunkings(doc):
        assert list(iter_items(chunks, path=path)) == expected


@pytest.mark.parametrize("path", [5, None, b"rows", {"rows"}, ("rows", 1.5), ("rows", True)])
def test_iter_items_refuses_any_other_path_at_the_call(path: Any) -> None:
    def never() -> Iterator[str]:
        raise AssertionError("the chunks must not be read")
        yield ""

    with pytest.raises(TypeError, match="path must be"):
        iter_items(never(), path=path)
    with pytest.raises(TypeError, match="path must be"):
        aiter_items(_agen([]), path=path)


def test_iter_items_refuses_a_wildcard_path() -> None:
    with pytest.raises(ValueError, match="is a pattern"):
        iter_items(["[]"], path="rows.*")


# --- async twins ---------------------------------------------------------------------------------


async def _agen(chunks: list[str]) -> AsyncIterator[str]:
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


async def _alist(ait: AsyncIterator[Any]) -> list[Any]:
    return [x async for x in ait]


@given(data=st.data(), kind=st.sampled_from(["auto", "ndjson", "items"]))
def test_async_twins_match_the_sync_ones(data: st.DataObject, kind: str) -> None:
    if kind == "items":
        items, path, doc, _ = data.draw(item_documents())
        chunks = data.draw(split_points(doc))
        got = asyncio.run(_alist(aiter_items(_agen(chunks), path=path)))
        assert [canon(v) for v in got] == [canon(v) for v in items]
        return
    text = data.draw(free_text() if kind == "auto" else ndjson_text())
    chunks = data.draw(split_points(text))
    got = asyncio.run(_alist(aiter_objects(_agen(chunks), mode=kind)))  # type: ignore[arg-type]
    assert got == list(iter_objects(chunks, mode=kind))  # type: ignore[arg-type]
    assert [canon(v) for v in got] == [canon(v) for v in _oracle(text, kind)]


def _oracle(text: str, mode: str) -> list[Any]:
    if mode == "auto":
        return [json.loads(value) for value, _, _ in reference_scan(text)]
    return [json.loads(value) for ok, value, _, _ in reference_ndjson(text) if ok == "ok"]


def test_async_models() -> None:
    chunks = ['{"id": 1, "name": "a"}\n{"id": "x"', ', "name": "b"}\n']
    got = asyncio.run(_alist(aiter_objects(_agen(chunks), mode="ndjson", model=Rec)))
    assert got == [Rec(id=1, name="a")]
    with pytest.raises(ValidationError):
        asyncio.run(
            _alist(aiter_objects(_agen(chunks), mode="ndjson", model=Rec, on_invalid="raise"))
        )
    doc = ['[{"id": 1, "name": "a"}, {"id": 2, "na', 'me": "b"}]']
    assert asyncio.run(_alist(aiter_items(_agen(doc), model=Rec))) == [
        Rec(id=1, name="a"),
        Rec(id=2, name="b"),
    ]


# --- real recorded streams ------------------------------------------------------------------------


def _content_chunks(path_parts: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    streams = []
    with shared_path(*path_parts).open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            chunks = []
            for event in rec["events"]:
                for choice in event.get("choices") or []:
                    content = (choice.get("delta") or {}).get("content")
                    if isinstance(content, str) and content:
                        chunks.append(content)
            streams.append((rec["id"], chunks))
    return streams


@pytest.mark.shared
def test_real_ndjson_like_stream() -> None:
    [(_, chunks)] = _content_chunks(("corpus", "real", "openai_chat_ndjson_like.jsonl"))
    text = "".join(chunks)
    events = extract(chunks, mode="ndjson")
    assert records(events) == reference_ndjson(text)
    assert [ev.value for ev in events if type(ev) is ObjectDone] == list(range(1, 215))
    assert_round_trip(text, events)
    assert list(iter_objects(chunks, mode="ndjson")) == list(range(1, 215))
    # in auto mode the same text holds no object or array: it is all text
    auto = extract(chunks)
    assert objects(auto) == [] and "".join(ev.text for ev in auto if type(ev) is TextDelta) == text


@pytest.mark.shared
def test_real_markdown_streams_with_json_fences() -> None:
    streams = _content_chunks(("corpus", "real", "openai_chat_markdown.jsonl"))
    found = {}
    for name, chunks in streams:
        text = "".join(chunks)
        events = extract(chunks)
        assert objects(events) == reference_scan(text), name
        assert_round_trip(text, events)
        assert merge_deltas(events) == merge_deltas(extract([text]))
        found[name] = [ev.value for ev in events if type(ev) is ObjectDone]
    assert found["workflowai:fireworks:completion_tool_calls_stream_2"] == [
        {
            "answer": "The Utah Jazz won the game against the Los Angeles Lakers with a score of "
            "131-119 on February 12, 2025."
        }
    ]
    assert found["workflowai:groq_test:test_invalid_json_response:15"] == [
        {"sentiment": "positive"}
    ]
    assert found["workflowai:fireworks:r1_stream_with_reasoning"] == [{"greeting": "hello"}]
    assert (
        found["workflowai:groq:finish_reason_length_stream_response"] == []
    )  # cut off by max_tokens
    [answer] = found["workflowai:mistralai:stream_completion_with_tools_2"]
    assert isinstance(answer, dict) and answer["answer"].startswith("The Utah Jazz defeated")


def test_iterators_close_the_source_when_stopped_early() -> None:
    closed = []

    def source() -> Iterable[str]:
        try:
            yield '{"a": 1} {"b": 2}\n'
            yield "[3]"
        finally:
            closed.append(True)

    for value in iter_objects(source()):
        assert value == {"a": 1}
        break
    assert closed == [True]
    with pytest.raises(JsonSyntaxError):
        list(iter_objects(source(), mode="ndjson", on_invalid="raise"))
    assert closed == [True, True]

    def document() -> Iterable[str]:
        try:
            yield from ["[1, ", "2, ", "3]"]
        finally:
            closed.append(True)

    for item in iter_items(document()):
        assert item == 1
        break
    assert closed == [True, True, True]
    with pytest.raises(TypeError):
        list(iter_items(source()))
    assert closed == [True, True, True, True]
