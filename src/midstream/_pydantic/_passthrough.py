"""The pass-throughs a shallow validator calls in place of each child's schema.

A container is validated by its own schema with every child schema replaced
by a pass-through that hands back the child's result, already validated (or
re-raises its errors, which pydantic then prefixes with the key, index or tag).

The pass-throughs are called by pydantic-core, in the middle of its own
validation, so they cannot be given the frame they read as an argument. The
only value pydantic-core carries down to them is ``context=``, and the user's
own validators see that one too, as ``info.context`` (None when the user gives
none: it would then be our frame). So :func:`run` puts the frame (or a lone
child's result) in a ``ContextVar`` for the length of the call, and this
module is the only one that reads it. A ``ContextVar`` rather than an
attribute of the compiled plan: plans are shared by every stream of a type,
and streams may run in several threads at once.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from ._outcome import Failed, as_json_input, rebase, validation_error

if TYPE_CHECKING:
    from pydantic_core import SchemaValidator

_SLOT: Final[contextvars.ContextVar[Any]] = contextvars.ContextVar("midstream_model_slot")


def run(validator: SchemaValidator, raw: Any, slot: Any, *, as_json: bool = False) -> Any:
    """Run a shallow validator on ``raw`` with ``slot`` for its pass-throughs to read."""
    token = _SLOT.set(slot)
    try:
        if as_json:
            return validator.validate_json(json.dumps(raw))
        return validator.validate_python(raw)
    except validation_error() as exc:
        return Failed(exc if as_json else as_json_input(exc))
    finally:
        _SLOT.reset(token)


def field(name: str, default: SchemaValidator | None = None) -> Callable[[Any, Any], Any]:
    """A model field: its result (a model frame in the slot).

    ``default``: the field's validator alone, which validates its constant
    default as JSON input does (see ``_Compiler._default_validator``).
    """

    def passthrough(value: Any, handler: Any) -> Any:
        frame = _SLOT.get()
        if name not in frame.seen:  # a default being validated
            if default is None:
                return handler(value)
            try:
                return default.validate_json("{}")[0][name]
            except validation_error() as exc:  # its loc starts with the name: pydantic adds it
                raise rebase(exc.errors(), exc.title) from None
        if frame.failed and name in frame.failed:
            raise frame.failed[name].error
        return frame.values[name]

    return passthrough


def deferred(name: str) -> Callable[[Any, Any], Any]:
    """A field whose validator reads ``info``: its result if it was validated early."""

    def passthrough(value: Any, handler: Any) -> Any:
        frame = _SLOT.get()
        if frame.early is None or name not in frame.early:
            return handler(value)  # absent: its default
        if frame.failed and name in frame.failed:
            raise frame.failed[name].error
        return frame.values[name]

    return passthrough


def capture(value: Any) -> Any:
    """After a field validated: keep its value (the model around it may still fail)."""
    _SLOT.get().captured = value
    return value


def item(value: Any, handler: Any) -> Any:
    """A list item, in order (a list frame in the slot, its ``i`` at 0)."""
    frame = _SLOT.get()
    i = frame.i
    frame.i = i + 1
    if frame.failed and i in frame.failed:
        raise frame.failed[i].error
    return frame.out[i]


def dict_value(value: Any, handler: Any) -> Any:
    """A dict value, in order (a dict frame in the slot, ``it`` iterating its keys)."""
    frame = _SLOT.get()
    key = next(frame.it)
    if frame.failed and key in frame.failed:
        raise frame.failed[key].error
    return frame.out[key]


def single(value: Any, handler: Any) -> Any:
    """The one child of a union branch or a validator layer (its result in the slot)."""
    result = _SLOT.get()
    if type(result) is Failed:
        raise result.error
    return result
