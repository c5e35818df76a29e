"""Files: formats by extension, atomic writes, refusals that protect data."""

from __future__ import annotations

import time

import pytest

from upweight import FileError
from upweight._io import atomic_path, file_format, plan_sidecar


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


def test_a_csv_plan_goes_beside_it():
    assert plan_sidecar("out/o.csv").name == "o.csv.plan.json"
    assert plan_sidecar("o.parquet") is None


def test_flushing_a_file_while_it_is_written(tmp_path):
    import threading

    from upweight._io import flushing

    path = tmp_path / "growing.bin"
    with flushing(path, every_seconds=0.01):  # the file does not exist yet: no error
        time.sleep(0.03)
        with open(path, "wb") as f:
            for _ in range(5):
                f.write(b"x" * 100_000)
                f.flush()
                time.sleep(0.02)
    assert path.stat().st_size == 500_000
    assert not [t for t in threading.enumerate() if t.name == "upweight-flush"]
