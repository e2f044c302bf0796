"""Fuzz CodeBlocks against markdown-it-py, under the chunking the input chooses.

Invariants, fed whole, one character at a time and cut at the input's split
points:

* the events give back every input character, in order (TextDelta.text,
  CodeBlockStart.fence, CodeDelta.raw, CodeBlockDone.fence);
* each block's deltas join to its ``code``; a block opens before its deltas
  and is done once; at most one CodeDelta per block per feed();
* the merged events (and a LimitExceededError's kind and offset) do not
  depend on the chunking; only LimitExceededError escapes;
* the blocks found, as (info, code), are markdown-it-py's ``fence`` tokens.

Not compared with markdown-it (documented differences, see
tests/test_code_blocks.py): text with tabs (markdown-it expands a tab after a
list marker in nested quotes from the wrong column), text nested past
markdown-it's maxNesting (20), and NUL (markdown-it makes it U+FFFD).

Flags: bit 0 parses json blocks (``json=True``); bit 1 sets ``max_hold=16``
and ``max_nesting=4``; bit 2 filters languages to ``{"python", ""}``.

Run: ``python fuzz/fuzz_code_blocks.py fuzz/corpus/code_blocks`` (see fuzz/README.md).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from _harness import Input, chunkings, error_key, fuzz, instrumented

with instrumented():
    from midstream import (
        CodeBlockDone,
        CodeBlocks,
        CodeBlockStart,
        CodeDelta,
        LimitExceededError,
        TextDelta,
    )

from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim, unescapeAll

from chunking import merge_deltas

MD = MarkdownIt()  # the CommonMark preset
_EOL = re.compile(r"\r\n?")
_NESTING = re.compile(r"(?:[ ]{0,3}(?:>|[-+*]|[0-9]{1,9}[.)]))")


def oracle(text: str) -> list[tuple[str, str]]:
    return [(mdTrim(unescapeAll(t.info)), t.content) for t in MD.parse(text) if t.type == "fence"]


def comparable(events: list[Any]) -> list[Any]:
    """Errors as (class, kind, offset); no JSON events for a block whose JSON failed.

    (The JSON events that come before an error depend on the chunking, as the
    core's do: the feed() that raises returns none.)
    """
    failed = {e.index for e in events if isinstance(e, CodeBlockDone) and e.error is not None}
    out = []
    for e in events:
        if isinstance(e, CodeBlockDone) and e.error is not None:
            e = dataclasses.replace(e, error=error_key(e.error))
        elif isinstance(e, CodeDelta) and e.index in failed:
            e = dataclasses.replace(e, events=[])
        out.append(e)
    return out


def run(chunks: list[str], options: dict[str, Any]) -> tuple[list[Any], Any]:
    parser = CodeBlocks(**options)
    per_call: list[list[Any]] = []
    try:
        for chunk in chunks:
            per_call.append(parser.feed(chunk))
        per_call.append(parser.close())
    except LimitExceededError as exc:
        return [], error_key(exc)
    for call in per_call:
        indexes = [e.index for e in call if isinstance(e, CodeDelta)]
        assert len(indexes) == len(set(indexes)), f"two CodeDeltas of one block in one feed: {call}"
    events = [e for call in per_call for e in call]
    return events, None


def check_events(text: str, events: list[Any]) -> None:
    rebuilt = []
    open_block: Any = None
    code: list[str] = []
    for e in events:
        if isinstance(e, TextDelta):
            assert e.text, "empty TextDelta"
            rebuilt.append(e.text)
        elif isinstance(e, CodeBlockStart):
            assert open_block is None, e
            open_block, code = e, []
            rebuilt.append(e.fence)
        elif isinstance(e, CodeDelta):
            assert open_block is not None and e.index == open_block.index, e
            code.append(e.text)
            rebuilt.append(e.raw)
        else:
            assert isinstance(e, CodeBlockDone), e
            if open_block is not None:
                assert (e.index, e.lang, e.info) == (open_block.index, open_block.lang,
                                                     open_block.info)
                assert "".join(code) == e.code
            assert e.closed == bool(e.fence)
            rebuilt.append(e.fence)
            open_block = None
    assert open_block is None, "a block left open after close()"
    assert "".join(rebuilt) == text, "the events do not give back the input"


def comparable_with_markdown_it(text: str) -> bool:
    if "\t" in text or "\x00" in text:
        return False
    return all(len(_NESTING.findall(line)) < 16 for line in text.splitlines())


def test_one_input(data: bytes) -> None:
    inp = Input(data)
    text = inp.clean_text()
    options: dict[str, Any] = {}
    if inp.flags & 1:
        options["json"] = True
    if inp.flags & 2:
        options["max_hold"] = 16
        options["max_nesting"] = 4
    if inp.flags & 4:
        options["languages"] = {"python", ""}
    results = []
    for chunks in chunkings(text, inp):
        events, error = run(chunks, options)
        if error is None:
            check_events(text, events)
        results.append((merge_deltas(comparable(events)), error))
    for other in results[1:]:
        assert other == results[0], "the events depend on the chunking"
    events, error = results[0]
    if error is None and not options and comparable_with_markdown_it(text):
        got = [(e.info, _EOL.sub("\n", e.code)) for e in events if isinstance(e, CodeBlockDone)]
        assert got == oracle(text), f"{got!r} != markdown-it {oracle(text)!r}"


if __name__ == "__main__":
    fuzz(test_one_input)
