"""CodeBlocks: the fenced code blocks of a Markdown stream, as they stream.

Why this is a block parser and not a search for three backticks
----------------------------------------------------------------

Whether a line of backticks opens or closes a block depends on what the lines
before it built: a fence inside an HTML block or an indented code block is
text, a fence inside a list item only closes the block when it is indented
into that item, a line without ``>`` ends a block quote (and the code block
in it), and a ``2.`` cannot start a list inside a paragraph. So this module
runs the block phase of the CommonMark algorithm (the spec's appendix "A
parsing strategy", as cmark does it), one line at a time, and keeps only
what the next line needs: the open block quotes and list items, and the kind
of the open leaf block (paragraph, fenced code, indented code, HTML block).
Inline parsing, link definitions and the list/loose bookkeeping play no part
in where fences are, so they are not done.

Where cmark and markdown-it-py (the test oracle) differ, this follows
markdown-it-py: a ``>`` continues a block quote at any indentation, an HTML
block of kind 7 never starts on a line that could be a lazy paragraph
continuation, whether a line is a lazy continuation is decided as its block
quote pre-pass and paragraph rule decide it (``_ends_paragraph``), a fence's
content lines lose up to the fence line's indentation in columns (blank lines
too), and a last line with no line ending that is blank after its container
markers is not part of a block.

Known differences from markdown-it-py, all far from what models write:

- a tab after a list marker inside nested block quotes: markdown-it counts
  its tab stop from the outer quote's content, this module from the line
  start (CommonMark's rule);
- markdown-it stops parsing 20 containers deep; this module goes on to
  ``max_nesting`` and then raises;
- a line longer than ``max_hold`` characters is never a fence line: one
  whose first ``max_hold + 1`` characters leave it undecided (a run of
  backticks, an info string, a closing fence's trailing spaces, container
  markers or indentation a fence may still follow) is taken there for what it
  would be if it ended there, a fence excluded: text, or a code line of the
  open block;
- a prose line longer than ``max_hold`` is judged at its end (blank, setext
  underline, thematic break, HTML block start) on its first ``max_hold``
  characters and the rest with runs cut to 3 characters, if that is at most
  64 characters; so an HTML tag longer than that alone on its line does not
  start an HTML block;
- markdown-it turns U+0000 into U+FFFD and every line ending into ``\n``;
  this module keeps the text as it came.

Rule 1: text is released as soon as it cannot be part of a fence line. A
partial line is held only while it could still become an opening or closing
fence (``_scan`` returns ``None``), and for at most ``max_hold`` characters;
then the rest of the line streams out as it arrives and its effect on the
block structure is applied at its line end. Each later scan of a held line
start goes on from where the last one stopped (``_Cursor``), and text that
keeps it undecided for the same reason (``_hold_re``) is not scanned at all,
so a line start fed one character at a time costs no more than fed whole.

Rule 2: every input character comes out exactly once, in order, in one of
``TextDelta.text``, ``CodeBlockStart.fence``, ``CodeDelta.raw`` and
``CodeBlockDone.fence``.

Spec: https://spec.commonmark.org/0.31.2/#fenced-code-blocks and
https://spec.commonmark.org/0.31.2/#appendix-a-parsing-strategy
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.entities import html5 as _HTML5
from typing import TYPE_CHECKING, Final

from ._errors import ErrorKind, LimitExceededError, ParseError
from ._events import CodeBlockDone, CodeBlockStart, CodeDelta, Event, JsonEvent, TextDelta
from ._options import check_limit

if TYPE_CHECKING:
    from ._json_stream import JsonStream

__all__ = ["DEFAULT_MAX_HOLD", "DEFAULT_MAX_NESTING", "CodeBlocks"]

#: Longest partial line held back while it could still become a fence line
#: (an opening fence's info string, a closing fence's trailing spaces); a
#: longer line is not a fence line. Like h11's 16 KiB bound on an incomplete
#: HTTP head, it is far above anything a model writes and small enough that a
#: hostile stream cannot grow memory.
DEFAULT_MAX_HOLD: Final = 65536
#: Deepest nesting of block quotes and list items. markdown-it stops parsing
#: at 20 levels; the bound keeps the per-line cost of matching containers
#: (and so the whole parse) linear.
DEFAULT_MAX_NESTING: Final = 100

# Kinds of the open leaf block.
_NONE: Final = 0
_PARA: Final = 1
_FENCE: Final = 2
_ICODE: Final = 3
_HTML: Final = 4

# What a line (or the start of one) turns out to be.
_TEXT: Final = 1  # prose: TextDelta
_CODE: Final = 2  # a content line of the open fence
_OPEN: Final = 3  # an opening fence line
_CLOSE: Final = 4  # a closing fence line

# How the rest of a partly released line goes out.
_M_HEAD: Final = 0  # nothing released yet
_M_TEXT: Final = 1
_M_CODE: Final = 2

_EOL = re.compile(r"[\r\n]")
_WS = re.compile(r"[ \t]*")
_RUN = {"`": re.compile(r"`*"), "~": re.compile(r"~*")}
_ATX = re.compile(r"#{1,6}(?:[ \t]|$)")
_SETEXT = re.compile(r"(?:=+|-+)[ \t]*")
_HR = re.compile(r"(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,}")
_ORDERED = re.compile(r"[0-9]{1,9}[.)]")
_DIGITS = re.compile(r"[0-9]*")
_RUNS = re.compile(r"(.)\1{3,}", re.DOTALL)
# While the new text of a held line start matches one of these, it stays held
# for the reason the last scan found, and is not scanned again.
_HOLD_INFO = {"`": re.compile(r"[^`\r]*"), "~": re.compile(r"[^\r]*")}
_HOLD_TRAIL = re.compile(r"[ \t]*")

# HTML block starts and ends, as markdown-it-py's html_block rule has them.
_ATTR = (
    r"(?:\s+[a-zA-Z_:][a-zA-Z0-9:._-]*"
    r"""(?:\s*=\s*(?:[^"'=<>`\x00-\x20]+|'[^']*'|"[^"]*"))?)"""
)
_BLOCK_NAMES = (
    "address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|"
    "details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|"
    "h1|h2|h3|h4|h5|h6|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|"
    "noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|"
    "thead|title|tr|track|ul"
)
_HTML_START: Final = (
    re.compile(r"<(?a:(script|pre|style|textarea))(?=(\s|>|$))", re.IGNORECASE),
    re.compile(r"<!--"),
    re.compile(r"<\?"),
    re.compile(r"<![A-Za-z]"),
    re.compile(r"<!\[CDATA\["),
    re.compile("</?(?a:(" + _BLOCK_NAMES + "))(?=(\\s|/?>|$))", re.IGNORECASE),
)
_HTML_START_7 = re.compile(
    r"(?:<[A-Za-z][A-Za-z0-9\-]*" + _ATTR + r"*\s*\/?>|<\/[A-Za-z][A-Za-z0-9\-]*\s*>)\s*$"
)
_HTML_END: Final = (
    re.compile(r"<\/(?a:(script|pre|style|textarea))>", re.IGNORECASE),
    re.compile(r"-->"),
    re.compile(r"\?>"),
    re.compile(r">"),
    re.compile(r"\]\]>"),
)

# Info strings: backslash escapes and entity references are decoded, as
# CommonMark says and markdown-it-py's unescapeAll does.
_UNESCAPE = re.compile(
    r'\\([!"#$%&\'()*+,\-./:;<=>?@[\\\]^_`{|}~])|&([a-z#][a-z0-9]{1,31});', re.IGNORECASE
)
_NUMERIC = re.compile(r"#(?:([0-9]{1,8})|[xX]([0-9a-fA-F]{1,8}))")
# JavaScript's String.prototype.trim set, which markdown-it trims info strings by.
_TRIM = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_TRIM_RE = re.compile("[" + re.escape(_TRIM) + "]+")


def _valid_code(c: int) -> bool:
    return not (
        0xD800 <= c <= 0xDFFF
        or 0xFDD0 <= c <= 0xFDEF
        or (c & 0xFFFF) in (0xFFFF, 0xFFFE)
        or c <= 0x08
        or c == 0x0B
        or 0x0E <= c <= 0x1F
        or 0x7F <= c <= 0x9F
        or c > 0x10FFFF
    )


def _unescape_one(m: re.Match[str]) -> str:
    if m.group(1):
        return m.group(1)
    name = m.group(2)
    chars = _HTML5.get(name + ";")
    if chars is not None:
        return chars
    num = _NUMERIC.fullmatch(name)
    if num:
        code = int(num.group(1), 10) if num.group(1) else int(num.group(2), 16)
        if _valid_code(code):
            return chr(code)
    return m.group(0)


def _decode_info(raw: str) -> tuple[str, str | None]:
    """The info string (escapes decoded, trimmed) and its first word, if any."""
    info = raw
    if "\\" in info or "&" in info:
        info = _UNESCAPE.sub(_unescape_one, info)
    info = info.strip(_TRIM)
    return info, (_TRIM_RE.split(info, maxsplit=1)[0] if info else None)


def _nonspace(s: str, pos: int, col: int) -> tuple[int, int]:
    """Skip spaces and tabs from ``pos`` (at column ``col``): (position, column)."""
    end = _WS.match(s, pos).end()  # type: ignore[union-attr]
    if end == pos:
        return pos, col
    if "\t" not in s[pos:end]:
        return end, col + end - pos
    for c in s[pos:end]:
        col = col + 1 if c == " " else col + 4 - col % 4
    return end, col


def _advance(s: str, pos: int, col: int, count: int) -> tuple[int, int]:
    """Advance ``count`` columns; a tab may be consumed partly (pos stays on it)."""
    n = len(s)
    while count > 0 and pos < n:
        if s[pos] == "\t":
            width = 4 - col % 4
            if width > count:
                return pos, col + count
            col += width
            count -= width
        else:
            col += 1
            count -= 1
        pos += 1
    return pos, col


def _strip(s: str, pos: int, col: int, cols: int) -> str:
    """``s[pos:]`` minus up to ``cols`` columns of leading spaces and tabs.

    A tab that straddles the limit becomes the spaces left of it, as
    markdown-it's getLines does.
    """
    n = len(s)
    start = col
    while pos < n and col - start < cols:
        c = s[pos]
        if c == " ":
            col += 1
        elif c == "\t":
            col += 4 - col % 4
        else:
            break
        pos += 1
    extra = col - start - cols
    return " " * extra + s[pos:] if extra > 0 else s[pos:]


def _released_line_changed(line: str) -> None:
    """A line released as text was not text at its end: a bug in ``_scan``.

    Leaving the block structure as it is beats a crash in the middle of a
    stream; the tests replace this with a failure.
    """


class _Container:
    """An open block quote (``quote``) or list item (content at ``width`` columns)."""

    __slots__ = ("has_content", "quote", "width")

    def __init__(self, quote: bool, width: int, has_content: bool) -> None:
        self.quote = quote
        self.width = width
        self.has_content = has_content


#: Where a scan of a held line start stopped, to go on from there when more of
#: the line comes: the state at the start of the container or new block it was
#: in the middle of (pos and bpos count from the line start).
#: (pos, col, bpos, bcol, matched, in new blocks, cont_para, maybe_lazy)
_Cursor = tuple[int, int, int, int, int, bool, bool, bool]


class _Plan:
    """What ``_scan`` found a line (or its start) to be."""

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
        self.kind = kind
        self.ended = ended  # the open fence ended before this line (its container did)
        self.matched = 0
        self.lazy = False
        self.blank = False
        self.new: list[tuple[bool, int]] = []
        self.leaf = _NONE
        self.html = 0
        self.base_pos = 0
        self.base_col = 0
        self.prefix = 0
        self.strip = 0
        self.fence_char = ""
        self.fence_len = 0
        self.info_pos = 0


class CodeBlocks:
    """Find the fenced code blocks of a Markdown stream, and the text around them.

    >>> cb = CodeBlocks()
    >>> cb.feed("Try:\\n```py")
    [TextDelta(text='Try:\\n')]
    >>> cb.feed("thon\\nprint(1)\\n``")
    [CodeBlockStart(index=0, lang='python', info='python', fence='```python\\n'), \
CodeDelta(index=0, text='print(1)\\n', raw='print(1)\\n', events=[])]
    >>> cb.feed("`\\nDone.")
    [CodeBlockDone(index=0, lang='python', info='python', code='print(1)\\n', closed=True, \
fence='```\\n', error=None), TextDelta(text='Done.')]
    >>> cb.close()
    []

    Blocks follow CommonMark (https://spec.commonmark.org/0.31.2/#fenced-code-blocks)
    with markdown-it-py as the reference: a fence is 3 or more backticks or
    tildes indented up to 3 spaces; a backtick fence's info string has no
    backtick; the closing fence uses the same character, is at least as long
    and has nothing but spaces after it. Fences inside block quotes and list
    items count, with the quote markers and the item's indentation removed
    from the code; fences inside HTML blocks and indented code do not. A block
    whose container ends (an outdented line after a block in a list item),
    or that the text ends inside, is done with ``closed=False``.

    Streaming: prose streams out as :class:`TextDelta` and code as
    :class:`CodeDelta` as soon as it cannot be part of a fence line. Only the
    start of a line that could still become a closing fence (``"  ``"``) is
    held back, never a whole code line; an opening fence line is held until
    its line ending, because its info string runs to there; and none is held
    for more than ``max_hold`` characters (see below). Each block gets at
    most one :class:`CodeDelta` per :meth:`feed`. Line endings ``\\n``,
    ``\\r\\n`` and ``\\r`` are all accepted (a ``\\r`` at the end of a chunk
    waits for the next one) and kept as they are in the code.

    Every character of the input comes out exactly once: joining, in event
    order, ``TextDelta.text``, ``CodeBlockStart.fence``, ``CodeDelta.raw`` and
    ``CodeBlockDone.fence`` gives back the input. ``CodeBlockStart.fence`` is
    the opening line from the fence's own indentation on; block-quote markers
    and list indentation before it are prose (a :class:`TextDelta`).
    ``CodeDelta.raw`` is the content lines as received, with the quote
    markers and indentation that ``CodeDelta.text`` drops;
    ``CodeBlockDone.fence`` is the whole closing line. A last line with no
    line ending and nothing but quote markers and spaces is not code (as in
    markdown-it): the block ends before it and it comes out as text.

    Args:
        languages: report only blocks whose language (the info string's first
            word) is one of these, compared case-insensitively; ``""`` stands
            for blocks without one. The other blocks come out as
            :class:`TextDelta`, fence lines included, as if they were prose;
            they still use up an ``index``, so a block's index is its position
            among all fenced blocks of the text, whatever the filter.
        json: parse the content of ``json`` blocks with :class:`JsonStream`:
            each :class:`CodeDelta` of such a block carries the JSON events
            its text completes in ``events``, and the block's
            :class:`CodeBlockDone` carries the :class:`ParseError` that
            stopped the JSON (bad JSON, or unfinished when the block ended)
            in ``error``. An error never stops the code from streaming. A root
            number still open when an unclosed block ends completes in a last
            :class:`CodeDelta` with empty text.
        max_hold: longest partial line held back (see above). A line
            longer than this is never a fence line, a documented difference
            from CommonMark for absurd lines: once ``max_hold + 1``
            characters of a line leave it undecided, it is taken for what it
            would be if it ended there, a fence excluded (text, or a code line
            of the open block), and it streams out like any other line, under
            every chunking alike. Nothing is lost and nothing is raised.
        max_nesting: deepest nesting of block quotes and list items.

    Raises (from :meth:`feed` and :meth:`close`):
        LimitExceededError: containers nested past ``max_nesting``
            (``ErrorKind.DEPTH_LIMIT``). The parser then raises the same
            error on every later call.
    """

    def __init__(
        self,
        *,
        languages: Iterable[str] | None = None,
        json: bool = False,
        max_hold: int = DEFAULT_MAX_HOLD,
        max_nesting: int = DEFAULT_MAX_NESTING,
    ) -> None:
        if isinstance(languages, str):
            raise TypeError("languages must be a collection of names, not one string")
        self._languages = (
            None if languages is None else frozenset(name.lower() for name in languages)
        )
        self._json = json
        self._max_hold = check_limit("max_hold", max_hold)
        self._max_nesting = check_limit("max_nesting", max_nesting)
        # block structure
        self._stack: list[_Container] = []
        self._leaf = _NONE
        self._html = 0
        # the open fence
        self._fchar = ""
        self._flen = 0
        self._fstrip = 0
        self._index = -1
        self._next_index = 0
        self._lang: str | None = None
        self._info = ""
        self._muted = False
        self._code: list[str] = []
        self._jstream: JsonStream | None = None
        self._jerror: ParseError | None = None
        # the current line
        self._pending = ""  # held: the line so far (head mode) or a lone trailing "\r"
        self._mode = _M_HEAD
        self._keep: list[str] = []  # a released prose line, kept for its line-end rules
        self._keep_len = 0
        self._overflow = False  # the kept line passed max_hold; _keep has its start
        self._ovf_skel: str | None = None  # the rest, runs cut to 3; None once it is long
        self._ovf_ends = 0  # bit i: _HTML_END[i] matched in the overflow
        self._ovf_tail = ""
        # a held line start (head mode): the pieces before the window ``_pending``
        # (which runs from ``_win_at``, where the next scan resumes) and the
        # pieces after it that ``_hold_re`` let through unscanned
        self._held: list[str] = []
        self._win_at = 0
        self._more: list[str] = []
        self._held_len = 0  # the held line's length, a trailing "\r" not counted
        self._cursor: _Cursor | None = None
        self._hold_re: re.Pattern[str] | None = None
        self._no_fence = False  # the line passed max_hold undecided: not a fence line
        # position, for errors
        self._line_no = 1
        self._line_start = 0
        self._released = 0  # characters of the current line already out
        # output
        self._out: list[Event] = []
        self._text_parts: list[str] = []
        self._code_parts: list[str] = []
        self._raw_parts: list[str] = []
        self._closed = False
        self._error: ParseError | None = None

    # --- public API --------------------------------------------------------------

    def feed(self, text: str, /) -> list[Event]:
        """Parse the next chunk; return the events it completes, in order.

        ``feed("")`` does nothing; only :meth:`close` ends the text.

        Raises:
            LimitExceededError: see the class docstring.
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            raise RuntimeError("feed() after close(): this CodeBlocks has ended")
        if not text:
            return []
        mode = self._mode
        if mode != _M_HEAD and not self._pending and _EOL.search(text) is None:
            # The common case: more of a line already being released.
            self._released += len(text)
            if mode == _M_TEXT:
                self._keep_add(text)
                return [TextDelta(text)]
            if self._muted:
                return [TextDelta(text)]
            return [self._code_delta(text, text)]
        try:
            if self._held_len and not self._pending.endswith("\r") and _EOL.search(text) is None:
                self._grow(text)  # more of a held line start
            else:
                held = self._take_held() if self._pending or self._held_len else ""
                # (the held text has no line ending, but for a last "\r")
                self._run(held + text, len(held) - held.endswith("\r"))
        except ParseError as exc:
            self._error = exc
            raise
        return self._take()

    def close(self) -> list[Event]:
        """End the text: finish the last line and any open block (``closed=False``).

        Raises:
            LimitExceededError: see the class docstring.
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            return []
        self._closed = True
        try:
            self._finish()
        except ParseError as exc:
            self._error = exc
            raise
        return self._take()

    # --- the stream, line by line --------------------------------------------------

    def _run(self, data: str, start: int) -> None:
        """Split ``data`` into lines; it has no line ending before ``start``."""
        pos = 0
        n = len(data)
        search = _EOL.search
        line_done = self._line_done
        while True:
            m = search(data, start)
            if m is None:
                break
            e = m.start()
            if data[e] == "\r":
                if e + 1 == n:
                    break  # "\r" or "\r\n": the next chunk tells
                end = e + 2 if data[e + 1] == "\n" else e + 1
            else:
                end = e + 1
            line_done(data[pos:e], data[e:end])
            start = pos = end
        if pos < n:
            self._line_part(data, pos)

    def _finish(self) -> None:
        pending = self._take_held()
        if pending == "\r" and self._mode != _M_HEAD:
            self._line_done("", "\r")
        elif pending.endswith("\r"):
            self._line_done(pending[:-1], "\r")
        elif self._mode != _M_HEAD:
            self._line_done("", "")
        elif pending:
            plan = self._scan(pending, True)
            if plan is not None and plan.kind == _CODE and _WS.fullmatch(pending, plan.base_pos):
                # A last line with no line ending and nothing but container
                # markers and spaces is not part of a block (markdown-it).
                self._end_fence(closed=False, fence="")
                self._emit_text(pending)
            else:
                self._line_done(pending, "")
        self._end_fence(closed=False, fence="")
        self._flush()

    def _line_part(self, data: str, pos: int) -> None:
        """The text after the last line ending of a chunk: release what is safe."""
        cr = data[-1] == "\r"
        part = data[pos:-1] if cr else data[pos:]
        mode = self._mode
        if mode == _M_TEXT:
            self._released += len(part)
            self._emit_text(part)
            self._keep_add(part)
        elif mode == _M_CODE:
            self._released += len(part)
            self._emit_code(part, part)
        else:
            self._judge(part, len(part))
            if self._mode == _M_HEAD:
                self._pending += "\r" if cr else ""
                return
        self._pending = "\r" if cr else ""

    def _grow(self, text: str) -> None:
        """More of a held line start, with no line ending in it."""
        size = self._held_len + len(text)
        hold = self._hold_re
        if hold is not None and size <= self._max_hold and hold.fullmatch(text):
            self._more.append(text)  # still held, for the reason the last scan found
            self._held_len = size
            return
        more = self._more
        window = self._pending + ("".join(more) if more else "") + text
        self._more = []
        self._judge(window, size)

    def _judge(self, window: str, size: int) -> None:
        """Release the held line start if it is decided; else keep holding it.

        ``window`` is the line from ``_win_at`` (where the last scan of it
        stopped) to its end so far, ``size`` the line's length.
        """
        if size > self._max_hold:
            line = "".join(self._held) + window
            self._release(self._decide_long(line), line)
            return
        self._hold_re = None
        plan = self._scan(window, False, self._cursor, self._win_at)
        if plan is not None:
            self._release(plan, "".join(self._held) + window if self._held else window)
            return
        if self._hold_re is None and window.endswith((" ", "\t")):
            self._hold_re = _HOLD_TRAIL  # undecided spaces stay so while spaces follow
        assert self._cursor is not None
        cut = self._cursor[0] - self._win_at  # the next scan starts there
        if cut:
            self._held.append(window[:cut])
            window = window[cut:]
            self._win_at += cut
        self._pending = window
        self._held_len = size

    def _decide_long(self, line: str) -> _Plan:
        """What a line longer than ``max_hold`` is, judged on its first ``max_hold + 1`` characters.

        If they leave it undecided (it could still be a fence line), it is not
        one: it is what it would be if it ended there, a fence excluded, so
        that the answer does not depend on where the chunks were cut.
        """
        head = line[: self._max_hold + 1]
        plan = self._scan(head, False)
        if plan is None:
            self._no_fence = True
            plan = self._scan(head, True)
            assert plan is not None and (plan.kind == _TEXT or plan.kind == _CODE)
        return plan

    def _release(self, plan: _Plan, line: str) -> None:
        """Release a held line start that ``plan`` decided; the rest of the line streams."""
        self._forget_held()
        self._hold_re = None
        self._released = len(line)
        if plan.ended:
            self._end_fence(closed=False, fence="")
        if plan.kind == _TEXT:
            self._emit_text(line)
            self._keep_add(line)
            self._mode = _M_TEXT
        else:  # _CODE
            code = _strip(line, plan.base_pos, plan.base_col, self._fstrip)
            self._emit_code(code, line)
            self._mode = _M_CODE

    def _take_held(self) -> str:
        """The held text, whole (a held line start, or a lone "\r"), and forget it."""
        pending = self._pending
        if self._held or self._more:
            pending = "".join(self._held) + pending + "".join(self._more)
        self._forget_held()
        return pending

    def _forget_held(self) -> None:
        self._pending = ""
        self._held = []
        self._more = []
        self._win_at = 0
        self._held_len = 0
        self._cursor = None

    def _line_done(self, rest: str, eol: str) -> None:
        """A line ended; ``rest`` is its text not yet released, without ``eol``."""
        mode = self._mode
        self._line_no += 1
        if mode == _M_HEAD and len(rest) > self._max_hold:
            # Decided as if it had come in pieces, and so judged at its end as they would be.
            self._release(self._decide_long(rest), rest)
            mode = self._mode
            rest = ""
        if mode == _M_CODE:
            self._emit_code(rest + eol, rest + eol)
        elif mode == _M_TEXT:
            self._emit_text(rest + eol)
            self._keep_add(rest)
            line = "".join(self._keep)
            if self._overflow:
                # What the line-end rules (blank, setext, thematic break) need of the rest.
                line += "\x00" if self._ovf_skel is None else self._ovf_skel
            plan = self._scan(line, True)
            if plan is not None and plan.kind == _TEXT:
                self._apply(plan)
            else:  # pragma: no cover - a bug, not bad input
                _released_line_changed(line)
            self._keep = []
            self._keep_len = 0
            self._overflow = False
        else:
            self._hold_re = None
            plan = self._scan(rest, True)
            assert plan is not None
            if plan.ended:
                self._end_fence(closed=False, fence="")
            kind = plan.kind
            if kind == _CODE:
                code = _strip(rest, plan.base_pos, plan.base_col, self._fstrip) + eol
                self._emit_code(code, rest + eol)
            elif kind == _TEXT:
                self._emit_text(rest + eol)
                self._apply(plan)
            elif kind == _CLOSE:
                self._end_fence(closed=True, fence=rest + eol)
            else:  # _OPEN
                self._apply(plan)
                self._emit_text(rest[: plan.prefix])
                self._open_fence(plan, rest, eol)
        self._mode = _M_HEAD
        self._no_fence = False
        self._hold_re = None
        self._line_start += self._released + len(rest) + len(eol)
        self._released = 0

    def _keep_add(self, part: str) -> None:
        if not part:
            return
        if self._overflow:
            skel = self._ovf_skel
            # (more of the run the skeleton ends with, already cut to 3, changes nothing)
            if skel is not None and not (skel.endswith(part[0] * 3) and not part.strip(part[0])):
                skel = _RUNS.sub(r"\1\1\1", skel + part)
                self._ovf_skel = skel if len(skel) <= 64 else None
            probe = self._ovf_tail + part
            for i, end in enumerate(_HTML_END):
                if end.search(probe):
                    self._ovf_ends |= 1 << i
            self._ovf_tail = probe[-16:]
            return
        room = self._max_hold - self._keep_len
        if len(part) <= room:
            self._keep.append(part)
            self._keep_len += len(part)
            return
        # A very long prose line: keep its start, and only what its line-end rules need of the rest.
        self._keep.append(part[:room])
        self._keep_len = self._max_hold
        self._overflow = True
        self._ovf_skel = ""
        self._ovf_ends = 0
        self._ovf_tail = part[max(0, room - 16) : room]
        self._keep_add(part[room:])

    # --- the block structure -------------------------------------------------------

    def _scan(self, s: str, eol: bool, at: _Cursor | None = None, off: int = 0) -> _Plan | None:
        """Classify line ``s`` (without its ending); ``None`` if its start must wait.

        With ``eol`` False, ``s`` is the line so far, and the answer is only
        what is already certain: ``_TEXT`` or ``_CODE``, or ``None`` while the
        line could still be a fence line; ``None`` leaves in ``_cursor`` where
        the line is still undecided. A later scan of the same line, longer,
        goes on from there with ``at``: ``s`` is then the line from ``off`` on
        (``off`` at most ``at``'s position), so that a line start fed one
        character at a time is not read again from its start every time.
        With ``eol`` True (never resumed), the plan also says what the line
        does to the block structure.
        """
        stack = self._stack
        leaf = self._leaf
        plan: _Plan | None = None
        n = len(s)
        if at is None:
            if not stack and leaf == _FENCE:
                first = s[:1]
                if first and first != " " and first != "\t" and first != self._fchar:
                    return _Plan(_CODE, False)  # the common case: a code line at the top level
            pos = col = 0
            bpos = bcol = 0  # where the content after the last ">" starts (from the line start)
            matched = 0
            blocks = cont_para = maybe_lazy = False
        else:
            pos, col, bpos, bcol, matched, blocks, cont_para, maybe_lazy = at
            pos -= off
        if not blocks:
            for i in range(matched, len(stack)):
                c = stack[i]
                fpos, fcol = _nonspace(s, pos, col)
                if fpos == n:
                    if not eol:
                        if not c.quote and c.has_content and fcol - col >= c.width:
                            pos, col = _advance(s, pos, col, c.width)
                            matched += 1
                            continue
                        return self._wait(pos + off, col, bpos, bcol, matched)
                    if c.quote or not c.has_content:
                        break
                    pos, col = fpos, fcol
                elif c.quote:
                    if s[fpos] != ">":
                        break
                    if fpos + 1 == n and not eol:
                        return self._wait(pos + off, col, bpos, bcol, matched)
                    pos, col = fpos + 1, fcol + 1
                    if pos < n and (s[pos] == " " or s[pos] == "\t"):
                        pos, col = _advance(s, pos, col, 1)
                    bpos, bcol = pos + off, col
                elif fcol - col >= c.width:
                    pos, col = _advance(s, pos, col, c.width)
                else:
                    break
                matched += 1
        all_matched = matched == len(stack)
        ended = leaf == _FENCE and not all_matched

        if not blocks and all_matched:
            if leaf == _FENCE:
                fpos, fcol = _nonspace(s, pos, col)
                if fpos == n:
                    if not eol:
                        return self._wait(pos + off, col, bpos, bcol, matched)
                elif fcol - col <= 3 and s[fpos] == self._fchar and not self._no_fence:
                    run_end = _RUN[self._fchar].match(s, fpos).end()  # type: ignore[union-attr]
                    if run_end == n and not eol:
                        self._hold_re = _RUN[self._fchar]
                        return self._wait(pos + off, col, bpos, bcol, matched)
                    if run_end - fpos >= self._flen:
                        trail_end = _WS.match(s, run_end).end()  # type: ignore[union-attr]
                        if trail_end == n:
                            if not eol:
                                self._hold_re = _HOLD_TRAIL
                                return self._wait(pos + off, col, bpos, bcol, matched)
                            return _Plan(_CLOSE, False)
                plan = _Plan(_CODE, False)
                plan.base_pos = bpos
                plan.base_col = bcol
                return plan
            if leaf == _HTML:
                fpos, _ = _nonspace(s, pos, col)
                if not eol:
                    if fpos < n:
                        return _Plan(_TEXT, False)
                    return self._wait(pos + off, col, bpos, bcol, matched)
                plan = _Plan(_TEXT, False)
                plan.matched = matched
                plan.leaf = _HTML
                plan.html = self._html
                if fpos == n:
                    plan.blank = True
                    if self._html >= 6:
                        plan.leaf = _NONE
                elif self._html_ends(s, fpos, self._html):
                    plan.leaf = _NONE
                return plan
            if leaf == _ICODE:
                fpos, fcol = _nonspace(s, pos, col)
                if fpos == n and not eol:
                    return self._wait(pos + off, col, bpos, bcol, matched)
                if fcol - col >= 4 or fpos == n:
                    plan = _Plan(_TEXT, False)
                    plan.matched = matched
                    plan.leaf = _ICODE
                    plan.blank = fpos == n
                    return plan
            elif leaf == _PARA:
                cont_para = True

        if not blocks:
            maybe_lazy = leaf == _PARA
        if eol and maybe_lazy and not all_matched:
            fpos, fcol = _nonspace(s, pos, col)
            if fpos < n:
                if not self._ends_paragraph(s, fpos, fcol, matched, col):
                    plan = _Plan(_TEXT, False)
                    plan.lazy = True
                    return plan
                maybe_lazy = False

        # New blocks, as cmark's open_new_blocks, for what follows the matched containers.
        new: list[tuple[bool, int]] = []
        kind = _PARA
        html = 0
        blank = False
        while True:
            fpos, fcol = _nonspace(s, pos, col)
            indent = fcol - col
            if fpos == n:
                if not eol:  # spaces only so far (and a last such line is no line at all)
                    return self._wait(
                        pos + off, col, bpos, bcol, matched, True, cont_para, maybe_lazy
                    )
                blank = True
                break
            if indent >= 4:
                if not eol:
                    return _Plan(_TEXT, ended)
                kind = _PARA if maybe_lazy else _ICODE
                break
            ch = s[fpos]
            if ch == ">":
                if fpos + 1 == n and not eol:
                    return self._wait(
                        pos + off, col, bpos, bcol, matched, True, cont_para, maybe_lazy
                    )
                pos, col = fpos + 1, fcol + 1
                if pos < n and (s[pos] == " " or s[pos] == "\t"):
                    pos, col = _advance(s, pos, col, 1)
                bpos, bcol = pos + off, col
                new.append((True, 0))
                cont_para = maybe_lazy = False
                continue
            if (ch == "`" or ch == "~") and not self._no_fence:
                run_end = _RUN[ch].match(s, fpos).end()  # type: ignore[union-attr]
                if run_end == n and not eol:
                    self._hold_re = _RUN[ch]
                    return self._wait(
                        pos + off, col, bpos, bcol, matched, True, cont_para, maybe_lazy
                    )
                if run_end - fpos >= 3 and (ch == "~" or s.find("`", run_end) < 0):
                    if not eol:
                        self._hold_re = _HOLD_INFO[ch]
                        return self._wait(
                            pos + off, col, bpos, bcol, matched, True, cont_para, maybe_lazy
                        )
                    plan = _Plan(_OPEN, ended)
                    plan.prefix = pos + off
                    plan.strip = fcol - bcol
                    plan.fence_char = ch
                    plan.fence_len = run_end - fpos
                    plan.info_pos = run_end + off
                    kind = _FENCE
                    break
                if not eol:
                    return _Plan(_TEXT, ended)
                break
            if ch == "-" or ch == "*" or ch == "+" or "0" <= ch <= "9":
                if eol:
                    if cont_para and ch == "-" and _SETEXT.fullmatch(s, fpos):
                        kind = _NONE  # a setext underline: the paragraph becomes a heading
                        break
                    if ch != "+" and _HR.fullmatch(s, fpos):
                        kind = _NONE
                        break
                # A list marker? (A thematic break or setext underline has no
                # fence in it, so going on as if this were a marker is safe
                # for a partial line.)
                if ch <= "9" and ch >= "0":
                    m = _ORDERED.match(s, fpos)
                    if m is None:
                        if eol:
                            break
                        digits = _DIGITS.match(s, fpos).end() - fpos  # type: ignore[union-attr]
                        if fpos + digits == n and digits < 10:  # may still be a marker
                            return self._wait(
                                pos + off, col, bpos, bcol, matched, True, cont_para, maybe_lazy
                            )
                        return _Plan(_TEXT, ended)
                    mend = m.end()
                    if cont_para and m.group()[:-1].lstrip("0") != "1":
                        if not eol:
                            return _Plan(_TEXT, ended)
                        break
                else:
                    mend = fpos + 1
                if mend < n:
                    if s[mend] != " " and s[mend] != "\t":
                        if not eol:
                            return _Plan(_TEXT, ended)
                        break
                elif not eol:
                    return self._wait(
                        pos + off, col, bpos, bcol, matched, True, cont_para, maybe_lazy
                    )
                mcol = fcol + mend - fpos
                cpos, ccol = _nonspace(s, mend, mcol)
                spaces = ccol - mcol
                if cpos == n:
                    if not eol:
                        return self._wait(
                            pos + off, col, bpos, bcol, matched, True, cont_para, maybe_lazy
                        )
                    if cont_para:
                        break  # an empty item cannot interrupt a paragraph
                # the item's content column, from the column its parent's content starts at
                if cpos == n or spaces >= 5:
                    pos, col = _advance(s, mend, mcol, 1)
                    width = mcol + 1 - (fcol - indent)
                else:
                    pos, col = cpos, ccol
                    width = ccol - (fcol - indent)
                new.append((False, width))
                cont_para = maybe_lazy = False
                continue
            if not eol:
                return _Plan(_TEXT, ended)
            if ch == "#":
                if _ATX.match(s, fpos):
                    kind = _NONE
                break
            if ch == "<":
                line = s[fpos:]
                for i, start in enumerate(_HTML_START):
                    if start.match(line):
                        html = i + 1
                        break
                else:
                    if not maybe_lazy and _HTML_START_7.match(line):
                        html = 7
                if html:
                    kind = _HTML
                break
            if ch == "=" and cont_para and _SETEXT.fullmatch(s, fpos):
                kind = _NONE
                break
            if ch == "_" and _HR.fullmatch(s, fpos):
                kind = _NONE
            break

        if plan is None:
            if not eol:  # pragma: no cover - every partial path returned above
                raise AssertionError("partial line fell through")
            plan = _Plan(_TEXT, ended)
        plan.matched = matched
        plan.new = new
        plan.blank = blank
        plan.base_pos = bpos
        plan.base_col = bcol
        if blank:
            plan.leaf = _NONE
        elif kind == _PARA:
            if not all_matched and not new and leaf == _PARA:
                plan.lazy = True
            plan.leaf = _PARA
        elif kind == _HTML:
            plan.leaf = _NONE if self._html_ends(s, fpos, html) else _HTML
            plan.html = html
        else:
            plan.leaf = kind
        return plan

    def _wait(
        self,
        pos: int,
        col: int,
        bpos: int,
        bcol: int,
        matched: int,
        blocks: bool = False,
        cont_para: bool = False,
        maybe_lazy: bool = False,
    ) -> _Plan | None:
        """The line start is undecided: ``None``; the next scan of it goes on from here."""
        self._cursor = (pos, col, bpos, bcol, matched, blocks, cont_para, maybe_lazy)
        return None

    def _html_ends(self, s: str, pos: int, html: int) -> bool:
        """Whether line ``s`` holds the end of an HTML block of kind 1 to 5."""
        if html > 5:
            return False
        if _HTML_END[html - 1].search(s, pos):
            return True
        return self._overflow and bool(self._ovf_ends >> (html - 1) & 1)

    def _ends_paragraph(self, s: str, fpos: int, fcol: int, matched: int, col: int) -> bool:
        """Whether a line that failed to match all containers ends the paragraph.

        Otherwise it is a lazy continuation line. This is markdown-it's rule,
        not cmark's: the outermost unmatched block quote decides with the
        line's indentation from the quote's parent; past it the line counts
        as unindented, so any block start ends the deeper quotes; with no
        unmatched quote the paragraph decides, indentation counted from the
        innermost list item.
        """
        ch = s[fpos]
        term = False
        marker = False
        if ch == ">" or (ch == "#" and _ATX.match(s, fpos)):
            term = True
        elif (ch == "`" or ch == "~") and not self._no_fence:
            run_end = _RUN[ch].match(s, fpos).end()  # type: ignore[union-attr]
            term = run_end - fpos >= 3 and (ch == "~" or s.find("`", run_end) < 0)
        elif ch == "<":
            line = s[fpos:]
            term = any(start.match(line) for start in _HTML_START)
        elif ch in "-*_+" or "0" <= ch <= "9":
            if ch != "+" and _HR.fullmatch(s, fpos):
                term = True
            elif ch <= "9" and ch >= "0":
                m = _ORDERED.match(s, fpos)
                end = m.end() if m else -1
                marker = end > 0 and (end == len(s) or s[end] in " \t")
            elif ch != "_":
                marker = fpos + 1 == len(s) or s[fpos + 1] in " \t"
        if not term and not marker:
            return False
        parent = col  # content column of the unmatched container's parent
        grand = -1
        stack = self._stack
        for i in range(matched, len(stack)):
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

    def _apply(self, plan: _Plan) -> None:
        """Apply a whole line's plan to the open containers and leaf."""
        if plan.lazy:
            return
        stack = self._stack
        if plan.matched < len(stack):
            del stack[plan.matched :]
        if stack and (plan.new or not plan.blank):
            stack[-1].has_content = True
        if plan.new:
            if len(stack) + len(plan.new) > self._max_nesting:
                raise LimitExceededError(
                    ErrorKind.DEPTH_LIMIT,
                    f"block quotes and list items nested deeper than"
                    f" max_nesting={self._max_nesting} (raise max_nesting)",
                    self._line_start,
                    self._line_no - 1,
                    1,
                )
            for quote, width in plan.new:
                stack.append(_Container(quote, width, True))
            last = stack[-1]
            if plan.blank and not last.quote:
                last.has_content = False
        self._leaf = plan.leaf
        self._html = plan.html

    # --- fences and events ---------------------------------------------------------

    def _open_fence(self, plan: _Plan, line: str, eol: str) -> None:
        self._leaf = _FENCE
        self._fchar = plan.fence_char
        self._flen = plan.fence_len
        self._fstrip = plan.strip
        info, lang = _decode_info(line[plan.info_pos :])
        self._index = index = self._next_index
        self._next_index += 1
        self._lang = lang
        self._info = info
        languages = self._languages
        self._muted = languages is not None and (lang or "").lower() not in languages
        self._code = []
        self._jstream = None
        self._jerror = None
        fence = line[plan.prefix :] + eol
        if self._muted:
            self._emit_text(fence)
            return
        if self._json and lang is not None and lang.lower() == "json":
            from ._json_stream import JsonStream

            self._jstream = JsonStream()
        self._emit(CodeBlockStart(index, lang, info, fence))

    def _end_fence(self, *, closed: bool, fence: str) -> None:
        if self._leaf != _FENCE:
            return
        self._leaf = _NONE
        if self._muted:
            self._emit_text(fence)
            return
        self._flush()
        jstream = self._jstream
        if jstream is not None:
            self._jstream = None
            try:
                events = jstream.close()
            except ParseError as exc:
                self._jerror = exc
            else:
                if events:
                    self._out.append(CodeDelta(self._index, "", "", events))
        self._out.append(
            CodeBlockDone(
                self._index,
                self._lang,
                self._info,
                "".join(self._code),
                closed,
                fence,
                self._jerror,
            )
        )

    def _emit_text(self, text: str) -> None:
        if text:
            if self._code_parts:
                self._flush_code()
            self._text_parts.append(text)

    def _emit_code(self, text: str, raw: str) -> None:
        if self._muted:
            self._emit_text(raw)
            return
        if raw:
            if self._text_parts:
                self._flush_text()
            self._code_parts.append(text)
            self._raw_parts.append(raw)

    def _emit(self, event: Event) -> None:
        self._flush()
        self._out.append(event)

    def _flush(self) -> None:
        if self._text_parts:
            self._flush_text()
        if self._code_parts:
            self._flush_code()

    def _flush_text(self) -> None:
        parts = self._text_parts
        self._out.append(TextDelta(parts[0] if len(parts) == 1 else "".join(parts)))
        self._text_parts = []

    def _flush_code(self) -> None:
        parts = self._code_parts
        text = parts[0] if len(parts) == 1 else "".join(parts)
        raws = self._raw_parts
        raw = raws[0] if len(raws) == 1 else "".join(raws)
        self._code_parts = []
        self._raw_parts = []
        self._out.append(self._code_delta(text, raw))

    def _code_delta(self, text: str, raw: str) -> CodeDelta:
        self._code.append(text)
        events: list[JsonEvent] = []
        jstream = self._jstream
        if jstream is not None:
            try:
                events = jstream.feed(text)
            except ParseError as exc:
                self._jerror = exc
                self._jstream = None
                # The events before the error, so that they do not depend on
                # where the chunks were cut.
                events = list(exc.events)
        return CodeDelta(self._index, text, raw, events)

    def _take(self) -> list[Event]:
        self._flush()
        out = self._out
        self._out = []
        return out
