"""The report: one self-contained HTML file, the results table, the plots as PNG."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pyarrow.parquet as pq

import upweight
from upweight._sweep._plots import PLOTS


def test_outdir_holds_report_results_and_plots(swept):
    result, outdir = swept
    table = pq.read_table(outdir / "results.parquet")
    assert table.num_rows == len(result.results) == 9
    assert {"val_log_loss", "test_recall_at_precision", "disk_bytes", "peak_memory_mb"} <= set(
        table.column_names
    )
    assert b"upweight.sweep" in table.schema.metadata
    pngs = sorted(p.stem for p in (outdir / "plots").glob("*.png"))
    assert pngs == sorted(PLOTS)
    for path in (outdir / "plots").glob("*.png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_is_self_contained(swept):
    _, outdir = swept
    html = (outdir / "report.html").read_text(encoding="utf-8")
    # nothing is fetched: no external URL in any src or href, no script, no link tag
    assert not re.search(r"(src|href)\s*=\s*[\"'](?!data:)", html)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == len(PLOTS)
    for data in images:
        assert base64.b64decode(data)[:4] == b"\x89PNG"


def test_report_says_what_was_measured(swept):
    result, outdir = swept
    html = (outdir / "report.html").read_text(encoding="utf-8")
    for heading in ("Recommendation", "Data set profile", "Results", "Convergence", "Cost"):
        assert f"<h2>{heading}</h2>" in html
    assert "Best validation log loss" in html
    assert "No correction does worse" in html
    assert f"{result.profile.n_rows:,}" in html


def test_dollar_signs_in_labels_do_not_break_the_plots(small_data, tmp_path):
    import numpy as np

    import upweight

    y = np.where(small_data.y == 1, "$fraud$", "le$$git")
    out = tmp_path / "out"
    result = upweight.sweep(
        small_data.X,
        y=y,
        factors=[1, 5],
        outdir=out,
        convergence=True,
        convergence_batches=20,
        batch_size=16,
    )
    assert result.settings["minority"] == "$fraud$"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "$fraud$" in html and "le$$git" in html
    assert len(list((out / "plots").glob("*.png"))) == len(PLOTS)


_SWEEP_WITH_REPORT = """
import sys, upweight
from upweight.datasets import make_imbalanced
data = make_imbalanced(5_000, minority_share=0.05, random_state=0)
upweight.sweep(
    data.X, y=data.y, factors=[1], corrections=["none"], convergence=False, outdir=sys.argv[1]
)
"""


def test_plots_are_drawn_whatever_mplbackend_says(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "MPLBACKEND": "nonexistent"}
    done = subprocess.run(
        [sys.executable, "-c", _SWEEP_WITH_REPORT, str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert sorted(p.stem for p in (out / "plots").glob("*.png")) == sorted(
        name for name in PLOTS if name != "convergence"
    )


def test_plots_leave_the_users_backend_and_pyplot_alone(swept, tmp_path):
    import matplotlib
    import matplotlib.pyplot as plt

    result, _ = swept
    before = matplotlib.get_backend()
    matplotlib.use("svg")  # a user's own choice
    try:
        result.save(tmp_path / "again")
        assert matplotlib.get_backend() == "svg"
        assert plt.get_fignums() == []
    finally:
        matplotlib.use(before)


def test_plots_without_labelled_lines_draw_no_empty_legend(tmp_path):
    """Only upweights below 1 left some panels without a labelled line: matplotlib's
    "No artists with labels found" reached the user as a warning."""
    X = np.random.default_rng(0).normal(size=(3_000, 3))
    y = (np.random.default_rng(1).random(3_000) < 0.06).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        upweight.sweep(
            X,
            y=y,
            factors=[1, 5],
            corrections=["upweight"],
            upweights=[0.5],
            convergence=False,
            outdir=tmp_path / "out",
        )
