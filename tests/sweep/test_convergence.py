"""Convergence runs: losses recorded as training goes, empty batches counted."""

from __future__ import annotations

import numpy as np
import pytest

import upweight
from upweight._sweep._convergence import checkpoints, run_convergence


def test_checkpoints_are_log_spaced_and_end_at_the_budget():
    points = checkpoints(400)
    assert points[0] == 1 and points[-1] == 400
    assert points == sorted(set(points))


def test_empty_batches_match_the_profiles_prediction(small_data):
    X, y = small_data.X, small_data.y.astype(float)
    plan = upweight.plan(small_data.y, factor=1).applied(
        {0: int((y == 0).sum()), 1: int(y.sum())}, method="exact", seed=0
    )
    run = run_convergence(
        X,
        y,
        None,
        correction="none",
        plan=plan,
        classes=[0, 1],
        X_val=X[:2_000],
        outcome_val=y[:2_000],
        center=np.zeros(X.shape[1]),
        scale=np.ones(X.shape[1]),
        batch_size=16,
        n_batches=600,
        seed=0,
    )
    seen = run["batches_without_minority"] / run["batches"]
    assert abs(seen - run["predicted_share_without_minority"]) < 0.06
    assert run["examples"][-1] == 600 * 16
    assert run["val_log_loss"][-1] < run["val_log_loss"][0]
    assert run["seconds"] == sorted(run["seconds"])


def test_the_sweep_measures_convergence_per_factor(swept):
    result, _ = swept
    factors = sorted({r["factor"] for r in result.convergence})
    assert factors == [1.0, 5.0, 20.0]
    summary = {(c["factor"], c["correction"]): c for c in result.convergence_summary()}
    # with 3 % positives, batches of 16 are often empty at k = 1, rarely at k = 20
    assert summary[1.0, "upweight"]["share_without_minority"] > 0.4
    assert summary[20.0, "upweight"]["share_without_minority"] < 0.05
    assert "Convergence (SGD" in result.recommendation.text


def test_a_small_torch_model_learns_too(small_data):
    pytest.importorskip("torch")
    X, y = small_data.X, small_data.y.astype(float)
    plan = upweight.plan(small_data.y, factor=1).applied(
        {0: int((y == 0).sum()), 1: int(y.sum())}, method="exact", seed=0
    )
    run = run_convergence(
        X,
        y,
        None,
        correction="none",
        plan=plan,
        classes=[0, 1],
        X_val=X[:2_000],
        outcome_val=y[:2_000],
        center=np.zeros(X.shape[1]),
        scale=np.ones(X.shape[1]),
        batch_size=32,
        n_batches=200,
        seed=0,
        learner="torch",
    )
    assert run["learner"] == "torch"
    assert run["val_log_loss"][-1] < run["val_log_loss"][0]
