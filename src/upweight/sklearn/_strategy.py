"""imbalanced-learn's words as factors: rows wanted per class, or every class balanced.

The adapters turn these into a plan with :func:`upweight.plan`, which stays the one place
keep rates and weights are computed.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

from .._exceptions import PlanError
from .._labels import python_label
from .._types import Label

__all__ = ["balanced_factors", "factors_for_targets"]


def factors_for_targets(
    counts: Mapping[Label, int], targets: Mapping[Label, int]
) -> dict[Label, float]:
    """Factors that keep ``targets[c]`` rows of each class ``c`` (``N_c / n_c``).

    The bridge from imbalanced-learn's ``sampling_strategy`` (rows wanted per class) to
    factors; classes not in ``targets``, or asked to keep every row, keep factor 1.
    """
    factors: dict[Label, float] = {}
    for key, wanted in targets.items():
        label = python_label(key)
        if label not in counts:
            raise PlanError(f"class {label!r} is not in the labels; classes are {list(counts)}")
        if isinstance(wanted, bool) or not isinstance(wanted, numbers.Integral) or wanted < 1:
            raise PlanError(
                f"rows to keep of class {label!r} must be a positive integer; got {wanted!r}"
            )
        if wanted > counts[label]:
            raise PlanError(f"cannot keep {wanted} rows of class {label!r}: it has {counts[label]}")
        if wanted < counts[label]:
            factors[label] = counts[label] / int(wanted)
    return factors


def balanced_factors(counts: Mapping[Label, int]) -> dict[Label, float]:
    """Factors that bring every class down to the size of the rarest one."""
    rarest = min(counts.values())
    return factors_for_targets(counts, dict.fromkeys(counts, rarest))
