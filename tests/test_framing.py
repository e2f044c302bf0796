"""Raw bodies that are not SSE: NDJSON lines and a JSON array of events.

The framers on their own under every chunking of the bytes (hypothesis), their
errors and limits, the real Ollama and Gemini recordings at the framing level,
then the raw path end to end (``WireReader``, ``stream_events`` over a real
HTTP response) with the formats that have readers.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _sse_server import RecordingServer, load_corpus, sse_bytes
from chunking import split_at
from helpers import run, shared_path, split_points
from midstream import (
    ContentDelta,
    IncompleteJsonError,
    JsonSyntaxError,
    LimitExceededError,
    StreamError,
    astream_events,
    stream_events,
)
from midstream._framing import (
    FORMAT_FRAMINGS,
    JsonArrayFrames,
    NDJSONFrames,
    choose_framing,
)
from midstream._pipeline import ProviderPipeline
from midstream._raw import WireReader
from strategies import json_text_no_surrogates, json_values

BOM = b"\xef\xbb\xbf"

# Objects as providers send them: any keys and values, nested.
_objects = st.lists(
    st.dictionaries(json_text_no_surrogates, json_values(json_text_no_surrogates), max_size=4),
    max_size=6,
)


def _dump(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent)


def _frames(make: Any, chunks: list[bytes]) -> list[dict[str, Any]]:
    framer = make()
    out: list[dict[str, Any]] = []
    for chunk in chunks:
        out += framer.feed(chunk)
    return out + framer.close()


@st.composite
def ndjson_bodies(draw: st.DrawFn) -> tuple[bytes, list[dict[str, Any]]]:
    """A body of NDJSON lines (CRLF or LF, blank lines, maybe a BOM, maybe no last newline)."""
    objects = draw(_objects)
    ends = draw(st.lists(st.sampled_from(["\n", "\r\n", "\n\n", " \n", "\n\r\n"]), min_size=1))
    text = "".join(_dump(o) + ends[i % len(ends)] for i, o in enumerate(objects))
    if objects and draw(st.booleans()):
        text = text.rstrip("\r\n ")
    return (BOM if draw(st.booleans()) else b"") + text.encode(), objects


@st.composite
def array_bodies(draw: st.DrawFn) -> tuple[bytes, list[dict[str, Any]]]:
    """A JSON array of objects, spaced as Gemini writes it or otherwise."""
    objects = draw(_objects)
    indent = draw(st.sampled_from([None, 2]))
    comma = draw(st.sampled_from([",", "\n,\r\n", " , ", ",\n"]))
    inner = comma.join(_dump(o, indent) for o in objects)
    text = draw(st.sampled_from(["", " ", "\n"])) + "[" + inner + "]" + draw(
        st.sampled_from(["", "\n", " \r\n"])
    )
    return (BOM if draw(st.booleans()) else b"") + text.encode(), objects


# --- the framers under every chunking -----------------------------------------------------------


@given(case=ndjson_bodies(), data=st.data())
def test_ndjson_gives_every_line_under_every_chunking(
    case: tuple[bytes, list[dict[str, Any]]], data: st.DataObject
) -> None:
    body, objects = case
    assert _frames(NDJSONFrames, data.draw(split_points(body))) == objects


@given(case=array_bodies(), data=st.data())
def test_json_array_gives_every_element_under_every_chunking(
    case: tuple[bytes, list[dict[str, Any]]], data: st.DataObject
) -> None:
    body, objects = case
    framer = JsonArrayFrames()
    got = []
    for chunk in data.draw(split_points(body)):
        got += framer.feed(chunk)
    assert got == objects and framer.complete
    assert framer.close() == []


@given(case=st.one_of(ndjson_bodies(), array_bodies()), data=st.data())
def test_a_body_cut_anywhere_gives_what_was_whole_and_no_error(
    case: tuple[bytes, list[dict[str, Any]]], data: st.DataObject
) -> None:
    body, objects = case
    make = NDJSONFrames if body.lstrip(BOM).lstrip()[:1] != b"[" else JsonArrayFrames
    cut = data.draw(st.integers(0, len(body)))
    got = _frames(make, data.draw(split_points(body[:cut])))
    assert got == objects[: len(got)]


_BAD = [
    (NDJSONFrames, b'{"a": 1}\n{"b": [}\n', JsonSyntaxError, 16),
    (NDJSONFrames, b'{"a": 1}\r\n  [1, 2]\n', JsonSyntaxError, 12),
    (NDJSONFrames, b'{"\xc3\xa9": x}\n', JsonSyntaxError, 7),
    (NDJSONFrames, b'{"a": "\xff"}\n', JsonSyntaxError, 7),
    (NDJSONFrames, b'{"a": 1} {"b": 2}\n', JsonSyntaxError, 9),
    (NDJSONFrames, b"data: {}\n", JsonSyntaxError, 0),
    (JsonArrayFrames, b'[{"a": 1}, 5]', JsonSyntaxError, 11),
    (JsonArrayFrames, b'[{"a": 1}\n{"b": 2}]', JsonSyntaxError, 10),
    (JsonArrayFrames, b'[{"\xc3\xa9": "\xc3\xa9", "b": tru}]', JsonSyntaxError, 22),
    (JsonArrayFrames, b'[{"a": 1}] x', JsonSyntaxError, 11),
    (JsonArrayFrames, b'{"a": 1}', JsonSyntaxError, 0),
    (JsonArrayFrames, b'[{"a": "\xc3\xa9\xff"}]', JsonSyntaxError, 10),
    (JsonArrayFrames, b'[{"a": 1},]', JsonSyntaxError, 10),
]


@pytest.mark.parametrize(("make", "body", "error", "offset"), _BAD)
@given(data=st.data())
def test_bad_input_is_the_same_error_at_the_same_byte_under_every_chunking(
    make: Any, body: bytes, error: type[Exception], offset: int, data: st.DataObject
) -> None:
    _events, failure = run(make, data.draw(split_points(body)))
    assert failure is not None and failure[1] == offset, failure
    with pytest.raises(error) as info:
        _frames(make, [body])
    assert info.value.unit == "byte"  # type: ignore[attr-defined]


def test_objects_before_an_error_are_given_first() -> None:
    framer = JsonArrayFrames()
    assert framer.feed(b'[{"a": 1}, {"b": 2}, 3]') == [{"a": 1}, {"b": 2}]
    with pytest.raises(JsonSyntaxError, match=r"expected an object .* found '3'"):
        framer.close()
    lines = NDJSONFrames()
    assert lines.feed(b'{"a": 1}\nnope\n') == [{"a": 1}]
    with pytest.raises(JsonSyntaxError, match="line 2 of the body") as info:
        lines.feed(b"")
    assert (info.value.offset, info.value.line, info.value.column) == (10, 2, 2)  # "o" of "nope"


def test_errors_say_the_line_and_column_of_the_body() -> None:
    body = b'[\n  {\n    "a": 1,\n    "b": oops\n  }\n]'
    with pytest.raises(JsonSyntaxError) as info:
        _frames(JsonArrayFrames, [body])
    assert "element 1 of the JSON array" in str(info.value)
    assert (info.value.line, info.value.column) == (4, 10)
    assert body[info.value.offset:].startswith(b"oops")
    body = b'[{"a": 1}\n, {"b":\n "\xc3\xa9\xff"}]'  # not UTF-8, inside an element
    with pytest.raises(JsonSyntaxError, match="Invalid UTF-8") as info:
        _frames(JsonArrayFrames, [body])
    assert (info.value.offset, info.value.line, info.value.column) == (22, 3, 4)


def test_a_last_line_without_newline_counts_a_cut_one_does_not() -> None:
    framer = NDJSONFrames()
    assert framer.feed(b'{"a": 1}\n{"b": 2}') == [{"a": 1}]
    assert framer.close() == [{"b": 2}]
    framer = NDJSONFrames()
    assert framer.feed(b'{"a": 1}\n{"b": [2, ') == [{"a": 1}]
    assert framer.close() == [] and framer.cut_short == 10
    framer = NDJSONFrames()
    framer.feed(b'{"a": 1}\n{"b": ]')  # not a cut: bad
    with pytest.raises(JsonSyntaxError):
        framer.close()
    assert not issubclass(JsonSyntaxError, IncompleteJsonError)


def test_limits() -> None:
    with pytest.raises(LimitExceededError, match="max_event_size=16 bytes"):
        _frames(lambda: NDJSONFrames(16), [b'{"a": "0123456789"}\n'])
    framer = NDJSONFrames(16)
    assert framer.feed(b'{"a": "01234"}\n') == [{"a": "01234"}]
    with pytest.raises(LimitExceededError, match="line 2 of the body is longer"):
        for _ in range(20):
            framer.feed(b"0")  # a line that never ends is bounded too
    with pytest.raises(LimitExceededError, match="element 2 of the JSON array is longer") as info:
        _frames(lambda: JsonArrayFrames(16), [b'[{"a": 1}, {"a": "0123456789"}]'])
    assert info.value.offset == 11
    from midstream._eventstream import EventStreamFrames

    for framer_class in (NDJSONFrames, JsonArrayFrames, EventStreamFrames):
        with pytest.raises(ValueError, match="max_event_size must be at least 1"):
            framer_class(0)
    deep = b"[" + b'{"a":' * 300 + b"1" + b"}" * 300 + b"]"  # past jiter's recursion limit
    with pytest.raises(LimitExceededError, match="cannot be decoded"):
        _frames(JsonArrayFrames, [deep])


def test_pieces_are_kept_and_joined_once() -> None:
    """A line or element cut into many reads is copied once when it ends (linear)."""
    lines = NDJSONFrames()
    for _ in range(1000):
        assert lines.feed(b" ") == []
    assert len(lines._partial) == 1000
    array = JsonArrayFrames()
    array.feed(b'[{"a": "')
    for _ in range(1000):
        assert array.feed(b"x") == []
    assert len(array._parts) == 1001  # one piece per read, never re-joined
    assert array.feed(b'"}]') == [{"a": "x" * 1000}]


# --- which framing a body has -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "format", "media", "expected"),
    [
        (b"data: {}", "chat", "", "sse"),
        (b"{", "chat", "", None),  # an SSE format: a JSON body is an error body
        (b"[", "chat", "", None),
        (b"<html>", "auto", "", None),
        (b"{", "auto", "", None),
        (b"[", "auto", "", "json-array"),
        (b"{", "ollama", "", "ndjson"),
        (b"data:", "ollama", "", "ndjson"),  # its only framing, which says where it fails
        (b"[", "gemini", "", "json-array"),
        (b"data: {}", "gemini", "", "sse"),
        (b"{", "gemini", "", None),
        (b"{", "chat", "application/x-ndjson", "ndjson"),
        (b"{", "auto", "application/jsonl", "ndjson"),
        (b"[", "auto", "application/json", "json-array"),
        (b"{", "gemini", "application/json", None),
        (b"data:", "auto", "text/event-stream", "sse"),
        (b"{", "ollama", "text/event-stream", None),
    ],
)
def test_choose_framing(head: bytes, format: str, media: str, expected: str | None) -> None:
    assert choose_framing(head, format, media) == expected
    assert choose_framing(head, format, media, "ndjson") == "ndjson"


def test_the_format_table_names_ollama_and_gemini() -> None:
    assert FORMAT_FRAMINGS["ollama"] == ("ndjson",)
    assert FORMAT_FRAMINGS["gemini"] == ("sse", "json-array")


# --- the real recordings at the framing level --------------------------------------------------


def _streams(name: str) -> list[dict[str, Any]]:
    path = shared_path("corpus", "real", name)
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _cuts(body: bytes) -> list[list[bytes]]:
    step = max(1, len(body) // 97)
    return [[body], [body[i : i + 1] for i in range(len(body))],
            split_at(body, range(0, len(body), step)), split_at(body, range(3, len(body), 7))]


@pytest.mark.shared
def test_ollama_recordings_frame_to_their_events() -> None:
    streams = [s for s in _streams("ollama_chat.jsonl") if "transport=NDJSON" in s["notes"]]
    assert streams
    for stream in streams:
        body = b"".join(json.dumps(e).encode() + b"\n" for e in stream["events"])
        for chunks in _cuts(body):
            assert _frames(NDJSONFrames, chunks) == stream["events"], stream["id"]


@pytest.mark.shared
def test_gemini_json_array_recordings_frame_to_their_events() -> None:
    streams = [s for s in _streams("google_generate_content.jsonl")
               if "transport=JSON-array stream" in s["notes"]]
    assert len(streams) >= 5
    for stream in streams:
        # as the API writes it: pretty-printed elements, "\n,\r\n" between them
        body = ("[" + "\n,\r\n".join(_dump(e, 2) for e in stream["events"]) + "]").encode()
        for chunks in _cuts(body):
            assert _frames(JsonArrayFrames, chunks) == stream["events"], stream["id"]


# --- the raw path end to end, with the formats that have readers --------------------------------


def _pipeline(format: str = "auto") -> ProviderPipeline:
    return ProviderPipeline(model=None, json=None, tools=None, choice=0, keep_text=False,
                            format=format)  # type: ignore[arg-type]


def _read(reader: WireReader, chunks: list[bytes]) -> list[Any]:
    out: list[Any] = []
    for chunk in chunks:
        out += reader.feed(chunk)
    return out + reader.close()


_FORMAT = {"openai.chat.completions": "chat", "openai.responses": "responses",
           "anthropic.messages": "anthropic"}
_SIDS = [
    "workflowai:openai:stream_with_tools",
    "llm:test_async_model_schema",
    "workflowai:anthropic:anthropic_with_multiple_tools_streaming_fixture",
]


@pytest.fixture(scope="module")
def corpus() -> dict[str, dict[str, Any]]:
    return load_corpus(shared_path("corpus", "real"))


def _readers() -> Any:
    from midstream._tool_calls._readers import READERS

    return READERS


@pytest.mark.shared
@pytest.mark.skipif(not {"ollama", "gemini"} <= set(_readers()),
                    reason="the ollama and gemini readers come with issue 18's format lanes")
def test_ollama_and_gemini_bodies_through_stream_events() -> None:
    """``format=`` tells the framing of bytes: NDJSON for Ollama, SSE or an array for Gemini."""
    for stream in _streams("ollama_chat.jsonl"):
        body = b"".join(json.dumps(e).encode() + b"\n" for e in stream["events"])
        expected = list(stream_events(stream["events"]))
        got = list(stream_events(iter(split_at(body, range(0, len(body), 7))), format="ollama"))
        assert got == expected, stream["id"]
    for stream in _streams("google_generate_content.jsonl"):
        notes = stream["notes"]
        if "transport=JSON-array stream" in notes:
            body = ("[" + "\n,\r\n".join(_dump(e, 2) for e in stream["events"]) + "]").encode()
        elif "transport=SSE" in notes:
            body = b"".join(b"data: " + json.dumps(e).encode() + b"\r\n\r\n"
                            for e in stream["events"])
        else:
            continue
        expected = list(stream_events(stream["events"]))
        got = list(stream_events(iter(split_at(body, range(0, len(body), 5))), format="gemini"))
        assert repr(got) == repr(expected), stream["id"]  # repr: errors inside events compare


@pytest.mark.shared
@pytest.mark.parametrize("sid", _SIDS)
def test_recorded_streams_as_ndjson_and_as_an_array_give_the_sse_events(
    corpus: dict[str, Any], sid: str
) -> None:
    stream = corpus[sid]
    fmt = _FORMAT[stream["api"]]
    expected = _read(WireReader(_pipeline(fmt), format=fmt), [b"".join(sse_bytes(stream))])
    assert expected
    ndjson = b"".join(json.dumps(e).encode() + b"\r\n" for e in stream["events"])
    array = ("[" + "\n,\r\n".join(_dump(e, 2) for e in stream["events"]) + "]").encode()
    for chunks in _cuts(ndjson)[::2]:
        reader = WireReader(_pipeline(fmt), format=fmt, framing="ndjson")
        assert _read(reader, chunks) == expected
        assert reader.framing == "ndjson"
        reader = WireReader(_pipeline(fmt), format=fmt, media_type="application/x-ndjson")
        assert _read(reader, chunks) == expected
    for chunks in _cuts(array)[::2]:
        reader = WireReader(_pipeline())  # auto: the "[" tells
        assert _read(reader, chunks) == expected
        assert reader.framing == "json-array"


def test_an_sse_format_still_refuses_a_json_body() -> None:
    with pytest.raises(StreamError, match="not an event stream"):
        WireReader(_pipeline("chat"), format="chat").feed(b'  {"choices": []}\n')
    with pytest.raises(StreamError, match="not an event stream"):
        WireReader(_pipeline("chat"), format="chat").feed(b'[{"choices": []}]')


def test_an_error_object_in_a_framed_body_is_the_providers_error() -> None:
    reader = WireReader(_pipeline(), framing="ndjson")
    line = {"choices": [{"index": 0, "delta": {"content": "Hi"}}]}
    assert reader.feed(json.dumps(line).encode() + b"\n") == [ContentDelta(0, "Hi")]
    with pytest.raises(StreamError, match="model 'x' not found"):
        reader.feed(b'{"error": "model \'x\' not found"}\n')  # Ollama's mid-stream error
    reader = WireReader(_pipeline())
    with pytest.raises(StreamError, match="Resource exhausted") as info:
        reader.feed(b'[{"error": {"code": 429, "message": "Resource exhausted",'
                    b' "status": "RESOURCE_EXHAUSTED"}}]')
    assert info.value.code == "429"


def test_blank_bytes_before_the_body_keep_its_offsets() -> None:
    reader = WireReader(_pipeline(), framing="ndjson")
    assert reader.feed(b"\r\n  ") == []
    with pytest.raises(JsonSyntaxError) as info:
        reader.feed(b"  nope\n")
    assert (info.value.offset, info.value.line) == (7, 2)  # the "o" of "nope"


@pytest.fixture(scope="module")
def server(corpus: dict[str, Any]) -> Any:
    with RecordingServer(corpus) as srv:
        yield srv


@pytest.fixture
def srv(server: RecordingServer) -> RecordingServer:
    server.reset()
    return server


def _over_http(srv: RecordingServer, content_type: str, body: bytes, **kw: Any) -> list[Any]:
    httpx = pytest.importorskip("httpx")
    srv.content_type = content_type
    srv.script = split_at(body, range(0, len(body), 29))
    with httpx.Client() as client, client.stream(
        "POST", srv.url + "/v1/chat/completions", json={"model": "x"}
    ) as response:
        return list(stream_events(response, **kw))


@pytest.mark.shared
def test_an_httpx_response_framed_by_its_content_type(
    srv: RecordingServer, corpus: dict[str, Any]
) -> None:
    stream = corpus[_SIDS[0]]
    expected = list(stream_events(stream["events"]))
    ndjson = b"".join(json.dumps(e).encode() + b"\n" for e in stream["events"])
    assert _over_http(srv, "application/x-ndjson", ndjson) == expected
    srv.reset()
    array = ("[" + "\n,\r\n".join(_dump(e, 2) for e in stream["events"]) + "]").encode()
    assert _over_http(srv, "application/json; charset=UTF-8", array) == expected
    srv.reset()
    with pytest.raises(StreamError, match=r"not an event stream \(content-type 'application/json'"):
        _over_http(srv, "application/json", b'{"id": "x", "choices": []}')
    srv.reset()
    with pytest.raises(StreamError, match="not an event stream"):
        _over_http(srv, "application/json", array, format="chat")  # SSE only: an error body


@pytest.mark.shared
def test_an_async_httpx_response_with_a_json_array_or_an_error_body(
    srv: RecordingServer, corpus: dict[str, Any]
) -> None:
    httpx = pytest.importorskip("httpx")
    stream = corpus[_SIDS[0]]
    expected = list(stream_events(stream["events"]))
    array = ("[" + "\n,\r\n".join(_dump(e, 2) for e in stream["events"]) + "]").encode()

    async def events(body: bytes) -> list[Any]:
        srv.reset()
        srv.content_type = "application/json"
        srv.script = [b"\n", *split_at(body, range(0, len(body), 31))]
        async with httpx.AsyncClient() as client, client.stream(
            "POST", srv.url + "/v1/chat/completions", json={"model": "x"}
        ) as response:
            return [ev async for ev in astream_events(response)]

    assert asyncio.run(events(array)) == expected
    with pytest.raises(StreamError, match="Quota exceeded") as info:
        asyncio.run(events(b'{"error": {"code": 429, "message": "Quota exceeded"}}'))
    assert info.value.status == 200


def test_blank_bytes_before_the_body_are_bounded() -> None:
    reader = WireReader(_pipeline(), 8)
    reader.feed(b"\n\n\n")
    with pytest.raises(LimitExceededError, match="blank lines before the body"):
        reader.feed(b"\r\n" * 4)


# --- AWS's binary event stream (Bedrock) ---------------------------------------------------------


def _eventstream(events: list[dict[str, Any]]) -> bytes:
    """Bedrock's body: each ``{event-type: payload}`` as one binary message."""
    from _wire import event_message

    return b"".join(event_message(k, json.dumps(v).encode()) for e in events for k, v in e.items())


def _aws_message(headers: dict[str, str], payload: bytes) -> bytes:
    import binascii
    import struct

    raw = b"".join(bytes([len(k)]) + k.encode() + b"\x07" + struct.pack(">H", len(v.encode()))
                   + v.encode() for k, v in headers.items())
    prelude = struct.pack(">II", 16 + len(raw) + len(payload), len(raw))
    message = prelude + struct.pack(">I", binascii.crc32(prelude)) + raw + payload
    return message + struct.pack(">I", binascii.crc32(message))


_EVENT_TYPES = st.sampled_from(["messageStart", "contentBlockDelta", "contentBlockStop",
                                "metadata", "x"])


@given(objects=_objects, types=st.lists(_EVENT_TYPES, min_size=6, max_size=6), data=st.data())
def test_eventstream_gives_every_message_under_every_chunking(
    objects: list[dict[str, Any]], types: list[str], data: st.DataObject
) -> None:
    from midstream._eventstream import EventStreamFrames

    events = [{kind: value} for kind, value in zip(types, objects, strict=False)]
    body = _eventstream(events)
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=12), label="cuts")
    assert _frames(EventStreamFrames, split_at(body, cuts)) == events
    assert _frames(EventStreamFrames, [body[i : i + 1] for i in range(len(body))]) == events


@given(cut=st.integers(0, 10_000), flip=st.integers(0, 10_000), data=st.data())
def test_a_corrupt_message_is_an_error_at_its_offset_after_the_messages_before_it(
    cut: int, flip: int, data: st.DataObject
) -> None:
    from midstream._eventstream import EventStreamFrames

    events = [{"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": t}}}
              for t in ["Hel", "lo", " wor", "ld"]]
    messages = [_eventstream([e]) for e in events]
    body = b"".join(messages)
    at = flip % len(body)
    bad = body[:at] + bytes([body[at] ^ 0x40]) + body[at + 1 :]
    start = max(i for i in range(len(messages)) if sum(map(len, messages[:i])) <= at)
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=4), label="cuts")
    framer = EventStreamFrames()
    got: list[dict[str, Any]] = []
    with pytest.raises(JsonSyntaxError) as info:
        for chunk in split_at(bad, [*cuts, cut % len(body)]):
            got += framer.feed(chunk)
        framer.close()
    assert got == events[:start]  # every whole message before the corrupt one
    assert info.value.offset == sum(map(len, messages[:start]))
    assert "event stream is corrupt" in str(info.value)


def test_eventstream_errors_limits_and_a_cut_body() -> None:
    from midstream._eventstream import EventStreamFrames

    delta = {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hi"}}}
    body = _eventstream([delta])
    with pytest.raises(LimitExceededError, match="max_event_size"):
        EventStreamFrames(max_event_size=len(body) - 1).feed(body)
    framer = EventStreamFrames()
    assert framer.feed(body + body[:20]) == [delta]
    assert framer.close() == [] and framer.cut_short == 20
    not_json = _aws_message({":message-type": "event", ":event-type": "x"}, b"{nope")
    with pytest.raises(JsonSyntaxError, match="payload of message 1") as info:
        EventStreamFrames().feed(not_json)
    assert info.value.offset > 0
    thrown = _aws_message({":message-type": "exception", ":exception-type": "throttlingException"},
                          b'{"message": "Too many requests"}')
    assert EventStreamFrames().feed(thrown) == [
        {"error": {"type": "throttlingException", "message": "Too many requests"}}]
    failed = _aws_message({":message-type": "error", ":error-code": "InternalFailure",
                           ":error-message": "boom"}, b"")
    assert EventStreamFrames().feed(failed) == [
        {"error": {"code": "InternalFailure", "message": "boom"}}]


@pytest.mark.shared
def test_bedrock_recordings_as_their_binary_body_give_the_events_of_their_dicts() -> None:
    streams = _streams("bedrock_converse_stream.jsonl")
    assert streams
    for stream in streams:
        expected = list(stream_events(stream["events"]))
        body = _eventstream(stream["events"])
        for chunks in _cuts(body)[::3]:
            got = list(stream_events(iter(chunks), format="bedrock"))
            assert repr(got) == repr(expected), stream["id"]


def test_a_bedrock_exception_mid_stream_is_a_stream_error_after_the_events_before_it() -> None:
    delta = {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hi"}}}
    thrown = _aws_message({":message-type": "exception", ":exception-type": "throttlingException"},
                          b'{"message": "Too many requests"}')
    body = _eventstream([{"messageStart": {"role": "assistant"}}, delta]) + thrown
    seen: list[Any] = []
    with pytest.raises(StreamError, match="Too many requests") as info:
        for ev in stream_events(iter([body]), format="bedrock"):
            seen.append(ev)
    assert info.value.type == "throttlingException"
    assert seen == [ContentDelta(0, "Hi")]
    cut = list(stream_events(iter([_eventstream([delta])[:-3]]), format="bedrock"))
    assert cut and type(cut[-1]).__name__ == "Truncated"


@pytest.mark.shared
def test_a_bedrock_body_over_http_framed_by_its_content_type(srv: RecordingServer) -> None:
    (stream, *_) = _streams("bedrock_converse_stream.jsonl")
    expected = list(stream_events(stream["events"]))
    body = _eventstream(stream["events"])
    assert repr(_over_http(srv, "application/vnd.amazon.eventstream", body)) == repr(expected)


@given(body=st.binary(max_size=300) | st.builds(
    lambda events, noise, at: (lambda b: b[:at] + noise + b[at:])(_eventstream(events)),
    st.lists(st.builds(lambda k, v: {k: v}, _EVENT_TYPES, st.dictionaries(
        json_text_no_surrogates, json_values(json_text_no_surrogates), max_size=2)), max_size=3),
    st.binary(max_size=20), st.integers(0, 400)),
    data=st.data())
def test_any_bytes_give_the_same_events_or_the_same_parse_error_under_every_chunking(
    body: bytes, data: st.DataObject
) -> None:
    from midstream import ParseError
    from midstream._eventstream import EventStreamFrames

    def read(chunks: list[bytes]) -> tuple[list[dict[str, Any]], Any]:
        framer = EventStreamFrames(max_event_size=1000)
        out: list[dict[str, Any]] = []
        try:
            for chunk in chunks:
                out += framer.feed(chunk)
            out += framer.close()
        except ParseError as exc:  # nothing else may escape
            return out, (type(exc), exc.offset, str(exc))
        return out, ("cut", framer.cut_short)

    whole = read([body])
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=8), label="cuts")
    assert read(split_at(body, cuts)) == whole
    assert read([body[i : i + 1] for i in range(len(body))]) == whole
