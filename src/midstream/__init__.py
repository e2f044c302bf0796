"""midstream: parse LLM output while it streams."""

from __future__ import annotations

from ._adapters import aiter_events, astream_events, iter_events, stream_events
from ._errors import (
    ErrorKind,
    IncompleteJsonError,
    JsonSyntaxError,
    LimitExceededError,
    ParseError,
    StreamTimeout,
)
from ._events import (
    BadRecord,
    CodeBlockDone,
    CodeBlockStart,
    CodeDelta,
    ContentDelta,
    Event,
    FieldInvalid,
    FieldValidated,
    Finish,
    ItemInvalid,
    JsonEvent,
    ObjectAbandoned,
    ObjectDone,
    ServerSentEvent,
    StringDelta,
    TextDelta,
    ToolArgumentsDelta,
    ToolCallDone,
    ToolCallError,
    ToolCallStart,
    Truncated,
    ValueDone,
    ValueKind,
    ValueStart,
)
from ._json_core import DEFAULT_MAX_DEPTH, DEFAULT_MAX_NUMBER_LENGTH, DEFAULT_MAX_STRING_LENGTH
from ._json_stream import JsonStream
from ._markdown import DEFAULT_MAX_HOLD, DEFAULT_MAX_NESTING, CodeBlocks
from ._objects import (
    DEFAULT_MAX_OBJECT_LENGTH,
    ObjectExtractor,
    aiter_items,
    aiter_objects,
    iter_items,
    iter_objects,
)
from ._paths import PathPattern
from ._pydantic import ModelStream, astream_model, stream_model
from ._splitters import DEFAULT_MAX_UNIT_LENGTH, Lines, Sentences, Words
from ._sse import DEFAULT_MAX_EVENT_SIZE, SSEDecoder, iter_sse, iter_sse_json
from ._tool_calls import ToolCall, ToolCallAssembler, UnknownToolError
from ._types import JSONValue, Parser, Path

__version__ = "0.1.0"
