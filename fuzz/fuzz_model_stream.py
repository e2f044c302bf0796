"""Fuzz ModelStream against pydantic's own validate_json on the whole text.

Invariants, fed whole, one character at a time and cut at the input's split
points:

* only ParseError escapes feed(), and ParseError or pydantic's
  ValidationError (documented) close(); ``partial`` never raises;
* JSON that json.loads rejects is rejected; JSON it accepts gives
  ``value`` equal to ``TypeAdapter(tp).validate_json(text)``, or both fail
  validation (a LimitExceededError only for nesting past max_depth); a lone
  surrogate escape is kept, as json.loads keeps it, where pydantic's JSON
  parser rejects the document (a documented difference): no comparison then;
* the root's FieldValidated carries the final value;
* the merged events do not depend on the chunking, nor do the FieldInvalid
  verdicts (their errors' types and locations) and their order; only where an
  early verdict falls among its value's deltas does (see ``comparable``).

Flags: bits 0-1 choose the type (a model, a strict model with
``extra="forbid"``, ``list[Tag]``, ``dict[str, Tag]``).

Run: ``python fuzz/fuzz_model_stream.py fuzz/corpus/model_stream`` (see fuzz/README.md).
"""

from __future__ import annotations

import json
import warnings
from typing import Any, Literal

from _harness import Input, chunkings, error_key, fuzz, instrumented

with instrumented():
    from midstream import (
        DEFAULT_MAX_DEPTH,
        FieldInvalid,
        FieldValidated,
        LimitExceededError,
        ModelStream,
        ParseError,
    )

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from chunking import merge_deltas


class Tag(BaseModel):
    name: str
    weight: float = 1.0


class Cat(BaseModel):
    type: Literal["cat"]
    lives: int = 9


class Dog(BaseModel):
    type: Literal["dog"]
    good: bool = True


class Doc(BaseModel):
    title: str
    count: int = 0
    tags: list[Tag] = []
    meta: dict[str, int] = {}
    kind: Literal["a", "b"] | None = None
    maybe: int | str | None = None
    pets: list[Cat | Dog] = Field(default_factory=list, discriminator=None)
    nested: Doc | None = None


class StrictDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    title: str
    count: int = 0
    tags: list[Tag] = []


TYPES: list[Any] = [Doc, StrictDoc, list[Tag], dict[str, Tag]]
ADAPTERS = [TypeAdapter(tp) for tp in TYPES]


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _has_lone_surrogate(value: Any) -> bool:
    """Whether a string or key of ``value`` holds a lone surrogate (from a ``\\ud800`` escape)."""
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    return False


def depth(text: str) -> int:
    best = level = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            level += 1
            best = max(best, level)
        elif char in "]}":
            level -= 1
    return best


def comparable(events: list[Any]) -> tuple[list[Any], list[Any]]:
    """The merged events, and apart from them the FieldInvalid verdicts, in order.

    A value that can no longer be valid fails in the feed() whose chunk shows
    it (tests/test_model_early.py): a string's FieldInvalid comes after the
    delta of that chunk, so where it falls among the value's deltas depends on
    the chunking. What may not depend on it: every other event, and the
    verdicts themselves (paths, error types and locations) and their order.
    """
    out = []
    verdicts = []
    for e in merge_deltas([e for e in events if type(e) is not FieldInvalid]):
        if type(e) is FieldValidated:
            out.append(("valid", e.path, repr(e.value)))
        else:
            out.append(e)
    for e in events:
        if type(e) is FieldInvalid:
            verdicts.append((e.path, [(x["type"], tuple(x["loc"])) for x in e.errors]))
    return out, verdicts


def run(tp: Any, chunks: list[str]) -> tuple[Any, Any, Any]:
    stream = ModelStream(tp)
    events: list[Any] = []
    try:
        for chunk in chunks:
            events += stream.feed(chunk)
            stream.partial  # noqa: B018  (must never raise)
        events += stream.close()
        value: Any = ("ok", stream.value)
    except ParseError as exc:
        return ([], []), error_key(exc), None
    except ValidationError as exc:  # documented: close() raises the document's verdict
        value = ("invalid", sorted((e["type"], tuple(e["loc"])) for e in exc.errors()))
    roots = [e for e in events if type(e) in (FieldValidated, FieldInvalid) and e.path == ()]
    assert len(roots) <= 1, roots
    if value[0] == "ok" and roots:
        assert type(roots[0]) is FieldValidated and roots[0].value == value[1], roots
    return comparable(events), None, value


def test_one_input(data: bytes) -> None:
    inp = Input(data)
    which = inp.flags & 3
    tp = TYPES[which]
    text = inp.clean_text()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [run(tp, chunks) for chunks in chunkings(text, inp)]
    for other in results[1:]:
        assert other == results[0], "the events depend on the chunking"
    _, error, value = results[0]
    try:
        loaded = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        assert error is not None, "json.loads rejects, ModelStream accepts"
        return
    if _has_lone_surrogate(loaded):
        return  # kept, as json.loads keeps it; pydantic's JSON parser rejects it (README)
    if error is not None:
        assert error[0] == LimitExceededError.__name__, error
        assert depth(text) > DEFAULT_MAX_DEPTH, error
        return
    try:
        expected: Any = ("ok", ADAPTERS[which].validate_json(text))
    except ValidationError:
        expected = ("invalid",)
    if expected[0] == "ok":
        assert value == expected, (value, expected)
    else:
        assert value[0] == "invalid", (value, "pydantic rejects")


if __name__ == "__main__":
    fuzz(test_one_input)
