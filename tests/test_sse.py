"""SSEDecoder: the WHATWG event-stream rules under every chunking, and real streams replayed."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import midstream
from helpers import chunkings, run, shared_path, split_at, split_points
from midstream import (
    ErrorKind,
    IncompleteJsonError,
    JsonSyntaxError,
    LimitExceededError,
    ParseError,
    ServerSentEvent,
    SSEDecoder,
    iter_sse,
    iter_sse_json,
)


def decode(chunks: Any, **options: Any) -> list[ServerSentEvent]:
    decoder = SSEDecoder(**options)
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    events += decoder.close()
    return events


def decode_all_ways(stream: str) -> list[ServerSentEvent]:
    """Decode ``stream`` whole, as text and as bytes under many chunkings; all must agree."""
    expected = decode([stream])
    for chunks in chunkings(stream, tokens=False):
        assert decode(chunks) == expected, f"text chunking {chunks!r} differs"
    raw = stream.encode()
    cuts = range(len(raw) + 1) if len(raw) <= 80 else random.Random(0).sample(range(len(raw)), 80)
    for cut in cuts:
        assert decode([raw[:cut], raw[cut:]]) == expected, f"byte split at {cut} differs"
    assert decode([raw[i : i + 1] for i in range(len(raw))]) == expected
    return expected


def msg(
    data: str, id: str = "", event: str = "message", retry: int | None = None
) -> ServerSentEvent:
    return ServerSentEvent(event=event, data=data, id=id, retry=retry)


# --- the spec's own examples ----------------------------------------------------
# https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation


def test_spec_stock_ticker_multiline_data() -> None:
    assert decode_all_ways("data: YHOO\ndata: +2\ndata: 10\n\n") == [msg("YHOO\n+2\n10")]


def test_spec_comment_ids_and_leading_space() -> None:
    stream = (
        ": test stream\n"
        "\n"
        "data: first event\n"
        "id: 1\n"
        "\n"
        "data:second event\n"
        "id\n"
        "\n"
        "data:  third event\n"
        "\n"
    )
    assert decode_all_ways(stream) == [
        msg("first event", id="1"),
        msg("second event", id=""),
        msg(" third event", id=""),
    ]


def test_spec_empty_data_and_undispatched_last_block() -> None:
    # Fires an event with "" and one with "\n"; the last block has no blank line.
    assert decode_all_ways("data\n\ndata\ndata\n\ndata:") == [msg(""), msg("\n")]


def test_spec_space_after_colon_is_optional() -> None:
    assert decode_all_ways("data:test\n\ndata: test\n\n") == [msg("test"), msg("test")]


def test_spec_event_types() -> None:
    stream = (
        "event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n"
    )
    assert decode_all_ways(stream) == [
        msg("73857293", event="add"),
        msg("2153", event="remove"),
        msg("113411", event="add"),
    ]


def test_spec_end_of_stream_is_not_a_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed("data: almost\n") == []
    assert decoder.close() == []


# --- line ends -------------------------------------------------------------------


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_every_line_end(eol: str) -> None:
    stream = f"event: e{eol}data: a{eol}data: b{eol}{eol}data: c{eol}{eol}"
    assert decode_all_ways(stream) == [msg("a\nb", event="e"), msg("c")]


def test_crlf_across_chunks_is_one_line_end() -> None:
    # "\r" | "\n" must not read as a line end followed by a blank line.
    assert decode([b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]) == [msg("a\nb")]


def test_cr_at_chunk_end_dispatches_without_waiting() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r\r") == [msg("a")]
    assert decoder.feed(b"\ndata: b\n\n") == [msg("b")]


def test_empty_chunks_keep_the_carried_cr() -> None:
    assert decode([b"data: a\r", b"", "", b"\n", b"", b"\r\n"]) == [msg("a")]


def test_lone_lf_after_cr_chunk_end_is_skipped_only_once() -> None:
    assert decode([b"data: a\r", b"\n\n"]) == [msg("a")]


# --- UTF-8 and the BOM ------------------------------------------------------------


def test_multibyte_characters_split_across_chunks() -> None:
    text = "data: héllo € 😀 中文\n\n"
    raw = text.encode()
    for points in ([7], [8], [13, 14, 15], list(range(len(raw)))):
        assert decode(split_at(raw, points)) == [msg("héllo € 😀 中文")]  # type: ignore[arg-type]


def test_bom_split_across_chunks_is_stripped() -> None:
    assert decode([b"\xef", b"\xbb", b"\xbf", b"data: x\n\n"]) == [msg("x")]
    assert decode(["\ufeff", "data: x\n\n"]) == [msg("x")]


def test_bom_is_stripped_only_once() -> None:
    # A second BOM is part of the field name "\ufeffdata", which is ignored.
    raw = "\ufeffdata: x\n\n\ufeffdata: y\n\n".encode()
    assert decode([raw]) == [msg("x")]


def test_invalid_utf8_becomes_replacement_characters() -> None:
    raw = b"data: a\xffb\xe2\x82\n\ndata: \xf0\x9f\n\n"
    expected = [msg("a\ufffdb\ufffd"), msg("\ufffd")]
    assert raw.decode("utf-8", "replace") == "data: a\ufffdb\ufffd\n\ndata: \ufffd\n\n"
    for cut in range(len(raw) + 1):
        assert decode([raw[:cut], raw[cut:]]) == expected


def test_bytes_then_text_mid_character() -> None:
    assert decode([b"data: \xe2\x82", "!\n\n"]) == [msg("\ufffd!")]


# --- fields -----------------------------------------------------------------------


def test_comments_unknown_fields_and_fields_without_colon() -> None:
    stream = (
        ":comment\n"
        ": another\n"
        "field: an unknown field\n"
        "data : has a space before the colon, so it is not data\n"
        "this line has no colon\n"
        "\n"  # nothing dispatched: no data
        "data\n"  # no colon: a data field with an empty value
        "data:\n"
        "data\n"
        "\n"
        "data: a: b:c\n"  # only the first colon splits
        "\n"
    )
    assert decode_all_ways(stream) == [msg("\n\n"), msg("a: b:c")]


def test_only_one_leading_space_is_removed() -> None:
    assert decode_all_ways("data:   x  \nevent:  e\n\n") == [msg("  x  ", event=" e")]


def test_event_type_is_reset_after_each_block() -> None:
    stream = "event: a\ndata: 1\n\ndata: 2\n\nevent: lost\n\ndata: 3\n\nevent:\ndata: 4\n\n"
    assert decode_all_ways(stream) == [msg("1", event="a"), msg("2"), msg("3"), msg("4")]


def test_last_event_id_persists_and_is_never_reset() -> None:
    stream = (
        "id: 1\ndata: a\n\n"
        "data: b\n\n"  # keeps "1"
        "id: 2\n\n"  # no data: no event, but the id changes
        "data: c\n\n"
        "id: x\0y\ndata: d\n\n"  # NUL: ignored
        "id\ndata: e\n\n"  # empty id resets it
    )
    decoder = SSEDecoder()
    events = decoder.feed(stream)
    assert events == [msg("a", "1"), msg("b", "1"), msg("c", "2"), msg("d", "2"), msg("e", "")]
    assert decode_all_ways(stream) == events
    assert decoder.last_event_id == ""
    decoder.feed("id: 7\n\n")
    assert decoder.last_event_id == "7"


def test_last_event_id_is_set_at_dispatch_not_at_the_id_line() -> None:
    decoder = SSEDecoder()
    decoder.feed("id: 5\ndata: x\n")
    assert decoder.last_event_id == ""
    assert decoder.feed("\n") == [msg("x", "5")]
    assert decoder.last_event_id == "5"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1000", 1000),
        ("0", 0),
        ("007", 7),
        ("10a", None),
        ("-1", None),
        ("1.5", None),
        (" 5", None),
        ("", None),
        ("١٢", None),
        ("²", None),
    ],
)
def test_retry_only_with_ascii_digits(value: str, expected: int | None) -> None:
    decoder = SSEDecoder()
    assert decoder.feed(f"retry: {value}\ndata: x\n\n") == [msg("x", retry=expected)]
    assert decoder.retry == expected


def test_retry_belongs_to_its_block_and_the_decoder_keeps_the_latest() -> None:
    decoder = SSEDecoder()
    events = decoder.feed("retry: 10\ndata: a\n\ndata: b\n\nretry: 20\n\nretry: bad\ndata: c\n\n")
    assert events == [msg("a", retry=10), msg("b"), msg("c")]
    assert decoder.retry == 20


def test_a_retry_too_long_for_int_is_ignored() -> None:
    decoder = SSEDecoder()
    assert decoder.feed("retry: " + "9" * 5000 + "\ndata: x\n\n") == [msg("x")]
    assert decoder.retry is None


# --- end of stream, misuse, limits ----------------------------------------------------


def test_feed_after_close_raises() -> None:
    decoder = SSEDecoder()
    decoder.close()
    with pytest.raises(RuntimeError):
        decoder.feed(b"data: x\n\n")


def test_event_at_the_size_limit_passes_and_one_more_character_fails() -> None:
    # 8 characters counted: "data: ab" (line ends are not counted).
    assert decode(["data: ab\n\n"], max_event_size=8) == [msg("ab")]
    with pytest.raises(LimitExceededError) as info:
        decode(["data: abc\n\n"], max_event_size=8)
    assert (info.value.kind, info.value.offset, info.value.line, info.value.column) == (
        ErrorKind.SIZE_LIMIT,
        8,
        1,
        9,
    )


def test_size_limit_counts_every_line_of_the_block_and_resets_at_blank_lines() -> None:
    ok = ": c\ndata: x\n\n" * 3
    assert len(decode([ok], max_event_size=10)) == 3
    with pytest.raises(LimitExceededError) as info:
        decode([": c\ndata: x\nid: 12\n\n"], max_event_size=10)
    # 3 + 7 characters fill the block; "id: 12" overflows at its first character.
    assert (info.value.offset, info.value.line, info.value.column) == (12, 3, 1)


@given(st.data())
def test_size_limit_error_does_not_depend_on_the_chunking(data: st.DataObject) -> None:
    lines = data.draw(
        st.lists(st.sampled_from(["data: abc", ": c", "", "data", "id: 1234"]), max_size=12)
    )
    eols = data.draw(
        st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines), max_size=len(lines))
    )
    stream = "".join(line + eol for line, eol in zip(lines, eols, strict=True))
    limit = data.draw(st.integers(1, 16))
    make = lambda: SSEDecoder(max_event_size=limit)  # noqa: E731
    expected = run(make, [stream])
    assert run(make, data.draw(split_points(stream))) == expected
    assert run(make, data.draw(split_points(stream.encode()))) == expected  # type: ignore[arg-type]


def test_decoder_is_poisoned_after_an_error() -> None:
    decoder = SSEDecoder(max_event_size=4)
    with pytest.raises(LimitExceededError) as first:
        decoder.feed("data: long\n")
    with pytest.raises(LimitExceededError) as again:
        decoder.feed("\n")
    assert again.value is first.value
    with pytest.raises(LimitExceededError):
        decoder.close()


def test_unfinished_line_is_bounded_before_its_end_arrives() -> None:
    decoder = SSEDecoder(max_event_size=100)
    decoder.feed("data: ")
    with pytest.raises(LimitExceededError) as info:
        for _ in range(100):
            decoder.feed("x" * 10)
    assert info.value.offset == 100


# --- the property: any events, any line ends, any chunking -------------------------


_FIELD_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=12
)


@dataclass
class Block:
    lines: list[str]
    event: ServerSentEvent | None


@st.composite
def blocks(draw: st.DrawFn, last_id: list[str]) -> Block:
    """One block of fields (in a drawn order) and the event it must dispatch, if any."""
    has_data = draw(st.booleans())
    data = (
        draw(
            st.lists(
                st.text(
                    alphabet=st.characters(blacklist_characters="\r", blacklist_categories=("Cs",)),
                    max_size=12,
                ),
                min_size=1,
                max_size=3,
            )
        )
        if has_data
        else []
    )
    data_lines = []
    for part in "\n".join(data).split("\n") if has_data else []:
        style = draw(st.sampled_from(["space", "bare", "nocolon"]))
        if style == "nocolon" and part == "":
            data_lines.append("data")
        elif style == "bare" and not part.startswith(" "):
            data_lines.append("data:" + part)
        else:
            data_lines.append("data: " + part)
    extras = []
    event_type = draw(st.none() | _FIELD_TEXT)
    if event_type is not None:
        extras.append("event: " + event_type)
    new_id = draw(st.none() | _FIELD_TEXT)
    if new_id is not None:
        extras.append("id: " + new_id)
        if "\0" not in new_id:
            last_id[0] = new_id
    retry = draw(st.none() | st.integers(0, 10**12))
    if retry is not None:
        extras.append(f"retry: {retry}")
    extras += draw(
        st.lists(
            st.sampled_from(
                [
                    ": a comment",
                    ":",
                    "unknown: field",
                    "retry: 12x",
                    "retry",
                    "id: a\0b",
                    "data : not data",
                ]
            ),
            max_size=2,
        )
    )
    lines = list(data_lines)
    for extra in extras:
        lines.insert(draw(st.integers(0, len(lines))), extra)
    event = None
    if has_data:
        event = ServerSentEvent(
            event=event_type or "message", data="\n".join(data), id=last_id[0], retry=retry
        )
    return Block(lines, event)


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[ServerSentEvent]]:
    last_id = [""]
    bs = [draw(blocks(last_id)) for _ in range(draw(st.integers(0, 5)))]
    lines: list[str] = []
    for block in bs:
        lines += [*block.lines, ""]
    unfinished = draw(st.booleans())
    if unfinished:
        lines.append("data: an unfinished event, never dispatched")
    out = ["\ufeff"] if draw(st.booleans()) else []
    previous_eol = ""
    for line in lines:
        eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        if previous_eol == "\r" and line == "" and eol == "\n":
            eol = "\r"  # "\r" then "\n" would be one CRLF line end, not a blank line
        out += [line, eol]
        previous_eol = eol
    if unfinished and draw(st.booleans()):
        out.pop()  # no line end after the unfinished last line
    return "".join(out).encode(), [b.event for b in bs if b.event is not None]


@given(streams(), st.data())
def test_any_events_any_line_ends_any_chunking(
    stream: tuple[bytes, list[ServerSentEvent]], data: st.DataObject
) -> None:
    raw, expected = stream
    assert decode([raw]) == expected
    assert decode(data.draw(split_points(raw))) == expected  # type: ignore[arg-type]
    text_chunks = data.draw(split_points(raw.decode()))
    assert decode(text_chunks) == expected


@given(st.binary(max_size=64), st.data())
def test_arbitrary_bytes_never_raise_and_do_not_depend_on_chunking(
    raw: bytes, data: st.DataObject
) -> None:
    expected = decode([raw])
    assert decode(data.draw(split_points(raw))) == expected  # type: ignore[arg-type]
    assert decode([raw[i : i + 1] for i in range(len(raw))]) == expected


# --- JSON payloads --------------------------------------------------------------------


def test_iter_sse_json_skips_done_and_parses_payloads() -> None:
    stream = b'data: {"a": 1}\n\nevent: ping\ndata: {"type": "ping"}\n\ndata: [DONE]\n\n'
    assert list(iter_sse_json(iter_sse([stream[:9], stream[9:]]))) == [{"a": 1}, {"type": "ping"}]


@pytest.mark.parametrize(
    ("data", "error", "kind", "offset"),
    [
        ('{"a": }', JsonSyntaxError, ErrorKind.UNEXPECTED_CHARACTER, 6),
        ('{"a": 1', IncompleteJsonError, ErrorKind.UNEXPECTED_END, 7),
        ("[1, NaN]", JsonSyntaxError, ErrorKind.INVALID_LITERAL, 0),
        ("", IncompleteJsonError, ErrorKind.UNEXPECTED_END, 0),
        ("1" * 5000, LimitExceededError, ErrorKind.NUMBER_LIMIT, 0),
        ("[" * 100_000, LimitExceededError, ErrorKind.DEPTH_LIMIT, 0),
    ],
)
def test_iter_sse_json_errors_are_parse_errors(
    data: str, error: type[ParseError], kind: ErrorKind, offset: int
) -> None:
    with pytest.raises(error) as info:
        list(iter_sse_json([ServerSentEvent(data=data)]))
    assert isinstance(info.value, ParseError)
    assert (info.value.kind, info.value.offset) == (kind, offset)


def test_public_names() -> None:
    assert midstream.SSEDecoder is SSEDecoder
    assert midstream.DEFAULT_MAX_EVENT_SIZE >= 1024 * 1024


# --- real recorded streams, replayed as SSE ----------------------------------------------


CORPUS = [
    "anthropic_messages.jsonl",
    "openai_chat_json_content.jsonl",
    "openai_chat_markdown.jsonl",
    "openai_chat_ndjson_like.jsonl",
    "openai_chat_text.jsonl",
    "openai_chat_tool_calls.jsonl",
    "openai_responses.jsonl",
]


def to_sse(record: dict[str, Any], rng: random.Random) -> bytes:
    """Serialize a recorded stream as its server sent it (see the corpus README)."""
    parts = []
    named = record["api"] in ("anthropic.messages", "openai.responses")
    for payload in record["events"]:
        if named and isinstance(payload, dict) and "type" in payload:
            parts.append(f"event: {payload['type']}\n")
        parts.append("data: " + json.dumps(payload, separators=(",", ":"), ensure_ascii=False))
        parts.append(rng.choice(["\n\n", "\r\n\r\n", "\n\n: keep-alive\n\n"]))
    if record["api"] == "openai.chat.completions":
        parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()


@pytest.mark.shared
@pytest.mark.parametrize("name", CORPUS)
def test_real_streams_replayed_as_sse(name: str) -> None:
    path = shared_path("corpus", "real", name)
    rng = random.Random(name)
    streams_seen = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        raw = to_sse(record, rng)
        # cut at random bytes (inside characters, line ends and BOM-free UTF-8 alike)
        cuts = rng.sample(range(len(raw) + 1), min(len(raw) + 1, len(raw) // 40 + 2))
        chunks = split_at(raw, cuts)  # type: ignore[arg-type]
        events = list(iter_sse(chunks))
        assert list(iter_sse_json(events)) == record["events"], record["id"]
        if record["api"] != "openai.chat.completions":
            types = [p.get("type") for p in record["events"] if isinstance(p, dict)]
            assert [e.event for e in events if e.event != "message"] == [t for t in types if t]
        streams_seen += 1
    assert streams_seen > 0
