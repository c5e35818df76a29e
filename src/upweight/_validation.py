"""Small argument checks shared across modules."""

from __future__ import annotations

import numbers
from typing import Any

from ._exceptions import UpweightError

__all__ = ["positive_int", "whole_number"]


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
