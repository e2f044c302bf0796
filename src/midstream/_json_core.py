"""The character-level JSON state machine.

Rule 1: only the JSON core looks at characters: this module and its readers
(``_json_strings`` for strings, ``_json_numbers`` for numbers and literals,
over the state, hooks and errors of ``_json_base``; the messages in
``_json_messages``).
Rule 2: it knows nothing about paths, fields, events or models; it reports
what it finds to five hook methods that a subclass implements (a bare
:class:`JsonCore` checks a document and reports nothing), and ``feed()``
hands back whatever those hooks appended to ``self._events``.

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

from typing import TypeVar

from ._compat import mypyc_attr
from ._errors import ErrorKind, IncompleteJsonError, JsonSyntaxError, LimitExceededError, ParseError
from ._json_base import DEFAULT_MAX_DEPTH, DEFAULT_MAX_NUMBER_LENGTH, DEFAULT_MAX_STRING_LENGTH
from ._json_chars import (
    AFTER,
    ARRAY,
    ARRAY_FIRST,
    COLON,
    END,
    ESCAPE,
    KEY,
    LITERAL,
    LITERALS,
    NUMBER,
    NUMBER_START,
    NUMBER_TEXT,
    OBJECT,
    OBJECT_FIRST,
    STRING,
    VALUE,
    WHITESPACE,
    WHITESPACE_RUN,
)
from ._json_messages import still_open, unexpected_message, unfinished_message
from ._json_numbers import NumberReader
from ._json_utf8 import Utf8Input

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_NUMBER_LENGTH",
    "DEFAULT_MAX_STRING_LENGTH",
    "JsonCore",
]

_Out = TypeVar("_Out")


# Compiled by mypyc in wheels (hatch_build.py); subclassed by Python classes too
# (ModelStream's engine, through JsonStream).
@mypyc_attr(allow_interpreted_subclasses=True)
class JsonCore(NumberReader[_Out]):
    """Tokenises a JSON document fed in pieces, and calls hooks as values form.

    Subclasses implement the ``_on_*`` hooks (no-ops here: a bare ``JsonCore``
    checks a document); :class:`~midstream.JsonStream` is the one the library
    ships. What the hooks append to ``self._events`` is what :meth:`feed` and
    :meth:`close` return. The hooks are called in document order:

    - ``_on_start(kind)`` when a value begins (not for keys);
    - ``_on_string(text)`` with new characters of a string value, at most once
      per string per ``feed()``;
    - ``_on_scalar(value)`` when a string, number or literal completes;
    - ``_on_key(key)`` when a property name completes;
    - ``_on_end()`` when an object or array closes.
    """

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
        if self._error is not None or self._closed:
            self._refuse("feed")
        if not isinstance(text, str):
            return self._feed_bytes(text)
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
        string (the string reader's own), whitespace between tokens, and more
        digits of a number. None of them can complete the root value. A regex
        call costs several str method calls, so these tests use str methods.
        """
        state = self._state
        if state == STRING or state == ESCAPE:
            return self._read_string_chunk(text, n)
        if state < STRING and not text.strip(" \t\n\r"):
            self._pos.advance(text, n)
        elif state == NUMBER and not text.strip(NUMBER_TEXT):
            self._take_number(text)
            self._pos.base += n
        else:
            return False
        return True

    def _feed_bytes(self, data: bytes | bytearray | memoryview) -> list[_Out]:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"feed() takes str or bytes, not {type(data).__name__}")
        utf8 = self._utf8
        if utf8 is None:
            utf8 = self._utf8 = Utf8Input()
        text, decode_error = utf8.decode(bytes(data), self._pos.base)
        try:
            self._run(text, False)
            if decode_error is not None:
                raise self._fail(
                    JsonSyntaxError,
                    decode_error.kind,
                    decode_error.msg,
                    self._pos.base,
                    fed_offset=decode_error.offset,
                )
        except ParseError as exc:
            self._keep_events(exc)
            raise
        utf8.chunk_read()
        return self._take_events()

    def feed_until_done(self, text: str, /) -> tuple[list[_Out], int]:
        """Like :meth:`feed`, but stop right after the root value completes.

        Returns the events and how many characters of ``text`` were consumed;
        what follows is not part of this value (like
        :meth:`json.JSONDecoder.raw_decode`). A root number ends only at the
        character after it, which is not consumed.
        """
        if self._error is not None or self._closed:
            self._refuse("feed_until_done")
        n = len(text)
        # The fast paths never complete the root, so they consume the whole chunk;
        # after the root, a chunk is not consumed at all, whitespace included.
        if n and self._state != END and self._feed_fast(text, n):
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
        if not self._check_close():
            return []
        try:
            self._finish()
        except ParseError as exc:
            self._keep_events(exc)
            raise
        self._closed = True
        return self._take_events()

    # --- the loop ------------------------------------------------------------------

    # One function on purpose, past the project's limits (104 lines, radon
    # complexity 42): every character between tokens passes through it, and each
    # branch split into a method costs a call per token on the compiled build.
    # Splitting out only the start of a value (string, container, number,
    # literal) cost 0.75% more instructions on the number table (3,000 token
    # chunks: 12.34M -> 12.43M a run, valgrind, compiled; 0.02% on structured
    # output), about 30 instructions a chunk; the strings and numbers already
    # live in their readers.
    def _run(self, text: str, stop_at_end: bool) -> int:
        """Consume ``text``; return where it stopped (``len(text)`` unless ``stop_at_end``)."""
        state = self._state
        n = len(text)
        if state == END and stop_at_end:
            return 0
        self._chunk = text
        self._fresh = len(self._parts)
        stack = self._stack
        pos = 0
        try:
            while pos < n:
                if state >= STRING:
                    if state <= ESCAPE:
                        pos, state = self._read_string(text, pos)
                    elif state == NUMBER:
                        pos, state = self._read_number(text, pos)
                    else:
                        pos, state = self._read_literal(text, pos)
                    if state == END and stop_at_end:
                        break
                    continue

                char = text[pos]
                if char in WHITESPACE:
                    pos += 1
                    if pos < n and text[pos] in WHITESPACE:
                        pos = WHITESPACE_RUN(text, pos).end()
                    continue

                if state == AFTER:
                    if char == ",":
                        state = KEY if stack[-1] == OBJECT else VALUE
                        pos += 1
                        continue
                    closes = char == ("}" if stack[-1] == OBJECT else "]")
                elif state == KEY or state == OBJECT_FIRST:
                    if char == '"':
                        state = self._open_string(pos, True)
                        pos += 1
                        continue
                    closes = char == "}" and state == OBJECT_FIRST
                elif state == COLON:
                    if char == ":":
                        state = VALUE
                        pos += 1
                        continue
                    closes = False
                elif state == VALUE or state == ARRAY_FIRST:
                    if char == '"':
                        self._on_start("string")
                        state = self._open_string(pos, False)
                        pos += 1
                        continue
                    if char == "{" or char == "[":
                        if len(stack) >= self.max_depth:
                            raise self._fail(
                                LimitExceededError,
                                ErrorKind.DEPTH_LIMIT,
                                f"Nesting deeper than max_depth={self.max_depth}; "
                                "raise max_depth to accept deeper documents",
                                self._pos.base + pos,
                            )
                        pos += 1
                        if char == "{":
                            self._on_start("object")
                            stack.append(OBJECT)
                            state = OBJECT_FIRST
                        else:
                            self._on_start("array")
                            stack.append(ARRAY)
                            state = ARRAY_FIRST
                        continue
                    if char in NUMBER_START or char in LITERALS:
                        self._token_start = self._pos.base + pos
                        self._pending = ""
                        if char in LITERALS:
                            self._on_start(LITERALS[char][0])
                            pos, state = self._read_literal(text, pos)
                        else:
                            self._on_start("number")
                            pos, state = self._read_number(text, pos)
                        if state == END and stop_at_end:
                            break
                        continue
                    closes = char == "]" and state == ARRAY_FIRST
                else:  # END
                    if stop_at_end:
                        break
                    closes = False
                if not closes:
                    raise self._unexpected(state, char, pos)
                pos += 1
                stack.pop()
                state = AFTER if stack else END
                self._on_end()
                if state == END and stop_at_end:
                    break
        finally:
            self._state = state
        if state == STRING or state == ESCAPE:
            self._report_string_text()
        self._pos.advance(text, pos)
        return pos

    def _unexpected(self, state: int, char: str, pos: int) -> ParseError:
        """The error for ``char`` at ``pos`` where ``state`` allows no such character."""
        if state == END:
            return self._syntax(
                ErrorKind.EXTRA_DATA,
                f"Extra data after the end of the document: found {char!r}",
                pos,
            )
        msg = unexpected_message(state, self._stack, char)
        return self._syntax(ErrorKind.UNEXPECTED_CHARACTER, msg, pos)

    def _finish(self) -> None:
        """End of stream: complete a root number, or say what is unfinished."""
        here = self._pos.base
        utf8 = self._utf8
        if utf8 is not None and utf8.cut_short():  # bytes fed ended inside a UTF-8 sequence
            raise self._fail(
                JsonSyntaxError,
                ErrorKind.INVALID_UTF8,
                "Invalid UTF-8 (the stream ended inside a character); "
                "expected UTF-8 encoded text",
                here,
                fed_offset=utf8.fed_offset(here, here, "") - utf8.cut_short(),
            )
        if self._state == NUMBER:
            self._close_number()
        state = self._state
        if state == END:
            return
        if state == STRING or state == ESCAPE or state == NUMBER or state == LITERAL:
            in_string = state == STRING or state == ESCAPE
            start = self._string_start if in_string else self._token_start
            line, column = self._pos.locate("", start)
            if in_string:
                what = "property name" if self._in_key else "string"
                msg = (
                    f"Unterminated {what} starting at line {line} column {column}; "
                    "expected '\"' before the end of the stream"
                )
            else:
                thing = "number" if state == NUMBER else "literal"
                msg = (
                    f"Unfinished {thing} {self._pending!r} at line {line} column {column}; "
                    "the stream ended inside it"
                )
            msg += still_open(self._stack)
        else:
            msg = unfinished_message(state, self._stack)
        raise self._fail(IncompleteJsonError, ErrorKind.UNEXPECTED_END, msg, here)
