"""The file engine's one-pass path: Parquet files in, one Parquet file out.

DuckDB's path (:mod:`upweight._files`) reads the label column, decides, then reads every
column again and writes the kept rows through a positional join, which DuckDB runs on one
thread to keep the input's order. When the input is Parquet files (not hive-partitioned)
with an integer or boolean label, and the output is one Parquet file, this path reads each
row group once instead, with pyarrow (columns decoded in parallel, the next row group
read ahead while this one is hashed), and:

1. counts the labels and hashes each row's position (the shared scheme of
   :mod:`upweight._selection`);
2. writes to a spill file beside the output the rows that may be kept: every row of the
   classes that may be kept whole, and those rows of the others whose hash lies below a
   bound a few standard deviations above the keep rate (the bound DuckDB's path uses);
3. once the counts are known, makes the plan, picks the kept rows among those held (the
   rows every engine keeps for the same seed), and writes them from the spill with the
   weight column and the plan in the file's metadata.

Memory holds two row groups, one output row group, and a position and class code per held
row. The spill is about the size of the output and is removed at the end.

The path returns ``None`` for what it does not cover, and the caller runs DuckDB's path
(which also words the errors): a key column, a label column pyarrow's statistics do not
describe (missing values, a range over 4,096 values), row groups over 256 MB, a class
whose rows were dropped but which the plan keeps whole, a bound that fell short, or a file
pyarrow cannot read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ._counts import check_two_classes
from ._io import PLAN_METADATA_KEY, _temporary
from ._plan import SamplingPlan
from ._selection import positions_below
from ._types import Label, Method

_MAX_GROUP_BYTES = 256 * 1024 * 1024  # larger row groups stream through DuckDB's path
_OUT_ROWS = 1 << 20  # rows per output row group
_MAX_LABEL_RANGE = 4096


class _Declined(Exception):
    """Raised when the input is not covered here: DuckDB's path takes it."""


def _numpy_dtype(typ: Any) -> np.dtype[Any] | None:
    """The NumPy dtype of a fixed-width integer or float Arrow type, else ``None``."""
    import pyarrow as pa

    if pa.types.is_integer(typ):
        kind = "i" if pa.types.is_signed_integer(typ) else "u"
    elif pa.types.is_floating(typ):
        kind = "f"
    else:
        return None
    return np.dtype(f"{kind}{typ.bit_width // 8}")


def _as_numpy(array: Any, dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset)


def _from_numpy(values: npt.NDArray[Any], typ: Any) -> Any:
    """An Arrow array viewing a NumPy array (``pa.array`` would import pandas)."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(typ, values.size, [None, pa.py_buffer(values)])


def _take(column: Any, idx: npt.NDArray[np.int64]) -> Any:
    """Rows ``idx`` of a column: NumPy for plain numbers, Arrow's ``take`` otherwise."""
    import pyarrow as pa

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    dtype = _numpy_dtype(array.type)
    if dtype is not None and array.null_count == 0:
        return _from_numpy(_as_numpy(array, dtype)[idx], array.type)
    return array.take(_from_numpy(idx.astype(np.int64, copy=False), pa.int64()))


def _rows(table: Any, idx: npt.NDArray[np.int64], schema: Any) -> Any:
    import pyarrow as pa

    return pa.RecordBatch.from_arrays([_take(c, idx) for c in table.columns], schema=schema)


def _codes(column: Any, low: int) -> npt.NDArray[np.int16]:
    """Class codes ``label - low`` of an integer or boolean column without nulls."""
    import pyarrow as pa

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_boolean(array.type):
        bits = np.frombuffer(array.buffers()[1], dtype=np.uint8)
        start = array.offset
        values = np.unpackbits(bits, bitorder="little")[start : start + len(array)]
    else:
        dtype = _numpy_dtype(array.type)
        assert dtype is not None
        values = _as_numpy(array, dtype)
    if low:
        values = values.astype(np.int64) - low
    return values.astype(np.int16)


def _label_range(files: list[Any], label: str) -> tuple[int, int]:
    """The label's smallest and largest value, from the row groups' statistics."""
    low: int | None = None
    high: int | None = None
    for f in files:
        meta = f.metadata
        names = [meta.schema.column(j).path for j in range(meta.num_columns)]
        if names.count(label) != 1:
            raise _Declined
        j = names.index(label)
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            if group.total_byte_size > _MAX_GROUP_BYTES:
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


def _row_groups(files: list[Any], threads: int | None) -> Iterator[Any]:
    """Every row group of ``files`` in order, the next one read ahead on a thread."""
    use_threads = threads is None or threads > 1
    jobs = [(f, g) for f in files for g in range(f.metadata.num_row_groups)]
    if not use_threads:
        for f, g in jobs:
            yield f.read_row_group(g, use_threads=False)
        return
    pool = ThreadPoolExecutor(1, thread_name_prefix="upweight-read")
    try:
        ahead = pool.submit(jobs[0][0].read_row_group, jobs[0][1]) if jobs else None
        for i in range(len(jobs)):
            assert ahead is not None
            table = ahead.result()
            if i + 1 < len(jobs):
                ahead = pool.submit(jobs[i + 1][0].read_row_group, jobs[i + 1][1])
            yield table
            del table
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def sample_parquet(
    files: tuple[str, ...],
    n_rows: int,
    tmp: Path,
    *,
    label: str,
    weight_col: str,
    rate_hint: Callable[[Label], float],
    majority_only: bool,
    make_plan: Callable[[dict[Label, int]], SamplingPlan],
    method: Method,
    seed: int,
    threads: int | None,
    progress: Callable[[str, int, int], None] | None,
) -> SamplingPlan | None:
    """Downsample Parquet ``files`` into the Parquet file ``tmp`` in one read.

    ``rate_hint(v)`` is the most class ``v`` may keep, known before counting;
    ``majority_only`` says only the largest class is downsampled (a single factor), so
    the others are held whole. Returns the applied plan, or ``None`` when this path does
    not cover the input (``tmp`` is then not written).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    spill = _temporary(tmp.with_name(tmp.name + ".spill"))
    try:
        try:
            readers = [pq.ParquetFile(f) for f in files]
            schema = readers[0].schema_arrow
            if (
                label not in schema.names
                or weight_col in schema.names
                or any(r.schema_arrow != schema for r in readers)
            ):
                raise _Declined
            typ = schema.field(label).type
            if not (pa.types.is_integer(typ) or pa.types.is_boolean(typ)):
                raise _Declined
            low, high = _label_range(readers, label)
            return _run(
                readers,
                schema,
                n_rows,
                tmp,
                spill,
                low=0 if pa.types.is_boolean(typ) else low,
                high=1 if pa.types.is_boolean(typ) else high,
                boolean=pa.types.is_boolean(typ),
                label=label,
                weight_col=weight_col,
                rate_hint=rate_hint,
                majority_only=majority_only,
                make_plan=make_plan,
                method=method,
                seed=seed,
                threads=threads,
                progress=progress,
            )
        except (_Declined, pa.ArrowException):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            return None
    finally:
        with contextlib.suppress(FileNotFoundError):
            spill.unlink()


def _run(
    readers: list[Any],
    schema: Any,
    n_rows: int,
    tmp: Path,
    spill: Path,
    *,
    low: int,
    high: int,
    boolean: bool,
    label: str,
    weight_col: str,
    rate_hint: Callable[[Label], float],
    majority_only: bool,
    make_plan: Callable[[dict[Label, int]], SamplingPlan],
    method: Method,
    seed: int,
    threads: int | None,
    progress: Callable[[str, int, int], None] | None,
) -> SamplingPlan | None:
    import pyarrow as pa

    from ._files import _bernoulli_limit, _choose, _exact_bounds

    values: list[Label] = [False, True] if boolean else [int(v) for v in range(low, high + 1)]
    rates = np.array([min(1.0, max(0.0, rate_hint(v))) for v in values])
    limits = np.array([_bernoulli_limit(r) for r in rates], dtype=np.uint64)
    top = np.iinfo(np.uint64).max
    counts = np.zeros(len(values), dtype=np.int64)
    dropped = np.zeros(len(values), dtype=bool)  # classes some of whose rows were not held
    li = schema.get_field_index(label)
    small = np.uint32 if n_rows < 2**32 else np.int64
    held_pos: list[npt.NDArray[Any]] = []
    held_codes: list[npt.NDArray[np.int16]] = []
    done = 0
    with pa.OSFile(str(spill), "wb") as sink, pa.ipc.new_stream(sink, schema) as stream:
        for table in _row_groups(readers, threads):
            codes = _codes(table.column(li), low)
            counts += np.bincount(codes, minlength=counts.size)
            drop = rates < 1.0
            if majority_only:  # a single factor: only the largest class is downsampled
                drop &= np.arange(counts.size) == np.argmax(counts)
            dropped |= drop
            bounds = limits if method == "bernoulli" else _exact_bounds(rates, counts)
            bounds = np.where(drop, bounds, top).astype(np.uint64)
            idx = positions_below(done, codes, bounds, seed) - done
            stream.write_batch(_rows(table, idx, schema))
            held_pos.append((idx + done).astype(small))
            held_codes.append(codes[idx])
            done += codes.size
            del table, codes
            if progress is not None:
                progress("selecting", done, n_rows)
    if done != n_rows:
        raise _Declined  # the input changed while read: DuckDB's path says so
    count_map = {v: int(n) for v, n in zip(values, counts, strict=True) if n}
    check_two_classes(count_map, f"label column {label!r}")
    plan = make_plan(count_map)
    ps = np.concatenate(held_pos)
    cs = np.concatenate(held_codes)
    del held_pos, held_codes
    chosen = _choose(plan, values, ps, cs, rates, counts, method=method, seed=seed)
    if chosen is None:
        return None
    positions, kept = chosen
    applied = plan.applied(kept, method=method, seed=seed)
    code_of = {v: j for j, v in enumerate(values)}
    whole = np.zeros(len(values), dtype=bool)
    weight = np.zeros(len(values))
    for c in plan:
        j = code_of[c.label]
        weight[j] = applied[c.label].weight
        if c.keep_rate >= 1.0 or (method == "exact" and c.kept == c.count):
            if dropped[j]:
                return None  # kept whole, but some of its rows were not held
            whole[j] = True
    keep = whole[cs]
    keep[np.searchsorted(ps, positions)] = True
    del positions

    def report(held: int) -> None:  # as input rows: those up to the last held row written
        if progress is not None:
            rows = n_rows if held >= ps.size else int(ps[held - 1]) + 1 if held else 0
            progress("writing", rows, n_rows)

    _write(spill, tmp, schema, keep, weight[cs], weight_col, applied, report)
    return applied


def _write(
    spill: Path,
    tmp: Path,
    schema: Any,
    keep: npt.NDArray[np.bool_],
    weights: npt.NDArray[np.float64],
    weight_col: str,
    applied: SamplingPlan,
    report: Callable[[int], None],
) -> None:
    """The kept rows of the spill, with their weights, as one Parquet file with the plan."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    # every column nullable, as DuckDB's path writes them
    fields = [f.with_nullable(True) for f in schema] + [pa.field(weight_col, pa.float64())]
    out_schema = pa.schema(fields)
    out_schema = out_schema.with_metadata({PLAN_METADATA_KEY: applied.to_json().encode()})
    plain = [f.name for f in schema if not pa.types.is_floating(f.type)]
    pending: list[Any] = []
    held = 0
    start = 0
    with (
        pq.ParquetWriter(
            tmp, out_schema, compression="snappy", use_dictionary=plain or False
        ) as writer,
        pa.OSFile(str(spill), "rb") as source,
    ):

        def flush() -> None:
            nonlocal pending, held
            if pending:
                writer.write_table(pa.Table.from_batches(pending, out_schema), _OUT_ROWS)
            pending, held = [], 0

        for batch in pa.ipc.open_stream(source):
            stop = start + batch.num_rows
            idx = np.flatnonzero(keep[start:stop])
            w = _from_numpy(weights[start:stop][idx], pa.float64())
            columns = [_take(c, idx) for c in batch.columns] + [w]
            pending.append(pa.RecordBatch.from_arrays(columns, schema=out_schema))
            held += idx.size
            start = stop
            if held >= _OUT_ROWS:
                flush()
            report(start)
        flush()
