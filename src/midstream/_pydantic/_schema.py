"""Walking and rewriting pydantic-core schemas (plain dicts), with no pydantic import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, cast

Schema = dict[str, Any]
Mapper = Callable[[Schema], Schema]

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


def _map_sub_schema(value: Any, fn: Mapper) -> Any:
    if isinstance(value, dict):
        return fn(value)
    if isinstance(value, list):
        return [fn(v) if isinstance(v, dict) else v for v in value]
    return value


def _map_fields(value: Any, fn: Mapper) -> Any:
    """A model's fields (a dict), or a dataclass's (a list; the schema lists names only)."""
    if isinstance(value, dict):
        return {name: fn(f) if isinstance(f, dict) else f for name, f in value.items()}
    if isinstance(value, list):
        return [fn(f) if isinstance(f, dict) else f for f in value]
    return value


def _map_choices(value: Any, fn: Mapper) -> Any:
    """A tagged union's choices (a dict), or a plain union's (schemas or (schema, label))."""
    if isinstance(value, dict):
        return {tag: fn(s) if isinstance(s, dict) else s for tag, s in value.items()}
    if isinstance(value, list):
        return [fn(c) if isinstance(c, dict) else (fn(c[0]), *c[1:]) for c in value]
    return value


def _map_arguments(value: Any, fn: Mapper) -> Any:
    if not isinstance(value, list):
        return value
    return [
        {**p, "schema": fn(p["schema"])} if isinstance(p, dict) and "schema" in p else p
        for p in value
    ]


_MAPPERS: Final[dict[str, Callable[[Any, Mapper], Any]]] = {
    **{key: _map_sub_schema for key in _SUB_SCHEMA_KEYS},
    "fields": _map_fields,
    "choices": _map_choices,
    "arguments_schema": _map_arguments,
}


def map_children(schema: Schema, fn: Mapper) -> Schema:
    """A copy of ``schema`` with ``fn`` applied to each direct sub-schema."""
    out = dict(schema)
    for key, value in schema.items():
        mapper = _MAPPERS.get(key)
        if mapper is not None:
            out[key] = mapper(value, fn)
    return out


def children(schema: Schema) -> list[Schema]:
    """The direct sub-schemas of ``schema``."""
    found: list[Schema] = []

    def collect(child: Schema) -> Schema:
        found.append(child)
        return child

    map_children(schema, collect)
    return found


def hoist(schema: Schema, defs: dict[str, Schema]) -> Schema:
    """Copy ``schema`` with every schema carrying a ``ref`` moved into ``defs``.

    Afterwards a sub-schema refers to shared schemas only through
    ``definition-ref``, so any sub-schema compiles on its own with the
    definitions it reaches.
    """
    out = map_children(schema, lambda child: hoist(child, defs))
    out.pop("serialization", None)
    if out.get("type") == "definitions":
        return cast(Schema, out["schema"])
    ref = out.pop("ref", None)
    if ref is not None and out.get("type") != "definition-ref":
        defs[ref] = out
        return {"type": "definition-ref", "schema_ref": ref}
    return out


def uses_info(schema: Schema) -> bool:
    """Whether ``schema`` is a validator function that takes an ``info`` argument."""
    function = schema.get("function")
    return isinstance(function, dict) and function.get("type") == "with-info"


def wrap(function: Callable[[Any, Any], Any], inner: Schema | None = None) -> Schema:
    """A ``function-wrap`` schema calling ``function(value, handler)`` around ``inner``."""
    return {
        "type": "function-wrap",
        "function": {"type": "no-info", "function": function},
        "schema": inner if inner is not None else {"type": "any"},
    }


def around(schema: Schema, function: Callable[[Any, Any], Any], inner: Schema | None) -> Schema:
    """``function`` wrapped around a field's schema, inside its default (if any)."""
    if schema.get("type") == "default":
        return {**schema, "schema": wrap(function, inner)}
    return wrap(function, inner)


def after(schema: Schema, function: Callable[[Any], Any]) -> Schema:
    """``function`` run after a field's schema, inside its default (if any)."""
    inner = schema["schema"] if schema.get("type") == "default" else schema
    then = {
        "type": "function-after",
        "function": {"type": "no-info", "function": function},
        "schema": inner,
    }
    return {**schema, "schema": then} if schema.get("type") == "default" else then


def shallow_of(schema: Schema, key: str, replacement: Any) -> Schema:
    """``schema`` with its children under ``key`` replaced (pass-throughs), unserialized."""
    shallow = {**schema, key: replacement}
    shallow.pop("serialization", None)
    return shallow
