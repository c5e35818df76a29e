"""The held-out rows: validation and test, loaded once, on the true distribution."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ._columns import numeric_matrix, take
from ._intervals import sampled
from ._source import Source
from ._split import Labels, Split

__all__ = ["CONVERGENCE_VAL_ROWS", "Holdout", "load_holdout"]

#: Convergence checkpoints score at most this many validation rows (a seeded subset), so
#: that many checkpoints stay cheap on large data.
CONVERGENCE_VAL_ROWS = 200_000


@dataclass(frozen=True)
class Holdout:
    """Validation and test rows, their outcomes (1.0: minority), and the convergence rows.

    The convergence runs score on a dense subset of the validation rows (``conv_X``,
    ``conv_y``), scaled by ``center`` and ``scale``, the same for every factor.
    """

    X_val: Any
    X_test: Any
    y_val: npt.NDArray[np.float64]
    y_test: npt.NDArray[np.float64]
    codes_val: npt.NDArray[Any]  # the class codes (several classes: what is measured)
    codes_test: npt.NDArray[Any]
    conv_X: npt.NDArray[Any]
    conv_y: npt.NDArray[np.float64]
    center: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    val_sample: npt.NDArray[np.intp] | None = None  # rows whose losses are kept (intervals)
    test_sample: npt.NDArray[np.intp] | None = None


def _standardisation(
    dense: npt.NDArray[Any],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Mean and standard deviation of each column, NaN left out (models that take NaN)."""
    if not np.isnan(dense).any():
        center, scale = dense.mean(axis=0), dense.std(axis=0)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a column of NaN only
            center, scale = np.nanmean(dense, axis=0), np.nanstd(dense, axis=0)
        center = np.nan_to_num(center, nan=0.0)
        scale = np.nan_to_num(scale, nan=1.0)
    scale[scale == 0] = 1.0
    return center, scale


def load_holdout(
    source: Source,
    labels: Labels,
    split: Split,
    *,
    seed: int,
    rows: Any = None,
    rates: tuple[Mapping[int, float], Mapping[int, float]] | None = None,
) -> Holdout:
    """Read the validation and test rows in one pass over the source.

    ``rows``: every row, already loaded (cross-validation), to take them from instead;
    ``rates``: per class, the share of validation and of test rows whose per-row losses
    are kept for the intervals (:mod:`._intervals`).
    """
    eval_pos = np.union1d(split.val_pos, split.test_pos)
    X_eval = take(rows, eval_pos) if rows is not None else source.rows(eval_pos)[0]
    in_val = np.isin(eval_pos, split.val_pos, assume_unique=True)
    X_val, X_test = take(X_eval, in_val), take(X_eval, ~in_val)
    y_val = labels.outcome(labels.encoded.codes[split.val_pos])
    y_test = labels.outcome(labels.encoded.codes[split.test_pos])
    del X_eval
    conv_rows = np.arange(y_val.size)
    if y_val.size > CONVERGENCE_VAL_ROWS:
        rng = np.random.default_rng(seed)
        conv_rows = np.sort(rng.choice(y_val.size, CONVERGENCE_VAL_ROWS, replace=False))
    dense_val = numeric_matrix(take(X_val, conv_rows), source.columns)
    center, scale = _standardisation(dense_val)
    codes = labels.encoded.codes
    return Holdout(
        X_val,
        X_test,
        y_val,
        y_test,
        codes[split.val_pos],
        codes[split.test_pos],
        dense_val,
        y_val[conv_rows],
        center,
        scale,
        None if rates is None else sampled(split.val_pos, codes, rates[0], seed),
        None if rates is None else sampled(split.test_pos, codes, rates[1], seed),
    )
