"""The JSON core's number and literal reader.

A number may be cut by any chunk boundary (``12`` of ``123``): its text so far
is kept in ``_pending`` until the character after it shows that it ended.
:meth:`NumberReader._take_number` is the one place that checks
``max_number_length``. Literals (``true``, ``false``, ``null``) are matched
across chunks the same way.
"""

from __future__ import annotations

from typing import Final, NoReturn, TypeVar

from ._compat import mypyc_attr
from ._errors import ErrorKind, LimitExceededError
from ._json_chars import (
    AFTER,
    END,
    LITERAL,
    LITERALS,
    NUMBER,
    NUMBER_CHARS,
    NUMBER_RUN,
    NUMBER_TEXT,
    VALID_NUMBER,
)
from ._json_messages import describe, expected_in_number, valid_number_prefix
from ._json_strings import StringReader

__all__ = ["NumberReader"]

_Out = TypeVar("_Out")

#: The longest rest of a chunk that the token fast path copies to test whether
#: the chunk ends inside the number (a cl100k token is a few characters).
_SHORT_TAIL: Final = 32


@mypyc_attr(allow_interpreted_subclasses=True)
class NumberReader(StringReader[_Out]):
    """Reads the numbers and literals of the document."""

    def _partial_number(self) -> int | float | None:
        """The value of the number the chunk end cut short, if it is a valid number so far."""
        if self._state != NUMBER:
            return None
        number = self._pending
        match = VALID_NUMBER(number)
        if match is None:
            return None
        if match.group(1) or match.group(2):
            return float(number)
        try:
            return int(number)
        except ValueError:  # past sys.get_int_max_str_digits(): it never completes
            return None

    def _read_number(self, text: str, pos: int) -> tuple[int, int]:
        """Read number characters from ``pos``; complete the number if it ends here."""
        if text[pos] not in NUMBER_CHARS:
            end = pos
        elif (
            len(text) - pos <= _SHORT_TAIL
            and not (text[pos:] if pos else text).strip(NUMBER_TEXT)
        ):
            end = len(text)  # the chunk ends inside the number, as tokens often do
        else:
            # Not the tail of a token-sized chunk: never copy the rest of the chunk
            # (a document fed whole would copy it once per number: quadratic).
            end = NUMBER_RUN(text, pos).end()
        number = self._take_number(text[pos:end])
        if end == len(text):
            return end, NUMBER
        self._pending = ""
        return end, self._complete_number(number, end, text[end])

    def _take_number(self, more: str) -> str:
        """Add ``more`` to the number so far and return it; the only length check."""
        number = self._pending + more
        if len(number) > self.max_number_length:
            self._number_too_long()
        self._pending = number
        return number

    def _number_too_long(self) -> NoReturn:
        raise self._too_long(
            "Number longer", "max_number_length", self.max_number_length, self._token_start
        )

    def _close_number(self) -> None:
        """End of stream inside a number: a root number ends here.

        One inside a container was cut short (``[12`` may have been ``[123]``),
        unless it is broken already: a syntax error.
        """
        number = self._pending
        complete = VALID_NUMBER(number) is not None and not self._stack
        if complete or valid_number_prefix(number) < len(number):
            self._pending = ""
            self._state = self._complete_number(number, 0, "")

    def _complete_number(self, number: str, pos: int, following: str) -> int:
        """Convert a finished number; ``pos`` is where the character after it stands."""
        digits = number[1:] if number[0] == "-" else number
        if digits.isdigit() and (digits[0] != "0" or len(digits) == 1):
            is_float = False  # the commonest number, known valid without the regex
        else:
            match = VALID_NUMBER(number)
            if match is None:
                self._bad_number(number, pos, following)
            is_float = bool(match.group(1) or match.group(2))
        try:
            value: int | float = float(number) if is_float else int(number)
        except ValueError:  # more digits than sys.get_int_max_str_digits() allows
            raise self._fail(
                LimitExceededError,
                ErrorKind.NUMBER_LIMIT,
                f"Integer of {len(number)} digits exceeds Python's limit for int conversion; "
                "see sys.set_int_max_str_digits",
                self._token_start,
            ) from None
        self._on_scalar(value)
        return AFTER if self._stack else END

    def _bad_number(self, number: str, pos: int, following: str) -> NoReturn:
        """Raise for a malformed number, at the first character that breaks it."""
        good = valid_number_prefix(number)
        start = pos - len(number)  # relative to the current chunk
        if good < len(number):
            found, at = number[good], start + good
        else:
            found, at = following, pos
        expected = expected_in_number(number[:good])
        raise self._syntax(
            ErrorKind.INVALID_NUMBER,
            f"Invalid number {number[:good]!r}: expected {expected}, found {describe(found)}",
            at,
        )

    def _read_literal(self, text: str, pos: int) -> tuple[int, int]:
        """Match ``true``/``false``/``null`` from ``pos``, possibly across chunks."""
        pending = self._pending
        word, value = LITERALS[pending[0] if pending else text[pos]]
        need = len(word) - len(pending)
        got = text[pos : pos + need]
        seen = pending + got
        if not word.startswith(seen):
            bad = next(i for i, (a, b) in enumerate(zip(seen, word, strict=False)) if a != b)
            raise self._syntax(
                ErrorKind.INVALID_LITERAL,
                f"Invalid literal: expected {word!r}, found {seen[bad]!r}",
                pos - len(pending) + bad,
            )
        if len(got) < need:
            self._pending = seen
            return pos + len(got), LITERAL
        self._pending = ""
        self._on_scalar(value)
        return pos + len(got), (AFTER if self._stack else END)
