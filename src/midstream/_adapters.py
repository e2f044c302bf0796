"""Adapters: the sans-I/O parsers driven by the streams users already have.

The parsers never do I/O. This module is where midstream meets iterators,
async iterators, threads and timeouts, and it keeps three promises:

* **Stopping early stops the source.** When the consumer leaves the loop (a
  ``break``, an exception, ``close()`` on the result, a cancelled task), the
  source's ``close()`` / ``aclose()`` is called, so an HTTP response is closed
  and the model stops generating. A source that was read to its end is left
  alone. *When* depends on the form: every adapter returns an
  :class:`EventIterator` (:class:`AsyncEventIterator`), an iterator that is also
  a context manager. ``with stream_events(...) as events:`` closes the source
  when the block ends, however it ends (even if the loop never started), and
  ``async with astream_events(...) as events:`` likewise. A bare ``for`` over the
  call closes it at the ``break`` (CPython frees the unreferenced generator at
  once); a result kept in a variable and left with ``break`` stays open until
  it is closed or garbage-collected. For ``async for``, Python closes an
  abandoned async generator only when it is garbage-collected or the loop
  shuts down: use ``async with`` (or ``contextlib.aclosing``) to close at once.
* **A quiet source times out.** With ``idle_timeout``, a source that sends
  nothing for that many seconds between two chunks is closed and
  :class:`~midstream.StreamTimeout` is raised, carrying what was received and
  the events parsed from it. Async sources are awaited under
  :func:`asyncio.wait_for`. A sync iterator cannot be interrupted, so it is read
  by one daemon thread that the adapter starts and that does nothing but call
  ``next()`` when asked: after a timeout the adapter shuts down the socket of an
  SDK stream's HTTP response (found through httpx's ``network_stream``
  extension) and closes the source, so the blocked read fails at once and the
  server sees the client go; a source that ignores ``close()`` leaves that
  thread blocked until its ``next()`` returns, and then it ends.
* **A cut stream is never passed on as complete.** A choice that ends on a
  token limit, a filter or a failure, or that the stream never finishes, gets
  a :class:`~midstream.Truncated` event; what it left unfinished never gets its
  ``ValueDone``, and its unfinished tool calls end in ``ToolCallError``. See
  :func:`stream_events`.
"""

from __future__ import annotations

import inspect
import queue
import socket
import threading
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from typing import Any, Final, Generic, TypeVar

from . import _raw_io
from ._errors import StreamTimeout
from ._events import Event
from ._options import check_seconds
from ._pipeline import CUT_REASONS, ProviderPipeline
from ._tool_calls import ToolsArg
from ._types import Parser

__all__ = [
    "CUT_REASONS",
    "AsyncEventIterator",
    "EventIterator",
    "aiter_events",
    "astream_events",
    "iter_events",
    "stream_events",
]

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


def _shutdown_sockets(*objs: object) -> None:
    """Shut down the socket under an HTTP response that a reader thread is blocked on.

    Closing a socket does not wake a ``recv()`` blocked on it in another thread
    (nor send the FIN) on Linux; shutting it down does both. The socket is found
    through httpx's documented ``network_stream`` response extension, on the
    SDK stream's ``response`` (or ``_response``); anything else is left alone.
    """
    for obj in objs:
        for response in (obj, getattr(obj, "response", None), getattr(obj, "_response", None)):
            extensions = getattr(response, "extensions", None)
            if not isinstance(extensions, dict):
                continue
            stream = extensions.get("network_stream")
            get_extra_info = getattr(stream, "get_extra_info", None)
            if not callable(get_extra_info):
                continue
            try:
                sock = get_extra_info("socket")
                if isinstance(sock, socket.socket):
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            break


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


class _Ending:
    """The objects to close when the consumer stops early: closed once, or never.

    Shared by a driver generator (which closes them when it is left before the
    end, and marks them settled when the source was read to its end) and the
    :class:`EventIterator` around it (which closes them on ``close()`` even if
    the generator never started, when the generator's ``finally`` cannot run).
    """

    __slots__ = ("objs", "settled")

    def __init__(self, *objs: object) -> None:
        self.objs: tuple[object, ...] = objs
        self.settled = False

    def close(self) -> None:
        if not self.settled:
            self.settled = True
            _close_sync(*self.objs)

    async def aclose(self) -> None:
        if not self.settled:
            self.settled = True
            await _close_async(*self.objs)


class EventIterator(Iterator[E]):
    """The events of a sync adapter: an iterator, and a context manager that closes the source.

    ``for ev in stream_events(...)`` works as before; ``with stream_events(...)
    as events:`` closes the source (an SDK stream's HTTP response) when the
    block ends, whether the loop finished, broke or raised, and even if it never
    started. ``close()`` does the same at any time. A source read to its end is
    left alone.
    """

    __slots__ = ("_ending", "_gen")

    def __init__(self, gen: Generator[E, None, None], ending: _Ending) -> None:
        self._gen = gen
        self._ending = ending

    def __iter__(self) -> Iterator[E]:
        # The generator itself: a ``for`` loop pays nothing per event for the wrapper.
        return self._gen

    def __next__(self) -> E:
        return next(self._gen)

    def close(self) -> None:
        """Stop: close the source unless it was read to its end. Idempotent."""
        self._gen.close()
        self._ending.close()

    def __enter__(self) -> EventIterator[E]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncEventIterator(AsyncIterator[E]):
    """The async twin of :class:`EventIterator`: ``async with`` closes the source on exit.

    An abandoned ``async for`` closes the source only when the generator is
    garbage-collected (a Python rule for async generators); ``async with
    astream_events(...) as events:`` (or ``await events.aclose()``) closes it
    at once.
    """

    __slots__ = ("_agen", "_ending")

    def __init__(self, agen: AsyncGenerator[E, None], ending: _Ending) -> None:
        self._agen = agen
        self._ending = ending

    def __aiter__(self) -> AsyncIterator[E]:
        return self._agen

    async def __anext__(self) -> E:
        return await self._agen.__anext__()

    async def aclose(self) -> None:
        """Stop: close the source unless it was read to its end. Idempotent."""
        await self._agen.aclose()
        await self._ending.aclose()

    async def __aenter__(self) -> AsyncEventIterator[E]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


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


# --- one driver for every adapter ---------------------------------------------------------


def _drive(
    feed: Callable[[Any], list[E]],
    finish: Callable[[], list[E]],
    items: Iterable[Any],
    idle_timeout: float | None,
    received: Callable[[], str],
    ending: _Ending,
) -> Generator[E, None, None]:
    """Feed each item, yield the events, then ``finish()``'s; close ``ending`` on early exit."""
    it = iter(items)
    ending.objs = (it, *ending.objs)
    exhausted = False
    reader: _ThreadedReader[Any] | None = None
    seen: list[E] = []
    try:
        if idle_timeout is None:
            for item in it:
                yield from feed(item)
        else:
            reader = _ThreadedReader(it)
            while True:
                try:
                    item = reader.next(idle_timeout)
                except _Idle:
                    _shutdown_sockets(*ending.objs)
                    raise StreamTimeout(idle_timeout, received(), seen) from None
                if item is _END:
                    break
                events = feed(item)
                seen += events
                yield from events
        exhausted = ending.settled = True
        yield from finish()
    finally:
        if reader is not None:
            reader.stop()
        if not exhausted:
            ending.close()


async def _adrive(
    feed: Callable[[Any], list[E]],
    finish: Callable[[], list[E]],
    items: AsyncIterable[Any],
    idle_timeout: float | None,
    received: Callable[[], str],
    ending: _Ending,
) -> AsyncGenerator[E, None]:
    """The async twin of :func:`_drive`: each item awaited under ``wait_for``."""
    import asyncio
    it = aiter(items)
    ending.objs = (it, *ending.objs)
    exhausted = False
    seen: list[E] = []
    try:
        while True:
            try:
                if idle_timeout is None:
                    item = await anext(it)
                else:
                    item = await asyncio.wait_for(anext(it), idle_timeout)
            except StopAsyncIteration:
                break
            except asyncio.TimeoutError:
                if idle_timeout is None:
                    raise
                raise StreamTimeout(idle_timeout, received(), seen) from None
            events = feed(item)
            if idle_timeout is not None:
                seen += events
            for ev in events:
                yield ev
        exhausted = ending.settled = True
        for ev in finish():
            yield ev
    finally:
        if not exhausted:
            await ending.aclose()


# --- the generic adapters ----------------------------------------------------------------


class _Recorder:
    """Keeps the chunks fed, only when a timeout may need to report them."""

    def __init__(self, parser: Parser[E], keep: bool) -> None:
        self.parser = parser
        self.chunks: list[Any] = []
        self.feed: Callable[[Any], list[Any]] = self._feed_and_keep if keep else parser.feed

    def _feed_and_keep(self, chunk: Any) -> list[Any]:
        self.chunks.append(chunk)
        return self.parser.feed(chunk)

    def received(self) -> str:
        return _joined(self.chunks)


def _drive_closing(
    feed: Callable[[Any], list[E]],
    finish: Callable[[], list[E]],
    items: Iterable[Any],
    idle_timeout: float | None,
    received: Callable[[], str],
    closers: tuple[object, ...],
) -> Generator[E, None, None]:
    """:func:`_drive` for a source whose objects to close are known only once it runs."""
    return _drive(feed, finish, items, idle_timeout, received, _Ending(*closers))


def _adrive_closing(
    feed: Callable[[Any], list[E]],
    finish: Callable[[], list[E]],
    items: AsyncIterable[Any],
    idle_timeout: float | None,
    received: Callable[[], str],
    closers: tuple[object, ...],
) -> AsyncGenerator[E, None]:
    """The async twin of :func:`_drive_closing`."""
    return _adrive(feed, finish, items, idle_timeout, received, _Ending(*closers))


def iter_events(
    parser: Parser[E], chunks: Iterable[str], /, *, idle_timeout: float | None = None
) -> EventIterator[E]:
    """Feed each chunk to ``parser`` and yield its events, then those of ``close()``.

    Args:
        parser: any midstream parser (``feed()``/``close()``).
        chunks: any iterable of text chunks (a generator, a file, a list, ...).
        idle_timeout: seconds to wait for each chunk before giving up, a finite
            number above 0; None waits forever. Uses one reader thread (see the
            module docs).

    Raises:
        StreamTimeout: no chunk for ``idle_timeout`` seconds; the source was
            closed; ``received`` is the text so far and ``events`` the events
            already yielded.
        ParseError: bad input, from the parser.
        TypeError, ValueError: ``idle_timeout`` is not a number of seconds
            above 0 (raised here, by the call, not by the first ``next()``).

    When the loop over the result stops early, ``chunks.close()`` is called if
    it exists: at once for ``with iter_events(...) as events:`` and for a bare
    ``for`` over the call, or when the result is closed or collected (see the
    module docs).
    """
    idle_timeout = check_seconds("idle_timeout", idle_timeout)
    rec = _Recorder(parser, idle_timeout is not None)
    ending = _Ending(chunks)
    return EventIterator(
        _drive(rec.feed, parser.close, chunks, idle_timeout, rec.received, ending), ending
    )


def aiter_events(
    parser: Parser[E], chunks: AsyncIterable[str], /, *, idle_timeout: float | None = None
) -> AsyncEventIterator[E]:
    """Feed each chunk of an async iterable to ``parser`` and yield its events.

    The async twin of :func:`iter_events`: each chunk is awaited under
    :func:`asyncio.wait_for` when ``idle_timeout`` is given. When the consumer
    stops early or is cancelled, ``chunks.aclose()`` (or an awaitable
    ``chunks.close()``) is awaited, so nothing is left running: at once with
    ``async with aiter_events(...) as events:``, on garbage collection after a
    bare ``async for`` that breaks.

    Raises:
        StreamTimeout: no chunk for ``idle_timeout`` seconds (the source is closed).
        ParseError: bad input, from the parser.
        TypeError, ValueError: ``idle_timeout`` is not a number of seconds
            above 0, as for :func:`iter_events`.
    """
    idle_timeout = check_seconds("idle_timeout", idle_timeout)
    rec = _Recorder(parser, idle_timeout is not None)
    ending = _Ending(chunks)
    return AsyncEventIterator(
        _adrive(rec.feed, parser.close, chunks, idle_timeout, rec.received, ending), ending
    )


# --- provider streams: content, JSON fields, models, tool calls ------------------------------


#: Events of the SDKs' helper streams that repeat what the raw events say.
_HELPER_ONLY: Final = frozenset(
    {
        # openai: client.chat.completions.stream()
        "content.delta", "content.done", "refusal.delta", "refusal.done",
        "tool_calls.function.arguments.delta", "tool_calls.function.arguments.done",
        "logprobs.content.delta", "logprobs.content.done",
        "logprobs.refusal.delta", "logprobs.refusal.done",
        # anthropic: client.messages.stream()
        "text", "citation", "thinking", "signature", "input_json",
    }
)


def _raw_items(entered: Any) -> Any:
    """The raw provider events of an SDK helper stream (what the manager's ``__enter__`` gave).

    The openai and anthropic helper streams keep the raw stream they wrap in
    ``_raw_stream``; reading it skips the SDK's own accumulation (which
    re-parses partial JSON on every chunk). Without it, the helper events are
    unwrapped: ``chunk`` events give their chunk, repeated helper events are
    dropped.
    """
    raw = getattr(entered, "_raw_stream", None)
    if raw is not None:
        return raw
    if hasattr(entered, "__aiter__"):
        return _aunwrap(entered)
    return _unwrap(entered)


def _helper_item(ev: Any) -> Any:
    kind = getattr(ev, "type", None)
    if kind == "chunk" and hasattr(ev, "chunk"):
        return ev.chunk
    if kind in _HELPER_ONLY:
        return None
    return ev


def _unwrap(events: Iterable[Any]) -> Iterator[Any]:
    for ev in events:
        item = _helper_item(ev)
        if item is not None:
            yield item


async def _aunwrap(events: AsyncIterable[Any]) -> AsyncIterator[Any]:
    async for ev in events:
        item = _helper_item(ev)
        if item is not None:
            yield item


def _is_manager(source: Any) -> bool:
    return hasattr(source, "__enter__") and not hasattr(source, "__iter__")


def _is_amanager(source: Any) -> bool:
    return hasattr(source, "__aenter__") and not hasattr(source, "__aiter__")


def _pipeline(
    model: Any,
    json: bool | None,
    tools: ToolsArg,
    choice: int,
    idle_timeout: float | None,
    format: str | None,
) -> ProviderPipeline:
    """The sans-I/O pipeline behind one call of :func:`stream_events` or its async twin."""
    return ProviderPipeline(
        model=model, json=json, tools=tools, choice=choice, keep_text=idle_timeout is not None,
        format=format or "auto",  # type: ignore[arg-type]  # checked by is_wire
    )


def stream_events(
    source: Any,
    /,
    *,
    model: Any = None,
    json: bool | None = None,
    tools: ToolsArg = None,
    choice: int = 0,
    idle_timeout: float | None = None,
    format: str | None = None,
) -> EventIterator[Event]:
    """Midstream events from a provider's stream: content, JSON fields, tool calls.

    Args:
        source: what the SDK returned (a ``create(..., stream=True)`` stream, a
            ``.stream(...)`` manager, entered and exited here), any iterable of
            such events as objects or dicts, or the raw HTTP response read
            without the SDK's objects (``...with_streaming_response.create()``,
            its ``APIResponse``, an httpx response, or body bytes with ``format=``);
            boto3's Bedrock, ollama's, cohere's and google-genai's streams too.
        model: a pydantic model the content's JSON value validates into
            (:class:`FieldValidated` / :class:`FieldInvalid`); by default the
            value is *found* in the content (``_pipeline`` has the rules).
        json: None (default): without ``model``, content starting with ``{`` or
            ``[`` is parsed to the end of that value (:class:`ObjectAbandoned`
            if it is not JSON after all). True: exactly one JSON value. False:
            never parse (with ``model``, the same as True).
        tools: models or tool definitions to validate tool calls against.
        choice: the choice whose content is parsed (Chat Completions ``n > 1``).
        idle_timeout: seconds to wait for each event (then :class:`StreamTimeout`).
        format: the wire format of raw body bytes (``"chat"``, ``"ollama"``...).

    Returns:
        The events in stream order (content and its JSON and validation events,
        tool calls, :class:`RefusalDelta`, :class:`ReasoningDelta`, :class:`Usage`,
        :class:`ProviderError`, :class:`Finish`; :class:`Truncated` for a choice cut
        or never finished) as an iterator, and a context manager that closes the
        source however its block ends (the module docstring says when a loop does).

    Raises:
        ParseError: the content is not the JSON it should be (``content of choice N:``);
            pydantic.ValidationError: it does not validate; StreamTimeout; StreamError.
    """
    idle_timeout = check_seconds("idle_timeout", idle_timeout)
    wire = _raw_io.is_wire(source, format)
    pipeline = _pipeline(model, json, tools, choice, idle_timeout, format)
    if wire:
        # The response manager is entered by the generator: nothing to close before it runs.
        return EventIterator(
            _raw_io.stream(pipeline, source, idle_timeout, _drive_closing, format or "auto"),
            _Ending(),
        )
    if not _is_manager(source):
        ending = _Ending(source)
        return EventIterator(
            _drive(pipeline.feed, pipeline.close, source, idle_timeout, pipeline.received, ending),
            ending,
        )
    # A manager is entered by the generator, so there is nothing to close before it runs.
    return EventIterator(_managed(pipeline, source, idle_timeout), _Ending())


def _managed(
    pipeline: ProviderPipeline, manager: Any, idle_timeout: float | None
) -> Generator[Event, None, None]:
    entered = manager.__enter__()
    try:
        items = _raw_items(entered)
        yield from _drive(
            pipeline.feed, pipeline.close, items, idle_timeout, pipeline.received,
            _Ending(entered),
        )
    finally:
        manager.__exit__(None, None, None)


def astream_events(
    source: Any,
    /,
    *,
    model: Any = None,
    json: bool | None = None,
    tools: ToolsArg = None,
    choice: int = 0,
    idle_timeout: float | None = None,
    format: str | None = None,
) -> AsyncEventIterator[Event]:
    """The async twin of :func:`stream_events`.

    ``source`` is an ``AsyncStream`` (``await client.chat.completions.create(...,
    stream=True)`` on ``AsyncOpenAI``), an async stream manager
    (``client.chat.completions.stream(...)`` on ``AsyncOpenAI``, entered and
    exited here), an Anthropic async stream, or any async iterable of provider
    events. Each event is awaited under :func:`asyncio.wait_for` when
    ``idle_timeout`` is given; cancelling the consumer closes the source and
    leaves no task behind. ``async with astream_events(...) as events:`` closes
    the source when the block ends; a bare ``async for`` left with ``break``
    closes it only when the abandoned generator is garbage-collected.
    """
    idle_timeout = check_seconds("idle_timeout", idle_timeout)
    wire = _raw_io.is_wire(source, format)
    pipeline = _pipeline(model, json, tools, choice, idle_timeout, format)
    if wire:
        return AsyncEventIterator(
            _raw_io.astream(pipeline, source, idle_timeout, _adrive_closing,
                            format or "auto"), _Ending()
        )
    if _is_amanager(source):
        return AsyncEventIterator(_amanaged(pipeline, source, idle_timeout), _Ending())
    if not hasattr(source, "__aiter__"):
        raise TypeError(
            f"astream_events() needs an async iterable, got {type(source).__name__};"
            " use stream_events() for a sync stream"
        )
    ending = _Ending(source)
    return AsyncEventIterator(
        _adrive(pipeline.feed, pipeline.close, source, idle_timeout, pipeline.received, ending),
        ending,
    )


async def _amanaged(
    pipeline: ProviderPipeline, manager: Any, idle_timeout: float | None
) -> AsyncGenerator[Event, None]:
    entered = await manager.__aenter__()
    try:
        items = _raw_items(entered)
        agen = _adrive(
            pipeline.feed, pipeline.close, items, idle_timeout, pipeline.received,
            _Ending(entered),
        )
        try:
            async for ev in agen:
                yield ev
        finally:
            await agen.aclose()
    finally:
        await manager.__aexit__(None, None, None)
