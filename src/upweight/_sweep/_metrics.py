"""Every metric of a sweep configuration from one sort of the predictions.

A sweep evaluates many configurations on validation and test splits that can hold millions
of rows, so the ranking metrics (average precision, ROC AUC, recall at a fixed precision,
the precision-recall curve) share one descending sort instead of sorting once each. The
figures equal scikit-learn's ``average_precision_score`` and ``roc_auc_score`` (the tests
check it); prediction bias and calibration error come from :mod:`upweight.metrics`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..metrics import _calibration_gap

__all__ = [
    "METRICS",
    "PER_CLASS",
    "curves",
    "evaluate_and_curves",
    "evaluate_binary",
    "evaluate_multiclass",
]

#: Metric name -> (label in tables and plots, whether lower is better).
METRICS: dict[str, tuple[str, bool]] = {
    "log_loss": ("log loss", True),
    "brier": ("Brier score", True),
    "prediction_bias": ("prediction bias (%)", True),
    "ece": ("expected calibration error", True),
    "average_precision": ("average precision", False),
    "roc_auc": ("ROC AUC", False),
    "recall_at_precision": ("recall at precision", False),
}

_EPS = 1e-15


def _ranked(
    outcome: npt.NDArray[np.float64], prob: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """True and false positives at each distinct threshold, highest first, and thresholds.

    Sorts values, not positions (several times faster): the rows at or above a threshold
    are counted from the sorted scores, and each positive is placed in its score's group.
    """
    descending = np.sort(prob)[::-1]
    ends = np.append(np.flatnonzero(np.diff(descending)), descending.size - 1)
    thresholds = descending[ends]
    # each positive falls in the group of its score; positives at or above a threshold
    # are the running count over the groups
    ascending = thresholds[::-1]
    group = thresholds.size - 1 - np.searchsorted(ascending, prob[outcome == 1.0])
    tps = np.cumsum(np.bincount(group, minlength=thresholds.size)).astype(np.float64)
    fps = (ends + 1) - tps
    return tps, fps, thresholds


def evaluate_binary(
    outcome: npt.NDArray[np.float64],
    prob: npt.NDArray[np.float64],
    *,
    precision: float,
    ranked: Any = None,
) -> dict[str, float]:
    """Log loss, Brier, prediction bias, ECE, AP, ROC AUC and recall at ``precision``.

    Parameters
    ----------
    outcome : numpy.ndarray
        1.0 where the row is of the positive (minority) class, else 0.0.
    prob : numpy.ndarray
        Predicted probability of the positive class.
    precision : float
        The precision at which recall is reported (the largest recall whose precision is
        at least this; 0 if no threshold reaches it).
    ranked : tuple, optional
        ``_ranked(outcome, prob)`` when already computed (see :func:`evaluate_and_curves`).

    Returns
    -------
    dict

    Examples
    --------
    >>> import numpy as np
    >>> from upweight._sweep._metrics import evaluate_binary
    >>> m = evaluate_binary(np.array([0., 0., 1., 1.]), np.array([.1, .6, .4, .8]),
    ...                     precision=0.6)
    >>> m["roc_auc"], round(m["average_precision"], 4), m["recall_at_precision"]
    (0.75, 0.8333, 1.0)
    """
    prob = np.clip(np.asarray(prob, dtype=np.float64), 0.0, 1.0)
    base = float(outcome.mean())
    mean = float(prob.mean())
    clipped = np.clip(prob, _EPS, 1 - _EPS)
    log_loss = -float(np.mean(outcome * np.log(clipped) + (1 - outcome) * np.log1p(-clipped)))
    tps, fps, _ = _ranked(outcome, prob) if ranked is None else ranked
    positives, negatives = tps[-1], fps[-1]
    recall = tps / positives
    prec = tps / (tps + fps)
    ap = float(np.sum(np.diff(np.r_[0.0, recall]) * prec))
    tpr = np.r_[0.0, recall]
    fpr = np.r_[0.0, fps / negatives]
    auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))  # trapezoids
    reached = recall[prec >= precision]
    return {
        "log_loss": log_loss,
        "brier": float(np.mean((prob - outcome) ** 2)),
        "prediction_bias": 100.0 * (mean - base) / base,
        "ece": _calibration_gap(outcome, prob, 10, "uniform"),  # as metrics.evaluate
        "average_precision": ap,
        "roc_auc": auc,
        "recall_at_precision": float(reached.max()) if reached.size else 0.0,
    }


def curves(
    outcome: npt.NDArray[np.float64],
    prob: npt.NDArray[np.float64],
    *,
    n_bins: int = 12,
    n_points: int = 200,
    ranked: Any = None,
) -> dict[str, Any]:
    """Points of the reliability and precision-recall curves, small enough to store.

    Reliability uses bins with equal numbers of rows (quantiles of the predictions), since
    with rare positives nearly every prediction is small; each bin gives its mean
    prediction and observed rate. The precision-recall curve keeps at most ``n_points``
    points, evenly spread over recall.
    """
    prob = np.clip(np.asarray(prob, dtype=np.float64), 0.0, 1.0)
    edges = np.unique(np.quantile(prob, np.linspace(0, 1, n_bins + 1)))
    which = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, max(len(edges) - 2, 0))
    count = np.bincount(which, minlength=len(edges) - 1).astype(np.float64)
    sum_p = np.bincount(which, weights=prob, minlength=len(edges) - 1)
    sum_y = np.bincount(which, weights=outcome, minlength=len(edges) - 1)
    used = count > 0
    tps, fps, _ = _ranked(outcome, prob) if ranked is None else ranked
    recall = tps / tps[-1]
    prec = tps / (tps + fps)
    keep = np.unique(np.searchsorted(recall, np.linspace(0, 1, n_points)).clip(0, recall.size - 1))
    return {
        "reliability_predicted": (sum_p[used] / count[used]).tolist(),
        "reliability_observed": (sum_y[used] / count[used]).tolist(),
        "reliability_rows": count[used].astype(int).tolist(),
        "pr_recall": recall[keep].tolist(),
        "pr_precision": prec[keep].tolist(),
    }


def evaluate_and_curves(
    outcome: npt.NDArray[np.float64], prob: npt.NDArray[np.float64], *, precision: float
) -> tuple[dict[str, float], dict[str, Any]]:
    """:func:`evaluate_binary` and :func:`curves` from one sort."""
    prob = np.clip(np.asarray(prob, dtype=np.float64), 0.0, 1.0)
    ranked = _ranked(outcome, prob)
    return (
        evaluate_binary(outcome, prob, precision=precision, ranked=ranked),
        curves(outcome, prob, ranked=ranked),
    )


#: The figures of several classes reported per class (one class against the rest).
PER_CLASS: tuple[str, ...] = (
    "prediction_bias",
    "ece",
    "average_precision",
    "roc_auc",
    "recall_at_precision",
)


def evaluate_multiclass(
    codes: npt.NDArray[Any],
    proba: npt.NDArray[np.float64],
    classes: list[Any],
    *,
    precision: float,
) -> tuple[dict[str, float], dict[str, dict[str, float]], dict[str, Any]]:
    """Figures of several classes: overall, per class, and curves.

    The overall figures have the keys of :data:`METRICS`: the multi-class log loss and
    Brier score (summed over classes, as scikit-learn's); the prediction bias of the class
    whose bias is largest in size (signed); and the macro average over classes of the
    calibration error, average precision, ROC AUC and recall at ``precision``, each class
    against the rest. Per class (by ``str(class)``): those of :data:`PER_CLASS`. Curves:
    the smallest class's, with the keys of :func:`curves`, and ``per_class`` holding
    every class's reliability curve.

    Parameters
    ----------
    codes : numpy.ndarray of int
        Each row's class, as an index into ``classes``.
    proba : numpy.ndarray of shape (n, n_classes)
        Predicted probabilities, columns in the order of ``classes``.
    classes : list
        The classes.
    precision : float
        The precision at which recall is reported.

    Examples
    --------
    >>> import numpy as np
    >>> from upweight._sweep._metrics import evaluate_multiclass
    >>> p = np.array([[.8, .1, .1], [.2, .7, .1], [.3, .3, .4], [.6, .2, .2]])
    >>> overall, per_class, _ = evaluate_multiclass(np.array([0, 1, 2, 0]), p, ["a", "b", "c"],
    ...                                              precision=0.5)
    >>> round(overall["log_loss"], 4), per_class["roc_auc"]["c"]
    (0.5017, 1.0)
    """
    proba = np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)
    n, k = proba.shape
    rows = np.arange(n)
    onehot = np.zeros((n, k))
    onehot[rows, codes] = 1.0
    per_class: dict[str, dict[str, float]] = {m: {} for m in PER_CLASS}
    reliability: dict[str, dict[str, Any]] = {}
    counts = np.bincount(codes, minlength=k)
    smallest = int(np.argmin(counts))
    smallest_curves: dict[str, Any] = {}
    for j, c in enumerate(classes):
        figures, class_curves = evaluate_and_curves(onehot[:, j], proba[:, j], precision=precision)
        for m in PER_CLASS:
            per_class[m][str(c)] = figures[m]
        reliability[str(c)] = {
            key: class_curves[key]
            for key in ("reliability_predicted", "reliability_observed", "reliability_rows")
        }
        if j == smallest:
            smallest_curves = class_curves
    biases = per_class["prediction_bias"]
    worst = max(biases, key=lambda c: abs(biases[c]))
    overall = {
        "log_loss": -float(np.mean(np.log(np.clip(proba[rows, codes], _EPS, 1.0)))),
        "brier": float(np.mean(np.sum((proba - onehot) ** 2, axis=1))),
        "prediction_bias": biases[worst],
        **{m: float(np.mean(list(per_class[m].values()))) for m in PER_CLASS[1:]},
    }
    return overall, per_class, {**smallest_curves, "per_class": reliability}
