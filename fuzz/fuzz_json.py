"""Fuzz the JSON core against json.loads, under the chunking the input chooses.

Invariants:

* a document json.loads accepts decodes to the same value (type-exact), or
  fails with a LimitExceededError that the document really exceeds;
* a document json.loads rejects is rejected with a ParseError (NaN and
  Infinity too: json.loads accepts them, RFC 8259 does not); json's own
  int-digits ValueError and RecursionError become LimitExceededError;
* only ParseError escapes; IncompleteJsonError only from close();
* whole, one character at a time and the input's split give the same merged
  events, or the same error (class, kind, offset); after an error every call
  raises it again;
* the events are well formed: one ValueStart and one ValueDone per value,
  deltas join to the string, the root ValueDone is the value;
* feed_until_done stops where json.JSONDecoder.raw_decode stops (for roots
  that are not numbers, whose end only the next character shows).

Flags: bit 0 feeds the body as bytes (invalid UTF-8 must be INVALID_UTF8);
bits 1-3 set tiny max_depth / max_string_length / max_number_length.

Run: ``python fuzz/fuzz_json.py fuzz/corpus/json`` (see fuzz/README.md).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from _harness import Input, chunkings, error_key, fuzz, instrumented

with instrumented():
    import midstream
    from midstream import (
        ErrorKind,
        IncompleteJsonError,
        JsonStream,
        LimitExceededError,
        ParseError,
        StringDelta,
        ValueDone,
        ValueStart,
    )

from chunking import merge_deltas


class _Constant(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise _Constant(name)


_WS = " \t\n\r"
_NUMBER_TOKEN = re.compile(r"[-+0-9.eE]*")
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def canon(value: Any) -> str:
    """Type-exact comparison: 1, 1.0, True and -0.0 differ; key order counts."""
    return json.dumps(value)


def reference(text: str) -> tuple[str, Any]:
    """("ok", value), ("syntax", None), ("int-limit", None) or ("deep", None)."""
    try:
        return "ok", json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, _Constant):
        return "syntax", None
    except RecursionError:
        return "deep", None
    except ValueError:  # int() beyond sys.get_int_max_str_digits()
        return "int-limit", None


def limits_of(flags: int) -> dict[str, int]:
    limits = {}
    if flags & 2:
        limits["max_depth"] = 3
    if flags & 4:
        limits["max_string_length"] = 8
    if flags & 8:
        limits["max_number_length"] = 6
    return limits


def run(chunks: list[Any], limits: dict[str, int]) -> tuple[list[Any], Any, BaseException | None]:
    """Events, value and error of one run; checks poisoning and where errors come from."""
    p = JsonStream(**limits)
    events: list[Any] = []
    in_close = False
    try:
        for chunk in chunks:
            events += p.feed(chunk)
        in_close = True
        events += p.close()
    except ParseError as exc:
        if isinstance(exc, IncompleteJsonError):
            assert in_close, f"IncompleteJsonError from feed(): {exc!r}"
        # poisoned: every later call raises the same error
        for again in (lambda: p.feed("1"), lambda: p.feed(b"1")):
            try:
                again()
            except ParseError as exc2:
                assert error_key(exc2) == error_key(exc), (exc, exc2)
            except RuntimeError:
                assert in_close  # feed() after close() says so
            else:
                raise AssertionError(f"no error after {exc!r}")
        return events, None, exc
    return events, p.value, None


def check_events(events: list[Any], value: Any) -> None:
    """One ValueStart and one ValueDone per value, deltas join to strings, paths nest."""
    open_: list[tuple[Any, str, list[str]]] = []  # (path, kind, delta texts)
    roots = 0
    for ev in events:
        if type(ev) is ValueStart:
            if open_:
                parent = open_[-1]
                assert parent[1] in ("object", "array"), (ev, parent)
                assert ev.path[:-1] == parent[0] and len(ev.path) == len(parent[0]) + 1, ev
            else:
                assert ev.path == () and roots == 0, ev
                roots += 1
            open_.append((ev.path, ev.kind, []))
        elif type(ev) is StringDelta:
            assert open_ and open_[-1][0] == ev.path and open_[-1][1] == "string", ev
            assert ev.text, "empty StringDelta"
            open_[-1][2].append(ev.text)
        else:
            assert type(ev) is ValueDone, ev
            assert open_ and open_[-1][0] == ev.path, ev
            _, kind, texts = open_.pop()
            if kind == "string":
                assert "".join(texts) == ev.value, (texts, ev.value)
            expected_type = {"object": dict, "array": list, "string": str, "true": bool,
                             "false": bool, "null": type(None)}.get(kind)
            if expected_type is not None:
                assert type(ev.value) is expected_type, ev
            else:
                assert type(ev.value) in (int, float), ev
    assert not open_ and roots == 1
    assert canon(events[-1].value) == canon(value)


def depth(value: Any) -> int:
    best, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list)):
            best = max(best, d)
            stack.extend((c, d + 1) for c in (v.values() if isinstance(v, dict) else v))
    return best


def longest_string(value: Any) -> int:
    best, stack = 0, [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            best = max(best, len(v))
        elif isinstance(v, dict):
            best = max([best, *map(len, v)])
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return best


def check_limit(exc: LimitExceededError, text: str, value: Any, limits: dict[str, int]) -> None:
    """A limit error on a document json accepts must be one the document exceeds."""
    if exc.kind is ErrorKind.DEPTH_LIMIT:
        assert depth(value) > limits.get("max_depth", midstream.DEFAULT_MAX_DEPTH), exc
    elif exc.kind is ErrorKind.STRING_LIMIT:
        limit = limits.get("max_string_length", midstream.DEFAULT_MAX_STRING_LENGTH)
        assert longest_string(value) > limit, exc
    elif exc.kind is ErrorKind.NUMBER_LIMIT:
        token = _NUMBER_TOKEN.match(text, exc.offset).group()
        limit = limits.get("max_number_length", midstream.DEFAULT_MAX_NUMBER_LENGTH)
        assert len(token) > limit or len(token.lstrip("-")) > sys.get_int_max_str_digits(), exc
    else:
        raise AssertionError(f"unexpected limit kind: {exc!r}")


def check_until_done(text: str, limits: dict[str, int]) -> None:
    """feed_until_done stops where raw_decode stops (roots other than numbers)."""
    start = len(text) - len(text.lstrip(_WS))
    if start == len(text) or text[start] in "-0123456789":
        return
    p = JsonStream(**limits)
    try:
        _, used = p.feed_until_done(text)
    except ParseError:
        return
    try:
        value, end = _DECODER.raw_decode(text, start)
    except (ValueError, _Constant, RecursionError):
        assert not p.done, f"done at {used}, but raw_decode fails"
        return
    if p.done:
        assert used == end, (used, end)
        assert canon(p.value) == canon(value)
    else:
        # raw_decode found a value that midstream has not finished: only a limit may explain it
        raise AssertionError(f"raw_decode found a value ending at {end}; not done at {used}")


def test_one_input(data: bytes) -> None:
    inp = Input(data)
    limits = limits_of(inp.flags)
    if inp.flags & 1:
        body: Any = inp.body
        bom = 3 if body.startswith(b"\xef\xbb\xbf") else 0
        try:
            text = body[bom:].decode("utf-8")
        except UnicodeDecodeError as exc:
            text, bad_at = None, bom + exc.start
    else:
        body = text = inp.text()

    results = [run(chunks, limits) for chunks in chunkings(body, inp)]
    events, value, error = results[0]
    for other in results[1:]:
        if error is not None:
            assert other[2] is not None and error_key(other[2]) == error_key(error), (
                error, other[2])
        else:
            assert other[2] is None, other[2]
            assert merge_deltas(other[0]) == merge_deltas(events)

    if text is None:  # invalid UTF-8: rejected there, or at a character before it
        assert error is not None, "invalid UTF-8 accepted"
        if error.kind is ErrorKind.INVALID_UTF8:
            assert error.offset == bad_at, (error.offset, bad_at)
        else:
            assert not isinstance(error, IncompleteJsonError), f"{error!r}: the bytes were bad"
        return

    verdict, expected = reference(text)
    if verdict == "ok":
        if error is None:
            assert canon(value) == canon(expected), (value, expected)
            check_events(events, value)
        else:
            assert isinstance(error, LimitExceededError), f"json accepts, midstream: {error!r}"
            check_limit(error, text, expected, limits)
    elif verdict == "syntax":
        assert error is not None, f"json rejects, midstream accepts: {value!r}"
    elif verdict == "int-limit":
        assert isinstance(error, LimitExceededError), error
    else:
        assert isinstance(error, LimitExceededError), error
    if not inp.flags & 1:
        check_until_done(text, limits)


if __name__ == "__main__":
    fuzz(test_one_input)
