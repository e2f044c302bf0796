"""Reasoning is not content: one event, ReasoningDelta, on every wire format.

Each format's reasoning is checked against the recordings (the corpus notes
count its bytes), as dicts and as the SDK's objects, and through
``stream_events``, whose content parser must never see it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from _wire import assemble, recorded, recorded_at_import, same_events
from midstream import (
    ParseError,
    ReasoningDelta,
    Truncated,
    ValueDone,
    stream_events,
)
from midstream._pipeline import ProviderPipeline

pytestmark = pytest.mark.shared

CHAT = recorded_at_import("openai_chat_text")
RESPONSES = recorded_at_import("openai_responses")
ANTHROPIC = recorded_at_import("anthropic_messages")


def test_the_recordings_are_there() -> None:
    assert recorded("openai_chat_text") and recorded("openai_responses")


def _ids(streams: dict[str, Any], marker: str) -> list[str]:
    return sorted(sid for sid, s in streams.items() if marker in json.dumps(s["events"]))


def chat_reasoning(events: list[dict[str, Any]]) -> str:
    """Reasoning by concatenation, the way the corpus notes counted it."""
    text = ""
    for event in events:
        for choice in event.get("choices") or []:
            delta = choice.get("delta") or {}
            text += delta.get("reasoning_content") or delta.get("reasoning") or ""
    return text


@pytest.mark.parametrize("sid", _ids(CHAT, '"reasoning'))
def test_chat_reasoning_content_and_reasoning(sid: str) -> None:
    """DeepSeek/Qwen ``reasoning_content``, Groq/OpenRouter ``reasoning``: never content."""
    from openai._models import construct_type
    from openai.types.chat import ChatCompletionChunk

    stream = CHAT[sid]
    events = [e for e in stream["events"] if "choices" in e]
    got = assemble(events)
    expected = chat_reasoning(events)
    assert got.reasoning == expected
    recorded_bytes = re.search(r"choice0\.reasoning: (\d+)B", stream["notes"])
    if recorded_bytes:
        assert len(got.reasoning.encode()) == int(recorded_bytes.group(1))
    content = "".join(
        (c.get("delta") or {}).get("content") or "" for e in events for c in e["choices"]
    )
    assert got.text == content
    # The openai SDK keeps these fields as extras: read the same.
    objects = [construct_type(type_=ChatCompletionChunk, value=e) for e in events]
    assert same_events(assemble(objects).events, got.events)


@pytest.mark.parametrize("sid", _ids(RESPONSES, "response.reasoning_"))
def test_responses_reasoning_summary_and_text(sid: str) -> None:
    from openai._models import construct_type
    from openai.types.responses import ResponseStreamEvent

    events = RESPONSES[sid]["events"]
    got = assemble(events)
    kinds = ("response.reasoning_summary_text.delta", "response.reasoning_text.delta")
    assert got.reasoning == "".join(e["delta"] for e in events if e["type"] in kinds)
    assert got.reasoning
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert got.text.startswith(text)  # (LM Studio may add text in .done only)
    objects = [construct_type(type_=ResponseStreamEvent, value=e) for e in events]  # type: ignore[arg-type]
    assert same_events(assemble(objects).events, got.events)


@pytest.mark.parametrize("sid", _ids(ANTHROPIC, "thinking_delta"))
def test_anthropic_thinking_blocks(sid: str) -> None:
    import anthropic
    from anthropic._models import construct_type

    events = ANTHROPIC[sid]["events"]
    got = assemble(events)
    thinking = "".join(
        e["delta"]["thinking"] for e in events
        if e.get("type") == "content_block_delta" and e["delta"].get("type") == "thinking_delta"
    )
    assert got.reasoning == thinking and thinking
    assert thinking not in got.text
    objects = [construct_type(type_=anthropic.types.RawMessageStreamEvent, value=e) for e in events]
    assert same_events(assemble(objects).events, got.events)


# --- the pipeline never feeds reasoning to the content parser ---------------------------------


def chat(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def test_the_pipeline_passes_reasoning_on_and_parses_only_the_content() -> None:
    stream = [
        chat({"reasoning_content": "{not JSON, "}),
        chat({"reasoning": "and [never] parsed"}),
        chat({"content": '{"a": '}),
        chat({"reasoning_content": "more thought }}}"}),
        chat({"content": "1}"}, "stop"),
    ]
    pipeline = ProviderPipeline(model=None, json=True, tools=None, choice=0, keep_text=True)
    out = [ev for item in stream for ev in pipeline.feed(item)] + pipeline.close()
    thought = [ev.text for ev in out if isinstance(ev, ReasoningDelta)]
    assert thought == ["{not JSON, ", "and [never] parsed", "more thought }}}"]
    roots = [ev for ev in out if isinstance(ev, ValueDone) and ev.path == ()]
    assert [r.value for r in roots] == [{"a": 1}]
    assert pipeline.received() == '{"a": 1}'
    assert not any(isinstance(ev, Truncated) for ev in out)


REASONING_STREAMS = [
    ("bedrock_converse_stream", "vercel-ai:amazon-bedrock:amazon-bedrock-reasoning"),
    ("cohere_v2_chat", "vercel-ai:cohere:cohere-reasoning"),
    ("cohere_v2_chat", "vercel-ai:cohere:cohere-tool-call"),
    ("openai_chat_text", "vercel-ai:deepseek:deepseek-reasoning[chat]"),
]


@pytest.mark.parametrize(("name", "sid"), REASONING_STREAMS)
def test_json_content_mode_is_not_disturbed_by_reasoning(name: str, sid: str) -> None:
    """``json=True`` over a stream with reasoning: only the content reaches the parser.

    The content of these streams is prose, so parsing it as JSON fails at its
    first character; the reasoning before it was never fed to the parser.
    """
    events = recorded(name)[sid]["events"]
    expected = assemble(events)
    pipeline = ProviderPipeline(model=None, json=True, tools=None, choice=0, keep_text=True)
    out: list[Any] = []
    with pytest.raises(ParseError) as caught:
        for item in events:
            out += pipeline.feed(item)
    assert caught.value.offset == 0
    # (The Cohere tool-call stream has no content: "no JSON came", its plan unparsed.)
    assert expected.text.startswith(pipeline.received())
    assert "".join(ev.text for ev in out if isinstance(ev, ReasoningDelta)) == expected.reasoning


def test_ollama_thinking_is_reasoning_through_the_pipeline() -> None:
    lines = [
        {"model": "m", "message": {"role": "assistant", "content": "", "thinking": "[x"},
         "done": False},
        {"model": "m", "message": {"role": "assistant", "content": "[1, 2]"}, "done": False},
        {"model": "m", "message": {"role": "assistant", "content": ""}, "done": True,
         "done_reason": "stop"},
    ]
    out = list(stream_events(lines, json=True))
    roots = [ev for ev in out if isinstance(ev, ValueDone) and ev.path == ()]
    assert [r.value for r in roots] == [[1, 2]]
    assert [ev.text for ev in out if isinstance(ev, ReasoningDelta)] == ["[x"]


def test_mistral_thinking_parts_are_reasoning() -> None:
    """Magistral sends ``content`` as a list of parts: ``thinking`` parts are reasoning."""
    from openai._models import construct_type
    from openai.types.chat import ChatCompletionChunk

    sid = "pydantic-ai:test_mistral_model_thinking_part_iter"
    events = recorded("openai_chat_markdown")[sid]["events"]
    thinking, text = "", ""
    for event in events:
        for choice in event.get("choices") or []:
            content = (choice.get("delta") or {}).get("content")
            if isinstance(content, list):
                for part in content:
                    if part["type"] == "thinking":
                        thinking += "".join(p["text"] for p in part["thinking"])
                    elif part["type"] == "text":
                        text += part["text"]
            elif content:
                text += content
    got = assemble(events)
    assert got.reasoning == thinking and thinking.startswith("Okay, the user is asking")
    assert got.text == text and text
    assert all(isinstance(e.text, str) for e in got.events if hasattr(e, "text"))
    objects = [construct_type(type_=ChatCompletionChunk, value=e) for e in events]
    assert same_events(assemble(objects).events, got.events)


def test_chat_reasoning_declared_by_the_sdk_class_or_kept_as_extras() -> None:
    """An SDK class may declare a reasoning field (read from its fields) or not (its extras).

    One assembler sees both classes, in both orders: what it learned about one
    class (nothing to look up in its fields) must not hide the other's field.
    """
    from openai._models import construct_type
    from openai.types.chat import ChatCompletionChunk
    from openai.types.chat.chat_completion_chunk import Choice, ChoiceDelta

    class DeclaringDelta(ChoiceDelta):
        reasoning_content: str | None = None

    class DeclaringChoice(Choice):
        delta: DeclaringDelta

    class DeclaringChunk(ChatCompletionChunk):
        choices: list[DeclaringChoice]  # type: ignore[assignment]

    def chunk(kind: type, delta: dict[str, Any]) -> Any:
        value = {
            "id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        }
        return construct_type(type_=kind, value=value)

    declared = chunk(DeclaringChunk, {"reasoning_content": "a"})
    assert declared.choices[0].delta.__dict__["reasoning_content"] == "a"
    extra = chunk(ChatCompletionChunk, {"reasoning_content": "b", "content": "c"})
    assert "reasoning_content" not in extra.choices[0].delta.__dict__
    for order in ([extra, declared, extra, declared], [declared, extra, declared, extra]):
        got = assemble(order)
        expected = "".join("a" if o is declared else "b" for o in order)
        assert got.reasoning == expected
        assert got.text == "cc"
