"""Iterating a stream of chunks into partial values, then the validated value."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, TypeVar

from .._errors import ModelRefused
from ._stream import ModelStream

__all__ = ["astream_model", "stream_model"]

T = TypeVar("T")


class _Content:
    """The content of choice 0 in a provider's events, and the refusal that came instead.

    Text chunks are the content as they are; anything else is a provider's
    stream event (SDK object or dict, any format ``ToolCallAssembler`` reads),
    whose content is the text and whose ``RefusalDelta`` events the refusal.
    """

    def __init__(self) -> None:
        self._events: Any = None  # a ToolCallAssembler, made at the first provider event
        self._refusal: list[str] = []

    def text(self, chunk: Any) -> str | bytes:
        if isinstance(chunk, (str, bytes)):
            return chunk
        from .._events import ContentDelta, RefusalDelta
        from .._tool_calls import ToolCallAssembler

        if self._events is None:
            self._events = ToolCallAssembler()
        parts: list[str] = []
        for ev in self._events.feed(chunk):
            if type(ev) is ContentDelta and ev.choice == 0 and isinstance(ev.text, str):
                parts.append(ev.text)
            elif type(ev) is RefusalDelta and ev.choice == 0:
                self._refusal.append(ev.text)
        return "".join(parts)

    def check(self) -> None:
        """Raise :class:`ModelRefused` if the model refused."""
        if self._refusal:
            raise ModelRefused("".join(self._refusal))


def stream_model(tp: type[T], chunks: Iterable[Any], /, **options: Any) -> Iterator[T]:
    """Yield the partial value after each chunk that changed it, then the validated value.

    Args:
        tp: the model class (or TypeAdapter-able type), as for :class:`ModelStream`.
        chunks: the text, in pieces (``str`` or ``bytes``); or a provider's stream
            events (an openai or anthropic SDK stream, or its events as dicts),
            whose content (choice 0) is the text.
        **options: limits passed to :class:`ModelStream`.

    Yields:
        A copy of ``ModelStream.partial`` (:meth:`ModelStream.partial_copy`:
        later chunks leave it as it is, so ``p != previous`` tells a change)
        after each chunk that produced events and a value (a root number
        still in progress is not yielded) and did not complete the
        document, then the validated value.

    Raises:
        ModelRefused: the events hold a refusal (Structured Outputs
            ``refusal``): the model declined, with its reason, instead of
            answering. Raised at the end, in place of the value.
        pydantic.ValidationError: the document does not validate.
        ParseError: the text is not one JSON document.
    """
    stream = ModelStream(tp, **options)
    content = _Content()
    for chunk in chunks:
        text = content.text(chunk)
        if text and stream.feed(text) and not stream.done:
            partial = stream.partial_copy()
            if partial is not None:
                yield partial
    content.check()
    stream.close()
    yield stream.value


async def astream_model(
    tp: type[T], chunks: AsyncIterable[Any], /, **options: Any
) -> AsyncIterator[T]:
    """The async twin of :func:`stream_model`, over an async iterable of chunks or events."""
    stream = ModelStream(tp, **options)
    content = _Content()
    async for chunk in chunks:
        text = content.text(chunk)
        if text and stream.feed(text) and not stream.done:
            partial = stream.partial_copy()
            if partial is not None:
                yield partial
    content.check()
    stream.close()
    yield stream.value
