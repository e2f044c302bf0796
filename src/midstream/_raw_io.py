"""The raw-response path's I/O: open a source, hand :class:`~midstream._raw.WireReader` its bytes.

A source is an SDK ``with_streaming_response`` manager (entered here), the
``APIResponse`` it gives, an httpx response opened for streaming, or a sync or
async iterable of body bytes (``format=``). Before the first byte is read, an
HTTP error status or a JSON or HTML body becomes a
:class:`~midstream.StreamError` with the provider's message. The adapters'
drivers (passed in, so that this module does not import them) then own idle
timeouts and closing early; a transport failure while reading becomes a
:class:`~midstream.StreamError` too, its cause the transport's exception.
Not compiled: mypyc has no async generators.
"""

from __future__ import annotations

import itertools
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from typing import Any, Final

from ._errors import StreamError, StreamTimeout
from ._events import Event
from ._framing import MEDIA_FRAMINGS, choose_framing
from ._pipeline import ProviderPipeline
from ._raw import FORMATS, WireReader, body_error

__all__ = ["astream", "is_wire", "stream"]

#: The names, in an exception's MRO, of the transport failures of httpx and aiohttp.
_TRANSPORT_ERRORS: Final = frozenset({"TransportError", "ClientError", "OSError"})


# --- sources -------------------------------------------------------------------------------


def _is_response_manager(source: Any) -> bool:
    """``with_streaming_response.create(...)`` of openai or anthropic (not yet entered)."""
    return type(source).__name__ in ("ResponseContextManager", "AsyncResponseContextManager")


def _http_response(source: Any) -> Any:
    """The httpx response under an SDK ``APIResponse``, or ``source`` if it is one; else None."""
    inner = getattr(source, "http_response", None)
    if inner is not None and hasattr(inner, "status_code"):
        return inner
    module = type(source).__module__.partition(".")[0]
    if module.startswith("httpx") and hasattr(source, "status_code"):
        return source
    return None


def is_wire(source: Any, format: str | None) -> bool:
    """Whether ``stream_events`` should read ``source`` as the raw HTTP body."""
    if format is not None:
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)} or None; got {format!r}")
        return True
    return _is_response_manager(source) or _http_response(source) is not None


def _transport_failure(exc: BaseException, reader: WireReader) -> StreamError | None:
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names.isdisjoint(_TRANSPORT_ERRORS) or isinstance(exc, (StreamError, StreamTimeout)):
        return None
    return StreamError(
        f"the connection failed after {reader.received_bytes} bytes of the body:"
        f" {type(exc).__name__}: {exc}"
    )


def _media_type(response: Any) -> str:
    headers = getattr(response, "headers", None)
    value = headers.get("content-type", "") if headers is not None else ""
    return str(value).partition(";")[0].strip().lower()


def _is_json_or_html(media_type: str) -> bool:
    return media_type.endswith(("/json", "+json")) or media_type == "text/html"


def _may_be_array(media_type: str, format: str) -> bool:
    """Whether an ``application/json`` body of this format may be a JSON-array stream."""
    return MEDIA_FRAMINGS.get(media_type) == "json-array" and (
        choose_framing(b"[", format) == "json-array"
    )


def _peek(chunks: Iterator[bytes]) -> bytes:
    """The body's first bytes, up to the first non-blank one (b"" if there is none)."""
    head = b""
    for chunk in chunks:
        head += chunk
        if head.strip():
            break
    return head


async def _apeek(chunks: AsyncIterator[bytes]) -> bytes:
    """The async twin of :func:`_peek`."""
    head = b""
    async for chunk in chunks:
        head += chunk
        if head.strip():
            break
    return head


def _raw_chunks(response: Any, is_async: bool) -> Any:
    """The body as it comes off the wire: ``iter_raw`` unless it is content-encoded."""
    headers = getattr(response, "headers", None)
    encoding = str(headers.get("content-encoding", "") if headers is not None else "")
    raw = encoding.strip().lower() in ("", "identity")
    if is_async:
        return response.aiter_raw() if raw else response.aiter_bytes()
    return response.iter_raw() if raw else response.iter_bytes()


async def _prepend(head: bytes, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield head
    async for chunk in chunks:
        yield chunk


Drive = Callable[..., Iterator[Event]]
ADrive = Callable[..., AsyncIterator[Event]]


def stream(
    pipeline: ProviderPipeline,
    source: Any,
    idle_timeout: float | None,
    drive: Drive,
    format: str = "auto",
) -> Generator[Event, None, None]:
    """Events from a raw source, read by ``drive`` (the adapters' ``_drive``).

    The manager is entered, and the response checked, at the first ``next()``.
    An ``application/json`` body whose format may stream a JSON array (Gemini)
    is read up to its first non-blank byte (no idle timeout there): ``[`` is
    the stream, anything else the error body it always was.
    """
    reader = WireReader(pipeline, format=format)
    manager = source if _is_response_manager(source) else None
    if manager is not None:
        if not hasattr(manager, "__enter__"):
            raise TypeError(
                "stream_events() needs the sync client's with_streaming_response;"
                " use astream_events() for the async client's"
            )
        source = manager.__enter__()
    try:
        response = _http_response(source)
        if response is None:
            chunks: Iterable[Any] = source
            closers: tuple[object, ...] = (source,)
        else:
            media = _media_type(response)
            reader = WireReader(pipeline, format=format, media_type=media)
            chunks = _checked_body(response, media, format)
            closers = (response,)
        try:
            yield from drive(
                reader.feed, reader.close, chunks, idle_timeout, pipeline.received, closers
            )
        except Exception as exc:
            failure = _transport_failure(exc, reader)
            if failure is None:
                raise
            raise failure from exc
    finally:
        if manager is not None:
            manager.__exit__(None, None, None)


def _checked_body(response: Any, media: str, format: str) -> Iterable[Any]:
    """The body's chunks, once the status and content type say it is a stream.

    Raises:
        StreamError: an HTTP error status, or a body that is no stream (read
            whole for the provider's message, then the response is closed).
    """
    status = int(response.status_code)
    chunks: Iterable[Any] = _raw_chunks(response, False)
    if status < 400 and _may_be_array(media, format):
        rest = iter(chunks)
        head = _peek(rest)
        if head.lstrip()[:1] == b"[":
            return itertools.chain((head,), rest)
        try:
            body = head + b"".join(rest)
        finally:
            response.close()
        raise body_error(status, body, media)
    if status >= 400 or _is_json_or_html(media):
        try:
            body = response.read()
        finally:
            response.close()
        raise body_error(status, body, media)
    return chunks


async def _achecked_body(response: Any, media: str, format: str) -> AsyncIterable[Any]:
    """The async twin of :func:`_checked_body`."""
    status = int(response.status_code)
    chunks: AsyncIterable[Any] = _raw_chunks(response, True)
    if status < 400 and _may_be_array(media, format):
        rest = aiter(chunks)
        head = await _apeek(rest)
        if head.lstrip()[:1] == b"[":
            return _prepend(head, rest)
        try:
            tail = [piece async for piece in rest]
        finally:
            await response.aclose()
        raise body_error(status, head + b"".join(tail), media)
    if status >= 400 or _is_json_or_html(media):
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        raise body_error(status, body, media)
    return chunks


async def astream(
    pipeline: ProviderPipeline,
    source: Any,
    idle_timeout: float | None,
    drive: ADrive,
    format: str = "auto",
) -> AsyncGenerator[Event, None]:
    """The async twin of :func:`stream` (``drive`` is the adapters' ``_adrive``)."""
    reader = WireReader(pipeline, format=format)
    manager = source if _is_response_manager(source) else None
    if manager is not None:
        if not hasattr(manager, "__aenter__"):
            raise TypeError(
                "astream_events() needs the async client's with_streaming_response;"
                " use stream_events() for the sync client's"
            )
        source = await manager.__aenter__()
    try:
        response = _http_response(source)
        if response is None:
            if not hasattr(source, "__aiter__"):
                raise TypeError(
                    f"astream_events() needs an async iterable of bytes, got"
                    f" {type(source).__name__}; use stream_events() for a sync one"
                )
            chunks: AsyncIterable[Any] = source
            closers: tuple[object, ...] = (source,)
        else:
            media = _media_type(response)
            reader = WireReader(pipeline, format=format, media_type=media)
            chunks = await _achecked_body(response, media, format)
            closers = (response,)
        events = drive(reader.feed, reader.close, chunks, idle_timeout, pipeline.received, closers)
        try:
            try:
                async for event in events:
                    yield event
            finally:
                # leaving this loop early must close the response now, not at GC
                await events.aclose()  # type: ignore[attr-defined]
        except Exception as exc:
            failure = _transport_failure(exc, reader)
            if failure is None:
                raise
            raise failure from exc
    finally:
        if manager is not None:
            await manager.__aexit__(None, None, None)
