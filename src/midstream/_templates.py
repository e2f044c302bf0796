"""Events read from their bytes: a chunk that differs from an earlier one only in one string.

A provider's stream is mostly one chunk shape repeated, each a few hundred
bytes of which only a few characters change: the token in
``{"id":...,"choices":[{"index":0,"delta":{"content":"<token>"},...}]}``.
Decoding each such chunk's JSON builds a dict of a dozen objects the caller
never sees, only to read one string out of it, and costs more than all the
rest of the raw path's work on it. A :class:`StringTemplate` is learned from
one decoded chunk: the bytes before that string and the bytes after it. A
later chunk with the same bytes around one JSON string is that same chunk
with another string, and only that string is decoded. Anything else takes
the JSON decoder, as before.

Why this is exact: the head ends with the string's opening quote and the tail
starts with its closing one. If the bytes between, quoted, are one JSON
string, the chunk's string token ends where the tail starts (an unescaped
quote inside would have ended it earlier, and the decoder would find more
after it), so the chunk parses into the same objects as the learned one but
for that string, which is decoded by the same decoder as a whole chunk. Learning
checks its guess: it decodes the chunk with a probe string put in the gap
and asks the caller to find exactly the probe, at the same place, so a gap
anywhere else (another string equal to the text, say) is never learned.
Learning needs a string spelled without escapes, to find it in the bytes;
the chunks read afterwards may have any.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from jiter import from_json

__all__ = ["StringTemplate", "learn"]

#: What a string spelled raw may not hold: its end, an escape, a control character.
_NOT_RAW: Final = re.compile(rb'["\\\x00-\x1f]')
#: What learning puts in the gap; found there only if the gap is the string's whole body.
_PROBE: Final = "midstream-probe"
#: Places of the text tried per chunk: each try decodes the chunk once more.
_MAX_TRIES: Final = 4

#: Tells what a decoded chunk's varying string is: (where it goes, the string), or None.
Finder = Callable[[Any], "tuple[Any, str] | None"]


class StringTemplate:
    """An event's data bytes around one JSON string, learned from a decoded event.

    ``key`` is what the caller's finder said of the string (which choice's
    content, which call's arguments): where a matching event's string goes.
    """

    __slots__ = ("_min", "head", "key", "kind", "tail")

    def __init__(self, kind: bytes, head: bytes, tail: bytes, key: Any) -> None:
        self.kind = kind
        self.head = head
        self.tail = tail
        self.key = key
        self._min = len(head) + len(tail)

    def text(self, kind: bytes, data: bytes) -> str | None:
        """The string of an event that is this one but for that string (non-empty); else None."""
        if (
            len(data) <= self._min
            or kind != self.kind
            or not data.startswith(self.head)
            or not data.endswith(self.tail)
        ):
            return None
        # One JSON string from the head's quote to the tail's, or the event is shaped otherwise
        # (an unescaped quote inside would end it early: then the decoder finds more after it).
        try:
            text: str = from_json(b'"' + data[len(self.head) : len(data) - len(self.tail)] + b'"')
        except ValueError:
            return None
        return text


def learn(kind: bytes, data: bytes, payload: Any, find: Finder) -> StringTemplate | None:
    """The template of an event (``data`` decoded is ``payload``), or None if there is none.

    ``find`` names the string that varies in ``payload`` and its place. The
    string must be non-empty and spelled raw in ``data`` (no escape), or no
    template is learned from this event: a later one may do.
    """
    found = find(payload)
    if found is None:
        return None
    key, text = found
    spelled = text.encode("utf-8", "surrogatepass")
    if not text or _NOT_RAW.search(spelled) is not None:
        return None
    needle = b'"' + spelled + b'"'
    at = data.find(needle)
    tries = 0
    while at >= 0 and tries < _MAX_TRIES:
        tries += 1
        start = at + 1
        end = start + len(spelled)
        head, tail = data[:start], data[end:]
        try:
            probed = from_json(head + _PROBE.encode() + tail, allow_inf_nan=False)
        except ValueError:
            probed = None
        if probed is not None and find(probed) == (key, _PROBE):
            return StringTemplate(kind, head, tail, key)
        at = data.find(needle, at + 1)
    return None
