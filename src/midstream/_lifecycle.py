"""The lifecycle every parser shares: feed() until close(), and poisoned by its first error.

- ``feed()`` after ``close()`` raises :class:`RuntimeError` naming the class;
  ``close()`` again returns nothing.
- The first :class:`~midstream.ParseError` poisons the parser: every later
  ``feed()`` or ``close()`` raises that same error again, so a caller that
  swallowed it cannot go on parsing a stream that is no longer understood.

A parser subclasses :class:`Lifecycle`, starts ``feed()`` with
:meth:`~Lifecycle._check_open` (or, on a hot path, tests the two attributes
itself and calls :meth:`~Lifecycle._refuse`), starts ``close()`` with
:meth:`~Lifecycle._check_close`, and hands each error it raises to
:meth:`~Lifecycle._poison`. Compiled with the JSON core (hatch_build.py).
"""

from __future__ import annotations

from typing import NoReturn, TypeVar

from ._compat import mypyc_attr
from ._errors import ParseError

__all__ = ["Lifecycle"]

_E = TypeVar("_E", bound=ParseError)


@mypyc_attr(allow_interpreted_subclasses=True)
class Lifecycle:
    """Closed and poisoned states, and the errors they raise."""

    def __init__(self) -> None:
        self._error: ParseError | None = None
        self._closed = False

    def _check_open(self, method: str = "feed") -> None:
        """Raise unless ``method`` may run: the poisoning error, or RuntimeError after close()."""
        if self._error is not None or self._closed:
            self._refuse(method)

    def _refuse(self, method: str) -> NoReturn:
        """Raise why ``method`` may not run (the parser is poisoned or closed)."""
        if self._error is not None:
            raise self._error
        raise RuntimeError(f"{method}() after close(): this {type(self).__name__} has ended")

    def _check_close(self) -> bool:
        """Start close(): raise the poisoning error; False if already closed (nothing to do)."""
        if self._error is not None:
            raise self._error
        return not self._closed

    def _poison(self, error: _E) -> _E:
        """Remember ``error``: every later call raises it. Returns it, to raise."""
        self._error = error
        return error
