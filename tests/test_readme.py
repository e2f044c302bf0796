"""The README's examples run, and its first two commands are the ones CI runs."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import midstream

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(info: str) -> list[str]:
    """The code of every fenced block of the README whose info string is ``info``."""
    parser = midstream.CodeBlocks()
    events = parser.feed(README) + parser.close()
    return [ev.code for ev in events if isinstance(ev, midstream.CodeBlockDone) and ev.info == info]


def test_python_examples_run_in_order() -> None:
    examples = blocks("python")
    assert len(examples) >= 6
    namespace: dict[str, object] = {"__name__": "readme"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for code in examples:
            exec(compile(code, "README.md", "exec", dont_inherit=True), namespace)
    printed = out.getvalue()
    assert "heading: Intro" in printed and "heading: Use" in printed
    assert "invalid: ('items', 1, 'qty')" in printed
    assert "found: customer='Ada' items=[Item(name='nut', qty=2)]" in printed
    assert "(('items',), ('items', 0, 'qty'))]" in printed  # FieldInvalid.cause
    assert "get_weather {'city': 'Paris'}" in printed
    assert "python \"print('hi')\\n\"" in printed
    assert "line 1 column 13 (char 12)" in printed
    assert "outcome: RefusalDelta(choice=0, text=\"I'm sorry, I \")" in printed
    assert "outcome: Usage(input_tokens=20, output_tokens=9, total_tokens=29," in printed
    assert "refused: I'm sorry, I can't help with that.\n" in printed
    assert "sse: ['message', 'done']\nsse: {'content': 'Hi'}\n" in printed
    assert "thinking: Paris is in France." in printed and "tokens: 12 9" in printed


def test_the_first_two_commands_install_and_run_the_demo_and_the_tests() -> None:
    demo, tests = blocks("sh")[:2]
    assert demo.strip().endswith("midstream demo")
    assert "pip install -e '.[test]'" in tests and tests.strip().endswith("-m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "readme_command 1" in ci and "readme_command 2" in ci
