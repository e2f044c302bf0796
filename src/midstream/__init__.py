"""midstream: parse LLM output while it streams.

Sans-I/O parsers that turn a model's answer, fed chunk by chunk, into events
the moment each piece of structure completes: :class:`JsonStream` (JSON
values with paths), :class:`ModelStream` (validated into a Pydantic model),
:class:`ToolCallAssembler` (tool calls), :class:`CodeBlocks` (fenced code),
:class:`ObjectExtractor` (JSON values in prose or JSON Lines),
:class:`SSEDecoder`, and the text splitters :class:`Lines`,
:class:`Sentences` and :class:`Words`. Adapters connect them to the openai SDK
and to any sync or async iterable.
"""

from __future__ import annotations

import contextlib

from . import _json_core
from ._adapters import aiter_events, astream_events, iter_events, stream_events
from ._errors import (
    ErrorKind,
    IncompleteJsonError,
    JsonSyntaxError,
    LimitExceededError,
    ModelRefused,
    ParseError,
    StreamError,
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
    ProviderError,
    ReasoningDelta,
    RefusalDelta,
    ServerSentEvent,
    StringDelta,
    TextDelta,
    ToolArgumentsDelta,
    ToolCallDone,
    ToolCallError,
    ToolCallStart,
    Truncated,
    Usage,
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

#: True when the JSON core was compiled by mypyc (wheels built with
#: ``pip install .``), False for the pure Python source (``pip install -e .``).
#: Both behave the same; the compiled one is two to three times faster.
COMPILED: bool = not _json_core.__file__.endswith(".py")

__all__ = [
    "COMPILED",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_EVENT_SIZE",
    "DEFAULT_MAX_HOLD",
    "DEFAULT_MAX_NESTING",
    "DEFAULT_MAX_NUMBER_LENGTH",
    "DEFAULT_MAX_OBJECT_LENGTH",
    "DEFAULT_MAX_STRING_LENGTH",
    "DEFAULT_MAX_UNIT_LENGTH",
    "BadRecord",
    "CodeBlockDone",
    "CodeBlockStart",
    "CodeBlocks",
    "CodeDelta",
    "ContentDelta",
    "ErrorKind",
    "Event",
    "FieldInvalid",
    "FieldValidated",
    "Finish",
    "IncompleteJsonError",
    "ItemInvalid",
    "JSONValue",
    "JsonEvent",
    "JsonStream",
    "JsonSyntaxError",
    "LimitExceededError",
    "Lines",
    "ModelRefused",
    "ModelStream",
    "ObjectAbandoned",
    "ObjectDone",
    "ObjectExtractor",
    "ParseError",
    "Parser",
    "Path",
    "PathPattern",
    "ProviderError",
    "ReasoningDelta",
    "RefusalDelta",
    "SSEDecoder",
    "Sentences",
    "ServerSentEvent",
    "StreamError",
    "StreamTimeout",
    "StringDelta",
    "TextDelta",
    "ToolArgumentsDelta",
    "ToolCall",
    "ToolCallAssembler",
    "ToolCallDone",
    "ToolCallError",
    "ToolCallStart",
    "Truncated",
    "UnknownToolError",
    "Usage",
    "ValueDone",
    "ValueKind",
    "ValueStart",
    "Words",
    "aiter_events",
    "aiter_items",
    "aiter_objects",
    "astream_events",
    "astream_model",
    "iter_events",
    "iter_items",
    "iter_objects",
    "iter_sse",
    "iter_sse_json",
    "stream_events",
    "stream_model",
]

# Public names say they live in "midstream", not in a private module (as httpx does).
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("midstream._"):
        with contextlib.suppress(AttributeError, TypeError):  # aliases and constants
            _obj.__module__ = "midstream"
del _name, _obj
