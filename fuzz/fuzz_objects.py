"""Fuzz ObjectExtractor: the round trip, a whole-text reference scan, chunkings.

Invariants, fed whole, one character at a time and cut at the input's split
points:

* nothing escapes feed() or close() (bad input is text or a BadRecord);
* round trip: the TextDelta texts, the raw text of each ObjectDone
  (``text[start:end]``) and each BadRecord's text, joined in event order, give
  back the input exactly: nothing is lost or doubled;
* the merged events do not depend on the chunking;
* "auto" finds what ``json.JSONDecoder.raw_decode`` tried at each ``{``/``[``
  finds (NaN/Infinity rejected), and "ndjson" what ``json.loads`` makes of each
  non-blank line: the reference the module documents. Not compared past the
  limits (text with more than 500 brackets, or the small limits of flag bit 2),
  where the module documents that brackets inside a failed candidate are not
  tried again;
* with ``fields=True`` the same values, text and records come, and every
  ObjectDone's value is the ValueDone of path ``(index,)`` that came before it.

Flags: bit 0 ndjson mode; bit 1 ``fields=True``; bit 2 ``max_depth=3`` and
``max_object_length=32``.

Run: ``python fuzz/fuzz_objects.py fuzz/corpus/objects`` (see fuzz/README.md).
"""

from __future__ import annotations

import json
import re
from typing import Any

from _harness import Input, chunkings, error_key, fuzz, instrumented

with instrumented():
    from midstream import (
        BadRecord,
        ObjectAbandoned,
        ObjectDone,
        ObjectExtractor,
        StringDelta,
        TextDelta,
        ValueDone,
        ValueStart,
    )

from chunking import merge_deltas


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_BRACKET = re.compile(r"[\[{]")
_FIELD_EVENTS = (ValueStart, StringDelta, ValueDone, ObjectAbandoned)


def canon(value: Any) -> str:
    return json.dumps(value)


def reference_auto(text: str) -> list[tuple[str, int, int]]:
    found = []
    i = 0
    while (m := _BRACKET.search(text, i)) is not None:
        k = m.start()
        try:
            value, end = _DECODER.raw_decode(text, k)
        except (ValueError, RecursionError):
            i = k + 1
            continue
        found.append((canon(value), k, end))
        i = end
    return found


def reference_ndjson(text: str) -> list[tuple[str, str, int, int]]:
    records = []
    offset = 0
    for line in text.split("\n"):
        body = line.strip(" \t\r")
        if body:
            start = offset + len(line) - len(line.lstrip(" \t\r"))
            try:
                records.append(("ok", canon(_DECODER.decode(body)), start, start + len(body)))
            except (ValueError, RecursionError):
                records.append(("bad", body, start, start + len(body)))
        offset += len(line) + 1
    return records


def comparable(events: list[Any]) -> list[Any]:
    out = []
    for e in merge_deltas(events):
        if type(e) is BadRecord:
            out.append(("bad", e.index, e.text, error_key(e.error), e.start, e.end))
        elif type(e) is ObjectDone:
            out.append(("ok", e.index, canon(e.value), e.start, e.end))
        elif type(e) is TextDelta:
            out.append(("text", e.text))
        else:
            out.append(e)
    return out


def extract(chunks: list[str], options: dict[str, Any]) -> list[Any]:
    ex = ObjectExtractor(**options)
    events: list[Any] = []
    for chunk in chunks:
        events += ex.feed(chunk)
    events += ex.close()
    assert ex.close() == []
    return events


def round_trip(text: str, events: list[Any]) -> None:
    parts = []
    for e in events:
        if type(e) is TextDelta:
            assert e.text, "empty TextDelta"
            parts.append(e.text)
        elif type(e) is ObjectDone:
            parts.append(text[e.start : e.end])
            assert canon(json.loads(text[e.start : e.end])) == canon(e.value)
        elif type(e) is BadRecord:
            assert e.text == text[e.start : e.end]
            parts.append(e.text)
    assert "".join(parts) == text, "the events do not give back the input"


def check_fields(events: list[Any]) -> None:
    """With fields=True: each ObjectDone's value was its root ValueDone, just before."""
    last_root: dict[int, Any] = {}
    for e in events:
        if type(e) is ValueDone and len(e.path) == 1:
            last_root[e.path[0]] = e.value  # type: ignore[index]
        elif type(e) is ObjectAbandoned:
            last_root.pop(e.index, None)
        elif type(e) is ObjectDone:
            assert e.index in last_root, f"ObjectDone {e.index} without its ValueDone"
            assert canon(last_root.pop(e.index)) == canon(e.value)


def test_one_input(data: bytes) -> None:
    inp = Input(data)
    text = inp.clean_text()
    options: dict[str, Any] = {"mode": "ndjson" if inp.flags & 1 else "auto"}
    small = bool(inp.flags & 4)
    if small:
        options.update(max_depth=3, max_object_length=32)
    results = []
    for chunks in chunkings(text, inp):
        events = extract(chunks, options)
        round_trip(text, events)
        results.append(comparable(events))
    for other in results[1:]:
        assert other == results[0], "the events depend on the chunking"
    found = results[0]
    if not small and len(_BRACKET.findall(text)) <= 500:
        if options["mode"] == "auto":
            got = [(v, s, e) for kind, _, v, s, e in (f for f in found if f[0] == "ok")]
            assert got == reference_auto(text), f"{got!r} != reference {reference_auto(text)!r}"
        else:
            got2 = [
                (f[0], f[2], f[-2], f[-1]) if f[0] == "ok" else (f[0], f[2], f[4], f[5])
                for f in found if f[0] in ("ok", "bad")
            ]
            assert got2 == reference_ndjson(text), (got2, reference_ndjson(text))
    if inp.flags & 2:
        with_fields = extract(inp.cut(text), {**options, "fields": True})
        check_fields(with_fields)
        plain = [e for e in with_fields if not isinstance(e, _FIELD_EVENTS)]
        assert comparable(plain) == found, "fields=True changes the values or the text"


if __name__ == "__main__":
    fuzz(test_one_input)
