"""The sweep: factor, upweight and correction tuned like hyperparameters, with a report.

:func:`sweep` computes (:mod:`._run`), :class:`SweepResult` holds the plain data
(:mod:`._result`), and the plots and the HTML report only read it (:mod:`._plots`,
:mod:`._report`). Data access goes through :mod:`._source`.
"""

from __future__ import annotations

from ._result import Choice, Recommendation, SweepResult
from ._run import DEFAULT_FACTORS, sweep

__all__ = ["DEFAULT_FACTORS", "Choice", "Recommendation", "SweepResult", "sweep"]
