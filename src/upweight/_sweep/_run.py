"""The sweep: downsampling factor, upweight and correction tuned like hyperparameters.

Steps, in order, each in its own module:

1. The arguments are checked (:mod:`._arguments`), then the labels are read once (the
   counting pass) and split, stratified, into training, validation and test rows
   (:mod:`._split`). Validation and test keep the true distribution; only the training
   rows are ever downsampled.
2. The output folder is opened and the runs stored there by an earlier run on the same
   data are loaded (:mod:`._outdir`, :mod:`._stored`); the validation and test rows are
   loaded (:mod:`._holdout`).
3. For each repeat and factor, a :class:`~upweight.SamplingPlan` is made from the
   training split's class counts and applied by the in-memory engine to the training
   labels; only the kept rows are then loaded from the source. Each configuration is
   fitted (fits on the same rows with the same weights are shared: the corrections
   registry says which), evaluated on validation and test, and stored as it ends; the
   convergence of minibatch training is measured per factor (:mod:`._draws`,
   :mod:`._convergence`).
4. The results are summarized and the recommendation made from the validation figures
   (:mod:`._result`); the table, the plots and the report are written (:mod:`._save`).

What is never done twice: the labels are read once; a configuration whose rows and
weights equal another's shares its fit (offset and no correction share the unweighted
fit; at factor 1 every correction is one model); for one repeat the rows are read from
the source once, for the smallest factor, because a larger factor keeps a subset of
them (the selection is nested), and taken in memory for the others. The Parquet size
of each factor's training rows is measured in a background thread while the models
fit; the peak memory figures include that write.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._exceptions import InputError
from .._validation import check_callback
from ._arguments import DEFAULT_FACTORS, Arguments
from ._draws import ConvergenceDone, Done, Progress, Runner
from ._folds import CV_BELOW
from ._holdout import load_holdout
from ._intervals import decode, sample_rates, sampled
from ._keys import Config, ConvergenceKey
from ._models import estimator_text
from ._outdir import OutputFolder, report_files
from ._result import SweepResult, summarize
from ._save import save_into
from ._source import Source, as_source
from ._split import Labels, Split, read_labels, reasonable_factors, split_labels
from ._stored import stored_convergence, stored_runs

__all__ = ["DEFAULT_FACTORS", "SWEEP_RULES", "FolderRules", "run", "sweep"]

#: Timings of the draws, summed over them, in the order they are reported.
_DRAW_TIMINGS = (
    "select",
    "load training rows",
    "disk size (waited for)",
    "fit",
    "evaluate",
    "convergence",
)


@dataclass(frozen=True)
class FolderRules:
    """Who writes into the output folder, and what it may replace there.

    Attributes
    ----------
    strict : bool
        Refuse a folder that holds any file the sweep did not write (the demo's rule).
    replace_other : bool
        Replace the sweep's own results of other data without ``overwrite`` (the demo).
    who : str
        The program, in messages.
    """

    strict: bool = False
    replace_other: bool = False
    who: str = "upweight sweep"


#: The sweep's own rules (the demo has stricter ones).
SWEEP_RULES = FolderRules()


def sweep(
    data: Any,
    *,
    label: str | None = None,
    y: Any = None,
    factors: Iterable[float | Mapping[Any, float]] = DEFAULT_FACTORS,
    upweights: Iterable[float | str] | None = None,
    corrections: Sequence[str] = ("upweight", "offset", "none"),
    model: Any = "logreg",
    features: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    repeats: int | None = None,
    seed: int = 0,
    outdir: str | os.PathLike[str] | None = None,
    validation_size: float = 0.1,
    test_size: float | None = None,
    cv: int | bool | None = None,
    cost: str = "time",
    tolerance: float = 0.01,
    precision: float = 0.5,
    batch_size: int = 32,
    convergence: bool | str | Sequence[str] = "auto",
    convergence_batches: int = 400,
    overwrite: bool = False,
    report: bool = True,
    progress: Progress | None = None,
) -> SweepResult:
    """Tune the downsampling factor, the upweight and the correction like hyperparameters.

    Splits the data into training, validation and test rows (stratified; validation and
    test keep the true distribution), then for every configuration -- factor x upweight x
    correction x repeat -- downsamples the training rows by a :class:`SamplingPlan`,
    trains the model, and measures it on validation and test. It also measures how fast
    minibatch training converges at each factor, and recommends a configuration.

    Parameters
    ----------
    data : array-like, data frame, or path
        Features (NumPy array, SciPy sparse matrix, pandas / polars / pyarrow frame), or a
        Parquet / CSV file. A frame or file holds the labels in the column ``label``.
    label : str, optional
        Label column of a frame or file.
    y : array-like, optional
        Labels, when ``data`` holds only features.
    factors : iterable of float or dict, default=(1, 2, 5, 10, 25, 50, 100)
        Downsampling factors of the majority class (1 = all rows). With more classes, each
        applies to every class larger than the smallest, capped at it; or a per-class grid,
        ``{class: factor}`` elements (named by their largest factor); multi-class figures.
    upweights : iterable of float, optional
        Weights of kept majority rows for the ``"upweight"`` correction (default: k).
    corrections : sequence of {"upweight", "offset", "none"}
        ``"upweight"``: trained with the plan's weights; ``"offset"``: trained without
        weights, probabilities corrected by :func:`upweight.correct_proba`; ``"none"``:
        trained without weights, probabilities as they come.
    model : {"logreg", "hgb", "sgd", "lightgbm", "xgboost"} or classifier, default="logreg"
        Built in: LogisticRegression or SGDClassifier after imputing, standardising and
        one-hot encoding; HistGradientBoosting, LightGBM or XGBoost (extras) with NaN and
        native categories. Or any classifier with ``predict_proba`` (a ``Pipeline`` too),
        cloned for every fit, weights to its final step; a DataFrame if columns are named.
    features, drop : sequence of str, optional
        The columns to use, or to leave out (an ID); a constant or ID-like one is flagged.
    repeats : int, optional
        Draws of the downsampled rows per configuration (repeat *r* selects with seed
        ``seed + r``; under cross-validation, new folds too). By default 1, or under
        cross-validation as many as give about 100 minority validation predictions.
    seed : int, default=0
        Seed of the split, the selection and the models (``seed + repeats <= 2**64``).
    outdir : path, optional
        Folder for the results: each finished configuration as it ends (a rerun skips it),
        then ``results.parquet``, ``report.html``, ``plots/``. Its ``manifest.json`` lists
        what the sweep wrote; no other file is ever replaced. One sweep at a time.
    validation_size : float, default=0.1
        Share of each class held out for validation, when validation would hold 100
        minority rows; with fewer, the sweep cross-validates (K-fold, stratified).
    test_size : float, optional
        Share held out for test; by default 10 %, up to 25 % so that it holds 50 minority
        rows, else none: nested cross-validation tests every row once.
    cv : int or bool, optional
        ``K``: K-fold cross-validation, always; False: never (one validation split); by
        default, when validation would hold fewer than 100 minority rows.
    cost : {"time", "rows"}, default="time"
        What "cheapest" means: least fit time (the fastest of several timings of fits
        under a second; within 10 % is a tie, broken by rows trained), or fewest rows.
    tolerance : float, default=0.01
        The cheapest configuration within this relative tolerance of the best validation
        log loss, with 95 % confidence (paired bootstrap over rows), is recommended too.
    precision, batch_size : float, int, default=0.5, 32
        Recall is reported at this precision; batch size of the profile and convergence.
    convergence : {"auto", True, False} or str, default="auto"
        Measure minibatch convergence (SGD logistic regression): ``"auto"`` where it costs
        at most a quarter of the sweep; True: always; ``"sgd,torch"``: those learners.
    convergence_batches : int, default=400
        Batches per convergence run.
    overwrite : bool, default=False
        Compute everything again, replacing the sweep's own files in ``outdir``.
    report : bool, default=True
        With ``outdir``: also write the table, report and plots (else ``SweepResult.save``).
    progress : callable, optional
        Called as ``progress(done, total, description)`` as configurations finish.

    Returns
    -------
    SweepResult
        The results (a row per configuration and repeat), summary and recommendation.

    Raises
    ------
    PlanError
        Empty factors, a factor below 1 or too large for the majority class, an unknown
        correction.
    LabelError
        Labels that cannot be used, or too few minority rows: fewer than 4 per fold (20
        at 5 folds; the message names ``cv`` that would do), or with ``cv=False``, shares
        that leave a split fewer than ten.
    InputError
        Feature columns no model can use (dates, lists, infinite values, no value),
        unknown ``features`` / ``drop`` names, a ``model`` that is not a classifier with
        ``predict_proba`` or takes no weights with the upweight correction, or fails to
        fit (its error, in one line); convergence asked for with more than two classes.
    MissingExtraError
        The model's framework is not installed (the message names the extra).
    FileError
        ``outdir`` holds results of other data (without ``overwrite``), files of the
        user's where the sweep writes, another program's manifest, or another sweep is
        writing it; an output would replace an input; a file cannot be read or written.

    Examples
    --------
    >>> import upweight
    >>> from upweight.datasets import make_imbalanced
    >>> data = make_imbalanced(20_000, minority_share=0.02, random_state=0)
    >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 10], convergence=False)
    >>> len(result.summary), sorted(set(result.table("factor")))
    (6, [1.0, 10.0])
    >>> result.recommendation.best.correction in ("upweight", "offset", "none")
    True
    """
    given = locals()
    arguments = Arguments.check(**{name: given[name] for name in Arguments.NAMES})
    return run(
        data,
        label=label,
        y=y,
        args=arguments,
        outdir=outdir,
        progress=progress,
        features=features,
        drop=drop,
    )


def run(
    data: Any,
    *,
    label: str | None,
    y: Any,
    args: Arguments,
    outdir: str | os.PathLike[str] | None,
    progress: Progress | None = None,
    rules: FolderRules = SWEEP_RULES,
    features: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
) -> SweepResult:
    """:func:`sweep` with its arguments checked, into a folder under ``rules``."""
    check_callback(progress)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    source = as_source(data, label=label, y=y, features=features, drop=drop)
    if source.sparse and args.model.key == "hgb":
        raise InputError(
            "model 'hgb' needs dense features and X is a sparse matrix: pass X.toarray() if "
            "it fits in memory, or use logreg, sgd, lightgbm or xgboost (model=...)"
        )
    source.prepare(frame=args.model.wants_frame and _named(data, label))
    labels = read_labels(source, label=label, args=args)
    if labels.multiclass and any(u is not None for u in args.upweights):
        raise InputError(
            f"upweights other than the factor are for two classes; with "
            f"{len(labels.classes)}, each downsampled class is upweighted by its own factor: "
            "leave upweights (--upweights) out"
        )
    timings["count labels"] = time.perf_counter() - clock
    clock = time.perf_counter()
    splits = split_labels(labels, args)
    split = splits[0]
    factors, skipped = reasonable_factors(args, split)
    timings["split"] = time.perf_counter() - clock

    settings = _folder_settings(source, labels, args, label=label)
    configs = args.configs(factors, [(s.repeat, s.fold) for s in splits])
    conv_keys, conv_note = _convergence_keys(args, labels, factors)
    targets = _targets(args, configs, conv_keys, classes=labels.multiclass)
    folder = None if outdir is None else _open_folder(outdir, source, targets, args, rules)
    try:
        rates = _loss_rates(splits, labels)
        sizes = _loss_sizes(splits, labels, rates, args.seed)
        done, conv_done = _resume(
            folder, settings, targets, configs, conv_keys, args, rules, sizes=sizes
        )
        runner = Runner(
            args=args,
            source=source,
            labels=labels,
            splits=splits,
            factors=factors,
            folder=folder,
            done=done,
            conv_done=conv_done,
            total=len(configs),
            timings=timings,
            progress=progress,
        )
        runner.convergence_note = conv_note
        runner.announce("starting")
        clock = time.perf_counter()
        if labels.scheme.kind != "hold-out":  # every row serves as validation: load once
            runner.rows = source.rows(np.arange(labels.encoded.codes.size))[0]
        holdouts: list[Any] = []

        def holdout_of(s: Split) -> Any:
            clock = time.perf_counter()
            holdouts[:] = [
                load_holdout(source, labels, s, seed=args.seed, rows=runner.rows, rates=rates)
            ]
            timings["load validation and test"] = (
                timings.get("load validation and test", 0.0) + time.perf_counter() - clock
            )
            return holdouts[0]

        timings["load validation and test"] = time.perf_counter() - clock
        _warn_flagged(source)
        timings.update(dict.fromkeys(_DRAW_TIMINGS, 0.0))
        runner.run(configs, conv_keys, holdout_of)
        result = _summarize(
            source,
            labels,
            splits,
            configs,
            conv_keys,
            done,
            conv_done,
            args,
            label,
            timings,
            convergence_note=runner.convergence_note,
            factors=(factors, skipped),
            rates=rates,
        )
        result.settings["fingerprint"] = settings["fingerprint"]  # refit checks data by it
        result._data = (data, label, y, features, drop, args.model)  # type: ignore[attr-defined]
        if folder is not None and args.report:
            clock = time.perf_counter()
            save_into(result, folder)
            result.timings["report"] = time.perf_counter() - clock
        return result
    finally:
        if folder is not None:
            folder.close()


#: Bumped when the built-in models change (preprocessing added in version 2): runs stored
#: by another version are not reused.
MODELS_VERSION = 3  # 3: runs keep per-row losses (intervals) and their fold


def _named(data: Any, label: str | None) -> bool:
    """Whether the data has column names: a file, or a data frame."""
    from .._rows import is_frame

    return isinstance(data, str | os.PathLike) or label is not None or is_frame(data)


def _warn_flagged(source: Source) -> None:
    """One warning naming the columns that look like mistakes (an ID, a constant)."""
    if not source.flagged:
        return
    import warnings

    from .._exceptions import UpweightWarning

    shown = "; ".join(f"{name!r} is {why}" for name, why in list(source.flagged.items())[:5])
    names = ",".join(list(source.flagged)[:5])
    warnings.warn(
        f"feature columns that look like mistakes: {shown}; leave them out with --drop "
        f"{names} (drop=[...]) unless they are meant",
        UpweightWarning,
        stacklevel=4,
    )


def _class_factors(args: Arguments) -> dict[str, dict[str, float]]:
    """The per-class factors given from Python, as settings store them: ``{"k": {class: f}}``."""
    return {f"{k:g}": {str(c): f for c, f in m.items()} for k, m in args.class_factors.items()}


def _convergence_setting(args: Arguments, note: str | None) -> dict[str, Any]:
    """How convergence was decided: the mode, the learners, and why it was skipped."""
    mode = "auto" if args.convergence_auto else ("on" if args.convergence else "off")
    return {"mode": mode, "learners": list(args.learners), "skipped": note}


# -- the output folder -----------------------------------------------------------------------
def _folder_settings(
    source: Source, labels: Labels, args: Arguments, *, label: str | None
) -> dict[str, Any]:
    """What decides whether stored runs can be reused: the data, the split, the figures."""
    return {
        "features": list(source.feature_names),
        "class_factors": _class_factors(args),
        "fingerprint": source.fingerprint(),
        "label": label,
        "n_rows": int(labels.encoded.codes.size),
        "counts": {str(c): n for c, n in labels.counts.items()},
        "seed": args.seed,
        "validation_size": args.validation_size,
        "test_size": args.test_size,
        "scheme": labels.scheme.to_dict(),
        "precision": args.precision,
        "batch_size": args.batch_size,
        "models": MODELS_VERSION,
    }


def _convergence_keys(
    args: Arguments, labels: Labels, factors: Sequence[float]
) -> tuple[list[ConvergenceKey], str | None]:
    """The convergence runs to measure, and why none are, where they were asked for.

    The minibatch learners are binary: with several classes, ``"auto"`` skips them and
    says so; asking for them is refused.
    """
    if not (labels.multiclass and args.convergence):
        return args.convergence_keys(args.learners, factors), None
    if not args.convergence_auto:
        raise InputError(
            f"convergence is measured for two classes; the labels hold "
            f"{len(labels.classes)}: pass convergence=False (--no-convergence)"
        )
    return [], "skipped: convergence is measured for two classes only"


def _targets(
    args: Arguments,
    configs: Sequence[Config],
    conv_keys: Sequence[ConvergenceKey],
    *,
    classes: bool = False,
) -> list[str]:
    """Every file this sweep may write into its folder."""
    targets = [c.file_name for c in configs]
    if args.convergence:
        targets += [key.file_name for key in conv_keys]
    if args.report:
        targets += report_files(convergence=args.convergence, classes=classes)
    return targets


def _open_folder(
    outdir: str | os.PathLike[str],
    source: Source,
    targets: list[str],
    args: Arguments,
    rules: FolderRules,
) -> OutputFolder:
    """Open (and lock) the output folder; refuse it where the rules say so."""
    return OutputFolder.open(
        outdir,
        targets=targets,
        overwrite=args.overwrite,
        strict=rules.strict,
        who=rules.who,
        inputs=source.inputs,
        input_folder=source.input_folder,
        input_pattern=source.input_pattern,
    )


def _resume(
    folder: OutputFolder | None,
    settings: dict[str, Any],
    targets: list[str],
    configs: Sequence[Config],
    conv_keys: Sequence[ConvergenceKey],
    args: Arguments,
    rules: FolderRules,
    *,
    sizes: dict[tuple[int, int | None], tuple[int, int]] | None = None,
) -> tuple[Done, ConvergenceDone]:
    """The sound runs an earlier sweep on the same data stored in the folder.

    ``sizes``: per draw (repeat, fold), the validation and test losses a run must hold.
    """
    if folder is None:
        return {}, {}
    reuse = folder.begin(
        settings, targets, overwrite=args.overwrite, replace_other=rules.replace_other
    )
    if not reuse:
        return {}, {}
    done = stored_runs(
        folder, configs, None if sizes is None else (lambda c: sizes[(c.repeat, c.fold)])
    )
    conv_done = stored_convergence(folder, conv_keys) if args.convergence else {}
    return done, conv_done


# -- the summary -----------------------------------------------------------------------------
def _loss_rates(
    splits: Sequence[Split], labels: Labels
) -> tuple[dict[int, float], dict[int, float]]:
    """Per class, the share of validation and of test rows whose losses are kept."""
    val, test = _held_rows(splits)
    codes = labels.encoded.codes
    return sample_rates(val, codes), sample_rates(test, codes)


def _held_rows(
    splits: Sequence[Split],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Every row that served as validation, and as test, in any draw (sorted)."""
    return (
        np.unique(np.concatenate([s.val_pos for s in splits])),
        np.unique(np.concatenate([s.test_pos for s in splits])),
    )


def _loss_sizes(
    splits: Sequence[Split],
    labels: Labels,
    rates: tuple[dict[int, float], dict[int, float]],
    seed: int,
) -> dict[tuple[int, int | None], tuple[int, int]]:
    """Per draw, how many validation and test rows keep their per-row losses."""
    codes = labels.encoded.codes
    return {
        (s.repeat, s.fold): (
            int(sampled(s.val_pos, codes, rates[0], seed).size),
            int(sampled(s.test_pos, codes, rates[1], seed).size),
        )
        for s in splits
    }


def _shares(positions: npt.NDArray[np.intp], codes: npt.NDArray[Any]) -> dict[int, float]:
    counts = np.bincount(codes[positions])
    return {c: n / positions.size for c, n in enumerate(counts.tolist()) if n}


def _losses(
    splits: Sequence[Split],
    configs: Sequence[Config],
    done: Done,
    labels: Labels,
    rates: tuple[dict[int, float], dict[int, float]],
    seed: int,
) -> dict[tuple[Any, ...], dict[str, list[tuple[Any, Any]]]] | None:
    """Per configuration, the (positions, per-row losses) of each draw; None if missing."""
    codes = labels.encoded.codes
    by_draw = {(s.repeat, s.fold): s for s in splits}
    out: dict[tuple[Any, ...], dict[str, list[tuple[Any, Any]]]] = {}
    for c in configs:
        stored = done[c.id].get("losses")
        if not stored:
            return None
        s = by_draw[(c.repeat, c.fold)]
        key = (c.model, c.factor, c.upweight, c.correction)
        entry = out.setdefault(key, {"val": [], "test": []})
        for name, pos, rate in (("val", s.val_pos, rates[0]), ("test", s.test_pos, rates[1])):
            rows = pos[sampled(pos, codes, rate, seed)]
            try:
                values = decode(stored[name])
            except ValueError:  # damaged: the figures stand, the intervals are left out
                return None
            if values.size != rows.size:
                return None
            entry[name].append((rows, values))
    return out


def _evidence(
    labels: Labels, splits: Sequence[Split], factors: tuple[list[float], list[float]]
) -> dict[str, Any]:
    """What the recommendation rests on: minority examples, the scheme, the factors."""
    code = labels.minority_code
    codes = labels.encoded.codes
    predictions = sum(int(np.count_nonzero(codes[s.val_pos] == code)) for s in splits)
    val_rows, test_rows = _held_rows(splits)
    val = int(np.count_nonzero(codes[val_rows] == code))
    test = int(np.count_nonzero(codes[test_rows] == code))
    run, skipped = factors
    counts = splits[0].train_counts
    ratio = max(counts.values()) / min(counts.values())
    return {
        "val_minority": val,
        "val_predictions": predictions,
        "test_minority": test,
        "scheme": labels.scheme.describe(),
        "thin": val < CV_BELOW,
        "skipped": skipped,
        "skipped_why": (
            f"beyond {ratio:.3g}, the ratio of class {labels.majority!r} to class "
            f"{labels.minority!r} in training, they would downsample a class below the one "
            "it is downsampled towards"
        ),
        "over": [k for k in run if splits[0].over(k)],
    }


def _summarize(
    source: Source,
    labels: Labels,
    splits: Sequence[Split],
    configs: Sequence[Config],
    conv_keys: Sequence[ConvergenceKey],
    done: Done,
    conv_done: ConvergenceDone,
    args: Arguments,
    label: str | None,
    timings: dict[str, float],
    *,
    convergence_note: str | None,
    factors: tuple[list[float], list[float]],
    rates: tuple[dict[int, float], dict[int, float]],
) -> SweepResult:
    """The result: every configuration's row, the convergence runs, and the settings.

    ``rates``: the loss-sample rates of :func:`_loss_rates`, computed once for the run.
    """
    split = splits[0]
    codes = labels.encoded.codes
    val_rows, test_rows = _held_rows(splits)
    return summarize(
        [done[c.id]["row"] for c in configs],
        curves={c.id: done[c.id]["curves"] for c in configs},
        convergence=[conv_done[key] for key in conv_keys if key in conv_done],
        profile=labels.profile,
        split=split.info(labels),
        settings={
            "data": source.description,
            "label": label,
            "model": args.model.key if args.model.builtin else args.model.name,
            "estimator": estimator_text(args.model, source.columns),
            "columns": source.columns.describe(),
            "flagged": dict(source.flagged),
            "convergence": _convergence_setting(args, convergence_note),
            "factors": factors[0],
            "factors_skipped": factors[1],
            "upweights": ["factor" if u is None else u for u in args.upweights],
            "corrections": args.corrections,
            "repeats": labels.scheme.repeats,
            "scheme": labels.scheme.to_dict(),
            "cost": args.cost,
            "seed": args.seed,
            "validation_size": labels.scheme.validation_size,
            "test_size": labels.scheme.test_size,
            "tolerance": args.tolerance,
            "precision": args.precision,
            "batch_size": args.batch_size,
            "convergence_batches": args.convergence_batches,
            "classes": labels.classes,
            "class_factors": _class_factors(args),
            "majority": labels.majority,
            "minority": labels.minority,
            "fingerprint": source.fingerprint(),
        },
        timings=timings,
        losses=_losses(splits, configs, done, labels, rates, args.seed),
        codes=codes,
        shares={"val": _shares(val_rows, codes), "test": _shares(test_rows, codes)},
        evidence=_evidence(labels, splits, factors),
    )
