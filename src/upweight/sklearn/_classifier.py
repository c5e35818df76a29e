"""DownsampledClassifier: downsample, fit a model, and predict on the true distribution."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
    is_classifier,
)
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    _check_sample_weight,
    assert_all_finite,
    check_is_fitted,
    column_or_1d,
    has_fit_parameter,
)

from .._correct import CORRECTIONS, correct_decision, correction
from .._downsample import select_encoded
from .._exceptions import InputError, UpweightWarning
from .._labels import encode_labels
from .._plan import SamplingPlan, plan, warn_if_over_downsampled
from .._rows import is_frame, is_sparse, n_rows, take_rows
from .._types import Correction, Label, Method, RandomStateLike, WeightMode
from ._params import SAMPLING_CONSTRAINTS, check_targets
from ._strategy import balanced_factors


def _inner_has(attr: str) -> Callable[[Any], bool]:
    """For ``available_if``: the method exists when the (fitted or given) model has it."""

    def check(self: DownsampledClassifier) -> bool:
        inner = getattr(self, "estimator_", self.estimator)
        return hasattr(inner, attr)

    return check


def _accepts_sample_weight(estimator: Any) -> bool:
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline):
        return _accepts_sample_weight(estimator.steps[-1][1])
    return bool(has_fit_parameter(estimator, "sample_weight"))


def _subset_rows(value: Any, idx: npt.NDArray[np.intp], n: int) -> Any:
    """Fit parameters with one row per training row follow the kept rows."""
    if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == n:
        return value[idx]
    if (is_frame(value) or is_sparse(value)) and n_rows(value) == n:
        return take_rows(value, idx)
    return value


def _weight_kwargs(estimator: Any, sample_weight: npt.NDArray[np.float64]) -> dict[str, Any]:
    """How to hand ``sample_weight`` to ``estimator.fit`` (a Pipeline routes to its last step)."""
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline):
        name = estimator.steps[-1][0]
        return {f"{name}__sample_weight": sample_weight}
    return {"sample_weight": sample_weight}


def _kind(estimator: Any) -> str:
    """What an estimator is, in a word or two, from its scikit-learn tags."""
    try:
        kind = get_tags(estimator).estimator_type
    except Exception:  # not a scikit-learn estimator at all
        kind = None
    return f"{kind}" if kind else "model without predict_proba"


def _check_finite(X: Any) -> None:
    """Reject NaN / infinity in numeric arrays before sampling, whichever rows are kept.

    Without this, whether ``fit`` fails would depend on whether a bad row happened to be
    kept. Frames are left to the model (its own preprocessing may handle them).
    """
    from scipy import sparse

    values: Any
    if sparse.issparse(X):
        matrix: Any = X
        values = matrix.tocoo().data if matrix.format in {"dok", "lil"} else matrix.data
    elif isinstance(X, np.ndarray):
        values = X
    else:
        return
    if values.dtype.kind in "fc":
        assert_all_finite(values, allow_nan=False, input_name="X")


class DownsampledClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Downsample the majority class, fit a model, and predict on the true distribution.

    ``fit`` keeps one in *k* majority rows and fits a clone of ``estimator`` on them.
    How the model is brought back to the true class distribution is the ``correction``:

    - ``"upweight"`` (default): the kept majority rows carry weight *k* in the fit, so
      the model learns the true distribution directly.
    - ``"offset"``: the model is fitted without weights and its probabilities are
      corrected at prediction time (the logit shifted by ``-ln k``, see
      :func:`upweight.correct_proba`); often the better choice for boosted trees.
    - ``"none"``: neither, for comparison; probabilities are biased towards the minority.

    The model is fitted on the original labels, so it must accept them: XGBoost, for one,
    needs labels 0, 1, ..., n_classes - 1.

    ``factor`` is an ordinary parameter, so it can be tuned with ``GridSearchCV``, and the
    estimator works as the last step of a scikit-learn ``Pipeline``.

    Parameters
    ----------
    estimator : classifier
        The model to fit on the downsampled data. With ``correction="upweight"`` its
        ``fit`` must accept ``sample_weight`` (for a ``Pipeline``, its last step's).
    factor : float or dict, optional
        Keep one in *k* majority rows (a dict: class -> factor).
    target_share : float, optional
        Instead of ``factor``: the minority share wanted after downsampling. When neither
        is given every class is brought down to the size of the rarest, as
        imbalanced-learn's ``RandomUnderSampler`` does by default.
    upweight : float or dict, optional
        Weight of the kept majority rows, when it should differ from the factor
        (``correction="upweight"`` only). The model then learns a prior between the
        training one and the true one; :meth:`predict_proba` corrects what is left, so its
        probabilities stay on the true distribution.
    weights : {"factor", "exact"}, default="factor"
        Weight mode with ``correction="upweight"`` (see :func:`upweight.plan`); ignored by
        the other corrections, which fit without weights.
    correction : {"upweight", "offset", "none"}, default="upweight"
        See above.
    method : {"exact", "bernoulli"}, default="exact"
        How rows are drawn (see :func:`upweight.downsample`).
    random_state : None, int, numpy.random.Generator or RandomState
        Seed of the downsampling (the model's own ``random_state`` is left alone).

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator``.
    plan_ : SamplingPlan
        The plan as applied: per class, rows before and kept, factor and weight.
    classes_ : numpy.ndarray
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit`` (when the model reports it).
    feature_names_in_ : numpy.ndarray of str
        Feature names seen in ``fit`` (when the model reports them).

    Notes
    -----
    ``score`` is scikit-learn's default for classifiers: accuracy, which on imbalanced data
    rewards predicting the majority class. Tune and compare with probability scores, as
    the sweep does: ``GridSearchCV(..., scoring="neg_log_loss")``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from upweight.datasets import make_imbalanced
    >>> from upweight.sklearn import DownsampledClassifier
    >>> data = make_imbalanced(50_000, minority_share=0.02, random_state=0)
    >>> clf = DownsampledClassifier(LogisticRegression(), factor=10, random_state=0)
    >>> clf = clf.fit(data.X, data.y)
    >>> clf.plan_.kept, clf.plan_.class_weights
    ({0: 4895, 1: 1049}, {0: 10.0, 1: 1.0})
    >>> p = clf.predict_proba(data.X)[:, 1]
    >>> round(float(p.mean()), 3), round(float(data.y.mean()), 3)
    (0.021, 0.021)
    >>> search = GridSearchCV(clf, {"factor": [1, 5, 20]}, scoring="neg_log_loss", cv=3)
    >>> search = search.fit(data.X, data.y)
    """

    _parameter_constraints: dict[str, Any] = {  # noqa: RUF012
        "estimator": [HasMethods(["fit", "predict"])],
        **SAMPLING_CONSTRAINTS,
        "weights": [StrOptions({"factor", "exact"})],
        "correction": [StrOptions(set(CORRECTIONS))],
    }

    def __init__(
        self,
        estimator: Any,
        *,
        factor: float | Mapping[Label, float] | None = None,
        target_share: float | None = None,
        upweight: float | Mapping[Label, float] | None = None,
        weights: WeightMode = "factor",
        correction: Correction = "upweight",
        method: Method = "exact",
        random_state: RandomStateLike = None,
    ) -> None:
        self.estimator = estimator
        self.factor = factor
        self.target_share = target_share
        self.upweight = upweight
        self.weights = weights
        self.correction = correction
        self.method = method
        self.random_state = random_state

    def _make_plan(self, counts: Mapping[Label, int]) -> SamplingPlan:
        upweighted = correction(self.correction).trains_weighted
        weights: WeightMode = self.weights if upweighted else "none"
        upweight = self.upweight if upweighted else None
        if self.factor is None and self.target_share is None:
            return plan(counts, factor=balanced_factors(counts), upweight=upweight, weights=weights)
        return plan(
            counts,
            factor=self.factor,
            target_share=self.target_share,
            upweight=upweight,
            weights=weights,
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(
        self, X: Any, y: Any, sample_weight: npt.ArrayLike | None = None, **fit_params: Any
    ) -> DownsampledClassifier:
        """Downsample ``X, y`` and fit a clone of the estimator on what is kept.

        Parameters
        ----------
        X : array-like, sparse matrix or data frame of shape (n_samples, n_features)
            Training data, at the true class distribution.
        y : array-like of shape (n_samples,)
            Labels.
        sample_weight : array-like of shape (n_samples,), optional
            Row weights of your own; the kept rows' weights are multiplied by them.
        **fit_params : dict
            Passed to the estimator's ``fit``. Arrays, sparse matrices and frames with one
            row per training row (such as LightGBM's ``init_score``) are subset to the
            kept rows; anything else (such as an ``eval_set``) is passed as it is.

        Returns
        -------
        self : DownsampledClassifier

        Warns
        -----
        OverDownsampleWarning
            When the factor makes a downsampled class smaller than an untouched one, or
            downsamples the smallest class (see :attr:`upweight.SamplingPlan.over_downsampled`);
            the model is still fitted as asked.

        Examples
        --------
        >>> from sklearn.linear_model import LogisticRegression
        >>> from upweight.datasets import make_imbalanced
        >>> from upweight.sklearn import DownsampledClassifier
        >>> data = make_imbalanced(20_000, minority_share=0.02, random_state=0)
        >>> clf = DownsampledClassifier(LogisticRegression(), factor=10, random_state=0)
        >>> clf = clf.fit(data.X, data.y)
        >>> clf.plan_.kept, clf.classes_, type(clf.estimator_).__name__
        ({0: 1958, 1: 417}, array([0, 1]), 'LogisticRegression')
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        y_arr = np.asarray(y)
        if y_arr.ndim == 2 and y_arr.shape[1] > 1:
            raise ValueError(
                "Multilabel and multioutput targets are not supported: y must be 1-D; "
                f"got shape {y_arr.shape}"
            )
        y_arr = column_or_1d(y_arr, warn=True)
        if y_arr.dtype.kind in "fO":
            check_targets(y_arr)  # integer and string labels are classes
        if not (is_classifier(self.estimator) or hasattr(self.estimator, "predict_proba")):
            raise InputError(
                f"estimator must be a classifier (with predict_proba); got "
                f"{type(self.estimator).__name__}, a {_kind(self.estimator)}: pass a "
                "classifier such as LogisticRegression"
            )
        class_weight = getattr(self.estimator, "class_weight", None)
        if class_weight is not None:
            warnings.warn(
                f"{type(self.estimator).__name__}(class_weight={class_weight!r}) weights the "
                "classes again after the downsampling: the corrected probabilities will not "
                "match the real class shares; leave class_weight=None",
                UpweightWarning,
                stacklevel=2,
            )
        trains_weighted = correction(self.correction).trains_weighted
        if trains_weighted and not _accepts_sample_weight(self.estimator):
            raise InputError(
                f"{type(self.estimator).__name__}.fit does not accept sample_weight, which "
                f"correction={self.correction!r} needs; use correction='offset'"
            )
        n = y_arr.shape[0]
        if n_rows(X) != n:
            raise ValueError(f"X has {n_rows(X)} rows but y has {n} labels; they must match")
        if not get_tags(self.estimator).input_tags.allow_nan:
            _check_finite(X)
        user_weight = None
        if sample_weight is not None:
            user_weight = _check_sample_weight(sample_weight, np.empty((n, 1)))

        encoded = encode_labels(y_arr)
        the_plan = self._make_plan(encoded.count_map())
        warn_if_over_downsampled(the_plan)
        selection = select_encoded(
            encoded, the_plan, random_state=self.random_state, method=self.method
        )
        idx = selection.indices

        weight: npt.NDArray[np.float64] | None = None
        if trains_weighted:
            weight = selection.sample_weight
        if user_weight is not None:
            weight = user_weight[idx] if weight is None else weight * user_weight[idx]

        estimator = clone(self.estimator)
        kwargs = {key: _subset_rows(value, idx, n) for key, value in fit_params.items()}
        if weight is not None:
            kwargs.update(_weight_kwargs(estimator, weight))
        estimator.fit(take_rows(X, idx), y_arr[idx], **kwargs)

        classes = estimator.classes_ if hasattr(estimator, "classes_") else np.unique(y_arr)
        if len(classes) != len(the_plan.labels):
            raise ValueError(
                f"the model saw {len(classes)} classes after downsampling but the data "
                f"has {len(the_plan.labels)}"
            )
        # attributes only once everything has succeeded: a failed fit leaves no fitted state
        self.estimator_ = estimator
        self.plan_ = selection.plan
        self.classes_ = classes
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(estimator, attr):
                setattr(self, attr, getattr(estimator, attr))
        return self

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X: Any) -> npt.NDArray[np.float64]:
        """Class probabilities on the true distribution.

        With ``correction="offset"`` the model's probabilities are rescaled by the prior
        ratios ``count / kept``; with ``"upweight"`` and an upweight that differs from the
        factor, by what the weights left of them, ``count / (kept * weight)``. With
        ``"upweight"`` and the default upweight the model already predicts the true
        distribution, and with ``"none"`` the probabilities are the model's own.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_classes)

        Examples
        --------
        Trained without weights (``correction="offset"``), the model's own probabilities follow
        the downsampled data; the corrected ones follow the truth.

        >>> from sklearn.linear_model import LogisticRegression
        >>> from upweight.datasets import make_imbalanced
        >>> from upweight.sklearn import DownsampledClassifier
        >>> data = make_imbalanced(20_000, minority_share=0.02, random_state=0)
        >>> clf = DownsampledClassifier(LogisticRegression(), factor=10, correction="offset",
        ...                             random_state=0).fit(data.X, data.y)
        >>> own = clf.estimator_.predict_proba(data.X)[:, 1]  # the training distribution
        >>> proba = clf.predict_proba(data.X)[:, 1]  # the true distribution
        >>> [round(float(p.mean()), 3) for p in (own, proba)], round(float(data.y.mean()), 3)
        ([0.142, 0.022], 0.021)
        """
        check_is_fitted(self)
        proba = np.asarray(self.estimator_.predict_proba(X), dtype=np.float64)
        if not self._rescales():
            return proba
        return correction(self.correction).to_true(proba, self.plan_, classes=self.classes_)

    @available_if(_inner_has("predict_proba"))
    def predict_log_proba(self, X: Any) -> npt.NDArray[np.float64]:
        """Logarithm of :meth:`predict_proba`.

        Examples
        --------
        >>> from sklearn.linear_model import LogisticRegression
        >>> from upweight.datasets import make_imbalanced
        >>> from upweight.sklearn import DownsampledClassifier
        >>> data = make_imbalanced(20_000, minority_share=0.02, random_state=0)
        >>> import numpy as np
        >>> clf = DownsampledClassifier(LogisticRegression(), factor=10, random_state=0)
        >>> clf = clf.fit(data.X, data.y)
        >>> bool(np.allclose(np.exp(clf.predict_log_proba(data.X)), clf.predict_proba(data.X)))
        True
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X: Any) -> npt.NDArray[np.float64]:
        """Decision values, shifted by the log of the same ratios as :meth:`predict_proba`.

        The shift is exact when the model's decision values are log-odds (logistic
        models); for other models it moves the decision threshold the same way.

        Examples
        --------
        With ``correction="offset"`` the logit moves by ``-ln k``:

        >>> from sklearn.linear_model import LogisticRegression
        >>> from upweight.datasets import make_imbalanced
        >>> from upweight.sklearn import DownsampledClassifier
        >>> data = make_imbalanced(20_000, minority_share=0.02, random_state=0)
        >>> clf = DownsampledClassifier(LogisticRegression(), factor=10, correction="offset",
        ...                             random_state=0).fit(data.X, data.y)
        >>> shift = clf.decision_function(data.X) - clf.estimator_.decision_function(data.X)
        >>> round(float(shift.mean()), 3)  # -ln 10
        -2.303
        """
        check_is_fitted(self)
        decision = np.asarray(self.estimator_.decision_function(X), dtype=np.float64)
        if not self._rescales():
            return decision
        weighted = correction(self.correction).rescales == "residual"
        return correct_decision(decision, plan=self.plan_, classes=self.classes_, weighted=weighted)

    def _rescales(self) -> bool:
        """Whether the model's scores need rescaling to reach the true distribution.

        The correction says (:meth:`upweight._correct.Correction.rescaled`): always with
        ``"offset"``; never with ``"none"``; with ``"upweight"`` only when an upweight
        other than the factor left part of the prior ratio (with the default upweight the
        weights restore the class totals up to rounding, and the model's own ``predict``
        and scores are kept as they are).
        """
        return correction(self.correction).rescaled(self.plan_)

    def predict(self, X: Any) -> Any:
        """Predicted classes: the model's own, or from the rescaled scores if rescaled.

        Examples
        --------
        >>> from sklearn.linear_model import LogisticRegression
        >>> from upweight.datasets import make_imbalanced
        >>> from upweight.sklearn import DownsampledClassifier
        >>> data = make_imbalanced(20_000, minority_share=0.02, random_state=0)
        >>> clf = DownsampledClassifier(LogisticRegression(), factor=10, random_state=0)
        >>> clf = clf.fit(data.X, data.y)
        >>> clf.predict(data.X[:5])
        array([0, 0, 0, 0, 0])
        """
        check_is_fitted(self)
        if not self._rescales():
            return self.estimator_.predict(X)
        if hasattr(self.estimator_, "predict_proba"):
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        if hasattr(self.estimator_, "decision_function"):
            decision = self.decision_function(X)
            if decision.ndim == 1:
                return self.classes_[(decision > 0).astype(int)]
            return self.classes_[np.argmax(decision, axis=1)]
        if correction(self.correction).trains_weighted:
            return self.estimator_.predict(X)  # nothing to rescale: the model's own answer
        raise InputError(
            f"{type(self.estimator_).__name__} has neither predict_proba nor "
            f"decision_function, which correction={self.correction!r} needs; use "
            "correction='upweight'"
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.string = inner.input_tags.string
        tags.input_tags.categorical = inner.input_tags.categorical
        tags.classifier_tags.multi_class = inner.classifier_tags.multi_class
        return tags
