"""What a configuration costs besides its fit time: peak memory, and bytes on disk."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["PeakMemory", "disk_bytes"]


def disk_bytes(X: Any, outcome: npt.NDArray[np.float64], weight: Any) -> int:
    """Bytes of the downsampled training rows written as Parquet (default compression).

    Written to a stream that only counts (nothing reaches a disk, nothing is left behind):
    the same bytes, to the byte, as the file would hold.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if hasattr(X, "iloc"):  # a DataFrame: text columns stay text
        columns = {
            f"f{j}": pa.array(X.iloc[:, j].to_numpy(), from_pandas=True) for j in range(X.shape[1])
        }
    else:
        dense = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
        columns = {f"f{j}": dense[:, j] for j in range(dense.shape[1])}
    columns["label"] = outcome.astype(np.int8)
    columns["weight"] = np.ones(outcome.size) if weight is None else weight
    sink = pa.MockOutputStream()
    pq.write_table(pa.table(columns), sink)
    return int(sink.size())


class PeakMemory:
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

    def __enter__(self) -> PeakMemory:
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
                handle.write("5")
            self.start = self._status("VmRSS:")
        except OSError:
            self.start = math.nan
        return self

    def __exit__(self, *exc: object) -> None:
        self.mb = max(0.0, self._status("VmHWM:") - self.start)
