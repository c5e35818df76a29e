"""What a sweep measured, as plain data, and the recommendation drawn from it.

Nothing here draws or writes: the plots and the HTML report (:mod:`._report`) only read
a :class:`SweepResult`, and :mod:`._save` writes it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._profile import ImbalanceProfile
from ._choice import Choice, Recommendation, describe
from ._display import result_html, result_repr
from ._metrics import METRICS
from ._recommend import attach_intervals, recommend

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


@dataclass
class SweepResult:
    """What :func:`upweight.sweep` measured; plain data, rendered by the report.

    Attributes
    ----------
    results : list of dict
        One row per configuration and draw: factor, upweight, correction, repeat, fold
        (under cross-validation; else None), rows
        trained, fit time, peak memory (MB of resident memory the configuration added: the
        peak while its rows were selected and loaded, plus the peak the fit added on top;
        Linux only, NaN elsewhere), on-disk size of the downsampled training rows (Parquet
        bytes), and on validation (``val_``) and test (``test_``): log loss, Brier, prediction bias,
        ECE, average precision, ROC AUC, recall at the set precision.
    summary : list of dict
        One row per configuration: ``<measure>_mean``, ``_std``, ``_min``, ``_max`` over
        repeats and folds; ``val_log_loss_vs_best`` and ``val_log_loss_vs_full`` (the
        difference from the best and from k = 1) and ``test_log_loss_vs_full``, each with
        ``_lo`` / ``_hi``, its 95 % interval; ``test_log_loss_lo`` / ``_hi``;
        ``clearly_worse_than``: a configuration at the same factor that beats it clearly.
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

    Examples
    --------
    >>> import upweight
    >>> from upweight.datasets import make_imbalanced
    >>> data = make_imbalanced(4_000, minority_share=0.05, random_state=0)
    >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 4], corrections=["upweight"],
    ...                         cv=False, convergence=False)
    >>> result.settings["scheme"]["text"], result.split["test"]["rows"]
    ('hold-out: validation 10%, test 10%', 400)
    >>> [row["name"] for row in result.summary]
    ['k=1 (all rows)', 'k=4, upweighted by 4']
    >>> result.profile.count_map, result.recommendation.cost
    ({0: 3818, 1: 182}, 'time')
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
        """One column of :attr:`results`.

        Examples
        --------
        >>> import upweight
        >>> from upweight.datasets import make_imbalanced
        >>> data = make_imbalanced(4_000, minority_share=0.05, random_state=0)
        >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 4], corrections=["upweight"],
        ...                         cv=False, convergence=False)
        >>> result.table("factor"), result.table("rows_trained")
        ([1.0, 4.0], [3200, 910])
        """
        return [row[column] for row in self.results]

    def to_arrow(self) -> Any:
        """:attr:`results` as a pyarrow Table (settings in its metadata; seeds as uint64).

        Examples
        --------
        >>> import upweight
        >>> from upweight.datasets import make_imbalanced
        >>> data = make_imbalanced(4_000, minority_share=0.05, random_state=0)
        >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 4], corrections=["upweight"],
        ...                         cv=False, convergence=False)
        >>> import json
        >>> table = result.to_arrow()
        >>> table.num_rows, table.schema.field("seed").type
        (2, DataType(uint64))
        >>> json.loads(table.schema.metadata[b"upweight.sweep"])["factors"]
        [1.0, 4.0]
        """
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
        """:attr:`results` as a pandas DataFrame (needs pandas).

        Examples
        --------
        >>> import upweight
        >>> from upweight.datasets import make_imbalanced
        >>> data = make_imbalanced(4_000, minority_share=0.05, random_state=0)
        >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 4], corrections=["upweight"],
        ...                         cv=False, convergence=False)
        >>> import pandas as pd
        >>> frame = result.to_frame()
        >>> isinstance(frame, pd.DataFrame)
        True
        >>> frame[["factor", "correction", "rows_trained"]]
           factor correction  rows_trained
        0     1.0   upweight          3200
        1     4.0   upweight           910
        """
        return self.to_arrow().to_pandas()

    def summary_arrow(self) -> Any:
        """:attr:`summary` as a pyarrow Table.

        Examples
        --------
        >>> import upweight
        >>> from upweight.datasets import make_imbalanced
        >>> data = make_imbalanced(4_000, minority_share=0.05, random_state=0)
        >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 4], corrections=["upweight"],
        ...                         cv=False, convergence=False)
        >>> summary = result.summary_arrow()
        >>> summary.num_rows, summary.column("name").to_pylist()
        (2, ['k=1 (all rows)', 'k=4, upweighted by 4'])
        """
        import pyarrow as pa

        return pa.Table.from_pylist(self.summary)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON-serialisable).

        Examples
        --------
        >>> import upweight
        >>> from upweight.datasets import make_imbalanced
        >>> data = make_imbalanced(4_000, minority_share=0.05, random_state=0)
        >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 4], corrections=["upweight"],
        ...                         cv=False, convergence=False)
        >>> import json
        >>> d = result.to_dict()
        >>> sorted(d)  # doctest: +NORMALIZE_WHITESPACE
        ['convergence', 'profile', 'recommendation', 'results', 'settings', 'split', 'summary',
         'timings']
        >>> json.loads(json.dumps(d))["split"]["test"]["rows"]
        400
        """
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
        """Per convergence run: final loss, when it came close, and empty batches.

        Examples
        --------
        >>> import upweight
        >>> from upweight.datasets import make_imbalanced
        >>> data = make_imbalanced(4_000, minority_share=0.05, random_state=0)
        >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 4], corrections=["upweight"],
        ...                         cv=False, convergence=True)
        >>> [(run["learner"], run["factor"]) for run in result.convergence_summary()]
        [('sgd', 1.0), ('sgd', 4.0)]
        >>> sorted(result.convergence_summary()[0])  # doctest: +NORMALIZE_WHITESPACE
        ['correction', 'examples_seen', 'examples_to_target', 'factor', 'final_log_loss',
         'learner', 'predicted_share_without_minority', 'seconds', 'seconds_to_target',
         'share_without_minority', 'target_log_loss']
        """
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

        Examples
        --------
        >>> import upweight
        >>> from upweight.datasets import make_imbalanced
        >>> data = make_imbalanced(4_000, minority_share=0.05, random_state=0)
        >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 4], corrections=["upweight"],
        ...                         cv=False, convergence=False)
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as outdir:
        ...     report = result.save(outdir)
        ...     names = sorted(p.name for p in report.parent.iterdir())
        >>> report.name, [name for name in names if not name.startswith(".")]
        ('report.html', ['manifest.json', 'plots', 'report.html', 'result.json', 'results.parquet'])
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
    losses: Mapping[tuple[Any, ...], Mapping[str, Sequence[tuple[Any, Any]]]] | None = None,
    codes: Any = None,
    shares: Mapping[str, Mapping[int, float]] | None = None,
    evidence: Mapping[str, Any] | None = None,
) -> SweepResult:
    """Build the result: the summary over repeats, its intervals, and the recommendation.

    ``losses``: per configuration (its :data:`GROUP` values), the per-row validation and
    test losses of every draw, with the rows' positions; ``codes`` every row's class code
    and ``shares`` each class's share of the validation and test rows (the intervals, see
    :mod:`._intervals`). ``evidence``: what the recommendation rests on (see
    :func:`._recommend.recommend`).
    """
    summary = _group_rows(results)
    if losses and codes is not None and shares is not None:
        attach_intervals(
            summary,
            losses,
            [tuple(e[g] for g in GROUP) for e in summary],
            codes,
            shares,
            seed=int(settings["seed"]),
            tolerance=settings["tolerance"],
        )
    recommendation = recommend(
        summary,
        convergence_summary(convergence, settings["tolerance"]),
        tolerance=settings["tolerance"],
        train_rows=split["train"]["rows"],
        batch_size=settings["batch_size"],
        cost=settings.get("cost", "time"),
        evidence=evidence,
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
