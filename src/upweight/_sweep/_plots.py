"""The sweep's plots, drawn from a :class:`SweepResult` with matplotlib's Agg canvas.

matplotlib is imported here only, inside the functions, so importing upweight never
pulls it in. The plots are only written to files: each figure is a
:class:`matplotlib.figure.Figure` on its own Agg canvas, never one of pyplot's, so the
backend the user chose (``MPLBACKEND``, ``matplotlib.use``) is neither used nor changed,
and an invalid one does not stop the report.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._metrics import METRICS

if TYPE_CHECKING:
    from ._outdir import OutputFolder
    from ._result import SweepResult

__all__ = ["PLOTS", "PLOT_CONDITIONS", "plain_log_ticks", "render_plots", "spread_bars"]

_COLORS = {"upweight": "#1f77b4", "offset": "#2ca02c", "none": "#d62728"}
_DPI = 100


def _import_matplotlib() -> Any:
    """matplotlib, imported even where ``MPLBACKEND`` names no backend.

    matplotlib refuses to import when ``MPLBACKEND`` is not a backend it knows; the plots
    never use the backend, so such a value is left out of the import. A valid one is
    applied as matplotlib itself would, so that a user's later pyplot session is as if
    upweight had not imported matplotlib first.
    """
    if "matplotlib" in sys.modules or not os.environ.get("MPLBACKEND"):
        import matplotlib

        return matplotlib
    chosen = os.environ.pop("MPLBACKEND")
    try:
        import matplotlib
    finally:
        os.environ["MPLBACKEND"] = chosen
    from matplotlib import rcsetup

    with contextlib.suppress(ValueError):  # not a backend: pyplot would refuse it anyway
        matplotlib.rcParams["backend"] = rcsetup.validate_backend(chosen)
    return matplotlib


def _figure(**kwargs: Any) -> Any:
    """A new figure on an Agg canvas (written to files only; pyplot never sees it)."""
    _import_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _series(result: SweepResult) -> dict[tuple[str, float | None], list[dict[str, Any]]]:
    """Summary rows per (correction, upweight-or-None for 'the factor'), ordered by factor."""
    lines: dict[tuple[str, float | None], list[dict[str, Any]]] = {}
    for e in result.summary:
        fixed = None if e["upweight"] in (None, e["factor"]) else e["upweight"]
        lines.setdefault((e["correction"], fixed), []).append(e)
    for rows in lines.values():
        rows.sort(key=lambda e: e["factor"])
    return lines


def spread_bars(rows: list[dict[str, Any]], key: str) -> tuple[Any, Any]:
    """Means of ``key`` over repeats, and error bars from the lowest to the highest value.

    Returns ``(mean, yerr)`` for :meth:`matplotlib.axes.Axes.errorbar`: ``yerr`` holds the
    distances below and above each mean, never negative. A mean may lie outside its own
    range by a rounding error (three identical values 0.7 average to 0.7 - 1e-16, as
    repeats do where nothing is drawn at random: k = 1 keeps every row), and matplotlib
    refuses a negative distance; such a distance is 0.
    """
    mean = np.array([e[f"{key}_mean"] for e in rows], dtype=np.float64)
    low = np.array([e[f"{key}_min"] for e in rows], dtype=np.float64)
    high = np.array([e[f"{key}_max"] for e in rows], dtype=np.float64)
    yerr = np.clip(np.stack([mean - low, high - mean]), 0.0, None)
    return mean, yerr


def _legend(ax: Any, ncol: int = 1) -> None:
    """A legend, where the plot has labelled lines (matplotlib warns of an empty one)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, ncol=ncol)


def _line_label(correction: str, fixed: float | None) -> str:
    if correction == "upweight":
        return "upweighted by k" if fixed is None else f"upweighted by {fixed:g}"
    return "offset" if correction == "offset" else "no correction"


def _style(correction: str, fixed: float | None) -> dict[str, Any]:
    return {
        "color": _COLORS[correction] if fixed is None else None,
        "marker": "o",
        "linestyle": "-" if fixed is None else ":",
    }


def _metrics_figure(result: SweepResult, split: str) -> Any:
    fig = _figure(figsize=(16, 7.5))
    axes = fig.subplots(2, 4)
    series = _series(result)
    for ax, (metric, (title, lower)) in zip(axes.flat, METRICS.items(), strict=False):
        for (correction, fixed), rows in series.items():
            k = np.array([e["factor"] for e in rows])
            mean, yerr = spread_bars(rows, f"{split}_{metric}")
            ax.errorbar(
                k,
                mean,
                yerr=yerr,
                capsize=3,
                label=_line_label(correction, fixed),
                **_style(correction, fixed),
            )
        ax.set_xscale("log")
        ax.set_xlabel("downsampling factor k")
        ax.set_title(f"{title} ({'lower' if lower else 'higher'} is better)", fontsize=10)
        if metric == "prediction_bias":
            ax.axhline(0, color="grey", linewidth=0.8)
            if any(abs(e[f"{split}_prediction_bias_mean"]) > 100 for e in result.summary):
                ax.set_yscale("symlog", linthresh=10)
        if metric in ("log_loss", "brier"):
            corrected = [
                e[f"{split}_{metric}_max"] for e in result.summary if e["correction"] != "none"
            ]
            lowest = min(e[f"{split}_{metric}_min"] for e in result.summary)
            if corrected:
                top = max(corrected)
                ax.set_ylim(lowest - 0.05 * (top - lowest + 1e-12), top + 0.3 * (top - lowest))
                ax.text(
                    0.02,
                    0.96,
                    "(y axis cut to the corrected configurations)",
                    transform=ax.transAxes,
                    fontsize=7,
                    va="top",
                )
    last = axes.flat[-1]
    handles, labels = axes.flat[0].get_legend_handles_labels()
    last.axis("off")
    last.legend(handles, labels, loc="center", title="correction")
    spread = "min to max over repeats" if result.settings["repeats"] > 1 else "one repeat"
    fig.suptitle(
        f"{'Validation' if split == 'val' else 'Test'} split (true distribution), "
        f"{result.settings['model']}; bars: {spread}"
    )
    fig.tight_layout()
    return fig


def _profile_figure(result: SweepResult) -> Any:
    from .._plan import towards_smallest
    from .._profile import profile

    prof = result.profile
    fig = _figure(figsize=(12, 4.2))
    left, right = fig.subplots(1, 2)
    labels = [_short(c, 16) for c in prof.classes]
    colors = ["#999999" if c == prof.majority else "#d62728" for c in prof.classes]
    bars = left.bar(range(len(labels)), prof.counts, color=colors, tick_label=labels)
    if len(labels) > 3:
        left.tick_params(axis="x", labelrotation=30)
    left.set_yscale("log")
    left.set_title(f"class counts ({prof.n_rows:,} rows, severity {prof.severity})")
    for bar, count in zip(bars, prof.counts, strict=True):
        left.annotate(f"{count:,}", (bar.get_x() + bar.get_width() / 2, count), ha="center")
    size = result.settings["batch_size"]
    minority = result.settings["minority"]
    train = result.split["train"]
    counts: dict[Any, int] = train.get("classes") or {
        result.settings["majority"]: train["majority"],
        minority: train["minority"],
    }
    if "classes" in train:  # several classes: keyed by name, the smallest among them
        minority = str(minority)
    ks = np.unique(np.geomspace(1, max(result.settings["factors"]) * 2, 40).round())
    none_share, expected = [], []
    for k in ks:
        factors = towards_smallest(counts, float(k))
        if not isinstance(factors, dict):  # two classes: the majority's
            factors = {c: float(k) for c in counts if c != minority}
        kept = {c: max(1, round(n / factors.get(c, 1.0))) for c, n in counts.items()}
        view = profile(kept).batch_view(size, label=minority)
        none_share.append(view.p_none)
        expected.append(view.expected)
    right.plot(ks, none_share, color="#d62728", label="batches with no minority example")
    right.set_xscale("log")
    right.set_ylim(0, 1)
    right.set_xlabel("downsampling factor k")
    right.set_ylabel("share of batches")
    twin = right.twinx()
    twin.plot(ks, expected, color="#1f77b4", linestyle="--", label="minority examples per batch")
    twin.set_ylabel("minority examples per batch")
    for k in result.settings["factors"]:
        right.axvline(k, color="#dddddd", linewidth=0.8, zorder=0)
    right.set_title(f"batch composition, batches of {size} (training split)")
    handles = right.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    right.legend(handles[0] + more[0], handles[1] + more[1], loc="center right", fontsize=8)
    fig.tight_layout()
    return fig


def _highlighted(result: SweepResult) -> list[dict[str, Any]]:
    """Configurations whose curves are drawn: k = 1, and the recommended factors."""
    rec = result.recommendation
    factors = sorted({1.0, rec.best.factor, rec.cheapest.factor})
    chosen = []
    for e in result.summary:
        if e["factor"] not in factors:
            continue
        if e["correction"] == "upweight" and e["upweight"] != e["factor"]:
            continue
        if e["factor"] == 1 and e["correction"] != result.summary[0]["correction"]:
            continue  # at k = 1 every correction is the same model
        chosen.append(e)
    return chosen


def _first_repeat_id(result: SweepResult, entry: dict[str, Any]) -> str | None:
    for row in result.results:
        if all(row[g] == entry[g] for g in ("model", "factor", "upweight", "correction")):
            return str(row["config_id"])
    return None


def _curve_style(entry: dict[str, Any], largest: float) -> dict[str, Any]:
    if entry["factor"] == 1:
        return {"color": "black", "linestyle": "-"}
    return {
        "color": _COLORS[entry["correction"]],
        "linestyle": "-" if entry["factor"] == largest else "--",
    }


def _short(label: Any, limit: int) -> str:
    """A class label as text of at most ``limit`` characters, cut with an ellipsis."""
    text = str(label)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _of_smallest(result: SweepResult) -> str:
    """With several classes, which class a one-class curve is of: the smallest."""
    if len(result.settings.get("classes", ())) <= 2:
        return ""
    name = str(result.settings.get("minority"))
    return f", class {_short(name, 20)}"


def _reliability_figure(result: SweepResult) -> Any:
    chosen = _highlighted(result)
    largest = max((e["factor"] for e in chosen), default=1.0)
    fig = _figure(figsize=(12, 5))
    axes = fig.subplots(1, 2)
    top = 0.0
    for entry in chosen:
        curve = result.curves.get(_first_repeat_id(result, entry) or "")
        if not curve:
            continue
        pred, obs = curve["reliability_predicted"], curve["reliability_observed"]
        top = max(top, max(pred), max(obs))
        for ax in axes:
            ax.plot(pred, obs, marker="o", label=entry["name"], **_curve_style(entry, largest))
    for ax, scale in zip(axes, ("linear", "log"), strict=True):
        lo = 1e-4 if scale == "log" else 0
        ax.plot([lo, top], [lo, top], color="grey", linewidth=0.8, label="perfectly calibrated")
        ax.set_xscale(scale)
        ax.set_yscale(scale)
        ax.set_xlabel("mean predicted probability (bins of equal size)")
        ax.set_ylabel("observed rate")
        ax.set_title(f"reliability on the test split ({scale} axes){_of_smallest(result)}")
    _legend(axes[0])
    fig.tight_layout()
    return fig


def _classes_figure(result: SweepResult) -> Any:
    """Several classes: each class's reliability curve (against the rest), log axes."""
    chosen = _highlighted(result)
    largest = max((e["factor"] for e in chosen), default=1.0)
    classes = [str(c) for c in result.settings.get("classes", [])]
    ncols = min(4, len(classes))
    nrows = -(-len(classes) // ncols)
    fig = _figure(figsize=(4.5 * ncols, 4.2 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(classes) :]:
        ax.set_visible(False)
    for ax, name in zip(axes, classes, strict=False):
        low, top = 1.0, 0.0
        for entry in chosen:
            curve = (result.curves.get(_first_repeat_id(result, entry) or "") or {}).get(
                "per_class", {}
            )
            points = curve.get(name)
            if not points:
                continue
            pred, obs = points["reliability_predicted"], points["reliability_observed"]
            shown = [(p, o) for p, o in zip(pred, obs, strict=True) if p > 0 and o > 0]
            if not shown:
                continue
            low = min(low, *(min(pair) for pair in shown))
            top = max(top, *(max(pair) for pair in shown))
            ax.plot(*zip(*shown, strict=True), marker="o", label=entry["name"],
                    **_curve_style(entry, largest))  # fmt: skip
        if top > 0:
            ax.plot([low, top], [low, top], color="grey", linewidth=0.8, label="calibrated")
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set_xlabel("mean predicted probability")
        ax.set_ylabel("observed rate")
        ax.set_title(_short(name, 28), fontsize=10)
    _legend(axes[0])
    fig.suptitle("Each class against the rest, on the test split (log axes)", fontsize=11)
    fig.tight_layout()
    return fig


def _pr_figure(result: SweepResult) -> Any:
    chosen = _highlighted(result)
    largest = max((e["factor"] for e in chosen), default=1.0)
    fig = _figure(figsize=(7, 5))
    ax = fig.subplots()
    for entry in chosen:
        curve = result.curves.get(_first_repeat_id(result, entry) or "")
        if not curve:
            continue
        ax.plot(
            curve["pr_recall"],
            curve["pr_precision"],
            label=f"{entry['name']} (AP {entry['test_average_precision_mean']:.3f})",
            **_curve_style(entry, largest),
        )
    ax.axhline(result.settings["precision"], color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(f"precision-recall on the test split{_of_smallest(result)}")
    _legend(ax)
    fig.tight_layout()
    return fig


def _convergence_figure(result: SweepResult) -> Any:
    learners = sorted({r["learner"] for r in result.convergence})
    corrections = [
        c
        for c in ("upweight", "offset", "none")
        if any(r["correction"] == c for r in result.convergence)
    ]
    rows = len(learners) * len(corrections)
    fig = _figure(figsize=(17, 4.3 * rows))
    axes = fig.subplots(rows, 3, squeeze=False)
    cmap = _import_matplotlib().colormaps["viridis"]
    factors = sorted({r["factor"] for r in result.convergence})
    color = {k: cmap(i / max(1, len(factors) - 1)) for i, k in enumerate(factors)}
    row = 0
    for learner in learners:
        for correction in corrections:
            runs = sorted(
                (
                    r
                    for r in result.convergence
                    if r["learner"] == learner and r["correction"] == correction
                ),
                key=lambda r: r["factor"],
            )
            ex_ax, t_ax, bar_ax = axes[row]
            finals = [r["val_log_loss"][-1] for r in runs]
            for r in runs:
                ex_ax.plot(
                    r["examples"],
                    r["val_log_loss"],
                    color=color[r["factor"]],
                    label=f"k={r['factor']:g}",
                )
                t_ax.plot(
                    r["seconds"],
                    r["val_log_loss"],
                    color=color[r["factor"]],
                    label=f"k={r['factor']:g}",
                )
            name = "SGDClassifier" if learner == "sgd" else "PyTorch MLP"
            for ax, xlabel in ((ex_ax, "examples seen"), (t_ax, "seconds in training steps")):
                ax.set_xscale("log")
                ax.set_xlabel(xlabel)
                ax.set_ylabel("validation log loss")
                if finals:
                    lo = min(min(r["val_log_loss"]) for r in runs)
                    ax.set_ylim(lo * 0.97, max(finals) * 1.6)
                ax.set_title(f"{name}, {_line_label(correction, None)}")
            _legend(ex_ax, ncol=2)
            x = np.arange(len(runs))
            seen = [r["batches_without_minority"] / r["batches"] for r in runs]
            predicted = [r["predicted_share_without_minority"] for r in runs]
            bar_ax.bar(x - 0.2, seen, width=0.4, label="seen", color="#d62728")
            bar_ax.bar(x + 0.2, predicted, width=0.4, label="predicted (profile)", color="#999999")
            bar_ax.set_xticks(x, [f"k={r['factor']:g}" for r in runs])
            bar_ax.set_ylim(0, 1)
            bar_ax.set_title(f"batches of {result.settings['batch_size']} with no minority example")
            _legend(bar_ax)
            row += 1
    fig.tight_layout()
    return fig


def _fit_time_figure(result: SweepResult) -> Any:
    fig = _figure(figsize=(12, 4.2))
    left, right = fig.subplots(1, 2)
    for (correction, fixed), rows in _series(result).items():
        if correction == "none" and any(c == "offset" for c, _ in _series(result)):
            continue  # the same fits as the offset
        k = np.array([e["factor"] for e in rows])
        mean, yerr = spread_bars(rows, "fit_seconds")
        left.errorbar(
            k,
            mean,
            yerr=yerr,
            capsize=3,
            label=_line_label(correction, fixed) if correction != "offset" else "no weights",
            **_style(correction, fixed),
        )
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("downsampling factor k")
    left.set_ylabel("fit seconds")
    left.set_title(f"fit time ({result.settings['model']})")
    _legend(left)
    first = {e["factor"]: e for e in result.summary}
    ks = sorted(first)
    right.plot(ks, [first[k]["rows_trained_mean"] for k in ks], marker="o", label="rows trained")
    right.plot(
        ks,
        [first[k]["disk_bytes_mean"] / 1e6 * 1e3 for k in ks],
        marker="s",
        label="Parquet kB on disk",
    )
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("downsampling factor k")
    right.set_title("training data kept")
    _legend(right)
    fig.tight_layout()
    return fig


def _intervals_figure(result: SweepResult) -> Any:
    """Each configuration's validation log loss against the best's, with its 95 % interval."""
    fig = _figure(figsize=(9, 5))
    ax = fig.subplots()
    best = min(e["val_log_loss_mean"] for e in result.summary)
    scale = 100 / best if best > 0 else 1.0
    unit = "%" if best > 0 else ""
    series = _series(result)
    offsets = np.linspace(-0.04, 0.04, max(len(series), 1))
    for shift, ((correction, fixed), rows) in zip(offsets, series.items(), strict=True):
        k = np.array([e["factor"] for e in rows]) * 10**shift  # side by side, not on top
        mid = np.array([e["val_log_loss_mean"] - best for e in rows]) * scale
        if all("val_log_loss_vs_best_lo" in e for e in rows):
            low = np.array([e["val_log_loss_vs_best_lo"] for e in rows]) * scale
            high = np.array([e["val_log_loss_vs_best_hi"] for e in rows]) * scale
            yerr = np.clip(np.stack([mid - low, high - mid]), 0.0, None)
        else:
            yerr = None
        ax.errorbar(
            k,
            mid,
            yerr=yerr,
            capsize=3,
            label=_line_label(correction, fixed),
            **_style(correction, fixed),
        )
    tolerance = 100 * result.settings["tolerance"] if unit else result.settings["tolerance"] * best
    ax.axhspan(0, tolerance, color="#2ca02c", alpha=0.15, label="within the tolerance")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xscale("log")
    factors = sorted({e["factor"] for e in result.summary})
    ax.set_xticks(factors, [f"{k:g}" for k in factors])
    ax.minorticks_off()
    corrected = [
        e.get("val_log_loss_vs_best_hi", 0.0) for e in result.summary if e["correction"] != "none"
    ]
    if corrected:
        top = max(max(corrected) * scale, tolerance * 3)
        ax.set_ylim(-top * 0.3, top * 1.1)
    ax.set_xlabel("downsampling factor k")
    ax.set_ylabel(f"validation log loss minus the best's ({unit or 'difference'})")
    scheme = result.settings.get("scheme", {}).get("text", "")
    ax.set_title(
        f"Against the best, with 95% intervals (paired bootstrap over rows){chr(10)}{scheme}",
        fontsize=10,
    )
    _legend(ax)
    fig.tight_layout()
    return fig


PLOTS = {
    "profile": ("Data set profile and batch composition", _profile_figure),
    "intervals": ("Validation log loss against the best, with 95% intervals", _intervals_figure),
    "metrics_validation": (
        "Metrics against factor: validation",
        lambda r: _metrics_figure(r, "val"),
    ),
    "metrics_test": ("Metrics against factor: test", lambda r: _metrics_figure(r, "test")),
    "reliability": ("Reliability (calibration) curves", _reliability_figure),
    "reliability_classes": ("Reliability per class", _classes_figure),
    "precision_recall": ("Precision-recall curves", _pr_figure),
    "convergence": ("Convergence of minibatch training", _convergence_figure),
    "fit_time": ("Fit time and training data against factor", _fit_time_figure),
}


def plain_log_ticks(fig: Any) -> None:
    """Tick labels of log axes as plain numbers (0.01, 1e-05).

    matplotlib writes them in math mode (``$10^{-2}$`` markup), which the plots
    turn off so that a ``$`` in a label stays a dollar sign: the labels would show the
    markup itself.
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    plain = FuncFormatter(lambda value, _position: f"{value:g}")
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() in ("log", "symlog"):
                axis.set_major_formatter(plain)
                axis.set_minor_formatter(NullFormatter())


#: Plots drawn only when the sweep has what they show: convergence runs, several classes.
PLOT_CONDITIONS = {"convergence": "convergence", "reliability_classes": "classes"}


def _drawn(name: str, result: SweepResult) -> bool:
    wanted = PLOT_CONDITIONS.get(name)
    if wanted == "convergence":
        return bool(result.convergence)
    if wanted == "classes":
        return len(result.settings.get("classes", ())) > 2
    return True


def render_plots(result: SweepResult, folder: OutputFolder) -> dict[str, Path]:
    """Draw every plot into ``plots/`` as PNG; return name -> path (convergence if measured).

    Text is drawn as it is: a ``$`` in a label or a column name is a dollar sign, not
    matplotlib's math mode. Each file is written to a temporary and renamed into place.
    """
    matplotlib = _import_matplotlib()
    written = {}
    with matplotlib.rc_context({"text.parse_math": False}):
        for name, (_, draw) in PLOTS.items():
            if not _drawn(name, result):
                continue
            fig = draw(result)
            plain_log_ticks(fig)
            fig.tight_layout()  # again: the raw markup made the labels wide, the axes narrow

            def fill(tmp: Path, fig: Any = fig) -> None:
                fig.savefig(tmp, format="png", dpi=_DPI)

            written[name] = folder.write(f"plots/{name}.png", fill)
    return written
