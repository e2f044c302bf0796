"""The JSON core's state, hooks and errors, under its readers.

:class:`~midstream._json_core.JsonCore` is built in layers, one module each,
so that each reader is read in one place: this base (the parser's state, the
hooks it reports to, its errors and positions), the string reader
(``_json_strings``), the number and literal reader (``_json_numbers``), and
the core itself (``_json_core``: ``feed()``, ``close()`` and the loop over
structure). The layers add methods; none overrides another's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Generic, TypeVar

from ._compat import mypyc_attr
from ._errors import ErrorKind, JsonSyntaxError, LimitExceededError, ParseError
from ._json_chars import END, VALUE
from ._json_messages import limit_message
from ._json_utf8 import Utf8Input
from ._lifecycle import Lifecycle
from ._options import check_limit
from ._position import Position
from ._types import JSONValue

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_NUMBER_LENGTH",
    "DEFAULT_MAX_STRING_LENGTH",
    "CoreBase",
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

#: What the hooks of a subclass append to ``self._events``: its event type.
_Out = TypeVar("_Out")


@mypyc_attr(allow_interpreted_subclasses=True)
class CoreBase(Lifecycle, Generic[_Out]):
    """The parser's state and limits, its hooks (no-ops here) and how it fails."""

    def __init__(
        self,
        *,
        max_depth: int = DEFAULT_MAX_DEPTH,
        max_string_length: int = DEFAULT_MAX_STRING_LENGTH,
        max_number_length: int = DEFAULT_MAX_NUMBER_LENGTH,
    ) -> None:
        super().__init__()
        self.max_depth = check_limit("max_depth", max_depth)
        self.max_string_length = check_limit("max_string_length", max_string_length)
        self.max_number_length = check_limit("max_number_length", max_number_length)

        self._state = VALUE
        self._stack: list[int] = []  # OBJECT or ARRAY per open container
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

        self._pos = Position()  # its base is where the current chunk starts
        self._utf8: Utf8Input | None = None  # made by the first bytes fed
        self._chunk = ""  # the text being read, for error positions

        self._events: list[_Out] = []  # what the hooks produced in this call
        # called with each call's non-empty output before it is returned
        self._listener: Callable[[list[_Out]], None] | None = None

    # --- hooks: no-ops here, so that a bare core checks a document --------------------

    def _on_start(self, kind: str) -> None:
        """A value begins (not for keys): ``kind`` is object, array, string, number, true..."""

    def _on_string(self, text: str) -> None:
        """New characters of a string value, at most once per string per ``feed()``."""

    def _on_scalar(self, value: JSONValue) -> None:
        """A string, number or literal completed."""

    def _on_key(self, key: str) -> None:
        """A property name completed."""

    def _on_end(self) -> None:
        """An object or array closed."""

    # --- state queries ----------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once the root value is complete."""
        return self._state == END

    @property
    def offset(self) -> int:
        """Characters consumed so far."""
        return self._pos.base

    @property
    def depth(self) -> int:
        """How many objects and arrays are open."""
        return len(self._stack)

    # --- output -----------------------------------------------------------------

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

    # --- errors -----------------------------------------------------------------

    def _syntax(self, kind: ErrorKind, msg: str, pos: int) -> ParseError:
        """A syntax error at ``pos`` in the current chunk."""
        return self._fail(JsonSyntaxError, kind, msg, self._pos.base + pos)

    def _too_long(self, what: str, option: str, limit: int, offset: int) -> ParseError:
        """A length limit passed at ``offset``."""
        msg = limit_message(what, option, limit, "characters")
        kind = ErrorKind.STRING_LIMIT if option == "max_string_length" else ErrorKind.NUMBER_LIMIT
        return self._fail(LimitExceededError, kind, msg, offset)

    def _fail(
        self,
        cls: type[ParseError],
        kind: ErrorKind,
        msg: str,
        offset: int,
        fed_offset: int = -1,
    ) -> ParseError:
        """Build the error at ``offset`` (characters), poison the parser with it, return it.

        A parser fed bytes reports the offset in bytes as fed: ``fed_offset``
        when the caller knows it (a bad byte), else ``offset`` converted.
        """
        line, column = self._pos.locate(self._chunk, offset)
        utf8 = self._utf8
        if utf8 is None:
            error = cls(kind, msg, offset, line, column)
        else:
            if fed_offset < 0:
                fed_offset = utf8.fed_offset(offset, self._pos.base, self._chunk)
            error = cls(kind, msg, fed_offset, line, column, unit="byte")
        return self._poison(error)
