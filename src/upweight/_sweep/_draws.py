"""Each draw of training rows: select and load them, fit, evaluate, store; convergence.

A draw is one repeat at one factor. Its rows are selected by a plan made from the
training split's class counts (exact selection, seed ``seed + repeat``) and loaded once:
for one repeat the rows of the smallest factor are read from the source, and a larger
factor, which keeps a subset of them (the selection is nested), takes its rows in memory.

Then each configuration of the draw is fitted, evaluated on validation and test, and
stored as it ends. What a configuration trains with and how its predictions are brought
to the true distribution is its correction's to say (:mod:`upweight._correct`):
configurations with equal :class:`~._keys.FitKey` share one fit, and those with equal
:class:`~._keys.EvalKey` share their figures. At the first repeat, the factor's
convergence runs follow on the same rows.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._correct import Correction, correction
from .._downsample import select_encoded
from .._exceptions import InputError, UpweightError
from .._plan import SamplingPlan
from .._plan import plan as make_plan
from .._rows import is_sparse
from ._arguments import Arguments
from ._capture import captured
from ._columns import numeric_matrix, take
from ._convergence import run_convergence
from ._holdout import Holdout
from ._intervals import encode, row_losses
from ._keys import Config, ConvergenceKey, ConvergenceRunKey, EvalKey, FitKey
from ._measure import PeakMemory, disk_bytes
from ._metrics import evaluate_and_curves, evaluate_binary, evaluate_multiclass
from ._models import estimator_text, fit_model
from ._outdir import OutputFolder
from ._source import Source
from ._split import Labels, Split

__all__ = ["ROBUST_BELOW", "TIMINGS", "Draw", "Runner"]

#: Fits faster than this (seconds) are timed again ...
ROBUST_BELOW = 1.0
#: ... up to this many timings in all.
TIMINGS = 5

Progress = Callable[[int, int, str], None]
#: Stored runs: config id -> {"row": ..., "curves": ...}; convergence key -> run.
Done = dict[str, dict[str, Any]]
ConvergenceDone = dict[ConvergenceKey, dict[str, Any]]


@dataclass
class Draw:
    """The training rows of one repeat at one factor, as selected and loaded."""

    split: Split  # the draw's training, validation and test rows
    repeat: int
    factor: float
    indices: npt.NDArray[np.intp]  # positions within the training split, sorted
    plan: SamplingPlan  # as applied, weighted by the factor
    plain: SamplingPlan  # as applied, without weights
    kept_codes: npt.NDArray[Any]
    outcome: npt.NDArray[np.float64]  # 1.0 for the minority class
    X: Any
    load_seconds: float
    memory_mb: float  # what selecting and loading added to the peak
    disk: Future[int]  # Parquet bytes of the rows, measured in a thread
    disk_size: int | None = None  # once waited for


@dataclass(frozen=True)
class _Fit:
    """One fitted model's probabilities of the minority class, and what the fit cost."""

    seconds: float
    peak_mb: float
    first: str  # the configuration it was fitted for
    val: npt.NDArray[np.float64]
    test: npt.NDArray[np.float64]
    warnings: tuple[str, ...] = ()  # what the fit and its predictions warned, one line each
    timings: tuple[float, ...] = ()  # every timing of the fit (fits under a second: several)


@dataclass(frozen=True)
class _Figures:
    """Validation and test figures of one fit, rescaled one way; test curves."""

    val: dict[str, float]
    test: dict[str, float]
    curves: dict[str, Any]
    per_class: dict[str, dict[str, float]] | None = None  # several classes: figure -> class
    losses: dict[str, str] | None = None  # per-row log losses of the sampled rows (encoded)


def _positions_within(
    indices: npt.NDArray[np.intp], loaded: tuple[npt.NDArray[np.intp], Any] | None
) -> npt.NDArray[np.intp] | None:
    """Where ``indices`` sit in the loaded rows' indices, if all are there."""
    if loaded is None or indices.size > loaded[0].size:
        return None
    where = np.searchsorted(loaded[0], indices)
    if where.size and (
        where[-1] >= loaded[0].size or not np.array_equal(loaded[0][where], indices)
    ):
        return None
    return where


def _proba(estimator: Any, X: Any, multiclass: bool) -> npt.NDArray[np.float64]:
    """P(minority) of each row; with several classes, every column (in code order).

    Probabilities that are not (NaN, outside [0, 1]) are the model's fault, said so.
    """
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    if proba.size and not (np.isfinite(proba).all() and proba.min() >= 0 and proba.max() <= 1):
        bad = proba[~(np.isfinite(proba) & (proba >= 0) & (proba <= 1))].flat[0]
        raise ValueError(f"its predict_proba gave {float(bad)!r}, not a probability in [0, 1]")
    if multiclass:
        return proba
    return proba[:, 1] if proba.ndim == 2 else proba


def _printable(text: str, limit: int = 200) -> str:
    """``text`` on one line of printable characters (others become "?"), at most ``limit``."""
    text = "".join(c if c.isprintable() else "?" for c in " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(warning: warnings.WarningMessage) -> str:
    """A caught warning as ``Category: message``, on one line, at most 200 characters."""
    return _printable(f"{warning.category.__name__}: {warning.message}")


def _printed(lines: list[str]) -> tuple[str, ...]:
    """What the model printed, as one entry among its warnings (none if it printed nothing)."""
    if not lines:
        return ()
    return (_printable(f"printed {len(lines)} line(s): {lines[0]}"),)


def _eval_key(fit: FitKey, corr: Correction, plan: SamplingPlan) -> EvalKey:
    """The fit's predictions rescaled as ``corr`` does under ``plan``, as the sweep measures.

    ``residual=False``: an upweight other than the factor is measured as it is.
    """
    shifts = corr.shifts(plan, residual=False)
    ratios = corr.ratios(plan, residual=False) if shifts else None
    return EvalKey(fit, None if ratios is None else tuple(ratios.items()))


class Runner:
    """Runs the draws of one sweep, filling ``done`` and ``conv_done`` as runs end."""

    def __init__(
        self,
        *,
        args: Arguments,
        source: Source,
        labels: Labels,
        splits: Sequence[Split],
        factors: Sequence[float],
        folder: OutputFolder | None,
        done: Done,
        conv_done: ConvergenceDone,
        total: int,
        timings: dict[str, float],
        progress: Progress | None,
    ) -> None:
        self.args = args
        self.source = source
        self.labels = labels
        self.splits = list(splits)
        self.factors = list(factors)
        #: Every row, loaded once, when the scheme cross-validates (else read per draw).
        self.rows: Any = None
        self.folder = folder
        self.done = done
        self.conv_done = conv_done
        self.finished = len(done)
        self.total = total
        self.timings = timings
        self.progress = progress
        # the classes of the probability columns: [majority, minority] for two
        self.classes = labels.classes if labels.multiclass else [labels.majority, labels.minority]
        #: Why convergence was not measured although asked for ("auto": too costly).
        self.convergence_note: str | None = None
        self._deciding = False
        self.estimator = estimator_text(args.model, source.columns)

    def announce(self, text: str) -> None:
        """Tell the progress callback how many configurations are done, and what is next."""
        if self.progress is not None:
            self.progress(self.finished, self.total, text)

    # -- the loop ---------------------------------------------------------------------------
    def run(
        self,
        configs: Sequence[Config],
        conv_keys: Sequence[ConvergenceKey],
        holdout_of: Callable[[Split], Holdout],
    ) -> None:
        """Every draw that has a configuration or a convergence run left to measure.

        ``holdout_of(split)`` gives a draw's validation and test rows (one for every draw
        of a hold-out split).
        """
        args = self.args
        pending = (
            [key for key in conv_keys if key not in self.conv_done] if args.convergence else []
        )
        if pending and not self.source.columns.numeric:
            pending = []
            self.convergence_note = "the data has no numeric column for the minibatch learner"
        # "auto": the first factor's runs are timed, then kept only if the whole is cheap
        # (once runs are stored, an earlier run found it so)
        self._deciding = args.convergence_auto and bool(pending) and not self.conv_done
        # the Parquet size of each training set is measured in a thread, next to the fits
        writer = ThreadPoolExecutor(max_workers=1)
        holdout: Holdout | None = None
        shown: Split | None = None
        try:
            for split in self.splits:
                loaded: tuple[npt.NDArray[np.intp], Any] | None = None
                first = split is self.splits[0]
                for k in self.factors:
                    todo = [
                        c
                        for c in configs
                        if c.repeat == split.repeat
                        and c.fold == split.fold
                        and c.factor == k
                        and c.id not in self.done
                    ]
                    conv_todo = [key for key in pending if key.factor == k] if first else []
                    if not todo and not conv_todo:
                        continue
                    clock = time.perf_counter()
                    if shown is None or shown.val_pos is not split.val_pos:
                        holdout, shown = holdout_of(split), split
                    assert holdout is not None
                    draw = self._draw(split, k, loaded, writer)
                    loaded = (draw.indices, draw.X)
                    self._configurations(draw, todo, holdout, timed=first)
                    if conv_todo and not self._convergence(
                        draw, conv_todo, holdout, pending, time.perf_counter() - clock
                    ):
                        pending = []
                    if draw.disk_size is None:  # only convergence ran: the size is not reported
                        draw.disk.cancel()
        finally:
            # Ctrl-C: the configuration in flight is lost, the stored ones are kept
            writer.shutdown(wait=False, cancel_futures=True)

    # -- select and load --------------------------------------------------------------------
    def _draw(
        self,
        split: Split,
        k: float,
        loaded: tuple[npt.NDArray[np.intp], Any] | None,
        writer: ThreadPoolExecutor,
    ) -> Draw:
        """Select the rows of one draw (repeat, fold) at factor ``k``, and load them."""
        r = split.repeat
        where = f"repeat {r + 1}" + ("" if split.fold is None else f", fold {split.fold + 1}")
        self.announce(f"k={k:g}, {where}: selecting rows")
        seed, train = self.args.seed + r, split.train
        with PeakMemory() as memory:
            clock = time.perf_counter()
            base = make_plan(split.train_counts, factor=split.factor(k))
            selection = select_encoded(train, base, random_state=seed, method="exact")
            kept_codes = train.codes[selection.indices]
            outcome = self.labels.outcome(kept_codes)
            self.timings["select"] += time.perf_counter() - clock
            clock = time.perf_counter()
            within = _positions_within(selection.indices, loaded)
            if within is not None and loaded is not None:
                X = take(loaded[1], within)
            elif self.rows is not None:
                X = take(self.rows, split.train_pos[selection.indices])
            else:
                X, _ = self.source.rows(split.train_pos[selection.indices])
            load_seconds = time.perf_counter() - clock
            self.timings["load training rows"] += load_seconds
        plain = make_plan(split.train_counts, factor=split.factor(k), weights="none").applied(
            selection.plan.kept, method="exact", seed=seed
        )
        disk = writer.submit(disk_bytes, X, outcome, selection.sample_weight)
        return Draw(
            split=split,
            repeat=r,
            factor=k,
            indices=selection.indices,
            plan=selection.plan,
            plain=plain,
            kept_codes=kept_codes,
            outcome=outcome,
            X=X,
            load_seconds=load_seconds,
            memory_mb=memory.mb,
            disk=disk,
        )

    def _plan(self, draw: Draw, config: Config, corr: Correction) -> SamplingPlan:
        """The plan as applied to the draw, with the configuration's weights if it has any."""
        if not corr.trains_weighted:
            return draw.plain
        # the upweight "factor" is each class's own factor (several classes: capped)
        upweight = None if config.upweight == draw.factor else config.upweight
        split = draw.split
        return make_plan(
            split.train_counts, factor=split.factor(draw.factor), upweight=upweight
        ).applied(draw.plan.kept, method="exact", seed=self.args.seed + draw.repeat)

    # -- fit, evaluate, store ---------------------------------------------------------------
    def _configurations(
        self, draw: Draw, todo: Sequence[Config], holdout: Holdout, *, timed: bool
    ) -> None:
        """Fit (shared fits once), evaluate and store each configuration of the draw.

        ``timed``: fits under a second are timed several times (the first draw only; under
        cross-validation every fold times the fit again).
        """
        fits: dict[FitKey, _Fit] = {}
        figures: dict[EvalKey, _Figures] = {}
        for config in todo:
            corr = correction(config.correction)
            plan = self._plan(draw, config, corr)
            fit_key = FitKey(draw.repeat, draw.factor, corr.fit_key(plan))
            if fit_key not in fits:
                weights = plan.weight_array()[draw.kept_codes] if corr.weighted(plan) else None
                fits[fit_key] = self._fit(draw, config, weights, holdout, timed=timed)
            eval_key = _eval_key(fit_key, corr, plan)
            clock = time.perf_counter()
            if eval_key not in figures:
                figures[eval_key] = self._evaluate(fits[fit_key], corr, plan, holdout)
            self.timings["evaluate"] += time.perf_counter() - clock
            if draw.disk_size is None:
                clock = time.perf_counter()
                draw.disk_size = draw.disk.result()
                self.timings["disk size (waited for)"] += time.perf_counter() - clock
            self._store(draw, config, fits[fit_key], figures[eval_key])

    def _fit(
        self,
        draw: Draw,
        config: Config,
        weights: npt.NDArray[np.float64] | None,
        holdout: Holdout,
        *,
        timed: bool = False,
    ) -> _Fit:
        """Fit the model on the draw's rows; its probabilities on validation and test.

        Warnings of the fit and the predictions are kept with the results (never printed);
        a fit that fails is one error naming the configuration. With ``timed``, a fit that
        took under a second is fitted again, up to :data:`TIMINGS` times in all or about a
        second, and every timing kept: the fastest is the fit's cost, least disturbed by
        whatever else the machine was doing.
        """
        self.announce(f"k={draw.factor:g}, repeat {draw.repeat + 1}: fitting")
        model = self.args.model
        model_seed = 0 if model.deterministic else self.args.seed + draw.repeat
        estimator, fit_params = model.make(
            self.source.columns, seed=model_seed, sparse=is_sparse(draw.X)
        )
        multiclass = self.labels.multiclass
        target = draw.kept_codes.astype(np.int64) if multiclass else draw.outcome.astype(np.int64)
        with warnings.catch_warnings(record=True) as caught, captured() as printed:
            warnings.simplefilter("always")
            with PeakMemory() as memory:
                clock = time.perf_counter()
                self._guarded(
                    config, lambda: fit_model(estimator, draw.X, target, weights, fit_params)
                )
                seconds = time.perf_counter() - clock
            self.timings["fit"] += seconds
            clock = time.perf_counter()
            val = self._guarded(config, lambda: _proba(estimator, holdout.X_val, multiclass))
            test = self._guarded(config, lambda: _proba(estimator, holdout.X_test, multiclass))
        timings = [seconds]
        if timed:
            timings += self._timed_again(draw, weights, target, seconds)
        fit = _Fit(
            seconds=min(timings),
            timings=tuple(timings),
            # what selection and loading added, plus what the fit added on top
            peak_mb=draw.memory_mb + memory.mb,
            first=config.id,
            val=val,
            test=test,
            warnings=(*(_one_line(w) for w in caught), *_printed(printed)),
        )
        self.timings["evaluate"] += time.perf_counter() - clock
        return fit

    def _timed_again(
        self,
        draw: Draw,
        weights: npt.NDArray[np.float64] | None,
        target: npt.NDArray[np.int64],
        first: float,
    ) -> list[float]:
        """More timings of a fit under a second (fresh estimators; their output is dropped)."""
        out: list[float] = []
        model = self.args.model
        seed = 0 if model.deterministic else self.args.seed + draw.repeat
        while first < ROBUST_BELOW and len(out) + 1 < TIMINGS and first + sum(out) < 1.0:
            estimator, fit_params = model.make(
                self.source.columns, seed=seed, sparse=is_sparse(draw.X)
            )
            with warnings.catch_warnings(), captured():
                warnings.simplefilter("ignore")
                clock = time.perf_counter()
                fit_model(estimator, draw.X, target, weights, fit_params)
                out.append(time.perf_counter() - clock)
        self.timings["fit"] += sum(out)
        return out

    def _guarded(self, config: Config, call: Callable[[], Any]) -> Any:
        """``call()``; a model's own error becomes one line naming the configuration."""
        try:
            return call()
        except (UpweightError, MemoryError):
            raise
        except SystemExit as exc:  # a model must raise, not end the process
            raise InputError(
                f"model {self.args.model.label} called sys.exit({exc.code!r}) at "
                f"k={config.factor:g} ({config.correction}); a model must raise an error instead"
            ) from None
        except Exception as exc:
            text = " ".join(str(exc).split())[:300]
            model = self.args.model
            hint = (
                "check that the model fits these columns (text, missing values), or leave "
                "columns out (--drop)"
            )
            if not model.builtin:
                hint = f"check its parameters (--model-params) and {hint[6:]}"
            raise InputError(
                f"model {model.label} failed at k={config.factor:g} ({config.correction}): "
                f"{type(exc).__name__}: {text}; {hint}"
            ) from None

    def _evaluate(
        self, fit: _Fit, corr: Correction, plan: SamplingPlan, holdout: Holdout
    ) -> _Figures:
        """The fit's figures with its predictions brought to the true distribution."""
        precision = self.args.precision
        p_val = corr.to_true(fit.val, plan, classes=self.classes, residual=False)
        p_test = corr.to_true(fit.test, plan, classes=self.classes, residual=False)
        losses = self._losses(p_val, p_test, holdout)
        if self.labels.multiclass:
            val, val_classes, _ = evaluate_multiclass(
                holdout.codes_val, p_val, self.classes, precision=precision
            )
            test, test_classes, curves = evaluate_multiclass(
                holdout.codes_test, p_test, self.classes, precision=precision
            )
            per_class = {f"val_{m}": v for m, v in val_classes.items()}
            per_class.update({f"test_{m}": v for m, v in test_classes.items()})
            return _Figures(val, test, curves, per_class=per_class, losses=losses)
        test, curves = evaluate_and_curves(holdout.y_test, p_test, precision=precision)
        val = evaluate_binary(holdout.y_val, p_val, precision=precision)
        return _Figures(val=val, test=test, curves=curves, losses=losses)

    def _losses(
        self, p_val: npt.NDArray[np.float64], p_test: npt.NDArray[np.float64], holdout: Holdout
    ) -> dict[str, str] | None:
        """Per-row log losses of the rows kept for the intervals, encoded for storing."""
        if holdout.val_sample is None or holdout.test_sample is None:
            return None
        multiclass = self.labels.multiclass
        out = {}
        for name, p, codes, rows in (
            ("val", p_val, holdout.codes_val, holdout.val_sample),
            ("test", p_test, holdout.codes_test, holdout.test_sample),
        ):
            # several classes: each row's class; two: 1 for the minority, against P(minority)
            truth = codes[rows] if multiclass else self.labels.outcome(codes[rows]).astype(np.intp)
            out[name] = encode(row_losses(p[rows], truth, 1))
        return out

    def _store(self, draw: Draw, config: Config, fit: _Fit, figures: _Figures) -> None:
        """One row of the results, stored in the output folder as soon as it is known."""
        outcome = draw.outcome
        row: dict[str, Any] = {
            "config_id": config.id,
            "model": config.model,
            "factor": draw.factor,
            "upweight": config.upweight,
            "correction": config.correction,
            "repeat": draw.repeat,
            "fold": config.fold,
            "seed": self.args.seed + draw.repeat,
            "rows_trained": int(outcome.size),
            "minority_trained": int(outcome.sum()),
            "majority_trained": int(outcome.size - outcome.sum()),
            "minority_share_trained": float(outcome.mean()),
            "fit_seconds": fit.seconds,
            "fit_timings": len(fit.timings),
            "load_seconds": draw.load_seconds,
            "peak_memory_mb": fit.peak_mb,
            "disk_bytes": draw.disk_size,
            "fit_shared_with": None if fit.first == config.id else fit.first,
            "estimator": self.estimator,
            "warnings": len(fit.warnings),
            "first_warning": fit.warnings[0] if fit.warnings else None,
            "per_class": self._per_class(draw, figures),
            **{f"val_{m}": v for m, v in figures.val.items()},
            **{f"test_{m}": v for m, v in figures.test.items()},
        }
        entry = {"row": row, "curves": figures.curves, "losses": figures.losses}
        if self.folder is not None:
            self.folder.write_json(config.file_name, entry)
        self.done[config.id] = entry
        self.finished += 1
        self.announce(f"k={draw.factor:g}, repeat {draw.repeat + 1}")

    def _per_class(self, draw: Draw, figures: _Figures) -> dict[str, dict[str, Any]] | None:
        """Several classes: rows trained and the per-class figures, by ``str(class)``."""
        if figures.per_class is None:
            return None
        kept = np.bincount(draw.kept_codes, minlength=len(self.classes))
        rows = {str(c): int(n) for c, n in zip(self.classes, kept, strict=True)}
        factors = {str(c.label): float(c.factor) for c in draw.plan}
        return {"factor": factors, "rows_trained": rows, **figures.per_class}

    # -- convergence ------------------------------------------------------------------------
    def _convergence(
        self,
        draw: Draw,
        keys: Sequence[ConvergenceKey],
        holdout: Holdout,
        pending: Sequence[ConvergenceKey],
        draw_seconds: float,
    ) -> bool:
        """The factor's convergence runs on the draw's rows; equal runs are run once.

        Under ``convergence="auto"`` the first factor's runs decide: when all of them would
        take more than about a quarter of the sweep, they are dropped (nothing stored) and
        False returned, with :attr:`convergence_note` saying why.
        """
        clock = time.perf_counter()
        self.announce(f"k={draw.factor:g}: convergence")
        args = self.args
        X = numeric_matrix(draw.X, self.source.columns)
        runs: dict[ConvergenceRunKey, dict[str, Any]] = {}
        measured: dict[ConvergenceKey, dict[str, Any]] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the learners' own notes are not results
            for key in keys:
                corr = correction(key.correction)
                plan = draw.plan if corr.trains_weighted else draw.plain
                fit_key = FitKey(draw.repeat, draw.factor, corr.fit_key(plan))
                run_key = ConvergenceRunKey(key.learner, _eval_key(fit_key, corr, plan))
                if run_key not in runs:
                    weighted = corr.weighted(plan)
                    runs[run_key] = run_convergence(
                        X,
                        draw.outcome,
                        plan.weight_array()[draw.kept_codes] if weighted else None,
                        correction=key.correction,
                        plan=plan,
                        classes=self.classes,
                        X_val=holdout.conv_X,
                        outcome_val=holdout.conv_y,
                        center=holdout.center,
                        scale=holdout.scale,
                        batch_size=args.batch_size,
                        n_batches=args.convergence_batches,
                        seed=args.seed,
                        learner=key.learner,
                    )
                measured[key] = {
                    **runs[run_key],
                    "factor": draw.factor,
                    "correction": key.correction,
                }
        spent = time.perf_counter() - clock
        self.timings["convergence"] += spent
        if self._deciding:
            self._deciding = False
            note = self._too_costly(spent, draw_seconds, pending)
            if note is not None:
                self.convergence_note = note
                return False
        for key, run in measured.items():
            if self.folder is not None:
                self.folder.write_json(key.file_name, run)
            self.conv_done[key] = run
        return True

    def _too_costly(
        self, spent: float, draw_seconds: float, pending: Sequence[ConvergenceKey]
    ) -> str | None:
        """Why the convergence runs would cost more than a quarter of the sweep, or None.

        Projected from the first factor: its convergence runs (``spent``) times the
        factors to measure, against its draw (selection, loading, fits: ``draw_seconds``)
        scaled to every draw -- a fit's time taken as proportional to its rows, so that a
        factor k draws k_min / k of the first draw's time -- plus what the sweep spent
        before (labels, split, validation and test rows).
        """
        factors = sorted({key.factor for key in pending})
        k_min = factors[0] if factors else 1.0
        conv = spent * len(factors)
        n_draws = len(self.splits)
        draws = draw_seconds * n_draws * sum(k_min / k for k in self.factors)
        before = sum(
            self.timings.get(name, 0.0)
            for name in ("count labels", "split", "load validation and test")
        )
        if conv <= (draws + before) / 3:
            return None
        return (
            f"skipped: it would take about {conv:.1f} s against {draws + before:.1f} s for "
            "the rest of the sweep (convergence='auto'); pass convergence=True "
            "(--convergence on) to measure it"
        )
