"""Bytes fed to the JSON core: incremental UTF-8 decoding, and offsets in bytes.

A parser fed bytes reports every :class:`~midstream.ParseError` offset in
bytes as fed (a UTF-8 BOM included), so that an offset always indexes the
input the caller holds: the bad byte of an ``INVALID_UTF8`` error and the
character of a syntax error alike. A ``str`` chunk fed to the same parser
counts in characters. Lines and columns count characters, as an editor shows
them. Only error paths convert; the per-chunk cost is one ``getstate()``.
"""

from __future__ import annotations

import codecs

from ._errors import ErrorKind, JsonSyntaxError, ParseError

__all__ = ["Utf8Input"]


class Utf8Input:
    """The decoder of a parser fed bytes, and the offsets of its characters as fed.

    ``shift`` is how far offsets as fed run ahead of character offsets at the
    start of the current chunk (bytes fed minus characters decoded so far);
    ``chunk_end`` is the offset as fed where the decoded text of the current
    bytes chunk ends, or -1 while a ``str`` chunk (or nothing) is read.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.shift = 0
        self.chunk_end = -1

    def decode(self, data: bytes, base: int) -> tuple[str, ParseError | None]:
        """Decode the next chunk; ``base`` is where it starts, in characters.

        On invalid UTF-8, returns the text before the bad byte and the error to
        raise once that text is parsed (an earlier syntax error comes first);
        its line and column are for the caller to fill in.
        """
        decoder = self._decoder
        buffered, bom_undecided = decoder.getstate()
        fed = base + self.shift  # offset as fed of data[0]
        try:
            text = decoder.decode(data)
        except UnicodeDecodeError as exc:
            raw = buffered + data
            # utf-8-sig counts the error position from after a BOM it strips in this call
            skip = 3 if bom_undecided and raw.startswith(codecs.BOM_UTF8) else 0
            text = raw[skip : skip + exc.start].decode("utf-8")
            offset = fed - len(buffered) + skip + exc.start
            self.chunk_end = offset  # the text before the bad byte ends at it
            msg = f"Invalid UTF-8 ({exc.reason}); expected UTF-8 encoded text"
            return text, JsonSyntaxError(ErrorKind.INVALID_UTF8, msg, offset, 0, 0)
        self.chunk_end = fed + len(data) - len(decoder.getstate()[0])
        self.shift += len(data) - len(text)
        return text, None

    def chunk_read(self) -> None:
        """The current bytes chunk was read whole: later offsets count from ``shift``."""
        self.chunk_end = -1

    def cut_short(self) -> int:
        """Bytes still waiting for the rest of their character at the end of the stream."""
        return len(self._decoder.getstate()[0])

    def fed_offset(self, offset: int, base: int, chunk: str) -> int:
        """The offset as fed of character ``offset``; ``chunk`` is the text read from ``base``."""
        end = self.chunk_end
        if end < 0:
            return offset + self.shift
        # ``shift`` already counts this chunk: place the offset from the end of its text
        rel = offset - base
        if rel >= 0:
            return end - len(chunk[rel:].encode("utf-8", "surrogatepass"))
        # before the chunk only a token cut short stands (ASCII: an escape, a number)
        return end - len(chunk.encode("utf-8", "surrogatepass")) + rel
