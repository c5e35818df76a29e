"""upweight: train classifiers on severely imbalanced data.

Downsample the majority class by a factor *k* (keep one in *k*) and upweight the kept
majority examples by the same *k*: batches hold enough minority examples to learn from,
and the model still learns the true class distribution, so its probabilities stay
calibrated.

The main entry points:

- :func:`profile` -- how imbalanced the labels are, and what batches will hold.
- :func:`plan` -- a :class:`SamplingPlan`: per class, rows kept and their weight.
- :func:`downsample`, :func:`downsample_frame`, :func:`select` -- apply a plan in memory.
- :func:`correct_proba` -- the offset correction for models trained without weights.
- :mod:`upweight.metrics` -- prediction bias, calibration error, :func:`metrics.evaluate`.
- :mod:`upweight.sklearn` -- an imbalanced-learn sampler and a scikit-learn meta-estimator.
- :mod:`upweight.datasets` -- imbalanced data with a known ``P(y | x)``.
- :func:`sweep` -- tune factor, upweight and correction like hyperparameters, with a report.
"""

from __future__ import annotations

import typing as _typing
from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _package_version

try:
    __version__ = _package_version("upweight")
except _PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from . import datasets, metrics
from ._correct import correct_proba
from ._downsample import Selection, downsample, downsample_frame, select
from ._exceptions import (
    FileError,
    InputError,
    LabelError,
    MissingExtraError,
    PlanError,
    UpweightError,
)
from ._plan import ClassPlan, SamplingPlan, plan
from ._profile import BatchView, ImbalanceProfile, profile

if _typing.TYPE_CHECKING:
    from ._sweep import SweepResult, sweep

_LAZY = {"sweep": "._sweep", "SweepResult": "._sweep"}


def __getattr__(name: str) -> _typing.Any:
    # the sweep is imported on first use, so `import upweight` stays light
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'upweight' has no attribute {name!r}")


__all__ = [
    "BatchView",
    "ClassPlan",
    "FileError",
    "ImbalanceProfile",
    "InputError",
    "LabelError",
    "MissingExtraError",
    "PlanError",
    "SamplingPlan",
    "Selection",
    "SweepResult",
    "UpweightError",
    "__version__",
    "correct_proba",
    "datasets",
    "downsample",
    "downsample_frame",
    "metrics",
    "plan",
    "profile",
    "select",
    "sweep",
]
