"""Failing early: a value that can no longer be valid, said before it completes.

Only where it is sound, that is where no continuation of the text so far can
make the value valid, and where pydantic's own schema is what decides (no
validator of the user's runs before the check):

* a string longer than its ``max_length`` (``str`` and ``bytes``; for a
  ``str`` with ``str_strip_whitespace``, what the text so far keeps once
  stripped), or one that no member of an ``Enum`` or ``Literal`` of strings
  starts with;
* a list or dict with more items than its ``max_length``, when the next one
  begins;
* an integer with ``le``/``lt`` (``ge``/``gt`` when negative) whose digits so
  far already pass the bound, once their trailing zeros are dropped: more
  digits only grow its magnitude, and a fraction and exponent can only take
  off trailing zeros (``1200e-2`` is the integer 12; ``1234e-2`` is no
  integer at all). So the smallest magnitude digits ``P`` can still become
  is ``P`` without its trailing zeros. Once a ``.`` or ``e`` shows, the
  number is not checked further.

The error is pydantic's own, made from the value so far (its ``input``).
:func:`string_check` and :func:`int_check` read a leaf's schema when its
plan is compiled; the engine keeps one :class:`StringWatch` or
:class:`NumberWatch` for the scalar in progress.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ._outcome import Failed, Loc, errors_at, validation_error
from ._schema import Schema

if TYPE_CHECKING:
    from .._types import Path
    from ._plan import Position

# The error types an early check may report (any other error of the value so
# far may still go away with more text).
_EARLY_TYPES: Final = frozenset(
    {
        "string_too_long",
        "bytes_too_long",
        "enum",
        "literal_error",
        "less_than",
        "less_than_equal",
        "greater_than",
        "greater_than_equal",
    }
)
_NUMBER_CHARS: Final = "0123456789+-.eE"
_NUMBER_BYTES: Final = b"0123456789+-.eE"


class StringCheck:
    """What a string at a leaf is checked for while it streams."""

    __slots__ = ("choices", "limit", "strip", "utf8")

    def __init__(
        self, limit: int | None, strip: bool, utf8: bool, choices: tuple[str, ...] | None
    ) -> None:
        self.limit = limit
        self.strip = strip
        self.utf8 = utf8  # bytes: the limit counts UTF-8 bytes
        self.choices = choices


class IntCheck:
    """The bounds an integer at a leaf may pass while its digits stream."""

    __slots__ = ("max", "min")

    def __init__(self, low: int | None, high: int | None) -> None:
        self.min = low  # smallest valid value
        self.max = high  # largest valid value


def string_check(schema: Schema, config: Schema) -> StringCheck | None:
    """The early check of a leaf whose deciding schema is ``schema``, if it has one."""
    kind = schema.get("type")
    if kind == "str":
        limit = schema.get("max_length", config.get("str_max_length"))
        strip = schema.get("strip_whitespace", config.get("str_strip_whitespace", False))
        return StringCheck(limit, bool(strip), False, None) if limit is not None else None
    if kind == "bytes":
        limit = schema.get("max_length")
        if limit is None or config.get("val_json_bytes", "utf8") != "utf8":
            return None  # (base64: the decoded length is not the text's)
        return StringCheck(limit, False, True, None)
    choices: list[Any] = []
    if kind == "literal":
        choices = list(schema.get("expected", ()))
    elif kind == "enum" and "missing" not in schema:  # (_missing_ may take any string)
        choices = [member.value for member in schema.get("members", ())]
    if choices and all(type(c) is str for c in choices):
        return StringCheck(None, False, False, tuple(choices))
    return None


def int_check(schema: Schema) -> IntCheck | None:
    """The bounds of an ``int`` leaf, if it has any."""
    if schema.get("type") != "int":
        return None
    high = _bound(schema.get("le"), schema.get("lt"), -1)
    low = _bound(schema.get("ge"), schema.get("gt"), 1)
    return IntCheck(low, high) if low is not None or high is not None else None


def _bound(inclusive: Any, exclusive: Any, step: int) -> int | None:
    """The tighter of an inclusive and an exclusive integer bound, as an inclusive one."""
    bounds = []
    if type(inclusive) is int:
        bounds.append(inclusive)
    if type(exclusive) is int:
        bounds.append(exclusive + step)
    if not bounds:
        return None
    return min(bounds) if step < 0 else max(bounds)


class StringWatch:
    """The string in progress at a checked leaf."""

    __slots__ = ("check", "count", "lead", "loc", "path", "pos", "solid", "text", "trail")

    def __init__(self, pos: Position, check: StringCheck, path: Path, loc: Loc) -> None:
        self.pos = pos
        self.check = check
        self.path = path
        self.loc = loc
        self.count = 0  # characters (UTF-8 bytes for bytes) so far
        self.lead = 0  # leading whitespace
        self.trail = 0  # whitespace at the end so far
        self.solid = False  # a non-whitespace character came
        self.text: list[str] = []  # (kept for the value so far in the error)

    def add(self, text: str) -> list[dict[str, Any]] | None:
        """Take the next piece; return the errors if the string can no longer be valid."""
        check = self.check
        self.text.append(text)
        if check.choices is not None:
            so_far = "".join(self.text)
            self.text = [so_far]
            if any(c.startswith(so_far) for c in check.choices):
                return None
            return self._errors(so_far)
        if check.utf8:
            self.count += len(text.encode("utf-8", "surrogatepass"))
        else:
            self.count += len(text)
        kept = self.count
        if check.strip:
            stripped = text.rstrip()
            if not self.solid:
                self.lead += len(text) - len(text.lstrip())
                self.solid = bool(stripped)
            if stripped:
                self.trail = len(text) - len(stripped)
            else:
                self.trail += len(text)
            # What stripping the whole string will keep at least.
            kept = self.count - self.lead - self.trail if self.solid else 0
        assert check.limit is not None
        if kept <= check.limit:
            return None
        return self._errors("".join(self.text))

    def _errors(self, so_far: str) -> list[dict[str, Any]] | None:
        return early_errors(self.pos, so_far, self.loc)


class NumberWatch:
    """An integer in progress at a leaf with bounds: its text so far."""

    __slots__ = ("check", "fresh", "loc", "path", "pos", "text")

    def __init__(self, pos: Position, check: IntCheck, path: Path, loc: Loc) -> None:
        self.pos = pos
        self.check = check
        self.path = path
        self.loc = loc
        self.text = ""
        self.fresh = True  # began in the chunk being read

    def progress(self, chunk: str | bytes | bytearray | memoryview) -> list[dict[str, Any]] | None:
        """The chunk read ended inside the number: the errors, if its digits pass a bound."""
        if self.fresh:  # the number is the end of this chunk
            self.fresh = False
            if isinstance(chunk, str):
                piece = chunk[len(chunk.rstrip(_NUMBER_CHARS)) :]
            else:
                data = bytes(chunk)
                piece = data[len(data.rstrip(_NUMBER_BYTES)) :].decode("ascii")
        else:  # the whole chunk is more of it
            piece = chunk if isinstance(chunk, str) else bytes(chunk).decode("ascii", "replace")
        self.text += piece
        text = self.text
        digits = text[1:] if text.startswith("-") else text
        if not digits.isdigit() or digits.startswith("0"):
            return None  # a fraction or exponent (or a zero): not checked
        # The smallest magnitude it can still have (see the module's docstring).
        least = int(digits.rstrip("0"))
        check = self.check
        if text[0] == "-":
            if check.min is not None and -least < check.min:
                return early_errors(self.pos, int(text), self.loc)
        elif check.max is not None and least > check.max:
            return early_errors(self.pos, int(text), self.loc)
        return None


def early_errors(pos: Position, so_far: Any, loc: Loc) -> list[dict[str, Any]] | None:
    """pydantic's errors for the value so far, if they are ones an early check may report."""
    result = pos.validate(so_far)
    if type(result) is not Failed:
        return None
    errors = errors_at(result, loc)
    if not errors or any(e["type"] not in _EARLY_TYPES for e in errors):
        return None
    return errors


def too_long(kind: str, limit: int, count: int, so_far: Any, loc: Loc) -> list[dict[str, Any]]:
    """pydantic's ``too_long`` error of a list or dict that passed its ``max_length``."""
    field_type = "List" if kind == "array" else "Dictionary"
    error = validation_error().from_exception_data(
        "too_long",
        [
            {
                "type": "too_long",
                "loc": loc,
                "input": so_far,
                "ctx": {"field_type": field_type, "max_length": limit, "actual_length": count},
            }
        ],
        input_type="json",
    )
    return [dict(e) for e in error.errors()]
