"""Arrow arrays as NumPy views, and back, without copies (and without importing pandas).

(pyarrow's ``to_numpy`` and ``pa.array`` import pandas on first use, which costs more
than a whole pass over a 20M-row file.)
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["as_numpy", "from_numpy", "int_values", "numpy_dtype", "release_memory"]


def numpy_dtype(typ: Any) -> np.dtype[Any] | None:
    """The NumPy dtype of a fixed-width integer or float Arrow type, else ``None``."""
    import pyarrow as pa

    if pa.types.is_integer(typ):
        kind = "i" if pa.types.is_signed_integer(typ) else "u"
    elif pa.types.is_floating(typ):
        kind = "f"
    else:
        return None
    return np.dtype(f"{kind}{typ.bit_width // 8}")


def as_numpy(array: Any, dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """A fixed-width Arrow array without nulls as a NumPy view (slices included)."""
    offset = array.offset * dtype.itemsize  # Arrow counts elements, NumPy bytes
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array), offset=offset)


def from_numpy(values: npt.NDArray[Any], typ: Any) -> Any:
    """An Arrow array viewing a NumPy array (``pa.array`` would import pandas)."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(typ, values.size, [None, pa.py_buffer(values)])


def int_values(array: Any) -> npt.NDArray[Any]:
    """An Arrow integer array without nulls as a NumPy view (anything else, converted)."""
    import pyarrow as pa

    if not pa.types.is_integer(array.type) or array.null_count:
        return np.asarray(array.to_numpy(zero_copy_only=False))
    dtype = numpy_dtype(array.type)
    assert dtype is not None
    return as_numpy(array, dtype)


def release_memory() -> None:
    """Hand the selection pass's freed memory back to the system before the write pass.

    Its many small arrays leave the C heap fragmented; without this, peak memory would
    grow with the input's size rather than stay flat.
    """
    import ctypes
    import ctypes.util

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
