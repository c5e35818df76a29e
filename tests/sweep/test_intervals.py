"""The intervals: per-row losses, pooling over draws, and the paired stratified bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from upweight._sweep._intervals import (
    Pooled,
    bootstrap_means,
    decode,
    encode,
    interval,
    pool,
    row_losses,
    sample_rates,
    sampled,
)
from upweight.datasets import make_imbalanced


def test_row_losses_match_the_log_loss_of_each_row():
    p = np.array([0.9, 0.2, 0.5])
    y = np.array([1, 0, 1])
    assert np.allclose(row_losses(p, y, 1), -np.log([0.9, 0.8, 0.5]), atol=1e-6)
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    assert np.allclose(row_losses(proba, np.array([0, 2]), 1), -np.log([0.7, 0.8]), atol=1e-6)
    assert np.isfinite(row_losses(np.array([0.0]), np.array([1]), 1)).all()  # clipped


def test_losses_survive_their_text_form():
    values = np.random.default_rng(0).random(1000).astype(np.float32)
    assert np.array_equal(decode(encode(values)), values)


def test_the_sample_is_decided_by_position_and_keeps_small_classes_whole():
    codes = np.r_[np.zeros(50_000, dtype=np.intp), np.ones(300, dtype=np.intp)]
    everything = np.arange(codes.size)
    rates = sample_rates(everything, codes)
    assert rates[1] == 1.0 and rates[0] == pytest.approx(10_000 / 50_000)
    chosen = everything[sampled(everything, codes, rates, seed=3)]
    assert np.count_nonzero(codes[chosen] == 1) == 300
    assert 9_000 < np.count_nonzero(codes[chosen] == 0) < 11_000
    # a subset of positions (one fold) keeps exactly the chosen rows that fall in it
    fold = everything[::3]
    in_fold = fold[sampled(fold, codes, rates, seed=3)]
    assert np.array_equal(in_fold, np.intersect1d(chosen, fold))


def test_pool_averages_a_row_over_its_draws():
    codes = np.array([0, 0, 1, 1])
    a = [
        (np.array([0, 2]), np.array([1.0, 2.0], np.float32)),
        (np.array([1, 3, 2]), np.array([3.0, 4.0, 4.0], np.float32)),
    ]
    b = [
        (np.array([0, 2]), np.array([0.0, 0.0], np.float32)),
        (np.array([1, 3, 2]), np.array([0.0, 0.0, 0.0], np.float32)),
    ]
    pooled = pool([a, b], codes, {0: 0.5, 1: 0.5})
    assert isinstance(pooled, Pooled)
    assert np.array_equal(pooled.positions, [0, 1, 2, 3])
    assert np.allclose(pooled.losses[0], [1.0, 3.0, 3.0, 4.0])  # row 2: (2 + 4) / 2
    assert np.allclose(pooled.means(), [0.5 * 2.0 + 0.5 * 3.5, 0.0])


def test_identical_groups_have_a_zero_width_difference():
    rng = np.random.default_rng(0)
    losses = rng.random(500)
    codes = (rng.random(500) < 0.1).astype(np.intp)
    pooled = Pooled(np.arange(500), codes, np.vstack([losses, losses]), {0: 0.9, 1: 0.1})
    samples = bootstrap_means(pooled, seed=0, resamples=200)
    low, high = interval(samples[:, 0] - samples[:, 1], 0.0, 0.0)
    assert low == high == 0.0


def _fixed_models() -> tuple[LogisticRegression, LogisticRegression, float]:
    """Two fitted models of a known truth, and their true difference in expected log loss
    (under the true ``P(y | x)``, over 400,000 fresh rows)."""
    data = make_imbalanced(6_000, minority_share=0.05, random_state=1)
    good = LogisticRegression().fit(data.X, data.y)
    poor = LogisticRegression(C=0.002).fit(data.X[:600], data.y[:600])
    fresh = make_imbalanced(400_000, minority_share=0.05, random_state=2)

    def losses(model: LogisticRegression) -> tuple[np.ndarray, np.ndarray]:
        q = np.clip(model.predict_proba(fresh.X)[:, 1], 1e-15, 1 - 1e-15)
        return -np.log(q), -np.log1p(-q)

    (g1, g0), (p1, p0) = losses(good), losses(poor)
    p = fresh.proba
    return good, poor, float(np.mean(p * (p1 - g1) + (1 - p) * (p0 - g0)))


@pytest.mark.slow
def test_intervals_cover_the_true_difference_at_about_their_rate():
    """Validation sets drawn afresh from a known truth: the 95 % interval of the difference
    between two fixed models' log losses covers the true difference about 95 % of the time."""
    good, poor, truth = _fixed_models()
    covered, runs = 0, 200
    for seed in range(runs):
        val = make_imbalanced(3_000, minority_share=0.05, random_state=100 + seed)
        losses = np.vstack(
            [row_losses(m.predict_proba(val.X)[:, 1], val.y, 1) for m in (good, poor)]
        ).astype(np.float64)
        codes = val.y.astype(np.intp)
        shares = {c: float(np.mean(codes == c)) for c in (0, 1)}
        pooled = Pooled(np.arange(codes.size), codes, losses, shares)
        samples = bootstrap_means(pooled, seed=seed, resamples=400)
        means = pooled.means()
        low, high = interval(
            samples[:, 1] - samples[:, 0], means[1] - means[0], means[1] - means[0]
        )
        covered += low <= truth <= high
    # binomial(200, 0.95): 95 % of runs land in 184-196
    assert 180 <= covered <= 199, f"{covered} of {runs} intervals covered {truth:.5f}"
