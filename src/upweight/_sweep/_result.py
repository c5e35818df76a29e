"""What a sweep measured, as plain data, and the recommendation drawn from it.

Nothing here draws or writes: the plots and the HTML report (:mod:`._report`) only read
a :class:`SweepResult`, and :mod:`._save` writes it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._profile import ImbalanceProfile
from ._display import (
    choice_repr,
    recommendation_html,
    recommendation_repr,
    result_html,
    result_repr,
)
from ._metrics import METRICS

__all__ = ["Choice", "Recommendation", "SweepResult", "describe", "summarize"]

GROUP = ("model", "factor", "upweight", "correction")
#: Per-configuration figures that get a spread over repeats.
MEASURES = (
    "rows_trained",
    "fit_seconds",
    "peak_memory_mb",
    "disk_bytes",
    *(f"{split}_{m}" for split in ("val", "test") for m in METRICS),
)


def describe(factor: float, upweight: float | None, correction: str) -> str:
    """A configuration in words, e.g. ``k=25, upweighted by 25`` or ``k=25, offset``.

    Examples
    --------
    >>> from upweight._sweep._result import describe
    >>> describe(25, 25, "upweight"), describe(25, None, "offset"), describe(1, 1, "upweight")
    ('k=25, upweighted by 25', 'k=25, offset', 'k=1 (all rows)')
    """
    if factor == 1 and (upweight in (None, 1.0)):
        return "k=1 (all rows)"
    if correction == "upweight":
        return f"k={factor:g}, upweighted by {upweight:g}"
    if correction == "offset":
        return f"k={factor:g}, offset"
    return f"k={factor:g}, no correction"


@dataclass(frozen=True)
class Choice:
    """One configuration of the summary (means over repeats), as recommended."""

    model: str
    factor: float
    upweight: float | None
    correction: str
    figures: dict[str, float]

    def __repr__(self) -> str:
        return choice_repr(self)

    @property
    def name(self) -> str:
        """The configuration in words."""
        return describe(self.factor, self.upweight, self.correction)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return {
            "name": self.name,
            "model": self.model,
            "factor": self.factor,
            "upweight": self.upweight,
            "correction": self.correction,
            "figures": self.figures,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Choice:
        """Read back what :meth:`to_dict` wrote (``name`` is derived, so not read)."""
        return cls(
            model=data["model"],
            factor=data["factor"],
            upweight=data["upweight"],
            correction=data["correction"],
            figures=dict(data["figures"]),
        )


@dataclass(frozen=True)
class Recommendation:
    """The best configuration by validation log loss, the cheapest one close to it, and why.

    Attributes
    ----------
    best : Choice
        Lowest mean validation log loss.
    cheapest : Choice
        Fewest rows trained (then least fit time) among the configurations within
        ``tolerance`` of the best validation log loss.
    tolerance : float
        Relative tolerance.
    lines : tuple of str
        The recommendation in plain words, including where a factor or a correction does
        worse.
    """

    best: Choice
    cheapest: Choice
    tolerance: float
    lines: tuple[str, ...]

    def __repr__(self) -> str:
        return recommendation_repr(self)

    def _repr_html_(self) -> str:
        return recommendation_html(self)

    @property
    def text(self) -> str:
        """The lines, one paragraph each."""
        return "\n".join(self.lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return {
            "best": self.best.to_dict(),
            "cheapest": self.cheapest.to_dict(),
            "tolerance": self.tolerance,
            "lines": list(self.lines),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recommendation:
        """Read back what :meth:`to_dict` wrote."""
        return cls(
            best=Choice.from_dict(data["best"]),
            cheapest=Choice.from_dict(data["cheapest"]),
            tolerance=data["tolerance"],
            lines=tuple(data["lines"]),
        )


@dataclass
class SweepResult:
    """What :func:`upweight.sweep` measured; plain data, rendered by the report.

    Attributes
    ----------
    results : list of dict
        One row per configuration and repeat: factor, upweight, correction, repeat, rows
        trained, fit time, peak memory (MB of resident memory the configuration added: the
        peak while its rows were selected and loaded, plus the peak the fit added on top;
        Linux only, NaN elsewhere), on-disk size of the downsampled training rows (Parquet
        bytes), and on validation (``val_``) and test (``test_``): log loss, Brier, prediction bias,
        ECE, average precision, ROC AUC, recall at the set precision.
    summary : list of dict
        One row per configuration: ``<measure>_mean``, ``_std``, ``_min``, ``_max`` over
        repeats.
    curves : dict
        Configuration id (one per repeat) -> reliability and precision-recall curve
        points on the test split.
    convergence : list of dict
        Minibatch runs: per factor and correction, validation log loss against examples
        seen and seconds, batches without a minority example (seen and predicted).
    profile : ImbalanceProfile
        Class counts of the whole data, with the batch view.
    split : dict
        Rows and minority rows of the training, validation and test splits.
    settings : dict
        The arguments of the sweep.
    timings : dict
        Seconds per stage.
    recommendation : Recommendation
        Best and cheapest configurations, in words.
    """

    results: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    curves: dict[str, dict[str, Any]]
    convergence: list[dict[str, Any]]
    profile: ImbalanceProfile
    split: dict[str, dict[str, Any]]
    settings: dict[str, Any]
    timings: dict[str, float]
    recommendation: Recommendation
    outdir: Path | None = field(default=None)

    def __repr__(self) -> str:
        return result_repr(self)

    def _repr_html_(self) -> str:
        return result_html(self)

    @classmethod
    def load(cls, outdir: str | os.PathLike[str]) -> SweepResult:
        """Read back a sweep saved in its output folder, to read or report on it again.

        A sweep with ``outdir`` (and :meth:`save`) writes ``result.json`` beside
        ``results.parquet``: every row, the summary, the curves, the convergence runs, the
        profile, the split, the settings, the timings and the recommendation. ``load``
        reads it back as it was; nothing in the folder is changed, and no lock is taken.

        Parameters
        ----------
        outdir : path
            The folder a sweep wrote its results into (``outdir=``, ``--output``).

        Returns
        -------
        SweepResult
            The saved result, with :attr:`outdir` set to the folder. :meth:`save` draws
            its plots and report again.

        Raises
        ------
        FileError
            ``outdir`` is not a sweep's output folder; it holds no saved result (the
            sweep stopped early, ran with ``report=False``, or an older upweight wrote it);
            its ``result.json`` is damaged or of another upweight version, or cannot be
            read. The message says what to do: most often, run the same sweep into the
            folder again (its finished runs are reused, so it only writes the files).
        InputError
            ``outdir`` is empty text.

        Notes
        -----
        ``results.parquet`` holds the same rows, as a table for other tools (pandas,
        polars, DuckDB); ``result.json`` is what ``load`` reads. A later sweep into the
        same folder replaces both, so ``load`` returns the latest. The timings are those
        the report shows: the time the report took is measured after it is written.

        Examples
        --------
        >>> import tempfile, upweight
        >>> from upweight.datasets import make_imbalanced
        >>> data = make_imbalanced(4_000, minority_share=0.05, random_state=0)
        >>> with tempfile.TemporaryDirectory() as outdir:
        ...     result = upweight.sweep(
        ...         data.X, y=data.y, factors=[1, 5], convergence=False, outdir=outdir
        ...     )
        ...     saved = upweight.SweepResult.load(outdir)
        >>> saved.recommendation.text == result.recommendation.text
        True
        >>> saved.table("factor") == result.table("factor")
        True
        """
        from ._saved import read_result  # (imports nothing of this module at run time)

        parts = read_result(outdir)
        parts["recommendation"] = Recommendation.from_dict(parts["recommendation"])
        return cls(**parts)

    def table(self, column: str) -> list[Any]:
        """One column of :attr:`results`."""
        return [row[column] for row in self.results]

    def to_arrow(self) -> Any:
        """:attr:`results` as a pyarrow Table (settings in its metadata; seeds as uint64)."""
        import pyarrow as pa

        columns = list(self.results[0]) if self.results else []
        table = pa.table(
            {
                # a seed is up to 64 bits, unsigned (repeat r draws with seed + r)
                name: pa.array(
                    [row[name] for row in self.results],
                    type=pa.uint64() if name == "seed" else None,
                )
                for name in columns
            }
        )
        return table.replace_schema_metadata(
            {"upweight.sweep": json.dumps(_jsonable(self.settings))}
        )

    def to_frame(self) -> Any:
        """:attr:`results` as a pandas DataFrame (needs pandas)."""
        return self.to_arrow().to_pandas()

    def summary_arrow(self) -> Any:
        """:attr:`summary` as a pyarrow Table."""
        import pyarrow as pa

        return pa.Table.from_pylist(self.summary)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON-serialisable)."""
        return _jsonable(
            {
                "settings": self.settings,
                "profile": self.profile.to_dict(),
                "split": self.split,
                "results": self.results,
                "summary": self.summary,
                "convergence": self.convergence,
                "recommendation": self.recommendation.to_dict(),
                "timings": self.timings,
            }
        )

    def convergence_summary(self) -> list[dict[str, Any]]:
        """Per convergence run: final loss, when it came close, and empty batches."""
        return convergence_summary(self.convergence, self.settings.get("tolerance", 0.01))

    def save(self, outdir: str | os.PathLike[str]) -> Path:
        """Write ``results.parquet``, ``result.json``, ``plots/*.png`` and ``report.html``.

        ``result.json`` is what :meth:`load` reads back.

        The folder follows the sweep's rules (see :func:`upweight.sweep`): its manifest
        lists these files before they are written, and a file of the same name that a
        sweep did not write there is never replaced (:class:`~upweight.FileError`).

        Returns
        -------
        pathlib.Path
            The report's path.
        """
        from ._save import save  # the writing, plots and report live there

        return save(self, outdir)

    def refit(
        self,
        which: str = "cheapest",
        data: Any = None,
        *,
        label: str | None = None,
        y: Any = None,
        model: Any = None,
    ) -> Any:
        """The recommended configuration, fitted on the training and validation rows.

        Like ``GridSearchCV.best_estimator_``: a fitted
        :class:`~upweight.sklearn.DownsampledClassifier` holding the sweep's model as the
        sweep made it (its preprocessing included), downsampled by the chosen factor and
        corrected the chosen way, trained on every row but the sweep's test rows. Its
        ``predict_proba`` gives probabilities on the true class distribution; its
        ``plan_`` says what was kept. Save it with ``joblib.dump``.

        Parameters
        ----------
        which : {"cheapest", "best"}, default="cheapest"
            The configuration: :attr:`Recommendation.cheapest` or
            :attr:`Recommendation.best`.
        data : array-like, data frame, or path, optional
            The data the sweep ran on. Needed only for a result read back with
            :meth:`load` (a result returned by :func:`upweight.sweep` remembers its
            data); checked against the fingerprint the sweep recorded.
        label : str, optional
            Label column of ``data`` (a frame or file); by default the sweep's.
        y : array-like, optional
            Labels, when ``data`` holds only features.
        model : classifier, optional
            The sweep's own estimator, when it trained one of yours and the result was
            read back with :meth:`load` (a saved result does not hold it).

        Returns
        -------
        upweight.sklearn.DownsampledClassifier
            Fitted. With column names (a data frame or a file), it takes a pandas
            DataFrame of the sweep's feature columns; otherwise a matrix of them.

        Raises
        ------
        InputError
            ``which`` is not "cheapest" or "best"; a loaded result without ``data``; data
            that is not the sweep's (its fingerprint differs); a loaded result of your
            own model without ``model``, or another model; a model that fails to fit.

        Examples
        --------
        >>> import upweight
        >>> from upweight.datasets import make_imbalanced
        >>> data = make_imbalanced(8_000, minority_share=0.05, random_state=0)
        >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 5], convergence=False)
        >>> model = result.refit()
        >>> type(model).__name__, model.correction == result.recommendation.cheapest.correction
        ('DownsampledClassifier', True)
        >>> proba = model.predict_proba(data.X)[:, 1]  # on the true distribution
        >>> sum(c.count for c in model.plan_) == 8_000 - result.split["test"]["rows"]
        True
        """
        from ._refit import refit  # (imports nothing of this module at run time)

        return refit(self, which, data, label=label, y=y, model=model)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the data the sweep ran on (:meth:`refit` then needs ``data``)."""
        return {k: v for k, v in self.__dict__.items() if k != "_data"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _spread(values: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=np.float64)
    return {
        "mean": float(arr.mean()),
        "std": float(arr.std(ddof=1)) if arr.size > 1 else 0.0,
        "min": float(arr.min()),
        "max": float(arr.max()),
    }


def _group_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in results:
        groups.setdefault(tuple(row[g] for g in GROUP), []).append(row)
    summary = []
    for key, rows in groups.items():
        entry: dict[str, Any] = dict(zip(GROUP, key, strict=True))
        entry["name"] = describe(entry["factor"], entry["upweight"], entry["correction"])
        entry["repeats"] = len(rows)
        entry["fit_shared"] = all(r["fit_shared_with"] is not None for r in rows)
        entry["warnings"] = sum(int(r.get("warnings") or 0) for r in rows)
        entry["first_warning"] = next(
            (r["first_warning"] for r in rows if r.get("first_warning")), None
        )
        for measure in MEASURES:
            for stat, value in _spread([r[measure] for r in rows]).items():
                entry[f"{measure}_{stat}"] = value
        summary.append(entry)
    return summary


def convergence_summary(runs: list[dict[str, Any]], tolerance: float) -> list[dict[str, Any]]:
    """Per run: final validation log loss, and examples and seconds to come close to it.

    "Close" is within ``max(tolerance, 2 %)`` of the lowest final loss of all runs of the
    same learner and correction, so the factors are compared against one target.
    """
    out = []
    margin = max(tolerance, 0.02)
    targets: dict[tuple[str, str], float] = {}
    for run in runs:
        key = (run["learner"], run["correction"])
        targets[key] = min(targets.get(key, math.inf), run["val_log_loss"][-1])
    for run in runs:
        target = targets[(run["learner"], run["correction"])] * (1 + margin)
        reached = [i for i, loss in enumerate(run["val_log_loss"]) if loss <= target]
        first = reached[0] if reached else None
        out.append(
            {
                "learner": run["learner"],
                "factor": run["factor"],
                "correction": run["correction"],
                "final_log_loss": run["val_log_loss"][-1],
                "examples_seen": run["examples"][-1],
                "seconds": run["seconds"][-1],
                "target_log_loss": target,
                "examples_to_target": None if first is None else run["examples"][first],
                "seconds_to_target": None if first is None else run["seconds"][first],
                "share_without_minority": run["batches_without_minority"] / run["batches"],
                "predicted_share_without_minority": run["predicted_share_without_minority"],
            }
        )
    return out


def summarize(
    results: list[dict[str, Any]],
    *,
    curves: dict[str, dict[str, Any]],
    convergence: list[dict[str, Any]],
    profile: ImbalanceProfile,
    split: dict[str, dict[str, Any]],
    settings: dict[str, Any],
    timings: dict[str, float],
) -> SweepResult:
    """Build the result: the summary over repeats and the recommendation."""
    summary = _group_rows(results)
    recommendation = recommend(
        summary,
        convergence_summary(convergence, settings["tolerance"]),
        tolerance=settings["tolerance"],
        train_rows=split["train"]["rows"],
        batch_size=settings["batch_size"],
    )
    per_class = _per_class_factors(results, recommendation.cheapest)
    if per_class:
        recommendation = dataclasses.replace(
            recommendation, lines=(*recommendation.lines, per_class)
        )
    return SweepResult(
        results=results,
        summary=summary,
        curves=curves,
        convergence=convergence,
        profile=profile,
        split=split,
        settings=settings,
        timings=timings,
        recommendation=recommendation,
    )


def _per_class_factors(results: list[dict[str, Any]], choice: Choice) -> str | None:
    """Several classes: each class's factor behind the cheapest pick, as ``sample`` takes it.

    (``sample --factor k`` alone downsamples the majority only.)
    """
    for row in results:
        table = row.get("per_class")
        if (
            table
            and "factor" in table
            and all(row[g] == getattr(choice, g) for g in ("factor", "upweight", "correction"))
        ):
            factors = {c: f for c, f in table["factor"].items() if f > 1}
            if not factors:
                return None
            spelled = ",".join(f"{c}={f:.4g}" for c, f in factors.items())
            return (
                f"Per class, {choice.name} downsamples {spelled.replace(',', ', ')} (each "
                "capped so that no class falls below the smallest); to draw those rows: "
                f"upweight sample DATA --factor '{spelled}'."
            )
    return None


def _choice(entry: dict[str, Any]) -> Choice:
    figures = {key[: -len("_mean")]: value for key, value in entry.items() if key.endswith("_mean")}
    return Choice(
        model=entry["model"],
        factor=entry["factor"],
        upweight=entry["upweight"],
        correction=entry["correction"],
        figures=figures,
    )


def _pct(new: float, old: float) -> str:
    return f"{100 * (new / old - 1):+.1f}%" if old else "n/a"


def _test_words(c: Choice) -> str:
    f = c.figures
    return (
        f"test log loss {f['test_log_loss']:.5f}, prediction bias "
        f"{f['test_prediction_bias']:+.1f}%, average precision {f['test_average_precision']:.4f}, "
        f"ROC AUC {f['test_roc_auc']:.4f}, recall {f['test_recall_at_precision']:.3f} at the "
        "set precision"
    )


def _seconds(x: float) -> str:
    return f"{x:.3g} s"


def recommend(
    summary: list[dict[str, Any]],
    convergence: list[dict[str, Any]],
    *,
    tolerance: float,
    train_rows: int,
    batch_size: int,
) -> Recommendation:
    """The recommendation, with honest statements where a factor or correction does worse."""
    by_loss = sorted(
        summary, key=lambda e: (e["val_log_loss_mean"], e["rows_trained_mean"], e["factor"])
    )
    best_entry = by_loss[0]
    best_loss = best_entry["val_log_loss_mean"]
    close = [e for e in summary if e["val_log_loss_mean"] <= best_loss * (1 + tolerance)]
    cheapest_entry = min(
        close, key=lambda e: (e["rows_trained_mean"], e["fit_seconds_mean"], e["factor"])
    )
    best, cheapest = _choice(best_entry), _choice(cheapest_entry)
    lines = [
        f"Best validation log loss: {best.name} ({best.figures['val_log_loss']:.5f}); "
        f"{_test_words(best)}."
    ]
    if cheapest_entry is best_entry:
        lines.append(
            f"It is also the cheapest configuration within {tolerance:.0%} of the best: "
            f"{int(best.figures['rows_trained']):,} rows trained, fit in "
            f"{_seconds(best.figures['fit_seconds'])}."
        )
    else:
        share = cheapest.figures["rows_trained"] / train_rows
        lines.append(
            f"Cheapest within {tolerance:.0%} of it: {cheapest.name}: trains on "
            f"{int(cheapest.figures['rows_trained']):,} rows ({share:.1%} of the training "
            f"split), fit in {_seconds(cheapest.figures['fit_seconds'])} (the best: "
            f"{_seconds(best.figures['fit_seconds'])}); validation log loss "
            f"{cheapest.figures['val_log_loss']:.5f} "
            f"({_pct(cheapest.figures['val_log_loss'], best_loss)}); {_test_words(cheapest)}."
        )
    full = [e for e in summary if e["factor"] == 1 and e["correction"] != "none"]
    full = full or [e for e in summary if e["factor"] == 1]
    if full:
        f1 = min(full, key=lambda e: e["val_log_loss_mean"])
        lines.append(
            f"With all training rows (k=1): validation log loss {f1['val_log_loss_mean']:.5f}, "
            f"fit in {_seconds(f1['fit_seconds_mean'])}; the cheapest recommendation's log "
            f"loss differs by {_pct(cheapest.figures['val_log_loss'], f1['val_log_loss_mean'])}"
            f" and its fit takes "
            f"{100 * cheapest.figures['fit_seconds'] / f1['fit_seconds_mean']:.0f}%"
            " of the time."
            if f1 is not cheapest_entry
            else f"With all training rows (k=1): validation log loss "
            f"{f1['val_log_loss_mean']:.5f}, fit in {_seconds(f1['fit_seconds_mean'])}."
        )
    lines.extend(_honesty(summary, best_loss, tolerance))
    lines.extend(_convergence_words(convergence, cheapest, batch_size))
    return Recommendation(best=best, cheapest=cheapest, tolerance=tolerance, lines=tuple(lines))


def _honesty(summary: list[dict[str, Any]], best_loss: float, tolerance: float) -> list[str]:
    """Where a factor or a correction does worse, in words."""
    lines = []
    none = [e for e in summary if e["correction"] == "none" and e["factor"] > 1]
    if none:
        worst = max(none, key=lambda e: e["val_prediction_bias_mean"])
        parts = ", ".join(
            f"k={e['factor']:g}: {e['val_prediction_bias_mean']:+.0f}%"
            for e in sorted(none, key=lambda e: e["factor"])
        )
        lines.append(
            f"No correction does worse: downsampled without a correction, the model's "
            f"prediction bias on validation is {parts}; at k={worst['factor']:g} its log loss "
            f"is {_pct(worst['val_log_loss_mean'], best_loss)} against the best."
        )
    by_factor: dict[float, dict[str, dict[str, Any]]] = {}
    for e in summary:
        if e["correction"] == "upweight" and e["upweight"] != e["factor"]:
            continue
        by_factor.setdefault(e["factor"], {})[e["correction"]] = e
    worse: dict[str, list[str]] = {"upweight": [], "offset": []}
    for k, entries in sorted(by_factor.items()):
        if k == 1 or "upweight" not in entries or "offset" not in entries:
            continue
        up, off = entries["upweight"], entries["offset"]
        for loser, winner in (("upweight", off), ("offset", up)):
            lose = up if loser == "upweight" else off
            if lose["val_log_loss_mean"] > winner["val_log_loss_mean"] * (1 + tolerance):
                change = _pct(lose["val_log_loss_mean"], winner["val_log_loss_mean"])
                worse[loser].append(
                    f"k={k:g} (log loss {change}"
                    f", prediction bias {lose['val_prediction_bias_mean']:+.1f}% vs "
                    f"{winner['val_prediction_bias_mean']:+.1f}%)"
                )
    if worse["upweight"]:
        lines.append(
            "Upweighting does worse than the offset correction at "
            + "; ".join(worse["upweight"])
            + "."
        )
    if worse["offset"]:
        lines.append(
            "The offset correction does worse than upweighting at "
            + "; ".join(worse["offset"])
            + "."
        )
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
        for k, e in sorted(factor_best.items())
        if e["val_log_loss_mean"] > best_loss * (1 + tolerance)
    ]
    if far:
        lines.append(
            f"Factors that do worse than the best by more than {tolerance:.0%} even with a "
            "correction: "
            + ", ".join(
                f"k={e['factor']:g} ({_pct(e['val_log_loss_mean'], best_loss)})" for e in far
            )
            + "."
        )
    elif len(factor_best) > 1:
        lines.append(
            f"Every factor tried comes within {tolerance:.0%} of the best validation log loss "
            "with its better correction."
        )
    biased = [e for e in corrected if abs(e["val_prediction_bias_mean"]) > 10]
    if biased:
        lines.append(
            "Still biased by more than 10% despite a correction: "
            + ", ".join(f"{e['name']} ({e['val_prediction_bias_mean']:+.1f}%)" for e in biased)
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
            f"{one['final_log_loss']:.5f} at k=1 and {other['final_log_loss']:.5f} at "
            f"k={k:g}. First below {one['target_log_loss']:.5f} (near the lowest final loss "
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
                f"k={r['factor']:g} {r['correction']} ({r['final_log_loss']:.5f})"
                for r in sorted(unsteady, key=lambda r: (r["correction"], r["factor"]))
            )
            + "."
        )
    return lines
