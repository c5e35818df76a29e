"""The demo: the course's scenario, trained four ways, measured on the true distribution."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ._profile import ImbalanceProfile, profile
from ._types import Correction
from .datasets import make_imbalanced
from .metrics import Evaluation, evaluate

__all__ = ["DemoResult", "DemoRow", "run_demo"]


@dataclass(frozen=True)
class DemoRow:
    """One way of training, and how it did on the untouched test split."""

    name: str
    rows_trained: int | None
    fit_seconds: float | None
    metrics: Evaluation

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return {
            "name": self.name,
            "rows_trained": self.rows_trained,
            "fit_seconds": self.fit_seconds,
            **self.metrics.to_dict(),
        }


@dataclass(frozen=True)
class DemoResult:
    """What the demo measured."""

    n_rows: int
    factor: float
    seed: int
    profile: ImbalanceProfile
    test_rows: int
    rows: tuple[DemoRow, ...]
    truth: Evaluation

    def row(self, name: str) -> DemoRow:
        """The row called ``name``."""
        return next(r for r in self.rows if r.name == name)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return {
            "n_rows": self.n_rows,
            "factor": self.factor,
            "seed": self.seed,
            "profile": self.profile.to_dict(),
            "test_rows": self.test_rows,
            "rows": [r.to_dict() for r in self.rows],
            "truth": asdict(self.truth),
        }


FULL = "full data"


def run_demo(
    n_rows: int = 1_000_000,
    *,
    factor: float = 25,
    seed: int = 0,
    batch_size: int = 20,
    repeats: int = 3,
    on_step: Callable[[str], None] | None = None,
) -> DemoResult:
    """Train logistic regression four ways on the course's scenario and evaluate each.

    The data (:func:`upweight.datasets.make_imbalanced`, 1 % positives, five features,
    known ``P(y | x)``) is split 80 / 20, stratified; the test split keeps the true
    distribution. The four ways: the full training data; downsampled by ``factor`` only;
    downsampled and upweighted; downsampled with the offset correction.

    Parameters
    ----------
    n_rows : int, default=1_000_000
        Rows to generate.
    factor : float, default=25
        Downsampling factor of the majority class.
    seed : int, default=0
        Seed of the data, the split and the downsampling.
    batch_size : int, default=20
        Batch size for the profile's batch view.
    repeats : int, default=3
        Fits per way of training; the fit time reported is their median (the same seed
        each time, so the same model).
    on_step : callable, optional
        Called with a short description before each step (for progress display).

    Returns
    -------
    DemoResult
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    from .sklearn import DownsampledClassifier

    def step(text: str) -> None:
        if on_step is not None:
            on_step(text)

    step(f"generating {n_rows:,} rows")
    data = make_imbalanced(n_rows, minority_share=0.01, random_state=seed)
    X_train, X_test, y_train, y_test, _, p_test = train_test_split(
        data.X, data.y, data.proba, test_size=0.2, stratify=data.y, random_state=seed
    )
    prof = profile(data.y, batch_size=batch_size)

    def model() -> LogisticRegression:
        return LogisticRegression(max_iter=1000)

    candidates: list[tuple[str, Any]] = [(FULL, model())]
    ways: tuple[tuple[Correction, str], ...] = (
        ("none", "no correction"),
        ("upweight", "upweighted"),
        ("offset", "offset"),
    )
    for correction, label in ways:
        candidates.append(
            (
                f"k={factor:g}, {label}",
                DownsampledClassifier(
                    model(), factor=factor, correction=correction, random_state=seed
                ),
            )
        )
    rows = []
    for name, estimator in candidates:
        step(f"fitting: {name}")
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            estimator.fit(X_train, y_train)
            timings.append(time.perf_counter() - start)
        seconds = float(np.median(timings))
        trained = estimator.plan_.n_kept if hasattr(estimator, "plan_") else int(np.size(y_train))
        proba = estimator.predict_proba(X_test)[:, 1]
        rows.append(DemoRow(name, trained, seconds, evaluate(y_test, proba)))
    return DemoResult(
        n_rows=n_rows,
        factor=float(factor),
        seed=seed,
        profile=prof,
        test_rows=int(np.size(y_test)),
        rows=tuple(rows),
        truth=evaluate(y_test, p_test),
    )
