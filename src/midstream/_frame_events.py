"""What the framers of a body that is not SSE share: one event's JSON, and errors held back.

Each framer (:mod:`midstream._framing`'s NDJSON and JSON-array framers,
:mod:`midstream._eventstream`'s) cuts the body into events and decodes each
event's JSON object once, by jiter, with the error at its place in the body
when it is not one. Objects completed before an error in the same chunk are
returned first, and the error is held back for the next call.
"""

from __future__ import annotations

from typing import Any

from jiter import from_json

from ._errors import ErrorKind, JsonSyntaxError, LimitExceededError, ParseError
from ._json_core import JsonCore
from ._json_messages import limit_message
from ._options import check_limit

__all__ = ["Framer", "decode_event", "too_big"]


class Framer:
    """A framer's limit, and the error held back for its next call."""

    def __init__(self, max_event_size: int) -> None:
        self._max = check_limit("max_event_size", max_event_size)
        self._pending: ParseError | None = None

    def _raise_pending(self) -> None:
        error = self._pending
        if error is not None:
            self._pending = None
            raise error


def _located(
    data: bytes, what: str, offset: int, line: int, column: int, error: ValueError
) -> ParseError:
    """Why jiter refused ``data``, said by the JSON core with its position in the body."""
    core: JsonCore[object] = JsonCore()
    try:
        core.feed(data)
        core.close()
    except ParseError as exc:
        col = exc.column + column - 1 if exc.line == 1 else exc.column
        return type(exc)(
            exc.kind, f"{what}: {exc.msg}", offset + exc.offset, line + exc.line - 1, col,
            unit="byte",
        )
    # valid JSON that jiter would not decode: nesting past its recursion limit
    return LimitExceededError(
        ErrorKind.DEPTH_LIMIT, f"{what} cannot be decoded: {error}", offset, line, column,
        unit="byte",
    )


def decode_event(data: bytes, what: str, offset: int, line: int, column: int) -> dict[str, Any]:
    """One event's JSON object, or the error at its place in the body."""
    try:
        value = from_json(data, allow_inf_nan=False)
    except ValueError as exc:
        raise _located(data, what, offset, line, column, exc) from None
    if type(value) is not dict:
        lead = len(data) - len(data.lstrip())
        raise JsonSyntaxError(
            ErrorKind.UNEXPECTED_CHARACTER, f"{what} is not a JSON object",
            offset + lead, line, column + lead, unit="byte",
        )
    return value


def too_big(what: str, limit: int, unit: str, offset: int, line: int, column: int) -> ParseError:
    """``what`` passed ``max_event_size``."""
    msg = limit_message(f"{what} is longer", "max_event_size", limit, unit)
    return LimitExceededError(ErrorKind.SIZE_LIMIT, msg, offset, line, column, unit="byte")
