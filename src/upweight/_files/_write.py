"""The DuckDB writer: every column of the kept rows, in input order, with their weight.

The kept positions become a bitmask aligned with the input; DuckDB's positional join
keeps the input's order without a sort and reads the input once, and ``COPY`` writes the
result, in the output's format, to a temporary path (see :mod:`._commit`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .._plan import SamplingPlan
from .._selection import kept_whole
from ._commit import every
from ._duckdb import Engine
from ._formats import FOLDER_FORMAT, FORMATS
from ._label_pass import ProgressCallback
from ._sql import ident, literal, quote, sql_float

__all__ = ["keep_mask", "write_rows"]


def keep_mask(positions: npt.NDArray[np.int64], n_rows: int) -> Any:
    """A one-column Arrow table, one bit per input row: is the row kept."""
    import pyarrow as pa

    chunks = []
    step = 1 << 23  # a multiple of 8, so that each chunk's bits start on a byte
    bounds = np.searchsorted(positions, np.arange(0, n_rows + step, step))
    for i, start in enumerate(range(0, n_rows, step)):
        stop = min(start + step, n_rows)
        bits = np.zeros(stop - start, dtype=bool)
        bits[positions[bounds[i] : bounds[i + 1]] - start] = True
        packed = np.packbits(bits, bitorder="little")
        chunks.append(
            pa.BooleanArray.from_buffers(pa.bool_(), stop - start, [None, pa.py_buffer(packed)])
        )
    return pa.table({"__keep": pa.chunked_array(chunks, type=pa.bool_())})


@contextlib.contextmanager
def polling(engine: Engine, total: int, progress: ProgressCallback | None) -> Iterator[None]:
    """Report DuckDB's progress on the running query as rows read, from a side thread."""
    if progress is None:
        yield
        return

    def poll() -> None:
        with contextlib.suppress(Exception):
            pct = float(engine.con.query_progress())
            if pct >= 0:
                progress("writing", int(total * min(pct, 100.0) / 100.0), total)

    with every(0.2, poll, "upweight-progress"):
        yield
    progress("writing", total, total)


def write_rows(
    engine: Engine,
    plan: SamplingPlan,
    positions: npt.NDArray[np.int64],
    *,
    label: str,
    weight_col: str,
    tmp: Path,
    dst: Path,
    kind: str,
    progress: ProgressCallback | None,
) -> None:
    """Every column of the kept rows, in input order, with the weight column, into ``tmp``.

    ``dst`` is the output's final path (its name says how to compress); ``kind`` its
    format's name, or ``"directory"`` for a folder of Parquet files. A row is kept when
    its class is kept whole or its position is in ``positions``.
    """
    col = ident(label)
    weight = (
        "CASE "
        + " ".join(f"WHEN s.{col} = {literal(c.label)} THEN {sql_float(c.weight)}" for c in plan)
        + " END"
    )
    engine.register("__mask", keep_mask(positions, plan.n_rows))
    columns = ", ".join(f"s.{ident(c)}" for c, _ in engine.columns)
    method = plan.method or "exact"
    whole = [literal(c.label) for c in plan if kept_whole(c.keep_rate, c.kept, c.count, method)]
    keep = f"s.{col} IN ({', '.join(whole)}) OR m.__keep" if whole else "m.__keep"
    query = (
        f"SELECT {columns}, {weight} AS {ident(weight_col)} "
        f"FROM {engine.plain_scan} AS s POSITIONAL JOIN __mask AS m WHERE {keep}"
    )
    folder = kind == "directory"
    fmt = FORMATS[FOLDER_FORMAT if folder else kind]
    options = fmt.copy_options(dst, plan.to_json(), folder=folder)
    with polling(engine, plan.n_rows, progress):
        engine.execute(f"COPY ({query}) TO {quote(str(tmp))} ({options})")
    engine.unregister("__mask")
