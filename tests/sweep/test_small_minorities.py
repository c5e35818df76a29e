"""Small minorities: cross-validation, intervals, factors within reason, honest words.

Real-shaped data: breast cancer at its raw scales with the malignant class cut to 20-80
rows, and digits one-vs-rest with 30 positives.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits

import upweight
from upweight import OverDownsampleWarning
from upweight._sweep._intervals import decode, encode


def cancer(positives: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Breast cancer, raw scales, ``positives`` malignant rows against 357 benign."""
    X, target = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(seed)
    malignant = rng.choice(np.flatnonzero(target == 0), size=positives, replace=False)
    rows = np.sort(np.concatenate([np.flatnonzero(target == 1), malignant]))
    return X[rows], (target[rows] == 0).astype(int)


def digits_30() -> tuple[np.ndarray, np.ndarray]:
    """Digit 0 (30 rows) against every other digit: unscaled pixels, 3 always blank."""
    X, target = load_digits(return_X_y=True)
    rng = np.random.default_rng(1)
    zeros = rng.choice(np.flatnonzero(target == 0), size=30, replace=False)
    rows = np.sort(np.concatenate([np.flatnonzero(target != 0), zeros]))
    return X[rows], (target[rows] == 0).astype(int)


FAST = {"convergence": False, "report": False}


def test_twenty_minority_rows_are_enough_with_nested_cross_validation():
    X, y = cancer(20)
    result = upweight.sweep(X, y=y, **FAST)
    scheme = result.settings["scheme"]
    assert scheme["kind"] == "nested" and scheme["repeats"] == 2
    assert {r["fold"] for r in result.results} == set(range(25))
    for e in result.summary:  # every configuration has its intervals
        assert e["val_log_loss_vs_best_lo"] <= e["val_log_loss_vs_best"]
        assert e["val_log_loss_vs_best"] <= e["val_log_loss_vs_best_hi"]
        assert e["test_log_loss_lo"] <= e["test_log_loss_mean"] <= e["test_log_loss_hi"]
    text = result.recommendation.text
    assert "rest on 20 minority rows of validation" in text and "thin evidence" in text
    assert "95% interval" in text


def test_the_default_grid_stops_at_the_class_ratio_and_says_so():
    X, y = cancer(40)  # 357 : 40, about 9 : 1
    result = upweight.sweep(X, y=y, **FAST)
    assert result.settings["factors"] == [1, 2, 5]
    assert result.settings["factors_skipped"] == [10, 25, 50, 100]
    assert "Factors of the default grid skipped: 10, 25, 50, 100" in result.recommendation.text


def test_factors_asked_for_beyond_the_ratio_run_flagged():
    X, y = cancer(40)
    with warnings.catch_warnings():
        warnings.simplefilter("error", OverDownsampleWarning)  # the sweep warns in its text
        result = upweight.sweep(X, y=y, factors=[1, 20], **FAST)
    assert {e["factor"] for e in result.summary} == {1, 20}
    assert "the balance inverted): k=20" in result.recommendation.text


#: The small real-shaped sets of the test below: one test each, so that they run side by side.
SMALL_SETS = {
    "cancer-25": lambda: cancer(25),
    "cancer-60": lambda: cancer(60, seed=1),
    "cancer-80": lambda: cancer(80, seed=2),
    "digits-30": digits_30,
}


@pytest.mark.parametrize("name", SMALL_SETS)
def test_the_pick_is_never_clearly_worse_on_test_than_all_rows(name):
    """Small real-shaped sets, the defaults: the cheapest pick's test log loss is never
    clearly (interval above zero) and far (over 10 %) worse than training on all rows."""
    X, y = SMALL_SETS[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", upweight.UpweightWarning)  # blank pixels
        result = upweight.sweep(X, y=y, **FAST)
    pick = result.recommendation.cheapest
    low, _ = pick.intervals.get("test_log_loss_vs_full", (0.0, 0.0))
    full = next(e for e in result.summary if e["factor"] == 1)
    ratio = pick.figures["test_log_loss"] / full["test_log_loss_mean"]
    assert not (low > 0 and ratio > 1.1), (result.recommendation.text, ratio)


def test_cv_can_be_asked_for_and_resumes_from_its_folder(tmp_path):
    X, y = cancer(80)
    out = tmp_path / "out"
    first = upweight.sweep(X, y=y, factors=[1, 2], cv=3, outdir=out, convergence=False)
    assert first.settings["scheme"]["kind"] in ("cv", "nested")
    assert first.settings["scheme"]["folds"] == 3
    assert (out / "plots" / "intervals.png").is_file()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "vs best [95%]" in html and "Held out:" in html
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing damaged, nothing computed again
        again = upweight.sweep(X, y=y, factors=[1, 2], cv=3, outdir=out, convergence=False)
    assert again.timings["fit"] == 0.0
    assert again.recommendation.text == first.recommendation.text


def test_cost_rows_and_time_can_disagree_and_each_is_said():
    X, y = cancer(80)
    by_rows = upweight.sweep(X, y=y, factors=[1, 2], cost="rows", **FAST)
    assert by_rows.recommendation.cost == "rows"
    assert "by rows trained" in by_rows.recommendation.text
    with pytest.raises(upweight.InputError, match="cost must be one of time, rows"):
        upweight.sweep(X, y=y, cost="money", **FAST)


def _few(negatives: int, positives: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(negatives, dtype=int), np.ones(positives, dtype=int)]
    X = rng.normal(size=(y.size, 5))
    X[:, 0] += y  # the rare class a little apart
    return X, y


@pytest.mark.parametrize("negatives", [40, 100])
def test_the_default_grid_is_cut_before_any_factor_is_checked(negatives):
    """The default grid's 100 used to be checked against 64 majority rows, and refused."""
    X, y = _few(negatives, 20)
    result = upweight.sweep(X, y=y, **FAST)
    assert max(result.settings["factors"]) <= negatives / 20


def test_the_same_sweep_gives_the_same_recommendation():
    """Fit times of milliseconds are noise: they never decide the pick."""
    X, y = cancer(60)
    names = {
        (r.recommendation.best.name, r.recommendation.cheapest.name)
        for r in (upweight.sweep(X, y=y, **FAST) for _ in range(2))
    }
    assert len(names) == 1


#: Ways a stored run's per-row losses can be damaged.
DAMAGE = {
    "not base64": lambda text: "!!!not base64!!!",
    "short": lambda text: text[:-8],
    "nan": lambda text: encode(np.full(decode(text).size, np.nan, dtype=np.float32)),
    "negative": lambda text: encode(np.full(decode(text).size, -5.0, dtype=np.float32)),
}


def test_damaged_per_row_losses_are_computed_again_with_one_warning(tmp_path):
    X, y = cancer(80)
    out = tmp_path / "out"
    args = {"factors": [1, 2], "cv": 3, "convergence": False}
    first = upweight.sweep(X, y=y, outdir=out, **args)
    runs = sorted((out / "runs").glob("*.json"))
    for path, damage in zip(runs, DAMAGE.values(), strict=False):
        data = json.loads(path.read_text())
        data["losses"]["val"] = damage(data["losses"]["val"])
        path.write_text(json.dumps(data))
    with pytest.warns(upweight.UpweightWarning) as caught:
        again = upweight.sweep(X, y=y, outdir=out, **args)
    damaged = [w for w in caught if "damaged" in str(w.message)]
    assert len(damaged) == 1 and "4 stored runs were damaged" in str(damaged[0].message)
    for name in ("best", "cheapest"):
        assert getattr(again.recommendation, name).name == getattr(first.recommendation, name).name
    for a, b in zip(again.summary, first.summary, strict=True):
        assert a["val_log_loss_mean"] == pytest.approx(b["val_log_loss_mean"])
        assert a["val_log_loss_vs_best_hi"] == pytest.approx(b["val_log_loss_vs_best_hi"])
