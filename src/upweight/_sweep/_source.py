"""Where a sweep's rows come from: two operations, whatever holds the data.

A source answers two questions and nothing else:

- :meth:`labels` -- the label column, read once (the counting pass);
- :meth:`rows` -- the features and labels of some rows, by position (positions sorted),
  loading only those rows.

:class:`ArraySource` serves in-memory data (arrays and data frames); :class:`FileSource`
serves Parquet and CSV files with pyarrow, reading only the label column for the
counting pass and only the row groups that hold wanted rows afterwards. The file engine
can take over :class:`FileSource`'s two methods without the sweep noticing.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from .._exceptions import InputError, LabelError
from .._labels import as_label_array
from .._rows import is_frame, is_sparse, n_rows

__all__ = ["ArraySource", "FileSource", "Source", "as_source"]


class Source(Protocol):
    """What the sweep needs of its data."""

    description: str
    feature_names: tuple[str, ...]

    def labels(self) -> npt.NDArray[Any]:
        """All labels, in row order (read once, then cached)."""
        ...

    def rows(self, positions: npt.NDArray[np.intp]) -> tuple[Any, npt.NDArray[Any]]:
        """Features and labels of the rows at ``positions`` (sorted), in that order."""
        ...


def _numeric_matrix(frame: Any, columns: list[str], where: str) -> npt.NDArray[Any]:
    """A 2-D float array from the named columns of a pyarrow Table."""
    import pyarrow as pa

    if not columns:
        raise InputError(f"{where} has no feature column besides the label")
    arrays = []
    all_float32 = True
    for name in columns:
        column = frame.column(name)
        kind = column.type
        if pa.types.is_dictionary(kind) or not (
            pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
        ):
            raise InputError(
                f"feature column {name!r} of {where} has type {kind}; the sweep's models need "
                "numeric features: encode or drop that column first"
            )
        all_float32 &= pa.types.is_float32(kind)
        arrays.append(column)
    dtype = np.float32 if all_float32 else np.float64
    out = np.empty((frame.num_rows, len(columns)), dtype=dtype)
    for j, column in enumerate(arrays):
        values = column.to_numpy() if column.null_count == 0 else None
        if values is None:
            raise InputError(
                f"feature column {columns[j]!r} of {where} has {column.null_count} missing "
                "value(s); fill or drop them first"
            )
        out[:, j] = values
    return out


def _fingerprint(labels: npt.NDArray[Any], extra: str) -> str:
    """A short digest of the labels and a description of the columns."""
    digest = hashlib.sha256()
    digest.update(extra.encode())
    digest.update(str(labels.dtype).encode())
    if labels.dtype.kind == "O":
        digest.update("\x00".join(map(str, labels.tolist())).encode())
    else:
        digest.update(np.ascontiguousarray(labels).tobytes())
    return digest.hexdigest()[:16]


class ArraySource:
    """Data already in memory: features ``X`` and labels ``y``.

    Parameters
    ----------
    X : array-like, sparse matrix or data frame
        Features; a data frame may also hold the label column (``label``).
    y : array-like, optional
        Labels; instead of ``label``.
    label : str, optional
        Name of the label column of ``X`` (a pandas, polars or pyarrow frame).
    """

    def __init__(self, X: Any, y: Any = None, *, label: str | None = None) -> None:
        self.description = f"in-memory {type(X).__name__}"
        if label is not None:
            X, y = self._split_frame(X, label)
        elif y is None:
            raise InputError("give the labels: y=... for arrays, or label='column' for a frame")
        elif is_frame(X):
            X = self._frame_features(X)
        self._y = as_label_array(y, name="y" if label is None else f"label column {label!r}")
        rows = n_rows(X)
        if rows != self._y.size:
            raise InputError(f"X has {rows} rows but y has {self._y.size} labels; they must match")
        if is_sparse(X):
            self._X = X.tocsr()
        else:
            array = np.asarray(X)
            if array.ndim != 2:
                raise InputError(f"X must be 2-D (rows x features); got shape {array.shape}")
            if array.dtype.kind not in "biuf":
                raise InputError(
                    f"X has dtype {array.dtype}; the sweep's models need numeric features"
                )
            self._X = array
        width = self._X.shape[1]
        if not getattr(self, "feature_names", None):
            self.feature_names = tuple(f"x{j}" for j in range(width))

    def _frame_features(self, X: Any) -> Any:
        table = _to_arrow(X)
        self.feature_names = tuple(map(str, table.column_names))
        return _numeric_matrix(table, list(table.column_names), "X")

    def _split_frame(self, X: Any, label: str) -> tuple[Any, Any]:
        if not is_frame(X):
            raise InputError(
                f"label={label!r} names a column of a data frame; X is {type(X).__name__}: "
                "pass y=... instead"
            )
        table = _to_arrow(X)
        names = list(map(str, table.column_names))
        if label not in names:
            raise LabelError(f"label column {label!r} not found; columns are: {', '.join(names)}")
        features = [n for n in names if n != label]
        self.feature_names = tuple(features)
        return _numeric_matrix(table, features, "the frame"), table.column(label)

    def labels(self) -> npt.NDArray[Any]:
        """All labels."""
        return self._y

    def rows(self, positions: npt.NDArray[np.intp]) -> tuple[Any, npt.NDArray[Any]]:
        """Features and labels at ``positions``."""
        return self._X[positions], self._y[positions]

    def fingerprint(self) -> str:
        """Identifies the data: labels, shape and feature names."""
        return _fingerprint(self._y, f"{self._X.shape}|{'|'.join(self.feature_names)}")


def _to_arrow(X: Any) -> Any:
    import pyarrow as pa

    if isinstance(X, pa.Table):
        return X
    import narwhals as nw

    frame = nw.from_native(X, pass_through=True)
    if not isinstance(frame, nw.DataFrame):
        raise InputError(f"expected an eager data frame; got {type(X).__name__}")
    return frame.to_arrow()


class FileSource:
    """A CSV or Parquet file, a directory of Parquet files, or a glob, read by the file engine.

    :meth:`labels` reads only the label column; :meth:`rows` reads the input once and
    keeps only the wanted rows (see :func:`upweight._files.read_rows`), so what a
    configuration drops is never loaded. The label column and every other column (the
    features, which must be numeric) are what a sweep uses.

    Parameters
    ----------
    path : path
        What :func:`upweight.sample_file` reads: ``.parquet`` / ``.pq``, ``.csv`` /
        ``.csv.gz``, a directory of Parquet files or a glob.
    label : str
        Name of the label column.
    """

    def __init__(self, path: str | os.PathLike[str], *, label: str) -> None:
        from .._files import column_names

        self.path = path
        names, self.description = column_names(path)
        if label not in names:
            raise LabelError(
                f"label column {label!r} not found in {self.description}; "
                f"columns are: {', '.join(names)}"
            )
        self.label = label
        self.feature_names = tuple(n for n in names if n != label)
        if not self.feature_names:
            raise InputError(f"{self.description} has no feature column besides {label!r}")
        self._labels: npt.NDArray[Any] | None = None

    def labels(self) -> npt.NDArray[Any]:
        """The label column, read once."""
        if self._labels is None:
            from .._files import read_labels

            self._labels = as_label_array(
                read_labels(self.path, label=self.label), name=f"label column {self.label!r}"
            )
        return self._labels

    def rows(self, positions: npt.NDArray[np.intp]) -> tuple[Any, npt.NDArray[Any]]:
        """Features and labels at ``positions`` (sorted), loading only those rows."""
        from .._files import read_rows

        table = read_rows(self.path, positions, columns=[*self.feature_names, self.label])
        X = _numeric_matrix(table, list(self.feature_names), self.description)
        y = as_label_array(table.column(self.label), name=f"label column {self.label!r}")
        return X, y

    def fingerprint(self) -> str:
        """Identifies the data: labels, row count and column names."""
        labels = self.labels()
        return _fingerprint(labels, f"{labels.size}|{self.label}|{'|'.join(self.feature_names)}")


def as_source(data: Any, *, label: str | None, y: Any) -> ArraySource | FileSource:
    """The source for what the user passed: a file path, or data in memory."""
    if isinstance(data, str | os.PathLike):
        if label is None:
            raise LabelError("name the label column of the file: label='column'")
        if y is not None:
            raise InputError("a file holds its own labels: give label=..., not y=...")
        return FileSource(data, label=label)
    if label is not None and y is not None:
        raise InputError("give label= (a frame's label column) or y= (the labels), not both")
    return ArraySource(data, y, label=label)
