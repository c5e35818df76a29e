"""The file engine's functions: profile, sample and read back files larger than memory."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .._exceptions import FileError, InputError, PlanError
from .._plan import SamplingPlan, keep_rate_ceiling, resolve_plan, warn_if_over_downsampled
from .._profile import ImbalanceProfile
from .._random import check_seed
from .._types import Label, Method, WeightMode
from .._validation import (
    check_callback,
    check_key,
    check_method,
    check_weight_col,
    check_weight_mode,
    thread_count,
)
from . import _roads
from ._arrays import release_memory
from ._arrow import sample_parquet
from ._commit import remove_stale_temporaries, staged
from ._common import PathLike
from ._duckdb import opened, read_batches
from ._formats import folder_suffixes, format_of, plan_sidecar
from ._label_pass import (
    ProgressCallback,
    count_and_select,
    count_labels,
    select_positions,
)
from ._metadata import plan_from_parquet, plan_from_sidecar
from ._output import check_output, output_path, spelled_as_folder
from ._parquet import durations
from ._source import Source, hidden, resolve
from ._sql import ident
from ._write import keep_mask, write_rows

__all__ = [
    "column_names",
    "column_values",
    "profile_file",
    "read_labels",
    "read_plan",
    "read_rows",
    "sample_file",
]


def profile_file(src: PathLike, *, label: str, batch_size: int | None = None) -> ImbalanceProfile:
    """Profile the label column of a file, a directory or a glob of files.

    Reads the label column alone (one pass, in parallel, in bounded memory).

    Parameters
    ----------
    src : str or path
        A CSV file (``.csv``, ``.csv.gz``), a Parquet file (``.parquet``, ``.pq``), a
        directory of Parquet files (hive-partitioned too), or a glob such as
        ``"data/*.parquet"``.
    label : str
        Name of the label column.
    batch_size : int, optional
        Also describe what batches of this size hold of the rarest class.

    Returns
    -------
    ImbalanceProfile

    Raises
    ------
    FileError
        The input is missing, unreadable, empty or corrupt.
    InputError
        The label column is missing, or files of a directory differ in schema.
    LabelError
        Missing labels, a single class, or labels mixing numbers and text.

    Examples
    --------
    >>> import tempfile, pathlib, upweight
    >>> from upweight.datasets import make_imbalanced
    >>> import pyarrow.parquet as pq
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "data.parquet"
    >>> pq.write_table(make_imbalanced(10_000, random_state=0).to_arrow(), path)
    >>> prof = upweight.profile_file(path, label="label")
    >>> prof.counts
    (9909, 91)
    """
    from .._profile import profile

    with opened(resolve(src)) as engine:
        counts = count_labels(engine, label)
        engine.source.check_unchanged()
    return profile(counts, batch_size=batch_size)


def sample_file(
    src: PathLike,
    dst: PathLike,
    *,
    label: str,
    factor: float | Mapping[Label, float] | None = None,
    target_share: float | None = None,
    plan: SamplingPlan | None = None,
    upweight: float | Mapping[Label, float] | None = None,
    weights: WeightMode = "factor",
    method: Method = "exact",
    seed: int = 0,
    key: str | None = None,
    weight_col: str = "weight",
    overwrite: bool = False,
    threads: int | None = None,
    progress: ProgressCallback | None = None,
) -> SamplingPlan:
    """Downsample a file larger than memory and write it with a weight column.

    Streams the input in bounded memory and in parallel: the labels first (class counts,
    hence the plan, and the rows to keep, from their positions and labels), then every
    column of the kept rows. Parquet to Parquet runs on pyarrow, everything else on
    DuckDB; both give the same output. The output keeps the input's row order and
    carries the applied plan: in Parquet key-value metadata under ``upweight.plan`` (see
    :func:`read_plan`), or next to a CSV output as ``OUT.plan.json``. It is written to a
    temporary name and renamed into place only when complete: an error or Ctrl-C leaves
    no partial output, and an input is never overwritten.

    Parameters
    ----------
    src : str or path
        CSV file, Parquet file, directory of Parquet files (hive-partitioned too), or glob.
    dst : str or path
        Output: ``.parquet`` / ``.pq`` (Parquet), ``.csv`` / ``.csv.gz`` (CSV), or a path
        without extension for a directory of Parquet files.
    label : str
        Name of the label column.
    factor, target_share, upweight, weights
        As in :func:`upweight.plan`: the downsampling factor (or per-class factors), or
        the minority share wanted; the weight of kept rows; the weight mode.
    plan : SamplingPlan, optional
        A plan made earlier for these class counts, instead of ``factor`` /
        ``target_share``.
    method : {"exact", "bernoulli"}, default="exact"
        ``"exact"`` keeps exactly ``round(N / k)`` rows of a downsampled class;
        ``"bernoulli"`` keeps each with probability ``1 / k`` (one pass fewer).
    seed : int, default=0
        Same input and seed, same rows -- whatever the thread count, and the same rows as
        :func:`upweight.downsample` with ``random_state=seed`` on the same data.
    key : str, optional
        Decide by this column's value (an id) instead of the row position: a unique key
        gets the same decision in any file, order or engine. Rows that share a key are
        kept or dropped together with ``method="bernoulli"``; ``"exact"`` breaks ties
        among them by position (see :mod:`upweight._selection` for the scheme).
    weight_col : str, default="weight"
        Name of the weight column added to the output.
    overwrite : bool, default=False
        Replace ``dst`` if it exists.
    threads : int, optional
        Threads reading the input (default: one per core). The output does not depend on
        it.
    progress : callable, optional
        Called as ``progress(phase, rows_read, rows_total)`` while the passes run;
        ``phase`` is ``"selecting"`` or ``"writing"``.

    Returns
    -------
    SamplingPlan
        The plan as applied: rows kept and weight per class, method and seed.

    Raises
    ------
    FileError
        Missing, unreadable, empty or corrupt input; an output that exists or would
        overwrite the input; a write that fails (disk full).
    InputError, LabelError, PlanError
        Bad columns, labels, or plan options.

    Warns
    -----
    OverDownsampleWarning
        When the plan makes a downsampled class smaller than an untouched one, or
        downsamples the smallest class (see :attr:`SamplingPlan.over_downsampled`); the
        output is still written as asked. Once per call.

    Examples
    --------
    >>> import tempfile, pathlib, upweight
    >>> from upweight.datasets import make_imbalanced
    >>> import pyarrow.parquet as pq
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pq.write_table(make_imbalanced(10_000, random_state=0).to_arrow(), folder / "in.parquet")
    >>> applied = upweight.sample_file(
    ...     folder / "in.parquet", folder / "out.parquet", label="label", factor=25
    ... )
    >>> applied.kept
    {0: 396, 1: 91}
    >>> upweight.read_plan(folder / "out.parquet") == applied
    True
    """
    method = check_method(method)
    weights = check_weight_mode(weights)
    weight_col = check_weight_col(weight_col)
    if plan is not None and not isinstance(plan, SamplingPlan):
        raise PlanError(
            f"plan must be a SamplingPlan (see upweight.plan, or SamplingPlan.from_json for "
            f"a saved one); got {type(plan).__name__}"
        )
    if not isinstance(overwrite, bool):
        raise InputError(f"overwrite must be True or False; got {overwrite!r}")
    job = _Job(
        source=resolve(src),
        out=output_path(dst),
        folder=spelled_as_folder(dst),
        label=label,
        weight_col=weight_col,
        method=method,
        seed=check_seed(seed),
        key=check_key(key, label),
        threads=thread_count(threads),
        overwrite=overwrite,
        progress=check_callback(progress),
        ceiling=keep_rate_ceiling(plan, factor, target_share),
        make_plan=_plan_once(
            plan=plan, factor=factor, target_share=target_share, upweight=upweight, weights=weights
        ),
    )
    kind = check_output(job.source, job.out, overwrite=overwrite, folder=job.folder)
    remove_stale_temporaries(job.out.parent)
    pyarrow = _roads.CURRENT.pyarrow and not job.source.hive and key is None
    if pyarrow and kind == job.source.kind == "parquet":
        written = _sample_on_pyarrow(job)
        if written is not None:  # else DuckDB's road takes it
            _roads.CURRENT.runs.append("pyarrow")
            return written
    applied = _sample_on_duckdb(job, kind)
    _roads.CURRENT.runs.append("duckdb")
    return applied


def _plan_once(**options: Any) -> Callable[[dict[Label, int]], SamplingPlan]:
    """:func:`resolve_plan` for the counts, with a warning (once) if it downsamples too far.

    Once: a road that declines hands the counts to the next, which makes the plan again.
    """
    warned: list[SamplingPlan] = []

    def make_plan(counts: dict[Label, int]) -> SamplingPlan:
        the_plan = resolve_plan(counts, **options)
        if not warned:
            warned.append(the_plan)
            warn_if_over_downsampled(the_plan)
        return the_plan

    return make_plan


@dataclass(frozen=True)
class _Job:
    """What :func:`sample_file` was asked, checked, for either road to carry out."""

    source: Source
    out: Path
    folder: bool  # spelled with a trailing slash
    label: str
    weight_col: str
    method: Method
    seed: int
    key: str | None
    threads: int | None
    overwrite: bool
    progress: ProgressCallback | None
    ceiling: Callable[[Label], float] | None  # the most each class can keep, before counting
    make_plan: Callable[[dict[Label, int]], SamplingPlan]

    def commit(
        self, write: Callable[[Path], SamplingPlan | None], kind: str
    ) -> SamplingPlan | None:
        """Write into a temporary, check the input is unchanged, rename into place."""
        sidecar = None if kind == "directory" else plan_sidecar(self.out)
        return staged(
            self.out,
            write,
            sidecar=None if sidecar is None else lambda plan: (sidecar, plan.to_json()),
            check=self.source.check_unchanged,
            overwrite=self.overwrite,
        )


def _sample_on_pyarrow(job: _Job) -> SamplingPlan | None:
    """Parquet files to one Parquet file: the pyarrow road, or ``None`` if it declines."""
    n_rows = job.source.n_rows
    if job.ceiling is None or not n_rows:
        return None
    ceiling = job.ceiling
    with job.source.reading():
        return job.commit(
            lambda tmp: sample_parquet(
                job.source.files,
                n_rows,
                tmp,
                name=job.source.name,
                label=job.label,
                weight_col=job.weight_col,
                rate_hint=ceiling,
                make_plan=job.make_plan,
                method=job.method,
                seed=job.seed,
                threads=job.threads,
                progress=job.progress,
            ),
            "parquet",
        )


def _sample_on_duckdb(job: _Job, kind: str) -> SamplingPlan:
    """Any input to any output: count and select, then write, on DuckDB."""
    if job.source.kind == "parquet" and (lost := durations(job.source.files)):
        raise InputError(
            f"column {lost[0]!r} holds durations, which DuckDB, this output's writer, would "
            "store as plain integers (their unit lost); cast it to integers of a named unit "
            "first, or write one .parquet file without --key, which keeps durations"
        )
    with opened(job.source, job.threads) as engine:
        check_weight_col(job.weight_col, [c for c, _ in engine.columns], ignore_case=True)
        engine.column_type(job.label, "label column")
        if job.key is not None:
            engine.column_type(job.key, "key column")
        quick = None
        if job.key is None:
            quick = count_and_select(
                engine,
                label=job.label,
                rate_hint=job.ceiling,
                make_plan=job.make_plan,
                method=job.method,
                seed=job.seed,
                progress=job.progress,
            )
        if quick is not None:
            the_plan, positions, kept = quick
        else:
            the_plan = job.make_plan(count_labels(engine, job.label))
            positions, kept = select_positions(
                engine,
                the_plan,
                label=job.label,
                method=job.method,
                seed=job.seed,
                key=job.key,
                progress=job.progress,
            )
        applied = the_plan.applied(kept, method=job.method, seed=job.seed)
        release_memory()

        def write(tmp: Path) -> SamplingPlan:
            write_rows(
                engine,
                applied,
                positions,
                label=job.label,
                weight_col=job.weight_col,
                tmp=tmp,
                dst=job.out,
                kind=kind,
                progress=job.progress,
            )
            return applied

        job.commit(write, kind)
    return applied


def read_plan(path: PathLike) -> SamplingPlan:
    """The sampling plan that travels with a file written by upweight.

    Parameters
    ----------
    path : str or path
        A Parquet file (plan in its metadata), a directory of Parquet files written by
        :func:`sample_file`, or a CSV file with its ``.plan.json`` beside it.

    Returns
    -------
    SamplingPlan
        Per class: original count, factor, keep rate, rows kept, weight; weight mode,
        method and seed. Pass it to :func:`upweight.correct_proba` or
        :func:`upweight.metrics.evaluate` without counting the data again.

    Raises
    ------
    FileError
        The file is missing or carries no plan.

    Examples
    --------
    >>> import tempfile, pathlib, upweight
    >>> from upweight.datasets import make_imbalanced
    >>> import pyarrow.parquet as pq
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pq.write_table(make_imbalanced(5_000, random_state=1).to_arrow(), folder / "in.pq")
    >>> _ = upweight.sample_file(folder / "in.pq", folder / "out.pq", label="label", factor=10)
    >>> plan = upweight.read_plan(folder / "out.pq")
    >>> plan.factors, plan.seed
    ({0: 10.0, 1: 1.0}, 0)
    """
    p = Path(path)
    if not p.exists():
        raise FileError(f"file not found: {p}")
    if p.is_dir():
        parts = sorted(
            q
            for q in p.rglob("*")
            if q.is_file()
            and q.name.lower().endswith(folder_suffixes())
            and not hidden(q.relative_to(p).parts)
        )
        if not parts:
            raise FileError(f"no Parquet files in {p}, so no plan to read")
        p = parts[0]
    if format_of(p).plan_inside:
        return plan_from_parquet(p)
    return plan_from_sidecar(p)


# -- for the sweep: labels once, then only the rows a configuration needs -------------------
def column_names(src: PathLike) -> tuple[list[tuple[str, Any]], str]:
    """Columns of a file, directory or glob, as (name, Arrow type); and the input's name.

    Hive partition columns are included; no row is read.
    """
    with opened(resolve(src)) as engine:
        schema = engine.run(
            lambda: engine.con.sql(f"SELECT * FROM {engine.plain_scan} LIMIT 0").to_arrow_table()
        ).schema
        return [(f.name, f.type) for f in schema], engine.source.name


def column_values(src: PathLike, columns: list[str]) -> tuple[int, dict[str, int | None]]:
    """Rows, and for each column how many values it holds: 1 for one value only.

    Distinct values (a missing value counts as one) for every column but floating-point
    ones, which are only told apart as one value (1) or more (None) -- counting their
    distinct values would cost a hash of every row. One pass over those columns.
    """
    with opened(resolve(src)) as engine:
        types = dict(engine.columns)
        parts = ["count(*)"]
        for name in columns:
            col = ident(name)
            if types.get(name, "").split("(")[0] in ("FLOAT", "DOUBLE", "DECIMAL"):
                parts.append(
                    f"CASE WHEN count({col}) = count(*) AND min({col}) = max({col}) "
                    f"OR count({col}) = 0 THEN 1 END"
                )
            else:
                parts.append(f"count(DISTINCT {col}) + (count({col}) < count(*))::BIGINT")
        row = engine.one(f"SELECT {', '.join(parts)} FROM {engine.plain_scan}")
        engine.source.check_unchanged()
    values = {name: None if v is None else int(v) for name, v in zip(columns, row[1:], strict=True)}
    return int(row[0]), values


def read_labels(src: PathLike, *, label: str) -> Any:
    """The label column of a file, directory or glob, in input order, as an Arrow array.

    Only the label column is read. The sweep counts and splits on it, then reads the rows
    each configuration trains on with :func:`read_rows`.
    """
    import pyarrow as pa

    with opened(resolve(src)) as engine:
        count_labels(engine, label)  # the same checks as sampling: missing, mixed, one class
        col = ident(label)
        parts = list(read_batches(engine, f"SELECT {col} FROM {engine.plain_scan}"))
        engine.source.check_unchanged()
    return pa.chunked_array([b.column(0) for b in parts]).combine_chunks()


def read_rows(src: PathLike, positions: npt.ArrayLike, *, columns: list[str] | None = None) -> Any:
    """The rows at ``positions`` (input order) of a file, directory or glob, as Arrow.

    DuckDB reads the input once, keeping the marked rows through a positional join;
    memory holds the rows returned and one bit per input row.
    """
    pos = np.unique(np.asarray(positions, dtype=np.int64))
    with opened(resolve(src)) as engine:
        names = [c for c, _ in engine.columns] if columns is None else list(columns)
        for name in names:
            engine.column_type(name, "column")
        n_rows = engine.source.n_rows
        if n_rows is None:
            n_rows = int(engine.one(f"SELECT count(*) FROM {engine.plain_scan}")[0])
        if pos.size and (pos[0] < 0 or pos[-1] >= n_rows):
            raise InputError(f"row positions must lie in [0, {n_rows}); got {pos[0]}..{pos[-1]}")
        engine.register("__mask", keep_mask(pos, n_rows))
        cols = ", ".join(f"s.{ident(c)}" for c in names)
        query = f"SELECT {cols} FROM {engine.plain_scan} AS s POSITIONAL JOIN __mask AS m"
        table = engine.run(lambda: engine.con.sql(f"{query} WHERE m.__keep").to_arrow_table())
        engine.source.check_unchanged()
        return table
