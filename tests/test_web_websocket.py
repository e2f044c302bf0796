"""The WebSocket route of a real uvicorn server carries the same messages as SSE.

A minimal RFC 6455 client on a raw socket (no WebSocket library needed):
the handshake, then the server's unmasked text frames, then its close frame.
"""

from __future__ import annotations

import base64
import json
import os
import socket
from typing import Any

from midstream.web import StreamState
from midstream.web._serve import ServeApp, demo_source
from web_live import live_server, need


def read_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        more = sock.recv(n - len(data))
        assert more, "the server closed the connection mid-frame"
        data += more
    return data


def frames(port: int, path: str) -> list[tuple[int, bytes]]:
    """Every frame the server sends on ``path`` until its close frame: (opcode, payload)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += read_exact(sock, 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    out: list[tuple[int, bytes]] = []
    while True:
        b0, b1 = read_exact(sock, 2)
        size = b1 & 0x7F
        if size == 126:
            size = int.from_bytes(read_exact(sock, 2), "big")
        elif size == 127:
            size = int.from_bytes(read_exact(sock, 8), "big")
        out.append((b0 & 0x0F, read_exact(sock, size)))
        if b0 & 0x0F == 8:  # close
            sock.close()
            return out


def test_websocket_route_carries_the_demo_stream() -> None:
    import importlib.util

    need(any(importlib.util.find_spec(m) for m in ("wsproto", "websockets")),
         "uvicorn has no WebSocket library here: pip install wsproto (in the test extra)")
    app = ServeApp(lambda stream_id, query: demo_source(speed=float("inf")))
    with live_server(app) as port:
        got = frames(port, "/streams/ws1")
    assert got[-1][0] == 8 and int.from_bytes(got[-1][1][:2], "big") == 1000
    state = StreamState()
    msgs: list[Any] = [json.loads(payload) for opcode, payload in got[:-1] if opcode == 1]
    assert len(msgs) == len(got) - 1
    for msg in msgs:
        assert state.apply(msg)
    assert state.ended and state.value["stars"] == 0
    assert state.fields[("stars",)].state == "invalid"
