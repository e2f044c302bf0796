"""The sans-I/O policy behind `stream_events`: provider events in, midstream events out.

A :class:`ProviderPipeline` takes what a provider's stream yields (SDK objects
or dicts of any wire format the :class:`~midstream.ToolCallAssembler` reads),
and returns tool-call, content and finish events, with the content of one
choice parsed as JSON (``JsonStream``) or validated (``ModelStream``) on the
way. Only :class:`ContentDelta` text reaches that parser: reasoning
(:class:`ReasoningDelta`), :class:`Usage` and :class:`ProviderError` pass
through as they come. It does no I/O: the adapters (``_adapters``) and the CLI
drive it.
"""

from __future__ import annotations

from typing import Any, Final

from ._errors import ParseError
from ._events import ContentDelta, Event, Finish, Truncated
from ._json_stream import JsonStream
from ._tool_calls import TRUNCATION_REASONS, ToolCallAssembler, ToolsArg

__all__ = ["CUT_REASONS", "ProviderPipeline"]


#: Finish reasons that mean the provider stopped the output before the model
#: finished it: token limits (:data:`~midstream._tool_calls.TRUNCATION_REASONS`),
#: OpenAI ``content_filter``, Responses ``failed``/``incomplete``/``cancelled``,
#: Anthropic ``refusal`` (a classifier stopped the stream) and ``pause_turn``,
#: and the ``abort``/``error`` of some OpenAI-compatible servers (vLLM).
#: Bedrock ``guardrail_intervened``/``content_filtered``; Cohere ``ERROR``/``TIMEOUT``.
CUT_REASONS: Final = TRUNCATION_REASONS | frozenset(
    {
        "content_filter", "failed", "incomplete", "cancelled", "refusal", "pause_turn",
        "abort", "error",
    }
) | frozenset({"guardrail_intervened", "content_filtered", "ERROR", "TIMEOUT"})

class ProviderPipeline:
    """Provider events in; tool calls, content, and the content's fields out (sans-I/O)."""

    def __init__(
        self, *, model: Any, json: bool | None, tools: ToolsArg, choice: int, keep_text: bool
    ) -> None:
        self._calls = ToolCallAssembler(tools=tools)
        self._model = model
        self._mode = True if model is not None else json
        self._choice = choice
        self._parser: Any = None  # JsonStream | ModelStream
        self._decided = json is False and model is None
        self._stopped = False  # the content parser is closed or abandoned
        self._seen: set[int] = set()
        self._finished: set[int] = set()
        self._keep_text = keep_text
        self._text: list[str] = []
        #: auto mode: why content that began like JSON was left as plain text
        self.content_error: ParseError | None = None

    def received(self) -> str:
        return "".join(self._text)

    def feed(self, item: Any) -> list[Event]:
        out: list[Event] = []
        for ev in self._calls.feed(item):
            if isinstance(ev, Finish):
                self._seen.add(ev.choice)
                self._finish(ev, out)
                continue
            out.append(ev)
            if isinstance(ev, ContentDelta):
                self._seen.add(ev.choice)
                if ev.choice == self._choice and isinstance(ev.text, str):
                    if self._keep_text:
                        self._text.append(ev.text)
                    if not self._stopped:
                        self._content(ev.text, out)
            else:
                choice = getattr(ev, "choice", None)
                if isinstance(choice, int):
                    self._seen.add(choice)
        return out

    def close(self) -> list[Event]:
        out: list[Event] = list(self._calls.close())
        if not self._seen:
            self._seen.add(self._choice)  # an empty stream is not a complete answer
        for choice in sorted(self._seen - self._finished):
            self._finished.add(choice)
            out.append(Truncated(choice, None, self._partial() if choice == self._choice else None))
            if choice == self._choice:
                self._stopped = True
        return out

    def _content(self, text: str, out: list[Event]) -> None:
        parser = self._parser
        if parser is None:
            if self._decided:
                return
            if self._mode is None:
                head = text.lstrip()
                if not head:
                    return  # leading whitespace: undecided yet, and insignificant to JSON
                if head[0] not in "{[":
                    self._decided = True
                    return
            self._decided = True
            if self._model is not None:
                from ._pydantic import ModelStream

                parser = self._parser = ModelStream(self._model)
            else:
                parser = self._parser = JsonStream()
        if self._mode is None:
            try:
                events, _used = parser.feed_until_done(text)
            except ParseError as exc:
                # Not JSON after all: it stays plain content.
                self.content_error = exc
                self._stopped = True
                out += exc.events
                return
            out += events
            if parser.done:
                out += parser.close()
                self._stopped = True  # what follows the JSON value is plain text
        else:
            out += parser.feed(text)

    def _finish(self, finish: Finish, out: list[Event]) -> None:
        """The content's last events (a root number, the model's verdict), Finish, Truncated."""
        choice, reason = finish.choice, finish.reason
        self._finished.add(choice)
        cut = reason is None or reason in CUT_REASONS
        if choice != self._choice:
            out.append(finish)
            if cut:
                out.append(Truncated(choice, reason, None))
            return
        if not cut:
            if self._parser is not None and not self._stopped:
                out += self._parser.close()
            elif self._mode is True and self._parser is None:
                # JSON was required and none came: an empty parser's close() says so.
                out += JsonStream().close()
        out.append(finish)
        if cut:
            out.append(Truncated(choice, reason, self._partial()))
        self._stopped = True

    def _partial(self) -> Any:
        parser = self._parser
        if parser is None:
            return None
        if self._model is not None:
            return parser.partial
        return parser.snapshot()
