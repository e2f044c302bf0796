"""Build seed corpora for the fuzz harnesses.

Two sources:

* ``--builtin`` (the default when no option is given): the small hand-made
  samples below, written to ``fuzz/corpus/<target>/`` (committed).
* ``--shared``: the team's conformance data and recorded streams in
  ``../shared`` (JSONTestSuite cases, the CommonMark fence examples, the real
  recorded streams), turned into seeds at run time and written to
  ``fuzz/findings/seeds/<target>/``, which git ignores: nothing of ../shared
  is copied into the repository.

Each seed is encoded with :func:`_harness.encode` (a flags byte and split
points before the body), with a few flag and chunking variants.

Usage::

    python fuzz/make_seeds.py               # built-in seeds into fuzz/corpus/
    python fuzz/make_seeds.py --shared      # ../shared seeds into fuzz/findings/seeds/
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import _wire_formats
from _harness import ROOT, encode

TARGETS = (
    "json", "snapshot", "code_blocks", "objects", "tool_calls", "sse", "splitters", "model_stream",
    "wire",
)
SHARED = ROOT.parent / "shared"

JSON_SAMPLES = [
    '{"a": [1, 2.5, -0, 1E+2, true, false, null], "b": {"c": "d\\n\\u00e9\\ud83d\\ude00"}}',
    '[[[[[[]]]]]]',
    '{"a":{"a":{"a":{"a":1}}}}',
    '"\\ud800"', '"\\udc00\\ud800x"', '"\\u12"', '"\\x"',
    '{"a":1,"a":2}', '  \r\n\t[ 1 , 2 ]  ', "-0.0e-0", "1e999999", "0.1e-400",
    "123456789012345678901234567890", "[01]", "[1.]", "[-]", "[.5]", "NaN", "[Infinity]",
    "[tru]", "nul", '"\x00"', "\x00", '["a"\x1f]', "{}", "[]", '""', "{\"\":\"\"}",
    '{"a" 1}', '{"a":1,}', "[1,]", "[1 2]", '"abc', "[", "{", '{"a":', "\ufeff[]",
    '{"k": "' + "x" * 40 + '", "n": 12345678, "d": [[[[1]]]]}',
]

MARKDOWN_SAMPLES = [
    "Try:\n```python\nprint(1)\n```\nDone.",
    "~~~ json\n{\"a\": [1, 2]}\n~~~\n",
    "> ```\n> quoted\n> ```\n",
    "- item\n\n  ```sh\n  ls -l\n  ```\n- next\n",
    "1. one\n   ````\n   ```\n   ````\n",
    "````md\n```\nnested\n```\n````\n",
    "    ```\n    indented code\n",
    "<div>\n```\n</div>\n",
    "``` a`b\nnot a fence\n",
    "```\r\ncrlf\r\n```\r\n",
    "```\runclosed",
    "text ``` inline ```\n",
    "> - > ```\n> - > x\n",
    "```js {x}\nlet a = `t`;\n```  \n",
    "   ~~~\n  a\n ~~~~~\n",
    "```json\n{\"a\": 1}\n```\n```json\n{\"b\":\n```\n",
]

OBJECT_SAMPLES = [
    'Two records: {"id": 1} and {"id": 2}.',
    'Here:\n```json\n{"a": [1, {"b": null}]}\n```\nand [1, 2, 3] too',
    '{"a": {"b": 1} [x] {"c": "}"}',
    '[[[[1]]] {{{ {"a":"b"} [{"x": "[{"}]',
    '{"a":1}\n{"b":2}\n\nnot json\n[3]\r\n',
    'prose { not json } more {"ok": true}',
    '{"s": "\\" { ["}',
    '{"a":NaN} {"b":1}',
    '[1, 2',
]

SSE_SAMPLES = [
    "data: hello\n\n",
    "event: add\ndata: 1\ndata: 2\nid: 7\nretry: 1000\n\n",
    ": comment\r\ndata:x\r\n\r\ndata: y\r\rdata\n\n",
    "\ufeffdata: bom\n\nid: a\x00b\ndata: z\n\n",
    'data: {"choices": [{"delta": {"content": "Hi"}}]}\n\ndata: [DONE]\n\n',
    "retry: 12x\nevent\ndata:  two spaces\n\n",
    "data: caf\u00e9 \U0001f600\n\n",
]

def _wire_sample(kind: str, texts: list[str]) -> str:
    """A provider's body of one repeated chunk shape: what the raw path reads from its bytes."""
    blocks = []
    for n, text in enumerate(texts):
        if kind == "chat":
            chunk: dict[str, Any] = {"id": "c1", "object": "chat.completion.chunk", "choices": [
                {"index": 0, "delta": {"content": text}, "logprobs": None,
                 "finish_reason": None}], "usage": None, "obfuscation": "Ab" * (n % 3)}
            blocks.append(f"data: {json.dumps(chunk)}\n\n")
        elif kind == "tool":
            chunk = {"choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "function": {"arguments": text}}]}, "finish_reason": None}]}
            blocks.append(f"data: {json.dumps(chunk)}\n\n")
        elif kind == "anthropic":
            event = {"type": "content_block_delta", "index": 0,
                     "delta": {"type": "text_delta", "text": text}}
            blocks.append(f"event: content_block_delta\ndata: {json.dumps(event)}\n\n")
        else:
            event = {"type": "response.output_text.delta", "sequence_number": n,
                     "item_id": "m", "output_index": 0, "content_index": 0, "delta": text,
                     "obfuscation": "x" * (n % 4)}
            blocks.append(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n")
    if kind == "tool":
        start = {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "t",
                 "type": "function", "function": {"name": "f", "arguments": ""}}]}}]}
        blocks.insert(0, f"data: {json.dumps(start)}\n\n")
    return "".join(blocks)


_WIRE_TEXTS = ['{"a"', ": ", '"b', 'é"', ', "c": [1', ", 2]", "}"]
WIRE_SAMPLES = [
    (_wire_sample(kind, _WIRE_TEXTS), flags)
    for kind, flags in (("chat", 1), ("tool", 1), ("anthropic", 2), ("responses", 3),
                        ("chat", 5), ("anthropic", 0), ("responses", 4))
] + [(_wire_sample("chat", ["x", "y", "z"]) + 'data: {"error": {"message": "m"}}\n\n', 0)]

TOOL_CALL_SAMPLES = [
    "C\t0\t0\tcall_1\tget\t{\"ci\nC\t0\t0\t\t\tty\": \"Paris\"}\nF\t0\ttool_calls",
    "C\t0\t0\tc1\tget\t\nC\t0\t1\tc2\tput\t{\"a\"\nC\t0\t0\t\t\t{}\nC\t0\t1\t\t\t: 1}\nF\t0\tstop",
    "C\t0\t\tc1\tget\t{\"x\":\nC\t0\t\t\t\t1}\nC\t0\t\tc2\tput\t[1]\nF\t0\tlength",
    "C\t0\t0\tc1\tget\t12\nF\t0\tstop",
    "C\t0\t0\tc1\tget\t{\"a\":1} x\nT\t0\thello\nF\t0\tstop",
    "C\t1\t0\tc9\tget\t{\nF\t1\tlength\nF\t0\tstop",
    "A0\nAS\t1\ttoolu_1\tget\t\nAD\t1\t{\"city\"\nAD\t1\t: \"Oslo\"}\nAE\t1\nAM\ttool_use",
    "A0\nAT\t0\tLet me check.\nAS\t1\tt2\tput\t{\"x\": 1}\nAE\t1\n"
    "AS\t2\tt3\tget\t\nAD\t2\t{\"a\nAM\tmax_tokens",
    "RS\t0\tfc_1\tcall_1\tget\nRD\tfc_1\t0\t{\"ci\nRD\tfc_1\t0\tty\":\"Rome\"}\nRE\tfc_1\t0\t{\"city\":\"Rome\"}\nRC\tcompleted",
    "RT\thi\nRS\t1\tfc_2\tcall_2\tput\nRE\tfc_2\t1\t[true]\nRC\tincomplete",
    "GH\t0\thm\nGT\t0\tSure.\nGW\t0\tget\t{\"city\": \"Oslo\"}\nGW\t0\tput\t\nGF\t0\tSTOP",
    "GS\t0\tget\nGP\t0\t$.city\ts\t1\t\tOs\nGP\t0\t$.city\ts\t\t\tlo\n"
    "GP\t0\t$.a[0].b\tn\t\t\t1.5\nGP\t0\t$.a[1]\tb\t\t\t1\nGE\t0\nGF\t0\tSTOP",
    "GS\t0\tput\nGP\t0\t$['x y']\tz\t\t1\t\nGS\t0\tget\nGP\t0\t$.q\ts\t1\t\tcut\n"
    "GF\t0\tMAX_TOKENS",
    "WS\t0\titem_1\tcall_1\tget\nWD\titem_1\t{\"ci\nWD\titem_1\tty\":\"Rome\"}\n"
    "WE\titem_1\t{\"city\":\"Rome\"}\nWI\titem_1\tcompleted\t{\"city\":\"Rome\"}\nWR\tcompleted",
    "WT\tok\nWS\t1\titem_2\tcall_2\tput\nWD\titem_2\t{\"a\nWE\titem_2\t{\"a\n"
    "WI\titem_2\tincomplete\t{\"a\nWR\tcancelled\tturn_detected",
    "BT\t0\tLet me\nBE\t0\nBS\t1\ttu_1\tget\nBD\t1\t\nBD\t1\t{\"city\"\nBD\t1\t: \"Oslo\"}\n"
    "BE\t1\nBS\t2\ttu_2\tput\nBD\t2\t\nBE\t2\nBM\ttool_use",
    "BR\t0\thmm\nBS\t1\ttu_1\tget\nBD\t1\t{\"a\nBM\tmax_tokens",
    "OT\thi\nOC\t\tget\t{\"city\": \"Oslo\"}\nOC\tc2\tput\t\nOC\t\tget\t{\"x\": \nOD\tstop",
    "OT\tpart\nOD\tlength",
    "KS\t0\tget_1\tget\t\nKD\t0\t{\n    \"city\"\nKD\t0\t: \"Rome\"\n}\nKE\t0\n"
    "KS\t1\tput_2\tput\t\nKE\t1\nKM\tTOOL_CALL",
    "KT\tThe\nKT\t answer\nKS\t0\tc\tget\t{\"a\": [1,\nKM\tMAX_TOKENS",
]

MODEL_SAMPLES = [
    '{"title": "T", "count": 3, "tags": [{"name": "a", "weight": 2}, {"name": "b"}]}',
    '{"title": "T", "meta": {"x": 1, "y": "2"}, "kind": "a", "maybe": "s"}',
    '{"title": 5, "count": "x", "tags": [{"weight": 1}], "kind": "c"}',
    '{"title": "T", "pets": [{"type": "cat"}, {"type": "dog", "good": false}, {"type": "cow"}]}',
    '{"title": "T", "nested": {"title": "U", "nested": {"title": "V"}}, "extra": [1, {"a": 2}]}',
    '{"title": "T", "title": "U", "count": 1, "count": 2.5}',
    '[{"name": "a"}, {"name": "b", "weight": "heavy"}, 3]',
    '{"k": {"name": "a"}, "j": {"name": 1}}',
]

SPLITTER_SAMPLES = [
    "One. Two! Three? Dr. Smith went to the U.S. at 3.5 p.m. \"Yes.\" (No.)\n\nNew para…",
    "line 1\r\nline 2\rline 3\nline\u2028four\x85five\x0bsix",
    "  words   and\twords\n\u3000全角　スペース  ",
    "这是中文。还有一句！最后？",
]


def _variants(body: str, rng: random.Random, flag_values: Iterable[int]) -> Iterator[bytes]:
    n = len(body.encode("utf-8", "surrogatepass"))
    for flags in flag_values:
        yield encode(body, flags=flags)
        yield encode(body, flags=flags, splits=sorted(rng.sample(range(n + 1), min(4, n + 1))))


def builtin() -> dict[str, list[bytes]]:
    rng = random.Random(8)
    seeds: dict[str, list[bytes]] = {t: [] for t in TARGETS}
    for doc in JSON_SAMPLES:
        seeds["json"] += _variants(doc, rng, (0, 1, 14))
        seeds["snapshot"] += _variants(doc, rng, (0, 1))
    seeds["json"] += [
        encode(b'"\xff"', flags=1),
        encode(b'{"a":"\xc3\xa9"}\xc3', flags=1),
        encode(b"\xef\xbb\xbf[1]", flags=1),
    ]
    for doc in MARKDOWN_SAMPLES:
        seeds["code_blocks"] += _variants(doc, rng, (0, 1, 2))
    for doc in OBJECT_SAMPLES:
        seeds["objects"] += _variants(doc, rng, (0, 1, 2))
    for doc in SSE_SAMPLES:
        seeds["sse"] += _variants(doc, rng, (0, 1))
    for doc in TOOL_CALL_SAMPLES:
        seeds["tool_calls"] += _variants(doc, rng, (0, 1, 2))
    seeds["tool_calls"].append(encode('{"choices": [{"delta": {}}]}\n[DONE]\n{"type": 1}', flags=4))
    for doc in MODEL_SAMPLES:
        seeds["model_stream"] += _variants(doc, rng, (0, 1, 2, 3))
    for doc in SPLITTER_SAMPLES:
        seeds["splitters"] += _variants(doc, rng, (0, 1, 2))
    for doc, flags in WIRE_SAMPLES:
        seeds["wire"] += _variants(doc, rng, (flags,))
    return seeds


def _corpus_records() -> Iterator[dict[str, object]]:
    folder = SHARED / "corpus" / "real"
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            yield json.loads(line)


def _ops(record: dict[str, object]) -> str:
    """A recorded stream as a fuzz_tool_calls program (the calls and text only)."""
    lines = []
    for ev in record["events"]:  # type: ignore[attr-defined]
        if not isinstance(ev, dict):
            continue
        kind = ev.get("type")
        if "choices" in ev:
            for c in ev.get("choices") or []:
                d = c.get("delta") or {}
                for e in d.get("tool_calls") or []:
                    f = e.get("function") or {}
                    lines.append("\t".join(["C", str(c.get("index", 0)), str(e.get("index", "")),
                                            e.get("id") or "", f.get("name") or "",
                                            f.get("arguments") or ""]))
                if d.get("content"):
                    lines.append(f"T\t{c.get('index', 0)}\t{d['content']}")
                if c.get("finish_reason"):
                    lines.append(f"F\t{c.get('index', 0)}\t{c['finish_reason']}")
        elif kind == "content_block_start":
            b = ev.get("content_block") or {}
            if b.get("type") == "tool_use":
                lines.append(f"AS\t{ev.get('index')}\t{b.get('id')}\t{b.get('name')}\t")
        elif kind == "content_block_delta":
            d = ev.get("delta") or {}
            if d.get("type") == "input_json_delta":
                lines.append(f"AD\t{ev.get('index')}\t{d.get('partial_json', '')}")
            elif d.get("type") == "text_delta":
                lines.append(f"AT\t{ev.get('index')}\t{d.get('text', '')}")
        elif kind == "content_block_stop":
            lines.append(f"AE\t{ev.get('index')}")
        elif kind == "message_delta":
            lines.append(f"AM\t{(ev.get('delta') or {}).get('stop_reason') or ''}")
        elif kind == "message_start":
            lines.append("A0")
        elif kind == "response.output_item.added":
            item = ev.get("item") or {}
            if item.get("type") == "function_call":
                lines.append(f"RS\t{ev.get('output_index')}\t{item.get('id')}\t"
                             f"{item.get('call_id')}\t{item.get('name')}")
        elif kind == "response.function_call_arguments.delta":
            lines.append(f"RD\t{ev.get('item_id')}\t{ev.get('output_index')}\t{ev.get('delta')}")
        elif kind == "response.function_call_arguments.done":
            lines.append(f"RE\t{ev.get('item_id')}\t{ev.get('output_index')}\t"
                         f"{ev.get('arguments')}")
        elif kind == "response.output_text.delta":
            lines.append(f"RT\t{ev.get('delta')}")
        elif kind == "response.completed":
            lines.append("RC\tcompleted")
        elif "candidates" in ev:
            lines += _gemini_ops(ev)
    lines += _wire_formats.ops(record["events"])  # type: ignore[arg-type]
    return "\n".join(line.replace("\n", " ") for line in lines)


_PIECE_KINDS = (("s", "stringValue"), ("n", "numberValue"), ("b", "boolValue"),
                ("z", "nullValue"))


def _gemini_ops(ev: dict[str, Any]) -> list[str]:
    """One Gemini chunk as fuzz_tool_calls operations."""
    lines = []
    for c in ev.get("candidates") or []:
        n = c.get("index", 0)
        for part in (c.get("content") or {}).get("parts") or []:
            call = part.get("functionCall")
            if call is None:
                if part.get("text"):
                    lines.append(f"{'GH' if part.get('thought') else 'GT'}\t{n}\t{part['text']}")
            elif call.get("name") and (call.get("willContinue") or call.get("partialArgs")):
                lines.append(f"GS\t{n}\t{call['name']}")
            elif call.get("name"):
                args = json.dumps(call["args"]) if "args" in call else ""
                lines.append(f"GW\t{n}\t{call['name']}\t{args}")
            elif not call:
                lines.append(f"GE\t{n}")
            for k, piece in enumerate(call.get("partialArgs") or [] if call else []):
                kind, value = next(
                    ((kind, piece[key]) for kind, key in _PIECE_KINDS if key in piece), ("", ""))
                value = {True: "1", False: "0", "NULL_VALUE": ""}.get(value, value)
                last = k == len(call["partialArgs"]) - 1 and not call.get("willContinue")
                lines.append("\t".join(["GP", str(n), piece.get("jsonPath", ""), kind,
                                         "1" if piece.get("willContinue") else "",
                                         "1" if last else "", str(value)]))
        if c.get("finishReason"):
            lines.append(f"GF\t{n}\t{c['finishReason']}")
    return lines


def _content(record: dict[str, object]) -> str:
    parts = []
    for ev in record["events"]:  # type: ignore[attr-defined]
        if isinstance(ev, dict):
            for c in ev.get("choices") or []:
                content = (c.get("delta") or {}).get("content")
                if isinstance(content, str):
                    parts.append(content)
    return "".join(parts)


def shared() -> dict[str, list[bytes]]:
    if not SHARED.exists():
        print(f"make_seeds: {SHARED} is absent; no shared seeds", file=sys.stderr)
        return {}
    rng = random.Random(9)
    seeds: dict[str, list[bytes]] = {t: [] for t in TARGETS}
    for path in sorted((SHARED / "conformance" / "JSONTestSuite").glob("*.json")):
        data = path.read_bytes()
        if len(data) > 4000:
            continue
        seeds["json"].append(encode(data, flags=1))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        seeds["json"] += _variants(text, rng, (0,))
        if path.name.startswith("y_"):
            seeds["snapshot"] += _variants(text, rng, (0,))
            seeds["model_stream"].append(encode(text, flags=rng.randrange(4)))
        seeds["objects"].append(encode("text " + text + " more"))
    examples = json.loads((SHARED / "conformance" / "commonmark" / "fence_examples.json")
                          .read_text(encoding="utf-8"))["examples"]
    for ex in examples:
        seeds["code_blocks"] += _variants(ex["markdown"], rng, (0, 1))
    for record in _corpus_records():
        ops = _ops(record)
        if ops and len(ops) < 4000 and any(op[:1] in "CARGWBOK" for op in ops.split("\n")):
            seeds["tool_calls"].append(encode(ops))
        content = _content(record)
        if content and len(content) < 4000:
            seeds["code_blocks"].append(encode(content))
            seeds["objects"].append(encode(content))
            seeds["splitters"].append(encode(content))
            sse = "".join(f"data: {json.dumps(ev)}\n\n" for ev in record["events"])  # type: ignore[attr-defined]
            if len(sse) < 4000:
                seeds["sse"].append(encode(sse))
                seeds["wire"].append(encode(sse))
    return seeds


def write(seeds: dict[str, list[bytes]], base: Path) -> int:
    count = 0
    for target, items in seeds.items():
        folder = base / target
        folder.mkdir(parents=True, exist_ok=True)
        for data in items:
            name = hashlib.sha1(data).hexdigest()[:16]
            (folder / name).write_bytes(data)
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--builtin", action="store_true", help="write fuzz/corpus/<target>/")
    ap.add_argument("--shared", action="store_true", help="write fuzz/findings/seeds/<target>/")
    ap.add_argument("--out", type=Path, help="folder for --shared seeds")
    args = ap.parse_args(argv)
    if not args.builtin and not args.shared:
        args.builtin = True
    if args.builtin:
        n = write(builtin(), ROOT / "fuzz" / "corpus")
        print(f"make_seeds: {n} built-in seeds in fuzz/corpus/")
    if args.shared:
        out = args.out or ROOT / "fuzz" / "findings" / "seeds"
        n = write(shared(), out)
        print(f"make_seeds: {n} seeds from ../shared in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
