"""Notebook display: a short ``repr`` and a compact HTML table for the package's objects.

A repr stays a few lines whatever the data (thousands of classes, long labels): long
lists show their ends and a count, long text is cut. Every piece of user text that goes
into HTML (class labels, model descriptions) is escaped with :func:`html.escape`.
The objects (:class:`~upweight.ImbalanceProfile`, :class:`~upweight.SamplingPlan`) only
call these; nothing here imports them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from ._console import fmt_int, fmt_label, fmt_number, fmt_share

__all__ = [
    "cut",
    "cut_repr",
    "ends",
    "fmt_factor",
    "html_table",
    "plan_html",
    "plan_repr",
    "profile_html",
    "profile_repr",
]

#: Items shown at each end of a long list in a repr, and of a long table in HTML.
REPR_ENDS = 3
HTML_ENDS = 10


def cut(value: Any, limit: int = 40) -> str:
    """``value`` as text on one line (control characters escaped), cut to ``limit``."""
    text = fmt_label(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def cut_repr(value: Any, limit: int = 30) -> str:
    """``repr(value)``, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def fmt_factor(x: float) -> str:
    """A factor in a message, as it would be typed: ``9``, ``24.75``, ``108.9``."""
    return str(int(x)) if float(x).is_integer() else f"{x:.4g}"


def ends(items: Sequence[Any], n: int) -> tuple[list[Any], int]:
    """The first and last ``n`` of ``items`` (all when they are few), and how many are left out."""
    if len(items) <= 2 * n + 1:
        return list(items), 0
    return [*items[:n], *items[-n:]], len(items) - 2 * n


def _joined(parts: Sequence[str], n: int = REPR_ENDS) -> str:
    shown, hidden = ends(parts, n)
    if hidden:
        shown = [*shown[:n], f"... {hidden:,} more", *shown[n:]]
    return ", ".join(shown)


def html_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    caption: str | None = None,
    note: str | None = None,
) -> str:
    """A compact HTML table; every cell, the caption and the note escaped.

    A long table shows its first and last rows and a line saying how many are left out.

    Examples
    --------
    >>> from upweight._display import html_table
    >>> html_table(["class", "rows"], [["<b>x</b>", 3]])
    '<table><thead><tr><th>class</th><th>rows</th></tr></thead><tbody><tr><td>&lt;b&gt;x&lt;/b&gt;</td><td>3</td></tr></tbody></table>'
    """
    shown, hidden = ends(rows, HTML_ENDS)
    body = []
    for i, row in enumerate(shown):
        if hidden and i == HTML_ENDS:
            body.append(f"<tr><td colspan='{len(header)}'>... {hidden:,} more rows</td></tr>")
        body.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    top = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    head = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"
    table = f"<table>{top}<thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"
    return table + (f"<p>{html.escape(note)}</p>" if note else "")


# -- ImbalanceProfile --------------------------------------------------------------------------
def profile_repr(prof: Any) -> str:
    """``ImbalanceProfile(rows=..., classes={label: rows, ...}, severity=...)``."""
    classes = _joined(
        [f"{cut_repr(c)}: {n:,}" for c, n in zip(prof.classes, prof.counts, strict=True)]
    )
    batch = "" if prof.batch_size is None else f", batch_size={prof.batch_size}"
    before = getattr(prof, "majority_before", None)
    if before is not None:
        batch += f", majority_before={cut_repr(before)}, inverted={prof.inverted}"
    return (
        f"ImbalanceProfile(rows={prof.n_rows:,}, classes={{{classes}}}, "
        f"{_share(prof, '=')}, severity={prof.severity!r}{batch})"
    )


def _share(prof: Any, sep: str) -> str:
    """The minority share; with several classes, the smallest class's share.

    (All the other classes together would hide how rare the smallest one is.)
    """
    if len(prof.classes) > 2:
        name = "smallest_class_share" if sep == "=" else "smallest class share"
        return f"{name}{sep}{fmt_share(prof.shares[prof.rarest])} ({cut_repr(prof.rarest)})"
    name = "minority_share" if sep == "=" else "minority share"
    return f"{name}{sep}{fmt_share(prof.minority_share)}"


def profile_html(prof: Any) -> str:
    """Rows and share per class (the majority marked), severity and the batch view."""
    shares, major = prof.shares, prof.majority
    rows = [
        [f"{cut(c, 80)}{' (majority)' if c == major else ''}", fmt_int(n), fmt_share(shares[c])]
        for c, n in zip(prof.classes, prof.counts, strict=True)
    ]
    note = (
        f"{_share(prof, ' ')}, imbalance ratio "
        f"{prof.imbalance_ratio:,.1f} : 1, severity {prof.severity_text}"
    )
    view = prof.batch
    if view is not None:
        note += (
            f"; batches of {view.batch_size}: {view.expected:.3g} example(s) of class "
            f"{cut(view.label, 80)} on average, {fmt_share(view.p_none)} of batches hold none"
        )
    caption = f"ImbalanceProfile: {prof.n_rows:,} rows, {len(prof.classes):,} classes"
    return html_table(["class", "rows", "share"], rows, caption=caption, note=note)


# -- SamplingPlan ------------------------------------------------------------------------------
def _applied(plan: Any) -> str:
    return "" if plan.method is None else f", method={plan.method!r}, seed={plan.seed}"


def plan_repr(plan: Any) -> str:
    """``SamplingPlan(label: rows -> kept x weight, ...; weight_mode=...)``."""
    classes = _joined(
        [f"{cut_repr(c.label)}: {c.count:,} -> {c.kept:,} x {fmt_number(c.weight)}" for c in plan]
    )
    return f"SamplingPlan({{{classes}}}, weight_mode={plan.weight_mode!r}{_applied(plan)})"


def plan_html(plan: Any) -> str:
    """Per class: rows, factor, rows kept and weight."""
    rows = [
        [
            cut(c.label, 80),
            fmt_int(c.count),
            fmt_number(c.factor),
            fmt_int(c.kept),
            fmt_number(c.weight),
        ]
        for c in plan
    ]
    caption = f"SamplingPlan: weight mode {plan.weight_mode}" + (
        "" if plan.method is None else f", applied ({plan.method}, seed {plan.seed})"
    )
    return html_table(["class", "rows", "factor", "kept", "weight"], rows, caption=caption)
