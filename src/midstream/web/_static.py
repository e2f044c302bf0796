"""The browser client, served: ``midstream.js`` and ``midstream.d.ts`` from the wheel.

Mount :class:`ClientFiles` anywhere (``app.mount("/midstream", ClientFiles())``
in FastAPI or Starlette); it answers for the two files by name, whatever the
prefix, and 404 for anything else.
"""

from __future__ import annotations

from importlib import resources
from typing import Final

from ._asgi import Receive, Scope, Send

__all__ = ["ClientFiles", "static_file"]

#: The files shipped in ``midstream/web/static`` and their media types.
CONTENT_TYPES: Final = {
    "demo.html": "text/html; charset=utf-8",
    "midstream.js": "text/javascript; charset=utf-8",
    "midstream.d.ts": "text/plain; charset=utf-8",
}


def static_file(name: str) -> bytes:
    """A file shipped in ``midstream/web/static`` (the client, its types, the demo page)."""
    return resources.files("midstream.web").joinpath("static").joinpath(name).read_bytes()


async def reply(send: Send, status: int, content_type: str, body: bytes) -> None:
    """A whole HTTP response in plain ASGI."""
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", content_type.encode()), (b"cache-control", b"no-cache"),
        (b"content-length", str(len(body)).encode()),
    ]})
    await send({"type": "http.response.body", "body": body})


class ClientFiles:
    """A plain ASGI app serving ``midstream.js`` and ``midstream.d.ts``."""

    names: tuple[str, ...] = ("midstream.js", "midstream.d.ts")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = str(scope.get("path", "")).rsplit("/", 1)[-1]
        if scope["type"] != "http":
            return
        if name not in self.names:
            await reply(send, 404, "text/plain; charset=utf-8", b"not found\n")
            return
        await reply(send, 200, CONTENT_TYPES[name], static_file(name))
