"""The in-memory engine: select rows by a plan and attach its weights."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt

from ._counts import check_two_classes
from ._exceptions import InputError, LabelError
from ._labels import EncodedLabels, encode_labels
from ._plan import SamplingPlan, resolve_plan, warn_if_over_downsampled
from ._random import resolve_seed
from ._rows import n_rows, take_rows
from ._selection import select_rows
from ._types import Label, Method, RandomStateLike, WeightMode
from ._validation import check_method, check_weight_col

__all__ = ["Selection", "downsample", "downsample_frame", "select"]


@dataclass(frozen=True)
class Selection:
    """What an engine decided: the kept rows, their weights, and the plan as applied.

    Attributes
    ----------
    indices : numpy.ndarray of int
        Positions of the kept rows, in input order.
    sample_weight : numpy.ndarray of float
        Weight of each kept row.
    plan : SamplingPlan
        The plan as applied (rows actually kept, method, seed).

    Examples
    --------
    :func:`select` returns one; take the rows and pass the weights to the model.

    >>> import numpy as np, upweight
    >>> X, y = np.arange(10.0).reshape(-1, 1), np.array(["legit"] * 8 + ["fraud"] * 2)
    >>> sel = upweight.select(y, factor=4, random_state=0)
    >>> sel.indices, sel.sample_weight
    (array([2, 4, 8, 9]), array([4., 4., 1., 1.]))
    >>> X_kept, y_kept = X[sel.indices], y[sel.indices]
    >>> sel.plan  # doctest: +NORMALIZE_WHITESPACE
    SamplingPlan({'fraud': 2 -> 2 x 1, 'legit': 8 -> 2 x 4}, weight_mode='factor',
                 method='exact', seed=0)
    """

    indices: npt.NDArray[np.intp]
    sample_weight: npt.NDArray[np.float64]
    plan: SamplingPlan


def select(
    y: Any,
    *,
    plan: SamplingPlan | None = None,
    factor: float | Mapping[Label, float] | None = None,
    target_share: float | None = None,
    upweight: float | Mapping[Label, float] | None = None,
    weights: WeightMode = "factor",
    random_state: RandomStateLike = None,
    method: Method = "exact",
) -> Selection:
    """Decide which rows to keep and what they weigh, from the labels alone.

    The building block of every in-memory path: :func:`downsample`,
    :func:`downsample_frame` and the scikit-learn estimators call it and then take the
    rows. Use it directly to downsample data that lives elsewhere (memory-mapped arrays,
    several aligned arrays).

    Parameters
    ----------
    y : array-like
        Labels.
    plan, factor, target_share, upweight, weights, random_state, method
        As in :func:`downsample`.

    Returns
    -------
    Selection
        Kept row positions (in input order), their weights, and the plan as applied.

    Warns
    -----
    OverDownsampleWarning
        When the plan makes a downsampled class smaller than an untouched one, or
        downsamples the smallest class (see :attr:`SamplingPlan.over_downsampled`); the
        rows are still selected as asked.

    Examples
    --------
    >>> import numpy as np, upweight
    >>> y = np.array([0] * 1000 + [1] * 10)
    >>> sel = upweight.select(y, factor=10, random_state=0)
    >>> len(sel.indices), sel.plan.kept, float(sel.sample_weight.sum())
    (110, {0: 100, 1: 10}, 1010.0)
    """
    encoded = encode_labels(y)
    check_two_classes(encoded.count_map())
    the_plan = resolve_plan(
        encoded.count_map(),
        plan=plan,
        factor=factor,
        target_share=target_share,
        upweight=upweight,
        weights=weights,
    )
    warn_if_over_downsampled(the_plan)
    return select_encoded(encoded, the_plan, random_state=random_state, method=method)


def select_encoded(
    encoded: EncodedLabels,
    the_plan: SamplingPlan,
    *,
    random_state: RandomStateLike,
    method: Method,
) -> Selection:
    """:func:`select` for labels already encoded, with a plan checked against them."""
    method = check_method(method)
    seed = resolve_seed(random_state)
    codes = encoded.codes
    if tuple(encoded.classes) != the_plan.labels:
        position = {label: i for i, label in enumerate(the_plan.labels)}
        to_plan = np.array([position[c] for c in encoded.classes], dtype=codes.dtype)
        codes = to_plan[codes]
    indices = select_rows(
        codes,
        the_plan.keep_rate_array(),
        the_plan.kept_array(),
        method=method,
        seed=seed,
    )
    kept_codes = codes[indices]
    kept = np.bincount(kept_codes, minlength=len(the_plan.labels))
    applied = the_plan.applied(
        dict(zip(the_plan.labels, kept.tolist(), strict=True)), method=method, seed=seed
    )
    sample_weight = applied.weight_array()[kept_codes]
    return Selection(indices=indices, sample_weight=sample_weight, plan=applied)


@overload
def downsample(
    X: Any,
    y: Any,
    *,
    factor: float | Mapping[Label, float] | None = ...,
    target_share: float | None = ...,
    upweight: float | Mapping[Label, float] | None = ...,
    weights: WeightMode = ...,
    plan: SamplingPlan | None = ...,
    random_state: RandomStateLike = ...,
    method: Method = ...,
    return_plan: Literal[False] = ...,
) -> tuple[Any, Any, npt.NDArray[np.float64]]: ...


@overload
def downsample(
    X: Any,
    y: Any,
    *,
    factor: float | Mapping[Label, float] | None = ...,
    target_share: float | None = ...,
    upweight: float | Mapping[Label, float] | None = ...,
    weights: WeightMode = ...,
    plan: SamplingPlan | None = ...,
    random_state: RandomStateLike = ...,
    method: Method = ...,
    return_plan: Literal[True],
) -> tuple[Any, Any, npt.NDArray[np.float64], SamplingPlan]: ...


def downsample(
    X: Any,
    y: Any,
    *,
    factor: float | Mapping[Label, float] | None = None,
    target_share: float | None = None,
    upweight: float | Mapping[Label, float] | None = None,
    weights: WeightMode = "factor",
    plan: SamplingPlan | None = None,
    random_state: RandomStateLike = None,
    method: Method = "exact",
    return_plan: bool = False,
) -> (
    tuple[Any, Any, npt.NDArray[np.float64]]
    | tuple[Any, Any, npt.NDArray[np.float64], SamplingPlan]
):
    """Downsample the majority class and return the kept rows with their weights.

    Parameters
    ----------
    X : array-like, sparse matrix or data frame
        Features: a NumPy array, a SciPy sparse matrix, a list, or a pandas / polars /
        pyarrow table. Comes back as the same type.
    y : array-like
        Labels, one per row of ``X``. Comes back as the same type.
    factor : float or dict, optional
        Keep one in *k* majority rows (a dict: per class). See :func:`upweight.plan`.
    target_share : float, optional
        Instead of ``factor``: the minority share wanted after downsampling.
    upweight : float or dict, optional
        Weight of the kept rows of the downsampled class, if not the factor.
    weights : {"factor", "exact", "none"}, default="factor"
        Weight mode, see :func:`upweight.plan`.
    plan : SamplingPlan, optional
        A ready plan (made from these labels) instead of the arguments above.
    random_state : None, int or numpy.random.Generator
        Seed. The same seed gives the same rows (see Notes).
    method : {"exact", "bernoulli"}, default="exact"
        ``"exact"`` keeps exactly ``round(N_c / k)`` rows of each class, drawn without
        replacement; ``"bernoulli"`` keeps each row independently with probability
        ``1 / k`` (the streamable form the file and Spark engines use).
    return_plan : bool, default=False
        Also return the plan as applied (rows actually kept, method, seed); pass it to
        :func:`upweight.correct_proba` or keep it with the model.

    Returns
    -------
    X_sampled : same type as ``X``
        The kept rows, in their original order.
    y_sampled : same type as ``y``
        Their labels.
    sample_weight : numpy.ndarray of float
        Their weights, to pass to the model's ``fit(..., sample_weight=...)``.
    plan : SamplingPlan
        Only with ``return_plan=True``.

    Raises
    ------
    LabelError
        Missing labels, a single class, mixed label types.
    PlanError
        Invalid factor, target share, upweight, or a plan made for other labels.
    InputError
        ``X`` and ``y`` of different lengths, or an unsupported container.

    Warns
    -----
    OverDownsampleWarning
        When the plan makes a downsampled class smaller than an untouched one, or
        downsamples the smallest class (see :attr:`SamplingPlan.over_downsampled`); the
        rows are still selected as asked.

    Notes
    -----
    Selection is a function of each row's position and the seed, so two runs with the
    same seed keep the same rows, and a larger factor keeps a subset of the rows a smaller
    one keeps (see the module ``upweight._selection`` for the scheme).

    Examples
    --------
    >>> import numpy as np, upweight
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(10_000, 3))
    >>> y = (rng.random(10_000) < 0.01).astype(int)
    >>> X_s, y_s, w = upweight.downsample(X, y, factor=25, random_state=0)
    >>> X_s.shape, int(y_s.sum()) == int(y.sum())
    ((495, 3), True)
    >>> sorted(set(w.tolist()))
    [1.0, 25.0]
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = LogisticRegression().fit(X_s, y_s, sample_weight=w)
    """
    rows = n_rows(X)
    labels = n_rows(y, name="y")
    if rows != labels:
        raise InputError(f"X has {rows} rows but y has {labels} labels; they must match")
    selection = select(
        y,
        plan=plan,
        factor=factor,
        target_share=target_share,
        upweight=upweight,
        weights=weights,
        random_state=random_state,
        method=method,
    )
    X_s = take_rows(X, selection.indices)
    y_s = take_rows(y, selection.indices)
    if return_plan:
        return X_s, y_s, selection.sample_weight, selection.plan
    return X_s, y_s, selection.sample_weight


def _as_frame(df: Any) -> Any:
    import narwhals as nw

    try:
        frame = nw.from_native(df, pass_through=True)
    except nw.exceptions.DuplicateError:
        names = [str(c) for c in getattr(df, "column_names", None) or list(df.columns)]
        repeated = sorted({c for c in names if names.count(c) > 1})
        raise InputError(
            f"the frame has duplicate column names ({', '.join(repeated)}); rename them first"
        ) from None
    if isinstance(frame, nw.LazyFrame):
        raise InputError(
            f"{type(df).__name__} is a lazy frame; collect it first, "
            "or use `upweight sample` for files larger than memory"
        )
    if not isinstance(frame, nw.DataFrame):
        raise InputError(
            "downsample_frame needs a pandas, polars or pyarrow data frame; "
            f"got {type(df).__name__} (use upweight.downsample for arrays)"
        )
    return frame


@overload
def downsample_frame(
    df: Any,
    *,
    label: str,
    factor: float | Mapping[Label, float] | None = ...,
    target_share: float | None = ...,
    upweight: float | Mapping[Label, float] | None = ...,
    weights: WeightMode = ...,
    plan: SamplingPlan | None = ...,
    weight_col: str = ...,
    random_state: RandomStateLike = ...,
    method: Method = ...,
    return_plan: Literal[False] = ...,
) -> Any: ...


@overload
def downsample_frame(
    df: Any,
    *,
    label: str,
    factor: float | Mapping[Label, float] | None = ...,
    target_share: float | None = ...,
    upweight: float | Mapping[Label, float] | None = ...,
    weights: WeightMode = ...,
    plan: SamplingPlan | None = ...,
    weight_col: str = ...,
    random_state: RandomStateLike = ...,
    method: Method = ...,
    return_plan: Literal[True],
) -> tuple[Any, SamplingPlan]: ...


def downsample_frame(
    df: Any,
    *,
    label: str,
    factor: float | Mapping[Label, float] | None = None,
    target_share: float | None = None,
    upweight: float | Mapping[Label, float] | None = None,
    weights: WeightMode = "factor",
    plan: SamplingPlan | None = None,
    weight_col: str = "weight",
    random_state: RandomStateLike = None,
    method: Method = "exact",
    return_plan: bool = False,
) -> Any | tuple[Any, SamplingPlan]:
    """Downsample a data frame by its label column and add a weight column.

    Parameters
    ----------
    df : pandas.DataFrame, polars.DataFrame or pyarrow.Table
        The data, label column included. Comes back as the same type, rows in their
        original order (a pandas index is kept).
    label : str
        Name of the label column.
    factor, target_share, upweight, weights, plan, random_state, method
        As in :func:`downsample`.
    weight_col : str, default="weight"
        Name of the weight column to add; it must not exist yet.
    return_plan : bool, default=False
        Also return the plan as applied.

    Returns
    -------
    frame : same type as ``df``
        The kept rows with the weight column last.
    plan : SamplingPlan
        Only with ``return_plan=True``.

    Raises
    ------
    LabelError
        The label column is missing, holds missing values or a single class.
    InputError
        ``df`` is not an eager data frame, or ``weight_col`` exists already.
    PlanError
        Invalid factor, target share or plan.

    Warns
    -----
    OverDownsampleWarning
        When the plan makes a downsampled class smaller than an untouched one, or
        downsamples the smallest class (see :attr:`SamplingPlan.over_downsampled`); the
        rows are still selected as asked.

    Examples
    --------
    >>> import pyarrow as pa, upweight
    >>> table = pa.table({"amount": list(range(1000)), "fraud": [0] * 990 + [1] * 10})
    >>> out = upweight.downsample_frame(table, label="fraud", factor=11, random_state=0)
    >>> out.num_rows, out.column_names
    (100, ['amount', 'fraud', 'weight'])
    """
    import narwhals as nw

    frame = _as_frame(df)
    columns = list(frame.columns)
    if label not in columns:
        raise LabelError(
            f"label column {label!r} not found; columns are: {', '.join(map(str, columns))}"
        )
    check_weight_col(weight_col, columns)
    what = f"label column {label!r}"
    encoded = encode_labels(frame.get_column(label).to_native(), name=what)
    check_two_classes(encoded.count_map(), what)
    the_plan = resolve_plan(
        encoded.count_map(),
        plan=plan,
        factor=factor,
        target_share=target_share,
        upweight=upweight,
        weights=weights,
    )
    warn_if_over_downsampled(the_plan)
    selection = select_encoded(encoded, the_plan, random_state=random_state, method=method)
    kept = frame[selection.indices]
    weight = nw.new_series(
        weight_col,
        selection.sample_weight,
        nw.Float64(),
        backend=nw.get_native_namespace(frame),
    )
    out = kept.with_columns(weight).to_native()
    if return_plan:
        return out, selection.plan
    return out
