"""ModelStream against pydantic's own ``validate_json``, over model config x field kinds.

A family test, not one test per key: hypothesis builds a model from a random
``ConfigDict`` (every key that changes validation, and some that must not)
and random fields of every kind (with defaults valid or not, constraints,
aliases), a nested model and a tagged union each with a config of its own,
then a document from a pool of JSON texts per kind (valid and invalid ones,
numbers as written: ``1e2``, ``0.30000000000000000001``). Fed whole, one
character at a time and in a random chunking, ModelStream must give what
``Model.model_validate_json(text)`` gives: the same ``repr`` (so the same
types, values and ``Decimal`` exponents), the same ``model_dump()``, or the
same errors (type, loc, msg).
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import uuid
import warnings
from decimal import Decimal
from typing import Annotated, Any, Literal, Optional, Union

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
)
from pydantic.alias_generators import to_camel

from helpers import chunkings, split_points
from midstream import FieldInvalid, ModelStream


class Color(str, enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


UID = "12345678-1234-5678-1234-567812345678"


class Kind:
    """A field kind: its annotation, defaults to try, and JSON texts for its value."""

    def __init__(self, ann: Any, defaults: list[Any], texts: list[str]) -> None:
        self.ann, self.defaults, self.texts = ann, defaults, texts


NUMBERS = [
    *("1", "-3", "1e2", "1.5", "100.0", "0.30000000000000000001", "12345678901234567890"),
    *("1e400", "-1e400", "1e-400"),
]
KINDS: dict[str, Kind] = {
    "str": Kind(
        str, ["dflt", 5], ['"abc"', '" Hi There "', '""', '"abcdefgh"', "1", "1e2", "null"]
    ),
    "int": Kind(int, [3, "not a number", "7"], [*NUMBERS, '"12"', '"x"', "true", "null"]),
    "float": Kind(float, [1.5, "2.5", "x"], [*NUMBERS, '"2.5"', '"x"', "null"]),
    "decimal": Kind(Decimal, [Decimal("1.10"), "1.10", "x"], [*NUMBERS, '"1.10"', '"x"']),
    "bool": Kind(bool, [True, "yes", "maybe"], ["true", "false", '"true"', "1", "0", "2", '"no"']),
    "datetime": Kind(
        dt.datetime,
        ["2024-01-01T09:00:00", dt.datetime(2024, 1, 1), "x"],
        ['"2024-01-01T09:00:00"', '"2024-01-01"', "1700000000", '"x"', "1.5"],
    ),
    "date": Kind(
        dt.date, ["2024-01-01", "x"], ['"2024-01-01"', '"2024-01-01T00:00:00"', "0", '"x"']
    ),
    "uuid": Kind(uuid.UUID, [UID, "x"], [f'"{UID}"', f'"{UID.upper()}"', '"x"', "1"]),
    "enum": Kind(Color, ["red", Color.GREEN, "blue"], ['"red"', '"green"', '"RED"', '"blue"', "1"]),
    "intenum": Kind(Level, [1, "2", 3], ["1", "2", "3", '"1"']),
    "literal": Kind(Literal["a", "b"], ["a", "c"], ['"a"', '"b"', '"c"', "1"]),
    "optional": Kind(Optional[int], [None, "x"], ["null", "1", '"x"', "2.0"]),  # noqa: UP045
    "bytes": Kind(bytes, [b"hi", "aGk=", 5], ['"aGVsbG8="', '"hello"', '"h"', "1"]),
    "list": Kind(
        list[int], [[], ["x"], [1]], ["[]", '[1, "2"]', '["x"]', '"x"', "[1, 2, 3, 4, 5]"]
    ),
    "dict": Kind(dict[str, int], [{}, {"a": "x"}], ['{"a": 1}', "{}", '{"a": "x"}', "[]"]),
    "le_int": Kind(
        Annotated[int, Field(le=10)], [5, 11], ["5", "11", "-100", "10.0", "100e-1", "1000E-2"]
    ),
    "ge_int": Kind(
        Annotated[int, Field(gt=-10)], [5, -11], ["-9", "-11", "-900e-2", "-90e-1", "-1.0e1", "7"]
    ),
    "short_str": Kind(Annotated[str, Field(max_length=3)], ["ab", "abcd"], ['"ab"', '"abcd"']),
    "pattern": Kind(Annotated[str, Field(pattern=r"^[a-z]+$")], ["ok", "NO"], ['"abc"', '"A1"']),
    "short_list": Kind(Annotated[list[str], Field(max_length=2)], [[]], ['["a"]', '["a", 1, "c"]']),
    "short_dict": Kind(
        Annotated[dict[str, int], Field(max_length=1)],
        [{}],
        ['{"a": 1, "a": 2}', '{"a": 1, "b": 2}'],
    ),
    "short_bytes": Kind(
        Annotated[bytes, Field(max_length=2)], [b""], ['"ab"', '"\u00e9\u00e9"', '"é"']
    ),
    "stripped": Kind(
        Annotated[str, StringConstraints(max_length=3, strip_whitespace=True)],
        ["ab"],
        ['"  abc   "', '" a b c "', '"   "'],
    ),
}

CONFIG_CHOICES: dict[str, list[Any]] = {
    "validate_default": [True, False],
    "strict": [True, False],
    "coerce_numbers_to_str": [True, False],
    "str_strip_whitespace": [True, False],
    "str_to_lower": [True, False],
    "str_to_upper": [True, False],
    "str_max_length": [None, 4],
    "str_min_length": [None, 1],
    "use_enum_values": [True, False],
    "revalidate_instances": ["never", "always"],
    "extra": ["ignore", "forbid", "allow"],
    "validate_by_name": [True, False],
    "alias_generator": [None, to_camel],
    "arbitrary_types_allowed": [True, False],
    "from_attributes": [True, False],
    "frozen": [True, False],
    "validate_assignment": [True, False],
    "regex_engine": ["rust-regex", "python-re"],
    "val_json_bytes": ["utf8", "base64"],
    "allow_inf_nan": [True, False],
    "hide_input_in_errors": [True, False],
    "loc_by_alias": [True, False],
}

_names = itertools.count()


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(CONFIG_CHOICES)), max_size=6, unique=True))
    return {key: draw(st.sampled_from(CONFIG_CHOICES[key])) for key in keys}


@st.composite
def inner_model(draw: st.DrawFn) -> Any:
    """A nested model with a config (and fields) of its own, and JSON texts for it."""
    config = draw(configs())
    kinds = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=2, unique=True))
    fields = {
        f"in_{k}": (KINDS[k].ann, draw(st.sampled_from([..., *KINDS[k].defaults]))) for k in kinds
    }
    model = create_model(f"Inner{next(_names)}", __config__=ConfigDict(**config), **fields)  # type: ignore[call-overload]
    return model, kinds


class Cat(BaseModel):
    model_config = ConfigDict(str_to_upper=True)
    kind: Literal["cat"]
    name: str = "tom"


class Dog(BaseModel):
    model_config = ConfigDict(strict=True, validate_default=True)
    kind: Literal["dog"]
    age: int = "x"  # type: ignore[assignment]


PET = Annotated[Union[Cat, Dog], Field(discriminator="kind")]  # noqa: UP007
PET_TEXTS = [
    '{"kind": "cat", "name": " Felix "}',
    '{"name": "x", "kind": "cat"}',
    '{"kind": "dog", "age": 3}',
    '{"kind": "dog"}',
    '{"kind": "dog", "age": "3"}',
    '{"kind": "cow"}',
]


@st.composite
def cases(draw: st.DrawFn) -> tuple[Any, str]:
    """A model and a document for it."""
    config = draw(configs())
    kinds = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=5, unique=True))
    fields: dict[str, Any] = {}
    items: list[tuple[str, str]] = []
    for kind in kinds:
        name = f"my_{kind}"
        default = draw(st.sampled_from([..., *KINDS[kind].defaults]))
        fields[name] = (KINDS[kind].ann, default)
        if default is ... or draw(st.booleans()):
            key = draw(st.sampled_from([name, to_camel(name)]))
            items.append((key, draw(st.sampled_from(KINDS[kind].texts))))
    if draw(st.booleans()):
        inner, inner_kinds = draw(inner_model())
        fields["sub_model"] = (inner, ...)
        parts = []
        for k in inner_kinds:
            if draw(st.booleans()):
                parts.append(f'"in_{k}": {draw(st.sampled_from(KINDS[k].texts))}')
        items.append(("sub_model", "{" + ", ".join(parts) + "}"))
    if draw(st.booleans()):
        fields["pet"] = (PET, ...)
        items.append(("pet", draw(st.sampled_from(PET_TEXTS))))
    if draw(st.booleans()):
        items.append(("extra_key", draw(st.sampled_from(['"v"', "[1, {}]", "null"]))))
    items = draw(st.permutations(items))
    model = create_model(f"M{next(_names)}", __config__=ConfigDict(**config), **fields)  # type: ignore[call-overload]
    text = "{" + ", ".join(f'"{k}": {v}' for k, v in items) + "}"
    return model, text


def outcome(run: Any) -> tuple[str, Any]:
    """What validating gives, in a form that tells types and Decimal exponents apart."""
    try:
        value = run()
    except ValidationError as exc:
        return "errors", [(e["type"], e["loc"], e["msg"]) for e in exc.errors()]
    with warnings.catch_warnings():  # (pydantic's own unvalidated defaults warn)
        warnings.simplefilter("ignore")
        dumped = value.model_dump()
    return "value", (repr(value), dumped)


def ours(model: Any, chunks: list[str], invalid: list[Any] | None = None) -> Any:
    stream = ModelStream(model)
    events = []
    for chunk in chunks:
        events += stream.feed(chunk)
    events += stream.close()
    if invalid is not None:
        invalid += [e for e in events if type(e) is FieldInvalid]
    return stream.value


@given(cases(), st.data())
def test_config_and_field_kinds_agree_with_pydantic(case: tuple[Any, str], data: Any) -> None:
    model, text = case
    expected = outcome(lambda: model.model_validate_json(text))
    for chunks in ([text], list(text), data.draw(split_points(text))):
        invalid: list[Any] = []
        got = outcome(lambda c=chunks, i=invalid: ours(model, c, i))
        assert got == expected, (text, chunks, model_configs(model))
        if expected[0] == "value":  # (an early failure must be sound)
            assert not invalid, (text, chunks, invalid)


class Defaulted(BaseModel):
    model_config = ConfigDict(validate_default=True)
    when: dt.datetime = "2024-01-01T09:00:00"  # type: ignore[assignment]
    count: int = 0


class BadDefault(BaseModel):
    model_config = ConfigDict(validate_default=True)
    count: int = "not a number"  # type: ignore[assignment]


class Money(BaseModel):
    amount: Decimal


class Finite(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)
    x: float


@pytest.mark.parametrize(
    ("model", "text"),
    [
        (Defaulted, "{}"),
        (Defaulted, '{"count": 2}'),
        (BadDefault, "{}"),
        (Money, '{"amount": 1e2}'),
        (Money, '{"amount": 0.30000000000000000001}'),
        (Money, '{"amount": 1.50}'),
        (Finite, '{"x": 1e400}'),
    ],
)
def test_named_cases_of_issue_14_under_every_chunking(model: Any, text: str) -> None:
    expected = outcome(lambda: model.model_validate_json(text))
    for chunks in chunkings(text):
        assert outcome(lambda c=chunks: ours(model, c)) == expected, chunks


def model_configs(model: Any) -> dict[str, Any]:
    """The configs of a model and of the models in its fields (for failure messages)."""
    found = {model.__name__: model.model_config}
    for info in model.model_fields.values():
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            found.update(model_configs(info.annotation))
    return found
