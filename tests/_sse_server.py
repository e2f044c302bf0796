"""A real HTTP server on 127.0.0.1 that replays recorded LLM streams as SSE.

Used by test_adapters.py (the real openai and anthropic SDK clients point their
``base_url`` at it) and test_cli.py (``midstream sse`` and ``midstream chat``).
Each response is sent with chunked transfer encoding over a real socket; every
SSE event is cut into two TCP writes, so clients see events split mid-line.

The request's ``model`` picks the recorded stream by its corpus id. A test can
hold the stream after some events (``hold_after``) until it calls
``release()`` or the client disconnects; the server records that disconnect,
which is how the tests see that closing a stream on the client reaches the
server (the generation would stop).

For the raw-response tests a test can also cut the whole body into pieces of
its choosing (``split``: each piece one write, as TCP may deliver it), serve a
``script`` of writes instead of a recorded stream, set the ``status`` and
``content_type``, and end the response by a TCP reset (``ending = "reset"``)
or by stopping mid-body (``"cut"``: the connection closes without the chunked
terminator).
"""

from __future__ import annotations

import contextlib
import io
import json
import select
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Stream = dict[str, Any]


#: The wire formats whose recordings the SDK-stream tests replay; the corpus
#: also holds formats (Gemini, Bedrock, Cohere, Ollama) that other tests read.
SSE_APIS = frozenset({"openai.chat.completions", "openai.responses", "anthropic.messages"})


def load_corpus(directory: Path, apis: frozenset[str] = SSE_APIS) -> dict[str, Stream]:
    """Every recorded stream under ``directory`` whose wire format is in ``apis``, by id."""
    streams: dict[str, Stream] = {}
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                stream = json.loads(line)
                if stream["api"] in apis:
                    streams[stream["id"]] = stream
    return streams


def sse_bytes(stream: Stream) -> list[bytes]:
    """The stream as the provider sent it: one SSE block per recorded event."""
    api = stream["api"]
    blocks = []
    for event in stream["events"]:
        data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        if api == "openai.chat.completions":
            blocks.append(f"data: {data}\n\n".encode())
        else:
            blocks.append(f"event: {event.get('type', 'message')}\ndata: {data}\n\n".encode())
    if api == "openai.chat.completions":
        blocks.append(b"data: [DONE]\n\n")
    return blocks


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RecordingServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append((self.path, body, self._headers()))
        self._replay(str(body.get("model", "")))

    def do_GET(self) -> None:
        self.server.requests.append((self.path, None, self._headers()))
        self._replay(self.path.rsplit("/", 1)[-1])

    def _replay(self, stream_id: str) -> None:
        srv = self.server
        stream = srv.streams.get(stream_id)
        if stream is None and srv.script is None:
            payload = json.dumps({"error": {"message": f"no stream {stream_id!r}"}}).encode()
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_response(srv.status)
        self.send_header("Content-Type", srv.content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        try:
            for i, writes in enumerate(self._units(stream)):
                if i == srv.hold_after and not self._hold():
                    return
                if srv.delay:
                    time.sleep(srv.delay)
                for data in writes:
                    self._chunk(data)
            if srv.stall_at_end:
                self._hold()
                return
            if srv.ending == "reset":
                self._reset()
                return
            if srv.ending == "cut":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            srv.completed.set()
        except (BrokenPipeError, ConnectionResetError):
            srv.disconnected.set()

    def _units(self, stream: Stream | None) -> list[list[bytes]]:
        """The writes, grouped in the units that ``hold_after`` counts."""
        srv = self.server
        if srv.script is not None:
            return [[piece] for piece in srv.script]
        assert stream is not None
        blocks = sse_bytes(stream)
        if srv.split is not None:
            return [[piece] for piece in srv.split(b"".join(blocks))]
        # each SSE event cut into two writes: clients see events split mid-line
        return [[block[: len(block) // 2], block[len(block) // 2 :]] for block in blocks]

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0), as a dropped connection does."""
        self.close_connection = True
        sock: socket.socket = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.wfile.close()
        self.rfile.close()
        sock.close()
        self.wfile = io.BytesIO()  # http.server flushes it after the handler returns

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # a test reset or cut it on purpose
            super().finish()

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    def _hold(self) -> bool:
        """Send nothing until released (True) or the client goes away (False)."""
        srv = self.server
        srv.holding.set()
        sock: socket.socket = self.connection
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if srv.released.wait(0.02):
                return True
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                try:
                    gone = sock.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    gone = True
                if gone:
                    srv.disconnected.set()
                    return False
        return False


class RecordingServer(ThreadingHTTPServer):
    """The server, its settings for the next response, and what it saw."""

    daemon_threads = True

    def __init__(self, streams: dict[str, Stream]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.streams = streams
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.reset()

    def reset(self) -> None:
        """Back to plain replay: no delay, no hold."""
        self.requests: list[tuple[str, Any, dict[str, str]]] = []
        self.delay = 0.0
        self.hold_after: int | None = None
        self.stall_at_end = False
        self.split: Callable[[bytes], list[bytes]] | None = None
        self.script: list[bytes] | None = None
        self.status = 200
        self.content_type = "text/event-stream"
        self.ending = "end"  # "end", "reset" or "cut"
        self.holding = threading.Event()
        self.released = threading.Event()
        self.disconnected = threading.Event()
        self.completed = threading.Event()

    def release(self) -> None:
        self.released.set()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-response is what some tests do: say nothing of it."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.shutdown()
        self.server_close()
