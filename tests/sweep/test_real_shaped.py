"""The sweep on data shaped like users' data: raw scales, text, missing values, an ID column,
few positives, the user's own model -- built from scikit-learn's bundled data sets."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

import upweight
from upweight import InputError, UpweightWarning

pd = pytest.importorskip("pandas")

FAST = {"factors": [1, 3], "report": False, "validation_size": 0.2, "test_size": 0.2, "cv": False}


@pytest.fixture(scope="module")
def clinic() -> pd.DataFrame:
    """Breast cancer with its raw scales (areas in the thousands), 60 malignant of 417 rows,
    a patient ID, a text column with a rare value and gaps, and missing measurements."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.rename(columns=lambda c: c.replace(" ", "_"))
    rng = np.random.default_rng(0)
    malignant = np.flatnonzero(frame["target"] == 0)
    keep = np.sort(np.r_[np.flatnonzero(frame["target"] == 1), rng.choice(malignant, 60, False)])
    frame = frame.iloc[keep].reset_index(drop=True)
    frame["malignant"] = (frame.pop("target") == 0).astype(int)
    frame.insert(0, "patient_id", rng.permutation(10_000)[: len(frame)] + 100_000)
    site = rng.choice(["north", "south", "east", "west"], len(frame)).astype(object)
    site[:3] = "island"  # rarer than the one-hot encoding keeps
    site[rng.random(len(frame)) < 0.05] = None
    frame.insert(1, "site", site)
    area = frame["mean_area"].to_numpy().copy()
    area[rng.random(len(frame)) < 0.08] = np.nan
    frame["mean_area"] = area
    return frame


def test_the_defaults_run_on_raw_scales_text_and_gaps_without_a_warning(clinic):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not one warning reaches the user
        result = upweight.sweep(clinic, label="malignant", drop=["patient_id"], **FAST)
    assert all(np.isfinite(r["test_log_loss"]) for r in result.results)
    columns = result.settings["columns"]
    assert columns["categorical"] == ["site"] and columns["dropped"] == ["patient_id"]
    assert "mean_area" in columns["numeric"] and "malignant" not in columns["numeric"]
    assert "StandardScaler" in result.settings["estimator"]
    assert "OneHotEncoder" in result.settings["estimator"]


def test_an_id_column_is_flagged_not_silently_used(clinic):
    with pytest.warns(UpweightWarning, match=r"'patient_id' is unique on every row.*--drop"):
        result = upweight.sweep(clinic, label="malignant", **FAST)
    assert "patient_id" in result.settings["flagged"]
    constant = clinic.assign(batch=7)
    with pytest.warns(UpweightWarning, match=r"'batch' is constant"):
        upweight.sweep(constant, label="malignant", drop=["patient_id"], **FAST)


def test_features_picks_the_columns(clinic):
    result = upweight.sweep(clinic, label="malignant", features=["mean_radius", "site"], **FAST)
    assert result.settings["columns"]["numeric"] == ["mean_radius"]
    assert result.settings["columns"]["categorical"] == ["site"]


@pytest.mark.parametrize("model", ["hgb", "lightgbm", "xgboost", "sgd"])
def test_every_built_in_model_takes_text_and_gaps(clinic, model):
    pytest.importorskip(model) if model in ("lightgbm", "xgboost") else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = upweight.sweep(clinic, label="malignant", drop=["patient_id"], model=model, **FAST)
    assert all(np.isfinite(r["val_log_loss"]) for r in result.results)
    if model != "sgd":
        assert "OrdinalEncoder" in result.settings["estimator"]


def test_a_pipeline_of_the_user_is_cloned_for_every_fit(clinic):
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["site"]),
            (SimpleImputer(), ["mean_area", "mean_radius", "worst_area"]),
        ),
        RandomForestClassifier(n_estimators=20, random_state=0),
    )
    result = upweight.sweep(clinic.fillna({"site": "?"}), label="malignant", model=model, **FAST)
    assert not hasattr(model, "steps") or not hasattr(model[-1], "estimators_")  # not fitted
    assert all(r["estimator"].startswith("Pipeline(") for r in result.results)
    assert all(np.isfinite(r["test_log_loss"]) for r in result.results)
    assert result.settings["model"].startswith("Pipeline(")


def test_warnings_of_the_fits_belong_to_the_results(clinic):
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = upweight.sweep(
            clinic.drop(columns=["site", "mean_area"]),
            label="malignant",
            drop=["patient_id"],
            model=LogisticRegression(max_iter=3),  # raw scales: it won't converge
            **FAST,
        )
    assert all(r["warnings"] >= 1 for r in result.results)
    assert all("ConvergenceWarning" in r["first_warning"] for r in result.results)


def test_a_model_that_is_no_classifier_or_fails_gets_one_line(clinic):
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.svm import SVC

    with pytest.raises(InputError, match="LinearRegression is not a classifier"):
        upweight.sweep(clinic, label="malignant", model=LinearRegression(), **FAST)
    with pytest.raises(InputError, match=r"SVC has no predict_proba.*probability=True"):
        upweight.sweep(clinic, label="malignant", model=SVC(), **FAST)
    with pytest.raises(InputError, match="pass an instance"):
        upweight.sweep(clinic, label="malignant", model=LogisticRegression, **FAST)
    # raw text reaches a model without preprocessing: its own error, one line
    with pytest.raises(InputError, match=r"failed at k=1 .*ValueError") as info:
        upweight.sweep(clinic, label="malignant", model=LogisticRegression(), **FAST)
    assert "\n" not in str(info.value)


def test_digits_one_vs_rest_with_unscaled_pixels():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)  # pixels 0..16, 64 columns, one class of ten
    with pytest.warns(UpweightWarning, match=r"'x0' is constant") as caught:
        result = upweight.sweep(X, y=(y == 3).astype(int), **FAST)
    assert len(caught) == 1  # the border pixels that are always blank; nothing else
    best = result.recommendation.best
    assert best.factor in (1, 3)
    assert all(r["test_roc_auc"] > 0.95 for r in result.results)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "upweight", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def clinic_csv(clinic, tmp_path_factory):
    path = tmp_path_factory.mktemp("clinic") / "clinic.csv"
    clinic.to_csv(path, index=False)
    return path


def test_a_model_class_from_the_command_line(clinic_csv, tmp_path):
    proc = _cli(
        "sweep", str(clinic_csv), "-l", "malignant", "-o", str(tmp_path / "out"),
        "--drop", "patient_id,site", "-k", "1,3", "--validation-size", "0.2",
        "--test-size", "0.2", "--model", "sklearn.ensemble:RandomForestClassifier",
        "--model-params", json.dumps({"n_estimators": 15, "random_state": 0}), "-q",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "out" / "results.parquet")
    assert set(table.column("estimator").to_pylist()) == {
        "RandomForestClassifier(n_estimators=15, random_state=0)"
    }


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--model", "nowhere.at_all:Model"], "could not import nowhere.at_all"),
        (["--model", "sklearn.linear_model:LinearRegression"], "is not a classifier"),
        (["--model", "sklearn.linear_model:Nope"], "has no Nope"),
        (["--model", "randomforest"], "package.module:Class"),
        (
            ["--model", "sklearn.ensemble:RandomForestClassifier", "--model-params", "{n: 1}"],
            "must be a JSON object",
        ),
        (
            ["--model", "sklearn.ensemble:RandomForestClassifier", "--model-params", '{"x": 1}'],
            "rejected by RandomForestClassifier",
        ),
        (["--model", "hgb", "--model-params", "{}"], "is built in"),
        (["--features", "mean_radius,nope"], "not in .*'nope'"),
        (["--drop", "patient_id,site,malignant"], "label is never a feature"),
        (["--convergence", "maybe"], "--convergence takes auto, on, off"),
    ],
)
def test_bad_model_and_column_options_get_one_line(clinic_csv, tmp_path, extra, words):
    proc = _cli("sweep", str(clinic_csv), "-l", "malignant", "-o", str(tmp_path / "o"), *extra)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    import re

    assert re.search(words, proc.stderr), proc.stderr
    assert not (tmp_path / "o").exists()


def test_every_column_dropped_is_refused(clinic):
    names = [c for c in clinic.columns if c != "malignant"]
    with pytest.raises(InputError, match=r"every feature column .* is left out"):
        upweight.sweep(clinic, label="malignant", drop=names, **FAST)


def _slow_model():
    """A classifier whose fit takes a while: convergence is then cheap beside it."""
    import time

    from sklearn.linear_model import LogisticRegression

    class SlowLogisticRegression(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            time.sleep(0.5)
            return super().fit(X, y, sample_weight=sample_weight)

    return SlowLogisticRegression()


def test_convergence_runs_only_where_it_is_cheap(clinic, tmp_path):
    data = clinic.drop(columns=["site", "mean_area", "patient_id"])
    quick = upweight.sweep(data, label="malignant", **{**FAST, "convergence": "auto"})
    assert not quick.convergence
    assert quick.settings["convergence"]["skipped"].startswith("skipped: it would take")
    slow = upweight.sweep(
        data,
        label="malignant",
        model=_slow_model(),
        **{**FAST, "convergence": "auto", "convergence_batches": 40},
    )
    assert slow.convergence and slow.settings["convergence"]["skipped"] is None
    forced = upweight.sweep(data, label="malignant", **{**FAST, "convergence": True})
    assert {run["learner"] for run in forced.convergence} == {"sgd"}  # torch only when asked


def test_the_report_lists_columns_warnings_and_a_skipped_convergence(clinic, tmp_path):
    from sklearn.linear_model import LogisticRegression

    upweight.sweep(
        clinic.drop(columns=["mean_area"]).assign(**{"<b>x</b>": 1.0}),
        label="malignant",
        model=make_pipeline_for_text(LogisticRegression(max_iter=3)),
        outdir=tmp_path / "out",
        **{**FAST, "report": True},
    )
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Columns: numeric" in html and "patient_id <b>(unique on every row: an ID?)</b>" in html
    assert "&lt;b&gt;x&lt;/b&gt; <b>(constant" in html  # markup in a name is escaped
    assert "ConvergenceWarning" in html and "Estimator: <code>Pipeline(" in html
    assert "Not measured: skipped: it would take" in html


def make_pipeline_for_text(final):
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["site"]), remainder="passthrough"
    )
    return make_pipeline(encode, final)


@pytest.mark.parametrize("model", ["logreg", "lightgbm", "user"])
def test_metadata_routing_on_gives_the_same_fits(clinic, model):
    """With scikit-learn's metadata routing on, 'step__sample_weight' is refused: the
    weights (and LightGBM's categorical columns) are requested for the final step."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import sklearn

    pytest.importorskip("lightgbm") if model == "lightgbm" else None
    data = clinic.drop(columns=["patient_id"])
    if model == "user":
        data = data.drop(columns=["site", "mean_area"])
        model = make_pipeline(StandardScaler(), LogisticRegression())
    runs = []
    for routing in (False, True):
        with sklearn.config_context(enable_metadata_routing=routing):
            result = upweight.sweep(data, label="malignant", model=model, **FAST)
        runs.append([r["val_log_loss"] for r in result.results])
    assert runs[0] == runs[1]
