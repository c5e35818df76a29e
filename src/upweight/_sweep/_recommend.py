"""The recommendation: which configuration to use, how sure the sweep is, and why.

Each configuration's validation log loss is compared with the best one's and with k = 1
(all rows) through a 95 % interval of the difference (:mod:`._intervals`). The cheapest
configuration whose interval lies within the tolerance of the best is recommended; when
no cheaper one can be shown to be that close but the data cannot tell them apart either
(the interval holds no difference), the cheapest of those is, and the text says so. A
configuration the text calls worse is never the pick.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ._choice import Choice, Recommendation, is_full
from ._intervals import bootstrap_means, interval, pool

__all__ = ["attach_intervals", "fmt", "recommend"]

#: Fit times within this share (and :data:`TIME_NOISE` seconds) of the fastest count as a
#: tie, broken by rows trained.
TIME_TIE = 0.10
#: Seconds of a fit time that are noise, whatever the fit.
TIME_NOISE = 0.05  # a fit of tens of milliseconds saves nothing worth a worse model
#: Corrections in order of preference where everything else ties.
_ORDER = {"upweight": 0, "offset": 1, "none": 2}


# -- numbers ---------------------------------------------------------------------------------
def fmt(x: float) -> str:
    """A figure with four significant digits: ``0.2122``, ``1.234e-05``, ``nan``."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:.4g}"


def change(new: float, old: float) -> str:
    """``new`` against ``old``: relative where ``old`` carries it, else the difference.

    A relative change is printed when the base is at least 0.001 and the change at most
    ten times it; otherwise the absolute difference (``+2.1e-05``), since a percentage of
    a loss near zero says nothing.
    """
    if not (math.isfinite(new) and math.isfinite(old)):
        return "n/a"
    if abs(old) >= 1e-3 and abs(new - old) <= 10 * abs(old):
        return f"{100 * (new / old - 1):+.1f}%"
    return f"{new - old:+.3g}"


def _changes(values: Sequence[float], old: float) -> list[str]:
    """:func:`change` of several figures against one base, all in one unit."""
    texts = [change(v, old) for v in values]
    if all(t.endswith("%") for t in texts) or not any(t.endswith("%") for t in texts):
        return texts
    return [f"{v - old:+.3g}" for v in values]


def change_within(new: float, old: float, pair: tuple[float, float] | None) -> str:
    """:func:`change` with the 95 % interval of the difference, in the same unit."""
    text = change(new, old)
    if pair is None or text == "n/a":
        return text
    if text.endswith("%") and pair[0] / old < -1:  # the base does not carry the interval
        text = f"{new - old:+.3g}"
    if text.endswith("%"):
        low, high = 100 * pair[0] / old, 100 * pair[1] / old
        return f"{text} (95% interval {_small_pct(low)} to {_small_pct(high)})"
    return f"{text} (95% interval {pair[0]:+.3g} to {pair[1]:+.3g})"


def _small_pct(x: float) -> str:
    """A percentage near zero keeps two decimals (``-0.02%``, not ``-0.0%``)."""
    return f"{x:+.2f}%" if abs(x) < 0.1 else f"{x:+.1f}%"


def _seconds(x: float) -> str:
    return f"{x:.3g} s" if math.isfinite(x) else "n/a"


def _pct(x: float) -> str:
    """A percentage figure (prediction bias), sensible at any size."""
    if not math.isfinite(x):
        return "n/a"
    return f"{x:+.1f}%" if abs(x) < 1000 else f"{x:+,.0f}%"


def _span(pair: tuple[float, float] | None) -> str:
    """`` (95% interval a to b)`` of a figure, or nothing without an interval."""
    if pair is None:
        return ""
    return f" (95% interval {pair[0]:.4g} to {pair[1]:.4g})"


# -- intervals -------------------------------------------------------------------------------
def _full_index(summary: Sequence[Mapping[str, Any]]) -> int | None:
    """The k = 1 entry the others are compared with (a corrected one where there is one)."""
    ones = [i for i, e in enumerate(summary) if e["factor"] == 1]
    corrected = [i for i in ones if summary[i]["correction"] != "none"]
    pick = corrected or ones
    return min(pick, key=lambda i: summary[i]["val_log_loss_mean"]) if pick else None


def attach_intervals(
    summary: list[dict[str, Any]],
    losses: Mapping[tuple[Any, ...], Mapping[str, Sequence[tuple[Any, Any]]]],
    keys: Sequence[tuple[Any, ...]],
    codes: npt.NDArray[Any],
    shares: Mapping[str, Mapping[int, float]],
    *,
    seed: int,
    tolerance: float,
) -> None:
    """Add 95 % intervals to every summary entry (``keys[i]`` names entry ``i``).

    ``val_log_loss_vs_best`` and ``val_log_loss_vs_full`` (differences from the best
    validation log loss and from k = 1) with ``_lo`` / ``_hi``; ``test_log_loss_lo`` /
    ``_hi``; ``test_log_loss_vs_full`` with its interval. Entries without stored losses
    (runs of an older version) get none.
    """
    if not summary or any(k not in losses for k in keys):
        return
    best = min(range(len(summary)), key=lambda i: summary[i]["val_log_loss_mean"])
    full = _full_index(summary)
    for split in ("val", "test"):
        pooled = pool([losses[k][split] for k in keys], codes, shares[split])
        if pooled is None:
            return
        samples = bootstrap_means(pooled, seed=seed + (split == "test"))
        sample_means = pooled.means()
        observed = np.array([e[f"{split}_log_loss_mean"] for e in summary])
        refs = {"full": full} if split == "test" else {"best": best, "full": full}
        for i, entry in enumerate(summary):
            if split == "test":
                lo, hi = interval(samples[:, i], observed[i], sample_means[i])
                entry["test_log_loss_lo"], entry["test_log_loss_hi"] = lo, hi
            for name, ref in refs.items():
                if ref is None:
                    continue
                key = f"{split}_log_loss_vs_{name}"
                entry[key] = float(observed[i] - observed[ref])
                if i == ref:
                    entry[f"{key}_lo"] = entry[f"{key}_hi"] = 0.0
                    continue
                entry[f"{key}_lo"], entry[f"{key}_hi"] = interval(
                    samples[:, i] - samples[:, ref],
                    entry[key],
                    float(sample_means[i] - sample_means[ref]),
                )
        if split == "val":
            _siblings(summary, samples, sample_means, observed, tolerance)


def _siblings(
    summary: list[dict[str, Any]],
    samples: npt.NDArray[np.float64],
    sample_means: npt.NDArray[np.float64],
    observed: npt.NDArray[np.float64],
    tolerance: float,
) -> None:
    """``clearly_worse_than``: a configuration at the same factor that beats this one.

    Clearly: by more than the tolerance, and with the 95 % interval of the difference above
    zero.
    """
    for i, entry in enumerate(summary):
        entry["clearly_worse_than"] = None
        for j, other in enumerate(summary):
            if j == i or other["factor"] != entry["factor"]:
                continue
            diff = float(observed[i] - observed[j])
            if diff <= tolerance * observed[j]:
                continue
            lo, _ = interval(
                samples[:, i] - samples[:, j], diff, float(sample_means[i] - sample_means[j])
            )
            if lo > 0:
                entry["clearly_worse_than"] = other["name"]
                break


def _pair(entry: Mapping[str, Any], key: str) -> tuple[float, float] | None:
    if f"{key}_lo" not in entry:
        return None
    return (float(entry[f"{key}_lo"]), float(entry[f"{key}_hi"]))


def _choice(entry: Mapping[str, Any]) -> Choice:
    figures = {key[: -len("_mean")]: value for key, value in entry.items() if key.endswith("_mean")}
    figures["fit_seconds_min"] = entry.get("fit_seconds_min", figures.get("fit_seconds", 0.0))
    intervals = {
        name: pair
        for name in (
            "val_log_loss_vs_best",
            "val_log_loss_vs_full",
            "test_log_loss",
            "test_log_loss_vs_full",
        )
        if (pair := _pair(entry, name)) is not None
    }
    return Choice(
        model=entry["model"],
        factor=entry["factor"],
        upweight=entry["upweight"],
        correction=entry["correction"],
        figures=figures,
        intervals=intervals,
    )


# -- what does worse -------------------------------------------------------------------------
def _worse(summary: Sequence[dict[str, Any]], tolerance: float) -> dict[int, int]:
    """Entries the text will call worse (never recommended): index -> the one it loses to.

    Worse than another configuration at the same factor: clearly (the 95 % interval of
    the difference above zero, and by more than the tolerance), or -- for runs stored
    without intervals -- by more than the tolerance.
    """
    out: dict[int, int] = {}
    names = {e["name"]: j for j, e in enumerate(summary)}
    for i, e in enumerate(summary):
        if e["factor"] == 1:
            continue
        if "clearly_worse_than" in e:
            if e["clearly_worse_than"] in names:
                out[i] = names[e["clearly_worse_than"]]
            continue
        for j, o in enumerate(summary):
            if (
                j != i
                and o["factor"] == e["factor"]
                and e["val_log_loss_mean"] > o["val_log_loss_mean"] * (1 + tolerance)
            ):
                out[i] = j
                break
    return out


def _cost_key(e: Mapping[str, Any]) -> tuple[float, float, float, int]:
    return (
        e["rows_trained_mean"],
        e.get("fit_seconds_min", e["fit_seconds_mean"]),
        e["factor"],
        _ORDER.get(e["correction"], 9),
    )


def _tie_key(e: Mapping[str, Any]) -> tuple[float, float, int]:
    """Among entries that tie on cost: fewer rows, then the lower validation log loss.

    A difference of fit time within the noise never decides.
    """
    return (e["rows_trained_mean"], e["val_log_loss_mean"], _ORDER.get(e["correction"], 9))


def _cheapest(entries: Sequence[dict[str, Any]], cost: str) -> dict[str, Any]:
    """The cheapest entry: least fit time (within 10 % is a tie, broken by rows) or rows."""
    if cost == "rows":
        return min(entries, key=_tie_key)
    times = [e.get("fit_seconds_min", e["fit_seconds_mean"]) for e in entries]
    fastest = min(times)
    near = [
        e for e, t in zip(entries, times, strict=True) if t <= fastest * (1 + TIME_TIE) + TIME_NOISE
    ]
    return min(near, key=_tie_key)


def _clearly_cheaper(e: Mapping[str, Any], than: Mapping[str, Any], cost: str) -> bool:
    """Whether ``e`` costs less than ``than`` beyond a tie (see :func:`_cheapest`)."""
    if cost == "rows":
        return bool(e["rows_trained_mean"] < than["rows_trained_mean"])
    return _fit_time(e) * (1 + TIME_TIE) + TIME_NOISE < _fit_time(than)


def _fit_time(e: Mapping[str, Any]) -> float:
    return float(e.get("fit_seconds_min", e["fit_seconds_mean"]))


# -- the recommendation ----------------------------------------------------------------------
def recommend(
    summary: list[dict[str, Any]],
    convergence: list[dict[str, Any]],
    *,
    tolerance: float,
    train_rows: int,
    batch_size: int,
    cost: str = "time",
    evidence: Mapping[str, Any] | None = None,
) -> Recommendation:
    """The recommendation, with its uncertainty and honest statements where things do worse.

    ``evidence``: minority rows behind the figures (``val_minority``, ``test_minority``),
    the scheme in words (``scheme``), whether it is thin (``thin``), and the factors
    skipped (``skipped``, with ``skipped_why``) or flagged (``over``).
    """
    evidence = evidence or {}
    by_loss = sorted(
        range(len(summary)),
        key=lambda i: (summary[i]["val_log_loss_mean"], _cost_key(summary[i])),
    )
    best_entry = summary[by_loss[0]]
    best_loss = best_entry["val_log_loss_mean"]
    worse = _worse(summary, tolerance)
    eligible = [e for i, e in enumerate(summary) if i not in worse]
    limit = tolerance * best_loss
    has_intervals = "val_log_loss_vs_best_hi" in best_entry
    if has_intervals:
        within = [e for e in eligible if e["val_log_loss_vs_best_hi"] <= limit]
    else:
        within = [e for e in eligible if e["val_log_loss_mean"] <= best_loss + limit]
    within = within or [best_entry]
    cheapest_entry = _cheapest(within, cost)
    basis = "within tolerance" if cheapest_entry is not best_entry else "best"
    tied: list[dict[str, Any]] = []
    if has_intervals and basis == "best":
        tied = [e for e in eligible if e["val_log_loss_vs_best_lo"] <= 0]
        # only where it saves: a tie in cost is no reason to give up the best
        saving = [e for e in tied if _clearly_cheaper(e, best_entry, cost)]
        pick = _cheapest(saving, cost) if saving else best_entry
        if pick is not best_entry:
            cheapest_entry, basis = pick, "indistinguishable"
    best, cheapest = _choice(best_entry), _choice(cheapest_entry)
    inverted = cheapest.factor in evidence.get("over", ())
    full_i = _full_index(summary)
    if full_i is not None:  # the share of the training rows: k=1 trains on all of them
        train_rows = round(summary[full_i]["rows_trained_mean"])
    lines = [
        f"Best validation log loss: {best.name} ({fmt(best_loss)}); {_test_words(best)}.",
        *_cheapest_words(best, cheapest, basis, tolerance, cost, train_rows, len(tied)),
    ]
    if inverted:
        lines[-1] += (
            f" Note: k={cheapest.factor:g} downsamples a class below the one it is "
            "downsampled towards (the balance inverted); the weights still restore the true "
            "distribution."
        )
    lines.extend(_evidence_words(evidence, has_intervals))
    if full_i is not None:
        lines.append(
            _full_words(summary[full_i], cheapest, is_full(cheapest.factor, cheapest.upweight))
        )
    lines.extend(_slower_words(summary, full_i))
    lines.extend(_honesty(summary, best_loss, tolerance, worse))
    lines.extend(_factor_words(evidence))
    lines.extend(_convergence_words(convergence, cheapest, batch_size))
    return Recommendation(
        best=best,
        cheapest=cheapest,
        tolerance=tolerance,
        lines=tuple(lines),
        basis=basis,
        cost=cost,
    )


def _test_words(c: Choice) -> str:
    f = c.figures
    return (
        f"test log loss {fmt(f['test_log_loss'])}"
        f"{_span(c.intervals.get('test_log_loss'))}, "
        f"prediction bias {_pct(f['test_prediction_bias'])}, average precision "
        f"{fmt(f['test_average_precision'])}, ROC AUC {fmt(f['test_roc_auc'])}, recall "
        f"{fmt(f['test_recall_at_precision'])} at the set precision"
    )


def _cost_words(c: Choice, cost: str, train_rows: int) -> str:
    rows = c.figures["rows_trained"]
    share = rows / train_rows if train_rows else float("nan")
    return (
        f"fit in {_seconds(c.figures['fit_seconds_min'])}, {int(rows):,} rows trained "
        f"({share:.1%} of the training split)"
    )


def _cheapest_words(
    best: Choice,
    cheapest: Choice,
    basis: str,
    tolerance: float,
    cost: str,
    train_rows: int,
    n_tied: int,
) -> list[str]:
    measure = "by fit time" if cost == "time" else "by rows trained"
    if basis == "best":
        return [
            f"It is also the pick: no configuration cheaper {measure} is shown to be within "
            f"{tolerance:.0%} of it, nor within the noise of it while saving time: "
            f"{_cost_words(best, cost, train_rows)}."
        ]
    vs_best = cheapest.intervals.get("val_log_loss_vs_best")
    diff = (
        f"validation log loss {fmt(cheapest.figures['val_log_loss'])}, "
        f"{change_within(cheapest.figures['val_log_loss'], best.figures['val_log_loss'], vs_best)}"
        " against the best"
    )
    if basis == "indistinguishable":
        return [
            f"The data cannot tell the configurations apart: {n_tied} are within the noise "
            f"of the best (their 95% intervals include no difference), and none is shown to "
            f"be within {tolerance:.0%} of it. The cheapest of them {measure}: "
            f"{cheapest.name}: {_cost_words(cheapest, cost, train_rows)}; {diff}; "
            f"{_test_words(cheapest)}."
        ]
    sure = ", with 95% confidence" if vs_best is not None else ""
    return [
        f"Cheapest {measure} within {tolerance:.0%} of the best{sure}: "
        f"{cheapest.name}: {_cost_words(cheapest, cost, train_rows)}; {diff}; "
        f"{_test_words(cheapest)}."
    ]


def _evidence_words(evidence: Mapping[str, Any], has_intervals: bool) -> list[str]:
    if "val_minority" not in evidence:
        return []
    again = evidence.get("val_predictions", evidence["val_minority"])
    times = (
        f", validated {again / evidence['val_minority']:.3g} times each"
        if again > evidence["val_minority"]
        else ""
    )
    text = (
        f"These figures rest on {evidence['val_minority']:,} minority rows of validation"
        f"{times} and {evidence['test_minority']:,} of test ({evidence['scheme']})."
    )
    if evidence.get("thin"):
        text += " That is thin evidence: differences of a few percent are within the noise"
        text += ", and the intervals say how wide it is." if has_intervals else "."
    if not has_intervals:
        text += " (Without stored per-row losses, no intervals could be drawn.)"
    return [text]


def _full_words(full: Mapping[str, Any], cheapest: Choice, is_full: bool) -> str:
    head = (
        f"With all training rows (k=1): validation log loss {fmt(full['val_log_loss_mean'])}, "
        f"test log loss {fmt(full['test_log_loss_mean'])}, fit in {_seconds(_fit_time(full))}"
    )
    if is_full:
        return head + "."
    f = cheapest.figures
    val = change_within(
        f["val_log_loss"], full["val_log_loss_mean"], cheapest.intervals.get("val_log_loss_vs_full")
    )
    test = change_within(
        f["test_log_loss"],
        full["test_log_loss_mean"],
        cheapest.intervals.get("test_log_loss_vs_full"),
    )
    ratio = cheapest.figures["fit_seconds_min"] / max(_fit_time(full), 1e-12)
    speed = (
        f"its fit takes {ratio:.0%} of the time"
        if ratio <= 1
        else f"its fit is slower ({ratio:.1f}x the time of k=1)"
    )
    return (
        f"{head}. Against it, the cheapest recommendation's validation log loss differs by "
        f"{val}, its test log loss by {test}, and {speed}."
    )


def _slower_words(summary: Sequence[Mapping[str, Any]], full_i: int | None) -> list[str]:
    """Downsampled fits slower than the full-data fit: flagged, never called cheaper."""
    if full_i is None:
        return []
    full = _fit_time(summary[full_i])
    slow = [
        e for e in summary if e["factor"] > 1 and _fit_time(e) > full * (1 + TIME_TIE) + TIME_NOISE
    ]
    if not slow:
        return []
    return [
        f"Slower to fit than all rows (k=1, {_seconds(full)}) although trained on fewer: "
        + ", ".join(f"{e['name']} ({_seconds(_fit_time(e))})" for e in slow)
        + "."
    ]


def _factor_words(evidence: Mapping[str, Any]) -> list[str]:
    lines = []
    if evidence.get("skipped"):
        lines.append(
            "Factors of the default grid skipped: "
            + ", ".join(f"{k:g}" for k in evidence["skipped"])
            + f": {evidence['skipped_why']}; give them in factors (--factors) to run them anyway."
        )
    if evidence.get("over"):
        lines.append(
            "Factors that downsample a class below the one it is downsampled towards "
            "(the balance inverted): " + ", ".join(f"k={k:g}" for k in evidence["over"]) + "."
        )
    return lines


def _honesty(
    summary: Sequence[dict[str, Any]], best_loss: float, tolerance: float, worse: Mapping[int, int]
) -> list[str]:
    """Where a factor or a correction does worse, in words -- only where it clearly does."""
    lines = []
    none = [(i, e) for i, e in enumerate(summary) if e["correction"] == "none" and e["factor"] > 1]
    if none:
        parts = ", ".join(
            f"k={e['factor']:g}: {_pct(e['val_prediction_bias_mean'])}"
            for _, e in sorted(none, key=lambda p: p[1]["factor"])
        )
        flagged = [e for i, e in none if i in worse]
        if flagged:
            worst = max(flagged, key=lambda e: e["val_log_loss_mean"])
            where = ", ".join(f"k={e['factor']:g}" for e in flagged)
            lines.append(
                f"No correction does clearly worse at {where}: downsampled without a "
                f"correction, the model's prediction bias on validation is {parts}; at "
                f"k={worst['factor']:g} its log loss is "
                f"{change(worst['val_log_loss_mean'], best_loss)} against the best."
            )
        else:
            lines.append(
                f"Without a correction, the prediction bias on validation is {parts}; on this "
                "data its log loss is not clearly worse than with one."
            )
    for loser in ("upweight", "offset"):
        hits = [
            f"k={e['factor']:g} (log loss {change(e['val_log_loss_mean'], w['val_log_loss_mean'])}"
            f" against {w['name']}; prediction bias {_pct(e['val_prediction_bias_mean'])} vs "
            f"{_pct(w['val_prediction_bias_mean'])})"
            for i, e in enumerate(summary)
            if e["correction"] == loser and i in worse
            for w in (summary[worse[i]],)
        ]
        if hits:
            name = "Upweighting" if loser == "upweight" else "The offset correction"
            lines.append(f"{name} does clearly worse at " + "; ".join(hits) + ".")
    corrected = [e for e in summary if e["correction"] != "none"]
    factor_best: dict[float, dict[str, Any]] = {}
    for e in corrected:
        if (
            e["factor"] not in factor_best
            or e["val_log_loss_mean"] < factor_best[e["factor"]]["val_log_loss_mean"]
        ):
            factor_best[e["factor"]] = e
    far = [
        e
        for _, e in sorted(factor_best.items())
        if e.get("val_log_loss_vs_best_lo", e["val_log_loss_mean"] - best_loss)
        > tolerance * best_loss
    ]
    if far:
        lines.append(
            f"Factors clearly worse than the best by more than {tolerance:.0%} even with a "
            "correction: "
            + ", ".join(
                f"k={e['factor']:g} ({c})"
                for e, c in zip(
                    far, _changes([e["val_log_loss_mean"] for e in far], best_loss), strict=True
                )
            )
            + "."
        )
    biased = list(
        {e["name"]: e for e in corrected if abs(e["val_prediction_bias_mean"]) > 10}.values()
    )
    if biased:
        lines.append(
            "Still biased by more than 10% on validation despite a correction: "
            + ", ".join(f"{e['name']} ({_pct(e['val_prediction_bias_mean'])})" for e in biased)
            + "."
        )
    return lines


def _convergence_words(runs: list[dict[str, Any]], chosen: Choice, batch_size: int) -> list[str]:
    sgd = [r for r in runs if r["learner"] == "sgd"]
    if not sgd:
        return []
    correction = chosen.correction if chosen.correction != "none" else "upweight"
    mine = {r["factor"]: r for r in sgd if r["correction"] == correction}
    if not mine:
        mine = {r["factor"]: r for r in sgd}
    k = chosen.factor if chosen.factor in mine else max(mine)
    lines = []
    if 1.0 in mine and k != 1.0:
        one, other = mine[1.0], mine[k]

        def reach(r: dict[str, Any]) -> str:
            if r["examples_to_target"] is None:
                return "not within the budget"
            return f"after {r['examples_to_target']:,} examples ({r['seconds_to_target']:.2f} s)"

        verdict = (
            "faster than k=1"
            if (other["examples_to_target"] or math.inf) < (one["examples_to_target"] or math.inf)
            else "no faster than k=1"
        )
        lines.append(
            f"Convergence (SGD, batches of {batch_size}, {correction}): after "
            f"{one['examples_seen']:,} examples the validation log loss is "
            f"{fmt(one['final_log_loss'])} at k=1 and {fmt(other['final_log_loss'])} at "
            f"k={k:g}. First below {fmt(one['target_log_loss'])} (near the lowest final loss "
            f"of any factor): k=1 {reach(one)}, k={k:g} {reach(other)}; k={k:g} converges "
            f"{verdict}. Batches without a minority example: "
            f"{one['share_without_minority']:.0%} at k=1 (the profile predicts "
            f"{one['predicted_share_without_minority']:.0%}), "
            f"{other['share_without_minority']:.0%} at k={k:g} "
            f"(predicted {other['predicted_share_without_minority']:.0%})."
        )
    unsteady = [
        r for r in sgd if r["final_log_loss"] > r["target_log_loss"] and r["examples_to_target"]
    ]
    if unsteady:
        lines.append(
            "Reached the target but ended above it again (noisy steps): "
            + ", ".join(
                f"k={r['factor']:g} {r['correction']} ({fmt(r['final_log_loss'])})"
                for r in sorted(unsteady, key=lambda r: (r["correction"], r["factor"]))
            )
            + "."
        )
    return lines
