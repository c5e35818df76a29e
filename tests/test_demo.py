"""The demo: the full sweep on the course's scenario, and its claims on the demo's data."""

from __future__ import annotations

import pytest

from upweight._demo import run_demo


def _entry(result, factor, correction):
    return next(
        e for e in result.summary if e["factor"] == factor and e["correction"] == correction
    )


@pytest.mark.slow
def test_demo_claims_hold_on_the_full_demo_data():
    result, truth = run_demo(1_000_000, seed=0, outdir=None, factors=[1, 25], convergence=False)
    full = _entry(result, 1, "upweight")
    upweighted = _entry(result, 25, "upweight")
    offset = _entry(result, 25, "offset")
    biased = _entry(result, 25, "none")
    # downsampled by 25 and upweighted: within 1 % of the full-data log loss
    assert upweighted["test_log_loss_mean"] <= 1.01 * full["test_log_loss_mean"]
    assert offset["test_log_loss_mean"] <= 1.01 * full["test_log_loss_mean"]
    # downsampled only: a large positive prediction bias (the course's point)
    assert biased["test_prediction_bias_mean"] > 500
    assert abs(upweighted["test_prediction_bias_mean"]) < 10
    assert abs(offset["test_prediction_bias_mean"]) < 10
    assert upweighted["rows_trained_mean"] < full["rows_trained_mean"] / 15
    # and close to the truth itself
    assert upweighted["test_log_loss_mean"] <= 1.01 * truth.log_loss


def test_demo_structure_on_small_data(tmp_path):
    result, truth = run_demo(
        50_000, seed=3, outdir=tmp_path / "demo", factors=[1, 10], convergence=False
    )
    assert [(r["factor"], r["correction"]) for r in result.results] == [
        (1.0, "upweight"),
        (1.0, "offset"),
        (1.0, "none"),
        (10.0, "upweight"),
        (10.0, "offset"),
        (10.0, "none"),
    ]
    assert result.split["test"]["rows"] == 5_000 and truth.n == 5_000
    assert (tmp_path / "demo" / "report.html").exists()
