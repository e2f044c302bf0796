"""The one place tests feed text to parsers: every chunking goes through here.

Never write a prefix loop by hand in a test (jiter's own test suite shipped one
that parsed the whole text on every iteration). Use :func:`chunkings`,
:func:`run` and :func:`assert_chunk_invariant`, and hypothesis's
:func:`split_points` for random splits.
"""

from __future__ import annotations

import gc
import math
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from chunking import merge_deltas, split_at  # pure helpers the fuzz harnesses share
from midstream import ParseError
from midstream._events import CodeBlockDone, CodeBlockStart, CodeDelta, Event, TextDelta

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
if str(ROOT) not in sys.path:  # the benchmarks package holds the tokenizer chunking
    sys.path.insert(0, str(ROOT))


def shared_path(*parts: str) -> Path:
    """A path under ``../shared``; skip where it is absent, fail where ``CI`` is set."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = (
            f"{path} is absent: these tests read the team's shared conformance data and"
            " real-stream corpus, which sit beside the project checkout as ../shared"
        )
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set, so this is a failure, not a skip)")
        pytest.skip(reason)
    return path


# --- chunkings -----------------------------------------------------------------


def token_chunks(text: str) -> list[str]:
    """Split ``text`` at cl100k_base token boundaries, as a model streams it."""
    pytest.importorskip("tiktoken")
    from benchmarks.chunking import token_chunks as cut

    return cut(text)


def chunkings(text: str, *, seed: int = 0, tokens: bool = True) -> Iterator[list[str]]:
    """Many ways to cut ``text``: whole, per character, two-way, random, tokens, with empties."""
    yield [text]
    yield list(text)
    yield ["", *text, ""]
    n = len(text)
    cuts = range(n + 1) if n <= 64 else sorted(random.Random(seed).sample(range(n + 1), 64))
    for i in cuts:
        yield [text[:i], text[i:]]
    rng = random.Random(seed)
    for _ in range(8):
        k = rng.randint(1, max(1, n // 2))
        yield split_at(text, rng.sample(range(n + 1), min(k, n + 1)))
    if tokens:
        yield token_chunks(text)


def split_points(text: str) -> st.SearchStrategy[list[str]]:
    """A hypothesis strategy of chunkings of ``text``."""
    return st.lists(st.integers(0, len(text)), max_size=max(1, len(text))).map(
        lambda points: split_at(text, points)
    )


# --- running parsers -------------------------------------------------------------


RunResult = tuple[list[Any], Any]


def run(make: Callable[[], Any], chunks: Iterable[Any]) -> RunResult:
    """Feed ``chunks`` to a fresh parser and close it.

    Returns the merged events and None, or, on a :class:`ParseError`, no events
    and ``(kind, offset)``: events before an error depend on the chunking, the
    error itself must not.
    """
    parser = make()
    events: list[Event] = []
    try:
        for chunk in chunks:
            events += parser.feed(chunk)
        events += parser.close()
    except ParseError as exc:
        return [], (exc.kind, exc.offset)
    return merge_deltas(events), None


def assert_chunk_invariant(make: Callable[[], Any], text: str, **kw: Any) -> RunResult:
    """Assert that every chunking of ``text`` gives what feeding it whole gives."""
    expected = run(make, [text])
    for chunks in chunkings(text, **kw):
        got = run(make, chunks)
        assert got == expected, f"chunking {chunks!r} differs"
    return expected


def reconstruct_code_text(events: Iterable[Any]) -> str:
    """CodeBlocks' input, rebuilt from its events (the accounting invariant)."""
    out = []
    for e in events:
        if isinstance(e, TextDelta):
            out.append(e.text)
        elif isinstance(e, (CodeBlockStart, CodeBlockDone)):
            out.append(e.fence)
        elif isinstance(e, CodeDelta):
            out.append(e.raw)
    return "".join(out)


# --- cost ----------------------------------------------------------------------------


def cpu_in_turns(*fns: Callable[[], Any], rounds: int = 1) -> list[float]:
    """Best CPU time of each of ``fns`` over ``rounds`` turns, in seconds.

    The functions take turns (one call of each per round), so that a change in
    the machine's load between rounds reaches them all alike and the best of
    each is taken under the same conditions. The cyclic GC is off while timing,
    as in :mod:`timeit`: its full collections walk every object the test
    session holds, so their cost (and how many a run triggers) depends on the
    tests run before, not on what is timed.
    """
    best = [math.inf] * len(fns)
    gc.disable()
    try:
        for _ in range(rounds):
            for k, fn in enumerate(fns):
                start = time.process_time()
                fn()
                best[k] = min(best[k], time.process_time() - start)
    finally:
        gc.enable()
    return best
