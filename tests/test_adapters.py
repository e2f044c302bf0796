"""Adapters: parsers driven by iterators, async iterators and real SDK streams."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from helpers import chunkings, merge_deltas, run
from midstream import JsonStream, StreamTimeout, ValueDone
from midstream._adapters import aiter_events, iter_events

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


def test_idle_timeout_does_not_fire_on_a_steady_stream() -> None:
    def slow() -> Iterator[str]:
        for ch in ['{"a": ', "1", "}"]:
            time.sleep(0.05)
            yield ch

    events = list(iter_events(JsonStream(), slow(), idle_timeout=1.0))
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


# --- idle timeout (sync: a reader thread inside the adapter) ----------------------------------


def _reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "midstream-reader"]


def test_idle_timeout_sync_raises_with_what_was_received_and_closes() -> None:
    src = Source(['{"a": 1, ', '"b": "x'], block=True)
    seen = []
    started = time.monotonic()
    with pytest.raises(StreamTimeout) as info:
        for ev in iter_events(JsonStream(), src, idle_timeout=0.2):
            seen.append(ev)
    assert 0.2 <= time.monotonic() - started < 3
    exc = info.value
    assert isinstance(exc, TimeoutError)
    assert exc.timeout == 0.2
    assert exc.received == '{"a": 1, "b": "x'
    assert exc.events == seen
    assert ValueDone(("a",), 1) in exc.events
    assert src.closed == 1
    # closing the source released the blocked read: the reader thread ends
    deadline = time.monotonic() + 5
    while _reader_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
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
    deadline = time.monotonic() + 5
    while _reader_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _reader_threads()


# --- async: timeout, cancellation, early stop ---------------------------------------------------


class ASource:
    """An async source that records whether it was closed and whether it is still running."""

    def __init__(self, chunks: list[str], *, stall: float = 0.0) -> None:
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
                await asyncio.sleep(self.stall)
        finally:
            self.running = False
            self.closed = True


def _others() -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]


def test_idle_timeout_async() -> None:
    async def main() -> None:
        src = ASource(['{"a": 1, ', '"b": "x'], stall=30)
        seen = []
        with pytest.raises(StreamTimeout) as info:
            async for ev in aiter_events(JsonStream(), src.gen(), idle_timeout=0.1):
                seen.append(ev)
        assert info.value.received == '{"a": 1, "b": "x'
        assert info.value.events == seen
        assert src.closed and not src.running
        assert not _others()

    _arun(main())


def test_cancelling_the_async_consumer_leaves_nothing_running() -> None:
    async def main() -> None:
        src = ASource(['{"a": 1, '], stall=30)
        got: list[Any] = []

        async def consume() -> None:
            async for ev in aiter_events(JsonStream(), src.gen(), idle_timeout=20):
                got.append(ev)

        task = asyncio.create_task(consume())
        while not any(isinstance(ev, ValueDone) for ev in got):
            await asyncio.sleep(0.01)
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
