"""The ``midstream`` command, run as a real subprocess.

Every streaming subcommand gets its standard input in timed pieces, and the
test reads the first event from standard output *before* it closes standard
input: the command has to act on data as it arrives, not at EOF.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from _sse_server import RecordingServer, load_corpus, sse_bytes
from helpers import shared_path
from midstream import _cli as cli_module
from midstream import stream_events
from midstream._cli import _jsonable, event_dict, main
from midstream._demo import demo_delays, load_demo_chunks, run_demo
from midstream._pipeline import ProviderPipeline

ROOT = Path(__file__).resolve().parents[1]
LINE_TIMEOUT = 10.0


class Cli:
    """``python -m midstream ARGS`` with pipes, and a reader thread on its stdout."""

    def __init__(self, *args: str, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "midstream", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1", **(env or {})},
            cwd=cwd,
        )
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, b""):
            self.lines.put(line)
        self.lines.put(None)

    def send(self, data: str | bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data.encode() if isinstance(data, str) else data)
        self.proc.stdin.flush()

    def line(self, timeout: float = LINE_TIMEOUT) -> str:
        """The next line of output; fails if none comes within ``timeout`` seconds."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.proc.kill()
            pytest.fail(f"no output within {timeout} s")
        if line is None:
            assert self.proc.stderr is not None
            pytest.fail(f"the command ended early: {self.proc.stderr.read().decode()}")
        return line.decode()

    def event(self, timeout: float = LINE_TIMEOUT) -> dict[str, Any]:
        ev: dict[str, Any] = json.loads(self.line(timeout))
        return ev

    def finish(self, timeout: float = 30) -> tuple[list[str], str, int]:
        """Close stdin, wait for the exit; the remaining lines, stderr and exit status."""
        assert self.proc.stdin is not None
        if not self.proc.stdin.closed:
            self.proc.stdin.close()
        rc = self.proc.wait(timeout)
        rest: list[str] = []
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                break
            rest.append(line.decode())
        assert self.proc.stderr is not None
        return rest, self.proc.stderr.read().decode(), rc


def run(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None,
        timeout: float = 30) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "midstream", *args], input=stdin, capture_output=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})}, timeout=timeout,
    )


def events_of(lines: Sequence[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


# --- the console script and --help ---------------------------------------------------


@pytest.mark.parametrize("command", [[], ["demo"], ["json"], ["sse"], ["code"], ["chat"]])
def test_help_everywhere(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: midstream")
    assert "exit status" in out


@pytest.mark.parametrize("args", [
    [], ["nope"], ["demo", "--speed", "0"], ["demo", "--fast", "--speed", "2"], ["chat"],
    ["json", "--unknown"],
])
def test_usage_errors_exit_2_on_stderr(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage: midstream" in captured.err


def test_help_and_usage_errors_as_a_subprocess() -> None:
    assert run("sse", "--help").returncode == 0
    proc = run("code", "--bogus")
    assert proc.returncode == 2 and b"usage: midstream code" in proc.stderr


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("midstream")
    if not script.exists():
        pytest.skip("midstream is not installed in this environment")
    proc = subprocess.run([str(script), "--version"], capture_output=True, timeout=30)
    assert proc.returncode == 0
    assert proc.stdout.decode().startswith("midstream ")


# --- demo --------------------------------------------------------------------------------


def _load_script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_demo_stream", ROOT / "scripts" / "make_demo_stream.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_data_file_is_what_the_script_makes() -> None:
    pytest.importorskip("tiktoken")
    script = _load_script()
    packaged = ROOT / "src" / "midstream" / "data" / "demo_stream.json"
    assert packaged.read_text(encoding="utf-8") == script.build(), (
        "src/midstream/data/demo_stream.json is stale or hand-edited:"
        " run python scripts/make_demo_stream.py"
    )
    # and the package loads that very file, cut at token boundaries
    chunks = load_demo_chunks()
    assert chunks == script.token_chunks(json.dumps(script.DOCUMENT, indent=2) + "\n")


def _count_values(value: Any) -> int:
    if isinstance(value, dict):
        return sum(1 + _count_values(v) for v in value.values())
    if isinstance(value, list):
        return sum(1 + _count_values(v) for v in value)
    return 0


def test_demo_fast_prints_every_field_and_a_true_summary() -> None:
    proc = run("demo", "--fast")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    chunks = load_demo_chunks()
    document = json.loads("".join(chunks))
    fields = _count_values(document)
    assert f"{len(chunks)} chunks, {len(''.join(chunks))} characters, {fields} fields" in out
    # plain lines when stdout is not a terminal: no escape codes
    assert "\x1b[" not in out
    for key, value in document.items():
        if isinstance(value, str) and "\n" not in value and len(value) < 50:
            assert f"done   {key} = {json.dumps(value)}" in out


class _Flushed(io.StringIO):
    """An output stream that records what a reader would have seen, and when.

    Text reaches the reader only at ``flush()`` (as through a pipe), stamped
    with ``clock()`` at that moment.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self.clock = clock
        self.seen: list[tuple[float, str]] = []
        self._sent = 0

    def flush(self) -> None:
        text = self.getvalue()
        if len(text) > self._sent:
            self.seen.append((self.clock(), text[self._sent :]))
            self._sent = len(text)


def test_demo_is_paced_and_shows_the_first_field_long_before_the_end() -> None:
    # On a virtual clock that only the demo's own sleeps move: the schedule is
    # checked exactly, whatever the machine's load.
    speed = 8.0
    schedule = demo_delays(len(load_demo_chunks()), speed)
    now = [0.0]

    def sleep(seconds: float) -> None:
        assert seconds > 0
        now[0] += seconds

    out = _Flushed(lambda: now[0])
    assert run_demo(out, speed=speed, sleep=sleep, clock=lambda: now[0]) == 0
    # it slept its whole schedule, and flushed each field as it completed
    assert now[0] == pytest.approx(sum(schedule))
    first_done = next(t for t, text in out.seen if " done   " in text)
    assert first_done <= 0.5 * sum(schedule)
    # the times it prints are the schedule's
    assert f"last chunk after {sum(schedule):.3f} s" in out.getvalue()


def test_demo_pace_is_like_a_model() -> None:
    delays = demo_delays(1000, 1.0)
    tokens_per_second = (len(delays) - 1) / sum(delays[1:])
    assert 30 <= tokens_per_second <= 120
    assert max(delays[1:]) < 0.5
    assert demo_delays(10, float("inf")) == [0.0] * 10
    assert sum(demo_delays(100, 2.0)) == pytest.approx(sum(demo_delays(100, 1.0)) / 2)


# --- json ----------------------------------------------------------------------------------


def test_json_streams_events_before_stdin_closes() -> None:
    cli = Cli("json")
    cli.send('{"title": "Hel')
    # the command is still reading: these events must already be out
    assert cli.event() == {"type": "ValueStart", "path": [], "kind": "object"}
    assert cli.event() == {"type": "ValueStart", "path": ["title"], "kind": "string"}
    assert cli.event() == {"type": "StringDelta", "path": ["title"], "text": "Hel"}
    cli.send('lo", "tags": ["a", ')
    assert cli.event() == {"type": "StringDelta", "path": ["title"], "text": "lo"}
    assert cli.event() == {"type": "ValueDone", "path": ["title"], "value": "Hello"}
    assert [cli.event()["type"] for _ in range(4)] == [
        "ValueStart", "ValueStart", "StringDelta", "ValueDone"  # tags, then "a"
    ]
    cli.send(b'"\xc3')  # a character cut between two writes
    # the string's start is out: the command has read the first half on its own
    assert cli.event() == {"type": "ValueStart", "path": ["tags", 1], "kind": "string"}
    cli.send(b'\xa9"], "n": 12}')
    rest, err, rc = cli.finish()
    assert rc == 0, err
    events = events_of(rest)
    assert events[:2] == [
        {"type": "StringDelta", "path": ["tags", 1], "text": "é"},
        {"type": "ValueDone", "path": ["tags", 1], "value": "é"},
    ]
    assert events[-2:] == [
        {"type": "ValueDone", "path": ["n"], "value": 12},
        {"type": "ValueDone", "path": [], "value": {"title": "Hello", "tags": ["a", "é"], "n": 12}},
    ]


def test_json_select() -> None:
    cli = Cli("json", "--select", "items.*.name", "--select", "total")
    cli.send('{"items": [{"name": "ab", "qty": 1}, ')
    assert cli.event() == {"type": "ValueStart", "path": ["items", 0, "name"], "kind": "string"}
    cli.send('{"name": "c", "qty": 2}], "total": 3}')
    rest, err, rc = cli.finish()
    assert rc == 0, err
    paths = {tuple(ev["path"]) for ev in events_of(rest)}
    assert paths == {("items", 0, "name"), ("items", 1, "name"), ("total",)}


def test_json_bad_input_exit_1_with_position_after_the_good_events() -> None:
    proc = run("json", stdin=b'{"a": [1,\n  x]}')
    assert proc.returncode == 1
    events = events_of(proc.stdout.decode().splitlines())
    assert events[-1] == {"type": "ValueDone", "path": ["a", 0], "value": 1}
    err = proc.stderr.decode()
    assert "line 2 column 3 (byte 12)" in err
    assert err.startswith("midstream: json: ")


def test_json_invalid_utf8_exit_1_with_byte_offset() -> None:
    proc = run("json", stdin=b'["ab\xff"]')
    assert proc.returncode == 1
    assert "byte 4" in proc.stderr.decode()


def test_json_truncated_exit_3() -> None:
    proc = run("json", stdin=b'{"a": "unfinished')
    assert proc.returncode == 3
    assert events_of(proc.stdout.decode().splitlines())[-1] == {
        "type": "StringDelta", "path": ["a"], "text": "unfinished"
    }
    assert "byte 17" in proc.stderr.decode()


def test_json_bad_pattern_is_a_usage_error() -> None:
    proc = run("json", "--select", "a..b", stdin=b"{}")
    assert proc.returncode == 2
    assert b"empty segment" in proc.stderr


def test_broken_pipe_exits_quietly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "midstream", "demo", "--plain", "--speed", "50"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    rc = proc.wait(30)
    assert rc == 141
    assert b"Traceback" not in proc.stderr.read()


# --- sse -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> dict[str, dict[str, Any]]:
    return load_corpus(shared_path("corpus", "real"))


@pytest.fixture(scope="module")
def server(corpus: dict[str, Any]) -> Any:
    with RecordingServer(corpus) as srv:
        yield srv


@pytest.fixture
def srv(server: RecordingServer) -> RecordingServer:
    server.reset()
    return server


def _as_json_lines(events: list[Any]) -> list[dict[str, Any]]:
    """What the command prints for these events, decoded."""
    return [json.loads(json.dumps(event_dict(ev), default=_jsonable)) for ev in events]


def _hold_point(events: list[Any]) -> int:
    """How many events the command needs before it has something to write."""
    pipeline = ProviderPipeline(model=None, json=None, tools=None, choice=0, keep_text=False)
    return next(n for n, ev in enumerate(events, 1) if pipeline.feed(ev))


def _pipe_http_to(cli: Cli, url: str, stop: threading.Event | None = None) -> threading.Thread:
    """Copy a chunked HTTP response into the command's stdin as the bytes arrive."""
    import urllib.request

    def copy() -> None:
        with urllib.request.urlopen(url, timeout=20) as resp:
            while data := resp.read1(65536):
                cli.send(data)
        assert cli.proc.stdin is not None
        cli.proc.stdin.close()

    thread = threading.Thread(target=copy, daemon=True)
    thread.start()
    return thread


@pytest.mark.shared
@pytest.mark.parametrize("sid", [
    "workflowai:openai:stream_with_tools",  # chat completions, four parallel tool calls
    "llm:test_async_model_schema",  # Responses API, JSON output_text
    "workflowai:anthropic:anthropic_with_multiple_tools_streaming_fixture",  # Anthropic
])
def test_sse_from_a_real_http_stream(srv: RecordingServer, corpus: dict[str, Any],
                                     sid: str) -> None:
    recorded = corpus[sid]["events"]
    # hold the stream back right after the first event that gives the command something to say
    srv.hold_after = _hold_point(recorded)
    cli = Cli("sse")
    copier = _pipe_http_to(cli, f"{srv.url}/sse/{sid}")
    # the server is holding the rest back: this event comes from the first four
    first = cli.event()
    assert srv.holding.is_set() and not srv.released.is_set()
    srv.release()
    copier.join(20)
    rest, err, rc = cli.finish()
    assert rc == 0, err
    assert [first, *events_of(rest)] == _as_json_lines(list(stream_events(corpus[sid]["events"])))


@pytest.mark.shared
def test_sse_truncated_stream_exit_3(corpus: dict[str, Any]) -> None:
    sid = "workflowai:anthropic:finish_reason_max_tokens_stream_response"
    proc = run("sse", stdin=b"".join(sse_bytes(corpus[sid])))
    assert proc.returncode == 3
    last = events_of(proc.stdout.decode().splitlines())[-1]
    assert last["type"] == "Truncated" and last["reason"] == "max_tokens"
    assert last["partial"]["title"] == "Test pdf"
    assert "max_tokens" in proc.stderr.decode()


@pytest.mark.shared
def test_sse_select_and_json_never(corpus: dict[str, Any]) -> None:
    data = b"".join(sse_bytes(corpus["llm:test_async_model_schema"]))
    events = events_of(run("sse", "--select", "name", stdin=data).stdout.decode().splitlines())
    fields = [ev for ev in events if "path" in ev]
    assert fields[0] == {"type": "ValueStart", "path": ["name"], "kind": "string"}
    assert fields[-1] == {"type": "ValueDone", "path": ["name"], "value": "Barkley"}
    assert "".join(ev["text"] for ev in fields[1:-1]) == "Barkley"
    assert {ev["type"] for ev in fields[1:-1]} == {"StringDelta"}
    assert any(ev["type"] == "ContentDelta" for ev in events)
    never = events_of(run("sse", "--json", "never", stdin=data).stdout.decode().splitlines())
    assert {ev["type"] for ev in never} == {"ContentDelta", "Finish", "Usage"}


def test_sse_errors() -> None:
    bad = run("sse", stdin=b'data: {"choices": [}\n\n')
    assert bad.returncode == 1
    assert "SSE event 1 is not JSON" in bad.stderr.decode()
    server_error = run("sse", stdin=b'data: {"error": {"message": "quota"}}\n\n')
    assert server_error.returncode == 4
    assert "quota" in server_error.stderr.decode()
    not_json = run("sse", "--json", "always", stdin=(
        b'data: {"choices": [{"index": 0, "delta": {"content": "hello"}}]}\n\n'
    ))
    assert not_json.returncode == 1
    assert "line 1 column 1 (char 0)" in not_json.stderr.decode()
    # a stream that just stops: the JSON field events so far, then Truncated, exit 3
    chunk = {"choices": [{"index": 0, "delta": {"content": '{"a": 1, '}}]}
    cut = run("sse", stdin=f"data: {json.dumps(chunk)}\n\n".encode())
    assert cut.returncode == 3
    assert events_of(cut.stdout.decode().splitlines())[-1] == {
        "type": "Truncated", "choice": 0, "reason": None, "partial": {"a": 1}
    }


@pytest.mark.parametrize(
    ("stdin", "shown"),
    [
        (b'{"choices": [{"index": 0, "delta": {"content": "hi"}}]}\n{"choices": []}\n',
         '{"choices": [{"index": 0'),  # JSON Lines
        (b'{"error": {"message": "Incorrect API key", "code": "invalid_api_key"}}',
         "Incorrect API key"),  # an HTTP error body
        (b"<html><body>502 Bad Gateway</body></html>\n", "502 Bad Gateway"),
        (bytes(range(256)) * 4, "\\x00\\x01"),  # binary
        (b": keep-alive\n\nevent: ping\n\n", ": keep-alive"),  # no data: line
        (b"", "the input is empty"),
    ],
)
def test_sse_input_without_events_is_bad_input_not_a_cut_stream(stdin: bytes, shown: str) -> None:
    proc = run("sse", stdin=stdin)
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert "no server-sent events found" in err and shown in err
    assert "ended before" not in err
    assert proc.stdout == b""  # no Truncated: there was no stream to cut


# --- sse: other framings and --format ------------------------------------------------------------


def _chat_line(text: str | None = None, finish: str | None = None) -> bytes:
    delta = {"content": text} if text is not None else {}
    chunk = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return json.dumps(chunk).encode() + b"\n"


def test_sse_ndjson_streams_each_line_before_stdin_closes() -> None:
    cli = Cli("sse", "--ndjson")
    cli.send(b"\r\n" + _chat_line("Hel"))
    assert cli.event() == {"type": "ContentDelta", "choice": 0, "text": "Hel"}
    cli.send(_chat_line("lo") + _chat_line(finish="stop").rstrip(b"\n"))  # no last newline
    rest, err, rc = cli.finish()
    assert rc == 0, err
    assert events_of(rest) == [{"type": "ContentDelta", "choice": 0, "text": "lo"},
                               {"type": "Finish", "choice": 0, "reason": "stop"}]


def test_sse_reads_a_json_array_body_as_it_arrives() -> None:
    chunks = [json.loads(_chat_line(t)) for t in ("Hel", "lo")] + [
        json.loads(_chat_line(finish="stop"))]
    body = ("[" + "\n,\r\n".join(json.dumps(c, indent=2) for c in chunks) + "]").encode()
    cli = Cli("sse")  # no --format: the "[" tells
    cut = body.index(b"\n,") + 1
    cli.send(body[:cut])
    assert cli.event() == {"type": "ContentDelta", "choice": 0, "text": "Hel"}
    cli.send(body[cut:])
    rest, err, rc = cli.finish()
    assert rc == 0, err
    assert events_of(rest) == _as_json_lines(list(stream_events(chunks)))[1:]


def test_sse_ndjson_errors_and_exit_statuses() -> None:
    bad = run("sse", "--ndjson", stdin=_chat_line("a") + b'{"choices": [}\n')
    assert bad.returncode == 1
    assert "line 2 of the body: " in bad.stderr.decode()
    assert "(byte " in bad.stderr.decode()
    assert events_of(bad.stdout.decode().splitlines()) == [
        {"type": "ContentDelta", "choice": 0, "text": "a"}]  # what came first stands
    error = run("sse", "--ndjson", stdin=_chat_line("a") + b'{"error": "model not found"}\n')
    assert error.returncode == 4 and "model not found" in error.stderr.decode()
    cut = run("sse", "--ndjson", stdin=_chat_line("a") + b'{"choices": [{"ind')
    assert cut.returncode == 3
    assert events_of(cut.stdout.decode().splitlines())[-1]["type"] == "Truncated"
    for stdin in (b"", b"\n\n"):
        empty = run("sse", "--ndjson", stdin=stdin)
        assert empty.returncode == 1 and "no JSON lines found" in empty.stderr.decode()
    # an SSE format keeps refusing JSON Lines as no event stream at all
    sse_only = run("sse", "--format", "chat", stdin=_chat_line("a"))
    assert sse_only.returncode == 1
    assert "no server-sent events found" in sse_only.stderr.decode()


def test_sse_format_choices_come_from_the_reader_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from midstream._tool_calls._readers import READERS

    assert run("sse", "--format", "nope").returncode == 2
    with pytest.raises(SystemExit):
        main(["sse", "--help"])
    out = capsys.readouterr().out
    assert f"formats: {', '.join(['auto', *READERS])}." in out
    monkeypatch.setitem(READERS, "newformat", READERS["chat"])
    args = cli_module.build_parser().parse_args(["sse", "--format", "newformat"])
    assert args.format == "newformat"
    # the format reaches the pipeline: a Responses event is not Chat Completions
    line = json.dumps({"type": "response.output_text.delta", "item_id": "m", "output_index": 0,
                       "content_index": 0, "delta": "hi"}).encode() + b"\n"
    auto = run("sse", "--ndjson", stdin=line)
    assert events_of(auto.stdout.decode().splitlines())[0]["text"] == "hi"
    chat = run("sse", "--ndjson", "--format", "chat", stdin=line)
    assert not any(ev["type"] == "ContentDelta" for ev in
                   events_of(chat.stdout.decode().splitlines()))


def _formats() -> Any:
    from midstream._tool_calls._readers import READERS

    return READERS


# These two run once the format lanes of issue 18 have merged their readers.
@pytest.mark.shared
@pytest.mark.skipif("ollama" not in _formats(), reason="no ollama reader yet (issue 18)")
def test_sse_format_ollama_reads_ollama_ndjson() -> None:
    path = shared_path("corpus", "real", "ollama_chat.jsonl")
    for line in path.read_text("utf-8").splitlines():
        stream = json.loads(line)
        body = b"".join(json.dumps(e).encode() + b"\n" for e in stream["events"])
        proc = run("sse", "--format", "ollama", stdin=body)
        expected = _as_json_lines(list(stream_events(stream["events"])))
        assert events_of(proc.stdout.decode().splitlines()) == expected, stream["id"]


@pytest.mark.shared
@pytest.mark.skipif("gemini" not in _formats(), reason="no gemini reader yet (issue 18)")
def test_sse_reads_gemini_json_array_streams_without_format() -> None:
    path = shared_path("corpus", "real", "google_generate_content.jsonl")
    for line in path.read_text("utf-8").splitlines():
        stream = json.loads(line)
        if "transport=JSON-array stream" not in stream["notes"]:
            continue
        body = ("[" + "\n,\r\n".join(json.dumps(e, indent=2) for e in stream["events"])
                + "]").encode()
        expected = _as_json_lines(list(stream_events(stream["events"])))
        for args in (["sse"], ["sse", "--format", "gemini"]):
            proc = run(*args, stdin=body)
            assert events_of(proc.stdout.decode().splitlines()) == expected, stream["id"]


# --- code --------------------------------------------------------------------------------------

MARKDOWN = [
    "Here is the script:\n\n```py",
    "thon\nimport sys\nprint(sys.argv)\n`",
    "``\n\nand the config:\n\n~~~toml\nname = 'x'\n~~~\n",
    "\nand some shell:\n\n```bash\necho hi\n```\n",
]


def test_code_writes_each_block_when_it_closes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The command asks standard input for the next chunk only once it has
    # written all it had to say about the last one: what it wrote by each such
    # request is exactly what the chunks so far decided.
    written: list[str] = []

    def stdin() -> Iterator[bytes]:
        for chunk in MARKDOWN:
            written.append(capsys.readouterr().out)
            yield chunk.encode()
        written.append(capsys.readouterr().out)

    monkeypatch.setattr(cli_module, "_read_stdin", stdin)
    assert main(["code"]) == 0
    written.append(capsys.readouterr().out)
    assert written == [
        "",
        "",
        "",  # block 0's closing fence is one backtick so far
        "import sys\nprint(sys.argv)\nname = 'x'\n",  # it closed, and block 1 in that chunk
        "echo hi\n",  # before the input ends
        "",
    ]


def test_code_writes_blocks_before_stdin_closes() -> None:
    cli = Cli("code")
    for chunk in MARKDOWN[:3]:
        cli.send(chunk)
    assert cli.line() == "import sys\n"
    assert cli.line() == "print(sys.argv)\n"
    assert cli.line() == "name = 'x'\n"
    cli.send(MARKDOWN[3])
    assert cli.line() == "echo hi\n"
    rest, err, rc = cli.finish()
    assert (rest, rc) == ([], 0), err


def test_code_out_dir_lang_filter_and_unclosed_block(tmp_path: Path) -> None:
    cli = Cli("code", "--out", str(tmp_path), "--lang", "python", "--lang", "BASH")
    cli.send("".join(MARKDOWN[:3]))
    assert cli.line() == f"{tmp_path / 'block-0.py'}\n"
    assert (tmp_path / "block-0.py").read_text() == "import sys\nprint(sys.argv)\n"
    cli.send("```python\nprint('cut')")
    rest, err, rc = cli.finish()
    assert rc == 3
    assert "block 2" in err and "no closing fence" in err
    assert rest == [f"{tmp_path / 'block-2.py'}\n"]
    assert (tmp_path / "block-2.py").read_text() == "print('cut')"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["block-0.py", "block-2.py"]


def test_code_out_with_a_300_character_info_string_writes_a_txt_file(tmp_path: Path) -> None:
    # The extension comes from the language only when that is a short plain
    # name: a long info string would make a file name the system refuses.
    markdown = "```" + "x" * 300 + "\nlong\n```\n```Python3\np\n```\n```../../etc\nq\n```\n"
    proc = run("code", "--out", str(tmp_path), stdin=markdown.encode())
    assert proc.returncode == 0, proc.stderr.decode()
    names = ["block-0.txt", "block-1.py", "block-2.txt"]
    assert proc.stdout.decode().splitlines() == [str(tmp_path / name) for name in names]
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    assert (tmp_path / "block-0.txt").read_text() == "long\n"


def test_code_out_write_error_exit_2_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "block-1.py").mkdir()  # block 1's file cannot be written
    markdown = "```py\na\n```\n```py\nb\n```\n```py\nc\n```\n"
    proc = run("code", "--out", str(tmp_path), stdin=markdown.encode())
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "cannot write code block 1" in err and "block-1.py" in err
    assert "Traceback" not in err
    # what was written before the error stays, and was reported
    assert proc.stdout.decode().splitlines() == [str(tmp_path / "block-0.py")]
    assert (tmp_path / "block-0.py").read_text() == "a\n"


def test_code_jsonl() -> None:
    proc = run("code", "--jsonl", stdin="".join(MARKDOWN).encode())
    assert proc.returncode == 0
    blocks = events_of(proc.stdout.decode().splitlines())
    assert [(b["index"], b["lang"], b["closed"]) for b in blocks] == [
        (0, "python", True), (1, "toml", True), (2, "bash", True)
    ]
    assert blocks[1]["code"] == "name = 'x'\n"


def test_code_invalid_utf8_exit_1() -> None:
    proc = run("code", stdin=b"```\nok\n\xff\n```\n")
    assert proc.returncode == 1
    assert "byte 7" in proc.stderr.decode()


# --- chat ----------------------------------------------------------------------------------------

SCHEMA_MODULE = """
from pydantic import BaseModel

class Weather(BaseModel):
    city: str
    temperature: int
    units: str
"""


def _chat_env(srv: RecordingServer | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    if srv is not None:
        env["OPENAI_BASE_URL"] = srv.url + "/v1"
    env.update(extra)
    return env


@pytest.mark.shared
def test_chat_streams_fields_from_a_live_server(srv: RecordingServer, tmp_path: Path,
                                                corpus: dict[str, Any]) -> None:
    pytest.importorskip("openai")
    (tmp_path / "weather_schema.py").write_text(SCHEMA_MODULE)
    sid = "openai-python:test_parse_pydantic_model:15ae68f7"
    srv.hold_after = 8
    cli = Cli("chat", "--model", sid, "--schema", "weather_schema:Weather", "Weather in SF?",
              env=_chat_env(srv), cwd=tmp_path)
    cli.proc.stdin.close()  # type: ignore[union-attr]
    # fields arrive while the server is still holding the rest of the answer back
    events = []
    while not any(ev["type"] == "FieldValidated" for ev in events):
        events.append(cli.event(timeout=60))
    assert {"type": "FieldValidated", "path": ["city"], "value": "San Francisco"} in events
    assert not srv.released.is_set()
    srv.release()
    rest, err, rc = cli.finish()
    assert rc == 0, err
    events += events_of(rest)
    assert events[-1]["type"] == "Usage" and events[-1]["output_tokens"] == 14
    assert events[-3:-1] == [
        {"type": "FieldValidated", "path": [],
         "value": {"city": "San Francisco", "temperature": 68, "units": "f"}},
        {"type": "Finish", "choice": 0, "reason": "stop"},
    ]
    path, body, _headers = srv.requests[-1]
    assert path == "/v1/chat/completions"
    assert body["model"] == sid and body["stream"] is True
    assert body["messages"][-1] == {"role": "user", "content": "Weather in SF?"}
    assert body["response_format"]["json_schema"]["schema"]["required"] == [
        "city", "temperature", "units"
    ]


@pytest.mark.shared
def test_chat_reports_a_servers_error_mid_stream_exit_4(srv: RecordingServer) -> None:
    """An OpenAI-compatible server's error chunk: its message on stderr, exit 4."""
    pytest.importorskip("openai")
    sid = "pydantic-ai:test_tool_use_failed_error_streaming_with_text#0"
    done = run("chat", "--model", sid, "hi", env=_chat_env(srv, OPENAI_API_KEY="k"))
    assert done.returncode == 4, done.stderr
    assert b"Tool choice is required, but model did not call a tool" in done.stderr


def test_chat_without_key_or_server_exit_4() -> None:
    proc = run("chat", "hello", env=_chat_env(None))
    assert proc.returncode == 4
    err = proc.stderr.decode()
    assert "OPENAI_API_KEY" in err and "OPENAI_BASE_URL" in err
    assert proc.stdout == b""


def test_chat_unreachable_server_exit_4() -> None:
    pytest.importorskip("openai")
    import socket

    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = run("chat", "hello", env=_chat_env(None, OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1"))
    assert proc.returncode == 4
    assert "cannot reach the server" in proc.stderr.decode()


def test_chat_bad_schema_is_a_usage_error() -> None:
    proc = run("chat", "--schema", "json:loads", "hi",
               env=_chat_env(None, OPENAI_BASE_URL="http://127.0.0.1:9/v1"))
    assert proc.returncode == 2
    assert "not a pydantic model" in proc.stderr.decode()
