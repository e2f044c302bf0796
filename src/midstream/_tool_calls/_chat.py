"""OpenAI Chat Completions chunks (``choices[].delta.tool_calls``), dicts or SDK objects.

Also what OpenAI-compatible servers send (Groq, Mistral, DeepSeek, xAI,
vLLM, Ollama...), and the deprecated ``functions`` API (``delta.function_call``).
``delta.reasoning_content`` / ``delta.reasoning``, and the ``thinking`` parts of a
``content`` given as a list of parts (Mistral), are reasoning, never content.
End of a call: the choice's ``finish_reason`` (or the end of the stream);
Chat Completions has no end of its own per call. Beside the choices:
``delta.refusal`` (a Structured Outputs refusal) is a ``RefusalDelta``, a
chunk's ``usage`` (``stream_options.include_usage``: a last chunk with
``choices: []``; some servers put it on the finishing chunk) a ``Usage``, and
an ``error`` field (OpenAI-compatible servers, alone or beside the choices) a
``ProviderError``, emitted before the chunk's choices are read.

OpenAI-compatible quirks (beside those in the package docstring), each with a
test in ``tests/test_chat_quirks.py``: Gemini's endpoint sends calls whole or
split without ``index``, its thought signature as the entry's
``extra_content`` (kept as the call's ``provider_data``; sometimes in an entry
of its own) and ``finish_reason: "stop"`` after calls; the mistralai SDK
fills a missing id with ``"null"`` and a missing index with 0 (no id, so two
whole calls at index 0 are told apart by the second's name after the first
was settled); LiteLLM makes up a ``call_`` id per whole call and repeats
``type``; xAI leaves ``finish_reason`` out or empty until the end.

This is the hot path of the library's most common use. Dicts and SDK objects
take the same code: an SDK object's fields are read as the dict it keeps them
in (see :mod:`._fields`), a list as a list (the compiled build loops over it by
index; a tuple where the wire has a list is copied into one), and a plain
fragment of a known call goes straight to :meth:`CallTable.feed_args`.
"""

from __future__ import annotations

from typing import Any

from .._events import ProviderError, RefusalDelta
from ._fields import EMPTY, Fields
from ._provider import provider_error, usage
from ._reader import Reader
from ._table import OPEN, Call, CallTable, Choice

__all__ = ["ChatReader"]


class ChatReader(Reader):
    """Chat Completions: one chunk's choices, each a delta of text and tool-call entries."""

    __slots__ = ("_bare", "_choices", "_deltas", "_entries_fields", "_functions")

    def __init__(self, table: CallTable, fields: Fields) -> None:
        super().__init__(table, fields)
        # One field reader per nesting level: each sees objects of one class (see Fields).
        self._choices = Fields()
        self._deltas = Fields()
        self._entries_fields = Fields()
        self._functions = Fields()
        #: The SDK delta class last found to declare no reasoning field (see _learn_bare).
        self._bare: type | None = None

    def claims(self, event: dict[str, Any]) -> bool:
        # An OpenAI-compatible server's error mid-stream comes as {"error": {...}}.
        return "choices" in event or ("error" in event and "type" not in event)

    def read(self, event: dict[str, Any]) -> None:
        fragment = self.fragment_of(event)
        if fragment is not None:
            at, index, arguments = fragment  # (a native call; *fragment would be a generic one)
            if self.feed_fragment(at, index, arguments):
                return
        table = self.table
        error = event.get("error")
        if error is not None:  # before the choices, so before their Finish
            table.emit(
                ProviderError(None, None, error) if isinstance(error, str)
                else provider_error(event)
            )
        choices = event.get("choices")
        if not choices:
            self._usage(event)
            return
        listed: list[Any] = choices if type(choices) is list else list(choices)
        for raw in listed:
            c = raw if type(raw) is dict else self._choices.of(raw)
            number = c.get("index")
            if type(number) is not int:
                number = 0
            raw_delta = c.get("delta")
            if raw_delta is not None:
                self._delta(number, raw_delta)
            reason = c.get("finish_reason")
            if reason:
                table.finish_choice(number, reason)
        if event.get("usage") is not None:
            self._usage(event)

    def fragment_of(self, event: dict[str, Any]) -> tuple[int, Any, str] | None:
        """The choice, call index and text of the commonest chunk of a call's stream; else None.

        One choice without a finish reason, whose delta is one entry that is
        only one more ``arguments`` fragment, and no ``error`` or ``usage``.
        Shapes are counted, not looped over; anything else (an SDK object's
        choices among it) takes the general way, and a test compares the two
        ways on chunks at the edge of this shape. The text decides nothing
        here (see ``ProviderPipeline.hot_string``).
        """
        choices = event.get("choices")
        if type(choices) is not list or len(choices) != 1:
            return None
        choice = choices[0]
        if type(choice) is not dict or choice.get("finish_reason") is not None:
            return None
        delta = choice.get("delta")
        number = choice.get("index")
        if type(delta) is not dict or len(delta) != 1 or type(number) is not int:
            return None
        entries = delta.get("tool_calls")
        if type(entries) is not list or len(entries) != 1:
            return None
        entry = entries[0]
        if type(entry) is not dict or len(entry) != 2 or "index" not in entry:
            return None
        function = entry.get("function")
        if type(function) is not dict or len(function) != 1:
            return None
        arguments = function.get("arguments")
        if type(arguments) is not str:
            return None
        if event.get("error") is not None or event.get("usage") is not None:
            return None
        return number, entry["index"], arguments

    def feed_fragment(self, number: int, index: Any, arguments: str) -> bool:
        """Read a chunk :meth:`fragment_of` told, if its call is known; else False.

        All :meth:`read` would do with it is :meth:`CallTable.feed_args`.
        """
        known = self.table.choices.get(number)
        call = None if known is None else known.by_key.get(index)
        if known is None or call is None:
            return False
        known.last = call
        if arguments:
            self.table.feed_args(call, arguments)
        return True

    def _delta(self, number: int, raw_delta: Any) -> None:
        """One choice's delta: reasoning, content, tool-call entries, a refusal."""
        table = self.table
        delta = raw_delta if type(raw_delta) is dict else self._deltas.of(raw_delta)
        reasoning = self._reasoning(raw_delta, delta)
        if reasoning and type(reasoning) is str:
            table.reasoning(number, reasoning)
        content = delta.get("content")
        if content:
            if type(content) is str:
                table.content(number, content)
            else:
                self._parts(number, content)
        entries = delta.get("tool_calls")
        if entries:
            self._entries(number, entries if type(entries) is list else list(entries))
        elif (legacy := delta.get("function_call")) is not None:
            # The deprecated `functions` API: one call, no id, no index.
            choice = table.choices.get(number) or table.choice(number)
            self._entry(choice, number, {"index": 0}, self.fields.of(legacy))
        refusal = delta.get("refusal")
        if refusal and type(refusal) is str:
            table.emit(RefusalDelta(number, refusal))

    def _reasoning(self, raw_delta: Any, delta: dict[str, Any]) -> Any:
        """The delta's reasoning text, if any.

        DeepSeek and Qwen send ``reasoning_content``; Groq, OpenRouter and vLLM
        ``reasoning`` (vLLM may send both, the same text). An SDK keeps them as
        extras; its fields are not looked up where its class declares neither.
        """
        reasoning = None
        if delta is raw_delta or (
            type(raw_delta) is not self._bare and not self._learn_bare(raw_delta)
        ):
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if reasoning is None and delta is not raw_delta:
            extra = self._deltas.extra(raw_delta)
            if extra:
                reasoning = extra.get("reasoning_content") or extra.get("reasoning")
        return reasoning

    def _learn_bare(self, delta: Any) -> bool:
        """Whether ``delta``'s class declares neither reasoning field (remembered if so).

        A pydantic model keeps in ``__dict__`` only the fields its class
        declares (``model_fields``), the rest in its extras: where neither
        reasoning field is declared, looking them up in ``__dict__`` (two
        missed lookups a chunk, by valgrind about 360 instructions) cannot
        find them. A class without ``model_fields`` is looked up every time.
        """
        declared = getattr(type(delta), "model_fields", None)
        if (
            type(declared) is dict
            and "reasoning_content" not in declared
            and "reasoning" not in declared
        ):
            self._bare = type(delta)
            return True
        return False

    def _usage(self, event: dict[str, Any]) -> None:
        raw = event.get("usage")
        if raw is not None:
            self.table.emit(usage(raw, event.get("model")))

    def _parts(self, number: int, parts: Any) -> None:
        """Content as a list of parts (Mistral's Magistral): text parts, and thinking parts.

        A thinking part holds its text as a string or as a list of text parts;
        it is reasoning, never content. Anything else is left out.
        """
        if not isinstance(parts, (list, tuple)):
            return
        table = self.table
        for raw in parts:
            if isinstance(raw, (str, int, float)) or raw is None:
                continue  # not a part
            part = self.fields.of(raw)
            kind = part.get("type")
            if kind == "text":
                text = part.get("text")
                if text and isinstance(text, str):
                    table.content(number, text)
            elif kind == "thinking":
                thinking = part.get("thinking")
                pieces = thinking if isinstance(thinking, (list, tuple)) else [thinking]
                for piece in pieces:
                    if isinstance(piece, (int, float)) or piece is None:
                        continue
                    text = piece if isinstance(piece, str) else self.fields.of(piece).get("text")
                    if text and isinstance(text, str):
                        table.reasoning(number, text)

    def _entries(self, number: int, entries: list[Any]) -> None:
        table = self.table
        entries_fields = self._entries_fields
        functions = self._functions
        choice = table.choices.get(number) or table.choice(number)
        by_key = choice.by_key
        for raw in entries:
            entry = raw if type(raw) is dict else entries_fields.of(raw)
            raw_function = entry.get("function")
            function = (
                raw_function if type(raw_function) is dict
                else EMPTY if raw_function is None else functions.of(raw_function)
            )
            if not entry.get("id") and not function.get("name"):
                # The commonest entry: one more fragment of a known call.
                call = by_key.get(entry.get("index"))
                if call is not None:
                    choice.last = call
                    arguments = function.get("arguments")
                    if arguments:
                        table.feed_args(call, arguments)
                    continue
            if type(raw) is not dict:  # extra_content is no field of the SDK's class
                entry = entries_fields.with_extra(raw)
            self._entry(choice, number, entry, function)

    def _call_for(
        self, choice: Choice, number: int, wire: Any, call_id: Any, whole: bool
    ) -> Call:
        """The call an entry belongs to: known by its id or index, or a new one."""
        table = self.table
        known = choice.by_id.get(call_id) if call_id else None
        if known is not None:
            if isinstance(wire, int):
                choice.by_key[wire] = known
            return known
        if isinstance(wire, int):
            at_index = choice.by_key.get(wire)
            if (
                at_index is None
                or (call_id and at_index.id and call_id != at_index.id)
                or (whole and at_index.state != OPEN)
            ):
                # A new call, or a provider that reuses an index for the next call
                # (with another id, or, without ids, a name after the call was settled).
                call = table.new_call(choice, number, wire, call_id, "", "function")
                choice.by_key[wire] = call
            else:
                call = at_index
        elif call_id:
            call = table.new_call(choice, number, None, call_id, "", "function")
        else:
            last = choice.last
            if last is None or (whole and last.state != OPEN):
                call = table.new_call(choice, number, None, None, "", "function")
            else:
                call = last
        return call

    def _entry(
        self, choice: Choice, number: int, entry: dict[str, Any], function: dict[str, Any]
    ) -> None:
        """A tool_calls entry that may start a call, or name or identify one."""
        table = self.table
        wire = entry.get("index")
        call_id = entry.get("id") or None
        if call_id == "null":
            call_id = None  # the mistralai SDK's default for a call without id
        name = function.get("name") or ""
        # A whole call (a name and arguments) without id, at a call already settled, is
        # the next call: the mistralai SDK gives every call index 0 and id "null".
        whole = bool(name and not call_id and function.get("arguments"))
        extra = entry.get("extra_content")
        if extra is not None and not name and call_id is None and not function.get("arguments"):
            # Gemini sends a call's thought signature alone in an entry of its own.
            if choice.last is not None:
                choice.last.provider_data = {"extra_content": extra}
            return
        call = self._call_for(choice, number, wire, call_id, whole)
        if call_id and call.id is None:
            call.id = call_id
            choice.by_id[call_id] = call
        choice.last = call
        if extra is not None:
            # Gemini's OpenAI-compatible endpoint: extra_content.google.thought_signature,
            # to be sent back with the call.
            call.provider_data = {"extra_content": extra}
        if name and not call.started and name != call.name:
            call.name += name
        arguments = function.get("arguments")
        if arguments:
            table.feed_args(call, arguments)
