"""The offset correction: exact algebra, and calibration against a known truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import upweight
from upweight import InputError, PlanError
from upweight.datasets import make_imbalanced


def to_training_distribution(p: np.ndarray, k: float) -> np.ndarray:
    """What a perfect model trained on negatives downsampled by k predicts."""
    return p / (p + (1.0 - p) / k)


@given(
    arrays(np.float64, st.integers(1, 50), elements=st.floats(0.0, 1.0)),
    st.floats(1.0, 1_000.0),
)
def test_binary_correction_inverts_the_downsampling(p, k):
    q = to_training_distribution(p, k)
    np.testing.assert_allclose(upweight.correct_proba(q, factor=k), p, rtol=1e-9, atol=1e-12)


def test_it_is_the_logit_shifted_by_minus_log_k():
    q = np.array([0.1, 0.5, 0.9])
    corrected = upweight.correct_proba(q, factor=25)
    logit = np.log(q / (1 - q)) - np.log(25)
    np.testing.assert_allclose(corrected, 1 / (1 + np.exp(-logit)))


def test_two_column_input_and_plan():
    p = upweight.plan({0: 9_900, 1: 100}, factor=25)
    q = np.array([[0.5, 0.5], [0.8, 0.2]])
    out = upweight.correct_proba(q, plan=p)
    np.testing.assert_allclose(out[:, 1], upweight.correct_proba(q[:, 1], factor=25))
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    # the plan knows the rows actually kept: 9900 / round(9900 / 25) = 25 exactly here
    assert p.prior_ratios[0] == 25.0


def test_multiclass_rescales_by_prior_ratios_and_renormalises():
    p = upweight.plan({"a": 1_000, "b": 400, "c": 10}, factor={"a": 10, "b": 4})
    q = np.array([[0.2, 0.3, 0.5]])
    out = upweight.correct_proba(q, plan=p)
    expected = np.array([0.2 * 10, 0.3 * 4, 0.5 * 1])
    np.testing.assert_allclose(out[0], expected / expected.sum())


def test_columns_in_another_order_are_mapped_by_classes():
    p = upweight.plan({0: 1_000, 1: 10}, factor=10)
    q = np.array([[0.5, 0.5]])
    straight = upweight.correct_proba(q, plan=p)
    swapped = upweight.correct_proba(q[:, ::-1], plan=p, classes=[1, 0])
    np.testing.assert_allclose(swapped[:, ::-1], straight)


def test_known_truth_offset_corrected_model_is_calibrated():
    from sklearn.linear_model import LogisticRegression

    data = make_imbalanced(300_000, minority_share=0.01, random_state=1)
    X_s, y_s, _, p = upweight.downsample(
        data.X, data.y, factor=20, weights="none", random_state=0, return_plan=True
    )
    model = LogisticRegression(max_iter=1000).fit(X_s, y_s)
    raw = model.predict_proba(data.X)[:, 1]
    corrected = upweight.correct_proba(raw, plan=p)
    base = data.y.mean()
    assert raw.mean() > 5 * base  # the uncorrected model is far off
    assert corrected.mean() == pytest.approx(base, rel=0.05)
    # against the truth, not another model
    assert np.mean(np.abs(corrected - data.proba)) < 0.002
    np.testing.assert_allclose(model.coef_[0], data.coef, atol=0.08)


@pytest.mark.parametrize(
    ("kwargs", "error", "needle"),
    [
        ({}, PlanError, "either plan or factor"),
        ({"factor": 2, "plan": upweight.plan({0: 10, 1: 2}, factor=2)}, PlanError, "either"),
        ({"factor": 0.5}, PlanError, ">= 1"),
        ({"factor": 2, "classes": [0, 1]}, PlanError, "classes goes with plan"),
        ({"plan": "plan"}, PlanError, "SamplingPlan"),
    ],
)
def test_refusals(kwargs, error, needle):
    with pytest.raises(error, match=needle):
        upweight.correct_proba([0.5], **kwargs)


def test_probabilities_must_be_probabilities():
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        upweight.correct_proba([1.5], factor=2)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        upweight.correct_proba([np.nan], factor=2)
    with pytest.raises(InputError, match="1-D or 2-D"):
        upweight.correct_proba(np.zeros((2, 2, 2)), factor=2)


def test_factor_is_binary_only_and_columns_must_match_the_plan():
    with pytest.raises(PlanError, match="binary"):
        upweight.correct_proba(np.full((1, 3), 1 / 3), factor=2)
    p = upweight.plan({0: 10, 1: 2}, factor=2)
    with pytest.raises(InputError, match="3 columns but the plan has 2"):
        upweight.correct_proba(np.full((1, 3), 1 / 3), plan=p)
    with pytest.raises(PlanError, match="not in the plan"):
        upweight.correct_proba([[0.5, 0.5]], plan=p, classes=[0, 7])


_P = upweight.plan({0: 900, 1: 100}, factor=5)


@pytest.mark.parametrize(
    ("proba", "needle"),
    [
        ([[0.1, 0.9], [0.5]], "rows of different lengths"),  # BA12
        ([["a", "b"]], "not numbers"),
        ([object()], "not numbers"),
        ([[None, 0.5]], r"\[0, 1\]; got nan"),
        ([[np.nan, 0.5]], r"\[0, 1\]; got nan"),
        ([[1.5, -0.5]], r"\[0, 1\]; got 1.5"),
        ([[np.inf, 0.0]], r"\[0, 1\]; got inf"),
        (np.full((2, 2, 2), 0.5), "1-D or 2-D"),
        ([[0.2, 0.3, 0.5]], "3 columns but the plan has 2"),
        ([], "empty"),
        (np.empty((0, 2)), "empty"),
        ([[0.0, 0.0], [0.3, 0.3]], "row 0 sums to 0, not 1"),  # BA10
        ([[0.5, 0.5], [0.3, 0.3]], "row 1 sums to 0.6, not 1"),
    ],
)
def test_what_is_not_probabilities_gets_one_clear_line(proba, needle):
    with pytest.raises(InputError, match=needle) as info:
        upweight.correct_proba(proba, plan=_P)
    assert "\n" not in str(info.value)


def test_rows_sum_to_one_within_float32_precision():
    # a float32 softmax is off by about 1e-7; rows rounded to 1e-5 are renormalised
    q = np.array([[0.3, 0.7]], dtype=np.float32) + np.float32(1e-5)
    np.testing.assert_allclose(upweight.correct_proba(q, plan=_P).sum(axis=1), 1.0)
    with pytest.raises(InputError, match=r"sums to 1\.002"):
        upweight.correct_proba([[0.3, 0.702]], plan=_P)
    # 1-D input is the positive class alone: no sum to check
    assert upweight.correct_proba([0.0, 1.0], plan=_P).tolist() == [0.0, 1.0]
