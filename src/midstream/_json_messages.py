"""The JSON core's error messages: what was expected, what was found.

Kept apart from the readers so that the per-character code stays short, and so
that every message is written once. Only error paths call these.
"""

from __future__ import annotations

from typing import Final

from ._json_chars import AFTER, ARRAY_FIRST, COLON, END, KEY, OBJECT, OBJECT_FIRST, VALUE

__all__ = [
    "describe",
    "expected_in_number",
    "limit_message",
    "unexpected_message",
    "unfinished_message",
    "valid_number_prefix",
]

#: Where each state stands, for "expecting X" in messages.
_EXPECTED: Final = {
    VALUE: "a value",
    ARRAY_FIRST: "a value or ']'",
    OBJECT_FIRST: "a property name in double quotes or '}'",
    KEY: "a property name in double quotes",
    COLON: "':' after the property name",
    END: "the end of the document",
}
_DIGITS: Final = "0123456789"


def describe(char: str) -> str:
    """A found character, as a message shows it."""
    return "the end of the stream" if not char else repr(char)


def limit_message(what: str, option: str, limit: int, unit: str) -> str:
    """The message of a limit passed: names the option to raise."""
    return f"{what} than {option}={limit} {unit}; raise {option} to accept it"


def unexpected_message(state: int, stack: list[int], char: str) -> str:
    """The message for ``char`` where ``state`` allows no such character (not at the end)."""
    if state == AFTER:
        closer = "'}'" if stack[-1] == OBJECT else "']'"
        expected = f"',' delimiter or {closer}"
    elif state == COLON:
        expected = "':' delimiter"
    else:
        expected = _EXPECTED[state]
    return f"Expecting {expected}, found {char!r}"


def unfinished_message(state: int, stack: list[int]) -> str:
    """The message for the end of the stream between tokens, in ``state``."""
    if not stack and state == VALUE:
        msg = "Expecting a value, found the end of the stream"
    else:
        expected = "',' or a closing bracket" if state == AFTER else _EXPECTED[state]
        msg = f"Expecting {expected}, found the end of the stream"
    return msg + still_open(stack)


def still_open(stack: list[int]) -> str:
    """`` (still open: object, array)``, or nothing at the root."""
    if not stack:
        return ""
    return " (still open: " + ", ".join("object" if k == OBJECT else "array" for k in stack) + ")"


def valid_number_prefix(number: str) -> int:
    """How many leading characters of ``number`` can begin a valid JSON number."""
    # A tiny DFA over the grammar of RFC 8259 section 6; only the error path runs it.
    i = 1 if number[:1] == "-" else 0
    if number[i : i + 1] == "0":
        i += 1
    elif number[i : i + 1].isdigit():
        i = _digits(number, i)
    else:
        return i
    if number[i : i + 1] == ".":
        if not number[i + 1 : i + 2].isdigit():
            return i + 1
        i = _digits(number, i + 1)
    if number[i : i + 1] in ("e", "E"):
        i += 2 if number[i + 1 : i + 2] in ("+", "-") else 1
        if not number[i : i + 1].isdigit():
            return i
        i = _digits(number, i)
    return i


def _digits(text: str, i: int) -> int:
    """Where the run of ASCII digits at ``text[i:]`` ends."""
    n = len(text)
    while i < n and text[i] in _DIGITS:
        i += 1
    return i


def expected_in_number(prefix: str) -> str:
    """What may follow a valid number prefix that stopped short."""
    last = prefix[-1:]
    if prefix in ("", "-"):
        return "a digit"
    if last == ".":
        return "a digit after '.'"
    if last in ("e", "E", "+", "-"):  # a '-' after the first character is an exponent's sign
        return "a digit in the exponent"
    return "',' or a closing bracket after the number"
