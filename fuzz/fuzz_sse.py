"""Fuzz SSEDecoder: chunking invariance and a whole-text reference decoder.

The reference follows the WHATWG rules on the whole stream at once: decode
UTF-8 (bad bytes as U+FFFD), drop one leading BOM, split lines at ``\\r\\n``,
``\\r`` or ``\\n`` (a last line without an end is never processed), and
dispatch at blank lines. The decoder fed whole, one byte at a time and cut at
the input's split points must give the reference's events, ``last_event_id``
and ``retry``; with a small ``max_event_size`` it must raise
LimitExceededError exactly where the reference says an event block passes it.
Nothing else may escape.

Flags: bit 0 sets max_event_size=32; bit 1 feeds text (str) chunks instead of
bytes.

Run: ``python fuzz/fuzz_sse.py fuzz/corpus/sse`` (see fuzz/README.md).
"""

from __future__ import annotations

import codecs
import contextlib
import re
from typing import Any

from _harness import Input, chunkings, error_key, fuzz, instrumented

with instrumented():
    from midstream import LimitExceededError, ServerSentEvent, SSEDecoder

_LINE_END = re.compile(r"\r\n|\r|\n")
_SMALL = 32


def reference(text: str, max_size: int) -> tuple[list[Any], str, int | None, int | None]:
    """(events, last_event_id, retry, limit error offset or None)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    events: list[Any] = []
    last_id = id_buffer = ""
    event_type = ""
    data: list[str] = []
    retry = block_retry = None
    block = 0
    pos = 0
    lines = []
    for m in _LINE_END.finditer(text):
        lines.append((pos, text[pos : m.start()], True))
        pos = m.end()
    lines.append((pos, text[pos:], False))
    for start, line, complete in lines:
        if not complete and not line:
            break
        if line and block + len(line) > max_size:
            return events, last_id, retry, start + max_size - block
        if not complete:
            break
        if not line:
            block = 0
            last_id = id_buffer
            if data:
                events.append((event_type or "message",
                               "\n".join(data), last_id, block_retry))
            data, event_type, block_retry = [], "", None
            continue
        block += len(line)
        if line[0] == ":":
            continue
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event_type = value
        elif name == "id":
            if "\0" not in value:
                id_buffer = value
        elif name == "retry" and value and all("0" <= c <= "9" for c in value):
            with contextlib.suppress(ValueError):  # too many digits for int(): ignored
                retry = block_retry = int(value)
    return events, last_id, retry, None


def run(chunks: list[Any], max_size: int) -> tuple[list[Any], str, int | None, Any]:
    d = SSEDecoder(max_event_size=max_size)
    out: list[ServerSentEvent] = []
    try:
        for chunk in chunks:
            out += d.feed(chunk)
        out += d.close()
    except LimitExceededError as exc:
        return [], "", None, error_key(exc)
    events = [(e.event, e.data, e.id, e.retry) for e in out]
    return events, d.last_event_id, d.retry, None


def test_one_input(data: bytes) -> None:
    inp = Input(data)
    max_size = _SMALL if inp.flags & 1 else 16 * 1024 * 1024
    body: Any = inp.body.decode("utf-8", "replace") if inp.flags & 2 else inp.body
    if inp.flags & 2:
        text = body
    else:  # a character cut off by the end of the stream is not text yet (close() drops it)
        text = codecs.getincrementaldecoder("utf-8")("replace").decode(inp.body)
    events, last_id, retry, error_at = reference(text, max_size)
    if error_at is not None:
        expected: Any = ([], "", None, ("LimitExceededError", error_key_kind(), error_at))
    else:
        expected = (events, last_id, retry, None)
    for chunks in chunkings(body, inp):
        got = run(chunks, max_size)
        assert got == expected, f"chunks {chunks!r}:\n{got!r}\n!= reference\n{expected!r}"


def error_key_kind() -> Any:
    from midstream import ErrorKind

    return ErrorKind.SIZE_LIMIT


if __name__ == "__main__":
    fuzz(test_one_input)
