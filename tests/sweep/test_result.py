"""The recommendation, from summaries made by hand: what it picks and what it admits."""

from __future__ import annotations

from upweight._sweep._result import describe, recommend


def entry(factor, correction, loss, rows, bias=0.0, seconds=1.0):
    upweight = factor if correction == "upweight" else None
    figures = {
        "rows_trained": rows,
        "fit_seconds": seconds,
        "val_log_loss": loss,
        "val_prediction_bias": bias,
        "test_log_loss": loss,
        "test_prediction_bias": bias,
        "test_average_precision": 0.1,
        "test_roc_auc": 0.8,
        "test_recall_at_precision": 0.1,
    }
    return {
        "model": "hgb",
        "factor": float(factor),
        "upweight": None if upweight is None else float(upweight),
        "correction": correction,
        "name": describe(factor, upweight, correction),
        **{f"{k}_mean": v for k, v in figures.items()},
    }


SUMMARY = [
    entry(1, "upweight", 0.0500, 800_000, seconds=10),
    entry(1, "offset", 0.0500, 800_000, seconds=10),
    entry(25, "upweight", 0.0560, 40_000, bias=47.0),
    entry(25, "offset", 0.0502, 40_000, bias=6.0),
    entry(25, "none", 0.1900, 40_000, bias=1400.0),
    entry(100, "offset", 0.0530, 16_000),
]


def test_best_and_cheapest_within_the_tolerance():
    rec = recommend(SUMMARY, [], tolerance=0.01, train_rows=800_000, batch_size=32)
    assert (rec.best.factor, rec.best.correction) == (1.0, "upweight")
    assert (rec.cheapest.factor, rec.cheapest.correction) == (25.0, "offset")
    assert "Cheapest by fit time within 1% of the best: k=25, offset" in rec.text
    assert "95%" not in rec.text  # made by hand, without intervals: none claimed


def test_what_does_worse_is_said():
    text = recommend(SUMMARY, [], tolerance=0.01, train_rows=800_000, batch_size=32).text
    assert "No correction does clearly worse at k=25" in text and "k=25: +1,400%" in text
    assert "Upweighting does clearly worse at k=25 (log loss +11.6% against k=25, offset" in text
    assert "k=100 (+6.0%)" in text  # a factor too far from the best
    assert "Still biased by more than 10% on validation despite a correction: k=25, up" in text


def run(factor, final, reached):
    return {
        "learner": "sgd",
        "factor": float(factor),
        "correction": "upweight",
        "final_log_loss": final,
        "examples_seen": 12_800,
        "seconds": 1.0,
        "target_log_loss": 0.0490,
        "examples_to_target": reached,
        "seconds_to_target": None if reached is None else 0.1,
        "share_without_minority": 0.7 if factor == 1 else 0.0,
        "predicted_share_without_minority": 0.72 if factor == 1 else 0.0,
    }


def test_convergence_is_compared_with_k_1_and_noise_admitted():
    summary = [entry(1, "upweight", 0.05, 800_000), entry(25, "upweight", 0.05, 40_000)]
    runs = [run(1, 0.0505, None), run(25, 0.0480, 960), run(100, 0.0500, 700)]
    text = recommend(summary, runs, tolerance=0.01, train_rows=800_000, batch_size=32).text
    assert "k=1 not within the budget, k=25 after 960 examples" in text
    assert "converges faster than k=1" in text
    assert "ended above it again (noisy steps): k=100 upweight (0.05)" in text
