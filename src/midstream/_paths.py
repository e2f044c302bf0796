"""Path patterns with wildcards, to pick the values a caller cares about."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeAlias

from ._types import Path

__all__ = ["PathPattern", "PatternLike", "dotted_path"]

_ONE: Final = "*"
_ANY: Final = "**"

#: What the APIs accept as a pattern: a :class:`PathPattern`, its dotted text,
#: or a sequence of segments.
PatternLike: TypeAlias = "PathPattern | str | Sequence[str | int]"


class PathPattern:
    """A pattern over JSON paths.

    Written as dotted text, ``"sections.*.heading"``, or as a sequence of
    segments, ``("sections", "*", "heading")``:

    - a name matches that object key;
    - a whole number in its canonical form (``0``, ``7``, ``12``: ASCII
      digits, no leading zero) matches that array index, and an object key
      spelt the same; any other segment is a key only (``01`` matches the key
      ``"01"``, never index 1). Digits other than ASCII (``²``, ``٣``) are
      refused in the dotted form: write such a key in the sequence form;
    - ``*`` matches any one key or index;
    - ``**`` matches any number of levels, none included.

    The empty pattern ``""`` (or ``()``) matches the root only. In the dotted
    form a key that contains a dot cannot be written: use the sequence form.

    >>> PathPattern("sections.*.heading").match(("sections", 2, "heading"))
    True
    >>> PathPattern("**.id").match(("a", 0, "b", "id"))
    True
    """

    __slots__ = ("_fixed", "_segments", "text")

    _segments: tuple[str | int, ...]
    _fixed: bool
    text: str

    def __init__(self, pattern: PatternLike, /) -> None:
        if isinstance(pattern, PathPattern):
            segments: tuple[str | int, ...] = pattern._segments
        elif isinstance(pattern, str):
            segments = dotted_path(pattern)
        else:
            segments = tuple(pattern)
        self._segments = segments
        self._fixed = _ANY not in segments
        self.text = ".".join(str(s) for s in segments)

    def __repr__(self) -> str:
        return f"PathPattern({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PathPattern) and other._segments == self._segments

    def __hash__(self) -> int:
        return hash(self._segments)

    def match(self, path: Path, /) -> bool:
        """True when ``path`` matches this pattern."""
        segments = self._segments
        if self._fixed:
            if len(path) != len(segments):
                return False
            return all(_segment_matches(s, p) for s, p in zip(segments, path, strict=True))
        return _match_globstar(segments, path)


def dotted_path(pattern: str) -> tuple[str | int, ...]:
    """The segments of dotted text (``"rows.0.name"``), as :class:`PathPattern` reads them.

    Raises:
        ValueError: an empty segment, or digits other than ASCII.
    """
    return tuple(_segment(s, pattern) for s in pattern.split(".")) if pattern else ()


def _segment(text: str, pattern: str) -> str | int:
    """One segment of a dotted pattern: an index in canonical form, else a key."""
    if not text:
        raise ValueError(
            f"invalid path pattern {pattern!r}: empty segment; "
            "write segments separated by single dots, e.g. 'items.*.name'"
        )
    if not text.isdigit():
        return text
    if not text.isascii():
        raise ValueError(
            f"invalid path pattern {pattern!r}: segment {text!r} has digits other than "
            "0-9; write an index in ASCII digits, or a key in the sequence form"
        )
    return int(text) if text == "0" or text[0] != "0" else text


def _segment_matches(segment: str | int, part: str | int) -> bool:
    if segment == _ONE or segment == part:
        return True
    if isinstance(segment, int):
        return isinstance(part, str) and part == str(segment)
    return False


def _match_globstar(segments: Sequence[str | int], path: Path) -> bool:
    """Glob matching with ``**``, iterative, in O(len(segments) * len(path))."""
    # reachable[j]: the pattern read so far can match path[:j]
    reachable = [True] + [False] * len(path)
    for segment in segments:
        if segment == _ANY:
            for j in range(1, len(reachable)):
                reachable[j] = reachable[j] or reachable[j - 1]
            continue
        nxt = [False] * len(reachable)
        for j in range(1, len(reachable)):
            nxt[j] = reachable[j - 1] and _segment_matches(segment, path[j - 1])
        reachable = nxt
    return reachable[-1]
