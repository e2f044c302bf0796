"""Registry of benchmark workloads: deterministic generators ``size_bytes -> str``.

Every generator returns a valid JSON document of about ``size_bytes`` UTF-8
bytes (it stops at the first record that reaches the size, so it may overshoot
by one record), the same text on every call and machine: each is seeded from
its name and size only.

Register a new workload with :func:`case`::

    from benchmarks.cases import CASES, SIZES, case

    @case("deep", "100 nested arrays around a number")
    def deep(size_bytes: int) -> str: ...

    text = CASES["structured"].generate(SIZES["10k"])

Other benchmarks (code blocks, tool calls, models) import :data:`CASES` and
:data:`SIZES` so that every table uses the same documents.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["CASES", "SIZES", "Case", "case", "parse_sizes", "rng_for"]

#: Named sizes in bytes, smallest first.
SIZES: Final[dict[str, int]] = {
    "1k": 1 << 10,
    "10k": 10 << 10,
    "100k": 100 << 10,
    "1m": 1 << 20,
}


@dataclass(frozen=True)
class Case:
    """One workload.

    Attributes:
        name: short identifier used on the command line and in tables.
        description: one line for the README and ``--list``.
        generate: ``size_bytes -> JSON text``, deterministic.
    """

    name: str
    description: str
    generate: Callable[[int], str]


#: Every registered workload, by name, in registration order.
CASES: dict[str, Case] = {}


def case(name: str, description: str) -> Callable[[Callable[[int], str]], Callable[[int], str]]:
    """Register a generator ``size_bytes -> str`` under ``name``."""

    def register(fn: Callable[[int], str]) -> Callable[[int], str]:
        if name in CASES:
            raise ValueError(f"workload {name!r} is registered twice")
        CASES[name] = Case(name, description, fn)
        return fn

    return register


def rng_for(name: str, size_bytes: int) -> random.Random:
    """A random generator seeded from ``name`` and ``size_bytes`` only."""
    return random.Random(zlib.crc32(f"{name}:{size_bytes}".encode()))


def parse_sizes(spec: str) -> list[tuple[str, int]]:
    """Parse ``"1k,10k,100k,1m"`` (names of :data:`SIZES` or plain byte counts).

    Raises:
        ValueError: an unknown size.
    """
    sizes = []
    for part in spec.split(","):
        label = part.strip().lower()
        if not label:
            continue
        if label in SIZES:
            sizes.append((label, SIZES[label]))
        elif label.isdigit():
            sizes.append((label, int(label)))
        else:
            raise ValueError(f"unknown size {part!r}: use {', '.join(SIZES)} or a byte count")
    return sorted(sizes, key=lambda s: s[1])


# --- vocabulary --------------------------------------------------------------------

_WORDS: Final = (
    *("stream", "parser", "token", "value", "delta", "field", "object", "array", "schema"),
    *("model", "output", "chunk", "latency", "buffer", "record", "table", "section"),
    *("heading", "summary", "result", "answer", "request"),
)
_UNICODE_WORDS: Final = (
    *("naïve", "café", "Straße", "Ελληνικά", "русский", "日本語のテキスト", "中文", "한국어"),
    *("עברית", "العربية", "½", "€", "✓", "🚀", "🙂", "👩\u200d💻"),
)


def _sentence(rng: random.Random, n: int) -> str:
    words = [
        rng.choice(_UNICODE_WORDS) if rng.random() < 0.15 else rng.choice(_WORDS) for _ in range(n)
    ]
    return " ".join(words).capitalize() + "."


def _fill(head: str, tail: str, size_bytes: int, record: Callable[[int], str], sep: str) -> str:
    """``head + record(0) + sep + record(1) ... + tail``, stopping at ``size_bytes``."""
    parts = [head]
    used = len(head.encode()) + len(tail.encode())
    i = 0
    while True:
        piece = record(i)
        parts.append(piece if i == 0 else sep + piece)
        used += len(piece.encode()) + (len(sep) if i else 0)
        i += 1
        if used >= size_bytes:
            break
    parts.append(tail)
    return "".join(parts)


# --- workloads ---------------------------------------------------------------------


@case(
    "structured",
    "structured output: an object with nested metadata and an array of records"
    " (strings with unicode, ints, floats, bools, null, nested arrays)",
)
def structured(size_bytes: int) -> str:
    """A structured-output document, as ``response_format=json_schema`` produces."""
    rng = rng_for("structured", size_bytes)
    meta = {
        "title": _sentence(rng, 6),
        "language": "en",
        "version": 3,
        "draft": False,
        "confidence": 0.875,
        "author": {"name": "Zoë Ångström", "email": "zoe@example.com", "id": 90210},
        "tags": ["json", "streaming", "llm", "日本語"],
    }
    meta_text = json.dumps(meta, ensure_ascii=False)
    head = '{"id": "doc_7f3a9c", "meta": ' + meta_text + ', "sections": ['

    def record(i: int) -> str:
        section: dict[str, Any] = {
            "index": i,
            "heading": _sentence(rng, rng.randint(2, 6)),
            "body": " ".join(_sentence(rng, rng.randint(6, 16)) for _ in range(rng.randint(1, 3))),
            "published": rng.random() < 0.7,
            "score": round(rng.uniform(0, 100), 3),
            "votes": rng.randint(-50, 5000),
            "refs": [rng.randint(1, 999) for _ in range(rng.randint(0, 4))],
            "owner": None if rng.random() < 0.3 else {"name": rng.choice(_WORDS), "level": i % 7},
        }
        return json.dumps(section, ensure_ascii=False)

    return _fill(head, '], "done": true}', size_bytes, record, ", ")


_CODE_LINES: Final = (
    'def handle(request, path="C:\\\\temp\\\\out.txt"):',
    '    """Return the "answer" for {path} — naïve version."""',
    "    if request.get('mode') == \"fast\":\t# tab before comment",
    '        print(f"done: {len(items)} items 🚀 in {elapsed:.2f}s")',
    "    pattern = re.compile(r'\\\\d+\\\\.\\\\d*|\"quoted\"')",
    "    return {'emoji': '👩‍💻', 'cjk': '日本語', 'euro': '€ 10', 'nul': '\\\\x00'}",
    '    raise ValueError("unexpected \\\\ backslash and \\"escaped\\" quotes")',
    "    # ½ of the Ελληνικά text, русский, עברית and العربية too",
    "",
)


@case(
    "tool_string",
    'one long tool-argument string full of escapes: code with \\n, \\t, \\", \\\\,'
    " \\uXXXX escapes (incl. surrogate pairs) and raw non-ASCII",
)
def tool_string(size_bytes: int) -> str:
    """A ``write_file`` tool call's arguments: a short path and one long string."""
    rng = rng_for("tool_string", size_bytes)
    head = '{"path": "src/app/handler.py", "overwrite": true, "content": "'

    def record(i: int) -> str:
        line = rng.choice(_CODE_LINES) + f"  # line {i}\n"
        # Half the lines escape non-ASCII as \uXXXX (surrogate pairs for emoji), as
        # json.dumps' default does; the rest keep raw UTF-8, as most models send.
        return json.dumps(line, ensure_ascii=rng.random() < 0.5)[1:-1]

    return _fill(head, '"}', size_bytes, record, "")


def _number(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.35:
        return str(rng.randint(-(10**9), 10**12))
    if r < 0.7:
        return repr(round(rng.uniform(-1000, 1000), rng.randint(1, 9)))
    mantissa = round(rng.uniform(1, 10), rng.randint(0, 6))
    exponent = rng.randint(-300, 300)
    sign = rng.choice(("", "-"))
    e = rng.choice(("e", "E"))
    exp_sign = "-" if exponent < 0 else rng.choice(("", "+"))
    return f"{sign}{mantissa}{e}{exp_sign}{abs(exponent)}"


@case(
    "numbers",
    "a table of numbers: an array of rows, each an array of ints, floats and"
    " exponent floats (1e5, 2.5E-07, -3.1e+200)",
)
def numbers(size_bytes: int) -> str:
    """A numeric table, as a model emits embeddings, matrices or CSV-like data."""
    rng = rng_for("numbers", size_bytes)

    def record(i: int) -> str:
        return "[" + ", ".join(_number(rng) for _ in range(8)) + "]"

    return _fill("[", "]", size_bytes, record, ",\n ")
