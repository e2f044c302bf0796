"""``merge``: several async event streams as one, tagged, in the order events arrive.

Each source is read by a task of its own into one small queue; the consumer
gets ``(tag, event)`` as soon as any source has one. When the consumer stops
(closes the generator, or is cancelled) or one source fails, every task is
cancelled and every source closed (``aclose()``), so no upstream call is left
running (and billing).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from typing import Any, TypeVar

__all__ = ["merge"]

T = TypeVar("T")

_DONE: Any = object()


async def _close(iterator: Any) -> None:
    """Close an async (``aclose``) or sync (``close``) iterator; its own errors are dropped."""
    aclose = getattr(iterator, "aclose", None)
    close = getattr(iterator, "close", None)
    with contextlib.suppress(Exception):
        if aclose is not None:
            await aclose()
        elif close is not None:
            close()


async def merge(sources: Mapping[str, AsyncIterable[T]]) -> AsyncIterator[tuple[str, T]]:
    """Interleave ``sources`` as their items arrive, each item tagged with its key.

    Args:
        sources: tag -> async iterable (an SDK stream, an ``astream_events`` generator).

    Yields:
        ``(tag, item)`` pairs; the merge ends when every source has ended.

    Raises:
        The first exception of any source, after all the others are closed.
    """
    iterators = {tag: aiter(src) for tag, src in sources.items()}
    # One slot per source: a source runs at most one item ahead of the consumer.
    queue: asyncio.Queue[tuple[str, Any, BaseException | None]] = asyncio.Queue(
        maxsize=max(1, len(iterators))
    )

    async def pump(tag: str, iterator: AsyncIterator[T]) -> None:
        try:
            async for item in iterator:
                await queue.put((tag, item, None))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            await queue.put((tag, _DONE, exc))
            return
        await queue.put((tag, _DONE, None))

    tasks = [asyncio.create_task(pump(tag, it)) for tag, it in iterators.items()]
    running = len(tasks)
    try:
        while running:
            tag, item, error = await queue.get()
            if error is not None:
                raise error
            if item is _DONE:
                running -= 1
                continue
            yield tag, item
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for iterator in iterators.values():
            await _close(iterator)
