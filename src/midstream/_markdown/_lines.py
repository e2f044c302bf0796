"""The current line: its start held while it could be a fence line, or kept once released.

A line comes out as soon as it cannot be part of a fence line. Until then
its start is held (:class:`HeldLine`), for at most ``max_hold`` characters,
and each later classification of it goes on from the :class:`Cursor` the last
one returned; text that leaves it undecided for the same reason (the
cursor's ``hold`` pattern) is not classified at all. So a line start fed one
character at a time costs no more than fed whole.

A prose line released early still decides the block structure at its end
(a setext underline, a thematic break, an HTML block start), so its text is
kept (:class:`KeptLine`): all of it up to ``max_hold`` characters, and past
that only what those rules need.
"""

from __future__ import annotations

import re

from ._classify import Cursor, Plan, Structure, classify_line, classify_start
from ._syntax import CODE, HOLD_TRAIL, HTML_END, RUNS, TEXT


class HeldLine:
    """The start of the current line, held back while it could become a fence line.

    The held text is ``pieces + window + more``: ``window`` runs from
    ``win_at``, where the next classification resumes (``cursor``), and
    ``more`` is what came after it that ``hold`` let through unclassified.
    A line start is held while ``cursor`` is set.
    """

    __slots__ = (
        "cursor",
        "hold",
        "length",
        "max_hold",
        "more",
        "no_fence",
        "pieces",
        "win_at",
        "window",
    )

    def __init__(self, max_hold: int) -> None:
        self.max_hold = max_hold
        self.window = ""
        self.pieces: list[str] = []
        self.more: list[str] = []
        self.win_at = 0
        self.length = 0  # the held line's length, a trailing "\r" not counted
        self.cursor: Cursor | None = None
        self.hold: re.Pattern[str] | None = None
        # The line passed max_hold undecided: it is not a fence line (until it ends).
        self.no_fence = False

    def take(self) -> str:
        """The held line start, whole, and forget it."""
        text = self.window
        if self.pieces or self.more:
            text = "".join(self.pieces) + text + "".join(self.more)
        self.forget()
        return text

    def forget(self) -> None:
        self.window = ""
        self.pieces = []
        self.more = []
        self.win_at = 0
        self.length = 0
        self.cursor = None
        self.hold = None

    def grow(self, blocks: Structure, text: str) -> tuple[Plan, str] | None:
        """More of the held line start, with no line ending in it: see :meth:`judge`."""
        size = self.length + len(text)
        hold = self.hold
        if hold is not None and size <= self.max_hold and hold.fullmatch(text):
            self.more.append(text)  # still held, for the reason the last cursor gave
            self.length = size
            return None
        more = self.more
        window = self.window + ("".join(more) if more else "") + text
        self.more = []
        return self.judge(blocks, window, size)

    def judge(self, blocks: Structure, window: str, size: int) -> tuple[Plan, str] | None:
        """The plan and the whole line so far if the line start is decided; else hold it.

        ``window`` is the line from ``win_at`` to its end so far, ``size``
        the line's length. A decided line is forgotten: the caller releases it.
        """
        if size > self.max_hold:
            line = "".join(self.pieces) + window
            return self.decide_long(blocks, line), line
        found = classify_start(blocks, window, self.cursor, self.win_at, no_fence=self.no_fence)
        if isinstance(found, Plan):
            line = "".join(self.pieces) + window if self.pieces else window
            self.forget()
            return found, line
        hold = found.hold
        if hold is None and window.endswith((" ", "\t")):
            hold = HOLD_TRAIL  # undecided spaces stay so while spaces follow
        self.hold = hold
        self.cursor = found
        cut = found.pos - self.win_at  # the next classification starts there
        if cut:
            self.pieces.append(window[:cut])
            window = window[cut:]
            self.win_at += cut
        self.window = window
        self.length = size
        return None

    def decide_long(self, blocks: Structure, line: str) -> Plan:
        """What a line longer than ``max_hold`` is, judged on its first ``max_hold + 1`` characters.

        If they leave it undecided (it could still be a fence line), it is not
        one: it is what it would be if it ended there, a fence excluded, so
        that the answer does not depend on where the chunks were cut.
        """
        self.forget()
        head = line[: self.max_hold + 1]
        found = classify_start(blocks, head)
        if isinstance(found, Plan):
            return found
        self.no_fence = True
        plan = classify_line(blocks, head, no_fence=True)
        if plan.kind != TEXT and plan.kind != CODE:  # pragma: no cover - a bug, not bad input
            raise AssertionError(
                f"CodeBlocks: a line longer than max_hold without a fence was classified"
                f" as a fence line: {head!r}"
            )
        return plan


class KeptLine:
    """A prose line released before its end, kept for the rules its end applies.

    Up to ``max_hold`` characters are kept as they are. Past that (an
    ``overflow``) only what those rules need of the rest is: a skeleton with
    runs cut to 3 characters while it stays within 64 characters (blank,
    setext underline, thematic break), and which HTML block ends it holds.
    """

    __slots__ = ("_ends", "_skel", "_tail", "length", "max_hold", "overflow", "parts")

    def __init__(self, max_hold: int) -> None:
        self.max_hold = max_hold
        self.parts: list[str] = []
        self.length = 0
        self.overflow = False
        self._skel: str | None = None  # None once it is long
        self._ends = 0  # bit i: HTML_END[i] matched in the overflow
        self._tail = ""

    def add(self, part: str) -> None:
        if not part:
            return
        if self.overflow:
            self._add_overflow(part)
            return
        room = self.max_hold - self.length
        if len(part) <= room:
            self.parts.append(part)
            self.length += len(part)
            return
        # A very long prose line: keep its start, and only what its line-end rules need of the rest.
        self.parts.append(part[:room])
        self.length = self.max_hold
        self.overflow = True
        self._skel = ""
        self._ends = 0
        self._tail = part[max(0, room - 16) : room]
        self._add_overflow(part[room:])

    def _add_overflow(self, part: str) -> None:
        skel = self._skel
        # (more of the run the skeleton ends with, already cut to 3, changes nothing)
        if skel is not None and not (skel.endswith(part[0] * 3) and not part.strip(part[0])):
            skel = RUNS.sub(r"\1\1\1", skel + part)
            self._skel = skel if len(skel) <= 64 else None
        probe = self._tail + part
        for i, end in enumerate(HTML_END):
            if end.search(probe):
                self._ends |= 1 << i
        self._tail = probe[-16:]

    def take(self) -> tuple[str, int]:
        """The line as its end rules see it, and the HTML ends of its overflow; forget it."""
        line = "".join(self.parts)
        ends = 0
        if self.overflow:
            line += "\x00" if self._skel is None else self._skel
            ends = self._ends
        self.parts = []
        self.length = 0
        self.overflow = False
        return line, ends
