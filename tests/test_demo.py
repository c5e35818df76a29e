"""The demo's claims, on the demo's own data (1M rows)."""

from __future__ import annotations

import pytest

from upweight._demo import run_demo


@pytest.mark.slow
def test_demo_claims_hold_on_the_full_demo_data():
    result = run_demo(1_000_000, factor=25, seed=0, repeats=1)
    full = result.row("full data").metrics
    upweighted = result.row("k=25, upweighted").metrics
    offset = result.row("k=25, offset").metrics
    biased = result.row("k=25, no correction").metrics
    # downsampled by 25 and upweighted: within 1 % of the full-data log loss
    assert upweighted.log_loss <= 1.01 * full.log_loss
    assert offset.log_loss <= 1.01 * full.log_loss
    # downsampled only: a large positive prediction bias (the course's point)
    assert biased.prediction_bias > 500
    assert abs(upweighted.prediction_bias) < 10 and abs(offset.prediction_bias) < 10
    assert result.row("k=25, upweighted").rows_trained < result.row("full data").rows_trained / 15
    # and close to the truth itself
    assert upweighted.log_loss <= 1.01 * result.truth.log_loss


def test_demo_structure_on_small_data():
    result = run_demo(50_000, factor=10, seed=3, repeats=1)
    assert [r.name for r in result.rows] == [
        "full data",
        "k=10, no correction",
        "k=10, upweighted",
        "k=10, offset",
    ]
    assert result.test_rows == 10_000
    assert result.to_dict()["rows"][2]["rows_trained"] == result.rows[2].rows_trained
