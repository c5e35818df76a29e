"""The benchmark file: N rows, 10 float32 features, about 1% positives, known P(y|x)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from upweight.datasets import make_imbalanced

DATA = Path(__file__).parent / "data"
CHUNK = 1_000_000


def large_file(rows: int = 20_000_000, *, seed: int = 0) -> Path:
    """Path of the benchmark Parquet file with ``rows`` rows, generated on first use.

    Row group size 1M; columns f0..f9 (float32) and label (int8, 1 = positive).
    """
    path = DATA / f"imbalanced-{rows // 1_000_000}m.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    writer = None
    try:
        for i, start in enumerate(range(0, rows, CHUNK)):
            n = min(CHUNK, rows - start)
            d = make_imbalanced(n, n_features=10, n_informative=5, random_state=seed + i)
            cols = {f"f{j}": d.X[:, j].astype(np.float32) for j in range(10)}
            cols["label"] = d.y.astype(np.int8)
            table = pa.table(cols)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table, row_group_size=CHUNK)
            print(f"\rgenerating {path.name}: {start + n:,} rows", end="", file=sys.stderr)
        print(file=sys.stderr)
    finally:
        if writer is not None:
            writer.close()
    os.replace(tmp, path)
    return path


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["20000000"]:
        p = large_file(int(arg))
        print(p, f"{p.stat().st_size / 1e9:.2f} GB")
