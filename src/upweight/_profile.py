"""Profile: how imbalanced a label column is, and what that means for training batches."""

from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np

from ._counts import as_counts, round_half_up
from ._display import cut_repr, profile_html, profile_repr
from ._exceptions import PlanError
from ._labels import python_label
from ._types import Label
from ._validation import positive_int

__all__ = ["BatchView", "ImbalanceProfile", "class_name", "profile"]

Severity = Literal["balanced", "mild", "moderate", "extreme"]

# Minority share thresholds, after Google's Machine Learning Crash Course:
# >= 40 % balanced, 20-40 % mild, 1-20 % moderate, < 1 % extreme.
_SEVERITY: tuple[tuple[float, Severity], ...] = (
    (0.40, "balanced"),
    (0.20, "mild"),
    (0.01, "moderate"),
)


def class_name(label: Label) -> str:
    """A class as a message names it: ``'legit'`` for text, ``class 1`` for a number."""
    return cut_repr(label, 60) if isinstance(label, str) else f"class {label!r}"


def hypergeom_cdf_below(m: int, population: int, successes: int, draws: int) -> float:
    """P(X < m) for X ~ Hypergeometric(population, successes, draws), exactly.

    Everything stays in log space: the first term of the support is a sum of
    ``log1p`` terms, the next ones follow from the pmf's recurrence as a cumulative sum
    of log ratios, and the terms are added with log-sum-exp. No large binomial
    coefficient is formed and no term underflows, so the result stays accurate for
    populations in the billions and batches in the thousands. (scipy.stats gives the same
    numbers -- the tests check it -- but takes over a second to import, which a
    command-line tool should not spend.)
    """
    failures = population - successes
    low = max(0, draws - failures)
    high = min(draws, successes)
    if m <= low:
        return 0.0
    if m > high:
        return 1.0
    if low == 0:
        j = np.arange(draws, dtype=np.float64)
        log_first = float(np.log1p(-successes / (population - j)).sum())
    else:
        log_first = (
            _log_choose(successes, low)
            + _log_choose(failures, draws - low)
            - _log_choose(population, draws)
        )
    i = np.arange(low, m - 1, dtype=np.float64)  # steps from P(X = i) to P(X = i + 1)
    log_ratio = (
        np.log(successes - i) + np.log(draws - i) - np.log(i + 1) - np.log(failures - draws + i + 1)
    )
    log_terms = log_first + np.concatenate([[0.0], np.cumsum(log_ratio)])
    peak = float(log_terms.max())
    total = math.exp(peak) * float(np.exp(log_terms - peak).sum())
    return min(max(total, 0.0), 1.0)


def _log_choose(n: int, k: int) -> float:
    """Log C(n, k) through the log beta function, accurate for n in the billions.

    (Differences of ``lgamma`` lose digits there.) Only needed when a batch is larger
    than the other classes' rows, so scipy.special is imported only then.
    """
    from scipy.special import betaln

    return -math.log(n + 1) - float(betaln(n - k + 1, k + 1))


def _check_batch_size(batch_size: Any) -> int:
    return positive_int(batch_size, "batch_size", PlanError)


@dataclass(frozen=True)
class BatchView:
    """What batches of one size hold of one class, when drawn without replacement.

    The number of examples of the class in a batch of ``batch_size`` rows drawn without
    replacement from ``n_rows`` rows that hold ``n_class`` examples of the class follows
    the hypergeometric distribution; the figures here are exact, not simulated.

    Attributes
    ----------
    batch_size : int
        Rows per batch.
    label : int, str or bool
        The class the view is about (the rarest class unless asked otherwise).
    n_rows : int
        Rows in the data the batches are drawn from.
    n_class : int
        Rows of ``label`` among them.

    Examples
    --------
    The course's example: 200 majority and 2 minority examples.

    >>> import upweight
    >>> view = upweight.profile({0: 200, 1: 2}, batch_size=20).batch
    >>> round(view.p_none, 3)
    0.811
    >>> round(upweight.profile({0: 200, 1: 2}, batch_size=100).batch.expected, 2)
    0.99
    >>> upweight.profile({0: 200, 1: 2}, batch_size=500).batch.draws  # all 202 rows
    202
    """

    batch_size: int
    label: Label
    n_rows: int
    n_class: int

    @property
    def draws(self) -> int:
        """Rows actually in a batch: ``batch_size``, or all rows if there are fewer."""
        return min(self.batch_size, self.n_rows)

    @property
    def expected(self) -> float:
        """Expected number of examples of the class per batch."""
        return self.draws * self.n_class / self.n_rows

    @property
    def p_none(self) -> float:
        """Probability that a batch holds no example of the class."""
        return self.p_fewer_than(1)

    def p_fewer_than(self, m: int) -> float:
        """Probability that a batch holds fewer than ``m`` examples of the class.

        Parameters
        ----------
        m : int
            Threshold; ``p_fewer_than(1)`` is :attr:`p_none`.

        Returns
        -------
        float

        Examples
        --------
        Batches of 256 rows from 1 % positives: how often they hold fewer than 2.

        >>> import upweight
        >>> view = upweight.profile({0: 9_900, 1: 100}).batch_view(256)
        >>> round(view.p_fewer_than(2), 3), round(view.p_fewer_than(1), 3) == round(view.p_none, 3)
        (0.27, True)
        """
        if m <= 0:
            return 0.0
        return hypergeom_cdf_below(m, self.n_rows, self.n_class, self.draws)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, for JSON.

        Examples
        --------
        >>> import upweight
        >>> upweight.profile({0: 200, 1: 2}, batch_size=100).batch.to_dict()  # doctest: +ELLIPSIS
        {'batch_size': 100, 'label': 1, 'expected': 0.990..., 'p_none': 0.253...}
        """
        return {
            "batch_size": self.batch_size,
            "label": self.label,
            "expected": self.expected,
            "p_none": self.p_none,
        }


@dataclass(frozen=True)
class ImbalanceProfile:
    """Class counts of a label column and what they imply.

    Make one with :func:`upweight.profile`.

    Attributes
    ----------
    classes : tuple
        Class labels, sorted.
    counts : tuple of int
        Rows per class, in the order of ``classes``.
    batch_size : int or None
        The batch size :attr:`batch` describes, if one was given.
    majority_before : int, str, bool or None
        For a profile of the rows a plan keeps (:meth:`SamplingPlan.kept_profile`): the
        majority class before downsampling, which tells an :attr:`inverted` balance from
        a plain one. None for a profile of data as it is.

    Notes
    -----
    *Majority* is the largest class; every other class is a *minority* class, because those
    are the classes a downsampling factor leaves untouched. :attr:`severity` compares the
    rarest class with the majority: its share of the two together is the minority share of
    a binary problem, and the thresholds are the course's (balanced at 40 % or more, mild
    20-40 %, moderate 1-20 %, extreme below 1 %).

    Examples
    --------
    >>> import upweight
    >>> prof = upweight.profile({"a": 5_000, "b": 800, "c": 200}, batch_size=32)
    >>> prof.n_rows, prof.count_map, prof.shares["c"]
    (6000, {'a': 5000, 'b': 800, 'c': 200}, 0.03333333333333333)
    >>> prof.majority, prof.minority, prof.rarest  # minority: rarest first
    ('a', ('c', 'b'), 'c')
    >>> round(prof.minority_share, 3), prof.imbalance_ratio
    (0.167, 25.0)

    The severity compares the rarest class with the majority: 200 / 5,200 is 3.8 %.

    >>> prof.severity, prof.inverted
    ('moderate', False)
    >>> prof.batch  # batches of 32, for the rarest class
    BatchView(batch_size=32, label='c', n_rows=6000, n_class=200)

    A factor that goes too far turns the balance round: the former majority is now the
    smallest class.

    >>> kept = upweight.plan({"fraud": 100, "legit": 9_900}, factor=500).kept_profile()
    >>> kept.count_map, kept.majority, kept.inverted
    ({'fraud': 100, 'legit': 20}, 'fraud', True)
    """

    classes: tuple[Label, ...]
    counts: tuple[int, ...]
    batch_size: int | None = None
    majority_before: Label | None = None

    def __repr__(self) -> str:
        return profile_repr(self)

    def _repr_html_(self) -> str:
        return profile_html(self)

    @property
    def n_rows(self) -> int:
        """Total rows."""
        return sum(self.counts)

    @functools.cached_property
    def count_map(self) -> dict[Label, int]:
        """Class -> rows."""
        return dict(zip(self.classes, self.counts, strict=True))

    @property
    def shares(self) -> dict[Label, float]:
        """Class -> share of all rows."""
        n = self.n_rows
        return {c: k / n for c, k in zip(self.classes, self.counts, strict=True)}

    @functools.cached_property
    def majority(self) -> Label:
        """The largest class (ties go to the first in sorted order)."""
        return self.classes[max(range(len(self.counts)), key=lambda i: (self.counts[i], -i))]

    @functools.cached_property
    def minority(self) -> tuple[Label, ...]:
        """The other classes, rarest first."""
        major = self.majority
        order = sorted(range(len(self.counts)), key=lambda i: self.counts[i])  # stable
        return tuple(self.classes[i] for i in order if self.classes[i] != major)

    @property
    def rarest(self) -> Label:
        """The smallest class."""
        return self.minority[0]

    @property
    def minority_share(self) -> float:
        """Share of all rows held by the minority classes together."""
        return (self.n_rows - self.count_map[self.majority]) / self.n_rows

    @property
    def imbalance_ratio(self) -> float:
        """Rows of the majority class per row of the rarest class."""
        counts = self.count_map
        return counts[self.majority] / counts[self.rarest]

    @property
    def severity(self) -> Severity:
        """``"balanced"``, ``"mild"``, ``"moderate"`` or ``"extreme"`` (see Notes)."""
        counts = self.count_map
        rare, major = counts[self.rarest], counts[self.majority]
        share = rare / (rare + major)
        for threshold, name in _SEVERITY:
            if share >= threshold:
                return name
        return "extreme"

    @property
    def inverted(self) -> bool:
        """Whether downsampling went so far that the former majority is now the smallest class.

        Known only for a profile of kept rows (:attr:`majority_before` set): the class that
        was the majority is now strictly smaller than the majority and is the smallest
        class. :attr:`severity` then measures an imbalance the downsampling made, the wrong
        way round.
        """
        before = self.majority_before
        counts = self.count_map
        if before is None or before not in counts:
            return False
        return counts[before] < counts[self.majority] and counts[before] == min(self.counts)

    @property
    def severity_text(self) -> str:
        """:attr:`severity` in words, saying so when the balance is :attr:`inverted`.

        Examples
        --------
        >>> import upweight
        >>> upweight.profile({"fraud": 100, "legit": 6}, majority_before="legit").severity_text
        "moderate (inverted: 'legit', the majority before downsampling, is now the smallest class)"
        """
        if not self.inverted:
            return self.severity
        before = class_name(cast(Label, self.majority_before))
        return (
            f"{self.severity} (inverted: {before}, the majority before downsampling, is now "
            "the smallest class)"
        )

    @property
    def batch(self) -> BatchView | None:
        """Batch view for :attr:`batch_size` (None if no batch size was given)."""
        if self.batch_size is None:
            return None
        return self.batch_view(self.batch_size)

    def batch_view(self, batch_size: int, *, label: Label | None = None) -> BatchView:
        """What batches of ``batch_size`` rows hold of one class.

        Parameters
        ----------
        batch_size : int
            Rows per batch.
        label : int, str or bool, optional
            The class to look at; the rarest class by default.

        Returns
        -------
        BatchView

        Examples
        --------
        >>> import upweight
        >>> prof = upweight.profile({"legit": 9_900, "fraud": 100})
        >>> view = prof.batch_view(256)
        >>> view.label, round(view.expected, 2), round(view.p_none, 3)
        ('fraud', 2.56, 0.074)
        >>> prof.batch_view(32, label="legit").n_class
        9900
        """
        size = _check_batch_size(batch_size)
        target = self._minority_label(label)
        return BatchView(size, target, self.n_rows, self.count_map[target])

    def _minority_label(self, label: Label | None) -> Label:
        if label is None:
            return self.rarest
        if label not in self.count_map:
            raise PlanError(
                f"class {label!r} is not in the labels; classes are {list(self.classes)}"
            )
        return label

    def recommend_factor(
        self,
        batch_size: int,
        *,
        min_minority: int = 1,
        confidence: float = 0.95,
        label: Label | None = None,
    ) -> int:
        """Smallest majority factor *k* that gives batches enough minority examples.

        Finds the smallest whole *k* for which, after keeping one in *k* majority rows, a
        batch of ``batch_size`` rows holds at least ``min_minority`` examples of the
        minority class with probability ``confidence`` or more (exact hypergeometric
        probability, batches drawn without replacement).

        Parameters
        ----------
        batch_size : int
            Rows per batch.
        min_minority : int, default=1
            Minority examples each batch should hold.
        confidence : float, default=0.95
            Required probability, in (0, 1).
        label : int, str or bool, optional
            The minority class to count; the rarest class by default.

        Returns
        -------
        int
            The factor; 1 when the data already meets the requirement.

        Raises
        ------
        PlanError
            When no factor can meet the requirement (the batch is smaller than
            ``min_minority``, or the class has fewer rows than that).

        Examples
        --------
        >>> import upweight
        >>> prof = upweight.profile({0: 99_000, 1: 1_000})
        >>> prof.recommend_factor(20)
        16
        >>> prof.recommend_factor(20, min_minority=2, confidence=0.99)
        41
        """
        size = _check_batch_size(batch_size)
        min_minority = positive_int(min_minority, "min_minority", PlanError)
        if not isinstance(confidence, numbers.Real) or not 0.0 < float(confidence) < 1.0:
            raise PlanError(f"confidence must be a probability in (0, 1); got {confidence!r}")
        target = self._minority_label(label)
        counts = self.count_map
        if target == self.majority:
            raise PlanError(
                f"class {target!r} is the majority class; recommend_factor needs a minority class"
            )
        n_class = counts[target]
        if min_minority > size:
            raise PlanError(
                f"a batch of {size} rows cannot hold {min_minority} minority examples; "
                "use a larger batch_size or a smaller min_minority"
            )
        if min_minority > n_class:
            raise PlanError(
                f"class {target!r} has only {n_class} rows, fewer than min_minority="
                f"{min_minority}; lower min_minority"
            )
        n_major = counts[self.majority]
        n_rest = self.n_rows - n_major

        def met(k: int) -> bool:
            population = n_rest + round_half_up(n_major / k)
            draws = min(size, population)
            p_short = hypergeom_cdf_below(min_minority, population, n_class, draws)
            return 1.0 - p_short >= confidence

        if met(1):
            return 1
        if not met(n_major):
            raise PlanError(
                f"no factor gives batches of {size} rows {min_minority} or more examples of "
                f"class {target!r} with probability {confidence}; use a larger batch_size"
            )
        low, high = 1, n_major  # met(low) is False, met(high) is True
        while high - low > 1:
            mid = (low + high) // 2
            if met(mid):
                high = mid
            else:
                low = mid
        return high

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, for JSON.

        With a batch size, the ``batch`` entry also holds ``recommended_factor``: the
        smallest factor that gives 95 % of batches a minority example (None if none does).

        Examples
        --------
        >>> import json, upweight
        >>> d = upweight.profile([0] * 99 + [1]).to_dict()
        >>> d["severity"], d["minority_share"]
        ('moderate', 0.01)
        >>> _ = json.dumps(d)
        """
        shares = self.shares
        return {
            "n_rows": self.n_rows,
            "classes": [
                {"label": c, "count": n, "share": shares[c]}
                for c, n in zip(self.classes, self.counts, strict=True)
            ],
            "majority": self.majority,
            "minority": list(self.minority),
            "minority_share": self.minority_share,
            "imbalance_ratio": self.imbalance_ratio,
            "severity": self.severity,
            "batch": self._batch_dict(),
        } | self._before_dict()

    def _before_dict(self) -> dict[str, Any]:
        """For a profile of kept rows only: the majority before, and whether it inverted."""
        if self.majority_before is None:
            return {}
        return {"majority_before": self.majority_before, "inverted": self.inverted}

    def _batch_dict(self) -> dict[str, Any] | None:
        view = self.batch
        if view is None:
            return None
        try:
            recommended: int | None = self.recommend_factor(view.batch_size)
        except PlanError:
            recommended = None
        return view.to_dict() | {"recommended_factor": recommended}


def profile(
    y: Any, *, batch_size: int | None = None, majority_before: Label | None = None
) -> ImbalanceProfile:
    """Profile the class balance of labels.

    Parameters
    ----------
    y : array-like or mapping
        Labels (list, NumPy array, pandas / polars series, pyarrow array), or a mapping
        class -> count when the counting was done elsewhere.
    batch_size : int, optional
        Also describe batches of this size (see :attr:`ImbalanceProfile.batch`).
    majority_before : int, str or bool, optional
        When ``y`` holds the rows kept by downsampling: the majority class before it, so
        that the profile can tell when downsampling inverted the balance (see
        :attr:`ImbalanceProfile.inverted`; :meth:`SamplingPlan.kept_profile` sets it).

    Returns
    -------
    ImbalanceProfile
        Counts and shares per class, majority and minority classes, imbalance ratio,
        severity, and the batch view.

    Raises
    ------
    LabelError
        Labels with missing values, a single class, or mixed types.
    PlanError
        ``majority_before`` is not one of the classes.

    Examples
    --------
    >>> import numpy as np, upweight
    >>> y = np.array([0] * 990 + [1] * 10)
    >>> prof = upweight.profile(y, batch_size=20)
    >>> prof.severity, prof.majority, prof.minority, prof.imbalance_ratio
    ('moderate', 0, (1,), 99.0)
    >>> round(prof.batch.p_none, 3)  # most batches of 20 hold no minority example
    0.816
    """
    counts = as_counts(y)
    before = None if majority_before is None else python_label(majority_before)
    if before is not None and before not in counts:
        raise PlanError(
            f"majority_before {before!r} is not one of the classes; classes are {list(counts)}"
        )
    size = None if batch_size is None else _check_batch_size(batch_size)
    return ImbalanceProfile(tuple(counts), tuple(counts.values()), size, before)
