"""Reading an event's fields, whether it came as a dict or as an SDK object.

Every reader reads plain ``dict[str, Any]``: the compiled build looks items up
in a dict without the generic mapping protocol, and one reader serves dicts
and SDK objects alike. An SDK object (a pydantic model) keeps its fields in
``__dict__``, which is such a dict: reading it costs one attribute read, less
than reading the fields as attributes (a pydantic class's ``__getattr__`` hook
makes every attribute read a Python call; by valgrind, 1.2k instructions for
three fields against 1.6k).

Which class keeps its fields that way is learned on sight and remembered by
a :class:`Fields`, which belongs to one reader or assembler, never to the
process: a fresh assembler takes the same path for the same events whatever
was fed before, anywhere. A :class:`Fields` remembers one class, the last it
read through ``__dict__``: a hot place that reads objects of one class (a
Chat chunk's choices, its deltas...) has a :class:`Fields` of its own, and
then knows its objects by one identity test (a set of classes costs a hash
lookup, by valgrind 80 instructions an object, 6% of a chunk).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["EMPTY", "Fields"]

#: The fields of a missing object (None). Shared: never changed.
EMPTY: Final[dict[str, Any]] = {}


class Fields:
    """Reads objects' fields as dicts; one per place that reads objects of one class."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        #: The class last read through ``__dict__`` here (None before any).
        self.last: type | None = None

    def of(self, obj: Any) -> dict[str, Any]:
        """The fields of a dict, of None (none) or of an SDK object; never to be changed.

        Raises:
            TypeError: ``obj`` is neither a mapping nor an SDK object.
        """
        if type(obj) is dict:
            return obj
        if type(obj) is self.last:
            return obj.__dict__
        return self._learn(obj)

    def with_extra(self, obj: Any) -> dict[str, Any]:
        """Like :meth:`of`, with a pydantic model's extra fields too.

        An SDK older than the stream puts a block type it does not know (an MCP
        tool use in a non-beta Anthropic SDK) into another class, and its id and
        name into the extras. Used once per block or item, not per delta.
        """
        fields = self.of(obj)
        extra = getattr(obj, "__pydantic_extra__", None)
        if extra and fields is not obj:
            return {**extra, **fields}
        return fields

    def extra(self, obj: Any) -> dict[str, Any]:
        """A pydantic model's extra fields (those its class does not declare), or none.

        Where an SDK keeps a provider's own additions to its format (the openai
        SDK, DeepSeek's ``reasoning_content``): read only when the declared
        fields did not have what was looked for.
        """
        extra = getattr(obj, "__pydantic_extra__", None)
        return extra if type(extra) is dict else EMPTY

    def _learn(self, obj: Any) -> dict[str, Any]:
        if isinstance(obj, dict):  # a subclass of dict
            return obj
        if isinstance(obj, Mapping):
            return dict(obj)
        if obj is None:
            return EMPTY
        fields = getattr(obj, "__dict__", None)
        if type(fields) is dict:
            self.last = type(obj)
            return fields
        dump = getattr(obj, "model_dump", None)
        if callable(dump):
            dumped = dump()
            if isinstance(dumped, Mapping):
                return dict(dumped)
        raise TypeError(f"expected a dict or an SDK event object, got {type(obj).__name__}")
