"""The in-memory engine: invariants as properties, every container, every refusal."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import sparse

import upweight
from upweight import InputError, LabelError, PlanError


@st.composite
def labelled(draw):
    """Labels with 2-4 classes, the first far larger, shuffled; and a factor."""
    n_classes = draw(st.integers(2, 4))
    sizes = [draw(st.integers(200, 3_000))] + [
        draw(st.integers(1, 60)) for _ in range(n_classes - 1)
    ]
    y = np.repeat(np.arange(n_classes), sizes)
    y = np.random.default_rng(draw(st.integers(0, 1_000))).permutation(y)
    # at least ~30 majority rows expected, so the Bernoulli method never empties the class
    factor = draw(st.floats(1.0, min(100.0, sizes[0] / 30)))
    return y, factor


@given(labelled(), st.sampled_from(["exact", "bernoulli"]), st.integers(0, 2**40))
def test_untouched_classes_keep_every_row_in_order(case, method, seed):
    y, factor = case
    X = np.arange(y.size)
    X_s, y_s, w = upweight.downsample(X, y, factor=factor, random_state=seed, method=method)
    for c in range(1, y.max() + 1):
        np.testing.assert_array_equal(X_s[y_s == c], np.flatnonzero(y == c))
    assert np.all(np.diff(X_s) > 0)  # order kept
    np.testing.assert_array_equal(y_s, y[X_s])  # rows and labels stay together
    assert w.shape == y_s.shape


@given(labelled(), st.integers(0, 2**40))
def test_exact_method_keeps_round_n_over_k(case, seed):
    y, factor = case
    n_major = int((y == 0).sum())
    _, y_s, _ = upweight.downsample(np.zeros((y.size, 1)), y, factor=factor, random_state=seed)
    assert int((y_s == 0).sum()) == math.floor(n_major / factor + 0.5)


@given(labelled(), st.sampled_from(["exact", "bernoulli"]), st.integers(0, 2**40))
def test_exact_weights_restore_the_original_class_totals(case, method, seed):
    y, factor = case
    _, y_s, w = upweight.downsample(
        y, y, factor=factor, weights="exact", random_state=seed, method=method
    )
    for c in np.unique(y):
        assert w[y_s == c].sum() == pytest.approx((y == c).sum())


@given(labelled(), st.integers(0, 2**40))
def test_same_seed_same_rows(case, seed):
    y, factor = case
    X = np.arange(y.size)
    for method in ("exact", "bernoulli"):
        a = upweight.downsample(X, y, factor=factor, random_state=seed, method=method)
        b = upweight.downsample(X, y, factor=factor, random_state=seed, method=method)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[2], b[2])


@pytest.mark.parametrize("method", ["exact", "bernoulli"])
def test_factor_weights_give_unbiased_class_totals(method):
    # over many seeds the weighted majority total averages to its original count
    y = np.array([0] * 5_000 + [1] * 50)
    totals = [
        upweight.select(y, factor=7, random_state=seed, method=method).sample_weight[:-50].sum()
        for seed in range(300)
    ]
    mean, sem = np.mean(totals), np.std(totals) / np.sqrt(len(totals))
    assert abs(mean - 5_000) < max(4 * sem, 7 / 2)


def test_bernoulli_keeps_about_n_over_k():
    y = np.array([0] * 200_000 + [1] * 100)
    sel = upweight.select(y, factor=25, random_state=1, method="bernoulli")
    kept = sel.plan.kept[0]
    expected, sd = 200_000 / 25, math.sqrt(200_000 * 0.04 * 0.96)
    assert abs(kept - expected) < 5 * sd
    assert sel.plan.method == "bernoulli" and sel.plan.seed == 1


def test_bernoulli_of_one_position_does_not_depend_on_the_rest():
    # the streamable property: a row's fate depends on its position and the seed only
    y = np.array([0] * 1_000 + [1] * 10)
    full = set(upweight.select(y, factor=4, random_state=3, method="bernoulli").indices.tolist())
    y2 = y.copy()
    y2[500:] = np.r_[np.zeros(490, dtype=int), np.ones(20, dtype=int)][: y2.size - 500]
    part = upweight.select(y2, factor=4, random_state=3, method="bernoulli").indices
    assert {i for i in part.tolist() if i < 500} == {i for i in full if i < 500}


def test_the_plan_travels_with_the_result():
    y = np.array([0] * 1_000 + [1] * 10)
    *_, p = upweight.downsample(y, y, factor=10, random_state=5, return_plan=True)
    assert p.seed == 5 and p.method == "exact" and p.kept == {0: 100, 1: 10}


def test_random_state_generator_and_none():
    y = np.array([0] * 1_000 + [1] * 10)
    a = upweight.select(y, factor=10, random_state=np.random.default_rng(0))
    b = upweight.select(y, factor=10, random_state=np.random.default_rng(0))
    np.testing.assert_array_equal(a.indices, b.indices)
    c = upweight.select(y, factor=10)
    assert c.plan.seed is not None
    again = upweight.select(y, factor=10, random_state=c.plan.seed)
    np.testing.assert_array_equal(c.indices, again.indices)


def test_a_given_plan_is_applied():
    y = np.array([0] * 1_000 + [1] * 10)
    p = upweight.plan(y, target_share=0.5, weights="exact")
    _, y_s, w = upweight.downsample(y, y, plan=p, random_state=0)
    assert (y_s == 0).sum() == 10
    assert w[y_s == 0].sum() == pytest.approx(1_000)


# -- containers ---------------------------------------------------------------------------

Y = np.array([0] * 90 + [1] * 10)


def _check(X_s, y_s, w, *, n_kept=19):
    assert len(w) == n_kept
    assert set(np.unique(w).tolist()) == {1.0, 10.0}


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "lil", "dok", "bsr"])
def test_scipy_sparse_keeps_its_format(fmt):
    X = sparse.random(100, 5, density=0.3, format=fmt, random_state=0)
    X_s, y_s, w = upweight.downsample(X, Y, factor=10, random_state=0)
    assert sparse.issparse(X_s) and X_s.format == fmt
    sel = upweight.select(Y, factor=10, random_state=0)
    np.testing.assert_array_equal(X_s.toarray(), X.toarray()[sel.indices])
    _check(X_s, y_s, w)


def test_sparse_array_class():
    X = sparse.csr_array(np.eye(100))
    X_s, _, _ = upweight.downsample(X, Y, factor=10, random_state=0)
    assert isinstance(X_s, sparse.csr_array)


def test_lists_stay_lists():
    X_s, y_s, w = upweight.downsample(list(range(100)), Y.tolist(), factor=10, random_state=0)
    assert isinstance(X_s, list) and isinstance(y_s, list)
    _check(X_s, y_s, w)


def test_pandas_keeps_type_and_index():
    X = pd.DataFrame({"a": np.arange(100)}, index=np.arange(100) * 3)
    y = pd.Series(Y, index=X.index, name="label")
    X_s, y_s, w = upweight.downsample(X, y, factor=10, random_state=0)
    assert isinstance(X_s, pd.DataFrame) and isinstance(y_s, pd.Series)
    assert (X_s.index == y_s.index).all()
    assert (X_s.index.to_numpy() == X_s["a"].to_numpy() * 3).all()
    _check(X_s, y_s, w)


def test_polars_keeps_type():
    X = pl.DataFrame({"a": np.arange(100)})
    X_s, y_s, w = upweight.downsample(X, pl.Series("y", Y), factor=10, random_state=0)
    assert isinstance(X_s, pl.DataFrame) and isinstance(y_s, pl.Series)
    _check(X_s, y_s, w)


def test_pyarrow_keeps_type():
    X = pa.table({"a": np.arange(100)})
    X_s, y_s, w = upweight.downsample(X, pa.array(Y), factor=10, random_state=0)
    assert isinstance(X_s, pa.Table) and isinstance(y_s, pa.Array)
    _check(X_s, y_s, w)


def test_the_same_rows_whatever_the_container():
    expected = upweight.select(Y, factor=10, random_state=4).indices
    for X in (np.arange(100), pd.DataFrame({"a": np.arange(100)}), pl.DataFrame({"a": range(100)})):
        X_s, _, _ = upweight.downsample(X, Y, factor=10, random_state=4)
        values = X_s if isinstance(X_s, np.ndarray) else np.asarray(X_s["a"])
        np.testing.assert_array_equal(values, expected)


# -- frames ---------------------------------------------------------------------------


def _frame_data():
    return {"amount": np.arange(100.0), "fraud": Y}


@pytest.mark.parametrize(
    "make", [pd.DataFrame, pl.DataFrame, pa.table], ids=["pandas", "polars", "pyarrow"]
)
def test_downsample_frame_adds_a_weight_column(make):
    out, p = upweight.downsample_frame(
        make(_frame_data()), label="fraud", factor=10, random_state=0, return_plan=True
    )
    assert type(out) is type(make(_frame_data()))
    columns = out.column_names if isinstance(out, pa.Table) else list(out.columns)
    assert columns == ["amount", "fraud", "weight"]
    fraud = np.asarray(out["fraud"])
    weight = np.asarray(out["weight"])
    assert (fraud == 1).sum() == 10 and (fraud == 0).sum() == 9
    assert weight[fraud == 0].tolist() == [10.0] * 9
    assert weight[fraud == 1].tolist() == [1.0] * 10
    assert p.kept == {0: 9, 1: 10}


def test_downsample_frame_string_labels_and_custom_weight_column():
    df = pd.DataFrame({"x": range(6), "y": ["no", "no", "no", "no", "yes", "yes"]})
    out = upweight.downsample_frame(df, label="y", factor=2, weight_col="w", random_state=0)
    assert list(out.columns) == ["x", "y", "w"]
    assert sorted(out["w"].tolist()) == [1.0, 1.0, 2.0, 2.0]


# -- refusals ---------------------------------------------------------------------------


def test_length_mismatch():
    with pytest.raises(InputError, match="X has 99 rows but y has 100 labels"):
        upweight.downsample(np.zeros((99, 2)), Y, factor=2)


def test_single_class():
    with pytest.raises(LabelError, match="only one class"):
        upweight.downsample(np.zeros(5), np.ones(5), factor=2)


def test_plan_made_for_other_labels():
    p = upweight.plan({0: 50, 1: 50}, factor=2)
    with pytest.raises(PlanError, match="made for class counts"):
        upweight.downsample(Y, Y, plan=p)


def test_plan_and_factor_together():
    p = upweight.plan(Y, factor=2)
    with pytest.raises(PlanError, match="not both"):
        upweight.downsample(Y, Y, plan=p, factor=3)
    with pytest.raises(PlanError, match="weight mode"):
        upweight.downsample(Y, Y, plan=p, weights="exact")
    with pytest.raises(PlanError, match="SamplingPlan"):
        upweight.downsample(Y, Y, plan={"factor": 2})


def test_bad_method_and_random_state():
    with pytest.raises(PlanError, match="method"):
        upweight.downsample(Y, Y, factor=2, method="stratified")
    with pytest.raises(InputError, match="random_state"):
        upweight.downsample(Y, Y, factor=2, random_state="seven")
    with pytest.raises(InputError, match="non-negative"):
        upweight.downsample(Y, Y, factor=2, random_state=-1)


def test_bernoulli_that_empties_a_class_says_so():
    from upweight._selection import row_uniforms

    y = np.array([0, 0] + [1] * 1_000)
    # a seed under which both rows of class 0 are dropped at keep rate 1 / 2
    seed = next(s for s in range(100) if row_uniforms([0, 1], s).min() >= 0.5)
    with pytest.raises(PlanError, match="no row of class 0 was kept"):
        upweight.downsample(y, y, factor={0: 2}, random_state=seed, method="bernoulli")


@pytest.mark.parametrize(
    ("frame_kwargs", "error", "needle"),
    [
        ({"label": "nope"}, LabelError, "'nope' not found; columns are: amount, fraud"),
        ({"label": "fraud", "weight_col": "amount"}, InputError, "already exists"),
    ],
)
def test_frame_refusals(frame_kwargs, error, needle):
    with pytest.raises(error, match=needle):
        upweight.downsample_frame(pd.DataFrame(_frame_data()), factor=2, **frame_kwargs)


def test_frame_with_missing_labels_names_the_column():
    df = pd.DataFrame({"x": [1, 2, 3], "y": [0, None, 1]})
    with pytest.raises(LabelError, match="label column 'y' has 1 missing value"):
        upweight.downsample_frame(df, label="y", factor=2)


def test_duplicate_column_names():
    df = pd.DataFrame(np.zeros((100, 2)), columns=["a", "a"])
    X_s, _, _ = upweight.downsample(df, Y, factor=10, random_state=0)
    assert list(X_s.columns) == ["a", "a"] and len(X_s) == 19
    df["fraud"] = Y
    with pytest.raises(InputError, match=r"duplicate column names \(a\)"):
        upweight.downsample_frame(df, label="fraud", factor=2)


def test_a_scalar_is_not_data():
    with pytest.raises(InputError, match="scalar"):
        upweight.downsample(np.float64(3.0), Y, factor=2)


def test_one_column_frame_of_labels():
    _, y_s, _ = upweight.downsample(np.arange(100), pd.DataFrame({"y": Y}), factor=10)
    assert isinstance(y_s, pd.DataFrame) and len(y_s) == 19


def test_lazy_frames_and_arrays_are_refused_by_downsample_frame():
    with pytest.raises(InputError, match="lazy frame"):
        upweight.downsample_frame(pl.LazyFrame(_frame_data()), label="fraud", factor=2)
    with pytest.raises(InputError, match="data frame"):
        upweight.downsample_frame(np.zeros((3, 2)), label="fraud", factor=2)


def test_labels_as_a_pandas_categorical_come_back_as_one():
    y = pd.Categorical(["p"] * 10 + ["n"] * 90)
    X, y_kept, _ = upweight.downsample(pd.DataFrame({"x": np.arange(100.0)}), y, factor=5)
    assert isinstance(y_kept, pd.Categorical) and len(y_kept) == len(X) == 10 + 18


# -- factors that go too far: one OverDownsampleWarning, at the caller's line ------------------
def nine_to_one():
    rng = np.random.default_rng(0)
    y = rng.permutation(np.array(["legit"] * 900 + ["fraud"] * 100))
    return rng.normal(size=(y.size, 3)), y


def test_downsample_warns_once_when_the_majority_would_become_the_minority():
    X, y = nine_to_one()
    with pytest.warns(upweight.OverDownsampleWarning) as caught:
        _, y_s, _ = upweight.downsample(X, y, factor=150, random_state=0)
    assert len(caught) == 1 and caught[0].filename == __file__
    assert "keeps 6 rows of 'legit', fewer than the 100 of untouched 'fraud'" in str(
        caught[0].message
    )
    assert "factor <= 9 keeps 'legit'" in str(caught[0].message)
    assert (y_s == "legit").sum() == 6  # still done as asked


def test_a_factor_on_the_smallest_class_warns():
    X, y = nine_to_one()
    with pytest.warns(upweight.OverDownsampleWarning, match="leave 'fraud' out of") as caught:
        upweight.downsample(X, y, factor={"fraud": 5}, random_state=0)
    assert len(caught) == 1


@pytest.mark.parametrize("factor", [1, 4, 9, {"legit": 9}])
def test_a_sane_factor_does_not_warn(factor):
    X, y = nine_to_one()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        upweight.downsample(X, y, factor=factor, random_state=0)
        upweight.select(y, factor=factor, random_state=0)
        upweight.downsample_frame(pd.DataFrame({"y": y}), label="y", factor=factor)


def test_select_and_downsample_frame_warn_too_and_for_a_plan_given():
    _, y = nine_to_one()
    with pytest.warns(upweight.OverDownsampleWarning) as caught:
        upweight.select(y, factor=100, random_state=0)
    assert len(caught) == 1 and caught[0].filename == __file__
    frame = pl.DataFrame({"y": y, "x": np.arange(y.size)})
    with pytest.warns(upweight.OverDownsampleWarning) as caught:
        upweight.downsample_frame(frame, label="y", plan=upweight.plan(y, factor={"fraud": 2}))
    assert len(caught) == 1 and caught[0].filename == __file__
