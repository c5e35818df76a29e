"""DownsampleUpweight: behaviour, and imbalanced-learn's own sampler checks."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from imblearn.pipeline import make_pipeline as imb_pipeline
from imblearn.under_sampling import RandomUnderSampler
from imblearn.utils.estimator_checks import estimator_checks_generator
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

import upweight
from upweight import PlanError
from upweight.sklearn import DownsampleUpweight

IMBLEARN_CHECKS = list(estimator_checks_generator(DownsampleUpweight(random_state=0)))


@pytest.mark.parametrize(
    ("estimator", "check"),
    IMBLEARN_CHECKS,
    ids=[check.func.__name__ for _, check in IMBLEARN_CHECKS],
)
def test_imbalanced_learn_sampler_checks(estimator, check):
    check(estimator)


@sklearn_checks([DownsampleUpweight(random_state=0), DownsampleUpweight(factor=2, random_state=0)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def make_data(n=20_000, share=0.02, seed=0):
    data = upweight.datasets.make_imbalanced(n, minority_share=share, random_state=seed)
    return data.X, data.y


def test_factor_weights_and_indices():
    X, y = make_data()
    sampler = DownsampleUpweight(factor=10, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    np.testing.assert_array_equal(X_res, X[sampler.sample_indices_])
    np.testing.assert_array_equal(y_res, y[sampler.sample_indices_])
    assert (y_res == 1).sum() == (y == 1).sum()
    assert set(sampler.sample_weight_[y_res == 0]) == {10.0}
    assert set(sampler.sample_weight_[y_res == 1]) == {1.0}
    assert sampler.plan_.kept[0] == round((y == 0).sum() / 10)
    assert sampler.sampling_strategy_ == {0: sampler.plan_.kept[0]}


def test_default_keeps_the_same_counts_as_random_under_sampler_and_adds_weights():
    X, y = make_data()
    ours = DownsampleUpweight(random_state=0)
    _, y_res = ours.fit_resample(X, y)
    _, y_rus = RandomUnderSampler(random_state=0).fit_resample(X, y)
    assert np.bincount(y_res).tolist() == np.bincount(y_rus).tolist()
    n0 = (y == 0).sum()
    assert ours.sample_weight_[y_res == 0].sum() == pytest.approx(n0, rel=1e-9)


def test_sampling_strategy_dict():
    X, y = make_data()
    ours = DownsampleUpweight(sampling_strategy={0: 1_000}, weights="exact", random_state=0)
    _, y_res = ours.fit_resample(X, y)
    assert (y_res == 0).sum() == 1_000
    assert ours.sample_weight_[y_res == 0].sum() == pytest.approx((y == 0).sum())


def test_target_share_and_upweight():
    X, y = make_data()
    ours = DownsampleUpweight(target_share=0.25, upweight=3.0, random_state=0)
    _, y_res = ours.fit_resample(X, y)
    assert (y_res == 1).mean() == pytest.approx(0.25, abs=0.002)
    assert set(ours.sample_weight_[y_res == 0]) == {3.0}


def test_frames_come_back_as_frames():
    X, y = make_data(2_000)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    sampler = DownsampleUpweight(factor=5, random_state=0)
    X_res, y_res = sampler.fit_resample(df, pd.Series(y, name="y"))
    assert isinstance(X_res, pd.DataFrame) and list(X_res.columns) == list(df.columns)
    assert (X_res.index == y_res.index).all()
    X_pl, y_pl = sampler.fit_resample(pl.DataFrame(df), pl.Series("y", y))
    assert isinstance(X_pl, pl.DataFrame) and isinstance(y_pl, pl.Series)
    np.testing.assert_allclose(X_pl.to_numpy(), X_res.to_numpy())


def test_upweighted_fit_is_calibrated():
    X, y = make_data(100_000, share=0.01, seed=1)
    sampler = DownsampleUpweight(factor=20, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    model = LogisticRegression().fit(X_res, y_res, sample_weight=sampler.sample_weight_)
    assert model.predict_proba(X)[:, 1].mean() == pytest.approx(y.mean(), rel=0.1)


def test_in_an_imbalanced_learn_pipeline_the_weights_are_lost():
    # documented limitation: imbalanced-learn's Pipeline passes only X and y on
    X, y = make_data(100_000, share=0.01, seed=1)
    pipe = imb_pipeline(DownsampleUpweight(factor=20, random_state=0), LogisticRegression())
    pipe.fit(X, y)
    assert pipe.predict_proba(X)[:, 1].mean() > 5 * y.mean()


def test_refusals():
    X, y = make_data(2_000)
    with pytest.raises(ValueError, match="not both"):
        DownsampleUpweight(factor=2, sampling_strategy={0: 10}).fit_resample(X, y)
    with pytest.raises(PlanError, match="not in the labels"):
        DownsampleUpweight(factor={7: 2}).fit_resample(X, y)
    with pytest.raises(ValueError, match="factor"):
        DownsampleUpweight(factor=0.5).fit_resample(X, y)
    with pytest.raises(ValueError, match="class"):
        DownsampleUpweight(factor=2).fit_resample(X, np.zeros(len(y)))


def test_mixed_label_types_get_one_clear_error_in_both_wrappers():
    """scikit-learn sorted them and raised Python's "'<' not supported" TypeError."""
    from upweight.sklearn import DownsampledClassifier

    X = np.random.default_rng(0).normal(size=(200, 2))
    y = np.array([1 if i % 10 else "x" for i in range(200)], dtype=object)
    with pytest.raises(upweight.LabelError, match=r"mixes value types \(int, str\)"):
        DownsampleUpweight(factor=2).fit_resample(X, y)
    with pytest.raises(upweight.LabelError, match=r"mixes value types \(int, str\)"):
        DownsampledClassifier(LogisticRegression(), factor=2).fit(X, y)


def test_factor_and_a_sampling_strategy_together_are_an_upweight_error():
    X = np.zeros((200, 1))
    y = np.array([1] * 150 + [0] * 50)
    with pytest.raises(upweight.InputError, match="not both"):
        DownsampleUpweight(factor=2, sampling_strategy={1: 50}).fit_resample(X, y)


# -- factors that go too far -------------------------------------------------------------------
def breast_cancer_nine_to_one():
    """scikit-learn's breast cancer set with its positives cut to 40: 357 benign, 40 malignant."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    y = 1 - y  # 1 = malignant
    keep = np.flatnonzero(y == 0).tolist() + np.flatnonzero(y == 1)[:40].tolist()
    return X[keep], y[keep]


def test_the_sampler_warns_once_when_a_factor_goes_too_far():
    X, y = breast_cancer_nine_to_one()
    with pytest.warns(upweight.OverDownsampleWarning, match="factor <= 9 keeps class 0") as w:
        DownsampleUpweight(factor=50, random_state=0).fit_resample(X, y)
    assert len(w) == 1 and w[0].filename == __file__
    with pytest.warns(upweight.OverDownsampleWarning, match="leave class 1 out of"):
        DownsampleUpweight(factor={1: 2}, random_state=0).fit_resample(X, y)


def test_the_sampler_does_not_warn_for_a_sane_factor_or_its_default():
    X, y = breast_cancer_nine_to_one()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DownsampleUpweight(factor=8, random_state=0).fit_resample(X, y)
        DownsampleUpweight(random_state=0).fit_resample(X, y)  # down to the rarest's size
