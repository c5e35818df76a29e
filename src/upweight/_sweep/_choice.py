"""A configuration in words, and the recommendation: plain data, read by the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._display import choice_repr, recommendation_html, recommendation_repr

__all__ = ["Choice", "Recommendation", "describe", "is_full"]


def is_full(factor: float, upweight: float | None) -> bool:
    """Whether this is k = 1 without a weight: all rows, and every correction the same model."""
    return factor == 1 and upweight in (None, 1.0)


def describe(factor: float, upweight: float | None, correction: str) -> str:
    """A configuration in words, e.g. ``k=25, upweighted by 25`` or ``k=25, offset``.

    Examples
    --------
    >>> from upweight._sweep._result import describe
    >>> describe(25, 25, "upweight"), describe(25, None, "offset"), describe(1, 1, "upweight")
    ('k=25, upweighted by 25', 'k=25, offset', 'k=1 (all rows)')
    """
    if is_full(factor, upweight):
        return "k=1 (all rows)"
    if correction == "upweight":
        return f"k={factor:g}, upweighted by {upweight:g}"
    if correction == "offset":
        return f"k={factor:g}, offset"
    return f"k={factor:g}, no correction"


@dataclass(frozen=True)
class Choice:
    """One configuration of the summary (means over repeats), as recommended."""

    model: str
    factor: float
    upweight: float | None
    correction: str
    figures: dict[str, float]
    #: 95 % intervals: ``val_log_loss_vs_best``, ``val_log_loss_vs_full`` (differences
    #: from the best and from k = 1), ``test_log_loss``, ``test_log_loss_vs_full``.
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return choice_repr(self)

    @property
    def name(self) -> str:
        """The configuration in words."""
        return describe(self.factor, self.upweight, self.correction)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return {
            "name": self.name,
            "model": self.model,
            "factor": self.factor,
            "upweight": self.upweight,
            "correction": self.correction,
            "figures": self.figures,
            "intervals": {name: list(pair) for name, pair in self.intervals.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Choice:
        """Read back what :meth:`to_dict` wrote (``name`` is derived, so not read)."""
        return cls(
            model=data["model"],
            factor=data["factor"],
            upweight=data["upweight"],
            correction=data["correction"],
            figures=dict(data["figures"]),
            intervals={
                name: (float(pair[0]), float(pair[1]))
                for name, pair in (data.get("intervals") or {}).items()
            },
        )


@dataclass(frozen=True)
class Recommendation:
    """The best configuration by validation log loss, the cheapest one close to it, and why.

    Attributes
    ----------
    best : Choice
        Lowest mean validation log loss.
    cheapest : Choice
        The cheapest configuration (least fit time, ties broken by rows trained; or fewest
        rows, by ``cost``) whose validation log loss is, with 95 % confidence, within
        ``tolerance`` of the best; when the data cannot tell configurations apart, the
        cheapest of those indistinguishable from the best (``basis`` says which).
    tolerance : float
        Relative tolerance.
    lines : tuple of str
        The recommendation in plain words, including where a factor or a correction does
        worse.

    Examples
    --------
    :func:`upweight.sweep` makes one, as :attr:`SweepResult.recommendation`; ``text`` is its
    lines as one paragraph each.

    >>> import upweight
    >>> from upweight.datasets import make_imbalanced
    >>> data = make_imbalanced(4_000, minority_share=0.05, random_state=0)
    >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 4], corrections=["upweight"],
    ...                         cv=False, convergence=False)
    >>> rec = result.recommendation
    >>> rec.best.factor in (1.0, 4.0), rec.cheapest.correction, rec.tolerance, rec.cost
    (True, 'upweight', 0.01, 'time')
    >>> rec.text.splitlines() == list(rec.lines)
    True
    >>> print(rec.lines[0])  # doctest: +ELLIPSIS
    Best validation log loss: k=... (0.1...); test log loss 0.1... (95% interval ...
    """

    best: Choice
    cheapest: Choice
    tolerance: float
    lines: tuple[str, ...]
    #: Why the cheapest was chosen: ``"within tolerance"`` (shown within it with 95 %
    #: confidence), ``"indistinguishable"`` (the data cannot tell it from the best) or
    #: ``"best"`` (nothing cheaper qualified).
    basis: str = "within tolerance"
    #: What "cheapest" measured: ``"time"`` or ``"rows"``.
    cost: str = "time"

    def __repr__(self) -> str:
        return recommendation_repr(self)

    def _repr_html_(self) -> str:
        return recommendation_html(self)

    @property
    def text(self) -> str:
        """The lines, one paragraph each."""
        return "\n".join(self.lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form.

        Examples
        --------
        >>> import upweight
        >>> from upweight.datasets import make_imbalanced
        >>> data = make_imbalanced(4_000, minority_share=0.05, random_state=0)
        >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 4], corrections=["upweight"],
        ...                         cv=False, convergence=False)
        >>> import json
        >>> d = result.recommendation.to_dict()
        >>> sorted(d), sorted(d["best"])  # doctest: +NORMALIZE_WHITESPACE
        (['basis', 'best', 'cheapest', 'cost', 'lines', 'tolerance'],
         ['correction', 'factor', 'figures', 'intervals', 'model', 'name', 'upweight'])
        >>> text = json.dumps(d)  # plain data
        """
        return {
            "best": self.best.to_dict(),
            "cheapest": self.cheapest.to_dict(),
            "tolerance": self.tolerance,
            "lines": list(self.lines),
            "basis": self.basis,
            "cost": self.cost,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recommendation:
        """Read back what :meth:`to_dict` wrote.

        Examples
        --------
        >>> import upweight
        >>> from upweight.datasets import make_imbalanced
        >>> data = make_imbalanced(4_000, minority_share=0.05, random_state=0)
        >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 4], corrections=["upweight"],
        ...                         cv=False, convergence=False)
        >>> import json
        >>> d = json.loads(json.dumps(result.recommendation.to_dict()))
        >>> upweight.Recommendation.from_dict(d) == result.recommendation
        True
        """
        return cls(
            best=Choice.from_dict(data["best"]),
            cheapest=Choice.from_dict(data["cheapest"]),
            tolerance=data["tolerance"],
            lines=tuple(data["lines"]),
            basis=data.get("basis", "within tolerance"),
            cost=data.get("cost", "rows"),
        )
