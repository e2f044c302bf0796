"""The events of CodeBlocks: text and code merged per feed, the open block, its JSON.

Rule: :class:`BlockEvents` knows nothing of Markdown. It is told "text",
"code", "a block opens", "the block ends", and turns that into the public
events: adjacent text or code of one feed becomes one :class:`TextDelta` or
:class:`CodeDelta`, a block the ``languages`` filter mutes comes out as text,
and a ``json`` block's code goes through a :class:`JsonStream`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._errors import ParseError
from .._events import CodeBlockDone, CodeBlockStart, CodeDelta, Event, JsonEvent, TextDelta
from ._languages import canonical

if TYPE_CHECKING:
    from .._json_stream import JsonStream


class BlockEvents:
    """The events so far of one :class:`CodeBlocks`, and the state of its open block."""

    __slots__ = (
        "_code",
        "_code_parts",
        "_index",
        "_info",
        "_jerror",
        "_json",
        "_jstream",
        "_lang",
        "_languages",
        "_next_index",
        "_out",
        "_raw_parts",
        "_text_parts",
        "muted",
    )

    def __init__(self, languages: frozenset[str] | None, json: bool) -> None:
        """``languages``: the names (canonical, see ``_languages``) of the blocks to report."""
        self._languages = languages
        self._json = json
        self._index = -1
        self._next_index = 0
        self._lang: str | None = None
        self._info = ""
        self.muted = False  # the open block is filtered out: it comes out as text
        self._code: list[str] = []
        self._jstream: JsonStream | None = None
        self._jerror: ParseError | None = None
        self._out: list[Event] = []
        self._text_parts: list[str] = []
        self._code_parts: list[str] = []
        self._raw_parts: list[str] = []

    def open(self, lang: str | None, info: str, fence: str) -> None:
        """A block opens with the opening fence line ``fence``."""
        self._index = index = self._next_index
        self._next_index += 1
        self._lang = lang
        self._info = info
        languages = self._languages
        self.muted = languages is not None and canonical(lang or "") not in languages
        self._code = []
        self._jstream = None
        self._jerror = None
        if self.muted:
            self.text(fence)
            return
        if self._json and lang is not None and lang.lower() == "json":
            from .._json_stream import JsonStream

            self._jstream = JsonStream()
        self.flush()
        self._out.append(CodeBlockStart(index, lang, info, fence))

    def done(self, closed: bool, fence: str) -> None:
        """The open block ends, with the closing fence line ``fence`` (or none)."""
        if self.muted:
            self.text(fence)
            return
        self.flush()
        jstream = self._jstream
        if jstream is not None:
            self._jstream = None
            try:
                events = jstream.close()
            except ParseError as exc:
                self._jerror = exc
            else:
                if events:
                    self._out.append(CodeDelta(self._index, "", "", events))
        self._out.append(
            CodeBlockDone(
                self._index,
                self._lang,
                self._info,
                "".join(self._code),
                closed,
                fence,
                self._jerror,
            )
        )

    def text(self, text: str) -> None:
        if text:
            if self._code_parts:
                self._flush_code()
            self._text_parts.append(text)

    def code(self, text: str, raw: str) -> None:
        """Code of the open block: ``text`` without, ``raw`` with its container markers."""
        if self.muted:
            self.text(raw)
            return
        if raw:
            if self._text_parts:
                self._flush_text()
            self._code_parts.append(text)
            self._raw_parts.append(raw)

    def flush(self) -> None:
        if self._text_parts:
            self._flush_text()
        if self._code_parts:
            self._flush_code()

    def _flush_text(self) -> None:
        parts = self._text_parts
        self._out.append(TextDelta(parts[0] if len(parts) == 1 else "".join(parts)))
        self._text_parts = []

    def _flush_code(self) -> None:
        parts = self._code_parts
        text = parts[0] if len(parts) == 1 else "".join(parts)
        raws = self._raw_parts
        raw = raws[0] if len(raws) == 1 else "".join(raws)
        self._code_parts = []
        self._raw_parts = []
        self._out.append(self.code_delta(text, raw))

    def code_delta(self, text: str, raw: str) -> CodeDelta:
        """The :class:`CodeDelta` of code of the open block, its JSON events parsed."""
        self._code.append(text)
        events: list[JsonEvent] = []
        jstream = self._jstream
        if jstream is not None:
            try:
                events = jstream.feed(text)
            except ParseError as exc:
                self._jerror = exc
                self._jstream = None
                # The events before the error, so that they do not depend on
                # where the chunks were cut.
                events = list(exc.events)
        return CodeDelta(self._index, text, raw, events)

    def take(self) -> list[Event]:
        """The events so far, and forget them."""
        self.flush()
        out = self._out
        self._out = []
        return out
