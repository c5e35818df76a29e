"""Small argument checks shared across modules."""

from __future__ import annotations

import math
import numbers
import os
import re
from typing import Any

from ._exceptions import InputError, MissingExtraError, PlanError, UpweightError
from ._types import METHODS, WEIGHT_MODES, Method, WeightMode

__all__ = [
    "MAX_THREADS_PER_CORE",
    "as_float",
    "ascii_number",
    "check_callback",
    "check_choice",
    "check_factor",
    "check_key",
    "check_method",
    "check_upweight",
    "check_weight_col",
    "check_weight_mode",
    "is_number",
    "positive_int",
    "requires",
    "shown",
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


def shown(value: Any, limit: int = 60) -> str:
    """``repr(value)`` for an error message, cut to ``limit`` characters.

    A number of thousands of digits (which ``repr`` may even refuse) is shown by its size.
    """
    if isinstance(value, numbers.Integral) and abs(int(value)).bit_length() > 200:
        digits = int(abs(int(value)).bit_length() * math.log10(2)) + 1
        return f"a {'negative ' if value < 0 else ''}number of about {digits:,} digits"
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number (NumPy scalars too), not a boolean."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def as_float(value: Any) -> float:
    """A number as a float; an int too large for one (10**400) as infinity."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def check_factor(value: Any, *, what: str = "factor") -> float:
    """Validate one downsampling factor: a finite number >= 1."""
    if not is_number(value):
        raise PlanError(
            f"{what} must be a number >= 1 (keep one in k rows); got {shown(value)} "
            f"of type {type(value).__name__}"
        )
    k = as_float(value)
    if not math.isfinite(k):
        raise PlanError(f"{what} must be a finite number >= 1; got {shown(value)}")
    if k < 1.0:
        hint = " (a factor below 1 would mean upsampling)" if k > 0 else ""
        raise PlanError(f"{what} must be >= 1 (keep one in k rows); got {value!r}{hint}")
    return k


def check_upweight(value: Any, *, what: str = "upweight") -> float:
    """Validate one weight: a finite number, at least 1e-12."""
    weight = as_float(value) if is_number(value) else math.nan
    if not (math.isfinite(weight) and weight > 0):
        raise PlanError(f"{what} must be a positive finite number; got {shown(value)}")
    if weight < 1e-12:  # a weight this small rounds a class away in any model
        raise PlanError(f"{what} must be at least 1e-12; got {value!r}")
    return weight


def positive_int(value: Any, name: str, error: type[UpweightError]) -> int:
    """``value`` as a positive int, or ``error`` naming ``name``."""
    number = whole_number(value)
    if number is None or number < 1:
        raise error(f"{name} must be a positive integer; got {shown(value)}")
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


def check_choice(
    value: Any, choices: tuple[str, ...], name: str, error: type[UpweightError] = PlanError
) -> str:
    """``value`` if it is one of ``choices``; otherwise ``error`` listing them."""
    if not isinstance(value, str) or value not in choices:
        raise error(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def check_method(method: Any) -> Method:
    """A selection method: ``"exact"`` or ``"bernoulli"``."""
    return check_choice(method, METHODS, "method")  # type: ignore[return-value]


def check_weight_mode(weights: Any) -> WeightMode:
    """A weight mode: ``"factor"``, ``"exact"`` or ``"none"``."""
    return check_choice(weights, WEIGHT_MODES, "weights")  # type: ignore[return-value]


def check_weight_col(weight_col: Any, columns: Any = (), *, ignore_case: bool = False) -> str:
    """A name for the weight column: text, not empty, not a column already there.

    With ``ignore_case``, names that differ only in case clash too: the file engine
    (DuckDB) and Spark read names without regard to case.
    """
    if not isinstance(weight_col, str) or not weight_col:
        raise InputError(f"weight_col must be a non-empty column name; got {weight_col!r}")
    fold = str.casefold if ignore_case else str
    for column in columns:
        if fold(str(column)) == fold(weight_col):
            same = "" if column == weight_col else " (names are compared without regard to case)"
            raise InputError(
                f"column {column!r} already exists{same}; pass another weight column name"
            )
    return weight_col


def check_key(key: Any, label: Any) -> str | None:
    """A key column for the keep decisions: a column name other than the label's.

    ``None`` (decide by row position) passes through. The label column as key would give
    every row of a class the same decision: a downsampled class kept whole or not at all.
    Names are compared without regard to case, as the file engine (DuckDB) and Spark do.
    """
    if key is None:
        return None
    if not isinstance(key, str) or not key:
        raise InputError(f"key must be the name of an id column; got {shown(key)}")
    if isinstance(label, str) and key.casefold() == label.casefold():
        raise InputError(
            f"key column {key!r} is the label column: every row of a class would get the same "
            "keep decision (all kept or none); pass an id column as key, or none to decide "
            "by row position"
        )
    return key


def check_callback(fn: Any, name: str = "progress") -> Any:
    """A callback argument: ``None`` or something callable."""
    if fn is not None and not callable(fn):
        raise InputError(f"{name} must be a function (or None); got {shown(fn)}")
    return fn


def requires(module: str, extra: str, *, what: str | None = None) -> Any:
    """Import an optional framework, or raise :class:`MissingExtraError` naming the extra.

    The one way optional dependencies are loaded: inside the adapter that needs them,
    at the point of use, never by ``import upweight``.

    Examples
    --------
    >>> from upweight._validation import requires
    >>> requires("json", "json").dumps([1])
    '[1]'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is not None and exc.name.split(".")[0] != module.split(".")[0]:
            raise  # the framework is there but broken: its own error says why
        raise MissingExtraError(
            f"{what or module} is not installed: pip install 'upweight[{extra}]'"
        ) from None
