"""ModelStream's partial values, their copies, snapshot(), subscribe() and static types.

- ``partial`` holds only values of the declared types, so ``model_dump()``,
  ``model_dump_json()`` and ``repr()`` take it after every feed without a
  warning (warnings are errors here);
- ``stream_model`` yields copies that later chunks leave alone: each equals
  the partial value at its point of the stream, under every chunking;
- ``snapshot()`` is the raw JSON so far; ``subscribe()`` delivers the
  stream's events by path pattern, whatever the chunking;
- under ``mypy --strict``, ``ModelStream(Item).partial`` is ``Item | None``
  and ``stream_model(Item, ...)`` yields ``Item``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import itertools
import uuid
import warnings
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal, Union

import pytest
from pydantic import BaseModel, Field, computed_field

from helpers import chunkings, merge_deltas
from midstream import (
    FieldInvalid,
    FieldValidated,
    JsonStream,
    ModelStream,
    ValueDone,
    astream_model,
    stream_model,
)


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Part(BaseModel):
    code: int
    made: dt.date


class Cat(BaseModel):
    kind: Literal["cat"]
    name: str


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Order(BaseModel):
    title: str
    color: Color
    when: dt.datetime
    size: Literal["small", "large"]
    id: uuid.UUID
    parts: list[Part]
    pet: Annotated[Union[Cat, Dog], Field(discriminator="kind")]  # noqa: UP007
    pair: tuple[int, str]  # a fallback: validated whole

    @computed_field  # type: ignore[prop-decorator]
    @property
    def year(self) -> int | None:
        return self.when.year if self.when is not None else None


TEXT = (
    '{"title": "Tea for two", "color": "green", "when": "2024-05-06T07:08:09",'
    ' "size": "large", "id": "12345678-1234-5678-1234-567812345678",'
    ' "parts": [{"code": 1, "made": "2024-01-02"}, {"code": "x", "made": "2024-01-03"},'
    ' {"code": 3, "made": "2024-01-0'
)


def test_partial_dumps_and_prints_without_warnings_after_every_feed() -> None:
    for chunks in chunkings(TEXT, tokens=False):
        stream = ModelStream(Order)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for chunk in chunks:
                stream.feed(chunk)
                partial = stream.partial
                if partial is not None:
                    partial.model_dump()
                    partial.model_dump_json()
                    repr(partial)
        partial = stream.partial
        assert partial is not None
        assert partial.title == "Tea for two"
        assert partial.color is Color.GREEN and partial.year == 2024
        assert partial.parts[0] == Part(code=1, made=dt.date(2024, 1, 2))
        assert partial.parts[1] is None  # failed: its raw value is in snapshot()
        assert stream.snapshot()["parts"][1]["code"] == "x"  # type: ignore[index,call-overload]


def test_values_in_progress_show_only_where_a_str_is_declared() -> None:
    stream = ModelStream(Order)
    stream.feed('{"title": "Te')
    assert stream.partial is not None and stream.partial.title == "Te"
    stream.feed('a", "color": "gre')
    assert stream.partial.color is None  # (not "gre": no Color)
    stream.feed('en", "when": "2024-05')
    assert stream.partial.color is Color.GREEN and stream.partial.when is None
    stream.feed('-06", "pet": {"name": "Tom", "ki')
    # Its branch is not known yet: unset (pydantic's tagged-union serializer warns on None).
    assert "pet" not in stream.partial.__dict__
    stream.feed('nd": "cat"')
    assert stream.partial.pet == Cat.model_construct(kind="cat", name="Tom")
    stream.feed('}, "pair": [1, ')
    assert stream.partial.pair is None
    assert stream.snapshot()["pair"] == [1]  # type: ignore[index,call-overload]


class Item(BaseModel):
    name: str
    qty: int = 1


class Cart(BaseModel):
    owner: str
    items: list[Item]
    notes: dict[str, str] = {}


CART = (
    '{"owner": "Ann", "items": [{"name": "nut", "qty": 2}, {"name": "bolt"}],'
    ' "notes": {"a": "x", "b": "y"}}'
)


def deep(value: Any) -> Any:
    return value.model_copy(deep=True) if isinstance(value, BaseModel) else value


@pytest.mark.parametrize("text", [CART, '[{"name": "a"}, {"name": "b", "qty": 3}]'])
def test_stream_model_yields_copies_that_later_chunks_leave_alone(text: str) -> None:
    tp: Any = Cart if text == CART else list[Item]
    for chunks in chunkings(text, tokens=False):
        reference = ModelStream(tp)
        expected = []  # partial after each chunk that changed something, frozen here
        for chunk in chunks:
            if reference.feed(chunk) and not reference.done and reference.partial is not None:
                current = reference.partial
                expected.append(deep(current) if tp is Cart else [deep(i) for i in current])
        reference.close()
        expected.append(reference.value)
        got = list(stream_model(tp, chunks))
        assert got == expected, chunks
        for before, after in itertools.pairwise(got):
            assert before is not after


def test_stream_model_sees_each_change_with_a_comparison() -> None:
    seen = []
    for partial in stream_model(Cart, list(CART)):
        if not seen or partial != seen[-1]:
            seen.append(partial)
    names = [tuple(i.name for i in p.items) for p in seen if p.items]
    assert ("nut", "b") in names and ("nut", "bolt") in names

    async def agen() -> AsyncIterator[str]:
        for char in CART:
            yield char

    async def collect() -> list[Cart]:
        return [p async for p in astream_model(Cart, agen())]

    copies = asyncio.run(collect())
    assert copies[-1] == Cart.model_validate_json(CART)
    assert len({id(p) for p in copies}) == len(copies)
    assert copies[len(copies) // 2] != copies[-1]


def test_snapshot_is_the_raw_json_so_far() -> None:
    for chunks in chunkings(CART, tokens=False):
        stream, plain = ModelStream(Cart), JsonStream()
        for chunk in chunks:
            stream.feed(chunk)
            plain.feed(chunk)
            assert stream.snapshot() == plain.snapshot()


def test_subscribe_delivers_the_events_a_pattern_matches_whatever_the_chunking() -> None:
    text = CART.replace('"qty": 2', '"qty": "many"')
    for chunks in chunkings(text, tokens=False):
        stream = ModelStream(Cart)
        got: list[Any] = []
        stream.subscribe("items.*", got.append)
        stream.subscribe("items.*.qty", got.append, event=FieldInvalid)
        stream.subscribe("notes.**", got.append, event=(ValueDone, FieldValidated))
        events = []
        for chunk in chunks:
            events += stream.feed(chunk)
        with pytest.raises(ValueError):
            stream.close()
        assert [e.path for e in got] == [
            ("items", 0, "qty"),  # FieldInvalid
            ("items", 1),  # FieldValidated
            ("notes", "a"),
            ("notes", "a"),
            ("notes", "b"),
            ("notes", "b"),
            ("notes",),  # (** matches no level too)
            ("notes",),
        ]
        assert got[0] in events and got[1] == FieldValidated(("items", 1), Item(name="bolt"))
        assert merge_deltas(got) == got  # (no deltas asked for)


def test_unsubscribe_takes_effect_at_once_and_twice_is_harmless() -> None:
    stream = ModelStream(Cart)
    got: list[Any] = []

    def once(event: Any) -> None:
        got.append(event.path)
        stop()

    stop = stream.subscribe("**", once)
    stream.feed(CART)  # many events in this one call: only the first reaches it
    assert got == [("owner",)]
    stop()


def test_a_callback_that_raises_leaves_the_stream_consistent() -> None:
    stream = ModelStream(Cart)

    def boom(event: Any) -> None:
        raise KeyError(event.path)

    stream.subscribe("owner", boom)
    with pytest.raises(KeyError):
        stream.feed('{"owner": "Ann", "items": [')
    stream.feed('{"name": "a"}]}')
    stream.close()
    assert stream.value == Cart(owner="Ann", items=[Item(name="a")])


SNIPPET = """
from pydantic import BaseModel
import midstream

class Item(BaseModel):
    name: str

def use(chunks: list[str]) -> None:
    stream = midstream.ModelStream(Item)
    reveal_type(stream.partial)
    reveal_type(stream.partial_copy())
    reveal_type(stream.value)
    for partial in midstream.stream_model(Item, chunks):
        reveal_type(partial)
    items = midstream.ModelStream(list[Item])
    reveal_type(items.value)
"""


def test_static_types_under_mypy_strict() -> None:
    api = pytest.importorskip("mypy.api")
    out, _err, _status = api.run(
        ["--strict", "--no-incremental", "--config-file", "", "-c", SNIPPET]
    )
    revealed = [
        line.split("Revealed type is ")[1].replace("builtins.", "")
        for line in out.splitlines()
        if "Revealed" in line
    ]
    assert revealed == [
        '"__main__.Item | None"',
        '"__main__.Item | None"',
        '"__main__.Item"',
        '"__main__.Item"',
        '"list[__main__.Item]"',
    ], out
