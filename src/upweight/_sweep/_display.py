"""Notebook display of a sweep: a short ``repr`` and compact HTML tables.

A :class:`SweepResult` holds thousands of figures; its repr names the model, the number
of configurations and the recommendation, and its HTML shows one row per configuration
(the summary over repeats), the best and the cheapest marked, with the recommendation's
words folded away. User text (the data's description, the model, class labels) is cut
and escaped (:mod:`upweight._display`). The objects only call these; nothing here
imports them.
"""

from __future__ import annotations

import html
import math
from typing import Any

from .._display import cut, cut_repr, html_table

__all__ = [
    "choice_repr",
    "recommendation_html",
    "recommendation_repr",
    "result_html",
    "result_repr",
]

#: Summary columns shown in HTML: (heading, summary key, format).
_COLUMNS = (
    ("val log loss", "val_log_loss_mean", ".5f"),
    ("test log loss", "test_log_loss_mean", ".5f"),
    ("test prediction bias", "test_prediction_bias_mean", "+.1f"),
    ("test average precision", "test_average_precision_mean", ".4f"),
    ("rows trained", "rows_trained_mean", ",.0f"),
    ("fit seconds", "fit_seconds_mean", ".3g"),
)


def _figure(value: Any, spec: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "n/a" if value is None else cut(value)
    return "n/a" if math.isnan(value) else format(value, spec)


def choice_repr(choice: Any) -> str:
    """``Choice('k=25, offset', model='logreg', val_log_loss=0.05123)``."""
    loss = _figure(choice.figures.get("val_log_loss"), ".5g")
    return f"Choice({choice.name!r}, model={cut_repr(choice.model, 60)}, val_log_loss={loss})"


def recommendation_repr(rec: Any) -> str:
    """``Recommendation(best='k=1 (all rows)', cheapest='k=25, offset', tolerance=0.01)``."""
    return (
        f"Recommendation(best={rec.best.name!r}, cheapest={rec.cheapest.name!r}, "
        f"tolerance={rec.tolerance:g})"
    )


def _choice_row(role: str, choice: Any) -> list[str]:
    f = choice.figures
    return [role, choice.name, cut(choice.model, 60)] + [
        _figure(f.get(key.removesuffix("_mean")), spec) for _, key, spec in _COLUMNS
    ]


def recommendation_html(rec: Any) -> str:
    """The best and the cheapest configuration in a table, then the recommendation's words."""
    table = html_table(
        ["", "configuration", "model", *(heading for heading, _, _ in _COLUMNS)],
        [_choice_row("best", rec.best), _choice_row("cheapest", rec.cheapest)],
        caption=f"Recommendation (within {rec.tolerance:.0%} of the best validation log loss)",
    )
    return table + _lines(rec.lines, folded=False)


def _lines(lines: Any, *, folded: bool) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    if not folded:
        return f"<ul>{items}</ul>"
    return f"<details><summary>Recommendation</summary><ul>{items}</ul></details>"


def _tail(path: str, limit: int = 80) -> str:
    """A long path cut at its start: its end names the folder."""
    return path if len(path) <= limit else f"...{path[3 - limit :]}"


def result_repr(result: Any) -> str:
    """``SweepResult(model='logreg', configurations=21, rows=21, best=..., cheapest=...)``."""
    rec = result.recommendation
    where = "" if result.outdir is None else f", outdir={_tail(str(result.outdir))!r}"
    return (
        f"SweepResult(model={cut_repr(result.settings.get('model'), 60)}, "
        f"configurations={len(result.summary)}, rows={len(result.results)}, "
        f"best={rec.best.name!r}, cheapest={rec.cheapest.name!r}{where})"
    )


def _role(entry: dict[str, Any], rec: Any) -> str:
    roles = [
        role
        for role, c in (("best", rec.best), ("cheapest", rec.cheapest))
        if (entry.get("model"), entry.get("factor"), entry.get("upweight"), entry.get("correction"))
        == (c.model, c.factor, c.upweight, c.correction)
    ]
    return ", ".join(roles)


def result_html(result: Any) -> str:
    """One row per configuration (best and cheapest marked), and the recommendation."""
    rec = result.recommendation
    order = sorted(
        result.summary,
        key=lambda e: (str(e.get("model")), e["factor"], e["correction"], e["upweight"] or 0),
    )
    rows = [
        [
            cut(entry.get("name", ""), 60),
            cut(entry.get("correction", ""), 20),
            cut(entry.get("model", ""), 60),
            _role(entry, rec),
            *(_figure(entry.get(key), spec) for _, key, spec in _COLUMNS),
        ]
        for entry in order
    ]
    s = result.settings
    caption = (
        f"SweepResult: {len(result.summary)} configurations of {cut(s.get('model', ''), 60)} on "
        f"{cut(s.get('data', 'the data'), 80)}, {s.get('repeats', 1)} repeat(s), "
        f"{result.split.get('train', {}).get('rows', 0):,} training rows"
        + (f", minority class {cut(s['minority'])}" if "minority" in s else "")
    )
    table = html_table(
        ["configuration", "correction", "model", "", *(heading for heading, _, _ in _COLUMNS)],
        rows,
        caption=caption,
    )
    return table + _lines(rec.lines, folded=True)
