"""Small argument checks shared across modules."""

from __future__ import annotations

import numbers
import os
import re
from typing import Any

from ._exceptions import InputError, UpweightError

__all__ = [
    "MAX_THREADS_PER_CORE",
    "ascii_number",
    "positive_int",
    "thread_count",
    "whole_number",
]

#: Reading threads beyond this many per core only add overhead.
MAX_THREADS_PER_CORE = 4


def whole_number(value: Any) -> int | None:
    """``value`` as an int if it is a whole number (NumPy integers and 3.0 included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return int(float(value))
    return None


def positive_int(value: Any, name: str, error: type[UpweightError]) -> int:
    """``value`` as a positive int, or ``error`` naming ``name``."""
    number = whole_number(value)
    if number is None or number < 1:
        raise error(f"{name} must be a positive integer; got {value!r}")
    return number


def thread_count(value: Any) -> int | None:
    """``threads=`` as a positive int, capped at :data:`MAX_THREADS_PER_CORE` per core.

    ``None`` (one per core) passes through. More threads than that only add overhead (a
    request for 100,000 would spend minutes starting them), so the count is capped.
    """
    if value is None:
        return None
    number = positive_int(value, "threads", InputError)
    return min(number, MAX_THREADS_PER_CORE * (os.cpu_count() or 1))


_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?(?:inf|nan)")


def ascii_number(text: str) -> float:
    """A number typed on the command line: ASCII digits only, no ``1_000``.

    (Python's ``float`` also reads ``1_0`` as 10 and other scripts' digits, which a
    command line should not guess at.) Raises ``ValueError`` for anything else.
    """
    cleaned = text.strip()
    if not _NUMBER.fullmatch(cleaned.lower()):
        raise ValueError(f"not a number: {text!r}")
    return float(cleaned)
