"""JsonStream: JSON values as events, with paths, while the document streams.

This layer turns the core's hooks into :class:`ValueStart`,
:class:`StringDelta` and :class:`ValueDone` events, tracks the path of every
value, and builds the value itself as it goes, so that :meth:`snapshot` costs
only the depth of the open containers and the trailing string, never a
re-parse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from ._compat import mypyc_attr
from ._events import JsonEvent, StringDelta, ValueDone, ValueStart, fast_constructor
from ._json_core import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_NUMBER_LENGTH,
    DEFAULT_MAX_STRING_LENGTH,
    JsonCore,
)
from ._paths import PathPattern, PatternLike
from ._types import JSONValue, Path

__all__ = ["JsonStream"]

_MISSING: Final[Any] = object()

_value_start: Final[Callable[[Path, str], ValueStart]] = fast_constructor(ValueStart)
_string_delta: Final[Callable[[Path, str], StringDelta]] = fast_constructor(StringDelta)
_value_done: Final[Callable[[Path, JSONValue], ValueDone]] = fast_constructor(ValueDone)


# Compiled by mypyc in wheels (hatch_build.py); ModelStream's engine subclasses it in Python.
@mypyc_attr(allow_interpreted_subclasses=True)
class JsonStream(JsonCore[JsonEvent]):
    """Parse one JSON document fed in chunks; report each value as it forms.

    >>> p = JsonStream()
    >>> p.feed('{"title": "Hel')
    [ValueStart(path=(), kind='object'), ValueStart(path=('title',), kind='string'), \
StringDelta(path=('title',), text='Hel')]
    >>> p.feed('lo"}')
    [StringDelta(path=('title',), text='lo'), ValueDone(path=('title',), value='Hello'), \
ValueDone(path=(), value={'title': 'Hello'})]
    >>> p.close()
    []
    >>> p.value
    {'title': 'Hello'}

    Args:
        max_depth: deepest nesting of objects and arrays accepted. Each open
            level keeps its path (a tuple as long as its depth), so the memory
            of the open levels grows with the square of the depth: about 1 MB
            at the default 512, about 100 MB at 5000.
        max_string_length: longest string or key, in characters.
        max_number_length: longest number, in characters.

    Going past a limit raises :class:`~midstream.LimitExceededError`.
    """

    def __init__(
        self,
        *,
        max_depth: int = DEFAULT_MAX_DEPTH,
        max_string_length: int = DEFAULT_MAX_STRING_LENGTH,
        max_number_length: int = DEFAULT_MAX_NUMBER_LENGTH,
    ) -> None:
        super().__init__(
            max_depth=max_depth,
            max_string_length=max_string_length,
            max_number_length=max_number_length,
        )
        # One entry per open container: the container, its path, and the key
        # (object) or index (array) of the child being read.
        self._containers: list[Any] = []
        self._paths: list[Path] = []
        self._slots: list[Any] = []
        self._scalar_path: Path = ()
        self._root: Any = _MISSING
        # snapshot() put the scalar in progress into its container already
        self._placeholder = False
        # what the placeholder's key held before (a repeated key), to restore on a drop
        self._shadowed: Any = _MISSING
        self._subscriptions: list[_Subscription] = []

    # --- public API --------------------------------------------------------------

    @property
    def value(self) -> JSONValue:
        """The complete value, once :attr:`done` (or after :meth:`close`)."""
        if not self.done:
            raise RuntimeError(
                "the document is not complete yet: call close() first, "
                "or use snapshot() for the value so far"
            )
        return self._root  # type: ignore[no-any-return]

    def snapshot(self) -> JSONValue | None:
        """The value so far, as ``jiter.from_json(prefix, partial_mode="trailing-strings")``.

        Open objects and arrays hold what they hold so far, the string in
        progress holds its text so far, a number in progress appears once it is
        a valid number, and a literal once complete. None before any value has
        begun (or while the root is an unfinished number or literal).

        The result is the parser's own live value, not a copy: it keeps growing
        as you feed more. Copy it (``copy.deepcopy``) to keep a frozen view. The
        cost is bounded by the nesting depth and the trailing string.
        """
        partial = self._partial_scalar()
        if not self._containers:
            if self._root is not _MISSING:
                return self._root  # type: ignore[no-any-return]
            return None if partial is _MISSING else partial
        parent = self._containers[-1]
        if partial is not _MISSING:
            if type(parent) is dict:
                if not self._placeholder:
                    self._shadowed = parent.get(self._slots[-1], _MISSING)
                parent[self._slots[-1]] = partial
            elif self._placeholder:
                parent[-1] = partial
            else:
                parent.append(partial)
            self._placeholder = True
        elif self._placeholder:
            self._drop_placeholder()
        return self._root  # type: ignore[no-any-return]

    def subscribe(
        self,
        pattern: PatternLike,
        callback: Callable[[Any], object],
        /,
        *,
        event: type[JsonEvent] | tuple[type[JsonEvent], ...] = ValueDone,
    ) -> Callable[[], None]:
        """Call ``callback(event)`` for each event whose path matches ``pattern``.

        ``pattern`` is a :class:`PathPattern` or its text (``"sections.*.heading"``).
        By default only :class:`ValueDone` events are passed; give ``event`` a
        class or a tuple of classes for others. Callbacks run in document order
        when the ``feed()`` (or ``close()``) that produced the events has parsed
        its whole chunk, just before it returns.

        Returns a function that removes the subscription. It takes effect at
        once, also from inside a callback (a removed callback sees no later
        event, not even of the same call), and calling it again does nothing.
        A subscription added inside a callback sees the events of the next call.

        A callback that raises stops the dispatch: its exception propagates
        from ``feed()`` (or ``close()``) with the events of that call, all of
        them, in its ``events`` attribute (as a :class:`~midstream.ParseError`
        carries the events before it), and no later callback sees them. The
        parser has read the whole chunk: feed the next one as usual.
        """
        entry = _Subscription(PathPattern(pattern), callback, event)
        self._subscriptions.append(entry)
        self._listener = self._dispatch

        def unsubscribe() -> None:
            if entry.active:
                entry.active = False
                self._subscriptions.remove(entry)
                if not self._subscriptions:
                    self._listener = None

        return unsubscribe

    # --- hooks from the core -------------------------------------------------------

    def _on_start(self, kind: str) -> None:
        containers = self._containers
        path = self._paths[-1] + (self._slots[-1],) if containers else ()
        self._events.append(_value_start(path, kind))
        if kind == "object" or kind == "array":
            container: Any = {} if kind == "object" else []
            if containers:
                parent = containers[-1]
                if type(parent) is dict:
                    parent[self._slots[-1]] = container
                else:
                    parent.append(container)
            else:
                self._root = container
            containers.append(container)
            self._paths.append(path)
            self._slots.append(None if kind == "object" else 0)
        else:
            self._scalar_path = path

    def _on_string(self, text: str) -> None:
        self._events.append(_string_delta(self._scalar_path, text))

    def _on_key(self, key: str) -> None:
        self._slots[-1] = key

    def _on_scalar(self, value: JSONValue) -> None:
        self._events.append(_value_done(self._scalar_path, value))
        containers = self._containers
        if not containers:
            self._root = value
            return
        parent = containers[-1]
        if type(parent) is dict:
            parent[self._slots[-1]] = value
        else:
            if self._placeholder:
                parent[-1] = value
            else:
                parent.append(value)
            self._slots[-1] += 1
        self._placeholder = False
        self._shadowed = _MISSING

    def _on_end(self) -> None:
        container = self._containers.pop()
        self._slots.pop()
        self._events.append(_value_done(self._paths.pop(), container))
        if self._containers and type(self._containers[-1]) is list:
            self._slots[-1] += 1

    # --- helpers -------------------------------------------------------------------

    def _partial_scalar(self) -> Any:
        """The scalar in progress as the snapshot shows it, or _MISSING."""
        text = self._partial_string()
        if text is not None:
            return text
        number = self._partial_number()
        return _MISSING if number is None else number

    def _drop_placeholder(self) -> None:
        if not self._placeholder:
            return
        parent = self._containers[-1]
        if type(parent) is dict:
            if self._shadowed is _MISSING:
                parent.pop(self._slots[-1], None)
            else:  # a repeated key: its earlier value shows until the new one is valid
                parent[self._slots[-1]] = self._shadowed
                self._shadowed = _MISSING
        else:
            parent.pop()
        self._placeholder = False

    def _dispatch(self, events: list[JsonEvent]) -> None:
        subscriptions = list(self._subscriptions)  # those added meanwhile start next call
        for event in events:
            for entry in subscriptions:
                if (
                    entry.active
                    and isinstance(event, entry.kinds)
                    and entry.pattern.match(event.path)
                ):
                    try:
                        entry.callback(event)
                    except Exception as exc:
                        vars(exc)["events"] = events  # what this call returns, on the error
                        raise


class _Subscription:
    """A callback for the events whose path matches ``pattern``; inactive once removed."""

    def __init__(
        self,
        pattern: PathPattern,
        callback: Callable[[Any], object],
        kinds: type[JsonEvent] | tuple[type[JsonEvent], ...],
    ) -> None:
        self.pattern = pattern
        self.callback = callback
        self.kinds = kinds
        self.active = True
