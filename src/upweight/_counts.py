"""Class counts: the one input every plan and profile starts from."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ._exceptions import LabelError, UpweightError
from ._labels import encode_labels, python_label
from ._types import Label
from ._validation import shown, whole_number

__all__ = ["MAX_COUNT", "as_counts", "check_count", "round_half_up"]

#: The most rows a class can have: counts are int64 wherever they are arrays.
MAX_COUNT = 2**63 - 1


def round_half_up(x: float) -> int:
    """Round to the nearest integer, halves up (the same rule in every engine)."""
    return math.floor(x + 0.5)


def _sorted_labels(labels: list[Label]) -> list[Label]:
    try:
        return sorted(labels)
    except TypeError:
        kinds = sorted({type(c).__name__ for c in labels})
        raise LabelError(
            f"class labels mix types ({', '.join(kinds)}); convert them to one type"
        ) from None


def check_count(value: Any, what: str, error: type[UpweightError] = LabelError) -> int:
    """``value`` as a count of rows: a whole number from 1 to :data:`MAX_COUNT`."""
    count = whole_number(value)
    if count is None or count < 1:
        raise error(f"{what} must be a positive integer; got {shown(value)}")
    if count > MAX_COUNT:
        raise error(f"{what} must be at most 2**63 - 1 rows; got {shown(count)}")
    return count


#: More classes than this, most of them single rows, is an id column, not a label.
ID_LIKE_CLASSES = 1_000


def check_two_classes(counts: Mapping[Label, int], what: str = "the labels") -> None:
    """Raise :class:`LabelError` unless ``what`` holds at least two classes and is no id.

    A column with more than :data:`ID_LIKE_CLASSES` distinct values, most of them on a
    single row, holds ids (or measurements), not classes: downsampling a class of one row
    means nothing, so it is refused with the reason.
    """
    if len(counts) < 2:
        only = next(iter(counts), None)
        raise LabelError(
            f"only one class ({only!r}) is present in {what}; "
            "downsampling needs at least two classes"
        )
    n_classes, n_rows = len(counts), sum(counts.values())
    if n_classes > ID_LIKE_CLASSES and 2 * n_classes > n_rows:
        raise LabelError(
            f"{what} holds {n_classes:,} distinct values in {n_rows:,} rows: it looks like an "
            "id or a measurement, not a class label; pass the column that holds the classes"
        )


def as_counts(y_or_counts: Any) -> dict[Label, int]:
    """Class -> count, sorted by class, from labels, a mapping of counts, or a profile.

    Raises
    ------
    LabelError
        Fewer than two classes, counts that are not positive integers, labels that cannot
        be used.
    """
    counts_attr = getattr(y_or_counts, "count_map", None)
    if isinstance(counts_attr, Mapping):
        y_or_counts = counts_attr
    if isinstance(y_or_counts, Mapping):
        raw: dict[Label, int] = {}
        for key, value in y_or_counts.items():
            label = python_label(key)
            count = check_count(value, f"the count of class {label!r}")
            if label in raw:
                raise LabelError(f"class {label!r} appears twice in the counts")
            raw[label] = count
        counts = {c: raw[c] for c in _sorted_labels(list(raw))}
    else:
        counts = encode_labels(y_or_counts).count_map()
    check_two_classes(counts)
    return counts
