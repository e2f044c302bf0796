"""Hypothesis strategies shared by the tests: JSON values and their texts."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Text that exercises every escape: quotes, backslashes, controls, non-BMP
# characters (surrogate pairs when ASCII-escaped) and lone surrogates.
json_text = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from('"\\/\b\f\n\r\t\x00\x1f\x7f\u2028é€😀𝄞'),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    ),
    max_size=30,
)
json_text_no_surrogates = st.text(
    st.one_of(st.characters(codec="utf-8"), st.sampled_from('"\\/\b\f\n\r\t\x00é😀')),
    max_size=30,
)

json_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 0.0, 1e-300, 5e-324, 1.7976931348623157e308, 10**30]),
)


def json_values(strings: st.SearchStrategy[str] = json_text) -> st.SearchStrategy[Any]:
    """Any JSON value, nested up to a few levels (and sometimes deeply)."""
    scalars = st.none() | st.booleans() | json_numbers | strings
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=6)
        | st.dictionaries(strings, children, max_size=6),
        max_leaves=40,
    )


def deep(value: Any, depth: int) -> Any:
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


@st.composite
def json_documents(draw: st.DrawFn, strings: st.SearchStrategy[str] = json_text) -> str:
    """A JSON text, dumped with varied spacing and escaping."""
    value = draw(json_values(strings))
    if draw(st.booleans()):
        value = deep(value, draw(st.integers(0, 60)))
    indent = draw(st.sampled_from([None, 0, 1, 2, "\t"]))
    separators = draw(st.sampled_from([None, (",", ":"), (" , ", " : ")]))
    text = json.dumps(
        value,
        indent=indent,
        separators=separators,
        ensure_ascii=draw(st.booleans()),
    )
    pad = draw(st.sampled_from(["", " ", "\n", " \r\n\t"]))
    return pad + text + draw(st.sampled_from(["", " ", "\n"]))
