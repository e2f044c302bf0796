"""The table of readers: one entry per wire format, and format detection.

``format="auto"`` asks each reader in this order whether an event is its
format (:meth:`Reader.claims`) and gives it to the first that says yes;
``format="<name>"`` gives every event to that reader.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from ._anthropic import AnthropicReader
from ._bedrock import BedrockReader
from ._chat import ChatReader
from ._cohere import CohereReader
from ._gemini import GeminiReader
from ._ollama import OllamaReader
from ._reader import Reader
from ._realtime import RealtimeReader
from ._responses import ResponsesReader

__all__ = ["FORMATS", "READERS", "Format", "detect"]

#: ``format=`` values: "auto", then every key of READERS (a test checks they agree).
Format = Literal[
    "auto", "chat", "realtime", "responses", "anthropic", "gemini", "bedrock", "ollama", "cohere"
]

#: Wire format name -> its reader, in the order detection asks them. The
#: order matters where shapes overlap: a Chat chunk is told by its
#: ``choices``, before any ``type`` is looked at. Realtime and Responses
#: events share their ``response.*`` types (``response.output_item.added``,
#: ``response.function_call_arguments.delta``...): every Realtime server event
#: carries an ``event_id`` and no Responses event does (they carry a
#: ``sequence_number``), so Realtime, which claims only events with an
#: ``event_id``, is asked first and Responses takes every other ``response.*``.
#: A Gemini chunk is told by its ``candidates`` (or ``usageMetadata`` /
#: ``promptFeedback``), keys no other format has.
READERS: Final[dict[str, type[Reader]]] = {
    "chat": ChatReader,
    "realtime": RealtimeReader,
    "responses": ResponsesReader,
    "anthropic": AnthropicReader,
    "gemini": GeminiReader,
    "bedrock": BedrockReader,
    "ollama": OllamaReader,
    "cohere": CohereReader,
}

FORMATS: Final = ("auto", *READERS)


def detect(readers: list[Reader], event: dict[str, Any]) -> Reader | None:
    """The first reader that claims ``event``, or None (the event is ignored)."""
    for reader in readers:
        if reader.claims(event):
            return reader
    return None
