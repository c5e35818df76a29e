"""Parameter constraints shared by the scikit-learn estimators (for ``set_params`` checks)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

#: Constraints of the parameters that say how to downsample.
SAMPLING_CONSTRAINTS: dict[str, list[Any]] = {
    "factor": [Interval(numbers.Real, 1, None, closed="left"), dict, None],
    "target_share": [Interval(numbers.Real, 0, 1, closed="neither"), None],
    "upweight": [Interval(numbers.Real, 0, None, closed="neither"), dict, None],
    "method": [StrOptions({"exact", "bernoulli"})],
    # any seed upweight.downsample accepts: None, a non-negative int, a Generator, a RandomState
    "random_state": [
        None,
        Interval(numbers.Integral, 0, None, closed="left"),
        np.random.RandomState,
        np.random.Generator,
    ],
}


def check_targets(y: Any) -> None:
    """scikit-learn's check that ``y`` holds classes, with mixed types in one clear line.

    scikit-learn sorts the labels to find their kind: ``[1, "x"]`` raised Python's
    ``'<' not supported between instances of 'int' and 'str'``.
    """
    from sklearn.utils.multiclass import check_classification_targets

    from .._labels import mixed_types

    try:
        check_classification_targets(y)
    except TypeError:
        raise mixed_types(np.asarray(y, dtype=object).ravel(), "y") from None
