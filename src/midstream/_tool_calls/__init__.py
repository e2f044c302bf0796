"""Tool-call reassembly: provider stream events in, whole validated calls out.

A model that calls tools while streaming sends each call's id and name first,
then its arguments as fragments of a JSON text, several calls interleaved.
:class:`ToolCallAssembler` puts the calls back together, parses every call's
arguments with its own :class:`~midstream.JsonStream` as they arrive, and
reports a call done in the very ``feed()`` whose event closes its JSON, so a
tool can start while the next call is still streaming.

The wire formats, told apart per event (``format="auto"``):

- OpenAI Chat Completions chunks (``choices[].delta.tool_calls``), as
  ``openai.types.chat.ChatCompletionChunk`` objects or plain dicts; also what
  OpenAI-compatible servers send (Groq, Mistral, DeepSeek, xAI, vLLM, Ollama...).
- OpenAI Responses API stream events (``response.output_item.added`` with a
  ``function_call``, ``mcp_call`` or ``custom_tool_call`` item,
  ``response.function_call_arguments.delta`` / ``.done``,
  ``response.custom_tool_call_input.delta`` / ``.done``,
  ``response.output_text.delta``, ``response.completed``...).
- Anthropic Messages stream events (``content_block_start`` with a
  ``tool_use`` / ``server_tool_use`` / ``mcp_tool_use`` block,
  ``input_json_delta``, ``content_block_stop``, ``text_delta``, ``message_delta``);
  also Bedrock InvokeModel with Claude (each event in ``chunk.bytes``).
- OpenAI Realtime server events (``response.output_item.added`` with a
  ``function_call`` item, ``response.function_call_arguments.delta``, ...),
  told from Responses events by their ``event_id``; ``.done`` events also
  come for cut calls, so only a closed JSON value, a completed item, or a
  completed response ends a call. See :mod:`._realtime`.
- Google Gemini ``generateContent`` stream chunks (``candidates[].content.parts[]``
  with ``functionCall`` parts given whole, or streamed by ``partialArgs`` path
  on Vertex AI; text, ``thought`` parts as :class:`ReasoningDelta`,
  ``usageMetadata`` as :class:`Usage`), google-genai SDK objects or dicts; the
  ``thoughtSignature`` of a call is kept as its ``provider_data``. See
  :mod:`._gemini`.
- AWS Bedrock ConverseStream events as boto3 yields them (``{eventType:
  payload}``: ``contentBlockStart.start.toolUse``, ``contentBlockDelta`` with
  ``toolUse.input`` / ``text`` / ``reasoningContent``, ``contentBlockStop``,
  ``messageStop``, ``metadata``).
- Ollama ``/api/chat`` NDJSON lines (dicts or ``ollama.ChatResponse``): whole
  calls in ``message.tool_calls`` with ``arguments`` as an object.
- Cohere v2 chat stream events (dicts or the cohere SDK's): ``tool-call-start``
  / ``-delta`` / ``-end``, ``content-delta``, ``tool-plan-delta``, ``message-end``.

Beside the calls, every format reports a Structured Outputs refusal
(``RefusalDelta``), the response's token usage (``Usage``) and an error the
provider sends in the stream (``ProviderError``).

Reasoning is never content: Anthropic ``thinking_delta``, Responses
``reasoning_summary_text`` / ``reasoning_text`` deltas, Chat
``reasoning_content`` / ``reasoning``, Bedrock ``reasoningContent``, Ollama
``thinking``, Cohere ``thinking`` content and ``tool-plan-delta`` come as
:class:`~midstream.ReasoningDelta` (``table.reasoning``); token counts as
:class:`~midstream.Usage` and in-stream errors as
:class:`~midstream.ProviderError` (``table.emit``).

Provider quirks, each decided here once (the tests name each one):

- *id and name repeated on every chunk.* The first non-empty id is the call's
  id; the name is complete once arguments start, and a fragment equal to the
  name so far is a repetition, not more name. (The openai SDK's accumulator
  concatenates them: ``weatherweather``.)
- *name split over chunks.* Name fragments before the first arguments text are
  joined; :class:`ToolCallStart` waits for the first arguments text (or for
  the end of the call), so it always carries the whole name.
- *missing ``index``* (Mistral): an entry with a new id is a new call, in order
  of first appearance; one without id continues the latest call.
- *an index reused for a new call* (Ollama, some vLLM/SGLang builds send every
  parallel call as ``index: 0``): an entry whose id differs from the call at
  its index starts a new call, numbered after the highest index in use.
- *two entries with the same index in one chunk*: processed in order, so the
  second continues (or, with a different id, follows) the first.
- ``type`` missing after the first chunk, arguments in the same chunk as the
  name, the whole arguments in one chunk: nothing depends on them.
- *empty arguments* (``""``, or no arguments at all) mean ``{}``.
- Responses streams whose arguments arrive only in ``*.done`` (LM Studio) and
  Anthropic blocks whose input comes whole in ``content_block_start``: that
  text is fed as the call's one fragment.

A call is never declared done on a parsable prefix of its arguments: ``12``
may still become ``123``, so a root number completes only when the provider
says the arguments ended (``content_block_stop``, ``*.arguments.done``) or the
choice finishes, or at :meth:`ToolCallAssembler.close`. A custom tool's
free-text input, where every prefix would do, completes only when the
provider says it ended (``*_input.done``, ``response.output_item.done``).

How it is built: a table of readers, as h11 picks a reader by state.

- :mod:`._assembler`: :class:`ToolCallAssembler`, the public class. It turns
  each event into a ``dict`` of fields (:mod:`._fields`; JSON text decoded)
  and hands it to one reader.
- :mod:`._readers`: ``READERS``, the table (format name -> reader class),
  and ``detect()``, the only place where formats are told apart.
- One module per wire format, each a :class:`._reader.Reader`:
  :mod:`._chat`, :mod:`._responses`, :mod:`._anthropic`, :mod:`._bedrock`,
  :mod:`._ollama`, :mod:`._cohere`. A reader knows its
  format's event shapes and nothing else: it turns them into operations on
  the shared :class:`._table.CallTable`.
- :mod:`._provider`: reading a provider's error object and usage object,
  once for every format (and the CLI).
- :mod:`._table`: the calls and choices, every call's lifecycle (start,
  fragments, end, finish, the end-of-stream rule), validation against
  ``tools=``, and the events; a call's input is :class:`JsonArguments` or
  :class:`TextInput`. :mod:`._records`: the public records and ``tools=``.

Adding a wire format (say ``gemini``):

1. Write ``_gemini.py`` here: ``class GeminiReader(Reader)`` with
   ``claims(event)`` (whether an event's fields, a ``dict``, are this
   format's: only by shape, cheaply, and never True for another format's
   events) and ``read(event)``, which calls the table: ``table.choice(n)``,
   ``table.new_call(choice, n, wire_index, id, name, type)`` (pass
   ``TextInput()`` as ``args`` for free-text input) and ``table.start(call)``
   once the name is whole, ``table.feed_args(call, text)`` per fragment,
   ``table.end_args(call)`` (or ``table.input_done(call, whole)`` when the
   provider repeats the whole input) where the format ends a call,
   ``table.finish_choice(n, reason)`` where it ends a choice,
   ``table.content(n, text)`` for text, ``table.reasoning(n, text)`` for
   reasoning, and ``table.emit(event)`` for the
   events beside the calls: ``Usage`` (build it with
   ``_provider.usage(raw_usage, model)`` for OpenAI-style counters, or
   ``_provider.usage_of(input, output, total, model, raw)``: one per response,
   before the finish), ``ProviderError`` (``_provider.provider_error(obj)`` reads any
   error object or what holds it under ``error``: before the choice's
   finish; the pipeline then reports the choice cut with reason
   ``"error"``), ``RefusalDelta(n, text)``. Keep your keys for calls in
   ``choice.by_key``; read nested objects with ``self.fields.of(obj)`` (dict
   or SDK object alike), never with ``getattr``. Say in the module
   docstring which events end a call and a choice. State of the reader's
   own goes on the instance (one reader per assembler), never in the module.
2. Add one entry to ``READERS`` in :mod:`._readers` (where detection should
   ask it, before any format whose shape would also match), and its name to
   the ``Format`` literal beside it (``tests/test_tool_calls.py`` checks they
   agree).

Nothing else changes: the build compiles every module of this package
(``hatch_build.py``), and ``format="gemini"`` works from the table. Add the
format to the list at the top of this docstring, with its quirks, and tests
with recorded streams.
"""

from __future__ import annotations

from ._assembler import ToolCallAssembler
from ._readers import Format
from ._records import (
    DEFAULT_MAX_ARGUMENTS_LENGTH,
    TRUNCATION_REASONS,
    ToolCall,
    ToolsArg,
    UnknownToolError,
)

__all__ = [
    "DEFAULT_MAX_ARGUMENTS_LENGTH",
    "TRUNCATION_REASONS",
    "Format",
    "ToolCall",
    "ToolCallAssembler",
    "ToolsArg",
    "UnknownToolError",
]
