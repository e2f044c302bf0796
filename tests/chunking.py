"""Pure helpers shared by the tests and the fuzz harnesses: cutting text, joining deltas.

Nothing here imports pytest or hypothesis, so that ``fuzz/`` runs with what
the ``fuzz`` extra installs (atheris, markdown-it-py) and nothing more;
``helpers.py`` re-exports both names for the tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from midstream._events import (
    CodeDelta,
    ContentDelta,
    StringDelta,
    TextDelta,
    ToolArgumentsDelta,
)

E = TypeVar("E")
S = TypeVar("S", str, bytes)


def split_at(text: S, points: Iterable[int]) -> list[S]:
    """Cut ``text`` (str or bytes) at these offsets (any order; duplicates give empty chunks)."""
    cuts = sorted(p for p in points if 0 <= p <= len(text))
    chunks: list[S] = []
    last = 0
    for cut in cuts:
        chunks.append(text[last:cut])
        last = cut
    chunks.append(text[last:])
    return chunks


def merge_deltas(events: Sequence[E]) -> list[E]:
    """Join adjacent deltas of the same value, so that chunkings compare equal."""
    merged: list[Any] = []
    for ev in events:
        prev = merged[-1] if merged else None
        if type(ev) is type(prev):
            if isinstance(ev, StringDelta) and ev.path == prev.path:
                merged[-1] = StringDelta(ev.path, prev.text + ev.text)
                continue
            if isinstance(ev, CodeDelta) and ev.index == prev.index:
                merged[-1] = CodeDelta(
                    ev.index, prev.text + ev.text, prev.raw + ev.raw,
                    merge_deltas([*prev.events, *ev.events]),
                )
                continue
            if isinstance(ev, TextDelta):
                merged[-1] = TextDelta(prev.text + ev.text)
                continue
            if isinstance(ev, ContentDelta) and ev.choice == prev.choice:
                merged[-1] = ContentDelta(ev.choice, prev.text + ev.text)
                continue
            if (
                isinstance(ev, ToolArgumentsDelta)
                and (ev.choice, ev.index) == (prev.choice, prev.index)
            ):
                merged[-1] = ToolArgumentsDelta(
                    ev.choice, ev.index, prev.text + ev.text,
                    merge_deltas([*prev.events, *ev.events]),
                )
                continue
        if isinstance(ev, ToolArgumentsDelta):
            ev = ToolArgumentsDelta(ev.choice, ev.index, ev.text, merge_deltas(ev.events))  # type: ignore[assignment]
        merged.append(ev)
    return merged
