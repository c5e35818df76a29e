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


#: File shapes the file-engine benchmark can run on: column type, row-group rows, codec.
SHAPES = {
    "float32": (np.float32, CHUNK, "snappy"),  # the default: 10 float32 columns, 1M-row groups
    "float64": (np.float64, CHUNK, "snappy"),
    "rg128k": (np.float32, 128 * 1024, "snappy"),
    "zstd": (np.float32, CHUNK, "zstd"),
}


def large_file(rows: int = 20_000_000, *, seed: int = 0, shape: str = "float32") -> Path:
    """Path of the benchmark Parquet file with ``rows`` rows, generated on first use.

    Columns f0..f9 and label (int8, 1 = positive). ``shape`` (see :data:`SHAPES`) sets
    the features' type, the row-group size and the compression: the default is float32
    features in 1M-row row groups, snappy.
    """
    dtype, group, codec = SHAPES[shape]
    suffix = "" if shape == "float32" else f"-{shape}"
    path = DATA / f"imbalanced-{rows // 1_000_000}m{suffix}.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    writer = None
    try:
        for i, start in enumerate(range(0, rows, CHUNK)):
            n = min(CHUNK, rows - start)
            d = make_imbalanced(n, n_features=10, n_informative=5, random_state=seed + i)
            cols = {f"f{j}": d.X[:, j].astype(dtype) for j in range(10)}
            cols["label"] = d.y.astype(np.int8)
            table = pa.table(cols)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression=codec)
            writer.write_table(table, row_group_size=group)
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
