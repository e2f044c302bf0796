"""Fuzz ToolCallAssembler with random provider deltas, in every wire format.

The body is a small program, one operation per line, fields split by tabs::

    C  choice index id name args     Chat Completions tool_calls entry ("" = field absent)
    T  choice text                   Chat Completions content
    F  choice reason                 Chat Completions finish_reason
    AS block id name input           Anthropic content_block_start (tool_use; input: JSON or "")
    AD block partial_json            Anthropic input_json_delta
    AT block text                    Anthropic text_delta
    AE block                         Anthropic content_block_stop
    AM reason                        Anthropic message_delta stop_reason
    A0                               Anthropic message_start
    RS output_index item_id call_id name      Responses output_item.added (function_call)
    RD item_id output_index delta             Responses function_call_arguments.delta
    RE item_id output_index arguments         Responses function_call_arguments.done
    RT text                          Responses output_text.delta
    RC status                        Responses response.completed
    GT choice text                   Gemini text part (GH: a thought part)
    GW choice name args              Gemini whole functionCall (args: JSON or text; "" = absent)
    GS choice name                   Gemini functionCall {name, willContinue}
    GP choice path kind more end value   Gemini partialArgs piece (kind s/n/b/z; more, end: "1")
    GE choice                        Gemini empty functionCall {}
    GF choice reason                 Gemini finishReason (with usageMetadata)
    WS output_index item_id call_id name      Realtime output_item.added (function_call)
    WD item_id delta                 Realtime function_call_arguments.delta
    WE item_id arguments             Realtime function_call_arguments.done
    WI item_id status arguments      Realtime output_item.done (status "" = absent)
    WR status reason                 Realtime response.done (status_details.reason)
    WT text                          Realtime output_text.delta

and the Bedrock (B*), Ollama (O*) and Cohere (K*) lines of ``_wire_formats.py``.

Numbers that do not parse as ints are sent as given (strings): providers are
not trusted to send well-typed indexes.

Invariants: nothing escapes feed() or close(); every call gets one
ToolCallStart first and then exactly one ToolCallDone or ToolCallError (an
Error may follow a Done when text follows the closed JSON); the deltas' text
joins to ``raw``; a Done's arguments are ``json.loads(raw)`` (``{}`` when
blank) and a JsonSyntaxError means json.loads rejects ``raw``;
the same calls come out when every arguments fragment is re-sent one
character per event, and when the events are sent as JSON text.

Flags: bit 0 registers tools (a model for "get", no model for "put");
bit 1 sets max_arguments_length=16; bit 2 feeds the body's raw lines as event
text instead (then json.loads errors, ValueError and TypeError may escape, as
documented; nothing else).

Run: ``python fuzz/fuzz_tool_calls.py fuzz/corpus/tool_calls`` (see fuzz/README.md).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import _wire_formats
from _harness import Input, error_key, fuzz, instrumented

with instrumented():
    from midstream import (
        ContentDelta,
        Finish,
        JsonSyntaxError,
        ToolArgumentsDelta,
        ToolCallAssembler,
        ToolCallDone,
        ToolCallError,
        ToolCallStart,
        UnknownToolError,
    )

from pydantic import BaseModel


class Get(BaseModel):
    city: str = ""


TOOLS: dict[str, Any] = {"get": Get, "put": None}


def _num(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text


def _opt(entry: dict[str, Any], key: str, value: Any) -> None:
    if value != "":
        entry[key] = value


def parse(body: str) -> list[tuple[str, list[str]]]:
    ops = []
    for line in body.split("\n"):
        op, _, rest = line.partition("\t")
        ops.append((op, rest.split("\t") if rest else []))
    return ops


def _f(fields: list[str], i: int) -> str:
    return fields[i] if i < len(fields) else ""


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def gemini_event(op: str, f: list[str]) -> dict[str, Any] | None:
    """A Gemini generateContent chunk with one part (or a finish)."""
    candidate: dict[str, Any] = {"index": _num(_f(f, 0) or "0")}
    part: dict[str, Any] | None = None
    if op in ("GT", "GH"):
        part = {"text": _f(f, 1), "thought": op == "GH"}
    elif op == "GW":
        call: dict[str, Any] = {"name": _f(f, 1)}
        args = "\t".join(f[2:])
        if args:
            call["args"] = _json_or_text(args)
        part = {"functionCall": call, "thoughtSignature": "c2ln"}
    elif op == "GS":
        part = {"functionCall": {"name": _f(f, 1), "willContinue": True}}
    elif op == "GP":
        kind, value = _f(f, 2), "\t".join(f[5:])
        piece: dict[str, Any] = {"jsonPath": _f(f, 1)}
        if kind == "s":
            piece["stringValue"] = value
        elif kind == "n":
            piece["numberValue"] = _json_or_text(value)
        elif kind == "b":
            piece["boolValue"] = {"1": True, "0": False}.get(value, value)
        elif kind == "z":
            piece["nullValue"] = "NULL_VALUE"
        if _f(f, 3) == "1":
            piece["willContinue"] = True
        call = {"partialArgs": [piece]}
        if _f(f, 4) != "1":
            call["willContinue"] = True
        part = {"functionCall": call}
    elif op == "GE":
        part = {"functionCall": {}}
    elif op == "GF":
        candidate["finishReason"] = _f(f, 1) or "STOP"
    else:
        return None
    if part is not None:
        candidate["content"] = {"role": "model", "parts": [part]}
    return {"candidates": [candidate], "usageMetadata": {"promptTokenCount": 1}}


def realtime_event(op: str, f: list[str]) -> dict[str, Any] | None:
    """An OpenAI Realtime server event (every one carries an event_id)."""
    event: dict[str, Any]
    if op == "WS":
        item = {"type": "function_call", "id": _f(f, 1), "call_id": _f(f, 2), "name": _f(f, 3),
                "arguments": "", "status": "in_progress"}
        event = {"type": "response.output_item.added", "output_index": _num(_f(f, 0)),
                 "item": item}
    elif op == "WD":
        event = {"type": "response.function_call_arguments.delta", "item_id": _f(f, 0),
                 "delta": "\t".join(f[1:])}
    elif op == "WE":
        event = {"type": "response.function_call_arguments.done", "item_id": _f(f, 0),
                 "arguments": "\t".join(f[1:])}
    elif op == "WI":
        item = {"type": "function_call", "id": _f(f, 0), "arguments": "\t".join(f[2:])}
        _opt(item, "status", _f(f, 1))
        event = {"type": "response.output_item.done", "item": item}
    elif op == "WR":
        response = {"status": _f(f, 0) or "completed",
                    "status_details": {"reason": _f(f, 1) or None},
                    "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}}
        event = {"type": "response.done", "response": response}
    elif op == "WT":
        event = {"type": "response.output_text.delta", "delta": _f(f, 0)}
    else:
        return None
    return {**event, "event_id": "event_1"}


def to_event(op: str, f: list[str]) -> dict[str, Any] | None:
    """The provider event of one operation (None: not an operation)."""
    if op[:1] == "G":
        return gemini_event(op, f)
    if op[:1] == "W":
        return realtime_event(op, f)
    if op == "C":
        entry: dict[str, Any] = {}
        _opt(entry, "index", _num(_f(f, 1)) if _f(f, 1) else "")
        _opt(entry, "id", _f(f, 2))
        function: dict[str, Any] = {}
        _opt(function, "name", _f(f, 3))
        _opt(function, "arguments", "\t".join(f[4:]))
        if function:
            entry["function"] = function
        return {"choices": [{"index": _num(_f(f, 0) or "0"), "delta": {"tool_calls": [entry]}}]}
    if op == "T":
        return {"choices": [{"index": _num(_f(f, 0) or "0"), "delta": {"content": _f(f, 1)}}]}
    if op == "F":
        return {"choices": [{"index": _num(_f(f, 0) or "0"), "delta": {},
                             "finish_reason": _f(f, 1) or None}]}
    if op == "AS":
        block: dict[str, Any] = {"type": "tool_use", "id": _f(f, 1), "name": _f(f, 2)}
        try:
            block["input"] = json.loads(_f(f, 3)) if _f(f, 3) else {}
        except (ValueError, RecursionError):
            block["input"] = {}
        return {"type": "content_block_start", "index": _num(_f(f, 0)), "content_block": block}
    if op == "AD":
        return {"type": "content_block_delta", "index": _num(_f(f, 0)),
                "delta": {"type": "input_json_delta", "partial_json": "\t".join(f[1:])}}
    if op == "AT":
        return {"type": "content_block_delta", "index": _num(_f(f, 0)),
                "delta": {"type": "text_delta", "text": _f(f, 1)}}
    if op == "AE":
        return {"type": "content_block_stop", "index": _num(_f(f, 0))}
    if op == "AM":
        return {"type": "message_delta", "delta": {"stop_reason": _f(f, 0) or None}}
    if op == "A0":
        return {"type": "message_start", "message": {}}
    if op == "RS":
        item = {"type": "function_call", "id": _f(f, 1), "call_id": _f(f, 2), "name": _f(f, 3),
                "arguments": ""}
        return {"type": "response.output_item.added", "output_index": _num(_f(f, 0)),
                "item": item}
    if op == "RD":
        return {"type": "response.function_call_arguments.delta", "item_id": _f(f, 0),
                "output_index": _num(_f(f, 1)), "delta": "\t".join(f[2:])}
    if op == "RE":
        return {"type": "response.function_call_arguments.done", "item_id": _f(f, 0),
                "output_index": _num(_f(f, 1)), "arguments": "\t".join(f[2:])}
    if op == "RT":
        return {"type": "response.output_text.delta", "delta": _f(f, 0),
                "item_id": "m", "content_index": 0}
    if op == "RC":
        return {"type": "response.completed", "response": {"status": _f(f, 0) or "completed"}}
    return _wire_formats.to_event(op, f)


def per_char(op: str, f: list[str]) -> list[tuple[str, list[str]]]:
    """The operation with its arguments text re-sent one character per event."""
    if op == "C" and len(f) > 4:
        args = "\t".join(f[4:])
        if len(args) > 1:
            first = (op, [*f[:4], args[0]])
            rest = [(op, [f[0], f[1], "", "", ch]) for ch in args[1:]]
            return [first, *rest]
    if op in ("AD", "RD", "WD"):
        head = 2 if op == "RD" else 1
        args = "\t".join(f[head:])
        if len(args) > 1:
            return [(op, [*f[:head], ch]) for ch in args]
    if op == "GP" and _f(f, 2) == "s":
        value = "\t".join(f[5:])
        if len(value) > 1:  # a string value in one-character pieces, in parts of their own
            more = ["1"] * (len(value) - 1) + [_f(f, 3)]
            end = [""] * (len(value) - 1) + [_f(f, 4)]
            return [(op, [*f[:3], m, e, ch]) for m, e, ch in zip(more, end, value, strict=True)]
    return _wire_formats.per_char(op, f) or [(op, f)]


def run(events: list[Any], flags: int) -> tuple[list[Any], ToolCallAssembler]:
    acc = ToolCallAssembler(
        tools=TOOLS if flags & 1 else None,
        max_arguments_length=16 if flags & 2 else 64 * 1024 * 1024,
    )
    out: list[Any] = []
    for event in events:
        out += acc.feed(event)
    out += acc.close()
    assert acc.close() == []
    return out, acc


def summary(out: list[Any], acc: ToolCallAssembler) -> list[Any]:
    """What must not depend on how the arguments were cut into events."""
    ends = [
        (type(e).__name__, e.choice, e.index, e.id, e.name,
         json.dumps(e.arguments, default=repr) if type(e) is ToolCallDone else error_key(e.error))
        for e in out if type(e) in (ToolCallDone, ToolCallError)
    ]
    content = {}
    for e in out:
        if type(e) is ContentDelta:
            content[e.choice] = content.get(e.choice, "") + e.text
    finishes = [(e.choice, e.reason) for e in out if type(e) is Finish]
    return [ends, content, finishes, [(c.raw, c.status) for c in acc.tool_calls]]


def check_calls(out: list[Any], flags: int) -> None:
    calls: dict[tuple[int, int], dict[str, Any]] = {}
    for e in out:
        if type(e) is ToolCallStart:
            key = (e.choice, e.index)
            assert key not in calls, f"two ToolCallStart for {key}"
            calls[key] = {"texts": [], "ends": []}
        elif type(e) is ToolArgumentsDelta:
            call = calls[(e.choice, e.index)]
            assert not call["ends"], f"arguments after the end: {e}"
            call["texts"].append(e.text)
        elif type(e) in (ToolCallDone, ToolCallError):
            call = calls[(e.choice, e.index)]
            call["ends"].append(e)
    for key, call in calls.items():
        ends = call["ends"]
        kinds = [type(e).__name__ for e in ends]
        assert kinds in (["ToolCallDone"], ["ToolCallError"], ["ToolCallDone", "ToolCallError"]), (
            key, kinds)
        raw = ends[0].raw
        if type(ends[0]) is ToolCallDone:
            assert "".join(call["texts"]) == raw, (call["texts"], raw)
            if not raw.strip():
                expected = {}
            elif len(ends) == 2:  # text after the closed value, in the same fragment or later
                start = len(raw) - len(raw.lstrip(" \t\n\r"))
                expected = json.JSONDecoder().raw_decode(raw, start)[0]
            else:
                expected = json.loads(raw)
            name = ends[0].name
            if flags & 1 and TOOLS.get(name) is not None:
                assert ends[0].arguments == TOOLS[name].model_validate(expected)
            else:
                assert json.dumps(ends[0].arguments) == json.dumps(expected), (raw, ends[0])
        else:
            error = ends[0].error
            # A syntax error is final: no text can make its prefix JSON. (An
            # IncompleteJsonError is about the provider's end signal, and text
            # sent after that signal still lands in raw.)
            if isinstance(error, JsonSyntaxError):
                try:
                    json.loads(raw)
                except (ValueError, RecursionError):
                    pass
                else:
                    raise AssertionError(f"{error!r} but json.loads accepts {raw!r}")
            elif flags & 1 and isinstance(error, UnknownToolError):
                assert ends[0].name not in TOOLS


def known_bug(out: list[Any]) -> bool:
    """An input that shows a bug already reported with a test in tests/test_fuzz_regressions.py.

    Skipped here so that fuzzing goes on to find new ones; remove each entry
    when its fix lands (its regression test's xfail mark comes off then too).
    """
    # (none open: the same-fragment verdict bug is fixed, 3bd02f2)
    del out
    return False


def test_one_input(data: bytes) -> None:
    inp = Input(data)
    body = inp.clean_text()
    if inp.flags & 4:
        acc = ToolCallAssembler()
        for line in body.split("\n"):
            with contextlib.suppress(ValueError, TypeError):
                acc.feed(line)
        acc.close()
        return
    ops = parse(body)
    events = [e for op, f in ops if (e := to_event(op, f)) is not None]
    out, acc = run(events, inp.flags)
    check_calls(out, inp.flags)
    if known_bug(out):
        return
    expected = summary(out, acc)

    split = [
        e for op, f in ops for op2, f2 in per_char(op, f) if (e := to_event(op2, f2)) is not None
    ]
    out2, acc2 = run(split, inp.flags)
    check_calls(out2, inp.flags)
    if not inp.flags & 2:  # the length limit may fall inside a different event
        assert summary(out2, acc2) == expected, "per-character arguments differ"

    out3, acc3 = run([json.dumps(e) for e in events], inp.flags)
    assert summary(out3, acc3) == expected, "JSON text events differ"


if __name__ == "__main__":
    fuzz(test_one_input)
