"""The raw-response path: a provider's HTTP body in, midstream events out, no SDK objects.

The openai SDK spends tens of microseconds of CPU per chunk decoding SSE and
building a pydantic ``ChatCompletionChunk`` that ``stream_events`` then only
reads. Given the HTTP response instead (``with_streaming_response``, an httpx
response, or the body's bytes), this path does per chunk only what the events
need:

* :class:`~midstream._sse.SSEFrames` (compiled) splits the bytes into events
  with ``bytes.find``, keeping the ``data`` as bytes;
* an event of the commonest shapes that differs from one seen before only in
  its one string (a piece of content, an argument fragment, a Responses text
  delta) is read from its bytes by a :class:`~midstream._templates.StringTemplate`:
  only that string is decoded, and goes straight to the pipeline's
  ``feed_hot``;
* any other event's data is decoded once by jiter (faster than ``json.loads``
  on these small objects: about 0.6 against 2 microseconds) straight from the
  bytes, and the dict goes to the :class:`~midstream._pipeline.ProviderPipeline`,
  whose tool-call assembler reads dicts as its native input.

:class:`WireReader` is that loop, sans-I/O, compiled with mypyc in wheels.
``_raw_io`` opens the sources and drives it. Failures are
:class:`~midstream.StreamError` (HTTP status, not an event stream, an ``error``
event, the connection lost); a body that just stops ends in ``Truncated``
through the pipeline's own rule. Events already yielded stand.
"""

from __future__ import annotations

from typing import Any, Final

from jiter import from_json

from ._errors import ErrorKind, JsonSyntaxError, LimitExceededError, ParseError, StreamError
from ._events import Event, ServerSentEvent
from ._eventstream import EventStreamFrames
from ._framing import JsonArrayFrames, NDJSONFrames, choose_framing, open_framing
from ._json_messages import limit_message
from ._pipeline import ProviderPipeline
from ._sse import DEFAULT_MAX_EVENT_SIZE, SSEFrames, _loads
from ._templates import StringTemplate, learn
from ._tool_calls._readers import READERS

__all__ = ["FORMATS", "WireReader", "body_error", "provider_error"]

#: The wire formats ``format=`` names: the assembler's names for them, so a
#: format's reader module makes it one here too.
FORMATS: Final = tuple(READERS)

#: How much of a failed or non-SSE body goes into its message.
_ERROR_BODY_LIMIT: Final = 64 * 1024

# --- what the provider says went wrong ------------------------------------------------------


def provider_error(payload: Any, event_type: bytes | str = b"") -> StreamError | None:
    """The error an event's decoded data reports, or None for an ordinary event.

    OpenAI Chat Completions sends ``{"error": {"message", "type", "code"}}`` as
    the data; Anthropic sends ``event: error`` with
    ``{"type": "error", "error": {"type", "message"}}``; the Responses API an
    ``error`` event with ``code`` and ``message`` at the top. The same shapes
    are the JSON bodies of their HTTP error responses.
    """
    if type(payload) is not dict:
        return None
    error = payload.get("error")
    if payload.get("type") == "error" or event_type in (b"error", "error"):
        detail = error if isinstance(error, dict) else payload
    elif error:  # even beside "choices" (OpenRouter): the openai SDK raises on it too
        detail = error if isinstance(error, dict) else {"message": error}
    else:
        return None
    message = detail.get("message")
    kind = detail.get("type")
    code = detail.get("code")
    return StreamError(
        message if isinstance(message, str) and message else "the provider sent an error",
        type=kind if isinstance(kind, str) and kind != "error" else None,
        code=str(code) if code is not None else None,
    )


def body_error(status: int, body: bytes, content_type: str) -> StreamError:
    """The exception for an HTTP error response or a body that is not an event stream."""
    text = body[:_ERROR_BODY_LIMIT].decode("utf-8", "replace").strip()
    try:
        payload = from_json(body) if body.lstrip()[:1] in (b"{", b"[") else None
    except ValueError:
        payload = None
    found = provider_error(payload)
    if status < 400:
        what = f"the response is not an event stream (content-type {content_type or 'none'!r})"
        detail = found.message if found is not None else text[:200]
        return StreamError(
            f"{what}: {detail}" if detail else what,
            status=status,
            type=found.type if found else None,
            code=found.code if found else None,
        )
    if found is not None:
        return StreamError(found.message, status=status, type=found.type, code=found.code)
    return StreamError(text[:500] or "no body", status=status)


#: Templates kept: the shapes of the commonest chunks of a few calls or choices at once.
_TEMPLATES: Final = 4
#: Templates tried to learn before any limit (each try decodes its event once more)...
_EAGER_TRIES: Final = 16
#: ... then at most one try per this many events read by a template (none: no more tries).
_TRIES_EVERY: Final = 16


def _not_sse(head: bytes) -> StreamError:
    return StreamError(
        f"the body is not an event stream: it begins {head[:80]!r}"
    )


def _blank_body(size: int, limit: int) -> LimitExceededError:
    msg = limit_message("the blank lines before the body's first event are longer",
                        "max_event_size", limit, "bytes")
    return LimitExceededError(ErrorKind.SIZE_LIMIT, msg, size, 1, 1, unit="byte")


# --- the loop, sans-I/O --------------------------------------------------------------------


class WireReader:
    """Bytes of an SSE body in, midstream events out (``feed``/``close``, no I/O).

    A body that is not SSE (NDJSON, a JSON array of events, AWS's binary event
    stream: see :mod:`midstream._framing`) is read by its framer instead, chosen at the
    first non-blank byte from ``framing``, ``media_type`` and ``format``.

    Args:
        pipeline: where the decoded events go.
        max_event_size: the most bytes one SSE event block (or NDJSON line,
            or characters of one array element) may take.
        format: the wire format (``"auto"`` or a key of ``READERS``): says
            which framings its body may have.
        media_type: the response's content type, without parameters.
        framing: ``"sse"``, ``"ndjson"`` or ``"json-array"`` when the caller
            knows it (the CLI's ``--ndjson``).
        learn: read a chunk that differs from an earlier one only in its text
            from its bytes (:mod:`midstream._templates`); False decodes every
            event's JSON (what the tests compare it with).
    """

    def __init__(
        self,
        pipeline: ProviderPipeline,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        *,
        format: str = "auto",
        media_type: str = "",
        framing: str | None = None,
        learn: bool = True,
    ):
        self._frames = SSEFrames(max_event_size)
        self._pipeline = pipeline
        self._feed_payload = pipeline.feed
        self._sniffed = False  # True once the body is SSE: then only the hot path below runs
        # Not SSE (NDJSON, a JSON array, AWS's event stream): chosen by _framing, read by its framer
        self._format = format
        self._media_type = media_type
        self._framing = framing
        self._max_event_size = max_event_size
        self._lead = b""  # blank bytes before the first that tells the framing
        self._body: NDJSONFrames | JsonArrayFrames | EventStreamFrames | None = None
        #: how the body is framed: "sse", "ndjson", "json-array"; None until its first byte
        self.framing: str | None = None
        self.received_bytes = 0
        #: events read so far (the number of the failing one, in errors)
        self.events_read = 0
        #: of those, the events whose JSON was decoded whole (the others: see _event)
        self.events_decoded = 0
        #: the stream's terminator came (``data: [DONE]``)
        self.done = False
        #: an error event that came after other events of the same read, raised next
        self._failed: StreamError | None = None
        #: the shapes of the commonest chunks, latest first (see midstream._templates)
        self._templates: list[StringTemplate] = []
        self._learn = learn
        self._tries = 0  # templates tried to learn
        self._hits = 0  # events read by a template

    def feed(self, data: Any) -> list[Event]:
        """The events completed by this piece of the body, in stream order.

        ``data`` is typed Any so that the compiled build, too, answers a wrong
        type with the message below rather than mypyc's own.
        """
        if self._failed is not None:
            raise self._failed
        chunk: bytes = data if type(data) is bytes else self._bytes(data)
        self.received_bytes += len(chunk)
        if not self._sniffed:
            if self._body is not None:  # framed otherwise: the SSE path is never taken
                return self._feed_framed(self._body.feed(chunk))
            head = chunk.lstrip()
            if not head:
                self._lead += chunk  # blank lines: they tell nothing yet
                if len(self._lead) > self._max_event_size:
                    raise _blank_body(len(self._lead), self._max_event_size)
                return []
            if self._lead:
                chunk = self._lead + chunk
                self._lead = b""
            framing = choose_framing(head, self._format, self._media_type, self._framing)
            if framing is None:
                raise _not_sse(head)
            self.framing = framing
            if framing != "sse":
                self._body = open_framing(framing, self._max_event_size)
                return self._feed_framed(self._body.feed(chunk))
            self._sniffed = True
        frames = self._frames.feed(chunk)
        if not frames:
            return []
        if len(frames) == 1:  # the common chunk: one event
            kind, data = frames[0]
            return self._event(kind, data)
        out: list[Event] = []
        for kind, data in frames:
            try:
                out += self._event(kind, data)
            except StreamError as exc:
                if not out:
                    raise
                # The events before the error stand: they go out now, the error next call.
                self._failed = exc
                return out
            except ParseError as exc:  # the content's: it carries the events before it
                exc.events = [*out, *exc.events]
                raise
        return out

    def close(self) -> list[Event]:
        """The end of the body: the pipeline's last events (``Truncated`` if unfinished)."""
        if self._failed is not None:
            raise self._failed
        if self._body is not None:
            out = self._feed_framed(self._body.close())
            return out + self._pipeline.close()
        return self._pipeline.close()

    def _feed_framed(self, payloads: list[dict[str, Any]]) -> list[Event]:
        """The events of objects framed otherwise than SSE (decoded by the framer)."""
        out: list[Event] = []
        for payload in payloads:
            self.events_read += 1
            if "error" in payload or payload.get("type") == "error":
                error = provider_error(payload)
                if error is not None:
                    if not out:
                        raise error
                    self._failed = error  # the events before it go out first
                    return out
            try:
                out += self._feed_shaped(payload)
            except ParseError as exc:
                exc.events = [*out, *exc.events]
                raise
        return out

    def _event(self, kind: bytes, data: bytes) -> list[Event]:
        """The events of one SSE event: read from its bytes if a template fits, else decoded."""
        self.events_read += 1
        for template in self._templates:
            text = template.text(kind, data)
            if text is not None:
                events = self._pipeline.feed_hot(template.key, text)
                if events is not None:
                    self._hits += 1
                    return events
                break
        payload = self._decode(kind, data)
        if payload is None:
            return []
        if self._learn:
            if self._tries < _EAGER_TRIES or self._tries * _TRIES_EVERY < self._hits:
                self._learn_from(kind, data, payload)
            elif not self._hits:  # no template fits this stream's events: stop trying
                self._learn = False
                self._templates = []
        return self._feed_shaped(payload)

    def _feed_shaped(self, payload: dict[str, Any]) -> list[Event]:
        """The pipeline's events for a decoded event; a field of the wrong type is a ParseError.

        (The readers take SDK objects too, and say TypeError for a field that is
        neither a dict nor one: from the wire, that is the provider's malformed event.)
        """
        try:
            return self._feed_payload(payload)
        except TypeError as exc:
            raise JsonSyntaxError(
                ErrorKind.UNEXPECTED_CHARACTER,
                f"the data of event {self.events_read} has a field of the wrong type: {exc}",
                0,
                1,
                1,
            ) from None

    def _learn_from(self, kind: bytes, data: bytes, payload: Any) -> None:
        """Keep the template of this event, if it is of the commonest shapes."""
        self._tries += 1
        template = learn(kind, data, payload, self._pipeline.hot_string)
        if template is not None:
            self._templates.insert(0, template)
            del self._templates[_TEMPLATES:]

    def _decode(self, kind: bytes, data: bytes) -> Any:
        self.events_decoded += 1
        try:
            payload = from_json(data, allow_inf_nan=False)
        except ValueError:
            if data.strip() == b"[DONE]":
                self.done = True
                return None
            # Not JSON (or not UTF-8): the SSE decoder's own JSON path says where.
            name = kind.decode("utf-8", "replace") or "message"
            event = ServerSentEvent(name, data.decode("utf-8", "replace"), "", None)
            payload = _loads(event, f"the data of SSE event {self.events_read}")
        if type(payload) is not dict:
            raise JsonSyntaxError(
                ErrorKind.UNEXPECTED_CHARACTER,
                f"the data of SSE event {self.events_read} is not a JSON object",
                0,
                1,
                1,
            )
        if "error" in payload or kind == b"error" or payload.get("type") == "error":
            error = provider_error(payload, kind)
            if error is not None:
                raise error
        return payload

    @staticmethod
    def _bytes(chunk: Any) -> bytes:
        if isinstance(chunk, (bytearray, memoryview)):
            return bytes(chunk)
        raise TypeError(
            "the raw-response path reads the bytes of the HTTP body; got a"
            f" {type(chunk).__name__} (without format=, stream_events() takes"
            " SDK events and dicts)"
        )
