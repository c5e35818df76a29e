"""The file engine: same rows as in memory, determinism, the plan in the output, faults."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import upweight
from upweight import FileError, InputError, LabelError, PlanError
from upweight.datasets import make_imbalanced


@pytest.fixture(scope="module")
def table() -> pa.Table:
    return make_imbalanced(60_000, minority_share=0.02, random_state=5).to_arrow(label="y")


@pytest.fixture
def inputs(tmp_path: Path, table: pa.Table) -> dict[str, Path]:
    single = tmp_path / "one.parquet"
    pq.write_table(table, single, row_group_size=7_000)
    hive = tmp_path / "hive"
    for i, (start, stop) in enumerate([(0, 25_000), (25_000, 41_000), (41_000, 60_000)]):
        part = hive / f"day=2026-01-0{i + 1}"
        part.mkdir(parents=True)
        pq.write_table(table.slice(start, stop - start), part / "data.parquet")
    flat = tmp_path / "flat"
    flat.mkdir()
    pq.write_table(table.slice(0, 30_000), flat / "a.parquet")
    pq.write_table(table.slice(30_000), flat / "b.parquet")
    csv = tmp_path / "data.csv"
    pacsv.write_csv(table, csv)
    gz = tmp_path / "data.csv.gz"
    gz.write_bytes(gzip.compress(csv.read_bytes()))
    return {
        "parquet": single,
        "hive": hive,
        "glob": tmp_path / "flat" / "*.parquet",
        "csv": csv,
        "csv.gz": gz,
    }


def read(path: Path) -> pa.Table:
    return pq.read_table(path) if path.suffix != ".csv" else pacsv.read_csv(path)


@pytest.mark.parametrize("source", ["parquet", "hive", "glob", "csv", "csv.gz"])
@pytest.mark.parametrize(
    ("method", "weights"), [("exact", "factor"), ("bernoulli", "exact"), ("exact", "none")]
)
def test_same_rows_and_plan_as_in_memory(inputs, table, tmp_path, source, method, weights):
    expected, plan = upweight.downsample_frame(
        table,
        label="y",
        factor=10,
        random_state=3,
        method=method,
        weights=weights,
        return_plan=True,
    )
    out = tmp_path / "out.parquet"
    applied = upweight.sample_file(
        inputs[source], out, label="y", factor=10, seed=3, method=method, weights=weights
    )
    assert applied == plan
    got = pq.read_table(out)
    if source == "hive":
        assert str(got.column("day").to_pylist()[0]) == "2026-01-01"
        got = got.drop(["day"])
    assert got.select(expected.column_names).cast(expected.schema).equals(expected)


def test_target_share_and_multiclass_go_through_the_counting_pass(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.choice(np.array(["a", "b", "c"]), p=[0.9, 0.08, 0.02], size=30_000)
    t = pa.table({"x": rng.normal(size=30_000), "y": y})
    pq.write_table(t, tmp_path / "in.parquet")
    expected, plan = upweight.downsample_frame(
        t, label="y", target_share=0.3, random_state=1, return_plan=True
    )
    applied = upweight.sample_file(
        tmp_path / "in.parquet", tmp_path / "o.parquet", label="y", target_share=0.3, seed=1
    )
    assert applied == plan
    got = pq.read_table(tmp_path / "o.parquet").select(["x", "y", "weight"])
    assert got.cast(expected.schema).equals(expected)


def test_boolean_labels(tmp_path, table):
    t = table.set_column(table.schema.get_field_index("y"), "y", pa.compute.equal(table["y"], 1))
    pq.write_table(t, tmp_path / "in.parquet")
    applied = upweight.sample_file(
        tmp_path / "in.parquet", tmp_path / "o.parquet", label="y", factor=5
    )
    assert applied.factors == {False: 5.0, True: 1.0}
    assert applied.kept[True] == applied.counts[True]


def test_same_output_whatever_the_thread_count_and_run(inputs, tmp_path):
    outs = []
    for i, threads in enumerate([1, 2, 2]):
        out = tmp_path / f"o{i}.parquet"
        upweight.sample_file(inputs["hive"], out, label="y", factor=7, seed=11, threads=threads)
        outs.append(pq.read_table(out))
    assert outs[0].equals(outs[1]) and outs[1].equals(outs[2])


def test_weighted_class_totals(inputs, tmp_path):
    out = tmp_path / "o.parquet"
    applied = upweight.sample_file(inputs["parquet"], out, label="y", factor=10, weights="exact")
    got = pq.read_table(out).to_pandas()
    totals = got.groupby("y")["weight"].sum()
    for label, count in applied.counts.items():
        assert totals[label] == pytest.approx(count)


def test_an_integer_key_equal_to_the_position_selects_the_same_rows(table, tmp_path):
    t = table.append_column("id", pa.array(np.arange(table.num_rows)))
    pq.write_table(t, tmp_path / "in.parquet")
    for method in ("exact", "bernoulli"):
        a = upweight.sample_file(
            tmp_path / "in.parquet", tmp_path / f"a-{method}.pq", label="y", factor=5, method=method
        )
        b = upweight.sample_file(
            tmp_path / "in.parquet",
            tmp_path / f"b-{method}.pq",
            label="y",
            factor=5,
            method=method,
            key="id",
        )
        assert a == b
        assert pq.read_table(tmp_path / f"a-{method}.pq").equals(
            pq.read_table(tmp_path / f"b-{method}.pq")
        )


def test_a_text_key_gives_the_same_decision_in_any_order(table, tmp_path):
    ids = pa.array([f"user-{i}" for i in range(table.num_rows)])
    t = table.append_column("id", ids)
    shuffled = t.take(np.random.default_rng(0).permutation(t.num_rows))
    pq.write_table(t, tmp_path / "a.parquet")
    pacsv.write_csv(shuffled, tmp_path / "b.csv")
    kept = []
    for name in ("a.parquet", "b.csv"):
        upweight.sample_file(
            tmp_path / name, tmp_path / f"out-{name}.parquet", label="y", factor=4, key="id"
        )
        kept.append(set(pq.read_table(tmp_path / f"out-{name}.parquet").column("id").to_pylist()))
    assert kept[0] == kept[1]
    # and the same keys as the in-memory scheme
    from upweight._selection import key_ids, select_rows

    y = t.column("y").to_numpy()
    plan = upweight.plan({0: int((y == 0).sum()), 1: int((y == 1).sum())}, factor=4)
    rows = select_rows(
        y,
        np.array([c.keep_rate for c in plan]),
        np.array([c.kept for c in plan]),
        method="exact",
        seed=0,
        ids=key_ids(ids.to_pylist()),
    )
    assert {f"user-{i}" for i in rows} == kept[0]


@pytest.mark.parametrize("name", ["out.csv", "out.csv.gz", "out_dir"])
def test_csv_and_directory_outputs_carry_the_plan(inputs, tmp_path, name):
    out = tmp_path / name
    applied = upweight.sample_file(inputs["parquet"], out, label="y", factor=10)
    assert upweight.read_plan(out) == applied
    if name == "out_dir":
        assert out.is_dir() and pq.read_table(out).num_rows == applied.n_kept
    else:
        assert pacsv.read_csv(out).num_rows == applied.n_kept
        assert (tmp_path / f"{name}.plan.json").exists()


def test_the_plan_in_the_metadata_has_what_a_trainer_needs(inputs, tmp_path):
    import json

    out = tmp_path / "o.parquet"
    upweight.sample_file(inputs["parquet"], out, label="y", factor=10, seed=4)
    meta = json.loads(pq.read_metadata(out).metadata[b"upweight.plan"])
    assert meta["seed"] == 4 and meta["upweight_version"] == upweight.__version__
    assert {"count", "keep_rate", "weight", "kept"} <= set(meta["classes"][0])


def test_read_plan_refuses_a_file_without_one(inputs):
    with pytest.raises(FileError, match="carries no upweight plan"):
        upweight.read_plan(inputs["parquet"])


def test_profile_file_counts_the_label_column(inputs, table):
    expected = upweight.profile(table.column("y").to_numpy(), batch_size=32)
    for source in ("parquet", "hive", "csv"):
        prof = upweight.profile_file(inputs[source], label="y", batch_size=32)
        assert prof.counts == expected.counts and prof.batch == expected.batch


def test_progress_reports_rows_read(inputs, tmp_path):
    seen: list[tuple[str, int, int]] = []
    upweight.sample_file(
        inputs["parquet"],
        tmp_path / "o.parquet",
        label="y",
        factor=3,
        progress=lambda *a: seen.append(a),
    )
    phases = {p for p, _, _ in seen}
    assert phases == {"selecting", "writing"}
    assert seen[-1] == ("writing", 60_000, 60_000)


# -- bad input and faults ---------------------------------------------------------------------
def left_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_corrupt_and_truncated_parquet(inputs, tmp_path):
    data = inputs["parquet"].read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.parquet").write_bytes(b"not parquet" * 100)
    for name in ("cut.parquet", "junk.parquet"):
        with pytest.raises(FileError, match="not a valid Parquet file"):
            upweight.sample_file(tmp_path / name, tmp_path / "o.parquet", label="y", factor=2)
    assert not (tmp_path / "o.parquet").exists()


def test_corrupt_pages_inside_a_valid_footer(inputs, tmp_path):
    data = bytearray(inputs["parquet"].read_bytes())
    data[4:68] = b"\xff" * 64  # damage the first page header, keep the footer
    (tmp_path / "bad.parquet").write_bytes(bytes(data))
    with pytest.raises((FileError, InputError)):
        upweight.sample_file(tmp_path / "bad.parquet", tmp_path / "o.parquet", label="y", factor=2)
    assert not (tmp_path / "o.parquet").exists()
    assert [p for p in left_in(tmp_path) if p.endswith(".tmp")] == []


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("x,y\n1,0\n2,0,5\n3,1\n", InputError, "ragged CSV: line"),
        ("x,y\n1,0\n2,fraud\n3,1\n", LabelError, "mixes numbers and text"),
        ("x,y\n1,0\n2,0\n", LabelError, "only one class"),
        ("x,y\n", InputError, "no data rows"),
        ("", FileError, "is empty"),
        ("x,y\n1,0\n2,\n3,1\n", LabelError, "1 missing value"),
    ],
)
def test_bad_csv(tmp_path, text, error, match):
    (tmp_path / "in.csv").write_text(text)
    with pytest.raises(error, match=match):
        upweight.sample_file(tmp_path / "in.csv", tmp_path / "o.parquet", label="y", factor=2)
    assert left_in(tmp_path) == ["in.csv"]


def test_no_minority_rows_in_parquet(tmp_path):
    pq.write_table(pa.table({"x": [1.0, 2.0], "y": [0, 0]}), tmp_path / "in.parquet")
    with pytest.raises(LabelError, match="only one class"):
        upweight.sample_file(tmp_path / "in.parquet", tmp_path / "o.parquet", label="y", factor=2)


def test_missing_labels_in_parquet(tmp_path):
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0], "y": [0, None, 1]}), tmp_path / "in.parquet")
    with pytest.raises(LabelError, match="1 missing value"):
        upweight.profile_file(tmp_path / "in.parquet", label="y")
    with pytest.raises(LabelError, match="1 missing value"):
        upweight.sample_file(tmp_path / "in.parquet", tmp_path / "o.parquet", label="y", factor=2)


def test_a_directory_of_files_with_different_schemas(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    pq.write_table(pa.table({"x": [1.0, 2.0], "y": [0, 1]}), d / "a.parquet")
    pq.write_table(pa.table({"x": ["a", "b"], "y": [0, 1]}), d / "b.parquet")
    with pytest.raises(InputError, match=r"different columns or types .*x: double vs string"):
        upweight.sample_file(d, tmp_path / "o.parquet", label="y", factor=2)


def test_missing_columns_and_clashing_names(inputs, tmp_path):
    with pytest.raises(InputError, match="label column 'nope' not found"):
        upweight.sample_file(inputs["parquet"], tmp_path / "o.pq", label="nope", factor=2)
    with pytest.raises(InputError, match="already exists"):
        upweight.sample_file(inputs["parquet"], tmp_path / "o.pq", label="y", weight_col="x0")
    with pytest.raises(InputError, match="key column 'id' not found"):
        upweight.sample_file(inputs["parquet"], tmp_path / "o.pq", label="y", factor=2, key="id")


@pytest.mark.parametrize("key", ["y", "Y"])
def test_the_label_column_as_key_is_refused(inputs, tmp_path, key):
    # every row of a class would share one keep decision: class 0 kept whole or not at all
    with pytest.raises(InputError, match=f"key column '{key}' is the label column"):
        upweight.sample_file(inputs["parquet"], tmp_path / "o.pq", label="y", factor=5, key=key)
    assert not (tmp_path / "o.pq").exists()


def test_inputs_are_never_overwritten(inputs):
    before = inputs["parquet"].read_bytes()
    cases = [
        (inputs["parquet"], inputs["parquet"]),
        (inputs["hive"], inputs["hive"]),
        (inputs["hive"], inputs["hive"] / "day=2026-01-01"),
    ]
    for src, dst in cases:
        with pytest.raises(FileError, match="would overwrite the input"):
            upweight.sample_file(src, dst, label="y", factor=2, overwrite=True)
    assert inputs["parquet"].read_bytes() == before
    assert len(list(inputs["hive"].rglob("*.parquet"))) == 3


def test_an_existing_output_needs_overwrite(inputs, tmp_path):
    out = tmp_path / "o.parquet"
    out.write_bytes(b"keep me")
    with pytest.raises(FileError, match="--overwrite"):
        upweight.sample_file(inputs["parquet"], out, label="y", factor=2)
    assert out.read_bytes() == b"keep me"
    upweight.sample_file(inputs["parquet"], out, label="y", factor=2, overwrite=True)
    assert upweight.read_plan(out).factors == {0: 2.0, 1: 1.0}


def test_a_failed_write_leaves_nothing(inputs, tmp_path):
    import resource

    def limit() -> None:  # a disk that fills up once the output is half written
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for name in ("o.parquet", "o.csv", "o_dir"):  # the pyarrow road, then DuckDB's twice
        proc = cli(
            "sample",
            inputs["parquet"],
            "-l",
            "y",
            "-k",
            "2",
            "-o",
            out_dir / name,
            preexec_fn=limit,
        )
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, err
        assert err.startswith("error: could not write") and err.count("\n") == 1
    assert left_in(out_dir) == []


def cli(*args: object, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "upweight", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_a_full_disk_is_one_line_and_leaves_nothing(inputs, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        proc = cli("sample", inputs["parquet"], "-l", "y", "-k", "2", "-o", disk / "o.parquet")
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, err
        assert err.startswith("error: ") and err.count("\n") == 1 and "No space left" in err
        assert list(disk.iterdir()) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_file_size_limit_is_one_line_and_leaves_nothing(inputs, tmp_path):
    import resource

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    out = tmp_path / "out"
    out.mkdir()
    proc = cli(
        "sample", inputs["parquet"], "-l", "y", "-k", "2", "-o", out / "o.csv", preexec_fn=limit
    )
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert err.startswith("error: could not write") and err.count("\n") == 1
    assert list(out.iterdir()) == []


@pytest.mark.slow
def test_ctrl_c_leaves_no_partial_output(tmp_path):
    big = tmp_path / "big.csv"
    t = make_imbalanced(1_500_000, random_state=0).to_arrow(label="y")
    pacsv.write_csv(t, big)
    out = tmp_path / "out"
    out.mkdir()
    proc = cli("sample", big, "-l", "y", "-k", "2", "-o", out / "o.parquet")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.name.endswith(".tmp") for p in out.iterdir()):
            break  # the write pass has begun
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted; no partial output was left" in err and err.count("\n") == 1
    assert list(out.iterdir()) == []


def test_read_labels_and_read_rows_give_what_the_sweep_needs(inputs, table):
    from upweight._files import read_labels, read_rows

    for source in ("parquet", "hive", "csv"):
        labels = read_labels(inputs[source], label="y")
        assert labels.to_pylist() == table.column("y").to_pylist()
        rows = read_rows(inputs[source], [5, 1, 59_999, 5], columns=["x0", "y"])
        assert rows.equals(table.select(["x0", "y"]).take([1, 5, 59_999]))
    with pytest.raises(InputError, match="row positions"):
        read_rows(inputs["parquet"], [60_000])


def test_data_and_plan_appear_together_or_not_at_all(inputs, tmp_path, monkeypatch):
    real_replace = os.replace
    calls = []

    def second_rename_fails(src, dst):
        calls.append(Path(dst).name)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(os, "replace", second_rename_fails)
    with pytest.raises(FileError, match="Input/output error"):  # (overwrite: os.replace)
        upweight.sample_file(inputs["parquet"], out / "o.csv", label="y", factor=2, overwrite=True)
    assert calls == ["o.csv.plan.json", "o.csv"]
    assert list(out.iterdir()) == []


def test_ctrl_c_between_the_two_renames_waits_for_both(inputs, tmp_path, monkeypatch):
    real_replace = os.replace

    def interrupted_rename(src, dst):
        real_replace(src, dst)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C right after the first rename

    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(os, "replace", interrupted_rename)
    with pytest.raises(KeyboardInterrupt):  # (overwrite: os.replace)
        upweight.sample_file(inputs["parquet"], out / "o.csv", label="y", factor=2, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["o.csv", "o.csv.plan.json"]


# -- hostile input: types, hidden folders, names, races ----------------------------------------
def _late_csv(path: Path, tail: str, rows: int = 60_000) -> None:
    """``x,label`` rows: integers and 0 / 1 labels for ``rows`` rows, then ``tail``."""
    x = np.arange(rows)
    label = (x % 50 == 0).astype(int)
    body = "\n".join(f"{a},{b}" for a, b in zip(x.tolist(), label.tolist(), strict=True))
    path.write_text(f"x,label\n{body}\n{tail}")


@pytest.mark.parametrize("ext", ["parquet", "csv"])
def test_csv_types_hold_values_found_after_the_sniffers_sample(tmp_path, ext):
    src = tmp_path / "late.csv"
    _late_csv(src, "60000.25,0\n60001,1\n")
    out = tmp_path / f"out.{ext}"
    upweight.sample_file(src, out, label="label", factor=1)
    got = read(out)
    assert got.column("x").to_pylist()[-2:] == [60000.25, 60001.0]  # never rounded
    assert got.num_rows == 60_002


def test_a_csv_label_that_turns_continuous_late_is_refused(tmp_path):
    src = tmp_path / "late.csv"
    _late_csv(src, "7,0.5\n")
    with pytest.raises(LabelError, match="continuous"):
        upweight.profile_file(src, label="label")


def test_a_late_csv_value_that_fits_no_type_names_its_line_and_column(tmp_path):
    src = tmp_path / "flags.csv"
    rows = [f"{'true' if i % 3 else 'false'},{int(i % 50 == 0)}" for i in range(30_000)]
    src.write_text("flag,label\n" + "\n".join(rows) + "\nmaybe,0\n")
    with pytest.raises(InputError, match=r"line 30002, column 'flag' holds 'maybe'"):
        upweight.sample_file(src, tmp_path / "o.parquet", label="label", factor=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flags.csv"]


@pytest.mark.parametrize(
    ("first", "late", "expected"),
    [
        ("2026-01-{day:02d}", "soon", "soon"),  # a date column that holds text
        ("2026-01-{day:02d}", "2026-02-01 10:00:00", "2026-02-01 10:00:00"),  # a time of day
        ("2026-01-{day:02d} 10:00:00", "2026-02-01 10:00:00+05:00", "2026-02-01 10:00:00+05:00"),
        ("{day}.5", "1e400", "1e400"),  # a double that would overflow to infinity
    ],
)
def test_late_csv_values_that_the_sniffed_type_would_change_are_kept_as_text(
    tmp_path, first, late, expected
):
    src = tmp_path / "late.csv"
    rows = [f"{first.format(day=i % 28 + 1)},{int(i % 50 == 0)}" for i in range(30_000)]
    src.write_text("v,label\n" + "\n".join(rows) + f"\n{late},0\n")
    upweight.sample_file(src, tmp_path / "o.parquet", label="label", factor=1)
    assert pq.read_table(tmp_path / "o.parquet").column("v").to_pylist()[-1] == expected


def test_a_wide_csv_gets_the_same_types_column_by_column(tmp_path):
    """Hundreds of columns take the unpivoted checks; each column's type is still its own."""
    n, pad = 3_000, 300
    i = np.arange(n)
    late = {
        "ints": [str(v) for v in i],  # integers throughout
        "late_decimal": [str(v) for v in i[:-1]] + ["0.25"],
        "late_text": [f"{v}.5" for v in i[:-1]] + ["n/a"],
        "late_time": [f"2026-01-{v % 28 + 1:02d}" for v in i[:-1]] + ["2026-02-01 10:00:00"],
        "offsets": [f"2026-01-{v % 28 + 1:02d} 10:00:00+01:00" for v in i],
    }
    columns = {**late, **{f"pad{j}": [f"{v * j}.5" for v in i] for j in range(pad)}}
    columns["label"] = [str(int(v % 40 == 0)) for v in i]
    lines = [",".join(columns)] + [",".join(col[r] for col in columns.values()) for r in range(n)]
    src = tmp_path / "wide.csv"
    src.write_text("\n".join(lines) + "\n")
    upweight.sample_file(src, tmp_path / "o.parquet", label="label", factor=1)
    got = pq.read_table(tmp_path / "o.parquet")
    assert got.num_columns == pad + len(late) + 2
    assert pa.types.is_integer(got.schema.field("ints").type)
    assert got.column("late_decimal").to_pylist()[-1] == 0.25
    assert got.column("late_text").to_pylist()[-1] == "n/a"
    assert str(got.column("late_time").to_pylist()[-1]) == "2026-02-01 10:00:00"
    assert pa.types.is_timestamp(got.schema.field("offsets").type)
    assert got.schema.field("offsets").type.tz is not None
    assert got.column("pad7").to_pylist()[:2] == [0.5, 7.5]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("\u00e9tiquette,y\nl\u00e9git,1\n".encode("latin-1"), r"not UTF-8 text \(line 1\)"),
        (b"y,x\n" + b"0,1\n" * 40_000 + b"1,caf\xe9\n", r"not UTF-8 text \(line 40002\)"),
        ("y,x\n0,1\n".encode("utf-16"), "UTF-16 text"),
        (gzip.compress(b"y,x\n0,1\n"), "gzip-compressed data"),
        (b"PAR1\x00\x00", "a Parquet file"),
        (b"PK\x03\x04\x00", "zip archive"),
        (b"y,x\n0,\x00\x01\n", "binary data"),
    ],
    ids=["latin-1", "latin-1-late", "utf-16", "gzip", "parquet", "xlsx", "nul"],
)
def test_a_csv_that_is_not_utf8_text_says_so(tmp_path, content, words):
    src = tmp_path / "in.csv"
    src.write_bytes(content)
    with pytest.raises(InputError, match=words):
        upweight.profile_file(src, label="y")


def test_a_csv_column_that_turns_to_text_late_is_read_as_text(tmp_path):
    src = tmp_path / "ids.csv"
    _late_csv(src, "A-17,0\n")
    upweight.sample_file(src, tmp_path / "o.parquet", label="label", factor=1)
    assert pq.read_table(tmp_path / "o.parquet").column("x").to_pylist()[-1] == "A-17"


def test_hidden_and_underscore_folders_are_skipped_at_every_depth(inputs, table, tmp_path):
    hive = inputs["hive"]
    first = hive / "day=2026-01-01" / "data.parquet"
    for junk in (
        hive / ".ipynb_checkpoints" / "data-checkpoint.parquet",
        hive / "_temporary" / "0" / "part-0.parquet",
        hive / "day=2026-01-02" / "_temporary" / "part-1.parquet",
        hive / ".out.upweight-host-1-0123abcd.tmp" / "data_0.parquet",
        hive / "day=2026-01-03" / ".hidden" / "part.parquet",
    ):
        junk.parent.mkdir(parents=True, exist_ok=True)
        junk.write_bytes(first.read_bytes())
    assert upweight.profile_file(hive, label="y").n_rows == table.num_rows
    glob = tmp_path / "hive" / "**" / "*.parquet"
    assert upweight.profile_file(glob, label="y").n_rows == table.num_rows


def test_linked_partition_folders_are_read_once_each(inputs, table, tmp_path):
    """A partition that lives elsewhere, linked in, is data; a link back up is not a loop."""
    hive = tmp_path / "linked"
    shutil.copytree(inputs["hive"], hive)
    days = sorted(p for p in hive.iterdir() if p.name.startswith("day="))
    elsewhere = tmp_path / "elsewhere"
    days[-1].rename(elsewhere)
    days[-1].symlink_to(elsewhere, target_is_directory=True)
    (days[0] / "up").symlink_to(hive, target_is_directory=True)
    assert upweight.profile_file(hive, label="y").n_rows == table.num_rows


def test_a_folder_that_cannot_be_listed_is_an_error_not_a_gap(inputs, tmp_path, monkeypatch):
    hive = inputs["hive"]
    locked = sorted(p for p in hive.iterdir() if p.name.startswith("day="))[-1]
    listing = os.scandir

    def scandir(path="."):
        if os.fspath(path) == os.fspath(locked):  # as for a folder of mode 000, not as root
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(FileError, match=r"cannot list the folder .*day=.*Permission denied"):
        upweight.profile_file(hive, label="y")


def test_a_broken_link_among_the_parts_is_an_error(inputs, tmp_path):
    hive = tmp_path / "broken"
    shutil.copytree(inputs["hive"], hive)
    (hive / "gone.parquet").symlink_to(tmp_path / "nowhere.parquet")
    with pytest.raises(FileError, match="broken link"):
        upweight.profile_file(hive, label="y")


def test_a_parquet_column_without_a_name_is_refused(tmp_path):
    """DuckDB would name it ``C0`` in the output."""
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"": np.arange(100.0), "y": np.arange(100) % 10 == 0}), src)
    with pytest.raises(InputError, match="column 1 has no name"):
        upweight.sample_file(src, tmp_path / "o.csv", label="y", factor=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def _varint(value: int) -> bytes:
    """Thrift's compact encoding of an i64: zigzag, then 7 bits a byte."""
    value = (value << 1) ^ (value >> 63)
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out + bytes([value]))


@pytest.mark.parametrize("delta", [1, -1])
def test_a_footer_whose_row_count_disagrees_with_its_row_groups_is_refused(tmp_path, delta):
    n = 12_345
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"i": np.arange(n), "y": np.arange(n) % 10 == 0}), good)
    raw = good.read_bytes()
    size = int.from_bytes(raw[-8:-4], "little")
    footer = raw[-8 - size : -8]
    field = b"\x16" + _varint(n)  # FileMetaData.num_rows: field 3, an i64, first after the schema
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(
        raw[: -8 - size] + footer.replace(field, b"\x16" + _varint(n + delta), 1) + raw[-8:]
    )
    assert pq.read_metadata(bad).num_rows == n + delta
    with pytest.raises(FileError, match=f"footer says {n + delta:,} rows, its row groups hold"):
        upweight.sample_file(bad, tmp_path / "o.csv", label="y", factor=2)


@pytest.mark.parametrize("name", ["out.v2/", "o.parquet/", "parts/"])
def test_an_output_spelled_with_a_trailing_slash_is_a_folder(inputs, tmp_path, name):
    upweight.sample_file(inputs["parquet"], f"{tmp_path}/{name}", label="y", factor=5)
    folder = tmp_path / name.rstrip("/")
    assert folder.is_dir() and upweight.read_plan(next(folder.iterdir())).n_rows == 60_000


def test_a_csv_output_spelled_as_a_folder_is_refused(inputs, tmp_path):
    with pytest.raises(FileError, match="names a folder, and folders hold Parquet files"):
        upweight.sample_file(inputs["parquet"], f"{tmp_path}/o.csv/", label="y", factor=5)
    assert not (tmp_path / "o.csv").exists()


def test_an_existing_name_with_glob_characters_is_read_as_it_is(inputs, tmp_path):
    odd = tmp_path / "data [2026] v?.parquet"
    odd.write_bytes(inputs["parquet"].read_bytes())
    bait = pq.read_table(inputs["parquet"]).slice(0, 1_000)
    pq.write_table(bait, tmp_path / "data 2 v1.parquet")  # what the name matches as a glob
    assert upweight.profile_file(odd, label="y").n_rows == 60_000
    out = tmp_path / "out [x].csv"
    upweight.sample_file(odd, out, label="y", factor=5)
    assert upweight.read_plan(out).n_rows == 60_000


def test_a_csv_that_grows_while_it_is_read_gives_no_output(inputs, tmp_path):
    src = tmp_path / "growing.csv"
    src.write_bytes(inputs["csv"].read_bytes())
    appended = []

    def append_once(phase: str, done: int, total: int) -> None:
        if not appended:
            with open(src, "a") as handle:
                handle.write("\n".join("1.0,1.0,1.0,1.0,1.0,1" for _ in range(957)) + "\n")
            appended.append(phase)

    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FileError, match="changed while it was read"):
        upweight.sample_file(src, out / "o.parquet", label="y", factor=5, progress=append_once)
    assert appended and list(out.iterdir()) == []


@pytest.mark.parametrize("source", ["parquet", "csv"])
def test_two_runs_writing_one_new_output_do_not_both_succeed(inputs, tmp_path, source):
    out = tmp_path / "out.parquet"

    def another_run_finishes_first(phase: str, done: int, total: int) -> None:
        if not out.exists():
            out.write_bytes(b"the other run's output")

    with pytest.raises(FileError, match="appeared while this run was writing it"):
        upweight.sample_file(
            inputs[source], out, label="y", factor=5, progress=another_run_finishes_first
        )
    assert out.read_bytes() == b"the other run's output"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_two_processes_racing_for_one_output(inputs, tmp_path):
    wins = 0
    for trial in range(5):
        out = tmp_path / f"race{trial}.parquet"
        procs = [cli("sample", inputs["csv"], "-l", "y", "-k", "5", "-o", out) for _ in range(2)]
        codes = [p.wait(timeout=120) for p in procs]
        errs = [p.stderr.read() for p in procs]
        assert sorted(codes) in ([0, 2], [0, 0][:0] or [0, 2]), errs
        assert any("appeared while this run" in e or "exists" in e for e in errs)
        wins += codes.count(0)
        assert pq.read_table(out).num_rows == upweight.read_plan(out).n_kept
    assert wins == 5
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_overwrite_replaces_only_a_folder_upweight_wrote(inputs, tmp_path):
    folder = tmp_path / "train"
    upweight.sample_file(inputs["parquet"], folder, label="y", factor=5)
    upweight.sample_file(inputs["parquet"], folder, label="y", factor=10, overwrite=True)
    assert upweight.read_plan(folder).factors[0] == 10.0
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(FileError, match=r"holds notes\.txt, which upweight did not write"):
        upweight.sample_file(inputs["parquet"], folder, label="y", factor=2, overwrite=True)
    assert (folder / "notes.txt").read_text() == "mine"
    user = tmp_path / "user"
    (user / "sub").mkdir(parents=True)
    (user / "sub" / "data.parquet").write_bytes(inputs["parquet"].read_bytes())  # no plan
    with pytest.raises(FileError, match="upweight did not write"):
        upweight.sample_file(inputs["parquet"], user, label="y", factor=2, overwrite=True)
    assert (user / "sub" / "data.parquet").exists()


@pytest.mark.parametrize("hidden", [".git/HEAD", ".env", "_drafts/notes.md", "_README.txt"])
def test_hidden_or_underscore_files_make_a_folder_somebody_elses(inputs, tmp_path, hidden):
    folder = tmp_path / "proj"
    upweight.sample_file(inputs["parquet"], folder, label="y", factor=5)
    (folder / hidden).parent.mkdir(parents=True, exist_ok=True)
    (folder / hidden).write_text("mine")
    with pytest.raises(FileError, match="upweight did not write"):
        upweight.sample_file(inputs["parquet"], folder, label="y", factor=2, overwrite=True)
    assert (folder / hidden).read_text() == "mine"


def test_a_weight_column_that_differs_only_in_case_is_refused(table, tmp_path):
    src = tmp_path / "in.parquet"
    pq.write_table(table.append_column("Weight", pa.array(np.ones(table.num_rows))), src)
    for out in (tmp_path / "o.parquet", tmp_path / "o.csv"):
        with pytest.raises(InputError, match="'Weight' already exists"):
            upweight.sample_file(src, out, label="y", factor=5)


def test_csv_and_plan_of_one_run_stay_together_under_the_folder_lock(inputs, tmp_path):
    import threading

    from upweight._files._commit import folder_locked

    out = tmp_path / "o.csv"
    done = threading.Event()

    def sample() -> None:
        upweight.sample_file(inputs["parquet"], out, label="y", factor=5, overwrite=True)
        done.set()

    with folder_locked(tmp_path):  # another run is putting its CSV and plan in place
        worker = threading.Thread(target=sample)
        worker.start()
        assert not done.wait(3.0)
        assert not out.exists()
    worker.join(60)
    assert done.is_set() and upweight.read_plan(out).factors[0] == 5.0


def test_odd_inputs_and_outputs_get_one_line(inputs, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(FileError, match="not a regular file"):
        upweight.profile_file(fifo, label="y")
    with pytest.raises(FileError, match="unsupported file type"):
        upweight.sample_file(inputs["parquet"], tmp_path / "o.csv.bz2", label="y", factor=2)
    dangling = tmp_path / "gone.parquet"
    dangling.symlink_to(tmp_path / "nowhere.parquet")
    with pytest.raises(FileError, match="broken symbolic link"):
        upweight.sample_file(inputs["parquet"], dangling, label="y", factor=2)
    with pytest.raises(PlanError, match="plan must be a SamplingPlan"):
        upweight.sample_file(inputs["parquet"], tmp_path / "o.pq", label="y", plan="{}")
    with pytest.raises(InputError, match="overwrite must be True or False"):
        upweight.sample_file(
            inputs["parquet"], tmp_path / "o.pq", label="y", factor=2, overwrite="no"
        )
    extra = tmp_path / "extra.csv"
    extra.write_text("x,y\n1,0\n2,1\n101,1,extra\n")
    with pytest.raises(InputError, match="line 4 has 3 fields where the header has 2"):
        upweight.profile_file(extra, label="y")
    long = tmp_path / "long.csv"
    long.write_text("x,y\n" + "a,0\n" * 100 + "b" * 3_000_000 + ",1\n")
    with pytest.raises(InputError, match="holds 3,000,003 bytes"):
        upweight.profile_file(long, label="y")
    assert not list(tmp_path.glob(".*"))


def test_an_output_the_input_would_read_back_is_refused(inputs, tmp_path):
    with pytest.raises(FileError, match="matches the input pattern"):
        upweight.sample_file(
            inputs["glob"], inputs["glob"].parent / "c.parquet", label="y", factor=2
        )
    with pytest.raises(FileError, match="inside the input folder"):
        upweight.sample_file(inputs["hive"], inputs["hive"] / "out.parquet", label="y", factor=2)


def test_the_current_folder_as_output_is_refused_not_a_crash(inputs, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    for overwrite in (False, True):
        with pytest.raises(FileError):
            upweight.sample_file(inputs["parquet"], ".", label="y", factor=5, overwrite=overwrite)
    assert sorted(p.name for p in work.iterdir()) == ["notes.txt"]


def test_a_huge_thread_count_is_capped(inputs, tmp_path):
    from upweight._validation import thread_count

    assert thread_count(100_000) == 4 * (os.cpu_count() or 1)
    assert thread_count(None) is None and thread_count(1) == 1
    with pytest.raises(InputError, match="threads must be a positive integer"):
        thread_count(0)
    start = time.monotonic()
    upweight.sample_file(inputs["csv"], tmp_path / "o.parquet", label="y", factor=5, threads=10**5)
    assert time.monotonic() - start < 60


def test_seeds_beyond_64_bits_are_refused_not_wrapped(inputs, tmp_path):
    with pytest.raises(InputError, match="below 2\\*\\*64"):
        upweight.sample_file(inputs["parquet"], tmp_path / "o.pq", label="y", factor=5, seed=2**64)
    with pytest.raises(InputError, match="below 2\\*\\*64"):
        upweight.downsample(np.zeros((10, 1)), [0] * 8 + [1] * 2, factor=2, random_state=2**64)
    assert not (tmp_path / "o.pq").exists()


def test_a_label_that_looks_like_an_id_is_refused_quickly(tmp_path):
    src = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"id": np.arange(100_000), "x": np.zeros(100_000)}), src)
    start = time.monotonic()
    with pytest.raises(LabelError, match="looks like an id"):
        upweight.profile_file(src, label="id")
    assert time.monotonic() - start < 30


@pytest.mark.parametrize("bad", [b"in.parquet", 3, None])
def test_a_path_that_is_not_text_is_an_input_error(inputs, tmp_path, bad):
    with pytest.raises(InputError, match="must be a path"):
        upweight.sample_file(bad, tmp_path / "o.parquet", label="y", factor=2)
    with pytest.raises(InputError, match="must be a path"):
        upweight.sample_file(inputs["parquet"], bad, label="y", factor=2)


def test_files_of_two_schemas_are_named_in_the_order_the_difference_is(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    pq.write_table(pa.table({"x": [1.0, 2.0], "y": [0, 1]}), folder / "a.parquet")
    pq.write_table(pa.table({"y": [0, 1]}), folder / "b.parquet")
    with pytest.raises(InputError, match=r"a\.parquet and .*b\.parquet .*x only in the first"):
        upweight.profile_file(folder, label="y")


def test_a_progress_that_is_not_a_function_is_an_input_error(inputs, tmp_path):
    with pytest.raises(InputError, match="progress must be a function"):
        upweight.sample_file(
            inputs["parquet"], tmp_path / "o.parquet", label="y", factor=5, progress=42
        )
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".o.parquet", "o.parquet"))]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_nan_labels_are_counted_row_by_row(tmp_path, fmt):
    """DuckDB groups every NaN into one: the message said "1 missing value" for 30."""
    y = np.where(np.arange(3_000) % 100 == 0, np.nan, (np.arange(3_000) % 10 == 0) * 1.0)
    table = pa.table({"x": np.arange(3_000), "label": y})
    src = tmp_path / f"nan.{fmt}"
    if fmt == "csv":
        pacsv.write_csv(table, src)
    else:
        pq.write_table(table, src)
    with pytest.raises(LabelError, match="30 missing values"):
        upweight.profile_file(src, label="label")


def test_a_folder_where_the_plan_of_a_csv_goes_is_named_as_one(inputs, tmp_path):
    (tmp_path / "o.csv.plan.json").mkdir()
    for overwrite in (False, True):
        with pytest.raises(FileError, match="where the plan goes, is a folder"):
            upweight.sample_file(
                inputs["parquet"], tmp_path / "o.csv", label="y", factor=5, overwrite=overwrite
            )
    assert not (tmp_path / "o.csv").exists()


def test_a_value_that_reads_like_an_interruption_is_an_error_in_the_data(tmp_path):
    """DuckDB quotes the value back: "Query interrupted" in it was taken for Ctrl-C."""
    rows = [f"{i},{int(i % 9 == 0)},true" for i in range(30_000)]
    src = tmp_path / "qi.csv"
    src.write_text("id,label,b\n" + "\n".join(rows) + "\n30000,0,Query interrupted\n")
    with pytest.raises(InputError, match="'Query interrupted', which is not a BOOLEAN"):
        upweight.sample_file(src, tmp_path / "o.parquet", label="label", factor=2)


@pytest.mark.parametrize(
    "value",
    [
        "Expected Number of Columns: 2 Found: 3",
        "Maximum line size of 5 bytes exceeded. Actual Size:10",
    ],
)
def test_a_value_that_reads_like_a_csv_error_is_named_as_the_value(tmp_path, value):
    """DuckDB quotes the value back: its words were taken for a ragged or over-long line."""
    rows = [f"{i},{int(i % 9 == 0)},2026-01-01 10:00:00" for i in range(30_000)]
    src = tmp_path / "odd.csv"
    src.write_text("id,label,ts\n" + "\n".join(rows) + f"\n30000,0,{value}\n")
    with pytest.raises(InputError, match=r"line 30002, column 'ts' holds .*which is not a TIME"):
        upweight.sample_file(src, tmp_path / "o.parquet", label="label", factor=2)


def test_an_engine_call_out_of_memory_is_a_memory_error(tmp_path):
    import duckdb

    from upweight._files._duckdb import opened
    from upweight._files._source import resolve

    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"y": [0, 1]}), path)

    class Starved:  # a connection out of memory on every call
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise duckdb.OutOfMemoryException("Failed to allocate block of 2048 bytes")

            return fail

    with opened(resolve(str(path))) as engine:
        real, engine.con = engine.con, Starved()
        try:
            for call in (
                lambda: engine.register("t", pa.table({"a": [1]})),
                lambda: engine.one("SELECT 1"),
            ):
                with pytest.raises(MemoryError, match="allocate"):
                    call()
        finally:
            engine.con = real


def test_text_labels_of_a_parquet_file_that_read_like_numbers_are_text(tmp_path):
    """'007' and '1,5' in a typed Parquet string column are classes, as in a frame; the
    mixed-types check is for CSV, where text is only a guess."""
    labels = ["007"] * 90 + ["1,5"] * 6 + ["<b>x</b>"] * 4
    path = tmp_path / "weird.parquet"
    pq.write_table(pa.table({"x": np.arange(100.0), "y": labels}), path)
    prof = upweight.profile_file(path, label="y")
    assert dict(zip(prof.classes, prof.counts, strict=True)) == {"007": 90, "1,5": 6, "<b>x</b>": 4}


# -- factors that go too far -------------------------------------------------------------------
@pytest.fixture
def nine_to_one(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    y = rng.permutation(np.array([0] * 9_000 + [1] * 1_000))
    table = pa.table({"x": rng.normal(size=y.size), "y": y})
    paths = {"parquet": tmp_path / "in.parquet", "csv": tmp_path / "in.csv"}
    pq.write_table(table, paths["parquet"])
    pacsv.write_csv(table, paths["csv"])
    return paths


@pytest.mark.parametrize("source", ["parquet", "csv"])
@pytest.mark.parametrize("method", ["exact", "bernoulli"])
def test_sample_file_warns_once_when_a_factor_goes_too_far(nine_to_one, tmp_path, source, method):
    out = tmp_path / "out.parquet"
    with pytest.warns(upweight.OverDownsampleWarning, match="factor <= 9 keeps class 0") as w:
        applied = upweight.sample_file(
            nine_to_one[source], out, label="y", factor=1_000, method=method
        )
    assert len(w) == 1 and w[0].filename == __file__
    assert upweight.read_plan(out) == applied  # written all the same
    with pytest.warns(upweight.OverDownsampleWarning, match="leave class 1 out of") as w:
        upweight.sample_file(nine_to_one[source], out, label="y", factor={1: 5}, overwrite=True)
    assert len(w) == 1


def test_sample_file_does_not_warn_for_a_sane_factor(nine_to_one, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for source in ("parquet", "csv"):
            out = tmp_path / f"{source}.parquet"
            upweight.sample_file(nine_to_one[source], out, label="y", factor=9)
