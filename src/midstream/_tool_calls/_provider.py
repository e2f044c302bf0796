"""What a provider says beside the output: its errors and its token usage, read once for all.

Every wire format (and the CLI, for the body of an HTTP error) reads an error
object and a usage object here, so a new reader gets the same fields the same
way: :func:`provider_error`, and :func:`usage` (OpenAI's and Anthropic's counter
names) or :func:`usage_of` (a reader that picked its own counters: Bedrock
``inputTokens``, Ollama ``prompt_eval_count``, Gemini ``promptTokenCount``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._events import ProviderError, Usage
from ._fields import Fields

__all__ = ["as_dict", "count", "provider_error", "usage", "usage_of"]


def _text(value: Any) -> str | None:
    """A field the provider may send as a string or a number (OpenRouter's ``code: 400``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def provider_error(body: Any) -> ProviderError:
    """The :class:`ProviderError` of an error as a provider sends it, dict or SDK object.

    ``body`` is the error object itself (``{"type": ..., "code": ...,
    "message": ...}``: a Responses ``response.error``) or what holds it in an
    ``error`` field: an Anthropic or Responses ``{"type": "error", "error":
    {...}}`` event, an OpenAI-compatible server's ``{"error": {...}}`` chunk,
    the body of an HTTP error. A ``type`` of ``"error"`` is the event's, not
    the error's (the Responses ``error`` event puts code and message beside it).
    """
    fields = Fields()
    outer = fields.with_extra(body)
    inner = outer.get("error")
    nested = isinstance(inner, Mapping) or hasattr(inner, "__dict__")
    err = fields.with_extra(inner) if nested else outer
    kind = _text(err.get("type"))
    message = err.get("message")
    return ProviderError(
        None if kind == "error" else kind,
        _text(err.get("code")),
        message if isinstance(message, str) else "",
    )


def count(value: Any) -> int | None:
    """A token count as an int: an int, or a float with an integral value (cohere's
    SDK reads ``1549`` as ``1549.0``); anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _count(fields: dict[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = count(fields.get(key))
        if value is not None:
            return value
    return None


def as_dict(obj: Any) -> dict[str, Any]:
    """The provider's usage object as a plain dict (an SDK object: the fields it was sent)."""
    if isinstance(obj, Mapping):
        return dict(obj)
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        dumped = dump(exclude_unset=True)
        if isinstance(dumped, Mapping):
            return dict(dumped)
    return dict(Fields().of(obj))


def usage(raw: Any, model: Any, before: dict[str, Any] | None = None) -> Usage:
    """The :class:`Usage` of a provider's usage object (dict or SDK object) and model name.

    Chat Completions names the counts ``prompt_tokens``/``completion_tokens``,
    Responses and Anthropic ``input_tokens``/``output_tokens``: both are read.
    ``before`` is usage given earlier in the same response (Anthropic's
    ``message_start``), under the fields of ``raw``. ``total_tokens`` is the
    provider's, else the sum of the two counts when both are known.
    """
    plain = as_dict(raw)
    if before:  # a count left null at the end keeps the one given before
        plain = {**before, **{k: v for k, v in plain.items() if v is not None}}
    return usage_of(
        _count(plain, "prompt_tokens", "input_tokens"),
        _count(plain, "completion_tokens", "output_tokens"),
        _count(plain, "total_tokens"),
        model,
        plain,
    )


def usage_of(input_tokens: Any, output_tokens: Any, total: Any, model: Any, raw: Any) -> Usage:
    """A :class:`Usage` from counters a reader picked; the total is their sum when not given.

    ``raw`` is the provider's usage object, kept as a plain dict.
    """
    inputs, outputs, whole = count(input_tokens), count(output_tokens), count(total)
    if whole is None and inputs is not None and outputs is not None:
        whole = inputs + outputs
    return Usage(
        inputs, outputs, whole, model if isinstance(model, str) else None,
        raw if isinstance(raw, dict) else as_dict(raw),
    )
