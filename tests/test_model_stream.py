"""ModelStream: validation into pydantic models while the JSON streams.

The property tests build random models with ``pydantic.create_model`` (nested
models, lists, dicts, optionals, unions, discriminated unions, aliases,
constraints, ``extra="forbid"``), random instances of them, serialize them
with varied spacing and feed them in random chunkings. pydantic's own
``model_validate_json`` on the whole text is the oracle.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
import itertools
import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Generic, Literal, Optional, TypeVar, Union

import pytest
from hypothesis import event as note_event
from hypothesis import given
from hypothesis import strategies as st
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    RootModel,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from typing_extensions import TypedDict

import midstream
from helpers import chunkings, run, split_at, split_points
from midstream import (
    FieldInvalid,
    FieldValidated,
    ModelStream,
    StringDelta,
    ValueDone,
    astream_model,
    stream_model,
)

# --- helpers -----------------------------------------------------------------------------


def feed_all(stream: ModelStream[Any], chunks: list[str]) -> list[list[Any]]:
    """The events of each feed() call (close() not included)."""
    return [stream.feed(chunk) for chunk in chunks]


def validation_events(batches: list[list[Any]]) -> list[Any]:
    return [e for batch in batches for e in batch if type(e) in (FieldValidated, FieldInvalid)]


def type_and_loc(errors: list[Any]) -> list[tuple[str, tuple[Any, ...]]]:
    return [(e["type"], tuple(e["loc"])) for e in errors]


def reference_errors(model: Any, text: str) -> list[tuple[str, tuple[Any, ...]]]:
    try:
        model.model_validate_json(text)
    except ValidationError as exc:
        return type_and_loc(exc.errors())
    return []


def child(obj: Any, key: Any) -> Any:
    """The element of a validated value at one path step (keys are JSON keys)."""
    if isinstance(obj, BaseModel):
        for name, info in type(obj).model_fields.items():
            if key in (name, info.alias):
                return getattr(obj, name)
        raise KeyError(key)
    return obj[key]


def at(obj: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        obj = child(obj, key)
    return obj


def batch_of(batches: list[list[Any]], predicate: Any) -> int:
    """Index of the first feed() whose events contain one matching ``predicate``."""
    for i, batch in enumerate(batches):
        if any(predicate(e) for e in batch):
            return i
    raise AssertionError("no such event")


# --- random models ---------------------------------------------------------------------

_names = itertools.count()
T = TypeVar("T")


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


INFO_CALLS: list[tuple[str, str, tuple[str, ...]]] = []


def record_info(cls: Any, value: Any, info: ValidationInfo) -> Any:
    """A field validator that reads info.data: records what it saw."""
    INFO_CALLS.append((cls.__name__, str(info.field_name), tuple(sorted(info.data))))
    return value


class Spec:
    """A type the random model uses, with strategies for valid and invalid JSON values."""

    declared_inside = True  # FieldValidated events come for its children

    def ann(self) -> Any:
        raise NotImplementedError

    def valid(self) -> st.SearchStrategy[Any]:
        raise NotImplementedError

    def invalid(self) -> st.SearchStrategy[Any]:
        raise NotImplementedError

    def children(self, value: Any) -> Iterator[tuple[Any, Spec]]:
        """(key, spec) of the declared children of a valid value."""
        return iter(())


class Scalar(Spec):
    def __init__(self, ann: Any, valid: st.SearchStrategy[Any], invalid: st.SearchStrategy[Any]):
        self._ann, self._valid, self._invalid = ann, valid, invalid

    def ann(self) -> Any:
        return self._ann

    def valid(self) -> st.SearchStrategy[Any]:
        return self._valid

    def invalid(self) -> st.SearchStrategy[Any]:
        return self._invalid


words = st.text("abcxyz é", max_size=8)
SCALARS = [
    Scalar(int, st.integers(-1000, 1000), st.sampled_from(["x", 1.5, [1], None])),
    Scalar(str, words, st.sampled_from([1, None, [], {"a": 1}])),
    Scalar(float, st.floats(-1e6, 1e6), st.sampled_from(["abc", None, [1.0]])),
    Scalar(bool, st.booleans(), st.sampled_from(["maybe", 2, None])),
    Scalar(Annotated[int, Field(ge=0, le=10)], st.integers(0, 10), st.integers(11, 99)),
    Scalar(
        Annotated[str, Field(max_length=3)],
        st.text("ab", max_size=3),
        st.text("ab", min_size=4, max_size=6),
    ),
    Scalar(Literal["a", "b"], st.sampled_from(["a", "b"]), st.sampled_from(["c", 1])),
    Scalar(Color, st.sampled_from(["red", "green"]), st.sampled_from(["blue", 3])),
    Scalar(int | str, st.integers(-5, 5) | words, st.sampled_from([None, [1], {"x": 1}])),
    Scalar(int | None, st.none() | st.integers(-5, 5), st.sampled_from(["q", [None]])),
]


class ListSpec(Spec):
    def __init__(self, item: Spec):
        self.item = item

    def ann(self) -> Any:
        return list[self.item.ann()]  # type: ignore[misc]

    def valid(self) -> st.SearchStrategy[Any]:
        return st.lists(self.item.valid(), max_size=4)

    def invalid(self) -> st.SearchStrategy[Any]:
        return st.sampled_from(["not a list", 7, {"a": 1}])

    def children(self, value: Any) -> Iterator[tuple[Any, Spec]]:
        for i in range(len(value)):
            yield i, self.item


class DictSpec(Spec):
    def __init__(self, value: Spec):
        self.value = value

    def ann(self) -> Any:
        return dict[str, self.value.ann()]  # type: ignore[misc]

    def valid(self) -> st.SearchStrategy[Any]:
        keys = st.text("kq", min_size=1, max_size=3)
        return st.dictionaries(keys, self.value.valid(), max_size=3)

    def invalid(self) -> st.SearchStrategy[Any]:
        return st.sampled_from(["not a dict", [1, 2], 3])

    def children(self, value: Any) -> Iterator[tuple[Any, Spec]]:
        for key in value:
            yield key, self.value


class OptionalSpec(Spec):
    def __init__(self, inner: Spec):
        self.inner = inner

    def ann(self) -> Any:
        return Optional[self.inner.ann()]  # noqa: UP045 (built at run time)

    def valid(self) -> st.SearchStrategy[Any]:
        return st.none() | self.inner.valid()

    def invalid(self) -> st.SearchStrategy[Any]:
        return self.inner.invalid().filter(lambda v: v is not None)

    def children(self, value: Any) -> Iterator[tuple[Any, Spec]]:
        return iter(()) if value is None else self.inner.children(value)


class ModelSpec(Spec):
    def __init__(
        self,
        fields: list[tuple[str, Spec, bool, str | None]],
        forbid: bool,
        by_name: bool,
        tag: str | None = None,
        info_field: str | None = None,
    ):
        self.fields = fields  # (name, spec, required, alias)
        self.forbid = forbid
        self.by_name = by_name
        self.tag = tag  # the Literal value of "kind" in a discriminated union
        self.info_field = info_field  # a field with a validator that reads info.data
        self._model: Any = None

    def model(self) -> Any:
        if self._model is None:
            definitions: dict[str, Any] = {}
            if self.tag is not None:
                definitions["kind"] = (Literal[self.tag], ...)
            for name, spec, required, alias in self.fields:
                default = ... if required else None
                definitions[name] = (
                    Optional[spec.ann()] if not required else spec.ann(),  # noqa: UP045
                    Field(default, alias=alias) if alias else default,
                )
            config = ConfigDict(
                extra="forbid" if self.forbid else "ignore", populate_by_name=self.by_name
            )
            validators = {}
            if self.info_field is not None:
                validators["check"] = field_validator(self.info_field)(record_info)
            self._model = create_model(  # type: ignore[call-overload]
                f"M{next(_names)}", __config__=config, __validators__=validators, **definitions
            )
        return self._model

    def ann(self) -> Any:
        return self.model()

    def key(self, name: str, alias: str | None, use_name: bool) -> str:
        return alias if alias and not (self.by_name and use_name) else name

    def valid(self) -> st.SearchStrategy[Any]:
        @st.composite
        def build(draw: st.DrawFn) -> dict[str, Any]:
            items: list[tuple[str, Any]] = []
            if self.tag is not None:
                items.append(("kind", self.tag))
            for name, spec, required, alias in self.fields:
                if required or draw(st.booleans()):
                    items.append((self.key(name, alias, draw(st.booleans())), draw(spec.valid())))
            return dict(draw(st.permutations(items)))

        return build()

    def invalid(self) -> st.SearchStrategy[Any]:
        return st.sampled_from(["not an object", [1], 5])

    def children(self, value: Any) -> Iterator[tuple[Any, Spec]]:
        if self.tag is not None:
            yield "kind", Scalar(str, st.just(self.tag), st.just(self.tag + "?"))
        for name, spec, _required, alias in self.fields:
            for key in {name, alias} - {None}:
                if key in value:
                    yield key, spec


class TaggedSpec(Spec):
    """A discriminated union of models on their "kind" field."""

    def __init__(self, branches: list[ModelSpec]):
        self.branches = branches

    def ann(self) -> Any:
        branches = Union[tuple(b.model() for b in self.branches)]  # noqa: UP007
        return Annotated[branches, Field(discriminator="kind")]

    def valid(self) -> st.SearchStrategy[Any]:
        return st.one_of([b.valid() for b in self.branches])

    def invalid(self) -> st.SearchStrategy[Any]:
        return st.sampled_from([{"kind": "nope"}, "x", {}])

    def branch(self, value: Any) -> ModelSpec:
        return next(b for b in self.branches if b.tag == value["kind"])

    def children(self, value: Any) -> Iterator[tuple[Any, Spec]]:
        return self.branch(value).children(value)


class UnionSpec(Spec):
    """A plain (smart) union of two models: validated whole (a documented fallback)."""

    declared_inside = False

    def __init__(self, a: ModelSpec, b: ModelSpec):
        self.a, self.b = a, b

    def ann(self) -> Any:
        return Union[self.a.model(), self.b.model()]  # noqa: UP007 (built at run time)

    def valid(self) -> st.SearchStrategy[Any]:
        return self.a.valid() | self.b.valid()

    def invalid(self) -> st.SearchStrategy[Any]:
        return st.sampled_from(["x", 3, [None]])


field_names = st.sampled_from(["a", "b", "c", "d", "e", "f", "g"])


@st.composite
def model_specs(draw: st.DrawFn, depth: int = 0, tag: str | None = None) -> ModelSpec:
    names = draw(st.lists(field_names, min_size=1, max_size=4, unique=True))
    fields = []
    for name in names:
        spec = draw(specs(depth + 1))
        required = draw(st.booleans())
        alias = draw(st.sampled_from([None, None, name.upper() + "_"]))
        fields.append((name, spec, required, alias))
    info_field = draw(st.none() | st.sampled_from(names))
    return ModelSpec(fields, draw(st.booleans()), draw(st.booleans()), tag, info_field)


@st.composite
def specs(draw: st.DrawFn, depth: int = 0) -> Spec:
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(SCALARS))
    kind = draw(st.sampled_from(["model", "list", "dict", "optional", "tagged", "union"]))
    if kind == "model":
        return draw(model_specs(depth))
    if kind == "list":
        return ListSpec(draw(specs(depth + 1)))
    if kind == "dict":
        return DictSpec(draw(specs(depth + 1)))
    if kind == "optional":
        return OptionalSpec(draw(specs(depth + 1)))
    if kind == "tagged":
        return TaggedSpec([draw(model_specs(depth + 1, tag=t)) for t in ("x", "y")])
    return UnionSpec(draw(model_specs(depth + 1)), draw(model_specs(depth + 1)))


@st.composite
def dumps(draw: st.DrawFn, value: Any) -> str:
    indent = draw(st.sampled_from([None, 1, 2, "\t"]))
    separators = draw(st.sampled_from([None, (",", ":"), (" , ", " : ")]))
    return json.dumps(value, indent=indent, separators=separators, ensure_ascii=draw(st.booleans()))


def declared_paths(
    spec: Spec, value: Any, path: tuple[Any, ...] = (), whole: set[Any] | None = None
) -> Iterator[tuple[Any, ...]]:
    """Every path the type declares in a valid value (the root included).

    Paths validated whole (a field whose validator reads info) go into ``whole``.
    """
    yield path
    if spec.declared_inside:
        model = spec
        while isinstance(model, (OptionalSpec, TaggedSpec)) and value is not None:
            model = model.inner if isinstance(model, OptionalSpec) else model.branch(value)
        info_keys = set()  # a field whose validator reads info is validated whole
        if isinstance(model, ModelSpec) and model.info_field is not None:
            info = model.info_field
            info_keys = {k for n, _s, _r, a in model.fields if n == info for k in (n, a)}
        for key, sub in spec.children(value):
            if key in info_keys:
                yield (*path, key)
                if whole is not None:
                    whole.add((*path, key))
            else:
                yield from declared_paths(sub, value[key], (*path, key), whole)


def spec_at(spec: Spec, value: Any, path: tuple[Any, ...]) -> tuple[Spec, list[tuple[Any, ...]]]:
    """The spec at ``path``, and the discriminator paths of the unions above it."""
    tags: list[tuple[Any, ...]] = []
    for i, key in enumerate(path):
        inner = spec
        while isinstance(inner, OptionalSpec):
            inner = inner.inner
        if isinstance(inner, TaggedSpec):
            tags.append((*path[:i], "kind"))
        spec = dict(spec.children(value))[key]
        value = value[key]
    return spec, tags


def waits_for(spec: Spec, value: Any, path: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The values a field whose validator reads info.data waits for.

    The fields defined before it, or its model, if one of them is not in the document.
    """
    if not path:
        return []
    parent, _ = spec_at(spec, value, path[:-1])
    obj = at_value(value, path[:-1])
    while isinstance(parent, (OptionalSpec, TaggedSpec)) and obj is not None:
        parent = parent.inner if isinstance(parent, OptionalSpec) else parent.branch(obj)
    if not isinstance(parent, ModelSpec) or parent.info_field is None:
        return []
    keys = {name: [k for k in (name, alias) if k] for name, _s, _r, alias in parent.fields}
    if path[-1] not in keys[parent.info_field]:
        return []
    before = [] if parent.tag is None else [["kind"]]
    for name, _s, _r, _a in parent.fields:
        if name == parent.info_field:
            break
        before.append(keys[name])
    waits = []
    for choices in before:
        present = [k for k in choices if k in obj]
        if not present:
            return [path[:-1]]
        waits += [(*path[:-1], k) for k in present]
    return waits


def set_at(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    value = json.loads(json.dumps(value))
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return value


# --- property tests ---------------------------------------------------------------------


@given(st.data())
def test_random_models_valid_instances(data: st.DataObject) -> None:
    spec = data.draw(model_specs())
    model = spec.model()
    value = data.draw(spec.valid())
    text = data.draw(dumps(value))
    chunks = data.draw(split_points(text))

    INFO_CALLS.clear()
    stream = ModelStream(model)
    batches = feed_all(stream, chunks)
    assert stream.close() == []
    ours = sorted(INFO_CALLS)
    INFO_CALLS.clear()
    expected = model.model_validate_json(text)
    assert stream.value == expected
    # Validators that read info.data ran as often as pydantic runs them, seeing the same fields.
    assert ours == sorted(INFO_CALLS)

    events = validation_events(batches)
    assert not [e for e in events if type(e) is FieldInvalid]
    validated = {e.path: e.value for e in events}
    for path, got in validated.items():
        assert got == at(expected, path), path
    # Every declared value got its event, and in the feed() that completed it.
    # (A union branch's fields are known only once the discriminator completes.)
    for path in declared_paths(spec, value):
        assert path in validated, path
        done = max(
            batch_of(batches, lambda e, p=p: type(e) is ValueDone and e.path == p)
            for p in [path, *spec_at(spec, value, path)[1], *waits_for(spec, value, path)]
        )
        got = batch_of(batches, lambda e, p=path: type(e) is FieldValidated and e.path == p)
        assert got == done, path
    # The same merged events whatever the chunking.
    assert run(lambda: ModelStream(model), chunks) == run(lambda: ModelStream(model), [text])


@given(st.data())
def test_random_models_invalid_instances(data: st.DataObject) -> None:
    spec = data.draw(model_specs())
    model = spec.model()
    value = data.draw(spec.valid())
    whole: set[Any] = set()
    paths = list(declared_paths(spec, value, whole=whole))[1:]
    forbid_paths = [
        p
        for p in [(), *paths]
        if p not in whole  # validated whole: no key is looked at before it completes
        and isinstance(spec_at(spec, value, p)[0], ModelSpec)
        and spec_at(spec, value, p)[0].forbid  # type: ignore[attr-defined]
        and isinstance(at_value(value, p), dict)
    ]
    choices = [("value", p) for p in paths] + [("extra", p) for p in forbid_paths]
    if not choices:
        note_event("no declared value to break")
        return
    how, path = data.draw(st.sampled_from(choices))
    target, tags = spec_at(spec, value, path)
    if how == "value":
        bad = set_at(value, path, data.draw(target.invalid()))
        bad_path = path
    else:
        obj = dict(at_value(value, path))
        obj["zz_unknown"] = data.draw(st.sampled_from([1, "v", [1, {"q": 2}], {"r": None}]))
        bad = set_at(value, path, obj)
        bad_path = (*path, "zz_unknown")
    text = data.draw(dumps(bad))
    chunks = data.draw(split_points(text))
    expected = reference_errors(model, text)
    if not expected:
        note_event("the broken value still validates")
        return  # e.g. 1.5 for a float field

    stream = ModelStream(model)
    batches = feed_all(stream, chunks)
    with pytest.raises(ValidationError) as caught:
        stream.close()
    assert type_and_loc(caught.value.errors()) == expected
    assert caught.value.title == model.__name__

    invalid = [e for e in validation_events(batches) if type(e) is FieldInvalid]
    # Errors are reported at the bad value and at the values containing it, nowhere else.
    for event in invalid:
        assert bad_path[: len(event.path)] == event.path or (
            how == "value" and event.path[: len(bad_path)] == bad_path
        ), (event.path, bad_path)
    # ... first at the bad value itself, as soon as it (or the key) completes.
    if how == "value":
        done = batch_of(batches, lambda e: type(e) is ValueDone and e.path == bad_path)
    else:
        closing_quote = text.index('"zz_unknown"') + len('"zz_unknown"') - 1
        ends = itertools.accumulate(map(len, chunks))
        done = next(i for i, end in enumerate(ends) if end > closing_quote)
    if how == "value":  # a field whose validator reads info.data waits for the fields before it
        tags = [*tags, *waits_for(spec, value, bad_path)]
    for tag_path in tags:  # a union branch is known only once its discriminator completes
        tag_done = batch_of(batches, lambda e, p=tag_path: type(e) is ValueDone and e.path == p)
        done = max(done, tag_done)
    got = batch_of(batches, lambda e: type(e) is FieldInvalid and e.path == bad_path)
    # (or before: a value that can no longer be valid fails early, see test_model_early.py)
    assert got <= done
    first = next(e for e in invalid if e.path == bad_path)
    # ... with the errors pydantic gives for the whole document.
    assert type_and_loc(first.errors) and set(type_and_loc(first.errors)) <= set(expected)
    if how == "extra":
        assert type_and_loc(first.errors) == [("extra_forbidden", bad_path)]


def at_value(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


# --- what must work ------------------------------------------------------------------------


class Address(BaseModel):
    street: str
    city: str


class Person(BaseModel):
    name: str
    address: Address
    previous: list[Address] = []


def test_nested_models_validate_bottom_up_in_the_chunk_that_completes_them() -> None:
    s = ModelStream(Person)
    e1 = s.feed('{"name": "Ann", "address": {"street": "Main", "city": "Oslo"}')
    assert FieldValidated(("address",), Address(street="Main", city="Oslo")) in e1
    assert FieldValidated(("address", "city"), "Oslo") in e1
    assert e1.index(FieldValidated(("address", "city"), "Oslo")) < e1.index(
        FieldValidated(("address",), Address(street="Main", city="Oslo"))
    )
    assert s.feed("}") [-1] == FieldValidated(
        (), Person(name="Ann", address=Address(street="Main", city="Oslo"))
    )
    s.close()
    assert s.value.previous == []


class Item(BaseModel):
    sku: str
    qty: int = Field(gt=0)


class Order(BaseModel):
    items: list[Item]


def test_list_items_validate_as_each_completes() -> None:
    s = ModelStream(Order)
    events = s.feed('{"items": [{"sku": "a", "qty": 1}, {"sku": "b", "q')
    assert FieldValidated(("items", 0), Item(sku="a", qty=1)) in events
    assert FieldValidated(("items", 1, "sku"), "b") in events
    assert not any(e.path == ("items", 1) for e in events if type(e) is FieldValidated)
    assert s.partial == Order.model_construct(
        items=[Item(sku="a", qty=1), Item.model_construct(sku="b", qty=None)]
    )
    events = s.feed('ty": 0}]}')
    assert [e.path for e in events if type(e) is FieldInvalid] == [
        ("items", 1, "qty"), ("items", 1), ("items",), ()
    ]
    with pytest.raises(ValidationError) as caught:
        s.close()
    assert type_and_loc(caught.value.errors()) == [("greater_than", ("items", 1, "qty"))]


def test_a_root_list_and_dict_of_models() -> None:
    s = ModelStream(list[Item])
    events = s.feed('[{"sku": "a", "qty": 2}')
    assert FieldValidated((0,), Item(sku="a", qty=2)) in events
    s.feed("]")
    s.close()
    assert s.value == [Item(sku="a", qty=2)]

    d = ModelStream(dict[str, Item])
    events = d.feed('{"x": {"sku": "a", "qty": 2}, "y": {"sku": "b", "qty": -1}}')
    assert FieldValidated(("x",), Item(sku="a", qty=2)) in events
    assert [e.path for e in events if type(e) is FieldInvalid] == [("y", "qty"), ("y",), ()]


class Catalog(BaseModel):
    by_sku: dict[str, Item]
    note: str | None = None
    featured: Item | None = None


def test_dict_of_models_and_optionals() -> None:
    text = '{"by_sku": {"a": {"sku": "a", "qty": 1}}, "featured": null}'
    s = ModelStream(Catalog)
    events = [e for chunk in text for e in s.feed(chunk)]
    s.close()
    assert s.value == Catalog.model_validate_json(text)
    assert FieldValidated(("by_sku", "a"), Item(sku="a", qty=1)) in events
    assert FieldValidated(("featured",), None) in events
    assert "note" not in s.value.model_fields_set


calls: list[str] = []


def make_tags() -> list[str]:
    calls.append("factory")
    return ["new"]


class Defaults(BaseModel):
    title: str
    count: int = 3
    tags: list[str] = Field(default_factory=make_tags)


def test_defaults_and_default_factory_apply_when_the_model_completes() -> None:
    calls.clear()
    s = ModelStream(Defaults)
    s.feed('{"title": "t"')
    assert s.partial == Defaults.model_construct(title="t", count=None, tags=None)
    assert calls == []
    s.feed("}")
    s.close()
    assert s.value == Defaults(title="t", count=3, tags=["new"])
    assert calls == ["factory"]
    assert s.value.model_fields_set == {"title"}


class Aliased(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    first_name: str = Field(alias="firstName")
    age: int = Field(validation_alias=AliasChoices("age", "years"))


class AliasOnly(BaseModel):
    first_name: str = Field(alias="firstName")


@pytest.mark.parametrize(
    "text",
    [
        '{"firstName": "A", "age": 1}',
        '{"first_name": "A", "years": 1}',
        '{"first_name": "B", "firstName": "A", "years": 2, "age": 1}',
        '{"firstName": "A", "first_name": "B", "age": "x"}',
    ],
)
def test_aliases_and_populate_by_name(text: str) -> None:
    s = ModelStream(Aliased)
    events = validation_events(feed_all(s, list(text)))
    expected = reference_errors(Aliased, text)
    if expected:
        with pytest.raises(ValidationError) as caught:
            s.close()
        assert type_and_loc(caught.value.errors()) == expected
    else:
        s.close()
        assert s.value == Aliased.model_validate_json(text)
    first = json.loads(text)
    assert {e.path[0] for e in events if e.path} <= set(first)


def test_an_alias_only_field_ignores_its_name() -> None:
    s = ModelStream(AliasOnly)
    s.feed('{"first_name": "x"}')
    with pytest.raises(ValidationError) as caught:
        s.close()
    assert type_and_loc(caught.value.errors()) == [("missing", ("firstName",))]


class Shirt(BaseModel):
    size: Literal["S", "M", "L"]
    color: Color
    code: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    price: Annotated[float, Field(ge=0, le=1000)]


def test_literals_enums_and_constraints() -> None:
    s = ModelStream(Shirt)
    events = s.feed('{"size": "XL", "color": "red", "code": "ab1", "price": 5')
    bad = {e.path: type_and_loc(e.errors) for e in events if type(e) is FieldInvalid}
    assert bad == {
        ("size",): [("literal_error", ("size",))],
        ("code",): [("string_pattern_mismatch", ("code",))],
    }
    assert FieldValidated(("color",), Color.RED) in events
    # A number ends only at the next character.
    assert not any(e.path == ("price",) for e in events if type(e) is FieldValidated)
    assert FieldValidated(("price",), 5.0) in s.feed("}")


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Owner(BaseModel):
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]
    pets: list[Annotated[Cat | Dog, Field(discriminator="kind")]] = []


def test_discriminated_union_branch_is_chosen_when_the_discriminator_completes() -> None:
    s = ModelStream(Owner)
    events = s.feed('{"pet": {"lives": 9, "ki')
    assert not any(type(e) is FieldValidated for e in events)
    assert "pet" not in s.partial.__dict__  # unset until the branch is known (see partial)
    assert s.snapshot()["pet"] == {"lives": 9}
    events = s.feed('nd": "cat"')
    # The fields that came before the discriminator are validated now, in document order.
    validated = [e.path for e in events if type(e) is FieldValidated]
    assert validated == [("pet", "lives"), ("pet", "kind")]
    assert isinstance(s.partial.pet, Cat)
    assert FieldValidated(("pet",), Cat(kind="cat", lives=9)) in s.feed("}")
    rest = ', "pets": [{"kind": "dog", "good": "yes?"}, {"kind": "fish"}]}'
    events = s.feed(rest)
    errors = {e.path: type_and_loc(e.errors) for e in events if type(e) is FieldInvalid}
    assert errors[("pets", 0, "good")] == [("bool_parsing", ("pets", 0, "dog", "good"))]
    assert errors[("pets", 1, "kind")] == [("union_tag_invalid", ("pets", 1))]
    with pytest.raises(ValidationError) as caught:
        s.close()
    expected = reference_errors(Owner, '{"pet": {"lives": 9, "kind": "cat"}' + rest)
    assert type_and_loc(caught.value.errors()) == expected


class Counted(BaseModel):
    name: str
    parts: list[str]
    seen_names: list[str] = []

    @field_validator("name")
    @classmethod
    def upper(cls, v: str) -> str:
        calls.append(f"name:{v}")
        return v.upper()

    @field_validator("parts")
    @classmethod
    def count_parts(cls, v: list[str]) -> list[str]:
        calls.append(f"parts:{len(v)}")
        return [p + "!" for p in v]

    @model_validator(mode="after")
    def whole(self) -> Counted:
        calls.append("model")
        return self


def test_field_validators_run_once_with_their_field_and_model_validators_at_the_end() -> None:
    calls.clear()
    s = ModelStream(list[Counted])
    s.feed('[{"name": "ab"')
    assert calls == ["name:ab"]
    s.feed(', "parts": ["x", "y"]')
    assert calls == ["name:ab", "parts:2"]
    events = s.feed("}")
    assert calls == ["name:ab", "parts:2", "model"]
    done = Counted.model_construct(name="AB", parts=["x!", "y!"], seen_names=[])
    assert FieldValidated((0,), done) in events
    s.feed("]")
    s.close()
    assert calls == ["name:ab", "parts:2", "model"]  # nothing validated twice
    assert s.value[0].name == "AB" and s.value[0].parts == ["x!", "y!"]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True)
    n: int
    when: dt.datetime
    pair: tuple[int, int]


def test_strict_mode_follows_json_rules() -> None:
    text = '{"n": "1", "when": "2024-01-02T03:04:05", "pair": [1, 2]}'
    s = ModelStream(Strict)
    events = s.feed(text)
    assert [e.path for e in events if type(e) is FieldInvalid] == [("n",), ()]
    assert FieldValidated(("when",), dt.datetime(2024, 1, 2, 3, 4, 5)) in events
    assert FieldValidated(("pair",), (1, 2)) in events
    with pytest.raises(ValidationError) as caught:
        s.close()
    assert type_and_loc(caught.value.errors()) == reference_errors(Strict, text)


class Forbidding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: int


def test_extra_forbid_reports_the_key_when_it_completes() -> None:
    s = ModelStream(Forbidding)
    assert not any(type(e) is FieldInvalid for e in s.feed('{"a": 1, "oops'))
    events = s.feed('":')  # the value has not started
    assert [(type(e), e.path) for e in events] == [(FieldInvalid, ("oops",))]
    assert type_and_loc(events[0].errors) == [("extra_forbidden", ("oops",))]
    events = s.feed(' {"deep": [1]}}')
    assert not any(type(e) is FieldValidated and e.path[:1] == ("oops",) for e in events)
    with pytest.raises(ValidationError) as caught:
        s.close()
    assert type_and_loc(caught.value.errors()) == [("extra_forbidden", ("oops",))]


class Before(BaseModel):
    total: int

    @model_validator(mode="before")
    @classmethod
    def unwrap(cls, data: Any) -> Any:
        return data["payload"] if isinstance(data, dict) and "payload" in data else data


class UsesInfo(BaseModel):
    password: str
    repeat: str

    @field_validator("repeat")
    @classmethod
    def same(cls, v: str, info: ValidationInfo) -> str:
        if v != info.data.get("password"):
            raise ValueError("passwords differ")
        return v


class Fallbacks(BaseModel):
    before: Before
    union: Cat | Dog  # no discriminator
    root: RootModel[list[int]]
    info: UsesInfo


def test_fallbacks_validate_the_whole_value_when_it_completes() -> None:
    text = (
        '{"before": {"payload": {"total": 3}}, "union": {"kind": "dog", "good": true},'
        ' "root": [1, 2], "info": {"password": "p", "repeat": "q"}}'
    )
    s = ModelStream(Fallbacks)
    batches = feed_all(s, list(text))
    events = validation_events(batches)
    paths = [e.path for e in events]
    # Nothing is reported inside a fallback; each is reported whole, once.
    assert ("before",) in paths and ("before", "payload") not in paths
    assert ("union",) in paths and ("union", "good") not in paths
    assert ("root",) in paths and ("root", 0) not in paths
    # A validator that reads info.data runs once the fields before it are in.
    assert ("info", "password") in paths
    repeat = next(e for e in events if e.path == ("info", "repeat"))
    assert type(repeat) is FieldInvalid
    assert batch_of(batches, lambda e: e is repeat) == batch_of(
        batches, lambda e: type(e) is ValueDone and e.path == ("info", "repeat")
    )
    with pytest.raises(ValidationError) as caught:
        s.close()
    assert type_and_loc(caught.value.errors()) == reference_errors(Fallbacks, text)


def test_partial_is_model_shaped_and_live() -> None:
    s = ModelStream(Person)
    assert s.partial is None
    s.feed('{"name": "Jo')
    p = s.partial
    assert isinstance(p, Person)
    assert (p.name, p.address, p.previous) == ("Jo", None, None)  # not seen: None, not defaults
    s.feed('hn", "address": {"street": "Hi')
    assert s.partial is p  # the same instance, updated in place
    assert p.name == "John" and isinstance(p.address, Address)
    assert (p.address.street, p.address.city) == ("Hi", None)
    s.feed('gh", "city": "X"}, "previous": [{"street": "a", "city": "b"}, {"city": "c')
    assert s.partial is p
    assert p.address == Address(street="High", city="X")  # completed: the validated instance
    assert p.previous[0] == Address(street="a", city="b")
    assert (p.previous[1].street, p.previous[1].city) == (None, "c")
    assert p.model_fields_set == {"name", "address", "previous"}
    s.feed('", "street": "s"}]}')
    s.close()
    assert s.partial == s.value == Person.model_validate_json(
        '{"name": "John", "address": {"street": "High", "city": "X"},'
        ' "previous": [{"street": "a", "city": "b"}, {"city": "c", "street": "s"}]}'
    )


def test_partial_holds_none_where_validation_failed() -> None:
    s = ModelStream(Person)
    s.feed('{"name": "n", "previous": [{"street": 5, "city": "d"}, {"str')
    assert s.partial.previous[0] is None  # (its raw value is in FieldInvalid, and snapshot())
    assert s.snapshot()["previous"][0] == {"street": 5, "city": "d"}
    assert isinstance(s.partial.previous[1], Address)


def test_stream_model_yields_partials_then_the_value() -> None:
    text = '{"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]}'
    chunks = split_at(text, [5, 12, 20, 33, 40, 50])
    seen = []
    for partial in stream_model(Order, chunks):
        seen.append(partial.model_dump() if isinstance(partial, BaseModel) else partial)
    assert seen[-1] == Order.model_validate_json(text).model_dump()
    assert len(seen) == len(chunks)  # every chunk here changes something; the last completes it

    async def agen() -> AsyncIterator[str]:
        for chunk in chunks:
            yield chunk

    async def collect() -> list[Any]:
        return [p async for p in astream_model(Order, agen())]

    results = asyncio.run(collect())
    assert results[-1] == Order.model_validate_json(text)


def test_stream_model_raises_the_validation_error_at_the_end() -> None:
    with pytest.raises(ValidationError):
        list(stream_model(Order, ['{"items": [{"sku": 1}]}']))
    with pytest.raises(midstream.IncompleteJsonError):
        list(stream_model(Order, ['{"items": [']))


def test_value_before_the_end_is_an_error() -> None:
    s = ModelStream(Order)
    s.feed('{"items": []')
    with pytest.raises(RuntimeError):
        _ = s.value
    s.feed("}")
    s.close()
    assert s.value == Order(items=[])


def test_bad_json_raises_parse_error() -> None:
    s = ModelStream(Order)
    with pytest.raises(midstream.JsonSyntaxError):
        s.feed('{"items": [}')


@pytest.mark.parametrize("model", [Order, Forbidding])
def test_a_parse_error_carries_the_validation_events_of_its_call(model: Any) -> None:
    # The same events as a feed of the text before the bad character, in the same order.
    text = '{"items": [{"sku": "a", "qty": 0}], "z": "b"'
    if model is Forbidding:
        text = '{"a": 1, "x": "y"'
    expected = ModelStream(model).feed(text)
    s = ModelStream(model)
    with pytest.raises(midstream.JsonSyntaxError) as caught:
        s.feed(text + "]")
    assert caught.value.events == expected
    assert any(type(e) is FieldInvalid for e in expected)


def test_a_schema_the_compiler_misreads_names_the_type(monkeypatch: Any) -> None:
    import midstream._pydantic as impl

    class Unread(BaseModel):
        a: int

    def misread(*args: Any) -> Any:
        raise KeyError("fields")  # as an unexpected pydantic-core schema would

    monkeypatch.setattr(impl._Compiler, "position", misread)
    with pytest.raises(TypeError, match=r"Unread.*KeyError"):
        ModelStream(Unread)


@pytest.mark.parametrize("model", [Person, Order, Owner, Catalog, Aliased, Strict, Fallbacks])
def test_events_do_not_depend_on_the_chunking(model: Any) -> None:
    texts = {
        Person: '{"name": "A\\u00e9", "address": {"street": "s", "city": "c"},'
        ' "previous": [{"street": 1}]}',
        Order: '{"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 0}]}',
        Owner: '{"pets": [{"good": true, "kind": "dog"}, {"kind": "cat", "lives": 1}],'
        ' "pet": {"kind": "cat", "lives": 2}}',
        Catalog: '{"by_sku": {"x": {"sku": "x", "qty": 3}}, "note": "n"}',
        Aliased: '{"firstName": "A", "years": 12}',
        Strict: '{"n": 1, "when": "2024-01-01T00:00:00", "pair": [1, 2]}',
        Fallbacks: '{"before": {"total": 1}, "union": {"kind": "cat", "lives": 1}, "root": [],'
        ' "info": {"password": "p", "repeat": "p"}}',
    }
    text = texts[model]

    def make() -> Any:
        return ModelStream(model)

    def outcome(chunks: list[str]) -> Any:
        try:
            return run(make, chunks), None
        except ValidationError as exc:
            return None, exc.errors()

    expected = outcome([text])
    for chunks in chunkings(text, tokens=False):
        assert outcome(chunks) == expected, chunks


class Node(BaseModel):
    name: str
    children: list[Node] = []


class Generic2(BaseModel, Generic[T]):
    v: T
    vs: list[T]


@dataclasses.dataclass
class DC:
    a: int


class TD(TypedDict):
    b: int


class Mixed(BaseModel):
    model_config = ConfigDict(extra="allow")
    dc: DC
    td: TD
    doubled: list[Annotated[int, AfterValidator(lambda v: v * 2)]]
    pair: tuple[int, str]
    checked: int = Field(default="x", validate_default=True)


class PostInit(BaseModel):
    a: int
    _private: int = PrivateAttr(default=5)

    def model_post_init(self, context: Any, /) -> None:
        if self.a < 0:
            raise ValueError("negative")


class HasPostInit(BaseModel):
    p: PostInit


@pytest.mark.parametrize(
    ("tp", "text"),
    [
        (Node, '{"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}'),
        (Node, '{"name": "a", "children": [{"name": "b", "children": [{"name": 3}]}]}'),
        (Generic2[int], '{"v": 1, "vs": [1, "2"]}'),
        (Generic2[int], '{"v": 1, "vs": [1, "x"]}'),
        (Mixed, '{"dc": {"a": 1}, "td": {"b": 2}, "doubled": [1, 2], "pair": [1, "x"],'
                ' "checked": 4, "extra": {"z": [1]}}'),
        (Mixed, '{"dc": {"a": "q"}, "td": {}, "doubled": [1], "pair": [1]}'),
        (HasPostInit, '{"p": {"a": 1}}'),
        (HasPostInit, '{"p": {"a": -1}}'),
        (list[int], '[1, 2, "x"]'),
        (dict[str, list[int]], '{"a": [1], "b": ["q"]}'),
        (Node | None, "null"),
        (int, "12"),
    ],
)
def test_agrees_with_pydantic(tp: Any, text: str) -> None:
    try:
        expected: Any = TypeAdapter(tp).validate_json(text)
    except ValidationError as exc:
        expected = exc
    for chunks in ([text], list(text)):
        s = ModelStream(tp)
        events = validation_events(feed_all(s, chunks))
        if isinstance(expected, ValidationError):
            with pytest.raises(ValidationError) as caught:
                s.close()
            assert type_and_loc(caught.value.errors()) == type_and_loc(expected.errors())
            continue
        s.close()
        assert s.value == expected
        for event in events:
            assert event.value == at(expected, event.path)
        if tp is HasPostInit:
            assert s.value.p._private == 5  # model_post_init ran: private attributes are set


class SeesData(BaseModel):
    n: int
    m: int
    k: int = 0

    @field_validator("m")
    @classmethod
    def record(cls, v: int, info: ValidationInfo) -> int:
        calls.append(f"m sees {sorted(info.data)}")
        return v


def test_with_info_field_validator_runs_with_its_field_once_the_fields_before_it_came() -> None:
    s = ModelStream(UsesInfo)
    events = s.feed('{"password": "p", "repeat": "q"')
    assert FieldValidated(("password",), "p") in events
    repeat = next(e for e in events if e.path == ("repeat",) and type(e) is FieldInvalid)
    assert type_and_loc(repeat.errors) == [("value_error", ("repeat",))]
    s.feed("}")
    with pytest.raises(ValidationError) as caught:
        s.close()
    assert type_and_loc(caught.value.errors()) == [("value_error", ("repeat",))]

    calls.clear()
    s2 = ModelStream(SeesData)
    events = s2.feed('{"n": "x", "k": 1, "m": 2')  # n failed: info.data has no "n"
    assert calls == []  # a number ends at the next character
    events = s2.feed(" }")
    assert calls == ["m sees []"]
    assert FieldValidated(("m",), 2) in events
    with pytest.raises(ValidationError):
        s2.close()


def test_with_info_field_validator_waits_for_the_fields_before_it() -> None:
    calls.clear()
    s = ModelStream(SeesData)
    batches = feed_all(s, ['{"m": 1, ', '"n": 2, ', '"k": 3}'])
    m = next(e for e in validation_events(batches) if e.path == ("m",))
    assert batch_of(batches, lambda e: e is m) == 1  # "n" came after it: once "n" is done
    assert calls == ["m sees ['n']"]  # validated once, as pydantic does
    s.close()
    assert s.value == SeesData(n=2, m=1, k=3)

    calls.clear()
    s = ModelStream(SeesData)
    batches = feed_all(s, ['{"m": 1, ', '"k": 3}'])  # "n" never comes: with the model
    m = next(e for e in validation_events(batches) if e.path == ("m",))
    assert batch_of(batches, lambda e: e is m) == 1
    assert calls == ["m sees []"]
    with pytest.raises(ValidationError) as caught:
        s.close()
    assert type_and_loc(caught.value.errors()) == [("missing", ("n",))]


def test_a_schema_it_cannot_take_apart_is_validated_whole(monkeypatch: Any) -> None:
    import midstream._pydantic as impl

    class Odd(BaseModel):
        a: int

    def refuse(*args: Any) -> Any:
        raise NotImplementedError("an unknown schema")

    monkeypatch.setattr(impl._Compiler, "position", refuse)
    with pytest.warns(RuntimeWarning, match="field by field"):
        s = ModelStream(Odd)
    events = validation_events([s.feed('{"a": 1}')])
    assert events == [FieldValidated((), Odd(a=1))]
    s.close()
    assert s.value == Odd(a=1)


class Refuses(BaseModel):
    code: str

    @field_validator("code")
    @classmethod
    def refuse(cls, v: str) -> str:
        calls.append(v)
        raise ValueError("no")


def test_a_failing_field_validator_runs_once() -> None:
    calls.clear()
    s = ModelStream(Refuses)
    events = s.feed('{"code": "x"}')
    assert calls == ["x"]
    first = next(e for e in events if type(e) is FieldInvalid)
    assert type_and_loc(first.errors) == [("value_error", ("code",))]


def test_string_deltas_pass_through() -> None:
    s = ModelStream(Order)
    events = s.feed('{"items": [{"sku": "ab')
    assert StringDelta(("items", 0, "sku"), "ab") in events


def test_import_does_not_import_pydantic() -> None:
    import subprocess
    import sys

    code = "import sys, midstream; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("model", [Order, Forbidding, int])
def test_messages_name_public_classes_only(model: Any) -> None:
    s = ModelStream(model)
    s.feed("1" if model is int else '{"a": 1}' if model is Forbidding else '{"items": []}')
    s.close()
    with pytest.raises(RuntimeError) as caught:
        s.feed(" ")
    message = str(caught.value)
    assert "ModelStream" in message
    assert not re.search(r"\b_[A-Za-z]|Keyed|Engine|Compiler|Frame\b", message), message


class Basket(BaseModel):
    items: list[Item]
    owner: str


def test_one_bad_leaf_is_reported_once_and_its_containers_point_to_it() -> None:
    text = '{"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 0}], "owner": "x"}'
    for chunks in chunkings(text, tokens=False):
        events = validation_events(feed_all(ModelStream(Basket), chunks))
        invalid = [(e.path, e.cause) for e in events if type(e) is FieldInvalid]
        leaf = ("items", 1, "qty")
        assert invalid == [(leaf, None), (("items", 1), leaf), (("items",), leaf), ((), leaf)]
        errors = {e.path: type_and_loc(e.errors) for e in events if type(e) is FieldInvalid}
        assert set(map(str, errors.values())) == {str([("greater_than", leaf)])}


def test_a_container_with_errors_of_its_own_has_no_cause() -> None:
    events = ModelStream(Basket).feed('{"items": [{"sku": 1, "qty": 1}]}')
    invalid = {e.path: e for e in events if type(e) is FieldInvalid}
    assert invalid[("items", 0, "sku")].cause is None
    assert invalid[("items", 0)].cause == ("items", 0, "sku")
    # The root adds "owner" missing: its own error, so it reports everything itself.
    assert invalid[()].cause is None
    expected = reference_errors(Basket, '{"items": [{"sku": 1, "qty": 1}]}')
    assert type_and_loc(invalid[()].errors) == expected
