"""A real server and a real browser for the web tests (and the README screenshot).

``live_server`` runs uvicorn on 127.0.0.1 in a thread on a socket bound here
(so it accepts from the first moment: no waiting for it to start);
``DroppingProxy`` forwards connections and cuts the first stream response
after some bytes, as a network would; ``chromium`` is headless Chromium
driven by selenium through Debian's chromedriver.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from helpers import ROOT

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from benchmarks import bench_web
from benchmarks.bench_web import listening_socket

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = "/usr/bin/chromedriver"


def need(condition: bool, reason: str) -> None:
    """Skip with ``reason`` unless ``condition``; fail instead where CI is set."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@contextmanager
def live_server(app: Any) -> Iterator[int]:
    """Serve ``app`` with uvicorn on 127.0.0.1 in a thread; yields the port."""
    pytest.importorskip("uvicorn")
    with bench_web.live_server(app) as port:
        yield port


class DroppingProxy:
    """A TCP proxy to ``port`` that cuts the first ``/streams/`` response after ``cut`` bytes.

    A browser sends several requests on one kept-alive connection, so every
    request is looked at, not only a connection's first. ``requests`` keeps
    the head of every stream request forwarded (to see the resume's
    ``Last-Event-ID``).
    """

    def __init__(self, port: int, cut: int) -> None:
        self.upstream = port
        self.cut = cut
        self.requests: list[bytes] = []
        self.dropped = threading.Event()
        self.sock = listening_socket()
        self.port = self.sock.getsockname()[1]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
            link = _Link(client, upstream)
            threading.Thread(target=self._requests, args=(link,), daemon=True).start()
            threading.Thread(target=self._responses, args=(link,), daemon=True).start()

    def _requests(self, link: _Link) -> None:
        while (data := link.recv(link.client)) is not None:
            if b" /streams/" in data:
                with self._lock:
                    self.requests.append(data)
                    if len(self.requests) == 1:
                        link.drop_after = link.answered + self.cut
            link.send(link.upstream, data)
        link.close()

    def _responses(self, link: _Link) -> None:
        while (data := link.recv(link.upstream)) is not None:
            if link.drop_after is not None and link.answered + len(data) >= link.drop_after:
                link.send(link.client, data[: link.drop_after - link.answered])
                self.dropped.set()
                break
            link.send(link.client, data)
            link.answered += len(data)
        link.close()

    def close(self) -> None:
        self.sock.close()


class _Link:
    """One proxied connection: the browser's socket and the server's."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client, self.upstream = client, upstream
        self.answered = 0  # response bytes passed to the browser
        self.drop_after: int | None = None

    @staticmethod
    def recv(sock: socket.socket) -> bytes | None:
        try:
            return sock.recv(65536) or None
        except OSError:
            return None

    @staticmethod
    def send(sock: socket.socket, data: bytes) -> None:
        with contextlib.suppress(OSError):
            sock.sendall(data)

    def close(self) -> None:
        for s in (self.client, self.upstream):  # both ends see the connection end
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@contextmanager
def chromium(width: int = 1000, height: int = 1400) -> Iterator[Any]:
    """Headless Chromium (Debian's packages) under selenium; skip where absent."""
    webdriver = pytest.importorskip("selenium.webdriver")
    binary = next((b for b in CHROMIUM if os.path.exists(b)), None)
    need(binary is not None and os.path.exists(CHROMEDRIVER),
         "no Chromium: install Debian's chromium and chromium-driver packages"
         " (apt-get install -y chromium chromium-driver) to run the browser tests")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    profile = tempfile.mkdtemp(prefix="midstream-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
