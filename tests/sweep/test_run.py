"""The sweep: split first, plans from the training counts, shared fits, stored runs."""

from __future__ import annotations

import json
import re
import sys
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import upweight
from upweight import (
    FileError,
    InputError,
    LabelError,
    MissingExtraError,
    PlanError,
    UpweightWarning,
)
from upweight._sweep._split import split_positions
from upweight.datasets import make_imbalanced

FAST = {"convergence": False, "report": False, "cv": False}  # hold-out: one row per draw


def test_split_is_stratified_disjoint_and_deterministic():
    y = np.zeros(10_000, dtype=np.uint8)
    y[::50] = 1
    train, val, test = split_positions(y, 2, validation_size=0.1, test_size=0.2, seed=4)
    assert len(np.intersect1d(train, val)) == len(np.intersect1d(val, test)) == 0
    assert len(train) + len(val) + len(test) == y.size
    assert (y[val] == 1).sum() == 20 and (y[test] == 1).sum() == 40
    assert len(val) == 1_000 and len(test) == 2_000
    again = split_positions(y, 2, validation_size=0.1, test_size=0.2, seed=4)
    assert all((a == b).all() for a, b in zip((train, val, test), again, strict=True))
    other = split_positions(y, 2, validation_size=0.1, test_size=0.2, seed=5)
    assert not (other[1] == val).all()


def test_one_row_per_configuration_with_the_plan_applied(small_data):
    result = upweight.sweep(small_data.X, y=small_data.y, factors=[1, 10], **FAST)
    assert len(result.results) == 6
    train = result.split["train"]
    plan = upweight.plan({0: train["majority"], 1: train["minority"]}, factor=10)
    for row in result.results:
        if row["factor"] == 10:
            assert row["rows_trained"] == plan.n_kept
            assert row["minority_trained"] == train["minority"]  # every minority row kept
        else:
            assert row["rows_trained"] == train["rows"]
    # validation and test keep the true distribution
    share = small_data.y.mean()
    for split in ("validation", "test"):
        s = result.split[split]
        assert s["minority"] / s["rows"] == pytest.approx(share, rel=0.02)


def test_fits_are_shared_where_rows_and_weights_are_the_same(small_data):
    result = upweight.sweep(small_data.X, y=small_data.y, factors=[1, 10], **FAST)
    by = {(r["factor"], r["correction"]): r for r in result.results}
    # at k = 1 every correction is one model
    assert by[1, "offset"]["fit_shared_with"] == by[1, "upweight"]["config_id"]
    assert by[1, "none"]["fit_shared_with"] == by[1, "upweight"]["config_id"]
    assert by[1, "none"]["val_log_loss"] == by[1, "upweight"]["val_log_loss"]
    # offset and none share the unweighted fit; upweighting is its own
    assert by[10, "upweight"]["fit_shared_with"] is None
    assert by[10, "none"]["fit_shared_with"] == by[10, "offset"]["config_id"]
    assert by[10, "none"]["fit_seconds"] == by[10, "offset"]["fit_seconds"]
    # the offset only moves probabilities: ranking unchanged, calibration restored
    assert by[10, "none"]["val_roc_auc"] == pytest.approx(by[10, "offset"]["val_roc_auc"])
    assert by[10, "none"]["val_prediction_bias"] > 200
    assert abs(by[10, "offset"]["val_prediction_bias"]) < 20
    assert abs(by[10, "upweight"]["val_prediction_bias"]) < 20


def test_upweights_and_repeats(small_data):
    result = upweight.sweep(
        small_data.X,
        y=small_data.y,
        factors=[5],
        upweights=["factor", 1],
        corrections=["upweight"],
        repeats=2,
        **FAST,
    )
    assert sorted({r["upweight"] for r in result.results}) == [1.0, 5.0]
    assert {r["seed"] for r in result.results} == {0, 1}
    by = {e["upweight"]: e for e in result.summary}
    assert by[5.0]["repeats"] == 2 and by[5.0]["val_log_loss_std"] > 0
    # weight 1 is no correction at all: biased upwards
    assert by[1.0]["val_prediction_bias_mean"] > 100 > abs(by[5.0]["val_prediction_bias_mean"])


def test_a_file_gives_the_same_results_as_the_arrays(small_data, tmp_path):
    path = tmp_path / "data.parquet"
    pq.write_table(small_data.to_arrow(label="y"), path, row_group_size=3_000)
    kwargs = {"factors": [1, 4], "corrections": ["upweight", "offset"], **FAST}
    from_file = upweight.sweep(path, label="y", **kwargs)
    in_memory = upweight.sweep(small_data.X, y=small_data.y, **kwargs)
    for a, b in zip(from_file.results, in_memory.results, strict=True):
        assert a["rows_trained"] == b["rows_trained"]
        assert a["val_log_loss"] == pytest.approx(b["val_log_loss"], rel=1e-9)


def test_the_recommendation_and_its_honesty(small_data):
    result = upweight.sweep(small_data.X, y=small_data.y, factors=[1, 5, 20], **FAST)
    rec = result.recommendation
    best = min(result.summary, key=lambda e: e["val_log_loss_mean"])
    assert rec.best.factor == best["factor"] and rec.best.correction == best["correction"]
    assert rec.cheapest.figures["val_log_loss"] <= best["val_log_loss_mean"] * 1.01
    assert rec.cheapest.figures["rows_trained"] <= rec.best.figures["rows_trained"]
    assert rec.text.startswith("Best validation log loss")
    assert "No correction does clearly worse" in rec.text


def test_finished_configurations_are_stored_and_skipped(small_data, tmp_path):
    calls: list[tuple[int, int, str]] = []
    kwargs = {"factors": [1, 8], "outdir": tmp_path / "out", **FAST}
    first = upweight.sweep(small_data.X, y=small_data.y, **kwargs)
    runs = sorted(p.name for p in (tmp_path / "out" / "runs").iterdir())
    assert len(runs) == 6
    (tmp_path / "out" / "runs" / runs[0]).unlink()  # as if interrupted during that one
    again = upweight.sweep(
        small_data.X, y=small_data.y, progress=lambda *a: calls.append(a), **kwargs
    )
    assert calls[0][:2] == (5, 6)  # five were already done
    assert calls[-1][:2] == (6, 6)
    assert [r["val_log_loss"] for r in again.results] == pytest.approx(
        [r["val_log_loss"] for r in first.results]
    )
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["label"] is None and manifest["seed"] == 0


def test_an_outdir_of_another_data_set_is_refused(small_data, tmp_path):
    out = tmp_path / "out"
    upweight.sweep(small_data.X, y=small_data.y, factors=[1], outdir=out, **FAST)
    other = small_data.y.copy()
    other[:50] = 1 - other[:50]
    with pytest.raises(FileError, match=r"a different data set.*--overwrite"):
        upweight.sweep(small_data.X, y=other, factors=[1], outdir=out, **FAST)
    with pytest.raises(FileError, match="another seed"):
        upweight.sweep(small_data.X, y=small_data.y, factors=[1], outdir=out, seed=3, **FAST)
    result = upweight.sweep(small_data.X, y=other, factors=[1], outdir=out, overwrite=True, **FAST)
    assert len(result.results) == 3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"factors": []}, PlanError, "factors is empty"),
        ({"factors": [1, 0.5]}, PlanError, "must be >= 1"),
        ({"factors": [100_000]}, PlanError, "larger than the"),
        ({"corrections": ["magic"]}, PlanError, "correction must be one of"),
        ({"upweights": [-1]}, PlanError, "positive"),
        ({"model": "forest"}, InputError, "model must be one of"),
        ({"validation_size": 0.7}, InputError, "validation_size"),
        ({"repeats": 0}, InputError, "repeats"),
    ],
)
def test_bad_arguments(small_data, kwargs, error, match):
    with pytest.raises(error, match=match):
        upweight.sweep(small_data.X, y=small_data.y, **{**FAST, **kwargs})


def test_upweights_without_the_upweight_correction_are_named_in_a_warning(small_data):
    kwargs = {"factors": [1, 5], "corrections": ["offset", "none"], **FAST}
    with pytest.warns(UpweightWarning, match=r"upweights 2, 3 are not used.*offset, none"):
        result = upweight.sweep(small_data.X, y=small_data.y, upweights=[2, 3], **kwargs)
    assert {row["upweight"] for row in result.results} == {None}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default ("factor") and a used upweight: silent
        upweight.sweep(small_data.X, y=small_data.y, upweights=["factor"], **kwargs)
        upweight.sweep(small_data.X, y=small_data.y, factors=[5], upweights=[2], **FAST)


def test_too_few_minority_rows_says_how_many_are_needed():
    y = np.zeros(5_000, dtype=int)
    y[:60] = 1
    with pytest.raises(LabelError, match=r"has 60 rows.*needs at least 95.*--validation-size"):
        upweight.sweep(np.zeros((5_000, 2)), y=y, **FAST)


@pytest.mark.parametrize(
    ("shares", "match"),
    [
        ({"validation_size": 1e-9}, r"leaves 0 in validation.*--validation-size 0\.\d+"),
        ({"test_size": 1e-9}, r"leaves 0 in test.*--test-size 0\.\d+"),
        ({"validation_size": 1e-320, "test_size": 1e-9}, r"leaves 0 in validation, 0 in test"),
        ({"validation_size": 0.4999999, "test_size": 0.4999999}, r"\d in training.*0\.25"),
        ({"validation_size": 0.49999999999999994, "test_size": 0.49999999999999994}, "training"),
    ],
)
def test_shares_that_leave_a_split_without_minority_rows_are_refused_at_once(
    small_data, deadline, shares, match
):
    with deadline(10), pytest.raises(LabelError, match=match) as caught:
        upweight.sweep(small_data.X, y=small_data.y, factors=[1], **FAST, **shares)
    # the shares suggested instead do split the data
    suggested = {
        f"{name}_size": float(value)
        for name, value in re.findall(r"(validation|test)_size=([0-9.]+)", str(caught.value))
    }
    assert suggested
    result = upweight.sweep(
        small_data.X, y=small_data.y, factors=[1], corrections=["none"], **FAST, **suggested
    )
    assert min(result.split[s]["minority"] for s in ("train", "validation", "test")) >= 10


def test_one_class_is_refused():
    with pytest.raises(InputError, match="holds one class; the sweep needs two or more"):
        upweight.sweep(np.zeros((3_000, 2)), y=np.zeros(3_000), **FAST)


def test_a_missing_extra_is_named(small_data, monkeypatch):
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # as if not installed: imports fail
    with pytest.raises(MissingExtraError, match=r"pip install 'upweight\[lightgbm\]'"):
        upweight.sweep(small_data.X, y=small_data.y, model="lightgbm", **FAST)


@pytest.mark.parametrize("model", ["hgb", "sgd", "lightgbm", "xgboost"])
def test_other_models(model):
    if model in ("lightgbm", "xgboost"):
        pytest.importorskip(model)
    data = make_imbalanced(5_000, minority_share=0.05, random_state=2)
    result = upweight.sweep(
        data.X, y=data.y, factors=[5], corrections=["offset"], model=model, **FAST
    )
    (row,) = result.results
    assert row["model"] == model and 0 < row["val_log_loss"] < 0.5


def test_an_interrupt_loses_at_most_the_configuration_in_flight(small_data, tmp_path):
    kwargs = {"factors": [1, 4, 16], "outdir": tmp_path / "out", **FAST}

    def stop_after_four(done, total, text):
        if done == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        upweight.sweep(small_data.X, y=small_data.y, progress=stop_after_four, **kwargs)
    assert len(list((tmp_path / "out" / "runs").glob("*.json"))) == 4
    calls: list[tuple[int, int, str]] = []
    result = upweight.sweep(
        small_data.X, y=small_data.y, progress=lambda *a: calls.append(a), **kwargs
    )
    assert calls[0][:2] == (4, 9) and len(result.results) == 9


def _with_nan(data, value=np.nan):
    X = data.X.copy()
    X[::97, 1] = value
    X[::501, 3] = value
    return X


@pytest.mark.parametrize("model", ["logreg", "sgd"])
def test_linear_models_impute_missing_values(small_data, model):
    result = upweight.sweep(_with_nan(small_data), y=small_data.y, model=model, **FAST)
    assert all(np.isfinite(r["val_log_loss"]) for r in result.results)
    assert "SimpleImputer" in result.settings["estimator"] or model == "sgd"


def test_missing_values_of_a_frame_and_a_file_go_through(small_data, tmp_path):
    table = small_data.to_arrow(label="y")
    amount = table.column(2).to_numpy().copy()
    amount[:5] = np.nan
    table = table.set_column(2, "amount", pa.array(amount))
    path = tmp_path / "data.parquet"
    pq.write_table(table, path)
    for data in (table, path):
        result = upweight.sweep(data, label="y", factors=[1, 5], **FAST)
        assert all(np.isfinite(r["test_log_loss"]) for r in result.results)


def test_nan_features_go_through_to_models_that_handle_them(small_data):
    result = upweight.sweep(
        _with_nan(small_data),
        y=small_data.y,
        model="hgb",
        factors=[1, 5],
        convergence=True,
        convergence_batches=20,
        report=False,
    )
    assert len(result.summary) == 6 and result.convergence  # folds: more rows
    assert all(np.isfinite(r["val_log_loss"]) for r in result.results)


@pytest.mark.parametrize("model", ["logreg", "hgb"])
def test_infinite_features_are_refused_for_every_model(small_data, model):
    with pytest.raises(InputError, match=r"infinite values: .x1. \(207\)"):
        upweight.sweep(_with_nan(small_data, np.inf), y=small_data.y, model=model, **FAST)


def test_nulls_in_a_file_are_missing_values_too(small_data, tmp_path):
    table = small_data.to_arrow(label="y")
    values = table.column(1).to_pylist()
    for i in range(0, len(values), 301):
        values[i] = None
    table = table.set_column(1, "balance", pa.array(values, pa.float64()))
    path = tmp_path / "data.parquet"
    pq.write_table(table, path)
    for model in ("logreg", "hgb"):
        result = upweight.sweep(path, label="y", model=model, factors=[1, 5], **FAST)
        assert len(result.results) == 6
        assert all(np.isfinite(r["test_log_loss"]) for r in result.results)


def test_seeds_beyond_64_bits_are_refused(small_data):
    from upweight import InputError

    for seed, repeats in ((2**64, 1), (2**64 - 1, 2)):
        with pytest.raises(InputError, match="2\\*\\*64"):
            upweight.sweep(small_data.X, y=small_data.y, factors=[1], seed=seed, repeats=repeats)


@pytest.mark.parametrize(("seed", "repeats"), [(2**63 - 1, 2), (2**64 - 2, 2), (2**64 - 1, 1)])
def test_every_seed_below_64_bits_works(small_data, seed, repeats):
    result = upweight.sweep(
        small_data.X,
        y=small_data.y,
        factors=[1, 5],
        corrections=["upweight"],
        model="sgd",  # a model that takes a seed
        seed=seed,
        repeats=repeats,
        convergence=False,
    )
    seeds = result.to_arrow().column("seed")  # as results.parquet stores them
    assert seeds.type == pa.uint64()
    assert sorted(set(seeds.to_pylist())) == [seed + r for r in range(repeats)]
    assert result.table("seed") == seeds.to_pylist()


def test_seeds_of_models_keep_small_seeds_and_mix_large_ones():
    from upweight._random import LIBRARY_SEED_LIMIT, library_seed

    assert [library_seed(s) for s in (0, 1, 42, 2**31 - 2)] == [0, 1, 42, 2**31 - 2]
    large = [2**31 - 1, 2**32, 2**63, 2**64 - 1, 5 + (2**31 - 1), 5 + 2 * (2**31 - 1)]
    mixed = [library_seed(s) for s in large]
    assert all(0 <= m < LIBRARY_SEED_LIMIT for m in mixed)
    assert len(set(mixed)) == len(mixed) and library_seed(2**63) == library_seed(2**63)


def test_a_feature_column_without_any_value_is_refused_for_every_model(small_data):
    X = np.column_stack([small_data.X, np.full(small_data.y.size, np.nan)])
    for model in ("hgb", "logreg"):
        with pytest.raises(InputError, match="'x5' of X holds no value"):
            upweight.sweep(X, y=small_data.y, factors=[1], model=model, convergence=False)
