"""The engine: walks the events of a :class:`JsonStream` and adds validation events.

Composed, not derived: :class:`ModelStream` feeds a JSON stream and hands the
events it returns to :meth:`Engine.walk`, which keeps a stack of frames (one
per open container) from the ``ValueStart`` and ``ValueDone`` events and puts
a :class:`FieldValidated` or :class:`FieldInvalid` right after the
``ValueDone`` of each value the type declares. Paths come from the events.
"""

from __future__ import annotations

import copy
from typing import Any

from .._events import (
    Event,
    FieldInvalid,
    FieldValidated,
    JsonEvent,
    StringDelta,
    ValueDone,
    ValueStart,
)
from .._json_stream import JsonStream
from .._types import Path
from ._early import NumberWatch, StringWatch, too_long
from ._frames import DictFrame, Frame, ListFrame, RawFrame
from ._model_frame import ModelFrame, TaggedFrame
from ._outcome import NO, Failed, Loc, errors_at
from ._plan import DictCore, ListCore, ModelCore, Position, TaggedCore


class KeyedJsonStream(JsonStream):
    """A JSON stream that also notes where each key completed among its events.

    The one thing the events do not say: a key of a model with
    ``extra="forbid"`` is reported when its closing quote arrives, before its
    value begins (and so before any event has its path). JsonStream has no
    public hook for it; this subclass is the only code that reaches into it,
    and only when the type has such a model.
    """

    def __init__(self, **limits: int) -> None:
        super().__init__(**limits)
        self.keys: list[tuple[int, str]] = []  # (index in this call's events, key)

    def _on_key(self, key: str) -> None:
        super()._on_key(key)
        self.keys.append((len(self._events), key))


class Engine:
    """The validation state of one document: open frames, and the root's result."""

    def __init__(self, root: Position) -> None:
        self.root = root
        self.frames: list[Frame] = []
        self.result: Any = NO  # the root's validated value, or Failed
        self.root_shown: Any = None  # the partial value of a root that failed
        self.string_path: Path | None = None  # the string value in progress
        self.watch: StringWatch | None = None  # the string in progress, if checked
        self.number: NumberWatch | None = None  # the integer in progress, if checked
        self.reported: set[Path] = set()  # values that failed early: not reported again
        self._out: list[Event] = []
        self._lives: list[Any] = []  # the open typed values partial() built, innermost first

    def emit(self, event: Event) -> None:
        """Add a validation event after the JSON events walked so far."""
        self._out.append(event)

    # --- walking ---------------------------------------------------------------------

    def walk(
        self, events: list[JsonEvent], keys: list[tuple[int, str]] | None = None
    ) -> list[Any]:
        """``events`` with the validation events they cause, in document order.

        ``keys``: the keys that completed in the same call, each with the
        number of events before it.
        """
        if keys:
            self._out = []
            self._walk_with_keys(events, keys)
            return self._out
        if len(events) == 1 and type(events[0]) is StringDelta and self.watch is None:
            return events  # (most chunks: the text of a string goes on)
        out: list[Any] = []
        self._out = out
        append = out.append
        value_done = self._value_done
        value_start = self._value_start
        for event in events:
            append(event)
            kind = type(event)
            if kind is ValueDone:
                value_done(event)  # type: ignore[arg-type]
            elif kind is ValueStart:
                value_start(event)  # type: ignore[arg-type]
            elif self.watch is not None:  # (a StringDelta)
                self._string_delta(event)  # type: ignore[arg-type]
        return out

    def _walk_with_keys(self, events: list[JsonEvent], keys: list[tuple[int, str]]) -> None:
        """The same walk, with each completed key told to its frame where it came."""
        out = self._out
        pending = iter(keys)
        index, key = next(pending)
        for i, event in enumerate([*events, None]):
            while i == index:
                if self.frames:
                    self.frames[-1].on_key(self, key)
                index, key = next(pending, (-1, ""))
            if event is None:
                break
            out.append(event)
            if type(event) is ValueDone:
                self._value_done(event)
            elif type(event) is ValueStart:
                self._value_start(event)
            elif self.watch is not None:
                self._string_delta(event)  # type: ignore[arg-type]

    def _value_start(self, event: ValueStart) -> None:
        path = event.path
        kind = event.kind
        container = kind == "object" or kind == "array"
        if kind == "string":
            self.string_path = path
        frames = self.frames
        if not frames:
            if container:
                frames.append(_open(self.root, kind, (), ()))
            else:
                self._watch(self.root, kind, path, ())
            return
        parent = frames[-1]
        parent.enter(path[-1])
        if parent.limit is not None:
            self._count(parent)
        pos = parent.cur_pos
        if container:
            loc = (*parent.base, parent.cur_loc) if pos is not None else ()
            frames.append(_open(pos, kind, path, loc))
        elif pos is not None and kind != "object" and kind != "array":
            self._watch(pos, kind, path, (*parent.base, parent.cur_loc))

    # --- failing early (see _early) ------------------------------------------------------

    def _watch(self, pos: Position, kind: str, path: Path, loc: Loc) -> None:
        """A scalar begins at ``pos``: watch it if it may fail before it completes."""
        if kind == "string":
            if pos.string_check is not None:
                self.watch = StringWatch(pos, pos.string_check, path, loc)
        elif kind == "number" and pos.int_check is not None:
            self.number = NumberWatch(pos, pos.int_check, path, loc)

    def _string_delta(self, event: StringDelta) -> None:
        watch = self.watch
        assert watch is not None
        errors = watch.add(event.text)
        if errors is not None:
            self.watch = None
            self._fail_early(watch.path, errors)

    def number_progress(self, chunk: str | bytes | bytearray | memoryview) -> list[Event]:
        """The events of a checked integer that the chunk just read ended inside."""
        watch = self.number
        if watch is None:
            return []
        errors = watch.progress(chunk)
        if errors is None:
            return []
        self.number = None
        self._out = []
        self._fail_early(watch.path, errors)
        return self._out

    def _count(self, frame: Frame) -> None:
        """A child of a list or dict with ``max_length`` begins: fail once past it."""
        kind, count, so_far = frame.count()
        limit = frame.limit
        assert limit is not None
        if count > limit and frame.path not in self.reported:
            self._fail_early(frame.path, too_long(kind, limit, count, so_far, frame.loc))

    def _fail_early(self, path: Path, errors: list[dict[str, Any]]) -> None:
        """Report a value that can no longer be valid (not again when it completes)."""
        self.reported.add(path)
        self._out.append(FieldInvalid(path, errors))

    def _value_done(self, event: ValueDone) -> None:
        path = event.path
        raw = event.value
        frames = self.frames
        if frames and len(path) == frames[-1].depth:  # a container closed
            frame = frames.pop()
            result = frame.close(self, raw)
            if not frames:  # the root: what partial shows if it failed
                self.root_shown = frame.sync(NO) if frame.typed else raw
            cause = frame.repeated(result)
            self._done(frames[-1] if frames else None, path, raw, result, frame.loc, cause)
            return
        self.string_path = None
        self.watch = None
        self.number = None
        if not frames:  # the root is a scalar
            self.root_shown = raw
            self._done(None, path, raw, self.root.validate_or_null(raw), ())
            return
        parent = frames[-1]
        pos = parent.cur_pos
        if pos is None:
            self._done(parent, path, raw, NO, ())
        else:  # (pos.validate_or_null, inlined: once per scalar)
            result = None if raw is None and pos.null_ok else pos.validate(raw)
            self._done(parent, path, raw, result, (*parent.base, parent.cur_loc))

    def _done(
        self,
        parent: Frame | None,
        path: Path,
        raw: Any,
        result: Any,
        loc: Loc,
        cause: Path | None = None,
    ) -> None:
        """A value completed with ``result``: report it, and hand it to its container.

        ``cause``: the path of the event that reported its errors already.
        """
        said = False  # it failed early: said already
        if self.reported and path in self.reported:
            self.reported.discard(path)
            said = True
        if result is not NO:
            if type(result) is Failed:
                if not said:
                    self._out.append(FieldInvalid(path, errors_at(result, loc), cause))
                if parent is not None and parent.cause is None:
                    parent.cause = cause or path
            else:
                self._out.append(FieldValidated(path, result))
        if parent is not None:
            parent.child_done(self, path, raw, result)
        else:
            self.result = result

    # --- partial ---------------------------------------------------------------------

    def partial(self, json: JsonStream) -> Any:
        """The value so far (see :attr:`ModelStream.partial`)."""
        if self.result is not NO:
            return self.root_shown if type(self.result) is Failed else self.result
        frames = self.frames
        child: Any = NO
        typed = len(frames)
        for i, frame in enumerate(frames):
            if not frame.typed:
                typed = i
                break
        if typed < len(frames):
            if typed == 0:  # the root is not typed: its raw JSON so far
                child = json.snapshot()
            # (inside a typed value, an untyped one stays None until it validates)
        elif self.string_path is not None:
            # A string in progress shows where a str is declared (nowhere else
            # is its text a value of the declared type).
            pos = frames[-1].cur_pos if frames else self.root
            if pos is not None and pos.shows_text:
                child = _at(json.snapshot(), self.string_path)
        lives = self._lives
        lives.clear()
        for frame in reversed(frames[:typed]):
            child = frame.sync(child)
            lives.append(child)
        return None if child is NO else child

    def partial_copy(self, json: JsonStream) -> Any:
        """A copy of :meth:`partial` that later feeds leave as it is.

        Only the open containers change as the document streams (a value that
        completed is never changed again), so only they are copied, each
        holding the copy of the one open inside it: the cost is their size.
        An untyped root (a fallback type) is its raw JSON so far, deep-copied.
        """
        live = self.partial(json)
        if self.result is not NO or live is None:
            return live
        lives = self._lives  # innermost first
        if not lives:
            return copy.deepcopy(live)
        typed = len(lives)
        child: Any = NO
        inner: Any = NO
        for frame, value in zip(reversed(self.frames[:typed]), lives, strict=True):
            child = frame.copy(value, inner, child)
            inner = value
        return child


def _at(value: Any, path: Path) -> Any:
    for key in path:
        value = value[key]
    return value


def _open(pos: Position | None, kind: str, path: Path, loc: Loc) -> Frame:
    """The frame of a container that begins at ``pos`` (None: nothing validates it)."""
    core = pos.core if pos is not None else None
    t = type(core)
    if kind == "object":
        if t is ModelCore:
            return ModelFrame(pos, core, path, loc)  # type: ignore[arg-type]
        if t is DictCore:
            return DictFrame(pos, core, path, loc)  # type: ignore[arg-type]
        if t is TaggedCore:
            return TaggedFrame(pos, core, path, loc)  # type: ignore[arg-type]
    elif t is ListCore:
        return ListFrame(pos, core, path, loc)  # type: ignore[arg-type]
    return RawFrame(pos, path, loc)
