"""Every crash the fuzz harnesses (fuzz/) ever found, as a test with a readable id.

Each case names the harness that found it and the smallest input that shows
it; the fix is in the module named. A case that documents a bug not fixed yet
is marked ``xfail(strict=True)`` with the reason, so the suite stays green and
the mark must come off when the fix lands.
"""

from __future__ import annotations

import pytest

from helpers import chunkings, run
from midstream import (
    ErrorKind,
    JsonStream,
    JsonSyntaxError,
    LimitExceededError,
)

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
        events, error = run(JsonStream, [c.encode("latin-1") for c in chunks])
        assert error == (ErrorKind.INVALID_UTF8, offset), chunks
    p = JsonStream()
    p.feed(data)
    with pytest.raises(JsonSyntaxError) as info:
        p.close()
    assert (info.value.line, info.value.column) >= (1, 1)


def test_snapshot_of_an_int_past_pythons_digit_limit_is_not_a_bare_value_error() -> None:
    # fuzz_json (snapshot pass): with max_number_length raised above 4300,
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

