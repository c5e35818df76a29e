"""Corrections: how a model trained on downsampled data gets back to the true distribution.

The one home of the corrections: :data:`CORRECTIONS` holds each one's name and behaviour
-- whether it trains with the plan's weights, what its predictions are rescaled by, which
fits it can share with another -- and the scikit-learn meta-estimator, the sweep and its
convergence runs all ask it. A new correction is one more entry here.

The rescaling itself is the offset (prior) correction, :func:`correct_proba`: by Bayes'
rule, each class's probability is multiplied by how much rarer the class was in training
than in truth, and the row renormalised.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ._exceptions import InputError, PlanError
from ._labels import python_label
from ._plan import SamplingPlan, check_factor
from ._types import CORRECTIONS as NAMES
from ._types import Label

__all__ = [
    "CORRECTIONS",
    "Correction",
    "correct_decision",
    "correct_proba",
    "correction",
    "prior_ratio_array",
]


@dataclass(frozen=True)
class Correction:
    """One way back to the true distribution, and what it asks of training.

    Attributes
    ----------
    name : str
        ``"upweight"``, ``"offset"`` or ``"none"``.
    trains_weighted : bool
        The model is fitted with the plan's weights.
    rescales : {"prior", "residual", None}
        What its predictions are multiplied by: ``"prior"``, the prior ratios
        ``count / kept`` (the offset); ``"residual"``, what the weights left of them,
        ``count / (kept * weight)``, when an upweight other than the factor was used;
        ``None``, nothing.
    """

    name: str
    trains_weighted: bool
    rescales: Literal["prior", "residual"] | None

    def weighted(self, plan: SamplingPlan) -> bool:
        """Whether a fit under ``plan`` uses weights (not when every weight is 1)."""
        return self.trains_weighted and any(c.weight != 1.0 for c in plan)

    def fit_key(self, plan: SamplingPlan) -> Hashable:
        """Fits on the same rows whose keys are equal are one and the same fit.

        The offset and no correction both fit without weights; at factor 1 (every weight
        1) every correction does.
        """
        if not self.weighted(plan):
            return ("unweighted",)
        return ("weighted", tuple(c.weight for c in plan))

    def rescaled(self, plan: SamplingPlan, *, residual: bool = True) -> bool:
        """Whether predictions under ``plan`` go through a rescaling at all.

        The offset always; no correction never; upweighting when the upweight differs
        from the factor (with the default upweight the weights restore the class totals,
        up to rounding), unless ``residual=False`` (the sweep measures a chosen upweight
        as it is).
        """
        if self.rescales == "prior":
            return True
        return self.rescales == "residual" and residual and _custom_upweight(plan)

    def ratios(self, plan: SamplingPlan, *, residual: bool = True) -> dict[Label, float] | None:
        """Per class, what predictions are multiplied by; ``None`` when not rescaled."""
        if not self.rescaled(plan, residual=residual):
            return None
        return plan.prior_ratios if self.rescales == "prior" else plan.residual_ratios

    def shifts(self, plan: SamplingPlan, *, residual: bool = True) -> bool:
        """Whether the rescaling changes anything (ratios other than 1, as at factor > 1)."""
        ratios = self.ratios(plan, residual=residual)
        return ratios is not None and any(r != 1.0 for r in ratios.values())

    def to_true(
        self,
        proba: npt.ArrayLike,
        plan: SamplingPlan,
        *,
        classes: Sequence[Label] | npt.ArrayLike | None = None,
        residual: bool = True,
    ) -> npt.NDArray[np.float64]:
        """``proba`` (one column per class, or the positive class's) on the true distribution.

        Unchanged when the rescaling would change nothing.
        """
        p = np.asarray(proba, dtype=np.float64)
        if not self.shifts(plan, residual=residual):
            return p
        weighted = self.rescales == "residual"
        if p.ndim == 1:
            both = np.column_stack([1.0 - p, p])
            return correct_proba(both, plan=plan, classes=classes, weighted=weighted)[:, 1]
        return correct_proba(p, plan=plan, classes=classes, weighted=weighted)


def _custom_upweight(plan: SamplingPlan) -> bool:
    """Whether the weights differ from the factors (``plan(..., upweight=u)``)."""
    return plan.weight_mode == "factor" and any(c.weight != c.factor for c in plan)


#: Every correction by name.
CORRECTIONS: Mapping[str, Correction] = {
    "upweight": Correction("upweight", trains_weighted=True, rescales="residual"),
    "offset": Correction("offset", trains_weighted=False, rescales="prior"),
    "none": Correction("none", trains_weighted=False, rescales=None),
}
assert tuple(CORRECTIONS) == NAMES


def correction(name: Any) -> Correction:
    """The correction called ``name``; :class:`PlanError` naming the choices otherwise."""
    if not isinstance(name, str) or name not in CORRECTIONS:
        raise PlanError(f"correction must be one of {', '.join(CORRECTIONS)}; got {name!r}")
    return CORRECTIONS[name]


def prior_ratio_array(
    *,
    plan: SamplingPlan | None,
    factor: float | None,
    n_columns: int,
    classes: Any = None,
    weighted: bool = False,
) -> npt.NDArray[np.float64]:
    """Per column: ``count / kept`` (or with ``weighted``, ``count / (kept * weight)``)."""
    if (plan is None) == (factor is None):
        raise PlanError("give either plan or factor to correct probabilities")
    if factor is not None:
        if weighted:
            raise PlanError(
                "weighted=True corrects by the plan's weights; pass the plan, not a factor"
            )
        k = check_factor(factor)
        if n_columns != 2:
            raise PlanError(
                "a single factor corrects binary probabilities; "
                "for multi-class, pass the plan (plan=...)"
            )
        if classes is not None:
            raise PlanError("classes goes with plan; a factor assumes column 0 was downsampled")
        return np.array([k, 1.0])
    if not isinstance(plan, SamplingPlan):
        raise PlanError(f"plan must be a SamplingPlan; got {type(plan).__name__}")
    ratios = plan.residual_ratios if weighted else plan.prior_ratios
    if classes is None:
        labels: Sequence[Label] = plan.labels
    else:
        labels = [python_label(c) for c in np.asarray(classes).tolist()]
        unknown = [c for c in labels if c not in ratios]
        if unknown:
            raise PlanError(
                f"classes {unknown} are not in the plan; the plan has {list(plan.labels)}"
            )
    if len(labels) != n_columns:
        raise InputError(
            f"probabilities have {n_columns} columns but the plan has {len(labels)} classes"
        )
    return np.array([ratios[c] for c in labels], dtype=np.float64)


def correct_proba(
    proba: npt.ArrayLike,
    *,
    plan: SamplingPlan | None = None,
    factor: float | None = None,
    classes: Sequence[Label] | npt.ArrayLike | None = None,
    weighted: bool = False,
) -> npt.NDArray[np.float64]:
    """Bring a model's probabilities back to the true class distribution (offset correction).

    Use it for a model trained on downsampled data *without* the upweighting: such a model
    learns the training distribution, in which the downsampled class is rarer than in the
    truth. By Bayes' rule the fix is to multiply each class's probability by how much
    rarer the class was in training, ``count / kept``, and renormalise. For a binary
    problem whose negative class was downsampled by *k* that is
    ``p' = p / (p + (1 - p) * k)``: the logit shifted by ``-ln k``.

    A model trained *with* the upweighting needs no correction when the upweight equals
    the factor. When it does not (``plan(..., upweight=u)``), pass ``weighted=True``: only
    what the weights left is corrected, ``count / (kept * weight)`` per class.

    Parameters
    ----------
    proba : array-like of shape (n,) or (n, n_classes)
        Probabilities from the model: a 1-D array holds the probability of the second
        class (``predict_proba(X)[:, 1]`` of a binary model); a 2-D array has one column
        per class, in the order of ``classes``, and each of its rows must sum to 1 within
        3.5e-4 (the square root of float32's eps, scikit-learn's ``log_loss`` tolerance
        for float32 probabilities); rows within it are renormalised, others (a row of
        zeros, scores that are not probabilities) refused.
    plan : SamplingPlan, optional
        The plan the training data was sampled with (exact: uses the rows actually kept).
    factor : float, optional
        Instead of ``plan``, for binary problems: the factor by which the first class (the
        negative, majority class) was downsampled.
    classes : sequence, optional
        With ``plan``: the class of each column (a model's ``classes_``) when not the
        plan's sorted order.
    weighted : bool, default=False
        The model was trained with the plan's weights (see above).

    Returns
    -------
    numpy.ndarray
        Corrected probabilities, same shape as ``proba``.

    Raises
    ------
    PlanError
        Neither or both of ``plan`` and ``factor``, a factor with more than two classes.
    InputError
        ``proba`` that is not an array of numbers (rows of different lengths, text), not
        1-D or 2-D, or empty; values outside [0, 1] (NaN, None, infinity); rows of a 2-D
        array that do not sum to 1; the wrong number of columns for the plan.

    Examples
    --------
    >>> import upweight
    >>> upweight.correct_proba([0.5, 0.2], factor=25).round(4)
    array([0.0385, 0.0099])
    >>> p = upweight.plan({0: 9_900, 1: 100}, factor=25)
    >>> upweight.correct_proba([[0.5, 0.5]], plan=p).round(4)
    array([[0.9615, 0.0385]])
    """
    p = _as_proba(proba)
    n_columns = 2 if p.ndim == 1 else p.shape[1]
    ratios = prior_ratio_array(
        plan=plan, factor=factor, n_columns=n_columns, classes=classes, weighted=weighted
    )
    if p.ndim == 1:
        positive = p * ratios[1]
        return positive / (positive + (1.0 - p) * ratios[0])
    _check_rows_sum_to_one(p)
    scaled = p * ratios
    return scaled / scaled.sum(axis=1, keepdims=True)


def _as_numbers(values: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    """``values`` as a 1-D or 2-D float64 array with at least one row, or InputError."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        ragged = "inhomogeneous" in str(exc) or "sequence" in str(exc)
        problem = "rows of different lengths" if ragged else f"values that are not numbers ({exc})"
        raise InputError(
            f"{name} must be an array of numbers of shape (n,) or (n, n_classes); got {problem}"
        ) from None
    if array.ndim not in (1, 2):
        raise InputError(f"{name} must be 1-D or 2-D; got shape {array.shape}")
    if array.shape[0] == 0:
        raise InputError(f"{name} is empty; pass at least one row of predictions")
    return array


def _as_proba(proba: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Probabilities: numbers in [0, 1]."""
    p = _as_numbers(proba, "proba")
    bad = ~(np.isfinite(p) & (p >= 0.0) & (p <= 1.0))
    if bad.any():
        value = float(p[np.unravel_index(np.argmax(bad), p.shape)])
        raise InputError(
            f"proba must hold probabilities in [0, 1]; got {value!r} (NaN, None and "
            "infinity are not probabilities either)"
        )
    return p


#: How far from 1 a row of probabilities may sum: sqrt of float32's eps, the tolerance of
#: scikit-learn's ``log_loss`` for float32; float64 arrays often hold float32 predictions.
ROW_SUM_TOLERANCE = float(np.sqrt(np.finfo(np.float32).eps))


def _check_rows_sum_to_one(p: npt.NDArray[np.float64]) -> None:
    """Each row of 2-D probabilities sums to 1 within :data:`ROW_SUM_TOLERANCE`."""
    sums = p.sum(axis=1)
    off = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
    if off.any():
        row = int(np.argmax(off))
        raise InputError(
            f"proba row {row} sums to {sums[row]:.6g}, not 1; pass probabilities with one "
            "column per class, as predict_proba gives them (a 1-D array for the positive "
            "class of a binary model)"
        )


def correct_decision(
    decision: npt.ArrayLike,
    *,
    plan: SamplingPlan,
    classes: Sequence[Label] | npt.ArrayLike | None = None,
    weighted: bool = False,
) -> npt.NDArray[np.float64]:
    """Shift decision values (log-odds) by the log prior ratios: the offset in logit space.

    A 1-D decision is the log-odds of the second class: it moves by
    ``ln(ratio[1] / ratio[0])``. A 2-D decision moves by ``ln(ratio[c])`` per column
    (softmax-invariant). Exact when the decision is a log-odds (logistic models).
    """
    d = _as_numbers(decision, "decision")
    n_columns = 2 if d.ndim == 1 else d.shape[1]
    log_ratio = np.log(
        prior_ratio_array(
            plan=plan, factor=None, n_columns=n_columns, classes=classes, weighted=weighted
        )
    )
    if d.ndim == 1:
        return d + (log_ratio[1] - log_ratio[0])
    return d + log_ratio
