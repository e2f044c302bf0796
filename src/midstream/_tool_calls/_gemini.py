"""Google Gemini ``generateContent`` stream chunks (``candidates[].content.parts[]``).

Plain dicts have the wire's camelCase keys (``functionCall``, ``finishReason``);
google-genai SDK objects (``GenerateContentResponse``) keep snake_case fields
(``function_call``, ``finish_reason``): every field is read under both names.

A call is a part with a ``functionCall``, in one of two ways:

- *whole* (the default): ``{name, args, id?}``, with ``args`` an object (or
  absent: no arguments, ``{}``). The call is done in the chunk that carries
  it. Several such parts in one response are parallel calls.
- *streamed* (Vertex AI ``streamFunctionCallArguments``): ``{name,
  willContinue: true}`` starts the call; the parts after it carry
  ``partialArgs: [{jsonPath, stringValue | numberValue | boolValue |
  nullValue, willContinue}]`` and the call ends at the first
  ``functionCall`` part without ``willContinue`` (an empty ``functionCall:
  {}``, or the part carrying the last value). :class:`_PathWriter` turns the
  pieces into the JSON text they stand for, fed to the call's JSON parser as
  any fragment is, so :class:`ToolArgumentsDelta` carries each part's JSON
  events with their paths and the arguments are built by path, once.

The ``thoughtSignature`` on a call's part is kept on the call
(``provider_data={"thought_signature": ...}``, as given: bytes from the SDK,
base64 text from the wire): the next request must send it back with the call.

Text parts are content; ``thought: true`` parts are reasoning
(:class:`ReasoningDelta`). A candidate's ``finishReason`` finishes its choice
(``STOP`` after calls too: Gemini has no tool-specific reason; ``MAX_TOKENS``
is a truncation), except a ``STOP`` on a part of code for the server to run
(``executableCode``, the code-execution tool): recorded, the model goes on
after the code's result, and finishes again. ``usageMetadata`` (repeated,
cumulative, on every chunk) and
``modelVersion`` become one :class:`Usage` event, in the chunk that finishes
the last open candidate. A prompt blocked before any candidate
(``promptFeedback.blockReason``) finishes choice 0 with that reason.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from .._errors import ErrorKind, IncompleteJsonError, JsonSyntaxError
from .._events import ReasoningDelta
from ._fields import Fields
from ._provider import usage_of
from ._reader import Reader
from ._table import OPEN, Call, CallTable

__all__ = ["GeminiReader", "parse_json_path"]


def _get(fields: dict[str, Any], camel: str, snake: str) -> Any:
    """A field by its wire name or its SDK name."""
    value = fields.get(camel)
    return fields.get(snake) if value is None else value


def _plain(value: Any) -> Any:
    """An SDK enum member (``FinishReason.STOP``) as its wire string."""
    if isinstance(value, str) and type(value) is not str:
        return str(getattr(value, "value", value))
    return value


# --- RFC 9535 normalized-path subset: $ then .name, ['name'] / ["name"], [N] ---------

_SHORTHAND: Final = re.compile(r"\.([A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*)")
_INDEX: Final = re.compile(r"\[(0|[1-9][0-9]*)\]")
_QUOTED: Final = re.compile(r"""\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]""")


_QUOTE_FIX: Final = re.compile(r"""\\(.)|\"""", re.DOTALL)


def _unquote(m: re.Match[str]) -> str:
    """A quoted name's escapes as JSON string text: ``\\'`` is ``'``, a bare ``"`` escaped."""
    escaped = m.group(1)
    if escaped is None:
        return '\\"'
    return "'" if escaped == "'" else "\\" + escaped


def parse_json_path(path: str) -> list[str | int]:
    """The segments of a ``jsonPath`` (``$.items[0]['a b']`` -> ``["items", 0, "a b"]``).

    Raises:
        ValueError: ``path`` is not a path of names and indexes from ``$``.
    """
    if not path.startswith("$"):
        raise ValueError(f"partialArgs path {path!r} does not start with '$'")
    segments: list[str | int] = []
    at = 1
    while at < len(path):
        if m := _SHORTHAND.match(path, at):
            segments.append(m.group(1))
        elif m := _INDEX.match(path, at):
            segments.append(int(m.group(1)))
        elif m := _QUOTED.match(path, at):
            quoted = m.group(1) if m.group(1) is not None else m.group(2)
            try:
                segments.append(json.loads('"' + _QUOTE_FIX.sub(_unquote, quoted) + '"'))
            except ValueError:
                raise ValueError(f"partialArgs path {path!r}: bad escape in {m.group(0)}") from None
        else:
            raise ValueError(f"partialArgs path {path!r}: cannot read it from character {at}")
        at = m.end()
    if not segments:
        raise ValueError(f"partialArgs path {path!r} names no member of the arguments object")
    return segments


class _PathError(ValueError):
    """A piece whose path does not fit the arguments written so far."""


class _Container:
    """An object or array the writer has opened and not yet closed."""

    __slots__ = ("array", "count", "keys", "segment")

    def __init__(self, array: bool, segment: str | int | None) -> None:
        self.array = array
        self.segment = segment  # its key or index in the container around it
        self.count = 0  # an array's elements so far
        self.keys: set[str] = set()  # an object's members so far


def _number(value: Any) -> str:
    """A ``numberValue`` as JSON; an integer-valued float (the SDK's) as an integer."""
    if type(value) is float:
        if not math.isfinite(value):
            raise _PathError(f"numberValue {value!r} is not a JSON number")
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if type(value) is int:
        return str(value)
    raise _PathError(f"numberValue {value!r} is not a number")


class _PathWriter:
    """Turns ``partialArgs`` pieces into the JSON text of the arguments object, in order.

    It keeps the containers open on the way to the last piece's path; a piece
    at another path closes what the new path leaves and opens what it enters,
    so the text is written once, left to right, and never revisited. A path
    that goes back into a closed container, skips an array index, repeats a
    member or indexes an object as an array (or the reverse) raises
    :class:`_PathError`.
    """

    __slots__ = ("_last_path", "_last_segments", "_open_string", "broken", "stack")

    def __init__(self) -> None:
        #: A piece raised _PathError: the text can go on no further.
        self.broken = False
        #: The open containers, the root object first (its "{" written at once,
        #: so a call cut before any piece is unfinished JSON, never ``{}``).
        self.stack: list[_Container] = [_Container(False, None)]
        self._open_string: str | None = None  # the path of a string still taking pieces
        self._last_path = ""
        self._last_segments: list[str | int] = []

    def piece(self, path: Any, piece: dict[str, Any], out: list[str]) -> None:
        """Write one ``partialArgs`` entry (``jsonPath`` given apart) into ``out``."""
        if not isinstance(path, str):
            raise _PathError(f"a partialArgs entry without a jsonPath: {piece!r}")
        string = _get(piece, "stringValue", "string_value")
        more = _get(piece, "willContinue", "will_continue") is True
        if self._open_string is not None:
            if path == self._open_string and isinstance(string, str):
                out.append(json.dumps(string, ensure_ascii=False)[1:-1])
                if not more:
                    out.append('"')
                    self._open_string = None
                return
            out.append('"')  # the provider moved on without closing the string
            self._open_string = None
        if path == self._last_path:
            segments = self._last_segments
        else:
            try:
                segments = parse_json_path(path)
            except ValueError as exc:
                raise _PathError(str(exc)) from None
            self._last_path, self._last_segments = path, segments
        self._enter(path, segments, out)
        if isinstance(string, str):
            out.append(json.dumps(string, ensure_ascii=False)[:-1])
            if more:
                self._open_string = path
            else:
                out.append('"')
        elif (number := _get(piece, "numberValue", "number_value")) is not None:
            out.append(_number(number))
        elif (flag := _get(piece, "boolValue", "bool_value")) is not None:
            if type(flag) is not bool:
                raise _PathError(f"boolValue {flag!r} at {path!r} is not a boolean")
            out.append("true" if flag else "false")
        elif _get(piece, "nullValue", "null_value") is not None:
            out.append("null")
        else:
            raise _PathError(f"the partialArgs entry at {path!r} carries no value")

    def finish(self, out: list[str]) -> None:
        """The call ended: close whatever is open, down to the root object."""
        if self._open_string is not None:
            out.append('"')
            self._open_string = None
        while self.stack:
            out.append("]" if self.stack.pop().array else "}")

    def _enter(self, path: str, segments: list[str | int], out: list[str]) -> None:
        """Close what ``segments`` leaves, open what it enters, and write its member's key."""
        stack = self.stack
        parents = len(segments) - 1
        shared = 0
        while (
            shared < parents
            and shared + 1 < len(stack)
            and type(stack[shared + 1].segment) is type(segments[shared])
            and stack[shared + 1].segment == segments[shared]
        ):
            shared += 1
        while len(stack) > shared + 1:
            out.append("]" if stack.pop().array else "}")
        for depth in range(shared, parents + 1):
            segment = segments[depth]
            top = stack[-1]
            if top.array:
                if type(segment) is not int:
                    raise _PathError(f"{path!r} names a member {segment!r} where an array is")
                if segment != top.count:
                    why = "was already written" if segment < top.count else (
                        f"skips index {top.count}")
                    raise _PathError(f"{path!r}: array index {segment} {why}")
                if top.count:
                    out.append(",")
                top.count += 1
            else:
                if type(segment) is not str:
                    raise _PathError(f"{path!r} indexes [{segment}] where an object is")
                if segment in top.keys:
                    raise _PathError(f"{path!r}: member {segment!r} already has a value")
                if top.keys:
                    out.append(",")
                top.keys.add(segment)
                out.append(json.dumps(segment, ensure_ascii=False) + ":")
            if depth < parents:
                array = type(segments[depth + 1]) is int
                out.append("[" if array else "{")
                stack.append(_Container(array, segment))


class GeminiReader(Reader):
    """Gemini: candidates' parts (whole or streamed calls, text, thoughts), finish, usage."""

    __slots__ = ("_model", "_usage", "_used", "_writers")

    def __init__(self, table: CallTable, fields: Fields) -> None:
        super().__init__(table, fields)
        #: Per candidate, its streamed call still open and the writer of its arguments.
        self._writers: dict[int, tuple[Call, _PathWriter]] = {}
        self._usage: Any = None  # the latest usageMetadata (cumulative)
        self._model: Any = None
        self._used = False  # the Usage event was emitted

    def claims(self, event: dict[str, Any]) -> bool:
        return (
            "candidates" in event
            or "usageMetadata" in event
            or "promptFeedback" in event
        )

    def read(self, event: dict[str, Any]) -> None:
        table = self.table
        fields = self.fields
        usage = _get(event, "usageMetadata", "usage_metadata")
        if usage is not None:
            self._usage = usage
        model = _get(event, "modelVersion", "model_version")
        if model is not None:
            self._model = model
        candidates = event.get("candidates")
        finished = False
        for raw in candidates or ():
            candidate = fields.of(raw)
            number = candidate.get("index")
            if type(number) is not int:
                number = 0
            parts = fields.of(candidate.get("content")).get("parts")
            running = False  # a code-execution part the server is about to run
            for raw_part in parts or ():
                part = fields.of(raw_part)
                self._part(number, part)
                running = _get(part, "executableCode", "executable_code") is not None
            reason = _plain(_get(candidate, "finishReason", "finish_reason"))
            if reason and not (running and reason == "STOP"):
                # A call still streaming is cut: finish_choice says so, and how.
                self._writers.pop(number, None)
                table.finish_choice(number, reason)
                finished = True
        if not candidates:
            feedback = fields.of(_get(event, "promptFeedback", "prompt_feedback"))
            blocked = _plain(_get(feedback, "blockReason", "block_reason"))
            if blocked:
                table.finish_choice(0, blocked)
                finished = True
        if finished and not self._used and all(c.finished for c in table.choices.values()):
            self._used = True
            self._emit_usage()

    def _part(self, number: int, part: dict[str, Any]) -> None:
        call = _get(part, "functionCall", "function_call")
        if call is not None:
            self._function_call(number, self.fields.of(call), part)
            return
        text = part.get("text")
        if text and isinstance(text, str):
            if part.get("thought") is True:
                self.table.emit(ReasoningDelta(number, text))
            else:
                self.table.content(number, text)

    def _function_call(self, number: int, fc: dict[str, Any], part: dict[str, Any]) -> None:
        table = self.table
        signature = _get(part, "thoughtSignature", "thought_signature")
        name = fc.get("name")
        pieces = _get(fc, "partialArgs", "partial_args")
        more = _get(fc, "willContinue", "will_continue") is True
        streamed = self._writers.get(number)
        out: list[str] = []
        if streamed is not None and not name:
            call, writer = streamed  # one more part of the call being streamed
            if writer.broken:  # its text can go on no further: the rest is dropped
                if not more:
                    del self._writers[number]
                return
            # A call that failed otherwise (an unknown tool, too long) keeps its
            # text in the record's raw, as the other formats' calls do.
        elif not name and not pieces and fc.get("args") is None:
            return  # an empty functionCall that ends no call: nothing to do
        else:
            self._cut_open_call(number, "another call began")
            choice = table.choice(number)
            call_id = fc.get("id")
            call = table.new_call(
                choice,
                number,
                None,
                call_id if isinstance(call_id, str) and call_id else None,
                name if isinstance(name, str) else "",
                "function",
            )
            table.start(call)
            if not pieces and not more:
                self._whole(call, fc, signature)
                return
            writer = _PathWriter()
            self._writers[number] = (call, writer)
            out.append("{")
        if signature:
            call.provider_data = {"thought_signature": signature}
        try:
            for raw in pieces or ():
                piece = self.fields.of(raw)
                writer.piece(_get(piece, "jsonPath", "json_path"), piece, out)
            if not more:
                writer.finish(out)
        except _PathError as exc:
            writer.broken = True
            if not more:
                del self._writers[number]
            self._feed(call, out)
            if call.state == OPEN:
                offset = call.length
                kind = ErrorKind.UNEXPECTED_CHARACTER
                table.fail(call, JsonSyntaxError(kind, str(exc), offset, 1, offset + 1))
            return
        self._feed(call, out)
        if not more:
            del self._writers[number]
            table.end_args(call)

    def _whole(self, call: Call, fc: dict[str, Any], signature: Any) -> None:
        """A call given whole: done in this chunk."""
        if signature:
            call.provider_data = {"thought_signature": signature}
        args = fc.get("args")
        if args is not None:
            text = json.dumps(args, ensure_ascii=False, separators=(",", ":"), default=_plain)
            self.table.feed_args(call, text)
        self.table.end_args(call)

    def _feed(self, call: Call, out: list[str]) -> None:
        if out:
            self.table.feed_args(call, "".join(out))

    def _cut_open_call(self, number: int, why: str) -> None:
        """A streamed call still open when its candidate moves on: its arguments are cut."""
        streamed = self._writers.pop(number, None)
        if streamed is None:
            return
        call = streamed[0]
        if call.state == OPEN:
            offset = call.length
            self.table.fail(
                call,
                IncompleteJsonError(
                    ErrorKind.UNEXPECTED_END,
                    f"Arguments incomplete: {why} before the call's partialArgs ended",
                    offset,
                    1,
                    offset + 1,
                ),
            )

    def _emit_usage(self) -> None:
        usage = self._usage
        if usage is None:
            return
        # The SDK's object as the wire's camelCase dict: the same raw from either.
        dump = getattr(usage, "model_dump", None)
        raw: dict[str, Any] = (
            dump(mode="json", exclude_none=True, by_alias=True)
            if callable(dump)
            else dict(self.fields.of(usage))
        )
        prompt = _get(raw, "promptTokenCount", "prompt_token_count")
        candidates = _get(raw, "candidatesTokenCount", "candidates_token_count")
        thoughts = _get(raw, "thoughtsTokenCount", "thoughts_token_count")
        total = _get(raw, "totalTokenCount", "total_token_count")
        output = None
        if isinstance(candidates, int) or isinstance(thoughts, int):
            output = (candidates if isinstance(candidates, int) else 0) + (
                thoughts if isinstance(thoughts, int) else 0
            )
        self.table.emit(usage_of(prompt, output, total, self._model, raw))
