"""The raw-response path: a provider's HTTP body read without the SDK's objects.

End to end against the real loopback server of ``_sse_server`` (no mocked
transport): the same events as the SDK-object path for every recorded stream,
closing early reaches the server, errors, resets, idle timeouts. Then the
compiled pieces on their own: ``SSEFrames`` against the WHATWG ``SSEDecoder``
under every chunking, and ``WireReader``'s bounds.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from _sse_server import RecordingServer, load_corpus, sse_bytes
from helpers import shared_path
from midstream import (
    ContentDelta,
    LimitExceededError,
    SSEDecoder,
    StreamError,
    StreamTimeout,
    Truncated,
    astream_events,
    stream_events,
)
from midstream._pipeline import ProviderPipeline
from midstream._raw import WireReader
from midstream._sse import SSEFrames

MESSAGES = [{"role": "user", "content": "hi"}]
FORMAT = {"openai.chat.completions": "chat", "openai.responses": "responses",
          "anthropic.messages": "anthropic"}
SID = "openai-python:test_parse_pydantic_model:15ae68f7"  # a JSON answer in ~20 chunks


def _norm(events: list[Any]) -> list[Any]:
    """Events made comparable: an exception inside one compares by type and message."""
    out = []
    for ev in events:
        error = getattr(ev, "error", None)
        if isinstance(error, BaseException):
            fields = [getattr(ev, name, None) for name in ("choice", "index", "raw", "start")]
            out.append((type(ev).__name__, *fields, repr(error)))
        else:
            out.append(ev)
    return out


def _collect(events: Iterator[Any]) -> tuple[list[Any], BaseException | None]:
    got: list[Any] = []
    try:
        for ev in events:
            got.append(ev)
    except Exception as exc:
        return got, exc
    return got, None


def _tcp_pieces(seed: str) -> Any:
    """Cut a body into random TCP-sized writes: mostly small, some up to a segment."""
    rng = random.Random(seed)

    def split(body: bytes) -> list[bytes]:
        pieces, i = [], 0
        while i < len(body):
            n = rng.choice((1, 7, 100, 512, 1460, 1460, 4000, 16384))
            pieces.append(body[i : i + n])
            i += n
        return pieces

    return split


@pytest.fixture(scope="module")
def corpus() -> dict[str, dict[str, Any]]:
    return load_corpus(shared_path("corpus", "real"))


@pytest.fixture(scope="module")
def server(corpus: dict[str, Any]) -> Iterator[RecordingServer]:
    with RecordingServer(corpus) as srv:
        yield srv


@pytest.fixture
def srv(server: RecordingServer) -> RecordingServer:
    server.reset()
    return server


def _openai(srv: RecordingServer, *, async_: bool = False, **kw: Any) -> Any:
    openai = pytest.importorskip("openai")
    cls = openai.AsyncOpenAI if async_ else openai.OpenAI
    return cls(base_url=srv.url + "/v1", api_key="test-key", max_retries=0, timeout=10, **kw)


def _anthropic(srv: RecordingServer, *, async_: bool = False) -> Any:
    anthropic = pytest.importorskip("anthropic")
    cls = anthropic.AsyncAnthropic if async_ else anthropic.Anthropic
    return cls(base_url=srv.url, api_key="test-key", max_retries=0, timeout=10)


def _httpx() -> Any:
    """The httpx the SDKs use (``httpx2`` where the openai SDK moved to it)."""
    try:
        import httpx2

        return httpx2
    except ImportError:
        return pytest.importorskip("httpx")


def _calls(clients: tuple[Any, Any], api: str, sid: str) -> tuple[Any, Any]:
    """(the SDK's stream call, its with_streaming_response call) for a wire format."""
    openai, anthropic = clients
    if api == "anthropic.messages":
        messages = anthropic.messages
        kw: dict[str, Any] = {"model": sid, "max_tokens": 100, "messages": MESSAGES}
    elif api == "openai.responses":
        messages = openai.responses
        kw = {"model": sid, "input": "hi"}
    else:
        messages = openai.chat.completions
        kw = {"model": sid, "messages": MESSAGES}

    def sdk() -> Any:
        return messages.create(stream=True, **kw)

    def raw() -> Any:
        return messages.with_streaming_response.create(stream=True, **kw)

    return sdk, raw


def _has_error_event(stream: dict[str, Any]) -> bool:
    return any(ev.get("type") == "error" or ev.get("error") for ev in stream["events"])


def _check_same(sdk: tuple[list[Any], Any], raw: tuple[list[Any], Any], error: bool) -> None:
    sdk_events, sdk_exc = sdk
    raw_events, raw_exc = raw
    if not error:
        assert sdk_exc is None and raw_exc is None, (sdk_exc, raw_exc)
        assert _norm(raw_events) == _norm(sdk_events)
        return
    # An error event: the raw path stops there with StreamError; what it gave
    # before is what the SDK path gave (the SDK raises its own error, or, for a
    # Responses ``error`` event, goes on to ``response.failed``).
    assert isinstance(raw_exc, StreamError), raw_exc
    assert raw_exc.message and raw_exc.status is None
    assert _norm(raw_events) == _norm(sdk_events)[: len(raw_events)]


# --- every recorded stream: the same events as the SDK's objects --------------------------------


@pytest.mark.shared
def test_every_recorded_stream_gives_the_sdk_paths_events(
    srv: RecordingServer, corpus: dict[str, Any]
) -> None:
    assert len(corpus) > 100
    clients = (_openai(srv), _anthropic(srv))
    for sid, stream in corpus.items():
        srv.split = _tcp_pieces(sid)
        sdk_call, raw_call = _calls(clients, stream["api"], sid)
        sdk = _collect(stream_events(sdk_call()))
        raw = _collect(stream_events(raw_call()))
        try:
            _check_same(sdk, raw, _has_error_event(stream))
        except AssertionError as exc:
            raise AssertionError(f"{sid}: {exc}") from None


@pytest.mark.shared
def test_async_recorded_streams_give_the_sdk_paths_events(
    srv: RecordingServer, corpus: dict[str, Any]
) -> None:
    async def collect(events: AsyncIterator[Any]) -> tuple[list[Any], Any]:
        got: list[Any] = []
        try:
            async for ev in events:
                got.append(ev)
        except Exception as exc:
            return got, exc
        return got, None

    async def main() -> None:
        clients = (_openai(srv, async_=True), _anthropic(srv, async_=True))
        for sid, stream in list(corpus.items())[::7]:
            srv.split = _tcp_pieces(sid)
            sdk_call, raw_call = _calls(clients, stream["api"], sid)
            sdk = await collect(astream_events(await sdk_call()))
            raw = await collect(astream_events(raw_call()))
            try:
                _check_same(sdk, raw, _has_error_event(stream))
            except AssertionError as exc:
                raise AssertionError(f"{sid}: {exc}") from None

    asyncio.run(main())


@pytest.mark.shared
def test_async_raw_path_over_aiohttp(srv: RecordingServer, corpus: dict[str, Any]) -> None:
    openai = pytest.importorskip("openai")
    pytest.importorskip("aiohttp")

    async def main() -> None:
        client = openai.AsyncOpenAI(
            base_url=srv.url + "/v1", api_key="k", max_retries=0,
            http_client=openai.DefaultAioHttpClient(),
        )
        async with client:
            for sid in [s for s, v in corpus.items() if v["api"] != "anthropic.messages"][:20]:
                srv.split = _tcp_pieces(sid)
                call = (
                    client.responses.with_streaming_response.create(model=sid, input="hi",
                                                                    stream=True)
                    if corpus[sid]["api"] == "openai.responses"
                    else client.chat.completions.with_streaming_response.create(
                        model=sid, messages=MESSAGES, stream=True)
                )
                got = [ev async for ev in astream_events(call)]
                if not _has_error_event(corpus[sid]):
                    assert _norm(got) == _norm(list(stream_events(corpus[sid]["events"])))

    asyncio.run(main())


@pytest.mark.shared
def test_an_httpx_response_and_plain_bytes(srv: RecordingServer, corpus: dict[str, Any]) -> None:
    httpx = _httpx()
    expected = _norm(list(stream_events(corpus[SID]["events"])))
    with httpx.Client() as client, client.stream(
        "POST", srv.url + "/v1/chat/completions", json={"model": SID}
    ) as response:
        assert _norm(list(stream_events(response))) == expected
    body = b"".join(sse_bytes(corpus[SID]))
    pieces = _tcp_pieces("x")(body)
    assert _norm(list(stream_events(iter(pieces), format="chat"))) == expected

    async def agen() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    async def main() -> list[Any]:
        return [ev async for ev in astream_events(agen(), format="chat")]

    assert _norm(asyncio.run(main())) == expected


def test_stream_error_keeps_its_fields_through_pickle() -> None:
    import pickle

    error = StreamError("Overloaded", status=529, type="overloaded_error", code="c")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.status, copy.type, copy.code) == ("Overloaded", 529,
                                                                 "overloaded_error", "c")
    assert str(copy) == str(error) == "HTTP 529: Overloaded (overloaded_error, c)"


def test_format_is_checked_and_bytes_are_required() -> None:
    with pytest.raises(ValueError, match="format must be one of"):
        stream_events([b""], format="nope")  # a name no reader has
    with pytest.raises(TypeError, match="bytes of the HTTP body"):
        list(stream_events([{"choices": []}], format="chat"))


# --- closing early reaches the server -----------------------------------------------------------


@pytest.mark.shared
def test_break_closes_the_connection(srv: RecordingServer) -> None:
    srv.hold_after = 6
    with _openai(srv).chat.completions.with_streaming_response.create(
        model=SID, messages=MESSAGES, stream=True
    ) as response:
        for ev in stream_events(response):
            if isinstance(ev, ContentDelta):
                break
        assert response.http_response.is_closed
    assert srv.disconnected.wait(5), "the server never saw the client go away"

    srv.reset()
    srv.hold_after = 6
    manager = _openai(srv).chat.completions.with_streaming_response.create(
        model=SID, messages=MESSAGES, stream=True
    )
    events = stream_events(manager)
    next(events)
    events.close()
    assert srv.disconnected.wait(5)


@pytest.mark.shared
def test_async_break_closes_the_connection(srv: RecordingServer) -> None:
    async def main() -> None:
        srv.hold_after = 6
        manager = _openai(srv, async_=True).chat.completions.with_streaming_response.create(
            model=SID, messages=MESSAGES, stream=True
        )
        events = astream_events(manager)
        async for ev in events:
            if isinstance(ev, ContentDelta):
                break
        await events.aclose()  # type: ignore[attr-defined]
        assert await asyncio.to_thread(srv.disconnected.wait, 5)

    asyncio.run(main())


# --- errors ------------------------------------------------------------------------------------


def _script(srv: RecordingServer, *blocks: bytes | str) -> None:
    srv.script = [b.encode() if isinstance(b, str) else b for b in blocks]


def _chat(text: str | None = None, finish: str | None = None) -> str:
    delta = {"content": text} if text is not None else {}
    chunk = {"object": "chat.completion.chunk",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n"


def _post(path: str, srv: RecordingServer) -> Any:
    httpx = _httpx()
    client = httpx.Client()
    return client, client.stream("POST", srv.url + path, json={"model": "x"})


def _raw_events(srv: RecordingServer, **kw: Any) -> tuple[list[Any], Any]:
    client, manager = _post("/v1/chat/completions", srv)
    with client, manager as response:
        return _collect(stream_events(response, **kw))


@pytest.mark.shared
def test_an_http_error_status_gives_the_providers_message(srv: RecordingServer) -> None:
    srv.status = 429
    srv.content_type = "application/json"
    _script(srv, json.dumps({"error": {"message": "Rate limit reached", "type": "requests",
                                       "code": "rate_limit_exceeded"}}))
    events, exc = _raw_events(srv)
    assert events == []
    assert isinstance(exc, StreamError)
    assert (exc.status, exc.message, exc.code) == (429, "Rate limit reached",
                                                   "rate_limit_exceeded")
    assert "HTTP 429: Rate limit reached" in str(exc)

    srv.reset()
    srv.status = 529
    srv.content_type = "application/json"
    _script(srv, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')
    _events, exc = _raw_events(srv)
    assert isinstance(exc, StreamError)
    assert (exc.status, exc.type, exc.message) == (529, "overloaded_error", "Overloaded")


@pytest.mark.shared
def test_a_body_that_is_not_an_event_stream(srv: RecordingServer) -> None:
    srv.content_type = "application/json"
    _script(srv, '{"id": "chatcmpl-1", "choices": [{"message": {"content": "hi"}}]}')
    _events, exc = _raw_events(srv)
    assert isinstance(exc, StreamError) and exc.status == 200
    assert "not an event stream (content-type 'application/json')" in str(exc)

    srv.reset()  # no telling content type: the first byte tells
    srv.content_type = "text/plain"
    _script(srv, "  ", '{"choices": []}\n')
    _events, exc = _raw_events(srv)
    assert isinstance(exc, StreamError) and "not an event stream" in str(exc)


@pytest.mark.shared
def test_an_error_event_mid_stream(srv: RecordingServer) -> None:
    err = {"error": {"message": "The server had an error", "type": "server_error", "code": None}}
    _script(srv, _chat("Hel"), _chat("lo"), f"data: {json.dumps(err)}\n\n", _chat(" more"))
    events, exc = _raw_events(srv)
    assert events == [ContentDelta(0, "Hel"), ContentDelta(0, "lo")]
    assert isinstance(exc, StreamError)
    assert (exc.status, exc.type, exc.message) == (None, "server_error", "The server had an error")

    srv.reset()
    start = {"type": "message_start", "message": {"id": "m", "content": []}}
    block = {"type": "content_block_start", "index": 0, "content_block": {"type": "text",
                                                                         "text": ""}}
    delta = {"type": "content_block_delta", "index": 0,
             "delta": {"type": "text_delta", "text": "Hi"}}
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    _script(srv, *(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n"
                   for e in (start, block, delta, error)))
    client, manager = _post("/v1/messages", srv)
    with client, manager as response:
        events, exc = _collect(stream_events(response))
    assert events == [ContentDelta(0, "Hi")]
    assert isinstance(exc, StreamError)
    assert (exc.type, exc.message) == ("overloaded_error", "Overloaded")


@pytest.mark.shared
@pytest.mark.parametrize("ending", ["reset", "cut"])
def test_a_lost_connection_raises_and_what_came_stands(srv: RecordingServer, ending: str) -> None:
    _script(srv, _chat("Hel"), _chat("lo"))
    srv.ending = ending
    events, exc = _raw_events(srv)
    assert events == [ContentDelta(0, "Hel"), ContentDelta(0, "lo")]
    assert isinstance(exc, StreamError) and exc.__cause__ is not None
    assert "the connection failed after" in str(exc)


@pytest.mark.shared
def test_a_stream_without_its_end_is_truncated(srv: RecordingServer) -> None:
    _script(srv, _chat("Hel"), _chat("lo"))  # no finish_reason, no [DONE]: a clean end
    events, exc = _raw_events(srv)
    assert exc is None
    assert events == [ContentDelta(0, "Hel"), ContentDelta(0, "lo"), Truncated(0, None, None)]


@pytest.mark.shared
def test_idle_timeout_on_a_slow_server(srv: RecordingServer) -> None:
    # The six events before the hold are sent (in the socket's buffer) before
    # reading starts, so the timeout can only fire at the hold.
    srv.hold_after = 6  # then nothing, until the client goes away
    manager = _openai(srv).chat.completions.with_streaming_response.create(
        model=SID, messages=MESSAGES, stream=True
    )
    seen: list[Any] = []
    with manager as response:
        assert srv.holding.wait(30)
        with pytest.raises(StreamTimeout) as info:
            for ev in stream_events(response, idle_timeout=1.0):
                seen.append(ev)
        assert srv.disconnected.wait(5)  # closed by stream_events, before the with block
    assert info.value.events == seen
    assert info.value.received == '{"city":"San Francisco'

    async def main() -> None:
        srv.reset()
        srv.hold_after = 6
        manager = _openai(srv, async_=True).chat.completions.with_streaming_response.create(
            model=SID, messages=MESSAGES, stream=True
        )
        async with manager as response:
            assert await asyncio.to_thread(srv.holding.wait, 30)
            with pytest.raises(StreamTimeout) as info:
                async for _ev in astream_events(response, idle_timeout=1.0):
                    pass
            assert await asyncio.to_thread(srv.disconnected.wait, 5)  # before the with block
        assert info.value.received == '{"city":"San Francisco'

    asyncio.run(main())


# --- the compiled pieces on their own -----------------------------------------------------------


_LINES = st.lists(
    st.one_of(
        st.sampled_from(["", ":comment", "event: delta", "event:error", "id: 7", "retry: 10",
                         "data", "data:", "data: [DONE]", "bogus: field", "data:x:y"]),
        st.text(alphabet="ab {}\":é€😀", max_size=12).map(lambda t: "data: " + t),
    ),
    max_size=12,
)


@given(lines=_LINES, ends=st.lists(st.sampled_from(["\n", "\r", "\r\n"]), min_size=1),
       bom=st.booleans(), data=st.data())
def test_sse_frames_match_the_whatwg_decoder(
    lines: list[str], ends: list[str], bom: bool, data: st.DataObject
) -> None:
    text = "".join(line + ends[i % len(ends)] for i, line in enumerate(lines)) + "\n"
    body = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    expected = [(ev.event, ev.data) for ev in SSEDecoder().feed(body)]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=8)))
    frames = SSEFrames()
    got = []
    for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True):
        got += frames.feed(body[a:b])
    assert [(k.decode() or "message", d.decode()) for k, d in got] == expected


#: Blocks as providers write them (the one-block fast path), and blocks it must leave alone.
_BLOCKS = st.lists(
    st.one_of(
        st.text(alphabet="ab {}\":é😀", max_size=12).map(lambda t: f"data: {t}\n\n"),
        st.tuples(st.sampled_from(["delta", "", " x", "error", "a\rb"]),
                  st.text(alphabet="ab {}", max_size=8))
        .map(lambda p: f"event: {p[0]}\ndata: {p[1]}\n\n"),
        st.sampled_from([
            "data: a\ndata: b\n\n", "data: a\r\n\r\n", "data: a\n\r", ": ping\n\n",
            "event: x\n\n", "event: x\ndata:y\n\n", "event: x\nid: 1\ndata: y\n\n",
            "data:x\n\n", "data: \n\n", "event: x\ndata: \n\n", "data: a\rb\n\n", "\n",
            "event: x\r\ndata: y\n\n", "id: 2\n\n", "data: a\n", "data: b\nevent: e\n\n",
        ]),
    ),
    max_size=10,
)


@given(blocks=_BLOCKS, bom=st.booleans())
@example(blocks=["data: a\n\n", "event: x\ndata: b\n\n", "data: c\n\n"], bom=False)
def test_sse_frames_fed_block_by_block(blocks: list[str], bom: bool) -> None:
    """One block per read (how providers write): the same events and, after them, positions."""
    body = (b"\xef\xbb\xbf" if bom else b"") + "".join(blocks).encode()
    expected = [(ev.event, ev.data) for ev in SSEDecoder().feed(body + b"\n")]
    whole, by_block, by_byte = SSEFrames(max_event_size=99), SSEFrames(99), SSEFrames(99)
    pieces = [block.encode() for block in blocks]
    if bom:
        pieces.insert(0, b"\xef\xbb\xbf")
    got = [*whole.feed(body), *whole.feed(b"\n")]
    assert [(k.decode() or "message", d.decode()) for k, d in got] == expected
    assert [ev for piece in pieces for ev in by_block.feed(piece)] + by_block.feed(b"\n") == got
    assert [ev for i in range(len(body)) for ev in by_byte.feed(body[i : i + 1])] + (
        by_byte.feed(b"\n")
    ) == got
    # A line over the limit next: each says the same offset, line and column.
    where = []
    for frames in (whole, by_block, by_byte):
        with pytest.raises(LimitExceededError) as info:
            frames.feed(b"data: " + b"x" * 120 + b"\n")
        where.append((info.value.offset, info.value.line, info.value.column))
    assert where[0] == where[1] == where[2]


def test_sse_frames_bound_an_event() -> None:
    frames = SSEFrames(max_event_size=10)
    assert frames.feed(b"data: 1234\n\n") == [(b"", b"1234")]
    with pytest.raises(LimitExceededError, match="max_event_size=10 bytes"):
        for _ in range(3):
            frames.feed(b"data: 12345")


def test_sse_frames_copy_a_long_line_once() -> None:
    """An event cut into many reads is kept as pieces and joined once (linear)."""
    frames = SSEFrames()
    for _ in range(1000):
        assert frames.feed(b"x" * 1000) == []
    assert len(frames._partial) == 1000  # pieces, never re-joined per read
    assert frames.feed(b"\n\n") == []  # a line with no colon: a field named "xxx...", ignored


_PIECE = st.one_of(st.none(), st.just(""), st.text(alphabet='ab{}[]":, 1é', max_size=6),
                   st.just(["x"]))


def _maybe(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


_CHAT_CHUNK = st.builds(
    lambda top, choices: {**top, "choices": choices},
    _maybe(id=st.just("c"), model=st.just("m"), usage=st.none() | st.just({"total_tokens": 3}),
           obfuscation=st.just("zz"), x_groq=st.just({"id": "q"}), error=st.none()),
    st.lists(
        st.builds(
            lambda choice, delta: {**choice, "delta": delta},
            _maybe(index=st.sampled_from([0, 0, 0, 1, None, "0", True]),
                   finish_reason=st.sampled_from([None, None, "stop", "length"]),
                   logprobs=st.none() | st.just({"content": []}),
                   native_finish_reason=st.sampled_from([None, "stop"])),
            _maybe(content=_PIECE, role=st.sampled_from(["assistant", None]),
                   refusal=st.sampled_from([None, "no"]),
                   reasoning_content=st.sampled_from([None, "hm"]),
                   tool_calls=st.none() | st.just([{"index": 0, "id": "t", "function": {
                       "name": "f", "arguments": '{"a":'}}])),
        ) | st.sampled_from([None, "x"]),
        min_size=1, max_size=2,
    ) | st.sampled_from([None, []]),
)
#: Plain text chunks, as the providers send most (each may take the pipeline's way).
_PLAIN_CHAT = st.builds(
    lambda text, index, finish, extra: {"id": "c", "choices": [
        {"index": index, "delta": {"content": text, **extra}, "logprobs": None,
         "finish_reason": finish}], "usage": None},
    st.text(alphabet='ab{}[]":, 1é', min_size=1, max_size=6), st.sampled_from([0, 0, 1]),
    st.sampled_from([None, None, None, "stop", "length"]),  # not plain with a finish reason
    _maybe(role=st.just("assistant"), refusal=st.none(), tool_calls=st.just(
        [{"index": 0, "id": "t", "function": {"name": "f", "arguments": "{}"}}])),
)
_PLAIN_ANTHROPIC = st.builds(
    lambda text: {"type": "content_block_delta", "index": 0,
                  "delta": {"type": "text_delta", "text": text}},
    st.text(alphabet='ab{}[]":, 1é', min_size=1, max_size=6),
)
_ANTHROPIC_EVENT = st.one_of(
    _PLAIN_ANTHROPIC,
    st.builds(
        lambda extra, delta: {"type": "content_block_delta", "index": 0, "delta": delta, **extra},
        _maybe(usage=st.none(), index=st.just(1)),
        st.builds(lambda kind, text, extra: {"type": kind, "text": text, **extra},
                  st.sampled_from(["text_delta", "text_delta", "input_json_delta"]), _PIECE,
                  _maybe(partial_json=st.just('{"a":'), citations=st.none())),
    ),
    st.sampled_from([
        {"type": "message_start", "message": {"id": "m"}},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}},
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}},
    ]),
)


@given(events=st.lists(_PLAIN_CHAT | _CHAT_CHUNK, max_size=8)
       | st.lists(_ANTHROPIC_EVENT, max_size=8),
       json_mode=st.sampled_from([None, True, False]),
       format=st.sampled_from(["auto", "chat", "anthropic"]), keep_text=st.booleans())
def test_the_pipelines_plain_chunk_way_gives_the_assemblers_events(
    events: list[dict[str, Any]], json_mode: bool | None, format: Any, keep_text: bool
) -> None:
    """A chunk as a dict may take the pipeline's way for one piece of text; as JSON text, never."""
    from midstream._pipeline import ProviderPipeline

    def run(as_text: bool) -> list[Any]:
        pipeline = ProviderPipeline(model=None, json=json_mode, tools=None, choice=0,
                                    keep_text=keep_text, format=format)
        got: list[Any] = []
        after = {"choices": [{"delta": {"content": "x"}, "index": 0}]}
        for ev in [*events, None]:
            try:
                if ev is None:
                    got += [_norm(pipeline.close()), pipeline.received()]
                    pipeline.feed(json.dumps(after) if as_text else after)
                else:
                    got.append(_norm(pipeline.feed(json.dumps(ev) if as_text else ev)))
            except Exception as exc:
                got.append((type(exc), str(exc)))
        return got

    assert run(as_text=False) == run(as_text=True)


def test_wire_reader_json_errors_say_where() -> None:
    from midstream import JsonSyntaxError
    from midstream._pipeline import ProviderPipeline

    pipeline = ProviderPipeline(model=None, json=None, tools=None, choice=0, keep_text=False)
    reader = WireReader(pipeline)
    assert reader.feed(_chat("a").encode()) == [ContentDelta(0, "a")]
    with pytest.raises(JsonSyntaxError, match="is not JSON") as info:
        reader.feed(b'data: {"choices": [}\n\n')
    assert info.value.offset == 13


@given(st.integers(0, 400))
def test_events_before_an_error_event_in_the_same_read_stand(cut: int) -> None:
    """An error event read together with the events before it: those are returned, then it."""
    body = b"".join(
        b"data: " + json.dumps(e).encode() + b"\n\n"
        for e in [
            {"choices": [{"index": 0, "delta": {"content": '{"a": "b'}}]},
            {"choices": [{"index": 0, "delta": {"content": 'c'}}]},
            {"error": {"message": "Overloaded", "type": "overloaded_error"}},
        ]
    )
    cut = min(cut, len(body))
    reader = WireReader(ProviderPipeline(model=None, json=None, tools=None, choice=0,
                                         keep_text=False))
    events: list[Any] = []
    with pytest.raises(StreamError) as info:
        for piece in (body[:cut], body[cut:]):
            events += reader.feed(piece)
        events += reader.close()
    assert info.value.message == "Overloaded"
    text = "".join(ev.text for ev in events if isinstance(ev, ContentDelta))
    assert text == '{"a": "bc'


# --- events read from their bytes without decoding their JSON -----------------------------------

#: The varying strings: mostly plain, some with characters JSON escapes, and the marker
#: ``§`` that :func:`_wire_body` may replace by raw bytes JSON or UTF-8 refuse.
_HOT_TEXT = st.one_of(
    st.text(alphabet="ab {}[]:,1", min_size=1, max_size=6),
    st.text(alphabet="ab {}[]:,1é€😀", min_size=1, max_size=6),
    st.text(alphabet='ab"\\\n\t\x00\x7fé😀§', max_size=4),
)
_RAW_BYTES = st.sampled_from([b"\x01", b"\n", b"\xff", b"\xc3", b"\x7f", b'"', b"\\"])


def _chat_shape(draw: Any) -> Callable[[str], dict[str, Any]]:
    """A Chat Completions chunk with one string left open: content, or a call's arguments."""
    top = {"id": draw(st.sampled_from(["chatcmpl-1", "chatcmpl-2"])),
           "object": "chat.completion.chunk", "created": 1, "model": "m",
           **draw(_maybe(usage=st.none() | st.just({"total_tokens": 3})))}
    index = draw(st.sampled_from([0, 0, 0, 1]))
    finish = draw(st.sampled_from([None] * 8 + ["stop", "tool_calls"]))
    call = draw(st.sampled_from([0, 0, 1, 2]))
    kind = draw(st.sampled_from(["content", "content", "args", "args", "start", "other"]))

    def chunk(text: str) -> dict[str, Any]:
        if kind == "content":
            delta: dict[str, Any] = {"content": text}
        elif kind == "args":
            delta = {"tool_calls": [{"index": call, "function": {"arguments": text}}]}
        elif kind == "start":
            delta = {"tool_calls": [{"index": call, "id": f"call_{call}", "type": "function",
                                     "function": {"name": "f", "arguments": text}}]}
        else:
            delta = {"role": "assistant", "content": text, "refusal": None}
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**top, "choices": [choice]}

    return chunk


def _anthropic_shape(draw: Any) -> Callable[[str], dict[str, Any]]:
    """An Anthropic event with one string left open: a ``text_delta`` mostly."""
    kind = draw(st.sampled_from(["text", "text", "json", "other"]))
    index = draw(st.sampled_from([0, 0, 1]))
    other = draw(st.sampled_from([
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}},
        {"type": "content_block_stop", "index": index},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}},
        {"type": "ping"},
    ]))

    def event(text: str) -> dict[str, Any]:
        if kind == "other":
            return other
        delta = ({"type": "text_delta", "text": text} if kind == "text"
                 else {"type": "input_json_delta", "partial_json": text})
        return {"type": "content_block_delta", "index": index, "delta": delta}

    return event


def _responses_shape(draw: Any) -> Callable[[str], dict[str, Any]]:
    """A Responses event with one string left open: an output text delta mostly."""
    kind = draw(st.sampled_from(["text", "text", "refusal", "args", "other"]))
    part = draw(st.sampled_from([0, 0, 1]))
    other = draw(st.sampled_from([
        {"type": "response.output_item.added", "output_index": 1,
         "item": {"type": "function_call", "id": "fc_1", "call_id": "c", "name": "f",
                  "arguments": ""}},
        {"type": "response.output_text.done", "item_id": "msg_1", "output_index": 0,
         "content_index": part, "text": "ab"},
        {"type": "response.completed", "response": {"status": "completed", "output": []}},
    ]))

    def event(text: str) -> dict[str, Any]:
        if kind == "other":
            return dict(other)
        if kind == "args":
            return {"type": "response.function_call_arguments.delta", "item_id": "fc_1",
                    "output_index": 1, "delta": text}
        name = "response.output_text.delta" if kind == "text" else "response.refusal.delta"
        return {"type": name, "item_id": "msg_1", "output_index": 0,
                "content_index": part, "delta": text, "logprobs": []}

    return event


@st.composite
def _wire_body(draw: Any) -> tuple[str, list[bytes]]:
    """A body of chunks of a few shapes, each spelled one of the ways servers spell JSON."""
    api = draw(st.sampled_from(["chat", "anthropic", "responses"]))
    shape = {"chat": _chat_shape, "anthropic": _anthropic_shape, "responses": _responses_shape}
    shapes = []
    for _ in range(draw(st.integers(1, 3))):
        make = shape[api](draw)
        spell = {"ensure_ascii": draw(st.booleans()),
                 "separators": draw(st.sampled_from([(",", ":"), (", ", ": ")]))}
        shapes.append((make, spell, api != "anthropic" and draw(st.booleans())))
    blocks = []
    counted = api == "responses" and draw(st.booleans())
    for n in range(draw(st.integers(0, 24))):
        make, spell, padded = shapes[draw(st.integers(0, len(shapes) - 1))]
        event = make(draw(_HOT_TEXT))
        if counted:  # the Responses API's counter, second, as OpenAI sends it
            count = draw(st.sampled_from([n, n, n, n * 1000, -1, 1.5, "7"]))
            event = {"type": event.pop("type"), "sequence_number": count, **event}
        if padded:  # OpenAI's random padding, different in every chunk
            event["obfuscation"] = draw(_HOT_TEXT | st.just("") | st.just(0))
        data = json.dumps(event, **spell)
        raw = data.encode()
        if "§" in data and draw(st.booleans()):
            raw = raw.replace("§".encode(), draw(_RAW_BYTES))  # bytes JSON or UTF-8 refuse
        if api == "chat":
            blocks.append(b"data: " + raw + b"\n\n")
        else:
            name = draw(st.sampled_from([event["type"]] * 8 + ["error", "message"]))
            blocks.append(b"event: " + name.encode() + b"\ndata: " + raw + b"\n\n")
    if api == "chat" and draw(st.booleans()):
        blocks.insert(draw(st.integers(0, len(blocks))), b"data: [DONE]\n\n")
    return api, blocks


def _wire_run(blocks: list[bytes], cuts: list[int], learn: bool, **kw: Any) -> list[Any]:
    """What each feed and the close of a WireReader give (an error by type and message)."""
    pipeline = ProviderPipeline(model=None, tools=None, choice=0, keep_text=True, **kw)
    reader = WireReader(pipeline, learn=learn)
    body = b"".join(blocks)
    points = sorted({0, *cuts, len(body)})
    got: list[Any] = []
    try:
        for start, end in itertools.pairwise(points):
            got.append(_norm(reader.feed(body[start:end])))
        got.append(_norm(reader.close()))
    except Exception as exc:
        got.append((type(exc), str(exc), _norm(getattr(exc, "events", []))))
    return [*got, pipeline.received(), reader.events_read]


@given(body=_wire_body(), cuts=st.lists(st.integers(0, 4000), max_size=6),
       json_mode=st.sampled_from([None, True, False]),
       format=st.sampled_from(["auto", "chat", "anthropic", "responses"]))
@example(body=("chat", [
    b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"[1"},"finish_reason":null}]}\n\n',
    b'data: {"id":"c","choices":[{"index":0,"delta":{"content":",2"},"finish_reason":null}]}\n\n',
    b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"\xff"},"finish_reason":null}]}\n\n',
]), cuts=[], json_mode=True, format="chat")
def test_events_read_without_decoding_their_json_are_the_decoded_ones(
    body: tuple[str, list[bytes]], cuts: list[int], json_mode: bool | None, format: Any
) -> None:
    """A chunk that differs from an earlier one only in one string is read from its bytes.

    The same events, errors and counts as decoding every event's JSON, under
    any chunking: escapes, non-ASCII, bytes JSON or UTF-8 refuse, another id,
    another shape, a call not started, an error event, after ``[DONE]``.
    """
    _api, blocks = body
    kw = {"json": json_mode, "format": format}
    assert _wire_run(blocks, cuts, True, **kw) == _wire_run(blocks, cuts, False, **kw)


def test_the_commonest_chunks_are_read_without_decoding_their_json() -> None:
    """Content and argument fragments: one decode learns each shape, the rest are read."""
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [
        {"index": 0, "delta": {"content": "x"}, "logprobs": None, "finish_reason": None}]}
    pieces = ['{"a": "', *(["word ", 'said \\"hi\\"', "é", "\\u00e9"] * 25), '"}']
    body = [_chat(None).encode()]
    for piece in pieces:
        chunk["choices"][0]["delta"]["content"] = piece
        body.append(f"data: {json.dumps(chunk)}\n\n".encode())
    reader = WireReader(ProviderPipeline(model=None, json=True, tools=None, choice=0,
                                         keep_text=True))
    events = [ev for piece in body for ev in reader.feed(piece)]
    assert "".join(ev.text for ev in events if isinstance(ev, ContentDelta)) == "".join(pieces)
    assert reader.events_read == len(body)
    assert reader.events_decoded <= 3  # the role chunk, the first piece, one with a plain text


@pytest.mark.parametrize("framing", ["sse", "ndjson"])
def test_a_content_error_in_a_later_event_of_one_read_keeps_the_events_before_it(
    framing: str,
) -> None:
    """Two events in one read, the second's content not JSON: the error has the first's events."""
    from midstream import JsonSyntaxError

    chunks = [{"choices": [{"index": 0, "delta": {"content": text}}]} for text in ('{"a": 1', "]")]
    if framing == "sse":
        body = b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks)
    else:
        body = b"".join(f"{json.dumps(c)}\n".encode() for c in chunks)
    reader = WireReader(ProviderPipeline(model=None, json=True, tools=None, choice=0,
                                         keep_text=False), framing=framing, format="chat")
    with pytest.raises(JsonSyntaxError) as info:
        reader.feed(body)
    texts = [ev.text for ev in info.value.events if isinstance(ev, ContentDelta)]
    assert texts == ['{"a": 1', "]"]


@pytest.mark.parametrize("format", ["auto", "anthropic"])
def test_an_event_with_a_field_of_the_wrong_type_is_a_parse_error(format: str) -> None:
    """Valid JSON of the wrong shape from the wire: our error, saying which event, not TypeError."""
    from midstream import JsonSyntaxError

    good = {"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": "a"}}
    bad = {"type": "content_block_delta", "index": 0, "delta": "text"}
    body = b"".join(f"event: x\ndata: {json.dumps(e)}\n\n".encode() for e in (good, bad))
    reader = WireReader(ProviderPipeline(model=None, json=False, tools=None, choice=0,
                                         keep_text=False), format=format)
    with pytest.raises(JsonSyntaxError, match="event 2 has a field of the wrong type") as info:
        reader.feed(body)
    assert [ev.text for ev in info.value.events if isinstance(ev, ContentDelta)] == ["a"]
