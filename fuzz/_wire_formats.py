"""fuzz_tool_calls operations for Bedrock ConverseStream, Ollama and Cohere v2.

One more set of lines for the program ``fuzz_tool_calls.py`` runs (fields
split by tabs, ``""`` = absent)::

    BS block id name                 Bedrock contentBlockStart (toolUse)
    BD block input                   Bedrock contentBlockDelta toolUse.input
    BT block text                    Bedrock contentBlockDelta text
    BR block text                    Bedrock contentBlockDelta reasoningContent.text
    BE block                         Bedrock contentBlockStop
    BM reason                        Bedrock messageStop stopReason
    OC id name args                  Ollama line with one whole call (args: the object
                                     when it parses as one, else sent as the text;
                                     "" = no arguments field)
    OT text                          Ollama line with content
    OD reason                        Ollama done line (done_reason; "" = absent)
    KS index id name args            Cohere tool-call-start (args: its first fragment)
    KD index args                    Cohere tool-call-delta
    KE index                         Cohere tool-call-end
    KT text                          Cohere content-delta
    KM reason                        Cohere message-end finish_reason

:func:`to_event` makes the provider event of one line, :func:`per_char` re-sends
a line's arguments one character per event, :func:`ops` turns a recorded
stream of these formats into lines (``make_seeds.py --shared``).
"""

from __future__ import annotations

import json
from typing import Any


def _num(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text


def _f(fields: list[str], i: int) -> str:
    return fields[i] if i < len(fields) else ""


def _rest(fields: list[str], i: int) -> str:
    return "\t".join(fields[i:])


def _ollama(message: dict[str, Any], done: bool = False) -> dict[str, Any]:
    return {"model": "m", "created_at": "t", "message": {"role": "assistant", **message},
            "done": done}


def _cohere(kind: str, index: str | None, message: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {"type": kind, "delta": {"message": message}}
    if index is not None:
        event["index"] = _num(index)
    return event


def to_event(op: str, f: list[str]) -> dict[str, Any] | None:
    """The provider event of one line (None: not one of these operations)."""
    if op == "BS":
        return {"contentBlockStart": {"contentBlockIndex": _num(_f(f, 0)), "start": {
            "toolUse": {"toolUseId": _f(f, 1), "name": _f(f, 2)}}}}
    if op in ("BD", "BT", "BR"):
        text = _rest(f, 1)
        delta = ({"toolUse": {"input": text}} if op == "BD" else {"text": text} if op == "BT"
                 else {"reasoningContent": {"text": text}})
        return {"contentBlockDelta": {"contentBlockIndex": _num(_f(f, 0)), "delta": delta}}
    if op == "BE":
        return {"contentBlockStop": {"contentBlockIndex": _num(_f(f, 0))}}
    if op == "BM":
        return {"messageStop": {"stopReason": _f(f, 0) or "end_turn"}}
    if op == "OC":
        function: dict[str, Any] = {"name": _f(f, 1)}
        args = _rest(f, 2)
        if args:
            try:
                value = json.loads(args)
            except (ValueError, RecursionError):
                value = None
            function["arguments"] = value if isinstance(value, dict) else args
        call: dict[str, Any] = {"function": function}
        if _f(f, 0):
            call["id"] = _f(f, 0)
        return _ollama({"content": "", "tool_calls": [call]})
    if op == "OT":
        return _ollama({"content": _rest(f, 0)})
    if op == "OD":
        event = _ollama({"content": ""}, done=True)
        if _f(f, 0):
            event["done_reason"] = _f(f, 0)
        return event
    if op == "KS":
        return _cohere("tool-call-start", _f(f, 0), {"tool_calls": {
            "id": _f(f, 1), "type": "function",
            "function": {"name": _f(f, 2), "arguments": _rest(f, 3)}}})
    if op == "KD":
        return _cohere("tool-call-delta", _f(f, 0),
                       {"tool_calls": {"function": {"arguments": _rest(f, 1)}}})
    if op == "KE":
        return {"type": "tool-call-end", "index": _num(_f(f, 0))}
    if op == "KT":
        return _cohere("content-delta", "0", {"content": {"text": _rest(f, 0)}})
    if op == "KM":
        return {"type": "message-end", "delta": {"finish_reason": _f(f, 0) or "COMPLETE"}}
    return None


def per_char(op: str, f: list[str]) -> list[tuple[str, list[str]]] | None:
    """The line with its arguments re-sent one character per event (None: not split here)."""
    if op == "BD" or op == "KD":
        args = _rest(f, 1)
        if len(args) > 1:
            return [(op, [f[0], ch]) for ch in args]
    if op == "KS":
        args = _rest(f, 3)
        if len(args) > 1:
            return [(op, [*f[:3], args[0]]), *(("KD", [f[0], ch]) for ch in args[1:])]
    return None


def ops(events: list[Any]) -> list[str]:
    """A recorded Bedrock, Ollama or Cohere stream as lines (calls, text and ends only)."""
    lines = []
    for ev in events:
        if not isinstance(ev, dict):
            continue
        kind = ev.get("type")
        if len(ev) == 1:
            ((key, p),) = ev.items()
            if not isinstance(p, dict):
                continue
            block = p.get("contentBlockIndex")
            if key == "contentBlockStart" and "toolUse" in (p.get("start") or {}):
                tool = p["start"]["toolUse"]
                lines.append(f"BS\t{block}\t{tool.get('toolUseId')}\t{tool.get('name')}")
            elif key == "contentBlockDelta":
                d = p.get("delta") or {}
                if "toolUse" in d:
                    lines.append(f"BD\t{block}\t{d['toolUse'].get('input', '')}")
                elif "text" in d:
                    lines.append(f"BT\t{block}\t{d['text']}")
            elif key == "contentBlockStop":
                lines.append(f"BE\t{block}")
            elif key == "messageStop":
                lines.append(f"BM\t{p.get('stopReason', '')}")
        elif "message" in ev and "done" in ev:
            message = ev.get("message") or {}
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                args = function.get("arguments")
                lines.append(f"OC\t{call.get('id', '')}\t{function.get('name')}\t"
                             f"{'' if args is None else json.dumps(args)}")
            if message.get("content"):
                lines.append(f"OT\t{message['content']}")
            if ev.get("done"):
                lines.append(f"OD\t{ev.get('done_reason') or ''}")
        elif kind == "tool-call-start":
            call = ev["delta"]["message"]["tool_calls"]
            lines.append(f"KS\t{ev.get('index')}\t{call.get('id')}\t{call['function']['name']}\t"
                         f"{call['function'].get('arguments', '')}")
        elif kind == "tool-call-delta":
            lines.append(f"KD\t{ev.get('index')}\t"
                         f"{ev['delta']['message']['tool_calls']['function']['arguments']}")
        elif kind == "tool-call-end":
            lines.append(f"KE\t{ev.get('index')}")
        elif kind == "content-delta":
            text = ev["delta"]["message"]["content"].get("text")
            if text:
                lines.append(f"KT\t{text}")
        elif kind == "message-end":
            lines.append(f"KM\t{ev['delta'].get('finish_reason') or ''}")
    return lines
