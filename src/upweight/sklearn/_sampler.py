"""DownsampleUpweight: an imbalanced-learn sampler that also returns the weights."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
from imblearn.under_sampling.base import BaseUnderSampler
from imblearn.utils import check_sampling_strategy, check_target_type
from sklearn.base import _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_array, validate_data

from .._counts import as_counts
from .._downsample import select
from .._exceptions import InputError
from .._plan import SamplingPlan, plan
from .._rows import is_frame, n_rows, take_rows
from .._types import WEIGHT_MODES, Label, Method, RandomStateLike, WeightMode
from ._params import SAMPLING_CONSTRAINTS, check_targets
from ._strategy import factors_for_targets


class DownsampleUpweight(BaseUnderSampler):
    """Downsample the majority class and upweight what is kept: an imbalanced-learn sampler.

    ``fit_resample(X, y)`` returns the kept rows, like imbalanced-learn's
    ``RandomUnderSampler``; their weights are in :attr:`sample_weight_`, to pass to the
    model's ``fit(..., sample_weight=...)``. Rows stay in their original order.

    Read more in :func:`upweight.plan` (the arguments) and :func:`upweight.downsample`
    (the selection).

    Parameters
    ----------
    factor : float or dict, optional
        Keep one in *k* majority rows (a dict: class -> factor).
    target_share : float, optional
        Instead of ``factor``: the minority share wanted after downsampling.
    upweight : float or dict, optional
        Weight of the kept rows of the downsampled class, when not the factor.
    weights : {"factor", "exact", "none"}, default="factor"
        Weight mode (see :func:`upweight.plan`).
    method : {"exact", "bernoulli"}, default="exact"
        Exactly ``round(N / k)`` rows per class, or each row kept with probability
        ``1 / k``.
    random_state : None, int, numpy.random.Generator or RandomState
        Seed.
    sampling_strategy : float, str, dict or callable, default="auto"
        imbalanced-learn's way to say how many rows each class keeps; used only when
        neither ``factor`` nor ``target_share`` is given. The default, ``"auto"``, brings
        every class but the rarest down to the rarest's size, as ``RandomUnderSampler``
        does; the weights then undo the change of class distribution.

    Attributes
    ----------
    plan_ : SamplingPlan
        The plan as applied: per class, rows before and kept, factor and weight.
    sample_indices_ : numpy.ndarray of int
        Positions of the kept rows in the input.
    sample_weight_ : numpy.ndarray of float
        Weight of each kept row.
    sampling_strategy_ : dict
        Rows kept per downsampled class, in imbalanced-learn's form.

    See Also
    --------
    upweight.sklearn.DownsampledClassifier : downsampling and a model in one estimator,
        which carries the weights through a Pipeline and grid search.

    Notes
    -----
    imbalanced-learn's ``Pipeline`` passes only ``X`` and ``y`` from a sampler to the
    next step, so inside it the weights are lost and the model learns the downsampled
    distribution. Use :class:`~upweight.sklearn.DownsampledClassifier` in pipelines.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from upweight.sklearn import DownsampleUpweight
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20_000, 4))
    >>> y = (rng.random(20_000) < 0.02).astype(int)
    >>> sampler = DownsampleUpweight(factor=10, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> X_res.shape[0] == len(sampler.sample_weight_), sampler.plan_.kept[0]
    (True, 1960)
    >>> model = LogisticRegression().fit(X_res, y_res, sample_weight=sampler.sample_weight_)
    """

    _parameter_constraints: dict[str, Any] = {  # noqa: RUF012
        **BaseUnderSampler._parameter_constraints,
        **SAMPLING_CONSTRAINTS,
        "weights": [StrOptions(set(WEIGHT_MODES))],
    }

    def __init__(
        self,
        *,
        factor: float | Mapping[Label, float] | None = None,
        target_share: float | None = None,
        upweight: float | Mapping[Label, float] | None = None,
        weights: WeightMode = "factor",
        method: Method = "exact",
        random_state: RandomStateLike = None,
        sampling_strategy: Any = "auto",
    ) -> None:
        super().__init__(sampling_strategy=sampling_strategy)
        self.factor = factor
        self.target_share = target_share
        self.upweight = upweight
        self.weights = weights
        self.method = method
        self.random_state = random_state

    def fit(self, X: Any, y: Any, **params: Any) -> DownsampleUpweight:
        """Make and apply the plan, without returning the rows; see :meth:`fit_resample`.

        Returns
        -------
        self : DownsampleUpweight

        Examples
        --------
        >>> import numpy as np
        >>> from upweight.sklearn import DownsampleUpweight
        >>> X, y = np.arange(1000.0).reshape(-1, 1), np.array([0] * 900 + [1] * 100)
        >>> sampler = DownsampleUpweight(factor=9, random_state=0).fit(X, y)
        >>> sampler.plan_.kept, sampler.sample_indices_[:3], sampler.sample_weight_[:3]
        ({0: 100, 1: 100}, array([ 2,  4, 32]), array([9., 9., 9.]))
        """
        self.fit_resample(X, y, **params)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X: Any, y: Any, **params: Any) -> tuple[Any, Any]:
        """Downsample: return the kept rows of ``X`` and ``y``.

        Parameters
        ----------
        X : array-like, sparse matrix or data frame of shape (n_samples, n_features)
            Data; comes back as the same type (lists as lists, frames as frames).
        y : array-like of shape (n_samples,)
            Labels (one-vs-all encoded labels are accepted too).
        **params : dict
            Unused; accepted for compatibility with imbalanced-learn.

        Returns
        -------
        X_resampled : same type as ``X``
            The kept rows, in their original order.
        y_resampled : same type as ``y``
            Their labels. Their weights are in :attr:`sample_weight_`.

        Warns
        -----
        OverDownsampleWarning
            When the factor (or ``sampling_strategy``) makes a downsampled class smaller
            than an untouched one, or downsamples the smallest class (see
            :attr:`upweight.SamplingPlan.over_downsampled`); the rows are still returned.

        Examples
        --------
        A data frame comes back as a data frame, its index kept:

        >>> import pandas as pd
        >>> from upweight.sklearn import DownsampleUpweight
        >>> X = pd.DataFrame({"amount": [float(i) for i in range(10)]})
        >>> y = pd.Series(["legit"] * 8 + ["fraud"] * 2)
        >>> sampler = DownsampleUpweight(factor=4, random_state=0)
        >>> X_res, y_res = sampler.fit_resample(X, y)
        >>> X_res.index.tolist(), y_res.tolist(), sampler.sample_weight_.tolist()
        ([2, 4, 8, 9], ['legit', 'legit', 'fraud', 'fraud'], [4.0, 4.0, 1.0, 1.0])
        """
        check_targets(y)
        labels, _ = check_target_type(y, indicate_one_vs_all=True)
        if not is_frame(X):
            # validation only: the rows are taken from X as given, so lists stay lists
            check_array(X, dtype=None, accept_sparse=True, ensure_all_finite=False)
        validate_data(self, X=X, y=labels, reset=True, skip_check_array=True)
        rows, n_labels = n_rows(X), n_rows(labels, name="y")
        if rows != n_labels:
            raise ValueError(f"X has {rows} rows but y has {n_labels} labels; they must match")
        self.sampling_strategy_ = check_sampling_strategy(
            self.sampling_strategy, labels, self._sampling_type
        )
        indices = self._select(labels)
        return take_rows(X, indices), take_rows(y, indices)

    def _fit_resample(self, X: Any, y: npt.NDArray[Any]) -> tuple[Any, Any]:
        indices = self._select(y)
        return take_rows(X, indices), take_rows(y, indices)

    def _make_plan(self, y: npt.NDArray[Any]) -> SamplingPlan:
        counts = as_counts(y)
        if self.factor is None and self.target_share is None:
            factors = factors_for_targets(counts, self.sampling_strategy_)
            return plan(counts, factor=factors, upweight=self.upweight, weights=self.weights)
        if not (isinstance(self.sampling_strategy, str) and self.sampling_strategy == "auto"):
            raise InputError(
                "give factor / target_share or sampling_strategy, not both "
                f"(sampling_strategy={self.sampling_strategy!r})"
            )
        return plan(
            counts,
            factor=self.factor,
            target_share=self.target_share,
            upweight=self.upweight,
            weights=self.weights,
        )

    def _select(self, y: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
        the_plan = self._make_plan(y)
        selection = select(y, plan=the_plan, random_state=self.random_state, method=self.method)
        self.plan_ = selection.plan
        self.sample_indices_ = selection.indices
        self.sample_weight_ = selection.sample_weight
        self.sampling_strategy_ = {c.label: c.kept for c in selection.plan if c.downsampled}
        return selection.indices

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.sparse = True
        tags.sampler_tags.sample_indices = True
        return tags
