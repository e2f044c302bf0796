"""The engine: walks the events of a :class:`JsonStream` and adds validation events.

Composed, not derived: :class:`ModelStream` feeds a JSON stream and hands the
events it returns to :meth:`Engine.walk`, which keeps a stack of frames (one
per open container) from the ``ValueStart`` and ``ValueDone`` events and puts
a :class:`FieldValidated` or :class:`FieldInvalid` right after the
``ValueDone`` of each value the type declares. Paths come from the events.
"""

from __future__ import annotations

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
from ._frames import DictFrame, Frame, ListFrame, RawFrame
from ._model_frame import ModelFrame, TaggedFrame
from ._outcome import NO, Failed, Loc, errors_at, raw_or_value
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
        self.root_raw: Any = None
        self.string_path: Path | None = None  # the string value in progress
        self._out: list[Event] = []

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
        if len(events) == 1 and type(events[0]) is StringDelta:
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
            return
        parent = frames[-1]
        parent.enter(path[-1])
        if container:
            pos = parent.cur_pos
            loc = (*parent.base, parent.cur_loc) if pos is not None else ()
            frames.append(_open(pos, kind, path, loc))

    def _value_done(self, event: ValueDone) -> None:
        path = event.path
        raw = event.value
        frames = self.frames
        if frames and len(path) == frames[-1].depth:  # a container closed
            frame = frames.pop()
            result = frame.close(self, raw)
            self._done(frames[-1] if frames else None, path, raw, result, frame.loc)
            return
        self.string_path = None
        if not frames:  # the root is a scalar
            self._done(None, path, raw, self.root.validate_or_null(raw), ())
            return
        parent = frames[-1]
        pos = parent.cur_pos
        if pos is None:
            self._done(parent, path, raw, NO, ())
        else:  # (pos.validate_or_null, inlined: once per scalar)
            result = None if raw is None and pos.null_ok else pos.validate(raw)
            self._done(parent, path, raw, result, (*parent.base, parent.cur_loc))

    def _done(self, parent: Frame | None, path: Path, raw: Any, result: Any, loc: Loc) -> None:
        """A value completed with ``result``: report it, and hand it to its container."""
        if result is not NO:
            if type(result) is Failed:
                self._out.append(FieldInvalid(path, errors_at(result, loc)))
            else:
                self._out.append(FieldValidated(path, result))
        if parent is not None:
            parent.child_done(self, path, raw, result)
        else:
            self.result = result
            self.root_raw = raw

    # --- partial ---------------------------------------------------------------------

    def partial(self, json: JsonStream) -> Any:
        """The value so far (see :attr:`ModelStream.partial`)."""
        if self.result is not NO:
            return raw_or_value(self.result, self.root_raw)
        frames = self.frames
        child: Any = NO
        if self.string_path is not None:
            child = _at(json.snapshot(), self.string_path)
        typed = len(frames)
        for i, frame in enumerate(frames):
            if not frame.typed:
                typed = i
                break
        if typed < len(frames):
            child = _at(json.snapshot(), frames[typed].path)
        for frame in reversed(frames[:typed]):
            child = frame.sync(child)
        return None if child is NO else child


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
