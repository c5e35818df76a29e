"""The sweep's models: the user's own, what they print, what they predict, sparse input --
each case found by playing a hostile user."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import upweight
from upweight import InputError
from upweight._sweep._models import check_model

FAST = {"factors": [1, 4], "report": False, "convergence": False, "cv": False}


class Chatty(ClassifierMixin, BaseEstimator):
    """A classifier that prints while it fits, from Python and from native code (fd 1)."""

    def fit(self, X, y, sample_weight=None):
        import os

        print("epoch 1: loss 0.5")
        os.write(1, b"[native] iteration 1\n")
        self.model_ = LogisticRegression().fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


class Overconfident(Chatty):
    """Probabilities outside [0, 1]."""

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.tile([1.5, -0.5], (len(X), 1))


def test_models_whose_repr_is_cut_short_never_share_stored_runs(small_data, tmp_path):
    """repr shortens a list after 30 items: two pipelines on 40 and 31 columns read alike,
    and the second sweep into the same folder took the first one's stored runs."""
    X = np.hstack([small_data.X] * 8)  # 40 columns
    columns = [list(range(40)), list(range(31))]
    models = [
        make_pipeline(ColumnTransformer([("num", StandardScaler(), c)]), LogisticRegression())
        for c in columns
    ]
    assert repr(models[0]) == repr(models[1])  # what the stored-run key was made of
    assert check_model(models[0]).key != check_model(models[1]).key
    out = tmp_path / "out"
    first, second = (upweight.sweep(X, y=small_data.y, model=m, outdir=out, **FAST) for m in models)
    assert first.results[0]["config_id"] != second.results[0]["config_id"]


_PRINTING = """
import os, subprocess, sys
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
import upweight
from upweight.datasets import make_imbalanced

class Chatty(ClassifierMixin, BaseEstimator):
    def fit(self, X, y, sample_weight=None):
        print("epoch 1: loss 0.5")
        sys.stdout.buffer.write(b"bytes through the buffer\\n")  # the real stream's parts
        sys.stdout.flush()
        os.write(1, b"[native] iteration 1\\n")  # what C code writes
        subprocess.run(["echo", "from a subprocess"], stdout=sys.stdout, check=True)
        self.model_ = LogisticRegression().fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

data = make_imbalanced(5_000, minority_share=0.05, random_state=0)
result = upweight.sweep(data.X, y=data.y, model=Chatty(), factors=[1, 4], report=False,
                        convergence=False)
print("RESULT", {r["warnings"] for r in result.results}, result.results[0]["first_warning"],
      file=sys.stderr)
"""


def test_what_a_model_prints_is_kept_with_its_results():
    proc = subprocess.run(
        [sys.executable, "-c", _PRINTING], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # nothing reached the terminal
    assert "RESULT {1} printed 4 line(s): epoch 1: loss 0.5" in proc.stderr, proc.stderr


def test_lightgbm_of_the_user_prints_nothing_under_quiet(tmp_path):
    pytest.importorskip("lightgbm")
    data = upweight.datasets.make_imbalanced(5_000, minority_share=0.05, random_state=0)
    path = tmp_path / "d.parquet"
    import pyarrow.parquet as pq

    pq.write_table(data.to_arrow(label="y"), path)
    proc = subprocess.run(
        [sys.executable, "-m", "upweight", "sweep", str(path), "-l", "y", "-o",
         str(tmp_path / "o"), "-k", "1,4", "--model", "lightgbm:LGBMClassifier", "-q"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""  # LightGBM's [Info] lines included


def test_probabilities_that_are_not_name_the_model(small_data):
    with pytest.raises(InputError, match=r"model Overconfident failed .*gave 1\.5, not a prob"):
        upweight.sweep(small_data.X, y=small_data.y, model=Overconfident(), **FAST)


def test_a_parameter_the_model_rejects_points_at_model_params(small_data):
    from sklearn.ensemble import RandomForestClassifier

    with pytest.raises(InputError, match=r"InvalidParameterError.*--model-params"):
        upweight.sweep(
            small_data.X, y=small_data.y, model=RandomForestClassifier(n_estimators="200"), **FAST
        )


def test_sparse_features_go_to_the_models_that_take_them(small_data):
    X = sp.csr_matrix(np.where(np.abs(small_data.X) < 0.5, 0.0, small_data.X))
    X.data[::97] = np.nan  # missing values: imputed on the sparse path too
    result = upweight.sweep(X, y=small_data.y, model="logreg", **FAST)
    assert all(np.isfinite(r["test_log_loss"]) for r in result.results)
    with pytest.raises(InputError, match=r"'hgb' needs dense features.*toarray"):
        upweight.sweep(X, y=small_data.y, model="hgb", **FAST)


def test_a_model_path_must_name_a_class_and_nothing_else_is_called(tmp_path):
    marker = tmp_path / "called"
    proc = subprocess.run(
        [sys.executable, "-m", "upweight", "sweep", str(tmp_path / "none.parquet"), "-l",
         "y", "-o", str(tmp_path / "o"), "--model", "os:system", "--model-params",
         f'{{"command": "touch {marker}"}}'],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "is not a class" in proc.stderr, proc.stderr
    assert not marker.exists()


class Exits(Chatty):
    """A model that ends the process instead of raising."""

    def fit(self, X, y, sample_weight=None):
        sys.exit(3)


def test_a_model_that_exits_is_an_error_not_the_end(small_data):
    with pytest.raises(InputError, match=r"model Exits called sys.exit\(3\)"):
        upweight.sweep(small_data.X, y=small_data.y, model=Exits(), **FAST)


@pytest.mark.parametrize("kind", ["nested", "bagging", "calibrated", "calibrated in a pipeline"])
def test_meta_estimators_and_nested_pipelines_take_the_weights(small_data, kind):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import BaggingClassifier

    import sklearn

    make = {
        "nested": lambda: make_pipeline(
            make_pipeline(StandardScaler()), make_pipeline(StandardScaler(), LogisticRegression())
        ),
        "bagging": lambda: make_pipeline(
            StandardScaler(),
            BaggingClassifier(LogisticRegression(), n_estimators=3, random_state=0),
        ),
        "calibrated": lambda: CalibratedClassifierCV(LogisticRegression(), cv=3),
        "calibrated in a pipeline": lambda: make_pipeline(
            StandardScaler(), CalibratedClassifierCV(LogisticRegression(), cv=3)
        ),
    }[kind]
    runs = []
    for routing in (False, True):  # routing on: requests instead of step__sample_weight
        with sklearn.config_context(enable_metadata_routing=routing):
            result = upweight.sweep(small_data.X, y=small_data.y, model=make(), **FAST)
        runs.append([r["val_log_loss"] for r in result.results])
    assert runs[0] == runs[1]
    weighted = next(r for r in result.results if r["factor"] == 4 and r["correction"] == "upweight")
    offset = next(r for r in result.results if r["factor"] == 4 and r["correction"] == "offset")
    assert weighted["val_log_loss"] != offset["val_log_loss"]  # the weights did reach the fit


def test_saving_into_another_sweeps_folder_is_refused(small_data, tmp_path):
    other = tmp_path / "other"
    upweight.sweep(small_data.X, y=small_data.y, outdir=other, **FAST)
    before = sorted(p.name for p in other.rglob("*"))
    result = upweight.sweep(small_data.X[:, :3], y=small_data.y, **FAST)
    with pytest.raises(upweight.FileError, match="holds another sweep's results"):
        result.save(other)
    assert sorted(p.name for p in other.rglob("*")) == before


@pytest.mark.parametrize("kind", ["grid search", "voting", "stacking"])
def test_meta_estimators_that_pass_weights_on_are_accepted(small_data, kind):
    """They take sample_weight through **fit_params (the check read only the name), and a
    stacking classifier predicts probabilities once fitted."""
    from sklearn.ensemble import StackingClassifier, VotingClassifier
    from sklearn.model_selection import GridSearchCV

    import sklearn

    make = {
        "grid search": lambda: GridSearchCV(LogisticRegression(), {"C": [0.1, 1]}, cv=2),
        "voting": lambda: VotingClassifier([("a", LogisticRegression())], voting="soft"),
        "stacking": lambda: StackingClassifier([("a", LogisticRegression())], cv=2),
    }[kind]
    runs = []
    for routing in (False, True):
        with sklearn.config_context(enable_metadata_routing=routing):
            result = upweight.sweep(small_data.X, y=small_data.y, model=make(), **FAST)
        runs.append([r["val_log_loss"] for r in result.results])
    assert runs[0] == runs[1] and all(np.isfinite(runs[0]))


def test_a_copy_saved_elsewhere_leaves_the_result_its_own_folder(small_data, tmp_path):
    result = upweight.sweep(
        small_data.X, y=small_data.y, outdir=tmp_path / "a", **{**FAST, "report": True}
    )
    assert result.outdir == tmp_path / "a"
    result.save(tmp_path / "b")
    assert result.outdir == tmp_path / "a"
    result.save(tmp_path / "a")  # its own folder, still


def test_control_characters_a_model_prints_are_not_stored(small_data):
    class Binary(Chatty):
        def fit(self, X, y, sample_weight=None):
            import os

            os.write(1, b"\xff\xfe\x00\x80 weights \x1b[31m\n")
            return super().fit(X, y, sample_weight)

    rows = upweight.sweep(small_data.X, y=small_data.y, model=Binary(), **FAST).results
    text = rows[0]["first_warning"]
    assert text.startswith("printed ") and "weights ?[31m" in text  # ESC and NUL replaced
    assert all(c.isprintable() for c in text)
