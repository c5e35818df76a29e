"""The plan that travels with the data: read back, or refused in one line naming the file."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import upweight
from upweight import FileError

_PLAN = upweight.plan({0: 900, 1: 100}, factor=5).applied({0: 180, 1: 100}, method="exact", seed=3)


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "c.csv"
    path.write_text("y,x\n0,1\n0,2\n1,3\n")
    return path


def test_the_plan_beside_a_csv_file_is_read_back(csv):
    (csv.parent / "c.csv.plan.json").write_text(_PLAN.to_json())
    assert upweight.read_plan(csv) == _PLAN


def test_a_folder_in_place_of_the_plan_is_refused(csv):  # BA09
    (csv.parent / "c.csv.plan.json").mkdir()
    with pytest.raises(FileError, match=r"c\.csv\.plan\.json is not a file .*write c\.csv again"):
        upweight.read_plan(csv)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\xff\xfe\x00", "not JSON text"),  # BA09
        (b"", "not valid JSON"),
        (b"{}", "not an upweight sampling plan"),
        (_PLAN.to_json().replace('"seed": 3', '"seed": -5').encode(), "seed must be"),
    ],
)
def test_a_damaged_plan_beside_a_csv_file_names_the_file(csv, content, needle):
    (csv.parent / "c.csv.plan.json").write_bytes(content)
    damaged = r"the plan in .*c\.csv\.plan\.json is damaged: .*"
    with pytest.raises(FileError, match=damaged + needle):
        upweight.read_plan(csv)


def test_a_damaged_plan_in_parquet_metadata_names_the_file(tmp_path):
    out = tmp_path / "o.parquet"
    table = pa.table({"y": [0, 1]}).replace_schema_metadata({b"upweight.plan": b"\xff\xfe\x00"})
    pq.write_table(table, out)
    with pytest.raises(FileError, match=r"the plan in .*o\.parquet is damaged: .*not JSON text"):
        upweight.read_plan(out)


def test_the_plan_beside_a_csv_given_in_its_place_gets_a_hint(tmp_path):
    import upweight

    sidecar = tmp_path / "o.csv.plan.json"
    sidecar.write_text("{}")
    with pytest.raises(upweight.FileError, match="give the CSV file itself"):
        upweight.read_plan(sidecar)
