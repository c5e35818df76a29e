"""One sort, every ranking metric: the figures equal scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
)

from upweight._sweep._metrics import curves, evaluate_binary


@pytest.mark.parametrize("ties", [False, True])
def test_metrics_match_scikit_learn(ties):
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 0.3, 5_000)
    if ties:
        p = np.round(p, 2)  # many equal scores
    y = (rng.random(5_000) < p).astype(float)
    m = evaluate_binary(y, p, precision=0.3)
    assert m["average_precision"] == pytest.approx(average_precision_score(y, p), rel=1e-12)
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, p), rel=1e-12)
    assert m["log_loss"] == pytest.approx(log_loss(y, p), rel=1e-9)
    assert m["brier"] == pytest.approx(brier_score_loss(y, p), rel=1e-12)
    prec, rec, _ = precision_recall_curve(y, p)
    assert m["recall_at_precision"] == pytest.approx(rec[prec >= 0.3].max())
    assert m["prediction_bias"] == pytest.approx(100 * (p.mean() - y.mean()) / y.mean())


def test_recall_is_zero_when_no_threshold_reaches_the_precision():
    y = np.array([0.0, 1.0, 0.0, 1.0])
    p = np.array([0.9, 0.1, 0.8, 0.2])  # ranked backwards
    assert evaluate_binary(y, p, precision=0.9)["recall_at_precision"] == 0.0


def test_curves_are_small_and_consistent():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.2, 100_000)
    y = (rng.random(100_000) < p).astype(float)
    c = curves(y, p)
    assert len(c["pr_recall"]) <= 200
    assert sum(c["reliability_rows"]) == 100_000
    # calibrated by construction: observed rates follow the predictions
    gap = np.abs(np.array(c["reliability_predicted"]) - np.array(c["reliability_observed"]))
    assert gap.max() < 0.02
