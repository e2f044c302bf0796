"""The wire format ``midstream-events/1``: message names, framing, JSON helpers.

Only this module knows how a message is written as bytes (one SSE event, one
JSON text). A message is a plain ``dict`` that is whole without its framing:
``type`` and ``seq`` are inside it, so it can travel over a WebSocket, into a
log or through Redis unchanged. See ``docs/protocol.md``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any, Final

__all__ = [
    "PROTOCOL",
    "Message",
    "clean_errors",
    "dumps",
    "frame_json",
    "ping_frame",
    "sse_frame",
    "sse_frames",
    "to_jsonable",
]

#: The protocol name and version; a snapshot carries it as ``protocol``.
PROTOCOL: Final = "midstream-events/1"

#: A protocol message: a JSON object with at least ``type`` and ``seq``.
Message = dict[str, Any]

#: The comment a server sends to keep a quiet connection open (proxies close idle ones).
_PING: Final = b": ping\n\n"


def to_jsonable(value: Any) -> Any:
    """``value`` as JSON data: pydantic models dumped in JSON mode, tuples as lists.

    Validated values can be anything pydantic returns (a ``datetime``, a model,
    an enum); the wire only carries JSON, in pydantic's own JSON rendering.
    """
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, fallback=str)


def clean_errors(errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """pydantic's error dicts reduced to what a page shows: ``type``, ``loc``, ``msg``.

    The ``input`` would resend the value the client already has, and ``ctx``
    may hold exceptions that are not JSON.
    """
    return [
        {"type": str(e.get("type", "")), "loc": list(e.get("loc", ())),
         "msg": str(e.get("msg", ""))}
        for e in errors
    ]


def dumps(message: Message) -> str:
    """The JSON text of a message, on one line.

    Non-ASCII text is written as is (a third of the bytes of ``\\uXXXX``),
    except where it holds a lone surrogate, which UTF-8 cannot carry.
    """
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(message, separators=(",", ":"), allow_nan=False)
    return text


def sse_frame(message: Message) -> bytes:
    """One SSE event: ``id:`` the seq, ``event:`` the type, ``data:`` the JSON.

    JSON text holds no raw line break, so one ``data:`` line carries it whole.
    """
    head = f"id: {message['seq']}\nevent: {message['type']}\ndata: "
    return (head + dumps(message) + "\n\n").encode("utf-8")


def frame_json(frame: bytes) -> str:
    """The JSON text of a message back out of its SSE frame (for a WebSocket)."""
    start = frame.index(b"\ndata: ") + 7
    return frame[start:-2].decode("utf-8")


def sse_frames(messages: Iterable[Message]) -> bytes:
    """The SSE events of several messages, joined."""
    return b"".join(sse_frame(m) for m in messages)


def ping_frame() -> bytes:
    """An SSE comment: ignored by every client, but it keeps the connection alive."""
    return _PING
