"""The producer: reads a source of events, encodes them and publishes them to a Channel.

A source is any sync or async iterable of midstream events, of
:class:`TextUnit`, or of ``(tag, event)`` pairs (from :func:`merge`). When the
producer is cancelled (the client went away and the stream is not kept), the
source is closed, which closes the upstream HTTP response: generation and
billing stop.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterable, Callable, Iterable
from typing import Any, TypeAlias

from ._channel import Channel
from ._encoder import Encoder
from ._merge import _close

__all__ = ["Source", "SourceFactory", "produce", "start_producer"]

#: What a stream is made from.
Source: TypeAlias = "AsyncIterable[Any] | Iterable[Any]"
#: A source made only when the stream starts (not when a client resumes it).
SourceFactory: TypeAlias = "Callable[[], Source]"


async def produce(channel: Channel, source: Source) -> None:
    """Publish every event of ``source``, then ``end`` (after ``error`` if it failed)."""
    seq = itertools.count(channel.last_seq + 1)
    main = Encoder(None, seq)
    encoders: dict[str | None, Encoder] = {None: main}
    iterator: Any = aiter(source) if isinstance(source, AsyncIterable) else iter(source)
    try:
        while True:
            if isinstance(source, AsyncIterable):
                try:
                    item = await anext(iterator)
                except StopAsyncIteration:
                    break
            else:
                item = next(iterator, _END)
                if item is _END:
                    break
                await asyncio.sleep(0)  # a sync source must not starve the senders
            tag = None
            if isinstance(item, tuple):
                tag, item = item
            encoder = encoders.get(tag)
            if encoder is None:
                encoder = encoders[tag] = Encoder(tag, seq)
            msg = encoder.encode_one(item)
            if msg is not None:
                channel.publish([msg])
                if msg["seq"] % _YIELD_EVERY == 0:
                    # A source that has its events at hand never awaits: let the senders run.
                    await asyncio.sleep(0)
        channel.publish([main.end()])
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        channel.publish([main.error(exc), main.end()])
    finally:
        await _close(iterator)


_END: Any = object()
#: Messages published between two yields to the event loop, at most.
_YIELD_EVERY = 64


def start_producer(channel: Channel, source: Source | SourceFactory) -> asyncio.Task[None]:
    """Run :func:`produce` as a task owned by ``channel`` (``channel.task``)."""
    made = source() if callable(source) else source
    task = asyncio.get_running_loop().create_task(produce(channel, made))
    channel.task = task
    return task
