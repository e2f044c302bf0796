"""What the JSON core modules know about characters: states, character sets, patterns.

Shared by the core's readers (``_json_core``, ``_json_strings``,
``_json_numbers``) and its messages; nothing outside them looks at characters.
Plain ints and frozensets: in the per-character loop an enum member lookup
costs eight times a module constant.
"""

from __future__ import annotations

import json.decoder
import re
from collections.abc import Callable
from typing import Final, TypeAlias, cast

# States.
VALUE: Final = 0  # a value must come: at the root, after ':', after ',' in an array
ARRAY_FIRST: Final = 1  # after '[': a value or ']'
OBJECT_FIRST: Final = 2  # after '{': a key or '}'
KEY: Final = 3  # after ',' in an object: a key
COLON: Final = 4  # after a key: ':'
AFTER: Final = 5  # after a value in a container: ',' or the closing bracket
END: Final = 6  # the root value is complete: only whitespace may follow
STRING: Final = 7  # inside a string (a key when ``_in_key``)
ESCAPE: Final = 8  # inside a string, inside an escape cut short by the chunk end
NUMBER: Final = 9  # inside a number that the chunk end cut short
LITERAL: Final = 10  # inside true/false/null, cut short by the chunk end

# What the stack holds per open container.
OBJECT: Final = 0
ARRAY: Final = 1

# Starred patterns always match (possibly empty), so their match is never None.
_RunMatcher: TypeAlias = "Callable[[str, int], re.Match[str]]"
STRING_RUN = cast(_RunMatcher, re.compile(r'[^"\\\x00-\x1f]*').match)
WHITESPACE_RUN = cast(_RunMatcher, re.compile(r"[ \t\n\r]*").match)
NUMBER_RUN = cast(_RunMatcher, re.compile(r"[-+0-9.eE]*").match)
# Whole-chunk tests for the fast paths.
ONLY_STRING_TEXT = re.compile(r'[^"\\\x00-\x1f]+').fullmatch
VALID_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?").fullmatch
HEX_DIGITS: Final = "0123456789abcdefABCDEF"
HIGH_SURROGATE_FIRST: Final = chr(0xD800)
HIGH_SURROGATE_LAST: Final = chr(0xDBFF)
# The json module's string decoder (C in CPython): the text after an opening
# quote -> the decoded string and the index after its closing quote.
scanstring: Final[Callable[[str, int], tuple[str, int]]] = (
    json.decoder.scanstring  # type: ignore[attr-defined]  # public, not in typeshed
)

WHITESPACE: Final = frozenset(" \t\n\r")
NUMBER_START: Final = frozenset("-0123456789")
NUMBER_TEXT: Final = "-+0123456789.eE"  # what a number is made of
NUMBER_CHARS: Final = frozenset(NUMBER_TEXT)
LITERALS: Final = {"t": ("true", True), "f": ("false", False), "n": ("null", None)}
SIMPLE_ESCAPES: Final = {
    '"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"
}
#: Pieces of a string kept before they are joined into one block.
BLOCK: Final = 256
