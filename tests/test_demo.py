"""The demo: the full sweep on the course's scenario, and its claims on the demo's data."""

from __future__ import annotations

import pytest

from upweight._demo import run_demo


def _entry(result, factor, correction):
    return next(
        e for e in result.summary if e["factor"] == factor and e["correction"] == correction
    )


@pytest.mark.slow
def test_demo_claims_hold_on_the_full_demo_data():
    result, truth = run_demo(1_000_000, seed=0, outdir=None, factors=[1, 25], convergence=False)
    full = _entry(result, 1, "upweight")
    upweighted = _entry(result, 25, "upweight")
    offset = _entry(result, 25, "offset")
    biased = _entry(result, 25, "none")
    # downsampled by 25 and upweighted: within 1 % of the full-data log loss
    assert upweighted["test_log_loss_mean"] <= 1.01 * full["test_log_loss_mean"]
    assert offset["test_log_loss_mean"] <= 1.01 * full["test_log_loss_mean"]
    # downsampled only: a large positive prediction bias (the course's point)
    assert biased["test_prediction_bias_mean"] > 500
    assert abs(upweighted["test_prediction_bias_mean"]) < 10
    assert abs(offset["test_prediction_bias_mean"]) < 10
    assert upweighted["rows_trained_mean"] < full["rows_trained_mean"] / 15
    # and close to the truth itself
    assert upweighted["test_log_loss_mean"] <= 1.01 * truth.log_loss


def test_demo_structure_on_small_data(tmp_path):
    result, truth = run_demo(
        50_000, seed=3, outdir=tmp_path / "demo", factors=[1, 10], convergence=False
    )
    assert result.settings["scheme"]["kind"] == "cv"  # 500 minority rows: cross-validated
    assert [(e["factor"], e["correction"]) for e in result.summary] == [
        (1.0, "upweight"),
        (1.0, "offset"),
        (1.0, "none"),
        (10.0, "upweight"),
        (10.0, "offset"),
        (10.0, "none"),
    ]
    assert result.split["test"]["rows"] == 5_000 and truth.n == 5_000
    assert (tmp_path / "demo" / "report.html").exists()


def test_demo_refuses_a_folder_of_other_files(tmp_path):
    from upweight import FileError

    out = tmp_path / "demo"
    out.mkdir()
    (out / "notes.md").write_text("mine")
    with pytest.raises(FileError, match=r"notes\.md.*upweight did not write"):
        run_demo(10_000, outdir=out, factors=[1], convergence=False)
    assert [p.name for p in out.iterdir()] == ["notes.md"]


def test_demo_replaces_its_own_earlier_results_without_a_flag(tmp_path):
    out = tmp_path / "demo"
    run_demo(10_000, seed=1, outdir=out, factors=[1, 5], convergence=False)
    result, _ = run_demo(12_000, seed=2, outdir=out, factors=[1, 5], convergence=False)
    assert result.profile.n_rows == 12_000
    # a file of the user's among the demo's own: refused, nothing removed
    (out / "runs" / "notes.txt").write_text("mine")
    from upweight import FileError

    with pytest.raises(FileError, match=r"runs/notes\.txt"):
        run_demo(10_000, seed=1, outdir=out, factors=[1, 5], convergence=False)
    assert (out / "runs" / "notes.txt").read_text() == "mine"
    assert (out / "report.html").exists()


def test_demo_at_the_smallest_size_runs_with_the_default_factors(tmp_path, capsys):
    from upweight._cli import main

    code = main(["demo", "--rows", "10000", "-o", str(tmp_path / "d"), "--no-convergence", "-q"])
    _, err = capsys.readouterr()
    assert code == 0, err
    code = main(["demo", "--rows", "10000", "-o", str(tmp_path / "e"), "-k", "1,100000", "-q"])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "larger than the" in err
