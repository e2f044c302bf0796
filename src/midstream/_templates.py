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

__all__ = ["COUNTER", "FREE", "PADDING", "StringTemplate", "learn"]

#: What a string spelled raw may not hold: its end, an escape, a control character.
_NOT_RAW: Final = re.compile(rb'["\\\x00-\x1f]')
#: What learning puts in the gap; found there only if the gap is the string's whole body.
_PROBE: Final = "midstream-probe"
#: What learning puts in the padding's and the counter's places (each its own, so that
#: no gap is taken for another).
_PROBE_PADDING: Final = "midstream-padding"
_PROBE_COUNT: Final = 987654321
#: Places of the text tried per chunk: each try decodes the chunk once more.
_MAX_TRIES: Final = 4
#: OpenAI's padding: a random string of random length in every chunk (Chat Completions
#: and Responses, ``stream_options.include_obfuscation``, on by default). A template
#: lets it vary.
PADDING: Final = "obfuscation"
#: The Responses API's event counter, one more in every event. A template lets it vary.
COUNTER: Final = "sequence_number"
#: The top-level fields no reader reads, whose values a template lets vary.
FREE: Final = (PADDING, COUNTER)
#: The most digits a counter read from the bytes may have (any decoder takes an int64).
_MAX_DIGITS: Final = 18
#: Bodies this long or shorter are checked byte by byte before the decoder is called.
_SHORT: Final = 32
#: Built by mypyc: the byte loops below are C loops, cheaper than a method's call.
_COMPILED: Final = not __file__.endswith(".py")

#: Tells what a decoded chunk's varying string is: (where it goes, the string), or None.
#: It never reads the chunk's top-level :data:`FREE` fields.
Finder = Callable[[Any], "tuple[Any, str] | None"]


def _string(body: bytes) -> str | None:
    """The string a JSON string's body spells, or None if it is not one string's body.

    An unescaped quote inside would end the string early: the decoder then finds more after it.
    Compiled, a short body whose only escapes are escaped quotes (most tokens, of prose
    or of JSON) is read here, without the decoder's call; any other is the decoder's to
    read. Interpreted, the loop would cost more than the call.
    """
    if len(body) > _SHORT or not _COMPILED:
        return _decoded(body)
    quoted = False  # holds an escaped quote: JSON text's commonest escape
    i = 0
    while i < len(body):
        byte = body[i]
        if byte == 0x5C:  # '\\'
            if i + 1 < len(body) and body[i + 1] == 0x22:
                quoted = True
                i += 2
                continue
            return _decoded(body)  # any other escape
        if byte < 0x20 or byte == 0x22:  # a control character, or the string's end
            return None
        i += 1
    try:
        return (body.replace(b'\\"', b'"') if quoted else body).decode()
    except UnicodeDecodeError:  # the decoder rejects such bytes too
        return None


def _decoded(body: bytes) -> str | None:
    """:func:`_string` by the JSON decoder."""
    try:
        text: str = from_json(b'"' + body + b'"')
    except ValueError:
        return None
    return text


class StringTemplate:
    """An event's data bytes around one JSON string, learned from a decoded event.

    ``head "string" tail``, where the head may hold the :data:`COUNTER`'s
    digits (``lead`` is what comes before them, ``head`` then what follows
    them), and the tail OpenAI's :data:`PADDING` (``middle`` is what comes
    before the padding's body, ``tail`` then what follows it). ``key`` is what
    the caller's finder said of the string (which choice's content, which
    call's arguments): where its events go.
    """

    __slots__ = ("_min", "head", "key", "kind", "lead", "middle", "tail")

    def __init__(
        self, kind: bytes, lead: bytes, head: bytes, middle: bytes, tail: bytes, key: Any
    ) -> None:
        self.kind = kind
        self.lead = lead
        self.head = head
        self.middle = middle
        self.tail = tail
        self.key = key
        self._min = len(lead) + len(head) + len(middle) + len(tail)

    def text(self, kind: bytes, data: bytes) -> str | None:
        """The string of an event that is this one but for that string (and the free
        fields); else None."""
        if len(data) <= self._min or kind != self.kind or not data.endswith(self.tail):
            return None
        if self.lead:
            if not data.startswith(self.lead):
                return None
            start = _after_count(data, len(self.lead))
            if start < 0 or data[start : start + len(self.head)] != self.head:
                return None
            start += len(self.head)
        elif data.startswith(self.head):
            start = len(self.head)
        else:
            return None
        end = len(data) - len(self.tail)
        if self.middle:
            # The padding starts after the last quote before the tail's (a padding with an
            # escaped quote is missed: then the middle is not found before it).
            # OpenAI's: letters and digits, found by a byte loop where it is compiled
            pad = _after_alnum_quote(data, start, end) if _COMPILED else -1
            other = pad < 0
            if other:
                pad = data.rfind(b'"', start, end) + 1
            at = pad - len(self.middle)
            if at < start or data[at:pad] != self.middle:
                return None
            if other:
                padding = data[pad:end]
                if not padding.isalnum() and _string(padding) is None:
                    return None
            end = at
        return _string(data[start:end])


def _after_alnum_quote(data: bytes, start: int, end: int) -> int:
    """Where a padding of letters and digits (OpenAI's) that ends at ``end`` begins, after
    its quote; -1 if it holds anything else, or finds no quote after ``start``."""
    i = end
    while i > start:
        byte = data[i - 1]
        if byte == 0x22:
            return i
        if not (0x30 <= byte <= 0x39 or 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A):
            return -1
        i -= 1
    return -1


def _after_count(data: bytes, i: int) -> int:
    """Where the JSON count (digits, no leading zero) at ``data[i]`` ends; -1 if none is there."""
    j = i
    n = min(len(data), i + _MAX_DIGITS + 1)
    while j < n and 48 <= data[j] <= 57:
        j += 1
    digits = j - i
    if digits == 0 or digits > _MAX_DIGITS or (digits > 1 and data[i] == 48):
        return -1
    return j


def _raw(text: Any) -> bytes | None:
    """``text`` as UTF-8 if it is a string JSON spells without escapes, else None."""
    if type(text) is not str:
        return None
    spelled = text.encode("utf-8", "surrogatepass")
    return None if _NOT_RAW.search(spelled) is not None else spelled


def learn(kind: bytes, data: bytes, payload: Any, find: Finder) -> StringTemplate | None:
    """The template of an event (``data`` decoded is ``payload``), or None if there is none.

    ``find`` names the string that varies in ``payload`` and its place. The
    string must be non-empty and spelled raw in ``data`` (no escape), and so
    must the padding be if it is to vary, or no template is learned from this
    event: a later one may do.
    """
    found = find(payload)
    if found is None or type(payload) is not dict:
        return None
    key, text = found
    spelled = _raw(text)
    if not spelled:
        return None
    padding = _raw(payload.get(PADDING))
    count = payload.get(COUNTER)
    digits = str(count).encode() if type(count) is int and count >= 0 else None
    needle = b'"' + spelled + b'"'
    at = data.find(needle)
    tries = 0
    while at >= 0 and tries < _MAX_TRIES:
        tries += 1
        start = at + 1
        head, tail = data[:start], data[start + len(spelled) :]
        leads = [(b"", head)]
        if digits is not None:
            # The counter's place: its first spelling after its name, checked like the string's.
            name = head.find(b'"' + COUNTER.encode() + b'"')
            place = -1 if name < 0 else head.find(digits, name + len(COUNTER) + 2)
            if place > 0:
                leads.insert(0, (head[:place], head[place + len(digits) :]))
        tails = [(b"", tail)]
        if padding is not None:
            # The padding's place: its last spelling (it comes last), checked like the string's.
            pad = tail.rfind(b'"' + padding + b'"')
            if pad >= 0:
                tails.insert(0, (tail[: pad + 1], tail[pad + 1 + len(padding) :]))
        for lead, rest in leads:
            for middle, end in tails:
                template = StringTemplate(kind, lead, rest, middle, end, key)
                if _probe(template, find):
                    return template
        at = data.find(needle, at + 1)
    return None


def _probe(template: StringTemplate, find: Finder) -> bool:
    """Whether the template's gaps are the string's (and the free fields') whole values."""
    probe = _PROBE.encode()
    lead, middle = template.lead, template.middle
    data = b"".join((
        lead, str(_PROBE_COUNT).encode() if lead else b"", template.head, probe,
        middle, _PROBE_PADDING.encode() if middle else b"", template.tail,
    ))
    try:
        probed = from_json(data, allow_inf_nan=False)
    except ValueError:
        return False
    if type(probed) is not dict:
        return False
    if middle and probed.get(PADDING) != _PROBE_PADDING:
        return False
    if lead and probed.get(COUNTER) != _PROBE_COUNT:
        return False
    return find(probed) == (template.key, _PROBE)
