"""The sweep's recommendation, with its defaults, on small and medium real-shaped sets.

For every set of ``_real_sets.py`` (14 binary tables built from scikit-learn's bundled
data: 20 to 2,000 minority rows, raw scales, text, NaN, an ID column), runs
``upweight.sweep(frame, label=..., drop=[...], seed=s)`` with nothing else set, and
compares the test log loss of the cheapest recommendation (and of the best) with that
of the full-data model of the same sweep: the summary row with factor 1 and the upweight
correction (at k = 1 every correction is the same model), on the same test rows.

The issue's targets: on every set the cheapest pick's test log loss is at most about
1.1x the full-data model's, and the median ratio is at most 1.02. A set the sweep
refuses is reported as such (its error in the table), and counts as a miss.

    python benchmarks/recommendation.py                  # every set, seed 0
    python benchmarks/recommendation.py --seeds 5        # median and worst over 5 seeds
    python benchmarks/recommendation.py --sets cancer_25,wine_20
    python benchmarks/recommendation.py --quick          # the sets under 10,000 rows
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _common import markdown
from _real_sets import SETS, shape

QUICK_ROWS = 10_000
MAX_RATIO = 1.10
MEDIAN_RATIO = 1.02


def _mode(result: Any) -> str:
    """How the sweep held rows out: hold-out, cv or nested (its settings' scheme)."""
    scheme = (getattr(result, "settings", None) or {}).get("scheme") or {}
    return str(scheme.get("kind", "-"))


def _full_data_row(summary: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The summary row of the full-data model: factor 1, the upweight correction."""
    ones = [r for r in summary if float(r.get("factor", 0)) == 1.0]
    for row in ones:
        if row.get("correction") == "upweight":
            return row
    return ones[0] if ones else None


def _one_line(error: BaseException, width: int = 90) -> str:
    text = " ".join(str(error).split())
    text = f"{type(error).__name__}: {text}"
    return text if len(text) <= width else text[: width - 3] + "..."


def run_one(name: str, seed: int) -> dict[str, Any]:
    """One default sweep of set ``name``; its figures, or the error it raised."""
    import upweight

    entry = SETS[name]
    frame = entry.build()
    rows, minority, columns = shape(name, frame)
    out: dict[str, Any] = {"set": name, "seed": seed, "rows": rows, "minority": minority}
    out["columns"] = columns
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = upweight.sweep(
                frame, label=entry.label, drop=list(entry.drop) or None, seed=seed
            )
        except Exception as error:  # a refusal is a finding, not a crash
            out["seconds"] = time.perf_counter() - start
            out["error"] = error
            out["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
            return out
    out["seconds"] = time.perf_counter() - start
    out["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    out["mode"] = _mode(result)
    full = _full_data_row(result.summary)
    cheapest, best = result.recommendation.cheapest, result.recommendation.best
    out["cheapest"] = cheapest.name
    out["best"] = best.name
    out["cheapest_loss"] = cheapest.figures.get("test_log_loss", float("nan"))
    out["best_loss"] = best.figures.get("test_log_loss", float("nan"))
    out["full_loss"] = full["test_log_loss_mean"] if full else float("nan")
    out["ratio"] = _divide(out["cheapest_loss"], out["full_loss"])
    out["best_ratio"] = _divide(out["best_loss"], out["full_loss"])
    out["fit_warnings"] = sum(int(r.get("warnings") or 0) for r in result.summary)
    out["cheapest_rows"] = cheapest.figures.get("rows_trained", float("nan"))
    out["full_rows"] = full.get("rows_trained_mean", float("nan")) if full else float("nan")
    out["cheapest_fit"] = cheapest.figures.get("fit_seconds", float("nan"))
    out["full_fit"] = full.get("fit_seconds_mean", float("nan")) if full else float("nan")
    text = getattr(result.recommendation, "text", "")
    out["odd"] = _odd_numbers(text() if callable(text) else str(text))
    return out


def _divide(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _odd_numbers(text: str) -> list[str]:
    """Percentages of 100,000 % or more and losses printed as zero, in the recommendation."""
    odd = []
    for match in re.finditer(r"[+-]?[\d,]+(?:\.\d+)?(?:e[+-]?\d+)? ?%", text):
        value = float(match.group().rstrip("% ").replace(",", ""))
        if abs(value) >= 100_000:
            odd.append(match.group())
    odd += re.findall(r"(?<![\d.])0\.0{4,}(?![1-9])", text)
    return odd


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _row(runs: list[dict[str, Any]], several: bool) -> list[Any]:
    """The table row of one set over its seeds."""
    first = runs[0]
    ok = [r for r in runs if "error" not in r]
    cells: list[Any] = [first["set"], f"{first['rows']:,}", f"{first['minority']:,}"]
    seconds = statistics.median(r["seconds"] for r in runs)
    if not ok:
        errors = Counter(_one_line(r["error"]) for r in runs)
        blank = ["-"] * (10 if several else 8)
        return [*cells, *blank, f"{seconds:.1f}", errors.most_common(1)[0][0]]
    modes = Counter(r["mode"] for r in ok)
    picks = Counter(r["cheapest"] for r in ok)
    pick, count = picks.most_common(1)[0]
    ratios = [r["ratio"] for r in ok]
    best = [r["best_ratio"] for r in ok]
    rows_share = statistics.median(_divide(r["cheapest_rows"], r["full_rows"]) for r in ok)
    fit_share = statistics.median(_divide(r["cheapest_fit"], r["full_fit"]) for r in ok)
    cells += [
        modes.most_common(1)[0][0],
        pick if not several else f"{pick} ({count}/{len(ok)})",
        f"{statistics.median(r['cheapest_loss'] for r in ok):.4g}",
        f"{statistics.median(r['full_loss'] for r in ok):.4g}",
        f"{statistics.median(ratios):.3f}",
    ]
    if several:
        cells.append(f"{max(ratios):.3f}")
    cells.append(f"{statistics.median(best):.3f}")
    if several:
        cells.append(f"{max(best):.3f}")
    cells += [f"{rows_share:.0%}", f"{fit_share:.0%}", f"{seconds:.1f}"]
    refused = len(runs) - len(ok)
    cells.append("ok" if not refused else f"refused on {refused}/{len(runs)} seeds")
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 (default 1)")
    parser.add_argument("--sets", help="comma-separated set names (default: all)")
    parser.add_argument("--quick", action="store_true", help=f"sets under {QUICK_ROWS:,} rows")
    args = parser.parse_args()

    names = args.sets.split(",") if args.sets else list(SETS)
    unknown = [n for n in names if n not in SETS]
    if unknown:
        parser.error(f"unknown sets {unknown}; the sets are {', '.join(SETS)}")
    several = args.seeds > 1
    table, by_set = [], {}
    for name in names:
        entry = SETS[name]
        if args.quick and len(entry.build()) >= QUICK_ROWS:
            continue
        runs = []
        for seed in range(args.seeds):
            run = run_one(name, seed)
            runs.append(run)
            outcome = _short(_one_line(run["error"])) if "error" in run else "ok"
            print(f"{name} seed {seed}: {run['seconds']:.1f} s, {outcome}", file=sys.stderr)
        by_set[name] = runs
        table.append(_row(runs, several))

    headers = ["set", "rows", "minority", "mode", "cheapest pick", "its test LL", "k=1 test LL"]
    headers += ["ratio", "worst ratio"] if several else ["ratio"]
    headers += ["best ratio", "worst best ratio"] if several else ["best ratio"]
    headers += ["its rows", "its fit time", "sweep s", "outcome"]
    print(markdown(headers, table))
    print()
    print(
        "ratio: the cheapest pick's test log loss / the full-data (k=1) model's, same sweep, "
        "same test rows; its rows and fit time: the cheapest pick's, as a share of k=1's."
        + (" Median over seeds; worst: the largest." if several else "")
    )

    ran = [r for runs in by_set.values() for r in runs if "error" not in r]
    refused = [n for n, runs in by_set.items() if any("error" in r for r in runs)]
    print()
    if ran:
        medians = [
            statistics.median(r["ratio"] for r in runs if "error" not in r)
            for runs in by_set.values()
            if any("error" not in r for r in runs)
        ]
        median, worst = statistics.median(medians), max(r["ratio"] for r in ran)
        worst_run = max(ran, key=lambda r: r["ratio"])
        print(f"median ratio over the sets that ran: {median:.3f} (target <= {MEDIAN_RATIO})")
        print(
            f"max ratio: {worst:.3f} ({worst_run['set']}, seed {worst_run['seed']}; "
            f"target <= {MAX_RATIO})"
        )
        if several:
            print(f"max of the per-set median ratios: {max(medians):.3f}")
        over = sorted({r["set"] for r in ran if r["ratio"] > MAX_RATIO})
        print(f"sets with a ratio above {MAX_RATIO}: {', '.join(over) or 'none'}")
        met = median <= MEDIAN_RATIO and worst <= MAX_RATIO and not refused
        print(
            f"runs on every set: {'yes' if not refused else 'no'} "
            f"({len(by_set) - len(refused)}/{len(by_set)})"
        )
        print(f"targets met: {'yes' if met else 'no'}")
    else:
        print("no set ran; targets met: no")

    notes: dict[tuple[str, str], list[int]] = {}
    for name, runs in by_set.items():
        for r in runs:
            found = [f"{type(r['error']).__name__}: {r['error']}"] if "error" in r else []
            found += [f"warning: {w}" for w in r["warnings"]]
            if r.get("fit_warnings"):
                found.append(f"{r['fit_warnings']} fit(s) warned")
            found += [f"odd number in the recommendation: {x}" for x in r.get("odd", [])]
            for text in dict.fromkeys(" ".join(t.split())[:300] for t in found):
                notes.setdefault((name, text), []).append(r["seed"])
    if notes:
        print()
        print("Errors, warnings and odd numbers:")
        for (name, text), seeds in notes.items():
            print(f"- {name} (seed {', '.join(map(str, seeds))}): {text}")


if __name__ == "__main__":
    main()
