"""What a stored run must hold to be reused: the keys and types the sweep writes.

A run is stored as ``runs/<config id>.json`` (``{"row": ..., "curves": ..., "losses": ...}``) or
``runs/convergence-<learner>-k<factor>-<correction>.json`` (see :mod:`._keys`). Before a
stored run is reused it is checked against these schemas, and against the configuration
it claims to be; a file that fails (a hand edit, a truncated copy, ``{}``) is computed
again, and a warning says so.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from .._exceptions import UpweightWarning
from ._intervals import decode
from ._keys import Config, ConvergenceKey
from ._metrics import METRICS

if TYPE_CHECKING:
    from ._outdir import OutputFolder

__all__ = ["stored_convergence", "stored_runs", "valid_convergence", "valid_run"]

_INT = "int"
_NUMBER = "number"
_TEXT = "text"
_OPTIONAL_NUMBER = "number or null"
_OPTIONAL_TEXT = "text or null"
_OPTIONAL_TABLE = "per-class figures or null"
_OPTIONAL_INT = "int or null"

ROW: dict[str, str] = {
    "config_id": _TEXT,
    "model": _TEXT,
    "factor": _NUMBER,
    "upweight": _OPTIONAL_NUMBER,
    "correction": _TEXT,
    "repeat": _INT,
    "fold": _OPTIONAL_INT,
    "seed": _INT,
    "rows_trained": _INT,
    "minority_trained": _INT,
    "majority_trained": _INT,
    "minority_share_trained": _NUMBER,
    "fit_seconds": _NUMBER,
    "fit_timings": _INT,
    "load_seconds": _NUMBER,
    "peak_memory_mb": _NUMBER,
    "disk_bytes": _INT,
    "fit_shared_with": _OPTIONAL_TEXT,
    "estimator": _TEXT,
    "warnings": _INT,
    "first_warning": _OPTIONAL_TEXT,
    "per_class": _OPTIONAL_TABLE,
    **{f"{split}_{m}": _NUMBER for split in ("val", "test") for m in METRICS},
}

CURVES: dict[str, str] = {
    "reliability_predicted": _NUMBER,
    "reliability_observed": _NUMBER,
    "reliability_rows": _INT,
    "pr_recall": _NUMBER,
    "pr_precision": _NUMBER,
}

CONVERGENCE: dict[str, str] = {
    "learner": _TEXT,
    "batches": _INT,
    "batches_without_minority": _INT,
    "predicted_share_without_minority": _NUMBER,
    "factor": _NUMBER,
    "correction": _TEXT,
}
CONVERGENCE_SERIES: dict[str, str] = {
    "examples": _INT,
    "seconds": _NUMBER,
    "val_log_loss": _NUMBER,
}


def _is(value: Any, kind: str) -> bool:
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == _TEXT:
        return isinstance(value, str)
    if kind == _OPTIONAL_NUMBER:
        return value is None or _is(value, _NUMBER)
    if kind == _OPTIONAL_INT:
        return value is None or _is(value, _INT)
    if kind == _OPTIONAL_TABLE:  # figure -> class -> number
        return value is None or (
            isinstance(value, dict)
            and all(
                isinstance(v, dict) and all(_is(x, _NUMBER) for x in v.values())
                for v in value.values()
            )
        )
    return value is None or isinstance(value, str)


def _fits(data: Any, schema: dict[str, str]) -> bool:
    return (
        isinstance(data, dict)
        and set(data) == set(schema)
        and all(_is(data[k], kind) for k, kind in schema.items())
    )


def _series(values: Any, kind: str) -> bool:
    return isinstance(values, list) and all(_is(v, kind) for v in values)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=0, abs_tol=0)


def valid_run(
    data: Any,
    *,
    config_id: str,
    model: str,
    factor: float,
    upweight: float | None,
    correction: str,
    repeat: int,
    fold: int | None = None,
    sizes: tuple[int, int] | None = None,
) -> bool:
    """Whether ``data`` is a stored configuration run of exactly this configuration.

    ``sizes``: how many validation and test rows its per-row losses must hold (each a
    finite, non-negative log loss).
    """
    if not (isinstance(data, dict) and set(data) == {"row", "curves", "losses"}):
        return False
    row, curves, losses = data["row"], data["curves"], data["losses"]
    if not (
        losses is None
        or (
            isinstance(losses, dict)
            and set(losses) == {"val", "test"}
            and all(
                _losses_fit(losses[k], n)
                for k, n in zip(("val", "test"), sizes or (None, None), strict=True)
            )
        )
    ):
        return False
    if not _fits(row, ROW) or not isinstance(curves, dict):
        return False
    if set(curves) - {"per_class"} != set(CURVES):  # per class: several classes' curves
        return False
    if "per_class" in curves and not isinstance(curves["per_class"], dict):
        return False
    if not all(_series(curves[k], kind) for k, kind in CURVES.items()):
        return False
    return (
        row["config_id"] == config_id
        and row["model"] == model
        and _same(row["factor"], factor)
        and _same(row["upweight"], upweight)
        and row["correction"] == correction
        and row["repeat"] == repeat
        and row["fold"] == fold
    )


def valid_convergence(data: Any, *, learner: str, factor: float, correction: str) -> bool:
    """Whether ``data`` is a stored convergence run of this learner, factor and correction."""
    schema = {**CONVERGENCE, **dict.fromkeys(CONVERGENCE_SERIES, "series")}
    if not (isinstance(data, dict) and set(data) == set(schema)):
        return False
    if not all(_is(data[k], kind) for k, kind in CONVERGENCE.items()):
        return False
    lengths = {len(data[k]) if isinstance(data[k], list) else -1 for k in CONVERGENCE_SERIES}
    if len(lengths) != 1 or lengths.pop() < 1:
        return False
    if not all(_series(data[k], kind) for k, kind in CONVERGENCE_SERIES.items()):
        return False
    return (
        data["learner"] == learner
        and _same(data["factor"], factor)
        and data["correction"] == correction
    )


def _losses_fit(text: Any, n: int | None) -> bool:
    """Whether ``text`` holds ``n`` per-row log losses (finite, non-negative), encoded."""
    if not isinstance(text, str):
        return False
    try:
        values = decode(text)
    except ValueError:  # not base64, or not whole float32 values
        return False
    if n is not None and values.size != n:
        return False
    return bool(np.isfinite(values).all() and (values >= 0).all())


def _damaged(name: str) -> None:
    warnings.warn(f"{name} was damaged; it is computed again", UpweightWarning, stacklevel=4)


def _damaged_many(names: list[str]) -> None:
    """One warning for every damaged run (a folder can hold hundreds)."""
    if len(names) == 1:
        _damaged(names[0])
    elif names:
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        warnings.warn(
            f"{len(names)} stored runs were damaged ({shown}); they are computed again",
            UpweightWarning,
            stacklevel=4,
        )


def stored_runs(
    folder: OutputFolder,
    configs: Iterable[Config],
    sizes: Callable[[Config], tuple[int, int]] | None = None,
) -> dict[str, Any]:
    """Config id -> the stored run of each of ``configs`` that is sound.

    ``sizes(config)``: how many validation and test losses its run must hold.
    """
    done: dict[str, Any] = {}
    damaged: list[str] = []
    for c in configs:
        if not os.path.lexists(folder.path / c.file_name):
            continue
        data = folder.read_json(c.file_name)
        if valid_run(
            data,
            config_id=c.id,
            model=c.model,
            factor=c.factor,
            upweight=c.upweight,
            correction=c.correction,
            repeat=c.repeat,
            fold=c.fold,
            sizes=None if sizes is None else sizes(c),
        ):
            done[c.id] = data
        else:
            damaged.append(c.file_name)
    _damaged_many(damaged)
    return done


def stored_convergence(
    folder: OutputFolder, keys: Iterable[ConvergenceKey]
) -> dict[ConvergenceKey, Any]:
    """The stored convergence run of each of ``keys`` that is sound."""
    done: dict[ConvergenceKey, Any] = {}
    for key in keys:
        if not os.path.lexists(folder.path / key.file_name):
            continue
        data = folder.read_json(key.file_name)
        if valid_convergence(
            data, learner=key.learner, factor=key.factor, correction=key.correction
        ):
            done[key] = data
        else:
            _damaged(key.file_name)
    return done
