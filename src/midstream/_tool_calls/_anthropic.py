"""Anthropic Messages stream events.

A call is a ``content_block_start`` with a ``tool_use``, ``server_tool_use``
or ``mcp_tool_use`` block (keyed by the block's index, which restarts with
each ``message_start``); its input comes as ``input_json_delta`` fragments,
or whole in the start block, and ends with ``content_block_stop``. Text is
``text_delta`` (or a ``text`` block's own text); ``thinking_delta`` is
reasoning, never content (citations and signatures are left out);
``message_delta``'s ``stop_reason`` finishes the choice (always 0), after a
``Usage`` of its ``usage`` merged over the one ``message_start`` gave (the
input tokens). An ``error`` event is a ``ProviderError`` (the stream ends after it).

Bedrock's InvokeModel with Claude streams these same events, each wrapped
as boto3 yields it, ``{"chunk": {"bytes": b'<the event as JSON>'}}`` (the
bytes base64-encoded where the event-stream message was decoded to JSON
only): the reader takes the wrapper and reads the event inside.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Final

from ._fields import Fields
from ._provider import as_dict, provider_error, usage
from ._reader import Reader
from ._table import OPEN, CallTable

__all__ = ["AnthropicReader"]

_TYPES: Final = frozenset(
    {
        "message_start",
        "message_delta",
        "message_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "ping",
        "error",
    }
)
_CALLS: Final = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})


class AnthropicReader(Reader):
    """Anthropic: content blocks (tool uses, text), their deltas and stops, the message's end."""

    __slots__ = ("_input", "_model")

    def __init__(self, table: CallTable, fields: Fields) -> None:
        super().__init__(table, fields)
        #: The model and the usage (input tokens) of the last ``message_start``.
        self._model: Any = None
        self._input: dict[str, Any] | None = None

    def claims(self, event: dict[str, Any]) -> bool:
        kind = event.get("type")
        if isinstance(kind, str):
            return kind in _TYPES
        return len(event) == 1 and "chunk" in event

    def read(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        table = self.table
        if kind is None and "chunk" in event:
            inner = self._unwrap(event["chunk"])
            if inner is not None and inner.get("type") in _TYPES:
                self.read(inner)
        elif kind == "content_block_delta":
            self._delta(event)
        elif kind == "content_block_start":
            self._block(event)
        elif kind == "content_block_stop":
            call = table.choice(0).by_key.get(event.get("index"))
            if call is not None:
                table.end_args(call)
        elif kind == "message_delta":
            raw_usage = event.get("usage")
            if raw_usage is not None:
                table.emit(usage(raw_usage, self._model, self._input))
            reason = self.fields.of(event.get("delta")).get("stop_reason")
            if reason:
                table.finish_choice(0, reason)
        elif kind == "message_start":
            # Block indexes restart with each message.
            choice = table.choice(0)
            choice.by_key.clear()
            choice.finished = False
            message = self.fields.of(event.get("message"))
            self._model = message.get("model")
            raw_usage = message.get("usage")
            self._input = as_dict(raw_usage) if raw_usage is not None else None
        elif kind == "error":
            table.emit(provider_error(event))

    def _delta(self, event: dict[str, Any]) -> None:
        table = self.table
        raw_delta = event.get("delta")
        delta = raw_delta if type(raw_delta) is dict else self.fields.of(raw_delta)
        delta_type = delta.get("type")
        if delta_type == "input_json_delta":
            choice = table.choice(0)
            block = event.get("index")
            call = choice.by_key.get(block)
            if call is None and choice.last is not None and choice.last.state == OPEN:
                # Recorded (vercel-ai anthropic-code-execution-pdf-skill): after a server
                # tool result, the next block_start repeats the result's index while its
                # deltas and stop carry the right one. The open call is the one meant.
                call = choice.by_key[block] = choice.last
            text = delta.get("partial_json")
            if call is not None and text:
                call.given = None  # the deltas, not the start block, hold the input
                table.feed_args(call, text)
        elif delta_type == "text_delta":
            text = delta.get("text")
            if text:
                table.content(0, text)
        elif delta_type == "thinking_delta":
            thought = delta.get("thinking")
            if thought:
                table.reasoning(0, thought)

    def _unwrap(self, chunk: Any) -> dict[str, Any] | None:
        """The event inside a Bedrock InvokeModel ``chunk`` (None if it holds none)."""
        data = self.fields.of(chunk).get("bytes")
        if isinstance(data, str):
            try:
                data = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                return None
        if not isinstance(data, (bytes, bytearray)):
            return None
        try:
            inner = json.loads(data)
        except (ValueError, RecursionError):
            return None
        return inner if isinstance(inner, dict) else None

    def _block(self, event: dict[str, Any]) -> None:
        table = self.table
        block = self.fields.with_extra(event.get("content_block"))
        block_type = block.get("type")
        if block_type in _CALLS:
            choice = table.choice(0)
            call_id = block.get("id")
            name = block.get("name")
            call = table.new_call(
                choice,
                0,
                event.get("index"),
                call_id if isinstance(call_id, str) else None,
                name if isinstance(name, str) else "",
                str(block_type),
            )
            call.given = block.get("input") or None
            choice.by_key[event.get("index")] = call
            table.start(call)
        elif block_type == "text":
            text = block.get("text")
            if text:
                table.content(0, text)
        elif block_type == "thinking":
            thought = block.get("thinking")
            if thought:
                table.reasoning(0, thought)
