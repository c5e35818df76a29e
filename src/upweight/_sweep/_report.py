"""The sweep's HTML report: one self-contained file (inline CSS, plots as data URIs).

It works offline: no script, font, style sheet or image is fetched from anywhere.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._choice import is_full
from ._metrics import METRICS
from ._models import model_name
from ._plots import PLOTS, render_plots

if TYPE_CHECKING:
    from ._outdir import OutputFolder
    from ._result import SweepResult

__all__ = ["render_html", "write_report"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1250px; color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em;
     border-bottom: 1px solid #ddd; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .88em; }
th, td { border: 1px solid #ddd; padding: .25em .55em; text-align: right; }
th { background: #f4f4f4; } td.name, th.name { text-align: left; }
tr.best td { background: #e8f4e8; } tr.cheap td { background: #eef3fb; }
.rec { background: #f7f9fc; border-left: 4px solid #1f77b4; padding: .6em 1em; }
.rec p { margin: .4em 0; }
img { max-width: 100%; height: auto; display: block; margin: .8em 0; border: 1px solid #eee; }
.small { color: #666; font-size: .85em; }
span.range { display: block; color: #666; font-size: .85em; white-space: nowrap; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text))


def _cell(value: Any) -> str:
    """A cell's text; a pair is a figure and, below it, its range over repeats."""
    if isinstance(value, tuple):
        figure, spread = value
        return f'{_e(figure)}<span class="range">{_e(spread)}</span>'
    return _e(value)


def _table(headers: list[str], rows: list[list[Any]], classes: list[str] | None = None) -> str:
    head = "".join(
        f'<th class="name">{_e(h)}</th>' if i == 0 else f"<th>{_e(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = []
    for i, row in enumerate(rows):
        css = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(
            f'<td class="name">{_cell(c)}</td>' if j == 0 else f"<td>{_cell(c)}</td>"
            for j, c in enumerate(row)
        )
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _fmt(metric: str, value: float) -> str:
    if metric == "prediction_bias":
        return f"{value:+.1f}%"
    if metric in ("log_loss", "brier", "ece"):
        return f"{value:.5f}"
    if metric == "fit_seconds":
        return f"{value:.3f}"
    return f"{value:.4f}"


def _spread(entry: dict[str, Any], key: str, metric: str, repeats: int) -> str | tuple[str, str]:
    """The mean over repeats; with several, also the lowest to the highest value."""
    mean = _fmt(metric, entry[f"{key}_mean"])
    if repeats == 1:
        return mean
    return mean, f"{_fmt(metric, entry[f'{key}_min'])} to {_fmt(metric, entry[f'{key}_max'])}"


def _same(entry: dict[str, Any], choice: Any) -> bool:
    if is_full(entry["factor"], entry["upweight"]):
        return is_full(choice.factor, choice.upweight) and entry["model"] == choice.model
    return all(
        entry[g] == getattr(choice, g) for g in ("model", "factor", "upweight", "correction")
    )


def _per_class_steps(s: dict[str, Any]) -> str:
    """Per-class factors given from Python, each under the k that names it, escaped."""
    steps = s.get("class_factors") or {}
    if not steps:
        return ""
    shown = "; ".join(
        f"k={k}: " + ", ".join(f"{c} {f:g}" for c, f in m.items()) for k, m in steps.items()
    )
    return f"per-class steps {_e(shown)} (other classes whole); "


def _model_and_columns(s: dict[str, Any]) -> list[str]:
    """The estimator as trained, and the columns it saw by kind, flagged ones marked."""
    parts = []
    if s.get("estimator"):
        parts.append(f"<p class='small'>Estimator: <code>{_e(s['estimator'])}</code></p>")
    columns = s.get("columns")
    if columns:
        flagged = s.get("flagged") or {}

        def names(kind: str) -> str:
            shown = [
                _e(n) + (f" <b>({_e(flagged[n])})</b>" if n in flagged else "")
                for n in columns.get(kind, [])
            ]
            return ", ".join(shown) or "none"

        parts.append(
            f"<p class='small'>Columns: numeric {names('numeric')}; categorical "
            f"{names('categorical')}; left out {names('dropped')}.</p>"
        )
    return parts


def _per_class_section(result: SweepResult, plots: dict[str, Path]) -> list[str]:
    """Several classes: the recommended configurations' test figures per class."""
    if len(result.settings.get("classes", ())) <= 2:
        return []
    rec = result.recommendation
    parts = [
        "<h2>Figures per class</h2>",
        "<p class='small'>Each class against the rest, on the test split, for the "
        "recommended configurations (first repeat). The overall figures above are the "
        "multi-class log loss and Brier score, the prediction bias of the class furthest "
        "off, and the macro averages over classes of the others.</p>",
    ]
    for title, choice in (("best", rec.best), ("cheapest", rec.cheapest)):
        row = next(
            (
                r
                for r in result.results
                if r.get("per_class")
                and all(r[g] == getattr(choice, g) for g in ("factor", "upweight", "correction"))
            ),
            None,
        )
        if row is None:
            continue
        table = row["per_class"]
        names = list(table["rows_trained"])
        parts.append(f"<h3>{_e(title)}: {_e(choice.name)}</h3>")
        parts.append(
            _table(
                [
                    "class",
                    "factor",
                    "rows trained",
                    "prediction bias",
                    "AP",
                    "ROC AUC",
                    "recall at precision",
                ],
                [
                    [
                        name,
                        f"{table.get('factor', {}).get(name, 1.0):.3g}",
                        f"{table['rows_trained'][name]:,}",
                        f"{table['test_prediction_bias'][name]:+.1f}%",
                        f"{table['test_average_precision'][name]:.4f}",
                        f"{table['test_roc_auc'][name]:.4f}",
                        f"{table['test_recall_at_precision'][name]:.4f}",
                    ]
                    for name in names
                ],
            )
        )
    if "reliability_classes" in plots:
        parts.append(_img(plots["reliability_classes"], PLOTS["reliability_classes"][0]))
    return parts


def _convergence_section(result: SweepResult, plots: dict[str, Path]) -> list[str]:
    """The convergence runs: their table and plot, or why they were not measured."""
    s = result.settings
    parts = ["<h2>Convergence</h2>"]
    if result.convergence:
        parts.append(
            f"<p class='small'>Minibatch training (batches of {s['batch_size']}, "
            f"{s['convergence_batches']} batches per run, the same for every factor): validation "
            "log loss against examples seen and against the time spent in training steps, "
            "and the share of batches that held no minority example, next to the profile's "
            "prediction.</p>"
        )
        conv = result.convergence_summary()
        parts.append(
            _table(
                [
                    "run",
                    "final val log loss",
                    "examples to target",
                    "seconds to target",
                    "batches without minority",
                    "predicted",
                ],
                [
                    [
                        f"{c['learner']}, k={c['factor']:g}, {c['correction']}",
                        f"{c['final_log_loss']:.5f}",
                        "not reached"
                        if c["examples_to_target"] is None
                        else f"{c['examples_to_target']:,}",
                        "" if c["seconds_to_target"] is None else f"{c['seconds_to_target']:.3f}",
                        f"{100 * c['share_without_minority']:.1f}%",
                        f"{100 * c['predicted_share_without_minority']:.1f}%",
                    ]
                    for c in conv
                ],
            )
        )
        parts.append(
            "<p class='small'>Target: within 2% (or the tolerance, if larger) of the lowest "
            "final validation log loss of the same learner and correction.</p>"
        )
        if "convergence" in plots:
            parts.append(_img(plots["convergence"], PLOTS["convergence"][0]))
    else:
        skipped = (s.get("convergence") or {}).get("skipped")
        parts.append(
            f"<p>Not measured: {_e(skipped)}.</p>"
            if skipped
            else "<p>Not measured (convergence=False, --no-convergence).</p>"
        )
    return parts


def _scheme_words(s: dict[str, Any]) -> list[str]:
    """How rows were held out, and what "cheapest" measured."""
    scheme = s.get("scheme")
    if not scheme:
        return []
    cost = (
        "least fit time (the fastest of several timings of a fit under a second; within "
        "10% is a tie, broken by rows trained)"
        if s.get("cost", "time") == "time"
        else "fewest rows trained"
    )
    return [
        f"<p class='small'>Held out: {_e(scheme['text'])} ({_e(scheme['why'])}). "
        f"Cheapest means {cost}.</p>"
    ]


def _versus_best(e: dict[str, Any], best: float) -> str:
    """The difference from the best validation log loss, with its 95 % interval."""
    if "val_log_loss_vs_best_lo" not in e:
        return ""
    if best > 0:
        return (
            f"{100 * e['val_log_loss_vs_best'] / best:+.1f}% "
            f"[{100 * e['val_log_loss_vs_best_lo'] / best:+.1f}, "
            f"{100 * e['val_log_loss_vs_best_hi'] / best:+.1f}]"
        )
    low, high = e["val_log_loss_vs_best_lo"], e["val_log_loss_vs_best_hi"]
    return f"{e['val_log_loss_vs_best']:+.3g} [{low:+.3g}, {high:+.3g}]"


def render_html(result: SweepResult, plots: dict[str, Path]) -> str:
    """The report as one HTML string, plots inlined."""
    s = result.settings
    prof = result.profile
    rec = result.recommendation
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>upweight sweep: {_e(s['data'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>upweight sweep: {_e(s['data'])}</h1>",
        f"<p class='small'>Model: {_e(model_name(s['model']))}; factors "
        f"{_e(', '.join(f'{k:g}' for k in s['factors']))}; corrections "
        f"{_e(', '.join(s['corrections']))}; upweights {_e(', '.join(map(str, s['upweights'])))}; "
        f"{_per_class_steps(s)}"
        f"{s['repeats']} repeat(s); seed {s['seed']}. Every figure is measured on data that was "
        "not downsampled (the true distribution).</p>",
        *_scheme_words(s),
        *_model_and_columns(s),
        "<h2>Recommendation</h2><div class='rec'>",
        *(f"<p>{_e(line)}</p>" for line in rec.lines),
        "</div>",
        "<h2>Data set profile</h2>",
    ]
    shares = prof.shares
    rows_by_class = []
    for c, n in zip(prof.classes, prof.counts, strict=True):
        role = "majority" if c == prof.majority else "minority"
        parts_held = [
            result.split[part]["classes"][str(c)]
            if "classes" in result.split[part]
            else result.split[part][role]
            for part in ("train", "validation", "test")
        ]
        rows_by_class.append(
            [f"{c} ({role})", f"{n:,}", f"{100 * shares[c]:.3f}%"] + [f"{h:,}" for h in parts_held]
        )
    parts.append(
        _table(["class", "rows", "share", "training", "validation", "test"], rows_by_class)
    )
    view = prof.batch
    if view is not None:
        parts.append(
            f"<p>{prof.n_rows:,} rows. Severity: {_e(prof.severity)}; imbalance ratio "
            f"{prof.imbalance_ratio:,.1f} : 1. "
            f"Batches of {view.batch_size} hold {view.expected:.3g} minority example(s) on "
            f"average; {100 * view.p_none:.1f}% of them hold none.</p>"
        )
    if "profile" in plots:
        parts.append(_img(plots["profile"], PLOTS["profile"][0]))

    parts.append("<h2>Results</h2>")
    parts.append(
        "<p class='small'>Means over repeats and folds. With several, the line below a mean "
        "gives their spread as min to max: the lowest and the highest value "
        "(the range the plots' bars show). fit s: the fastest timing of the fit (the cost). "
        "vs best: the difference from the best validation log loss, with its 95% interval "
        "(a paired bootstrap over rows). "
        f"Recall at precision {s['precision']:g}. Green: best validation log loss; blue: the "
        f"cheapest within {s['tolerance']:.0%} of it. Peak memory: resident memory "
        "the configuration added while its rows were selected and loaded, plus what the fit "
        "added on top.</p>"
    )
    order = sorted(
        result.summary,
        key=lambda e: (
            e["factor"],
            e["correction"] != "upweight",
            e["correction"],
            e["upweight"] or 0,
        ),
    )
    full = [e for e in order if is_full(e["factor"], e["upweight"])]
    order = [e for e in order if e not in full[1:]]  # k = 1: one model, one row
    headers = ["configuration", "rows trained", "fit s", "peak MB", "disk MB"]
    headers += [f"val {METRICS[m][0]}" for m in METRICS]
    headers += ["val log loss vs best [95%]"]
    headers += ["test log loss", "test bias", "test AP", "test ROC AUC"]
    best_loss = min(e["val_log_loss_mean"] for e in order)
    rows, classes = [], []
    for e in order:
        r = s["repeats"]
        row = [
            e["name"] + (" (shared fit)" if e["fit_shared"] else ""),
            f"{int(e['rows_trained_mean']):,}",
            f"{e.get('fit_seconds_min', e['fit_seconds_mean']):.3g}",
            f"{e['peak_memory_mb_mean']:.0f}",
            f"{e['disk_bytes_mean'] / 1e6:.2f}",
        ]
        row += [_spread(e, f"val_{m}", m, r) for m in METRICS]
        row += [_versus_best(e, best_loss)]
        row += [
            _spread(e, "test_log_loss", "log_loss", r),
            _spread(e, "test_prediction_bias", "prediction_bias", r),
            _spread(e, "test_average_precision", "average_precision", r),
            _spread(e, "test_roc_auc", "roc_auc", r),
        ]
        rows.append(row)
        classes.append("best" if _same(e, rec.best) else "cheap" if _same(e, rec.cheapest) else "")
    if any(e.get("warnings") for e in order):
        headers.append("warnings")
        for row, e in zip(rows, order, strict=True):
            count = e.get("warnings") or 0
            row.append(f"{count}: {e['first_warning']}" if count else "")
    parts.append(_table(headers, rows, classes))
    if any(e.get("warnings") for e in order):
        parts.append(
            "<p class='small'>Warnings: how many the model's fits and predictions raised "
            "(over repeats), and the first; they are kept here, not printed while the sweep "
            "runs.</p>"
        )
    for name in ("intervals", "metrics_validation", "metrics_test"):
        if name in plots:
            parts.append(f"<h3>{_e(PLOTS[name][0])}</h3>" + _img(plots[name], PLOTS[name][0]))
    parts.append("<h2>Calibration and ranking</h2>")
    for name in ("reliability", "precision_recall"):
        if name in plots:
            parts.append(f"<h3>{_e(PLOTS[name][0])}</h3>" + _img(plots[name], PLOTS[name][0]))
    parts += _per_class_section(result, plots)

    parts += _convergence_section(result, plots)

    parts.append("<h2>Cost</h2>")
    if "fit_time" in plots:
        parts.append(_img(plots["fit_time"], PLOTS["fit_time"][0]))
    timing_rows = [[stage, f"{seconds:.2f}"] for stage, seconds in result.timings.items()]
    parts.append(_table(["stage", "seconds"], timing_rows))
    parts.append(
        "<p class='small'>Written by upweight; results.parquet holds one row per "
        "configuration and repeat.</p></body></html>"
    )
    return "\n".join(parts)


def write_report(result: SweepResult, folder: OutputFolder) -> Path:
    """Draw the plots into ``plots/`` and write ``report.html``, in an opened output folder."""
    plots = render_plots(result, folder)
    html = render_html(result, plots)

    def fill(tmp: Path) -> None:
        tmp.write_text(html, encoding="utf-8")

    return folder.write("report.html", fill)
