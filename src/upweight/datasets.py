"""Data with a known truth: imbalanced classification where P(y | x) is known exactly.

Evaluating a technique that claims calibrated probabilities needs the true probabilities,
not another model's. :func:`make_imbalanced` draws features from a standard normal
distribution and labels from a logistic model whose intercept is solved so that the
positive class has the asked-for share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ._exceptions import InputError
from ._random import resolve_seed
from ._types import RandomStateLike

__all__ = ["KnownTruthData", "make_imbalanced"]


@dataclass(frozen=True)
class KnownTruthData:
    """A data set and the model that generated it.

    Attributes
    ----------
    X : numpy.ndarray of shape (n_samples, n_features)
        Features, independent standard normal.
    y : numpy.ndarray of shape (n_samples,)
        Labels, 0 or 1.
    proba : numpy.ndarray of shape (n_samples,)
        The true ``P(y = 1 | x)`` of each row.
    coef : numpy.ndarray of shape (n_features,)
        True coefficients of the logistic model.
    intercept : float
        True intercept.
    feature_names : tuple of str
        ``x0``, ``x1``, ...

    Examples
    --------
    :func:`make_imbalanced` returns one.

    >>> from upweight.datasets import make_imbalanced
    >>> data = make_imbalanced(20_000, minority_share=0.02, random_state=0)
    >>> data.X.shape, data.feature_names[:2], float(data.y.mean())
    ((20000, 5), ('x0', 'x1'), 0.02085)
    >>> data.coef.tolist(), round(data.intercept, 3)
    ([1.0, -0.75, 0.5, -0.25, 0.0], -4.747)
    >>> round(float(data.proba.mean()), 4)  # the truth's mean, near the share asked for
    0.0198
    """

    X: npt.NDArray[np.float64]
    y: npt.NDArray[np.int64]
    proba: npt.NDArray[np.float64]
    coef: npt.NDArray[np.float64]
    intercept: float
    feature_names: tuple[str, ...]

    def true_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """True ``P(y = 1 | x)`` for any rows ``X``.

        Examples
        --------
        >>> import numpy as np
        >>> from upweight.datasets import make_imbalanced
        >>> data = make_imbalanced(1_000, minority_share=0.02, random_state=0)
        >>> bool(np.allclose(data.true_proba(data.X), data.proba))
        True
        >>> data.true_proba(np.zeros((1, 5))).round(4)  # at the mean of the features
        array([0.0086])
        """
        logit = np.asarray(X, dtype=np.float64) @ self.coef + self.intercept
        return _sigmoid(logit)

    def to_arrow(self, *, label: str = "label") -> Any:
        """The data as a pyarrow Table: one column per feature, then ``label``.

        Examples
        --------
        >>> from upweight.datasets import make_imbalanced
        >>> table = make_imbalanced(1_000, random_state=0).to_arrow(label="fraud")
        >>> table.num_rows, table.column_names
        (1000, ['x0', 'x1', 'x2', 'x3', 'x4', 'fraud'])
        """
        import pyarrow as pa

        columns: dict[str, Any] = {name: self.X[:, j] for j, name in enumerate(self.feature_names)}
        columns[label] = self.y
        return pa.table(columns)


def _sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _solve_intercept(scale: float, share: float) -> float:
    """Intercept b with E[sigmoid(b + scale * Z)] = share for Z standard normal."""
    from scipy.optimize import brentq

    nodes, weights = np.polynomial.hermite_e.hermegauss(96)
    weights = weights / weights.sum()

    def gap(b: float) -> float:
        return float(weights @ _sigmoid(b + scale * nodes)) - share

    return float(brentq(gap, -60.0, 60.0, xtol=1e-12))


def make_imbalanced(
    n_samples: int = 1_000_000,
    *,
    minority_share: float = 0.01,
    n_features: int = 5,
    n_informative: int | None = None,
    separation: float = 1.0,
    random_state: RandomStateLike = None,
) -> KnownTruthData:
    """Generate imbalanced binary data from a known logistic model.

    Features are independent standard normal. The first ``n_informative`` have
    coefficients ``separation * (1, -0.75, 0.5, -0.25, ...)`` (alternating signs,
    shrinking), the rest 0; the intercept is solved so that the expected share of
    positives is ``minority_share``. Logistic regression is therefore correctly specified,
    and any calibration error it shows comes from the training, not from the model class.

    Parameters
    ----------
    n_samples : int, default=1_000_000
        Rows.
    minority_share : float, default=0.01
        Expected share of positives (label 1), in (0, 0.5].
    n_features : int, default=5
        Features.
    n_informative : int, optional
        Features with a non-zero coefficient; by default ``min(n_features, 4)``.
    separation : float, default=1.0
        Scales every coefficient: larger is easier to classify.
    random_state : None, int or numpy.random.Generator
        Seed.

    Returns
    -------
    KnownTruthData

    Examples
    --------
    >>> from upweight.datasets import make_imbalanced
    >>> data = make_imbalanced(200_000, minority_share=0.01, random_state=0)
    >>> data.X.shape, round(float(data.y.mean()), 3), round(float(data.proba.mean()), 3)
    ((200000, 5), 0.01, 0.01)
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise InputError(f"n_samples must be a positive integer; got {n_samples!r}")
    if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 1:
        raise InputError(f"n_features must be a positive integer; got {n_features!r}")
    if not isinstance(minority_share, int | float) or not 0.0 < minority_share <= 0.5:
        raise InputError(f"minority_share must be in (0, 0.5]; got {minority_share!r}")
    informative = min(n_features, 4) if n_informative is None else n_informative
    if not 0 <= informative <= n_features:
        raise InputError(
            f"n_informative must be between 0 and n_features ({n_features}); got {informative}"
        )
    rng = np.random.default_rng(resolve_seed(random_state))
    coef = np.zeros(n_features)
    if informative:
        coef[:informative] = separation * np.array(
            [(-1.0) ** j * max(1.0 - 0.25 * j, 0.25) for j in range(informative)]
        )
    intercept = _solve_intercept(float(np.linalg.norm(coef)), float(minority_share))
    X = rng.standard_normal((n_samples, n_features))
    proba = _sigmoid(X @ coef + intercept)
    y = (rng.random(n_samples) < proba).astype(np.int64)
    return KnownTruthData(
        X=X,
        y=y,
        proba=proba,
        coef=coef,
        intercept=intercept,
        feature_names=tuple(f"x{j}" for j in range(n_features)),
    )
