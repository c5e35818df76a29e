"""upweight: train classifiers on severely imbalanced data.

Downsample the majority class by a factor *k* (keep one in *k*) and upweight the kept
majority examples by the same *k*: batches hold enough minority examples to learn from,
and the model still learns the true class distribution, so its probabilities stay
calibrated.

The main entry points:

- :func:`profile` -- how imbalanced the labels are, and what batches will hold.
- :func:`plan` -- a :class:`SamplingPlan`: per class, rows kept and their weight.
- :func:`downsample`, :func:`downsample_frame`, :func:`select` -- apply a plan in memory.
- :func:`profile_file`, :func:`sample_file`, :func:`read_plan` -- files larger than memory
  (CSV, Parquet, directories and globs), streamed with DuckDB.
- :func:`correct_proba` -- the offset correction for models trained without weights.
- :mod:`upweight.metrics` -- prediction bias, calibration error, :func:`metrics.evaluate`.
- :mod:`upweight.sklearn` -- an imbalanced-learn sampler and a scikit-learn meta-estimator.
- :mod:`upweight.datasets` -- imbalanced data with a known ``P(y | x)``.
- :func:`sweep` -- tune factor, upweight and correction like hyperparameters, with a report.
"""

from __future__ import annotations

import typing as _typing

from ._version import __version__

if _typing.TYPE_CHECKING:
    from . import datasets, metrics
    from ._correct import correct_proba
    from ._downsample import Selection, downsample, downsample_frame, select
    from ._exceptions import (
        FileError,
        InputError,
        LabelError,
        MissingExtraError,
        OverDownsampleWarning,
        PlanError,
        UpweightError,
        UpweightWarning,
    )
    from ._files import profile_file, read_plan, sample_file
    from ._plan import ClassPlan, SamplingPlan, plan
    from ._profile import BatchView, ImbalanceProfile, profile
    from ._sweep import Recommendation, SweepResult, sweep

# Every name loads on first use: `import upweight` costs almost nothing, so the command
# line starts fast (and can answer Ctrl-C from its first moment), and what a script does
# not use is never imported.
_HOMES = {
    "correct_proba": "._correct",
    "Selection": "._downsample",
    "downsample": "._downsample",
    "downsample_frame": "._downsample",
    "select": "._downsample",
    "FileError": "._exceptions",
    "InputError": "._exceptions",
    "LabelError": "._exceptions",
    "MissingExtraError": "._exceptions",
    "OverDownsampleWarning": "._exceptions",
    "PlanError": "._exceptions",
    "UpweightError": "._exceptions",
    "UpweightWarning": "._exceptions",
    "profile_file": "._files",
    "read_plan": "._files",
    "sample_file": "._files",
    "ClassPlan": "._plan",
    "SamplingPlan": "._plan",
    "plan": "._plan",
    "BatchView": "._profile",
    "ImbalanceProfile": "._profile",
    "profile": "._profile",
    "sweep": "._sweep",
    "SweepResult": "._sweep",
    "Recommendation": "._sweep",
    "datasets": ".datasets",
    "metrics": ".metrics",
}
_MODULES = {"datasets", "metrics"}


def __getattr__(name: str) -> _typing.Any:
    from importlib import import_module

    if name in _HOMES:
        module = import_module(_HOMES[name], __name__)
        value = module if name in _MODULES else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'upweight' has no attribute {name!r}")


def __dir__() -> list[str]:
    # what is loaded, less `from __future__ import annotations`'s name
    loaded = {n for n in globals() if not n.startswith("_typing") and n != "annotations"}
    return sorted(set(__all__) | loaded)


__all__ = [
    "BatchView",
    "ClassPlan",
    "FileError",
    "ImbalanceProfile",
    "InputError",
    "LabelError",
    "MissingExtraError",
    "OverDownsampleWarning",
    "PlanError",
    "Recommendation",
    "SamplingPlan",
    "Selection",
    "SweepResult",
    "UpweightError",
    "UpweightWarning",
    "__version__",
    "correct_proba",
    "datasets",
    "downsample",
    "downsample_frame",
    "metrics",
    "plan",
    "profile",
    "profile_file",
    "read_plan",
    "sample_file",
    "select",
    "sweep",
]
