"""Checks of the limits a user sets: the same errors from every class, on both builds."""

from __future__ import annotations


def check_limit(name: str, value: object) -> int:
    """Return ``value`` if it is a whole number of at least 1, else say what ``name`` needs.

    Raises:
        TypeError: ``value`` is not an ``int`` (a ``float`` such as ``1e6``
            included: write ``1_000_000``). A ``bool`` is an ``int`` to Python,
            and to the compiled build, which turns ``True`` into ``1`` before
            this runs, so it passes on both.
        ValueError: ``value`` is less than 1.
    """
    if not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value!r}")
    return value
