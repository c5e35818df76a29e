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
import pytest

import upweight
from upweight._sweep._plots import PLOTS

#: The plots of a sweep of two classes: all but the per-class calibration.
TWO_CLASS_PLOTS = [name for name in PLOTS if name != "reliability_classes"]


def test_outdir_holds_report_results_and_plots(swept):
    result, outdir = swept
    table = pq.read_table(outdir / "results.parquet")
    assert table.num_rows == len(result.results) == 9
    assert {"val_log_loss", "test_recall_at_precision", "disk_bytes", "peak_memory_mb"} <= set(
        table.column_names
    )
    assert b"upweight.sweep" in table.schema.metadata
    pngs = sorted(p.stem for p in (outdir / "plots").glob("*.png"))
    assert pngs == sorted(TWO_CLASS_PLOTS)
    for path in (outdir / "plots").glob("*.png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_is_self_contained(swept):
    _, outdir = swept
    html = (outdir / "report.html").read_text(encoding="utf-8")
    # nothing is fetched: no external URL in any src or href, no script, no link tag
    assert not re.search(r"(src|href)\s*=\s*[\"'](?!data:)", html)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == len(TWO_CLASS_PLOTS)
    for data in images:
        assert base64.b64decode(data)[:4] == b"\x89PNG"


def test_report_says_what_was_measured(swept):
    result, outdir = swept
    html = (outdir / "report.html").read_text(encoding="utf-8")
    for heading in ("Recommendation", "Data set profile", "Results", "Convergence", "Cost"):
        assert f"<h2>{heading}</h2>" in html
    assert "Best validation log loss" in html
    assert "No correction does clearly worse" in html
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
    assert len(list((out / "plots").glob("*.png"))) == len(TWO_CLASS_PLOTS)


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
        name for name in TWO_CLASS_PLOTS if name != "convergence"
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


def _summarised(values_per_repeat: list[list[float]], key: str) -> list[dict[str, float]]:
    """Summary rows as the sweep makes them: mean, min and max of each configuration."""
    return [
        {
            f"{key}_mean": float(np.mean(values)),
            f"{key}_min": float(np.min(values)),
            f"{key}_max": float(np.max(values)),
        }
        for values in values_per_repeat
    ]


def test_spread_bars_of_identical_repeats_are_zero_not_negative():
    """Identical repeats (k = 1 keeps every row; logreg is deterministic) average to a mean
    a rounding error outside their own range: 0.7, 0.7, 0.7 to 0.7 - 1e-16."""
    from upweight._sweep._plots import _figure, spread_bars

    rows = _summarised([[0.7] * 3, [0.1] * 3, [0.2] * 3, [0.3] * 2, [1.0, 2.0, 4.0]], "m")
    assert rows[0]["m_mean"] < rows[0]["m_min"] and rows[1]["m_mean"] > rows[1]["m_max"]
    mean, yerr = spread_bars(rows, "m")
    assert yerr.shape == (2, 5) and (yerr >= 0).all()
    np.testing.assert_allclose(yerr[:, :4], 0, atol=1e-15)
    np.testing.assert_allclose(yerr[:, 4], [7 / 3 - 1, 4 - 7 / 3])
    np.testing.assert_array_equal(mean, [e["m_mean"] for e in rows])
    _figure().subplots().errorbar(np.arange(5), mean, yerr=yerr)  # matplotlib accepts them


def _breast_cancer_60_positives() -> tuple[np.ndarray, np.ndarray]:
    """Real-shaped data: raw, unscaled features (areas in the thousands next to
    fractions), the minority class (malignant) cut to 60 rows."""
    from sklearn.datasets import load_breast_cancer

    X, target = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    malignant = rng.choice(np.flatnonzero(target == 0), size=60, replace=False)
    rows = np.sort(np.concatenate([np.flatnonzero(target == 1), malignant]))
    return X[rows], (target[rows] == 0).astype(int)


@pytest.mark.parametrize(
    ("data", "repeats"),
    [("generated", 3), ("generated", 2), ("breast cancer", 3)],
)
def test_repeats_write_the_report_with_the_spread(small_data, data, repeats, tmp_path):
    """With several repeats the sweep used to stop after every fit, without a report."""
    shares = {}
    if data == "generated":
        X, y, factors = small_data.X[:6_000], small_data.y[:6_000], [1, 5]
    else:  # 60 positives: 12 each in validation and test
        X, y, factors = *_breast_cancer_60_positives(), [1, 3]
        shares = {"validation_size": 0.2, "test_size": 0.2}
    out = tmp_path / "out"
    result = upweight.sweep(
        X,
        y=y,
        factors=factors,
        model="logreg",
        repeats=repeats,
        convergence=data == "generated" and repeats == 3,
        convergence_batches=20,
        batch_size=16,
        outdir=out,
        cv=False,  # repeats of one split (cross-validation has its own test)
        **shares,
    )
    assert len(result.results) == repeats * len(result.summary)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "gives their spread as min to max" in html
    drawn = sorted(p.stem for p in (out / "plots").glob("*.png"))
    assert drawn == sorted(n for n in TWO_CLASS_PLOTS if n != "convergence" or result.convergence)
    # every configuration shows its range, k = 1 (identical repeats) as 'x to x'
    full = next(e for e in result.summary if e["factor"] == 1)
    loss = f"{full['val_log_loss_min']:.5f}"
    assert f'<span class="range">{loss} to {loss}</span>' in html
    shown = len(result.summary) - 2  # k = 1: one model, one row for its three corrections
    assert html.count('<span class="range">') >= shown * 11  # fit s: the fastest, no range


def test_log_axes_show_plain_numbers_not_markup(swept):
    """With math mode off (a $ in a label is a dollar), matplotlib's log tick labels showed
    their markup: '$\\mathdefault{10^{-2}}$'."""
    from upweight._sweep._plots import PLOTS, plain_log_ticks

    result, _ = swept
    for name, (_, draw) in PLOTS.items():
        if name == "reliability_classes" or (name == "convergence" and not result.convergence):
            continue
        fig = draw(result)
        plain_log_ticks(fig)
        fig.canvas.draw()
        for ax in fig.axes:
            for label in ax.get_xticklabels() + ax.get_yticklabels():
                assert "mathdefault" not in label.get_text(), (name, label.get_text())
