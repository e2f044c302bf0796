"""Checks of the limits a user sets: the same errors from every class, on both builds."""

from __future__ import annotations

import math


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


def check_seconds(name: str, value: object) -> float | None:
    """Return ``value`` if it is None or a finite number of seconds above 0, else say why.

    The float-valued sibling of :func:`check_limit`, for timeouts: sync and async
    code paths hand the value to different clocks (``queue.get``, ``asyncio.wait_for``)
    that disagree on ``0``, negatives, ``nan``, ``inf`` and strings, so it is
    checked once, where the stream is made.

    Raises:
        TypeError: ``value`` is not an ``int`` or ``float`` (a ``bool`` or a
            string such as ``"5"`` included).
        ValueError: ``value`` is ``nan``, infinite, or not above 0 (``None``
            is how to wait forever).
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds or None, got {value!r}")
    try:
        seconds = float(value)
    except OverflowError:  # an int beyond any float
        seconds = math.inf
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(
            f"{name} must be a finite number of seconds above 0 (None waits forever),"
            f" got {value!r}"
        )
    return seconds
