"""What validating one value gives: a result, a failure, or nothing (``NO``).

Also the helpers that turn pydantic's errors into what the events carry.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Final

from .._types import Path

if TYPE_CHECKING:
    from pydantic import ValidationError

NO: Final[Any] = object()  # "no result": a value nobody validates (extra keys, fallbacks)

Loc = tuple[Any, ...]


class Failed:
    """A validation failure, kept as pydantic's own error so it can be re-raised."""

    __slots__ = ("error",)

    def __init__(self, error: ValidationError) -> None:
        self.error = error


def shown(result: Any) -> Any:
    """What a container holds for a child: its validated value, or None.

    None where it failed or is not validated yet, so that a partial value
    holds only values of its declared types (``model_dump()`` does not warn);
    the raw value is in the ``FieldInvalid`` event and in ``snapshot()``.
    """
    return None if result is NO or type(result) is Failed else result


@functools.cache
def validation_error() -> type[ValidationError]:
    """pydantic's ValidationError, imported when first needed (not with midstream)."""
    from pydantic_core import ValidationError

    return ValidationError


@functools.cache
def _builtin_error_types() -> frozenset[str]:
    from typing import get_args

    from pydantic_core.core_schema import ErrorType

    return frozenset(get_args(ErrorType)) - {"value_error", "assertion_error"}


def type_errors_only(exc: ValidationError) -> bool:
    """Whether every error is pydantic's own (no validator function raised)."""
    builtin = _builtin_error_types()
    return all(e["type"] in builtin for e in exc.errors(include_url=False, include_input=False))


def errors_at(failed: Failed, loc: Loc) -> list[dict[str, Any]]:
    """The failure's errors, each ``loc`` prefixed with where the value sits."""
    errors: list[dict[str, Any]] = []
    for details in failed.error.errors():
        error: dict[str, Any] = dict(details)
        error["loc"] = (*loc, *details["loc"])
        errors.append(error)
    return errors


def error_from(exc: Exception, raw: Any, title: str) -> ValidationError:
    """The ValidationError pydantic makes of an exception raised in a validator."""
    from pydantic_core import PydanticCustomError

    if isinstance(exc, PydanticCustomError):
        details: Any = {"type": exc, "loc": (), "input": raw}
    elif isinstance(exc, AssertionError):
        details = {"type": "assertion_error", "loc": (), "input": raw, "ctx": {"error": exc}}
    else:
        details = {"type": "value_error", "loc": (), "input": raw, "ctx": {"error": exc}}
    return validation_error().from_exception_data(title, [details])


def rebase(errors: list[Any], title: str, *, drop: int = 1) -> ValidationError:
    """A ValidationError of ``errors`` with the first ``drop`` elements of each ``loc`` dropped.

    Its messages are rendered as for JSON input, as ``model_validate_json``
    renders them ("Input should be an object", not "a valid dictionary").
    """
    from pydantic_core import PydanticCustomError

    error_type = validation_error()
    details: list[Any] = []
    for e in errors:
        detail: Any = {"type": e["type"], "loc": tuple(e["loc"][drop:]), "input": e["input"]}
        if "ctx" in e:
            detail["ctx"] = e["ctx"]
        try:
            error_type.from_exception_data(title, [detail])
        except KeyError:  # a custom error type: keep its message as it was
            message = e["msg"].replace("{", "{{").replace("}", "}}")
            detail["type"] = PydanticCustomError(e["type"], message, e.get("ctx"))
            detail.pop("ctx", None)
        details.append(detail)
    return error_type.from_exception_data(title, details, input_type="json")


def as_json_input(exc: ValidationError) -> ValidationError:
    """``exc`` with its messages rendered as for JSON input (the raw values were JSON)."""
    errors = exc.errors()
    if all(e["type"] not in _INPUT_TYPE_WORDED for e in errors):
        return exc
    return rebase(errors, exc.title, drop=0)


# Error types whose message pydantic words differently for JSON input.
_INPUT_TYPE_WORDED: Final = frozenset(
    {
        "arguments_type",
        "dataclass_type",
        "dict_type",
        "frozen_set_type",
        "iterable_type",
        "list_type",
        "model_attributes_type",
        "model_type",
        "set_type",
        "tuple_type",
    }
)


def extra_forbidden(title: str, path: Path, loc: Loc, key: str) -> list[dict[str, Any]]:
    """The errors of an unknown key in a model with ``extra="forbid"`` (its value unseen)."""
    error = validation_error().from_exception_data(
        title, [{"type": "extra_forbidden", "loc": (*loc, key), "input": None}]
    )
    return [dict(e) for e in error.errors()]
