"""The ``midstream`` command.

Subcommands read standard input as it arrives (``os.read`` on the file
descriptor, never a buffered line iterator) and write each event the moment it
happens, one JSON object per line, flushed.

Exit status, for scripts:

==== ==================================================================
0    success
1    bad input: a syntax error, invalid UTF-8, a bad SSE payload, or
     (``sse``) no server-sent event at all in the input (no ``data:``
     line: JSON Lines, an HTTP error body, binary); the message on
     standard error gives the position, or how the input begins
2    usage error (unknown option, missing argument, an ``--out``
     directory that cannot be created or written to)
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
from ._events import Event, ProviderError
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
    """An event as a JSON-ready dict: ``{"type": class name, field: value, ...}``.

    A field itself named ``type`` (``ProviderError.type``) is written
    ``error_type``, so that ``type`` always names the event.
    """
    out: dict[str, Any] = {"type": type(ev).__name__}
    for f in dataclasses.fields(ev):  # type: ignore[arg-type]
        value = getattr(ev, f.name)
        key = "error_type" if f.name == "type" else f.name
        out[key] = list(value) if f.name == "path" else value
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
    """A filter on events' paths; events without a path (content, tool calls) always pass."""
    if not patterns:
        return lambda ev: True
    try:
        compiled = [PathPattern(p) for p in patterns]
    except ValueError as exc:
        raise _Fail(EXIT_USAGE, str(exc)) from None

    def keep(ev: Any) -> bool:
        path = getattr(ev, "path", None)
        return path is None or any(p.match(path) for p in compiled)

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
        out.write([ev for ev in exc.events if keep(ev)])
        raise _Fail(EXIT_BAD_INPUT, str(exc)) from None
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    speed = float("inf") if args.fast else args.speed
    ansi = not args.plain and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return run_demo(sys.stdout, speed=speed, ansi=ansi)


def _cmd_code(args: argparse.Namespace) -> int:
    from ._events import CodeBlockDone
    from ._markdown import CodeBlocks
    from ._markdown._languages import extension

    out_dir = args.out
    if out_dir is not None:
        try:
            os.makedirs(out_dir, exist_ok=True)
        except OSError as exc:
            raise _Fail(EXIT_USAGE, f"cannot use --out {out_dir!r}: {exc.strerror}") from None
    parser = CodeBlocks(languages=args.lang)
    utf8 = _Utf8()
    jsonl = _Out(sys.stdout)
    unclosed: list[int] = []

    def emit(events: list[Event]) -> None:
        for ev in events:
            if not isinstance(ev, CodeBlockDone):
                continue
            if not ev.closed:
                unclosed.append(ev.index)
            if out_dir is not None:
                name = os.path.join(out_dir, f"block-{ev.index}.{extension(ev.lang)}")
                try:
                    with open(name, "w", encoding="utf-8", newline="") as f:
                        f.write(ev.code)
                except OSError as exc:
                    raise _Fail(
                        EXIT_USAGE,
                        f"cannot write code block {ev.index} to {name!r}: {exc.strerror or exc}",
                    ) from None
                sys.stdout.write(name + "\n")
                sys.stdout.flush()
            elif args.jsonl:
                jsonl.write([ev])
            else:
                code = ev.code
                sys.stdout.write(code if not code or code.endswith("\n") else code + "\n")
                sys.stdout.flush()

    try:
        for data in _read_stdin():
            emit(parser.feed(utf8.decode(data)))
        emit(parser.feed(utf8.decode(b"", final=True)))
        emit(parser.close())
    except ParseError as exc:
        raise _Fail(EXIT_BAD_INPUT, str(exc)) from None
    if unclosed:
        which = ", ".join(str(i) for i in unclosed)
        raise _Fail(
            EXIT_TRUNCATED,
            f"the input ended inside code block {which} (no closing fence): written as received",
        )
    return EXIT_OK


def _json_mode(value: str) -> bool | None:
    return {"auto": None, "always": True, "never": False}[value]


#: How much of the input ``sse`` quotes when it finds no event in it.
_HEAD: Final = 60


def _no_events(head: bytes, framing: str | None = None) -> str:
    """The message for an input that holds no event (``framing``: how it was read)."""
    what = {"ndjson": "no JSON lines", "json-array": "no event in the JSON array"}.get(
        framing or "", "no server-sent events"
    )
    if not head:
        return f"{what} found: the input is empty"
    why = " (no 'data:' line)" if what == "no server-sent events" else ""
    return f"{what} found{why} in the input, which begins {head.decode('utf-8', 'replace')!r}"


def _format_choices() -> tuple[str, ...]:
    """``--format`` values: auto, then every wire format the assembler has a reader for."""
    from ._tool_calls._readers import READERS

    return ("auto", *READERS)


def _cmd_sse(args: argparse.Namespace) -> int:
    from ._errors import StreamError
    from ._events import Truncated
    from ._pipeline import ProviderPipeline
    from ._raw import WireReader

    out = _Out(sys.stdout)
    keep = _selector(args.select)
    pipeline = ProviderPipeline(model=None, json=_json_mode(args.json), tools=None, choice=0,
                                keep_text=False, format=args.format)
    # the raw-response path of stream_events(): SSE frames (or NDJSON lines, or the
    # elements of a JSON array), one JSON decode per event
    reader = WireReader(pipeline, format=args.format, framing="ndjson" if args.ndjson else None)
    truncated: list[Truncated] = []

    def handle(events: list[Any]) -> None:
        truncated.extend(ev for ev in events if isinstance(ev, Truncated))
        out.write([ev for ev in events if keep(ev)])
        for ev in events:
            if isinstance(ev, ProviderError):  # e.g. a Responses `response.failed`
                raise _Fail(
                    EXIT_UNAVAILABLE,
                    f"the server sent an error (event {reader.events_read}): {_error_text(ev)}",
                )

    head = b""  # how the input begins, to show when it holds no event at all
    said = "ndjson" if args.ndjson else None
    try:
        for data in _read_stdin():
            if len(head) < _HEAD:
                head += data[: _HEAD - len(head)]
            handle(reader.feed(data))
        if reader.framing not in ("sse", None):
            handle(reader.close())  # a last NDJSON line may end without its newline
        if not reader.events_read:
            # Not a stream that ended early: there was no stream. Say what came instead.
            raise _Fail(EXIT_BAD_INPUT, _no_events(head, reader.framing or said))
        if reader.framing in ("sse", None):
            handle(reader.close())
    except ParseError as exc:
        raise _Fail(EXIT_BAD_INPUT, str(exc)) from None
    except StreamError as exc:
        if not reader.events_read:  # a JSON or HTML body: no event stream at all
            raise _Fail(EXIT_BAD_INPUT, _no_events(head, reader.framing or said)) from None
        # An error event: the raw path raises it (as the SDKs do); the output says it
        # as the event it is, the same as when a pipeline reports a failed response.
        handle([ProviderError(exc.type, exc.code, exc.message)])
    if pipeline.content_error is not None:
        _error(f"sse: note: the content began like JSON but is not: {pipeline.content_error}")
    if truncated:
        why = ", ".join(f"choice {t.choice}: {t.reason or 'no finish'}" for t in truncated)
        raise _Fail(EXIT_TRUNCATED, f"the stream ended before its output was complete ({why})")
    return EXIT_OK


def _load_schema(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise _Fail(EXIT_USAGE, f"--schema wants module:Class, got {spec!r}")
    import importlib

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise _Fail(EXIT_USAGE, f"--schema {spec}: {exc}") from None
    from pydantic import BaseModel

    if not (isinstance(obj, type) and issubclass(obj, BaseModel)):
        raise _Fail(EXIT_USAGE, f"--schema {spec}: not a pydantic model class")
    return obj


def _chat_request(args: argparse.Namespace, schema: Any) -> dict[str, Any]:
    """The Chat Completions request of ``midstream chat``: messages, model, schema."""
    messages: list[Any] = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": " ".join(args.prompt)})
    model = args.model or os.environ.get("OPENAI_MODEL") or "gpt-4o-mini"
    request: dict[str, Any] = {"model": model, "messages": messages, "stream": True}
    if schema is not None:
        request["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()},
        }
    return request


def _cmd_chat(args: argparse.Namespace) -> int:
    key = os.environ.get("OPENAI_API_KEY")
    base_url = os.environ.get("OPENAI_BASE_URL")
    if not key and not base_url:
        raise _Fail(
            EXIT_UNAVAILABLE,
            "no API key or server configured: set OPENAI_API_KEY (for api.openai.com),"
            " or OPENAI_BASE_URL for any OpenAI-compatible server (Ollama, vLLM,"
            " llama.cpp, LM Studio...), e.g. OPENAI_BASE_URL=http://localhost:11434/v1",
        )
    schema = _load_schema(args.schema) if args.schema else None
    try:
        import openai
    except ImportError:
        raise _Fail(
            EXIT_UNAVAILABLE,
            "midstream chat needs the openai package: pip install 'midstream[openai]'",
        ) from None
    from ._adapters import stream_events
    from ._demo import ChatView

    # Local servers take any key; the SDK insists on one.
    client = openai.OpenAI(api_key=key or "not-needed", base_url=base_url, max_retries=0)
    request = _chat_request(args, schema)
    where = base_url or "api.openai.com"
    live = not args.jsonl and sys.stdout.isatty()
    view = ChatView(sys.stdout, ansi=not os.environ.get("NO_COLOR"), json=schema is not None)
    out = _Out(sys.stdout)
    truncated = False
    try:
        stream = client.chat.completions.create(**request)
        for ev in stream_events(stream, model=schema, idle_timeout=args.idle_timeout):
            if type(ev).__name__ == "Truncated":
                truncated = True
            if live:
                view.handle(ev)
            else:
                out.write([ev])
            if isinstance(ev, ProviderError):
                raise _Fail(EXIT_UNAVAILABLE, f"{where} sent an error: {_error_text(ev)}")
    except openai.APIConnectionError as exc:
        raise _Fail(EXIT_UNAVAILABLE, f"cannot reach the server at {where}: {exc}") from None
    except openai.AuthenticationError as exc:
        raise _Fail(EXIT_UNAVAILABLE, f"{where} refused the API key: {_api_message(exc)}") from None
    except openai.APIStatusError as exc:
        raise _Fail(
            EXIT_UNAVAILABLE, f"{where} answered {exc.status_code}: {_api_message(exc)}"
        ) from None
    except openai.APIError as exc:
        raise _Fail(EXIT_UNAVAILABLE, f"{where}: {_api_message(exc)}") from None
    except ParseError as exc:
        raise _Fail(EXIT_BAD_INPUT, f"the model's answer is not valid JSON: {exc}") from None
    except ValueError as exc:  # pydantic.ValidationError: the finished answer does not validate
        raise _Fail(EXIT_BAD_INPUT, f"the model's answer does not validate: {exc}") from None
    finally:
        if live:
            view.finish()
    if truncated:
        raise _Fail(EXIT_TRUNCATED, "the answer was cut off before it was complete")
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        raise _Fail(
            EXIT_UNAVAILABLE, "midstream serve needs uvicorn: pip install 'midstream[web]'"
        ) from None
    from .web._serve import ServeApp, demo_source, relay_source

    if args.demo:
        app = ServeApp(lambda stream_id, query: demo_source(args.speed))
    else:
        if not args.schema:
            raise _Fail(EXIT_USAGE, "give --demo, or --schema module:Model to relay a server")
        if not os.environ.get("OPENAI_API_KEY") and not os.environ.get("OPENAI_BASE_URL"):
            raise _Fail(EXIT_UNAVAILABLE, "set OPENAI_BASE_URL (an OpenAI-compatible server)"
                        " or OPENAI_API_KEY")
        schema = _load_schema(args.schema)
        app = ServeApp(lambda stream_id, query: relay_source(
            schema, " ".join(query.get("prompt", [])) or f"An example {schema.__name__}.",
            args.model,
        ))
    sys.stderr.write(f"{PROG} serve: http://{args.host}:{args.port}/\n")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return EXIT_OK


def _api_message(exc: Any) -> str:
    """The message of an SDK's API error: its body read as every provider error is."""
    from ._tool_calls._provider import provider_error

    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        message = provider_error(body).message
        if message:
            return message
    return str(getattr(exc, "message", exc))


def _error_text(error: Any) -> str:
    """A :class:`ProviderError` as the CLI says it: the message, then type and code."""
    kinds = [k for k in dict.fromkeys((error.type, error.code)) if k]
    return f"{error.message or 'no message'}" + (f" ({', '.join(kinds)})" if kinds else "")


# --- argument parsing ----------------------------------------------------------------

_EPILOG: Final = """\
exit status: 0 ok, 1 bad input (position on stderr; for sse, also no event at all),
2 usage error (or --out unwritable), 3 input ended before its output was complete,
4 no key/server or server error,
130 interrupted, 141 broken pipe."""


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
    return value


# One declarative listing of every subcommand and option (the exception to the
# 60-line rule for functions: splitting it would scatter the CLI's surface).
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

    formats = _format_choices()
    p = sub.add_parser(
        "sse",
        help="a provider's streamed response on stdin -> content, tool calls, fields",
        description=(
            "Read a provider's raw streamed response body from standard input (for"
            " example `curl -N` output): a server-sent event stream (Chat Completions,"
            " the Responses API, Anthropic Messages, and every format of --format),"
            " NDJSON (Ollama's /api/chat: one JSON object per line, with --format"
            " ollama or --ndjson), or Gemini's JSON-array stream (a body that begins"
            " with '['). Write, as JSON Lines the moment they happen: ContentDelta,"
            " ToolCallStart, ToolArgumentsDelta, ToolCallDone, ToolCallError, Finish,"
            " the JSON events of the content when it is JSON, and Truncated when the"
            " stream ended before its output was complete (exit 3)."
        ),
        epilog=_EPILOG + f"\nformats: {', '.join(formats)}.",
        formatter_class=fmt,
    )
    p.add_argument("--format", choices=formats, default="auto", metavar="NAME",
                   help="the wire format (default auto: told by each event)")
    p.add_argument("--ndjson", action="store_true",
                   help="the input is NDJSON, one event object per line (the default"
                   " for --format ollama)")
    p.add_argument("--select", action="append", metavar="PATTERN",
                   help="only the content's JSON events at paths matching PATTERN"
                   " (other events pass); repeatable")
    p.add_argument("--json", choices=("auto", "always", "never"), default="auto",
                   help="parse the content as JSON: when it starts with { or [ (auto,"
                   " the default), always (else exit 1), never")
    p.set_defaults(func=_cmd_sse)

    p = sub.add_parser(
        "code",
        help="Markdown on stdin -> each fenced code block the moment it closes",
        description=(
            "Read Markdown from standard input and write out the code of each fenced"
            " code block (CommonMark fences) the moment its closing fence arrives: to"
            " standard output, or as a file in --out DIR (one path printed per block)."
            " A block that the input ends inside is still written, and the exit status"
            " is 3."
        ),
        epilog=_EPILOG,
        formatter_class=fmt,
    )
    p.add_argument("--lang", action="append", metavar="L",
                   help="only blocks whose language (info string's first word) is L,"
                   " case-insensitive, aliases included (py = python); repeatable")
    p.add_argument("--out", metavar="DIR",
                   help="write block N to DIR/block-N.EXT (EXT from the language, or txt)")
    p.add_argument("--jsonl", action="store_true",
                   help="write each block as a JSON line (index, lang, info, code, closed)")
    p.set_defaults(func=_cmd_code)

    p = sub.add_parser(
        "chat",
        help="ask a model (OpenAI-compatible server) and show the answer's fields as they stream",
        description=(
            "Send PROMPT with the openai SDK to OPENAI_BASE_URL (any OpenAI-compatible"
            " server; api.openai.com when unset) using OPENAI_API_KEY, and show the"
            " answer as it streams: its fields as they start, grow and complete (when it"
            " is JSON), validated into --schema when given. On a terminal the view is"
            " live; otherwise the events are written as JSON Lines."
        ),
        epilog=_EPILOG + "\nenvironment: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL.",
        formatter_class=fmt,
    )
    p.add_argument("prompt", nargs="+", metavar="PROMPT", help="what to ask")
    p.add_argument("--model", metavar="M",
                   help="model name (default: $OPENAI_MODEL, else gpt-4o-mini)")
    p.add_argument("--schema", metavar="module:Class",
                   help="a pydantic model: the answer is requested as its JSON schema"
                   " and validated field by field")
    p.add_argument("--system", metavar="TEXT", help="a system message")
    p.add_argument("--jsonl", action="store_true",
                   help="write events as JSON Lines even on a terminal")
    p.add_argument("--idle-timeout", type=_positive, default=60.0, metavar="SECONDS",
                   help="give up when the server sends nothing for this long (default 60)")
    p.set_defaults(func=_cmd_chat)

    p = sub.add_parser(
        "serve",
        help="serve a page that shows a stream filling a form live (SSE; needs midstream[web])",
        description=(
            "Serve, with uvicorn, a page at / that shows a streamed answer filling a form"
            " field by field, each field marked as it validates, over server-sent events at"
            " /streams/{id} (a new id starts a stream, a known one resumes it with"
            " Last-Event-ID). --demo streams the bundled answer (one field invalid on"
            " purpose); otherwise each stream is the answer of OPENAI_BASE_URL to ?prompt=,"
            " validated by --schema."
        ),
        epilog=_EPILOG + "\nenvironment: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL.",
        formatter_class=fmt,
    )
    p.add_argument("--demo", action="store_true", help="stream the bundled demo answer")
    p.add_argument("--schema", metavar="module:Class", help="the pydantic model to validate into")
    p.add_argument("--model", metavar="M", help="model name (default: $OPENAI_MODEL)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--speed", type=_positive, default=1.0, metavar="X",
                   help="demo pace multiplier (default 1)")
    p.set_defaults(func=_cmd_serve)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``midstream`` command; return its exit status.

    Args:
        argv: the arguments without the program name (default ``sys.argv[1:]``).
    """
    for stream in (sys.stdout, sys.stderr):
        # Field values are any Unicode: never fail on a terminal that cannot show them.
        if (getattr(stream, "encoding", None) or "").lower().replace("-", "") != "utf8":
            reconfigure = getattr(stream, "reconfigure", None)
            if callable(reconfigure):
                reconfigure(errors="backslashreplace")
    ap = build_parser()
    args, extra = ap.parse_known_args(argv)
    if extra:
        # argparse would report a subcommand's unknown option with the top-level usage
        _subparser(ap, args.command).error(f"unrecognized arguments: {' '.join(extra)}")
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


def _subparser(ap: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in ap._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[name]
            return found
    return ap


def _error(message: str) -> None:
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()
