"""The sweep's keys: what names a configuration, a shared fit, an evaluation, a run.

Each is a small frozen dataclass, so a cache is keyed by what the key means, never by a
tuple or a string built for the purpose. The stored file names come from here too
(``runs/<id>.json``); they stay as they are so that a folder written by an earlier run
resumes.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from .._types import Label

__all__ = ["Config", "ConvergenceKey", "ConvergenceRunKey", "EvalKey", "FitKey"]


@dataclass(frozen=True)
class Config:
    """One configuration of the sweep: one row of the results.

    Attributes
    ----------
    model : str
        The model's key (``"logreg"``...).
    factor : float
        Downsampling factor of the majority class.
    upweight : float or None
        Weight of the kept majority rows; None for a correction trained without weights.
    correction : str
        The correction's name (see :data:`upweight._correct.CORRECTIONS`).
    repeat : int
        Draw of the downsampled rows (repeat *r* selects with seed ``seed + r``).
    fold : int or None
        The cross-validation fold (None for a hold-out split).
    """

    model: str
    factor: float
    upweight: float | None
    correction: str
    repeat: int
    fold: int | None = None

    @property
    def id(self) -> str:
        """A file-name-safe identifier, e.g. ``logreg-k25-w25-upweight-r0`` (``-f3``: fold)."""
        weight = "none" if self.upweight is None else f"{self.upweight:g}"
        fold = "" if self.fold is None else f"-f{self.fold}"
        return f"{self.model}-k{self.factor:g}-w{weight}-{self.correction}-r{self.repeat}{fold}"

    @property
    def file_name(self) -> str:
        """Where the finished run is stored, relative to the output folder."""
        return f"runs/{self.id}.json"


@dataclass(frozen=True)
class FitKey:
    """Configurations of one draw of rows whose keys are equal share one fit.

    ``weights`` is the correction's :meth:`~upweight._correct.Correction.fit_key` under the
    configuration's plan: every unweighted fit of a draw is one, a weighted fit is one per
    set of weights.
    """

    repeat: int
    factor: float
    weights: Hashable
    fold: int | None = None


@dataclass(frozen=True)
class EvalKey:
    """One fit's predictions, rescaled one way: configurations with equal keys share figures.

    ``ratios`` holds, per class, what the predictions are multiplied by before they are
    renormalised; None when they are measured as they come.
    """

    fit: FitKey
    ratios: tuple[tuple[Label, float], ...] | None


@dataclass(frozen=True)
class ConvergenceKey:
    """One convergence run as stored: a learner at a factor, under a correction."""

    learner: str
    factor: float
    correction: str

    @property
    def id(self) -> str:
        """A file-name-safe identifier, e.g. ``convergence-sgd-k25-upweight``."""
        return f"convergence-{self.learner}-k{self.factor:g}-{self.correction}"

    @property
    def file_name(self) -> str:
        """Where the run is stored, relative to the output folder."""
        return f"runs/{self.id}.json"


@dataclass(frozen=True)
class ConvergenceRunKey:
    """Convergence runs of one learner on the same fit and rescaling are one run."""

    learner: str
    evaluation: EvalKey
