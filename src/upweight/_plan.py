"""SamplingPlan: the one place the downsampling and upweighting math lives.

Engines (in-memory arrays and frames, and later files, Spark and PyTorch) only select rows
by a plan and attach its weights; corrections read the plan's prior ratios. Nothing else
derives keep rates or weights.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from . import _plan_json as saved
from ._counts import as_counts, round_half_up
from ._display import fmt_factor, plan_html, plan_repr
from ._exceptions import OverDownsampleWarning, PlanError, UpweightError, outside_stacklevel
from ._labels import python_label
from ._profile import ImbalanceProfile, class_name, profile
from ._random import check_seed
from ._types import METHODS, WEIGHT_MODES, Label, Method, WeightMode
from ._validation import (
    check_choice,
    check_factor,
    check_method,
    check_upweight,
    is_number,
)

__all__ = [
    "ClassPlan",
    "SamplingPlan",
    "check_factor",
    "keep_rate_ceiling",
    "plan",
    "resolve_plan",
    "towards_smallest",
    "warn_if_over_downsampled",
]

#: The largest weighted total of all kept rows: float64 counts whole numbers up to 2**53.
#: Natural weights (the factor, or rows before / rows kept) sum to about the rows before.
MAX_WEIGHTED_TOTAL = float(2**53)


@dataclass(frozen=True)
class ClassPlan:
    """The plan for one class.

    Attributes
    ----------
    label : int, str or bool
        The class.
    count : int
        Rows of the class in the original data (``N_c``).
    factor : float
        Downsampling factor ``k_c``: keep one in ``k_c`` rows (1 = untouched).
    kept : int
        Rows kept: ``round(N_c / k_c)`` when planned; the number actually kept once an
        engine has applied the plan.
    weight : float
        The weight each kept row carries in training.

    Examples
    --------
    Downsampled by 25 but upweighted by only 5, the weights leave 25 / 5 of the prior ratio:

    >>> import upweight
    >>> c = upweight.plan({0: 9_900, 1: 100}, factor=25, upweight=5)[0]
    >>> c.kept, c.keep_rate, c.downsampled, c.prior_ratio, c.residual_ratio
    (396, 0.04, True, 25.0, 5.0)
    """

    label: Label
    count: int
    factor: float
    kept: int
    weight: float

    @property
    def keep_rate(self) -> float:
        """Probability that a row of the class is kept: ``1 / factor``."""
        return 1.0 / self.factor

    @property
    def downsampled(self) -> bool:
        """Whether the class loses rows (``factor > 1``)."""
        return self.factor > 1.0

    @property
    def prior_ratio(self) -> float:
        """``count / kept``: how much rarer the class is in training than in truth."""
        return self.count / self.kept if self.kept else math.inf

    @property
    def residual_ratio(self) -> float:
        """``count / (kept * weight)``: what the weights leave of the prior ratio.

        1 when the weights restore the class's total exactly; the prior ratio when every
        row weighs 1.
        """
        return self.count / (self.kept * self.weight) if self.kept else math.inf

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, for JSON.

        Examples
        --------
        >>> import upweight
        >>> upweight.plan({0: 9_900, 1: 100}, factor=25)[0].to_dict()
        {'label': 0, 'count': 9900, 'factor': 25.0, 'keep_rate': 0.04, 'kept': 396, 'weight': 25.0}
        """
        return {
            "label": self.label,
            "count": self.count,
            "factor": self.factor,
            "keep_rate": self.keep_rate,
            "kept": self.kept,
            "weight": self.weight,
        }


def _check_planned(c: ClassPlan, weight_mode: str) -> None:
    """A plan not yet applied must hold what plan() would compute from its counts."""
    if not (c.factor >= 1.0 and math.isfinite(c.factor)):
        return  # reported below
    expected = round_half_up(c.count / c.factor)
    if c.kept != expected:
        raise PlanError(
            f"class {c.label!r}: kept ({c.kept}) does not match count / factor "
            f"({c.count} / {c.factor:g} rounds to {expected}); make plans with upweight.plan"
        )
    if weight_mode == "none" and c.weight != 1.0:
        raise PlanError(f"class {c.label!r}: weight mode 'none' needs weight 1; got {c.weight}")
    if weight_mode == "exact" and not math.isclose(c.weight * c.kept, c.count, rel_tol=1e-9):
        raise PlanError(
            f"class {c.label!r}: weight mode 'exact' needs weight count / kept "
            f"({c.count} / {c.kept}); got {c.weight}"
        )


@dataclass(frozen=True)
class SamplingPlan(saved.PlanJSON):
    """How each class is downsampled and weighted; frozen and JSON-serialisable.

    Make one with :func:`upweight.plan`. Engines apply it (:func:`upweight.downsample`,
    :func:`upweight.downsample_frame`, :class:`upweight.sklearn.DownsampleUpweight`) and
    return the plan they applied, which records the rows actually kept, the method and the
    seed, so its predictions can be corrected and the run repeated: pass it back with
    ``random_state=plan.seed, method=plan.method`` for the same rows (a plan given
    without them draws afresh, as every fit of a new epoch or fold should).

    Attributes
    ----------
    classes : tuple of ClassPlan
        One entry per class, sorted by label.
    weight_mode : {"factor", "exact", "none"}
        How the weights were set (see :func:`upweight.plan`).
    method : {"exact", "bernoulli"} or None
        How rows were drawn, once applied.
    seed : int or None
        The seed of the run that applied the plan.

    Examples
    --------
    >>> import upweight
    >>> p = upweight.plan({0: 9_900, 1: 100}, factor=25)
    >>> p.class_weights
    {0: 25.0, 1: 1.0}
    >>> p.kept, p.prior_ratios, p.residual_ratios
    ({0: 396, 1: 100}, {0: 25.0, 1: 1.0}, {0: 1.0, 1: 1.0})
    >>> upweight.SamplingPlan.from_json(p.to_json()) == p
    True
    """

    classes: tuple[ClassPlan, ...]
    weight_mode: WeightMode = "factor"
    method: Method | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if len(self.classes) < 2:
            raise PlanError("a sampling plan needs at least two classes")
        kinds: set[type] = {type(c.label) if isinstance(c.label, bool | str) else int for c in self}
        try:
            ordered = tuple(sorted(self.classes, key=lambda c: c.label))
        except TypeError:
            kinds.add(type(None))
        if len(kinds) > 1:  # (True and 0 sort, but a label column holds one type)
            found = [c.label for c in self.classes]
            raise PlanError(f"the class labels of a sampling plan must be of one type; got {found}")
        object.__setattr__(self, "classes", ordered)
        labels = [c.label for c in self.classes]
        if len(set(labels)) != len(labels):
            raise PlanError(f"a sampling plan lists a class twice: {labels}")
        if self.weight_mode not in WEIGHT_MODES:
            raise PlanError(
                f"weight mode must be one of {', '.join(WEIGHT_MODES)}; got {self.weight_mode!r}"
            )
        if self.method is not None and self.method not in METHODS:
            raise PlanError(f"method must be one of {', '.join(METHODS)}; got {self.method!r}")
        if (self.method is None) != (self.seed is None):
            raise PlanError(
                "an applied plan records both its method and its seed, a plan not yet applied "
                f"neither; got method {self.method!r} and seed {self.seed!r}"
            )
        try:
            if self.seed is not None:
                check_seed(self.seed)
        except UpweightError as exc:
            raise PlanError(f"the plan's {exc}") from None
        for c in self.classes:
            if self.method is None:
                _check_planned(c, self.weight_mode)
            if c.count < 1 or c.kept < 0 or c.kept > c.count:
                raise PlanError(
                    f"class {c.label!r}: kept ({c.kept}) must be between 0 and count ({c.count})"
                )
            if c.factor < 1.0 or not math.isfinite(c.factor):
                raise PlanError(f"class {c.label!r}: factor must be >= 1; got {c.factor}")
            if not (c.weight > 0 and math.isfinite(c.weight)):
                raise PlanError(f"class {c.label!r}: weight must be positive; got {c.weight}")
        heaviest = max(self.classes, key=lambda c: c.kept * c.weight)
        if sum(c.kept * c.weight for c in self.classes) > MAX_WEIGHTED_TOTAL:
            raise PlanError(
                f"weights too large: the {heaviest.kept:,} kept rows of class "
                f"{heaviest.label!r} weigh {heaviest.weight:g} each, a weighted total beyond "
                "2**53, where float64 stops counting whole rows; use a smaller upweight"
            )

    def __repr__(self) -> str:
        return plan_repr(self)

    def _repr_html_(self) -> str:
        return plan_html(self)

    # -- lookups -----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.classes)

    def __iter__(self) -> Iterator[ClassPlan]:
        return iter(self.classes)

    def __getitem__(self, label: Label) -> ClassPlan:
        for c in self.classes:
            if c.label == label:
                return c
        raise KeyError(label)

    @property
    def labels(self) -> tuple[Label, ...]:
        """Class labels, sorted (the column order of ``predict_proba``)."""
        return tuple(c.label for c in self.classes)

    @property
    def counts(self) -> dict[Label, int]:
        """Class -> rows in the original data."""
        return {c.label: c.count for c in self.classes}

    @property
    def factors(self) -> dict[Label, float]:
        """Class -> downsampling factor."""
        return {c.label: c.factor for c in self.classes}

    @property
    def keep_rates(self) -> dict[Label, float]:
        """Class -> keep rate (``1 / factor``)."""
        return {c.label: c.keep_rate for c in self.classes}

    @property
    def kept(self) -> dict[Label, int]:
        """Class -> rows kept (planned, or actual once applied)."""
        return {c.label: c.kept for c in self.classes}

    @property
    def class_weights(self) -> dict[Label, float]:
        """Class -> weight of each kept row (usable as a scikit-learn ``class_weight``)."""
        return {c.label: c.weight for c in self.classes}

    @property
    def prior_ratios(self) -> dict[Label, float]:
        """Class -> ``count / kept``, the factor by which the offset correction rescales."""
        return {c.label: c.prior_ratio for c in self.classes}

    @property
    def residual_ratios(self) -> dict[Label, float]:
        """Class -> ``count / (kept * weight)``: what a model trained with the weights needs.

        1 for exact weights; about 1 for ``factor`` weights equal to the factor; more or
        less than 1 when the upweight differs from the factor.
        """
        return {c.label: c.residual_ratio for c in self.classes}

    @property
    def n_rows(self) -> int:
        """Rows in the original data."""
        return sum(c.count for c in self.classes)

    @property
    def n_kept(self) -> int:
        """Rows kept."""
        return sum(c.kept for c in self.classes)

    @property
    def majority(self) -> Label:
        """The largest class of the original data."""
        best = max(range(len(self.classes)), key=lambda i: (self.classes[i].count, -i))
        return self.classes[best].label

    @property
    def downsampled(self) -> tuple[Label, ...]:
        """The classes that lose rows."""
        return tuple(c.label for c in self.classes if c.downsampled)

    @property
    def training_shares(self) -> dict[Label, float]:
        """Class -> share of the kept rows (the class prior the model will see)."""
        total = self.n_kept
        return {c.label: c.kept / total for c in self.classes}

    @property
    def weighted_totals(self) -> dict[Label, float]:
        """Class -> ``kept * weight``: each class's total weight in training."""
        return {c.label: c.kept * c.weight for c in self.classes}

    def weight_array(self) -> npt.NDArray[np.float64]:
        """Weights in the order of :attr:`labels`.

        Examples
        --------
        >>> import upweight
        >>> upweight.plan({0: 9_900, 1: 100}, factor=25).weight_array()
        array([25.,  1.])
        """
        return np.array([c.weight for c in self.classes], dtype=np.float64)

    def keep_rate_array(self) -> npt.NDArray[np.float64]:
        """Keep rates in the order of :attr:`labels`.

        Examples
        --------
        >>> import upweight
        >>> upweight.plan({0: 9_900, 1: 100}, factor=25).keep_rate_array()
        array([0.04, 1.  ])
        """
        return np.array([c.keep_rate for c in self.classes], dtype=np.float64)

    def kept_array(self) -> npt.NDArray[np.int64]:
        """Rows kept in the order of :attr:`labels`.

        Examples
        --------
        >>> import upweight
        >>> upweight.plan({0: 9_900, 1: 100}, factor=25).kept_array()
        array([396, 100])
        """
        return np.array([c.kept for c in self.classes], dtype=np.int64)

    @property
    def over_downsampled(self) -> str | None:
        """What in this plan downsamples too far, in one line; ``None`` when nothing does.

        Too far: a downsampled class (factor > 1) keeps fewer rows than a class left
        untouched (factor 1) has, or the smallest class of the data is downsampled. The
        line names each such class, its rows kept against the untouched class's, and the
        fix. Decided from the counts and factors (the rows planned), so a plan gives the
        same answer before and after an engine applies it. The engines warn with it
        (:class:`upweight.OverDownsampleWarning`).

        Examples
        --------
        >>> import upweight
        >>> counts = {"fraud": 100, "legit": 900}
        >>> upweight.plan(counts, factor=9).over_downsampled is None
        True
        >>> p = upweight.plan(counts, factor=150)
        >>> print(p.over_downsampled)  # doctest: +NORMALIZE_WHITESPACE
        factor 150 keeps 6 rows of 'legit', fewer than the 100 of untouched 'fraud';
        factor <= 9 keeps 'legit' at least as large as 'fraud'
        >>> p = upweight.plan(counts, factor={"fraud": 5})
        >>> print(p.over_downsampled)  # doctest: +NORMALIZE_WHITESPACE
        factor 5 downsamples the smallest class, 'fraud': 20 of its 100 rows kept, against
        the 900 of untouched 'legit'; leave 'fraud' out of --factor / factor=
        """
        untouched = [c for c in self.classes if not c.downsampled]
        top = max(untouched, key=lambda c: c.count) if untouched else None
        smallest = min(c.count for c in self.classes)
        problems = [_too_far(c, top, smallest) for c in self.classes if c.downsampled]
        return "; ".join(p for p in problems if p) or None

    def kept_profile(self, *, batch_size: int | None = None) -> ImbalanceProfile:
        """The profile of the rows kept (the balance training sees), as :func:`profile`.

        It knows the majority before downsampling, so a plan that makes it the smallest
        class reads as inverted (:attr:`ImbalanceProfile.inverted`).

        Examples
        --------
        >>> import upweight
        >>> upweight.plan({"fraud": 100, "legit": 900}, factor=150).kept_profile().severity_text
        "moderate (inverted: 'legit', the majority before downsampling, is now the smallest class)"
        """
        return profile(self.kept, batch_size=batch_size, majority_before=self.majority)

    # -- applying ------------------------------------------------------------------------
    def applied(self, kept: Mapping[Label, int], *, method: Method, seed: int) -> SamplingPlan:
        """The plan as an engine applied it: actual rows kept, method and seed.

        In the ``"exact"`` weight mode the weights become ``count / kept`` of the rows
        actually kept, so the weighted class totals equal the original counts; in the
        other modes the weights do not depend on what was drawn.

        Parameters
        ----------
        kept : mapping
            Class -> rows the engine kept.
        method : {"exact", "bernoulli"}
            How rows were drawn.
        seed : int
            The run's seed.

        Returns
        -------
        SamplingPlan

        Examples
        --------
        >>> import upweight
        >>> p = upweight.plan({0: 9_900, 1: 100}, factor=25, weights="exact")
        >>> p.applied({0: 400, 1: 100}, method="bernoulli", seed=7).class_weights
        {0: 24.75, 1: 1.0}
        """
        classes = []
        for c in self.classes:
            n = int(kept.get(c.label, 0))
            if n == 0:
                raise PlanError(
                    f"no row of class {c.label!r} was kept (it has {c.count} rows, keep rate "
                    f"{c.keep_rate:.3g}); use a smaller factor or method='exact'"
                )
            weight = c.count / n if self.weight_mode == "exact" else c.weight
            classes.append(replace(c, kept=n, weight=weight))
        return replace(self, classes=tuple(classes), method=method, seed=int(seed))

    # -- serialisation: the methods are PlanJSON's (_plan_json.py); this builds the plan --
    @classmethod
    def _from_fields(
        cls, classes: list[dict[str, Any]], weight_mode: str, method: Any, seed: Any
    ) -> SamplingPlan:
        return cls(
            classes=tuple(ClassPlan(**fields) for fields in classes),
            weight_mode=cast(WeightMode, check_choice(weight_mode, WEIGHT_MODES, "weight_mode")),
            method=None if method is None else check_method(method),
            seed=seed,
        )


def _resolve_factors(
    counts: Mapping[Label, int],
    *,
    factor: Any,
    target_share: Any,
    majority: Any,
) -> tuple[dict[Label, float], tuple[Label, ...]]:
    """Per-class factors, and the classes the factor was aimed at."""
    if factor is not None and target_share is not None:
        raise PlanError("give factor or target_share, not both")
    if factor is None and target_share is None:
        raise PlanError(
            "give a factor (e.g. factor=25 keeps one in 25 majority rows) "
            "or a target_share (e.g. target_share=0.2)"
        )

    if isinstance(factor, Mapping):
        if majority is not None:
            raise PlanError(
                "majority applies to a single factor or a target_share; "
                "a factor dict names its classes itself"
            )
        factors = {c: 1.0 for c in counts}
        named: set[Label] = set()
        for key, value in factor.items():
            label = python_label(key)
            if label not in counts:
                raise PlanError(
                    f"factor names class {label!r}, which is not in the labels; "
                    f"classes are {list(counts)}"
                )
            if label in named:
                raise PlanError(f"factor names class {label!r} twice; give it once")
            named.add(label)
            factors[label] = check_factor(value, what=f"factor for class {label!r}")
        # a single upweight applies to the classes the dict actually downsamples
        return factors, tuple(c for c in named if factors[c] > 1.0)

    if majority is None:
        major = max(counts, key=lambda c: counts[c])
    else:
        major = python_label(majority)
        if major not in counts:
            raise PlanError(
                f"majority class {major!r} is not in the labels; classes are {list(counts)}"
            )

    if factor is not None:
        k = check_factor(factor)
    else:
        if not is_number(target_share) or not 0.0 < float(target_share) < 1.0:
            raise PlanError(
                f"target_share must be a number strictly between 0 and 1; got {target_share!r}"
            )
        share = float(target_share)
        n_major = counts[major]
        n_rest = sum(counts.values()) - n_major
        current = n_rest / (n_rest + n_major)
        if share < current and not math.isclose(share, current, rel_tol=1e-12):
            raise PlanError(
                f"target_share {share:g} is below the current minority share {current:.4g}; "
                f"downsampling can only raise it: use a target_share >= {current:.4g}"
            )
        k = max(1.0, n_major * share / (n_rest * (1.0 - share)))
        if k > n_major:
            highest = n_rest / (n_rest + 1)
            raise PlanError(
                f"target_share {share:g} would keep less than one row of class {major!r}; "
                f"the highest reachable share is {highest:.6g}"
            )

    factors = {c: 1.0 for c in counts}
    factors[major] = k
    return factors, (major,)


def plan(
    y_or_counts: Any,
    *,
    factor: float | Mapping[Label, float] | None = None,
    target_share: float | None = None,
    upweight: float | Mapping[Label, float] | None = None,
    weights: WeightMode = "factor",
    majority: Label | None = None,
) -> SamplingPlan:
    """Make a sampling plan: how much to downsample each class and how to weight it.

    Parameters
    ----------
    y_or_counts : array-like, mapping or ImbalanceProfile
        Labels, a mapping class -> count, or a profile.
    factor : float or dict, optional
        Downsampling factor *k*: keep one in *k* rows. A number applies to the majority
        class (the others keep every row); a dict maps classes to factors (multi-class).
        Factor 1 is the identity; a factor may not exceed the rows of its class.
    target_share : float, optional
        Instead of ``factor``: the share the minority classes should have after the
        majority class is downsampled. 99 : 1 data with ``target_share=0.2`` gives
        k = 24.75, the course's 80 % / 20 % example.
    upweight : float or dict, optional
        Weight for the kept rows of the classes the factor downsamples (a single factor:
        the majority class), when it should differ from the factor; or a dict class ->
        weight. Only with ``weights="factor"``.
    weights : {"factor", "exact", "none"}, default="factor"
        ``"factor"``: kept rows of a downsampled class weigh ``upweight`` (by default
        *k*), so weighted class totals are unbiased (with ``method="exact"`` they are off
        by the rounding of N / k, at most k / 2 rows' worth); ``"exact"``: they weigh
        ``N_c / n_c``, rows before over rows kept, so weighted totals equal the original
        counts exactly; ``"none"``: every row weighs 1 (use with the offset correction).
    majority : label, optional
        The class a single ``factor`` or ``target_share`` applies to; by default the
        largest class.

    Returns
    -------
    SamplingPlan

    Raises
    ------
    PlanError
        A factor below 1 or not a number, a class that is not in the labels, a target
        share outside (0, 1) or below the current minority share, a factor that would leave
        a class empty, ``upweight`` with a weight mode other than ``"factor"``.
    LabelError
        Labels that cannot be used (a single class, missing values).

    Examples
    --------
    The course's example: 99 % / 1 %, majority downsampled by 25 and upweighted by 25.

    >>> import upweight
    >>> p = upweight.plan({0: 99_000, 1: 1_000}, factor=25)
    >>> p.kept, p.class_weights
    ({0: 3960, 1: 1000}, {0: 25.0, 1: 1.0})
    >>> round(p.training_shares[1], 3)
    0.202

    Ask for the share instead of the factor:

    >>> round(upweight.plan({0: 99_000, 1: 1_000}, target_share=0.2)[0].factor, 2)
    24.75

    Multi-class, with exact weights:

    >>> p = upweight.plan({"a": 5_000, "b": 3_000, "c": 50}, factor={"a": 10, "b": 4},
    ...                   weights="exact")
    >>> p.weighted_totals
    {'a': 5000.0, 'b': 3000.0, 'c': 50.0}
    """
    counts = as_counts(y_or_counts)
    if weights not in WEIGHT_MODES:
        raise PlanError(f"weights must be one of {', '.join(WEIGHT_MODES)}; got {weights!r}")
    factors, targeted = _resolve_factors(
        counts, factor=factor, target_share=target_share, majority=majority
    )

    upweights: dict[Label, float] = {}
    if upweight is not None:
        if weights != "factor":
            raise PlanError(
                f"upweight sets the weights of weights='factor'; it cannot be combined with "
                f"weights={weights!r}"
            )
        if isinstance(upweight, Mapping):
            for key, value in upweight.items():
                label = python_label(key)
                if label not in counts:
                    raise PlanError(
                        f"upweight names class {label!r}, which is not in the labels; "
                        f"classes are {list(counts)}"
                    )
                upweights[label] = check_upweight(value, what=f"upweight for class {label!r}")
        else:
            value = check_upweight(upweight)
            upweights = dict.fromkeys(targeted, value)

    classes = []
    for label, count in counts.items():
        k = factors[label]
        if count / k < 1.0:
            raise PlanError(
                f"factor {k:g} is larger than the {count} rows of class {label!r}: it would "
                f"keep less than one row; use a factor of at most {count}"
            )
        kept = round_half_up(count / k)
        if weights == "none":
            weight = 1.0
        elif weights == "exact":
            weight = count / kept
        else:
            weight = upweights.get(label, k)
        classes.append(ClassPlan(label=label, count=count, factor=k, kept=kept, weight=weight))
    return SamplingPlan(classes=tuple(classes), weight_mode=weights)


def resolve_plan(
    counts: Mapping[Label, int],
    *,
    plan: SamplingPlan | None,
    factor: float | Mapping[Label, float] | None,
    target_share: float | None,
    upweight: float | Mapping[Label, float] | None,
    weights: WeightMode,
) -> SamplingPlan:
    """The plan to apply: ``plan`` checked against the class counts, or a new one."""
    counts = dict(counts)
    if plan is None:
        return _new_plan(
            counts, factor=factor, target_share=target_share, upweight=upweight, weights=weights
        )
    if not isinstance(plan, SamplingPlan):
        raise PlanError(
            f"plan must be a SamplingPlan (see upweight.plan); got {type(plan).__name__}"
        )
    if factor is not None or target_share is not None or upweight is not None:
        raise PlanError("give a plan or factor / target_share / upweight, not both")
    if weights != "factor":
        raise PlanError("give a plan or weights, not both: the plan holds its weight mode")
    if plan.counts != counts:
        raise PlanError(
            f"the plan was made for class counts {plan.counts}, but these labels have "
            f"{counts}; make the plan from these labels"
        )
    return plan


_new_plan = plan  # (inside resolve_plan, ``plan`` is the argument)


def warn_if_over_downsampled(plan: SamplingPlan) -> None:
    """Warn, at the user's line, when ``plan`` downsamples too far.

    The engines call it once where they make (or are given) the plan they apply, with
    :attr:`SamplingPlan.over_downsampled` as the message; :func:`plan` itself does not
    warn, nor does a plan read back from JSON.
    """
    problem = plan.over_downsampled
    if problem is not None:
        warnings.warn(problem, OverDownsampleWarning, stacklevel=outside_stacklevel())


def _too_far(c: ClassPlan, top: ClassPlan | None, smallest: int) -> str:
    """What goes too far with downsampled class ``c`` ("" if nothing), for one message.

    ``top`` is the largest class left untouched (None if none is), ``smallest`` the rows
    of the smallest class.
    """
    kept = round_half_up(c.count / c.factor)  # planned, whatever an engine drew
    name, k = class_name(c.label), fmt_factor(c.factor)
    than = "" if top is None else f"the {top.count:,} of untouched {class_name(top.label)}"
    if c.count == smallest:
        return (
            f"factor {k} downsamples the smallest class, {name}: {kept:,} of its {c.count:,} "
            f"rows kept{', against ' + than if than else ''}; leave {name} out of --factor / "
            "factor="
        )
    if top is None or kept >= top.count:
        return ""
    if c.count < top.count:
        fix = f"{name} is smaller to begin with: leave it out of --factor / factor="
    else:  # factors up to x keep round(count / k) >= top.count; a whole one if it does
        x = c.count / (top.count - Fraction(1, 2))
        step = (
            Fraction(1)
            if math.floor(x) >= Fraction(c.count, top.count) or x >= 100
            else (Fraction(1, 10) if x >= 10 else Fraction(1, 100))
        )
        limit = fmt_factor(float(math.floor(x / step) * step))
        fix = f"factor <= {limit} keeps {name} at least as large as {class_name(top.label)}"
    return f"factor {k} keeps {kept:,} rows of {name}, fewer than {than}; {fix}"


def keep_rate_ceiling(
    plan: SamplingPlan | None, factor: Any, target_share: Any
) -> Callable[[Label], float] | None:
    """The most each class can keep, known before its rows are counted.

    Streaming engines hold, in one pass over the labels, the rows that could be kept
    before the plan is final; this bounds them. From a ready plan, each class's keep rate;
    from factors, ``1 / factor`` (1 for classes not named); ``None`` when the keep rates
    depend on the counts (``target_share``).
    """
    if plan is not None:
        rates = {c.label: c.keep_rate for c in plan}
        return lambda v: rates.get(v, 1.0)
    if target_share is not None or factor is None:
        return None

    def number(f: Any) -> bool:  # NumPy scalars and fractions too, not booleans
        return isinstance(f, numbers.Real) and not isinstance(f, bool | np.bool_)

    if isinstance(factor, Mapping):
        given = {k: float(f) for k, f in factor.items() if number(f)}
        return lambda v: 1.0 / given[v] if given.get(v, 0) >= 1 else 1.0
    if number(factor) and factor >= 1:
        return lambda v: 1.0 / float(factor)
    return None


def towards_smallest(counts: Mapping[Label, int], factor: float) -> float | dict[Label, float]:
    """One factor applied to every class larger than the smallest, capped at the smallest.

    With two classes, ``factor`` itself (it applies to the majority). With more, a dict:
    each class larger than the smallest gets ``min(factor, n_class / n_smallest)`` (at
    least 1), so that no class falls below the smallest; the smallest keeps every row.

    Examples
    --------
    >>> from upweight._plan import towards_smallest
    >>> towards_smallest({"big": 9_000, "mid": 800, "rare": 200}, 10)
    {'big': 10.0, 'mid': 4.0}
    """
    if len(counts) <= 2:
        return float(factor)
    smallest = min(counts.values())
    return {
        c: max(1.0, min(float(factor), n / smallest)) for c, n in counts.items() if n > smallest
    }
