"""What every fuzz harness shares: the input format, chunkings, and the runner.

Input format (one byte string, read through atheris's FuzzedDataProvider)::

    byte 0        flags: each harness gives its bits a meaning (options, limits)
    byte 1        k = byte % 9: how many split points follow
    2*k bytes     split points, big-endian uint16 each, taken modulo len(body) + 1
    the rest      the body: the text (or bytes) fed to the parser

So a plain file of JSON or Markdown is not a good seed by itself; build seeds
with :func:`encode` (``make_seeds.py`` does). Every harness checks its parser
fed whole, one character at a time and cut at the input's split points, and
asserts that only :class:`midstream.ParseError` (or an exception the parser
documents) escapes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# A clean checkout works without an installed package: the sources come first.
for _path in (ROOT / "src", ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

#: Longest input the harnesses are given (libFuzzer -max_len); per-character
#: feeding and the oracles stay fast at this size.
MAX_LEN = 4096


class Input:
    """A fuzz input, decoded: ``flags``, ``splits`` (raw) and ``body`` (bytes)."""

    __slots__ = ("body", "flags", "splits")

    def __init__(self, data: bytes) -> None:
        try:
            import atheris

            fdp = atheris.FuzzedDataProvider(data)
            take: Callable[[int], bytes] = fdp.ConsumeBytes
        except ImportError:  # replaying a crash file without atheris: same layout
            view = memoryview(data)
            pos = [0]

            def take(n: int) -> bytes:
                chunk = bytes(view[pos[0] : pos[0] + n])
                pos[0] += len(chunk)
                return chunk

        head = take(2)
        self.flags = head[0] if head else 0
        k = head[1] % 9 if len(head) > 1 else 0
        raw = take(2 * k)
        self.splits = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
        self.body = take(len(data))

    def cut(self, seq: Any) -> list[Any]:
        """``seq`` (str or bytes) cut at this input's split points."""
        # imported here, not at the top: chunking imports midstream, which must
        # first be imported inside instrumented() for libFuzzer to see coverage
        from chunking import split_at

        return split_at(seq, {p % (len(seq) + 1) for p in self.splits})

    def text(self) -> str:
        """The body as text: invalid UTF-8 bytes become lone surrogates (U+DC80-U+DCFF)."""
        return self.body.decode("utf-8", "surrogateescape")

    def clean_text(self) -> str:
        """The body as text without lone surrogates (invalid UTF-8 becomes U+FFFD)."""
        return self.body.decode("utf-8", "replace")


def encode(body: bytes | str, *, flags: int = 0, splits: Sequence[int] = ()) -> bytes:
    """The fuzz input that :class:`Input` decodes to these values."""
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    splits = list(splits)[:8]
    head = bytes([flags & 0xFF, len(splits)])
    return head + b"".join((p & 0xFFFF).to_bytes(2, "big") for p in splits) + body


def chunkings(seq: Any, inp: Input, *, per_char_limit: int = MAX_LEN) -> list[list[Any]]:
    """Whole, the input's split points, and one character (or byte) at a time."""
    out = [[seq], inp.cut(seq)]
    if len(seq) <= per_char_limit:
        out.append([seq[i : i + 1] for i in range(len(seq))])
    return out


def error_key(exc: BaseException) -> tuple[Any, ...]:
    """What must not depend on the chunking: the class, kind and position."""
    return (type(exc).__name__, getattr(exc, "kind", None), getattr(exc, "offset", None))


def fuzz(test_one_input: Callable[[bytes], None], argv: list[str] | None = None) -> None:
    """Run ``test_one_input`` under atheris (libFuzzer flags in ``argv``)."""
    import atheris

    args = list(sys.argv if argv is None else argv)
    if not any(a.startswith("-max_len=") for a in args):
        args.append(f"-max_len={MAX_LEN}")
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()


def instrumented() -> Any:
    """``atheris.instrument_imports()`` for midstream, or a no-op without atheris."""
    try:
        import atheris
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    if os.environ.get("MIDSTREAM_FUZZ_NO_INSTRUMENT"):
        import contextlib

        return contextlib.nullcontext()
    return atheris.instrument_imports(include=["midstream"])
