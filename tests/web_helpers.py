"""What the web tests share: the reference states, frame decoding, the model strategy."""

from __future__ import annotations

import asyncio
import copy
import functools
import json
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from midstream import FieldInvalid, FieldValidated, SSEDecoder, ValueDone, ValueStart
from midstream.web import Message, StreamState
from midstream.web._protocol import clean_errors


class Reference:
    """Value and field states as the parser's own events give them, built independently.

    The value is the parser's ``snapshot()`` (without a number still being
    read: the protocol sends a number once it is complete); the field states
    follow ``ValueStart``/``ValueDone``/``FieldValidated``/``FieldInvalid``.
    """

    def __init__(self) -> None:
        self.fields: dict[tuple[Any, ...], tuple[str, Any]] = {}
        self.open_number: tuple[Any, ...] | None = None

    def see(self, events: Iterable[Any]) -> None:
        for ev in events:
            if isinstance(ev, ValueStart):
                self.fields[ev.path] = ("partial", None)
                if ev.kind == "number":
                    self.open_number = ev.path
            elif isinstance(ev, ValueDone):
                self.fields[ev.path] = ("complete", None)
                if ev.path == self.open_number:
                    self.open_number = None
            elif isinstance(ev, FieldValidated):
                self.fields[ev.path] = ("valid", None)
            elif isinstance(ev, FieldInvalid):
                self.fields[ev.path] = ("invalid", clean_errors(ev.errors))

    def value(self, parser: Any) -> Any:
        value = copy.deepcopy(parser.snapshot())  # JsonStream's, or ModelStream's (the same)
        path = self.open_number
        if path is not None:
            if not path:
                return None
            parent = value
            for key in path[:-1]:
                parent = parent[key]
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif len(parent) > path[-1]:
                del parent[path[-1]]
        return value


def field_states(state: StreamState) -> dict[tuple[Any, ...], tuple[str, Any]]:
    return {path: (f.state, f.errors) for path, f in state.fields.items()}


def decode_frames(frames: Iterable[bytes]) -> list[Message]:
    """Messages back out of SSE bytes, through midstream's own WHATWG decoder."""
    decoder = SSEDecoder()
    out = []
    for frame in frames:
        for sse in decoder.feed(frame):
            msg = json.loads(sse.data)
            assert sse.event == msg["type"] and sse.id == str(msg["seq"])
            out.append(msg)
    return out


def in_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test in a fresh event loop (the project has no pytest async plugin).

    Fixtures pass through: pytest reads the test's own signature (``__wrapped__``).
    """

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), 60))

    return run
