"""OpenAI Responses API stream events (``response.*``).

A call is an output item (``response.output_item.added`` with a
``function_call``, ``mcp_call`` or ``custom_tool_call`` item); its arguments
come as ``response.function_call_arguments.delta`` (``mcp_call_arguments``,
``custom_tool_call_input``) and end with the matching ``*.done`` event, which
repeats them whole, or with ``response.output_item.done``. A custom tool's
input is free text (:class:`TextInput`). Text is ``response.output_text.delta``
(or, from some servers, only ``.done``); ``response.reasoning_summary_text.delta``
and ``response.reasoning_text.delta`` are reasoning; ``response.completed``,
``.incomplete`` and ``.failed`` finish the choice (always 0), after a
``Usage`` of the response's ``usage`` and, for a failure, a ``ProviderError``
of its ``error`` (unless an ``error`` event said it already). A refusal is
``response.refusal.delta`` (or only ``.done``): ``RefusalDelta`` events.
"""

from __future__ import annotations

from typing import Any, Final

from .._events import RefusalDelta
from ._fields import Fields
from ._provider import provider_error, usage
from ._reader import Reader
from ._table import Call, CallTable, TextInput

__all__ = ["ResponsesReader"]

_CALLS: Final = frozenset({"function_call", "mcp_call", "custom_tool_call"})
#: A call to a custom (free-form) tool: its input is text, not JSON.
_CUSTOM: Final = "custom_tool_call"
_ARGS_DELTA: Final = frozenset(
    {
        "response.function_call_arguments.delta",
        "response.mcp_call_arguments.delta",
        "response.custom_tool_call_input.delta",
    }
)
#: The events that end a call's arguments, and the field holding them whole.
_ARGS_DONE: Final = {
    "response.function_call_arguments.done": "arguments",
    "response.mcp_call_arguments.done": "arguments",
    "response.custom_tool_call_input.done": "input",
}
_END: Final = frozenset({"response.completed", "response.incomplete", "response.failed"})
#: Text events: (delta or done, the field of the done event holding the text whole).
_TEXT: Final = {
    "response.output_text.delta": (True, "text"),
    "response.output_text.done": (False, "text"),
    "response.refusal.delta": (True, "refusal"),
    "response.refusal.done": (False, "refusal"),
}
#: Reasoning text (a summary, or the raw text from open models): never content.
_REASONING: Final = frozenset(
    {"response.reasoning_summary_text.delta", "response.reasoning_text.delta"}
)


class ResponsesReader(Reader):
    """Responses: output items, their argument deltas and ends, text, the response's end."""

    __slots__ = ("_content",)

    def __init__(self, table: CallTable, fields: Fields) -> None:
        super().__init__(table, fields)
        #: Text received per content part (item id, content index).
        self._content: dict[Any, list[str]] = {}

    def claims(self, event: dict[str, Any]) -> bool:
        kind = event.get("type")
        return isinstance(kind, str) and kind.startswith("response.")

    def read(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        table = self.table
        if kind in _ARGS_DELTA:
            call = self._call(event)
            delta = event.get("delta")
            if call is not None and delta:
                table.feed_args(call, delta)
        elif kind in _TEXT:
            self._text(event, kind)
        elif kind in _REASONING:
            delta = event.get("delta")
            if delta and isinstance(delta, str):
                table.reasoning(0, delta)
        elif kind == "response.output_item.added":
            item = self.fields.with_extra(event.get("item"))
            if item.get("type") in _CALLS:
                self._item(event, item)
        elif kind in _ARGS_DONE:
            call = self._call(event)
            if call is not None:
                table.input_done(call, event.get(_ARGS_DONE[kind]))
        elif kind == "response.output_item.done":
            item = self.fields.with_extra(event.get("item"))
            if item.get("type") in _CALLS:
                call = table.choice(0).by_key.get(item.get("id"))
                if call is None:  # its earlier events are missing: take it whole
                    call = self._item(event, item)
                whole = item.get("input" if call.type == _CUSTOM else "arguments")
                table.input_done(call, whole)
        elif kind in _END:
            self._end(event, str(kind))
        elif kind == "error":  # claimed by the Anthropic reader in "auto": the same shape
            table.emit(provider_error(event))

    def _text(self, event: dict[str, Any], kind: Any) -> None:
        """Output text or refusal text, as deltas or (some servers) only in the done event."""
        delta_event, field = _TEXT[kind]
        refusal = field == "refusal"
        key = (event.get("item_id"), event.get("content_index"), refusal)
        if delta_event:
            self._delta(key, event.get("delta"))
            return
        # Some servers (LM Studio) send the text only in the .done event.
        text = event.get(field)
        seen = "".join(self._content.get(key, ()))
        if isinstance(text, str) and len(text) > len(seen) and text.startswith(seen):
            self._content[key] = [text]
            self._say(refusal, text[len(seen) :])

    def _delta(self, key: tuple[Any, Any, bool], delta: Any) -> None:
        """One more piece of a content part's text (``key[2]``: a refusal's)."""
        if delta:
            self._content.setdefault(key, []).append(delta)
            self._say(key[2], delta)

    def text_of(self, event: dict[str, Any]) -> tuple[Any, Any, str] | None:
        """The item id, content index and text of an output text delta; else None.

        The commonest event of a Responses stream: :meth:`feed_text` reads one
        that differs from it only in the text (see ``ProviderPipeline.hot_string``).
        """
        if event.get("type") != "response.output_text.delta":
            return None
        delta = event.get("delta")
        if type(delta) is not str:
            return None
        return event.get("item_id"), event.get("content_index"), delta

    def feed_text(self, item_id: Any, content_index: Any, delta: str) -> None:
        """What :meth:`read` does with an event :meth:`text_of` told."""
        self._delta((item_id, content_index, False), delta)

    def _say(self, refusal: bool, text: str) -> None:
        if refusal:
            self.table.emit(RefusalDelta(0, text))
        else:
            self.table.content(0, text)

    def _item(self, event: dict[str, Any], item: dict[str, Any]) -> Call:
        table = self.table
        choice = table.choice(0)
        item_id = item.get("id")
        call = choice.by_key.get(item_id)
        if call is not None:
            return call
        kind = item.get("type")
        call_id = item.get("call_id") or (item_id if kind == "mcp_call" else None)
        name = item.get("name")
        call = table.new_call(
            choice,
            0,
            event.get("output_index"),
            call_id if isinstance(call_id, str) else None,
            name if isinstance(name, str) else "",
            "function" if kind == "function_call" else str(kind),
            TextInput() if kind == _CUSTOM else None,
        )
        choice.by_key[item_id] = call
        table.start(call)
        return call

    def _call(self, event: dict[str, Any]) -> Call | None:
        choice = self.table.choice(0)
        call = choice.by_key.get(event.get("item_id"))
        if call is None:
            index = event.get("output_index")
            for candidate in choice.calls:
                if candidate.index == index:
                    return candidate
        return call

    def _end(self, event: dict[str, Any], kind: str) -> None:
        table = self.table
        response = self.fields.of(event.get("response"))
        error = response.get("error")
        if error is not None and not table.errors:  # not said already by an "error" event
            table.emit(provider_error(error))
        raw_usage = response.get("usage")
        if raw_usage is not None:
            table.emit(usage(raw_usage, response.get("model")))
        status = response.get("status")
        reason: Any = status if isinstance(status, str) else kind[len("response.") :]
        details = response.get("incomplete_details")
        if details is not None:
            detail = self.fields.of(details).get("reason")
            if isinstance(detail, str):
                reason = detail
        table.finish_choice(0, reason)
