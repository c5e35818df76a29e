"""The saved result: ``result.json``, beside ``results.parquet``; ``SweepResult.load``.

``results.parquet`` is the table to read with other tools; ``result.json`` holds all a
:class:`SweepResult` holds -- the rows, the summary, the curves, the convergence runs,
the profile, the split, the settings, the timings and the recommendation -- so the
report can be drawn again and the recommendation read without running the sweep again.

Rows and settings are stored as they are, whatever their columns and keys: only the few
fields the report and the recommendation read are checked on the way back. Numbers keep
their value: a figure that is not finite is written as JSON's ``NaN`` / ``Infinity``, as
in the stored runs (``runs/*.json``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._exceptions import FileError
from .._profile import ImbalanceProfile
from ._outdir import MANIFEST, RESULT, fault, listed_files

if TYPE_CHECKING:
    from ._outdir import OutputFolder
    from ._result import SweepResult

__all__ = ["FORMAT", "read_result", "state", "write_result"]

FORMAT = "upweight.sweep-result/1"
_FAMILY = "upweight.sweep-result/"
#: What each part of the file is, and what it must be.
_PARTS: dict[str, type] = {
    "settings": dict,
    "profile": dict,
    "split": dict,
    "results": list,
    "summary": list,
    "curves": dict,
    "convergence": list,
    "timings": dict,
    "recommendation": dict,
}
#: What identifies a configuration: every row of the results and the summary holds it.
_CONFIGURATION = ("model", "factor", "upweight", "correction")


def _plain(value: Any) -> Any:
    """``value`` with tuples as lists and NumPy values as Python ones (floats unchanged)."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def state(result: SweepResult) -> dict[str, Any]:
    """What ``result.json`` holds (see the module's notes)."""
    from .. import __version__

    prof = result.profile
    return _plain(
        {
            "format": FORMAT,
            "upweight_version": __version__,
            "settings": result.settings,
            "profile": {
                "classes": prof.classes,
                "counts": prof.counts,
                "batch_size": prof.batch_size,
            },
            "split": result.split,
            "results": result.results,
            "summary": result.summary,
            "curves": result.curves,
            "convergence": result.convergence,
            "timings": result.timings,
            "recommendation": result.recommendation.to_dict(),
        }
    )


def write_result(result: SweepResult, folder: OutputFolder) -> Path:
    """Write ``result.json`` into a folder opened by the sweep (atomically, listed first)."""
    text = json.dumps(state(result), default=str)

    def fill(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return folder.write(RESULT, fill)


# -- reading it back -----------------------------------------------------------------------------
class _Damaged(Exception):
    """What is wrong with a ``result.json``, in a few words."""


def _number(value: Any, *, optional: bool = False) -> bool:
    if value is None:
        return optional
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_choice(data: Any, which: str) -> None:
    if not isinstance(data, dict):
        raise _Damaged(f"its recommendation has no {which} configuration")
    if not (
        isinstance(data.get("model"), str)
        and _number(data.get("factor"))
        and _number(data.get("upweight"), optional=True)
        and isinstance(data.get("correction"), str)
        and isinstance(data.get("figures"), dict)
        and all(_number(v, optional=True) for v in data["figures"].values())
    ):
        raise _Damaged(f"the {which} configuration of its recommendation is incomplete")


def _check_recommendation(data: dict[str, Any]) -> None:
    _check_choice(data.get("best"), "best")
    _check_choice(data.get("cheapest"), "cheapest")
    lines = data.get("lines")
    if not _number(data.get("tolerance")) or not (
        isinstance(lines, list) and all(isinstance(line, str) for line in lines)
    ):
        raise _Damaged("its recommendation has no tolerance or no text")


def _profile(data: dict[str, Any]) -> ImbalanceProfile:
    classes, counts, size = data.get("classes"), data.get("counts"), data.get("batch_size")
    if not (
        isinstance(classes, list)
        and isinstance(counts, list)
        and len(classes) == len(counts) >= 2
        and all(isinstance(c, int | str | float) for c in classes)
        and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in counts)
        and (size is None or (isinstance(size, int) and not isinstance(size, bool) and size > 0))
    ):
        raise _Damaged("its class profile is incomplete")
    return ImbalanceProfile(classes=tuple(classes), counts=tuple(counts), batch_size=size)


def _parts(data: Any) -> dict[str, Any]:
    """The arguments of :class:`SweepResult` (the recommendation as plain data)."""
    if not isinstance(data, dict):
        raise _Damaged("it is not a JSON object")
    for name, kind in _PARTS.items():
        if not isinstance(data.get(name), kind):
            raise _Damaged(f"it has no {name}")
    for name in ("results", "summary", "convergence"):
        if not all(isinstance(row, dict) for row in data[name]):
            raise _Damaged(f"its {name} holds something that is not a row")
    if not data["results"] or not data["summary"]:
        raise _Damaged("it holds no results")
    for name in ("results", "summary"):
        if not all(all(key in row for key in _CONFIGURATION) for row in data[name]):
            raise _Damaged(f"a row of its {name} names no configuration")
    if not all(isinstance(c, dict) for c in data["curves"].values()):
        raise _Damaged("its curves are incomplete")
    if not all(_number(v) for v in data["timings"].values()):
        raise _Damaged("its timings are not numbers")
    _check_recommendation(data["recommendation"])
    return {name: _profile(data[name]) if name == "profile" else data[name] for name in _PARTS}


def read_result(outdir: str | os.PathLike[str]) -> dict[str, Any]:
    """The arguments of :class:`SweepResult` saved in ``outdir`` (``outdir`` included).

    The recommendation is left as plain data (checked: ``Recommendation.from_dict`` reads
    it). Every way this fails is one :class:`~upweight.FileError` saying what to do.
    """
    folder, files = listed_files(outdir)
    path = folder / RESULT
    again = f"run the same sweep into {folder} again (its finished runs are reused)"
    if not os.path.lexists(path):
        raise FileError(
            f"{folder} holds no saved sweep result (no {RESULT}: the sweep stopped early, ran "
            f"with report=False, or an older upweight wrote the folder); {again} to write it"
        )
    if RESULT not in files:
        raise FileError(
            f"{path} was not written by upweight sweep (the folder's {MANIFEST} does not "
            f"list it); move it away and {again}"
        )
    try:
        data = json.loads(path.read_bytes())
    except (IsADirectoryError, ValueError, RecursionError):  # not JSON (or not UTF-8)
        data = None
    except OSError as exc:
        raise fault("read", path, exc) from None
    found = data.get("format") if isinstance(data, dict) else None
    if isinstance(found, str) and found.startswith(_FAMILY) and found != FORMAT:
        raise FileError(
            f"{path} was written by another version of upweight (format {found!r}; this one "
            f"reads {FORMAT!r}); upgrade upweight, or {again} with this one"
        )
    try:
        if found != FORMAT:
            raise _Damaged(f"it is not JSON of format {FORMAT!r}")
        parts = _parts(data)
    except _Damaged as exc:
        raise FileError(
            f"{path} is damaged ({exc}); {again} to write it anew, or pass --overwrite "
            "(overwrite=True) to start over"
        ) from None
    return {**parts, "outdir": folder}
