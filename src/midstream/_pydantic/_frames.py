"""Open containers, one class per kind: what each collects, and how it closes.

The engine keeps a stack of frames, one per open object or array of the
document. A frame is told when a child begins (:meth:`Frame.enter`) and ends
(:meth:`Frame.child_done`), gives its own result when it closes
(:meth:`Frame.close`), and builds the partial value (:meth:`Frame.sync`).
Models and discriminated unions are in :mod:`._model_frame`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from . import _passthrough as passthrough
from ._outcome import NO, Failed, Loc, shown
from ._plan import DictCore, ListCore, Position

if TYPE_CHECKING:
    from pydantic_core import SchemaValidator

    from .._types import Path
    from ._engine import Engine


class Frame:
    """One open object or array, and what it has collected so far."""

    __slots__ = (
        "active",
        "base",
        "cause",
        "cur_key",
        "cur_loc",
        "cur_pos",
        "depth",
        "failed",
        "layers",
        "limit",
        "loc",
        "path",
        "pos",
    )

    #: Whether the partial value is built by this frame (or is the raw JSON so far).
    typed: ClassVar[bool] = True

    def __init__(self, pos: Position | None, path: Path, loc: Loc) -> None:
        self.pos = pos
        self.layers: tuple[SchemaValidator, ...] = pos.layers if pos is not None else ()
        self.path = path
        self.depth = len(path)
        self.loc = loc  # where pydantic locates the frame's own errors
        self.base = loc  # the loc its children extend (a union branch adds its tag)
        self.active = False  # a child is in progress
        self.cur_key: Any = None
        self.cur_loc: Any = None
        self.cur_pos: Position | None = None
        self.failed: dict[Any, Failed] | None = None
        self.limit: int | None = None  # the max_length its children are counted against
        self.cause: Path | None = None  # the path the first failed child's event reported

    def enter(self, key: Any) -> None:
        """A child begins at ``key``: set ``cur_pos`` to its position (None: not validated)."""
        self.active = True
        self.cur_key = key
        self.cur_pos = None

    def on_key(self, engine: Engine, key: str) -> None:
        """A key completed (before its value begins)."""

    def count(self) -> tuple[str, int, Any]:
        """Its kind, how many children it has with the one just begun, and its value so far."""
        raise NotImplementedError  # only frames with a ``limit`` are counted

    def child_done(self, engine: Engine, path: Path, raw: Any, result: Any) -> None:
        """The child in progress completed with ``result`` (NO: not validated)."""
        self.active = False

    def close(self, engine: Engine, raw: Any) -> Any:
        """The frame's result, now that its container (``raw``) closed."""
        return self.pos.validate(raw) if self.pos is not None else NO

    def sync(self, child: Any) -> Any:
        """Put the child in progress into the partial value; return that value."""
        raise NotImplementedError  # only typed frames build partial values

    def copy(self, value: Any, inner: Any, inner_copy: Any) -> Any:
        """A shallow copy of ``value`` (what :meth:`sync` returned), ``inner`` in it swapped.

        ``inner`` is the open value inside this one (NO: none), which sits at
        the child in progress; ``inner_copy`` takes its place in the copy.
        """
        raise NotImplementedError  # only typed frames build partial values

    def layered(self, result: Any, raw: Any) -> Any:
        """``result`` through the ``mode="after"`` validators around the container."""
        for layer in self.layers:  # (usually none)
            result = passthrough.run(layer, raw, result)
        return result

    def repeated(self, result: Any) -> Path | None:
        """The ``cause`` of the frame's failure: the first failed child, if that is all it is.

        The frame's errors are then exactly its failed children's (as many:
        pydantic prefixes them, adds none of the container's own).
        """
        failed = self.failed
        if not failed or type(result) is not Failed:
            return None
        theirs = sum(len(child.error.errors()) for child in failed.values())
        return self.cause if len(result.error.errors()) == theirs else None

    def fail(self, key: Any, result: Any) -> None:
        """Keep (or forget, on success) the failure of the child at ``key``."""
        if type(result) is Failed:
            if self.failed is None:
                self.failed = {}
            self.failed[key] = result
        elif self.failed:
            self.failed.pop(key, None)


class RawFrame(Frame):
    """Nothing validated inside: ``pos`` (if any) validates the whole when it closes.

    A fallback type, a value nobody validates (an extra key), or a union whose
    discriminator named no model.
    """

    __slots__ = ()
    typed = False


class ListFrame(Frame):
    __slots__ = ("core", "i", "out", "placeholder")

    def __init__(self, pos: Position, core: ListCore, path: Path, loc: Loc) -> None:
        super().__init__(pos, path, loc)
        self.core = core
        self.out: list[Any] = []
        self.placeholder = False  # out[-1] is the partial item shown by sync()
        self.i = 0  # the pass-through's cursor
        self.limit = core.max_length

    def count(self) -> tuple[str, int, Any]:
        return "array", self.cur_key + 1, list(self.out)

    def enter(self, key: Any) -> None:
        self.active = True
        self.cur_key = key
        self.cur_pos = self.core.item
        self.cur_loc = key

    def child_done(self, engine: Engine, path: Path, raw: Any, result: Any) -> None:
        self.active = False
        value = shown(result)
        out = self.out
        if self.placeholder:
            out[-1] = value
            self.placeholder = False
        else:
            out.append(value)
        if type(result) is Failed:
            self.fail(len(out) - 1, result)

    def close(self, engine: Engine, raw: Any) -> Any:
        self.i = 0
        return self.layered(passthrough.run(self.core.shallow, raw, self), raw)

    def sync(self, child: Any) -> Any:
        if child is not NO and self.active:
            if self.placeholder:
                self.out[-1] = child
            else:
                self.out.append(child)
                self.placeholder = True
        return self.out

    def copy(self, value: Any, inner: Any, inner_copy: Any) -> Any:
        out = list(value)
        if inner is not NO and out and out[-1] is inner:
            out[-1] = inner_copy
        return out


class DictFrame(Frame):
    __slots__ = ("core", "it", "out")

    def __init__(self, pos: Position, core: DictCore, path: Path, loc: Loc) -> None:
        super().__init__(pos, path, loc)
        self.core = core
        self.out: dict[Any, Any] = {}
        self.it: Any = None  # the pass-through's cursor
        self.limit = core.max_length

    def count(self) -> tuple[str, int, Any]:
        return "object", len(self.out) + (self.cur_key not in self.out), dict(self.out)

    def enter(self, key: Any) -> None:
        self.active = True
        self.cur_key = key
        self.cur_pos = self.core.value
        self.cur_loc = key

    def child_done(self, engine: Engine, path: Path, raw: Any, result: Any) -> None:
        self.active = False
        key = self.cur_key
        self.out[key] = shown(result)
        self.fail(key, result)

    def close(self, engine: Engine, raw: Any) -> Any:
        self.it = iter(self.out)
        return self.layered(passthrough.run(self.core.shallow, raw, self), raw)

    def sync(self, child: Any) -> Any:
        if child is not NO and self.active:
            self.out[self.cur_key] = child
        return self.out

    def copy(self, value: Any, inner: Any, inner_copy: Any) -> Any:
        out = dict(value)
        if inner is not NO and out.get(self.cur_key) is inner:
            out[self.cur_key] = inner_copy
        return out
