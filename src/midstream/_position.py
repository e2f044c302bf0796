"""Where an offset stands: line and column, for every parser's errors.

Every parser reports an error at an absolute offset (characters from the start
of the stream) and at its line and column, both from 1, counting ``\\n`` only,
as :mod:`json` does. A parser reads the stream in chunks and keeps none of the
text it has passed, so it keeps a :class:`Position` instead: the offset where
the current chunk (or held text) begins, that character's line, and where that
line began. :meth:`Position.locate` places any offset from the start of that
line on; :func:`line_column` places an offset in a text held whole.

Compiled with the JSON core (hatch_build.py), which keeps one per parser.
"""

from __future__ import annotations

__all__ = ["Position", "line_column"]


class Position:
    """The line bookkeeping of a stream read in pieces.

    Attributes:
        base: offset of the first character of the current piece.
        line: line of that character (from 1).
        line_start: offset of the first character of that line.
    """

    def __init__(self) -> None:
        self.base = 0
        self.line = 1
        self.line_start = 0

    def advance(self, text: str, end: int) -> None:
        """Move past ``text[:end]``, the start of the current piece."""
        if "\n" in text:
            newlines = text.count("\n", 0, end)
            if newlines:
                self.line += newlines
                self.line_start = self.base + text.rfind("\n", 0, end) + 1
        self.base += end

    def locate(self, text: str, offset: int) -> tuple[int, int]:
        """Line and column of ``offset``; ``text`` is the current piece, from :attr:`base` on.

        An offset before :attr:`base` must lie on the line of :attr:`base`
        (a token the previous piece cut short never holds a line break).
        """
        rel = offset - self.base
        if rel > 0:
            newlines = text.count("\n", 0, rel)
            if newlines:
                return self.line + newlines, rel - text.rfind("\n", 0, rel)
        return self.line, offset - self.line_start + 1


def line_column(text: str, offset: int) -> tuple[int, int]:
    """Line and column of ``text[offset]``, ``text`` being the stream from its start."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)
