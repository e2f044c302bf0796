"""The JSON core's string reader: text runs, escapes, surrogates, the length limit.

Every character of a string is counted by :meth:`StringReader._count`, the
one place that checks ``max_string_length``; each ``feed()``'s text of a
string is kept and reported to ``_on_string`` in one piece by
:meth:`StringReader._report_piece`. Two ways in, over the same state:

- :meth:`StringReader._read_string`, from the core's loop: reads from a
  position up to the closing quote or the chunk end, escape by escape,
  collecting the pieces with :meth:`StringReader._take_text`;
- :meth:`StringReader._read_string_chunk`, the fast path: a chunk that lies
  inside a string without closing it (most chunks of a token stream), taken
  whole, its escapes decoded in one call of :mod:`json`'s C decoder.
"""

from __future__ import annotations

from typing import TypeVar

from ._compat import mypyc_attr
from ._errors import ErrorKind
from ._json_base import CoreBase
from ._json_chars import (
    AFTER,
    BLOCK,
    COLON,
    END,
    ESCAPE,
    HEX_DIGITS,
    HIGH_SURROGATE_FIRST,
    HIGH_SURROGATE_LAST,
    ONLY_STRING_TEXT,
    SIMPLE_ESCAPES,
    STRING,
    STRING_RUN,
    scanstring,
)

__all__ = ["StringReader", "join"]

_Out = TypeVar("_Out")


@mypyc_attr(allow_interpreted_subclasses=True)
class StringReader(CoreBase[_Out]):
    """Reads the strings (values and keys) of the document."""

    def _partial_string(self) -> str | None:
        """The value string in progress so far, or None outside one."""
        if self._in_key or self._state not in (STRING, ESCAPE):
            return None
        return join(self._blocks, self._parts)

    def _open_string(self, pos: int, key: bool) -> int:
        """The opening quote is at ``pos`` of the chunk; return the state inside the string."""
        self._in_key = key
        self._fresh = self._length = 0
        self._string_start = self._pos.base + pos
        return STRING

    def _read_string(self, text: str, pos: int) -> tuple[int, int]:
        """Read the string from ``text[pos]`` on; return where it stopped, and the state.

        Stops after the closing quote (the state after the string) or at the
        end of the chunk (STRING, or ESCAPE inside an escape cut short).
        """
        n = len(text)
        if self._escape:
            pos = self._resume_escape(text, pos)
            if pos < 0:
                return n, ESCAPE
        while pos < n:
            char = text[pos]
            if char != '"' and char != "\\":
                end = STRING_RUN(text, pos).end()
                self._take_text(text[pos:end], end)
                if end == n:
                    break
                pos = end
                char = text[pos]
            if char == '"':
                return pos + 1, self._end_string()
            if char != "\\":
                raise self._syntax(
                    ErrorKind.CONTROL_CHARACTER,
                    f"Invalid control character {char!r} in string; "
                    "expected it escaped (\\n, \\t, \\u00XX)",
                    pos,
                )
            pos = self._read_escape(text, pos)
            if pos < 0:
                return n, ESCAPE
        return n, STRING

    def _read_string_chunk(self, text: str, n: int) -> bool:
        """Fast path: take a chunk inside a string whole, or return False for the loop.

        Taken: text with no quote or backslash (a str method test first, as
        a regex call costs several), or text with escapes that the C decoder
        decodes in one call. Anything out of the ordinary (the string closes
        in this chunk, an error, a high surrogate that may pair with the next
        chunk, the length limit) is left to :meth:`_read_string`, untouched.
        """
        if self._high:
            return False
        if (
            not self._escape
            and '"' not in text
            and "\\" not in text
            and (text.isprintable() or ONLY_STRING_TEXT(text) is not None)
        ):
            self._chunk = text  # for the position of a limit error
            self._count(n, n)
            self._report_piece(text)
        elif '"' not in text or '\\"' in text or self._escape:
            decoded = self._decode_escapes(text)
            if decoded is None:
                return False
            if decoded:
                self._count(len(decoded), n)  # within the limit: _decode_escapes checked
                self._report_piece(decoded)
        else:
            return False
        self._pos.base += n  # no newline can stand inside a string
        return True

    def _decode_escapes(self, text: str) -> str | None:
        """Decode a chunk with escapes (kept: an escape cut short at its end); None to decline."""
        source = self._escape + text if self._escape else text
        cut = len(source)
        # only an escape this close to the end can be cut short
        last = source.rfind("\\", max(0, cut - 6))
        if last >= 0:
            start = last
            while start and source[start - 1] == "\\":
                start -= 1
            if (last - start) % 2 == 0:  # an odd run of backslashes: the last one starts an escape
                if cut - last == 1:
                    cut = last
                elif source[last + 1] == "u" and cut - last < 6:
                    if source[last + 2 :].strip(HEX_DIGITS):
                        return None  # a \\u escape gone wrong: the slow path says where
                    cut = last
        decoded = ""
        if cut:
            try:
                decoded, end = scanstring(source[:cut] + '"', 0)
            except ValueError:  # a control character or a bad escape
                return None
            if end != cut + 1 or HIGH_SURROGATE_FIRST <= decoded[-1:] <= HIGH_SURROGATE_LAST:
                return None  # the string closed in the chunk, or a high surrogate may pair
            if len(decoded) > self.max_string_length - self._length:
                return None  # the slow path says where the limit was passed
        self._escape = source[cut:]
        self._state = ESCAPE if self._escape else STRING
        return decoded

    def _take_text(self, piece: str, end: int) -> None:
        """Add ``piece`` to the string; it ends at ``end`` of the chunk (for a limit error)."""
        if self._high:
            self._flush_high()
        self._parts.append(piece)
        self._count(len(piece), end)

    def _count(self, added: int, end: int) -> None:
        """Count ``added`` characters ending at ``end`` of the chunk; the only length check."""
        self._length += added
        if self._length > self.max_string_length:
            over = self._length - self.max_string_length
            raise self._too_long(
                "String longer",
                "max_string_length",
                self.max_string_length,
                self._pos.base + end - over,
            )

    def _report_string_text(self) -> None:
        """End of a feed() inside a string: report this feed's text in one piece."""
        parts = self._parts
        fresh = self._fresh
        if len(parts) <= fresh:
            return
        if len(parts) - fresh == 1 and len(parts) < BLOCK:
            if not self._in_key:
                self._on_string(parts[-1])
        else:
            piece = "".join(parts[fresh:]) if len(parts) - fresh > 1 else parts[fresh]
            del parts[fresh:]
            self._report_piece(piece)
        self._fresh = len(parts)

    def _report_piece(self, piece: str) -> None:
        """Keep ``piece``, all of this feed's text of the string, and report it."""
        parts = self._parts
        parts.append(piece)
        if len(parts) >= BLOCK:
            # A long string fed one character at a time then costs memory near
            # its size, not a list entry and a string object per character.
            self._blocks.append("".join(parts))
            parts.clear()
        if not self._in_key:
            self._on_string(piece)

    def _end_string(self) -> int:
        """The closing quote was read; report the string and return the next state."""
        if self._high:
            self._flush_high()
        parts = self._parts
        blocks = self._blocks
        fresh = self._fresh
        if self._in_key:
            key = join(blocks, parts)
            parts.clear()
            blocks.clear()
            self._on_key(key)
            return COLON
        if len(parts) > fresh:
            delta = parts[fresh] if len(parts) - fresh == 1 else "".join(parts[fresh:])
            self._on_string(delta)
            value = delta if fresh == 0 and not blocks else join(blocks, parts)
        else:
            value = join(blocks, parts)
        parts.clear()
        blocks.clear()
        self._on_scalar(value)
        return AFTER if self._stack else END

    def _flush_high(self) -> None:
        """A high surrogate was not followed by its low half: keep it alone, as json does."""
        self._parts.append(chr(self._high))
        self._high = 0

    # --- escapes -----------------------------------------------------------------------

    def _read_escape(self, text: str, pos: int, shift: int = 0) -> int:
        """Decode the escape at ``text[pos] == '\\'``; return the position after it.

        Returns -1 when the text ends inside the escape (it is kept in ``_escape``).
        ``shift`` maps positions in ``text`` to positions in the current chunk.
        """
        kind = text[pos + 1 : pos + 2]
        if kind == "u":
            digits = text[pos + 2 : pos + 6]
            if len(digits) == 4:
                self._add_code_point(digits, pos + shift)
                return pos + 6
        elif kind in SIMPLE_ESCAPES:
            self._take_text(SIMPLE_ESCAPES[kind], pos + shift + 1)
            return pos + 2
        elif kind:
            raise self._syntax(
                ErrorKind.INVALID_ESCAPE,
                f"Invalid \\escape {kind!r}; expected one of \" \\ / b f n r t u",
                pos + shift,
            )
        rest = text[pos:]
        self._check_partial_hex(rest, pos + shift)
        self._escape = rest
        return -1

    def _resume_escape(self, text: str, pos: int) -> int:
        """Continue an escape cut short by the previous chunk; -1 if still unfinished."""
        head = self._escape
        self._escape = ""
        joined = head + text[pos : pos + 5]  # an escape is at most 6 characters
        end = self._read_escape(joined, 0, shift=pos - len(head))
        return end if end < 0 else pos + end - len(head)

    def _check_partial_hex(self, escape: str, pos: int) -> None:
        """Reject a cut-short ``\\uXY`` as soon as a non-hex digit shows."""
        if not escape[2:6].strip(HEX_DIGITS):
            return
        for i, char in enumerate(escape[2:6], 2):
            if char not in HEX_DIGITS:
                raise self._syntax(
                    ErrorKind.INVALID_ESCAPE,
                    f"Invalid \\uXXXX escape: found {char!r}, expected a hex digit",
                    pos + i,
                )

    def _add_code_point(self, digits: str, pos: int) -> None:
        """A ``\\uXXXX`` escape at ``pos``: a character, or half of a surrogate pair."""
        if digits.strip(HEX_DIGITS):
            self._check_partial_hex("\\u" + digits, pos)
        code = int(digits, 16)
        high = self._high
        if high:
            self._high = 0
            if 0xDC00 <= code <= 0xDFFF:
                self._parts.append(chr(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)))
                return  # counted as one character when the high half came
            self._parts.append(chr(high))
        if 0xD800 <= code <= 0xDBFF:
            self._high = code
            self._count(1, pos + 1)
        else:
            self._take_text(chr(code), pos + 1)


def join(blocks: list[str], parts: list[str]) -> str:
    """The text of a string kept as blocks and parts, joined in one copy.

    One join, not two and a concatenation: the peak is the pieces plus the
    result, twice the string, not three times.
    """
    if not blocks:
        return "".join(parts)
    return "".join([*blocks, *parts])
