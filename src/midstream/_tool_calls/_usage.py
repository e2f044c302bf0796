"""The :class:`Usage` event, made the same way for every wire format.

Providers name their counters differently (Bedrock ``inputTokens``, Ollama
``prompt_eval_count``, Cohere ``tokens.input_tokens``) and some SDKs give them
as floats (cohere's pydantic models read ``1549`` as ``1549.0``): a reader
picks its counters and hands them here, with the provider's object, which
:class:`Usage` keeps as a plain dict in ``raw``.
"""

from __future__ import annotations

from typing import Any

from .._events import Usage

__all__ = ["count", "plain", "usage"]


def count(value: Any) -> int | None:
    """A token count as an int: an int, or a float with an integral value; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def plain(obj: Any) -> Any:
    """``obj`` as JSON-like data: an SDK object (a pydantic model) as its dict, recursively."""
    if isinstance(obj, dict):
        return {key: plain(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(value) for value in obj]
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return plain(dump())
    return obj


def usage(input_tokens: Any, output_tokens: Any, total: Any, model: Any, raw: Any) -> Usage:
    """A :class:`Usage` from a provider's counters; the total is their sum when not given."""
    inputs, outputs, whole = count(input_tokens), count(output_tokens), count(total)
    if whole is None and inputs is not None and outputs is not None:
        whole = inputs + outputs
    data = plain(raw)
    return Usage(
        inputs,
        outputs,
        whole,
        model if isinstance(model, str) else None,
        data if isinstance(data, dict) else {},
    )
