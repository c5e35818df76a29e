"""The file engine's road for Parquet files in and one Parquet file out, on pyarrow.

DuckDB's road (:mod:`._write`) writes the kept rows through a positional join against a
bitmask, which DuckDB runs on one thread to keep the input's order. When the input is
Parquet files (not hive-partitioned) with an integer or boolean label and the output is
one Parquet file, this road does the same work with pyarrow instead:

1. **Select**: the label column alone, row group by row group, through the streaming
   selection DuckDB's road uses too (:func:`upweight._selection.stream_select`): class
   counts, hence the plan, and the kept positions, by the shared scheme of
   :mod:`upweight._selection`.
2. **Write**: every row group once, read (not memory-mapped) while the previous one is
   filtered to its kept rows and appended, with the weight column, to the output; the plan
   goes in the file's key-value metadata.

Memory holds a few row groups, one output row group and a few bytes per kept row. The
output has the same rows, order, values and plan as DuckDB's road, every column nullable
as DuckDB writes them; column types are the input's Arrow types, where DuckDB's road
stores a few its own way (half floats as floats, millisecond timestamps as microseconds,
large strings as strings, dictionary columns decoded).

The road returns ``None`` for what it does not cover, and the caller takes DuckDB's road
(which also words the errors): a key column, a label column whose row-group statistics
are missing or show missing values or over 4,096 distinct values, row groups over 256 MB,
a bound that fell short, or a file pyarrow cannot read.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import os
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from .._plan import SamplingPlan
from .._selection import (
    HeldRows,
    class_counts,
    hashes_below,
    kept_whole,
    rate_bounds,
    stream_select,
)
from .._types import Label, Method
from . import _roads
from ._arrays import as_numpy, from_numpy, numpy_dtype, release_memory
from ._commit import flushing
from ._label_pass import class_codes
from ._metadata import PLAN_METADATA_KEY

__all__ = ["sample_parquet"]

# output row groups: written as the input streams (not all at the end), in bounded memory
_OUT_ROWS = 1 << 18
_OUT_BYTES = 64 * 1024 * 1024
_MAX_LABEL_RANGE = 4096
_MAX_WORKERS = 8  # row groups in flight: memory grows with them
_BATCH_ROWS = 1 << 19  # consecutive row groups smaller than this are read together

T = TypeVar("T")


class _Declined(Exception):
    """Raised when the input is not covered here: DuckDB's path takes it."""


def _array(column: Any) -> Any:
    """A column as one Arrow array (without copying when it is one already)."""
    import pyarrow as pa

    if not isinstance(column, pa.ChunkedArray):
        return column
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _take(column: Any, idx: npt.NDArray[np.int64]) -> Any:
    """Rows ``idx`` of a column: NumPy for plain numbers, Arrow's ``take`` otherwise."""
    import pyarrow as pa

    array = _array(column)
    dtype = numpy_dtype(array.type)
    if dtype is not None and array.null_count == 0:
        return from_numpy(as_numpy(array, dtype)[idx], array.type)
    return array.take(from_numpy(idx.astype(np.int64, copy=False), pa.int64()))


def _label_values(column: Any) -> npt.NDArray[Any]:
    """An integer or boolean column without missing values as NumPy (a view if it can)."""
    import pyarrow as pa

    array = _array(column)
    if pa.types.is_boolean(array.type):
        bits = np.frombuffer(array.buffers()[1], dtype=np.uint8)
        start = array.offset
        return np.unpackbits(bits, bitorder="little")[start : start + len(array)]
    dtype = numpy_dtype(array.type)
    assert dtype is not None
    return as_numpy(array, dtype)


def _label_range(metas: list[Any], label: str) -> tuple[int, int]:
    """The label's smallest and largest value, from the row groups' statistics."""
    low: int | None = None
    high: int | None = None
    for meta in metas:
        names = [meta.schema.column(j).path for j in range(meta.num_columns)]
        if names.count(label) != 1:
            raise _Declined
        j = names.index(label)
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            if group.total_byte_size > _roads.CURRENT.max_group_bytes:  # DuckDB streams them
                raise _Declined
            if group.num_rows == 0:
                continue
            stats = group.column(j).statistics
            if stats is None or not stats.has_min_max or stats.null_count != 0:
                raise _Declined  # missing values, or no statistics: DuckDB's path says so
            lo, hi = int(stats.min), int(stats.max)
            low = lo if low is None else min(low, lo)
            high = hi if high is None else max(high, hi)
    if low is None or high is None or high - low >= _MAX_LABEL_RANGE:
        raise _Declined
    return low, high


def _stamp(path: str) -> tuple[int, int]:
    """A file's size and modification time: what changes if it is rewritten or cut."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def _read_group(
    path: str,
    meta: Any,
    groups: list[int],
    use_threads: bool,
    columns: list[str] | None,
    stamp: tuple[int, int],
) -> Any:
    """Row groups of one file, read together into memory with ordinary reads.

    The file is not memory-mapped: a mapped file that another program cuts short while
    a row group is read ends the process with SIGBUS, where reads give an error this
    module turns into "changed while it was read". A file changed since the run began
    is left to DuckDB's path, which says so.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if _stamp(path) != stamp:
            raise _Declined
        with pq.ParquetFile(path, memory_map=False, pre_buffer=False, metadata=meta) as f:
            return f.read_row_groups(groups, columns=columns, use_threads=use_threads)
    except (OSError, pa.ArrowException) as exc:  # a damaged page: DuckDB's path words it
        raise _Declined from exc


def _map_groups(
    files: Iterable[str],
    metas: list[Any],
    fn: Callable[[Any, int], T],
    *,
    stamps: dict[str, tuple[int, int]],
    threads: int | None,
    columns: list[str] | None = None,
) -> Generator[T, None, None]:
    """``fn(row_group, first_position)`` for every row group of ``files``, in order.

    Row groups are read and handed to ``fn`` on worker threads, a few ahead of the
    caller: with many row groups, each worker reads a whole row group on its own (so
    ``fn`` finds it in the CPU cache); with few, pyarrow decodes each one's columns in
    parallel instead.
    """
    jobs: list[tuple[str, Any, list[int], int]] = []
    start = 0
    for f, m in zip(files, metas, strict=True):
        batch: list[int] = []
        rows = 0
        for g in range(m.num_row_groups):
            batch.append(g)
            rows += m.row_group(g).num_rows
            if rows >= _BATCH_ROWS or g == m.num_row_groups - 1:
                # small row groups are read a few at a time: a read has a fixed cost
                jobs.append((f, m, batch, start))
                start += rows
                batch, rows = [], 0
    workers = max(1, min(threads or os.cpu_count() or 1, _MAX_WORKERS))
    per_group = workers > 1 and len(jobs) >= 2 * workers
    use_threads = workers > 1 and not per_group

    def run(job: tuple[str, Any, list[int], int]) -> T:
        path, meta, groups, first = job
        return fn(_read_group(path, meta, groups, use_threads, columns, stamps[path]), first)

    if workers == 1:
        yield from map(run, jobs)
        return
    pool = ThreadPoolExecutor(workers if per_group else 1, thread_name_prefix="upweight-read")
    ahead: collections.deque[Future[T]] = collections.deque()
    try:
        todo = iter(jobs)
        for job in itertools.islice(todo, workers + 1):
            ahead.append(pool.submit(run, job))
        while ahead:
            result = ahead.popleft().result()
            for job in itertools.islice(todo, 1):
                ahead.append(pool.submit(run, job))
            yield result
            del result
    finally:
        for future in ahead:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def sample_parquet(
    files: tuple[str, ...],
    n_rows: int,
    tmp: Path,
    *,
    name: str,
    label: str,
    weight_col: str,
    rate_hint: Callable[[Label], float],
    make_plan: Callable[[dict[Label, int]], SamplingPlan],
    method: Method,
    seed: int,
    threads: int | None,
    progress: Callable[[str, int, int], None] | None,
) -> SamplingPlan | None:
    """Downsample Parquet ``files`` into the Parquet file ``tmp``.

    ``rate_hint(v)`` is the most class ``v`` may keep, known before counting. Returns the
    applied plan, or ``None`` when this path does not cover the input (``tmp`` is then
    not written).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        try:
            stamps = {f: _stamp(f) for f in files}
            metas = [pq.read_metadata(f) for f in files]
        except (OSError, pa.ArrowException) as exc:
            raise _Declined from exc
        arrow_schema = metas[0].schema.to_arrow_schema()
        names = arrow_schema.names  # top-level columns (the Parquet schema lists leaves)
        if (
            label not in names
            or weight_col.casefold() in {n.casefold() for n in names}
            or any(not m.schema.equals(metas[0].schema) for m in metas)
        ):
            raise _Declined
        typ = arrow_schema.field(label).type
        boolean = pa.types.is_boolean(typ)
        if not (pa.types.is_integer(typ) or boolean):
            raise _Declined
        low, high = _label_range(metas, label)  # from statistics: no missing values
        if boolean:
            low, high = 0, 1
        values: list[Label] = [False, True] if boolean else list(range(low, high + 1))

        rates = np.array([min(1.0, max(0.0, rate_hint(v))) for v in values])

        def label_pass(table: Any, first: int) -> HeldRows:
            """A row group's class counts and candidate rows (on a worker thread)."""
            codes = class_codes(_label_values(table.column(0)), low)
            counts = class_counts(codes, len(values))
            # this row group's counts alone give bounds at least as loose as the
            # running counts will: every row those bounds hold is among these
            loose = rate_bounds(method, rates, counts)
            pos, pos_h = hashes_below(first, codes, loose, seed)
            pos_codes = codes[pos - first]

            def held(bounds: npt.NDArray[np.uint64]) -> tuple[Any, Any]:
                inside = pos_h <= np.take(bounds, pos_codes)
                return pos[inside], pos_codes[inside]

            return counts, held

        # closed on the way out, so that an error stops the readers at once
        with contextlib.closing(
            _map_groups(files, metas, label_pass, stamps=stamps, threads=threads, columns=[label])
        ) as labels:
            chosen = stream_select(
                labels,
                n_rows=n_rows,
                values=values,
                rates=rates,
                make_plan=make_plan,
                what=f"label column {label!r}",
                name=name,
                method=method,
                seed=seed,
                progress=progress,
                slack=_roads.CURRENT.bound_slack,
            )
        if chosen is None:
            raise _Declined
        plan, positions, kept = chosen
        applied = plan.applied(kept, method=method, seed=seed)
        release_memory()  # what the label pass freed, so that memory stays flat with size
        _write(
            files,
            metas,
            tmp,
            applied,
            positions,
            values=values,
            low=low,
            label=label,
            weight_col=weight_col,
            method=method,
            stamps=stamps,
            threads=threads,
            progress=progress,
        )
        return applied
    except (_Declined, pa.ArrowException):
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        return None


def _write(
    files: tuple[str, ...],
    metas: list[Any],
    tmp: Path,
    applied: SamplingPlan,
    positions: npt.NDArray[Any],
    *,
    values: list[Label],
    low: int,
    label: str,
    weight_col: str,
    method: Method,
    stamps: dict[str, tuple[int, int]],
    threads: int | None,
    progress: Callable[[str, int, int], None] | None,
) -> None:
    """Every column of the kept rows, in input order, with the weight column and the plan.

    A row is kept when its class is kept whole or its position is in ``positions``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    code_of = {v: j for j, v in enumerate(values)}
    whole = np.zeros(len(values), dtype=bool)
    weight = np.zeros(len(values))
    for c in applied:
        weight[code_of[c.label]] = c.weight
        whole[code_of[c.label]] = kept_whole(c.keep_rate, c.kept, c.count, method)
    n_rows = sum(m.num_rows for m in metas)
    whole_codes = np.flatnonzero(whole)
    meta = {PLAN_METADATA_KEY: applied.to_json().encode()}

    def kept_rows(table: Any, first: int) -> tuple[Any, int]:
        """The row group's kept rows with their weights (on a worker thread)."""
        codes = class_codes(_label_values(table.column(label)), low)
        keep = np.zeros(codes.size, dtype=bool)
        for j in whole_codes:  # a few classes: one comparison each
            keep |= codes == j
        bounds = np.array([first, first + codes.size], dtype=positions.dtype)
        a, b = np.searchsorted(positions, bounds)
        keep[positions[a:b] - first] = True
        idx = np.flatnonzero(keep)
        columns = [_take(c, idx) for c in table.columns]
        columns.append(from_numpy(weight[codes[idx]], pa.float64()))
        # every column nullable, as DuckDB's path writes them
        fields = [f.with_nullable(True) for f in table.schema]
        fields.append(pa.field(weight_col, pa.float64()))
        schema = pa.schema(fields, metadata=meta)
        return pa.RecordBatch.from_arrays(columns, schema=schema), first + codes.size

    writer = None
    pending: list[Any] = []
    held = held_bytes = 0
    groups = _map_groups(files, metas, kept_rows, stamps=stamps, threads=threads)
    with flushing(tmp), contextlib.closing(groups):  # the disk writes while we compute
        try:
            for batch, done in groups:
                if writer is None:
                    plain = [f.name for f in batch.schema if not pa.types.is_floating(f.type)]
                    writer = pq.ParquetWriter(
                        tmp, batch.schema, compression="snappy", use_dictionary=plain or False
                    )
                pending.append(batch)
                held += batch.num_rows
                held_bytes += batch.nbytes
                if held >= _OUT_ROWS or held_bytes >= _OUT_BYTES:
                    writer.write_table(pa.Table.from_batches(pending), held)
                    pending, held, held_bytes = [], 0, 0
                if progress is not None:
                    progress("writing", done, n_rows)
            assert writer is not None
            if pending:
                writer.write_table(pa.Table.from_batches(pending), held)
        finally:
            if writer is not None:
                writer.close()
