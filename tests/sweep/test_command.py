"""`upweight sweep` on the command line: what it writes, and how it refuses bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from upweight._cli import main
from upweight.datasets import make_imbalanced


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "data.parquet"
    table = make_imbalanced(8_000, minority_share=0.05, random_state=0).to_arrow(label="fraud")
    pq.write_table(table, path)
    return path


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_sweep_writes_the_report_and_prints_the_summary(data_file, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run(
        capsys, "sweep", data_file, "-l", "fraud", "-k", "1,10", "-o", out, "--no-convergence"
    )
    assert code == 0, err
    assert (out / "report.html").exists() and (out / "results.parquet").exists()
    assert "Best validation log loss" in stdout and f"report: {out / 'report.html'}" in stdout
    # a second run finds every configuration done
    code, stdout, _ = run(
        capsys,
        "sweep",
        data_file,
        "-l",
        "fraud",
        "-k",
        "1,10",
        "-o",
        out,
        "--no-convergence",
        "--quiet",
    )
    assert code == 0 and stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-k", ""], "--factors is empty"),
        (["-k", "1,0.5"], "must be >= 1"),
        (["-k", "1,x"], "comma-separated numbers"),
        (["--corrections", "upweight,magic"], "correction must be one of"),
        (["-l", "nope"], "label column 'nope' not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(data_file, tmp_path, capsys, args, message):
    base = ["sweep", data_file, "-l", "fraud", "-o", tmp_path / "out", "--no-convergence"]
    code, _, err = run(capsys, *base, *args)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out" / "report.html").exists()


def test_missing_extra_names_it(data_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "xgboost", None)  # as if not installed: imports fail
    code, _, err = run(
        capsys, "sweep", data_file, "-l", "fraud", "-o", tmp_path / "o", "--model", "xgboost"
    )
    assert code == 2 and "pip install 'upweight[xgboost]'" in err


def test_too_few_minority_rows(tmp_path, capsys):
    """Below 4 minority rows per fold: one line naming the minimum and the --cv that does."""
    path = tmp_path / "rare.parquet"
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(15, dtype=np.int64), np.zeros(1_485, dtype=np.int64)]
    x = rng.normal(size=y.size) + y  # the rare class a little apart
    pq.write_table(pa.table({"x": x, "z": rng.normal(size=y.size), "y": y}), path)
    code, _, err = run(capsys, "sweep", path, "-l", "y", "-o", tmp_path / "o")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "needs at least 20 (4 in each of 5 folds)" in err and "--cv 3" in err
    # the --cv 3 the line names runs on these 15 rows (two factors, no convergence: the
    # default grid end to end on few minority rows is test_small_minorities' to show)
    code, _, err = run(
        capsys, "sweep", path, "-l", "y", "-o", tmp_path / "o", "--cv", "3",
        "-k", "1,5", "--no-convergence",
    )  # fmt: skip
    assert code == 0, err


def test_no_cv_keeps_the_old_minimum_and_says_how_to_cross_validate(tmp_path, capsys):
    path = tmp_path / "rare.parquet"
    table = make_imbalanced(3_000, minority_share=0.01, random_state=0).to_arrow(label="y")
    pq.write_table(table, path)
    code, _, err = run(capsys, "sweep", path, "-l", "y", "-o", tmp_path / "o", "--no-cv")
    assert code == 2 and err.count("\n") == 1 and "needs at least 95" in err
    code, _, err = run(
        capsys, "sweep", path, "-l", "y", "-o", tmp_path / "o", "--no-cv", "--cv", "3"
    )
    assert code == 2 and "not both" in err


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--validation-size", "1e-9"], "--validation-size"),
        (["--test-size", "1e-9"], "--test-size"),
        (["--validation-size", "0.4999999", "--test-size", "0.4999999"], "--test-size"),
    ],
)
def test_shares_that_leave_a_split_without_minority_rows(
    data_file, tmp_path, capsys, deadline, args, option
):
    base = [
        "sweep",
        data_file,
        "-l",
        "fraud",
        "-o",
        tmp_path / "o",
        "--no-convergence",
        "--no-cv",
        "-k",
        "1,5",
    ]
    with deadline(10):
        code, _, err = run(capsys, *base, *args)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "minority class" in err and f"{option} 0." in err


def test_upweights_without_the_upweight_correction_are_named_in_a_warning(
    data_file, tmp_path, capsys
):
    args = ("sweep", data_file, "-l", "fraud", "-o", tmp_path / "o", "-k", "1,5")
    args += ("--no-convergence", "--corrections", "offset", "--upweights", "2,3")
    code, _, err = run(capsys, *args)
    assert code == 0
    assert err.startswith("warning: upweights 2, 3 are not used") and err.count("\n") == 1
    assert "--corrections" in err and "--upweights" in err
    code, out, err = run(capsys, *args, "-q")  # nothing but errors
    assert code == 0 and out == "" and err == ""


def test_outdir_of_another_data_set_needs_overwrite(data_file, tmp_path, capsys):
    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    (out / "manifest.json").write_text('{"format": "upweight.sweep/1", "label": "other"}')
    code, _, err = run(capsys, "sweep", data_file, "-l", "fraud", "-o", out)
    assert code == 2 and "another label column" in err and "--overwrite" in err


def test_the_printed_table_fits_in_100_columns_and_cuts_no_name(small_data):
    """Every default factor, with an upweight of its own beside k, and the demo's truth row:
    rich cut the names ('configurati…') and headers on a console 100 columns wide."""
    import io
    from types import SimpleNamespace

    from rich.console import Console

    import upweight
    from upweight._sweep._command import print_summary

    result = upweight.sweep(
        small_data.X[:8_000],
        y=small_data.y[:8_000],
        factors=[1, 2, 5, 10, 25, 50, 100],
        upweights=["factor", 12.3456],
        convergence=False,
    )
    truth = SimpleNamespace(log_loss=0.1, average_precision=0.2, roc_auc=0.8, prediction_bias=0.0)
    buffer = io.StringIO()
    print_summary(Console(file=buffer, width=100), result, truth=truth)
    printed = buffer.getvalue()
    assert "…" not in printed
    assert max(len(line) for line in printed.splitlines()) <= 100
    table = printed.split("\n\n")[0].splitlines()
    names = [e["name"] for e in result.summary if e["name"] != "k=1 (all rows)"]
    for name in [*names, "k=1 (all rows)", "true P(y|x)"]:
        assert any(line.startswith(name) for line in table), name
    assert "(best" in printed and "cheapest)" in printed


def _help_records(command: str) -> list[tuple[str, str]]:
    """(names, help) of each parameter of a command, as click words them."""
    import typer

    from upweight._cli import app

    cli = typer.main.get_command(app)
    ctx = cli.make_context("upweight", [command, "--help"], resilient_parsing=True)
    records = [p.get_help_record(ctx) for p in cli.get_command(ctx, command).params]
    return [record for record in records if record is not None]


@pytest.mark.parametrize("width", [60, 80, 100])
@pytest.mark.parametrize("command", ["sweep", "demo", "sample", "analyze"])
def test_help_shows_every_default_and_name_in_full(capsys, monkeypatch, command, width):
    """typer's layout cut what did not fit: '[default: 1,2,5,10,25,50,…', '--validation-s…'."""
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= width
    records = _help_records(command)
    defaults = [help.rpartition("  ")[2] for _, help in records if "[default: " in help]
    assert all(default in out for default in defaults)
    assert all(names in out for names, _ in records)
    if command in ("sweep", "demo"):
        assert "[default: 1,2,5,10,25,50,100]" in out


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--convergence", "xyz"], "--convergence takes auto, on, off, or learners"),
        (["--convergence", "on", "--no-convergence"], "not both"),
        (["--features", ","], "such as id,ts"),
    ],
)
def test_command_line_options_are_answered_in_command_line_words(
    data_file, tmp_path, capsys, extra, words
):
    code, _, err = run(capsys, "sweep", data_file, "-l", "fraud", "-o", tmp_path / "o", *extra)
    assert code == 2 and words in err and err.count("\n") == 1, err


def test_another_drop_into_the_same_folder_names_the_columns(data_file, tmp_path, capsys):
    args = ("sweep", data_file, "-l", "fraud", "-o", tmp_path / "o", "-k", "1,4")
    assert run(capsys, *args, "--no-convergence")[0] == 0
    code, _, err = run(capsys, *args, "--no-convergence", "--drop", "x0")
    assert code == 2 and "other feature columns (now without 'x0')" in err, err
