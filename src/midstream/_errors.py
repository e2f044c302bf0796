"""The exceptions midstream raises on bad input, and where in the stream it was.

::

    ValueError
    └── ParseError                 .kind .msg .offset .line .column
        ├── JsonSyntaxError        a character no JSON continuation allows
        ├── IncompleteJsonError    the stream ended inside a value (close() only)
        └── LimitExceededError     a configured limit (depth, string, number) was hit
    TimeoutError
    └── StreamTimeout              a source sent nothing for too long (adapters)

Every :class:`ParseError` subclasses :class:`ValueError`, as
:class:`json.JSONDecodeError` does, so code that catches ``ValueError`` keeps
working. Offsets count from the start of the stream, never from the start of
the current chunk: characters, or bytes for a parser fed bytes (``unit``);
``line`` and ``column`` count characters and start at 1.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = [
    "ErrorKind",
    "IncompleteJsonError",
    "JsonSyntaxError",
    "LimitExceededError",
    "ModelRefused",
    "ParseError",
    "StreamTimeout",
]


class ErrorKind(enum.Enum):
    """What went wrong, as a closed set that tests and callers can match on."""

    #: A character that JSON does not allow where it stands.
    UNEXPECTED_CHARACTER = "unexpected_character"
    #: Text after the end of the root value.
    EXTRA_DATA = "extra_data"
    #: A backslash escape that JSON does not define, or a bad ``\uXXXX``.
    INVALID_ESCAPE = "invalid_escape"
    #: A raw control character (U+0000 to U+001F) inside a string.
    CONTROL_CHARACTER = "control_character"
    #: A malformed number such as ``01``, ``1.`` or ``-``.
    INVALID_NUMBER = "invalid_number"
    #: A misspelt ``true``, ``false`` or ``null`` (and ``NaN``, ``Infinity``).
    INVALID_LITERAL = "invalid_literal"
    #: Bytes that are not valid UTF-8.
    INVALID_UTF8 = "invalid_utf8"
    #: The stream ended before the document did.
    UNEXPECTED_END = "unexpected_end"
    #: Nesting deeper than ``max_depth``.
    DEPTH_LIMIT = "depth_limit"
    #: A string (or key) longer than ``max_string_length``.
    STRING_LIMIT = "string_limit"
    #: A number longer than ``max_number_length``, or beyond Python's int digits limit.
    NUMBER_LIMIT = "number_limit"
    #: Any other configured bound (buffered text, candidate size).
    SIZE_LIMIT = "size_limit"


class ParseError(ValueError):
    """Bad input: says what was expected, what was found, and where.

    Attributes:
        kind: the :class:`ErrorKind`, for matching in code.
        msg: the message without the position.
        offset: where the error is, from the start of the stream, in the
            unit the stream was fed in: characters of ``str`` chunks, bytes
            of ``bytes`` chunks (a UTF-8 BOM included). An ``INVALID_UTF8``
            error is at its first bad byte; any other error of a parser fed
            bytes is at the first byte of its character.
        unit: ``"char"`` or ``"byte"``: what ``offset`` counts (the message
            says it too).
        line: 1-based line of the offending character.
        column: 1-based column of the offending character.
        events: the events that the failing ``feed()`` or ``close()`` call
            produced before the error, in order. They are valid: nothing
            parsed before the error is lost.
    """

    kind: ErrorKind
    msg: str
    offset: int
    line: int
    column: int
    unit: str
    events: list[Any]

    def __init__(
        self, kind: ErrorKind, msg: str, offset: int, line: int, column: int, *, unit: str = "char"
    ) -> None:
        super().__init__(f"{msg}: line {line} column {column} ({unit} {offset})")
        self.unit = unit
        self.kind = kind
        self.msg = msg
        self.offset = offset
        self.line = line
        self.column = column
        self.events = []

    def __reduce__(self) -> tuple[Any, ...]:
        args = (self.kind, self.msg, self.offset, self.line, self.column)
        return (_rebuild, (self.__class__, args, self.unit))


def _rebuild(cls: type[ParseError], args: tuple[Any, ...], unit: str) -> ParseError:
    """Unpickle a ParseError (``unit`` is keyword-only)."""
    return cls(*args, unit=unit)


class JsonSyntaxError(ParseError):
    """A character that no valid JSON continuation allows. Never recoverable."""


class IncompleteJsonError(ParseError):
    """The stream ended inside a value. Raised only by ``close()``, never by ``feed()``."""


class LimitExceededError(ParseError):
    """A configured limit was exceeded; the message names the option to raise it."""


class StreamTimeout(TimeoutError):
    """The source sent nothing for longer than the idle timeout.

    Attributes:
        received: the text received before the source went quiet.
        events: the events parsed from it, all still valid.
    """

    def __init__(self, timeout: float, received: str = "", events: list[Any] | None = None) -> None:
        super().__init__(f"no data from the stream for {timeout:g} s; the stream was stopped")
        self.timeout = timeout
        self.received = received
        self.events: list[Any] = events if events is not None else []


class StreamError(Exception):
    """The provider's HTTP stream failed: what came before it stands, nothing more will come.

    Raised by the raw-response path of ``stream_events`` for an HTTP error
    status, a body that is not an event stream, an ``error`` event in the
    middle of the stream, and a connection that failed while the body was being
    read (the transport's exception is the ``__cause__``). Not a
    :class:`ParseError`: the provider or the network said no, the bytes were
    not malformed.

    Attributes:
        message: the provider's message (or what went wrong, in our words).
        status: the HTTP status, when the failure is one (None mid-stream).
        type: the provider's error type (``"overloaded_error"``,
            ``"invalid_request_error"``...), None if it gave none.
        code: the provider's error code (``"rate_limit_exceeded"``...), or None.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type: str | None = None,
        code: str | None = None,
    ) -> None:
        where = f"HTTP {status}" if status is not None else "the stream failed"
        kinds = ", ".join(k for k in (type, code) if k)
        super().__init__(f"{where}: {message}" + (f" ({kinds})" if kinds else ""))
        self.message = message
        self.status = status
        self.type = type
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_stream_error, (self.message, self.status, self.type, self.code))


def _rebuild_stream_error(
    message: str, status: int | None, type: str | None, code: str | None
) -> StreamError:
    return StreamError(message, status=status, type=type, code=code)


class ModelRefused(Exception):
    """The model refused to answer (a Structured Outputs refusal) instead of giving the value.

    Not a :class:`ParseError` nor a ``ValueError``: the output is not broken, there
    is none, and the model said why. Raised by :func:`~midstream.stream_model` fed
    a provider's events; :func:`~midstream.stream_events` gives
    :class:`~midstream.RefusalDelta` events instead.

    Attributes:
        refusal: the model's refusal text, whole.
    """

    def __init__(self, refusal: str) -> None:
        super().__init__(refusal)  # args: what rebuilds it (pickle, copy)
        self.refusal = refusal

    def __str__(self) -> str:
        return f"the model refused: {self.refusal}"
