"""Known-truth data: the labels follow the stated model."""

from __future__ import annotations

import numpy as np
import pytest

from upweight import InputError
from upweight.datasets import make_imbalanced


def test_shares_and_truth():
    data = make_imbalanced(400_000, minority_share=0.02, random_state=0)
    assert data.proba.mean() == pytest.approx(0.02, rel=0.02)
    assert data.y.mean() == pytest.approx(0.02, rel=0.05)
    np.testing.assert_allclose(data.true_proba(data.X), data.proba)
    # calibration of the truth itself, by decile of the true probability
    order = np.argsort(data.proba)
    for chunk in np.array_split(order, 10):
        assert data.y[chunk].mean() == pytest.approx(data.proba[chunk].mean(), abs=0.004)


def test_seeded_and_shaped():
    a = make_imbalanced(1_000, n_features=7, n_informative=2, random_state=3)
    b = make_imbalanced(1_000, n_features=7, n_informative=2, random_state=3)
    np.testing.assert_array_equal(a.X, b.X)
    assert a.X.shape == (1_000, 7)
    assert np.count_nonzero(a.coef) == 2
    assert a.feature_names == tuple(f"x{j}" for j in range(7))
    table = a.to_arrow(label="target")
    assert table.column_names[-1] == "target" and table.num_rows == 1_000


@pytest.mark.parametrize(
    "kwargs",
    [{"n_samples": 0}, {"minority_share": 0.7}, {"n_features": 0}, {"n_informative": 9}],
)
def test_refusals(kwargs):
    args = {"n_samples": 100} | kwargs
    with pytest.raises(InputError):
        make_imbalanced(**args)
