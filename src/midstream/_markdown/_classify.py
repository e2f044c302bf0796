"""The classifier: what one line of Markdown is, given the blocks open before it.

CommonMark's block phase (the spec's appendix "A parsing strategy", as cmark
does it) reads a line in the same steps as :func:`classify_start` and
:func:`classify_line`, one function each:

1. **match containers** (``_match_containers``): the open block quotes and
   list items the line continues;
2. **continue the leaf** (``_continue_leaf``): if all of them match, whether
   the line is a content line of the open fence, HTML block or indented code
   (or closes the fence);
3. **lazy continuation** (``_lazy_continuation``): a line that did not match
   every container may still continue an open paragraph;
4. **open blocks** (``_open_blocks``): the block quotes, list items and leaf
   the rest of the line starts.

Rule 1: this module is pure. It reads a :class:`Structure` and the line and
returns an answer; it writes nothing but its own scratch record (``_Scan``).
:class:`CodeBlocks` applies the answer with :meth:`Structure.apply`.

Rule 2: a partial line (``classify_start``) gets only what is already
certain: a :class:`Plan` of kind ``TEXT`` or ``CODE``, or a :class:`Cursor`,
"undecided from here", while the line could still become a fence line. The
cursor is where the next classification of the same line, longer, goes on,
so a line start fed one character at a time is read once, not once per
character. A whole line (``classify_line``) always gets a plan, which also
says what the line does to the block structure.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from ._syntax import (
    ATX,
    CLOSE,
    CODE,
    DIGITS,
    FENCE,
    HOLD_INFO,
    HOLD_TRAIL,
    HR,
    HTML,
    HTML_END,
    HTML_START,
    HTML_START_7,
    ICODE,
    NONE,
    OPEN,
    ORDERED,
    PARA,
    RUN,
    SETEXT,
    TEXT,
    WS,
    advance,
    nonspace,
)


class Container:
    """An open block quote (``quote``) or list item (content at ``width`` columns)."""

    __slots__ = ("has_content", "quote", "width")

    def __init__(self, quote: bool, width: int, has_content: bool) -> None:
        self.quote = quote
        self.width = width
        self.has_content = has_content


class Plan:
    """What a line (or its start) was found to be, and what it does to the blocks."""

    __slots__ = (
        "base_col",
        "base_pos",
        "blank",
        "ended",
        "fence_char",
        "fence_len",
        "html",
        "info_pos",
        "kind",
        "lazy",
        "leaf",
        "matched",
        "new",
        "prefix",
        "strip",
    )

    def __init__(self, kind: int, ended: bool) -> None:
        self.kind = kind  # TEXT, CODE, OPEN or CLOSE
        self.ended = ended  # the open fence ended before this line (its container did)
        self.matched = 0  # containers the line continues
        self.lazy = False  # a lazy paragraph continuation: the blocks stay as they are
        self.blank = False
        self.new: tuple[tuple[bool, int], ...] = ()  # containers opened: (quote, width)
        self.leaf = NONE  # the open leaf after the line
        self.html = 0  # its HTML block kind, if HTML
        self.base_pos = 0  # where the content after the last ">" starts
        self.base_col = 0
        # an opening fence: where it starts, the columns its content lines lose,
        # its character and length, where its info string starts
        self.prefix = 0
        self.strip = 0
        self.fence_char = ""
        self.fence_len = 0
        self.info_pos = 0


class Cursor(NamedTuple):
    """Undecided from here: where a classification of a line start stopped.

    Immutable: a named tuple, made with ``tuple.__new__(Cursor, fields)``
    (a frozen dataclass costs seven times as much to make, and a line start
    fed in pieces makes one per piece).

    It holds the state at the start of the container or new block the line
    was in the middle of (``pos`` and ``bpos`` count from the line start), and
    ``hold``: a pattern that, while the new text of the line matches it,
    leaves the line undecided for the same reason (a run of backticks, an
    info string, trailing spaces), so that text need not be classified again.
    """

    pos: int
    col: int
    bpos: int  # where the content after the last ">" starts
    bcol: int
    matched: int  # containers matched
    blocks: bool = False  # stopped among the new blocks (past the open leaf)
    cont_para: bool = False  # a paragraph is open for the new blocks to interrupt
    maybe_lazy: bool = False  # the line may still be a lazy paragraph continuation
    hold: re.Pattern[str] | None = None


#: Where a line is after the containers it matched: (pos, col, bpos, bcol, matched).
_Where = tuple[int, int, int, int, int]


class Structure:
    """The open blocks a line is classified against: the containers and the leaf."""

    __slots__ = ("fence_char", "fence_len", "fence_strip", "html", "leaf", "stack")

    def __init__(self) -> None:
        self.stack: list[Container] = []
        self.leaf = NONE
        self.html = 0  # the HTML block kind (1 to 7) while leaf is HTML
        self.fence_char = ""  # the open fence: its character and length,
        self.fence_len = 0
        self.fence_strip = 0  # and the columns of indentation its lines lose

    def apply(self, plan: Plan) -> None:
        """Apply a whole line's plan to the open containers and leaf."""
        if plan.lazy:
            return
        stack = self.stack
        if plan.matched < len(stack):
            del stack[plan.matched :]
        if stack and (plan.new or not plan.blank):
            stack[-1].has_content = True
        if plan.new:
            for quote, width in plan.new:
                stack.append(Container(quote, width, True))
            last = stack[-1]
            if plan.blank and not last.quote:
                last.has_content = False
        self.leaf = plan.leaf
        self.html = plan.html
        if plan.kind == OPEN:
            self.leaf = FENCE
            self.fence_char = plan.fence_char
            self.fence_len = plan.fence_len
            self.fence_strip = plan.strip

    def end_fence(self) -> bool:
        """End the open fence, if one is open: whether one was."""
        if self.leaf != FENCE:
            return False
        self.leaf = NONE
        return True


def classify_start(
    blocks: Structure, s: str, at: Cursor | None = None, off: int = 0, *, no_fence: bool = False
) -> Plan | Cursor:
    """Classify the start of a line, ``s`` (no line ending yet): certain, or undecided.

    A later call for the same line, longer, goes on from the cursor the last
    one returned, ``at``: ``s`` is then the line from ``off`` on (``off`` at
    most ``at.pos``). ``no_fence``: the line is known not to be a fence line.
    """
    if at is None and not blocks.stack:
        plan = _top_level(blocks, s, False)
        if plan is not None:
            return plan
    return _classify(blocks, s, False, no_fence, 0, at, off)


def classify_line(blocks: Structure, s: str, *, no_fence: bool = False, ends: int = 0) -> Plan:
    """Classify a whole line ``s`` (without its ending).

    ``ends``: bit ``i`` set if ``HTML_END[i]`` matched in a part of the line
    that ``s`` does not hold (a prose line longer than ``max_hold``).
    """
    if not blocks.stack:
        plan = _top_level(blocks, s, True)
        if plan is not None:
            return plan
    found = _classify(blocks, s, True, no_fence, ends, None, 0)
    if not isinstance(found, Plan):  # pragma: no cover - a whole line is always decided
        raise AssertionError(f"CodeBlocks: a whole line was left undecided: {s!r}")
    return found


#: The characters a line start must begin with to be more than prose, and
#: those a whole line must begin with to be more than a paragraph line: the
#: indentation and block markers that steps 3 and 4 read.
_START_MARKERS: Final = frozenset(" \t>`~-*+0123456789")
_LINE_MARKERS: Final = _START_MARKERS | frozenset("#<=_")


def _top_level(blocks: Structure, s: str, eol: bool) -> Plan | None:
    """The common lines outside any container, as the steps would find them.

    A code line of a fence that does not start with indentation or the
    fence's character; after no block or a paragraph, a line start that
    begins with no block marker (prose), and a whole line that is blank, a
    heading or a paragraph line. Most lines a model writes are one of these;
    ``None`` for the others.
    """
    first = s[:1]
    leaf = blocks.leaf
    if leaf == FENCE:
        if first and first != " " and first != "\t" and first != blocks.fence_char:
            return Plan(CODE, False)
        return None
    if leaf != NONE and leaf != PARA:
        return None
    if not eol:
        return Plan(TEXT, False) if first and first not in _START_MARKERS else None
    plan = Plan(TEXT, False)
    if not first:
        plan.blank = True  # and the paragraph ends
    elif first == "#":
        plan.leaf = NONE if ATX.match(s) else PARA
    elif first in _LINE_MARKERS:
        return None
    else:
        plan.leaf = PARA
    return plan


class _Scan:
    """The scratch record of one classification (the step functions share it)."""

    __slots__ = (
        "all_matched",
        "bcol",
        "blocks",
        "bpos",
        "col",
        "cont_para",
        "ended",
        "ends",
        "eol",
        "in_blocks",
        "matched",
        "maybe_lazy",
        "n",
        "new",
        "no_fence",
        "off",
        "pos",
        "s",
    )

    def __init__(
        self,
        blocks: Structure,
        s: str,
        eol: bool,
        no_fence: bool,
        ends: int,
        off: int,
        where: _Where,
        in_blocks: bool,
        cont_para: bool,
        maybe_lazy: bool,
    ) -> None:
        self.blocks = blocks
        self.s = s
        self.n = len(s)
        self.eol = eol
        self.no_fence = no_fence
        self.ends = ends
        self.off = off
        self.pos, self.col, self.bpos, self.bcol, self.matched = where
        self.in_blocks = in_blocks
        self.cont_para = cont_para
        self.maybe_lazy = maybe_lazy
        self.all_matched = all_matched = self.matched == len(blocks.stack)
        self.ended = blocks.leaf == FENCE and not all_matched
        self.new: tuple[tuple[bool, int], ...] = ()

    def wait(self, in_blocks: bool, hold: re.Pattern[str] | None = None) -> Cursor:
        """Undecided: the next classification of this line goes on from here."""
        return tuple.__new__(
            Cursor,
            (
                self.pos + self.off,
                self.col,
                self.bpos,
                self.bcol,
                self.matched,
                in_blocks,
                self.cont_para,
                self.maybe_lazy,
                hold,
            ),
        )


def _classify(
    blocks: Structure,
    s: str,
    eol: bool,
    no_fence: bool,
    ends: int,
    at: Cursor | None,
    off: int,
) -> Plan | Cursor:
    """The four steps, from the line start or from where ``at`` stopped.

    Steps 1 and 2 for a fence run on plain values: they are most lines of a
    code block, and the scratch record costs more than they do.
    """
    stack = blocks.stack
    leaf = blocks.leaf
    if at is None:
        where: _Where = (0, 0, 0, 0, 0)
    else:
        where = (at.pos - off, at.col, at.bpos, at.bcol, at.matched)
        if at.blocks:
            scan = _Scan(
                blocks, s, eol, no_fence, ends, off, where, True, at.cont_para, at.maybe_lazy
            )
            return _open_blocks(scan)
    if stack:
        found = _match_containers(stack, s, eol, off, where)
        if isinstance(found, Cursor):
            return found
        where = found
    all_matched = where[4] == len(stack)
    if leaf == FENCE and all_matched:
        return _continue_fence(blocks, s, eol, no_fence, off, where)
    para = leaf == PARA
    scan = _Scan(blocks, s, eol, no_fence, ends, off, where, False, para and all_matched, para)
    if not para and all_matched and leaf != NONE:
        answer = _continue_leaf(scan)
        if answer is not None:
            return answer
    if eol and para and not all_matched:
        lazy = _lazy_continuation(scan)
        if lazy is not None:
            return lazy
    return _open_blocks(scan)


def _match_containers(
    stack: list[Container], s: str, eol: bool, off: int, where: _Where
) -> Cursor | _Where:
    """Step 1: go past the markers of the open containers the line continues."""
    n = len(s)
    pos, col, bpos, bcol, matched = where
    for i in range(matched, len(stack)):
        c = stack[i]
        fpos, fcol = nonspace(s, pos, col)
        if fpos == n:
            if not eol:
                if not c.quote and c.has_content and fcol - col >= c.width:
                    pos, col = advance(s, pos, col, c.width)
                    matched += 1
                    continue
                return tuple.__new__(
                    Cursor, (pos + off, col, bpos, bcol, matched, False, False, False, None)
                )
            if c.quote or not c.has_content:
                break
            pos, col = fpos, fcol
        elif c.quote:
            if s[fpos] != ">":
                break
            if fpos + 1 == n and not eol:
                return tuple.__new__(
                    Cursor, (pos + off, col, bpos, bcol, matched, False, False, False, None)
                )
            pos, col = fpos + 1, fcol + 1
            if pos < n and (s[pos] == " " or s[pos] == "\t"):
                pos, col = advance(s, pos, col, 1)
            bpos, bcol = pos + off, col
        elif fcol - col >= c.width:
            pos, col = advance(s, pos, col, c.width)
        else:
            break
        matched += 1
    return pos, col, bpos, bcol, matched


def _continue_leaf(scan: _Scan) -> Plan | Cursor | None:
    """Step 2: every container matched; does the line continue the open HTML block
    or indented code? (The open fence: ``_continue_fence``.)

    (An open paragraph is continued or interrupted by what the line opens:
    ``_classify`` notes it in ``cont_para`` and goes on to step 3.)
    """
    blocks = scan.blocks
    leaf = blocks.leaf
    s, n, eol = scan.s, scan.n, scan.eol
    fpos, fcol = nonspace(s, scan.pos, scan.col)
    if fpos == n and not eol:
        return scan.wait(False)
    if leaf == HTML:
        if not eol:
            return Plan(TEXT, False)
        plan = Plan(TEXT, False)
        plan.matched = scan.matched
        plan.leaf = HTML
        plan.html = blocks.html
        if fpos == n:
            plan.blank = True
            if blocks.html >= 6:
                plan.leaf = NONE
        elif html_ends(s, fpos, blocks.html, scan.ends):
            plan.leaf = NONE
        return plan
    # ICODE
    if fcol - scan.col >= 4 or fpos == n:
        plan = Plan(TEXT, False)
        plan.matched = scan.matched
        plan.leaf = ICODE
        plan.blank = fpos == n
        return plan
    return None


def _continue_fence(
    blocks: Structure, s: str, eol: bool, no_fence: bool, off: int, where: _Where
) -> Plan | Cursor:
    """Step 2 for a fence: a content line, or the closing fence."""
    n = len(s)
    pos, col, bpos, bcol, matched = where
    fpos, fcol = nonspace(s, pos, col)
    fence_char = blocks.fence_char
    hold: re.Pattern[str] | None = None
    if fpos == n:
        if not eol:
            return tuple.__new__(
                Cursor, (pos + off, col, bpos, bcol, matched, False, False, False, None)
            )
    elif fcol - col <= 3 and s[fpos] == fence_char and not no_fence:
        run = RUN[fence_char]
        run_end = run.match(s, fpos).end()  # type: ignore[union-attr]
        if run_end == n:
            hold = run
        elif run_end - fpos >= blocks.fence_len and WS.fullmatch(s, run_end):
            hold = HOLD_TRAIL
        if hold is not None:
            if not eol:
                return tuple.__new__(
                    Cursor, (pos + off, col, bpos, bcol, matched, False, False, False, hold)
                )
            if run_end - fpos >= blocks.fence_len:
                return Plan(CLOSE, False)
    plan = Plan(CODE, False)
    plan.base_pos = bpos
    plan.base_col = bcol
    return plan


def _lazy_continuation(scan: _Scan) -> Plan | None:
    """Step 3: a line short of the open containers may continue their paragraph."""
    fpos, fcol = nonspace(scan.s, scan.pos, scan.col)
    if fpos < scan.n:
        if not _ends_paragraph(scan, fpos, fcol):
            plan = Plan(TEXT, False)
            plan.lazy = True
            return plan
        scan.maybe_lazy = False
    return None


def _ends_paragraph(scan: _Scan, fpos: int, fcol: int) -> bool:
    """Whether a line that failed to match all containers ends the paragraph.

    Otherwise it is a lazy continuation line. This is markdown-it's rule,
    not cmark's: the outermost unmatched block quote decides with the
    line's indentation from the quote's parent; past it the line counts
    as unindented, so any block start ends the deeper quotes; with no
    unmatched quote the paragraph decides, indentation counted from the
    innermost list item.
    """
    term, marker = _interrupts(scan.s, fpos, scan.no_fence)
    if not term and not marker:
        return False
    parent = scan.col  # content column of the unmatched container's parent
    grand = -1
    stack = scan.blocks.stack
    for i in range(scan.matched, len(stack)):
        c = stack[i]
        if c.quote:
            if fcol - parent < 4 and (
                term or not (grand >= 0 and fcol - grand >= 4 and fcol < parent)
            ):
                return True
            return any(d.quote for d in stack[i + 1 :])
        grand = parent
        parent += c.width
    if fcol - parent > 3:
        return False
    return term or not (grand >= 0 and fcol - grand >= 4 and fcol < parent)


def _interrupts(s: str, fpos: int, no_fence: bool) -> tuple[bool, bool]:
    """Whether the line from ``fpos`` starts a block that ends a paragraph
    (``term``), or a list marker (``marker``), which may: (term, marker)."""
    ch = s[fpos]
    if ch == ">" or (ch == "#" and ATX.match(s, fpos)):
        return True, False
    if ch == "`" or ch == "~":
        if no_fence:
            return False, False
        run_end = RUN[ch].match(s, fpos).end()  # type: ignore[union-attr]
        return run_end - fpos >= 3 and (ch == "~" or s.find("`", run_end) < 0), False
    if ch == "<":
        line = s[fpos:]
        return any(start.match(line) for start in HTML_START), False
    if ch in "-*_+" or "0" <= ch <= "9":
        if ch != "+" and HR.fullmatch(s, fpos):
            return True, False
        if "0" <= ch <= "9":
            m = ORDERED.match(s, fpos)
            end = m.end() if m else -1
            return False, end > 0 and (end == len(s) or s[end] in " \t")
        if ch != "_":
            return False, fpos + 1 == len(s) or s[fpos + 1] in " \t"
    return False, False


def _open_blocks(scan: _Scan) -> Plan | Cursor:
    """Step 4: the blocks the rest of the line opens, as cmark's open_new_blocks."""
    s, n, eol = scan.s, scan.n, scan.eol
    while True:
        fpos, fcol = nonspace(s, scan.pos, scan.col)
        if fpos == n:
            if not eol:  # spaces only so far (and a last such line is no line at all)
                return scan.wait(True)
            return _finish(scan, NONE, blank=True)
        if fcol - scan.col >= 4:
            if not eol:
                return Plan(TEXT, scan.ended)
            return _finish(scan, PARA if scan.maybe_lazy else ICODE)
        ch = s[fpos]
        found: Plan | Cursor | None
        if ch == ">":
            found = _open_quote(scan, fpos, fcol)
        elif ch == "`" or ch == "~":
            if scan.no_fence:
                return _open_leaf(scan, ch, fpos) if eol else Plan(TEXT, scan.ended)
            return _open_fence(scan, ch, fpos, fcol)
        elif ch == "-" or ch == "*" or ch == "+" or "0" <= ch <= "9":
            found = _open_item(scan, ch, fpos, fcol)
        elif not eol:
            return Plan(TEXT, scan.ended)
        else:
            return _open_leaf(scan, ch, fpos)
        if found is not None:
            return found


def _open_quote(scan: _Scan, fpos: int, fcol: int) -> Cursor | None:
    """A ``>``: a block quote opens (``None``), or the line must wait."""
    s, n = scan.s, scan.n
    if fpos + 1 == n and not scan.eol:
        return scan.wait(True)
    pos, col = fpos + 1, fcol + 1
    if pos < n and (s[pos] == " " or s[pos] == "\t"):
        pos, col = advance(s, pos, col, 1)
    scan.pos, scan.col = pos, col
    scan.bpos, scan.bcol = pos + scan.off, col
    scan.new += ((True, 0),)
    scan.cont_para = scan.maybe_lazy = False
    return None


def _open_fence(scan: _Scan, ch: str, fpos: int, fcol: int) -> Plan | Cursor:
    """A run of backticks or tildes: an opening fence, or prose."""
    s, n, eol = scan.s, scan.n, scan.eol
    run = RUN[ch]
    run_end = run.match(s, fpos).end()  # type: ignore[union-attr]
    if run_end == n and not eol:
        return scan.wait(True, run)
    if run_end - fpos >= 3 and (ch == "~" or s.find("`", run_end) < 0):
        if not eol:
            return scan.wait(True, HOLD_INFO[ch])  # the info string runs to the line end
        plan = Plan(OPEN, scan.ended)
        plan.prefix = scan.pos + scan.off
        plan.strip = fcol - scan.bcol
        plan.fence_char = ch
        plan.fence_len = run_end - fpos
        plan.info_pos = run_end + scan.off
        return _finish(scan, FENCE, plan=plan)
    if not eol:
        return Plan(TEXT, scan.ended)
    return _finish(scan, PARA)


def _open_item(scan: _Scan, ch: str, fpos: int, fcol: int) -> Plan | Cursor | None:
    """A ``-``, ``*``, ``+`` or digit: a list item opens (``None``), or a leaf does."""
    s, n, eol = scan.s, scan.n, scan.eol
    if eol:
        if scan.cont_para and ch == "-" and SETEXT.fullmatch(s, fpos):
            return _finish(scan, NONE)  # a setext underline: the paragraph becomes a heading
        if ch != "+" and HR.fullmatch(s, fpos):
            return _finish(scan, NONE)
    # A list marker? (A thematic break or setext underline has no fence in it,
    # so going on as if this were a marker is safe for a partial line.)
    if "0" <= ch <= "9":
        m = ORDERED.match(s, fpos)
        if m is None:
            if eol:
                return _finish(scan, PARA)
            digits = DIGITS.match(s, fpos).end() - fpos  # type: ignore[union-attr]
            if fpos + digits == n and digits < 10:  # may still be a marker
                return scan.wait(True)
            return Plan(TEXT, scan.ended)
        mend = m.end()
        if scan.cont_para and m.group()[:-1].lstrip("0") != "1":
            return _finish(scan, PARA) if eol else Plan(TEXT, scan.ended)
    else:
        mend = fpos + 1
    if mend < n:
        if s[mend] != " " and s[mend] != "\t":
            return _finish(scan, PARA) if eol else Plan(TEXT, scan.ended)
    elif not eol:
        return scan.wait(True)
    return _item_content(scan, mend, fcol + mend - fpos)


def _item_content(scan: _Scan, mend: int, mcol: int) -> Plan | Cursor | None:
    """Open the list item whose marker ends at ``mend``: where its content starts."""
    s, n = scan.s, scan.n
    cpos, ccol = nonspace(s, mend, mcol)
    if cpos == n:
        if not scan.eol:
            return scan.wait(True)
        if scan.cont_para:
            return _finish(scan, PARA)  # an empty item cannot interrupt a paragraph
    # the item's content column, from the column its parent's content starts at
    base = scan.col
    if cpos == n or ccol - mcol >= 5:
        scan.pos, scan.col = advance(s, mend, mcol, 1)
        width = mcol + 1 - base
    else:
        scan.pos, scan.col = cpos, ccol
        width = ccol - base
    scan.new += ((False, width),)
    scan.cont_para = scan.maybe_lazy = False
    return None


def _open_leaf(scan: _Scan, ch: str, fpos: int) -> Plan:
    """The leaf a whole line opens after its containers (no fence, no item)."""
    s = scan.s
    if ch == "#":
        return _finish(scan, NONE if ATX.match(s, fpos) else PARA)
    if ch == "<":
        line = s[fpos:]
        html = 0
        for i, start in enumerate(HTML_START):
            if start.match(line):
                html = i + 1
                break
        else:
            if not scan.maybe_lazy and HTML_START_7.match(line):
                html = 7
        if html:
            return _finish(scan, HTML, html=html, fpos=fpos)
        return _finish(scan, PARA)
    if ch == "=" and scan.cont_para and SETEXT.fullmatch(s, fpos):
        return _finish(scan, NONE)
    if ch == "_" and HR.fullmatch(s, fpos):
        return _finish(scan, NONE)
    return _finish(scan, PARA)


def _finish(
    scan: _Scan,
    kind: int,
    *,
    blank: bool = False,
    html: int = 0,
    fpos: int = 0,
    plan: Plan | None = None,
) -> Plan:
    """The plan of a whole line whose new blocks end with a leaf of ``kind``."""
    if plan is None:
        plan = Plan(TEXT, scan.ended)
    plan.matched = scan.matched
    plan.new = scan.new
    plan.blank = blank
    plan.base_pos = scan.bpos
    plan.base_col = scan.bcol
    if kind == PARA:
        if not scan.all_matched and not scan.new and scan.blocks.leaf == PARA:
            plan.lazy = True
        plan.leaf = PARA
    elif kind == HTML:
        plan.leaf = NONE if html_ends(scan.s, fpos, html, scan.ends) else HTML
        plan.html = html
    else:
        plan.leaf = kind
    return plan


def html_ends(s: str, pos: int, html: int, ends: int) -> bool:
    """Whether line ``s`` (or the part ``ends`` stands for) ends an HTML block of kind 1 to 5."""
    if html > 5:
        return False
    if HTML_END[html - 1].search(s, pos):
        return True
    return bool(ends >> (html - 1) & 1)
