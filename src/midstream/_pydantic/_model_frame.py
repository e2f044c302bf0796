"""The frames of a model and of a discriminated union (which becomes its branch's model)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._events import FieldInvalid, FieldValidated
from . import _passthrough as passthrough
from ._frames import Frame, RawFrame
from ._outcome import NO, Failed, Loc, errors_at, extra_forbidden, rebase, shown
from ._plan import ModelCore, Position, TaggedCore

if TYPE_CHECKING:
    from .._types import Path
    from ._engine import Engine


class ModelFrame(Frame):
    """A model: its fields as they come, validated each on its own."""

    __slots__ = (
        "captured",
        "core",
        "cur_name",
        "cur_prio",
        "deferred",
        "early",
        "obj",
        "prio",
        "seen",
        "values",
    )

    def __init__(self, pos: Position | None, core: ModelCore, path: Path, loc: Loc) -> None:
        super().__init__(pos, path, loc)
        self.core = core
        self.cur_name: str | None = None
        self.cur_prio = 0
        self.values: dict[str, Any] = dict(core.template)
        self.seen: set[str] = set()
        self.prio: dict[str, int] | None = None  # the priority of the key each field came by
        # info-reading fields waiting for the fields before them: (name, path, loc, raw)
        self.deferred: list[tuple[str, Any, Any, Any]] | None = None
        self.early: set[str] | None = None  # info-reading fields validated as they came
        self.captured: Any = NO  # the early validator's value of its field
        self.obj: Any = None  # the partial instance, built on first access

    def enter(self, key: Any) -> None:
        self.active = True
        self.cur_key = key
        entry = self.core.keys.get(key)
        if entry is None:
            self.cur_name = None
            self.cur_pos = None
        else:
            self.cur_name = entry.name
            self.cur_pos = entry.pos
            self.cur_loc = entry.loc
            self.cur_prio = entry.prio

    def on_key(self, engine: Engine, key: str) -> None:
        core = self.core
        if core.forbid and key not in core.keys:
            errors = extra_forbidden(core.cls.__name__, self.path, self.base, key)
            engine.emit(FieldInvalid((*self.path, key), errors))

    def child_done(self, engine: Engine, path: Path, raw: Any, result: Any) -> None:
        self.active = False
        name = self.cur_name
        if name is None:
            return  # an extra key
        if self.core.multi:  # alias and name both accepted: the alias wins
            prio = self.prio
            if prio is None:
                prio = self.prio = {}
            if prio.get(name, self.cur_prio) < self.cur_prio:
                return
            prio[name] = self.cur_prio
        self.seen.add(name)
        self._show(name, shown(result))
        if result is NO:  # its validator reads info
            result = self._validate_early(engine, name, path, raw, self.cur_loc)
            if result is NO:  # not all the fields before it are here yet
                if self.deferred is None:
                    self.deferred = []
                self.deferred.append((name, path, self.cur_loc, raw))
                return
        self.fail(name, result)
        if self.deferred:  # this may be a field that a waiting one needs
            self._retry_deferred(engine)

    def _show(self, name: str, value: Any) -> None:
        """Set a field of the partial instance (a field None cannot be dumped at: unset)."""
        if value is None and name in self.core.sparse:
            self.values.pop(name, None)
        else:
            self.values[name] = value

    def replay(self, engine: Engine, key: Any, raw: Any) -> None:
        """A child that came before the discriminator, validated now."""
        path = (*self.path, key)
        entry = self.core.keys.get(key)
        if entry is None:
            self.on_key(engine, key)
            self.cur_name = None
            return
        self.enter(key)
        pos = entry.pos
        result = NO if pos is None else pos.validate_or_null(raw)
        if type(result) is Failed:
            engine.emit(FieldInvalid(path, errors_at(result, (*self.base, entry.loc))))
        elif result is not NO:
            engine.emit(FieldValidated(path, result))
        self.child_done(engine, path, raw, result)

    def _retry_deferred(self, engine: Engine) -> None:
        """Validate the waiting info-reading fields whose earlier fields are all in now."""
        pending = self.deferred or []
        progress = True
        while progress:  # one that validates may be what another waits for
            progress = False
            for entry in list(pending):
                name, path, loc, raw = entry
                result = self._validate_early(engine, name, path, raw, loc)
                if result is not NO:
                    pending.remove(entry)
                    self.fail(name, result)
                    progress = True

    def _ready(self, earlier: tuple[str, ...]) -> bool:
        """Whether the fields before an info-reading field are all in (and validated)."""
        early = self.early or ()
        for other in earlier:
            pending = other in self.core.early and other not in early
            if pending or other not in self.seen:
                return False
        return True

    def _validate_early(
        self, engine: Engine, name: str, path: Path, raw: Any, loc: Any, force: bool = False
    ) -> Any:
        """Validate a field whose validator reads ``info.data`` once the fields before it are in.

        ``info.data`` holds those fields as pydantic would have them (with
        ``force``, at the model's end: the ones that came, and defaults).
        Returns its result (and reports it), or NO if it must wait.
        """
        validator, earlier = self.core.early[name]
        if not force and not self._ready(earlier):
            return NO
        payload = {other: None for other in earlier if other in self.seen}
        payload[name] = raw
        self.captured = NO
        # JSON mode: pydantic's JSON rules and error types, as for any field.
        outcome = passthrough.run(validator, payload, self, as_json=True)
        result = self.captured
        if type(outcome) is Failed:
            own = [e for e in outcome.error.errors() if e["loc"][:1] == (name,)]
            if own:  # (the others are fields before it, missing: not its business)
                result = Failed(rebase(own, outcome.error.title))
        self._show(name, shown(result))
        if self.early is None:
            self.early = set()
        self.early.add(name)
        if type(result) is Failed:
            engine.emit(FieldInvalid(path, errors_at(result, (*self.base, loc))))
        else:
            engine.emit(FieldValidated(path, result))
        return result

    def close(self, engine: Engine, raw: Any) -> Any:
        if self.deferred:  # info-reading fields still waiting: now, in field order
            waiting = {entry[0]: entry for entry in self.deferred}
            self.deferred = None
            for name in self.core.early:
                if name in waiting:
                    _, path, loc, raw_value = waiting[name]
                    result = self._validate_early(engine, name, path, raw_value, loc, force=True)
                    self.fail(name, result)
        result = passthrough.run(self.core.shallow, raw, self)
        if type(result) is not Failed:
            result = self.core.build(result, raw)
        return self.layered(result, raw)

    def sync(self, child: Any) -> Any:
        name = self.cur_name
        if child is not NO and self.active and name is not None:
            prio = self.prio
            if prio is None or prio.get(name, self.cur_prio) >= self.cur_prio:
                self.values[name] = child
                self.seen.add(name)
        if self.obj is None:
            self.obj = _construct(self.core.cls, self.values, self.seen)
        return self.obj

    def copy(self, value: Any, inner: Any, inner_copy: Any) -> Any:
        # What BaseModel.__copy__ does, without its four copy.copy() calls (per chunk).
        values = dict(value.__dict__)
        name = self.cur_name
        if inner is not NO and name is not None and values.get(name) is inner:
            values[name] = inner_copy
        cls: Any = self.core.cls
        new = cls.__new__(cls)
        set_attr = object.__setattr__
        set_attr(new, "__dict__", values)
        set_attr(new, "__pydantic_fields_set__", set(value.__pydantic_fields_set__))
        extra = value.__pydantic_extra__
        set_attr(new, "__pydantic_extra__", dict(extra) if extra is not None else None)
        private = value.__pydantic_private__
        set_attr(new, "__pydantic_private__", dict(private) if private is not None else None)
        return new


class TaggedFrame(Frame):
    """A discriminated union whose branch is not known yet: its children wait here.

    When the discriminator completes, the frame is replaced on the engine's
    stack by its branch's :class:`ModelFrame`, which is handed the waiting
    children, or by a :class:`RawFrame` (the union validates the whole).
    """

    __slots__ = ("buf", "core")

    typed = False

    def __init__(self, pos: Position, core: TaggedCore, path: Path, loc: Loc) -> None:
        super().__init__(pos, path, loc)
        self.core = core
        self.buf: list[tuple[Any, Any]] = []  # (key, raw value) of the children so far

    def child_done(self, engine: Engine, path: Path, raw: Any, result: Any) -> None:
        self.active = False
        self.buf.append((self.cur_key, raw))
        if self.cur_key in self.core.keys:
            engine.frames[-1] = self._branch(engine, raw)

    def _branch(self, engine: Engine, tag: Any) -> Frame:
        """The frame that takes over, now that the discriminator is ``tag``."""
        core = self.core
        branch = core.choices.get(tag) if type(tag) in (str, int) else None
        if branch is None or type(branch.core) is not ModelCore:
            if branch is None and self.pos is not None:
                # No branch has this tag: say so now, at the discriminator.
                result = self.pos.validate({self.cur_key: tag})
                if type(result) is Failed:
                    errors = errors_at(result, self.loc)
                    if all(e["type"] == "union_tag_invalid" for e in errors):
                        engine.emit(FieldInvalid((*self.path, self.cur_key), errors))
            return RawFrame(self.pos, self.path, self.loc)
        frame = ModelFrame(self.pos, branch.core, self.path, self.loc)
        frame.base = (*self.loc, tag)
        frame.layers = (*branch.layers, core.shallow, *self.layers)
        for key, raw in self.buf:
            frame.replay(engine, key, raw)
        return frame


def _construct(cls: Any, values: dict[str, Any], seen: set[str]) -> Any:
    """A partial instance whose ``__dict__`` is the frame's live ``values``."""
    try:
        obj = cls.model_construct(_fields_set=seen, **values)
    except Exception:  # a model_post_init that cannot take partial data
        obj = cls.__new__(cls)
        object.__setattr__(obj, "__pydantic_extra__", None)
        object.__setattr__(obj, "__pydantic_private__", None)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", seen)
    return obj
