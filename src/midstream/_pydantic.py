"""ModelStream: validate a streaming JSON document into a Pydantic model as it arrives.

How it works
------------
The model's pydantic-core schema is compiled once (per type, cached) into a
*plan*: a tree of positions, one per place in the document that the type
declares (the root, a field of a model, an item of a list, a value of a
dict, a branch of a discriminated union). A position either

* decomposes: a model, ``list``, ``dict[str, ...]`` or discriminated union
  whose children are positions of their own; or
* is a leaf: a validator for the whole value at that position, run once, when
  the value completes.

Every completed value is validated exactly once. A container is then built
from its children's validated values by a *shallow* validator: the
container's own schema with each child schema replaced by a pass-through that
hands back the child's result (or re-raises its errors, which pydantic then
prefixes with the key, index or union tag, as it would have). So pydantic
itself applies defaults and ``default_factory``, aliases, ``extra``, length
and key constraints, and ``mode="after"`` validators of models and
containers, on the raw container, without re-validating anything below it;
the model instance is then made the way pydantic-core makes it
(``model_post_init`` included). The total cost is linear in the document.
The validation runs inside the hooks of :class:`JsonStream` (a subclass), so
the validation events sit right after the JSON events that caused them.

Fallbacks (the whole value is validated when it completes, with pydantic's
own validator for that position, and no events are emitted below it):

* ``mode="before"``, ``"wrap"`` and ``"plain"`` validators on a model or on a
  container field (they may reshape the raw input), and validators that take
  an ``info`` argument on a model or a container;
* a field whose validators take an ``info`` argument (``info.data`` holds
  the fields defined before it) is validated whole, in a model made of the
  fields before it (passed through) and itself, as soon as those fields
  have all come; if one of them comes later in the document, with its
  model, when the model completes;
* unions without a discriminator, callable discriminators, custom root types
  (``RootModel``), models with a custom ``__init__``, ``AliasPath`` aliases,
  dataclasses, ``TypedDict``, tuples, sets, ``dict`` with non-``str`` keys, and
  any custom type (``__get_pydantic_core_schema__``, ``__get_validators__``)
  whose schema is not a model, list, dict or discriminated union.

Leaves are validated from the decoded Python value; where the schema is
strict (or decodes bytes from base64), and where Python-mode validation
fails, from its JSON text instead, so that JSON-mode rules hold
(``"2024-01-01"`` is a valid strict ``datetime``) and errors have the types
``model_validate_json`` gives.

pydantic is imported when the first :class:`ModelStream` is built, not when
midstream is imported.
"""

from __future__ import annotations

import contextvars
import functools
import json
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, cast

from ._events import Event, FieldInvalid, FieldValidated
from ._json_core import DEFAULT_MAX_DEPTH, DEFAULT_MAX_NUMBER_LENGTH, DEFAULT_MAX_STRING_LENGTH
from ._json_stream import JsonStream
from ._types import Path

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import SchemaValidator

__all__ = ["ModelStream", "astream_model", "stream_model"]

T = TypeVar("T")

Schema = dict[str, Any]

_NO: Final[Any] = object()  # "no result": a value nobody validates (extra keys, fallbacks)


class _Failed:
    """A validation failure, kept as pydantic's own error so it can be re-raised."""

    __slots__ = ("error",)

    def __init__(self, error: ValidationError) -> None:
        self.error = error


# --- the pass-through that shallow validators call for each child ----------------
#
# A shallow validator runs on the raw container with the container's frame (or
# a lone result) in _SLOT; each pass-through looks its child up there.

_SLOT: Final[contextvars.ContextVar[Any]] = contextvars.ContextVar("midstream_model_slot")


def _field_passthrough(name: str) -> Callable[[Any, Any], Any]:
    def passthrough(value: Any, handler: Any) -> Any:
        frame = _SLOT.get()
        if name not in frame.seen:  # a default being validated
            return handler(value)
        if frame.failed and name in frame.failed:
            raise frame.failed[name].error
        return frame.values[name]

    return passthrough


def _deferred_passthrough(name: str) -> Callable[[Any, Any], Any]:
    """For a field whose validator reads ``info``: its result if it was validated early."""

    def passthrough(value: Any, handler: Any) -> Any:
        frame = _SLOT.get()
        if frame.early is None or name not in frame.early:
            return handler(value)  # absent: its default
        if frame.failed and name in frame.failed:
            raise frame.failed[name].error
        return frame.values[name]

    return passthrough


def _capture(value: Any) -> Any:
    """After a field validated: keep its value (the model around it may still fail)."""
    _SLOT.get().captured = value
    return value


def _around(schema: Schema, function: Callable[[Any, Any], Any], inner: Schema | None) -> Schema:
    """``function`` wrapped around a field's schema, inside its default (if any)."""
    if schema.get("type") == "default":
        return {**schema, "schema": _wrap(function, inner)}
    return _wrap(function, inner)


def _after(schema: Schema, function: Callable[[Any], Any]) -> Schema:
    """``function`` run after a field's schema, inside its default (if any)."""
    inner = schema["schema"] if schema.get("type") == "default" else schema
    after = {
        "type": "function-after",
        "function": {"type": "no-info", "function": function},
        "schema": inner,
    }
    return {**schema, "schema": after} if schema.get("type") == "default" else after


def _rebase(errors: list[Any], title: str) -> ValidationError:
    """A ValidationError of ``errors`` with the first element of each ``loc`` dropped."""
    from pydantic_core import PydanticCustomError

    error_type = _validation_error()
    details: list[Any] = []
    for e in errors:
        detail: Any = {"type": e["type"], "loc": tuple(e["loc"][1:]), "input": e["input"]}
        if "ctx" in e:
            detail["ctx"] = e["ctx"]
        try:
            error_type.from_exception_data(title, [detail])
        except KeyError:  # a custom error type: keep its message as it was
            message = e["msg"].replace("{", "{{").replace("}", "}}")
            detail["type"] = PydanticCustomError(e["type"], message, e.get("ctx"))
            detail.pop("ctx", None)
        details.append(detail)
    return error_type.from_exception_data(title, details)


def _item_passthrough(value: Any, handler: Any) -> Any:
    frame = _SLOT.get()
    i = frame.i
    frame.i = i + 1
    if frame.failed and i in frame.failed:
        raise frame.failed[i].error
    return frame.out[i]


def _dict_value_passthrough(value: Any, handler: Any) -> Any:
    frame = _SLOT.get()
    key = next(frame.it)
    if frame.failed and key in frame.failed:
        raise frame.failed[key].error
    return frame.out[key]


def _single_passthrough(value: Any, handler: Any) -> Any:
    result = _SLOT.get()
    if type(result) is _Failed:
        raise result.error
    return result


def _wrap(function: Callable[[Any, Any], Any], inner: Schema | None = None) -> Schema:
    return {
        "type": "function-wrap",
        "function": {"type": "no-info", "function": function},
        "schema": inner if inner is not None else {"type": "any"},
    }


# --- schema walking ----------------------------------------------------------------

# Keys whose value is one sub-schema, or a list of them (tuple items, chain steps).
_SUB_SCHEMA_KEYS: Final = frozenset(
    {
        "schema",
        "items_schema",
        "keys_schema",
        "values_schema",
        "extras_schema",
        "extras_keys_schema",
        "lax_schema",
        "strict_schema",
        "json_schema",
        "python_schema",
        "return_schema",
        "var_args_schema",
        "var_kwargs_schema",
        "steps",
        "definitions",
    }
)


def _map_children(schema: Schema, fn: Callable[[Schema], Schema]) -> Schema:
    """A copy of ``schema`` with ``fn`` applied to each direct sub-schema."""
    out = dict(schema)
    for key, value in schema.items():
        if key in _SUB_SCHEMA_KEYS:
            if isinstance(value, dict):
                out[key] = fn(value)
            elif isinstance(value, list):
                out[key] = [fn(v) if isinstance(v, dict) else v for v in value]
        elif key == "fields":  # a dataclass schema lists names only
            if isinstance(value, dict):
                out[key] = {name: fn(f) if isinstance(f, dict) else f for name, f in value.items()}
            elif isinstance(value, list):
                out[key] = [fn(f) if isinstance(f, dict) else f for f in value]
        elif key == "choices":
            if isinstance(value, dict):
                out[key] = {tag: fn(s) if isinstance(s, dict) else s for tag, s in value.items()}
            elif isinstance(value, list):
                out[key] = [
                    fn(c) if isinstance(c, dict) else (fn(c[0]), *c[1:]) for c in value
                ]
        elif key == "arguments_schema" and isinstance(value, list):
            out[key] = [
                {**p, "schema": fn(p["schema"])} if isinstance(p, dict) and "schema" in p else p
                for p in value
            ]
    return out


def _children(schema: Schema) -> list[Schema]:
    found: list[Schema] = []

    def collect(child: Schema) -> Schema:
        found.append(child)
        return child

    _map_children(schema, collect)
    return found


def _hoist(schema: Schema, defs: dict[str, Schema]) -> Schema:
    """Copy ``schema`` with every schema carrying a ``ref`` moved into ``defs``.

    Afterwards a sub-schema refers to shared schemas only through
    ``definition-ref``, so any sub-schema compiles on its own with the
    definitions it reaches.
    """
    out = _map_children(schema, lambda child: _hoist(child, defs))
    out.pop("serialization", None)
    if out.get("type") == "definitions":
        return cast(Schema, out["schema"])
    ref = out.pop("ref", None)
    if ref is not None and out.get("type") != "definition-ref":
        defs[ref] = out
        return {"type": "definition-ref", "schema_ref": ref}
    return out


class _Compiler:
    """Turns one type's core schema into positions; one per ModelStream type."""

    def __init__(self, schema: Schema, config: Schema) -> None:
        self.defs: dict[str, Schema] = {}
        self.root_schema = _hoist(schema, self.defs)
        self.root_config = config
        self._positions: dict[tuple[int, int], _Pos] = {}
        self._models: dict[int, _ModelCore | None] = {}

    def resolve(self, schema: Schema) -> Schema:
        while schema.get("type") == "definition-ref":
            schema = self.defs[schema["schema_ref"]]
        return schema

    # refs ---------------------------------------------------------------------

    def _direct_refs(self, schema: Schema, into: set[str]) -> None:
        if schema.get("type") == "definition-ref":
            into.add(schema["schema_ref"])
        for child in _children(schema):
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

    # predicates ------------------------------------------------------------------

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
                if models or self._strip_after(target).get("type") != "model":
                    todo.append(target)
                continue
            if not models and s.get("type") == "model":
                continue
            if test(s):
                return True
            todo.extend(_children(s))
        return False

    def _strip_after(self, schema: Schema) -> Schema:
        while schema.get("type") in ("function-after", "function-before", "function-wrap"):
            schema = self.resolve(schema["schema"])
        return schema

    @staticmethod
    def _uses_info(schema: Schema) -> bool:
        function = schema.get("function")
        return isinstance(function, dict) and function.get("type") == "with-info"

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

    def position(self, schema: Schema, config: Schema) -> _Pos:
        key = (id(schema), id(config))
        pos = self._positions.get(key)
        if pos is None:
            pos = self._positions[key] = _Pos(self, schema, config)
            self._build(pos)
        return pos

    def _build(self, pos: _Pos) -> None:
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
            elif kind == "function-after" and not self._uses_info(schema):
                layers.append(schema)
                schema = schema["schema"]
            else:
                break
        core: _Core | None = None
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
            config = pos.config
            if identity is str and any(config.get(k) for k in _STR_CONFIG):
                identity = None
            pos.identity = identity
            return
        pos.core = core
        pos.null_ok = null_ok
        pos.layers = tuple(
            self.validator({**layer, "schema": _wrap(_single_passthrough)}, pos.config)
            for layer in reversed(layers)
        )

    def _model(self, schema: Schema) -> _ModelCore | None:
        if id(schema) in self._models:
            return self._models[id(schema)]
        fields_schema = self.resolve(schema["schema"])
        if (
            schema.get("root_model")
            or schema.get("custom_init")
            or fields_schema.get("type") != "model-fields"
        ):
            self._models[id(schema)] = None
            return None
        config: Schema = schema.get("config") or {}
        by_name = config.get("validate_by_name", config.get("populate_by_name", False))
        by_alias = config.get("validate_by_alias", True)
        loc_by_alias = config.get("loc_by_alias", True)
        keys: dict[str, _FieldKey] = {}
        key_lists: list[tuple[str, list[str]]] = []
        for name, field in fields_schema["fields"].items():
            alias = field.get("validation_alias")
            names: list[str] = []
            if alias is not None and by_alias:
                if isinstance(alias, str):
                    names.append(alias)
                else:
                    for path in alias:
                        if len(path) != 1 or not isinstance(path[0], str):
                            self._models[id(schema)] = None  # AliasPath: fall back
                            return None
                        names.append(path[0])
            if alias is None or by_name or not by_alias:
                names.append(name)
            key_lists.append((name, names))
        core = _ModelCore(schema["cls"], config)
        self._models[id(schema)] = core  # before the fields: models may recurse
        shallow_fields: dict[str, Schema] = {}
        earlier: dict[str, Schema] = {}  # the fields before this one, each a pass-through
        for name, field in fields_schema["fields"].items():
            field_schema = field["schema"]
            resolved = self.resolve(field_schema)
            if self._any(field_schema, self._uses_info, models=False):
                # Its validator reads info.data: validate it in a model of the
                # fields before it (passed through), once they have all come.
                pos: _Pos | None = None
                inner = resolved["schema"] if resolved.get("type") == "default" else resolved
                own = {k: v for k, v in field.items() if k != "validation_alias"}
                own["schema"] = _after(resolved, _capture)
                early = {
                    **fields_schema,
                    "fields": {**earlier, name: own},
                    "extra_behavior": "ignore",
                    "computed_fields": [],
                }
                core.early[name] = (self.validator(early, config), tuple(earlier))
                replaced = _around(resolved, _deferred_passthrough(name), inner)
            else:
                pos = self.position(field_schema, config)
                inner = None
                if resolved.get("type") == "default" and resolved.get("validate_default"):
                    inner = resolved["schema"]
                replaced = _around(resolved, _field_passthrough(name), inner)
            shallow_fields[name] = {**field, "schema": replaced}
            # In the models of the fields before an info-reading field: passed
            # through, left out if it failed (as from info.data), defaulted if absent.
            before: Schema = {"schema": _wrap(_field_passthrough(name)), "on_error": "omit"}
            if resolved.get("type") == "default":
                before.update(
                    (k, resolved[k])
                    for k in ("default", "default_factory", "default_factory_takes_data")
                    if k in resolved
                )
            earlier[name] = {"type": "model-field", "schema": {"type": "default", **before}}
            core.template[name] = None
            names = dict(key_lists)[name]
            for prio, key in enumerate(names):
                if key not in keys or keys[key].prio > prio:
                    keys[key] = _FieldKey(name, prio, pos, key if loc_by_alias else name)
        core.keys = keys
        core.multi = any(len(names) > 1 for _, names in key_lists)
        extra = fields_schema.get("extra_behavior") or config.get("extra_fields_behavior")
        core.forbid = extra == "forbid"
        # Not the "model" schema itself: pydantic-core would swap in the class's
        # own (full) validator for it. The instance is made as pydantic-core does.
        core.shallow = self.validator({**fields_schema, "fields": shallow_fields}, config)
        core.post_init = schema.get("post_init")
        return core

    def _list(self, schema: Schema, config: Schema) -> _ListCore:
        item = self.position(schema["items_schema"], config)
        shallow = {**schema, "items_schema": _wrap(_item_passthrough)}
        shallow.pop("serialization", None)
        return _ListCore(item, self.validator(shallow, config))

    def _dict(self, schema: Schema, config: Schema) -> _DictCore | None:
        keys = self.resolve(schema.get("keys_schema") or {"type": "any"})
        if keys.get("type") not in ("str", "any"):
            return None
        value = self.position(schema.get("values_schema") or {"type": "any"}, config)
        shallow = {**schema, "values_schema": _wrap(_dict_value_passthrough)}
        shallow.pop("serialization", None)
        return _DictCore(value, self.validator(shallow, config))

    def _tagged(self, schema: Schema, config: Schema) -> _TaggedCore | None:
        discriminator = schema["discriminator"]
        if isinstance(discriminator, str):
            keys = {discriminator}
        elif isinstance(discriminator, list) and all(
            isinstance(p, list) and len(p) == 1 and isinstance(p[0], str) for p in discriminator
        ):
            keys = {p[0] for p in discriminator}
        else:
            return None  # a callable or a nested path
        choices: dict[Any, _Pos] = {}
        for tag, choice in schema["choices"].items():
            if type(tag) not in (str, int) or not isinstance(choice, dict):
                return None
            choices[tag] = self.position(choice, config)
        shallow = {
            **schema,
            "choices": {tag: _wrap(_single_passthrough) for tag in schema["choices"]},
        }
        shallow.pop("serialization", None)
        return _TaggedCore(keys, choices, self.validator(shallow, config))


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


class _FieldKey:
    """A key of a model: which field it fills, with what priority, validated how."""

    __slots__ = ("loc", "name", "pos", "prio")

    def __init__(self, name: str, prio: int, pos: _Pos | None, loc: str) -> None:
        self.name = name
        self.prio = prio
        self.pos = pos  # None: the field is validated with its model (deferred)
        self.loc = loc


class _ModelCore:
    __slots__ = (
        "cls",
        "config",
        "early",
        "forbid",
        "keys",
        "multi",
        "post_init",
        "shallow",
        "template",
    )

    def __init__(self, cls: type, config: Schema) -> None:
        self.cls = cls
        self.config = config
        self.keys: dict[str, _FieldKey] = {}
        self.template: dict[str, Any] = {}
        # fields whose validator reads info: (validator with the fields before, their names)
        self.early: dict[str, tuple[SchemaValidator, tuple[str, ...]]] = {}
        self.forbid = False
        self.multi = False
        self.shallow: SchemaValidator  # the model's fields, each a pass-through
        self.post_init: str | None = None

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
                return _Failed(_error_from(exc, raw, self.config.get("title", cls.__name__)))
        return obj


def _error_from(exc: Exception, raw: Any, title: str) -> ValidationError:
    """The ValidationError pydantic makes of an exception raised in a validator."""
    from pydantic_core import PydanticCustomError

    if isinstance(exc, PydanticCustomError):
        details: Any = {"type": exc, "loc": (), "input": raw}
    elif isinstance(exc, AssertionError):
        details = {"type": "assertion_error", "loc": (), "input": raw, "ctx": {"error": exc}}
    else:
        details = {"type": "value_error", "loc": (), "input": raw, "ctx": {"error": exc}}
    return _validation_error().from_exception_data(title, [details])


class _ListCore:
    __slots__ = ("item", "shallow")

    def __init__(self, item: _Pos, shallow: SchemaValidator) -> None:
        self.item = item
        self.shallow = shallow


class _DictCore:
    __slots__ = ("shallow", "value")

    def __init__(self, value: _Pos, shallow: SchemaValidator) -> None:
        self.value = value
        self.shallow = shallow


class _TaggedCore:
    __slots__ = ("choices", "keys", "shallow")

    def __init__(self, keys: set[str], choices: dict[Any, _Pos], shallow: SchemaValidator) -> None:
        self.keys = keys
        self.choices = choices
        self.shallow = shallow


_Core = _ModelCore | _ListCore | _DictCore | _TaggedCore


class _Pos:
    """How the value at one position of the document is validated."""

    __slots__ = (
        "_full",
        "_json",
        "compiler",
        "config",
        "core",
        "identity",
        "layers",
        "null_ok",
        "schema",
    )

    def __init__(self, compiler: _Compiler, schema: Schema, config: Schema) -> None:
        self.compiler = compiler
        self.schema = schema
        self.config = config
        self.core: _Core | None = None
        self.layers: tuple[SchemaValidator, ...] = ()
        self.null_ok = False
        self._full: SchemaValidator | None = None
        self._json = False
        # A JSON value of this exact type validates to itself (a plain str, int,
        # bool or float field, no constraints): no need to ask pydantic.
        self.identity: type | None = None

    def validate(self, raw: Any) -> Any:
        """Validate a complete raw value with this position's whole schema."""
        if type(raw) is self.identity:
            return raw
        full = self._full
        if full is None:
            full = self._full = self.compiler.validator(self.schema, self.config)
            self._json = self.compiler.json_mode(self.schema, self.config)
        error = _validation_error()
        if not self._json:
            try:
                return full.validate_python(raw)
            except error as exc:
                python_error = exc
            if not _type_errors_only(python_error):
                return _Failed(python_error)  # a validator said no: do not run it twice
        # JSON-mode rules decide: strict schemas, and what failed in Python
        # mode, so that error types are pydantic's JSON ones (``dict_type``).
        try:
            return full.validate_json(json.dumps(raw))
        except error as exc:
            if not self._json and exc.errors()[0]["type"] == "json_invalid":
                return _Failed(python_error)  # a lone surrogate: keep Python's verdict
            return _Failed(exc)


@functools.cache
def _builtin_error_types() -> frozenset[str]:
    from typing import get_args

    from pydantic_core.core_schema import ErrorType

    return frozenset(get_args(ErrorType)) - {"value_error", "assertion_error"}


def _type_errors_only(exc: ValidationError) -> bool:
    """Whether every error is pydantic's own (no validator function raised)."""
    builtin = _builtin_error_types()
    return all(e["type"] in builtin for e in exc.errors(include_url=False, include_input=False))


@functools.cache
def _validation_error() -> type[ValidationError]:
    from pydantic_core import ValidationError

    return ValidationError


def _shallow(validator: SchemaValidator, raw: Any, slot: Any, *, as_json: bool = False) -> Any:
    token = _SLOT.set(slot)
    try:
        if as_json:
            return validator.validate_json(json.dumps(raw))
        return validator.validate_python(raw)
    except _validation_error() as exc:
        return _Failed(exc)
    finally:
        _SLOT.reset(token)


def _plan_uncached(tp: Any) -> _Pos:
    from pydantic import BaseModel, TypeAdapter

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
        return compiler.position(compiler.root_schema, compiler.root_config)
    except Exception as exc:  # a schema this module does not know how to take apart
        warnings.warn(
            f"midstream cannot validate {tp!r} field by field ({exc!r}); the whole"
            " document is validated when it completes",
            RuntimeWarning,
            stacklevel=4,
        )
        pos = _Pos(cast(Any, None), cast(Schema, schema), {})
        pos._full = validator
        return pos


_plan_cached = functools.lru_cache(maxsize=256)(_plan_uncached)


def _plan(tp: Any) -> _Pos:
    try:
        return _plan_cached(tp)
    except TypeError:  # unhashable type expression
        return _plan_uncached(tp)


# --- runtime -------------------------------------------------------------------------

_MODEL: Final = 0
_LIST: Final = 1
_DICT: Final = 2
_TAGGED: Final = 3  # a discriminated union whose branch is not known yet
_RAW: Final = 4  # nothing validated inside; ``pos`` (if any) validates the whole


class _Frame:
    """One open object or array, and what it has collected so far."""

    __slots__ = (
        "active",
        "base",
        "buf",
        "captured",
        "core",
        "cur_key",
        "cur_loc",
        "cur_name",
        "cur_pos",
        "cur_prio",
        "deferred",
        "depth",
        "early",
        "failed",
        "i",
        "it",
        "kind",
        "layers",
        "loc",
        "obj",
        "out",
        "path",
        "placeholder",
        "pos",
        "prio",
        "seen",
        "values",
    )

    def __init__(self, kind: int, pos: _Pos | None, path: Path, loc: tuple[Any, ...]) -> None:
        self.kind = kind
        self.pos = pos
        self.core: Any = pos.core if pos is not None else None
        self.layers: tuple[SchemaValidator, ...] = pos.layers if pos is not None else ()
        self.path = path
        self.depth = len(path)
        self.loc = loc  # where pydantic locates the frame's own errors
        self.base = loc  # the loc its children extend (a union branch adds its tag)
        self.active = False  # a child is in progress
        self.cur_key: Any = None
        self.cur_loc: Any = None
        self.cur_name: str | None = None
        self.cur_pos: _Pos | None = None
        self.cur_prio = 0
        self.failed: dict[Any, _Failed] | None = None
        self.obj: Any = None  # the partial instance, built on first access
        self.placeholder = False
        self.i = 0
        self.values: dict[str, Any] = {}
        self.seen: set[str] = set()
        self.prio: dict[str, int] | None = None
        self.deferred: list[tuple[str, Any, Any]] | None = None
        self.early: set[str] | None = None  # info-reading fields validated as they came
        self.captured: Any = _NO
        self.out: Any = None
        self.buf: list[tuple[Any, Any]] | None = None
        self.it: Any = None


class _Engine(JsonStream):
    """The JSON core with validation added to its hooks.

    Each hook lets :class:`JsonStream` append its event first, then appends
    the validation events it causes to the same list, so ``feed()`` returns
    both in document order at no cost beyond the work itself.
    """

    def __init__(self, root: _Pos, **limits: int) -> None:
        super().__init__(**limits)
        self.root = root
        self.frames: list[_Frame] = []
        self.result: Any = _NO  # the root's validated value, or _Failed
        self.root_raw: Any = None

    # --- hooks ---------------------------------------------------------------------------

    def _on_start(self, kind: str) -> None:
        super()._on_start(kind)
        frames = self.frames
        if not frames:
            if kind == "object" or kind == "array":
                frames.append(_open(self.root, kind, (), ()))
            return
        parent = frames[-1]
        path: Path = self._events[-1].path
        key = path[-1]
        parent.active = True
        parent.cur_key = key
        pk = parent.kind
        if pk == _MODEL:
            entry = parent.core.keys.get(key)
            if entry is None:
                parent.cur_name = None
                parent.cur_pos = None
            else:
                parent.cur_name = entry.name
                parent.cur_pos = entry.pos
                parent.cur_loc = entry.loc
                parent.cur_prio = entry.prio
        elif pk == _LIST:
            parent.cur_pos = parent.core.item
            parent.cur_loc = key
        elif pk == _DICT:
            parent.cur_pos = parent.core.value
            parent.cur_loc = key
        else:
            parent.cur_pos = None
        if kind == "object" or kind == "array":
            pos = parent.cur_pos
            loc = (*parent.base, parent.cur_loc) if pos is not None else ()
            frames.append(_open(pos, kind, path, loc))

    def _on_scalar(self, value: Any) -> None:
        super()._on_scalar(value)
        frames = self.frames
        if frames:
            parent = frames[-1]
            pos = parent.cur_pos
            if pos is None:
                result = _NO
                loc: tuple[Any, ...] = ()
            else:
                loc = (*parent.base, parent.cur_loc)
                result = None if value is None and pos.null_ok else pos.validate(value)
        else:
            parent = None
            pos = self.root
            loc = ()
            result = None if value is None and pos.null_ok else pos.validate(value)
        self._done(parent, self._events[-1].path, value, result, loc)

    def _on_end(self) -> None:
        super()._on_end()
        event: Any = self._events[-1]  # the ValueDone of the container
        frame = self.frames.pop()
        result = self._close_frame(frame, event.value)
        parent = self.frames[-1] if self.frames else None
        self._done(parent, event.path, event.value, result, frame.loc)

    def _on_key(self, key: str) -> None:
        super()._on_key(key)
        frames = self.frames
        if frames:
            frame = frames[-1]
            if frame.kind == _MODEL and frame.core.forbid and key not in frame.core.keys:
                self._events.append(_extra_forbidden(frame, key))  # type: ignore[arg-type]

    # --- completion ----------------------------------------------------------------------

    def _done(
        self, parent: _Frame | None, path: Path, raw: Any, result: Any, loc: tuple[Any, ...]
    ) -> None:
        """A value completed with ``result``: report it, and hand it to its container."""
        events: list[Any] = self._events
        if result is not _NO:
            if type(result) is _Failed:
                events.append(FieldInvalid(path, _errors(result, loc)))
            else:
                events.append(FieldValidated(path, result))
        if parent is not None:
            self._child_done(parent, path, raw, result)
        else:
            self.result = result
            self.root_raw = raw

    def _child_done(self, frame: _Frame, path: Path, raw: Any, result: Any) -> None:
        frame.active = False
        kind = frame.kind
        if kind == _MODEL:
            name = frame.cur_name
            if name is None:
                return  # an extra key
            if frame.core.multi:  # alias and name both accepted: the alias wins
                prio = frame.prio
                if prio is None:
                    prio = frame.prio = {}
                if prio.get(name, frame.cur_prio) < frame.cur_prio:
                    return
                prio[name] = frame.cur_prio
            frame.seen.add(name)
            frame.values[name] = _raw_or_value(result, raw)
            if result is _NO:  # its validator reads info
                result = self._validate_early(frame, name, path, raw, frame.cur_loc)
                if result is _NO:  # not all the fields before it are here yet
                    if frame.deferred is None:
                        frame.deferred = []
                    frame.deferred.append((name, path, frame.cur_loc))
                    return
            self._record(frame, name, result)
            if frame.deferred:  # this may be a field that a waiting one needs
                self._retry_deferred(frame)
        elif kind == _LIST:
            value = _raw_or_value(result, raw)
            out = frame.out
            if frame.placeholder:
                out[-1] = value
                frame.placeholder = False
            else:
                out.append(value)
            if type(result) is _Failed:
                if frame.failed is None:
                    frame.failed = {}
                frame.failed[len(out) - 1] = result
        elif kind == _DICT:
            key = frame.cur_key
            frame.out[key] = _raw_or_value(result, raw)
            if type(result) is _Failed:
                if frame.failed is None:
                    frame.failed = {}
                frame.failed[key] = result
            elif frame.failed:
                frame.failed.pop(key, None)
        elif kind == _TAGGED:
            buf = frame.buf
            assert buf is not None
            buf.append((frame.cur_key, raw))
            if frame.cur_key in frame.core.keys:
                self._choose_branch(frame, raw)

    @staticmethod
    def _record(frame: _Frame, name: str, result: Any) -> None:
        """Keep a model field's result for the model's pass."""
        if type(result) is _Failed:
            if frame.failed is None:
                frame.failed = {}
            frame.failed[name] = result
        elif frame.failed:
            frame.failed.pop(name, None)

    def _retry_deferred(self, frame: _Frame) -> None:
        """Validate the waiting info-reading fields whose earlier fields are all in now."""
        pending = frame.deferred or []
        progress = True
        while progress:  # one that validates may be what another waits for
            progress = False
            for entry in list(pending):
                name, path, loc = entry
                result = self._validate_early(frame, name, path, frame.values[name], loc)
                if result is not _NO:
                    pending.remove(entry)
                    self._record(frame, name, result)
                    progress = True

    def _validate_early(
        self, frame: _Frame, name: str, path: Path, raw: Any, loc: Any, force: bool = False
    ) -> Any:
        """Validate a field whose validator reads ``info.data`` once the fields before it are in.

        ``info.data`` holds those fields as pydantic would have them (with
        ``force``, at the model's end: the ones that came, and defaults).
        Returns its result (and reports it), or _NO if it must wait.
        """
        validator, earlier = frame.core.early[name]
        early = frame.early
        if not force:
            for other in earlier:
                pending = other in frame.core.early and other not in (early or ())
                if pending or other not in frame.seen:
                    return _NO
        payload = {other: None for other in earlier if other in frame.seen}
        payload[name] = raw
        frame.captured = _NO
        # JSON mode: pydantic's JSON rules and error types, as for any field.
        outcome = _shallow(validator, payload, frame, as_json=True)
        result = frame.captured
        if type(outcome) is _Failed:
            own = [e for e in outcome.error.errors() if e["loc"][:1] == (name,)]
            if own:  # (the others are fields before it, missing: not its business)
                result = _Failed(_rebase(own, outcome.error.title))
        frame.values[name] = _raw_or_value(result, raw)
        if early is None:
            early = frame.early = set()
        early.add(name)
        events: list[Any] = self._events
        if type(result) is _Failed:
            events.append(FieldInvalid(path, _errors(result, (*frame.base, loc))))
        else:
            events.append(FieldValidated(path, result))
        return result

    def _choose_branch(self, frame: _Frame, tag: Any) -> None:
        """The discriminator completed: turn the frame into its branch's model."""
        events: list[Any] = self._events
        core: _TaggedCore = frame.core
        branch = core.choices.get(tag) if type(tag) in (str, int) else None
        if branch is None or type(branch.core) is not _ModelCore:
            frame.kind = _RAW  # the union's own validator will judge the whole
            if branch is None and frame.pos is not None:
                # No branch has this tag: say so now, at the discriminator.
                result = frame.pos.validate({frame.cur_key: tag})
                if type(result) is _Failed:
                    errors = _errors(result, frame.loc)
                    if all(e["type"] == "union_tag_invalid" for e in errors):
                        events.append(FieldInvalid((*frame.path, frame.cur_key), errors))
            return
        model: _ModelCore = branch.core
        buffered = frame.buf or []
        frame.kind = _MODEL
        frame.core = model
        frame.buf = None
        frame.base = (*frame.loc, tag)
        frame.layers = (*branch.layers, core.shallow, *frame.layers)
        frame.values = dict(model.template)
        for key, raw in buffered:
            path = (*frame.path, key)
            entry = model.keys.get(key)
            if entry is None:
                if model.forbid:
                    events.append(_extra_forbidden(frame, key))
                frame.cur_name = None
                continue
            frame.cur_key = key
            frame.cur_name = entry.name
            frame.cur_pos = entry.pos
            frame.cur_loc = entry.loc
            frame.cur_prio = entry.prio
            pos = entry.pos
            if pos is None:
                result = _NO
            elif raw is None and pos.null_ok:
                result = None
            else:
                result = pos.validate(raw)
            if type(result) is _Failed:
                events.append(FieldInvalid(path, _errors(result, (*frame.base, entry.loc))))
            elif result is not _NO:
                events.append(FieldValidated(path, result))
            self._child_done(frame, path, raw, result)

    def _close_frame(self, frame: _Frame, raw: Any) -> Any:
        """The result of a container that just closed."""
        kind = frame.kind
        if kind == _MODEL:
            if frame.deferred:  # info-reading fields still waiting: now, in field order
                waiting = {entry[0]: entry for entry in frame.deferred}
                frame.deferred = None
                for name in frame.core.early:
                    if name in waiting:
                        _, path, loc = waiting[name]
                        result = self._validate_early(
                            frame, name, path, frame.values[name], loc, force=True
                        )
                        self._record(frame, name, result)
            result = _shallow(frame.core.shallow, raw, frame)
            if type(result) is not _Failed:
                result = frame.core.build(result, raw)
        elif kind == _LIST:
            frame.i = 0
            result = _shallow(frame.core.shallow, raw, frame)
        elif kind == _DICT:
            frame.it = iter(frame.out)
            result = _shallow(frame.core.shallow, raw, frame)
        elif frame.pos is not None:  # a fallback, or a union whose branch never came
            return frame.pos.validate(raw)
        else:
            return _NO
        for layer in frame.layers:
            result = _shallow(layer, raw, result)
        return result

    # --- partial -------------------------------------------------------------------------

    def partial(self) -> Any:
        """The value so far (see :attr:`ModelStream.partial`)."""
        if self.result is not _NO:
            return _raw_or_value(self.result, self.root_raw)
        frames = self.frames
        child: Any = self._partial_string()
        if child is None:
            child = _NO
        typed = len(frames)
        for i, frame in enumerate(frames):
            if frame.kind >= _TAGGED:
                typed = i
                break
        if typed < len(frames):
            child = self.snapshot()
            for key in frames[typed].path:
                child = child[key]
        for frame in reversed(frames[:typed]):
            child = _sync(frame, child)
        return None if child is _NO else child


def _open(pos: _Pos | None, kind: str, path: Path, loc: tuple[Any, ...]) -> _Frame:
    core = pos.core if pos is not None else None
    if kind == "object":
        t = type(core)
        if t is _ModelCore:
            frame = _Frame(_MODEL, pos, path, loc)
            frame.values = dict(cast(_ModelCore, core).template)
            return frame
        if t is _DictCore:
            frame = _Frame(_DICT, pos, path, loc)
            frame.out = {}
            return frame
        if t is _TaggedCore:
            frame = _Frame(_TAGGED, pos, path, loc)
            frame.buf = []
            return frame
    elif type(core) is _ListCore:
        frame = _Frame(_LIST, pos, path, loc)
        frame.out = []
        return frame
    return _Frame(_RAW, pos, path, loc)


def _raw_or_value(result: Any, raw: Any) -> Any:
    return raw if result is _NO or type(result) is _Failed else result


def _sync(frame: _Frame, child: Any) -> Any:
    """Put the child in progress into the frame's partial value; return that value."""
    kind = frame.kind
    if kind == _MODEL:
        name = frame.cur_name
        if child is not _NO and frame.active and name is not None:
            prio = frame.prio
            if prio is None or prio.get(name, frame.cur_prio) >= frame.cur_prio:
                frame.values[name] = child
                frame.seen.add(name)
        if frame.obj is None:
            frame.obj = _construct(frame.core.cls, frame.values, frame.seen)
        return frame.obj
    if kind == _LIST:
        if child is not _NO and frame.active:
            if frame.placeholder:
                frame.out[-1] = child
            else:
                frame.out.append(child)
                frame.placeholder = True
        return frame.out
    if child is not _NO and frame.active:  # _DICT
        frame.out[frame.cur_key] = child
    return frame.out


class ModelStream(Generic[T]):

    """Validate a JSON document into a Pydantic model while it streams.

    >>> from pydantic import BaseModel
    >>> class Item(BaseModel):
    ...     name: str
    ...     qty: int = 1
    >>> class Order(BaseModel):
    ...     items: list[Item]
    >>> s = ModelStream(Order)
    >>> [e for e in s.feed('{"items": [{"name": "nut"}, {"na') if type(e) is FieldValidated]
    [FieldValidated(path=('items', 0, 'name'), value='nut'), \
FieldValidated(path=('items', 0), value=Item(name='nut', qty=1))]
    >>> s.partial
    Order(items=[Item(name='nut', qty=1), Item(name=None, qty=None)])
    >>> _ = s.feed('me": "bolt", "qty": 2}]}')
    >>> s.close()
    []
    >>> s.value
    Order(items=[Item(name='nut', qty=1), Item(name='bolt', qty=2)])

    ``feed()`` returns the JSON events of :class:`~midstream.JsonStream` with
    :class:`~midstream.FieldValidated` or :class:`~midstream.FieldInvalid`
    after the :class:`~midstream.ValueDone` of every value the type declares
    (model fields, list items, dict values, the root), in the same call. An
    unknown key of a model with ``extra="forbid"`` gives a ``FieldInvalid``
    (``type="extra_forbidden"``, ``input`` None: the value has not come yet)
    as soon as the key's closing quote arrives.

    Args:
        tp: a pydantic model class, or any type a ``pydantic.TypeAdapter``
            accepts (``list[Item]``, ``dict[str, Item]``, ...).
        max_depth: deepest nesting accepted (see :class:`~midstream.JsonStream`).
        max_string_length: longest string or key, in characters.
        max_number_length: longest number, in characters.
    """

    def __init__(
        self,
        tp: type[T],
        /,
        *,
        max_depth: int = DEFAULT_MAX_DEPTH,
        max_string_length: int = DEFAULT_MAX_STRING_LENGTH,
        max_number_length: int = DEFAULT_MAX_NUMBER_LENGTH,
    ) -> None:
        self._engine = _Engine(
            _plan(tp),
            max_depth=max_depth,
            max_string_length=max_string_length,
            max_number_length=max_number_length,
        )
        self._version = 0
        self._partial_version = -1
        self._partial: Any = None

    # --- public API ------------------------------------------------------------------

    def feed(self, text: str | bytes | bytearray | memoryview, /) -> list[Event]:
        """Parse the next chunk; return its JSON events and validation events, in order.

        Raises:
            JsonSyntaxError: the chunk breaks the JSON grammar.
            LimitExceededError: a configured limit was passed.
        """
        events: list[Any] = self._engine.feed(text)
        if events:
            self._version += 1
        return events

    def close(self) -> list[Event]:
        """End the stream; return the events still due.

        Raises:
            IncompleteJsonError: the document is unfinished.
            pydantic.ValidationError: the document does not validate; it holds
                every error, as ``Model.model_validate_json(text)`` would.
        """
        events: list[Any] = self._engine.close()
        result = self._engine.result
        if type(result) is _Failed:
            raise result.error
        return events

    @property
    def done(self) -> bool:
        """The root value is complete (and validated or failed)."""
        return self._engine.result is not _NO

    @property
    def value(self) -> T:
        """The validated value, once the document is complete.

        Raises:
            pydantic.ValidationError: the document did not validate.
            RuntimeError: the document is not complete yet.
        """
        result = self._engine.result
        if result is _NO:
            raise RuntimeError(
                "the document is not complete yet: call close() first, or use partial"
            )
        if type(result) is _Failed:
            raise result.error
        return cast(T, result)

    @property
    def partial(self) -> Any:
        """The value so far, shaped like the type; None before anything arrived.

        A model in progress is an instance built without validation
        (``model_construct``): fields not seen yet are None (defaults apply
        only when the model completes), completed fields hold their validated
        values (or the raw value, where it failed), the string in progress
        holds its text so far; numbers show once complete. A discriminated
        union is a plain dict until its discriminator completes; fallback
        types show the raw JSON so far. Completed models are the validated
        instances.

        This is a live view, like :meth:`JsonStream.snapshot`: the same
        objects are updated in place (completed values as they complete, the
        value in progress when you read ``partial`` again), and each read
        costs only the depth of the open containers plus the string in
        progress. Copy it (``model_copy(deep=True)``) to keep a frozen view.
        """
        if self._partial_version != self._version:
            self._partial = self._engine.partial()
            self._partial_version = self._version
        return self._partial


def _construct(cls: Any, values: dict[str, Any], seen: set[str]) -> Any:
    """A partial instance whose ``__dict__`` is the frame's live ``values``."""
    try:
        obj = cls.model_construct(_fields_set=seen, **values)
    except Exception:  # a model_post_init that cannot take partial data
        obj = cls.__new__(cls)
        object.__setattr__(obj, "__pydantic_extra__", None)
        object.__setattr__(obj, "__pydantic_private__", None)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", seen)
    return obj


def _errors(failed: _Failed, loc: tuple[Any, ...]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for details in failed.error.errors():
        error: dict[str, Any] = dict(details)
        error["loc"] = (*loc, *details["loc"])
        errors.append(error)
    return errors


def _extra_forbidden(frame: _Frame, key: str) -> FieldInvalid:
    error = _validation_error().from_exception_data(
        frame.core.cls.__name__,
        [{"type": "extra_forbidden", "loc": (*frame.base, key), "input": None}],
    )
    return FieldInvalid((*frame.path, key), [dict(e) for e in error.errors()])


# --- adapters ----------------------------------------------------------------------------


def stream_model(tp: type[T], chunks: Iterable[str | bytes], /, **options: Any) -> Iterator[Any]:
    """Yield the partial value after each chunk that changed it, then the validated value.

    Args:
        tp: the model class (or TypeAdapter-able type), as for :class:`ModelStream`.
        chunks: the text, in pieces.
        **options: limits passed to :class:`ModelStream`.

    Yields:
        ``ModelStream.partial`` (a live view: see there) after each chunk
        that produced events, then the validated value.

    Raises:
        pydantic.ValidationError: the document does not validate.
        ParseError: the text is not one JSON document.
    """
    stream = ModelStream(tp, **options)
    for chunk in chunks:
        if stream.feed(chunk):
            yield stream.partial
    stream.close()
    yield stream.value


async def astream_model(
    tp: type[T], chunks: AsyncIterable[str | bytes], /, **options: Any
) -> AsyncIterator[Any]:
    """The async twin of :func:`stream_model`, over an async iterable of chunks."""
    stream = ModelStream(tp, **options)
    async for chunk in chunks:
        if stream.feed(chunk):
            yield stream.partial
    stream.close()
    yield stream.value
