"""Text splitters: whole lines, sentences and words out of streamed text.

The buffers every streaming tutorial writes by hand, done so that the units do
not depend on where the chunks were cut: for any chunking, ``feed()`` and
``close()`` together return exactly the units of the whole text.

Rule 1: each character is scanned once. The only text kept between chunks is
the unfinished unit (as a list of pieces, joined once when the unit ends) and,
for sentences, a few flags about the punctuation that may end it.

Rule 2: a unit is returned as soon as the text shows that it is complete, and
not before: a line at its line break, a word at the whitespace after it, a
sentence when the first character after its closing punctuation (and any
whitespace) arrives. ``close()`` returns the last, unfinished unit.

Every splitter bounds the unit it holds with ``max_length`` (characters) and
raises :class:`~midstream.LimitExceededError` past it, at the same offset under
every chunking; ``None`` removes the bound.
"""

from __future__ import annotations

import re
from typing import Final

from ._errors import ErrorKind, LimitExceededError, ParseError
from ._lifecycle import Lifecycle
from ._options import check_limit
from ._position import Position

__all__ = ["DEFAULT_MAX_UNIT_LENGTH", "Lines", "Sentences", "Words"]

#: The longest line, word or sentence a splitter holds, in characters. No model
#: emits a million characters in one response (128k output tokens are about
#: 500k characters), so only a runaway or hostile stream reaches it.
DEFAULT_MAX_UNIT_LENGTH: Final = 1_000_000


def _check_max_length(max_length: int | None) -> int | None:
    return None if max_length is None else check_limit("max_length", max_length)


class _Splitter(Lifecycle):
    """What every splitter shares: the lifecycle, end of stream, positions.

    A subclass splits in ``_feed(text)`` (never empty) and gives the unit left
    over in ``_flush()``.
    """

    def __init__(self, max_length: int | None) -> None:
        super().__init__()
        self._max = _check_max_length(max_length)
        self._pos = Position()  # its base is where the current chunk starts

    def feed(self, text: str, /) -> list[str]:
        """Split the next piece of text.

        Returns:
            The units (lines, words, sentences) this piece completed, in order.

        Raises:
            LimitExceededError: a unit grew past ``max_length``.
        """
        self._check_open()
        if not text:
            return []
        try:
            out = self._feed(text)
        except ParseError as exc:
            self._poison(exc)
            raise
        self._pos.advance(text, len(text))
        return out

    def close(self) -> list[str]:
        """End the text.

        Returns:
            The last unit, if the text did not end with its terminator.
        """
        if not self._check_close():
            return []
        self._closed = True
        return self._flush()

    def _limit_error(self, text: str, offset: int, unit: str, limit: int) -> LimitExceededError:
        """The unit passed ``max_length`` at ``offset``, in the current chunk ``text``."""
        line, column = self._pos.locate(text, offset)
        return LimitExceededError(
            ErrorKind.SIZE_LIMIT, f"{unit} longer than max_length={limit} characters",
            offset, line, column,
        )

    def _feed(self, text: str) -> list[str]:
        raise NotImplementedError

    def _flush(self) -> list[str]:
        raise NotImplementedError


# --- lines ---------------------------------------------------------------------------

# The characters that end a line for str.splitlines() ("\r\n" counts as one break).
_BREAK_CHARS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


class Lines(_Splitter):
    """Split streamed text into lines, exactly as :meth:`str.splitlines` splits the whole.

    ``\\n``, ``\\r\\n`` and ``\\r`` (and the other boundaries ``splitlines``
    knows: ``\\v``, ``\\f``, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028, U+2029) end a
    line, also when a ``\\r\\n`` is split across chunks. A line comes out at its
    line break; a last line without one comes out at :meth:`close`.

    Args:
        keepends: keep each line's line break, as ``splitlines(keepends=True)``.
            Without it a line ending in ``\\r`` comes out at once; with it, it
            waits for the next character, which may make the break ``\\r\\n``.
        max_length: the longest line, without its break (None: no bound).
            Defaults to :data:`DEFAULT_MAX_UNIT_LENGTH`.
    """

    def __init__(
        self, *, keepends: bool = False, max_length: int | None = DEFAULT_MAX_UNIT_LENGTH
    ) -> None:
        super().__init__(max_length)
        self._keepends = keepends
        self._parts: list[str] = []
        self._plen = 0
        self._start = 0  # offset of the current line
        self._held: str | None = None  # keepends: a line ended by "\r" at a chunk's end
        self._skip_lf = False  # a line ended by "\r" at a chunk's end was returned

    def _flush(self) -> list[str]:
        out = []
        if self._held is not None:
            out.append(self._held)
        if self._parts:
            out.append("".join(self._parts))
        return out

    def _feed(self, text: str) -> list[str]:
        out: list[str] = []
        base = self._pos.base
        i = 0
        if self._held is not None:
            if text[0] == "\n":
                out.append(self._held + "\n")
                i = 1
            else:
                out.append(self._held)
            self._held = None
            self._start = base + i
        elif self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                i = 1
                self._start = base + 1
        if i == len(text):
            return out
        limit = self._max
        keep = self._keepends
        pos = base + i  # offset of the piece
        chunk_end = base + len(text)
        # str.splitlines finds the same breaks as the regex would, at C speed
        for piece in (text[i:] if i else text).splitlines(True):
            end = pos + len(piece)
            last_char = piece[-1]
            if last_char not in _BREAK_CHARS:  # the last piece, whose break has not come yet
                self._parts.append(piece)
                self._plen += len(piece)
                if limit is not None and self._plen > limit:
                    raise self._limit_error(text, self._start + limit, "line", limit)
                break
            if self._parts:
                self._parts.append(piece)
                piece = "".join(self._parts)
                self._parts.clear()
                self._plen = 0
            brk = 2 if piece.endswith("\r\n") else 1
            if limit is not None and len(piece) - brk > limit:
                raise self._limit_error(text, self._start + limit, "line", limit)
            if last_char == "\r" and end == chunk_end:
                if keep:
                    self._held = piece
                else:
                    out.append(piece[:-1])
                    self._skip_lf = True
            else:
                out.append(piece if keep else piece[:-brk])
            self._start = pos = end
        return out


# --- words ---------------------------------------------------------------------------

_WORD = re.compile(r"\S+")  # \s is exactly str.isspace(): str.split()'s words


class Words(_Splitter):
    """Split streamed text into words, exactly as :meth:`str.split` splits the whole.

    A word is a run of non-whitespace characters (whitespace as
    :meth:`str.isspace` defines it); it comes out when the whitespace after it
    arrives, or at :meth:`close`.

    Args:
        max_length: the longest word (None: no bound). Defaults to
            :data:`DEFAULT_MAX_UNIT_LENGTH`.
    """

    def __init__(self, *, max_length: int | None = DEFAULT_MAX_UNIT_LENGTH) -> None:
        super().__init__(max_length)
        self._parts: list[str] = []
        self._plen = 0
        self._start = 0  # offset of the unfinished word

    def _flush(self) -> list[str]:
        return ["".join(self._parts)] if self._parts else []

    def _feed(self, text: str) -> list[str]:
        out: list[str] = []
        limit = self._max
        words = text.split()
        ends_in_word = not text[-1].isspace()
        if self._parts:
            if not text[0].isspace():  # the unfinished word goes on
                self._parts.append(words[0])
                self._plen += len(words[0])
                if limit is not None and self._plen > limit:
                    raise self._limit_error(text, self._start + limit, "word", limit)
                if ends_in_word and len(words) == 1:
                    return out
                words[0] = "".join(self._parts)
            else:
                out.append("".join(self._parts))
            self._parts.clear()
            self._plen = 0
        if limit is not None and words and max(map(len, words)) > limit:
            m = next(m for m in _WORD.finditer(text) if m.end() - m.start() > limit)
            raise self._limit_error(text, self._pos.base + m.start() + limit, "word", limit)
        if ends_in_word:
            last = words.pop()
            self._parts.append(last)
            self._plen = len(last)
            self._start = self._pos.base + len(text) - len(last)
        out += words
        return out


# --- sentences -----------------------------------------------------------------------

_STRONG_STOPS = "!?‼⁇⁈⁉！？"
_CJK_STOPS = "。！？｡"
_TERMINATORS = ".…" + _STRONG_STOPS + _CJK_STOPS
#: May follow the terminator and still belong to the sentence: quotes, brackets,
#: and Markdown emphasis or code ("**Done.**").
_CLOSERS = "\"'”’»›)]}」』）】〕》〉*_`"
#: Stripped from the front of the word before a full stop ("(Dr." is "dr").
_OPENERS = "\"'“‘«‹([{¿¡「『（【〔《〈*_`"

_STRONG_SET = frozenset(_STRONG_STOPS)
_CJK_SET = frozenset(_CJK_STOPS)
_TEXT_STOP = re.compile("[" + re.escape(_TERMINATORS) + "\n\r]")
_AFTER_STOPS = re.compile("[^" + re.escape(_TERMINATORS + _CLOSERS) + "]")
_NON_SPACE = re.compile(r"\S")
_BREAK = re.compile("[\n\r]")
_DOTTED = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")  # "u.s", "a.m", "J.R.R"

#: Words that a full stop follows without ending the sentence, whatever comes
#: next (titles before names, Latin abbreviations, references). "etc." is not
#: here: it ends a sentence when a capital letter follows, and a lowercase
#: word after any full stop already keeps the sentence going.
_ABBREVIATIONS: Final = frozenset(
    str.split(
        "mr mrs ms mx dr prof sr st mt gen col capt cmdr lt sgt rev hon gov sen rep pres supt "
        "fr messrs mmes mme mlle e.g i.e cf viz vs approx ca fig figs eq eqs al incl esp resp "
        "dept univ assn bros"
    )
)
#: Words that a full stop follows without ending the sentence when a digit
#: comes next ("No. 5", "p. 12", "Jan. 3").
_NUMBER_ABBREVIATIONS: Final = frozenset(
    str.split(
        "no nos nr p pp vol vols ch chap sec sect art para ref refs ed pt pts ex op ver v n "
        "jan feb mar apr jun jul aug sep sept oct nov dec"
    )
)
#: Characters of the sentence looked at before a full stop: more than the
#: longest abbreviation, so a longer word is simply not one.
_LOOKBACK: Final = 24


def _skip_to(pattern: re.Pattern[str], text: str, i: int) -> int:
    """Index of the first match of ``pattern`` at or after ``i``, or ``len(text)``."""
    m = pattern.search(text, i)
    return len(text) if m is None else m.start()


# scanner states
_GAP = 0  # between sentences: skipping whitespace
_TEXT = 1  # inside a sentence
_STOPS = 2  # inside a run of terminators and closers
_SPACE_AFTER = 3  # in whitespace after terminators or a line break: undecided


class Sentences(_Splitter):
    """Split streamed text into sentences, each as soon as the text shows it ended.

    A sentence ends after a run of terminators (``.``, ``!``, ``?``, ``…``)
    with any closing quotes or brackets after them, when whitespace follows and
    then a character that is not a lowercase letter. So these do not end one:

    * decimals, versions, URLs, ``e.g.,``: no whitespace after the full stop;
    * common abbreviations (``Dr.``, ``Mr.``, ``e.g.``, ``i.e.``, ``vs.``,
      ``No. 5``), dotted abbreviations and initials (``U.S.``, ``J. R. Smith``);
    * ellipses (``...``, ``…``) and a list number at a line start (``1. Step``);
    * any full stop followed by a lowercase word (``etc. and more``).

    CJK full stops (``。``, ``！``, ``？``) end a sentence without whitespace
    (closing brackets after them stay with it). A blank line ends one too,
    even without a terminator (headings, list blocks). Sentences come out
    without surrounding whitespace; whitespace inside them is kept as it was.
    The last sentence, complete or not, comes out at :meth:`close`.

    A sentence is returned when the first character after it (past the
    whitespace) arrives, since that character decides; what is held back is
    only the unfinished sentence itself, bounded by ``max_length``.

    Args:
        max_length: the longest sentence held, counting any whitespace after it
            that is still undecided (None: no bound). Defaults to
            :data:`DEFAULT_MAX_UNIT_LENGTH`.
    """

    def __init__(self, *, max_length: int | None = DEFAULT_MAX_UNIT_LENGTH) -> None:
        super().__init__(max_length)
        self._state = _GAP
        self._parts: list[str] = []
        self._plen = 0
        self._start = 0  # offset of the current sentence's first character
        # the run of terminators being read, and the word before it
        self._strong = False
        self._cjk = False
        self._ellipsis = False
        self._last_dot = False
        self._word: str | None = None  # as written; None when too long to be an abbreviation
        self._line_start = False  # the word begins its line (or the sentence)
        # the whitespace after it
        self._after_stops = False
        self._breaks = 0
        self._cr_at = -1

    def _flush(self) -> list[str]:
        if self._state == _GAP:
            return []
        sentence = "".join(self._parts).rstrip()
        self._parts.clear()
        return [sentence] if sentence else []

    def _feed(self, text: str) -> list[str]:
        out: list[str] = []
        n = len(text)
        base = self._pos.base
        state = self._state

        seg = 0  # where the current sentence's text in this chunk begins
        i = 0
        while i < n:
            if state == _GAP:
                j = _skip_to(_NON_SPACE, text, i)
                if j == n:
                    break
                self._start = base + j
                seg = i = j
                state = _TEXT
            elif state == _TEXT:
                m = _TEXT_STOP.search(text, i)
                if m is None:
                    break
                i = m.start()
                if text[i] in "\n\r":
                    self._after_stops = False
                    self._breaks = 0
                    state = _SPACE_AFTER
                else:
                    self._begin_stops(text, seg, i)
                    state = _STOPS
            elif state == _STOPS:
                i, state = self._stops(out, text, i, seg)
            else:
                i, state = self._space_after(out, text, i, seg, base)
        self._state = state
        if state != _GAP:
            if seg < n:
                self._parts.append(text[seg:])
                self._plen += n - seg
            self._check(text, base + n)
        return out

    def _stops(self, out: list[str], text: str, i: int, seg: int) -> tuple[int, int]:
        """In a run of terminators and closers at ``text[i]``: where it ends, the state after."""
        j = _skip_to(_AFTER_STOPS, text, i)
        if j > i:
            self._add_stops(text[i:j])
        if j == len(text):
            return j, _STOPS
        if self._cjk:
            self._emit(out, text, seg, j)
            return j, _GAP
        if text[j].isspace():
            self._after_stops = True
            self._breaks = 0
            return j, _SPACE_AFTER
        return j, _TEXT  # "3.14", "e.g.,", "example.com"

    def _space_after(
        self, out: list[str], text: str, i: int, seg: int, base: int
    ) -> tuple[int, int]:
        """In whitespace after terminators or a line break: where it is decided, the state after."""
        j = _skip_to(_NON_SPACE, text, i)
        blank = self._blank_line(text, i, j, base)
        if blank >= 0:
            self._emit(out, text, seg, blank)
            return blank, _GAP
        if j == len(text):
            return j, _SPACE_AFTER
        if self._after_stops and self._ends_sentence(text[j]):
            self._emit(out, text, seg, j)
            return j, _GAP
        return j, _TEXT

    def _check(self, text: str, end: int) -> None:
        """Raise if the undecided sentence, up to offset ``end``, is too long."""
        limit = self._max
        if limit is not None and end - self._start > limit:
            raise self._limit_error(text, self._start + limit, "sentence", limit)

    def _emit(self, out: list[str], text: str, seg: int, end: int) -> None:
        self._check(text, self._pos.base + end)
        if self._parts:
            self._parts.append(text[seg:end])
            sentence = "".join(self._parts)
            self._parts.clear()
            self._plen = 0
        else:
            sentence = text[seg:end]
        out.append(sentence.rstrip())

    def _tail(self, k: int) -> str:
        """The last ``k`` characters (or fewer) of the sentence's earlier pieces."""
        pieces: list[str] = []
        for piece in reversed(self._parts):
            if len(piece) >= k:
                pieces.append(piece[len(piece) - k :])
                break
            pieces.append(piece)
            k -= len(piece)
        return "".join(reversed(pieces))

    def _begin_stops(self, text: str, seg: int, i: int) -> None:
        local = text[seg:i]
        before = self._plen + len(local)
        if len(local) >= _LOOKBACK:
            window = local[-_LOOKBACK:]
        else:
            window = self._tail(_LOOKBACK - len(local)) + local
        word = "" if not window or window[-1].isspace() else window.rsplit(None, 1)[-1]
        if len(word) == len(window) < before:
            self._word = None
        else:
            self._word = word.lstrip(_OPENERS)
            # at a line start: only indentation between the word and a line
            # break, or the word is all the sentence has (the window holds it whole)
            head = window[: len(window) - len(word)].rstrip(" \t")
            self._line_start = head[-1:] in ("\n", "\r") or (not head and len(window) == before)
        self._strong = self._cjk = self._ellipsis = self._last_dot = False

    def _add_stops(self, run: str) -> None:
        if not self._strong and not _STRONG_SET.isdisjoint(run):
            self._strong = True
        if not self._cjk and not _CJK_SET.isdisjoint(run):
            self._cjk = True
        if "…" in run or ".." in run or (self._last_dot and run[0] == "."):
            self._ellipsis = True
        self._last_dot = run[-1] == "."

    def _blank_line(self, text: str, i: int, j: int, base: int) -> int:
        """Count line breaks in ``text[i:j]``; the index of the second one (a blank line), or -1."""
        for m in _BREAK.finditer(text, i, j):
            at = m.start()
            if text[at] == "\n":
                if self._cr_at == base + at - 1:
                    continue  # the "\n" of a "\r\n"
            else:
                self._cr_at = base + at
            self._breaks += 1
            if self._breaks >= 2:
                return at
        return -1

    def _ends_sentence(self, next_char: str) -> bool:
        """Whether the terminators read end the sentence, given the next non-space character."""
        if next_char.islower():
            return False
        if self._strong:
            return True
        if self._ellipsis:
            return False
        word = self._word
        if word is None:
            return True
        lower = word.lower()
        if lower in _ABBREVIATIONS:
            return False
        if next_char.isdigit() and lower in _NUMBER_ABBREVIATIONS:
            return False
        if _DOTTED.fullmatch(word) or (len(word) == 1 and word.isupper() and word != "I"):
            return False  # "U.S.", "a.m.", an initial: "J. Smith"
        # "1. Install it", "\n2. Run it": the number of a list item
        return not (self._line_start and word.isdigit())
