"""The recommendation, ready to use: `result.refit()` and `upweight sweep --refit`."""

from __future__ import annotations

import json
import pickle

import joblib
import numpy as np
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import log_loss

import upweight
from upweight import FileError, InputError
from upweight._cli import main
from upweight._sweep._refit import fit_rows, model_card
from upweight._sweep._split import split_positions
from upweight.datasets import make_imbalanced
from upweight.sklearn import DownsampledClassifier

# The module's sweeps are made once, in one worker of `make test` (pytest-xdist).
pytestmark = pytest.mark.xdist_group("refit")

FAST = {"convergence": False, "report": False}


def held_out(result, codes) -> np.ndarray:
    s = result.settings
    return split_positions(
        codes,
        int(codes.max()) + 1,
        validation_size=s["validation_size"] or 0.0,  # cross-validation: folds instead
        test_size=s["test_size"],
        seed=s["seed"],
    )[2]


@pytest.fixture(scope="module")
def data():
    return make_imbalanced(20_000, minority_share=0.03, random_state=3)


@pytest.fixture(scope="module")
def swept(data, tmp_path_factory):
    """A sweep whose best and cheapest configurations differ (a wide tolerance)."""
    outdir = tmp_path_factory.mktemp("refit") / "out"
    result = upweight.sweep(
        data.X, y=data.y, factors=[1, 5, 20], tolerance=0.2, convergence=False, outdir=outdir
    )
    return result, outdir


def test_refit_is_the_cheapest_configuration_fitted_on_all_but_the_test_rows(data, swept):
    result, _ = swept
    choice = result.recommendation.cheapest
    model = result.refit()
    assert isinstance(model, DownsampledClassifier) and hasattr(model, "estimator_")
    assert model.correction == choice.correction
    test = held_out(result, data.y)
    assert sum(c.count for c in model.plan_) == data.y.size - test.size
    majority = max(model.plan_, key=lambda c: c.count)
    assert majority.factor == choice.factor
    # measured on the sweep's test rows (never trained on), it is about what the sweep saw
    p = model.predict_proba(data.X[test])[:, 1]
    assert log_loss(data.y[test], p) == pytest.approx(choice.figures["test_log_loss"], rel=0.1)
    assert abs(p.mean() / data.y[test].mean() - 1) < 0.35  # on the true distribution


def test_best_and_cheapest_differ_in_factor_when_they_differ(swept):
    result, _ = swept
    rec = result.recommendation
    assert rec.best.factor != rec.cheapest.factor  # the wide tolerance sees to it
    best, cheapest = result.refit("best"), result.refit("cheapest")
    kept = {m: max(m.plan_, key=lambda c: c.count) for m in (best, cheapest)}
    assert kept[best].factor == rec.best.factor and kept[cheapest].factor == rec.cheapest.factor
    assert kept[best].kept != kept[cheapest].kept


def test_which_must_be_cheapest_or_best(swept):
    with pytest.raises(InputError, match=r"which must be 'cheapest' or 'best'.*'worst'"):
        swept[0].refit("worst")


def test_a_loaded_result_needs_the_data_and_only_the_sweeps(data, swept):
    result, outdir = swept
    saved = upweight.SweepResult.load(outdir)
    with pytest.raises(InputError, match=r"holds no data.*SweepResult.load.*refit\(data="):
        saved.refit()
    other = make_imbalanced(20_000, minority_share=0.03, random_state=4)
    with pytest.raises(InputError, match="not what this sweep ran on"):
        saved.refit(data=other.X, y=other.y)
    with pytest.raises(InputError, match=r"not what this sweep ran on: it has no column 'x4'"):
        saved.refit(data=data.X[:, :4], y=data.y)  # a column left out
    with pytest.raises(InputError, match=r"labels y: pass them"):
        saved.refit(data=data.X)
    model = saved.refit(data=data.X, y=data.y)
    # the same fit as from the sweep's own result (logistic regression: deterministic)
    expected = result.refit().predict_proba(data.X[:500])
    np.testing.assert_allclose(model.predict_proba(data.X[:500]), expected)


def test_the_data_changed_since_the_sweep_is_refused(data):
    X = data.X.copy()
    result = upweight.sweep(X, y=data.y, factors=[1, 5], **FAST)
    X[0, 0] += 1.0
    with pytest.raises(InputError, match="changed since it ran"):
        result.refit()


def test_a_pickled_result_leaves_its_data_behind(swept):
    copy = pickle.loads(pickle.dumps(swept[0]))
    with pytest.raises(InputError, match="holds no data"):
        copy.refit()


def test_fit_rows_are_every_row_without_a_single_test_split(data):
    codes = data.y.astype(np.uint8)
    settings = {"seed": 0, "validation_size": 0.1, "test_size": 0.1}
    rows = fit_rows(codes, 2, settings)
    assert rows.size == codes.size - round(0.1 * 600) - round(0.1 * 19_400)
    assert np.array_equal(
        fit_rows(codes, 2, {**settings, "scheme": {"kind": "nested"}}), np.arange(20_000)
    )


def test_a_users_own_model_must_be_given_to_a_loaded_result(data, tmp_path):
    from sklearn.linear_model import LogisticRegression

    X, y = data.X[:8_000], data.y[:8_000]
    result = upweight.sweep(
        X,
        y=y,
        factors=[1, 5],
        model=LogisticRegression(C=0.5),
        convergence=False,
        outdir=tmp_path / "out",
    )
    saved = upweight.SweepResult.load(tmp_path / "out")
    with pytest.raises(InputError, match=r"your own model.*model=estimator"):
        saved.refit(data=X, y=y)
    with pytest.raises(InputError, match="not the model the sweep trained"):
        saved.refit(data=X, y=y, model=LogisticRegression(C=2.0))
    model = saved.refit(data=X, y=y, model=LogisticRegression(C=0.5))
    expected = result.refit().predict_proba(X[:100])
    np.testing.assert_allclose(model.predict_proba(X[:100]), expected)


# -- real-shaped data ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def clinic():
    """Breast cancer at its raw scales, 60 malignant, a text column with gaps, NaN."""
    pd = pytest.importorskip("pandas")
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame.rename(columns=lambda c: c.replace(" ", "_"))
    rng = np.random.default_rng(0)
    malignant = np.flatnonzero(frame["target"] == 0)
    keep = np.sort(np.r_[np.flatnonzero(frame["target"] == 1), rng.choice(malignant, 60, False)])
    frame = frame.iloc[keep].reset_index(drop=True)
    frame["malignant"] = (frame.pop("target") == 0).astype(int)
    frame.insert(0, "patient_id", rng.permutation(10_000)[: len(frame)] + 100_000)
    site = rng.choice(["north", "south", "east", "west"], len(frame)).astype(object)
    site[rng.random(len(frame)) < 0.05] = None
    frame.insert(1, "site", site)
    area = frame["mean_area"].to_numpy().copy()
    area[rng.random(len(frame)) < 0.08] = np.nan
    frame["mean_area"] = area
    assert isinstance(frame, pd.DataFrame)
    return frame


@pytest.mark.parametrize("model", ["logreg", "hgb"])
def test_text_and_missing_values_go_through_the_sweeps_preprocessing(clinic, model):
    result = upweight.sweep(
        clinic,
        label="malignant",
        drop=["patient_id"],
        model=model,
        factors=[1, 3],
        validation_size=0.2,
        test_size=0.2,
        **FAST,
    )
    fitted = result.refit()
    features = [c for c in clinic.columns if c not in ("malignant", "patient_id")]
    assert list(fitted.feature_names_in_) == features  # a DataFrame, checked by name
    test = held_out(result, clinic["malignant"].to_numpy())
    p = fitted.predict_proba(clinic.loc[test, features])[:, 1]
    assert np.isfinite(p).all()
    assert log_loss(clinic["malignant"][test], p) < 0.4
    card = model_card(result, fitted)
    assert "`site`" in card and result.settings["fingerprint"] in card
    assert ("OneHotEncoder" if model == "logreg" else "OrdinalEncoder") in card


def test_three_classes_are_each_downsampled_by_their_own_factor():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60_000, 4))
    logits = X @ np.array([[0, 0, 0, 0], [1.0, -0.5, 0.3, 0], [-0.8, 0.9, 0, 0.6]]).T
    proba = np.exp(logits + np.array([0.0, -2.6, -4.0]))
    proba /= proba.sum(axis=1, keepdims=True)
    codes = (rng.random((60_000, 1)) > np.cumsum(proba, axis=1)).sum(axis=1)
    y = np.asarray(["big", "mid", "rare"], dtype=object)[codes]
    result = upweight.sweep(X, y=y, factors=[1, 10], corrections=["upweight"], **FAST)
    pick = result.recommendation.cheapest
    model = result.refit("cheapest")
    row = next(
        r
        for r in result.results
        if (r["factor"], r["upweight"], r["correction"])
        == (pick.factor, pick.upweight, pick.correction)
    )
    factors = {str(c.label): c.factor for c in model.plan_}
    assert factors == pytest.approx(row["per_class"]["factor"])
    assert list(model.classes_) == ["big", "mid", "rare"]
    proba = model.predict_proba(X[:2_000])
    assert proba.shape == (2_000, 3)
    shares = {c: float(np.mean(y == c)) for c in model.classes_}
    for j, c in enumerate(model.classes_):  # on the true distribution, class by class
        assert proba[:, j].mean() == pytest.approx(shares[c], rel=0.25)
    if pick.factor > 1:
        assert "per class" in model_card(result, model)


def test_xgboost_is_fitted_on_class_codes_and_its_card_says_which(clinic):
    pytest.importorskip("xgboost")
    diagnosis = np.where(clinic["malignant"] == 1, "malignant", "benign")
    frame = clinic.drop(columns="malignant").assign(diagnosis=diagnosis)
    result = upweight.sweep(
        frame,
        label="diagnosis",
        drop=["patient_id"],
        model="xgboost",
        factors=[1, 3],
        validation_size=0.2,
        test_size=0.2,
        **FAST,
    )
    model = result.refit()
    assert list(model.classes_) == [0, 1]
    p = model.predict_proba(frame.drop(columns=["diagnosis", "patient_id"]))[:, 1]
    assert abs(p.mean() / np.mean(frame["diagnosis"] == "malignant") - 1) < 0.3
    assert "0 = 'benign', 1 = 'malignant'" in model_card(result, model)


# -- the command line ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli-refit") / "data.parquet"
    table = make_imbalanced(8_000, minority_share=0.05, random_state=0).to_arrow(label="fraud")
    pq.write_table(table, path)
    return path


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_refit_on_the_command_line_saves_the_model_and_its_card(data_file, tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    out = tmp_path / "out"
    sweep = ["sweep", data_file, "-l", "fraud", "-k", "1,5", "-o", out, "--no-convergence"]
    code, stdout, err = run(capsys, *sweep, "--refit")
    assert code == 0, err
    assert f"model: {out / 'model.joblib'}" in stdout
    listed = json.loads((out / "manifest.json").read_text())["files"]
    assert "model.joblib" in listed and "model_card.md" in listed
    model = joblib.load(out / "model.joblib")
    frame = pd.read_parquet(data_file)
    p = model.predict_proba(frame.drop(columns="fraud"))[:, 1]
    assert abs(p.mean() / frame["fraud"].mean() - 1) < 0.2
    card = (out / "model_card.md").read_text()
    saved = upweight.SweepResult.load(out)
    assert saved.recommendation.cheapest.name in card
    assert saved.settings["fingerprint"] in card and "joblib.load" in card
    # again into the same folder: the sweep's runs are reused, the model replaced
    code, _, err = run(capsys, *sweep, "--refit", "--quiet")
    assert code == 0, err
    assert joblib.load(out / "model.joblib").plan_ == model.plan_


def test_refit_without_output_is_one_line(data_file, capsys):
    code, _, err = run(capsys, "sweep", data_file, "-l", "fraud", "--refit")
    assert code == 2 and "--output" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_model_file_of_the_users_is_refused_before_the_sweep(data_file, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    mine = out / "model.joblib"
    mine.write_bytes(b"my own model")
    args = ["sweep", data_file, "-l", "fraud", "-k", "1,5", "-o", out, "--no-convergence"]
    code, _, err = run(capsys, *args, "--refit", "--overwrite")
    assert code == 2 and "model.joblib exists and was not written by upweight sweep" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert mine.read_bytes() == b"my own model"
    assert not (out / "report.html").exists()  # refused before the sweep ran
    # a sweep's folder: the same
    swept = tmp_path / "swept"
    args[args.index(out)] = swept
    code, _, err = run(capsys, *args)
    assert code == 0, err
    (swept / "model.joblib").write_bytes(b"my own model")
    code, _, err = run(capsys, *args, "--refit")
    assert code == 2 and "model.joblib exists" in err
    assert (swept / "model.joblib").read_bytes() == b"my own model"


def test_the_model_files_are_refused_under_the_lock_too(data_file, tmp_path, capsys):
    from upweight._sweep._refit import save_model

    out = tmp_path / "out"
    result = upweight.sweep(
        str(data_file), label="fraud", factors=[1, 5], convergence=False, outdir=out
    )
    (out / "model_card.md").write_text("my notes")
    with pytest.raises(FileError, match=r"model_card\.md exists and was not written"):
        save_model(result, out)
    assert (out / "model_card.md").read_text() == "my notes"
    assert not (out / "model.joblib").exists()
