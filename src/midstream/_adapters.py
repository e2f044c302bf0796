"""Adapters: the sans-I/O parsers driven by the streams users already have.

The parsers never do I/O. This module is where midstream meets iterators,
async iterators, threads and timeouts, and it keeps three promises:

* **Stopping early stops the source.** When the consumer leaves the loop (a
  ``break``, an exception, ``close()`` on the generator, a cancelled task), the
  source's ``close()`` / ``aclose()`` is called, so an HTTP response is closed
  and the model stops generating. A source that was read to its end is left
  alone. (For ``async for``, Python closes an abandoned async generator only
  when it is garbage-collected or the loop shuts down; wrap it in
  ``contextlib.aclosing`` for an immediate close.)
* **A quiet source times out.** With ``idle_timeout``, a source that sends
  nothing for that many seconds between two chunks is closed and
  :class:`~midstream.StreamTimeout` is raised, carrying what was received and
  the events parsed from it. Async sources are awaited under
  :func:`asyncio.wait_for`. A sync iterator cannot be interrupted, so it is read
  by one daemon thread that the adapter starts and that does nothing but call
  ``next()`` when asked: after a timeout the adapter closes the source, which
  makes an HTTP read fail at once; a source that ignores ``close()`` leaves that
  thread blocked until its ``next()`` returns, and then it ends.
* **A cut stream is never passed on as complete.** See :func:`stream_events`.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import threading
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Final, Generic, TypeVar

from ._errors import StreamTimeout
from ._types import Parser

__all__ = ["aiter_events", "iter_events"]

E = TypeVar("E")
T = TypeVar("T")

_END: Final = object()


# --- closing sources -------------------------------------------------------------


def _close_sync(*objs: object) -> None:
    """Call ``close()`` on each distinct object that has one, ignoring refusals."""
    seen: set[int] = set()
    for obj in objs:
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        close = getattr(obj, "close", None)
        if callable(close):
            try:
                result = close()
            except (ValueError, RuntimeError):
                # "generator already executing": the reader thread is inside next();
                # it ends on its own when that returns.
                continue
            if inspect.isawaitable(result):  # an async close on a sync path: drop it cleanly
                getattr(result, "close", lambda: None)()


async def _close_async(*objs: object) -> None:
    """``aclose()`` (or an awaitable ``close()``) each distinct object that has one."""
    seen: set[int] = set()
    for obj in objs:
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        close = getattr(obj, "aclose", None) or getattr(obj, "close", None)
        if not callable(close):
            continue
        try:
            result = close()
            if inspect.isawaitable(result):
                await result
        except (ValueError, RuntimeError):
            continue


# --- reading with an idle timeout ----------------------------------------------------


class _Idle(Exception):
    """The source sent nothing within the timeout."""


class _ThreadedReader(Generic[T]):
    """Calls ``next()`` on a sync iterator in a daemon thread, one item per request.

    The thread never reads ahead: it calls ``next()`` only when the consumer asks,
    so closing the source never races with a read the consumer did not want.
    """

    def __init__(self, it: Iterator[T]) -> None:
        self._it = it
        self._requests: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while self._requests.get():
            try:
                item = next(self._it)
            except StopIteration:
                self._results.put((1, None))
                return
            except BaseException as exc:
                self._results.put((2, exc))
                return
            self._results.put((0, item))

    def next(self, timeout: float) -> T:
        """The next item; ``_END`` at the end; raises ``_Idle`` after ``timeout`` seconds."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="midstream-reader", daemon=True
            )
            self._thread.start()
        self._requests.put(True)
        try:
            kind, value = self._results.get(timeout=timeout)
        except queue.Empty:
            raise _Idle from None
        if kind == 0:
            return value  # type: ignore[no-any-return]
        if kind == 1:
            return _END  # type: ignore[return-value]
        raise value

    def stop(self) -> None:
        """Let the thread end once its pending ``next()`` (if any) returns."""
        if self._thread is not None:
            self._requests.put(False)


def _joined(received: list[Any]) -> str:
    parts = [c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c) for c in received]
    return "".join(parts)


# --- the generic adapters ----------------------------------------------------------------


def iter_events(
    parser: Parser[E], chunks: Iterable[str], /, *, idle_timeout: float | None = None
) -> Iterator[E]:
    """Feed each chunk to ``parser`` and yield its events, then those of ``close()``.

    Args:
        parser: any midstream parser (``feed()``/``close()``).
        chunks: any iterable of text chunks (a generator, a file, a list, ...).
        idle_timeout: seconds to wait for each chunk before giving up; None waits
            forever. Uses one reader thread (see the module docs).

    Raises:
        StreamTimeout: no chunk for ``idle_timeout`` seconds; the source was
            closed; ``received`` is the text so far and ``events`` the events
            already yielded.
        ParseError: bad input, from the parser.

    When the loop over the result stops early, ``chunks.close()`` is called if
    it exists.
    """
    it = iter(chunks)
    exhausted = False
    reader: _ThreadedReader[str] | None = None
    received: list[str] = []
    seen: list[E] = []
    try:
        if idle_timeout is None:
            for chunk in it:
                yield from parser.feed(chunk)
        else:
            reader = _ThreadedReader(it)
            while True:
                try:
                    chunk = reader.next(idle_timeout)
                except _Idle:
                    raise StreamTimeout(idle_timeout, _joined(received), seen) from None
                if chunk is _END:
                    break
                received.append(chunk)
                events = parser.feed(chunk)
                seen += events
                yield from events
        exhausted = True
        yield from parser.close()
    finally:
        if reader is not None:
            reader.stop()
        if not exhausted:
            _close_sync(it, chunks)


async def aiter_events(
    parser: Parser[E], chunks: AsyncIterable[str], /, *, idle_timeout: float | None = None
) -> AsyncIterator[E]:
    """Feed each chunk of an async iterable to ``parser`` and yield its events.

    The async twin of :func:`iter_events`: each chunk is awaited under
    :func:`asyncio.wait_for` when ``idle_timeout`` is given. When the consumer
    stops early or is cancelled, ``chunks.aclose()`` (or an awaitable
    ``chunks.close()``) is awaited, so nothing is left running.

    Raises:
        StreamTimeout: no chunk for ``idle_timeout`` seconds (the source is closed).
        ParseError: bad input, from the parser.
    """
    it = aiter(chunks)
    exhausted = False
    received: list[str] = []
    seen: list[E] = []
    try:
        while True:
            try:
                if idle_timeout is None:
                    chunk = await anext(it)
                else:
                    chunk = await asyncio.wait_for(anext(it), idle_timeout)
            except StopAsyncIteration:
                break
            except asyncio.TimeoutError:
                if idle_timeout is None:
                    raise
                raise StreamTimeout(idle_timeout, _joined(received), seen) from None
            events = parser.feed(chunk)
            if idle_timeout is not None:
                received.append(chunk)
                seen += events
            for ev in events:
                yield ev
        exhausted = True
        for ev in parser.close():
            yield ev
    finally:
        if not exhausted:
            await _close_async(it, chunks)
