"""JSONTestSuite and the recorded real streams, under every chunking."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import chunkings, run, shared_path, split_at
from midstream import ErrorKind, JsonStream, ParseError, ValueDone

pytestmark = pytest.mark.shared


def suite_files(prefix: str) -> list[Path]:
    folder = shared_path("conformance", "JSONTestSuite")
    return sorted(folder.glob(prefix + "*.json"))


def byte_chunkings(raw: bytes) -> Iterator[list[bytes]]:
    yield [raw]
    yield [raw[i : i + 1] for i in range(len(raw))]
    rng = random.Random(len(raw))
    for _ in range(4):
        cuts = sorted(rng.sample(range(len(raw) + 1), min(len(raw) + 1, rng.randint(1, 6))))
        yield [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]


@pytest.fixture(scope="module")
def accepted() -> list[Path]:
    return suite_files("y_")


def test_suite_is_there() -> None:
    assert len(suite_files("y_")) > 90
    assert len(suite_files("n_")) > 180


def test_every_y_case_is_accepted_and_equals_json_loads() -> None:
    for path in suite_files("y_"):
        raw = path.read_bytes()
        expected = json.loads(raw)
        for chunks in byte_chunkings(raw):
            events, error = run(JsonStream, chunks)
            assert error is None, (path.name, chunks)
            assert events[-1] == ValueDone((), expected), path.name
        text = raw.decode("utf-8")
        for chunks in chunkings(text, tokens=False):
            assert run(JsonStream, chunks)[0][-1] == ValueDone((), expected), path.name


def test_every_n_case_is_rejected_with_a_parse_error() -> None:
    for path in suite_files("n_"):
        raw = path.read_bytes()
        outcomes = {run(JsonStream, chunks)[1] for chunks in byte_chunkings(raw)}
        assert None not in outcomes, f"{path.name} was accepted"
        assert len(outcomes) == 1, f"{path.name}: the error depends on the chunking: {outcomes}"


def test_every_i_case_is_handled_without_crash_or_hang() -> None:
    for path in suite_files("i_"):
        raw = path.read_bytes()
        outcomes = set()
        for chunks in byte_chunkings(raw):
            events, error = run(JsonStream, chunks)
            outcomes.add(repr(events[-1]) if error is None else error)
        assert len(outcomes) == 1, f"{path.name}: {outcomes}"


def test_the_100000_opening_arrays_case_is_a_limit_error() -> None:
    raw = shared_path(
        "conformance", "JSONTestSuite", "n_structure_100000_opening_arrays.json"
    ).read_bytes()
    parser = JsonStream()
    with pytest.raises(ParseError) as info:
        parser.feed(raw)
    assert info.value.kind is ErrorKind.DEPTH_LIMIT


# --- the recorded real streams ------------------------------------------------------


def corpus(name: str) -> list[dict[str, Any]]:
    path = shared_path("corpus", "real", name)
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def chat_content_streams() -> Iterator[tuple[str, list[str]]]:
    """(name, content chunks) per choice of each chat-completions stream."""
    for record in corpus("openai_chat_json_content.jsonl"):
        by_choice: dict[int, list[str]] = {}
        for event in record["events"]:
            for choice in event.get("choices") or []:
                content = (choice.get("delta") or {}).get("content")
                if content:
                    by_choice.setdefault(choice["index"], []).append(content)
        for index, chunks in by_choice.items():
            yield f"{record['id']}#{index}", chunks


def argument_streams() -> Iterator[tuple[str, list[str]]]:
    """(name, argument chunks) of every streamed tool call in the corpus."""
    for record in corpus("openai_chat_tool_calls.jsonl"):
        calls: dict[Any, list[str]] = {}
        for event in record["events"]:
            for choice in event.get("choices") or []:
                for n, call in enumerate((choice.get("delta") or {}).get("tool_calls") or []):
                    key = (choice.get("index"), call.get("index", call.get("id") or n))
                    args = (call.get("function") or {}).get("arguments")
                    if args:
                        calls.setdefault(key, []).append(args)
        for key, chunks in calls.items():
            yield f"{record['id']}{key}", chunks
    for record in corpus("anthropic_messages.jsonl"):
        blocks: dict[Any, list[str]] = {}
        for event in record["events"]:
            delta = event.get("delta") or {}
            if delta.get("type") == "input_json_delta" and delta.get("partial_json"):
                blocks.setdefault(event.get("index"), []).append(delta["partial_json"])
        for key, chunks in blocks.items():
            yield f"{record['id']}[{key}]", chunks


def check_replay(name: str, chunks: list[str]) -> bool:
    """Replay real chunks; return whether the text was complete JSON."""
    text = "".join(chunks)
    try:
        expected = json.loads(text)
    except ValueError:
        expected = None
    events, error = run(JsonStream, chunks)
    if expected is None:
        assert error is not None, name
        return False
    assert error is None, (name, error)
    assert events[-1] == ValueDone((), expected), name
    assert run(JsonStream, [text]) == (events, None)
    assert run(JsonStream, split_at(text, range(0, len(text), 3))) == (events, None)
    return True


def test_json_content_of_real_streams() -> None:
    streams = list(chat_content_streams())
    assert len(streams) >= 20
    complete = sum(check_replay(name, chunks) for name, chunks in streams)
    assert complete >= 15


def test_tool_arguments_of_real_streams() -> None:
    streams = list(argument_streams())
    assert len(streams) >= 80
    complete = sum(check_replay(name, chunks) for name, chunks in streams)
    assert complete >= 70
