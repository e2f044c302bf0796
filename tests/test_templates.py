"""``midstream._templates``: an event read from its bytes reads as its decoded JSON would.

The soundness property is checked on any JSON object with a string leaf
taken as the varying one: whatever bytes come later, a template that gives
a string for them gives exactly what decoding them would put there, with the
rest of the object unchanged. The pipeline-level property (the same events as
decoding every event) is in ``test_raw.py``.
"""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

from hypothesis import example, given
from hypothesis import strategies as st
from jiter import from_json

from midstream import _templates
from midstream._templates import COUNTER, FREE, PADDING, StringTemplate, _string, learn
from strategies import json_text_no_surrogates, json_values

Path = tuple[Any, ...]


def _get(value: Any, path: Path) -> Any:
    for step in path:
        value = value[step]
    return value


def _put(value: Any, path: Path, leaf: Any) -> Any:
    """A copy of ``value`` with ``leaf`` at ``path``."""
    if not path:
        return leaf
    copy = list(value) if isinstance(value, list) else dict(value)
    copy[path[0]] = _put(value[path[0]], path[1:], leaf) if path[1:] else leaf
    return copy


def _string_paths(value: Any, path: Path = ()) -> list[Path]:
    if isinstance(value, str):
        return [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _string_paths(v, (*path, i))]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _string_paths(v, (*path, k))]
    return []


def _finder(payload: dict[str, Any], path: Path) -> Any:
    """Finds the string at ``path`` of objects that are ``payload`` but for that string.

    As the pipeline's finder, it never reads the top-level fields a template lets vary.
    """

    def rest(value: Any) -> Any:
        blank = _put(value, path, "")
        return {k: v for k, v in blank.items() if k not in FREE}

    expected = rest(payload)

    def find(value: Any) -> tuple[Any, str] | None:
        try:
            leaf = _get(value, path)
        except (KeyError, IndexError, TypeError):
            return None
        if not isinstance(leaf, str) or not isinstance(value, dict) or rest(value) != expected:
            return None
        return "the-key", leaf

    return find


_PLAIN = st.text(alphabet="ab {}[]:,1é€😀\x7f", min_size=1, max_size=8)
_SPELLINGS = st.fixed_dictionaries({
    "ensure_ascii": st.booleans(),
    "separators": st.sampled_from([(",", ":"), (", ", ": "), (" , ", " : ")]),
})


@st.composite
def _learned(draw: Any) -> tuple[dict[str, Any], Path, dict[str, Any]]:
    """An object, the path of its varying string, and how it is spelled."""
    strings = st.sampled_from(["a", "m", "ab", "chatcmpl-1"]) | json_text_no_surrogates
    payload = draw(st.dictionaries(strings, json_values(strings), min_size=1, max_size=5))
    paths = _string_paths(payload)
    if not paths:
        payload["text"] = "x"
        paths = [("text",)]
    path = draw(st.sampled_from(paths))
    payload = _put(payload, path, draw(_PLAIN | strings))
    if path[0] not in FREE:  # OpenAI's padding and counter, anywhere at the top
        if draw(st.booleans()):
            payload = _put(payload, (PADDING,), draw(_PLAIN | strings))
        if draw(st.booleans()):
            payload = _put(payload, (COUNTER,), draw(st.integers(0, 10**6) | st.just(-1)))
        payload = dict(draw(st.permutations(list(payload.items()))))
    return payload, path, draw(_SPELLINGS)


@given(learned=_learned(), text=_PLAIN | json_text_no_surrogates, edits=st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 3), st.binary(max_size=3)), max_size=3),
    padding=st.none() | _PLAIN | json_text_no_surrogates | st.just(7),
    count=st.none() | st.integers(0, 10**20) | st.sampled_from([-1, 1.5, "7"]),
    compiled=st.booleans())
@example(  # the text is also the value of an earlier key: the gap is the later string's
    learned=({"id": "m", "content": "m"}, ("content",), {"separators": (",", ":")}),
    text="zz", edits=[], padding=None, count=None, compiled=True,
)
@example(  # the padding is also the text
    learned=({"choices": "ab", "obfuscation": "ab"}, ("choices",), {"separators": (",", ":")}),
    text="zz", edits=[], padding="ab", count=None, compiled=True,
)
def test_a_template_gives_what_decoding_gives(
    learned: tuple[dict[str, Any], Path, dict[str, Any]],
    text: str, edits: list[tuple[int, int, bytes]], padding: Any, count: Any,
    compiled: bool,
) -> None:
    """Any bytes a template reads decode to the learned object with that string, and only that.

    But for the padding and the counter: a template lets them vary. ``compiled`` picks
    the byte loops where the module is interpreted (see the test below).
    """
    with mock.patch.object(_templates, "_COMPILED", compiled):
        _template_gives_what_decoding_gives(learned, text, edits, padding, count)


def _template_gives_what_decoding_gives(
    learned: tuple[dict[str, Any], Path, dict[str, Any]],
    text: str, edits: list[tuple[int, int, bytes]], padding: Any, count: Any,
) -> None:
    payload, path, spelling = learned
    data = json.dumps(payload, **spelling).encode()
    template = learn(b"delta", data, payload, _finder(payload, path))
    if template is None:
        spelled = json.dumps(_get(payload, path), **spelling)
        assert spelled[1:-1] != _get(payload, path) or spelled == '""' or (
            data.count(spelled.encode()) > 4), "a string spelled raw was not learned"
        return
    changed = _put(payload, path, text)
    padded = PADDING in payload and path[0] not in FREE
    counted = COUNTER in payload and path[0] not in FREE
    if padded and padding is not None:
        changed = _put(changed, (PADDING,), padding)
    if counted and count is not None:
        changed = _put(changed, (COUNTER,), count)
    other = json.dumps(changed, **spelling).encode()
    for at, cut, new in edits:  # any bytes at all, near the template's or not
        at %= len(other) + 1
        other = other[:at] + new + other[at + cut:]
    got = template.text(b"delta", other)
    if got is not None:
        decoded = from_json(other)
        if template.middle:  # the padding may vary, as a string
            assert isinstance(decoded.get(PADDING), str)
            decoded[PADDING] = payload[PADDING]
        if template.lead:  # the counter may vary, as a count
            assert type(decoded.get(COUNTER)) is int and decoded[COUNTER] >= 0
            decoded[COUNTER] = payload[COUNTER]
        assert decoded == _put(payload, path, got)
    readable = isinstance(padding, str) and '\\"' not in json.dumps(padding)  # see test below
    padding_read = not padded or padding is None or (template.middle and readable)
    count_read = not counted or count is None or (
        template.lead and type(count) is int and 0 <= count < 10**18)
    if not edits and text and padding_read and count_read:
        assert got == text  # the learned shape, any string, spelled as servers do: read
    assert template.text(b"other", other) is None  # another SSE event type: never


def test_learning_needs_a_string_spelled_raw() -> None:
    payload = {"id": "c", "delta": {"content": "é"}}

    def find(value: Any) -> tuple[Any, str]:
        return 0, value["delta"]["content"]

    assert learn(b"", json.dumps(payload).encode(), payload, find) is None  # spelled \u00e9
    template = learn(b"", json.dumps(payload, ensure_ascii=False).encode(), payload, find)
    assert template is not None
    def read(body: bytes) -> str | None:
        return template.text(b"", b'{"id": "c", "delta": {"content": "' + body + b'"}}')

    assert read(b"\xe2\x82\xac") == "€"
    assert read(b"\\u00e9\\\"") == 'é"'  # read with escapes once learned
    for body in (b"", b"\x01", b"\xff", b'a"', b'a", "b": "c', b"\\x"):
        assert read(body) is None


def test_a_finder_that_says_no_learns_nothing() -> None:
    data = b'{"a": "x"}'
    assert learn(b"", data, {"a": "x"}, lambda value: None) is None
    assert learn(b"", data, {"a": "x"}, lambda value: (0, "")) is None  # empty: not told apart


def _learn_delta(payload: dict[str, Any]) -> StringTemplate:
    """The template learned from ``payload`` spelled by ``json.dumps``, its ``delta`` varying."""

    def find(value: Any) -> tuple[Any, str]:
        return 0, value["delta"]

    template = learn(b"", json.dumps(payload).encode(), payload, find)
    assert template is not None
    return template


def test_the_padding_varies_but_must_be_a_string() -> None:
    """OpenAI's padding may be any string in a later chunk; bytes that are no string's: not read."""
    template = _learn_delta({"delta": "hi", "obfuscation": "Xy7"})
    assert template.middle == b'", "obfuscation": "'

    def read(padding: bytes) -> str | None:
        return template.text(b"", b'{"delta": "yo", "obfuscation": "' + padding + b'"}')

    assert read(b"") == read(b"q") == read(b"\\u0001\\\\") == "yo"
    for padding in (b"\x01", b'a"', b"\xff", b'", "x": "', b"\\"):
        assert read(padding) is None
    assert read(b'\\"') is None  # an escaped quote in it: decoded instead (OpenAI's have none)


def test_only_the_padding_may_vary_besides_the_string() -> None:
    """A later string equal to the padding is not taken for it: its value may matter."""
    payload = {"delta": "hi", "obfuscation": "z", "mode": "z"}

    def find(value: Any) -> tuple[Any, str] | None:
        return None if value["mode"] == "stop" else (0, value["delta"])

    template = learn(b"", json.dumps(payload).encode(), payload, find)
    assert template is not None
    assert template.text(b"", b'{"delta": "yo", "obfuscation": "z", "mode": "stop"}') is None
    assert template.text(b"", b'{"delta": "yo", "obfuscation": "z", "mode": "z"}') == "yo"


def test_the_counter_varies_but_must_be_a_count() -> None:
    """The Responses counter may be any count in a later event; anything else is decoded."""
    template = _learn_delta({"type": "d", "sequence_number": 7, "delta": "hi",
                             "obfuscation": "Q"})
    assert template.lead == b'{"type": "d", "sequence_number": '

    def read(count: bytes) -> str | None:
        return template.text(b"", b'{"type": "d", "sequence_number": ' + count
                             + b', "delta": "yo", "obfuscation": "Zz9"}')

    assert read(b"0") == read(b"8") == read(b"123456789012345678") == "yo"
    for count in (b"", b"05", b"-1", b"1.5", b"1e3", b'"7"', b"1234567890123456789"):
        assert read(count) is None
    other = b'{"type": "d", "sequence_number": 8, "delte": "yo", "obfuscation": "Zz9"}'
    assert template.text(b"", other) is None  # what follows the count is checked too


_BODY_BYTES = st.lists(st.sampled_from([b"a", b"\\", b'"', b"\\\"", b"\\\\", b"\\n", b"\\u00e9",
                                        b"\x01", b"\x7f", b"\xc3\xa9", b"\xc3", b"\xed\xa0\x80",
                                        b"\xf0\x9f\x98\x80", b" "]), max_size=12).map(b"".join)


@given(body=_BODY_BYTES | st.binary(max_size=40), compiled=st.booleans())
def test_a_string_body_reads_as_the_decoder_reads_it(body: bytes, compiled: bool) -> None:
    """``_string`` (read here when short and plain) is the decoder's string, or None.

    Both ways are checked where the module is interpreted (``compiled`` picks the byte
    loop); a compiled module has its constant built in.
    """
    try:
        expected: str | None = from_json(b'"' + body + b'"')
    except ValueError:
        expected = None
    with mock.patch.object(_templates, "_COMPILED", compiled):
        assert _string(body) == expected


def test_openai_padding_is_found_by_its_byte_loop() -> None:
    """Letters and digits back to a quote: the padding's start; anything else: -1 (decoded)."""
    data = b'{"delta": "yo", "obfuscation": "Xy7"}'
    end = len(data) - 2
    assert _templates._after_alnum_quote(data, 10, end) == data.index(b"Xy7")
    assert _templates._after_alnum_quote(data, end - 1, end) == -1  # no quote after start
    assert _templates._after_alnum_quote(b'"a-b"', 0, 4) == -1
    assert _templates._after_alnum_quote(b'""', 0, 1) == 1  # an empty padding
