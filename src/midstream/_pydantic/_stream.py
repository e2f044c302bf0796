"""The public class: :class:`ModelStream`, a JSON stream with validation events added."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from .._errors import ParseError
from .._events import Event, FieldValidated
from .._json_core import DEFAULT_MAX_DEPTH, DEFAULT_MAX_NUMBER_LENGTH, DEFAULT_MAX_STRING_LENGTH
from .._json_stream import JsonStream
from .._paths import PathPattern, PatternLike
from .._types import JSONValue
from ._compiler import plan
from ._engine import Engine, KeyedJsonStream
from ._outcome import NO, Failed

__all__ = ["ModelStream"]

T = TypeVar("T")


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
        root = plan(tp)
        limits = {
            "max_depth": max_depth,
            "max_string_length": max_string_length,
            "max_number_length": max_number_length,
        }
        # Keys are watched (at a small cost per key) only where a model forbids extras.
        self._keyed = KeyedJsonStream(**limits) if root.watch_keys else None
        self._json = self._keyed or JsonStream(**limits)
        self._engine = Engine(root)
        self._version = 0
        self._partial_version = -1
        self._partial: Any = None
        self._closed = False
        # subscribe(): each entry under a key of its own, so that removing it is O(1)
        self._subscriptions: dict[object, tuple[PathPattern, Callable[[Any], object], Any]] = {}

    # --- public API ------------------------------------------------------------------

    def feed(self, text: str | bytes | bytearray | memoryview, /) -> list[Event]:
        """Parse the next chunk; return its JSON events and validation events, in order.

        Raises:
            JsonSyntaxError: the chunk breaks the JSON grammar.
            LimitExceededError: a configured limit was passed.
        """
        if self._closed:  # (the JSON stream inside would name its own class)
            raise RuntimeError("feed() after close(): this ModelStream has ended")
        try:
            events: list[Any] = self._json.feed(text)
        except ParseError as exc:
            self._walk_error(exc)
            raise
        if self._keyed is not None and self._keyed.keys:
            events = self._engine.walk(events, self._take_keys())
        elif events:
            events = self._engine.walk(events)
        if self._engine.number is not None:  # an integer with bounds, cut by the chunk end
            events.extend(self._engine.number_progress(text))
        if events:
            self._version += 1
            if self._subscriptions:
                self._dispatch(events)
        return events

    def close(self) -> list[Event]:
        """End the stream; return the events still due.

        Raises:
            IncompleteJsonError: the document is unfinished.
            pydantic.ValidationError: the document does not validate; it holds
                every error, as ``Model.model_validate_json(text)`` would.
        """
        self._closed = True
        try:
            events = self._engine.walk(self._json.close(), self._take_keys())
        except ParseError as exc:
            self._walk_error(exc)
            raise
        if events and self._subscriptions:
            self._dispatch(events)
        result = self._engine.result
        if type(result) is Failed:
            raise result.error
        return events

    def snapshot(self) -> JSONValue | None:
        """The plain JSON value so far, as :meth:`JsonStream.snapshot` gives it.

        Raw, unvalidated: what :attr:`partial` leaves None (a value that
        failed, an untyped value in progress) is here as it came.
        """
        return self._json.snapshot()

    def subscribe(
        self,
        pattern: PatternLike,
        callback: Callable[[Any], object],
        /,
        *,
        event: type[Event] | tuple[type[Event], ...] = FieldValidated,
    ) -> Callable[[], None]:
        """Call ``callback(event)`` for each event whose path matches ``pattern``.

        As :meth:`JsonStream.subscribe` (the same patterns: ``"items.*"``),
        for this stream's events: by default :class:`FieldValidated`; give
        ``event`` a class or a tuple of classes for others
        (``FieldInvalid``, ``ValueDone``...). Callbacks run in document
        order when the ``feed()`` (or ``close()``) that produced the events
        has parsed and validated its whole chunk, just before it returns.
        An exception a callback raises propagates from that call; the
        stream's state stays consistent (the chunk is parsed and validated),
        the remaining callbacks of that call do not run. Returns a function
        that removes the subscription at once (also from inside a callback);
        calling it again does nothing.
        """
        key = object()
        self._subscriptions[key] = (PathPattern(pattern), callback, event)

        def unsubscribe() -> None:
            self._subscriptions.pop(key, None)

        return unsubscribe

    def _dispatch(self, events: list[Any]) -> None:
        subscriptions = self._subscriptions
        entries = list(subscriptions.items())
        for event in events:
            for key, (pattern, callback, kinds) in entries:
                if isinstance(event, kinds) and key in subscriptions and pattern.match(event.path):
                    callback(event)

    def _take_keys(self) -> list[tuple[int, str]] | None:
        """The keys that completed in the last call of the JSON stream (where they matter)."""
        keyed = self._keyed
        if keyed is None or not keyed.keys:
            return None
        keys = keyed.keys
        keyed.keys = []
        return keys

    def _walk_error(self, exc: ParseError) -> None:
        """The events a parse error carries, with their validation events added.

        The values that completed before the error are validated all the same.
        """
        exc.events = self._engine.walk(exc.events, self._take_keys())

    @property
    def done(self) -> bool:
        """The root value is complete (and validated or failed)."""
        return self._engine.result is not NO

    @property
    def value(self) -> T:
        """The validated value, once the document is complete.

        Raises:
            pydantic.ValidationError: the document did not validate.
            RuntimeError: the document is not complete yet.
        """
        result = self._engine.result
        if result is NO:
            raise RuntimeError(
                "the document is not complete yet: call close() first, or use partial"
            )
        if type(result) is Failed:
            raise result.error
        return cast(T, result)

    @property
    def partial(self) -> T | None:
        """The value so far, shaped like the type; None before anything arrived.

        A model in progress is an instance built without validation
        (``model_construct``) that holds only values of its declared types,
        so that ``model_dump()`` and ``repr()`` take it without a warning:
        completed fields hold their validated values; a field not seen yet,
        one that failed, or one in progress is None, except a ``str`` field
        in progress, which holds its text so far (defaults apply only when
        the model completes). A discriminated union inside it is None until
        its discriminator completes, a fallback type until it completes.
        Completed models are the validated instances. The raw values are in
        :meth:`snapshot`. A ``computed_field`` runs on the partial instance
        as on any other: it sees None where a field is not validated yet.

        At the root, a fallback type (see the package's docs) shows its raw
        JSON so far, so ``partial`` is then not a ``T``.

        This is a live view, like :meth:`JsonStream.snapshot`: the same
        objects are updated in place (completed values as they complete, the
        value in progress when you read ``partial`` again), and each read
        costs only the depth of the open containers plus the string in
        progress. :meth:`partial_copy` gives one that later feeds leave alone.
        """
        if self._partial_version != self._version:
            self._partial = self._engine.partial(self._json)
            self._partial_version = self._version
        return cast("T | None", self._partial)

    def partial_copy(self) -> T | None:
        """:attr:`partial`, copied so that later feeds leave it as it is.

        Only the open containers are copied (a completed value never changes
        again, so copies share it): the cost is the size of the open objects
        and arrays, not of the document (an open fallback value at the root
        is deep-copied). Two copies compare unequal once anything shown
        changed between them.
        """
        copied = self._engine.partial_copy(self._json)
        self._partial_version = -1  # (the live view was rebuilt: read it afresh)
        return cast("T | None", copied)
