"""The assembler's public records and the ``tools=`` registry.

Plain Python classes (see the note above :class:`UnknownToolError`), the
limits and the registry every reader's calls are validated against.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

from .._compat import mypyc_attr

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "DEFAULT_MAX_ARGUMENTS_LENGTH",
    "TRUNCATION_REASONS",
    "Status",
    "ToolCall",
    "ToolsArg",
    "UnknownToolError",
    "tool_registry",
]

#: Longest arguments text of one call, in characters (64 Mi, the core's
#: string limit): far past any real call (the largest in the recorded corpus
#: is 6 KB), small enough that a runaway stream cannot take the process's memory.
DEFAULT_MAX_ARGUMENTS_LENGTH: Final = 64 * 1024 * 1024

#: Finish reasons that mean "cut off by a token limit": unfinished calls are
#: then reported as truncated. Chat Completions ``length``; Anthropic
#: ``max_tokens`` and ``model_context_window_exceeded``; Responses
#: ``max_output_tokens`` (``incomplete_details.reason``); Bedrock ``max_tokens``,
#: Ollama ``length``, Cohere ``MAX_TOKENS``.
TRUNCATION_REASONS: Final = frozenset(
    {"length", "max_tokens", "max_output_tokens", "model_context_window_exceeded"}
) | frozenset({"MAX_TOKENS"})  # Gemini finishReason

#: What ``tools=`` accepts: models and tool definitions, or name -> model.
ToolsArg: TypeAlias = (
    "Iterable[type[BaseModel] | Mapping[str, Any]] | Mapping[str, type[BaseModel] | None] | None"
)

Status = Literal["streaming", "done", "error"]


# This module is compiled by mypyc in wheels (hatch_build.py). The public
# classes stay ordinary Python classes (pickling, dataclasses functions,
# subclassing by users); the assembler's working state is native.
@mypyc_attr(native_class=False)
class UnknownToolError(LookupError):
    """A call names a tool that is not among the ``tools=`` given.

    Attributes:
        name: the name the model used.
        known: the registered names.
    """

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = tuple(sorted(known))
        super().__init__(f"the model called {name!r}, which is not a registered tool {self.known}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.name, self.known))


@mypyc_attr(native_class=False)
@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call as received so far (see :attr:`ToolCallAssembler.tool_calls`).

    Attributes:
        choice: the choice index (0 for Responses and Anthropic streams).
        index: the call's index in its choice, as the events carry it.
        id: the provider's call id (Responses: ``call_id``), None if none came.
        name: the function name.
        type: the provider's kind of call: ``"function"`` (Chat Completions and
            Responses), ``"mcp_call"``, ``"custom_tool_call"`` (a Responses
            custom tool: free-text input), or Anthropic's ``"tool_use"``,
            ``"server_tool_use"``, ``"mcp_tool_use"``.
        raw: the arguments text received, as received.
        arguments: once done, the validated model or the decoded JSON (a
            custom tool's: the input text); while streaming, the partial value
            so far (None before any); after an error, the decoded JSON if it
            decoded (a custom tool's text if the provider ended it), else None.
        status: ``"streaming"``, ``"done"`` or ``"error"``.
        error: what went wrong, when ``status == "error"``.
        provider_data: what the provider attached to the call for the next
            request to send back (Gemini's thought signature), as in
            :attr:`ToolCallDone.provider_data`; None when nothing.
    """

    choice: int
    index: int
    id: str | None
    name: str
    type: str
    raw: str
    arguments: Any
    status: Status
    error: Exception | None = None
    provider_data: dict[str, Any] | None = None


def _model_name(model: type[BaseModel]) -> str:
    """A model's tool name: its JSON-schema title (``model_config['title']`` or the class name)."""
    title = model.model_config.get("title")
    return title if isinstance(title, str) and title else model.__name__


def tool_registry(tools: ToolsArg) -> dict[str, type[BaseModel] | None] | None:
    if tools is None:
        return None
    from pydantic import BaseModel

    def model_or_none(value: Any, where: str) -> type[BaseModel] | None:
        if value is None or (isinstance(value, type) and issubclass(value, BaseModel)):
            return value
        raise TypeError(f"{where}: expected a pydantic model class or None, got {value!r}")

    registry: dict[str, type[BaseModel] | None] = {}
    if isinstance(tools, Mapping):
        for name, value in tools.items():
            if not isinstance(name, str):
                raise TypeError(f"tools: names must be str, got {name!r}")
            registry[name] = model_or_none(value, f"tools[{name!r}]")
        return registry
    for tool in tools:
        if isinstance(tool, type) and issubclass(tool, BaseModel):
            registry[_model_name(tool)] = tool
        elif isinstance(tool, Mapping):
            function = tool.get("function")
            name = function.get("name") if isinstance(function, Mapping) else tool.get("name")
            if not isinstance(name, str):
                raise TypeError(f"tools: a tool definition without a name: {tool!r}")
            # openai.pydantic_function_tool() keeps the model on its "function" dict.
            model = getattr(function, "model", None) or getattr(tool, "model", None)
            ok = isinstance(model, type) and issubclass(model, BaseModel)
            if ok or tool.get("type") != "custom":
                registry[name] = model if ok else None
            else:  # a custom tool's definition keeps the model given for its text
                registry.setdefault(name, None)
        else:
            raise TypeError(
                "tools: expected pydantic model classes or tool definitions"
                f" (dicts with a name), got {tool!r}"
            )
    return registry
