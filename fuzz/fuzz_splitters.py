"""Fuzz the text splitters: Lines, Words and Sentences under any chunking.

Invariants, fed whole, one character at a time and cut at the input's split
points (the same units, or the same LimitExceededError kind and offset):

* Lines gives ``str.splitlines()`` (and with ``keepends=True``,
  ``splitlines(keepends=True)``) of the whole text;
* Words gives ``str.split()``;
* Sentences gives non-empty sentences without surrounding whitespace that,
  found one after the other in the text, leave only whitespace between them;
* only LimitExceededError escapes, at the same offset under every chunking.

Flags: bit 0 ``keepends=True`` for Lines; bit 1 ``max_length=8``.

Run: ``python fuzz/fuzz_splitters.py fuzz/corpus/splitters`` (see fuzz/README.md).
"""

from __future__ import annotations

from typing import Any

from _harness import Input, chunkings, error_key, fuzz, instrumented

with instrumented():
    from midstream import LimitExceededError, Lines, Sentences, Words


def run(make: Any, chunks: list[str]) -> tuple[list[str], Any]:
    splitter = make()
    units: list[str] = []
    try:
        for chunk in chunks:
            units += splitter.feed(chunk)
        units += splitter.close()
    except LimitExceededError as exc:
        return [], error_key(exc)
    return units, None


def check_sentences(text: str, sentences: list[str]) -> None:
    pos = 0
    for s in sentences:
        assert s and s == s.strip(), f"sentence with whitespace around it: {s!r}"
        at = text.find(s, pos)
        assert at >= 0 and not text[pos:at].strip(), f"{s!r} not next in the text after {pos}"
        pos = at + len(s)
    assert not text[pos:].strip(), "text after the last sentence was lost"


def test_one_input(data: bytes) -> None:
    inp = Input(data)
    text = inp.clean_text()
    keepends = bool(inp.flags & 1)
    limit = 8 if inp.flags & 2 else None
    makers = {
        "lines": lambda: Lines(keepends=keepends, max_length=limit),
        "words": lambda: Words(max_length=limit),
        "sentences": lambda: Sentences(max_length=limit),
    }
    for name, make in makers.items():
        results = [run(make, chunks) for chunks in chunkings(text, inp)]
        for other in results[1:]:
            assert other == results[0], f"{name}: the units depend on the chunking"
        units, error = results[0]
        if error is not None:
            continue
        if name == "lines":
            assert units == text.splitlines(keepends), (units, text.splitlines(keepends))
        elif name == "words":
            assert units == text.split(), (units, text.split())
        else:
            check_sentences(text, units)


if __name__ == "__main__":
    fuzz(test_one_input)
