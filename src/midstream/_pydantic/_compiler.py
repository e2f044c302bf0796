"""The schema compiler: a type's pydantic-core schema into a plan of positions.

Compiled once per type (cached), see :func:`plan`. Every container position
gets a *shallow* validator: its own schema with each child replaced by a
pass-through (:mod:`._passthrough`), so that pydantic applies the container's
own rules (defaults, aliases, ``extra``, constraints, ``mode="after"``
validators) without validating anything below it again.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, cast

from . import _passthrough as passthrough
from ._early import int_check, string_check
from ._plan import Core, DictCore, FieldKey, ListCore, ModelCore, Position, TaggedCore
from ._schema import Schema, after, around, children, hoist, shallow_of, uses_info, wrap

if TYPE_CHECKING:
    from pydantic_core import SchemaValidator

# Leaf schemas that return a JSON value of this type unchanged, with no constraints.
_IDENTITY: Final[dict[Any, type]] = {"str": str, "int": int, "float": float, "bool": bool}
# Config that changes what a str field makes of a string.
_STR_CONFIG: Final = (
    "str_strip_whitespace",
    "str_to_lower",
    "str_to_upper",
    "str_max_length",
    "str_min_length",
)
# Schemas around a position's value that do not change what decomposes it.
_WRAPPERS: Final = ("function-after", "function-before", "function-wrap")


class _Compiler:
    """Turns one type's core schema into positions; one per ModelStream type."""

    def __init__(self, schema: Schema, config: Schema) -> None:
        self.defs: dict[str, Schema] = {}
        self.root_schema = hoist(schema, self.defs)
        self.root_config = config
        self._positions: dict[tuple[int, int], Position] = {}
        self._models: dict[int, ModelCore | None] = {}
        self.forbids = False  # a model forbids extra keys

    def resolve(self, schema: Schema) -> Schema:
        while schema.get("type") == "definition-ref":
            schema = self.defs[schema["schema_ref"]]
        return schema

    # validators -------------------------------------------------------------------

    def _direct_refs(self, schema: Schema, into: set[str]) -> None:
        if schema.get("type") == "definition-ref":
            into.add(schema["schema_ref"])
        for child in children(schema):
            self._direct_refs(child, into)

    def refs(self, schema: Schema) -> set[str]:
        todo: set[str] = set()
        self._direct_refs(schema, todo)
        seen: set[str] = set()
        while todo:
            ref = todo.pop()
            if ref in seen:
                continue
            seen.add(ref)
            self._direct_refs(self.defs[ref], todo)
        return seen

    def with_defs(self, schema: Schema) -> Schema:
        refs = self.refs(schema)
        if not refs:
            return schema
        return {
            "type": "definitions",
            "schema": schema,
            "definitions": [{**self.defs[r], "ref": r} for r in sorted(refs)],
        }

    def validator(self, schema: Schema, config: Schema) -> SchemaValidator:
        from pydantic_core import SchemaValidator

        return SchemaValidator(self.with_defs(schema), config or None)  # type: ignore[arg-type]

    # predicates -------------------------------------------------------------------

    def _any(self, schema: Schema, test: Callable[[Schema], bool], *, models: bool) -> bool:
        """Whether ``test`` holds for a schema reachable from ``schema``.

        With ``models=False`` the walk stops at models (their fields are theirs).
        """
        seen: set[int] = set()
        todo = [schema]
        while todo:
            s = todo.pop()
            if id(s) in seen:
                continue
            seen.add(id(s))
            if s.get("type") == "definition-ref":
                target = self.defs[s["schema_ref"]]
                if models or self._strip_wrappers(target).get("type") != "model":
                    todo.append(target)
                continue
            if not models and s.get("type") == "model":
                continue
            if test(s):
                return True
            todo.extend(children(s))
        return False

    def _none_serializes(self, schema: Schema) -> bool:
        """Whether pydantic dumps None at a field of this schema without a warning.

        Every schema does, but a tagged union that is not nullable.
        """
        while True:
            schema = self.resolve(schema)
            kind = schema.get("type")
            if kind == "nullable":
                return True
            if kind != "default" and kind not in _WRAPPERS:
                return kind != "tagged-union"
            schema = schema["schema"]

    def _strip_wrappers(self, schema: Schema) -> Schema:
        while schema.get("type") in _WRAPPERS:
            schema = self.resolve(schema["schema"])
        return schema

    def json_mode(self, schema: Schema, config: Schema) -> bool:
        """Whether a leaf must be validated from JSON text (strict or base64 rules)."""

        def strict(s: Schema) -> bool:
            cfg = s.get("config")
            if isinstance(cfg, dict) and (
                cfg.get("strict") or cfg.get("val_json_bytes", "utf8") != "utf8"
            ):
                return True
            return s.get("strict") is True

        if config.get("strict") or config.get("val_json_bytes", "utf8") != "utf8":
            return True
        return self._any(schema, strict, models=True)

    # positions --------------------------------------------------------------------

    def position(self, schema: Schema, config: Schema) -> Position:
        key = (id(schema), id(config))
        pos = self._positions.get(key)
        if pos is None:
            pos = self._positions[key] = Position(self, schema, config)
            self._build(pos)
        return pos

    def _unwrap(self, pos: Position) -> tuple[Schema, list[Schema], bool]:
        """The schema that decides the position, the after-validators around it, nullable."""
        layers: list[Schema] = []  # outermost first
        schema = pos.schema
        null_ok = False
        while True:
            schema = self.resolve(schema)
            kind = schema.get("type")
            if kind == "default":
                schema = schema["schema"]
            elif kind == "nullable":
                null_ok = null_ok or not layers
                schema = schema["schema"]
            elif kind == "function-after" and not uses_info(schema):
                layers.append(schema)
                schema = schema["schema"]
            else:
                return schema, layers, null_ok

    def _build(self, pos: Position) -> None:
        schema, layers, null_ok = self._unwrap(pos)
        kind = schema.get("type")
        core: Core | None = None
        if kind == "model":
            core = self._model(schema)
        elif kind == "list":
            core = self._list(schema, pos.config)
        elif kind == "dict":
            core = self._dict(schema, pos.config)
        elif kind == "tagged-union":
            core = self._tagged(schema, pos.config)
        if core is None:  # a leaf: the whole schema validates the whole value
            plain = schema if set(schema) <= {"type", "metadata"} and not layers else {}
            identity = _IDENTITY.get(plain.get("type"))
            if identity is str and any(pos.config.get(k) for k in _STR_CONFIG):
                identity = None
            if identity is float and pos.config.get("allow_inf_nan") is False:
                identity = None  # (1e400 is inf, which it refuses)
            pos.identity = identity
            pos.string_check = string_check(schema, pos.config)
            pos.int_check = int_check(schema)
            pos.shows_text = schema.get("type") == "str"
            return
        pos.core = core
        pos.null_ok = null_ok
        pos.layers = tuple(
            self.validator({**layer, "schema": wrap(passthrough.single)}, pos.config)
            for layer in reversed(layers)
        )

    # models -----------------------------------------------------------------------

    def _model(self, schema: Schema) -> ModelCore | None:
        if id(schema) in self._models:
            return self._models[id(schema)]
        fields_schema = self.resolve(schema["schema"])
        config: Schema = schema.get("config") or {}
        key_lists = None
        plain = not schema.get("root_model") and not schema.get("custom_init")
        if plain and fields_schema.get("type") == "model-fields":
            key_lists = _field_keys(fields_schema["fields"], config)
        if key_lists is None:
            self._models[id(schema)] = None
            return None
        core = ModelCore(schema["cls"], config)
        self._models[id(schema)] = core  # before the fields: models may recurse
        shallow_fields: dict[str, Schema] = {}
        earlier: dict[str, Schema] = {}  # the fields before this one, each a pass-through
        loc_by_alias = config.get("loc_by_alias", True)
        for name, field in fields_schema["fields"].items():
            pos, replaced = self._field(core, fields_schema, name, field, earlier)
            shallow_fields[name] = {**field, "schema": replaced}
            earlier[name] = _passed_through(name, self.resolve(field["schema"]))
            if self._none_serializes(field["schema"]):
                core.template[name] = None
            else:  # (pydantic's tagged-union serializer warns on None: left unset)
                core.sparse.add(name)
            for prio, key in enumerate(key_lists[name]):
                if key not in core.keys or core.keys[key].prio > prio:
                    core.keys[key] = FieldKey(name, prio, pos, key if loc_by_alias else name)
        core.multi = any(len(names) > 1 for names in key_lists.values())
        extra = fields_schema.get("extra_behavior") or config.get("extra_fields_behavior")
        core.forbid = extra == "forbid"
        self.forbids = self.forbids or core.forbid
        # Not the "model" schema itself: pydantic-core would swap in the class's
        # own (full) validator for it. The instance is made as pydantic-core does.
        core.shallow = self.validator({**fields_schema, "fields": shallow_fields}, config)
        core.post_init = schema.get("post_init")
        return core

    def _field(
        self,
        core: ModelCore,
        fields_schema: Schema,
        name: str,
        field: Schema,
        earlier: dict[str, Schema],
    ) -> tuple[Position | None, Schema]:
        """A field's position (None: validated early or with its model), and its pass-through."""
        field_schema = field["schema"]
        resolved = self.resolve(field_schema)
        if not self._any(field_schema, uses_info, models=False):
            pos = self.position(field_schema, core.config)
            inner = None
            default = None
            if resolved.get("type") == "default" and _validates_default(resolved, core.config):
                inner = resolved["schema"]
                if "default" in resolved:  # (a factory's value is validated as it is made)
                    default = self._default_validator(name, field, core.config)
            return pos, around(resolved, passthrough.field(name, default), inner)
        # Its validator reads info.data: validate it in a model of the fields
        # before it (passed through), once they have all come.
        inner = resolved["schema"] if resolved.get("type") == "default" else resolved
        own = {k: v for k, v in field.items() if k != "validation_alias"}
        own["schema"] = after(resolved, passthrough.capture)
        early = {
            **fields_schema,
            "fields": {**earlier, name: own},
            "extra_behavior": "ignore",
            "computed_fields": [],
        }
        core.early[name] = (self.validator(early, core.config), tuple(earlier))
        return None, around(resolved, passthrough.deferred(name), inner)

    def _default_validator(self, name: str, field: Schema, config: Schema) -> SchemaValidator:
        """A validator of the field alone, to validate its default as JSON input would.

        pydantic validates a default under the rules of the input's mode: in a
        strict model, ``1`` is a valid default of an ``IntEnum`` field in
        ``model_validate_json`` and not in ``model_validate``. The shallow
        validators run in Python mode, so a constant default is validated here,
        by this field's own validator fed ``{}`` as JSON.
        """
        fields = {"type": "model-fields", "fields": {name: field}}
        return self.validator(fields, config)

    # containers -------------------------------------------------------------------

    def _list(self, schema: Schema, config: Schema) -> ListCore:
        item = self.position(schema["items_schema"], config)
        shallow = shallow_of(schema, "items_schema", wrap(passthrough.item))
        return ListCore(item, self.validator(shallow, config), schema.get("max_length"))

    def _dict(self, schema: Schema, config: Schema) -> DictCore | None:
        keys = self.resolve(schema.get("keys_schema") or {"type": "any"})
        if keys.get("type") not in ("str", "any"):
            return None
        value = self.position(schema.get("values_schema") or {"type": "any"}, config)
        shallow = shallow_of(schema, "values_schema", wrap(passthrough.dict_value))
        return DictCore(value, self.validator(shallow, config), schema.get("max_length"))

    def _tagged(self, schema: Schema, config: Schema) -> TaggedCore | None:
        keys = _discriminator_keys(schema["discriminator"])
        if keys is None:
            return None
        choices: dict[Any, Position] = {}
        for tag, choice in schema["choices"].items():
            if type(tag) not in (str, int) or not isinstance(choice, dict):
                return None
            choices[tag] = self.position(choice, config)
        single = wrap(passthrough.single)
        shallow = shallow_of(schema, "choices", {tag: single for tag in schema["choices"]})
        return TaggedCore(keys, choices, self.validator(shallow, config))


def _field_keys(fields: dict[str, Schema], config: Schema) -> dict[str, list[str]] | None:
    """The keys each field accepts, best first; None where an ``AliasPath`` is used."""
    by_name = config.get("validate_by_name", config.get("populate_by_name", False))
    by_alias = config.get("validate_by_alias", True)
    key_lists: dict[str, list[str]] = {}
    for name, field in fields.items():
        alias = field.get("validation_alias")
        names: list[str] = []
        if alias is not None and by_alias:
            if isinstance(alias, str):
                names.append(alias)
            else:
                for path in alias:
                    if len(path) != 1 or not isinstance(path[0], str):
                        return None
                    names.append(path[0])
        if alias is None or by_name or not by_alias:
            names.append(name)
        key_lists[name] = names
    return key_lists


def _validates_default(default: Schema, config: Schema) -> bool:
    """Whether a field's default is validated: its own ``validate_default``, else the model's."""
    own = default.get("validate_default")
    return bool(config.get("validate_default", False) if own is None else own)


def _passed_through(name: str, resolved: Schema) -> Schema:
    """A field as the models of the info-reading fields after it see it.

    Passed through, left out if it failed (as from ``info.data``), defaulted if absent.
    """
    before: Schema = {"schema": wrap(passthrough.field(name)), "on_error": "omit"}
    if resolved.get("type") == "default":
        before.update(
            (k, resolved[k])
            for k in ("default", "default_factory", "default_factory_takes_data")
            if k in resolved
        )
    return {"type": "model-field", "schema": {"type": "default", **before}}


def _discriminator_keys(discriminator: Any) -> set[str] | None:
    """The keys a discriminator reads; None for a callable or a nested path."""
    if isinstance(discriminator, str):
        return {discriminator}
    if isinstance(discriminator, list) and all(
        isinstance(p, list) and len(p) == 1 and isinstance(p[0], str) for p in discriminator
    ):
        return {p[0] for p in discriminator}
    return None


# --- the plan of a type ---------------------------------------------------------------


def _plan_uncached(tp: Any) -> Position:
    from pydantic import BaseModel, TypeAdapter
    from pydantic_core import SchemaError

    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if not tp.__pydantic_complete__:
            tp.model_rebuild()  # raises if a name is still missing
        schema = tp.__pydantic_core_schema__
        validator: Any = tp.__pydantic_validator__
    else:
        adapter = TypeAdapter(tp)
        schema = adapter.core_schema
        validator = adapter.validator
    try:
        compiler = _Compiler(cast(Schema, schema), {"title": validator.title})
        root = compiler.position(compiler.root_schema, compiler.root_config)
        root.watch_keys = compiler.forbids
        return root
    except NotImplementedError as exc:  # a part the compiler says it cannot take apart
        warnings.warn(
            f"midstream cannot validate {tp!r} field by field ({exc}); the whole"
            " document is validated when it completes",
            RuntimeWarning,
            stacklevel=4,
        )
        return Position.whole(cast(Schema, schema), validator)
    except (KeyError, TypeError, ValueError, SchemaError) as exc:
        # A schema shape this compiler was not written for (a pydantic-core
        # change?): say so, rather than degrade to validating at the end.
        raise TypeError(
            f"midstream cannot compile the pydantic-core schema of {tp!r} ({exc!r});"
            " please report it with your pydantic version. Meanwhile, parse with"
            " JsonStream and validate the value when it completes"
            f" (TypeAdapter({tp!r}).validate_python(stream.value))"
        ) from exc


_plan_cached = functools.lru_cache(maxsize=256)(_plan_uncached)


def plan(tp: Any) -> Position:
    """The root position of ``tp`` (cached per type, where the type is hashable)."""
    try:
        hash(tp)
    except TypeError:  # an unhashable type expression
        return _plan_uncached(tp)
    return _plan_cached(tp)
