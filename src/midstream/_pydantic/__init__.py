"""ModelStream: validate a streaming JSON document into a Pydantic model as it arrives.

How it works
------------
The model's pydantic-core schema is compiled once (per type, cached) into a
*plan*: a tree of positions, one per place in the document that the type
declares (the root, a field of a model, an item of a list, a value of a
dict, a branch of a discriminated union). A position either

* decomposes: a model, ``list``, ``dict[str, ...]`` or discriminated union
  whose children are positions of their own; or
* is a leaf: a validator for the whole value at that position, run once, when
  the value completes.

Every completed value is validated exactly once. A container is then built
from its children's validated values by a *shallow* validator: the
container's own schema with each child schema replaced by a pass-through that
hands back the child's result (or re-raises its errors, which pydantic then
prefixes with the key, index or union tag, as it would have). So pydantic
itself applies defaults and ``default_factory``, aliases, ``extra``, length
and key constraints, and ``mode="after"`` validators of models and
containers, on the raw container, without re-validating anything below it;
the model instance is then made the way pydantic-core makes it
(``model_post_init`` included). The total cost is linear in the document.
:class:`ModelStream` wraps a :class:`JsonStream` and walks the events it
returns, so the validation events sit right after the JSON events that caused
them, with the paths those events carry.

Fallbacks (the whole value is validated when it completes, with pydantic's
own validator for that position, and no events are emitted below it):

* ``mode="before"``, ``"wrap"`` and ``"plain"`` validators on a model or on a
  container field (they may reshape the raw input), and validators that take
  an ``info`` argument on a model or a container;
* a field whose validators take an ``info`` argument (``info.data`` holds
  the fields defined before it) is validated whole, in a model made of the
  fields before it (passed through) and itself, as soon as those fields
  have all come; if one of them comes later in the document, with its
  model, when the model completes;
* unions without a discriminator, callable discriminators, custom root types
  (``RootModel``), models with a custom ``__init__``, ``AliasPath`` aliases,
  dataclasses, ``TypedDict``, tuples, sets, ``dict`` with non-``str`` keys, and
  any custom type (``__get_pydantic_core_schema__``, ``__get_validators__``)
  whose schema is not a model, list, dict or discriminated union.

Leaves are validated from the decoded Python value; where the schema is
strict (or decodes bytes from base64), where the value is a float or holds
one (pydantic makes a ``Decimal`` of a JSON float as JSON mode does), and
where Python-mode validation fails, from its JSON text instead, so that
JSON-mode rules hold (``"2024-01-01"`` is a valid strict ``datetime``) and
errors have the types ``model_validate_json`` gives. A value that can no
longer be valid fails before it completes where that is sound (see
:mod:`._early`).

pydantic is imported when the first :class:`ModelStream` is built, not when
midstream is imported.

The package, in the order a value flows through it:

* :mod:`._schema`: walking and rewriting pydantic-core schemas (plain dicts);
* :mod:`._compiler`: a type's schema into a plan (:func:`plan`, cached per type);
* :mod:`._plan`: the plan, a tree of :class:`Position` (a model, list, dict or
  tagged-union core, or a leaf);
* :mod:`._passthrough`: what shallow validators call in place of each child;
* :mod:`._frames`, :mod:`._model_frame`: one class per kind of open container;
* :mod:`._early`: the checks that fail a value before it completes;
* :mod:`._engine`: the walk over the JSON events, and the partial value;
* :mod:`._stream`: :class:`ModelStream`; :mod:`._adapters`: ``stream_model``,
  ``astream_model``.
"""

from ._adapters import astream_model, stream_model
from ._compiler import _Compiler as _Compiler  # (tests make it fail, to see what a user gets)
from ._stream import ModelStream

__all__ = ["ModelStream", "astream_model", "stream_model"]
