"""Metrics: definitions on small cases, agreement with scikit-learn, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from sklearn import metrics as skm
from upweight import InputError, LabelError
from upweight.metrics import evaluate, expected_calibration_error, prediction_bias


def test_prediction_bias_is_relative_percent():
    assert prediction_bias([0, 0, 0, 1], [0.25] * 4) == 0.0
    assert prediction_bias([0, 0, 0, 1], [0.5] * 4) == 100.0
    assert prediction_bias([0, 0, 0, 1], [0.125] * 4) == -50.0


def test_prediction_bias_string_labels_need_pos_label():
    y = ["no", "no", "no", "yes"]
    assert prediction_bias(y, [0.25] * 4, pos_label="yes") == 0.0
    assert prediction_bias(y, [0.75] * 4, pos_label="no") == 0.0
    with pytest.raises(LabelError, match="pass pos_label"):
        prediction_bias(y, [0.25] * 4)


def test_usual_binary_encodings_need_no_pos_label():
    assert prediction_bias([-1, -1, -1, 1], [0.25] * 4) == 0.0
    assert prediction_bias([False, False, False, True], [0.25] * 4) == 0.0
    assert prediction_bias([0, 0, 0, 0], [0.2] * 4, pos_label=0) == pytest.approx(-80.0)


def test_two_column_probabilities_follow_pos_label():
    y = np.array([0] * 8 + [1] * 2)
    proba = np.column_stack([np.full(10, 0.8), np.full(10, 0.2)])
    assert prediction_bias(y, proba) == pytest.approx(0.0)
    assert prediction_bias(y, proba, pos_label=0) == pytest.approx(0.0)
    assert expected_calibration_error(y, proba, pos_label=0) == pytest.approx(0.0)
    assert evaluate(y, proba, pos_label=0).log_loss == pytest.approx(evaluate(y, proba).log_loss)


def test_ece_small_cases():
    assert expected_calibration_error([0, 1, 0, 1], [0.5] * 4) == 0.0
    assert expected_calibration_error([0, 0, 0, 0], [0.2] * 4, pos_label=1) == pytest.approx(0.2)
    # two bins: [0.1, 0.1] with outcomes [0, 0] -> gap 0.1; [0.9, 0.9] with [1, 0] -> 0.4
    ece = expected_calibration_error([0, 0, 1, 0], [0.1, 0.1, 0.9, 0.9])
    assert ece == pytest.approx(0.5 * 0.1 + 0.5 * 0.4)


def test_ece_quantile_bins_and_bad_strategy():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.05, 50_000)
    y = (rng.random(50_000) < p).astype(int)
    assert expected_calibration_error(y, p, strategy="quantile") < 0.003
    with pytest.raises(InputError, match="strategy"):
        expected_calibration_error(y, p, strategy="kmeans")
    with pytest.raises(InputError, match="n_bins"):
        expected_calibration_error(y, p, n_bins=0)


def test_evaluate_agrees_with_scikit_learn():
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 0.2, 20_000)
    y = (rng.random(20_000) < p).astype(int)
    m = evaluate(y, p)
    assert m.n == 20_000
    assert m.log_loss == pytest.approx(skm.log_loss(y, p))
    assert m.brier == pytest.approx(skm.brier_score_loss(y, p))
    assert m.average_precision == pytest.approx(skm.average_precision_score(y, p))
    assert m.roc_auc == pytest.approx(skm.roc_auc_score(y, p))
    assert m.base_rate == pytest.approx(y.mean())
    assert m.mean_proba == pytest.approx(p.mean())
    assert abs(m.prediction_bias) < 5
    assert set(m.to_dict()) >= {"log_loss", "brier", "prediction_bias", "ece", "roc_auc"}


def test_evaluate_multiclass():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(5_000, 3))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in proba])
    m = evaluate(y, proba)
    assert m.log_loss == pytest.approx(skm.log_loss(y, proba))
    assert m.roc_auc == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr"))
    assert abs(m.prediction_bias) < 10
    assert m.ece < 0.05
    # a table per class, each against the rest, next to the multi-class figures
    assert set(m.per_class) == {0, 1, 2}
    for c in range(3):
        row = m.per_class[c]
        assert row["base_rate"] == pytest.approx(np.mean(y == c))
        assert row["roc_auc"] == pytest.approx(skm.roc_auc_score(y == c, proba[:, c]))
        assert row["average_precision"] == pytest.approx(
            skm.average_precision_score(y == c, proba[:, c])
        )
    worst = max(m.per_class.values(), key=lambda r: abs(r["prediction_bias"]))
    assert m.prediction_bias == worst["prediction_bias"]
    assert "per_class" in m.to_dict() and "per_class" not in evaluate([0, 1], [0.2, 0.7]).to_dict()


@pytest.mark.parametrize(
    ("call", "error", "needle"),
    [
        (lambda: prediction_bias([0, 0], [0.1, 0.1], pos_label=1), LabelError, "no positive"),
        (lambda: prediction_bias([0, 1], [0.1]), InputError, "2 labels but y_prob has 1"),
        (lambda: prediction_bias([0, 1], [0.1, 1.2]), InputError, r"\[0, 1\]"),
        (lambda: prediction_bias(["a", "b"], [0.1, 0.2], pos_label="c"), LabelError, "pos_label"),
        (lambda: prediction_bias(["a", "a"], [0.1, 0.2]), LabelError, "pass pos_label"),
        (lambda: prediction_bias([0, 1], [0.1, 0.2], pos_label=7), LabelError, "not in y_true"),
        (lambda: prediction_bias([0, 1, 2], [0.1, 0.2, 0.3]), LabelError, "one probability"),
        (
            lambda: expected_calibration_error([0, 2] * 6, np.tile([0.1, 0.1, 0.8], (12, 1))),
            LabelError,
            "every class must appear",
        ),
        (lambda: prediction_bias(["a", "a"], [[0.1, 0.9]] * 2, pos_label="a"), LabelError, "1-D"),
        (lambda: evaluate([0, 0, 0], [0.1, 0.1, 0.1]), LabelError, "single class"),
        (lambda: evaluate([0, 1], np.full((2, 3), 1 / 3)), LabelError, "every class"),
    ],
)
def test_refusals(call, error, needle):
    with pytest.raises(error, match=needle):
        call()


def test_multiclass_rows_that_do_not_sum_to_one_are_refused():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]) * 0.99
    with pytest.raises(InputError, match=r"rows must sum to 1.*row 0 sums to 0.99"):
        evaluate(np.array([0, 1, 2]), proba)
