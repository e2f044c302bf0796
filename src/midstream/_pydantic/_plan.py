"""The compiled plan of a type: one :class:`Position` per place the type declares.

A position either decomposes (its ``core`` is a model, list, dict or tagged
union whose children are positions of their own) or is a leaf, validated
whole when its value completes (:meth:`Position.validate`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final, Protocol

from ._outcome import Failed, error_from, type_errors_only, validation_error
from ._schema import Schema

if TYPE_CHECKING:
    from pydantic_core import SchemaValidator

    from ._early import IntCheck, StringCheck


# Raw values validated from their JSON text even where Python mode would do.
_AS_JSON: Final = (float, list, dict)


class Validators(Protocol):
    """What a position asks of its compiler, the first time it validates a leaf."""

    def validator(self, schema: Schema, config: Schema) -> SchemaValidator: ...

    def json_mode(self, schema: Schema, config: Schema) -> bool: ...


class FieldKey:
    """A key of a model: which field it fills, with what priority, validated how."""

    __slots__ = ("loc", "name", "pos", "prio")

    def __init__(self, name: str, prio: int, pos: Position | None, loc: str) -> None:
        self.name = name
        self.prio = prio
        self.pos = pos  # None: the field is validated with its model (deferred)
        self.loc = loc


class ModelCore:
    """A model: its keys, and the shallow validator of its fields."""

    __slots__ = (
        "cls",
        "config",
        "early",
        "forbid",
        "keys",
        "multi",
        "post_init",
        "shallow",
        "sparse",
        "template",
    )

    def __init__(self, cls: type, config: Schema) -> None:
        self.cls = cls
        self.config = config
        self.keys: dict[str, FieldKey] = {}
        self.template: dict[str, Any] = {}  # a partial instance's fields, None each
        self.sparse: set[str] = set()  # fields left out of it while None
        # fields whose validator reads info: (validator with the fields before, their names)
        self.early: dict[str, tuple[SchemaValidator, tuple[str, ...]]] = {}
        self.forbid = False
        self.multi = False
        self.shallow: SchemaValidator  # the model's fields, each a pass-through
        self.post_init: str | None = None

    @property
    def title(self) -> str:
        return str(self.config.get("title", self.cls.__name__))

    def build(self, fields: Any, raw: Any) -> Any:
        """The instance from the fields validator's ``(dict, extra, fields_set)``."""
        values, extra, fields_set = fields
        cls: Any = self.cls
        obj = cls.__new__(cls)
        set_attr = object.__setattr__
        set_attr(obj, "__dict__", values)
        set_attr(obj, "__pydantic_extra__", extra)
        set_attr(obj, "__pydantic_private__", None)
        set_attr(obj, "__pydantic_fields_set__", fields_set)
        if self.post_init is not None:
            try:
                getattr(obj, self.post_init)(None)
            except (ValueError, AssertionError) as exc:
                return Failed(error_from(exc, raw, self.title))
        return obj


class ListCore:
    __slots__ = ("item", "max_length", "shallow")

    def __init__(self, item: Position, shallow: SchemaValidator, max_length: int | None) -> None:
        self.item = item
        self.shallow = shallow
        self.max_length = max_length  # fails as the item past it begins


class DictCore:
    __slots__ = ("max_length", "shallow", "value")

    def __init__(self, value: Position, shallow: SchemaValidator, max_length: int | None) -> None:
        self.value = value
        self.shallow = shallow
        self.max_length = max_length  # fails as the key past it begins


class TaggedCore:
    __slots__ = ("choices", "keys", "shallow")

    def __init__(
        self, keys: set[str], choices: dict[Any, Position], shallow: SchemaValidator
    ) -> None:
        self.keys = keys
        self.choices = choices
        self.shallow = shallow


Core = ModelCore | ListCore | DictCore | TaggedCore


class Position:
    """How the value at one position of the document is validated."""

    __slots__ = (
        "_full",
        "_json",
        "compiler",
        "config",
        "core",
        "identity",
        "int_check",
        "layers",
        "null_ok",
        "schema",
        "shows_text",
        "string_check",
        "watch_keys",
    )

    def __init__(self, compiler: Validators | None, schema: Schema, config: Schema) -> None:
        self.compiler = compiler
        self.schema = schema
        self.config = config
        self.core: Core | None = None
        self.layers: tuple[SchemaValidator, ...] = ()
        self.null_ok = False
        self._full: SchemaValidator | None = None
        self._json = False
        # A JSON value of this exact type validates to itself (a plain str, int,
        # bool or float field, no constraints): no need to ask pydantic.
        self.identity: type | None = None
        # What a string or integer at this leaf is checked for while it streams.
        self.string_check: StringCheck | None = None
        self.int_check: IntCheck | None = None
        # A str is declared here: the partial value shows a string's text so far.
        self.shows_text = False
        # Set on the root: a model of the type forbids extra keys, which are
        # reported when the key completes (see KeyedJsonStream).
        self.watch_keys = False

    @classmethod
    def whole(cls, schema: Schema, validator: SchemaValidator) -> Position:
        """A position validated whole by pydantic's own ``validator`` (no compiler)."""
        pos = cls(None, schema, {})
        pos._full = validator
        return pos

    def validate_or_null(self, raw: Any) -> Any:
        """:meth:`validate`, with ``null`` at a nullable container taken as it is."""
        if raw is None and self.null_ok:
            return None
        return self.validate(raw)

    def validate(self, raw: Any) -> Any:
        """Validate a complete raw value with this position's whole schema."""
        if type(raw) is self.identity:
            return raw
        full = self._full
        if full is None:
            assert self.compiler is not None
            full = self._full = self.compiler.validator(self.schema, self.config)
            self._json = self.compiler.json_mode(self.schema, self.config)
        error = validation_error()
        python_error = None
        # Floats (also inside a value validated whole) go as JSON text: pydantic
        # reads a JSON number with a fraction or exponent as a float too, and
        # makes a Decimal or str of it as JSON mode does (``1e2`` is
        # ``Decimal('100')``, where Python mode gives ``Decimal('100.0')``).
        if not self._json and type(raw) not in _AS_JSON:
            try:
                return full.validate_python(raw)
            except error as exc:
                python_error = exc
            if not type_errors_only(python_error):
                return Failed(python_error)  # a validator said no: do not run it twice
        # JSON-mode rules decide: strict schemas, and what failed in Python
        # mode, so that error types are pydantic's JSON ones (``dict_type``).
        try:
            return full.validate_json(json.dumps(raw))
        except error as exc:
            if python_error is not None and exc.errors()[0]["type"] == "json_invalid":
                return Failed(python_error)  # a lone surrogate: keep Python's verdict
            return Failed(exc)
