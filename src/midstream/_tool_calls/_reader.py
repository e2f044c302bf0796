"""The base of every wire format's reader."""

from __future__ import annotations

from typing import Any

from ._fields import Fields
from ._table import CallTable

__all__ = ["Reader"]


class Reader:
    """Turns one wire format's events into operations on a :class:`CallTable`.

    One per format and assembler, made with the assembler's table and field
    reader; it may keep state of its own (the text received per content
    part, say), but every call, choice and event belongs to the table.
    """

    __slots__ = ("fields", "table")

    def __init__(self, table: CallTable, fields: Fields) -> None:
        self.table = table
        self.fields = fields

    def claims(self, event: dict[str, Any]) -> bool:
        """Whether an event is of this format, by its shape (``format="auto"``)."""
        raise NotImplementedError

    def read(self, event: dict[str, Any]) -> None:
        """Apply one event (its fields, see :class:`Fields`) to the table."""
        raise NotImplementedError
