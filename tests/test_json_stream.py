"""JsonStream: events, values and snapshots under every chunking."""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections import Counter
from typing import Any

import jiter
import pytest
from hypothesis import given
from hypothesis import strategies as st

import midstream
from helpers import (
    assert_chunk_invariant,
    chunkings,
    merge_deltas,
    run,
    split_at,
    split_points,
    token_chunks,
)
from midstream import (
    ErrorKind,
    IncompleteJsonError,
    JsonStream,
    JsonSyntaxError,
    LimitExceededError,
    ParseError,
    StringDelta,
    ValueDone,
    ValueStart,
)
from midstream._events import fast_constructor
from strategies import json_documents, json_text_no_surrogates


def jiter_partial(prefix: str) -> Any:
    """jiter's partial value for a prefix: the snapshot's reference."""
    try:
        return jiter.from_json(prefix.encode(), partial_mode="trailing-strings")
    except ValueError:
        return None


def value_at(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def feed_all(chunks: list[str], **options: Any) -> tuple[JsonStream, list[Any]]:
    parser = JsonStream(**options)
    events: list[Any] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    events += parser.close()
    return parser, events


# --- properties ------------------------------------------------------------------


@given(st.data())
def test_any_document_any_chunking(data: st.DataObject) -> None:
    text = data.draw(json_documents())
    chunks = data.draw(split_points(text))
    parser, events = feed_all(chunks)
    expected = json.loads(text)
    assert parser.value == expected
    # the same events as feeding it whole
    assert merge_deltas(events) == run(JsonStream, [text])[0]
    # every value starts once and is done once, starts before done, in order
    starts = [ev.path for ev in events if isinstance(ev, ValueStart)]
    dones = [ev.path for ev in events if isinstance(ev, ValueDone)]
    assert Counter(starts) == Counter(dones)
    assert max(Counter(dones).values()) == 1
    assert dones[-1] == ()
    # each ValueDone holds the value at its path; deltas join to each string
    deltas: dict[Any, str] = {}
    for ev in events:
        if isinstance(ev, StringDelta):
            assert ev.text, "empty deltas are never emitted"
            deltas[ev.path] = deltas.get(ev.path, "") + ev.text
        elif isinstance(ev, ValueDone):
            assert ev.value == value_at(expected, ev.path)
            if isinstance(ev.value, str):
                assert deltas.get(ev.path, "") == ev.value


@given(st.data(), st.sampled_from(["", " ", "\n", "  x", ',{"b": 2}', " 7", "\n\n\"s\\n"]))
def test_feed_until_done_any_chunking(data: st.DataObject, tail: str) -> None:
    # What a stream of several values relies on (tool-call arguments, JSON
    # lines): feed_until_done() stops right after the root under any chunking,
    # says where, and gives the events of feeding the value alone.
    text = data.draw(json_documents())
    chunks = data.draw(split_points(text + tail))
    parser = JsonStream()
    events: list[Any] = []
    consumed = 0
    for chunk in chunks:
        if parser.done:
            assert parser.feed_until_done(chunk) == ([], 0)
            continue
        got, used = parser.feed_until_done(chunk)
        assert 0 <= used <= len(chunk)
        assert used == len(chunk) or parser.done
        events += got
        consumed += used
    if not parser.done:  # a root number that the text ends
        events += parser.close()
    assert parser.value == json.loads(text)
    assert merge_deltas(events) == run(JsonStream, [text])[0]
    # what was consumed is the value and the whitespace before it, no more
    assert (text + tail)[:consumed] == text.rstrip(" \t\n\r")


@given(st.data())
def test_snapshot_is_jiters_partial_value_at_every_boundary(data: st.DataObject) -> None:
    text = data.draw(json_documents(json_text_no_surrogates))
    chunks = data.draw(split_points(text))
    parser = JsonStream()
    prefix = ""
    for chunk in chunks:
        parser.feed(chunk)
        prefix += chunk
        assert parser.snapshot() == jiter_partial(prefix), prefix
    parser.close()
    assert parser.snapshot() == json.loads(text)


@given(st.data())
def test_one_delta_per_string_per_feed(data: st.DataObject) -> None:
    text = data.draw(json_documents())
    parser = JsonStream()
    for chunk in data.draw(split_points(text)):
        paths = [ev.path for ev in parser.feed(chunk) if isinstance(ev, StringDelta)]
        assert len(paths) == len(set(paths))


# Pieces of a string's source text: escapes stay whole, text may be cut anywhere.
_escape_pieces = st.one_of(
    st.sampled_from(["\\n", '\\"', "\\\\", "\\/", "\\b", "\\f", "\\r", "\\t"]),
    st.integers(0, 0xFFFF).map(lambda code: f"\\u{code:04x}"),  # lone surrogates included
    st.integers(0x10000, 0x10FFFF).map(  # a pair, which may be cut between its halves
        lambda code: f"\\u{0xD800 + ((code - 0x10000) >> 10):04X}"
        f"\\u{0xDC00 + ((code - 0x10000) & 0x3FF):04x}"
    ),
)
_text_pieces = st.text(  # what needs no escape: the characters the fast paths skip over
    st.one_of(
        st.characters(codec="utf-8", exclude_characters='"\\', min_codepoint=0x20),
        st.sampled_from("/é€😀\u2028\x7f"),
    ),
    min_size=1,
)


def _held_back_expectations(pieces: list[str]) -> tuple[str, list[tuple[int, int]], set[int]]:
    """The body, the span of every escape, and the ends of the high-surrogate escapes.

    Each ``\\uXXXX`` is an escape of its own, also the two halves of a pair: a
    pair is two escapes, and json's decoder (the oracle) joins them. The spans
    come from the pieces, not from scanning the body, which cannot tell an
    escaped backslash followed by ``u`` from an escape.
    """
    spans: list[tuple[int, int]] = []
    high_ends: set[int] = set()
    at = 0
    for piece in pieces:
        if piece.startswith("\\u"):
            for unit in range(at, at + len(piece), 6):
                spans.append((unit, unit + 6))
                if 0xD800 <= int(piece[unit - at + 2 : unit - at + 6], 16) <= 0xDBFF:
                    high_ends.add(unit + 6)
        elif piece.startswith("\\"):
            spans.append((at, at + len(piece)))
        at += len(piece)
    return "".join(pieces), spans, high_ends


def _assert_held_back_only_while_unfinished(pieces: list[str], chunks: list[str]) -> None:
    body, spans, high_ends = _held_back_expectations(pieces)
    assert "".join(chunks) == body
    parser = JsonStream()
    parser.feed('["')
    emitted = ""
    fed = 0
    for chunk in chunks:
        emitted += "".join(ev.text for ev in parser.feed(chunk) if isinstance(ev, StringDelta))
        fed += len(chunk)
        # everything up to the escape the chunk end cut short, if any
        ready = next((start for start, end in spans if start < fed < end), fed)
        expected = json.loads(f'"{body[:ready]}"')
        if ready in high_ends:
            # a high surrogate is the last escape read: it waits for the next
            # escape, which may be its low half. Once that escape is complete
            # and is not a low half, the high one is a lone surrogate and out.
            expected = expected[:-1]
        assert emitted == expected, (body, fed)
    events = parser.feed('"]')
    emitted += "".join(ev.text for ev in events if isinstance(ev, StringDelta))
    assert emitted == json.loads(f'"{body}"')
    assert events[-1] == ValueDone((), [emitted])


@given(st.lists(st.one_of(_escape_pieces, _text_pieces), max_size=12), st.data())
def test_string_text_is_held_back_only_while_an_escape_is_unfinished(
    pieces: list[str], data: st.DataObject
) -> None:
    _assert_held_back_only_while_unfinished(pieces, data.draw(split_points("".join(pieces))))


@pytest.mark.parametrize(
    "pieces",
    [
        # a lone high surrogate, then a pair: once the second high escape is
        # complete, the first is known to be lone and goes out (hypothesis found
        # this one, when the test took the pair for a single escape)
        ["\\ud800", "\\uD800\\udc00"],
        ["\\ud800", "\\udc00"],  # two lone escapes that make a pair
        ["\\ud800", "\\ud800", "x"],
        ["\\ud83d", "\\n", "\\ude00"],
        ["\\\\", "ud800"],  # an escaped backslash, then text: no escape at all
    ],
)
def test_string_text_held_back_examples(pieces: list[str]) -> None:
    for chunks in chunkings("".join(pieces), tokens=False):
        _assert_held_back_only_while_unfinished(pieces, chunks)


@given(st.data())
def test_strict_prefix_never_raises_until_close(data: st.DataObject) -> None:
    text = data.draw(json_documents())
    cut = data.draw(st.integers(0, len(text)))
    parser = JsonStream()
    for chunk in data.draw(split_points(text[:cut])):
        parser.feed(chunk)
    try:
        parser.close()
    except IncompleteJsonError as exc:
        assert exc.offset == cut
    else:
        assert parser.value == json.loads(text[:cut])


@given(st.text(max_size=40), st.data())
def test_arbitrary_text_raises_only_parse_errors(text: str, data: st.DataObject) -> None:
    outcome = run(JsonStream, [text])
    try:
        expected: Any = ("value", json.loads(text))
    except (ValueError, RecursionError):
        expected = None
    if "NaN" in text or "Infinity" in text:
        expected = None  # midstream rejects them, json.loads does not
    if expected is None:
        assert outcome[1] is not None
    else:
        assert outcome[0][-1] == ValueDone((), expected[1])
    assert run(JsonStream, data.draw(split_points(text)))[1] == outcome[1]


@given(st.binary(max_size=40), st.data())
def test_bytes_any_chunking(raw: bytes, data: st.DataObject) -> None:
    points = data.draw(st.lists(st.integers(0, len(raw)), max_size=8))
    cuts = sorted(points)
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    assert run(JsonStream, pieces) == run(JsonStream, [raw])


# --- examples, every chunking --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\ud83d\\ude00\\n"], "b": {}}',
        '"\\ud800"',  # a lone high surrogate, kept as json.loads keeps it
        '"\\ud800\\u0041"',
        '"\\udc00\\ud800"',
        '"\\ud83d\\ude00\\ud83d"',
        "[[[[[]]]], {}, [{}], 0, -0, -0.0, 1E+2, 1e-2, 123456789012345678901234567890]",
        '  \r\n\t{ "k" : "v" }  \n',
        '"a\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti"',
        "12",
        "-0.5e-7",
        '{"a":1,"a":2}',
    ],
)
def test_examples_under_every_chunking(text: str) -> None:
    events, error = assert_chunk_invariant(JsonStream, text, tokens=False)
    assert error is None
    assert events[-1] == ValueDone((), json.loads(text))


def test_duplicate_keys_report_both_and_the_last_wins() -> None:
    events, _ = run(JsonStream, ['{"a": 1, "a": [2]}'])
    dones = [ev for ev in events if isinstance(ev, ValueDone) and len(ev.path) < 2]
    assert dones[:2] == [ValueDone(("a",), 1), ValueDone(("a",), [2])]
    assert dones[-1].value == {"a": [2]}


def test_string_delta_is_emitted_in_the_feed_that_brings_it() -> None:
    parser = JsonStream()
    assert parser.feed('{"a": "he') [-1] == StringDelta(("a",), "he")
    assert parser.feed("l") == [StringDelta(("a",), "l")]
    # an escape cut short is held back, and only that
    assert parser.feed("\\") == []
    assert parser.feed("u00") == []
    assert parser.feed("e9!") == [StringDelta(("a",), "é!")]
    # a high surrogate waits for its low half
    assert parser.feed("\\ud83d") == []
    assert parser.feed("\\ude00") == [StringDelta(("a",), "😀")]
    assert parser.feed('"') == [ValueDone(("a",), "hel" + "é!😀")]


def test_numbers_complete_with_the_next_character() -> None:
    parser = JsonStream()
    assert parser.feed("[12") == [ValueStart((), "array"), ValueStart((0,), "number")]
    assert parser.snapshot() == [12]
    assert parser.feed("3") == []
    assert parser.feed("]") == [ValueDone((0,), 123), ValueDone((), [123])]

    root = JsonStream()
    assert root.feed("42") == [ValueStart((), "number")]
    assert root.close() == [ValueDone((), 42)]
    assert root.value == 42


def test_literals_complete_with_their_last_character() -> None:
    parser = JsonStream()
    parser.feed("[tr")
    assert parser.snapshot() == []
    assert parser.feed("ue") == [ValueDone((0,), True)]


def test_snapshot_drops_a_number_that_stops_being_valid() -> None:
    parser = JsonStream()
    parser.feed('{"x": 1')
    assert parser.snapshot() == {"x": 1}
    parser.feed(".")
    assert parser.snapshot() == {}
    parser.feed("5")
    assert parser.snapshot() == {"x": 1.5}
    parser.feed("}")
    assert parser.snapshot() == {"x": 1.5}


def test_snapshot_before_anything_and_for_root_scalars() -> None:
    parser = JsonStream()
    assert parser.snapshot() is None
    parser.feed("  ")
    assert parser.snapshot() is None
    parser.feed('"ab')
    assert parser.snapshot() == "ab"
    number = JsonStream()
    number.feed("-")
    assert number.snapshot() is None
    number.feed("1")
    assert number.snapshot() == -1


def test_feed_until_done_stops_after_the_root_value() -> None:
    parser = JsonStream()
    events, used = parser.feed_until_done('  {"a": [1]} tail {')
    assert used == len('  {"a": [1]}')
    assert parser.done and parser.value == {"a": [1]}
    assert events[-1] == ValueDone((), {"a": [1]})
    assert parser.feed_until_done("more") == ([], 0)

    number = JsonStream()
    assert number.feed_until_done("12")[1] == 2
    events, used = number.feed_until_done("3,")
    assert used == 1 and events == [ValueDone((), 123)]


def test_bytes_with_split_multibyte_characters_and_bom() -> None:
    raw = '\ufeff{"k": "é😀"}'.encode()
    events, error = run(JsonStream, [raw[i : i + 1] for i in range(len(raw))])
    assert error is None and events[-1] == ValueDone((), {"k": "é😀"})


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_bytes_like_chunks_are_decoded_and_other_types_refused(wrap: Any) -> None:
    # the same on the pure Python and the compiled build (CI runs both)
    text = '{"k": ["é😀", 1]}'
    data = text.encode()
    assert run(JsonStream, [wrap(data[i : i + 1]) for i in range(len(data))]) == run(
        JsonStream, [text]
    )
    for wrong in (5, None, ["[1]"]):
        with pytest.raises(TypeError):
            JsonStream().feed(wrong)  # type: ignore[arg-type]


@pytest.mark.parametrize("sign", ["-", "+"])
def test_an_exponent_sign_without_digits_says_a_digit_in_the_exponent(sign: str) -> None:
    # The message of "1e-x" said "a digit" (the clause for an exponent's '-' never
    # ran) while "1e+x" said "a digit in the exponent": the same place, one message.
    for text in (f"[1e{sign}x]", f"[1E{sign}]"):
        with pytest.raises(JsonSyntaxError) as info:
            feed_and_close(JsonStream(), text)
        assert info.value.kind is ErrorKind.INVALID_NUMBER
        assert "expected a digit in the exponent" in info.value.msg, info.value.msg
    # a leading '-' still wants the number's first digit
    with pytest.raises(JsonSyntaxError) as info:
        feed_and_close(JsonStream(), "[-x]")
    assert "expected a digit," in info.value.msg


def feed_and_close(parser: JsonStream, text: str) -> None:
    parser.feed(text)
    parser.close()


@pytest.mark.parametrize(
    ("data", "bad"),
    [
        pytest.param('["é", x]'.encode(), 7, id="syntax-after-non-ascii"),
        pytest.param('{"é": 1,\n "ü" 2}'.encode(), 16, id="colon-on-line-2"),
        pytest.param('"naïve'.encode(), 7, id="unterminated-at-end"),
        pytest.param(b'\xef\xbb\xbf[1, x]', 7, id="after-a-bom"),
        pytest.param('["€", "'.encode() + b"\xff", 9, id="utf8-after-non-ascii"),
    ],
)
def test_a_parser_fed_bytes_reports_every_offset_in_bytes(data: bytes, bad: int) -> None:
    # Offsets were bytes for INVALID_UTF8 and characters for every other error
    # of the same parser: one unit now, the bytes as fed, under every chunking.
    for chunks in chunkings(data.decode("latin-1"), tokens=False):
        _, error = run(JsonStream, [c.encode("latin-1") for c in chunks])
        assert error is not None and error[1] == bad, (chunks, error)
    with pytest.raises(ParseError) as info:
        feed_and_close(JsonStream(), data)  # type: ignore[arg-type]
    assert info.value.unit == "byte"
    assert str(info.value).endswith(f"(byte {bad})")
    if info.value.kind is ErrorKind.INVALID_UTF8:
        return
    # fed as text, the same document counts characters
    text = data.decode("utf-8-sig")
    with pytest.raises(ParseError) as info:
        feed_and_close(JsonStream(), text)
    assert info.value.unit == "char"
    assert info.value.offset == len(data[:bad].decode("utf-8-sig"))


def test_invalid_utf8_reports_its_byte_offset() -> None:
    parser = JsonStream()
    parser.feed(b'["ab')
    with pytest.raises(JsonSyntaxError) as info:
        parser.feed(b'c\xff"]')
    assert info.value.kind is ErrorKind.INVALID_UTF8
    assert info.value.offset == 5


# --- errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "offset"),
    [
        ('{"a" 1}', ErrorKind.UNEXPECTED_CHARACTER, 5),
        ("[1,]", ErrorKind.UNEXPECTED_CHARACTER, 3),
        ('{"a":1,}', ErrorKind.UNEXPECTED_CHARACTER, 7),
        ("[01]", ErrorKind.INVALID_NUMBER, 2),
        ("[1.]", ErrorKind.INVALID_NUMBER, 3),
        ("[-]", ErrorKind.INVALID_NUMBER, 2),
        ("[1e+]", ErrorKind.INVALID_NUMBER, 4),
        ("[NaN]", ErrorKind.UNEXPECTED_CHARACTER, 1),
        ("[-Infinity]", ErrorKind.INVALID_NUMBER, 2),
        ("[trve]", ErrorKind.INVALID_LITERAL, 3),
        ('["\\x"]', ErrorKind.INVALID_ESCAPE, 2),
        ('["\\u12G4"]', ErrorKind.INVALID_ESCAPE, 6),
        ('["a\nb"]', ErrorKind.CONTROL_CHARACTER, 3),
        ("[1] x", ErrorKind.EXTRA_DATA, 4),
        ("\ufeff[]", ErrorKind.UNEXPECTED_CHARACTER, 0),
        ('{"a":\n  [1,\n   2 3]}', ErrorKind.UNEXPECTED_CHARACTER, 17),
    ],
)
def test_syntax_errors_have_kind_and_offset_under_every_chunking(
    text: str, kind: ErrorKind, offset: int
) -> None:
    _, error = assert_chunk_invariant(JsonStream, text, tokens=False)
    assert error == (kind, offset)
    with pytest.raises(json.JSONDecodeError) as reference:
        json.loads(text.replace("NaN", "nan").replace("Infinity", "x"))
    # where json.loads reports a position for the same mistake, it is the same
    # (for escapes, numbers and literals midstream points at the offending
    # character, json.loads at the start of the token)
    if kind in (ErrorKind.UNEXPECTED_CHARACTER, ErrorKind.EXTRA_DATA, ErrorKind.CONTROL_CHARACTER):
        assert reference.value.pos == offset


def test_error_message_position_and_poisoning() -> None:
    parser = JsonStream()
    parser.feed('{"a":\n  [1,\n')
    with pytest.raises(JsonSyntaxError) as info:
        parser.feed("   2 3]}")
    error = info.value
    assert isinstance(error, ValueError) and isinstance(error, ParseError)
    assert (error.offset, error.line, error.column) == (17, 3, 6)
    assert "Expecting ',' delimiter or ']', found '3'" in str(error)
    assert str(error).endswith("line 3 column 6 (char 17)")
    with pytest.raises(JsonSyntaxError) as again:
        parser.feed("]")
    assert again.value is error
    with pytest.raises(JsonSyntaxError):
        parser.close()
    clone = pickle.loads(pickle.dumps(error))
    assert (clone.kind, clone.offset, str(clone)) == (error.kind, error.offset, str(error))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "Expecting a value"),
        ('{"a": "b', "Unterminated string starting at line 1 column 7"),
        ('{"a', "Unterminated property name"),
        ("[1, 2", "still open: array"),
        ('{"a": {"b": [tru', "Unfinished literal 'tru'"),
        ("-", "Unfinished number '-'"),
        ('["\\u00', "Unterminated string"),
    ],
)
def test_close_says_what_is_unfinished(text: str, needle: str) -> None:
    for chunks in chunkings(text, tokens=False):
        parser = JsonStream()
        events = []
        for chunk in chunks:
            events += parser.feed(chunk)
        with pytest.raises(IncompleteJsonError) as info:
            parser.close()
        assert needle in str(info.value)
        assert info.value.offset == len(text)
        assert info.value.kind is ErrorKind.UNEXPECTED_END
    # what was parsed before still stands
    assert run(JsonStream, ["[1, 2"])[1] == (ErrorKind.UNEXPECTED_END, 5)


def test_events_before_an_error_stay_valid() -> None:
    parser = JsonStream()
    events = parser.feed('[{"a": "ok"}, ')
    with pytest.raises(JsonSyntaxError):
        parser.feed("}")
    assert ValueDone((0,), {"a": "ok"}) in events
    assert parser.snapshot() == [{"a": "ok"}]


# --- limits ------------------------------------------------------------------------


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deep_nesting_is_a_clean_limit_error(opener: str) -> None:
    parser = JsonStream()
    with pytest.raises(LimitExceededError) as info:
        for _ in range(100_000):
            parser.feed(opener)
    assert info.value.kind is ErrorKind.DEPTH_LIMIT
    assert parser.depth == midstream.DEFAULT_MAX_DEPTH
    assert "max_depth" in str(info.value)
    shallow = JsonStream(max_depth=3)
    shallow.feed("[[[")
    with pytest.raises(LimitExceededError):
        shallow.feed("[")


def test_string_and_number_limits() -> None:
    parser = JsonStream(max_string_length=10)
    parser.feed('["' + "x" * 10)
    with pytest.raises(LimitExceededError) as info:
        parser.feed("y")
    assert info.value.kind is ErrorKind.STRING_LIMIT
    assert info.value.offset == 12

    number = JsonStream(max_number_length=5)
    number.feed("[1234")
    with pytest.raises(LimitExceededError) as num_info:
        number.feed("56]")
    assert num_info.value.kind is ErrorKind.NUMBER_LIMIT

    with pytest.raises(ValueError, match="max_depth"):
        JsonStream(max_depth=0)


def test_huge_integer_is_a_limit_error_not_a_bare_value_error() -> None:
    digits = "9" * 5000
    _, error = run(lambda: JsonStream(max_number_length=10_000), [f"[{digits}]"])
    assert error == (ErrorKind.NUMBER_LIMIT, 1)
    assert run(JsonStream, ["1e999999"])[0][-1] == ValueDone((), float("inf"))


# --- paths and subscriptions ----------------------------------------------------------


def test_subscribe_runs_callbacks_for_matching_paths_in_document_order() -> None:
    text = json.dumps(
        {"title": "T", "sections": [{"heading": "A", "body": "x"}, {"heading": "B"}]}
    )
    for chunks in chunkings(text, tokens=False):
        parser = JsonStream()
        seen: list[tuple[Any, ...]] = []
        parser.subscribe("sections.*.heading", lambda ev, out=seen: out.append((ev.path, ev.value)))
        starts: list[Any] = []
        stop = parser.subscribe("**", starts.append, event=ValueStart)
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
        assert seen == [(("sections", 0, "heading"), "A"), (("sections", 1, "heading"), "B")]
        assert len(starts) == 8
        stop()


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("", (), True),
        ("", ("a",), False),
        ("a.*.b", ("a", 3, "b"), True),
        ("a.*.b", ("a", "k", "b"), True),
        ("a.*.b", ("a", 3, "c"), False),
        ("a.2", ("a", 2), True),
        ("a.2", ("a", "2"), True),
        ("a.2", ("a", 3), False),
        ("**", ("x", 1, "y"), True),
        ("**.id", ("id",), True),
        ("**.id", ("a", 0, "id"), True),
        ("**.id", ("a", 0, "idx"), False),
        ("a.**.z", ("a", "z"), True),
        ("a.**.z", ("a", 1, 2, "z"), True),
        (("a.b", "*"), ("a.b", 0), True),
    ],
)
def test_path_patterns(pattern: Any, path: tuple[Any, ...], expected: bool) -> None:
    assert midstream.PathPattern(pattern).match(path) is expected


def test_path_pattern_rejects_empty_segments() -> None:
    with pytest.raises(ValueError, match="empty segment"):
        midstream.PathPattern("a..b")


@pytest.mark.parametrize("pattern", ["a.²", "a.\u0663", "x.1.\u00b2\u00b3"])
def test_path_pattern_refuses_digits_other_than_ascii_naming_the_pattern(pattern: str) -> None:
    # "a.²" leaked int()'s "invalid literal for int() with base 10" (str.isdigit()
    # takes superscripts), and "a.\u0663" (an Arabic-Indic three) matched index 3.
    with pytest.raises(ValueError, match="invalid path pattern") as info:
        midstream.PathPattern(pattern)
    assert repr(pattern) in str(info.value)
    assert midstream.PathPattern(tuple(pattern.split("."))).match(tuple(pattern.split(".")))


def test_a_segment_not_in_canonical_int_form_is_a_key_only() -> None:
    # "a.01" matched index 1 but not the key "01" it is spelt as.
    assert midstream.PathPattern("a.01").match(("a", "01"))
    assert not midstream.PathPattern("a.01").match(("a", 1))
    assert not midstream.PathPattern("a.00").match(("a", 0))
    assert midstream.PathPattern("a.0").match(("a", 0))
    assert midstream.PathPattern("a.10").match(("a", 10))
    assert midstream.PathPattern("a.10").match(("a", "10"))


# --- real chunk boundaries ------------------------------------------------------------


def test_documents_at_tokenizer_boundaries() -> None:
    doc = json.dumps(
        {
            "title": "Quarterly report — Q3",
            "items": [{"sku": f"A-{i}", "qty": i, "price": i * 1.25, "ok": i % 2 == 0}
                      for i in range(40)],
            "notes": "Line one\nLine \"two\"\t😀 and \\ backslash",
        },
        indent=2,
        ensure_ascii=False,
    )
    chunks = token_chunks(doc)
    assert len(chunks) > 100
    parser, events = feed_all(chunks)
    assert parser.value == json.loads(doc)
    assert merge_deltas(events) == run(JsonStream, [doc])[0]
    assert run(JsonStream, split_at(doc, [])) == run(JsonStream, chunks)


def test_events_of_the_failing_call_come_with_the_error() -> None:
    for chunks in (['[1, "a", {"b": tru', "e}, 2 3]"], ['[1, "a", {"b": true}, 2 3]']):
        parser = JsonStream()
        events: list[Any] = []
        with pytest.raises(JsonSyntaxError) as info:
            for chunk in chunks:
                events += parser.feed(chunk)
        events += info.value.events
        assert [ev for ev in events if isinstance(ev, ValueDone)] == [
            ValueDone((0,), 1),
            ValueDone((1,), "a"),
            ValueDone((2, "b"), True),
            ValueDone((2,), {"b": True}),
            ValueDone((3,), 2),
        ]


def test_events_are_frozen_and_equal_to_their_constructed_twins() -> None:
    # the parser builds events with fast_constructor, not the dataclass's __init__
    p = JsonStream()
    events = p.feed('{"a": "x", "b": [1]}')
    assert events == [
        ValueStart((), "object"),
        ValueStart(("a",), "string"),
        StringDelta(("a",), "x"),
        ValueDone(("a",), "x"),
        ValueStart(("b",), "array"),
        ValueStart(("b", 0), "number"),
        ValueDone(("b", 0), 1),
        ValueDone(("b",), [1]),
        ValueDone((), {"a": "x", "b": [1]}),
    ]
    assert hash(events[2]) == hash(StringDelta(("a",), "x"))
    assert repr(events[2]) == "StringDelta(path=('a',), text='x')"
    with pytest.raises(dataclasses.FrozenInstanceError):
        events[2].text = "y"  # type: ignore[misc]


def test_fast_constructor_falls_back_to_the_class_when_layouts_differ() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class NotAnEvent:  # not based on Event: no twin of one layout can become it
        a: int
        b: str

    assert fast_constructor(NotAnEvent) is NotAnEvent
    build = fast_constructor(StringDelta)
    assert build is not StringDelta
    event = build(("k",), "text")
    assert type(event) is StringDelta and event == StringDelta(("k",), "text")


def test_unsubscribing_the_last_callback_stops_dispatch() -> None:
    seen: list[Any] = []
    p = JsonStream()
    stop = p.subscribe("*", seen.append)
    p.feed('{"a": 1, ')
    stop()
    p.feed('"b": 2}')
    assert seen == [ValueDone(("a",), 1)]


def test_unsubscribing_inside_a_callback_takes_effect_at_once_and_twice_is_harmless() -> None:
    # It raised "list.remove(x): x not in list" (twice), and a callback removed by
    # another one in the same call still saw the rest of that call's events.
    seen: list[Any] = []
    p = JsonStream()

    def once(event: Any) -> None:
        seen.append(("once", event.value))
        stop_once()

    def stopper(event: Any) -> None:
        seen.append(("stopper", event.value))
        stop_other()

    stop_once = p.subscribe("*", once)
    p.subscribe("*", stopper)
    stop_other = p.subscribe("*", lambda event: seen.append(("other", event.value)))
    p.feed("[1, 2, 3]")
    assert seen == [("once", 1), ("stopper", 1), ("stopper", 2), ("stopper", 3)]
    stop_once()
    stop_other()  # both already removed: nothing happens
    p.close()


def test_a_callback_that_raises_propagates_with_the_events_of_the_call() -> None:
    # The events of that feed() were lost, and the other callbacks went on.
    text = '{"a": [1, 2], "b": "xyz", "c": {"d": null}}'
    expected = run(JsonStream, [text])[0]
    for chunks in chunkings(text):
        p = JsonStream()
        calls: list[Any] = []

        def explode(event: Any, calls: list[Any] = calls) -> None:
            calls.append(event)
            raise KeyError(event.path)

        p.subscribe("**", explode)
        p.subscribe("**", calls.append)  # never reached: the first callback raises
        events: list[Any] = []
        for chunk in [*chunks, None]:
            before = len(calls)
            try:
                got = p.feed(chunk) if chunk is not None else p.close()
            except KeyError as exc:
                got = exc.events  # type: ignore[attr-defined]
                # the call's events, all of them, the failing one among them
                assert len(calls) == before + 1 and calls[-1] in got
                assert calls[-1] == next(e for e in got if type(e) is ValueDone)
            else:
                assert not any(type(e) is ValueDone for e in got)
            events += got
        # nothing lost: the parser went on as if no callback had raised
        assert merge_deltas(events) == expected, chunks
        assert p.value == json.loads(text)
