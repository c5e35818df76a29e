"""Files: formats by extension, atomic writes, refusals that protect data."""

from __future__ import annotations

import pyarrow as pa
import pytest

from upweight import FileError
from upweight._io import (
    atomic_path,
    check_output,
    file_format,
    plan_sidecar,
    read_table,
    write_table_atomic,
)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.csv", "csv"),
        ("a.CSV", "csv"),
        ("a.csv.gz", "csv"),
        ("a.parquet", "parquet"),
        ("a.pq", "parquet"),
    ],
)
def test_format_by_extension(name, fmt):
    assert file_format(name) == fmt


def test_unknown_extension():
    with pytest.raises(FileError, match=r"unsupported file type: a\.xlsx"):
        file_format("a.xlsx")


def test_atomic_path_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


@pytest.mark.parametrize("name", ["t.parquet", "t.csv", "t.csv.gz"])
def test_write_and_read_back_with_the_plan(tmp_path, name):
    import pyarrow.parquet as pq

    table = pa.table({"a": [1, 2, 3], "y": [0, 1, 0]})
    size = write_table_atomic(table, tmp_path / name, plan_json='{"plan": 1}')
    assert size > 0
    back = read_table(tmp_path / name, label="y")
    assert back.column("a").to_pylist() == [1, 2, 3]
    sidecar = plan_sidecar(tmp_path / name)
    if sidecar is None:
        assert pq.read_schema(tmp_path / name).metadata[b"upweight.plan"] == b'{"plan": 1}'
    else:
        assert sidecar.read_text() == '{"plan": 1}'
        assert sorted(p.name for p in tmp_path.iterdir()) == [name, f"{name}.plan.json"]


def test_a_failed_write_leaves_neither_file(tmp_path, monkeypatch):
    import pyarrow.csv as pacsv

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pacsv, "write_csv", fail)
    with pytest.raises(FileError, match="No space left"):
        write_table_atomic(pa.table({"a": [1]}), tmp_path / "o.csv", plan_json="{}")
    assert list(tmp_path.iterdir()) == []


def test_data_and_plan_appear_together_or_not_at_all(tmp_path, monkeypatch):
    import os

    real_replace = os.replace
    calls = []

    def second_rename_fails(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", second_rename_fails)
    with pytest.raises(FileError, match="Input/output error"):
        write_table_atomic(pa.table({"a": [1]}), tmp_path / "o.csv", plan_json="{}")
    assert [p.name for p in calls] == ["o.csv.plan.json", "o.csv"]
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_between_the_two_renames_waits_for_both(tmp_path, monkeypatch):
    import os
    import signal

    real_replace = os.replace

    def interrupted_rename(src, dst):
        real_replace(src, dst)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C right after the first rename

    monkeypatch.setattr(os, "replace", interrupted_rename)
    with pytest.raises(KeyboardInterrupt):
        write_table_atomic(pa.table({"a": [1]}), tmp_path / "o.csv", plan_json="{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv", "o.csv.plan.json"]


def test_duplicate_columns_and_empty_tables_are_refused(tmp_path):
    dup = tmp_path / "dup.csv"
    dup.write_text("x,x,y\n1,2,0\n")
    with pytest.raises(FileError, match=r"duplicate column names \(x\)"):
        read_table(dup, label="y")
    header_only = tmp_path / "header.csv"
    header_only.write_text("x,y\n")
    with pytest.raises(FileError, match="no data rows"):
        read_table(header_only, label="y")


def test_check_output_refusals(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("a,y\n1,0\n")
    with pytest.raises(FileError, match="is the input file"):
        check_output(src, tmp_path / "." / "in.csv", overwrite=True)
    with pytest.raises(FileError, match="exists; pass --overwrite"):
        check_output(tmp_path / "other.csv", src, overwrite=False)
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(FileError, match="is a directory"):
        check_output(src, tmp_path / "dir.csv", overwrite=True)
    with pytest.raises(FileError, match="does not exist"):
        check_output(src, tmp_path / "missing" / "o.csv", overwrite=False)
    (tmp_path / "o.csv.plan.json").write_text("{}")
    with pytest.raises(FileError, match=r"o\.csv\.plan\.json exists"):
        check_output(src, tmp_path / "o.csv", overwrite=False)
    (tmp_path / "p.csv.plan.json").mkdir()
    with pytest.raises(FileError, match="where the plan goes, is a directory"):
        check_output(src, tmp_path / "p.csv", overwrite=True)


def test_hard_link_to_the_input_is_the_input(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("a,y\n1,0\n")
    link = tmp_path / "link.csv"
    link.hardlink_to(src)
    with pytest.raises(FileError, match="is the input file"):
        check_output(src, link, overwrite=True)


@pytest.mark.parametrize(
    ("content", "needle"),
    [(None, "file not found"), (b"", "is empty"), (b"\x00\x01garbage", "cannot read")],
)
def test_read_refusals(tmp_path, content, needle):
    path = tmp_path / "f.parquet"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(FileError, match=needle):
        read_table(path)
