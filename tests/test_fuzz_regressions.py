"""Every crash the fuzz harnesses (fuzz/) ever found, as a test with a readable id.

Also the bugs found while writing the harnesses and tests/test_hostile.py.
Each case names what found it and the smallest input that shows it; the fix
is in the module named. A case that documents a bug not fixed yet
is marked ``xfail(strict=True)`` with the reason, so the suite stays green and
the mark must come off when the fix lands.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import jiter
import pytest
from pydantic import BaseModel

from helpers import chunkings, run
from midstream import (
    CodeBlocks,
    ErrorKind,
    IncompleteJsonError,
    JsonStream,
    JsonSyntaxError,
    LimitExceededError,
    ModelStream,
    TextDelta,
    ToolCallAssembler,
    ToolCallDone,
    ToolCallError,
)

FUZZ = Path(__file__).resolve().parents[1] / "fuzz"
HARNESSES = sorted(p.stem.removeprefix("fuzz_") for p in FUZZ.glob("fuzz_*.py"))


@pytest.mark.parametrize("target", HARNESSES)
def test_every_committed_seed_passes_its_harness(
    target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The harnesses' invariants on fuzz/corpus/<target>/, without atheris: keeps
    # the harnesses working and checks every parser on the seeds in each CI run.
    monkeypatch.setenv("MIDSTREAM_FUZZ_NO_INSTRUMENT", "1")
    monkeypatch.syspath_prepend(str(FUZZ))
    harness = importlib.import_module(f"fuzz_{target}")
    seeds = sorted((FUZZ / "corpus" / target).iterdir())
    assert len(seeds) >= 10
    for seed in seeds:
        harness.test_one_input(seed.read_bytes())


# --- fuzz_json: the JSON core against json.loads ----------------------------------------


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        pytest.param(b"\xf1", 0, id="lone-lead-byte-of-4"),
        pytest.param(b'{"a":1}\xc3', 7, id="truncated-2-byte-after-value"),
        pytest.param(b"1\xc3", 1, id="truncated-after-root-number"),
        pytest.param(b'"ab\xe2\x82', 3, id="truncated-3-byte-in-string"),
        pytest.param(b"\xef\xbb", 0, id="truncated-bom"),
    ],
)
def test_bytes_ending_in_a_cut_utf8_sequence_are_invalid_utf8(data: bytes, offset: int) -> None:
    # fuzz_json: close() ignored bytes still waiting in the UTF-8 decoder, so a
    # stream ending mid-character passed (b'{"a":1}\xc3') or said "Expecting a
    # value" (b'\xf1'). json.loads rejects them all; fixed in _json_core._finish.
    for chunks in chunkings(data.decode("latin-1"), tokens=False):  # cut as bytes
        _, error = run(JsonStream, [c.encode("latin-1") for c in chunks])
        assert error == (ErrorKind.INVALID_UTF8, offset), chunks
    p = JsonStream()
    p.feed(data)
    with pytest.raises(JsonSyntaxError) as info:
        p.close()
    assert (info.value.line, info.value.column) >= (1, 1)


def test_snapshot_of_an_int_past_pythons_digit_limit_is_not_a_bare_value_error() -> None:
    # found probing limits for test_hostile: with max_number_length raised above 4300,
    # snapshot() converted the partial number with int() and leaked Python's
    # "Exceeds the limit (4300 digits)" ValueError. The number is not shown
    # (it can never complete); close() reports the limit. Fixed in
    # _json_stream._partial_scalar.
    p = JsonStream(max_number_length=10_000)
    p.feed("[" + "1" * 5000)
    assert p.snapshot() == []
    with pytest.raises(LimitExceededError) as info:
        p.feed("]")
    assert (info.value.kind, info.value.offset) == (ErrorKind.NUMBER_LIMIT, 1)
    root = JsonStream(max_number_length=10_000)
    root.feed("-" + "9" * 4301)
    assert root.snapshot() is None
    with pytest.raises(LimitExceededError):
        root.close()

# --- fuzz_tool_calls: ToolCallAssembler on random deltas ------------------------------


class Get(BaseModel):
    city: str = ""


def _chat(arguments: str) -> dict[str, Any]:
    entry = {"index": 0, "id": "c1", "function": {"name": "Get", "arguments": arguments}}
    return {"choices": [{"index": 0, "delta": {"tool_calls": [entry]}}]}


def _ends(*fragments: str) -> list[tuple[str, Any]]:
    acc = ToolCallAssembler(tools=[Get])
    events: list[Any] = []
    for i, text in enumerate(fragments):
        events += acc.feed(_chat(text) if i == 0 else {
            "choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "function": {"arguments": text}}]}}]})
    events += acc.close()
    return [
        (type(e).__name__, e.arguments if isinstance(e, ToolCallDone) else type(e.error).__name__)
        for e in events if isinstance(e, (ToolCallDone, ToolCallError))
    ]


def test_text_after_the_arguments_in_the_same_fragment_does_not_change_the_verdict() -> None:
    # fuzz_tool_calls: with a model registered, '{"city":"x"} y' in one fragment
    # ended in a ValidationError (pydantic saw the trailing " y"); cut after
    # the "}" it ended in ToolCallDone and then a ToolCallError (EXTRA_DATA).
    split = _ends('{"city":"x"}', " y")
    assert split == [("ToolCallDone", Get(city="x")), ("ToolCallError", "JsonSyntaxError")]
    assert _ends('{"city":"x"} y') == split


def test_deeply_nested_event_text_is_a_value_error_not_a_recursion_error() -> None:
    # found while writing fuzz_tool_calls' raw-text mode: feed("[" * 100_000)
    with pytest.raises(ValueError):
        ToolCallAssembler().feed("[" * 100_000)


# --- fuzz_code_blocks: CodeBlocks against markdown-it-py --------------------------------


def test_a_fence_line_longer_than_max_hold_is_text_under_every_chunking() -> None:
    # fuzz_code_blocks found an opening fence line longer than max_hold that
    # opened a block when its line end came in the same chunk and raised
    # LimitExceededError when the chunk ended inside it. Such a line is now
    # never a fence: it is text, whatever the chunking, and nothing is lost.
    text = "ok\n```" + "x" * 20 + "\n"
    results = {
        repr(run(lambda: CodeBlocks(max_hold=16), chunks))
        for chunks in chunkings(text, tokens=False)
    }
    assert results == {repr(([TextDelta(text)], None))}, results


# --- test_hostile (streams cut in the middle of a token) --------------------------------


@pytest.mark.parametrize(
    ("text", "column"),
    [
        pytest.param("[12", 2, id="int-in-array"),
        pytest.param('{"a": -3.5', 7, id="float-in-object"),
        pytest.param('[{"b": [1e5', 9, id="exponent-deep"),
    ],
)
def test_a_number_cut_by_the_end_of_the_stream_inside_a_container_is_not_done(
    text: str, column: int
) -> None:
    # test_hostile: close() completed the number the stream was cut in ("[12"
    # might have been "[123]") and put its ValueDone into the error's events, so
    # a consumer of ParseError.events took a cut number for a final one. Only a
    # root number ends at close(). Fixed in _json_core._finish.
    p = JsonStream()
    p.feed(text)
    with pytest.raises(IncompleteJsonError) as info:
        p.close()
    assert info.value.events == []
    assert f"Unfinished number {text[column - 1:]!r} at line 1 column {column}" in info.value.msg


# --- fuzz_snapshot: snapshot() against jiter's partial mode -----------------------------


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param('{"max": 1.28, "max": 1', ".", {"max": 1.28}, id="float-then-cut-float"),
        pytest.param(
            '{"a": "x", "b": 2, "a": 1', "e", {"a": "x", "b": 2}, id="string-then-cut-exp"
        ),
        pytest.param('{"a": [1], "a": -', "", {"a": [1]}, id="array-then-minus"),
    ],
)
def test_snapshot_keeps_a_duplicate_keys_earlier_value_while_the_new_one_is_unfinished(
    before: str, after: str, expected: Any
) -> None:
    # fuzz_snapshot: snapshot() put the number in progress of a repeated key
    # into the object, and when the number stopped being valid ("1" -> "1.")
    # it deleted the key, and with it the earlier value that jiter (and the
    # finished document, had it stopped there) still shows. Fixed in
    # JsonStream.snapshot / _drop_placeholder.
    p = JsonStream()
    p.feed(before)
    p.snapshot()
    p.feed(after)
    got = p.snapshot()
    assert got == expected == jiter.from_json((before + after).encode(),
                                               partial_mode="trailing-strings")
    assert list(got) == list(expected)  # the key keeps its place


@pytest.mark.parametrize(
    ("chunks", "offset"),
    [
        pytest.param([b"\xef\xbb\xbf[]\x87"], 5, id="bom-then-bad-byte"),
        pytest.param([b"\xef\xbb\xbf\xff"], 3, id="bom-then-ff"),
        pytest.param([b"\xef", b"\xbb\xbf[1, \xff]"], 7, id="bom-split-then-bad-byte"),
        pytest.param([b'\xef\xbb\xbf"\xc3\xa9', b'\xe9"'], 6, id="bad-byte-in-a-later-chunk"),
    ],
)
def test_invalid_utf8_after_a_bom_is_reported_at_its_byte(chunks: list[bytes], offset: int) -> None:
    # fuzz_json (a clean-checkout run): after a BOM, Python's utf-8-sig decoder
    # counts the error position from after the BOM; the core took it from the
    # start of the bytes, so it re-decoded a cut sequence and let a bare
    # UnicodeDecodeError escape feed(b'\xef\xbb\xbf[]\x87'). Fixed in
    # _json_core._decode.
    _, error = run(JsonStream, chunks)
    assert error == (ErrorKind.INVALID_UTF8, offset)
    whole = b"".join(chunks)
    assert run(JsonStream, [whole[i : i + 1] for i in range(len(whole))])[1] == error


def test_a_gemini_call_of_an_unknown_tool_keeps_all_its_text_whatever_the_chunking() -> None:
    # fuzz_tool_calls (CI, seeds from the recorded streams): a streamed Gemini call
    # that failed (here: a tool not in tools=) dropped the partialArgs of later
    # chunks, so its record's raw held only what its first chunk carried, and
    # depended on the chunking. Its text is kept now, as every other format's is;
    # only a path that does not fit ends the text. Fixed in _tool_calls/_gemini.py.
    class Get(BaseModel):
        city: str

    def call(pieces: list[tuple[str, bool]], name: str | None) -> dict[str, Any]:
        fc: dict[str, Any] = {"willContinue": True, "partialArgs": [
            {"jsonPath": "$.city", "stringValue": s, **({"willContinue": True} if more else {})}
            for s, more in pieces]}
        if name is not None:
            fc["name"] = name
        return {"candidates": [{"index": 0, "content": {"role": "model", "parts": [
            {"functionCall": fc}]}}]}

    end = {"candidates": [{"index": 0, "content": {"role": "model", "parts": [
        {"functionCall": {}}]}, "finishReason": "STOP"}]}
    raws = set()
    for cut in range(1, 6):
        text = "Oslo!"
        pieces = [(text[:cut], True), (text[cut:], False)] if cut < 5 else [(text, False)]
        chunks = [call(pieces[:1], "nope"), *(call([p], None) for p in pieces[1:]), end]
        acc = ToolCallAssembler(tools=[Get])
        for chunk in chunks:
            acc.feed(chunk)
        acc.close()
        (record,) = acc.tool_calls
        assert record.name == "nope"
        raws.add(record.raw)
    assert raws == {'{"city":"Oslo!"}'}


def test_an_early_verdict_may_fall_anywhere_among_its_strings_deltas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # fuzz_model_stream: a Literal["a", "b"] field fails at the "c" that no member
    # starts with, in the feed() whose chunk holds it (tests/test_model_early.py):
    # one character at a time, between the string's first delta and the rest;
    # whole, after the string. The harness took that for events that depend on
    # the chunking; it compares the verdicts apart now (fuzz_model_stream.comparable).
    monkeypatch.setenv("MIDSTREAM_FUZZ_NO_INSTRUMENT", "1")
    monkeypatch.syspath_prepend(str(FUZZ))
    harness = importlib.import_module("fuzz_model_stream")
    encode = importlib.import_module("_harness").encode
    harness.test_one_input(encode('{"title": "T", "kind": "cxx", "maybe": "s"}'))


def test_a_lone_surrogate_is_kept_by_model_stream_as_by_json_loads() -> None:
    # fuzz_model_stream: '{"title": "T", "k\ud83dind": 1}' passed ModelStream and
    # failed pydantic's validate_json ("unexpected end of hex escape"). A
    # documented difference (README, "Deliberate differences"): lone surrogates
    # are kept, as json.loads keeps them; the harness compares no further then.
    class Doc(BaseModel):
        title: str

    for text in ('{"title": "T", "k\\ud83dind": 1}', '{"title": "\\ud83d"}'):
        expected = Doc.model_validate(json.loads(text))
        for chunks in chunkings(text):
            stream = ModelStream(Doc)
            for chunk in chunks:
                stream.feed(chunk)
            stream.close()
            assert stream.value == expected
