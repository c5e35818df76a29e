"""Labels: validate them once, count them, and encode them as class indices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ._exceptions import LabelError
from ._types import Label

__all__ = ["EncodedLabels", "as_label_array", "encode_labels", "python_label"]

_MAX_DENSE_CODE = 1 << 20


def python_label(value: Any) -> Label:
    """Return ``value`` as a plain Python scalar (so it serialises to JSON).

    Whole floats become ints (``1.0`` is the class ``1``); NaN, infinite and other
    non-whole floats are refused with :class:`~upweight.LabelError`, as in a label column.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, float):
        if value != value:
            raise LabelError("a class label is NaN; drop or fill missing labels first")
        if not value.is_integer():
            # the same rule as a column of labels: 1.5 or inf is a measurement, not a class
            raise LabelError(
                f"a class label is {value!r}, not a whole number; labels are classes such as "
                "0 / 1 or strings"
            )
        # 0.0 / 1.0 labels read from a float column are the classes 0 and 1
        return int(value)
    if isinstance(value, bool | int | str):
        return value
    raise LabelError(
        f"labels must be integers, booleans or strings; got a value of type {type(value).__name__}"
    )


def _describe(y: Any) -> str:
    return type(y).__name__


def _check_float(values: npt.NDArray[Any], name: str) -> None:
    missing = int(np.count_nonzero(np.isnan(values)))
    if missing:
        raise LabelError(
            f"{name} has {missing} missing value(s) (NaN); drop or fill those rows first"
        )
    if not np.all(np.isfinite(values)):
        raise LabelError(f"{name} holds infinite values; labels must be class labels")
    if np.any(values != np.floor(values)):
        raise LabelError(
            f"{name} looks continuous (float values that are not whole numbers); "
            "downsampling needs class labels such as 0 / 1 or strings"
        )


def _from_arrow(y: Any, name: str) -> npt.NDArray[Any]:
    import pyarrow as pa

    if y.null_count:
        raise LabelError(
            f"{name} has {y.null_count} missing value(s) (null / None); "
            "drop or fill those rows first"
        )
    if pa.types.is_floating(y.type):
        values = y.to_numpy(zero_copy_only=False)
        _check_float(values, name)
        return values
    if not (
        pa.types.is_integer(y.type)
        or pa.types.is_boolean(y.type)
        or pa.types.is_string(y.type)
        or pa.types.is_large_string(y.type)
        or pa.types.is_string_view(y.type)
        or pa.types.is_dictionary(y.type)
    ):
        raise LabelError(f"{name} has type {y.type}; labels must be integers, booleans or strings")
    if pa.types.is_dictionary(y.type):
        y = y.cast(y.type.value_type)
    values = y.to_numpy(zero_copy_only=False)
    return np.asarray(values)


def _check_object(values: npt.NDArray[Any], name: str) -> npt.NDArray[Any]:
    """Object arrays: find None / NaN / pd.NA and mixed types with pyarrow's conversion."""
    import pyarrow as pa

    try:
        arrow = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        raise mixed_types(values, name) from None
    return _from_arrow(arrow, name)


def mixed_types(values: npt.NDArray[Any], name: str) -> LabelError:
    """The error for labels of several Python types (the first 10,000 looked at)."""
    kinds = sorted({type(v).__name__ for v in values[:10_000]})
    return LabelError(
        f"{name} mixes value types ({', '.join(kinds)}); "
        "convert the labels to one type (all integers or all strings)"
    )


def as_label_array(y: Any, *, name: str = "y") -> npt.NDArray[Any]:
    """Validate labels and return them as a 1-D NumPy array.

    Accepts lists, NumPy arrays (1-D, or 2-D with one column), pandas / polars series,
    and pyarrow arrays. Rejects missing values (NaN, None, null), continuous floats,
    mixed types and empty input, each with a one-line :class:`~upweight.LabelError`.
    """
    if isinstance(y, Mapping):
        raise LabelError(f"{name} must be a sequence of labels, not a mapping")
    module = type(y).__module__.split(".")[0]
    if module == "pyarrow":
        import pyarrow as pa

        if isinstance(y, pa.Array | pa.ChunkedArray):
            values = _from_arrow(y, name)
        else:
            raise LabelError(f"{name} must be a pyarrow Array or ChunkedArray; got {_describe(y)}")
    elif module in {"pandas", "polars", "modin", "cudf"}:
        import narwhals as nw

        if module == "pandas" and not hasattr(y, "iloc"):  # an array (Int64, categorical)
            import pandas as pd

            y = pd.Series(y)

        try:
            series = nw.from_native(y, allow_series=True, pass_through=True)
        except nw.exceptions.DuplicateError:
            raise LabelError(f"{name} must be one column of labels; got a frame") from None
        if isinstance(series, nw.DataFrame) and len(series.columns) == 1:
            series = series.get_column(series.columns[0])  # a one-column frame of labels
        if not isinstance(series, nw.Series):
            raise LabelError(f"{name} must be a 1-D series of labels; got {_describe(y)}")
        if series.dtype.is_float():
            # pandas counts NaN as null too: count a row once, whichever it is
            missing = int((series.is_nan().fill_null(True)).sum())
        else:
            missing = int(series.is_null().sum())
        if missing:
            raise LabelError(
                f"{name} has {missing} missing value(s) (NaN / None / null); "
                "drop or fill those rows first"
            )
        values = np.asarray(series.to_numpy())
    else:
        try:
            values = np.asarray(y)
        except ValueError as exc:
            raise LabelError(f"{name} could not be read as an array of labels: {exc}") from None
        if isinstance(y, list | tuple) and values.dtype.kind in "US" and values.ndim == 1:
            # NumPy turns [1, "x"] into strings: look at the values as they were given
            given = np.empty(len(y), dtype=object)
            given[:] = y
            values = _check_object(given, name)

    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise LabelError(
            f"{name} must be 1-D (one label per row); got an array of shape {values.shape}"
        )
    if values.size == 0:
        raise LabelError(f"{name} is empty; there are no labels to count")

    kind = values.dtype.kind
    if kind in "biu":
        return values
    if kind == "f":
        _check_float(values, name)
        return values
    if kind in "US":
        return values
    if kind == "O":
        return _check_object(values, name)
    raise LabelError(
        f"{name} has dtype {values.dtype}; labels must be integers, booleans or strings"
    )


def code_dtype(n_classes: int) -> np.dtype[Any]:
    """The smallest unsigned integer type that holds ``n_classes`` class indices."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if n_classes <= np.iinfo(dtype).max + 1:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


@dataclass(frozen=True)
class EncodedLabels:
    """Labels as class indices: ``classes[codes[i]]`` is the label of row ``i``.

    ``codes`` uses the smallest unsigned integer type that fits (one byte per row for up
    to 256 classes), because it is as long as the data.
    """

    classes: tuple[Label, ...]
    codes: npt.NDArray[np.unsignedinteger[Any]]
    counts: npt.NDArray[np.int64]

    def count_map(self) -> dict[Label, int]:
        """Class -> number of rows."""
        return {c: int(n) for c, n in zip(self.classes, self.counts, strict=True)}


def encode_labels(y: Any, *, name: str = "y") -> EncodedLabels:
    """Validate ``y`` and encode it: sorted classes, a class index per row, counts."""
    values = as_label_array(y, name=name)
    if values.dtype.kind in "iu" and values.size:
        low, high = int(values.min()), int(values.max())
        if low >= 0 and high < _MAX_DENSE_CODE:
            counts_all = np.bincount(values, minlength=high + 1)
            present = np.flatnonzero(counts_all)
            lookup = np.zeros(high + 1, dtype=code_dtype(present.size))
            lookup[present] = np.arange(present.size)
            return EncodedLabels(
                classes=tuple(python_label(c) for c in present),
                codes=lookup[values],
                counts=counts_all[present].astype(np.int64),
            )
    try:
        uniques, codes, counts = np.unique(values, return_inverse=True, return_counts=True)
    except TypeError:
        raise LabelError(
            f"{name} mixes value types that cannot be compared; convert the labels to one type"
        ) from None
    classes = tuple(python_label(c) for c in uniques)
    if len(set(classes)) != len(classes):
        raise LabelError(
            f"{name} holds labels that differ only in type (such as 1 and 1.0 or True); "
            "convert the labels to one type"
        )
    return EncodedLabels(
        classes=classes,
        codes=codes.reshape(-1).astype(code_dtype(len(classes))),
        counts=counts.astype(np.int64),
    )
