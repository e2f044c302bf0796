"""Types shared by every parser: paths, JSON values and the parser protocol."""

from __future__ import annotations

from typing import Protocol, TypeAlias, TypeVar

__all__ = ["JSONValue", "Parser", "Path"]

#: Where a value sits in a JSON document: object keys (``str``) and array
#: indexes (``int``) from the root down. ``()`` is the root itself.
Path: TypeAlias = "tuple[str | int, ...]"

#: A decoded JSON value, as :func:`json.loads` returns it.
JSONValue: TypeAlias = dict[str, "JSONValue"] | list["JSONValue"] | str | int | float | bool | None

E = TypeVar("E")


class Parser(Protocol[E]):
    """What every midstream parser is: text in through ``feed()``, events out.

    ``feed("")`` does nothing; only ``close()`` ends the stream.
    """

    def feed(self, text: str, /) -> list[E]: ...

    def close(self) -> list[E]: ...
