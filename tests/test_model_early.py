"""ModelStream fails early: a value that can no longer be valid fails in the feed() that shows it.

Each case names the character that makes the value invalid whatever follows
(the item past ``max_length``, the letter no ``Enum`` member has there, the
digit that passes ``le``). Under every chunking, the ``FieldInvalid`` of that
value comes in the feed() whose chunk holds that character, once, with
pydantic's own error type; ``close()`` raises pydantic's own errors for the
whole document.
"""

from __future__ import annotations

import enum
import itertools
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from helpers import chunkings
from midstream import FieldInvalid, ModelStream


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Limits(BaseModel):
    xs: Annotated[list[int], Field(max_length=2)] = []
    s: Annotated[str, Field(max_length=5)] = ""
    b: Annotated[bytes, Field(max_length=3)] = b""
    d: Annotated[dict[str, int], Field(max_length=1)] = {}
    color: Color = Color.RED
    size: Literal["S", "M", "L"] = "S"
    n: Annotated[int, Field(le=100)] = 0
    neg: Annotated[int, Field(gt=-10)] = 0
    items: list[Annotated[str, Field(max_length=2)]] = []


class Stripped(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, str_max_length=3)
    s: str


# (type, text, path of the value, the character that makes it invalid, its error type)
CASES: list[tuple[Any, str, tuple[Any, ...], str, str]] = [
    (Limits, '{"xs": [1, 2, 3, 4, 5, 6]}', ("xs",), "3", "too_long"),
    (Limits, '{"s": "abcdefghij"}', ("s",), "f", "string_too_long"),
    (Limits, '{"b": "a\u00e9\u00e9"}', ("b",), "\u00e9\u00e9", "bytes_too_long"),
    (Limits, '{"d": {"a": 1, "a": 2, "b": 3}}', ("d",), "3", "too_long"),
    (Limits, '{"color": "rex"}', ("color",), "x", "enum"),
    (Limits, '{"size": "XL"}', ("size",), "X", "literal_error"),
    (Limits, '{"n": 12345}', ("n",), "3", "less_than_equal"),
    (Limits, '{"n": 1010}', ("n",), "101", "less_than_equal"),  # (1000e-1 is 100)
    (Limits, '{"neg": -123}', ("neg",), "2", "greater_than"),
    (Limits, '{"items": ["ok", "nope"]}', ("items", 1), "p", "string_too_long"),
    (Stripped, '{"s": "  ab   cd  "}', ("s",), "c", "string_too_long"),
    (Annotated[int, Field(lt=10)], "12345", (), "2", "less_than"),
]


def offending(text: str, marker: str) -> int:
    """Where the offending character stands: the first of ``marker``'s characters to matter.

    A one-character marker is found after the opening of the value; a longer
    one ends with the offending character (it disambiguates).
    """
    if len(marker) == 1:
        return text.index(marker, text.index(":") + 1 if ":" in text else 0)
    return text.index(marker) + len(marker) - 1


@pytest.mark.parametrize(("tp", "text", "path", "marker", "error_type"), CASES)
def test_a_value_fails_in_the_feed_that_makes_it_invalid(
    tp: Any, text: str, path: tuple[Any, ...], marker: str, error_type: str
) -> None:
    at = offending(text, marker)
    adapter = TypeAdapter(tp)
    with pytest.raises(ValidationError) as reference:
        adapter.validate_json(text)
    expected = [(e["type"], e["loc"], e["msg"]) for e in reference.value.errors()]
    for chunks, as_bytes in itertools.product(chunkings(text), (False, True)):
        stream = ModelStream(tp)
        ends = list(itertools.accumulate(map(len, chunks)))
        due = next(i for i, end in enumerate(ends) if end > at)
        failed_in = []
        for i, chunk in enumerate(chunks):
            for event in stream.feed(chunk.encode() if as_bytes else chunk):
                if type(event) is FieldInvalid and event.path == path:
                    failed_in.append(i)
                    assert [e["type"] for e in event.errors] == [error_type], chunks
        assert failed_in == [due], chunks  # in that feed, and once
        with pytest.raises(ValidationError) as caught:
            stream.close()
        assert [(e["type"], e["loc"], e["msg"]) for e in caught.value.errors()] == expected


@pytest.mark.parametrize(
    "text",
    [
        '{"n": 100e0}',
        '{"n": 1000e-1}',
        '{"n": 10000000e-5}',
        '{"neg": -90e-1}',
        '{"color": "re"}',  # a prefix that completes as no member: fails at the end only
        '{"s": "abcde"}',
        '{"xs": [1, 2]}',
        '{"d": {"a": 1, "a": 2}}',
    ],
)
def test_no_early_failure_while_the_value_may_still_be_valid(text: str) -> None:
    for chunks in chunkings(text, tokens=False):
        stream = ModelStream(Limits)
        events = [e for chunk in chunks for e in stream.feed(chunk)]
        invalid = [e for e in events if type(e) is FieldInvalid]
        try:
            Limits.model_validate_json(text)
        except ValidationError:
            # It fails, but only once complete: at the ValueDone, not before.
            assert all(e.errors[0]["type"] == "enum" for e in invalid)
            with pytest.raises(ValidationError):
                stream.close()
        else:
            assert invalid == [], chunks
            stream.close()
            assert stream.value == Limits.model_validate_json(text)
