"""Row access for every in-memory container: NumPy, SciPy sparse, lists, and data frames.

Frames (pandas, polars, pyarrow, and the rest narwhals supports) go through narwhals, so
upweight depends on none of them and each comes back as the type it came in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ._exceptions import InputError

__all__ = ["is_frame", "is_sparse", "n_rows", "take_rows"]

_FRAME_MODULES = {"pandas", "polars", "modin", "cudf", "dask", "pyspark", "duckdb", "ibis"}


def _module(obj: Any) -> str:
    return type(obj).__module__.split(".")[0]


def is_sparse(obj: Any) -> bool:
    """Whether ``obj`` is a SciPy sparse matrix or array (without importing SciPy needlessly)."""
    if _module(obj) != "scipy":
        return False
    from scipy import sparse

    return bool(sparse.issparse(obj))


def n_rows(X: Any, *, name: str = "X") -> int:
    """Number of rows of ``X``."""
    if isinstance(X, str | bytes) or (isinstance(X, dict) and not is_sparse(X)):
        hint = " (a column name? use upweight.downsample_frame(df, label=...))"
        raise InputError(
            f"{name} must be an array, sparse matrix, list or data frame; got "
            f"{type(X).__name__} {X!r:.40}" + (hint if isinstance(X, str) else "")
        )
    if is_sparse(X) or isinstance(X, np.ndarray):
        if X.ndim == 0:
            raise InputError(f"{name} must have one row per example; got a scalar")
        return int(X.shape[0])
    module = _module(X)
    if module == "pyarrow" or (module == "pandas" and hasattr(X, "iloc")):
        return len(X)
    if module in _FRAME_MODULES:
        import narwhals as nw

        frame = nw.from_native(X, pass_through=True, allow_series=True)
        if isinstance(frame, nw.LazyFrame):
            raise InputError(
                f"{name} is a lazy frame ({type(X).__name__}); collect it first, "
                "or use `upweight sample` for files larger than memory"
            )
        if isinstance(frame, nw.DataFrame | nw.Series):
            return len(frame)
    if hasattr(X, "__array__") and not hasattr(X, "__len__"):
        array = np.asarray(X)
        if array.ndim == 0:
            raise InputError(f"{name} must have one row per example; got a scalar")
        return array.shape[0]
    try:
        return len(X)
    except TypeError:
        raise InputError(
            f"{name} must be an array, sparse matrix, list or data frame; got {type(X).__name__}"
        ) from None


def is_frame(X: Any) -> bool:
    """Whether ``X`` is a data frame or series that narwhals or pyarrow handles."""
    module = _module(X)
    return module == "pyarrow" or (module in _FRAME_MODULES and not is_sparse(X))


def take_rows(X: Any, indices: npt.NDArray[np.intp]) -> Any:
    """Rows ``indices`` of ``X``, as the same type."""
    if isinstance(X, np.ndarray):
        return X[indices]
    if is_sparse(X):
        fmt = X.format
        if fmt in {"csr", "csc", "lil"}:
            return X[indices]
        return X.tocsr()[indices].asformat(fmt)
    module = _module(X)
    if module == "pyarrow":
        return X.take(indices)
    if module == "pandas" and hasattr(X, "iloc"):
        return X.iloc[indices]  # directly: pandas allows duplicate column names, narwhals not
    if module == "pandas" and hasattr(X, "take"):  # an array: Categorical, Int64, ...
        return X.take(indices)
    if module in _FRAME_MODULES:
        import narwhals as nw

        frame = nw.from_native(X, eager_only=True, allow_series=True)
        return frame[indices].to_native()
    if isinstance(X, list):
        return [X[i] for i in indices.tolist()]
    if isinstance(X, tuple):
        return tuple(X[i] for i in indices.tolist())
    try:
        return np.asarray(X)[indices]
    except (TypeError, ValueError, IndexError):
        raise InputError(
            f"cannot select rows of {type(X).__name__}; pass a NumPy array, a sparse matrix, "
            "a list or a pandas / polars / pyarrow frame"
        ) from None
