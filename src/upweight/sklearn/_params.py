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
