"""What a Markdown line is made of: the patterns and column arithmetic of CommonMark's block phase.

Everything here is stateless: the regular expressions of the block starts
(as markdown-it-py's rules have them), the decoding of info strings, and the
column arithmetic of tabs (a tab advances to the next multiple of 4, and a
container may consume it partly).
"""

from __future__ import annotations

import re
from html.entities import html5 as _HTML5
from typing import Final

# Kinds of the open leaf block.
NONE: Final = 0
PARA: Final = 1
FENCE: Final = 2
ICODE: Final = 3
HTML: Final = 4

# What a line (or the start of one) turns out to be.
TEXT: Final = 1  # prose: TextDelta
CODE: Final = 2  # a content line of the open fence
OPEN: Final = 3  # an opening fence line
CLOSE: Final = 4  # a closing fence line

EOL = re.compile(r"[\r\n]")
WS = re.compile(r"[ \t]*")
RUN = {"`": re.compile(r"`*"), "~": re.compile(r"~*")}
ATX = re.compile(r"#{1,6}(?:[ \t]|$)")
SETEXT = re.compile(r"(?:=+|-+)[ \t]*")
HR = re.compile(r"(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,}")
ORDERED = re.compile(r"[0-9]{1,9}[.)]")
DIGITS = re.compile(r"[0-9]*")
RUNS = re.compile(r"(.)\1{3,}", re.DOTALL)
# While the new text of a held line start matches one of these, it stays held
# for the reason the last scan found, and is not scanned again.
HOLD_INFO = {"`": re.compile(r"[^`\r]*"), "~": re.compile(r"[^\r]*")}
HOLD_TRAIL = re.compile(r"[ \t]*")

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
HTML_START: Final = (
    re.compile(r"<(?a:(script|pre|style|textarea))(?=(\s|>|$))", re.IGNORECASE),
    re.compile(r"<!--"),
    re.compile(r"<\?"),
    re.compile(r"<![A-Za-z]"),
    re.compile(r"<!\[CDATA\["),
    re.compile("</?(?a:(" + _BLOCK_NAMES + "))(?=(\\s|/?>|$))", re.IGNORECASE),
)
HTML_START_7 = re.compile(
    r"(?:<[A-Za-z][A-Za-z0-9\-]*" + _ATTR + r"*\s*\/?>|<\/[A-Za-z][A-Za-z0-9\-]*\s*>)\s*$"
)
HTML_END: Final = (
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


def decode_info(raw: str) -> tuple[str, str | None]:
    """The info string (escapes decoded, trimmed) and its first word, if any."""
    info = raw
    if "\\" in info or "&" in info:
        info = _UNESCAPE.sub(_unescape_one, info)
    info = info.strip(_TRIM)
    return info, (_TRIM_RE.split(info, maxsplit=1)[0] if info else None)


def nonspace(s: str, pos: int, col: int) -> tuple[int, int]:
    """Skip spaces and tabs from ``pos`` (at column ``col``): (position, column)."""
    end = WS.match(s, pos).end()  # type: ignore[union-attr]
    if end == pos:
        return pos, col
    if "\t" not in s[pos:end]:
        return end, col + end - pos
    for c in s[pos:end]:
        col = col + 1 if c == " " else col + 4 - col % 4
    return end, col


def advance(s: str, pos: int, col: int, count: int) -> tuple[int, int]:
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


def strip(s: str, pos: int, col: int, cols: int) -> str:
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
