"""Adapters: parsers driven by iterators, async iterators and real SDK streams."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _sse_server import RecordingServer, load_corpus
from helpers import chunkings, merge_deltas, run, shared_path, split_points
from midstream import (
    ContentDelta,
    Finish,
    JsonStream,
    StreamTimeout,
    StringDelta,
    ToolCallDone,
    ToolCallError,
    ToolCallStart,
    Truncated,
    ValueDone,
    ValueStart,
)
from midstream._adapters import (
    CUT_REASONS,
    aiter_events,
    astream_events,
    iter_events,
    stream_events,
)
from strategies import json_documents, json_text_no_surrogates

DOC = '{"title": "Streaming", "items": [{"id": 1, "tags": ["a", "b"]}, 2.5, null], "ok": true}'


def _arun(coro: Any) -> Any:
    return asyncio.run(coro)


async def _alist(ait: AsyncIterator[Any]) -> list[Any]:
    return [ev async for ev in ait]


async def _agen(chunks: list[str]) -> AsyncIterator[str]:
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


# --- generic adapters give what feed()/close() give, under every chunking -----------------


def test_iter_events_equals_feeding_by_hand() -> None:
    for chunks in chunkings(DOC):
        assert merge_deltas(list(iter_events(JsonStream(), chunks))) == run(JsonStream, chunks)[0]


def test_aiter_events_equals_feeding_by_hand() -> None:
    async def main() -> None:
        for chunks in chunkings(DOC, tokens=False):
            got = await _alist(aiter_events(JsonStream(), _agen(chunks)))
            assert merge_deltas(got) == run(JsonStream, chunks)[0]

    _arun(main())


@given(doc=json_documents(), data=st.data())
def test_property_adapters_equal_feeding_by_hand(doc: str, data: st.DataObject) -> None:
    chunks = data.draw(split_points(doc))
    expected = run(JsonStream, [doc])
    assert run(JsonStream, chunks) == expected
    try:
        got = merge_deltas(list(iter_events(JsonStream(), chunks)))
    except ValueError as exc:  # ParseError: the same error as feeding by hand
        assert (exc.kind, exc.offset) == expected[1]  # type: ignore[attr-defined]
    else:
        assert (got, None) == expected

    async def main() -> list[Any]:
        return await _alist(aiter_events(JsonStream(), _agen(chunks)))

    if expected[1] is None:
        assert merge_deltas(_arun(main())) == expected[0]


def _chat_chunks(pieces: list[str]) -> list[dict[str, Any]]:
    return [
        {"object": "chat.completion.chunk",
         "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        for piece in pieces
    ]


@given(doc=json_documents(strings=json_text_no_surrogates), data=st.data())
def test_property_stream_events_content_fields(doc: str, data: st.DataObject) -> None:
    """The content's fields are JsonStream's on the same text, whatever the chunking;
    a stream cut anywhere ends in Truncated with the partial value, never in a ValueDone
    that the text so far does not close."""
    pieces = [p for p in data.draw(split_points(doc)) if p]
    stop = {"object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    events = list(stream_events([*_chat_chunks(pieces), stop], json=True))
    assert "".join(ev.text for ev in events if isinstance(ev, ContentDelta)) == doc
    fields = [ev for ev in events if not isinstance(ev, (ContentDelta, Finish))]
    assert (merge_deltas(fields), None) == run(JsonStream, [doc])
    assert events[-1] == Finish(0, "stop")

    async def agen() -> AsyncIterator[dict[str, Any]]:
        for chunk in [*_chat_chunks(pieces), stop]:
            await asyncio.sleep(0)
            yield chunk

    assert _arun(_alist(astream_events(agen(), json=True))) == events

    # cut the stream short: no finish
    cut = data.draw(st.integers(0, len(pieces)))
    events = list(stream_events(_chat_chunks(pieces[:cut]), json=True))
    parser = JsonStream()
    expected_fields: list[Any] = []
    for piece in pieces[:cut]:
        expected_fields += parser.feed(piece)
    assert [ev for ev in events if not isinstance(ev, (ContentDelta, Truncated))] == expected_fields
    assert events[-1] == Truncated(0, None, parser.snapshot())


def test_idle_timeout_does_not_fire_on_a_steady_stream() -> None:
    """Each chunk waits for a "server" thread to release it: gaps, but well under the timeout."""
    asked = threading.Semaphore(0)
    released = threading.Semaphore(0)
    chunks = ['{"a": ', "1", "}"]

    def server() -> None:
        for _ in chunks:
            asked.acquire()
            released.release()

    def steady() -> Iterator[str]:
        for ch in chunks:
            asked.release()  # the reader thread is blocked on the "network" from here
            released.acquire()
            yield ch

    thread = threading.Thread(target=server)
    thread.start()
    events = list(iter_events(JsonStream(), steady(), idle_timeout=30))
    thread.join()
    assert events[-1] == ValueDone((), {"a": 1})


# --- stopping early closes the source -------------------------------------------------------


class Source:
    """Like openai's Stream: iter() gives a fresh generator, close() closes the response."""

    def __init__(self, chunks: list[str], *, block: bool = False) -> None:
        self.chunks = chunks
        self.closed = 0
        self.unblock = threading.Event()
        self.block = block

    def __iter__(self) -> Iterator[str]:
        yield from self.chunks
        if self.block:  # a server that stops sending, until the connection is closed
            self.unblock.wait(10)

    def close(self) -> None:
        self.closed += 1
        self.unblock.set()


def test_break_closes_the_source() -> None:
    src = Source(['{"a": 1, ', '"b": 2}'])
    for ev in iter_events(JsonStream(), src):
        if isinstance(ev, ValueDone) and ev.path == ("a",):
            break
    assert src.closed == 1


def test_an_exception_in_the_consumer_closes_the_source() -> None:
    src = Source(['{"a": 1, ', '"b": 2}'])
    with pytest.raises(KeyError):
        for _ev in iter_events(JsonStream(), src):
            raise KeyError("consumer failed")
    assert src.closed == 1


def test_bad_input_closes_the_source() -> None:
    src = Source(['{"a": 1, ', "oops"])
    with pytest.raises(ValueError):
        list(iter_events(JsonStream(), src))
    assert src.closed == 1


def test_a_source_read_to_the_end_is_left_alone() -> None:
    src = Source(['{"a": 1}'])
    list(iter_events(JsonStream(), src))
    assert src.closed == 0


def test_a_generator_source_is_closed() -> None:
    state = {"finally": False}

    def gen() -> Iterator[str]:
        try:
            yield '{"a": 1, '
            yield '"b": 2}'
        finally:
            state["finally"] = True

    events = iter_events(JsonStream(), gen())
    next(events)
    events.close()
    assert state["finally"]


# --- the adapters as context managers: which form closes when --------------------------------


def test_with_closes_a_stored_result_left_with_break() -> None:
    src = Source(['{"a": 1, ', '"b": 2}'])
    events = iter_events(JsonStream(), src)
    for _ev in events:
        break
    # kept in a variable: the generator is alive, so the source stays open
    assert src.closed == 0
    events.close()
    assert src.closed == 1
    events.close()  # idempotent
    assert src.closed == 1

    src = Source(['{"a": 1, ', '"b": 2}'])
    with iter_events(JsonStream(), src) as events:
        for _ev in events:
            break
        assert src.closed == 0
    assert src.closed == 1


def test_with_closes_a_source_it_never_read_and_leaves_a_finished_one() -> None:
    src = Source(['{"a": 1}'])
    with iter_events(JsonStream(), src):
        pass
    assert src.closed == 1
    src = Source(['{"a": 1}'])
    with iter_events(JsonStream(), src) as events:
        assert list(events)[-1] == ValueDone((), {"a": 1})
    assert src.closed == 0
    src = Source(['{"a": 1}'])
    with pytest.raises(KeyError), iter_events(JsonStream(), src) as events:
        next(events)
        raise KeyError("consumer failed")
    assert src.closed == 1


def test_async_with_closes_at_once() -> None:
    async def main() -> None:
        src = ASource(['{"a": 1, ', '"b": 2}'])
        async with aiter_events(JsonStream(), src.gen()) as events:
            async for _ev in events:
                break
        # no gc.collect(), no loop turn: closed by the exit itself
        assert src.closed and not src.running

        aclosable = AClosable()
        async with aiter_events(JsonStream(), aclosable) as events:
            assert await events.__anext__() == ValueStart((), "array")
        assert aclosable.closed

        never = AClosable()
        async with aiter_events(JsonStream(), never):
            pass
        assert never.closed

        done = AClosable()
        async with aiter_events(JsonStream(), done) as events:
            assert [ev async for ev in events][-1] == ValueDone((), [1, 2])
        assert not done.closed

    _arun(main())


# --- idle_timeout is checked where the stream is made, the same way sync and async ----------------

BAD_TIMEOUTS = [
    ("5", TypeError), (True, TypeError), (b"1", TypeError), ([1], TypeError),
    (0, ValueError), (0.0, ValueError), (-1, ValueError), (float("nan"), ValueError),
    (float("inf"), ValueError), (float("-inf"), ValueError),
    pytest.param(10**400, ValueError, id="10**400"),
]


@pytest.mark.parametrize(("value", "error"), BAD_TIMEOUTS)
def test_a_bad_idle_timeout_is_refused_by_every_adapter_at_the_call(
    value: Any, error: type[Exception]
) -> None:
    async def never_read() -> AsyncIterator[str]:
        raise AssertionError("the source must not be read")
        yield ""

    makers = [
        lambda: iter_events(JsonStream(), iter(["[]"]), idle_timeout=value),
        lambda: aiter_events(JsonStream(), never_read(), idle_timeout=value),
        lambda: stream_events([], idle_timeout=value),
        lambda: astream_events(never_read(), idle_timeout=value),
    ]
    messages = set()
    for make in makers:
        with pytest.raises(error) as info:
            make()  # the call itself raises: no iteration needed
        assert type(info.value) is error
        assert "idle_timeout" in str(info.value)
        messages.add(str(info.value))
    assert len(messages) == 1  # one message, sync and async alike


@pytest.mark.parametrize("value", [None, 30, 60.0, 3600])
def test_a_good_idle_timeout_is_accepted(value: Any) -> None:
    assert list(iter_events(JsonStream(), ["[1]"], idle_timeout=value))[-1] == ValueDone((), [1])

    async def main() -> list[Any]:
        return await _alist(aiter_events(JsonStream(), _agen(["[1]"]), idle_timeout=value))

    assert _arun(main())[-1] == ValueDone((), [1])


# --- idle timeout (sync: a reader thread inside the adapter) ----------------------------------


def _reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "midstream-reader"]


def _join_reader_threads() -> None:
    """Wait for the reader threads to end (each join returns when its thread does)."""
    for thread in _reader_threads():
        thread.join(30)


def test_idle_timeout_sync_raises_with_what_was_received_and_closes() -> None:
    # The chunks are there at once, then the source blocks until it is closed: the
    # timeout can only fire on the block (1 s is ample for a thread to hand over a
    # chunk that is already in memory), and no bound is put on how long it took.
    src = Source(['{"a": 1, ', '"b": "x'], block=True)
    seen = []
    with pytest.raises(StreamTimeout) as info:
        for ev in iter_events(JsonStream(), src, idle_timeout=1.0):
            seen.append(ev)
    exc = info.value
    assert isinstance(exc, TimeoutError)
    assert exc.timeout == 1.0
    assert exc.received == '{"a": 1, "b": "x'
    assert exc.events == seen
    assert ValueDone(("a",), 1) in exc.events
    assert src.closed == 1
    # closing the source released the blocked read: the reader thread ends
    _join_reader_threads()
    assert not _reader_threads()


def test_idle_timeout_sync_passes_source_errors_through() -> None:
    def failing() -> Iterator[str]:
        yield "["
        raise ConnectionError("reset by peer")

    with pytest.raises(ConnectionError):
        list(iter_events(JsonStream(), failing(), idle_timeout=1))


def test_idle_timeout_sync_early_break_leaves_no_thread() -> None:
    src = Source(["[1, ", "2, ", "3]"])
    for _ev in iter_events(JsonStream(), src, idle_timeout=1):
        break
    assert src.closed == 1
    _join_reader_threads()
    assert not _reader_threads()


# --- async: timeout, cancellation, early stop ---------------------------------------------------


class ASource:
    """An async source that records whether it was closed and whether it is still running.

    With ``stall``, it sends nothing after its chunks until it is closed or cancelled.
    """

    def __init__(self, chunks: list[str], *, stall: bool = False) -> None:
        self.chunks = chunks
        self.stall = stall
        self.closed = False
        self.running = False

    async def gen(self) -> AsyncIterator[str]:
        self.running = True
        try:
            for chunk in self.chunks:
                await asyncio.sleep(0)
                yield chunk
            if self.stall:
                await asyncio.Event().wait()  # never set
        finally:
            self.running = False
            self.closed = True


def _others() -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]


def test_idle_timeout_async() -> None:
    async def main() -> None:
        src = ASource(['{"a": 1, ', '"b": "x'], stall=True)
        seen = []
        with pytest.raises(StreamTimeout) as info:
            async for ev in aiter_events(JsonStream(), src.gen(), idle_timeout=1.0):
                seen.append(ev)
        assert info.value.received == '{"a": 1, "b": "x'
        assert info.value.events == seen
        assert src.closed and not src.running
        assert not _others()

    _arun(main())


def test_cancelling_the_async_consumer_leaves_nothing_running() -> None:
    async def main() -> None:
        src = ASource(['{"a": 1, '], stall=True)
        field_done = asyncio.Event()

        async def consume() -> None:
            async for ev in aiter_events(JsonStream(), src.gen(), idle_timeout=600):
                if isinstance(ev, ValueDone):
                    field_done.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(field_done.wait(), 60)  # a hang guard, not a bound
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert src.closed and not src.running
        assert not _others()

    _arun(main())


def test_async_break_closes_the_source() -> None:
    async def main() -> None:
        src = ASource(['{"a": 1, ', '"b": 2}'])
        async with contextlib.aclosing(aiter_events(JsonStream(), src.gen())) as events:
            async for _ev in events:
                break
        assert src.closed

        # without aclosing, Python closes the abandoned generator when it is collected
        src2 = ASource(['{"a": 1, ', '"b": 2}'])
        async for _ev in aiter_events(JsonStream(), src2.gen()):
            break
        gc.collect()
        for _ in range(5):
            await asyncio.sleep(0)
        assert src2.closed

    _arun(main())


class AClosable:
    """Like openai's AsyncStream: ``__aiter__`` makes a fresh generator; ``close()`` is async."""

    def __init__(self) -> None:
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[str]:
        yield "["
        yield "1,"
        yield "2]"

    async def close(self) -> None:
        self.closed = True


def test_async_exception_awaits_an_async_close() -> None:
    async def main() -> None:
        src = AClosable()
        with pytest.raises(RuntimeError):
            async for _ev in aiter_events(JsonStream(), src):
                raise RuntimeError("consumer failed")
        # the abandoned generator is closed by the loop's async-generator finalizer
        gc.collect()
        for _ in range(5):
            await asyncio.sleep(0)
        assert src.closed

    _arun(main())


# --- provider streams: the recorded corpus, as dicts ---------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> dict[str, dict[str, Any]]:
    return load_corpus(shared_path("corpus", "real"))


def _finishes(stream: dict[str, Any]) -> list[str | None]:
    """The finish reasons the corpus notes record, one per choice (None: no finish)."""
    for part in stream["notes"].split(";"):
        part = part.strip()
        if part.startswith("finish="):
            value = part[len("finish="):].split(". ")[0].strip().rstrip(".")
            return [None if v == "None" else v for v in value.split(",")]
    raise AssertionError(f"no finish= in the notes of {stream['id']}")


def _content(events: list[Any], choice: int = 0) -> str:
    return "".join(
        ev.text for ev in events
        if isinstance(ev, ContentDelta) and ev.choice == choice and isinstance(ev.text, str)
    )


@pytest.mark.shared
def test_every_recorded_stream_ends_complete_or_truncated(corpus: dict[str, Any]) -> None:
    """A cut stream is never passed on as complete, and a finished one is never called cut."""
    for sid, stream in corpus.items():
        events = list(stream_events(stream["events"]))
        finish = _finishes(stream)
        truncated = {ev.choice: ev for ev in events if isinstance(ev, Truncated)}
        # normalise the Responses terminal event name to its status
        last_reason = [ev.reason for ev in events if isinstance(ev, Finish)]
        cut = [
            f is None or f.removeprefix("response.") in CUT_REASONS
            for f in finish
        ]
        assert (0 in truncated) == cut[0], (sid, finish, last_reason)
        done_roots = [ev for ev in events if isinstance(ev, ValueDone) and ev.path == ()]
        text = _content(events)
        head = text.lstrip()[:1]
        if head in ("{", "[") and not cut[0]:
            try:
                expected = json.loads(text)
            except ValueError:
                # the content began like JSON and is not: it stays plain text
                assert not done_roots, sid
                continue
            assert done_roots == [ValueDone((), expected)], sid
        if cut[0] and head in ("{", "["):
            # what was unfinished got no ValueDone, and the partial value is there
            try:
                json.loads(text)
            except ValueError:
                assert not done_roots, sid
                assert truncated[0].partial is not None, sid
        # every tool call ends once, as done or as error
        starts = [(ev.choice, ev.index) for ev in events if isinstance(ev, ToolCallStart)]
        ends = [(ev.choice, ev.index) for ev in events
                if isinstance(ev, (ToolCallDone, ToolCallError))]
        assert sorted(starts) == sorted(set(ends)), sid


@pytest.mark.shared
def test_truncated_json_content_is_marked_not_completed(corpus: dict[str, Any]) -> None:
    stream = corpus["workflowai:anthropic:finish_reason_max_tokens_stream_response"]
    events = list(stream_events(stream["events"]))
    assert events[-2:-1] == [Finish(0, "max_tokens")]
    last = events[-1]
    assert isinstance(last, Truncated) and last.reason == "max_tokens"
    text = _content(events)
    # the partial value is the text so far, read as far as it goes
    assert isinstance(last.partial, dict)
    assert text.startswith("{") and last.partial["content"] in text
    assert not any(isinstance(ev, ValueDone) and ev.path in ((), ("content",)) for ev in events)


@pytest.mark.shared
def test_a_stream_that_just_stops_is_truncated(corpus: dict[str, Any]) -> None:
    stream = corpus["pydantic-ai:test_clean_eof_without_finish_reason"]
    events = list(stream_events(stream["events"]))
    assert not any(isinstance(ev, Finish) for ev in events)
    assert events[-1] == Truncated(0, None, None)
    # cut the JSON stream short ourselves: no finish, unfinished value
    json_stream = corpus["openai-python:test_parse_pydantic_model:15ae68f7"]["events"][:8]
    events = list(stream_events(json_stream, json=True))
    assert isinstance(events[-1], Truncated) and events[-1].reason is None
    assert events[-1].partial == {"city": "San Francisco"}
    assert not any(isinstance(ev, ValueDone) and ev.path == () for ev in events)


def test_an_empty_stream_is_truncated() -> None:
    assert list(stream_events([])) == [Truncated(0, None, None)]


def _chunk(content: str | None = None, finish: str | None = None, index: int = 0) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {"object": "chat.completion.chunk",
            "choices": [{"index": index, "delta": delta, "finish_reason": finish}]}


def test_json_modes() -> None:
    prose = [_chunk("[Note] this is not JSON"), _chunk(finish="stop")]
    # auto: began like JSON, is not: left as text, no error, no ValueDone for the root
    events = list(stream_events(prose))
    assert events[-1] == Finish(0, "stop")
    assert not any(isinstance(ev, ValueDone) and ev.path == () for ev in events)
    with pytest.raises(ValueError) as info:
        list(stream_events(prose, json=True))
    assert info.value.offset == 1  # type: ignore[attr-defined]
    assert all(isinstance(ev, (ContentDelta, Finish)) for ev in stream_events(prose, json=False))
    # auto: text after the JSON value is fine; json=True: it is an error
    trailing = [_chunk(' {"a": 1}'), _chunk(" hope this helps"), _chunk(finish="stop")]
    assert ValueDone((), {"a": 1}) in list(stream_events(trailing))
    with pytest.raises(ValueError):
        list(stream_events(trailing, json=True))
    # json=True and a finish with unfinished JSON: an error, not a silent success
    with pytest.raises(ValueError):
        list(stream_events([_chunk('{"a": '), _chunk(finish="stop")], json=True))


def test_only_the_chosen_choice_is_parsed_and_each_choice_ends() -> None:
    chunks = [_chunk('{"n": 0}', index=0), _chunk('{"n": 1}', index=1),
              _chunk(finish="stop", index=0), _chunk(finish="length", index=1)]
    events = list(stream_events(chunks, choice=1))
    assert ValueDone((), {"n": 1}) in events
    assert ValueDone((), {"n": 0}) not in events
    assert [ev for ev in events if isinstance(ev, Truncated)] == [Truncated(1, "length", {"n": 1})]


# --- the real SDK clients against a real local server ---------------------------------------------

CHAT = [
    "openai-python:test_parse_pydantic_model:15ae68f7",  # JSON content
    "openai-python:test_parse_pydantic_model_multiple_choices:07fc6368",  # n=3
    "openai-python:test_parse_max_tokens_reached:4cc50a61",  # finish_reason length
    "workflowai:openai:stream_with_tools",  # four parallel tool calls
    "vercel-ai:mistral:mistral-tool-call",  # no tool-call index
    "pydantic-ai:test_clean_eof_without_finish_reason",  # no finish at all
]
RESPONSES = [
    "llm:test_async_model_schema",  # JSON output_text
    "llm:test_responses_tool_use_streaming#0",  # function call
]
ANTHROPIC = [
    "workflowai:anthropic:stream_data_with_usage",  # JSON text
    "workflowai:anthropic:finish_reason_max_tokens_stream_response",  # max_tokens
    "workflowai:anthropic:anthropic_with_multiple_tools_streaming_fixture",  # parallel tool_use
]
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def server(corpus: dict[str, Any]) -> Iterator[RecordingServer]:
    with RecordingServer(corpus) as srv:
        yield srv


@pytest.fixture
def srv(server: RecordingServer) -> RecordingServer:
    server.reset()
    return server


def _openai(srv: RecordingServer, *, async_: bool = False) -> Any:
    openai = pytest.importorskip("openai")
    cls = openai.AsyncOpenAI if async_ else openai.OpenAI
    return cls(base_url=srv.url + "/v1", api_key="test-key", max_retries=0, timeout=10)


def _expected(corpus: dict[str, Any], sid: str) -> list[Any]:
    return list(stream_events(corpus[sid]["events"]))


@pytest.mark.shared
@pytest.mark.parametrize("sid", CHAT)
def test_openai_chat_stream(srv: RecordingServer, corpus: dict[str, Any], sid: str) -> None:
    client = _openai(srv)
    stream = client.chat.completions.create(model=sid, messages=MESSAGES, stream=True)
    assert list(stream_events(stream)) == _expected(corpus, sid)
    path, body, headers = srv.requests[-1]
    assert path == "/v1/chat/completions" and body["stream"] is True
    assert headers["authorization"] == "Bearer test-key"


@pytest.mark.shared
@pytest.mark.parametrize("sid", CHAT[:4])
def test_openai_chat_stream_manager(srv: RecordingServer, corpus: dict[str, Any], sid: str) -> None:
    client = _openai(srv)
    manager = client.chat.completions.stream(model=sid, messages=MESSAGES)
    assert list(stream_events(manager)) == _expected(corpus, sid)


@pytest.mark.shared
@pytest.mark.parametrize("sid", CHAT[:4])
def test_openai_async_chat_stream(srv: RecordingServer, corpus: dict[str, Any], sid: str) -> None:
    async def main() -> None:
        client = _openai(srv, async_=True)
        stream = await client.chat.completions.create(model=sid, messages=MESSAGES, stream=True)
        assert await _alist(astream_events(stream)) == _expected(corpus, sid)
        manager = client.chat.completions.stream(model=sid, messages=MESSAGES)
        assert await _alist(astream_events(manager)) == _expected(corpus, sid)
        await client.close()

    _arun(main())


@pytest.mark.shared
@pytest.mark.parametrize("sid", RESPONSES)
def test_openai_responses_stream(srv: RecordingServer, corpus: dict[str, Any], sid: str) -> None:
    client = _openai(srv)
    stream = client.responses.create(model=sid, input="hi", stream=True)
    assert list(stream_events(stream)) == _expected(corpus, sid)
    assert srv.requests[-1][0] == "/v1/responses"
    with_manager = list(stream_events(client.responses.stream(model=sid, input="hi")))
    assert with_manager == _expected(corpus, sid)


@pytest.mark.shared
@pytest.mark.parametrize("sid", ANTHROPIC)
def test_anthropic_stream(srv: RecordingServer, corpus: dict[str, Any], sid: str) -> None:
    anthropic = pytest.importorskip("anthropic")
    client = anthropic.Anthropic(base_url=srv.url, api_key="test-key", max_retries=0, timeout=10)
    kw: dict[str, Any] = {"model": sid, "max_tokens": 100, "messages": MESSAGES}
    assert list(stream_events(client.messages.create(stream=True, **kw))) == _expected(corpus, sid)
    assert list(stream_events(client.messages.stream(**kw))) == _expected(corpus, sid)
    assert srv.requests[-1][0] == "/v1/messages"


@pytest.mark.shared
def test_openai_tools_and_model_validation(srv: RecordingServer, corpus: dict[str, Any]) -> None:
    pydantic = pytest.importorskip("pydantic")

    class GetTemperature(pydantic.BaseModel):
        city_code: int

    sid = "workflowai:openai:stream_with_tools"
    client = _openai(srv)
    stream = client.chat.completions.create(model=sid, messages=MESSAGES, stream=True)
    tools = {"get_temperature": GetTemperature, "get_rain_probability": None,
             "get_wind_speed": None, "get_weather_conditions": None}
    done = [ev for ev in stream_events(stream, tools=tools) if isinstance(ev, ToolCallDone)]
    assert done[0].arguments == GetTemperature(city_code=125321)
    assert [ev.name for ev in done[1:]] == [
        "get_rain_probability", "get_wind_speed", "get_weather_conditions"
    ]


# --- stopping early reaches the server ----------------------------------------------------------


@pytest.mark.shared
def test_break_closes_the_http_response(srv: RecordingServer) -> None:
    srv.hold_after = 6
    client = _openai(srv)
    stream = client.chat.completions.create(
        model="openai-python:test_parse_pydantic_model:15ae68f7", messages=MESSAGES, stream=True
    )
    for ev in stream_events(stream):
        if isinstance(ev, StringDelta):
            break
    assert stream.response.is_closed
    assert srv.disconnected.wait(5), "the server never saw the client go away"


@pytest.mark.shared
def test_with_closes_the_http_response_of_a_stored_result(srv: RecordingServer) -> None:
    """Kept in a variable and left with break, the response stays open; ``with`` closes it."""
    sid = "openai-python:test_parse_pydantic_model:15ae68f7"
    client = _openai(srv)
    srv.hold_after = 6
    stream = client.chat.completions.create(model=sid, messages=MESSAGES, stream=True)
    events = stream_events(stream)
    for ev in events:
        if isinstance(ev, StringDelta):
            break
    assert not stream.response.is_closed and not srv.disconnected.is_set()
    events.close()
    assert stream.response.is_closed
    assert srv.disconnected.wait(10), "the server never saw the client go away"

    srv.reset()
    srv.hold_after = 6
    stream = client.chat.completions.create(model=sid, messages=MESSAGES, stream=True)
    with stream_events(stream) as events:
        for ev in events:
            if isinstance(ev, StringDelta):
                break
        assert not stream.response.is_closed
    assert stream.response.is_closed
    assert srv.disconnected.wait(10)

    # a manager, entered by the iteration and exited by the with
    srv.reset()
    srv.hold_after = 6
    with stream_events(client.chat.completions.stream(model=sid, messages=MESSAGES)) as events:
        next(ev for ev in events if isinstance(ev, StringDelta))
    assert srv.disconnected.wait(10)


@pytest.mark.shared
def test_async_with_closes_the_http_response_at_once(srv: RecordingServer) -> None:
    sid = "openai-python:test_parse_pydantic_model:15ae68f7"

    async def main() -> None:
        client = _openai(srv, async_=True)
        srv.hold_after = 6
        stream = await client.chat.completions.create(model=sid, messages=MESSAGES, stream=True)
        async with astream_events(stream) as events:
            async for ev in events:
                if isinstance(ev, StringDelta):
                    break
            assert not stream.response.is_closed
        # closed by the exit itself, not by a later garbage collection
        assert stream.response.is_closed
        assert await asyncio.to_thread(srv.disconnected.wait, 10)

        srv.reset()
        srv.hold_after = 6
        manager = client.chat.completions.stream(model=sid, messages=MESSAGES)
        async with astream_events(manager) as events:
            async for ev in events:
                if isinstance(ev, StringDelta):
                    break
        assert await asyncio.to_thread(srv.disconnected.wait, 10)
        await client.close()
        assert not _others()

    _arun(main())


@pytest.mark.shared
def test_break_closes_a_stream_manager(srv: RecordingServer) -> None:
    srv.hold_after = 6
    client = _openai(srv)
    manager = client.chat.completions.stream(
        model="openai-python:test_parse_pydantic_model:15ae68f7", messages=MESSAGES
    )
    for ev in stream_events(manager):
        if isinstance(ev, ContentDelta):
            break
    assert srv.disconnected.wait(5)


@pytest.mark.shared
def test_idle_timeout_on_a_real_stream(srv: RecordingServer) -> None:
    srv.hold_after = 6
    client = _openai(srv)
    stream = client.chat.completions.create(
        model="openai-python:test_parse_pydantic_model:15ae68f7", messages=MESSAGES, stream=True
    )
    # The six events before the hold are sent (in the socket's buffer) before reading
    # starts, so the timeout can only fire at the hold.
    assert srv.holding.wait(30)
    seen = []
    with pytest.raises(StreamTimeout) as info:
        for ev in stream_events(stream, idle_timeout=1.0):
            seen.append(ev)
    assert info.value.events == seen
    assert info.value.received == _content(seen) == '{"city":"San Francisco'
    assert srv.disconnected.wait(5)


@pytest.mark.shared
def test_async_cancel_and_timeout_on_a_real_stream(srv: RecordingServer) -> None:
    sid = "openai-python:test_parse_pydantic_model:15ae68f7"

    async def main() -> None:
        client = _openai(srv, async_=True)
        srv.hold_after = 6
        stream = await client.chat.completions.create(model=sid, messages=MESSAGES, stream=True)
        string_seen = asyncio.Event()

        async def consume() -> None:
            async for ev in astream_events(stream):
                if isinstance(ev, StringDelta):
                    string_seen.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(string_seen.wait(), 60)  # a hang guard, not a bound
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert stream.response.is_closed
        assert not _others()
        assert await asyncio.to_thread(srv.disconnected.wait, 5)

        srv.reset()
        srv.hold_after = 6
        stream = await client.chat.completions.create(model=sid, messages=MESSAGES, stream=True)
        assert await asyncio.to_thread(srv.holding.wait, 30)  # sent up to the hold
        with pytest.raises(StreamTimeout) as info:
            async for _ev in astream_events(stream, idle_timeout=1.0):
                pass
        assert info.value.received == '{"city":"San Francisco'
        assert stream.response.is_closed
        assert await asyncio.to_thread(srv.disconnected.wait, 5)
        await client.close()
        assert not _others()

    _arun(main())


@pytest.mark.shared
def test_model_validation_through_stream_events(corpus: dict[str, Any]) -> None:
    from typing import Literal

    from pydantic import BaseModel, ValidationError

    from midstream import FieldInvalid, FieldValidated

    class Weather(BaseModel):
        city: str
        temperature: int
        units: str

    recorded = corpus["openai-python:test_parse_pydantic_model:15ae68f7"]["events"]
    events = list(stream_events(recorded, model=Weather))
    validated = [ev for ev in events if isinstance(ev, FieldValidated)]
    assert [ev.path for ev in validated] == [("city",), ("temperature",), ("units",), ()]
    assert validated[-1].value == Weather(city="San Francisco", temperature=68, units="f")
    assert events[-2] == Finish(0, "stop")  # then the include_usage chunk's Usage

    # cut short: the model's partial instance, no verdict on the root
    events = list(stream_events(recorded[:8], model=Weather))
    last = events[-1]
    assert isinstance(last, Truncated) and last.reason is None
    assert isinstance(last.partial, Weather) and last.partial.city == "San Francisco"
    assert not any(isinstance(ev, FieldValidated) and ev.path == () for ev in events)

    class Celsius(BaseModel):
        city: str
        temperature: int
        units: Literal["c"]

    seen: list[Any] = []
    with pytest.raises(ValidationError):
        for ev in stream_events(recorded, model=Celsius):
            seen.append(ev)
    invalid = [ev for ev in seen if isinstance(ev, FieldInvalid)]
    assert [ev.path for ev in invalid] == [("units",), ()]  # the field, then the whole
