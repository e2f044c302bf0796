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
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Any, Final, Generic, TypeVar

from ._errors import StreamTimeout
from ._events import Event
from ._pipeline import CUT_REASONS, ProviderPipeline
from ._tool_calls import ToolsArg
from ._types import Parser

__all__ = ["CUT_REASONS", "aiter_events", "astream_events", "iter_events", "stream_events"]

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
    closers: tuple[object, ...],
) -> Iterator[E]:
    """Feed each item, yield the events, then ``finish()``'s; close ``closers`` on early exit."""
    it = iter(items)
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
                    _shutdown_sockets(*closers)
                    raise StreamTimeout(idle_timeout, received(), seen) from None
                if item is _END:
                    break
                events = feed(item)
                seen += events
                yield from events
        exhausted = True
        yield from finish()
    finally:
        if reader is not None:
            reader.stop()
        if not exhausted:
            _close_sync(it, *closers)


async def _adrive(
    feed: Callable[[Any], list[E]],
    finish: Callable[[], list[E]],
    items: AsyncIterable[Any],
    idle_timeout: float | None,
    received: Callable[[], str],
    closers: tuple[object, ...],
) -> AsyncIterator[E]:
    """The async twin of :func:`_drive`: each item awaited under ``wait_for``."""
    import asyncio
    it = aiter(items)
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
        exhausted = True
        for ev in finish():
            yield ev
    finally:
        if not exhausted:
            await _close_async(it, *closers)


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
    rec = _Recorder(parser, idle_timeout is not None)
    return _drive(rec.feed, parser.close, chunks, idle_timeout, rec.received, (chunks,))


def aiter_events(
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
    rec = _Recorder(parser, idle_timeout is not None)
    return _adrive(rec.feed, parser.close, chunks, idle_timeout, rec.received, (chunks,))


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


def stream_events(
    source: Any,
    /,
    *,
    model: Any = None,
    json: bool | None = None,
    tools: ToolsArg = None,
    choice: int = 0,
    idle_timeout: float | None = None,
) -> Iterator[Event]:
    """Midstream events from a provider's stream: content, JSON fields, tool calls.

    Args:
        source: what the SDK returned: ``client.chat.completions.create(...,
            stream=True)``, ``client.responses.create(..., stream=True)``, the
            manager from ``client.chat.completions.stream(...)`` or
            ``client.responses.stream(...)`` (entered and exited here),
            Anthropic's ``client.messages.create(..., stream=True)`` or
            ``client.messages.stream(...)``, boto3's Bedrock
            ``converse_stream(...)["stream"]`` or
            ``invoke_model_with_response_stream(...)["body"]``,
            ``ollama.chat(..., stream=True)``, cohere's ``ClientV2.chat_stream(...)``;
            or any iterable of such events as objects or dicts (e.g. the JSON
            data of an SSE stream, NDJSON lines). No SDK is imported: objects
            are read by their fields.
        model: a pydantic model (or any type ``ModelStream`` accepts) that the
            content must validate into: the content's JSON events come with
            :class:`FieldValidated` / :class:`FieldInvalid`.
        json: parse the content as JSON: None (default) when it starts with
            ``{`` or ``[``, up to the end of that value; if it turns out not to
            be JSON, parsing stops there and the content goes on as
            ContentDelta only (the JSON events already given stay valid, no
            ValueDone follows). True: the content must be one JSON value
            (anything else raises :class:`ParseError`). False: never parse.
        tools: models or tool definitions to validate tool calls against (see
            :class:`ToolCallAssembler`).
        choice: the choice whose content is parsed (Chat Completions ``n > 1``).
        idle_timeout: seconds to wait for each event before raising
            :class:`StreamTimeout` (the source is closed first).

    Yields:
        :class:`ContentDelta`, :class:`ReasoningDelta`, :class:`ToolCallStart`,
        :class:`ToolArgumentsDelta`, :class:`ToolCallDone`,
        :class:`ToolCallError`, :class:`Usage`, :class:`ProviderError`,
        :class:`Finish` in stream order (reasoning is never parsed as content); after each
        ContentDelta, the JSON events (and validation events) of its text. A
        choice that ended on a limit (``length``, ``max_tokens``, ...), a
        filter, a failure, or not at all (the stream just stopped) gets a
        :class:`Truncated` event; what it left unfinished gets no ValueDone,
        and its unfinished tool calls end in :class:`ToolCallError`.

    Raises:
        ParseError: the content is not the JSON it should be, or the choice
            finished normally with its JSON unfinished.
        pydantic.ValidationError: the finished content does not validate.
        StreamTimeout: see ``idle_timeout``.

    Stopping the loop early (``break``, an exception, closing the generator)
    closes the source, so the HTTP response is closed and generation stops.
    """
    pipeline = ProviderPipeline(
        model=model, json=json, tools=tools, choice=choice, keep_text=idle_timeout is not None
    )
    if not _is_manager(source):
        return _drive(
            pipeline.feed, pipeline.close, source, idle_timeout, pipeline.received, (source,)
        )
    return _managed(pipeline, source, idle_timeout)


def _managed(
    pipeline: ProviderPipeline, manager: Any, idle_timeout: float | None
) -> Iterator[Event]:
    entered = manager.__enter__()
    try:
        items = _raw_items(entered)
        yield from _drive(
            pipeline.feed, pipeline.close, items, idle_timeout, pipeline.received, (entered,)
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
) -> AsyncIterator[Event]:
    """The async twin of :func:`stream_events`.

    ``source`` is an ``AsyncStream`` (``await client.chat.completions.create(...,
    stream=True)`` on ``AsyncOpenAI``), an async stream manager
    (``client.chat.completions.stream(...)`` on ``AsyncOpenAI``, entered and
    exited here), an Anthropic async stream, or any async iterable of provider
    events. Each event is awaited under :func:`asyncio.wait_for` when
    ``idle_timeout`` is given; cancelling the consumer closes the source and
    leaves no task behind.
    """
    pipeline = ProviderPipeline(
        model=model, json=json, tools=tools, choice=choice, keep_text=idle_timeout is not None
    )
    if _is_amanager(source):
        return _amanaged(pipeline, source, idle_timeout)
    if not hasattr(source, "__aiter__"):
        raise TypeError(
            f"astream_events() needs an async iterable, got {type(source).__name__};"
            " use stream_events() for a sync stream"
        )
    return _adrive(
        pipeline.feed, pipeline.close, source, idle_timeout, pipeline.received, (source,)
    )


async def _amanaged(
    pipeline: ProviderPipeline, manager: Any, idle_timeout: float | None
) -> AsyncIterator[Event]:
    entered = await manager.__aenter__()
    try:
        items = _raw_items(entered)
        async for ev in _adrive(
            pipeline.feed, pipeline.close, items, idle_timeout, pipeline.received, (entered,)
        ):
            yield ev
    finally:
        await manager.__aexit__(None, None, None)
