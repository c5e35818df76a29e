"""Metrics on the true distribution: prediction bias, calibration, and a one-call summary.

Every figure here compares predicted probabilities with what actually happened, so
evaluate on data that was *not* downsampled: a held-out split of the original data.
Ranking metrics (average precision, ROC AUC) come from scikit-learn.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ._exceptions import InputError, LabelError
from ._labels import encode_labels, python_label
from ._types import Label
from ._validation import positive_int

__all__ = ["Evaluation", "evaluate", "expected_calibration_error", "prediction_bias"]

Strategy = Literal["uniform", "quantile"]


@dataclass(frozen=True)
class _Binary:
    outcome: npt.NDArray[np.float64]  # 1.0 where y == pos_label
    prob: npt.NDArray[np.float64]  # P(pos_label)
    pos_label: Label


def _probabilities(y_prob: npt.ArrayLike, n: int) -> npt.NDArray[np.float64]:
    p = np.asarray(y_prob, dtype=np.float64)
    if p.ndim == 0 or p.ndim > 2:
        raise InputError(f"y_prob must be 1-D or 2-D; got shape {p.shape}")
    if p.shape[0] != n:
        raise InputError(f"y_true has {n} labels but y_prob has {p.shape[0]} rows")
    if not np.all(np.isfinite(p)) or p.min() < 0.0 or p.max() > 1.0:
        raise InputError("y_prob must hold probabilities in [0, 1] (no NaN or infinity)")
    return p


_STANDARD_LABELS: tuple[set[Label], ...] = ({0, 1}, {-1, 1}, {False, True})


def _positive_label(classes: tuple[Label, ...], pos_label: Label | None) -> Label:
    """The positive class: ``pos_label``, or 1 / True for the usual binary encodings."""
    if pos_label is not None:
        positive = python_label(pos_label)
        if len(classes) == 2 and positive not in classes:
            raise LabelError(
                f"pos_label {positive!r} is not in y_true; classes are {list(classes)}"
            )
        return positive
    if any(set(classes) <= standard for standard in _STANDARD_LABELS):
        return True if classes and isinstance(classes[0], bool) else 1
    raise LabelError(
        f"y_true holds the classes {list(classes)}; pass pos_label to say which one the "
        "probabilities are for"
    )


def _binary(y_true: Any, y_prob: npt.ArrayLike, pos_label: Label | None) -> _Binary:
    encoded = encode_labels(y_true, name="y_true")
    p = _probabilities(y_prob, encoded.codes.size)
    classes = encoded.classes
    if len(classes) > 2:
        raise LabelError(
            f"y_true has {len(classes)} classes; pass one probability column per class "
            "(2-D y_prob) to evaluate, which handles multi-class"
        )
    positive = _positive_label(classes, pos_label)
    if p.ndim == 2:
        if p.shape[1] != 2:
            raise InputError(
                f"y_prob has {p.shape[1]} columns but y_true has at most 2 classes; "
                "pass one column per class, or the positive class's probability"
            )
        if len(classes) == 2:
            column = classes.index(positive)
        elif positive in (1, True):
            column = 1  # one class present: columns follow the usual (negative, positive)
        else:
            raise LabelError(
                "y_true holds a single class, so the order of y_prob's two columns is "
                "unknown; pass the positive class's probability as a 1-D array"
            )
        p = p[:, column]
    outcome = np.zeros(encoded.codes.size, dtype=np.float64)
    if positive in classes:
        outcome[encoded.codes == classes.index(positive)] = 1.0
    return _Binary(outcome=outcome, prob=p, pos_label=positive)


def _relative_bias(mean_prob: float, base_rate: float) -> float:
    if base_rate == 0.0:
        raise LabelError(
            "y_true holds no positive example, so the base rate is 0 and prediction bias "
            "is undefined; evaluate on data with positives"
        )
    return 100.0 * (mean_prob - base_rate) / base_rate


def prediction_bias(y_true: Any, y_prob: npt.ArrayLike, *, pos_label: Label | None = None) -> float:
    """Mean predicted probability against the observed base rate, relative, in percent.

    ``100 * (mean(p) - mean(y)) / mean(y)``: 0 for a model whose probabilities average to
    the true rate; for a model trained on data downsampled by 25 and not corrected, up to
    +2400 % (25 times too often) where probabilities are small, less where they saturate
    (the demo's data: about +1400 %).

    Parameters
    ----------
    y_true : array-like
        Observed labels (two classes).
    y_prob : array-like
        Predicted probability of the positive class (1-D), or both columns (2-D).
    pos_label : label, optional
        The positive class; needed unless the labels are 0 / 1, -1 / 1 or False / True.

    Returns
    -------
    float
        Relative bias in percent.

    Examples
    --------
    >>> from upweight.metrics import prediction_bias
    >>> prediction_bias([0, 0, 0, 1], [0.25, 0.25, 0.25, 0.25])
    0.0
    >>> prediction_bias([0, 0, 0, 1], [0.5, 0.5, 0.5, 0.5])
    100.0
    """
    b = _binary(y_true, y_prob, pos_label)
    return _relative_bias(float(b.prob.mean()), float(b.outcome.mean()))


def _bin_edges(prob: npt.NDArray[np.float64], n_bins: int, strategy: str) -> Any:
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    if strategy == "quantile":
        edges = np.unique(np.quantile(prob, np.linspace(0.0, 1.0, n_bins + 1)))
        edges[0], edges[-1] = 0.0, 1.0
        return edges
    raise InputError(f"strategy must be 'uniform' or 'quantile'; got {strategy!r}")


def _calibration_gap(
    outcome: npt.NDArray[np.float64],
    prob: npt.NDArray[np.float64],
    n_bins: int,
    strategy: str,
) -> float:
    n_bins = positive_int(n_bins, "n_bins", InputError)
    edges = _bin_edges(prob, n_bins, strategy)
    which = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, len(edges) - 2)
    sum_p = np.bincount(which, weights=prob, minlength=len(edges) - 1)
    sum_y = np.bincount(which, weights=outcome, minlength=len(edges) - 1)
    return float(np.abs(sum_p - sum_y).sum() / prob.size)


def expected_calibration_error(
    y_true: Any,
    y_prob: npt.ArrayLike,
    *,
    n_bins: int = 10,
    strategy: Strategy = "uniform",
    pos_label: Label | None = None,
) -> float:
    """Expected calibration error: the average gap between predicted and observed rates.

    Predictions are grouped into ``n_bins`` bins of predicted probability; in each bin the
    mean prediction is compared with the observed rate, and the gaps are averaged, weighted
    by the bin's share of the rows. With 2-D multi-class probabilities, the top-label form
    is used (confidence of the predicted class against its accuracy).

    Parameters
    ----------
    y_true : array-like
        Observed labels.
    y_prob : array-like
        Predicted probability of the positive class (1-D), or one column per class (2-D,
        columns in sorted class order).
    n_bins : int, default=10
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width bins on [0, 1], or bins holding equal numbers of rows (better when
        nearly all predictions are small, as with rare positives).
    pos_label : label, optional
        The positive class of a binary problem; needed unless the labels are 0 / 1,
        -1 / 1 or False / True.

    Returns
    -------
    float
        ECE, in the units of probability (0 is perfect).

    Examples
    --------
    >>> from upweight.metrics import expected_calibration_error
    >>> expected_calibration_error([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])
    0.0
    >>> expected_calibration_error([0, 0, 0, 0], [0.2, 0.2, 0.2, 0.2], pos_label=1)
    0.2
    """
    p = np.asarray(y_prob)
    if p.ndim == 2 and p.shape[1] > 2:
        encoded = encode_labels(y_true, name="y_true")
        probs = _probabilities(p, encoded.codes.size)
        _check_columns(encoded.classes, probs.shape[1])
        top = probs.argmax(axis=1)
        correct = (top == encoded.codes).astype(np.float64)
        return _calibration_gap(correct, probs.max(axis=1), n_bins, strategy)
    b = _binary(y_true, y_prob, pos_label)
    return _calibration_gap(b.outcome, b.prob, n_bins, strategy)


@dataclass(frozen=True)
class Evaluation:
    """Metrics of predicted probabilities against observed labels.

    Attributes
    ----------
    n : int
        Rows evaluated.
    base_rate : float
        Observed rate of the positive class (multi-class: of the class with the largest
        prediction bias).
    mean_proba : float
        Mean predicted probability of that class.
    log_loss : float
        Cross-entropy (lower is better).
    brier : float
        Mean squared error of the probabilities (multi-class: summed over classes).
    prediction_bias : float
        ``100 * (mean_proba - base_rate) / base_rate``, percent (multi-class: the class
        with the largest magnitude).
    ece : float
        Expected calibration error (``n_bins`` bins, equal-width unless
        ``strategy="quantile"``; multi-class: top-label).
    average_precision : float
        Area under the precision-recall curve (multi-class: macro one-vs-rest).
    roc_auc : float
        Area under the ROC curve (multi-class: macro one-vs-rest).
    per_class : dict or None
        Multi-class: ``{class: {"base_rate", "mean_proba", "prediction_bias", "ece",
        "average_precision", "roc_auc"}}``, each class against the rest; None for two
        classes.

    Examples
    --------
    :func:`evaluate` returns one.

    >>> from upweight.metrics import evaluate
    >>> m = evaluate([0, 0, 0, 1, 0, 0, 0, 1], [0.1, 0.2, 0.1, 0.6, 0.3, 0.1, 0.2, 0.4])
    >>> m.n, m.base_rate, m.mean_proba, m.prediction_bias  # unbiased on average
    (8, 0.25, 0.25, 0.0)
    >>> round(m.log_loss, 4), round(m.brier, 4), round(m.ece, 4), m.roc_auc
    (0.3183, 0.09, 0.25, 1.0)
    """

    n: int
    base_rate: float
    mean_proba: float
    log_loss: float
    brier: float
    prediction_bias: float
    ece: float
    average_precision: float
    roc_auc: float
    per_class: dict[Label, dict[str, float]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (``per_class`` only with several classes).

        Examples
        --------
        >>> from upweight.metrics import evaluate
        >>> sorted(evaluate([0, 0, 0, 1], [0.2, 0.2, 0.3, 0.5]).to_dict())
        ... # doctest: +NORMALIZE_WHITESPACE
        ['average_precision', 'base_rate', 'brier', 'ece', 'log_loss', 'mean_proba', 'n',
         'prediction_bias', 'roc_auc']
        >>> proba = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]]
        >>> d = evaluate(["a", "b", "c", "a"], proba).to_dict()
        >>> sorted(d["per_class"]), round(d["per_class"]["b"]["prediction_bias"], 1)
        (['a', 'b', 'c'], 30.0)
        """
        out = asdict(self)
        if out["per_class"] is None:
            del out["per_class"]
        return out


def _check_columns(classes: tuple[Label, ...], n_columns: int) -> None:
    if len(classes) != n_columns:
        raise LabelError(
            f"y_true has {len(classes)} classes but y_prob has {n_columns} columns; every "
            "class must appear in y_true so the columns can be matched to classes"
        )


def _evaluate_multiclass(
    y_true: Any, p: npt.NDArray[Any], n_bins: int, strategy: str
) -> Evaluation:
    from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

    encoded = encode_labels(y_true, name="y_true")
    probs = _probabilities(p, encoded.codes.size)
    n_classes = probs.shape[1]
    _check_columns(encoded.classes, n_classes)
    sums = probs.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1.0) > 1e-3)
    if off.size:
        raise InputError(
            f"y_prob rows must sum to 1 (one probability per class); row {off[0]} sums to "
            f"{sums[off[0]]:.6g}: give predict_proba's output as it is"
        )
    onehot = np.zeros_like(probs)
    onehot[np.arange(probs.shape[0]), encoded.codes] = 1.0
    base = onehot.mean(axis=0)
    mean_p = probs.mean(axis=0)
    biases = 100.0 * (mean_p - base) / base
    worst = int(np.argmax(np.abs(biases)))
    correct = (probs.argmax(axis=1) == encoded.codes).astype(np.float64)
    per_class = {
        c: {
            "base_rate": float(base[j]),
            "mean_proba": float(mean_p[j]),
            "prediction_bias": float(biases[j]),
            "ece": _calibration_gap(onehot[:, j], probs[:, j], n_bins, strategy),
            "average_precision": float(average_precision_score(onehot[:, j], probs[:, j])),
            "roc_auc": float(roc_auc_score(onehot[:, j], probs[:, j])),
        }
        for j, c in enumerate(encoded.classes)
    }
    return Evaluation(
        n=int(probs.shape[0]),
        base_rate=float(base[worst]),
        mean_proba=float(mean_p[worst]),
        log_loss=float(log_loss(encoded.codes, probs, labels=np.arange(n_classes))),
        brier=float(((probs - onehot) ** 2).sum(axis=1).mean()),
        prediction_bias=float(biases[worst]),
        ece=_calibration_gap(correct, probs.max(axis=1), n_bins, strategy),
        average_precision=float(average_precision_score(onehot, probs, average="macro")),
        roc_auc=float(roc_auc_score(encoded.codes, probs, multi_class="ovr", average="macro")),
        per_class=per_class,
    )


def evaluate(
    y_true: Any,
    y_prob: npt.ArrayLike,
    *,
    pos_label: Label | None = None,
    n_bins: int = 10,
    strategy: Strategy = "uniform",
) -> Evaluation:
    """Log loss, Brier score, prediction bias, ECE, average precision and ROC AUC at once.

    Parameters
    ----------
    y_true : array-like
        Observed labels, from data that was not downsampled; both classes must appear.
    y_prob : array-like
        Predicted probability of the positive class (1-D), or one column per class (2-D,
        columns in sorted class order).
    pos_label : label, optional
        The positive class of a binary problem; needed unless the labels are 0 / 1,
        -1 / 1 or False / True.
    n_bins : int, default=10
        Bins of the calibration error.
    strategy : {"uniform", "quantile"}, default="uniform"
        Bins of the calibration error (see :func:`expected_calibration_error`).

    Returns
    -------
    Evaluation
        The metrics; ``to_dict()`` gives a plain dict for tables.

    Examples
    --------
    >>> import numpy as np
    >>> from upweight.metrics import evaluate
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0, 0.1, size=100_000)
    >>> y = (rng.random(100_000) < p).astype(int)  # p is the true probability
    >>> m = evaluate(y, p)
    >>> abs(m.prediction_bias) < 2, m.ece < 0.005
    (True, True)
    """
    from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

    p = np.asarray(y_prob)
    if p.ndim == 2 and p.shape[1] > 2:
        return _evaluate_multiclass(y_true, p, n_bins, strategy)
    b = _binary(y_true, y_prob, pos_label)
    if b.outcome.min() == b.outcome.max():
        raise LabelError(
            "y_true holds a single class; ranking metrics need both classes: evaluate on a "
            "larger or stratified split"
        )
    prob = np.clip(b.prob, 0.0, 1.0)
    base_rate = float(b.outcome.mean())
    mean_proba = float(prob.mean())
    return Evaluation(
        n=int(prob.size),
        base_rate=base_rate,
        mean_proba=mean_proba,
        log_loss=float(log_loss(b.outcome, prob, labels=[0.0, 1.0])),
        brier=float(np.mean((prob - b.outcome) ** 2)),
        prediction_bias=_relative_bias(mean_proba, base_rate),
        ece=_calibration_gap(b.outcome, prob, n_bins, strategy),
        average_precision=float(average_precision_score(b.outcome, prob)),
        roc_auc=float(roc_auc_score(b.outcome, prob)),
    )
