"""The sweep: downsampling factor, upweight and correction tuned like hyperparameters.

Steps, in order:

1. The labels are read once (the counting pass) and split, stratified, into training,
   validation and test rows. Validation and test keep the true distribution; only the
   training rows are ever downsampled.
2. For each repeat and factor, a :class:`~upweight.SamplingPlan` is made from the
   training split's class counts and applied by the in-memory engine to the training
   labels; only the kept rows are then loaded from the source.
3. Each configuration is fitted (fits on the same rows with the same weights are shared:
   the offset and no-correction configurations share one unweighted fit, and at factor 1
   every correction shares one), evaluated on validation and test, and stored as it ends.
4. The convergence of minibatch training is measured per factor (see
   :mod:`upweight._sweep._convergence`).
5. The recommendation is made from the validation figures.
"""

from __future__ import annotations

import math
import numbers
import os
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._correct import correct_proba
from .._counts import round_half_up
from .._downsample import select_encoded
from .._exceptions import InputError, LabelError, PlanError, UpweightWarning
from .._labels import EncodedLabels, encode_labels
from .._plan import SamplingPlan, check_factor
from .._plan import plan as make_plan
from .._profile import profile
from .._random import SEED_LIMIT, check_seed
from .._selection import _mix64_int, row_hashes
from .._types import CORRECTIONS
from .._validation import positive_int
from ._convergence import run_convergence, torch_available
from ._metrics import evaluate_and_curves, evaluate_binary
from ._models import DETERMINISTIC, HANDLES_MISSING, check_model, fit_model, make_model
from ._outdir import OutputFolder, report_files
from ._result import SweepResult, summarize
from ._save import save_into
from ._source import as_source
from ._stored import valid_convergence, valid_run

__all__ = ["DEFAULT_FACTORS", "sweep"]

DEFAULT_FACTORS: tuple[float, ...] = (1, 2, 5, 10, 25, 50, 100)
MIN_SPLIT_MINORITY = 10
CONVERGENCE_VAL_ROWS = 200_000

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Config:
    """One configuration of the sweep."""

    model: str
    factor: float
    upweight: float | None  # weight of kept majority rows; None: trained without weights
    correction: str
    repeat: int

    @property
    def id(self) -> str:
        """A file-name-safe identifier."""
        weight = "none" if self.upweight is None else f"{self.upweight:g}"
        return f"{self.model}-k{self.factor:g}-w{weight}-{self.correction}-r{self.repeat}"


def _check_factors(factors: Any) -> list[float]:
    if isinstance(factors, numbers.Real):
        factors = [factors]
    values = list(factors) if factors is not None else []
    if not values:
        raise PlanError("factors is empty; give at least one factor >= 1, e.g. 1,10,25")
    return sorted({check_factor(v) for v in values})


def _check_upweights(upweights: Any) -> list[float | None]:
    """None in the result stands for "the factor itself"."""
    if upweights is None:
        return [None]
    if isinstance(upweights, numbers.Real | str):
        upweights = [upweights]
    out: list[float | None] = []
    for value in upweights:
        if value in ("factor", "k"):
            out.append(None)
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not (math.isfinite(float(value)) and float(value) > 0)
        ):
            raise PlanError(f"upweights must be positive numbers or 'factor'; got {value!r}")
        out.append(float(value))
    if not out:
        raise PlanError("upweights is empty; leave it out to upweight by the factor")
    return list(dict.fromkeys(out))


def _check_corrections(corrections: Any) -> list[str]:
    if isinstance(corrections, str):
        corrections = [corrections]
    values = list(dict.fromkeys(corrections or []))
    if not values:
        raise PlanError(f"corrections is empty; pick from {', '.join(CORRECTIONS)}")
    for c in values:
        if c not in CORRECTIONS:
            raise PlanError(f"correction must be one of {', '.join(CORRECTIONS)}; got {c!r}")
    return values


def _check_share(value: Any, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 < float(value) < 0.5
    ):
        raise InputError(f"{name} must be a share of the rows in (0, 0.5); got {value!r}")
    return float(value)


def _needed_minority(validation_size: float, test_size: float) -> int:
    """Fewest minority rows for which every split holds MIN_SPLIT_MINORITY of them."""
    n = MIN_SPLIT_MINORITY
    while True:
        n_val = round_half_up(n * validation_size)
        n_test = round_half_up(n * test_size)
        if min(n_val, n_test, n - n_val - n_test) >= MIN_SPLIT_MINORITY:
            return n
        n += 1


def split_positions(
    codes: npt.NDArray[Any],
    n_classes: int,
    *,
    validation_size: float,
    test_size: float,
    seed: int,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Stratified training, validation and test positions, each sorted.

    Of each class's ``N_c`` rows, the ``round(N_c * validation_size)`` with the smallest
    hashes (SplitMix64 of position and a seed derived from ``seed``) go to validation, the
    next ``round(N_c * test_size)`` to test, the rest to training: the same rows for the
    same seed, and exact class shares in every split.
    """
    split_seed = _mix64_int(int(seed) ^ 0x5EED5EED5EED5EED) >> 1
    train, val, test = [], [], []
    for c in range(n_classes):
        pos = np.flatnonzero(codes == c)
        n_val = round_half_up(pos.size * validation_size)
        n_test = round_half_up(pos.size * test_size)
        m = n_val + n_test
        h = row_hashes(pos, split_seed)
        if m >= pos.size:
            chosen = np.argsort(h, kind="stable")
        else:
            chosen = np.argpartition(h, m - 1)[:m]
            chosen = chosen[np.argsort(h[chosen], kind="stable")]
        val.append(pos[chosen[:n_val]])
        test.append(pos[chosen[n_val:m]])
        rest = np.ones(pos.size, dtype=bool)
        rest[chosen[:m]] = False
        train.append(pos[rest])
    return (
        np.sort(np.concatenate(train)),
        np.sort(np.concatenate(val)),
        np.sort(np.concatenate(test)),
    )


# -- the output folder -----------------------------------------------------------------------
def _damaged(name: str) -> None:
    warnings.warn(f"{name} was damaged; it is computed again", UpweightWarning, stacklevel=3)


def _stored_runs(folder: OutputFolder, configs: list[Config]) -> dict[str, Any]:
    """The stored runs of ``configs`` that are sound; a damaged one is computed again."""
    done: dict[str, Any] = {}
    for c in configs:
        name = f"runs/{c.id}.json"
        if not os.path.lexists(folder.path / name):
            continue
        data = folder.read_json(name)
        if valid_run(
            data,
            config_id=c.id,
            model=c.model,
            factor=c.factor,
            upweight=c.upweight,
            correction=c.correction,
            repeat=c.repeat,
        ):
            done[c.id] = data
        else:
            _damaged(name)
    return done


def _stored_convergence(
    folder: OutputFolder, specs: dict[str, tuple[str, float, str]]
) -> dict[str, Any]:
    """The stored convergence runs that are sound; a damaged one is computed again."""
    done: dict[str, Any] = {}
    for key, (learner, factor, correction) in specs.items():
        name = f"runs/{key}.json"
        if not os.path.lexists(folder.path / name):
            continue
        data = folder.read_json(name)
        if valid_convergence(data, learner=learner, factor=factor, correction=correction):
            done[key] = data
        else:
            _damaged(name)
    return done


# -- measuring ---------------------------------------------------------------------------
def _disk_bytes(X: Any, outcome: npt.NDArray[np.float64], weight: Any) -> int:
    """Bytes of the downsampled training rows written as Parquet (default compression).

    Written to a stream that only counts (nothing reaches a disk, nothing is left behind):
    the same bytes, to the byte, as the file would hold.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    dense = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
    columns = {f"f{j}": dense[:, j] for j in range(dense.shape[1])}
    columns["label"] = outcome.astype(np.int8)
    columns["weight"] = np.ones(outcome.size) if weight is None else weight
    sink = pa.MockOutputStream()
    pq.write_table(pa.table(columns), sink)
    return int(sink.size())


class _PeakMemory:
    """Peak resident memory added while a block runs, in MB.

    On Linux the process's high-water mark (``VmHWM``) is reset through
    ``/proc/self/clear_refs`` before the block and read after it, so native allocations
    (BLAS, LightGBM, XGBoost, Arrow) count too; the figure is the peak minus the resident
    memory at the start. Elsewhere it is NaN.
    """

    def __init__(self) -> None:
        self.start = math.nan
        self.mb = math.nan

    @staticmethod
    def _status(field: str) -> float:
        try:
            with open("/proc/self/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith(field):
                        return float(line.split()[1]) / 1e3
        except OSError:
            pass
        return math.nan

    def __enter__(self) -> _PeakMemory:
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
                handle.write("5")
            self.start = self._status("VmRSS:")
        except OSError:
            self.start = math.nan
        return self

    def __exit__(self, *exc: object) -> None:
        self.mb = max(0.0, self._status("VmHWM:") - self.start)


# -- the sweep ---------------------------------------------------------------------------
def sweep(
    data: Any,
    *,
    label: str | None = None,
    y: Any = None,
    factors: Iterable[float] = DEFAULT_FACTORS,
    upweights: Iterable[float | str] | None = None,
    corrections: Sequence[str] = ("upweight", "offset", "none"),
    model: str = "logreg",
    repeats: int = 1,
    seed: int = 0,
    outdir: str | os.PathLike[str] | None = None,
    validation_size: float = 0.1,
    test_size: float = 0.1,
    tolerance: float = 0.01,
    precision: float = 0.5,
    batch_size: int = 32,
    convergence: bool = True,
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
    factors : iterable of float, default=(1, 2, 5, 10, 25, 50, 100)
        Downsampling factors of the majority class (1 = all rows).
    upweights : iterable of float, optional
        Weights of the kept majority rows to try with the ``"upweight"`` correction; by
        default the factor itself. ``"factor"`` in the list stands for the factor.
    corrections : sequence of {"upweight", "offset", "none"}
        ``"upweight"``: trained with the plan's weights; ``"offset"``: trained without
        weights, probabilities corrected by :func:`upweight.correct_proba`; ``"none"``:
        trained without weights, probabilities as they come.
    model : {"logreg", "hgb", "sgd", "lightgbm", "xgboost"}, default="logreg"
        scikit-learn's LogisticRegression, HistGradientBoostingClassifier or
        SGDClassifier (log loss, standardised features), LightGBM or XGBoost (extras).
    repeats : int, default=1
        Draws of the downsampled rows per configuration (repeat *r* selects with seed
        ``seed + r``); the spread over repeats is reported.
    seed : int, default=0
        Seed of the split, the selection and the models.
    outdir : path, optional
        Folder for the results: each finished configuration is stored there as it ends
        (a rerun on the same data skips it), then ``results.parquet``, ``report.html`` and
        ``plots/``. Its ``manifest.json`` lists every file the sweep wrote there; no other
        file is ever replaced or removed. One sweep at a time writes into a folder.
    validation_size, test_size : float, default=0.1
        Shares of each class held out for validation and test.
    tolerance : float, default=0.01
        The cheapest configuration whose validation log loss is within this relative
        tolerance of the best is recommended too.
    precision : float, default=0.5
        Recall is reported at this precision.
    batch_size : int, default=32
        Batch size of the profile's batch view and of the convergence runs.
    convergence : bool, default=True
        Measure the convergence of minibatch training.
    convergence_batches : int, default=400
        Batches per convergence run.
    overwrite : bool, default=False
        Compute everything again, replacing the sweep's own files in ``outdir`` (those
        its manifest lists), results of another data set included. Other files stay.
    report : bool, default=True
        With ``outdir``: also write ``results.parquet``, ``report.html`` and ``plots/``
        (``SweepResult.save`` does it later otherwise).
    progress : callable, optional
        Called as ``progress(done, total, description)`` as configurations finish.

    Returns
    -------
    SweepResult
        The results table (one row per configuration and repeat), the summary over
        repeats, the convergence measurements, the profile and the recommendation.

    Raises
    ------
    PlanError
        Empty factors, a factor below 1 or too large for the majority class, an unknown
        correction.
    LabelError
        Labels that cannot be used, or too few minority rows to split (the message says how
        many are needed).
    InputError
        Features that are not numeric or hold infinite values, NaN for a model that cannot
        fit missing values (``logreg``, ``sgd``), more than two classes.
    MissingExtraError
        The model's framework is not installed (the message names the extra).
    FileError
        ``outdir`` holds results of another data set, label or seed (without
        ``overwrite``), files of the user's where the sweep writes, another program's
        manifest, or is being written by another sweep; an output would replace an input;
        a file cannot be read or written (one line naming it).

    Notes
    -----
    What is never done twice: the labels are read once; a configuration whose rows and
    weights equal another's shares its fit (offset and no correction share the unweighted
    fit; at factor 1 every correction is one model); for one repeat the rows are read from
    the source once, for the smallest factor, because a larger factor keeps a subset of
    them (the selection is nested), and taken in memory for the others. The Parquet size
    of each factor's training rows is measured in a background thread while the models
    fit; the peak memory figures include that write.

    Examples
    --------
    >>> import upweight
    >>> from upweight.datasets import make_imbalanced
    >>> data = make_imbalanced(20_000, minority_share=0.02, random_state=0)
    >>> result = upweight.sweep(data.X, y=data.y, factors=[1, 10], convergence=False)
    >>> len(result.results), sorted(set(result.table("factor")))
    (6, [1.0, 10.0])
    >>> result.recommendation.best.correction in ("upweight", "offset", "none")
    True
    """
    return _sweep(
        data,
        label=label,
        y=y,
        factors=factors,
        upweights=upweights,
        corrections=corrections,
        model=model,
        repeats=repeats,
        seed=seed,
        outdir=outdir,
        validation_size=validation_size,
        test_size=test_size,
        tolerance=tolerance,
        precision=precision,
        batch_size=batch_size,
        convergence=convergence,
        convergence_batches=convergence_batches,
        overwrite=overwrite,
        report=report,
        progress=progress,
    )


def _sweep(
    data: Any,
    *,
    label: str | None = None,
    y: Any = None,
    factors: Iterable[float] = DEFAULT_FACTORS,
    upweights: Iterable[float | str] | None = None,
    corrections: Sequence[str] = ("upweight", "offset", "none"),
    model: str = "logreg",
    repeats: int = 1,
    seed: int = 0,
    outdir: str | os.PathLike[str] | None = None,
    validation_size: float = 0.1,
    test_size: float = 0.1,
    tolerance: float = 0.01,
    precision: float = 0.5,
    batch_size: int = 32,
    convergence: bool = True,
    convergence_batches: int = 400,
    overwrite: bool = False,
    report: bool = True,
    progress: Progress | None = None,
    strict: bool = False,
    replace_other: bool = False,
    who: str = "upweight sweep",
) -> SweepResult:
    """:func:`sweep`; ``strict``, ``replace_other`` and ``who`` are the demo's folder rules.

    ``strict``: refuse an output folder that holds any file the sweep did not write;
    ``replace_other``: replace the sweep's own results of other data without ``overwrite``.
    """
    factor_list = _check_factors(factors)
    upweight_list = _check_upweights(upweights)
    correction_list = _check_corrections(corrections)
    model = check_model(model)
    repeats = positive_int(repeats, "repeats", InputError)
    batch_size = positive_int(batch_size, "batch_size", InputError)
    convergence_batches = positive_int(convergence_batches, "convergence_batches", InputError)
    validation_size = _check_share(validation_size, "validation_size")
    test_size = _check_share(test_size, "test_size")
    if not isinstance(tolerance, numbers.Real) or not 0 <= float(tolerance) < 1:
        raise InputError(f"tolerance must be a relative tolerance in [0, 1); got {tolerance!r}")
    if not isinstance(precision, numbers.Real) or not 0 < float(precision) < 1:
        raise InputError(f"precision must be in (0, 1); got {precision!r}")
    seed = check_seed(seed)
    if seed + repeats > SEED_LIMIT:  # repeat r selects with seed + r
        raise InputError(
            f"seed + repeats must stay below 2**64 (repeat r draws with seed + r); got seed "
            f"{seed:,} and {repeats} repeat(s)"
        )
    timings: dict[str, float] = {}

    clock = time.perf_counter()
    source = as_source(data, label=label, y=y)
    source.check_features(model=model, allow_nan=model in HANDLES_MISSING)
    name = f"label column {label!r}" if label is not None else "y"
    encoded = encode_labels(source.labels(), name=name)
    counts = encoded.count_map()
    if len(counts) != 2:
        raise InputError(
            f"{name} holds {len(counts)} classes; the sweep handles two classes "
            "(binary classification)"
        )
    prof = profile(counts, batch_size=batch_size)
    majority, minority = prof.majority, prof.minority[0]
    code_of = {c: i for i, c in enumerate(encoded.classes)}
    minority_code = code_of[minority]
    needed = _needed_minority(validation_size, test_size)
    if counts[minority] < needed:
        raise LabelError(
            f"the minority class {minority!r} has {counts[minority]} rows; splitting off "
            f"validation ({validation_size:.0%}) and test ({test_size:.0%}) needs at least "
            f"{needed}, so that each split holds {MIN_SPLIT_MINORITY}"
        )
    timings["count labels"] = time.perf_counter() - clock

    clock = time.perf_counter()
    train_pos, val_pos, test_pos = split_positions(
        encoded.codes,
        len(encoded.classes),
        validation_size=validation_size,
        test_size=test_size,
        seed=seed,
    )
    train_codes = encoded.codes[train_pos]
    train_enc = EncodedLabels(
        classes=encoded.classes,
        codes=train_codes,
        counts=np.bincount(train_codes, minlength=2).astype(np.int64),
    )
    train_counts = train_enc.count_map()
    for k in factor_list:  # fail early on a factor the training split cannot honour
        make_plan(train_counts, factor=k)
    timings["split"] = time.perf_counter() - clock

    settings = {
        "fingerprint": source.fingerprint(),
        "label": label,
        "n_rows": int(encoded.codes.size),
        "counts": {str(c): n for c, n in counts.items()},
        "seed": seed,
        "validation_size": validation_size,
        "test_size": test_size,
        "precision": float(precision),
        "batch_size": batch_size,
    }
    configs = [
        Config(model, k, (k if u is None else u) if c == "upweight" else None, c, r)
        for r in range(repeats)
        for k in factor_list
        for c in correction_list
        for u in (upweight_list if c == "upweight" else [None])
    ]
    conv_corrections = [c for c in correction_list if c != "none"] or ["none"]
    learners = ["sgd", *(["torch"] if torch_available() else [])]
    conv_specs = {
        f"convergence-{learner}-k{k:g}-{c}": (learner, k, c)
        for learner in learners
        for k in factor_list
        for c in conv_corrections
    }
    conv_keys = list(conv_specs)
    folder: OutputFolder | None = None
    if outdir is not None:
        targets = [f"runs/{c.id}.json" for c in configs]
        if convergence:
            targets += [f"runs/{key}.json" for key in conv_keys]
        if report:
            targets += report_files(convergence=convergence)
        folder = OutputFolder.open(
            outdir,
            targets=targets,
            overwrite=overwrite,
            strict=strict,
            who=who,
            inputs=source.inputs,
            input_folder=source.input_folder,
            input_pattern=source.input_pattern,
        )
    try:
        reuse = folder is not None and folder.begin(
            settings, targets, overwrite=overwrite, replace_other=replace_other
        )
        done_rows = _stored_runs(folder, configs) if folder is not None and reuse else {}
        conv_done = (
            _stored_convergence(folder, conv_specs)
            if folder is not None and reuse and convergence
            else {}
        )
        total = len(configs)
        finished = len(done_rows)
        if progress is not None:
            progress(finished, total, "starting")

        clock = time.perf_counter()
        eval_pos = np.union1d(val_pos, test_pos)
        X_eval, _ = source.rows(eval_pos)
        in_val = np.isin(eval_pos, val_pos, assume_unique=True)
        X_val, X_test = X_eval[in_val], X_eval[~in_val]
        y_val = (encoded.codes[val_pos] == minority_code).astype(np.float64)
        y_test = (encoded.codes[test_pos] == minority_code).astype(np.float64)
        del X_eval
        # convergence checkpoints score at most CONVERGENCE_VAL_ROWS validation rows (a seeded
        # subset), so that many checkpoints stay cheap on large data
        conv_rows = np.arange(y_val.size)
        if y_val.size > CONVERGENCE_VAL_ROWS:
            rng = np.random.default_rng(seed)
            conv_rows = np.sort(rng.choice(y_val.size, CONVERGENCE_VAL_ROWS, replace=False))
        conv_X = X_val[conv_rows]
        dense_val = conv_X.toarray() if hasattr(conv_X, "toarray") else np.asarray(conv_X)
        conv_y = y_val[conv_rows]
        center, scale = _standardisation(dense_val)
        timings["load validation and test"] = time.perf_counter() - clock
        for key in (
            "select",
            "load training rows",
            "disk size (waited for)",
            "fit",
            "evaluate",
            "convergence",
        ):
            timings[key] = 0.0

        classes_order = [majority, minority]
        pending_conv = [key for key in conv_keys if key not in conv_done] if convergence else []
        # the Parquet size of each training set is measured in a thread, next to the fits
        writer = ThreadPoolExecutor(max_workers=1)
        try:
            for r in range(repeats):
                # rows loaded for the last factor: a larger factor keeps a subset of them (for one
                # seed the selection is nested), so they are taken in memory, not read again
                loaded: tuple[npt.NDArray[np.intp], Any] | None = None
                for k in factor_list:
                    todo = [
                        c
                        for c in configs
                        if c.repeat == r and c.factor == k and c.id not in done_rows
                    ]
                    conv_todo = (
                        [key for key in pending_conv if conv_specs[key][1] == k] if r == 0 else []
                    )
                    if not todo and not conv_todo:
                        continue
                    if progress is not None:
                        progress(finished, total, f"k={k:g}, repeat {r + 1}: selecting rows")
                    with _PeakMemory() as base_memory:
                        clock = time.perf_counter()
                        base = make_plan(train_counts, factor=k)
                        selection = select_encoded(
                            train_enc, base, random_state=seed + r, method="exact"
                        )
                        kept_codes = train_codes[selection.indices]
                        outcome = (kept_codes == minority_code).astype(np.float64)
                        timings["select"] += time.perf_counter() - clock
                        clock = time.perf_counter()
                        within = _positions_within(selection.indices, loaded)
                        if within is not None and loaded is not None:
                            X_k = loaded[1][within]
                        else:
                            X_k, _ = source.rows(train_pos[selection.indices])
                        loaded = (selection.indices, X_k)
                        load_seconds = time.perf_counter() - clock
                        timings["load training rows"] += load_seconds
                    applied_plain = make_plan(train_counts, factor=k, weights="none").applied(
                        selection.plan.kept, method="exact", seed=seed + r
                    )
                    disk_future = writer.submit(_disk_bytes, X_k, outcome, selection.sample_weight)
                    disk: int | None = None

                    fits: dict[Any, dict[str, Any]] = {}
                    evals: dict[Any, dict[str, Any]] = {}
                    for config in todo:
                        if config.upweight is None:
                            applied = applied_plain
                        else:
                            applied = make_plan(
                                train_counts, factor=k, upweight=config.upweight
                            ).applied(selection.plan.kept, method="exact", seed=seed + r)
                        weights = applied.weight_array()[kept_codes]
                        weighted = config.correction == "upweight" and not np.all(weights == 1.0)
                        fit_key = ("w", config.upweight) if weighted else ("plain",)
                        if fit_key not in fits:
                            if progress is not None:
                                progress(finished, total, f"k={k:g}, repeat {r + 1}: fitting")
                            model_seed = 0 if model in DETERMINISTIC else seed + r
                            estimator = make_model(model, seed=model_seed)
                            target = outcome.astype(np.int64)
                            with _PeakMemory() as fit_memory:
                                clock = time.perf_counter()
                                fit_model(estimator, X_k, target, weights if weighted else None)
                                fit_seconds = time.perf_counter() - clock
                            # what selection and loading added, plus what the fit added on top
                            peak = base_memory.mb + fit_memory.mb
                            timings["fit"] += fit_seconds
                            clock = time.perf_counter()
                            fits[fit_key] = {
                                "seconds": fit_seconds,
                                "peak": peak,
                                "first": config.id,
                                "val": _positive_proba(estimator, X_val),
                                "test": _positive_proba(estimator, X_test),
                            }
                            timings["evaluate"] += time.perf_counter() - clock
                        fit = fits[fit_key]
                        ratios = applied.prior_ratios
                        offset = config.correction == "offset" and not (
                            ratios[majority] == 1.0 and ratios[minority] == 1.0
                        )
                        eval_key = (fit_key, offset)
                        clock = time.perf_counter()
                        if eval_key not in evals:
                            p_val, p_test = fit["val"], fit["test"]
                            if offset:
                                p_val = _offset(p_val, applied, classes_order)
                                p_test = _offset(p_test, applied, classes_order)
                            test_figures, test_curves = evaluate_and_curves(
                                y_test, p_test, precision=precision
                            )
                            evals[eval_key] = {
                                "val": evaluate_binary(y_val, p_val, precision=precision),
                                "test": test_figures,
                                "curves": test_curves,
                            }
                        timings["evaluate"] += time.perf_counter() - clock
                        ev = evals[eval_key]
                        if disk is None:
                            clock = time.perf_counter()
                            disk = disk_future.result()
                            timings["disk size (waited for)"] += time.perf_counter() - clock
                        row: dict[str, Any] = {
                            "config_id": config.id,
                            "model": model,
                            "factor": k,
                            "upweight": config.upweight,
                            "correction": config.correction,
                            "repeat": r,
                            "seed": seed + r,
                            "rows_trained": int(outcome.size),
                            "minority_trained": int(outcome.sum()),
                            "majority_trained": int(outcome.size - outcome.sum()),
                            "minority_share_trained": float(outcome.mean()),
                            "fit_seconds": fit["seconds"],
                            "load_seconds": load_seconds,
                            "peak_memory_mb": fit["peak"],
                            "disk_bytes": disk,
                            "fit_shared_with": None if fit["first"] == config.id else fit["first"],
                            **{f"val_{m}": v for m, v in ev["val"].items()},
                            **{f"test_{m}": v for m, v in ev["test"].items()},
                        }
                        if folder is not None:
                            folder.write_json(
                                f"runs/{config.id}.json", {"row": row, "curves": ev["curves"]}
                            )
                        done_rows[config.id] = {"row": row, "curves": ev["curves"]}
                        finished += 1
                        if progress is not None:
                            progress(finished, total, f"k={k:g}, repeat {r + 1}")

                    if conv_todo:
                        clock = time.perf_counter()
                        if progress is not None:
                            progress(finished, total, f"k={k:g}: convergence")
                        conv_plans = {"upweight": selection.plan}
                        runs_by_key: dict[Any, dict[str, Any]] = {}
                        for key in conv_todo:
                            learner, _, correction = conv_specs[key]
                            applied = (
                                conv_plans["upweight"]
                                if correction == "upweight"
                                else applied_plain
                            )
                            weights = applied.weight_array()[kept_codes]
                            weighted = correction == "upweight" and not np.all(weights == 1.0)
                            shift = correction == "offset" and k != 1.0
                            run_key = (learner, weighted, shift)
                            if run_key not in runs_by_key:
                                runs_by_key[run_key] = run_convergence(
                                    X_k,
                                    outcome,
                                    weights if weighted else None,
                                    correction=correction if shift else "none",
                                    plan=applied,
                                    classes=classes_order,
                                    X_val=dense_val,
                                    outcome_val=conv_y,
                                    center=center,
                                    scale=scale,
                                    batch_size=batch_size,
                                    n_batches=convergence_batches,
                                    seed=seed,
                                    learner=learner,
                                )
                            conv = {**runs_by_key[run_key], "factor": k, "correction": correction}
                            if folder is not None:
                                folder.write_json(f"runs/{key}.json", conv)
                            conv_done[key] = conv
                        timings["convergence"] += time.perf_counter() - clock
                    if disk is None:  # only convergence ran: the size is not reported
                        disk_future.cancel()
                    del X_k
        finally:
            # Ctrl-C: the configuration in flight is lost, the stored ones are kept
            writer.shutdown(wait=False, cancel_futures=True)
        rows = [done_rows[c.id]["row"] for c in configs]
        curve_map = {c.id: done_rows[c.id]["curves"] for c in configs}
        result = summarize(
            rows,
            curves=curve_map,
            convergence=[conv_done[key] for key in conv_keys if key in conv_done],
            profile=prof,
            split={
                "train": _split_info(train_codes, minority_code),
                "validation": _split_info(encoded.codes[val_pos], minority_code),
                "test": _split_info(encoded.codes[test_pos], minority_code),
            },
            settings={
                "data": source.description,
                "label": label,
                "model": model,
                "factors": factor_list,
                "upweights": ["factor" if u is None else u for u in upweight_list],
                "corrections": correction_list,
                "repeats": repeats,
                "seed": seed,
                "validation_size": validation_size,
                "test_size": test_size,
                "tolerance": float(tolerance),
                "precision": float(precision),
                "batch_size": batch_size,
                "convergence_batches": convergence_batches,
                "majority": majority,
                "minority": minority,
            },
            timings=timings,
        )
        if folder is not None and report:
            clock = time.perf_counter()
            save_into(result, folder)
            result.timings["report"] = time.perf_counter() - clock
        return result
    finally:
        if folder is not None:
            folder.close()


def _standardisation(
    dense: npt.NDArray[Any],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Mean and standard deviation of each column, NaN left out (models that take NaN)."""
    if not np.isnan(dense).any():
        center, scale = dense.mean(axis=0), dense.std(axis=0)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a column of NaN only
            center, scale = np.nanmean(dense, axis=0), np.nanstd(dense, axis=0)
        center = np.nan_to_num(center, nan=0.0)
        scale = np.nan_to_num(scale, nan=1.0)
    scale[scale == 0] = 1.0
    return center, scale


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


def _split_info(codes: npt.NDArray[Any], minority_code: int) -> dict[str, int]:
    minority = int(np.count_nonzero(codes == minority_code))
    return {"rows": int(codes.size), "minority": minority, "majority": int(codes.size) - minority}


def _positive_proba(estimator: Any, X: Any) -> npt.NDArray[np.float64]:
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    return proba[:, 1] if proba.ndim == 2 else proba


def _offset(
    prob: npt.NDArray[np.float64], plan: SamplingPlan, classes: list[Any]
) -> npt.NDArray[np.float64]:
    both = np.column_stack([1.0 - prob, prob])
    return correct_proba(both, plan=plan, classes=classes)[:, 1]
