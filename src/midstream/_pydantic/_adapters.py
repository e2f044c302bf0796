"""Iterating a stream of chunks into partial values, then the validated value."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, TypeVar

from ._stream import ModelStream

__all__ = ["astream_model", "stream_model"]

T = TypeVar("T")


def stream_model(tp: type[T], chunks: Iterable[str | bytes], /, **options: Any) -> Iterator[T]:
    """Yield the partial value after each chunk that changed it, then the validated value.

    Args:
        tp: the model class (or TypeAdapter-able type), as for :class:`ModelStream`.
        chunks: the text, in pieces.
        **options: limits passed to :class:`ModelStream`.

    Yields:
        A copy of ``ModelStream.partial`` (:meth:`ModelStream.partial_copy`:
        later chunks leave it as it is, so ``p != previous`` tells a change)
        after each chunk that produced events and a value (a root number
        still in progress is not yielded) and did not complete the
        document, then the validated value.

    Raises:
        pydantic.ValidationError: the document does not validate.
        ParseError: the text is not one JSON document.
    """
    stream = ModelStream(tp, **options)
    for chunk in chunks:
        if stream.feed(chunk) and not stream.done:
            partial = stream.partial_copy()
            if partial is not None:
                yield partial
    stream.close()
    yield stream.value


async def astream_model(
    tp: type[T], chunks: AsyncIterable[str | bytes], /, **options: Any
) -> AsyncIterator[T]:
    """The async twin of :func:`stream_model`, over an async iterable of chunks."""
    stream = ModelStream(tp, **options)
    async for chunk in chunks:
        if stream.feed(chunk) and not stream.done:
            partial = stream.partial_copy()
            if partial is not None:
                yield partial
    stream.close()
    yield stream.value
