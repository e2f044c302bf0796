"""Running a ToolCallAssembler over a list of provider events (the wire-format tests share it)."""

from __future__ import annotations

from typing import Any

from midstream._tool_calls import ToolCallAssembler


def feed_each(events: list[Any], **kw: Any) -> tuple[list[list[Any]], ToolCallAssembler]:
    """The events of each feed() of a fresh assembler, then those of close() as the last list."""
    acc = ToolCallAssembler(**kw)
    per = [acc.feed(e) for e in events]
    per.append(acc.close())
    return per, acc


def flat(per: list[list[Any]]) -> list[Any]:
    return [e for evs in per for e in evs]


def of(kind: type, events: list[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]
