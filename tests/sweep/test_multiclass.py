"""The sweep on more than two classes: every larger class downsampled, multi-class figures,
calibration per class -- on data with a known truth."""

from __future__ import annotations

import numpy as np
import pytest

import upweight
from upweight import InputError

# The 300k-row three-class sweep is made once, in one worker of `make test` (pytest-xdist).
pytestmark = pytest.mark.xdist_group("multiclass")

CLASSES = ("big", "mid", "rare")


def three_classes(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and true P(class | x): a multinomial logistic model with shares of
    about 86 %, 10.5 % and 3.7 %."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    coef = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, -0.5, 0.3, 0.0], [-0.8, 0.9, 0.0, 0.6]])
    intercept = np.array([0.0, -2.6, -4.0])
    logits = X @ coef.T + intercept
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    codes = (rng.random((n, 1)) > np.cumsum(proba, axis=1)).sum(axis=1)
    return X, np.asarray(CLASSES, dtype=object)[codes], proba


@pytest.fixture(scope="module")
def swept3():
    X, y, _ = three_classes(300_000)
    result = upweight.sweep(
        X,
        y=y,
        factors=[1, 4, 10, 40],
        test_size=0.3,
        convergence=False,
        report=False,
    )
    return result, y


@pytest.mark.slow
def test_three_classes_end_to_end_with_calibration_per_class(swept3):
    result, y = swept3
    shares = {c: float(np.mean(y == c)) for c in CLASSES}
    assert result.settings["classes"] == ["big", "mid", "rare"]
    # every class larger than the smallest is downsampled, none below the smallest
    train = result.split["train"]["classes"]
    rows = {
        r["factor"]: r["per_class"]["rows_trained"]
        for r in result.results
        if r["correction"] == "upweight"
    }
    assert rows[10]["rare"] == train["rare"]  # the smallest keeps every row
    assert rows[10]["big"] == pytest.approx(train["big"] / 10, abs=1)
    assert rows[10]["mid"] == pytest.approx(train["rare"], abs=1)  # capped at the smallest
    assert rows[40]["big"] == pytest.approx(train["rare"], abs=1)  # 154k / 40 would be fewer
    rec = result.recommendation
    pick = next(
        r
        for r in result.results
        if r["factor"] == rec.cheapest.factor and r["correction"] == rec.cheapest.correction
        and r["upweight"] == rec.cheapest.upweight
    )  # fmt: skip
    for c in CLASSES:  # calibrated per class on the large test split
        assert abs(pick["per_class"]["test_prediction_bias"][c]) < 5, (c, pick["per_class"])
    # no correction at a large factor over-predicts the classes it kept whole
    none = next(r for r in result.results if r["factor"] == 40 and r["correction"] == "none")
    assert none["per_class"]["test_prediction_bias"]["rare"] > 50
    assert 0 < shares["rare"] < 0.05


@pytest.mark.slow
def test_multiclass_figures_are_the_multiclass_ones(swept3):
    from sklearn.metrics import log_loss

    result, _ = swept3
    full = next(r for r in result.results if r["factor"] == 1)
    # the multi-class log loss of a calibrated model is near the truth's, not a
    # one-vs-rest figure of a single class
    _, y, proba = three_classes(300_000)
    truth = log_loss(y, proba, labels=list(CLASSES))
    assert abs(full["test_log_loss"] - truth) < 0.01
    assert set(full["per_class"]["test_average_precision"]) == set(CLASSES)


def test_a_small_three_class_sweep_and_its_report(tmp_path):
    X, y, _ = three_classes(30_000, seed=1)
    result = upweight.sweep(
        X, y=y, factors=[1, 5], outdir=tmp_path / "out", convergence=False, cv=False
    )
    assert len(result.results) == 6
    html = (tmp_path / "out" / "report.html").read_text()
    assert "rare" in html and "per class" in html
    assert (tmp_path / "out" / "plots" / "reliability_classes.png").exists()


def test_more_classes_need_the_smallest_to_split(tmp_path):
    X, y, _ = three_classes(2_000, seed=2)
    y[y == "rare"] = "mid"
    y[:5] = "tiny"
    with pytest.raises(upweight.LabelError, match="'tiny' has 5 rows"):
        upweight.sweep(X, y=y, factors=[1, 5], convergence=False, report=False)


def test_convergence_on_several_classes_is_refused_or_skipped():
    X, y, _ = three_classes(20_000, seed=3)
    result = upweight.sweep(X, y=y, factors=[1, 5], report=False)  # auto: skipped, said why
    assert "two classes" in result.settings["convergence"]["skipped"]
    with pytest.raises(InputError, match="two classes"):
        upweight.sweep(X, y=y, factors=[1, 5], convergence=True, report=False)


def test_per_class_grids_from_python(tmp_path):
    X, y, _ = three_classes(40_000, seed=5)
    grid = [1, {"big": 8, "mid": 2}, {"big": 20}]
    result = upweight.sweep(
        X, y=y, factors=grid, corrections=["upweight"], outdir=tmp_path / "o", convergence=False
    )
    rows = {r["factor"]: r["per_class"] for r in result.results}
    assert sorted(rows) == [1, 8, 20]  # a per-class step is named by its largest factor
    assert rows[8]["factor"] == {"big": 8.0, "mid": 2.0, "rare": 1.0}
    assert rows[20]["factor"] == {"big": 20.0, "mid": 1.0, "rare": 1.0}  # the others whole
    train = result.split["train"]["classes"]
    assert rows[8]["rows_trained"]["mid"] == pytest.approx(train["mid"] / 2, abs=1)
    assert rows[20]["rows_trained"]["mid"] == train["mid"]
    for k in (8, 20):  # upweighted by each class's own factor: calibrated
        assert all(abs(b) < 10 for b in rows[k]["test_prediction_bias"].values()), rows[k]
    # another grid with the same k into the same folder is not taken for the first
    with pytest.raises(upweight.FileError, match="other per-class factors"):
        upweight.sweep(
            X, y=y, factors=[1, {"big": 8, "mid": 4}, {"big": 20}], corrections=["upweight"],
            outdir=tmp_path / "o", convergence=False,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("factors", "error", "words"),
    [
        ([{"big": 8}, 8], upweight.PlanError, "two factors share k = 8"),
        ([{}], upweight.PlanError, "per-class factor is empty"),
        ([{"big": 0.5}], upweight.PlanError, "factor of class 'big'"),
        ([{"nope": 4}], upweight.PlanError, "nope"),
    ],
)
def test_bad_per_class_grids_get_one_line(factors, error, words):
    X, y, _ = three_classes(5_000, seed=6)
    with pytest.raises(error, match=words):
        upweight.sweep(X, y=y, factors=factors, convergence=False, report=False)


def test_upweights_other_than_the_factor_are_for_two_classes():
    X, y, _ = three_classes(5_000, seed=7)
    with pytest.raises(InputError, match="upweights other than the factor are for two classes"):
        upweight.sweep(X, y=y, factors=[1, 5], upweights=[4, 5], convergence=False, report=False)


def test_an_upweight_equal_to_the_factor_is_one_configuration(small_data):
    result = upweight.sweep(
        small_data.X, y=small_data.y, factors=[5], upweights=[5, "factor"],
        corrections=["upweight"], convergence=False, report=False,
    )  # fmt: skip
    assert len(result.summary) == 1 and result.summary[0]["repeats"] == len(result.results)


def test_the_recommendation_says_what_k_means_per_class():
    X, y, _ = three_classes(40_000, seed=8)
    result = upweight.sweep(X, y=y, factors=[1, 20], convergence=False, report=False)
    line = result.recommendation.lines[-1]
    assert (
        line.startswith("Per class, k=20") and "upweight sample DATA --factor 'big=20,mid=" in line
    )
    steps = upweight.sweep(
        X, y=y, factors=[1, {"big": 8, "mid": 2}], convergence=False, report=False
    )
    assert steps.settings["class_factors"] == {"8": {"big": 8.0, "mid": 2.0}}
