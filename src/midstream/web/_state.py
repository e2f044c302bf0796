"""``StreamState``: a client of ``midstream-events/1`` in Python (the twin of midstream.js).

It rebuilds, message by message, the value and the field states that
``JsonStream`` / ``ModelStream`` had on the server, at a cost proportional to
each message: a path is walked once (its depth), a string grows by a list of
pieces joined only when it is read. Duplicates (``seq`` already applied) are
dropped; a ``snapshot`` starts over. The server keeps one too: it is what a
``snapshot`` message is made from.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from .._types import Path
from ._protocol import PROTOCOL, Message

__all__ = ["Field", "FieldState", "StreamState"]

#: A field's state: begun, complete (not validated), validated, or failed validation.
FieldState: TypeAlias = Literal["partial", "complete", "valid", "invalid"]

_EMPTY: dict[str, Any] = {"object": {}, "array": [], "string": ""}


@dataclass(slots=True)
class Field:
    """The state of one value: ``errors`` when invalid, ``value`` when validation changed it."""

    state: FieldState
    errors: list[dict[str, Any]] | None = None
    value: Any = None


class StreamState:
    """The value, field states and other content of one stream, rebuilt from its messages.

    ``value`` is the JSON value so far (None before it starts), ``fields``
    maps each path (a tuple) to its :class:`Field`. ``text`` holds plain text
    by channel (``content``, ``refusal``, ``reasoning``), ``tools`` the tool
    calls by ``(choice, index)``, ``code`` the code blocks, ``items`` the
    objects of an object stream, ``units`` the text units. Messages tagged
    with a ``stream`` go to ``streams[tag]``, a state of their own.
    """

    def __init__(self) -> None:
        self.seq = 0  # the last message applied
        self._reset()
        self.streams: dict[str, StreamState] = {}

    def _reset(self) -> None:
        self._value: Any = None
        self.fields: dict[Path, Field] = {}
        # The string growing now (one at a time in a JSON document): its
        # pieces, joined into the value only when somebody reads it.
        self._open: Path | None = None
        self._pieces: list[str] = []
        self._dirty = False  # pieces not yet in the value
        self._text: dict[str, list[str]] = {}
        self.tools: dict[tuple[int, int], dict[str, Any]] = {}
        self.code: dict[int, dict[str, Any]] = {}
        self.items: dict[int, dict[str, Any]] = {}
        self.units: list[tuple[str, str]] = []
        self.ended = False
        self.truncated: str | None = None
        self.error: dict[str, Any] | None = None
        self.finish: str | None = None
        self.usage: dict[str, Any] | None = None

    # --- reading ---------------------------------------------------------------

    @property
    def value(self) -> Any:
        """The JSON value so far (costs the open string's length, as ``snapshot()``)."""
        self._flush()
        return self._value

    @property
    def text(self) -> dict[str, str]:
        """Plain text received so far, by channel."""
        return {k: "".join(v) for k, v in self._text.items()}

    # --- applying ----------------------------------------------------------------

    def apply(self, message: Message) -> bool:
        """Apply one message; False when it was a duplicate (its ``seq`` already applied).

        A ``snapshot`` replaces everything, and is applied unless it is older
        than what this state has.
        """
        seq = message["seq"]
        if message["type"] == "snapshot":
            if seq < self.seq:
                return False
            self._load(message)
            self.streams = {
                tag: StreamState.from_snapshot(body)
                for tag, body in message.get("streams", {}).items()
            }
        else:
            if seq <= self.seq:
                return False
            tag = message.get("stream")
            target = self if tag is None else self.streams.setdefault(tag, StreamState())
            target._apply(message)
        self.seq = seq
        return True

    @classmethod
    def from_snapshot(cls, body: Message) -> StreamState:
        """A state holding what a snapshot body says."""
        state = cls()
        state._load(body)
        return state

    def _apply(self, msg: Message) -> None:
        t = msg["type"]
        if t == "append":
            self._append(tuple(msg["path"]), msg["text"])
        elif t == "start":
            path = tuple(msg["path"])
            self._flush()
            kind = msg["kind"]
            if kind in _EMPTY:
                self._place(path, type(_EMPTY[kind])())
            self.fields[path] = Field("partial")
        elif t == "set":
            path = tuple(msg["path"])
            self._place(path, msg["value"])
            self.fields[path] = Field("complete")
        elif t == "done":
            path = tuple(msg["path"])
            if self._open == path:
                self._flush()
                self._open = None
            self.fields[path] = Field("complete")
        elif t == "valid":
            self.fields[tuple(msg["path"])] = Field("valid", None, msg.get("value"))
        elif t == "invalid":
            self.fields[tuple(msg["path"])] = Field("invalid", msg["errors"])
        elif t == "text":
            self._text.setdefault(msg.get("channel", "content"), []).append(msg["text"])
        elif t == "tool_start":
            key = (msg["call"][0], msg["call"][1])
            self.tools[key] = {"id": msg["id"], "name": msg["name"], "text": [],
                               "state": "partial"}
        elif t.startswith("tool_"):
            self._tool(msg)
        elif t.startswith("code_"):
            self._code(msg)
        elif t.startswith("item"):
            self._item(msg)
        elif t == "unit":
            self.units.append((msg["kind"], msg["text"]))
        elif t == "finish":
            self.finish = msg["reason"]
        elif t == "usage":
            self.usage = {k: v for k, v in msg.items() if k not in ("type", "seq", "stream")}
        elif t == "truncated":
            self.truncated = msg["reason"] or "unfinished"
        elif t == "error":
            self.error = {"message": msg["message"], "error_type": msg.get("error_type")}
        elif t == "end":
            self.ended = True
        # Unknown types are skipped: a newer server may say more than this client knows.

    def _tool(self, msg: Message) -> None:
        call = self.tools.setdefault(
            (msg["call"][0], msg["call"][1]),
            {"id": None, "name": "", "text": [], "state": "partial"},
        )
        t = msg["type"]
        if t == "tool_append":
            call["text"].append(msg["text"])
        elif t == "tool_done":
            call["state"], call["arguments"] = "complete", msg["arguments"]
        elif t == "tool_error":
            call["state"], call["error"] = "invalid", msg["error"]

    def _code(self, msg: Message) -> None:
        t = msg["type"]
        if t == "code_start":
            self.code[msg["index"]] = {"lang": msg["lang"], "info": msg["info"], "text": [],
                                       "state": "partial"}
            return
        block = self.code.setdefault(
            msg["index"], {"lang": None, "info": "", "text": [], "state": "partial"}
        )
        if t == "code_append":
            block["text"].append(msg["text"])
        elif t == "code_done":
            block["state"] = "complete" if msg["error"] is None else "invalid"
            block["closed"], block["error"] = msg["closed"], msg["error"]

    def _item(self, msg: Message) -> None:
        t, index = msg["type"], msg["index"]
        if t == "item":
            self.items[index] = {"state": "complete", "value": msg["value"]}
        elif t == "item_invalid":
            self.items[index] = {"state": "invalid", "errors": msg["errors"]}
        elif t == "item_error":
            self.items[index] = {"state": "invalid", "error": msg["error"]}
        elif t == "item_abandoned":
            self.items.pop(index, None)

    # --- the value, in place ---------------------------------------------------------

    def _append(self, path: Path, text: str) -> None:
        if self._open != path:
            self._flush()
            self._open = path
            current = self._get(path)
            self._pieces = [current] if current else []
        self._pieces.append(text)
        self._dirty = True

    def _flush(self) -> None:
        """Join the open string's pieces into the value (it stays open)."""
        if self._dirty:
            assert self._open is not None
            joined = "".join(self._pieces)
            self._pieces = [joined]
            self._place(self._open, joined)
            self._dirty = False

    def _get(self, path: Path) -> Any:
        node = self._value
        for key in path:
            node = node[key]
        return node

    def _place(self, path: Path, value: Any) -> None:
        if not path:
            self._value = value
            return
        parent = self._get(path[:-1])
        key = path[-1]
        if isinstance(parent, list) and key == len(parent):
            parent.append(value)
        else:
            parent[key] = value

    # --- snapshots -------------------------------------------------------------------

    def snapshot_body(self) -> Message:
        """All this state holds, as the body of a ``snapshot`` message (no ``type``, ``seq``)."""
        body: Message = {"value": self.value, "fields": [
            _field_entry(path, f) for path, f in self.fields.items()
        ]}
        if self._text:
            body["text"] = self.text
        if self.tools:
            body["tools"] = [
                {**{k: v for k, v in call.items() if k != "text"},
                 "call": list(key), "text": "".join(call["text"])}
                for key, call in self.tools.items()
            ]
        if self.code:
            body["code"] = [
                {**{k: v for k, v in block.items() if k != "text"},
                 "index": i, "text": "".join(block["text"])}
                for i, block in self.code.items()
            ]
        if self.items:
            body["items"] = [{"index": i, **item} for i, item in self.items.items()]
        if self.units:
            body["units"] = [list(u) for u in self.units]
        for name in ("truncated", "error", "finish", "usage"):
            if getattr(self, name) is not None:
                body[name] = getattr(self, name)
        if self.ended:
            body["ended"] = True
        return body

    def snapshot(self, seq: int | None = None) -> Message:
        """A ``snapshot`` message of this state (and of its tagged streams)."""
        msg: Message = {"type": "snapshot", "seq": self.seq if seq is None else seq,
                        "protocol": PROTOCOL, **self.snapshot_body()}
        if self.streams:
            msg["streams"] = {tag: s.snapshot_body() for tag, s in self.streams.items()}
        return msg

    def _load(self, body: Message) -> None:
        self._reset()
        # A copy: the message may be applied elsewhere too, and this state grows in place.
        self._value = copy.deepcopy(body.get("value"))
        for entry in body.get("fields", ()):
            self.fields[tuple(entry["path"])] = Field(
                entry["state"], entry.get("errors"), entry.get("value")
            )
        self._text = {k: [v] for k, v in body.get("text", {}).items()}
        for call in body.get("tools", ()):
            key = (call["call"][0], call["call"][1])
            self.tools[key] = {k: v for k, v in call.items() if k != "call"}
            self.tools[key]["text"] = [call["text"]]
        for block in body.get("code", ()):
            self.code[block["index"]] = {k: v for k, v in block.items() if k != "index"}
            self.code[block["index"]]["text"] = [block["text"]]
        for item in body.get("items", ()):
            self.items[item["index"]] = {k: v for k, v in item.items() if k != "index"}
        self.units = [(u[0], u[1]) for u in body.get("units", ())]
        self.truncated = body.get("truncated")
        self.error = body.get("error")
        self.finish = body.get("finish")
        self.usage = body.get("usage")
        self.ended = bool(body.get("ended", False))


def _field_entry(path: Path, field: Field) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": list(path), "state": field.state}
    if field.errors is not None:
        entry["errors"] = field.errors
    if field.value is not None:
        entry["value"] = field.value
    return entry
