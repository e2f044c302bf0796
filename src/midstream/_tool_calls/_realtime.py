"""OpenAI Realtime API server events (function calls of a voice or text session).

A call is a ``response.output_item.added`` whose item is a ``function_call``
(keyed by the item's id; the call's id is the item's ``call_id``); its
arguments come as ``response.function_call_arguments.delta`` and are repeated
whole in ``response.function_call_arguments.done``.

Unlike the Responses API, ``.done`` does not end a call: Realtime sends it
(and ``response.output_item.done``) also when a response is interrupted (the
user spoke: ``turn_detected``), cancelled or cut at ``max_output_tokens``,
with the arguments cut where they stopped. A call's JSON closing is its end as
everywhere (:class:`ToolCallDone` at the closing delta); a call whose item
is done with ``status: "completed"`` ends there (no arguments: ``{}``);
anything still open when ``response.done`` reports another status
(``status_details.reason``: ``max_output_tokens``, ``content_filter``; or
``cancelled``, ``failed``) ends in :class:`ToolCallError`, empty arguments
included, never as a call. ``response.done`` finishes the choice (always 0)
and brings :class:`Usage`; ``response.created`` opens the next response of
the session (one assembler may follow a whole session). Text is
``response.output_text.delta`` or, for audio answers, the transcript
(``response.output_audio_transcript.delta``; the beta's ``response.text.delta``
and ``response.audio_transcript.delta`` too). An ``error`` event is a
:class:`ProviderError`.

Told from Responses API events (the same ``response.*`` types) by
``event_id``, which every Realtime server event carries and no Responses event
does (those carry ``sequence_number``).
"""

from __future__ import annotations

from typing import Any, Final

from .._errors import ErrorKind, IncompleteJsonError
from ._provider import provider_error, usage
from ._reader import Reader
from ._table import _ENDED, Call, CallTable, JsonArguments

__all__ = ["RealtimeReader"]

_TEXT: Final = frozenset(
    {
        "response.output_text.delta",
        "response.output_audio_transcript.delta",
        "response.text.delta",
        "response.audio_transcript.delta",
    }
)


class _CutUnlessEnded(JsonArguments):
    """JSON arguments that only the provider's end may complete when empty.

    A Realtime call cut before any arguments text (a response interrupted
    right after the item was added) is a cut call, not a call without
    arguments: the choice's end or the stream's leaves it unfinished.
    """

    __slots__ = ()

    def cut(self, table: CallTable, call: Call) -> None:
        if call.raw().strip(" \t\n\r"):
            table.end_args(call)
            return
        call.state = _ENDED
        call.pending = IncompleteJsonError(ErrorKind.UNEXPECTED_END, "", 0, 1, 1)


class RealtimeReader(Reader):
    """Realtime: function-call items, their argument deltas, item and response ends."""

    __slots__ = ()

    def claims(self, event: dict[str, Any]) -> bool:
        kind = event.get("type")
        return (
            isinstance(kind, str)
            and "event_id" in event
            and (kind.startswith("response.") or kind == "error")
        )

    def read(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        table = self.table
        if kind == "response.function_call_arguments.delta":
            call = self._call(event)
            delta = event.get("delta")
            if call is not None and delta:
                table.feed_args(call, delta)
        elif kind in _TEXT:
            delta = event.get("delta")
            if delta and isinstance(delta, str):
                table.content(0, delta)
        elif kind == "response.output_item.added":
            item = self.fields.with_extra(event.get("item"))
            if item.get("type") == "function_call":
                self._item(event, item)
        elif kind == "response.function_call_arguments.done":
            call = self._call(event)
            if call is not None:
                table.input_whole(call, event.get("arguments"))
        elif kind == "response.output_item.done":
            item = self.fields.with_extra(event.get("item"))
            if item.get("type") == "function_call":
                call = table.choice(0).by_key.get(item.get("id")) or self._item(event, item)
                table.input_whole(call, item.get("arguments"))
                if item.get("status") in (None, "completed"):
                    table.end_args(call)
        elif kind == "response.done":
            self._done(self.fields.of(event.get("response")))
        elif kind == "response.created":
            table.choice(0).finished = False  # the next response of the session
        elif kind == "error":
            self._error(event.get("error"))

    def _item(self, event: dict[str, Any], item: dict[str, Any]) -> Call:
        table = self.table
        choice = table.choice(0)
        item_id = item.get("id")
        call = choice.by_key.get(item_id)
        if call is not None:
            return call
        call_id, name = item.get("call_id"), item.get("name")
        call = table.new_call(
            choice,
            0,
            event.get("output_index"),
            call_id if isinstance(call_id, str) and call_id else None,
            name if isinstance(name, str) else "",
            "function",
            _CutUnlessEnded(),
        )
        choice.by_key[item_id] = call
        table.start(call)
        return call

    def _call(self, event: dict[str, Any]) -> Call | None:
        choice = self.table.choice(0)
        call = choice.by_key.get(event.get("item_id"))
        if call is None:
            call_id = event.get("call_id")
            if isinstance(call_id, str):
                call = choice.by_id.get(call_id)
        return call

    def _done(self, response: dict[str, Any]) -> None:
        table = self.table
        status = response.get("status")
        details = self.fields.of(response.get("status_details"))
        reason: Any = status if isinstance(status, str) else None
        if status == "incomplete":
            detail = details.get("reason")
            if isinstance(detail, str):
                reason = detail  # max_output_tokens, content_filter
        elif status == "failed":
            self._error(details.get("error"))
        table.finish_choice(0, reason)
        raw_usage = response.get("usage")
        if raw_usage is not None:
            table.emit(usage(raw_usage, None))

    def _error(self, raw: Any) -> None:
        self.table.emit(provider_error(raw))
