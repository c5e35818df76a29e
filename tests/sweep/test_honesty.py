"""Known truth, several seeds: the recommendation is as good as training on all rows."""

from __future__ import annotations

import pytest

import upweight
from upweight.datasets import make_imbalanced


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_the_pick_stays_within_the_tolerance_of_all_rows_on_test(seed):
    """30,000 rows at 2 % positives (cross-validated: validation would hold 54): the
    cheapest pick's test log loss is within 1 % of the full-data model's, on the same
    test rows. ``benchmarks/honesty.py`` runs 25 seeds of this and of a hold-out regime."""
    data = make_imbalanced(30_000, minority_share=0.02, random_state=1_000 + seed)
    result = upweight.sweep(data.X, y=data.y, seed=seed, convergence=False)
    assert result.settings["scheme"]["kind"] == "cv"
    full = next(e for e in result.summary if e["factor"] == 1 and e["correction"] == "upweight")
    pick = result.recommendation.cheapest
    assert pick.figures["test_log_loss"] <= full["test_log_loss_mean"] * 1.01, (
        result.recommendation.text
    )
    assert pick.factor > 1  # on this much data, downsampling is shown to be safe
