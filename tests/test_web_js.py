"""midstream.js applies the same message sequences to the same states as Python's StreamState.

The sequences are real: random documents and models through the encoder,
with duplicates, a resume from a snapshot in the middle, and several tagged
streams. Run under node (skipped where node is absent, a failure in CI).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import ROOT, split_at
from midstream import JsonStream, ModelStream, ParseError
from midstream.web import Encoder, StreamState, TextUnit, sse_frame
from strategies import json_text
from test_model_stream import dumps, model_specs

SCRIPT = ROOT / "tests" / "js" / "apply.mjs"

# JavaScript numbers are doubles: integers past 2**53 would differ by design.
js_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False) | json_text,
    lambda kids: st.lists(kids, max_size=5) | st.dictionaries(json_text, kids, max_size=5),
    max_leaves=30,
)


def node() -> str:
    found = shutil.which("node")
    if found is None:
        reason = "node is not installed: the JS client's equivalence tests need it"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set, so this is a failure, not a skip)")
        pytest.skip(reason)
    return found


def run_js(cases: list[list[dict[str, Any]]], sse: list[list[str]] = ()) -> Any:  # type: ignore[assignment]
    proc = subprocess.run(  # one node process for many cases: node starts slowly
        [node(), str(SCRIPT)], input=json.dumps({"cases": cases, "sse": list(sse)}),
        capture_output=True, text=True, check=True, encoding="utf-8", errors="surrogatepass",
    )
    # JavaScript writes 3.2e16 as 32000000000000000: compare numbers as doubles on both sides.
    return json.loads(proc.stdout, parse_int=float)


def plain(state: StreamState) -> dict[str, Any]:
    """What apply.mjs prints, from Python's state."""
    return {
        "seq": state.seq, "value": state.value,
        "fields": [[list(p), f.state, f.errors] for p, f in state.fields.items()],
        "text": state.text,
        "tools": [[list(k), c["id"], c["name"], "".join(c["text"]), c["state"],
                   c.get("arguments")] for k, c in state.tools.items()],
        "code": [[i, b["lang"], "".join(b["text"]), b["state"]] for i, b in state.code.items()],
        "items": [[i, it["state"], it.get("value")] for i, it in state.items.items()],
        "units": [list(u) for u in state.units], "ended": state.ended,
        "truncated": state.truncated,
        "streams": {tag: plain(s) for tag, s in state.streams.items()},
    }


def messages_of(make: Any, text: str, seed: int, tag: str | None = None) -> list[dict[str, Any]]:
    """The messages of ``text`` cut at random, with duplicates and a snapshot mid-way."""
    rng = random.Random(seed)
    parser, encoder, server = make(), Encoder(tag), StreamState()
    out: list[dict[str, Any]] = []
    try:
        for chunk in split_at(text, rng.sample(range(len(text) + 1), min(5, len(text)))):
            msgs = encoder.encode(parser.feed(chunk))
            for m in msgs:
                server.apply(m)
            out += msgs
            if out and rng.random() < 0.3:
                out += out[-rng.randint(1, len(out)):]  # a resume that repeats some
            if rng.random() < 0.2:
                out.append(json.loads(json.dumps(server.snapshot())))
        out += encoder.encode(parser.close())
    except (ParseError, ValueError):
        pass
    out.append(encoder.end())
    return out


def check(cases: list[list[dict[str, Any]]]) -> None:
    cases = [json.loads(json.dumps([json.loads(sse_frame(m).split(b"data: ", 1)[1]) for m in c]))
             for c in cases]
    results = run_js(cases)["out"]
    for case, got in zip(cases, results, strict=True):
        state = StreamState()
        applied = [state.apply(m) for m in case]
        assert got["applied"] == applied
        assert got["state"] == json.loads(json.dumps(plain(state)), parse_int=float)


@settings(max_examples=10, deadline=None)
@given(st.lists(js_values, min_size=1, max_size=8), st.integers(0, 2**32))
def test_js_client_equals_stream_state_on_random_documents(values: list[Any], seed: int) -> None:
    check([messages_of(JsonStream, json.dumps(v), seed + i) for i, v in enumerate(values)])


@settings(max_examples=5, deadline=None)
@given(st.data())
def test_js_client_equals_stream_state_on_random_models(data: st.DataObject) -> None:
    cases = []
    for i in range(4):
        spec = data.draw(model_specs())
        value = data.draw(spec.valid() | spec.invalid())
        text = data.draw(dumps(value))
        cases.append(messages_of(lambda spec=spec: ModelStream(spec.model()), text, i))
    check(cases)


def test_js_client_on_tagged_streams_and_every_other_message() -> None:
    from midstream import (
        CodeBlocks,
        ObjectDone,
        ToolCallAssembler,
        Truncated,
    )

    seq = iter(range(1, 10_000))
    a, b, c = Encoder("a", seq), Encoder("b", seq), Encoder(None, seq)
    msgs = []
    msgs += a.encode(JsonStream().feed('{"x": ["y", 1, true, null]}'))
    msgs += b.encode(CodeBlocks().feed("text\n```py\nprint(1)\n```\nmore"))
    calls = ToolCallAssembler()
    msgs += c.encode(calls.feed({"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "id": "c1", "function": {"name": "f", "arguments": '{"q": 1}'}}]},
        "finish_reason": "tool_calls"}]}))
    msgs += c.encode([ObjectDone(0, {"k": 1}, 0, 8), TextUnit("sentence", "Hi."),
                      Truncated(0, "length", None)])
    msgs += a.encode(JsonStream().feed('"more"'))  # a new document in stream a: replaced
    msgs.append(c.end())
    check([msgs])


def test_js_sse_parser_on_frames_cut_anywhere() -> None:
    msgs = messages_of(JsonStream, json.dumps({"s": "a\nb é😀", "n": [1, 2.5]}), 0)
    raw = (b": ping\n\n" + b"".join(sse_frame(m) for m in msgs)).decode("utf-8")
    raw = raw.replace("\n", "\r\n", 3)  # CR LF line ends too
    cuts = [sorted(random.Random(s).sample(range(len(raw)), 40)) for s in range(5)]
    pieces = [split_at(raw, c) for c in cuts]
    expected = json.loads(json.dumps([[m["type"], str(m["seq"]), m] for m in msgs]),
                          parse_int=float)
    for got in run_js([], pieces)["sse"]:
        assert got == expected


def test_js_connect_posts_resumes_a_cut_stream_and_drops_repeats() -> None:
    from pydantic import BaseModel

    class Order(BaseModel):
        customer: str
        items: list[str]

    text = json.dumps({"customer": "Ada Lovelace é😀", "items": ["tea", "cake", 3]})
    encoder = Encoder()
    msgs = [*encoder.encode(ModelStream(Order).feed(text)), encoder.end()]
    frames = [sse_frame(m).decode("utf-8") for m in msgs]
    cut = len(frames) // 2
    proc = subprocess.run(
        [node(), str(ROOT / "tests" / "js" / "connect.mjs")],
        input=json.dumps({"frames": frames, "cut": cut, "back": 3}),
        capture_output=True, text=True, check=True, encoding="utf-8",
    )
    got = json.loads(proc.stdout)
    state = StreamState()
    for m in msgs:
        state.apply(m)
    assert got["value"] == state.value and got["seq"] == msgs[-1]["seq"]
    assert got["fields"] == [[list(p), f.state] for p, f in state.fields.items()]
    assert got["requests"] == [["POST", '{"q": 1}', None], ["POST", '{"q": 1}', str(cut)]]
