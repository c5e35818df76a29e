"""The Spark engine: the same plan, the same rows and the same weights as in memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import upweight
import upweight.spark as us
from upweight import InputError, LabelError, PlanError
from upweight._selection import key_ids, select_rows

pytest.importorskip("pyspark")
pytest.importorskip("pandas")

pytestmark = [
    # one Spark session (a JVM of local[2]), in one worker of `make test` (pytest-xdist)
    pytest.mark.xdist_group("spark"),
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture(scope="session")
def spark():
    # Spark's Python workers must run this interpreter (it has upweight and pyarrow).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("upweight-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.default.parallelism", "2")
        # short-lived JVM: the client compiler starts twice as fast
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def frame(spark, table: pa.Table):
    """A DataFrame of ``table`` in its row order (two partitions, from local data)."""
    return spark.createDataFrame(table.to_pandas())


def labels_table(n: int = 20_000, share: float = 0.03, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < share).astype(np.int64)
    return pa.table({"row": np.arange(n), "x": rng.normal(size=n), "y": y})


def kept_rows(df, column: str = "row") -> np.ndarray:
    return np.sort(np.array([r[column] for r in df.select(column).collect()]))


# -- profile -------------------------------------------------------------------------------


def test_profile_counts_match_the_in_memory_profile(spark):
    table = labels_table()
    prof = us.profile(frame(spark, table), label="y", batch_size=32)
    expected = upweight.profile(table.column("y").to_numpy(), batch_size=32)
    assert prof == expected
    assert prof.batch is not None and prof.batch.batch_size == 32


@pytest.mark.parametrize(
    ("values", "ddl", "expected"),
    [
        (["fraud", "ok", "ok", "ok"], "string", {"fraud": 1, "ok": 3}),
        ([True, False, False, False], "boolean", {False: 3, True: 1}),
        ([1.0, 0.0, 0.0, 0.0], "double", {0: 3, 1: 1}),
    ],
)
def test_profile_reads_string_bool_and_whole_float_labels(spark, values, ddl, expected):
    df = spark.createDataFrame([(v,) for v in values], f"label {ddl}")
    assert us.profile(df, label="label").count_map == expected


# -- the same rows as in memory --------------------------------------------------------------


@pytest.mark.parametrize("method", ["exact", "bernoulli"])
def test_same_rows_as_the_in_memory_engine(spark, method):
    table = labels_table()
    y = table.column("y").to_numpy()
    sampled, plan = us.downsample(frame(spark, table), label="y", factor=7, method=method, seed=3)
    selection = upweight.select(y, factor=7, method=method, random_state=3)
    assert np.array_equal(kept_rows(sampled), selection.indices)
    assert plan == selection.plan


def test_same_rows_as_in_memory_for_a_parquet_file_read_in_several_splits(spark, tmp_path):
    table = labels_table(30_000)
    path = tmp_path / "data.parquet"
    pq.write_table(table, path, row_group_size=2_000)
    spark.conf.set("spark.sql.files.maxPartitionBytes", "60k")
    try:
        df = spark.read.parquet(str(path))
        assert df.rdd.getNumPartitions() > 2
        sampled, plan = us.downsample(df, label="y", factor=10, seed=5)
        got = kept_rows(sampled)
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    selection = upweight.select(table.column("y").to_numpy(), factor=10, random_state=5)
    assert np.array_equal(got, selection.indices)
    assert plan.kept == selection.plan.kept


@pytest.mark.parametrize("method", ["exact", "bernoulli"])
@pytest.mark.parametrize("kind", ["int", "str"])
def test_a_key_column_stands_in_for_positions(spark, method, kind):
    table = labels_table(10_000)
    n = table.num_rows
    ids = np.random.default_rng(7).permutation(n) * 1_000_003 - 5_000_000
    keys = ids if kind == "int" else np.array([f"user-{i}" for i in ids], dtype=object)
    table = table.append_column("key", pa.array(keys))
    y = table.column("y").to_numpy()
    sampled, plan = us.downsample(
        frame(spark, table), label="y", factor=5, method=method, seed=11, key="key"
    )
    the_plan = upweight.plan(y, factor=5)
    expected = select_rows(
        y,
        the_plan.keep_rate_array(),
        the_plan.kept_array(),
        method=method,
        seed=11,
        ids=key_ids(keys),
    )
    assert np.array_equal(kept_rows(sampled), expected)
    assert plan.kept == {0: int((y[expected] == 0).sum()), 1: int(y.sum())}


def test_with_a_key_bernoulli_decisions_ignore_the_partitioning(spark):
    table = labels_table(5_000).append_column("key", pa.array(np.arange(5_000) * 7))
    df = frame(spark, table)
    one, _ = us.downsample(df, label="y", factor=4, method="bernoulli", key="key")
    shuffled = df.repartition(3, "x")
    other, _ = us.downsample(shuffled, label="y", factor=4, method="bernoulli", key="key")
    assert np.array_equal(kept_rows(one), kept_rows(other))


@pytest.mark.parametrize(
    "search",
    [
        us._CutSearch(),
        # skip the one-pass window: the class is small enough to sort on the driver
        us._CutSearch(window=False),
        # skip the one-pass window, and make buckets tiny: every step of the search runs
        us._CutSearch(window=False, collect_limit=3),
    ],
    ids=["window", "sorted", "histogram"],
)
def test_exact_ties_on_repeated_keys_go_to_the_earlier_position(spark, search):
    table = labels_table(4_000, share=0.1)
    keys = np.arange(4_000) // 50  # 50 rows share each key, hence each hash
    table = table.append_column("key", pa.array(keys))
    y = table.column("y").to_numpy()
    sampled, plan = us._downsample(
        frame(spark, table), label="y", factor=3, key="key", seed=2, search=search
    )
    the_plan = upweight.plan(y, factor=3)
    expected = select_rows(
        y,
        the_plan.keep_rate_array(),
        the_plan.kept_array(),
        method="exact",
        seed=2,
        ids=key_ids(keys),
    )
    assert np.array_equal(kept_rows(sampled), expected)
    assert plan.kept == the_plan.kept


@pytest.mark.parametrize("method", ["exact", "bernoulli"])
def test_same_rows_and_weighted_totals_as_the_file_engine(spark, tmp_path, method):
    if not hasattr(upweight, "sample_file"):
        pytest.skip("the file engine (upweight.sample_file) is not in this tree")
    pytest.importorskip("duckdb")
    table = labels_table(30_000)
    pq.write_table(table, tmp_path / "data.parquet", row_group_size=4_000)
    file_plan = upweight.sample_file(
        tmp_path / "data.parquet", tmp_path / "out.parquet", label="y", factor=6, method=method
    )
    sampled, plan = us.downsample(
        spark.read.parquet(str(tmp_path / "data.parquet")), label="y", factor=6, method=method
    )
    from_file = pq.read_table(tmp_path / "out.parquet")
    assert np.array_equal(kept_rows(sampled), np.sort(from_file.column("row").to_numpy()))
    assert plan.weighted_totals == file_plan.weighted_totals
    totals = weighted_totals(sampled)
    y, w = from_file.column("y").to_numpy(), from_file.column("weight").to_numpy()
    assert {c: t for c, (t, _) in totals.items()} == {c: w[y == c].sum() for c in (0, 1)}


def test_multiclass_string_labels_with_a_factor_per_class(spark):
    rng = np.random.default_rng(4)
    y = rng.choice(np.array(["a", "b", "c"], dtype=object), size=6_000, p=[0.7, 0.25, 0.05])
    table = pa.table({"row": np.arange(y.size), "label": y})
    factors = {"a": 10, "b": 2.5}
    sampled, plan = us.downsample(frame(spark, table), label="label", factor=factors, seed=9)
    selection = upweight.select(y, factor=factors, random_state=9)
    assert np.array_equal(kept_rows(sampled), selection.indices)
    assert plan == selection.plan


# -- weights -------------------------------------------------------------------------------


def weighted_totals(df, label: str = "y") -> dict:
    from pyspark.sql import functions as F

    rows = df.groupBy(label).agg(F.sum("weight").alias("w"), F.count("*").alias("n")).collect()
    return {r[label]: (r["w"], r["n"]) for r in rows}


@pytest.mark.parametrize(
    ("method", "weights"),
    [("exact", "factor"), ("exact", "exact"), ("exact", "none"), ("bernoulli", "exact")],
)
def test_weight_modes_and_weighted_class_totals(spark, method, weights):
    table = labels_table(12_000)
    y = table.column("y").to_numpy()
    sampled, plan = us.downsample(
        frame(spark, table), label="y", factor=8, weights=weights, method=method, seed=1
    )
    totals = weighted_totals(sampled)
    counts = upweight.profile(y).count_map
    for c, (total, n) in totals.items():
        assert n == plan.kept[c]
        assert total == pytest.approx(plan.weighted_totals[c], rel=1e-12)
    if weights == "exact":
        assert {c: w for c, (w, _) in totals.items()} == pytest.approx(counts, rel=1e-12)
    elif weights == "factor":
        assert plan.class_weights == {0: 8.0, 1: 1.0}
    else:
        assert plan.class_weights == {0: 1.0, 1: 1.0}
    assert sampled.columns == ["row", "x", "y", "weight"]


def test_a_given_plan_and_an_upweight_are_applied_as_they_are(spark):
    table = labels_table(8_000)
    y = table.column("y").to_numpy()
    given = upweight.plan(y, factor=4, upweight=2.5)
    sampled, plan = us.downsample(frame(spark, table), label="y", plan=given, seed=0)
    assert plan.class_weights == {0: 2.5, 1: 1.0}
    assert plan.method == "exact" and plan.seed == 0
    assert upweight.SamplingPlan.from_json(json.dumps(plan.to_dict())) == plan
    assert {r["weight"] for r in sampled.select("weight").distinct().collect()} == {2.5, 1.0}


# -- bad input -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(spark):
    return spark.createDataFrame(
        [(i, i + 0.5, int(i % 10 == 0), f"k{i}") for i in range(200)],
        "row long, x double, y int, k string",
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"label": "nope", "factor": 2}, LabelError, "label column 'nope' not found"),
        ({"label": "y", "factor": 2, "weight_col": "x"}, InputError, "already exists"),
        ({"label": "y", "factor": 0.5}, PlanError, "factor must be >= 1"),
        ({"label": "y"}, PlanError, "give a factor"),
        ({"label": "y", "factor": 2, "method": "random"}, PlanError, "method must be one of"),
        ({"label": "y", "factor": 2, "key": "nope"}, InputError, "key column 'nope' not found"),
        ({"label": "y", "factor": 2, "key": "x"}, InputError, "a key must hold integers"),
        ({"label": "y", "factor": 2, "key": "y"}, InputError, "key column 'y' is the label"),
        ({"label": "x", "factor": 2}, LabelError, "looks continuous"),
        ({"label": "y", "plan": "plan"}, PlanError, "plan must be a SamplingPlan"),
    ],
)
def test_bad_arguments_get_one_clear_line(small, kwargs, error, words):
    with pytest.raises(error, match=words) as info:
        us.downsample(small, **kwargs)
    assert "\n" not in str(info.value)


def test_a_plan_for_other_counts_is_refused(small):
    with pytest.raises(PlanError, match="made for class counts"):
        us.downsample(small, label="y", plan=upweight.plan({0: 10, 1: 5}, factor=2))


@pytest.mark.parametrize(
    ("rows", "ddl", "words"),
    [
        ([(0,), (None,), (1,)], "y int", r"1 missing value\(s\) \(null\)"),
        ([(0.0,), (float("nan"),), (1.0,)], "y double", r"missing value\(s\) \(NaN\)"),
        ([(1,), (1,), (1,)], "y int", r"only one class \(1\) is present in label column 'y'"),
        ([], "y int", "is empty"),
    ],
)
def test_bad_labels_are_refused(spark, rows, ddl, words):
    df = spark.createDataFrame(rows, ddl)
    for call in (us.profile, lambda d, label: us.downsample(d, label=label, factor=2)):
        with pytest.raises(LabelError, match=words):
            call(df, label="y")


def test_a_label_column_of_another_type_is_refused(spark):
    import datetime

    df = spark.createDataFrame([(datetime.date(2024, 1, i + 1),) for i in range(3)], "y date")
    with pytest.raises(LabelError, match="has type date"):
        us.profile(df, label="y")


def test_missing_keys_are_refused(spark):
    df = spark.createDataFrame([(i % 2, None if i == 3 else i) for i in range(10)], "y int, k int")
    with pytest.raises(InputError, match=r"key column 'k' has 1 missing value\(s\)"):
        us.downsample(df, label="y", factor=2, key="k")


def test_not_a_spark_dataframe_is_refused():
    with pytest.raises(InputError, match="needs a pyspark DataFrame"):
        us.downsample(labels_table(), label="y", factor=2)


def test_rows_that_change_between_passes_are_detected(spark):
    from pyspark.sql import functions as F

    coin = F.udf(lambda _: __import__("os").urandom(1)[0] < 230, "boolean").asNondeterministic()
    df = spark.range(4_000).withColumn("y", (F.col("id") % 2).cast("int"))
    df = df.filter(coin("id"))  # a different set of rows on every pass
    with pytest.raises(Exception, match="not reproducible"):
        sampled, _ = us.downsample(df, label="y", factor=2, method="bernoulli")
        sampled.count()


def test_import_names_the_extra_when_pyspark_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(ImportError, match=r"pip install 'upweight\[spark\]'"):
        us.profile(object(), label="y")


def test_importing_the_module_does_not_import_pyspark():
    code = "import sys, upweight.spark; print('pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- training ------------------------------------------------------------------------------


@pytest.mark.slow
def test_logistic_regression_on_the_result_is_calibrated_with_weights(spark, tmp_path):
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.functions import vector_to_array

    data = upweight.datasets.make_imbalanced(300_000, minority_share=0.01, random_state=0)
    pq.write_table(data.to_arrow(label="label").slice(0, 200_000), tmp_path / "train.parquet")
    train = spark.read.parquet(str(tmp_path / "train.parquet"))
    sampled, plan = us.downsample(train, label="label", factor=25, seed=0)
    assert plan.class_weights == {0: 25.0, 1: 1.0}

    assemble = VectorAssembler(inputCols=list(data.feature_names), outputCol="features")
    training = assemble.transform(sampled).cache()
    weighted = LogisticRegression(weightCol="weight", labelCol="label").fit(training)
    unweighted = LogisticRegression(labelCol="label").fit(training)
    training.unpersist()

    # the untouched split: 100,000 rows the sampling never saw, at the true 1 % base rate
    X_test, y_test = data.X[200_000:], data.y[200_000:]

    def predict(model, X):
        return 1.0 / (1.0 + np.exp(-(X @ model.coefficients.toArray() + model.intercept)))

    head = frame(spark, data.to_arrow(label="label").slice(200_000, 500))
    for model in (weighted, unweighted):  # the formula is the model's own prediction
        scored = model.transform(assemble.transform(head))
        spark_p = [
            r["p"] for r in scored.select(vector_to_array("probability")[1].alias("p")).collect()
        ]
        model_p = predict(model, X_test[:500])
        np.testing.assert_allclose(spark_p, model_p, rtol=1e-9)

    assert abs(upweight.metrics.prediction_bias(y_test, predict(weighted, X_test))) < 15.0
    assert upweight.metrics.prediction_bias(y_test, predict(unweighted, X_test)) > 500.0


def test_a_factor_that_goes_too_far_warns_once_and_a_sane_one_does_not(spark):
    table = labels_table(2_000, share=0.1)
    df = frame(spark, table)
    with pytest.warns(upweight.OverDownsampleWarning, match="fewer than the .* of untouched") as w:
        sampled, plan = us.downsample(df, label="y", factor=150)
    ours = [x for x in w if x.category is upweight.OverDownsampleWarning]  # (and Spark's own)
    assert len(ours) == 1 and ours[0].filename == __file__
    assert sampled.count() == plan.n_kept  # done as asked
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas")
        warnings.filterwarnings("ignore", "The copy keyword is deprecated")
        us.downsample(df, label="y", factor=5)
