"""The demo: the course's scenario, generated with a known truth, swept end to end."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from ._sweep._arguments import DEFAULT_FACTORS, Arguments
from ._sweep._result import SweepResult
from ._sweep._run import FolderRules, run
from ._sweep._split import test_positions
from .datasets import make_imbalanced
from .metrics import Evaluation, evaluate

__all__ = ["run_demo"]

#: The demo's folder rules: a folder holding any file upweight did not write is refused,
#: and the demo's own earlier results (other rows or seed) are replaced without a flag.
DEMO_RULES = FolderRules(strict=True, replace_other=True, who="upweight demo")

MINORITY_SHARE = 0.01
#: Expected minority rows at least, for small demos: the default split needs 95 (10 in
#: each of validation and test), and 200 expected leaves 7 standard deviations of room.
SMALL_MINORITY_ROWS = 200


def run_demo(
    n_rows: int = 1_000_000,
    *,
    seed: int = 0,
    outdir: str | os.PathLike[str] | None = "upweight-demo",
    factors: Sequence[float] = DEFAULT_FACTORS,
    corrections: Sequence[str] = ("upweight", "offset", "none"),
    convergence: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[SweepResult, Evaluation]:
    """Sweep logistic regression on the course's scenario, and score the true model too.

    The data (:func:`upweight.datasets.make_imbalanced`, 1 % positives, five features,
    known ``P(y | x)``) goes through :func:`upweight.sweep` with its defaults: factors 1 to
    100, every correction, convergence measured, report written to ``outdir``. The true
    probabilities of the sweep's test rows are scored as well, as the bar to reach.

    Parameters
    ----------
    n_rows : int, default=1_000_000
        Rows to generate. Below 20,000 rows the minority share grows (to about 200 rows),
        so that validation and test each hold enough minority rows.
    seed : int, default=0
        Seed of the data, the split and the downsampling.
    outdir : path or None, default="upweight-demo"
        Folder of the report; None writes nothing. The demo's own earlier results there
        (other rows or seed) are replaced; a folder holding any file that upweight did not
        write is refused (:class:`~upweight.FileError`).
    factors, corrections, convergence
        As in :func:`upweight.sweep`.
    progress : callable, optional
        Progress callback, as in :func:`upweight.sweep`.

    Returns
    -------
    result : SweepResult
    truth : Evaluation
        The true ``P(y | x)`` scored on the sweep's test rows.
    """
    share = max(MINORITY_SHARE, SMALL_MINORITY_ROWS / n_rows)
    data = make_imbalanced(n_rows, minority_share=share, random_state=seed)
    arguments = Arguments.check(
        factors=factors, corrections=corrections, seed=seed, convergence=convergence
    )
    result = run(
        data.X,
        label=None,
        y=data.y,
        args=arguments,
        outdir=outdir,
        progress=progress,
        rules=DEMO_RULES,
    )
    test = test_positions(data.y, 2, result.settings)
    return result, evaluate(data.y[test], data.proba[test])
