"""The label pass: class counts, hence the plan, and the positions of the rows to keep.

Only the label column (and a key column, if any) is read. For Parquet with integer or
boolean labels, counting and selecting share one pass (:func:`count_and_select`): the
footers give the label's range, and the rows that could be kept are held as they stream
by, under bounds known before counting (see :func:`upweight._selection.stream_select`).
Otherwise the labels are counted first (:func:`count_labels`), the plan made, and the
kept positions found in a second pass (:func:`select_positions`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from .._counts import check_two_classes
from .._exceptions import FileError, InputError, LabelError
from .._labels import encode_labels
from .._plan import SamplingPlan
from .._selection import (
    HeldRows,
    ProgressCallback,
    bernoulli_limit,
    held_by_hashing,
    kept_whole,
    row_hashes,
    smallest_per_class,
    stream_select,
)
from .._types import Label, Method
from . import _roads
from ._arrays import int_values
from ._common import missing_words
from ._duckdb import Engine, read_batches
from ._sql import ident, literal

__all__ = [
    "INT_TYPES",
    "ProgressCallback",
    "class_codes",
    "count_and_select",
    "count_labels",
    "select_positions",
]


# -- counting ------------------------------------------------------------------------------
def count_labels(engine: Engine, label: str) -> dict[Label, int]:
    """Class counts from the label column alone."""
    what = f"label column {label!r}"
    typ = engine.column_type(label, "label column")
    col = ident(label)
    table = engine.run(
        lambda: engine.con.sql(
            f"SELECT {col} AS v, count(*) AS n FROM {engine.plain_scan} GROUP BY ALL ORDER BY ALL"
        ).to_arrow_table()
    )
    values, counts = table.column("v"), table.column("n").to_pylist()
    listed = values.to_pylist()
    # NULL, and NaN (one group in DuckDB): rows without a class
    missing = sum(n for v, n in zip(listed, counts, strict=True) if v is None or v != v)
    if missing:
        raise LabelError(
            f"{what} has {missing_words(missing)} in {engine.source.name}; drop or fill those rows"
        )
    if typ == "VARCHAR" and engine.source.format.name == "csv":  # Parquet text is text
        check_text_labels(values.to_pylist(), what)
    if not counts:
        raise InputError(f"{engine.source.name} has no data rows; give a file with data")
    encoded = encode_labels(values, name=what)
    by_label = dict(zip(encoded.classes, (int(n) for n in counts), strict=True))
    check_two_classes(by_label, what)
    return by_label


def check_text_labels(values: list[Any], what: str) -> None:
    """A CSV column of text labels where some look like numbers mixes types.

    One where all do is numbers read as text (integers too long for a double, beside
    decimals): with a fraction among them, it is continuous, as in memory.
    """
    numeric = [v for v in values if re.fullmatch(r"\s*[-+]?\d+(\.\d*)?\s*", v)]
    if numeric and len(numeric) < len(values):
        text = next(v for v in values if v not in numeric)
        raise LabelError(
            f"{what} mixes numbers and text (e.g. {numeric[0]!r} and {text!r}); "
            "use one kind of label throughout"
        )
    if numeric and any(re.search(r"\.\d*[1-9]", v) for v in numeric):
        raise LabelError(
            f"{what} looks continuous (float values that are not whole numbers); "
            "downsampling needs class labels such as 0 / 1 or strings"
        )


# -- selecting -----------------------------------------------------------------------------
def key_expression(engine: Engine, key: str) -> str:
    """SQL giving each row's 64-bit key identity (see :func:`upweight._selection.key_ids`)."""
    typ = engine.column_type(key, "key column")
    col = ident(key)
    if typ in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT"}:
        return f"CAST({col} AS BIGINT)"
    if typ in {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}:
        return f"CAST({col} AS UBIGINT)"
    if typ == "VARCHAR":
        return f"CAST(md5_number({col}) % CAST(18446744073709551616 AS UHUGEINT) AS UBIGINT)"
    raise InputError(
        f"key column {key!r} has type {typ}; a key must hold integers or text (an id column)"
    )


def select_positions(
    engine: Engine,
    plan: SamplingPlan,
    *,
    label: str,
    method: Method,
    seed: int,
    key: str | None,
    progress: ProgressCallback | None,
) -> tuple[npt.NDArray[np.int64], dict[Label, int]]:
    """Sorted positions of the kept rows of downsampled classes; rows kept per class.

    Streams each row's class and (with a key) key identity through NumPy, in input
    order; memory holds the kept positions only. Classes kept whole are left to the
    write pass, which keeps them by label.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    col = ident(label)
    code = "CASE " + " ".join(
        f"WHEN {col} = {literal(c.label)} THEN {j}" for j, c in enumerate(plan)
    )
    identity = "NULL"
    if key is not None:
        identity = key_expression(engine, key)
        null_keys = engine.one(
            f"SELECT count(*) FROM {engine.plain_scan} WHERE {ident(key)} IS NULL"
        )[0]
        if null_keys:
            raise InputError(
                f"key column {key!r} has {missing_words(null_keys)}; every row needs a key"
            )
    # in input order, so that a row's position is its place in the stream
    query = f"SELECT {code} END AS code, {identity} AS ident FROM {engine.plain_scan}"
    n_rows = plan.n_rows
    whole = np.array([kept_whole(c.keep_rate, c.kept, c.count, method) for c in plan])

    def batches() -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[Any], Any]]:
        done = 0
        for batch in read_batches(engine, query):
            codes = int_values(batch.column(0))
            pos = np.arange(done, done + codes.size, dtype=np.int64)
            if key is None:
                ids = pos.view(np.uint64)
            else:
                ids = int_values(pc.cast(batch.column(1), pa.uint64(), safe=False))
            done += codes.size
            if progress is not None:
                progress("selecting", done, n_rows)
            yield pos, codes, ids
        if done != n_rows:
            raise FileError(
                f"{engine.source.name} changed while it was read ({n_rows:,} rows counted, "
                f"{done:,} streamed); run again once it is no longer being written"
            )

    kept: list[npt.NDArray[np.int64]] = []
    per_code = np.zeros(len(plan.classes), dtype=np.int64)
    if method == "bernoulli":
        limits = np.array(
            [bernoulli_limit(1.0 if whole[j] else c.keep_rate) for j, c in enumerate(plan)],
            dtype=np.uint64,
        )
        for pos, codes, ids in batches():
            keep = row_hashes(ids, seed) <= limits[codes]
            per_code += np.bincount(codes[keep], minlength=per_code.size)
            keep &= ~whole[codes]
            kept.append(pos[keep])
    else:
        targets = {j: c.kept for j, c in enumerate(plan) if not whole[j]}
        for j, chosen in smallest_per_class(batches, targets, plan, seed).items():
            kept.append(chosen)
            per_code[j] = chosen.size
    for j, c in enumerate(plan):
        if whole[j]:
            per_code[j] = c.count
    positions = np.sort(np.concatenate(kept)) if kept else np.empty(0, np.int64)
    return positions, {c.label: int(per_code[j]) for j, c in enumerate(plan)}


INT_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
}


def count_and_select(
    engine: Engine,
    *,
    label: str,
    rate_hint: Callable[[Label], float] | None,
    make_plan: Callable[[dict[Label, int]], SamplingPlan],
    method: Method,
    seed: int,
    progress: ProgressCallback | None,
) -> tuple[SamplingPlan, npt.NDArray[np.int64], dict[Label, int]] | None:
    """Count and select in one pass, for Parquet files with integer or boolean labels.

    Parquet statistics give the label's range and missing values at no cost; the label
    column then streams once, in input order, counting every class and holding the rows
    whose hash lies below each class's bound: the keep rate itself (Bernoulli), or a few
    standard deviations above it (exact), tightened as rows arrive. Returns ``None`` when
    this cannot decide (the caller then counts first): text labels, CSV, a wide label
    range, keep rates that depend on the counts, or an exact bound that fell short.
    """
    typ = engine.column_type(label, "label column")
    if engine.source.kind != "parquet" or rate_hint is None or typ not in INT_TYPES | {"BOOLEAN"}:
        return None
    col = ident(label)
    cast = col if typ != "BOOLEAN" else f"CAST({col} AS TINYINT)"
    low, high, present, n_rows = engine.one(
        f"SELECT min({cast}), max({cast}), count({col}), count(*) FROM {engine.plain_scan}"
    )
    if present < n_rows:
        raise LabelError(
            f"label column {label!r} has {missing_words(n_rows - present)} in "
            f"{engine.source.name}; drop or fill those rows"
        )
    if n_rows == 0:
        raise InputError(f"{engine.source.name} has no data rows; give a file with data")
    if high - low > 4096:
        return None
    values: list[Label] = [bool(v) if typ == "BOOLEAN" else int(v) for v in range(low, high + 1)]
    query = f"SELECT {cast} FROM {engine.plain_scan}"

    def batches() -> Iterator[HeldRows]:
        first = 0
        for batch in read_batches(engine, query):
            codes = class_codes(int_values(batch.column(0)), low)
            yield held_by_hashing(codes, first, len(values), seed)
            first += codes.size

    return stream_select(
        batches(),
        n_rows=n_rows,
        values=values,
        rates=np.array([min(1.0, max(0.0, rate_hint(v))) for v in values]),
        make_plan=make_plan,
        what=f"label column {label!r}",
        name=engine.source.name,
        method=method,
        seed=seed,
        progress=progress,
        slack=_roads.CURRENT.bound_slack,
    )


def class_codes(values: npt.NDArray[Any], low: int) -> npt.NDArray[Any]:
    """Labels ``low, low + 1, ...`` as class codes ``0, 1, ...`` (at most 4,097 classes)."""
    if not low and values.dtype.itemsize <= 2:
        return values
    if values.dtype.kind == "u":  # uint64 labels may not fit int64; values >= low
        return (values - values.dtype.type(low)).astype(np.int16)
    return (values.astype(np.int64) - low).astype(np.int16)
