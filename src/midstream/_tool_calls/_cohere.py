"""Cohere v2 chat stream events (``/v2/chat``), as dicts or the cohere SDK's objects.

A call is a ``tool-call-start`` (keyed by its ``index``) whose
``delta.message.tool_calls`` is one call object, not a list, with an ``id``,
a ``function.name`` and a first ``function.arguments`` fragment (often
``""``); ``tool-call-delta`` events bring more fragments, and ``tool-call-end``
ends it (a call without fragments is ``{}``). ``tool-plan-delta`` (the plan the
model writes before calling tools) and ``thinking`` content are reasoning;
``text`` content (``content-start``, ``content-delta``) is content; citations
are left out. ``message-end``'s ``finish_reason`` (``COMPLETE``,
``TOOL_CALL``, ``MAX_TOKENS`` is the token limit, ``ERROR``, ``TIMEOUT``)
finishes the choice (always 0), after a :class:`Usage` from its ``usage`` and,
for an ``error``, a :class:`ProviderError`.
"""

from __future__ import annotations

from typing import Any, Final

from .._events import ProviderError
from ._provider import usage_of
from ._reader import Reader

__all__ = ["CohereReader"]

_TYPES: Final = frozenset(
    {
        "message-start",
        "content-start",
        "content-delta",
        "content-end",
        "tool-plan-delta",
        "tool-call-start",
        "tool-call-delta",
        "tool-call-end",
        "citation-start",
        "citation-end",
        "message-end",
        "debug",
    }
)


class CohereReader(Reader):
    """Cohere v2: tool calls keyed by index, text and thinking content, the message's end."""

    __slots__ = ()

    def claims(self, event: dict[str, Any]) -> bool:
        kind = event.get("type")
        return isinstance(kind, str) and kind in _TYPES

    def read(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        table = self.table
        if kind == "tool-call-delta":
            call = table.choice(0).by_key.get(event.get("index"))
            if call is not None:
                for entry in self._calls(event):
                    fragment = self.fields.of(entry.get("function")).get("arguments")
                    if fragment:
                        table.feed_args(call, fragment)
        elif kind == "content-delta" or kind == "content-start":
            content = self.fields.of(self._message(event).get("content"))
            text = content.get("text")
            if text and isinstance(text, str):
                table.content(0, text)
            thought = content.get("thinking")
            if thought and isinstance(thought, str):
                table.reasoning(0, thought)
        elif kind == "tool-plan-delta":
            plan = self._message(event).get("tool_plan")
            if plan and isinstance(plan, str):
                table.reasoning(0, plan)
        elif kind == "tool-call-start":
            for entry in self._calls(event):
                self._start(event, entry)
        elif kind == "tool-call-end":
            call = table.choice(0).by_key.get(event.get("index"))
            if call is not None:
                table.end_args(call)
        elif kind == "message-end":
            self._end(self.fields.with_extra(event.get("delta")))
        elif kind == "message-start":
            choice = table.choice(0)
            choice.by_key.clear()
            choice.finished = False

    def _message(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.fields.of(self.fields.of(event.get("delta")).get("message"))

    def _calls(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """The event's call object (one, though named ``tool_calls``; a list is taken too)."""
        calls = self._message(event).get("tool_calls")
        if calls is None:
            return []
        if isinstance(calls, (list, tuple)):
            return [self.fields.of(entry) for entry in calls]
        return [self.fields.of(calls)]

    def _start(self, event: dict[str, Any], entry: dict[str, Any]) -> None:
        table = self.table
        choice = table.choice(0)
        function = self.fields.of(entry.get("function"))
        index = event.get("index")
        call_id = entry.get("id")
        name = function.get("name")
        call = table.new_call(
            choice,
            0,
            index,
            call_id if isinstance(call_id, str) and call_id else None,
            name if isinstance(name, str) else "",
            "function",
        )
        choice.by_key[index] = call
        table.start(call)
        fragment = function.get("arguments")
        if fragment:
            table.feed_args(call, fragment)

    def _end(self, delta: dict[str, Any]) -> None:
        table = self.table
        raw = delta.get("usage")
        if raw is not None:
            counts = self.fields.of(raw)
            tokens = self.fields.of(counts.get("tokens") or counts.get("billed_units"))
            inputs, outputs = tokens.get("input_tokens"), tokens.get("output_tokens")
            if inputs is not None or outputs is not None:  # an ERROR's usage is empty
                table.emit(usage_of(inputs, outputs, None, None, raw))
        error = delta.get("error")
        reason = delta.get("finish_reason")
        if error:
            kind = delta.get("error_type")
            table.emit(
                ProviderError(
                    kind if isinstance(kind, str) else None, None, str(error)
                )
            )
            reason = reason or "ERROR"
        table.finish_choice(0, reason)
