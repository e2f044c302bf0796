"""Peers: "consume this list of chunks the way a streaming user would", one way each.

Every peer is a :class:`Peer` whose runner takes the same ``list[str]`` of
chunks (as decoded from the API's SSE stream) and does what a user of that
library does on each chunk:

============================  ===========================================================
``midstream``                 ``JsonStream().feed(chunk)`` on every chunk, every event
                              iterated; ``close()`` at the end (the issue's events path)
``midstream+snapshot``        the same, plus ``snapshot()`` after every chunk
``jiter``                     re-parse the accumulated bytes on every chunk with
                              ``jiter.from_json(buf, partial_mode="trailing-strings")``
``pydantic_core``             re-parse the accumulated text on every chunk with
                              ``pydantic_core.from_json(buf, allow_partial=True)``
``jsonriver``                 ``async for value in jsonriver.parse(chunks)``, driven
                              without an event loop (nothing in it ever suspends)
``partial_json_parser``       ``partial_json_parser.loads(buf)`` on every chunk
``ijson``                     ``parse_coro`` push interface, every chunk sent as UTF-8,
                              every ``(prefix, event, value)`` iterated; fastest backend
``json.loads``                floor: join all chunks and ``json.loads`` once
============================  ===========================================================

Peers that need bytes (jiter, ijson) encode each chunk as it arrives; that is
part of their cost, as it is for their users. Re-parse peers are quadratic; each
also has ``prepare`` and ``step`` (``step(prepare(text_so_far))`` is the work of
one chunk) so a harness can estimate a run too long to time by sampling, and
:func:`call_with_budget` stops any run that overruns, so a harness never hangs.
ijson (yajl) is linear except on a long string cut into many chunks, which it
re-buffers on every chunk: quadratic on the ``tool_string`` workload.

Usage::

    from benchmarks.peers import load_peers, call_with_budget
    peers, missing = load_peers(["midstream", "jiter"])
    for peer in peers:
        value = peer.run(chunks)                     # the final value (or NO_VALUE)
        seconds, value = call_with_budget(peer.run, chunks, budget=20.0)
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Any, Final, Literal, cast

__all__ = [
    "NO_VALUE",
    "PEER_NAMES",
    "BudgetExceeded",
    "Peer",
    "Runner",
    "Step",
    "call_with_budget",
    "ijson_backend",
    "load_peers",
]

#: A runner: ``chunks -> final value``; it feeds every chunk as a user would.
Runner = Callable[[Sequence[str]], Any]

#: A callable of one argument (see :attr:`Peer.prepare` and :attr:`Peer.step`).
Step = Callable[[Any], Any]

#: Returned by runners whose interface builds no final value (ijson events).
NO_VALUE: Final = object()


class BudgetExceeded(Exception):
    """A run took longer than its budget and was interrupted.

    Attributes:
        budget: the budget in wall seconds.
        elapsed: what the run had taken by then, by the caller's clock (a
            lower bound of its whole time).
    """

    def __init__(self, budget: float, elapsed: float | None = None) -> None:
        super().__init__(f"interrupted after its {budget:g} s budget")
        self.budget = budget
        self.elapsed = budget if elapsed is None else elapsed


def call_with_budget(
    run: Runner,
    chunks: Sequence[str],
    budget: float | None,
    clock: Callable[[], float] = perf_counter,
) -> tuple[float, Any]:
    """Time ``run(chunks)`` with ``clock``, interrupting it after ``budget`` wall seconds.

    The interruption is a ``SIGALRM`` timer, so the timed loop carries no
    checks; where there is no such timer (Windows, a non-main thread) the run
    is not interrupted and the caller's estimate must keep it short.

    Returns:
        ``(seconds, final value)``.

    Raises:
        BudgetExceeded: the run overran and was stopped.
    """
    use_timer = (
        budget is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not use_timer:
        start = clock()
        value = run(chunks)
        return clock() - start, value

    assert budget is not None

    def on_alarm(signum: int, frame: Any) -> None:
        raise BudgetExceeded(budget, clock() - start)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        start = clock()
        value = run(chunks)
        elapsed = clock() - start
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return elapsed, value


@dataclass(frozen=True)
class Peer:
    """A library and the way a streaming user drives it.

    Attributes:
        name: short name used in tables and on the command line.
        description: what one chunk costs, in words.
        complexity: ``"linear"`` if a chunk costs O(chunk), ``"quadratic"`` if
            it costs O(text so far) (the whole run is then O(n²)).
        fast: cheap enough for smoke tests on tiny inputs.
        run: the runner.
        prepare: for re-parse peers, turns the text so far into the buffer the
            runner would hold at that point (untimed).
        step: for re-parse peers, one chunk's work given that buffer.
    """

    name: str
    description: str
    complexity: Literal["linear", "quadratic"]
    fast: bool
    run: Runner
    prepare: Step | None = None
    step: Step | None = None


# --- runners -------------------------------------------------------------------------


def _midstream(snapshot: bool) -> Runner:
    from midstream import JsonStream

    if not snapshot:

        def run(chunks: Sequence[str]) -> Any:
            parser = JsonStream()
            feed = parser.feed
            for chunk in chunks:
                for _event in feed(chunk):
                    pass
            for _event in parser.close():
                pass
            return parser.value

        return run

    def run_snapshot(chunks: Sequence[str]) -> Any:
        parser = JsonStream()
        feed = parser.feed
        snap = parser.snapshot
        for chunk in chunks:
            for _event in feed(chunk):
                pass
            snap()
        for _event in parser.close():
            pass
        return parser.value

    return run_snapshot


def _jiter() -> tuple[Runner, Step, Step]:
    from jiter import from_json

    def step(buf: Any) -> Any:
        try:
            return from_json(buf, partial_mode="trailing-strings")
        except ValueError:
            return None

    def run(chunks: Sequence[str]) -> Any:
        buf = b""
        value: Any = None
        for chunk in chunks:
            buf += chunk.encode()
            try:  # noqa: SIM105 - contextlib.suppress would cost a context manager per chunk
                value = from_json(buf, partial_mode="trailing-strings")
            except ValueError:
                pass  # no value has begun yet
        return value

    return run, str.encode, step


def _pydantic_core() -> tuple[Runner, Step, Step]:
    from pydantic_core import from_json

    def step(buf: Any) -> Any:
        try:
            return from_json(buf, allow_partial=True)
        except ValueError:
            return None

    def run(chunks: Sequence[str]) -> Any:
        buf = ""
        value: Any = None
        for chunk in chunks:
            buf += chunk
            try:  # noqa: SIM105
                value = from_json(buf, allow_partial=True)
            except ValueError:
                pass
        return value

    return run, str, step


def _partial_json_parser() -> tuple[Runner, Step, Step]:
    from partial_json_parser import loads  # type: ignore[import-untyped]

    def step(buf: Any) -> Any:
        try:
            return loads(buf)
        except ValueError:
            return None

    def run(chunks: Sequence[str]) -> Any:
        buf = ""
        value: Any = None
        for chunk in chunks:
            buf += chunk
            try:  # noqa: SIM105
                value = loads(buf)
            except ValueError:
                pass
        return value

    return run, str, step


class _ReadyChunks:
    """An async iterator over a list that never suspends."""

    __slots__ = ("_it",)

    def __init__(self, chunks: Iterable[str]) -> None:
        self._it = iter(chunks)

    def __aiter__(self) -> _ReadyChunks:
        return self

    async def __anext__(self) -> str:
        try:
            return next(self._it)
        except StopIteration:
            raise StopAsyncIteration from None


def _jsonriver() -> Runner:
    import jsonriver  # type: ignore[import-untyped]

    def run(chunks: Sequence[str]) -> Any:
        # jsonriver is async-only. Its source awaits nothing but the chunk
        # iterator, so each __anext__() coroutine completes on its first send():
        # the cheapest way to drive it, with no event loop overhead to blame.
        values: AsyncIterator[Any] = jsonriver.parse(_ReadyChunks(chunks))
        anext_ = cast("Callable[[], Coroutine[Any, Any, Any]]", values.__anext__)
        value: Any = None
        while True:
            try:
                anext_().send(None)
            except StopIteration as yielded:
                value = yielded.value
            except StopAsyncIteration:
                return value
            else:  # pragma: no cover - jsonriver changed
                raise RuntimeError("jsonriver suspended on a ready iterator")

    return run


#: ijson backends, fastest first.
_IJSON_BACKENDS: Final = ("yajl2_c", "yajl2_cffi", "yajl2", "python")


def ijson_backend() -> Any:
    """The fastest importable ijson backend module (its ``backend_name`` says which)."""
    import ijson  # type: ignore[import-untyped]

    for name in _IJSON_BACKENDS:
        try:
            return ijson.get_backend(name)
        except ImportError:
            continue
    raise ImportError("no ijson backend")  # pragma: no cover - python always imports


def _ijson() -> Runner:
    import ijson

    backend = ijson_backend()

    def run(chunks: Sequence[str]) -> Any:
        events = ijson.sendable_list()
        coro = backend.parse_coro(events, use_float=True)
        send = coro.send
        for chunk in chunks:
            send(chunk.encode())
            for _event in events:
                pass
            del events[:]
        coro.close()
        for _event in events:
            pass
        return NO_VALUE

    return run


def _json_loads() -> Runner:
    loads = json.loads

    def run(chunks: Sequence[str]) -> Any:
        return loads("".join(chunks))

    return run


# --- registry --------------------------------------------------------------------------

_Factory = Callable[[], "Runner | tuple[Runner, Step, Step]"]

_PEERS: Final[dict[str, tuple[str, Literal["linear", "quadratic"], bool, _Factory]]] = {
    "midstream": (
        "JsonStream.feed every chunk, iterate every event, close",
        "linear",
        True,
        lambda: _midstream(snapshot=False),
    ),
    "midstream+snapshot": (
        "midstream, plus snapshot() after every chunk",
        "linear",
        True,
        lambda: _midstream(snapshot=True),
    ),
    "jiter": (
        'jiter.from_json(accumulated bytes, partial_mode="trailing-strings") every chunk',
        "quadratic",
        True,
        _jiter,
    ),
    "pydantic_core": (
        "pydantic_core.from_json(accumulated text, allow_partial=True) every chunk",
        "quadratic",
        True,
        _pydantic_core,
    ),
    "jsonriver": (
        "async for value in jsonriver.parse(chunks), driven without an event loop",
        "linear",
        False,
        _jsonriver,
    ),
    "partial_json_parser": (
        "partial_json_parser.loads(accumulated text) every chunk",
        "quadratic",
        False,
        _partial_json_parser,
    ),
    "ijson": (
        "ijson parse_coro (fastest backend), send every chunk as UTF-8, iterate events",
        "linear",
        True,
        _ijson,
    ),
    "json.loads": (
        "floor: join all chunks, json.loads once",
        "linear",
        True,
        _json_loads,
    ),
}

#: Every peer name, in table order.
PEER_NAMES: Final = tuple(_PEERS)


def load_peers(names: Iterable[str] | None = None) -> tuple[list[Peer], dict[str, str]]:
    """Import the peers that are installed.

    Args:
        names: which peers, in which order; default :data:`PEER_NAMES`.

    Returns:
        The loaded peers, and for each peer that could not be loaded, why.

    Raises:
        KeyError: an unknown peer name.
    """
    peers: list[Peer] = []
    missing: dict[str, str] = {}
    for name in names if names is not None else PEER_NAMES:
        if name not in _PEERS:
            raise KeyError(f"unknown peer {name!r}; known: {', '.join(PEER_NAMES)}")
        description, complexity, fast, factory = _PEERS[name]
        try:
            made = factory()
        except (ImportError, AttributeError) as exc:
            missing[name] = f"{type(exc).__name__}: {exc}"
            continue
        if name == "ijson":
            description += f" [backend {ijson_backend().backend_name}]"
        if isinstance(made, tuple):
            runner, prepare, step = made
            peers.append(Peer(name, description, complexity, fast, runner, prepare, step))
        else:
            peers.append(Peer(name, description, complexity, fast, made))
    return peers, missing
