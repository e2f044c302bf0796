"""Fuzz the raw-response path's WireReader: templates change nothing, under any chunking.

The body is a provider's HTTP body (SSE, or NDJSON when it starts so). A
``WireReader`` that reads the commonest chunks from their bytes
(``midstream._templates``) must give, for every read, the same events as one
that decodes every event's JSON, and fail the same way (class, message,
the events carried) at the same read; the events of the whole body must not
depend on the chunking; only ``ParseError`` and ``StreamError`` may escape.

Flags: bits 0-1 the format (auto, chat, anthropic, responses); bit 2 the
content read as JSON (``json=True``) instead of auto (``json=None``).

Run: ``python fuzz/fuzz_wire.py fuzz/corpus/wire`` (see fuzz/README.md).
"""

from __future__ import annotations

from typing import Any

from _harness import Input, chunkings, fuzz, instrumented

with instrumented():
    from midstream import ParseError, StreamError
    from midstream._pipeline import ProviderPipeline
    from midstream._raw import WireReader

_FORMATS = ("auto", "chat", "anthropic", "responses")


def _comparable(events: list[Any]) -> list[Any]:
    """Events made comparable: an exception inside one compares by type and message."""
    out: list[Any] = []
    for ev in events:
        error = getattr(ev, "error", None)
        out.append((type(ev).__name__, type(error).__name__, str(error))
                   if isinstance(error, BaseException) else ev)
    return out


def run(chunks: list[bytes], learn: bool, fmt: str, json_mode: bool | None) -> list[Any]:
    """Each read's events, then close()'s; an error as its class, message and events."""
    pipeline = ProviderPipeline(model=None, json=json_mode, tools=None, choice=0,
                                keep_text=True, format=fmt)  # type: ignore[arg-type]
    reader = WireReader(pipeline, format=fmt, learn=learn)
    got: list[Any] = []
    try:
        for chunk in chunks:
            got.append(_comparable(reader.feed(chunk)))
        got.append(_comparable(reader.close()))
    except (ParseError, StreamError) as exc:
        got.append((type(exc).__name__, str(exc), _comparable(getattr(exc, "events", []))))
    return [*got, pipeline.received()]


def _flat(result: list[Any]) -> list[Any]:
    """The events of a run, whatever the reads: what must not depend on the chunking."""
    events: list[Any] = []
    for item in result[:-1]:
        events += item if isinstance(item, list) else [item[:2]]
    return events


def test_one_input(data: bytes) -> None:
    inp = Input(data)
    fmt = _FORMATS[inp.flags & 3]
    json_mode = True if inp.flags & 4 else None
    whole: list[Any] | None = None
    for chunks in chunkings(inp.body, inp):
        learned = run(chunks, True, fmt, json_mode)
        decoded = run(chunks, False, fmt, json_mode)
        assert learned == decoded, f"chunks {chunks!r}:\n{learned!r}\n!= decoded\n{decoded!r}"
        if whole is None:
            whole = _flat(learned)
        elif not any(isinstance(item, tuple) for item in learned[:-1]):
            # (an error may come a read later when its event shares a read with others)
            assert _flat(learned) == whole, f"chunks {chunks!r}: {learned!r} != {whole!r}"


if __name__ == "__main__":
    fuzz(test_one_input)
