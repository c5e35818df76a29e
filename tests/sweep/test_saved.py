"""A saved sweep is read back whole by SweepResult.load; a folder that holds none is named."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import upweight
from upweight import FileError, InputError, SweepResult
from upweight.datasets import make_imbalanced

# The saved sweep is made once, in one worker of `make test` (pytest-xdist).
pytestmark = pytest.mark.xdist_group("saved")

FAST = {"factors": [1, 4], "convergence": False}


@pytest.fixture(scope="module")
def data():
    return make_imbalanced(3_000, minority_share=0.06, random_state=5)


@pytest.fixture(scope="module")
def saved(data, tmp_path_factory) -> Path:
    """A small sweep's folder; tests copy it before they change it."""
    out = tmp_path_factory.mktemp("saved") / "out"
    upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    return out


@pytest.fixture
def copy(saved, tmp_path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(saved, out)
    return out


def same(a: SweepResult, b: SweepResult) -> None:
    """Everything equal (NaN equal to NaN); the report's own time is measured after it."""
    left, right = a.to_dict(), b.to_dict()  # NaN becomes None in both
    left["timings"].pop("report", None)
    right["timings"].pop("report", None)
    assert left == right
    assert a.curves == b.curves
    assert a.recommendation.to_dict() == b.recommendation.to_dict()
    assert a.profile == b.profile


# -- the round trip ---------------------------------------------------------------------------
def test_a_sweep_is_read_back_whole(swept):
    result, outdir = swept
    loaded = SweepResult.load(outdir)
    same(result, loaded)
    assert loaded.outdir == outdir and loaded.convergence
    assert loaded.recommendation.text == result.recommendation.text
    assert loaded.recommendation.best == result.recommendation.best
    assert loaded.results[0].keys() == result.results[0].keys()
    assert loaded.to_arrow().equals(pq.read_table(outdir / "results.parquet"))
    assert loaded.convergence_summary() == result.convergence_summary()


def test_new_columns_and_settings_go_through_and_the_report_is_drawn_again(swept, tmp_path):
    result, _ = swept
    extended = dataclasses.replace(
        result,
        results=[
            {**row, "warnings": ["<b>late</b>"], "estimator": "LR()"} for row in result.results
        ],
        settings={**result.settings, "features": ["x0", "x1"], "notes": {"by": "me"}},
    )
    report = extended.save(tmp_path / "again")
    loaded = SweepResult.load(tmp_path / "again")
    same(extended, loaded)
    assert loaded.results[0]["warnings"] == ["<b>late</b>"]
    assert loaded.settings["features"] == ["x0", "x1"]
    assert report.is_file() and (tmp_path / "again" / "plots" / "fit_time.png").is_file()
    assert loaded.save(tmp_path / "again") == report  # a loaded result saves like any other


def test_not_finite_figures_keep_their_value(swept, tmp_path):
    result, _ = swept
    rows = [{**row, "peak_memory_mb": math.nan} for row in result.results]
    odd = dataclasses.replace(result, results=rows, convergence=[])
    odd.save(tmp_path / "nan")
    loaded = SweepResult.load(tmp_path / "nan")
    assert all(math.isnan(row["peak_memory_mb"]) for row in loaded.results)


def test_a_folder_whose_sweep_runs_again_gives_the_latest(data, tmp_path):
    out = tmp_path / "out"
    first = upweight.sweep(data.X, y=data.y, outdir=out, **FAST)
    same(first, SweepResult.load(out))
    # the same data again, another tolerance: the runs are reused, the result is new
    looser = upweight.sweep(data.X, y=data.y, outdir=out, tolerance=0.5, **FAST)
    assert SweepResult.load(out).recommendation.tolerance == 0.5
    same(looser, SweepResult.load(out))
    wider = upweight.sweep(
        data.X, y=data.y, outdir=out, overwrite=True, **{**FAST, "factors": [1, 2, 8]}
    )
    assert SweepResult.load(out).settings["factors"] == [1.0, 2.0, 8.0]
    same(wider, SweepResult.load(out))
    # a sweep without its report removes the old one: nothing stale is read back
    upweight.sweep(data.X, y=data.y, outdir=out, overwrite=True, report=False, **FAST)
    with pytest.raises(FileError, match=r"no saved sweep result \(no result\.json.*run the same"):
        SweepResult.load(out)


def test_the_manifest_lists_the_saved_result(saved):
    assert "result.json" in json.loads((saved / "manifest.json").read_text())["files"]
    assert json.loads((saved / "result.json").read_text())["format"] == "upweight.sweep-result/1"


# -- folders that hold no saved sweep --------------------------------------------------------
def test_a_folder_that_is_not_a_sweeps_is_named(tmp_path):
    with pytest.raises(FileError, match=r"nowhere does not exist; give the output folder"):
        SweepResult.load(tmp_path / "nowhere")
    (tmp_path / "notes.md").write_text("mine")
    with pytest.raises(FileError, match=r"holds no sweep results \(no manifest\.json\)"):
        SweepResult.load(tmp_path)
    with pytest.raises(FileError, match=r"notes\.md is not a folder"):
        SweepResult.load(tmp_path / "notes.md")
    (tmp_path / "manifest.json").write_text('{"name": "my experiment"}')
    with pytest.raises(FileError, match=r"manifest\.json was not written by upweight sweep"):
        SweepResult.load(tmp_path)
    with pytest.raises(InputError, match="empty text"):
        SweepResult.load("")


def test_a_result_the_manifest_does_not_list_is_not_read(copy, tmp_path):
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"].remove("result.json")
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FileError, match=r"result\.json was not written by upweight sweep.*move"):
        SweepResult.load(copy)


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda d: "{ not json", "it is not JSON of format"),
        (lambda d: "[]", "it is not JSON of format"),
        (lambda d: json.dumps({**d, "format": None}), "it is not JSON of format"),
        (lambda d: json.dumps({k: v for k, v in d.items() if k != "summary"}), "no summary"),
        (lambda d: json.dumps({**d, "results": []}), "holds no results"),
        (lambda d: json.dumps({**d, "results": [{"factor": 1}]}), "names no configuration"),
        (lambda d: json.dumps({**d, "profile": {"classes": [0], "counts": [3]}}), "profile"),
        (lambda d: json.dumps({**d, "recommendation": {"best": {}}}), "best configuration"),
        (lambda d: json.dumps({**d, "timings": {"fit": "slow"}}), "timings"),
    ],
)
def test_a_damaged_result_says_how_to_write_it_again(copy, damage, words):
    data = json.loads((copy / "result.json").read_text())
    (copy / "result.json").write_text(damage(data))
    with pytest.raises(
        FileError, match=rf"result\.json is damaged \(.*{words}.*run the same sweep"
    ):
        SweepResult.load(copy)


def test_a_result_of_a_newer_upweight_asks_for_an_upgrade(copy):
    data = json.loads((copy / "result.json").read_text())
    (copy / "result.json").write_text(json.dumps({**data, "format": "upweight.sweep-result/9"}))
    with pytest.raises(FileError, match=r"another version of upweight.*upgrade upweight"):
        SweepResult.load(copy)


def test_loading_changes_nothing_in_the_folder(copy):
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    SweepResult.load(copy)
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before
