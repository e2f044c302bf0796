"""midstream's events to the browser: the ``midstream-events/1`` protocol over SSE or WebSocket.

Sans-I/O at the core (stdlib and pydantic only): :class:`Encoder` turns
events into messages, :class:`StreamState` rebuilds value and field states
from them, :class:`Channel` holds a stream's replay log and its clients'
bounded buffers. On top: :func:`merge` for several streams in one response,
:class:`EventStreamResponse` (plain ASGI; a Starlette ``Response`` when
Starlette is installed, so FastAPI returns it as is) and :class:`StreamHub`
for streams kept for resume. The browser client is ``static/midstream.js``.
"""

from __future__ import annotations

from ._asgi import EventStreamResponse, resume_point
from ._buffer import ClientBuffer
from ._channel import Channel
from ._encoder import Encoder, TextUnit
from ._hub import StreamHub
from ._merge import merge
from ._protocol import PROTOCOL, Message, sse_frame
from ._replay import ReplayLog
from ._state import Field, FieldState, StreamState
from ._static import ClientFiles

__all__ = [
    "PROTOCOL",
    "Channel",
    "ClientBuffer",
    "ClientFiles",
    "Encoder",
    "EventStreamResponse",
    "Field",
    "FieldState",
    "Message",
    "ReplayLog",
    "StreamHub",
    "StreamState",
    "TextUnit",
    "merge",
    "resume_point",
    "sse_frame",
]
