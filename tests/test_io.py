"""Files: formats by extension, atomic writes, refusals that protect data."""

from __future__ import annotations

import pyarrow as pa
import pytest

from upweight import FileError
from upweight._io import atomic_path, check_output, file_format, read_table, write_table_atomic


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
def test_write_and_read_back(tmp_path, name):
    table = pa.table({"a": [1, 2, 3], "y": [0, 1, 0]})
    size = write_table_atomic(table, tmp_path / name, metadata={b"k": b"v"})
    assert size > 0
    back = read_table(tmp_path / name, label="y")
    assert back.column("a").to_pylist() == [1, 2, 3]


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
