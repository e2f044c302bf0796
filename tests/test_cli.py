"""The ``midstream`` command, run as a real subprocess.

Every streaming subcommand gets its standard input in timed pieces, and the
test reads the first event from standard output *before* it closes standard
input: the command has to act on data as it arrives, not at EOF.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from midstream._demo import demo_delays, load_demo_chunks

ROOT = Path(__file__).resolve().parents[1]
LINE_TIMEOUT = 10.0


class Cli:
    """``python -m midstream ARGS`` with pipes, and a reader thread on its stdout."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "midstream", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1", **(env or {})},
        )
        self.lines: queue.Queue[tuple[float, bytes | None]] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, b""):
            self.lines.put((time.monotonic(), line))
        self.lines.put((time.monotonic(), None))

    def send(self, data: str | bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data.encode() if isinstance(data, str) else data)
        self.proc.stdin.flush()

    def line(self, timeout: float = LINE_TIMEOUT) -> str:
        """The next line of output; fails if none comes within ``timeout`` seconds."""
        try:
            _, line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.proc.kill()
            pytest.fail(f"no output within {timeout} s")
        assert line is not None, "the command ended without writing the expected line"
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
            _, line = self.lines.get(timeout=timeout)
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


@pytest.mark.parametrize("command", [[], ["demo"], ["json"]])
def test_help_everywhere(command: list[str]) -> None:
    proc = run(*command, "--help")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert out.startswith("usage: midstream")
    assert "exit status" in out


def test_usage_errors_exit_2_on_stderr() -> None:
    for args in ([], ["nope"], ["demo", "--speed", "0"], ["demo", "--fast", "--speed", "2"]):
        proc = run(*args)
        assert proc.returncode == 2, args
        assert proc.stdout == b""
        assert b"usage: midstream" in proc.stderr


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


def test_demo_is_paced_and_shows_the_first_field_long_before_the_end() -> None:
    speed = 8.0
    expected = sum(demo_delays(len(load_demo_chunks()), speed))
    cli = Cli("demo", "--speed", str(speed))
    first_done = None
    while first_done is None:
        line = cli.line()
        if " done " in f" {line.split('s ', 1)[-1]}":
            first_done = time.monotonic()
    _rest, err, rc = cli.finish()
    ended = time.monotonic()
    assert rc == 0, err
    assert ended - cli.started >= expected * 0.9
    # the first field completed while most of the stream was still to come
    assert ended - first_done >= expected * 0.5


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
    time.sleep(0.05)
    cli.send('lo", "tags": ["a", ')
    assert cli.event() == {"type": "StringDelta", "path": ["title"], "text": "lo"}
    assert cli.event() == {"type": "ValueDone", "path": ["title"], "value": "Hello"}
    time.sleep(0.05)
    cli.send(b'"\xc3')  # a character cut between two writes
    time.sleep(0.05)
    cli.send(b'\xa9"], "n": 12}')
    rest, err, rc = cli.finish()
    assert rc == 0, err
    events = events_of(rest)
    assert {"type": "ValueDone", "path": ["tags", 1], "value": "é"} in events
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
    assert "line 2 column 3 (char 12)" in err
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
    assert "char 17" in proc.stderr.decode()


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
