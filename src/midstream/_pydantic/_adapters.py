"""Iterating a stream of chunks into partial values, then the validated value."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, TypeVar

from ._stream import ModelStream

__all__ = ["astream_model", "stream_model"]

T = TypeVar("T")


def stream_model(tp: type[T], chunks: Iterable[str | bytes], /, **options: Any) -> Iterator[Any]:
    """Yield the partial value after each chunk that changed it, then the validated value.

    Args:
        tp: the model class (or TypeAdapter-able type), as for :class:`ModelStream`.
        chunks: the text, in pieces.
        **options: limits passed to :class:`ModelStream`.

    Yields:
        ``ModelStream.partial`` (a live view: see there) after each chunk
        that produced events, then the validated value.

    Raises:
        pydantic.ValidationError: the document does not validate.
        ParseError: the text is not one JSON document.
    """
    stream = ModelStream(tp, **options)
    for chunk in chunks:
        if stream.feed(chunk):
            yield stream.partial
    stream.close()
    yield stream.value


async def astream_model(
    tp: type[T], chunks: AsyncIterable[str | bytes], /, **options: Any
) -> AsyncIterator[Any]:
    """The async twin of :func:`stream_model`, over an async iterable of chunks."""
    stream = ModelStream(tp, **options)
    async for chunk in chunks:
        if stream.feed(chunk):
            yield stream.partial
    stream.close()
    yield stream.value
