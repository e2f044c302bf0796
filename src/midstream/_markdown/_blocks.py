"""CodeBlocks: the stream, line by line; what each line is comes from ``_classify``.

This module owns the reading of the stream: it cuts it into lines, holds a
line start while it could still be a fence line (``_lines``), releases text
as soon as it cannot be, applies each line's plan to the block structure at
its end, and turns it all into events (``_output``). See the package
docstring for why it is a block parser.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from .._errors import ErrorKind, LimitExceededError, ParseError
from .._events import Event, TextDelta
from .._lifecycle import Lifecycle
from .._options import check_limit
from ._classify import Plan, Structure, classify_line
from ._languages import canonical
from ._lines import HeldLine, KeptLine
from ._output import BlockEvents
from ._syntax import CLOSE, CODE, EOL, TEXT, WS, decode_info, strip

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


# How the rest of a partly released line goes out.
_M_HEAD: Final = 0  # nothing released yet
_M_TEXT: Final = 1
_M_CODE: Final = 2


def _too_deep(max_nesting: int, offset: int, line: int) -> LimitExceededError:
    return LimitExceededError(
        ErrorKind.DEPTH_LIMIT,
        f"block quotes and list items nested deeper than"
        f" max_nesting={max_nesting} (raise max_nesting)",
        offset,
        line,
        1,
    )


def _released_line_changed(line: str) -> AssertionError:
    """The self-check: a line released as text before its end was not text at its end.

    Text is released only when the rest of its line cannot change what it
    is; if the classifier says otherwise at the line end, the events already
    out are wrong, so this is a bug, and it stops the parse.
    """
    return AssertionError(
        "CodeBlocks: a line released as text is not text at its end"
        f" (a bug in the classifier, please report it): {line!r}"
    )


class CodeBlocks(Lifecycle):
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
            word) is one of these, compared case-insensitively and by language,
            as GitHub's linguist names them: ``py``, ``python`` and ``python3``
            match each other, as do ``js``/``javascript``/``node``,
            ``sh``/``bash``/``shell``/``zsh``, ``yml``/``yaml``, ``golang``/``go``,
            ``c++``/``cpp``, ``cs``/``csharp``, ``kt``/``kotlin`` and other
            common aliases; a name not among them matches only itself. ``""``
            stands for blocks without one. The other blocks come out as
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
        names = None if languages is None else frozenset(canonical(name) for name in languages)
        self._max_hold = check_limit("max_hold", max_hold)
        self._max_nesting = check_limit("max_nesting", max_nesting)
        self._blocks = Structure()
        self._events = BlockEvents(names, json)
        # the current line: its start held, or kept once released as prose
        self._line = HeldLine(self._max_hold)
        self._kept = KeptLine(self._max_hold)
        self._mode = _M_HEAD
        self._cr = False  # a "\r" ended the last chunk: a "\n" may follow
        # position, for errors
        self._line_no = 1
        self._line_start = 0
        self._released = 0  # characters of the current line already out
        super().__init__()

    def feed(self, text: str, /) -> list[Event]:
        """Parse the next chunk; return the events it completes, in order.

        ``feed("")`` does nothing; only :meth:`close` ends the text.

        Raises:
            LimitExceededError: see the class docstring.
        """
        self._check_open()
        if not text:
            return []
        mode = self._mode
        if mode != _M_HEAD and not self._cr and EOL.search(text) is None:
            # The common case: more of a line already being released.
            self._released += len(text)
            if mode == _M_TEXT:
                self._kept.add(text)
                return [TextDelta(text)]
            if self._events.muted:
                return [TextDelta(text)]
            return [self._events.code_delta(text, text)]
        line = self._line
        try:
            if line.cursor is not None and not self._cr and EOL.search(text) is None:
                decided = line.grow(self._blocks, text)  # more of a held line start
                if decided is not None:
                    self._release(*decided)
            else:
                held = line.take() if line.cursor is not None else ""
                if self._cr:
                    self._cr = False
                    text = "\r" + text
                # (the held text has no line ending)
                self._run(held + text, len(held))
        except ParseError as exc:
            self._poison(exc)
            raise
        return self._events.take()

    def close(self) -> list[Event]:
        """End the text: finish the last line and any open block (``closed=False``).

        Raises:
            LimitExceededError: see the class docstring.
        """
        if not self._check_close():
            return []
        self._closed = True
        try:
            self._finish()
        except ParseError as exc:
            self._poison(exc)
            raise
        return self._events.take()

    def _run(self, data: str, start: int) -> None:
        """Split ``data`` into lines; it has no line ending before ``start``."""
        pos = 0
        n = len(data)
        search = EOL.search
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
        pending = self._line.take()
        if self._cr:
            self._cr = False
            self._line_done(pending, "\r")
        elif self._mode != _M_HEAD:
            self._line_done("", "")
        elif pending:
            plan = classify_line(self._blocks, pending)
            if plan.kind == CODE and WS.fullmatch(pending, plan.base_pos):
                # A last line with no line ending and nothing but container
                # markers and spaces is not part of a block (markdown-it).
                self._end_fence(closed=False, fence="")
                self._events.text(pending)
            else:
                self._line_done(pending, "")
        self._end_fence(closed=False, fence="")
        self._events.flush()

    def _line_part(self, data: str, pos: int) -> None:
        """The text after the last line ending of a chunk: release what is safe."""
        cr = data[-1] == "\r"
        part = data[pos:-1] if cr else data[pos:]
        mode = self._mode
        line = self._line
        if mode == _M_TEXT:
            self._released += len(part)
            self._events.text(part)
            self._kept.add(part)
        elif mode == _M_CODE:
            self._released += len(part)
            self._events.code(part, part)
        else:
            decided = line.judge(self._blocks, part, len(part))
            if decided is None:
                self._cr = cr
                return
            self._release(*decided)
        self._cr = cr

    def _release(self, plan: Plan, line: str) -> None:
        """Release a line start that ``plan`` decided; the rest of the line streams."""
        self._released = len(line)
        if plan.ended:
            self._end_fence(closed=False, fence="")
        if plan.kind == TEXT:
            self._events.text(line)
            self._kept.add(line)
            self._mode = _M_TEXT
        else:  # CODE
            code = strip(line, plan.base_pos, plan.base_col, self._blocks.fence_strip)
            self._events.code(code, line)
            self._mode = _M_CODE

    def _line_done(self, rest: str, eol: str) -> None:
        """A line ended; ``rest`` is its text not yet released, without ``eol``."""
        mode = self._mode
        self._line_no += 1
        if mode == _M_HEAD and len(rest) > self._max_hold:
            # Decided as if it had come in pieces, and so judged at its end as they would be.
            self._release(self._line.decide_long(self._blocks, rest), rest)
            mode = self._mode
            rest = ""
        if mode == _M_CODE:
            self._events.code(rest + eol, rest + eol)
        elif mode == _M_TEXT:
            self._events.text(rest + eol)
            self._kept.add(rest)
            line, ends = self._kept.take()
            plan = classify_line(self._blocks, line, no_fence=self._line.no_fence, ends=ends)
            if plan.kind != TEXT:
                raise _released_line_changed(line)
            self._apply(plan)
        else:
            self._whole_line(rest, eol)
        self._mode = _M_HEAD
        self._line.no_fence = False
        self._line_start += self._released + len(rest) + len(eol)
        self._released = 0

    def _whole_line(self, rest: str, eol: str) -> None:
        """A line that ended before any of it was released."""
        plan = classify_line(self._blocks, rest)
        if plan.ended:
            self._end_fence(closed=False, fence="")
        kind = plan.kind
        if kind == CODE:
            code = strip(rest, plan.base_pos, plan.base_col, self._blocks.fence_strip) + eol
            self._events.code(code, rest + eol)
        elif kind == TEXT:
            self._events.text(rest + eol)
            self._apply(plan)
        elif kind == CLOSE:
            self._end_fence(closed=True, fence=rest + eol)
        else:  # OPEN
            self._apply(plan)
            self._events.text(rest[: plan.prefix])
            info, lang = decode_info(rest[plan.info_pos :])
            self._events.open(lang, info, rest[plan.prefix :] + eol)

    def _apply(self, plan: Plan) -> None:
        """Apply a whole line's plan to the block structure, within ``max_nesting``."""
        if plan.new and not plan.lazy and plan.matched + len(plan.new) > self._max_nesting:
            raise _too_deep(self._max_nesting, self._line_start, self._line_no - 1)
        self._blocks.apply(plan)

    def _end_fence(self, *, closed: bool, fence: str) -> None:
        if self._blocks.end_fence():
            self._events.done(closed, fence)
