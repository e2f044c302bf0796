"""The character-level JSON state machine.

Rule 1: only this module looks at characters.
Rule 2: it knows nothing about paths, fields, events or models; it reports
what it finds to five hook methods that a subclass implements, and
``feed()`` hands back whatever those hooks appended to ``self._events``.

The public ``feed()``/``close()`` live here, not in the subclass, so that a
chunk that is only string text, whitespace or digits (most chunks of a token
stream) costs one Python call before its hook, not two.

The machine is strict RFC 8259 (https://www.rfc-editor.org/rfc/rfc8259): what
:func:`json.loads` rejects it rejects, and ``NaN``/``Infinity`` too. It never
recurses: open containers live on a list, so nesting is bounded only by
``max_depth``.

Text is consumed in runs, not characters: inside strings a compiled pattern
skips every character that needs no attention, and so does whitespace. What a
chunk boundary can cut short is kept in its own attribute: an escape
(``\\``, ``\\u12``), a high surrogate waiting for its low half, a number that may
go on (``12`` of ``123``), and a literal (``tru``).
"""

from __future__ import annotations

import codecs
import json.decoder
import re
from collections.abc import Callable
from typing import Final, Generic, NoReturn, TypeAlias, TypeVar, cast

from ._compat import mypyc_attr
from ._errors import (
    ErrorKind,
    IncompleteJsonError,
    JsonSyntaxError,
    LimitExceededError,
    ParseError,
)
from ._options import check_limit
from ._types import JSONValue

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_NUMBER_LENGTH",
    "DEFAULT_MAX_STRING_LENGTH",
    "JsonCore",
]

#: Deepest nesting accepted. jiter stops at 200 and CPython's json at about
#: 1000 (its recursion limit); 512 leaves room for real documents while every
#: consumer of the value (``==``, ``repr``, pydantic) still stays clear of its
#: own recursion limit.
DEFAULT_MAX_DEPTH: Final = 512
#: Longest string or key, in characters (64 Mi): far past any model output,
#: small enough that a runaway stream cannot take the process's memory.
DEFAULT_MAX_STRING_LENGTH: Final = 64 * 1024 * 1024
#: Longest number, in characters. CPython refuses to convert integers of more
#: than 4300 digits by default (``sys.set_int_max_str_digits``).
DEFAULT_MAX_NUMBER_LENGTH: Final = 4300

# States. Plain ints: enum member lookups cost eight times more in the loop.
_VALUE: Final = 0  # a value must come: at the root, after ':', after ',' in an array
_ARRAY_FIRST: Final = 1  # after '[': a value or ']'
_OBJECT_FIRST: Final = 2  # after '{': a key or '}'
_KEY: Final = 3  # after ',' in an object: a key
_COLON: Final = 4  # after a key: ':'
_AFTER: Final = 5  # after a value in a container: ',' or the closing bracket
_END: Final = 6  # the root value is complete: only whitespace may follow
_STRING: Final = 7  # inside a string (a key when ``_in_key``)
_ESCAPE: Final = 8  # inside a string, inside an escape cut short by the chunk end
_NUMBER: Final = 9  # inside a number that the chunk end cut short
_LITERAL: Final = 10  # inside true/false/null, cut short by the chunk end

_OBJECT: Final = 0
_ARRAY: Final = 1

# Starred patterns always match (possibly empty), so their match is never None.
_RunMatcher: TypeAlias = "Callable[[str, int], re.Match[str]]"
_STRING_RUN = cast(_RunMatcher, re.compile(r'[^"\\\x00-\x1f]*').match)
_WHITESPACE_RUN = cast(_RunMatcher, re.compile(r"[ \t\n\r]*").match)
_NUMBER_RUN = cast(_RunMatcher, re.compile(r"[-+0-9.eE]*").match)
# Whole-chunk tests for the fast paths.
_ONLY_STRING_TEXT = re.compile(r'[^"\\\x00-\x1f]+').fullmatch
_VALID_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?").fullmatch
_HEX_DIGITS: Final = "0123456789abcdefABCDEF"
_HIGH_SURROGATE_FIRST: Final = chr(0xD800)
_HIGH_SURROGATE_LAST: Final = chr(0xDBFF)
# The json module's string decoder (C in CPython): the text after an opening
# quote -> the decoded string and the index after its closing quote.
_scanstring: Final[Callable[[str, int], tuple[str, int]]] = (
    json.decoder.scanstring  # type: ignore[attr-defined]  # public, not in typeshed
)

_WHITESPACE: Final = frozenset(" \t\n\r")
_NUMBER_START: Final = frozenset("-0123456789")
_NUMBER_TEXT: Final = "-+0123456789.eE"  # what a number is made of
_NUMBER_CHARS: Final = frozenset(_NUMBER_TEXT)
_LITERALS: Final = {"t": ("true", True), "f": ("false", False), "n": ("null", None)}
_SIMPLE_ESCAPES: Final = {
    '"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"
}
_KIND_OF_LITERAL: Final = {"true": "true", "false": "false", "null": "null"}

#: Where each state stands, for "expecting X" in messages.
_EXPECTED: Final = {
    _VALUE: "a value",
    _ARRAY_FIRST: "a value or ']'",
    _OBJECT_FIRST: "a property name in double quotes or '}'",
    _KEY: "a property name in double quotes",
    _COLON: "':' after the property name",
    _END: "the end of the document",
}


#: What the hooks of a subclass append to ``self._events``: its event type.
_Out = TypeVar("_Out")


def _describe(char: str) -> str:
    """A found character, as a message shows it."""
    return "the end of the stream" if not char else repr(char)


# Compiled by mypyc in wheels (hatch_build.py); subclassed by Python classes too
# (the object extractor's checker).
@mypyc_attr(allow_interpreted_subclasses=True)
class JsonCore(Generic[_Out]):
    """Tokenises a JSON document fed in pieces, and calls hooks as values form.

    Subclasses implement the ``_on_*`` hooks; :class:`~midstream.JsonStream` is
    the one the library ships. What the hooks append to ``self._events`` is
    what :meth:`feed` and :meth:`close` return. The hooks are called in
    document order:

    - ``_on_start(kind)`` when a value begins (not for keys);
    - ``_on_string(text)`` with new characters of a string value, at most once
      per string per ``feed()``;
    - ``_on_scalar(value)`` when a string, number or literal completes;
    - ``_on_key(key)`` when a property name completes;
    - ``_on_end()`` when an object or array closes.
    """

    def __init__(
        self,
        *,
        max_depth: int = DEFAULT_MAX_DEPTH,
        max_string_length: int = DEFAULT_MAX_STRING_LENGTH,
        max_number_length: int = DEFAULT_MAX_NUMBER_LENGTH,
    ) -> None:
        self.max_depth = check_limit("max_depth", max_depth)
        self.max_string_length = check_limit("max_string_length", max_string_length)
        self.max_number_length = check_limit("max_number_length", max_number_length)

        self._state = _VALUE
        self._stack: list[int] = []  # _OBJECT or _ARRAY per open container
        self._in_key = False
        # The string being read: pieces of text, and older pieces joined into blocks
        # so that a long string fed one character at a time costs memory near its size.
        self._parts: list[str] = []
        self._blocks: list[str] = []
        self._fresh = 0  # index in _parts of the first piece this feed() brought
        self._length = 0  # characters of the current string so far
        self._string_start = 0
        self._escape = ""  # an escape cut short by the chunk end, backslash included
        self._high = 0  # a high surrogate waiting for its low half, or 0
        self._pending = ""  # a number or literal cut short by the chunk end
        self._token_start = 0

        # Position of the start of the current chunk.
        self._consumed = 0
        self._line = 1
        self._line_start = 0
        self._decoder: codecs.IncrementalDecoder | None = None
        self._bytes_seen = 0
        self._error: ParseError | None = None
        self._chunk = ""  # the text being read, for error positions

        self._events: list[_Out] = []  # what the hooks produced in this call
        # called with each call's non-empty output before it is returned
        self._listener: Callable[[list[_Out]], None] | None = None
        self._closed = False

    # --- hooks ----------------------------------------------------------------

    def _on_start(self, kind: str) -> None:
        raise NotImplementedError

    def _on_string(self, text: str) -> None:
        raise NotImplementedError

    def _on_scalar(self, value: JSONValue) -> None:
        raise NotImplementedError

    def _on_key(self, key: str) -> None:
        raise NotImplementedError

    def _on_end(self) -> None:
        raise NotImplementedError

    # --- state queries ----------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once the root value is complete."""
        return self._state == _END

    @property
    def offset(self) -> int:
        """Characters consumed so far."""
        return self._consumed

    @property
    def depth(self) -> int:
        """How many objects and arrays are open."""
        return len(self._stack)

    def _partial_string(self) -> str | None:
        """The value string in progress so far, or None outside one."""
        if self._in_key or self._state not in (_STRING, _ESCAPE):
            return None
        return _join(self._blocks, self._parts)

    def _partial_number(self) -> str | None:
        """The text of a number the chunk end cut short, or None."""
        return self._pending if self._state == _NUMBER else None

    # --- input ------------------------------------------------------------------

    def feed(self, text: str | bytes | bytearray | memoryview, /) -> list[_Out]:
        """Parse the next chunk and return the events it completes, in document order.

        ``bytes`` (or a ``bytearray`` or ``memoryview``) are decoded as UTF-8,
        incrementally: a character split between chunks is fine. ``feed("")``
        does nothing.

        Raises:
            TypeError: ``text`` is neither text nor bytes.
            JsonSyntaxError: the chunk breaks the JSON grammar (or is not UTF-8).
            LimitExceededError: a configured limit was passed.
        """
        if self._closed:
            raise RuntimeError(f"feed() after close(): this {type(self).__name__} has ended")
        if not isinstance(text, str):
            return self._feed_bytes(text)
        if self._error is not None:
            raise self._error
        n = len(text)
        if not n:
            return []
        if not self._feed_fast(text, n):
            try:
                self._run(text, False)
            except ParseError as exc:
                self._keep_events(exc)
                raise
        return self._take_events()

    def _feed_fast(self, text: str, n: int) -> bool:
        """Consume a chunk of an ordinary kind whole, or return False for :meth:`_run`.

        Fast paths for the commonest chunks of a token stream: text inside a
        string, whitespace between tokens, and more digits of a number. None
        of them can complete the root value. A regex call costs several str
        method calls, so these tests try the str methods first.
        """
        state = self._state
        if (
            state == _STRING
            and '"' not in text
            and "\\" not in text
            and (text.isprintable() or _ONLY_STRING_TEXT(text) is not None)
            and not self._high
        ):
            self._length += n
            if self._length > self.max_string_length:
                self._chunk = text
                self._string_too_long(n - self._length + self.max_string_length)
            self._keep_piece(text)
            self._consumed += n  # no newline can stand inside a string
            if not self._in_key:
                self._on_string(text)
        elif (
            (state == _STRING or state == _ESCAPE)
            and ('"' not in text or '\\"' in text or state == _ESCAPE)
            and not self._high
            and self._read_escaped_text(text)
        ):
            pass  # read, escapes and all
        elif state < _STRING and not text.strip(" \t\n\r"):
            if "\n" in text:
                self._advance(text, n)
            else:
                self._consumed += n
        elif state == _NUMBER and not text.strip(_NUMBER_TEXT):
            self._pending += text
            if len(self._pending) > self.max_number_length:
                self._number_too_long()
            self._consumed += n
        else:
            return False
        return True

    def _feed_bytes(self, data: bytes | bytearray | memoryview) -> list[_Out]:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"feed() takes str or bytes, not {type(data).__name__}")
        text, decode_error = self._decode(bytes(data))
        try:
            self._run(text, False)
            if decode_error is not None:
                self._raise_decode_error(decode_error)
        except ParseError as exc:
            self._keep_events(exc)
            raise
        return self._take_events()

    def feed_until_done(self, text: str, /) -> tuple[list[_Out], int]:
        """Like :meth:`feed`, but stop right after the root value completes.

        Returns the events and how many characters of ``text`` were consumed;
        what follows is not part of this value (like
        :meth:`json.JSONDecoder.raw_decode`). A root number ends only at the
        character after it, which is not consumed.
        """
        if self._closed:
            raise RuntimeError(
                f"feed_until_done() after close(): this {type(self).__name__} has ended"
            )
        n = len(text)
        # The fast paths never complete the root, so they consume the whole chunk;
        # after the root, a chunk is not consumed at all, whitespace included.
        if n and self._error is None and self._state != _END and self._feed_fast(text, n):
            return self._take_events(), n
        try:
            consumed = self._run(text, True)
        except ParseError as exc:
            self._keep_events(exc)
            raise
        return self._take_events(), consumed

    def close(self) -> list[_Out]:
        """End the stream; return the events still due (a root number completes here).

        Raises:
            IncompleteJsonError: the document is unfinished; the message says
                what was open and where.
        """
        if self._closed:
            return []
        try:
            self._finish()
        except ParseError as exc:
            self._keep_events(exc)
            raise
        self._closed = True
        return self._take_events()

    def _take_events(self) -> list[_Out]:
        """The events of this call, shown to the listener; the next call starts a new list."""
        events = self._events
        if not events:
            return []
        self._events = []
        if self._listener is not None:
            self._listener(events)
        return events

    def _keep_events(self, error: ParseError) -> None:
        """Hand the events this call produced before ``error`` to the caller, on it."""
        if self._events:
            error.events = self._events
            self._events = []

    def _decode(self, data: bytes) -> tuple[str, ParseError | None]:
        """Decode UTF-8 incrementally; a character split between chunks is fine.

        On invalid UTF-8, returns the text before the bad byte and the error to
        raise once that text is parsed: an earlier syntax error comes first.
        """
        if self._error is not None:
            raise self._error
        decoder = self._decoder
        if decoder is None:
            decoder = self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        buffered, bom_undecided = decoder.getstate()
        try:
            text = decoder.decode(data)
        except UnicodeDecodeError as exc:
            raw = buffered + data
            # utf-8-sig counts the error position from after a BOM it strips in this call
            skip = 3 if bom_undecided and raw.startswith(codecs.BOM_UTF8) else 0
            text = raw[skip : skip + exc.start].decode("utf-8")
            offset = self._bytes_seen - len(buffered) + skip + exc.start
            msg = f"Invalid UTF-8 ({exc.reason}); expected UTF-8 encoded text"
            return text, JsonSyntaxError(ErrorKind.INVALID_UTF8, msg, offset, 0, 0)
        self._bytes_seen += len(data)
        return text, None

    def _raise_decode_error(self, error: ParseError) -> None:
        """Raise a UTF-8 error once the valid text before it has been parsed."""
        raise self._fail(
            JsonSyntaxError, error.kind, error.msg, error.offset, byte_offset=True
        )

    def _run(self, text: str, stop_at_end: bool) -> int:
        """Consume ``text``; return where it stopped (``len(text)`` unless ``stop_at_end``)."""
        if self._error is not None:
            raise self._error
        state = self._state
        n = len(text)
        parts = self._parts
        if state == _END and stop_at_end:
            return 0
        self._chunk = text
        self._fresh = fresh = len(parts)
        stack = self._stack
        pos = 0
        try:
            while pos < n:
                if state >= _STRING:
                    if state == _STRING:
                        char = text[pos]
                        end = pos if char == '"' or char == "\\" else _STRING_RUN(text, pos).end()
                        if end != pos:
                            if self._high:
                                self._flush_high()
                            parts.append(text[pos:end])
                            self._length += end - pos
                            if self._length > self.max_string_length:
                                self._string_too_long(end - self._length + self.max_string_length)
                            pos = end
                            if pos == n:
                                break
                        char = text[pos]
                        if char == '"':
                            pos += 1
                            state = self._end_string()
                            fresh = 0
                        elif char == "\\":
                            pos = self._read_escape(text, pos)
                            if pos < 0:
                                pos = n
                                state = _ESCAPE
                        else:
                            raise self._syntax(
                                ErrorKind.CONTROL_CHARACTER,
                                f"Invalid control character {char!r} in string; "
                                "expected it escaped (\\n, \\t, \\u00XX)",
                                pos,
                            )
                    elif state == _ESCAPE:
                        pos = self._resume_escape(text, pos)
                        if pos < 0:
                            pos = n
                        else:
                            state = _STRING
                    elif state == _NUMBER:
                        pos, state = self._read_number(text, pos)
                    else:
                        pos, state = self._read_literal(text, pos)
                    if state == _END and stop_at_end:
                        break
                    continue

                char = text[pos]
                if char in _WHITESPACE:
                    pos += 1
                    if pos < n and text[pos] in _WHITESPACE:
                        pos = _WHITESPACE_RUN(text, pos).end()
                    continue

                if state == _AFTER:
                    if char == ",":
                        state = _KEY if stack[-1] == _OBJECT else _VALUE
                        pos += 1
                        continue
                    closes = char == ("}" if stack[-1] == _OBJECT else "]")
                elif state == _KEY or state == _OBJECT_FIRST:
                    if char == '"':
                        self._in_key = True
                        self._fresh = fresh = self._length = 0
                        self._string_start = self._consumed + pos
                        state = _STRING
                        pos += 1
                        continue
                    closes = char == "}" and state == _OBJECT_FIRST
                elif state == _COLON:
                    if char == ":":
                        state = _VALUE
                        pos += 1
                        continue
                    closes = False
                elif state == _VALUE or state == _ARRAY_FIRST:
                    if char == '"':
                        self._on_start("string")
                        self._in_key = False
                        self._fresh = fresh = self._length = 0
                        self._string_start = self._consumed + pos
                        state = _STRING
                        pos += 1
                        continue
                    if char == "{" or char == "[":
                        if len(stack) >= self.max_depth:
                            raise self._fail(
                                LimitExceededError,
                                ErrorKind.DEPTH_LIMIT,
                                f"Nesting deeper than max_depth={self.max_depth}; "
                                "raise max_depth to accept deeper documents",
                                self._consumed + pos,
                            )
                        pos += 1
                        if char == "{":
                            self._on_start("object")
                            stack.append(_OBJECT)
                            state = _OBJECT_FIRST
                        else:
                            self._on_start("array")
                            stack.append(_ARRAY)
                            state = _ARRAY_FIRST
                        continue
                    if char in _NUMBER_START or char in _LITERALS:
                        self._token_start = self._consumed + pos
                        self._pending = ""
                        if char in _LITERALS:
                            self._on_start(_LITERALS[char][0])
                            pos, state = self._read_literal(text, pos)
                        else:
                            self._on_start("number")
                            pos, state = self._read_number(text, pos)
                        if state == _END and stop_at_end:
                            break
                        continue
                    closes = char == "]" and state == _ARRAY_FIRST
                else:  # _END
                    if stop_at_end:
                        break
                    closes = False
                if not closes:
                    raise self._unexpected(state, char, pos)
                pos += 1
                stack.pop()
                state = _AFTER if stack else _END
                self._on_end()
                if state == _END and stop_at_end:
                    break
        finally:
            self._state = state
        if (state == _STRING or state == _ESCAPE) and len(parts) > fresh:
            if len(parts) - fresh == 1 and len(parts) < 256:
                if not self._in_key:
                    self._on_string(parts[-1])
                self._fresh = len(parts)
            else:
                self._flush_string_piece()
        if "\n" in text:
            self._advance(text, pos)
        else:
            self._consumed += pos
        return pos

    def _advance(self, text: str, pos: int) -> None:
        """Move the position past ``text[:pos]``."""
        newlines = text.count("\n", 0, pos)
        if newlines:
            self._line += newlines
            self._line_start = self._consumed + text.rfind("\n", 0, pos) + 1
        self._consumed += pos

    def _finish(self) -> None:
        """End of stream: complete a root number, or say what is unfinished."""
        if self._error is not None:
            raise self._error
        if self._decoder is not None:
            cut = self._decoder.getstate()[0]
            if cut:  # bytes fed ended inside a UTF-8 sequence
                raise self._fail(
                    JsonSyntaxError,
                    ErrorKind.INVALID_UTF8,
                    "Invalid UTF-8 (the stream ended inside a character); "
                    "expected UTF-8 encoded text",
                    self._bytes_seen - len(cut),
                    byte_offset=True,
                )
        state = self._state
        if state == _NUMBER:
            number = self._pending
            # A root number ends here; one inside a container was cut short ("[12"
            # may have been "[123]"), unless it is broken already: a syntax error.
            complete = _VALID_NUMBER(number) is not None and not self._stack
            if complete or _valid_number_prefix(number) < len(number):
                self._pending = ""
                state = self._state = self._complete_number(number, 0, "")
        if state == _END:
            return
        here = self._consumed
        if state == _STRING or state == _ESCAPE:
            what = "property name" if self._in_key else "string"
            line, column = self._line_column(self._string_start)
            msg = (
                f"Unterminated {what} starting at line {line} column {column}; "
                "expected '\"' before the end of the stream"
            )
        elif state == _NUMBER or state == _LITERAL:
            line, column = self._line_column(self._token_start)
            thing = "number" if state == _NUMBER else "literal"
            msg = (
                f"Unfinished {thing} {self._pending!r} at line {line} column {column}; "
                "the stream ended inside it"
            )
        elif not self._stack and state == _VALUE:
            msg = "Expecting a value, found the end of the stream"
        else:
            expected = "',' or a closing bracket" if state == _AFTER else _EXPECTED[state]
            msg = f"Expecting {expected}, found the end of the stream"
        if self._stack:
            open_ = ", ".join("object" if k == _OBJECT else "array" for k in self._stack)
            msg += f" (still open: {open_})"
        raise self._fail(IncompleteJsonError, ErrorKind.UNEXPECTED_END, msg, here)

    # --- strings ----------------------------------------------------------------

    def _end_string(self) -> int:
        """The closing quote was read; report the string and return the next state."""
        if self._high:
            self._flush_high()
        parts = self._parts
        blocks = self._blocks
        fresh = self._fresh
        if self._in_key:
            key = _join(blocks, parts)
            parts.clear()
            blocks.clear()
            self._on_key(key)
            return _COLON
        if len(parts) > fresh:
            delta = parts[fresh] if len(parts) - fresh == 1 else "".join(parts[fresh:])
            self._on_string(delta)
            value = delta if fresh == 0 and not blocks else _join(blocks, parts)
        else:
            value = _join(blocks, parts)
        parts.clear()
        blocks.clear()
        self._on_scalar(value)
        return _AFTER if self._stack else _END

    def _read_escaped_text(self, text: str) -> bool:
        """Fast path for a chunk inside a string that holds escapes; False to take the slow one.

        The C decoder of :mod:`json` decodes the chunk's escapes in one call.
        An escape the chunk ends inside is kept for the next chunk, as the
        slow path keeps it. Anything else out of the ordinary (the string
        closes in this chunk, an error, a high surrogate that may pair with the
        next chunk, the length limit) is left to the slow path, untouched.
        """
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
                    if source[last + 2 :].strip(_HEX_DIGITS):
                        return False  # a \\u escape gone wrong: the slow path says where
                    cut = last
        if cut:
            try:
                decoded, end = _scanstring(source[:cut] + '"', 0)
            except ValueError:  # a control character or a bad escape
                return False
            if end != cut + 1 or _HIGH_SURROGATE_FIRST <= decoded[-1:] <= _HIGH_SURROGATE_LAST:
                return False  # the string closed in the chunk, or a high surrogate may pair
            length = self._length + len(decoded)
            if length > self.max_string_length:
                return False
        else:
            decoded, length = "", self._length
        self._escape = source[cut:]
        self._state = _ESCAPE if self._escape else _STRING
        self._consumed += len(text)  # no newline can stand inside a string
        if decoded:
            self._length = length
            self._keep_piece(decoded)
            if not self._in_key:
                self._on_string(decoded)
        return True

    def _keep_piece(self, piece: str) -> None:
        """Keep a piece of the string being read; every 256 pieces are joined into one block.

        A long string fed one character at a time then costs memory near its
        size, not a list entry and a string object per character.
        """
        parts = self._parts
        parts.append(piece)
        if len(parts) >= 256:
            self._blocks.append("".join(parts))
            parts.clear()

    def _flush_string_piece(self) -> None:
        """End of a feed() inside a string: report this feed's text in one piece."""
        parts = self._parts
        fresh = self._fresh
        if len(parts) > fresh:
            piece = "".join(parts[fresh:]) if len(parts) - fresh > 1 else parts[fresh]
            del parts[fresh:]
            self._keep_piece(piece)
            if not self._in_key:
                self._on_string(piece)
        self._fresh = len(parts)

    def _flush_high(self) -> None:
        """A high surrogate was not followed by its low half: keep it alone, as json does."""
        self._parts.append(chr(self._high))
        self._high = 0

    def _string_too_long(self, pos: int) -> None:
        raise self._fail(
            LimitExceededError,
            ErrorKind.STRING_LIMIT,
            f"String longer than max_string_length={self.max_string_length} characters; "
            "raise max_string_length to accept it",
            self._consumed + pos,
        )

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
        elif kind in _SIMPLE_ESCAPES:
            if self._high:
                self._flush_high()
            self._parts.append(_SIMPLE_ESCAPES[kind])
            self._length += 1
            if self._length > self.max_string_length:
                self._string_too_long(pos + shift)
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
        if not escape[2:6].strip(_HEX_DIGITS):
            return
        for i, char in enumerate(escape[2:6], 2):
            if char not in _HEX_DIGITS:
                raise self._syntax(
                    ErrorKind.INVALID_ESCAPE,
                    f"Invalid \\uXXXX escape: found {char!r}, expected a hex digit",
                    pos + i,
                )

    def _add_code_point(self, digits: str, pos: int) -> None:
        if digits.strip(_HEX_DIGITS):
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
        else:
            self._parts.append(chr(code))
        self._length += 1
        if self._length > self.max_string_length:
            self._string_too_long(pos)

    # --- numbers and literals -----------------------------------------------------

    def _read_number(self, text: str, pos: int) -> tuple[int, int]:
        """Read number characters from ``pos``; complete the number if it ends here."""
        if text[pos] not in _NUMBER_CHARS:
            end = pos
        elif not (text[pos:] if pos else text).strip(_NUMBER_TEXT):
            end = len(text)  # the chunk ends inside the number, as tokens often do
        else:
            end = _NUMBER_RUN(text, pos).end()
        number = self._pending + text[pos:end]
        if len(number) > self.max_number_length:
            self._number_too_long()
        if end == len(text):
            self._pending = number
            return end, _NUMBER
        self._pending = ""
        return end, self._complete_number(number, end, text[end])

    def _number_too_long(self) -> NoReturn:
        raise self._fail(
            LimitExceededError,
            ErrorKind.NUMBER_LIMIT,
            f"Number longer than max_number_length={self.max_number_length} characters; "
            "raise max_number_length to accept it",
            self._token_start,
        )

    def _complete_number(self, number: str, pos: int, following: str) -> int:
        """Convert a finished number; ``pos`` is where the character after it stands."""
        digits = number[1:] if number[0] == "-" else number
        if digits.isdigit() and (digits[0] != "0" or len(digits) == 1):
            is_float = False  # the commonest number, known valid without the regex
        else:
            match = _VALID_NUMBER(number)
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
        return _AFTER if self._stack else _END

    def _bad_number(self, number: str, pos: int, following: str) -> NoReturn:
        """Raise for a malformed number, at the first character that breaks it."""
        good = _valid_number_prefix(number)
        start = pos - len(number)  # relative to the current chunk
        if good < len(number):
            found, at = number[good], start + good
        else:
            found, at = following, pos
        expected = _expected_in_number(number[:good])
        raise self._syntax(
            ErrorKind.INVALID_NUMBER,
            f"Invalid number {number[:good]!r}: expected {expected}, found {_describe(found)}",
            at,
        )

    def _read_literal(self, text: str, pos: int) -> tuple[int, int]:
        """Match ``true``/``false``/``null`` from ``pos``, possibly across chunks."""
        pending = self._pending
        word, value = _LITERALS[pending[0] if pending else text[pos]]
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
            return pos + len(got), _LITERAL
        self._pending = ""
        self._on_scalar(value)
        return pos + len(got), (_AFTER if self._stack else _END)

    # --- errors ----------------------------------------------------------------

    def _unexpected(self, state: int, char: str, pos: int) -> ParseError:
        """The error for ``char`` where ``state`` allows no such character."""
        if state == _END:
            return self._syntax(
                ErrorKind.EXTRA_DATA,
                f"Extra data after the end of the document: found {char!r}",
                pos,
            )
        if state == _AFTER:
            closer = "'}'" if self._stack[-1] == _OBJECT else "']'"
            expected = f"',' delimiter or {closer}"
        elif state == _COLON:
            expected = "':' delimiter"
        else:
            expected = _EXPECTED[state]
        return self._syntax(
            ErrorKind.UNEXPECTED_CHARACTER, f"Expecting {expected}, found {char!r}", pos
        )

    def _line_column(self, offset: int) -> tuple[int, int]:
        """Line and column of an offset at or after the start of the current line."""
        return self._line, offset - self._line_start + 1

    def _syntax(self, kind: ErrorKind, msg: str, pos: int) -> ParseError:
        return self._fail(JsonSyntaxError, kind, msg, self._consumed + pos)

    def _fail(
        self,
        cls: type[ParseError],
        kind: ErrorKind,
        msg: str,
        offset: int,
        *,
        byte_offset: bool = False,
    ) -> ParseError:
        """Build the error, poison the parser with it, and return it to raise."""
        if byte_offset:
            line, column = self._line, 1 + self._consumed - self._line_start
        else:
            line, column = self._position_of(offset)
        error = cls(kind, msg, offset, line, column)
        self._error = error
        return error

    def _position_of(self, offset: int) -> tuple[int, int]:
        # The offending character is in the chunk being read, or before it
        # (an escape or token that started in an earlier chunk); only the
        # current chunk's newlines are not counted yet.
        text = self._chunk
        rel = offset - self._consumed
        if rel <= 0:
            return self._line, offset - self._line_start + 1
        newlines = text.count("\n", 0, rel)
        if not newlines:
            return self._line, offset - self._line_start + 1
        last = text.rfind("\n", 0, rel)
        return self._line + newlines, rel - last


def _join(blocks: list[str], parts: list[str]) -> str:
    """The text of a string kept as blocks and parts, joined in one copy.

    One join, not two and a concatenation: the peak is the pieces plus the
    result, twice the string, not three times.
    """
    if not blocks:
        return "".join(parts)
    return "".join([*blocks, *parts])


def _valid_number_prefix(number: str) -> int:
    """How many leading characters of ``number`` can begin a valid JSON number."""
    # A tiny DFA over the grammar of RFC 8259 section 6; only the error path runs it.
    i, n = 0, len(number)
    if i < n and number[i] == "-":
        i += 1
    if i < n and number[i] == "0":
        i += 1
    elif i < n and number[i].isdigit():
        while i < n and number[i] in "0123456789":
            i += 1
    else:
        return i
    if i < n and number[i] == ".":
        i += 1
        if not (i < n and number[i] in "0123456789"):
            return i
        while i < n and number[i] in "0123456789":
            i += 1
    if i < n and number[i] in "eE":
        i += 1
        if i < n and number[i] in "+-":
            i += 1
        if not (i < n and number[i] in "0123456789"):
            return i
        while i < n and number[i] in "0123456789":
            i += 1
    return i


def _expected_in_number(prefix: str) -> str:
    """What may follow a valid number prefix that stopped short."""
    last = prefix[-1:]
    if last in ("", "-"):
        return "a digit"
    if last == ".":
        return "a digit after '.'"
    if last in "eE+" or (last == "-" and len(prefix) > 1):
        return "a digit in the exponent"
    return "',' or a closing bracket after the number"
