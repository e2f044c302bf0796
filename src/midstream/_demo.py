"""``midstream demo``: replay the bundled stream and show each field live.

The stream is a JSON document of the project's own, cut at real cl100k_base
token boundaries by ``scripts/make_demo_stream.py`` and stored in
``midstream/data/demo_stream.json``: no tokenizer, key or network at run time.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Final, TextIO

from ._events import (
    ContentDelta,
    Event,
    FieldInvalid,
    ProviderError,
    RefusalDelta,
    StringDelta,
    ToolCallDone,
    ToolCallError,
    ToolCallStart,
    Truncated,
    ValueDone,
    ValueStart,
)
from ._json_stream import JsonStream
from ._types import Path

__all__ = [
    "DEFAULT_TOKENS_PER_SECOND",
    "ChatView",
    "demo_delays",
    "load_demo_chunks",
    "run_demo",
]

#: Pace of the replay at ``--speed 1``: about what a GPT-4o-class model streams.
DEFAULT_TOKENS_PER_SECOND: Final = 60.0
#: Wait before the first token at ``--speed 1`` (a real model's time to first token).
FIRST_TOKEN_LATENCY: Final = 0.3


def load_demo_chunks() -> list[str]:
    """The bundled stream: the document's text in token-sized chunks."""
    raw = resources.files("midstream").joinpath("data/demo_stream.json").read_text("utf-8")
    chunks = json.loads(raw)["chunks"]
    if not isinstance(chunks, list) or not all(isinstance(c, str) for c in chunks):
        raise RuntimeError("midstream/data/demo_stream.json is damaged: reinstall midstream")
    return chunks


def demo_delays(n: int, speed: float) -> list[float]:
    """Seconds to wait before each of ``n`` chunks, paced like a real model.

    Args:
        n: number of chunks.
        speed: 1 is the model's pace, 2 twice as fast; ``float("inf")`` or 0
            means no waiting at all.

    The pattern is fixed (seeded): tokens come irregularly around the average
    rate, with an occasional longer pause, as they do from a real server.
    """
    if speed == float("inf") or speed <= 0:
        return [0.0] * n
    rng = random.Random(7)
    base = 1.0 / DEFAULT_TOKENS_PER_SECOND
    delays = []
    for i in range(n):
        d = base * rng.uniform(0.3, 1.7)
        if rng.random() < 0.02:
            d += base * 6
        if i == 0:
            d = FIRST_TOKEN_LATENCY
        delays.append(d / speed)
    return delays


def _replay(
    chunks: list[str],
    delays: list[float],
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> Iterator[tuple[float, str]]:
    """Yield ``(seconds since start, chunk)``, sleeping to an absolute schedule."""
    start = clock()
    due = 0.0
    for chunk, delay in zip(chunks, delays, strict=True):
        due += delay
        wait = due - (clock() - start)
        if wait > 0:
            sleep(wait)
        yield clock() - start, chunk


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(root)"


class _Ansi:
    """Live display for a terminal: a field's text appears as it streams."""

    def __init__(self, out: TextIO, color: bool = True) -> None:
        self.out = out
        on = color
        self.RESET = "\x1b[0m" if on else ""
        self.DIM = "\x1b[2m" if on else ""
        self.BOLD = "\x1b[1m" if on else ""
        self.CYAN = "\x1b[36m" if on else ""
        self.GREEN = "\x1b[32m" if on else ""
        self.RED = "\x1b[31m" if on else ""
        self.YELLOW = "\x1b[33m" if on else ""

    def _line(self, depth: int, text: str) -> None:
        self.out.write("\n" + "  " * depth + text)

    def handle(self, t: float, ev: ValueStart | StringDelta | ValueDone) -> None:
        w = self.out.write
        depth = max(len(ev.path) - 1, 0)
        name = _dotted(ev.path[-1:]) if ev.path else "(root)"
        if isinstance(ev, ValueStart):
            if ev.kind in ("object", "array"):
                if ev.path:
                    self._line(depth, f"{self.BOLD}{self.CYAN}{name}{self.RESET}"
                               f" {self.DIM}{ev.kind}…{self.RESET}")
            else:
                self._line(depth, f"{self.BOLD}{self.CYAN}{name}{self.RESET} ")
                if ev.kind == "string":
                    w('"')
        elif isinstance(ev, StringDelta):
            w(ev.text.replace("\n", "\n" + "  " * (depth + 1)))
        else:
            tick = f" {self.GREEN}✓{self.RESET} {self.DIM}{t:5.2f} s{self.RESET}"
            if isinstance(ev.value, str):
                w('"' + tick)
            elif isinstance(ev.value, (dict, list)):
                if ev.path:
                    n = len(ev.value)
                    what = "keys" if isinstance(ev.value, dict) else "items"
                    self._line(depth, f"{self.GREEN}└ {name}{self.RESET}"
                               f" {self.DIM}{n} {what}{self.RESET}{tick}")
            else:
                w(json.dumps(ev.value) + tick)
        self.out.flush()

    def note(self, depth: int, text: str, color: str) -> None:
        self._line(depth, f"{color}{text}{self.RESET}")
        self.out.flush()

    def finish(self) -> None:
        self.out.write("\n")
        self.out.flush()


class _Plain:
    """One line per event, for pipes and logs."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def handle(self, t: float, ev: ValueStart | StringDelta | ValueDone) -> None:
        where = _dotted(ev.path)
        if isinstance(ev, ValueStart):
            line = f"start  {where} ({ev.kind})"
        elif isinstance(ev, StringDelta):
            line = f"delta  {where} {json.dumps(ev.text, ensure_ascii=False)}"
        else:
            value = json.dumps(ev.value, ensure_ascii=False)
            if len(value) > 60:
                value = value[:57] + "..."
            line = f"done   {where} = {value}"
        self.out.write(f"{t:7.3f}s {line}\n")
        self.out.flush()

    def finish(self) -> None:
        pass


def run_demo(
    out: TextIO,
    *,
    speed: float = 1.0,
    ansi: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.perf_counter,
) -> int:
    """Replay the bundled stream through :class:`JsonStream`, showing fields live.

    Args:
        out: where to write.
        speed: pace multiplier (see :func:`demo_delays`); ``inf`` for no waiting.
        ansi: draw for a terminal (colours, text in place) instead of plain lines.
        sleep: the sleeping function; ``clock``: the seconds it sleeps by (tests
            pass a fake pair, so that the schedule is checked without waiting).

    Returns:
        The exit status, 0.
    """
    chunks = load_demo_chunks()
    delays = demo_delays(len(chunks), speed)
    view: _Ansi | _Plain = _Ansi(out) if ansi else _Plain(out)
    rate = "as fast as possible" if delays[-1:] == [0.0] else (
        f"at about {DEFAULT_TOKENS_PER_SECOND * speed:.0f} tokens/s"
    )
    out.write(
        f"midstream demo: replaying a {len(chunks)}-token model answer {rate}"
        " (cl100k_base token boundaries)\n"
    )
    out.flush()
    parser = JsonStream()
    fields = 0
    first_field: float | None = None
    last_chunk = 0.0
    characters = 0
    for t, chunk in _replay(chunks, delays, sleep, clock):
        last_chunk = t
        characters += len(chunk)
        for ev in parser.feed(chunk):
            if isinstance(ev, ValueDone) and ev.path:
                fields += 1
                if first_field is None:
                    first_field = t
            view.handle(t, ev)
    for ev in parser.close():
        view.handle(last_chunk, ev)
    view.finish()
    first = first_field if first_field is not None else last_chunk
    paced = speed != float("inf") and speed > 0
    ratio = f" ({last_chunk / first:.0f}x sooner)" if paced and first > 0 else ""
    out.write(
        f"\n{len(chunks)} chunks, {characters} characters, {fields} fields\n"
        f"first field complete after {first:.3f} s; last chunk after {last_chunk:.3f} s{ratio}\n"
    )
    out.flush()
    return 0


class ChatView:
    """Live view of a model's answer for ``midstream chat`` on a terminal.

    JSON content is shown field by field (as in the demo); plain text is
    written as it comes, and so is a refusal, after a ``[refused]`` mark;
    validation failures, tool calls, provider errors and truncation get a
    line of their own.
    """

    def __init__(self, out: TextIO, *, ansi: bool, json: bool) -> None:
        self.out = out
        self.view = _Ansi(out, color=ansi)
        self.start = time.perf_counter()
        self.mode: str | None = "json" if json else None

    def handle(self, ev: Event) -> None:
        """Show one event of :func:`midstream.stream_events`."""
        v = self.view
        t = time.perf_counter() - self.start
        if isinstance(ev, ContentDelta):
            if ev.choice == 0 and isinstance(ev.text, str):
                self._content(ev.text)
        elif isinstance(ev, (ValueStart, StringDelta, ValueDone)):
            if self.mode == "json" or self.mode is None:
                v.handle(t, ev)
        elif isinstance(ev, RefusalDelta):
            if ev.choice == 0:
                self._refusal(ev.text)
        else:
            self._note(ev)

    def _content(self, text: str) -> None:
        if self.mode is None:
            head = text.lstrip()
            if not head:
                return
            self.mode = "json" if head[0] in "{[" else "text"
            text = head
        if self.mode == "text":
            self.out.write(text)
            self.out.flush()

    def _refusal(self, text: str) -> None:
        if self.mode != "refusal":  # the answer is a refusal: no content will come
            self.mode = "refusal"
            self.out.write(f"{self.view.YELLOW}[refused]{self.view.RESET} ")
        self.out.write(text)
        self.out.flush()

    def _note(self, ev: Event) -> None:
        """A line about a field, a tool call or the stream's end."""
        v = self.view
        if isinstance(ev, FieldInvalid):
            msgs = "; ".join(str(e.get("msg", e)) for e in ev.errors)
            v.note(len(ev.path), f"✗ {_dotted(ev.path)}: {msgs}", v.RED)
        elif isinstance(ev, ToolCallStart):
            v.note(0, f"→ tool call {ev.name}", v.CYAN)
        elif isinstance(ev, ToolCallDone):
            v.note(1, f"{ev.name}({ev.raw.strip() or '{}'}) ✓", v.GREEN)
        elif isinstance(ev, ToolCallError):
            v.note(1, f"✗ {ev.name}: {ev.error}", v.RED)
        elif isinstance(ev, Truncated):
            why = ev.reason or "the stream stopped without finishing"
            v.note(0, f"[cut off: {why}]", v.YELLOW)
        elif isinstance(ev, ProviderError):
            v.note(0, f"[provider error: {ev.message or ev.type or ev.code}]", v.RED)

    def finish(self) -> None:
        """End the view (a final newline)."""
        self.view.finish()
