"""DownsampledClassifier: calibration against the truth, sklearn tooling, boosted trees."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

import upweight
from upweight import InputError
from upweight.datasets import make_imbalanced
from upweight.sklearn import DownsampledClassifier

# The only scikit-learn checks that cannot apply, and why:
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "fitting with integer weights must equal fitting on repeated rows; but repeating "
        "rows changes the class counts, hence the plan and the rows drawn"
    ),
    "check_sample_weight_equivalence_on_sparse_data": "as for dense data",
}


@parametrize_with_checks(
    [
        DownsampledClassifier(LogisticRegression(), random_state=0),
        DownsampledClassifier(LogisticRegression(), factor=2, correction="offset", random_state=0),
        DownsampledClassifier(
            make_pipeline(StandardScaler(), LogisticRegression()), factor=2, random_state=0
        ),
        DownsampledClassifier(
            DecisionTreeClassifier(random_state=0),
            factor=1.5,
            weights="exact",
            method="bernoulli",
            random_state=0,
        ),
    ],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def data():
    """200k rows, 1 % positives, known P(y|x); first 150k train, rest test."""
    return make_imbalanced(200_000, minority_share=0.01, random_state=7)


def split(d):
    return d.X[:150_000], d.y[:150_000], d.X[150_000:], d.y[150_000:], d.proba[150_000:]


def lr():
    return LogisticRegression(max_iter=1000)


@pytest.mark.parametrize("correction", ["upweight", "offset"])
def test_corrected_probabilities_match_the_truth(data, correction):
    X, y, X_test, y_test, p_true = split(data)
    clf = DownsampledClassifier(lr(), factor=20, correction=correction, random_state=0)
    p = clf.fit(X, y).predict_proba(X_test)[:, 1]
    assert p.mean() == pytest.approx(p_true.mean(), rel=0.1)
    assert np.mean(np.abs(p - p_true)) < 0.003
    assert abs(upweight.metrics.prediction_bias(y_test, p)) < 15


@pytest.mark.parametrize("upweight_by", [5, 50])
def test_an_upweight_other_than_the_factor_stays_on_the_true_distribution(data, upweight_by):
    X, y, X_test, _, p_true = split(data)
    clf = DownsampledClassifier(lr(), factor=25, upweight=upweight_by, random_state=0)
    p = clf.fit(X, y).predict_proba(X_test)[:, 1]
    assert clf.plan_.class_weights[0] == upweight_by
    assert p.mean() == pytest.approx(p_true.mean(), rel=0.1)
    assert np.mean(np.abs(p - p_true)) < 0.003


def test_default_upweight_keeps_the_models_own_scores_and_predictions(data):
    X, y, X_test, *_ = split(data)
    for model in (lr(), LinearSVC()):
        clf = DownsampledClassifier(model, factor=20, random_state=0).fit(X, y)
        np.testing.assert_array_equal(clf.predict(X_test), clf.estimator_.predict(X_test))
        np.testing.assert_array_equal(
            clf.decision_function(X_test), clf.estimator_.decision_function(X_test)
        )


def test_no_correction_is_biased_towards_the_minority(data):
    X, y, X_test, y_test, _ = split(data)
    clf = DownsampledClassifier(lr(), factor=20, correction="none", random_state=0)
    p = clf.fit(X, y).predict_proba(X_test)[:, 1]
    assert upweight.metrics.prediction_bias(y_test, p) > 500


def test_rows_and_weights_seen_by_the_model(data):
    X, y, *_ = split(data)
    recorder = RecordingClassifier()
    clf = DownsampledClassifier(recorder, factor=10, random_state=0).fit(X, y)
    seen = clf.estimator_
    assert seen.n_rows_ == clf.plan_.n_kept
    assert set(np.unique(seen.sample_weight_[seen.y_ == 0])) == {10.0}
    offset = DownsampledClassifier(recorder, factor=10, correction="offset", random_state=0)
    assert offset.fit(X, y).estimator_.sample_weight_ is None


def test_user_sample_weight_multiplies_the_plan_weight(data):
    X, y, *_ = split(data)
    w = np.full(len(y), 2.0)
    clf = DownsampledClassifier(RecordingClassifier(), factor=10, random_state=0)
    seen = clf.fit(X, y, sample_weight=w).estimator_
    assert set(np.unique(seen.sample_weight_[seen.y_ == 0])) == {20.0}
    assert set(np.unique(seen.sample_weight_[seen.y_ == 1])) == {2.0}


def test_fit_params_reach_the_model_row_aligned_ones_subset(data):
    X, y, *_ = split(data)
    clf = DownsampledClassifier(RecordingClassifier(), factor=10, random_state=0)
    per_row = np.arange(len(y))
    fitted = clf.fit(X, y, note="hello", init_score=per_row, eval_set=[(X[:5], y[:5])])
    params = fitted.estimator_.fit_params_
    assert params["note"] == "hello"
    assert len(params["eval_set"]) == 1
    expected = upweight.select(y, factor=10, random_state=0).indices
    np.testing.assert_array_equal(params["init_score"], expected)


def test_labels_in_a_polars_or_pandas_series(data):
    pl = pytest.importorskip("polars")
    pd = pytest.importorskip("pandas")
    X, y, *_ = split(data)
    for labels in (pl.Series("y", y), pd.Series(y)):
        clf = DownsampledClassifier(lr(), factor=10, random_state=0).fit(X, labels)
        assert clf.classes_.tolist() == [0, 1]


def test_random_state_accepts_a_generator(data):
    X, y, *_ = split(data)
    a = DownsampledClassifier(lr(), factor=10, random_state=np.random.default_rng(3)).fit(X, y)
    b = DownsampledClassifier(lr(), factor=10, random_state=np.random.default_rng(3)).fit(X, y)
    assert a.plan_.seed == b.plan_.seed


def test_a_failed_fit_leaves_no_fitted_state(data):
    X, y, *_ = split(data)

    class Broken(RecordingClassifier):
        def fit(self, X, y, sample_weight=None, **fit_params):
            raise RuntimeError("the model failed")

    clf = DownsampledClassifier(Broken(), factor=10)
    with pytest.raises(RuntimeError):
        clf.fit(X, y)
    assert not hasattr(clf, "estimator_") and not hasattr(clf, "plan_")


def test_factor_is_tunable_in_grid_search(data):
    X, y, *_ = split(data)
    search = GridSearchCV(
        DownsampledClassifier(lr(), random_state=0),
        {"factor": [1, 10, 50], "correction": ["upweight", "offset"]},
        scoring="neg_log_loss",
        cv=3,
    )
    search.fit(X[:60_000], y[:60_000])
    assert set(search.cv_results_["param_factor"]) == {1, 10, 50}
    assert search.best_estimator_.plan_ is not None


def test_last_step_of_a_pipeline(data):
    X, y, X_test, _, p_true = split(data)
    pipe = make_pipeline(StandardScaler(), DownsampledClassifier(lr(), factor=20, random_state=0))
    p = pipe.fit(X, y).predict_proba(X_test)[:, 1]
    assert p.mean() == pytest.approx(p_true.mean(), rel=0.1)


def test_pipeline_as_the_model_receives_the_weights(data):
    X, y, X_test, _, p_true = split(data)
    clf = DownsampledClassifier(make_pipeline(StandardScaler(), lr()), factor=20, random_state=0)
    p = clf.fit(X, y).predict_proba(X_test)[:, 1]
    assert p.mean() == pytest.approx(p_true.mean(), rel=0.1)


def test_offset_shifts_decision_function_and_predict(data):
    X, y, X_test, *_ = split(data)
    clf = DownsampledClassifier(lr(), factor=20, correction="offset", random_state=0).fit(X, y)
    raw = clf.estimator_.decision_function(X_test)
    ratio = clf.plan_.prior_ratios
    np.testing.assert_allclose(clf.decision_function(X_test), raw - np.log(ratio[0] / ratio[1]))
    p = clf.predict_proba(X_test)[:, 1]
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-clf.decision_function(X_test))), rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(X_test), (p > 0.5).astype(int))
    assert clf.predict(X_test).mean() < clf.estimator_.predict(X_test).mean()


def test_methods_follow_the_model():
    clf = DownsampledClassifier(LinearSVC())
    assert not hasattr(clf, "predict_proba")
    assert hasattr(clf, "decision_function")
    X = np.random.default_rng(0).normal(size=(400, 2))
    y = (X[:, 0] > 1.2).astype(int)
    fitted = DownsampledClassifier(LinearSVC(), factor=2, correction="offset", random_state=0)
    assert fitted.fit(X, y).predict(X).shape == (400,)
    assert not hasattr(fitted, "predict_proba")


def test_multiclass_with_string_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30_000, 3))
    logits = np.c_[X[:, 0] + 3, X[:, 1] + 1, X[:, 2] - 1]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array(["a", "b", "c"])[(rng.random((30_000, 1)) > p.cumsum(axis=1)).sum(axis=1)]
    for correction in ("upweight", "offset"):
        clf = DownsampledClassifier(
            lr(), factor={"a": 10, "b": 2}, correction=correction, random_state=0
        ).fit(X, y)
        assert clf.classes_.tolist() == ["a", "b", "c"]
        proba = clf.predict_proba(X)
        np.testing.assert_allclose(proba.mean(axis=0), p.mean(axis=0), atol=0.01)


def test_default_balances_like_random_under_sampler(data):
    X, y, *_ = split(data)
    clf = DownsampledClassifier(lr(), random_state=0).fit(X, y)
    assert clf.plan_.kept[0] == clf.plan_.kept[1]


def test_refusals(data):
    X, y, *_ = split(data)
    with pytest.raises(InputError, match="does not accept sample_weight"):
        DownsampledClassifier(KNeighborsClassifier(), factor=2).fit(X[:1000], y[:1000])
    # the offset correction needs no weights
    DownsampledClassifier(KNeighborsClassifier(), factor=2, correction="offset").fit(
        X[:1000], y[:1000]
    )
    with pytest.raises(ValueError, match="correction"):
        DownsampledClassifier(lr(), correction="both").fit(X[:1000], y[:1000])
    with pytest.raises(ValueError, match="factor"):
        DownsampledClassifier(lr(), factor=0.5).fit(X[:1000], y[:1000])
    with pytest.raises(ValueError, match="rows"):
        DownsampledClassifier(lr(), factor=2).fit(X[:1000], y[:999])


def booster(library):
    if library == "lightgbm":
        lgb = pytest.importorskip("lightgbm")
        return lgb.LGBMClassifier(n_estimators=100, learning_rate=0.05, verbose=-1)
    xgb = pytest.importorskip("xgboost")
    return xgb.XGBClassifier(n_estimators=100, learning_rate=0.05, max_depth=3, n_jobs=2)


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_boosted_trees_with_the_offset_correction_are_calibrated(data, library):
    X, y, X_test, y_test, p_true = split(data)
    clf = DownsampledClassifier(booster(library), factor=10, correction="offset", random_state=0)
    p = clf.fit(X, y).predict_proba(X_test)[:, 1]
    assert p.mean() == pytest.approx(p_true.mean(), rel=0.15)
    assert upweight.metrics.evaluate(y_test, p).roc_auc > 0.75


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_boosted_trees_receive_the_weights(data, library):
    # Calibration of upweighted boosters is the booster's business: LightGBM's small
    # leaves overfit heavily weighted rows (here its mean prediction ends ~35 % high),
    # which is why the offset correction exists. What we own is that the weights arrive.
    X, y, X_test, *_ = split(data)
    clf = DownsampledClassifier(booster(library), factor=10, random_state=0).fit(X, y)
    sel = upweight.select(y, plan=upweight.plan(y, factor=10), random_state=0)
    direct = booster(library).fit(X[sel.indices], y[sel.indices], sample_weight=sel.sample_weight)
    np.testing.assert_allclose(clf.estimator_.predict_proba(X_test), direct.predict_proba(X_test))


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Records what fit received; predicts the training prior."""

    def fit(self, X, y, sample_weight=None, **fit_params):
        self.n_rows_ = len(y)
        self.y_ = np.asarray(y)
        self.sample_weight_ = None if sample_weight is None else np.asarray(sample_weight)
        self.fit_params_ = fit_params
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict_proba(self, X):
        prior = np.array([(self.y_ == c).mean() for c in self.classes_])
        return np.tile(prior, (len(X), 1))

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def test_recording_classifier_is_cloneable():
    clone(RecordingClassifier())


def test_a_regressor_is_refused_at_fit_not_at_predict():
    from sklearn.linear_model import LinearRegression

    from upweight import InputError

    X = np.random.default_rng(0).normal(size=(200, 2))
    y = np.r_[np.zeros(180), np.ones(20)]
    with pytest.raises(InputError, match=r"must be a classifier.*LinearRegression, a regressor"):
        DownsampledClassifier(LinearRegression(), factor=2).fit(X, y)


def test_class_weight_on_the_wrapped_estimator_gets_a_warning():
    """It weights the classes a second time: the corrected probabilities are off."""
    X = np.random.default_rng(0).normal(size=(400, 2))
    y = (np.arange(400) % 10 == 0).astype(int)
    clf = DownsampledClassifier(LogisticRegression(class_weight="balanced"), factor=3)
    with pytest.warns(upweight.UpweightWarning, match="class_weight='balanced'"):
        clf.fit(X, y)


# -- factors that go too far -------------------------------------------------------------------
def breast_cancer_nine_to_one():
    """scikit-learn's breast cancer set with its positives cut to 40: 357 benign, 40 malignant."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    y = 1 - y  # 1 = malignant
    keep = np.flatnonzero(y == 0).tolist() + np.flatnonzero(y == 1)[:40].tolist()
    return X[keep], y[keep]


def test_fit_warns_once_when_a_factor_goes_too_far():
    X, y = breast_cancer_nine_to_one()
    clf = DownsampledClassifier(make_pipeline(StandardScaler(), LogisticRegression()), factor=50)
    with pytest.warns(upweight.OverDownsampleWarning, match="keeps 7 rows of class 0") as w:
        clf.fit(X, y)
    assert len(w) == 1 and w[0].filename == __file__
    with pytest.warns(upweight.OverDownsampleWarning, match="leave class 1 out of"):
        DownsampledClassifier(DecisionTreeClassifier(), factor={1: 4}).fit(X, y)


def test_fit_does_not_warn_for_a_sane_factor_or_its_default():
    X, y = breast_cancer_nine_to_one()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DownsampledClassifier(DecisionTreeClassifier(), factor=8, random_state=0).fit(X, y)
        DownsampledClassifier(DecisionTreeClassifier(), random_state=0).fit(X, y)
