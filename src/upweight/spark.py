"""Apache Spark engine: profile and downsample a Spark DataFrame by a :class:`SamplingPlan`.

Install with ``pip install 'upweight[spark]'``; pyspark is imported only when a function
here is called, never by ``import upweight``.

- :func:`profile` -- class counts of a label column, in one aggregation.
- :func:`downsample` -- keep one in *k* majority rows and add a weight column; returns the
  DataFrame and the plan as applied.

Which rows are kept follows the scheme every upweight engine shares (see the module
``upweight._selection``): each row is hashed with SplitMix64 from its *identity* and the
seed, and ``method="bernoulli"`` keeps a row of class *c* when the hash, as a number in
[0, 1), is below ``1 / k_c``, while ``method="exact"`` keeps the ``round(N_c / k_c)`` rows
of class *c* with the smallest hashes (ties to the earlier position). A row's identity is

- its *position* in the DataFrame: 0, 1, 2, ... through partition 0, then partition 1, and
  so on (the order ``RDD.zipWithIndex`` numbers rows in). For a DataFrame made from local
  data, or read from one file, that is the data's own order, so Spark keeps the same rows
  as :func:`upweight.downsample` and ``upweight sample`` on the same data and seed. For
  several files, Spark orders its partitions by its own rules (larger file splits first), so
  positions are deterministic for the same files and settings, but are not the files' order;
- or, with ``key=``, the value of a key column: an integer as its 64-bit pattern, a string
  as the first 8 bytes of its MD5 digest (little-endian). The same key gets the same
  decision in every engine, whatever the partitioning.

The hashes are computed with NumPy inside ``DataFrame.mapInArrow`` (Spark SQL's 64-bit
arithmetic raises on overflow under ANSI mode, so SplitMix64 is not written in SQL). The
rows counted per partition are checked when positions are computed: a DataFrame whose
partitions change between two passes (one coming out of a shuffle without a fixed order,
or from a changing source) is refused with a message; pass ``key=`` or cache it first.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._counts import as_counts, check_two_classes
from ._exceptions import InputError, LabelError
from ._labels import python_label
from ._plan import SamplingPlan, resolve_plan, warn_if_over_downsampled
from ._profile import ImbalanceProfile, _check_batch_size
from ._profile import profile as _profile_counts
from ._random import resolve_seed
from ._selection import (
    below_cuts,
    bernoulli_keep,
    cut_at,
    cut_window,
    kept_whole,
    key_ids,
    row_hashes,
)
from ._types import Label, Method, RandomStateLike, WeightMode
from ._validation import check_key, check_method, check_weight_col, requires

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = ["downsample", "profile"]

# More groups than this in a count means the column is not a class label.
_MAX_CLASSES = 10_000
_MAX_GROUPS = 1_000_000
_SIGN = 1 << 63  # Spark's longs are signed: a hash h travels as h ^ _SIGN


@dataclass(frozen=True)
class _CutSearch:
    """How :func:`downsample` searches for each class's exact cut (see its Notes).

    Settings other than the defaults change which Spark jobs run, never the rows kept;
    the tests use them to run every step of the search.

    Attributes
    ----------
    window : bool
        First try one pass over a window of hashes around each class's expected cut
        (:func:`upweight._selection.cut_window`); the histogram search then runs only for
        the classes whose cut the window missed. False: the histogram search for all.
    collect_limit : int
        Rows of one hash bucket collected to the driver and sorted there: the histogram
        search narrows a class's hash range until it holds at most this many rows.
    bucket_bits : int
        Bits of the hash that each step of the histogram search resolves.
    """

    window: bool = True
    collect_limit: int = 20_000
    bucket_bits: int = 12


def _pyspark() -> Any:
    """The pyspark.sql.functions module, or :class:`MissingExtraError` naming the extra."""
    requires("pyspark.sql", "spark", what="pyspark")
    from pyspark.sql import functions

    return functions


def _col(name: str) -> Any:
    """A column by its exact name (dots and backticks in names are not paths)."""
    F = _pyspark()
    return F.col("`" + name.replace("`", "``") + "`")


def _check_frame(df: Any) -> None:
    if not all(hasattr(df, attr) for attr in ("mapInArrow", "groupBy", "schema")):
        raise InputError(
            f"upweight.spark needs a pyspark DataFrame; got {type(df).__name__} "
            "(use upweight.downsample_frame for pandas, polars or pyarrow)"
        )


def _check_label(df: Any, label: Any) -> str:
    """The label column's kind: "int", "bool", "str" or "float"."""
    from pyspark.sql import types as T

    columns = list(df.columns)
    if not isinstance(label, str) or label not in columns:
        raise LabelError(
            f"label column {label!r} not found; columns are: {', '.join(map(str, columns))}"
        )
    dtype = df.schema[label].dataType
    if isinstance(dtype, T.IntegralType):
        return "int"
    if isinstance(dtype, T.BooleanType):
        return "bool"
    if isinstance(dtype, T.StringType):
        return "str"
    if isinstance(dtype, T.FloatType | T.DoubleType):
        return "float"
    raise LabelError(
        f"label column {label!r} has type {dtype.simpleString()}; labels must be integers, "
        "booleans or strings (cast the column)"
    )


def _check_key(df: Any, key: Any) -> None:
    from pyspark.sql import types as T

    columns = list(df.columns)
    if not isinstance(key, str) or key not in columns:
        raise InputError(f"key column {key!r} not found; columns are: {', '.join(columns)}")
    dtype = df.schema[key].dataType
    if not isinstance(dtype, T.IntegralType | T.StringType):
        raise InputError(
            f"key column {key!r} has type {dtype.simpleString()}; a key must hold integers "
            "or strings (a user id, a transaction id)"
        )


def _class_counts(pairs: list[tuple[Any, int]], label: str, kind: str) -> dict[Label, int]:
    """Class -> rows from (label value, rows) pairs, refusing values that are not classes."""
    what = f"label column {label!r}"
    raw: dict[Any, int] = {}
    for value, n in pairs:
        raw[value] = raw.get(value, 0) + int(n)
    if not raw:
        raise LabelError(f"{what} is empty; there are no labels to count")
    missing = raw.pop(None, 0)
    if missing:
        raise LabelError(
            f"{what} has {missing} missing value(s) (null); drop or fill those rows first"
        )
    if kind == "float":
        nan = sum(n for v, n in raw.items() if v != v)
        if nan:
            raise LabelError(
                f"{what} has {nan} missing value(s) (NaN); drop or fill those rows first"
            )
        if any(not math.isfinite(v) or v != math.floor(v) for v in raw):
            raise LabelError(
                f"{what} looks continuous (values that are not whole numbers); "
                "downsampling needs class labels such as 0 / 1 or strings"
            )
    if len(raw) > _MAX_CLASSES:
        raise LabelError(
            f"{what} has more than {_MAX_CLASSES} distinct values; it looks like an id or a "
            "measurement, not a class label"
        )
    counts = {python_label(v): n for v, n in raw.items()}
    check_two_classes(counts, what)
    return as_counts(counts)


def profile(df: DataFrame, *, label: str, batch_size: int | None = None) -> ImbalanceProfile:
    """Profile the class balance of a Spark DataFrame's label column, in one aggregation.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        The data (classic or Spark Connect).
    label : str
        Name of the label column: integers, booleans, strings, or whole-valued floats.
    batch_size : int, optional
        Also describe batches of this size (see :attr:`ImbalanceProfile.batch`).

    Returns
    -------
    ImbalanceProfile
        The same profile :func:`upweight.profile` gives for the column's values.

    Raises
    ------
    ImportError
        pyspark is not installed (``pip install 'upweight[spark]'``).
    LabelError
        The label column is missing, holds nulls or NaN, a single class, or values that are
        not class labels.

    Examples
    --------
    >>> import os, sys
    >>> _ = os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Spark's Python workers
    >>> from pyspark.sql import SparkSession
    >>> import upweight.spark
    >>> spark = SparkSession.builder.master("local[1]").getOrCreate()
    >>> df = spark.createDataFrame([(float(i), int(i % 50 == 0)) for i in range(1000)],
    ...                            "amount double, fraud int")
    >>> prof = upweight.spark.profile(df, label="fraud", batch_size=32)
    >>> prof.count_map, prof.severity
    ({0: 980, 1: 20}, 'moderate')
    """
    _pyspark()
    _check_frame(df)
    kind = _check_label(df, label)
    if batch_size is not None:
        _check_batch_size(batch_size)
    grouped = df.groupBy(_col(label).alias("label")).count()
    rows = grouped.limit(_MAX_CLASSES + 1).collect()
    counts = _class_counts([(r["label"], r["count"]) for r in rows], label, kind)
    return _profile_counts(counts, batch_size=batch_size)


@dataclass(frozen=True)
class _Counted:
    """What the counting pass found: class counts, and rows per partition."""

    counts: dict[Label, int]
    sizes: dict[int, int]

    def offsets(self) -> dict[int, int]:
        """Partition -> position of its first row."""
        out, total = {}, 0
        for pid in sorted(self.sizes):
            out[pid] = total
            total += self.sizes[pid]
        return out


def _count(df: Any, narrow: Any, label: str, kind: str, key: str | None) -> _Counted:
    """One pass: rows per (partition, class) and keys present, tallied by ``mapInArrow``.

    The partitions are those the later passes see (``spark_partition_id()`` in an
    aggregation can differ from them, for local data that Spark folds into one).
    """
    F = _pyspark()
    tally = _RowPass(mode="tally", label=label, key=key, seed=0, labels=(), offsets={}, sizes={})
    label_type = df.schema[label].dataType.simpleString()
    grouped = (
        narrow.mapInArrow(tally, f"pid int, label {label_type}, n long, missing_key long")
        .groupBy("pid", "label")
        .agg(F.sum("n").alias("n"), F.sum("missing_key").alias("missing_key"))
    )
    rows = grouped.limit(_MAX_GROUPS + 1).collect()
    if len(rows) > _MAX_GROUPS:
        raise LabelError(
            f"label column {label!r} has too many distinct values; it looks like an id or a "
            "measurement, not a class label"
        )
    counts = _class_counts([(r["label"], r["n"]) for r in rows], label, kind)
    if key is not None:
        missing = sum(int(r["missing_key"]) for r in rows)
        if missing:
            raise InputError(
                f"key column {key!r} has {missing} missing value(s); pick a key column "
                "without missing values, or fill them"
            )
    sizes: dict[int, int] = {}
    for r in rows:
        sizes[int(r["pid"])] = sizes.get(int(r["pid"]), 0) + int(r["n"])
    return _Counted(counts=counts, sizes=sizes)


@dataclass(frozen=True)
class _RowPass:
    """The function ``mapInArrow`` runs on each partition (pickled to the executors).

    ``mode`` is ``"tally"`` (rows per partition and class), ``"window"`` (per class, the
    rows whose hash falls in a window around the expected cut, and how many fall below
    it), ``"hash"`` (rows of the downsampled classes as class, signed hash, position: the
    exact cut when the window missed it), ``"count"`` (rows kept per class by
    ``method="bernoulli"``) or ``"select"`` (the kept rows with their weight column).
    """

    mode: str
    label: str
    key: str | None
    seed: int
    labels: tuple[Label, ...]
    offsets: Any  # dict partition -> first position, or a pyspark Broadcast of it
    sizes: Any  # dict partition -> rows, or a Broadcast of it
    method: str = "exact"
    rates: tuple[float, ...] = ()
    cuts: tuple[tuple[int, int] | None, ...] = ()
    windows: tuple[tuple[int, int] | None, ...] = ()
    weights: tuple[float, ...] = ()
    weight_col: str = "weight"

    @property
    def needs_positions(self) -> bool:
        if self.mode == "tally":
            return False
        return self.key is None or self.mode == "hash" or self.method == "exact"

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        context = TaskContext.get()
        pid = context.partitionId() if context is not None else 0
        offsets = getattr(self.offsets, "value", self.offsets)
        sizes = getattr(self.sizes, "value", self.sizes)
        start = offsets.get(pid, 0)
        seen = 0
        for batch in batches:
            n = batch.num_rows
            positions = np.arange(start + seen, start + seen + n, dtype=np.uint64)
            seen += n
            if n:
                yield (
                    self._tally(batch, pid)
                    if self.mode == "tally"
                    else self._batch(batch, positions)
                )
        if self.needs_positions and seen != sizes.get(pid, 0):
            raise InputError(
                f"partition {pid} holds {seen} rows now but held {sizes.get(pid, 0)} when "
                "counted: the DataFrame's rows are not reproducible across passes; pass "
                "key= or cache the DataFrame first"
            )

    def _tally(self, batch: pa.RecordBatch, pid: int) -> pa.RecordBatch:
        import pyarrow as pa
        import pyarrow.compute as pc

        counts = pc.value_counts(batch.column(batch.schema.get_field_index(self.label)))
        missing = np.zeros(len(counts), dtype=np.int64)
        if self.key is not None and len(counts):
            missing[0] = batch.column(batch.schema.get_field_index(self.key)).null_count
        return pa.RecordBatch.from_arrays(
            [
                pa.array(np.full(len(counts), pid, dtype=np.int32)),
                counts.field("values"),
                counts.field("counts"),
                pa.array(missing),
            ],
            names=["pid", "label", "n", "missing_key"],
        )

    def _codes(self, batch: pa.RecordBatch) -> npt.NDArray[np.int64]:
        import pyarrow as pa
        import pyarrow.compute as pc

        column = batch.column(batch.schema.get_field_index(self.label))
        value_set = pa.array(list(self.labels)).cast(column.type)
        codes = pc.index_in(column, value_set=value_set)
        if codes.null_count:
            raise InputError(
                f"label column {self.label!r} holds a class that was not counted; "
                "the DataFrame changed between passes: cache it first"
            )
        return np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64)

    def _ids(self, batch: pa.RecordBatch, positions: npt.NDArray[np.uint64]) -> Any:
        if self.key is None:
            return positions
        column = batch.column(batch.schema.get_field_index(self.key))
        return key_ids(column.to_numpy(zero_copy_only=False))

    def _window(
        self, batch: pa.RecordBatch, codes: npt.NDArray[np.int64], positions: Any
    ) -> pa.RecordBatch:
        import pyarrow as pa

        h = row_hashes(self._ids(batch, positions), self.seed)
        parts_code, parts_h, parts_pos, parts_n = [], [], [], []
        for j, window in enumerate(self.windows):
            if window is None:
                continue
            in_class = codes == j
            low, high = np.uint64(window[0]), np.uint64(window[1])
            inside = in_class & (h >= low) & (h <= high)
            below = int(np.count_nonzero(in_class & (h < low)))
            parts_code.append(np.full(int(inside.sum()) + 1, j, dtype=np.int32))
            parts_h.append(pa.array((h[inside] ^ np.uint64(_SIGN)).view(np.int64)))
            parts_h.append(pa.nulls(1, pa.int64()))
            parts_pos.append(pa.array(positions[inside].astype(np.int64)))
            parts_pos.append(pa.nulls(1, pa.int64()))
            parts_n.append(np.zeros(int(inside.sum()), dtype=np.int64))
            parts_n.append(np.array([below], dtype=np.int64))
        return pa.RecordBatch.from_arrays(
            [
                pa.array(np.concatenate(parts_code)),
                pa.concat_arrays(parts_h),
                pa.concat_arrays(parts_pos),
                pa.array(np.concatenate(parts_n)),
            ],
            names=["code", "h", "pos", "n"],
        )

    def _keep(
        self, batch: pa.RecordBatch, codes: npt.NDArray[np.int64], positions: Any
    ) -> npt.NDArray[np.bool_]:
        ids = self._ids(batch, positions)
        if self.method == "bernoulli":
            return bernoulli_keep(ids, codes, self.rates, self.seed)
        return below_cuts(row_hashes(ids, self.seed), positions, codes, self.cuts)

    def _batch(self, batch: pa.RecordBatch, positions: npt.NDArray[np.uint64]) -> pa.RecordBatch:
        import pyarrow as pa

        codes = self._codes(batch)
        if self.mode == "window":
            return self._window(batch, codes, positions)
        if self.mode == "hash":
            wanted = np.isin(codes, [j for j, t in enumerate(self.cuts) if t is not None])
            ids = self._ids(batch, positions)
            signed = (row_hashes(ids, self.seed)[wanted] ^ np.uint64(_SIGN)).view(np.int64)
            return pa.RecordBatch.from_arrays(
                [
                    pa.array(codes[wanted].astype(np.int32)),
                    pa.array(signed),
                    pa.array(positions[wanted].astype(np.int64)),
                ],
                names=["code", "h", "pos"],
            )
        keep = self._keep(batch, codes, positions)
        if self.mode == "count":
            kept = np.bincount(codes[keep], minlength=len(self.labels))
            return pa.RecordBatch.from_arrays(
                [
                    pa.array(np.arange(len(self.labels), dtype=np.int32)),
                    pa.array(kept.astype(np.int64)),
                ],
                names=["code", "n"],
            )
        out = batch.filter(pa.array(keep))
        weight = np.asarray(self.weights, dtype=np.float64)[codes[keep]]
        return pa.RecordBatch.from_arrays(
            [*out.columns, pa.array(weight)],
            schema=out.schema.append(pa.field(self.weight_col, pa.float64(), nullable=False)),
        )


def _share(df: Any, value: Any) -> Any:
    """A broadcast of ``value`` on classic Spark; the value itself on Spark Connect."""
    try:
        return df.sparkSession.sparkContext.broadcast(value)
    except Exception:  # Spark Connect has no SparkContext: the value travels with the task
        return value


def _window_cuts(
    narrow: Any, base: _RowPass, wanted: dict[int, int], sizes: dict[int, int]
) -> dict[int, tuple[int, int]]:
    """Per class code: its cut found in one pass, where the hash window holds it.

    Hashes of distinct positions behave as uniform draws, so the ``n``-th smallest of
    ``N`` lies near ``n / N`` of the hash range: one pass counts the rows below a window
    around it (:func:`~upweight._selection.cut_window`) and collects the rows inside. A
    class whose cut falls outside the window (possible with a key that repeats) is left
    out of the answer, for :func:`_histogram_cuts`.
    """
    windows: list[tuple[int, int] | None] = [None] * len(base.labels)
    for j, n in wanted.items():
        windows[j] = cut_window(n, sizes[j])
    rows = narrow.mapInArrow(
        replace(base, mode="window", windows=tuple(windows)), "code int, h long, pos long, n long"
    ).collect()
    below = dict.fromkeys(wanted, 0)
    inside: dict[int, list[tuple[int, int]]] = {j: [] for j in wanted}
    for r in rows:
        j = int(r["code"])
        if r["h"] is None:
            below[j] += int(r["n"])
        else:
            inside[j].append((int(r["h"]) + _SIGN, int(r["pos"])))
    cuts = {}
    for j, n in wanted.items():
        rank = n - below[j]
        if 1 <= rank <= len(inside[j]):
            cuts[j] = _cut_of(inside[j], rank)
    return cuts


def _cut_of(rows: list[tuple[int, int]], rank: int) -> tuple[int, int]:
    """:func:`~upweight._selection.cut_at` of collected ``(unsigned hash, position)`` rows."""
    return cut_at([h for h, _ in rows], [pos for _, pos in rows], rank)


def _histogram_cuts(
    hashed: Any, wanted: dict[int, int], sizes: dict[int, int], search: _CutSearch
) -> dict[int, tuple[int, int]]:
    """Per class code: the (hash, position) of its ``wanted[code]``-th smallest row.

    Narrows a range of the signed hash per class with histograms of its top bits (one
    small aggregation per ``search.bucket_bits`` bits) until a bucket holds few enough
    rows to sort on the driver (a class that small from the start is sorted at once).
    Bounded memory whatever the size of the class.
    """
    F = _pyspark()
    limit, bits = search.collect_limit, search.bucket_bits
    lo = dict.fromkeys(wanted, -_SIGN)
    hi = dict.fromkeys(wanted, _SIGN - 1)
    rank = dict(wanted)  # 1-based rank of the wanted row within [lo, hi]
    pending = set(wanted)
    found: dict[int, tuple[int, int]] = {}
    shift = 64 - bits

    def in_range(codes: set[int]) -> Any:
        cond = None
        for j in sorted(codes):
            c = (F.col("code") == j) & F.col("h").between(F.lit(lo[j]), F.lit(hi[j]))
            cond = c if cond is None else cond | c
        return cond

    small = {j for j in pending if sizes[j] <= limit}
    while pending:
        if small:
            ties = {j for j in small if lo[j] == hi[j]}  # a bucket of one hash value
            collect = small - ties
            if collect:
                got: dict[int, list[tuple[int, int]]] = {j: [] for j in collect}
                for r in hashed.filter(in_range(collect)).select("code", "h", "pos").collect():
                    got[int(r["code"])].append((int(r["h"]) + _SIGN, int(r["pos"])))
                for j in collect:
                    found[j] = _cut_of(got[j], rank[j])
            for j in ties:  # many rows share one hash (a repeated key): rank their positions
                last = (
                    hashed.filter((F.col("code") == j) & (F.col("h") == lo[j]))
                    .orderBy("pos")
                    .limit(rank[j])
                    .agg(F.max("pos"))
                    .collect()[0][0]
                )
                found[j] = (lo[j] + _SIGN, int(last))
            pending -= small
            if not pending:
                break
        rows = (
            hashed.filter(in_range(pending))
            .groupBy("code", F.shiftright("h", shift).alias("bucket"))
            .count()
            .collect()
        )
        buckets: dict[int, list[tuple[int, int]]] = {j: [] for j in pending}
        for r in rows:
            buckets[int(r["code"])].append((int(r["bucket"]), int(r["count"])))
        small = set()
        for j in sorted(pending):
            below = 0
            for bucket, n in sorted(buckets[j]):
                if below + n >= rank[j]:
                    rank[j] -= below
                    lo[j] = max(lo[j], bucket << shift)
                    hi[j] = min(hi[j], (bucket << shift) + (1 << shift) - 1)
                    if n <= limit or shift == 0:
                        small.add(j)
                    break
                below += n
        shift = max(shift - bits, 0)
    return found


def _exact_cuts(
    narrow: Any, base: _RowPass, the_plan: SamplingPlan, search: _CutSearch
) -> tuple[tuple[int, int] | None, ...]:
    """Per class code, its cut (``None`` for a class kept whole), found in Spark jobs."""
    wanted = {
        j: c.kept
        for j, c in enumerate(the_plan)
        if not kept_whole(c.keep_rate, c.kept, c.count, "exact")
    }
    sizes = {j: the_plan.classes[j].count for j in wanted}
    cuts = _window_cuts(narrow, base, wanted, sizes) if wanted and search.window else {}
    missed = {j: n for j, n in wanted.items() if j not in cuts}
    if missed:
        marker = tuple((0, 0) if j in missed else None for j in range(len(the_plan)))
        hashed = narrow.mapInArrow(
            replace(base, mode="hash", cuts=marker), "code int, h long, pos long"
        )
        cuts.update(_histogram_cuts(hashed, missed, sizes, search))
    return tuple(cuts.get(j) for j in range(len(the_plan)))


def _bernoulli_kept(narrow: Any, base: _RowPass) -> dict[Label, int]:
    """Rows ``method="bernoulli"`` keeps per class, counted in one Spark job."""
    F = _pyspark()
    rows = (
        narrow.mapInArrow(replace(base, mode="count"), "code int, n long")
        .groupBy("code")
        .agg(F.sum("n").alias("n"))
        .collect()
    )
    by_code = {int(r["code"]): int(r["n"]) for r in rows}
    return {c: by_code.get(j, 0) for j, c in enumerate(base.labels)}


def _check_downsample(df: Any, label: str, key: str | None, weight_col: str) -> str:
    """The checks :func:`downsample` makes before any Spark job; the label column's kind."""
    _pyspark()
    _check_frame(df)
    kind = _check_label(df, label)
    check_weight_col(weight_col, df.columns)
    if check_key(key, label) is not None:
        _check_key(df, key)
    return kind


def downsample(
    df: DataFrame,
    *,
    label: str,
    factor: float | Mapping[Label, float] | None = None,
    target_share: float | None = None,
    plan: SamplingPlan | None = None,
    upweight: float | Mapping[Label, float] | None = None,
    weights: WeightMode = "factor",
    method: Method = "exact",
    seed: RandomStateLike = 0,
    key: str | None = None,
    weight_col: str = "weight",
) -> tuple[DataFrame, SamplingPlan]:
    """Downsample a Spark DataFrame by its label column and add a weight column.

    Counts the classes (one aggregation), makes the plan with :func:`upweight.plan` (or
    checks the one given against the counts), and returns a DataFrame that keeps the rows
    the plan selects -- the same rows :func:`upweight.downsample` keeps on the same data
    and seed (see the module's description) -- with the plan's weights.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        The data, label column included (classic or Spark Connect).
    label : str
        Name of the label column.
    factor, target_share, upweight, weights
        As in :func:`upweight.plan`.
    plan : SamplingPlan, optional
        A ready plan made from these labels' counts, instead of the arguments above.
    method : {"exact", "bernoulli"}, default="exact"
        ``"exact"`` keeps exactly ``round(N_c / k_c)`` rows of each downsampled class;
        ``"bernoulli"`` keeps each row with probability ``1 / k_c``. Both read the label
        column twice before returning (see Notes).
    seed : int, default=0
        The seed; the same seed gives the same rows.
    key : str, optional
        A column of ids (integers or strings) that stands in for row positions: the same
        key gets the same decision in every engine and partitioning.
    weight_col : str, default="weight"
        Name of the weight column to add; it must not exist yet.

    Returns
    -------
    sampled : pyspark.sql.DataFrame
        The kept rows, every column of ``df`` plus ``weight_col`` (double), partitions in
        their original order. It is lazy: writing or training on it runs the selection.
    plan : SamplingPlan
        The plan as applied: rows kept per class, their weights, the method and the seed.
        Save it next to the output (``plan.to_json()``) for :func:`upweight.correct_proba`.

    Raises
    ------
    ImportError
        pyspark is not installed (``pip install 'upweight[spark]'``).
    LabelError
        The label column is missing, holds nulls, NaN, a single class or non-class values.
    PlanError
        Invalid factor, target share, upweight, or a plan made for other counts.
    InputError
        ``weight_col`` exists already, a bad or incomplete key column, not a DataFrame.

    Warns
    -----
    OverDownsampleWarning
        A class ends smaller than an untouched one, or the smallest class is downsampled.

    Notes
    -----
    Spark jobs run before this returns, each reading only the label (and key) column: one pass
    counts rows per partition and class; with ``method="exact"``, one more pass finds each
    class's cut (rows below a window around the expected cut are counted, the few inside are
    sorted on the driver; should the cut fall outside, as a key that repeats can make it, a
    histogram search over the hash bits finds it in a few small aggregations); with
    ``method="bernoulli"``, one pass counts the rows kept (the weights of ``weights="exact"``
    need them). The returned DataFrame reads every column once more when it is written or
    trained on. Without a key, the DataFrame must give the same partitions in every pass (true
    of files and local data; cache one that comes out of a shuffle).

    Examples
    --------
    >>> import os, sys
    >>> _ = os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Spark's Python workers
    >>> from pyspark.sql import SparkSession
    >>> import upweight.spark
    >>> spark = SparkSession.builder.master("local[1]").getOrCreate()
    >>> df = spark.createDataFrame([(float(i), int(i % 50 == 0)) for i in range(1000)],
    ...                            "amount double, fraud int")
    >>> sampled, plan = upweight.spark.downsample(df, label="fraud", factor=10)
    >>> plan.kept, plan.class_weights
    ({0: 98, 1: 20}, {0: 10.0, 1: 1.0})
    >>> sampled.columns, sampled.count()
    (['amount', 'fraud', 'weight'], 118)
    """
    return _downsample(
        df,
        label=label,
        factor=factor,
        target_share=target_share,
        plan=plan,
        upweight=upweight,
        weights=weights,
        method=method,
        seed=seed,
        key=key,
        weight_col=weight_col,
    )


def _downsample(
    df: DataFrame,
    *,
    label: str,
    factor: float | Mapping[Label, float] | None = None,
    target_share: float | None = None,
    plan: SamplingPlan | None = None,
    upweight: float | Mapping[Label, float] | None = None,
    weights: WeightMode = "factor",
    method: Method = "exact",
    seed: RandomStateLike = 0,
    key: str | None = None,
    weight_col: str = "weight",
    search: _CutSearch = _CutSearch(),
) -> tuple[DataFrame, SamplingPlan]:
    """:func:`downsample` (the same arguments), with settings for the exact cut search.

    ``search`` (see :class:`_CutSearch`) is the seam that lets tests run every step of
    the search on small data; it never changes the rows kept.
    """
    kind = _check_downsample(df, label, key, weight_col)
    method = check_method(method)
    the_seed = resolve_seed(seed)
    narrow = df.select(*[_col(c) for c in dict.fromkeys([label, key]) if c is not None])
    counted = _count(df, narrow, label, kind, key)
    the_plan = resolve_plan(
        counted.counts,
        plan=plan,
        factor=factor,
        target_share=target_share,
        upweight=upweight,
        weights=weights,
    )
    warn_if_over_downsampled(the_plan)
    base = _RowPass(
        mode="select",
        label=label,
        key=key,
        seed=the_seed,
        labels=the_plan.labels,
        offsets=_share(df, counted.offsets()),
        sizes=_share(df, counted.sizes),
        method=method,
        rates=tuple(the_plan.keep_rate_array().tolist()),
        weight_col=weight_col,
    )
    if method == "exact":
        base = replace(base, cuts=_exact_cuts(narrow, base, the_plan, search))
        kept = the_plan.kept
    else:
        kept = _bernoulli_kept(narrow, base)
    applied = the_plan.applied(kept, method=method, seed=the_seed)
    final = replace(base, weights=tuple(applied.weight_array().tolist()))
    return _with_weights(df, final), applied


def _with_weights(df: Any, final: _RowPass) -> Any:
    """The lazy DataFrame of the kept rows, every column of ``df`` and the weight column."""
    from pyspark.sql import types as T

    schema = T.StructType(
        [*df.schema.fields, T.StructField(final.weight_col, T.DoubleType(), nullable=False)]
    )
    return df.mapInArrow(final, schema)
