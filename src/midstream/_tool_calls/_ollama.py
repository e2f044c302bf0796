"""Ollama's native ``/api/chat`` stream: NDJSON lines, as dicts or ``ollama.ChatResponse``.

Every line is a whole message delta: ``message.content`` is text,
``message.thinking`` reasoning (never content), and ``message.tool_calls``
holds whole calls, each ``function.arguments`` an object (or, from some
servers, its JSON text): a call starts and is done in the line that carries
it, a call without ``arguments`` is ``{}``. The last line has ``done: true``,
its ``done_reason`` (``stop``; ``length`` is the token limit) finishes the
choice (always 0; a server older than ``done_reason`` means ``stop``), and its
counters (``prompt_eval_count``, ``eval_count``, ``model``) make a
:class:`Usage`. An ``{"error": "..."}`` line is a :class:`ProviderError`; the
stream then ends unfinished. (Ollama's ``/v1`` endpoint is Chat Completions,
read by :mod:`._chat`.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from .._events import ProviderError
from ._provider import usage_of
from ._reader import Reader

__all__ = ["OllamaReader"]

#: The counters of the last line that go into ``Usage.raw``.
_COUNTERS: Final = (
    "prompt_eval_count",
    "eval_count",
    "total_duration",
    "load_duration",
    "prompt_eval_duration",
    "eval_duration",
)


class OllamaReader(Reader):
    """Ollama ``/api/chat``: each line's text, reasoning and whole calls; ``done`` ends it."""

    __slots__ = ()

    def claims(self, event: dict[str, Any]) -> bool:
        if "done" in event and "message" in event:
            return True
        return len(event) == 1 and type(event.get("error")) is str

    def read(self, event: dict[str, Any]) -> None:
        table = self.table
        message = self.fields.of(event.get("message"))
        thinking = message.get("thinking")
        if thinking and isinstance(thinking, str):
            table.reasoning(0, thinking)
        content = message.get("content")
        if content and isinstance(content, str):
            table.content(0, content)
        calls = message.get("tool_calls")
        if calls:
            for entry in calls:
                self._call(self.fields.of(entry))
        if event.get("done") is True:
            table.emit(
                usage_of(
                    event.get("prompt_eval_count"),
                    event.get("eval_count"),
                    None,
                    event.get("model"),
                    {key: event[key] for key in _COUNTERS if event.get(key) is not None},
                )
            )
            reason = event.get("done_reason")
            table.finish_choice(0, reason if reason else "stop")
        error = event.get("error")
        if isinstance(error, str):
            table.emit(ProviderError(None, None, error))

    def _call(self, entry: dict[str, Any]) -> None:
        table = self.table
        function = self.fields.of(entry.get("function"))
        call_id = entry.get("id")
        name = function.get("name")
        call = table.new_call(
            table.choice(0),
            0,
            function.get("index"),
            call_id if isinstance(call_id, str) and call_id else None,
            name if isinstance(name, str) else "",
            "function",
        )
        table.start(call)
        arguments = function.get("arguments")
        if arguments is not None and arguments != "":
            if isinstance(arguments, Mapping):
                arguments = json.dumps(dict(arguments), ensure_ascii=False)
            table.feed_args(call, arguments)
        table.end_args(call)
