"""The pyarrow road of the file engine: the same output as DuckDB's road, or none at all.

Which road a run takes is chosen and recorded through the documented seam
:func:`upweight._files.roads`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import upweight
from upweight._files import roads
from upweight._files._arrays import as_numpy, int_values


def frame(n: int = 40_000, *, seed: int = 0) -> pa.Table:
    """Features of several types (nulls included), an int label with a 3% minority."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.03).astype(np.int64)
    x = rng.normal(size=n)
    with_nulls = pa.array(np.where(rng.random(n) < 0.1, np.nan, x), from_pandas=True)
    return pa.table(
        {
            "x": pa.array(x.astype(np.float32)),
            "maybe": with_nulls,
            "word": pa.array([f"w{i % 97}" for i in range(n)]),
            "flag": pa.array(rng.random(n) < 0.5),
            "when": pa.array(np.arange(n).astype("datetime64[s]").astype("datetime64[us]")),
            "y": pa.array(y),
        }
    )


def both_paths(
    src: Path | str, tmp_path: Path, **kwargs
) -> tuple[pa.Table, pa.Table, upweight.SamplingPlan, upweight.SamplingPlan]:
    """The output and plan of the pyarrow road, then of DuckDB's road, for one input."""
    kwargs["overwrite"] = True
    with roads() as taken:
        fast = upweight.sample_file(src, tmp_path / "fast.parquet", **kwargs)
    assert taken.runs == ["pyarrow"], "the pyarrow road did not run"
    with roads(pyarrow=False) as taken:
        slow = upweight.sample_file(src, tmp_path / "slow.parquet", **kwargs)
    assert taken.runs == ["duckdb"]
    return (
        pq.read_table(tmp_path / "fast.parquet"),
        pq.read_table(tmp_path / "slow.parquet"),
        fast,
        slow,
    )


def assert_same(a: pa.Table, b: pa.Table) -> None:
    assert a.column_names == b.column_names
    assert a.num_rows == b.num_rows
    for name in a.column_names:
        left, right = a.column(name), b.column(name)
        if left.type != right.type:  # DuckDB's path stores a few types its own way
            right = right.cast(left.type)
        assert left.equals(right), name


@pytest.mark.parametrize(
    "options",
    [
        {"factor": 10},
        {"factor": 10, "method": "bernoulli"},
        {"factor": 7, "weights": "exact"},
        {"factor": 7, "weights": "none", "seed": 11},
        {"factor": 4, "upweight": 2.5},
        {"factor": 10, "threads": 1},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_same_output_as_duckdbs_path(tmp_path, options):
    src = tmp_path / "in.parquet"
    pq.write_table(frame(), src, row_group_size=3_000)
    fast, slow, plan_fast, plan_slow = both_paths(src, tmp_path, label="y", **options)
    assert plan_fast == plan_slow
    assert_same(fast, slow)
    assert upweight.read_plan(tmp_path / "fast.parquet") == plan_fast
    assert all(f.nullable for f in fast.schema)  # as DuckDB writes them


def test_same_rows_as_in_memory_with_many_files_and_row_groups(tmp_path):
    table = frame(50_000, seed=3)
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, (start, stop) in enumerate([(0, 1), (1, 17_000), (17_000, 50_000)]):
        pq.write_table(
            table.slice(start, stop - start), folder / f"{i}.parquet", row_group_size=4_000
        )
    expected = upweight.downsample_frame(table, label="y", factor=12, random_state=9)
    fast, slow, _, _ = both_paths(folder, tmp_path, label="y", factor=12, seed=9)
    assert_same(fast, slow)
    assert fast.drop_columns(["weight"]).column("x").equals(expected.column("x"))


@pytest.mark.parametrize(
    "labels",
    [
        np.array([-3, -3, -1, 5, -3, -3]),  # negative labels, a gap between classes
        np.array([True, False, False, False, False, False]),
        np.array([200, 7, 7, 7, 7, 7], dtype=np.uint8),
        np.array([2**64 - 1, 2**64 - 3, 2**64 - 3, 2**64 - 3], dtype=np.uint64),
    ],
    ids=["negative", "boolean", "uint8", "uint64 above int64"],
)
def test_label_types(tmp_path, labels):
    y = np.resize(labels, 30_000)
    table = pa.table({"x": np.arange(y.size, dtype=np.float64), "y": y})
    src = tmp_path / "in.parquet"
    pq.write_table(table, src, row_group_size=5_000)
    majority = np.unique(y)[np.argmax(np.unique(y, return_counts=True)[1])]
    factor = {majority.item(): 5}
    fast, slow, plan_fast, plan_slow = both_paths(src, tmp_path, label="y", factor=factor)
    assert plan_fast == plan_slow
    assert_same(fast, slow)


def test_a_plan_and_multiclass_factors(tmp_path):
    rng = np.random.default_rng(1)
    y = rng.choice([0, 1, 2], size=30_000, p=[0.7, 0.25, 0.05])
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"x": rng.normal(size=y.size), "y": y}), src, row_group_size=2_500)
    fast, slow, *_ = both_paths(src, tmp_path, label="y", factor={0: 8, 1: 3})
    assert_same(fast, slow)
    plan = upweight.plan(y, factor={0: 8, 1: 3})
    fast, slow, *_ = both_paths(src, tmp_path, label="y", plan=plan, method="bernoulli")
    assert_same(fast, slow)


@pytest.mark.parametrize(
    "case", ["no statistics", "wide label range", "large row groups", "bound fell short"]
)
def test_what_the_path_declines_goes_to_duckdb_with_the_same_result(tmp_path, case):
    table = frame(20_000, seed=2)
    if case == "wide label range":
        table = table.set_column(5, "y", pa.array(np.where(table["y"].to_numpy() == 1, 9_999, 0)))
    src = tmp_path / "in.parquet"
    pq.write_table(table, src, row_group_size=3_000, write_statistics=case != "no statistics")
    limits = {
        "large row groups": {"max_group_bytes": 1_000},
        "bound fell short": {"bound_slack": -1.0},
    }.get(case, {})
    with roads(**limits) as taken:
        applied = upweight.sample_file(src, tmp_path / "out.parquet", label="y", factor=6, seed=1)
    assert taken.runs == ["duckdb"]
    expected, plan = upweight.downsample_frame(
        table, label="y", factor=6, random_state=1, return_plan=True
    )
    assert applied == plan
    got = pq.read_table(tmp_path / "out.parquet")
    assert got.column("x").equals(expected.column("x"))
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_other_outputs_and_keys_go_to_duckdb(tmp_path):
    src = tmp_path / "in.parquet"
    pq.write_table(frame(10_000), src)
    with roads() as taken:
        upweight.sample_file(src, tmp_path / "out.csv", label="y", factor=5)
        upweight.sample_file(src, tmp_path / "out_dir", label="y", factor=5)
        upweight.sample_file(src, tmp_path / "keyed.parquet", label="y", factor=5, key="word")
        upweight.sample_file(src, tmp_path / "share.parquet", label="y", target_share=0.2)
    assert taken.runs == ["duckdb"] * 4


def test_a_bad_page_midway_gives_duckdbs_error_and_leaves_nothing(tmp_path):
    src = tmp_path / "in.parquet"
    pq.write_table(frame(20_000), src, row_group_size=5_000)
    # damage a feature's page header in the third row group: the label pass reads
    # fine, and the write pass fails after writing part of the output
    at = pq.read_metadata(src).row_group(2).column(0).data_page_offset
    data = bytearray(src.read_bytes())
    data[at : at + 64] = b"\xff" * 64
    src.write_bytes(bytes(data))
    with pytest.raises((upweight.FileError, upweight.InputError)) as caught:
        upweight.sample_file(src, tmp_path / "out.parquet", label="y", factor=5)
    assert "could not write" not in str(caught.value)  # a reading problem, said as one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_nested_columns_are_told_apart_from_top_level_ones(tmp_path):
    rng = np.random.default_rng(0)
    y = (rng.random(5_000) < 0.05).astype(np.int64)
    nested = pa.array([{"weight": 1.0, "y": 0}] * y.size)
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"s": nested, "y": y}), src)
    # a field named "weight" inside a struct does not clash with the weight column
    upweight.sample_file(src, tmp_path / "a.parquet", label="y", factor=5)
    assert pq.read_table(tmp_path / "a.parquet").column_names == ["s", "y", "weight"]
    # a top-level one does, and a label found only inside a struct is not the label
    pq.write_table(pa.table({"weight": nested, "y": y}), src)
    with pytest.raises(upweight.InputError, match="already exists"):
        upweight.sample_file(src, tmp_path / "b.parquet", label="y", factor=5)
    pq.write_table(pa.table({"s": nested, "x": y}), src)
    with pytest.raises(upweight.UpweightError, match="'y'"):
        upweight.sample_file(src, tmp_path / "c.parquet", label="y", factor=5)


def test_numpy_factors_with_bernoulli(tmp_path):
    table = frame(30_000, seed=4)
    src = tmp_path / "in.parquet"
    pq.write_table(table, src, row_group_size=4_000)
    factor = {0: np.int64(10)}
    applied = upweight.sample_file(
        src, tmp_path / "out.parquet", label="y", factor=factor, method="bernoulli", seed=2
    )
    expected, plan = upweight.downsample_frame(
        table, label="y", factor=factor, method="bernoulli", random_state=2, return_plan=True
    )
    assert applied == plan
    assert pq.read_table(tmp_path / "out.parquet").column("x").equals(expected.column("x"))


def test_sliced_arrow_arrays_are_read_from_their_offset():
    array = pa.array(np.arange(10, dtype=np.int64)).slice(3)
    assert as_numpy(array, np.dtype(np.int64)).tolist() == list(range(3, 10))
    assert int_values(pa.array(np.arange(10, dtype=np.int16)).slice(7)).tolist() == [7, 8, 9]


def test_an_error_in_the_label_pass_stops_the_readers(tmp_path):
    import threading

    src = tmp_path / "in.parquet"
    table = pa.table({"x": np.arange(50_000.0), "y": np.zeros(50_000, dtype=np.int64)})
    pq.write_table(table, src, row_group_size=1_000)
    with pytest.raises(upweight.LabelError, match="only one class"):
        upweight.sample_file(src, tmp_path / "out.parquet", label="y", factor=5)
    assert not [t for t in threading.enumerate() if t.name.startswith("upweight-read")]


def test_a_file_that_changes_during_the_run_gives_no_output(tmp_path):
    import os

    table = frame(20_000, seed=6)
    src = tmp_path / "in.parquet"
    pq.write_table(table, src, row_group_size=3_000)
    touched = []

    def rewrite_meanwhile(phase: str, done: int, total: int) -> None:
        if phase == "writing" and not touched:  # another program writes it again
            pq.write_table(table.slice(0, 10_000), src, row_group_size=3_000)
            os.utime(src, ns=(1, 1))
            touched.append(phase)

    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(upweight.FileError, match="changed while it was read"):
        upweight.sample_file(
            src, out / "o.parquet", label="y", factor=5, progress=rewrite_meanwhile
        )
    assert touched and list(out.iterdir()) == []


def test_a_file_cut_short_during_the_run_gives_an_error_not_a_crash(tmp_path):
    """Another program cuts the input short at a random moment while row groups are read.

    A memory-mapped read of a row group past the new end of the file ends the process
    with SIGBUS (this failed 3 runs of 3 when row groups were memory-mapped); ordinary
    reads give "changed while it was read".
    """
    import subprocess
    import sys
    import textwrap

    src = tmp_path / "in.parquet"
    pq.write_table(frame(300_000, seed=9), src, row_group_size=5_000)
    script = textwrap.dedent(
        f"""
        import random, threading, time
        import upweight
        src, folder = {str(src)!r}, {str(tmp_path)!r}
        whole = open(src, "rb").read()
        start = time.perf_counter()
        upweight.sample_file(src, folder + "/whole.parquet", label="y", factor=5)
        took = time.perf_counter() - start
        rng = random.Random(0)
        for i in range(30):
            with open(src, "wb") as f:
                f.write(whole)
            delay = rng.uniform(0, took)

            def cut():
                time.sleep(delay)
                with open(src, "r+b") as f:
                    f.truncate(len(whole) // 3)

            cutter = threading.Thread(target=cut)
            cutter.start()
            try:
                upweight.sample_file(src, folder + f"/o{{i}}.parquet", label="y", factor=5)
            except upweight.FileError as exc:
                assert "changed while it was read" in str(exc), exc
            cutter.join()
        print("survived")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0 and "survived" in done.stdout, done.stderr[-2000:]


def test_durations_are_kept_where_they_can_be_and_refused_where_they_cannot(tmp_path):
    """DuckDB has no duration type: through it, 2 s came out as the integer 2, exit 0."""
    src = tmp_path / "in.parquet"
    n = 5_000
    seconds = pa.array(np.arange(n), type=pa.duration("s"))
    pq.write_table(pa.table({"wait": seconds, "y": np.arange(n) % 10 == 0}), src)
    with roads(pyarrow=True) as seen:
        upweight.sample_file(src, tmp_path / "o.parquet", label="y", factor=1)
    assert seen.runs == ["pyarrow"]
    assert pq.read_table(tmp_path / "o.parquet").column("wait").type == pa.duration("s")
    for out in ("parts", "o.csv"):
        with pytest.raises(upweight.InputError, match="'wait' holds durations"):
            upweight.sample_file(src, tmp_path / out, label="y", factor=1)
        assert not (tmp_path / out).exists()
