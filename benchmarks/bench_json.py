#!/usr/bin/env python
"""Benchmark midstream's JSON core against its peers, on the same chunks, in one process.

Usage::

    python benchmarks/bench_json.py                       # everything (several minutes)
    python benchmarks/bench_json.py --quick               # 1 repeat, 5 s budget per run
    python benchmarks/bench_json.py --sizes 1k,10k --peers midstream,jiter,ijson
    python benchmarks/bench_json.py --profile structured:100k   # cProfile midstream alone

Every workload of :mod:`benchmarks.cases` at every size is cut at cl100k_base
token boundaries, and every peer of :mod:`benchmarks.peers` consumes that same
list of chunks. Peers run interleaved (a different order in every repeat),
timed in process CPU time (``--clock wall`` for wall time), and the minimum (or
``--stat median``) over the repeats is kept. A run that would
take longer than ``--budget`` seconds is not run: re-parse peers are then
estimated by timing their per-chunk step on a random sample of the prefixes
(marked ``~``), others are extrapolated from the smaller sizes (also ``~``), and
a run that overruns anyway is interrupted (marked ``>``). Nothing hangs.

The output is markdown: the ratio table (how many times longer each peer takes
than midstream), the cost per chunk, linearity, peak memory, and the issue's
targets as PASS/FAIL lines. See ``benchmarks/README.md``.

The reusable pieces (``measure_block``, ``Cell``, ``format_ratio_table`` ...)
are importable for other ``bench_*.py`` scripts.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import importlib.util
import io
import json
import math
import os
import platform
import pstats
import random
import shlex
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))
# Measure the installed midstream (`pip install .` builds its compiled core);
# with none installed, the checkout's source. The report says which.
if importlib.util.find_spec("midstream") is None:
    sys.path.insert(0, str(ROOT / "src"))

from benchmarks import midstream_build  # noqa: E402
from benchmarks.cases import CASES, SIZES, parse_sizes  # noqa: E402
from benchmarks.chunking import CorpusUnavailable, RealStream, real_streams, token_chunks  # noqa: E402
from benchmarks.peers import (  # noqa: E402
    NO_VALUE,
    PEER_NAMES,
    BudgetExceeded,
    Peer,
    call_with_budget,
    load_peers,
)

__all__ = [
    "Cell",
    "Linearity",
    "Settings",
    "Workload",
    "check_targets",
    "format_report",
    "main",
    "measure_block",
    "measure_linearity",
    "measure_memory",
]

#: The peer every ratio is relative to.
SUBJECT: Final = "midstream"
#: The name of the aggregate real-stream workload.
REAL: Final = "real"


# --- data ------------------------------------------------------------------------------


@dataclass
class Workload:
    """One list of chunks (or, for the real corpus, many) and what it should parse to."""

    name: str
    size_label: str
    size_bytes: int
    streams: list[list[str]]
    expected: list[Any]

    @property
    def chunks(self) -> int:
        """How many chunks in all."""
        return sum(len(s) for s in self.streams)


@dataclass
class Cell:
    """One peer on one workload: the time of one whole run (all its streams)."""

    seconds: float | None = None
    chunks: int = 0
    runs: int = 0  # timed runs (sampled: prefixes timed)
    loops: int = 1
    estimated: str = ""  # how, if not measured: "sampled" or "extrapolated"
    over_budget: bool = False  # interrupted: seconds is a lower bound
    mismatch: str = ""  # the final value differs from json.loads'
    unavailable: str = ""

    @property
    def per_chunk(self) -> float | None:
        """Seconds per chunk."""
        if self.seconds is None or not self.chunks:
            return None
        return self.seconds / self.chunks

    @property
    def mark(self) -> str:
        """``~`` estimated, ``>`` lower bound, ``""`` measured."""
        return ">" if self.over_budget else "~" if self.estimated else ""


@dataclass
class Settings:
    """Knobs of a run (the command line)."""

    repeat: int = 5
    stat: str = "min"
    budget: float = 20.0
    min_time: float = 0.1
    samples: int = 200
    quiet: bool = False
    gc_off: bool = False
    clock: str = "cpu"

    @property
    def timer(self) -> Callable[[], float]:
        """``time.process_time`` for ``"cpu"``, ``time.perf_counter`` for ``"wall"``."""
        return time.process_time if self.clock == "cpu" else time.perf_counter


def _log(settings: Settings, msg: str) -> None:
    if not settings.quiet:
        print(msg, file=sys.stderr, flush=True)


# --- measuring ---------------------------------------------------------------------------


def _runner(peer: Peer, streams: list[list[str]], loops: int) -> Callable[[Any], Any]:
    run = peer.run
    if len(streams) == 1 and loops == 1:
        only = streams[0]
        return lambda _: run(only)

    def many(_: Any) -> Any:
        value = None
        for _i in range(loops):
            value = [run(s) for s in streams]
        return value

    return many


def _same(value: Any, expected: list[Any], single: bool) -> bool:
    got = [value] if single else value
    if got is NO_VALUE or (isinstance(got, list) and got and got[0] is NO_VALUE):
        return True
    return bool(got == expected)


def _sample_estimate(
    peer: Peer, streams: list[list[str]], settings: Settings
) -> tuple[float, int] | None:
    """Estimate a re-parse peer's whole run from its per-chunk step on sampled prefixes.

    Returns:
        ``(seconds, samples taken)``, or None if not even one step finished
        within twice the budget.
    """
    assert peer.step is not None and peer.prepare is not None
    # Every (stream, chunk index) with the length of the text up to and including it.
    points: list[tuple[int, int]] = []
    for si, chunks in enumerate(streams):
        end = 0
        for chunk in chunks:
            end += len(chunk)
            points.append((si, end))
    texts = ["".join(s) for s in streams]
    n = len(points)
    k = min(n, settings.samples)
    # Stratified, then shuffled, so that stopping early still samples evenly.
    picks = [points[int((j + 0.5) * n / k)] for j in range(k)]
    random.Random(0).shuffle(picks)
    step, prepare = peer.step, peer.prepare
    clock = settings.timer
    times: list[float] = []

    def sample(_: Any) -> None:
        spent = 0.0
        for si, end in picks:
            buf = prepare(texts[si][:end])
            start = clock()
            step(buf)
            times.append(clock() - start)
            spent += times[-1]
            if spent > settings.budget / 2 and (len(times) >= 8 or spent > settings.budget):
                break

    with contextlib.suppress(BudgetExceeded):  # a single step can be that slow
        call_with_budget(sample, [], 2 * settings.budget)
    if not times:
        return None
    return sum(times) / len(times) * n, len(times)


def _predict(history: list[tuple[int, float]], peer: Peer, size: int) -> float | None:
    """Seconds for a run at ``size`` from the runs at smaller sizes (a power law)."""
    if not history:
        return None
    (b2, t2) = history[-1]
    exponent = 2.0 if peer.complexity == "quadratic" else 1.0
    if len(history) >= 2:
        (b1, t1) = history[-2]
        if b2 > b1 and t1 > 0 and t2 > 0:
            exponent = min(2.2, max(1.0, math.log(t2 / t1) / math.log(b2 / b1)))
    return float(t2 * (size / b2) ** exponent)


def _timed(
    run: Callable[[Any], Any], settings: Settings, budget: float | None
) -> tuple[float, Any]:
    gc.collect()
    if settings.gc_off:
        gc.disable()
    try:
        return call_with_budget(run, [], budget, settings.timer)
    finally:
        gc.enable()


def measure_block(
    workload: Workload,
    peers: Sequence[Peer],
    settings: Settings,
    history: dict[str, list[tuple[int, float]]] | None = None,
) -> dict[str, Cell]:
    """Time every peer on one workload, interleaved, within the time budget.

    Args:
        workload: the chunks and the expected final values.
        peers: the peers to run.
        settings: repeats, statistic, budget.
        history: per peer, ``(size_bytes, seconds)`` of the smaller sizes of the
            same workload; used to predict, and appended to.

    Returns:
        A :class:`Cell` per peer name.
    """
    history = history if history is not None else {}
    cells = {p.name: Cell(chunks=workload.chunks) for p in peers}
    single = len(workload.streams) == 1
    plans: dict[str, tuple[int, int]] = {}  # peer -> (loops, repeats)

    # Calibration: one timed run per peer (also checks the final value); skip
    # or estimate the ones predicted to overrun.
    for peer in peers:
        cell = cells[peer.name]
        past = history.setdefault(peer.name, [])
        predicted = _predict(past, peer, workload.size_bytes)
        if predicted is not None and predicted > settings.budget:
            _estimate(cell, peer, workload, settings, predicted)
            continue
        try:
            seconds, value = _timed(_runner(peer, workload.streams, 1), settings, settings.budget)
        except BudgetExceeded as exc:
            _estimate(cell, peer, workload, settings, None, exc.elapsed)
            continue
        if not _same(value, workload.expected, single):
            cell.mismatch = "final value differs from json.loads"
        cell.seconds, cell.runs = seconds, 1
        loops = max(1, math.ceil(settings.min_time / seconds)) if seconds > 0 else 1
        # Keep one cell under about twice the budget: long runs repeat less,
        # and a run that took most of the budget stands as measured once.
        cost = seconds * loops
        repeats = min(settings.repeat, max(0, int(2 * settings.budget // cost) - 1))
        plans[peer.name] = (loops, repeats)

    # Repeats, interleaved: peer order rotates every round.
    samples: dict[str, list[float]] = {name: [] for name in plans}
    order = [p for p in peers if p.name in plans]
    for r in range(max((rep for _, rep in plans.values()), default=0)):
        rotated = order[r % len(order) :] + order[: r % len(order)]
        for peer in rotated:
            loops, repeats = plans[peer.name]
            if r >= repeats:
                continue
            seconds, _ = _timed(_runner(peer, workload.streams, loops), settings, None)
            samples[peer.name].append(seconds / loops)
    for name, times in samples.items():
        cell = cells[name]
        if times:
            cell.seconds = min(times) if settings.stat == "min" else statistics.median(times)
            cell.runs, cell.loops = len(times), plans[name][0]
        if cell.seconds is not None:
            history[name].append((workload.size_bytes, cell.seconds))
    return cells


def _estimate(
    cell: Cell,
    peer: Peer,
    workload: Workload,
    settings: Settings,
    predicted: float | None,
    lower_bound: float | None = None,
) -> None:
    sampled = _sample_estimate(peer, workload.streams, settings) if peer.step else None
    if sampled is not None:
        cell.seconds, cell.runs = sampled
        cell.estimated = "sampled"
    elif predicted is not None:
        cell.seconds = predicted
        cell.estimated = "extrapolated"
    else:
        cell.seconds = settings.budget if lower_bound is None else lower_bound
        cell.over_budget = True


@dataclass
class Linearity:
    """midstream at a small and a big size, measured in alternating pairs.

    Timing each size in its own block lets drift (other processes, frequency)
    land on one size only; alternating them, with the small document looped
    to as many chunks as the big one, pairs every big run with a small run
    taken moments apart.

    Attributes:
        small: min µs per chunk at the small size.
        big: min µs per chunk at the big size.
        paired: median over the rounds of big / small per-chunk cost.
        rounds: how many pairs.
    """

    small: float
    big: float
    paired: float
    rounds: int


def measure_linearity(small: Workload, big: Workload, peer: Peer, settings: Settings) -> Linearity:
    """Alternate ``peer`` on ``small`` (looped) and ``big``; see :class:`Linearity`."""
    run = peer.run
    small_chunks, big_chunks = small.streams[0], big.streams[0]
    loops = max(1, round(big.chunks / small.chunks))

    def run_small(_: Any) -> None:
        for _i in range(loops):
            run(small_chunks)

    def run_big(_: Any) -> None:
        run(big_chunks)

    smalls: list[float] = []
    bigs: list[float] = []
    for r in range(max(1, settings.repeat)):
        for which in ("small", "big") if r % 2 == 0 else ("big", "small"):
            if which == "small":
                seconds, _ = _timed(run_small, settings, None)
                smalls.append(seconds / (loops * small.chunks))
            else:
                seconds, _ = _timed(run_big, settings, None)
                bigs.append(seconds / big.chunks)
    ratios = [b / a for a, b in zip(smalls, bigs, strict=True) if a > 0]
    return Linearity(
        min(smalls) * 1e6,
        min(bigs) * 1e6,
        statistics.median(ratios) if ratios else 0.0,
        len(ratios),
    )


def _consumer(peer: Peer, streams: list[list[str]], texts: list[str]) -> Callable[[Any], object]:
    if peer.name == "json.loads":
        return lambda _: [json.loads(t) for t in texts]
    run = peer.run
    return lambda _: [run(s) for s in streams]


def measure_memory(
    workload: Workload, peers: Sequence[Peer], budget: float | None = None
) -> dict[str, int | None]:
    """Peak bytes allocated (tracemalloc) while each peer consumes the workload.

    ``json.loads`` is measured on the joined text (``json.loads(text)``), the
    others on the chunks; the chunks and the text exist before tracing starts.
    A peer that overruns ``budget`` seconds (tracing is slow) gets None.
    """
    texts = ["".join(s) for s in workload.streams]
    peaks: dict[str, int | None] = {}
    for peer in peers:
        consume = _consumer(peer, workload.streams, texts)
        gc.collect()
        tracemalloc.start()
        try:
            call_with_budget(consume, [], budget)
            peaks[peer.name] = tracemalloc.get_traced_memory()[1]
        except BudgetExceeded:
            peaks[peer.name] = None
        finally:
            tracemalloc.stop()
    return peaks


# --- workloads ---------------------------------------------------------------------------


def synthetic_workload(name: str, size_label: str, size_bytes: int) -> Workload:
    """A registered case at one size, cut at token boundaries."""
    text = CASES[name].generate(size_bytes)
    return Workload(name, size_label, len(text.encode()), [token_chunks(text)], [json.loads(text)])


def real_workload(streams: Sequence[RealStream]) -> Workload:
    """All recorded real streams as one workload (each stream a fresh parser)."""
    chunk_lists = [list(s.chunks) for s in streams]
    size = sum(len(s.text.encode()) for s in streams)
    return Workload(
        REAL, f"{len(streams)} streams", size, chunk_lists, [json.loads(s.text) for s in streams]
    )


# --- report ------------------------------------------------------------------------------


def _size_text(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.0f} KB"
    return f"{n} B"


def _ratio(cell: Cell, base: Cell) -> str:
    if cell.unavailable or cell.seconds is None or not base.seconds:
        return "—"
    r = cell.seconds / base.seconds
    text = f"{r:.0f}×" if r >= 100 else f"{r:.1f}×" if r >= 1 else f"{r:.2f}×"
    return cell.mark + text + ("†" if cell.mismatch else "")


def _us(cell: Cell) -> str:
    pc = cell.per_chunk
    if cell.unavailable or pc is None:
        return "—"
    us = pc * 1e6
    text = f"{us:.0f}" if us >= 100 else f"{us:.2f}" if us < 10 else f"{us:.1f}"
    return cell.mark + text + ("†" if cell.mismatch else "")


Results = dict[tuple[str, str], dict[str, Cell]]
Blocks = list[Workload]


def format_ratio_table(blocks: Blocks, results: Results, names: Sequence[str]) -> str:
    """Markdown: midstream's µs per chunk, then each peer's time as a multiple of midstream's."""
    others = [n for n in names if n != SUBJECT]
    head = ["workload", "size", "chunks", f"{SUBJECT} µs/chunk", *others]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for w in blocks:
        cells = results[(w.name, w.size_label)]
        base = cells.get(SUBJECT, Cell())
        row = [w.name, w.size_label, str(w.chunks), _us(base)]
        row += [_ratio(cells.get(n, Cell(unavailable="x")), base) for n in others]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def format_cost_table(blocks: Blocks, results: Results, names: Sequence[str]) -> str:
    """Markdown: every peer's cost per chunk in µs."""
    head = ["workload", "size", *names]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for w in blocks:
        cells = results[(w.name, w.size_label)]
        row = [w.name, w.size_label]
        row += [_us(cells.get(n, Cell(unavailable="x"))) for n in names]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


@dataclass
class Check:
    """One target of the issue."""

    name: str
    status: str  # PASS, FAIL, SKIP
    detail: str


def _cell(results: Results, workload: str, size: str, peer: str) -> Cell | None:
    cell = results.get((workload, size), {}).get(peer)
    return cell if cell is not None and cell.seconds is not None else None


def check_targets(
    results: Results,
    workloads: Sequence[str],
    memory: dict[str, dict[str, int | None]],
    memory_size: str,
    linearity: dict[str, Linearity] | None = None,
) -> list[Check]:
    """The issue's performance targets, for the synthetic workloads."""
    checks: list[Check] = []

    def verdict(name: str, good: list[str], bad: list[str], missing: list[str], need: str) -> None:
        if not good and not bad:
            checks.append(Check(name, "SKIP", f"needs {need}"))
            return
        detail = "; ".join(bad or good)
        if missing:
            detail += f" (not measured: {', '.join(missing)})"
        checks.append(Check(name, "FAIL" if bad else "PASS", detail))

    def ratio_check(name: str, peer: str, sizes: Sequence[str], at_least: float) -> None:
        good: list[str] = []
        bad: list[str] = []
        missing: list[str] = []
        for w in workloads:
            for s in sizes:
                m, p = _cell(results, w, s, SUBJECT), _cell(results, w, s, peer)
                if m is None or p is None or not m.seconds or p.seconds is None:
                    missing.append(f"{w}@{s}")
                    continue
                r = p.seconds / m.seconds
                (good if r >= at_least else bad).append(f"{w}@{s} {p.mark}{r:.2f}×")
        verdict(name, good, bad, missing, f"{peer} and sizes {','.join(sizes)}")

    all_sizes = sorted({s for (_, s) in results if s in SIZES}, key=SIZES.__getitem__)
    ratio_check(
        ">= 4x less time than jsonriver, every workload and size", "jsonriver", all_sizes, 4
    )
    ratio_check("no slower than jiter partial re-parse at 1 KB", "jiter", ["1k"], 1)
    ratio_check(">= 100x faster than jiter partial re-parse at 100 KB", "jiter", ["100k"], 100)

    good: list[str] = []
    bad: list[str] = []
    for w in workloads:
        small, big = _cell(results, w, "10k", SUBJECT), _cell(results, w, "1m", SUBJECT)
        if linearity and w in linearity:
            r = linearity[w].paired
            (good if r <= 1.3 else bad).append(f"{w} {r:.2f}× (paired)")
        elif small and big and small.per_chunk and big.per_chunk:
            r = big.per_chunk / small.per_chunk
            (good if r <= 1.3 else bad).append(f"{w} {r:.2f}×")
    verdict("linear: cost per chunk at 1 MB within 1.3x of 10 KB", good, bad, [], "sizes 10k,1m")

    good, bad = [], []
    if memory_size == "1m":
        for w, peaks in memory.items():
            if peaks.get(SUBJECT) and peaks.get("json.loads"):
                r = (peaks[SUBJECT] or 0) / (peaks["json.loads"] or 1)
                (good if r <= 2 else bad).append(f"{w} {r:.2f}×")
    verdict("peak memory streaming 1 MB within 2x of json.loads'", good, bad, [], "size 1m")
    return checks


def _environment(peers: Sequence[Peer], missing: dict[str, str]) -> list[str]:
    versions = []
    for dist in ("jiter", "pydantic_core", "jsonriver", "partial-json-parser", "ijson", "tiktoken"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"{dist} {metadata.version(dist)}")
    lines = [
        f"- {midstream_build()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}) on"
        f" {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "- " + ", ".join(versions),
    ]
    lines += [f"- `{p.name}`: {p.description}" for p in peers]
    lines += [f"- `{n}`: not run ({why})" for n, why in missing.items()]
    return lines


def format_report(
    blocks: Blocks,
    results: Results,
    names: Sequence[str],
    memory: dict[str, dict[str, int | None]],
    memory_size: str,
    checks: Sequence[Check],
    header: Sequence[str],
    linearity: dict[str, Linearity] | None = None,
) -> str:
    """The whole markdown report."""
    out = [*header, ""]
    if SUBJECT in names:
        out += [
            "### Time relative to midstream (events path)",
            "",
            "Each peer's time for the whole stream divided by midstream's: `12×` means the"
            " peer takes 12 times as long; below 1× the peer is faster. `~` estimated"
            " (sampled or extrapolated, see README), `>` interrupted at the budget (a lower"
            " bound), `†` its final value differs from json.loads'.",
            "",
            format_ratio_table(blocks, results, names),
            "",
        ]
    out += ["### Cost per chunk (µs)", "", format_cost_table(blocks, results, names), ""]

    lin = []
    for w in dict.fromkeys(b.name for b in blocks):
        small, big = _cell(results, w, "10k", SUBJECT), _cell(results, w, "1m", SUBJECT)
        if small and big and small.per_chunk and big.per_chunk:
            row = (
                f"| {w} | {small.per_chunk * 1e6:.2f} | {big.per_chunk * 1e6:.2f} |"
                f" {big.per_chunk / small.per_chunk:.2f}× |"
            )
            if linearity and w in linearity:
                li = linearity[w]
                row += f" {li.small:.2f} | {li.big:.2f} | {li.paired:.2f}× ({li.rounds}) |"
            lin.append(row)
    if lin:
        head = "| workload | 10 KB | 1 MB | 1 MB / 10 KB |"
        rule = "|---|---|---|---|"
        if linearity:
            head += " paired: 10 KB | 1 MB | median 1 MB / 10 KB (pairs) |"
            rule += "---|---|---|"
        out += [
            "### Linearity (midstream µs per chunk)",
            "",
            "From the tables above, and from alternating pairs (10 KB looped to as many"
            " chunks as 1 MB, then 1 MB, and so on), which drift cannot favour; the target"
            " uses the paired median.",
            "",
            head,
            rule,
            *lin,
            "",
        ]
    if memory:
        peers_m = list(dict.fromkeys(k for peaks in memory.values() for k in peaks))
        out += [
            f"### Peak memory while consuming {memory_size} (tracemalloc, MB)",
            "",
            "| workload | " + " | ".join(peers_m) + " | midstream / json.loads |",
            "|" + "---|" * (len(peers_m) + 2),
        ]
        for w, peaks in memory.items():
            cols = [f"{v / 1e6:.2f}" if (v := peaks.get(p)) else "—" for p in peers_m]
            r = (
                f"{(peaks[SUBJECT] or 0) / (peaks['json.loads'] or 1):.2f}×"
                if peaks.get(SUBJECT) and peaks.get("json.loads")
                else "—"
            )
            out.append(f"| {w} | " + " | ".join(cols) + f" | {r} |")
        out += ["", "`—`: not measured (over its time budget, timed or under tracemalloc).", ""]
    if checks:
        out += ["### Targets (issue 2)", "", "```"]
        out += [f"{c.status}: {c.name} — {c.detail}" for c in checks]
        out += ["```", ""]
    notes = [
        f"- {w.name} {w.size_label}: `{n}` {c.mismatch}"
        for w in blocks
        for n, c in results[(w.name, w.size_label)].items()
        if c.mismatch
    ]
    if notes:
        out += ["† Final value differs from `json.loads`:", *notes, ""]
    return "\n".join(out)


# --- profile -----------------------------------------------------------------------------


def profile(target: str, top: int, sort: str, peer_name: str = SUBJECT) -> str:
    """Run one peer (midstream) alone under cProfile on ``workload:size``; the top functions."""
    name, _, size = target.partition(":")
    size = size or "100k"
    if name not in CASES:
        raise SystemExit(f"unknown workload {name!r}; known: {', '.join(CASES)}")
    [(label, n)] = parse_sizes(size)
    work = synthetic_workload(name, label, n)
    loaded, missing = load_peers([peer_name])
    if not loaded:
        raise SystemExit(f"{peer_name} is not available: {missing[peer_name]}")
    run = loaded[0].run
    chunks = work.streams[0]
    run(chunks)  # warm up
    prof = cProfile.Profile()
    prof.enable()
    run(chunks)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(sort)
    stats.print_stats(top)
    head = f"cProfile of {peer_name} on {name} {label} ({work.chunks} chunks), sorted by {sort}"
    return head + "\n" + buf.getvalue()


# --- main --------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="bench_json.py",
        description="midstream's JSON core beside its peers, on the same token chunks.",
    )
    ap.add_argument("--sizes", default=",".join(SIZES), help="e.g. 1k,10k,100k,1m (default all)")
    ap.add_argument("--workloads", default=",".join(CASES), help=f"of {', '.join(CASES)}")
    ap.add_argument("--peers", default=",".join(PEER_NAMES), help=f"of {', '.join(PEER_NAMES)}")
    ap.add_argument("--repeat", type=int, default=None, help="timed repeats per cell (default 5)")
    ap.add_argument("--stat", choices=("min", "median"), default="min")
    ap.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="cpu: process CPU time, robust to other processes (default); wall: perf_counter",
    )
    ap.add_argument(
        "--budget", type=float, default=None, help="max seconds for one run (default 20)"
    )
    ap.add_argument(
        "--min-time", type=float, default=None, help="loop short runs to this many seconds"
    )
    ap.add_argument("--quick", action="store_true", help="1 repeat, 5 s budget, fewer samples")
    ap.add_argument("--no-real", action="store_true", help="skip the recorded real streams")
    ap.add_argument("--no-memory", action="store_true", help="skip the tracemalloc measurement")
    ap.add_argument("--json", metavar="PATH", help="also write the raw results as JSON")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a target FAILs")
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    ap.add_argument(
        "--gc-off", action="store_true", help="disable the cyclic GC in timed runs (diagnosis)"
    )
    ap.add_argument(
        "--profile", metavar="WORKLOAD[:SIZE]", help="cProfile midstream alone and exit"
    )
    ap.add_argument("--profile-top", type=int, default=20)
    ap.add_argument("--profile-peer", default=SUBJECT, help="e.g. midstream+snapshot")
    ap.add_argument("--profile-sort", default="tottime", help="a pstats sort key")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the markdown report. Returns the exit status."""
    args = _parser().parse_args(argv)
    if args.profile:
        print(profile(args.profile, args.profile_top, args.profile_sort, args.profile_peer))
        return 0

    settings = Settings(
        repeat=args.repeat if args.repeat is not None else 1 if args.quick else 5,
        stat=args.stat,
        budget=args.budget if args.budget is not None else 5.0 if args.quick else 20.0,
        min_time=args.min_time if args.min_time is not None else 0.02 if args.quick else 0.1,
        samples=64 if args.quick else 200,
        quiet=args.quiet,
        gc_off=args.gc_off,
        clock=args.clock,
    )
    sizes = parse_sizes(args.sizes)
    workload_names = [w.strip() for w in args.workloads.split(",") if w.strip()]
    for w in workload_names:
        if w not in CASES:
            raise SystemExit(f"unknown workload {w!r}; known: {', '.join(CASES)}")
    peers, missing = load_peers([p.strip() for p in args.peers.split(",") if p.strip()])
    names = [p.name for p in peers]
    for name, why in missing.items():
        _log(settings, f"peer {name} not available: {why}")

    blocks: Blocks = []
    results: Results = {}
    memory: dict[str, dict[str, int | None]] = {}
    linearity: dict[str, Linearity] = {}
    checks: list[Check] = []
    command = "python benchmarks/bench_json.py" + "".join(
        " " + shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )

    def dump() -> None:  # after every cell, so an interrupted run still leaves data
        if not args.json:
            return
        raw = {
            "command": command,
            "settings": asdict(settings),
            "results": [
                {"workload": w, "size": s, "peer": p, **asdict(c)}
                for (w, s), cells in results.items()
                for p, c in cells.items()
            ],
            "memory": memory,
            "linearity": {w: asdict(li) for w, li in linearity.items()},
            "checks": [asdict(c) for c in checks],
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(raw, indent=1))

    def measure(work: Workload, history: dict[str, list[tuple[int, float]]] | None) -> None:
        _log(settings, f"{work.name} {work.size_label}: {work.chunks} chunks ...")
        start = time.perf_counter()
        cells = results[(work.name, work.size_label)] = measure_block(
            work, peers, settings, history
        )
        blocks.append(work)
        summary = ", ".join(f"{n} {_us(c)}" for n, c in cells.items())
        _log(settings, f"  {time.perf_counter() - start:.0f} s; µs/chunk: {summary}")
        dump()

    for w in workload_names:
        history: dict[str, list[tuple[int, float]]] = {}
        for label, n in sizes:
            measure(synthetic_workload(w, label, n), history)
    if not args.no_real:
        try:
            streams = list(real_streams())
        except CorpusUnavailable as exc:
            _log(settings, f"skipping the real streams: {exc}")
        else:
            measure(real_workload(streams), None)

    memory_label = sizes[-1][0] if sizes else ""
    mem_peers = [p for p in peers if p.name in (SUBJECT, "midstream+snapshot", "json.loads")]
    if not args.no_memory and sizes and mem_peers:
        for w in workload_names:
            work = next(b for b in blocks if b.name == w and b.size_label == memory_label)
            _log(settings, f"memory: {w} {memory_label} ...")
            # Peers whose timed run was not measured would not finish here either.
            cells = results[(w, memory_label)]
            fit = [p for p in mem_peers if not cells[p.name].mark]
            memory[w] = measure_memory(work, fit, 3 * settings.budget)
            dump()

    labels = [label for label, _ in sizes]
    subject = [p for p in peers if p.name == SUBJECT]
    if subject and "10k" in labels and "1m" in labels:
        for w in workload_names:
            pair = [b for b in blocks if b.name == w and b.size_label in ("10k", "1m")]
            _log(settings, f"linearity: {w} 10k vs 1m, alternating ...")
            linearity[w] = measure_linearity(pair[0], pair[1], subject[0], settings)

    if SUBJECT in names:
        checks = check_targets(results, workload_names, memory, memory_label, linearity)
    header = [
        f"## midstream JSON benchmark — `{command}`",
        "",
        f"- {settings.stat} of {settings.repeat} interleaved repeats ({settings.clock} time),"
        f" budget {settings.budget:g} s per run, chunks at cl100k_base token boundaries"
        + (", cyclic GC off in timed runs" if settings.gc_off else ""),
        *_environment(peers, missing),
    ]
    print(format_report(blocks, results, names, memory, memory_label, checks, header, linearity))
    dump()
    return 1 if args.strict and any(c.status == "FAIL" for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
