"""Many JSON values in one stream: JSON Lines, objects in prose, array items.

:class:`ObjectExtractor` has two modes.

``"ndjson"``: one record per line (``\\n`` or ``\\r\\n``; the last line may end
without one). The record is the line's text between leading and trailing
blanks (space, tab, ``\\r``); blank lines are skipped. A record that is not
exactly one JSON value is a :class:`~midstream.BadRecord`, and the next line is
read as usual: a bad line never hides a good one.

``"auto"``: JSON objects and arrays anywhere in text (prose, Markdown,
```json fences). What it finds is defined by a whole-text scan with the
standard library, which the tests run as the reference::

    i = 0
    while (k := the first '{' or '[' at or after i) exists:
        try:
            value, end = json.JSONDecoder().raw_decode(text, k)
        except ValueError:
            i = k + 1      # begins no JSON value: the bracket is text
        else:
            found(value, start=k, end=end)
            i = end        # skip past the value

with two differences. ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON
(RFC 8259), so a candidate that holds one fails (``raw_decode`` accepts them).
And the limits below.

How it runs in one pass. The candidate at ``k`` is checked by a fresh core
parser as text arrives, and everything from ``k`` on is held back (only that:
text before it is passed on at once). Either the candidate completes at
``end`` (an object; scanning goes on at ``end``), or it fails at ``f``: a
character no JSON continuation allows, a limit, or the end of the stream. Then
the bracket at ``k`` is text and scanning goes on at the next bracket after
``k``. Parsing afresh from each of those would be quadratic (think of
``[[[[...x``) and is not needed for most of them: a bracket that the failed
parse read as structure (not inside a string) begins the same value in a parse
of its own, because JSON is context-free. If that value closed before ``f`` it
is valid, and found without parsing for validity again; if it was still open at
``f``, its own parse would fail at ``f`` as well. Only a bracket that the failed
parse read inside a string is parsed afresh.

Limits. A candidate that nests deeper than ``max_depth`` or runs longer than
``max_object_length`` characters fails where it passes the limit. The brackets
still open inside it at that point are not tried again: their own parse would
start shallower or later and might succeed, but trying each would cost up to
``max_depth`` (or ``max_object_length``) characters per bracket. Values that
closed inside it before that point are found as usual. So a megabyte of
``[`` or ``{"a":`` is scanned in linear time, and nothing is lost: it comes out
as text. (The one costly input is crafted text whose quotes read as valid JSON
both ways, in and out of strings, for long stretches: each phase switch may
re-read up to ``max_object_length`` characters.)

Offsets (``start``, ``end``) count characters from the start of the stream.
The text of the stream is exactly the concatenation, in event order, of the
:class:`~midstream.TextDelta` texts, the raw text of each object
(``text[start:end]``) and the ``text`` of each bad record. (With a model, a
value that fails validation comes as an :class:`~midstream.ItemInvalid`, which
has no offsets, instead of an ``ObjectDone``.)
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Final, Literal, TypeAlias, TypeVar, overload

from ._adapters import aiter_events, iter_events
from ._errors import ParseError
from ._events import BadRecord, Event, JsonEvent, ObjectDone, ValueDone, ValueStart
from ._json_core import DEFAULT_MAX_DEPTH
from ._json_stream import JsonStream
from ._lifecycle import Lifecycle
from ._object_modes import AutoScanner, Found, LineReader, Validator
from ._options import check_limit
from ._paths import dotted_path
from ._types import JSONValue, Path

__all__ = [
    "DEFAULT_MAX_OBJECT_LENGTH",
    "ObjectExtractor",
    "aiter_items",
    "aiter_objects",
    "iter_items",
    "iter_objects",
]

T = TypeVar("T")

#: ``"auto"``: JSON objects and arrays anywhere in text; ``"ndjson"``: one value per line.
Mode: TypeAlias = Literal["auto", "ndjson"]
#: What the iterators do with an item that fails (validation, or a bad NDJSON line).
OnInvalid: TypeAlias = Literal["skip", "raise"]

#: Longest object (auto mode) or record (ndjson), in characters: 4 Mi. Model
#: output tops out near 128k tokens (about 500k characters), so nothing real is
#: cut, while a candidate that never closes holds back at most this much text.
DEFAULT_MAX_OBJECT_LENGTH: Final = 4 * 1024 * 1024

_MODES: Final = ("auto", "ndjson")
_ON_INVALID: Final = ("skip", "raise")

class ObjectExtractor(Lifecycle):
    """Find the JSON values in a stream of text, as they complete.

    >>> ex = ObjectExtractor()
    >>> ex.feed('Two records: {"id": 1} and {"id"')
    [TextDelta(text='Two records: '), ObjectDone(index=0, value={'id': 1}, start=13, end=22), \
TextDelta(text=' and ')]
    >>> ex.feed(': 2}.')
    [ObjectDone(index=1, value={'id': 2}, start=27, end=36), TextDelta(text='.')]
    >>> ex.close()
    []

    Events: :class:`~midstream.TextDelta` for the text between values (passed
    on as soon as it cannot be part of a value); :class:`~midstream.ObjectDone`
    for each value, ``index`` counting from 0; :class:`~midstream.BadRecord` for
    an NDJSON line that is not one JSON value (it takes an ``index`` too);
    :class:`~midstream.ItemInvalid` instead of ``ObjectDone`` for a value that
    fails validation into ``model``. See the module docs for what "auto" finds.

    With ``fields=True``, the parser's :class:`~midstream.ValueStart`,
    :class:`~midstream.StringDelta` and :class:`~midstream.ValueDone` events for
    each value come too, as it streams, their paths prefixed with its index:
    ``ValueDone((0, "name"), "Ada")`` is the ``name`` of object 0. They are
    provisional until the value's verdict: ``ObjectDone`` or ``ItemInvalid``
    (good), ``BadRecord`` (ndjson) or :class:`~midstream.ObjectAbandoned` (auto:
    the candidate turned out not to be JSON; its index is used again by the next
    one). A candidate that fails within the ``feed()`` call that began it shows
    no field events at all, so how many provisional events come before a
    verdict depends on the chunking; all other events do not.

    Args:
        mode: ``"auto"`` (values anywhere in text) or ``"ndjson"`` (one per line).
        model: a type to validate each value into (pydantic ``TypeAdapter``):
            ``ObjectDone.value`` is then the validated value.
        fields: also pass on each value's parser events (see above).
        max_depth: deepest nesting of a value.
        max_object_length: longest value (auto) or line (ndjson), in characters.
            A longer NDJSON line is a ``BadRecord`` holding its first
            ``max_object_length`` characters; the rest of the line is text.
    """

    def __init__(
        self,
        *,
        mode: Mode = "auto",
        model: type[Any] | None = None,
        fields: bool = False,
        max_depth: int = DEFAULT_MAX_DEPTH,
        max_object_length: int = DEFAULT_MAX_OBJECT_LENGTH,
    ) -> None:
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES!r}, got {mode!r}")
        check_limit("max_depth", max_depth)
        check_limit("max_object_length", max_object_length)
        self.mode: Mode = mode
        self.fields = fields
        self.max_depth = max_depth
        self.max_object_length = max_object_length
        self._found = Found(
            model=model,
            fields=fields,
            max_depth=max_depth,
            max_object_length=max_object_length,
            what="Object" if mode == "auto" else "Record",
        )
        self._reader = AutoScanner(self._found) if mode == "auto" else LineReader(self._found)

    def feed(self, text: str, /) -> list[Event]:
        """Read the next chunk; return the events it completes, in stream order.

        ``feed("")`` does nothing. Never raises on bad input: text that is not
        JSON is text (auto) or a :class:`~midstream.BadRecord` (ndjson).
        """
        self._check_open()
        if not text:
            return []
        self._reader.read(text, False)
        return self._found.take()

    def close(self) -> list[Event]:
        """End the stream: decide what was held back, and return the last events.

        A candidate still open is text (auto); a last line without a line
        break is a record (ndjson).
        """
        if not self._check_close():
            return []
        self._closed = True
        self._reader.read("", True)
        return self._found.take()


# --- iterators -------------------------------------------------------------------------


def _check_on_invalid(on_invalid: str) -> None:
    if on_invalid not in _ON_INVALID:
        raise ValueError(f"on_invalid must be one of {_ON_INVALID!r}, got {on_invalid!r}")


class _Raise:
    """An error to raise in the iterator, after the values that came before it."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


class _Objects:
    """ObjectExtractor as a parser of values (and :class:`_Raise`), for the iterators."""

    def __init__(self, mode: Mode, model: Any, on_invalid: OnInvalid) -> None:
        _check_on_invalid(on_invalid)
        self._extractor = ObjectExtractor(mode=mode)
        self._validator = Validator(model) if model is not None else None
        self._strict = on_invalid == "raise"

    def feed(self, text: str, /) -> list[Any]:
        return self._pick(self._extractor.feed(text))

    def close(self) -> list[Any]:
        return self._pick(self._extractor.close())

    def _pick(self, events: list[Event]) -> list[Any]:
        values: list[Any] = []
        for ev in events:
            if type(ev) is ObjectDone:
                if self._validator is None:
                    values.append(ev.value)
                    continue
                ok, result = self._validator.check(ev.value)
                if ok:
                    values.append(result)
                elif self._strict:
                    values.append(_Raise(result))
                    break
            elif type(ev) is BadRecord and self._strict:
                values.append(_Raise(ev.error))
                break
        return values


class _Items:
    """The items of the array at ``path`` of one JSON document, as a parser of values."""

    def __init__(self, path: str | Path, model: Any, on_invalid: OnInvalid) -> None:
        _check_on_invalid(on_invalid)
        self._stream = JsonStream()
        self._path = _item_path(path)
        self._depth = len(self._path)
        self._seen = False
        self._validator = Validator(model) if model is not None else None
        self._strict = on_invalid == "raise"

    def feed(self, text: str, /) -> list[Any]:
        try:
            events = self._stream.feed(text)
        except ParseError as exc:
            # the items completed before the error still count
            return [*self._pick(exc.events), _Raise(exc)]
        return self._pick(events)

    def close(self) -> list[Any]:
        try:
            values = self._pick(self._stream.close())
        except ParseError as exc:
            return [*self._pick(exc.events), _Raise(exc)]
        if not self._seen:
            values.append(
                _Raise(LookupError(f"iter_items: the document has no value at path {self._path!r}"))
            )
        return values

    def _pick(self, events: list[JsonEvent]) -> list[Any]:
        values: list[Any] = []
        depth = self._depth
        path = self._path
        validator = self._validator
        for ev in events:
            p = ev.path
            if len(p) == depth + 1:
                if type(ev) is ValueDone and type(p[depth]) is int and p[:depth] == path:
                    if validator is None:
                        values.append(ev.value)
                        continue
                    ok, result = validator.check(ev.value)
                    if ok:
                        values.append(result)
                    elif self._strict:
                        values.append(_Raise(result))
                        break
            elif type(ev) is ValueStart and p == path:
                self._seen = True
                if ev.kind != "array":
                    values.append(
                        _Raise(
                            TypeError(
                                f"iter_items: the value at path {path!r} is {_a(ev.kind)}, "
                                "not an array"
                            )
                        )
                    )
                    break
        return values


def _item_path(path: object) -> Path:
    """``path`` of iter_items as a tuple: dotted text, or a tuple or list of keys and indexes.

    Raises:
        TypeError: anything else (a str used to be split into its characters).
        ValueError: a wildcard, or a dotted form :class:`PathPattern` refuses.
    """
    if isinstance(path, str):
        segments = dotted_path(path)
        if "*" in segments or "**" in segments:
            raise ValueError(
                f"iter_items: path {path!r} is a pattern; give the one path of the array, "
                "e.g. 'rows' or 'data.0.items' (a key named '*' in the tuple form)"
            )
        return segments
    if isinstance(path, (tuple, list)) and all(
        type(s) is str or type(s) is int for s in path
    ):
        return tuple(path)
    raise TypeError(
        "iter_items: path must be dotted text ('data.rows') or a tuple of keys and "
        f"indexes (('data', 'rows')), got {path!r}"
    )


def _raising(values: Iterator[Any]) -> Iterator[Any]:
    """Yield the values; raise a :class:`_Raise`'s error where it stands."""
    try:
        for value in values:
            if type(value) is _Raise:
                raise value.error
            yield value
    finally:
        close = getattr(values, "close", None)
        if close is not None:
            close()


async def _araising(values: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """The async twin of :func:`_raising`."""
    try:
        async for value in values:
            if type(value) is _Raise:
                raise value.error
            yield value
    finally:
        aclose = getattr(values, "aclose", None)
        if aclose is not None:
            await aclose()


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


@overload
def iter_objects(
    chunks: Iterable[str], /, *, mode: Mode = ..., model: None = ..., on_invalid: OnInvalid = ...
) -> Iterator[JSONValue]: ...
@overload
def iter_objects(
    chunks: Iterable[str], /, *, mode: Mode = ..., model: type[T], on_invalid: OnInvalid = ...
) -> Iterator[T]: ...
def iter_objects(
    chunks: Iterable[str],
    /,
    *,
    mode: Mode = "auto",
    model: type[Any] | None = None,
    on_invalid: OnInvalid = "skip",
) -> Iterator[Any]:
    """Yield each JSON value in a stream of text chunks as it completes.

    >>> list(iter_objects(['Here: {"a": 1', '} and [2, 3].']))
    [{'a': 1}, [2, 3]]

    Args:
        chunks: the text, in pieces of any size.
        mode: ``"auto"`` (values anywhere in text) or ``"ndjson"`` (one per
            line); see :class:`ObjectExtractor`.
        model: a type to validate each value into; the validated values are yielded.
        on_invalid: ``"skip"`` values that fail validation and bad NDJSON lines,
            or ``"raise"``: a failed value raises :class:`pydantic.ValidationError`
            and a bad line its :class:`~midstream.ParseError`. The default skips
            because text holds other values than the ones sought (prose, logs);
            use :class:`ObjectExtractor` to see each skipped value as an event
            (``ItemInvalid``, ``BadRecord``).

    When the loop stops early, ``chunks.close()`` is called if it exists.
    """
    return _raising(iter_events(_Objects(mode, model, on_invalid), chunks))


@overload
def aiter_objects(
    chunks: AsyncIterable[str],
    /,
    *,
    mode: Mode = ...,
    model: None = ...,
    on_invalid: OnInvalid = ...,
) -> AsyncIterator[JSONValue]: ...
@overload
def aiter_objects(
    chunks: AsyncIterable[str],
    /,
    *,
    mode: Mode = ...,
    model: type[T],
    on_invalid: OnInvalid = ...,
) -> AsyncIterator[T]: ...
def aiter_objects(
    chunks: AsyncIterable[str],
    /,
    *,
    mode: Mode = "auto",
    model: type[Any] | None = None,
    on_invalid: OnInvalid = "skip",
) -> AsyncIterator[Any]:
    """The async twin of :func:`iter_objects`, over an async iterable of chunks."""
    return _araising(aiter_events(_Objects(mode, model, on_invalid), chunks))


@overload
def iter_items(
    chunks: Iterable[str],
    /,
    *,
    path: str | Path = ...,
    model: None = ...,
    on_invalid: OnInvalid = ...,
) -> Iterator[JSONValue]: ...
@overload
def iter_items(
    chunks: Iterable[str],
    /,
    *,
    path: str | Path = ...,
    model: type[T],
    on_invalid: OnInvalid = ...,
) -> Iterator[T]: ...
def iter_items(
    chunks: Iterable[str],
    /,
    *,
    path: str | Path = (),
    model: type[Any] | None = None,
    on_invalid: OnInvalid = "raise",
) -> Iterator[Any]:
    """Yield the items of the JSON array at ``path`` one by one, each as it closes.

    The chunks hold one JSON document (whitespace around it is fine).

    >>> list(iter_items(['{"rows": [{"n": 1}, {"n"', ': 2}]}'], path="rows"))
    [{'n': 1}, {'n': 2}]

    Args:
        chunks: the document, in pieces of any size.
        path: where the array is: dotted text as :meth:`JsonStream.subscribe`
            takes it, without wildcards (``"data.rows"``, ``"data.0.items"``),
            or a tuple of object keys and array indexes (``("data", "rows")``);
            ``""`` or ``()`` for a root array. Anything else raises
            :class:`TypeError` at the call.
        model: a type to validate each item into; the validated items are yielded.
        on_invalid: ``"raise"`` (the default) :class:`pydantic.ValidationError`
            at the first item that fails validation, after the items before it;
            or ``"skip"`` such items, on purpose.

    Raises:
        JsonSyntaxError: the document is not JSON (items before the error
            have been yielded).
        IncompleteJsonError: the stream ended inside the document.
        TypeError: the value at ``path`` is not an array (or ``path`` is
            neither text nor a tuple).
        ValidationError: an item failed validation (``on_invalid="raise"``).
        LookupError: the document has no value at ``path``.
    """
    return _raising(iter_events(_Items(path, model, on_invalid), chunks))


@overload
def aiter_items(
    chunks: AsyncIterable[str],
    /,
    *,
    path: str | Path = ...,
    model: None = ...,
    on_invalid: OnInvalid = ...,
) -> AsyncIterator[JSONValue]: ...
@overload
def aiter_items(
    chunks: AsyncIterable[str],
    /,
    *,
    path: str | Path = ...,
    model: type[T],
    on_invalid: OnInvalid = ...,
) -> AsyncIterator[T]: ...
def aiter_items(
    chunks: AsyncIterable[str],
    /,
    *,
    path: str | Path = (),
    model: type[Any] | None = None,
    on_invalid: OnInvalid = "raise",
) -> AsyncIterator[Any]:
    """The async twin of :func:`iter_items`, over an async iterable of chunks."""
    return _araising(aiter_events(_Items(path, model, on_invalid), chunks))
