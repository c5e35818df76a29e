"""The sweep: factor, upweight and correction tuned like hyperparameters, with a report.

:func:`sweep` computes (:mod:`._run`, in steps: :mod:`._arguments`, :mod:`._split`,
:mod:`._holdout`, :mod:`._draws`), :class:`SweepResult` holds the plain data
(:mod:`._result`), and the plots and the HTML report only read it (:mod:`._plots`,
:mod:`._report`); :mod:`._save` writes them into the output folder (:mod:`._outdir`).
Data access goes through :mod:`._source`.

The names load on first use, so that the command line starts without the sweep's
imports when it runs another command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._arguments import DEFAULT_FACTORS
    from ._result import Choice, Recommendation, SweepResult
    from ._run import sweep

__all__ = ["DEFAULT_FACTORS", "Choice", "Recommendation", "SweepResult", "sweep"]

_HOMES = {
    "Choice": "._result",
    "Recommendation": "._result",
    "SweepResult": "._result",
    "DEFAULT_FACTORS": "._arguments",
    "sweep": "._run",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))
