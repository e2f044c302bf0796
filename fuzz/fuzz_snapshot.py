"""Fuzz JsonStream.snapshot() against jiter's partial mode, prefix by prefix.

For a valid JSON text, after every chunk of the input's chunking (and of a
one-character-at-a-time pass over short inputs), ``snapshot()`` must equal
``jiter.from_json(prefix.encode(), partial_mode="trailing-strings",
allow_inf_nan=False)``, or be None where jiter raises. For any other text,
snapshot() must never raise, and feed() may raise only a ParseError: jiter's
partial mode forgives what cannot be a prefix of JSON (``0-`` is ``0``,
``[1 x`` is ``[1]``), so prefixes of invalid text have no oracle.

Documented differences, skipped: lone surrogates (``\\ud800`` escapes or
characters; jiter rejects what json.loads and midstream accept), nesting past
jiter's recursion limit (200), and numbers past midstream's limits.

Flags: bit 0 also checks snapshot() is stable (two calls, same value).

Run: ``python fuzz/fuzz_snapshot.py fuzz/corpus/snapshot`` (see fuzz/README.md).
"""

from __future__ import annotations

import json
import re
from typing import Any

import jiter
from _harness import Input, fuzz, instrumented

with instrumented():
    from midstream import JsonStream, LimitExceededError, ParseError

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
#: Deeper than this, jiter's recursion limit (200) may answer instead of its parser.
_MAX_DEPTH = 150
#: Prefixes compared in a one-character-at-a-time pass (each costs a jiter parse).
_PER_CHAR = 400


def canon(value: Any) -> str:
    return json.dumps(value)


def reference(prefix: str) -> Any:
    try:
        return jiter.from_json(
            prefix.encode(), partial_mode="trailing-strings", allow_inf_nan=False
        )
    except ValueError:
        return None


def valid(text: str) -> bool:
    def reject(name: str) -> Any:
        raise ValueError(name)

    try:
        json.loads(text, parse_constant=reject)
    except (ValueError, RecursionError):
        return False
    return True


def survive(chunks: list[str]) -> None:
    """Invalid text: snapshot() never raises; feed() raises only ParseError."""
    p = JsonStream(max_depth=_MAX_DEPTH)
    for chunk in chunks:
        try:
            p.feed(chunk)
        except ParseError:
            return
        p.snapshot()


def compare(chunks: list[str], stable: bool) -> None:
    p = JsonStream(max_depth=_MAX_DEPTH)
    prefix = ""
    for chunk in chunks:
        try:
            p.feed(chunk)
        except LimitExceededError:
            return
        prefix += chunk
        got = p.snapshot()
        if stable:
            assert canon(p.snapshot()) == canon(got)
        expected = reference(prefix)
        assert canon(got) == canon(expected), f"prefix {prefix!r}: {got!r} != jiter {expected!r}"
    p.close()
    assert canon(p.value) == canon(reference(prefix)) == canon(json.loads(prefix))


def test_one_input(data: bytes) -> None:
    inp = Input(data)
    text = inp.clean_text()
    if _SURROGATE_ESCAPE.search(text):
        return
    if not valid(text):
        survive(inp.cut(text))
        return
    compare(inp.cut(text), bool(inp.flags & 1))
    if len(text) <= _PER_CHAR:
        compare(list(text), False)


if __name__ == "__main__":
    fuzz(test_one_input)
