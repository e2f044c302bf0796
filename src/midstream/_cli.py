"""The ``midstream`` command.

Subcommands read standard input as it arrives (``os.read`` on the file
descriptor, never a buffered line iterator) and write each event the moment it
happens, one JSON object per line, flushed.

Exit status, for scripts:

==== ==================================================================
0    success
1    bad input: a syntax error, invalid UTF-8, a bad SSE payload; the
     message on standard error gives the position
2    usage error (unknown option, missing argument)
3    the input ended before its output was complete: unfinished JSON,
     an unclosed code block, ``finish_reason`` "length"/"max_tokens",
     or an SSE stream that stopped without finishing. What was
     complete has been written.
4    unavailable: no API key or server configured, the server failed or
     could not be reached, an optional dependency is missing
130  interrupted (Ctrl-C)
141  standard output was closed early (a broken pipe)
==== ==================================================================
"""

from __future__ import annotations

import argparse
import codecs
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final, TextIO

from ._errors import IncompleteJsonError, ParseError, StreamTimeout
from ._events import Event
from ._paths import PathPattern

__all__ = ["main"]

EXIT_OK: Final = 0
EXIT_BAD_INPUT: Final = 1
EXIT_USAGE: Final = 2
EXIT_TRUNCATED: Final = 3
EXIT_UNAVAILABLE: Final = 4
EXIT_INTERRUPTED: Final = 130
EXIT_BROKEN_PIPE: Final = 141

#: How much one ``os.read`` asks for; a pipe returns whatever is there sooner.
READ_SIZE: Final = 64 * 1024

PROG: Final = "midstream"


class _Fail(Exception):
    """End the command with ``status`` after printing ``message`` on stderr."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# --- input and output -----------------------------------------------------------


def _read_stdin() -> Iterator[bytes]:
    """Bytes from standard input as soon as they arrive (no line buffering)."""
    fd = sys.stdin.fileno()
    while True:
        data = os.read(fd, READ_SIZE)
        if not data:
            return
        yield data


class _Utf8:
    """Incremental strict UTF-8 decoding that reports the absolute byte offset of bad bytes."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._offset = 0

    def decode(self, data: bytes, final: bool = False) -> str:
        held = len(self._decoder.getstate()[0])
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            where = self._offset - held + exc.start
            raise _Fail(
                EXIT_BAD_INPUT, f"input is not UTF-8: {exc.reason} (byte {where})"
            ) from None
        self._offset += len(data)
        return text


def _jsonable(obj: Any) -> Any:
    """``json.dumps`` fallback: models, exceptions, dates and the rest."""
    if isinstance(obj, BaseException):
        out: dict[str, Any] = {"error": type(obj).__name__, "message": str(obj)}
        if isinstance(obj, ParseError):
            out.update(kind=obj.kind.value, offset=obj.offset, line=obj.line, column=obj.column)
        return out
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    if dataclasses.is_dataclass(obj) and isinstance(obj, Event):
        return event_dict(obj)
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(obj, fallback=repr)


def event_dict(ev: Event) -> dict[str, Any]:
    """An event as a JSON-ready dict: ``{"type": class name, field: value, ...}``."""
    out: dict[str, Any] = {"type": type(ev).__name__}
    for f in dataclasses.fields(ev):  # type: ignore[arg-type]
        value = getattr(ev, f.name)
        out[f.name] = list(value) if f.name == "path" else value
    return out


class _Out:
    """JSON Lines on standard output, flushed after each batch of events."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, events: Sequence[Event]) -> None:
        if not events:
            return
        lines = [
            json.dumps(event_dict(ev), ensure_ascii=False, default=_jsonable) for ev in events
        ]
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()


def _selector(patterns: list[str] | None) -> Callable[[Any], bool]:
    """A filter on events' paths; events without a path pass only when nothing is selected."""
    if not patterns:
        return lambda ev: True
    try:
        compiled = [PathPattern(p) for p in patterns]
    except ValueError as exc:
        raise _Fail(EXIT_USAGE, str(exc)) from None

    def keep(ev: Any) -> bool:
        path = getattr(ev, "path", None)
        return path is not None and any(p.match(path) for p in compiled)

    return keep


# --- subcommands ------------------------------------------------------------------


def _cmd_json(args: argparse.Namespace) -> int:
    from ._json_stream import JsonStream

    out = _Out(sys.stdout)
    keep = _selector(args.select)
    parser = JsonStream()
    try:
        for data in _read_stdin():
            out.write([ev for ev in parser.feed(data) if keep(ev)])
        out.write([ev for ev in parser.close() if keep(ev)])
    except IncompleteJsonError as exc:
        raise _Fail(EXIT_TRUNCATED, f"input ended before the JSON did: {exc}") from None
    except ParseError as exc:
        # The events of the failing chunk before the error are still valid: write them.
        out.write([ev for ev in getattr(parser, "_events", ()) if keep(ev)])
        raise _Fail(EXIT_BAD_INPUT, str(exc)) from None
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    speed = float("inf") if args.fast else args.speed
    ansi = not args.plain and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return run_demo(sys.stdout, speed=speed, ansi=ansi)


# --- argument parsing ----------------------------------------------------------------

_EPILOG: Final = """\
exit status: 0 ok, 1 bad input (position on stderr), 2 usage error,
3 input ended before its output was complete, 4 no key/server or server error,
130 interrupted, 141 broken pipe."""


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser (all subcommands)."""
    fmt = argparse.RawDescriptionHelpFormatter
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Parse LLM output while it streams: JSON fields, code blocks, tool calls.",
        epilog=_EPILOG,
        formatter_class=fmt,
    )
    from . import __version__

    ap.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "demo",
        help="replay a bundled model answer and show each field as it streams",
        description=(
            "Replay a JSON answer bundled with midstream (cut at real cl100k_base token"
            " boundaries, paced like a model) and show each field as it starts, streams and"
            " completes, then a summary. No key, no network."
        ),
        epilog=_EPILOG,
        formatter_class=fmt,
    )
    pace = p.add_mutually_exclusive_group()
    pace.add_argument("--fast", action="store_true", help="no pacing: replay at full speed")
    pace.add_argument(
        "--speed", type=_positive, default=1.0, metavar="X",
        help="pace multiplier: 2 replays twice as fast as the model (default 1)",
    )
    p.add_argument("--plain", action="store_true",
                   help="one line per event, no colours (the default when not a terminal)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser(
        "json",
        help="JSON text on stdin -> its events as JSON Lines, as they happen",
        description=(
            "Read one JSON document from standard input while it arrives and write each"
            " event (ValueStart, StringDelta, ValueDone) as a JSON line the moment it"
            ' happens: {"type": "ValueDone", "path": ["items", 0], "value": ...}.'
        ),
        epilog=_EPILOG,
        formatter_class=fmt,
    )
    p.add_argument(
        "--select", action="append", metavar="PATTERN",
        help="only events at paths matching PATTERN ('items.*.name'; '*' one level,"
        " '**' any levels; '' the root); repeatable",
    )
    p.set_defaults(func=_cmd_json)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``midstream`` command; return its exit status.

    Args:
        argv: the arguments without the program name (default ``sys.argv[1:]``).
    """
    ap = build_parser()
    args = ap.parse_args(argv)
    try:
        status: int = args.func(args)
        return status
    except _Fail as fail:
        _error(f"{args.command}: {fail.message}")
        return fail.status
    except StreamTimeout as exc:
        _error(f"{args.command}: {exc}")
        return EXIT_TRUNCATED
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Nobody reads our output any more; don't let the interpreter complain at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _error(message: str) -> None:
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()
