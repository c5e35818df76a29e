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
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from .._exceptions import FileError, InputError, LabelError
from .._labels import as_label_array
from .._rows import is_frame, is_sparse, n_rows

__all__ = ["ArraySource", "FileSource", "Source", "as_source"]


class Source(Protocol):
    """What the sweep needs of its data."""

    description: str
    feature_names: tuple[str, ...]
    #: The input files (never written), the directory they come from, if any, and the
    #: glob they were matched by, if any (outputs it would match are refused).
    inputs: tuple[Path, ...]
    input_folder: Path | None
    input_pattern: str | None

    def labels(self) -> npt.NDArray[Any]:
        """All labels, in row order (read once, then cached)."""
        ...

    def rows(self, positions: npt.NDArray[np.intp]) -> tuple[Any, npt.NDArray[Any]]:
        """Features and labels of the rows at ``positions`` (sorted), in that order."""
        ...

    def check_features(self, *, model: str, allow_nan: bool) -> None:
        """Refuse infinite values, and NaN unless ``allow_nan`` (see :func:`_check_values`)."""
        ...

    def fingerprint(self) -> str:
        """Identifies the data, values included: stored results are reused only on a match."""
        ...


def _numeric_matrix(frame: Any, columns: list[str], where: str) -> npt.NDArray[Any]:
    """A 2-D float array from the named columns of a pyarrow Table; nulls become NaN."""
    import pyarrow as pa
    import pyarrow.compute as pc

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
        if column.null_count:  # missing values become NaN; the model decides (_check_values)
            column = pc.fill_null(pc.cast(column, pa.float64()), np.nan)
        out[:, j] = column.to_numpy()
    return out


def _fingerprint(labels: npt.NDArray[Any], extra: str, data: bytes = b"") -> str:
    """A short digest of the labels, a description of the columns, and the data's digest."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(extra.encode())
    digest.update(str(labels.dtype).encode())
    if labels.dtype.kind == "O":
        digest.update("\x00".join(map(str, labels.tolist())).encode())
    else:
        digest.update(np.ascontiguousarray(labels).tobytes())
    digest.update(data)
    return digest.hexdigest()


def _array_digest(X: Any) -> bytes:
    """A digest of every value of ``X`` (dense, or a CSR matrix's data, indices and indptr)."""
    digest = hashlib.blake2b(digest_size=16)
    parts = [X.data, X.indices, X.indptr] if is_sparse(X) else [X]
    for part in parts:
        array = np.asarray(part)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        if array.flags.c_contiguous:
            digest.update(array.reshape(-1).data)
        elif array.flags.f_contiguous:
            digest.update(b"F")
            digest.update(array.T.reshape(-1).data)
        else:
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.digest()


_BLOCKS = 64
_BLOCK = 64 * 1024


def _file_digest(files: list[Path]) -> bytes:
    """A digest of the files' contents, read in a few places.

    A Parquet file: its size and its footer (the schema and every row group's statistics).
    Another file (CSV): its size, its modification time, and 64 blocks of 64 KiB spread
    evenly over it (the whole file when it is smaller than that).
    """
    from .._files._formats import file_format

    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(len(files)).encode())
    for path in files:
        try:
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                mtime = os.fstat(handle.fileno()).st_mtime_ns
                digest.update(f"|{size}|".encode())
                tail = b""
                if size >= 12:
                    handle.seek(size - 8)
                    tail = handle.read(8)
                if _is_parquet(path, file_format) and tail[4:] == b"PAR1":
                    footer = int.from_bytes(tail[:4], "little")
                    handle.seek(max(0, size - 8 - footer))
                    digest.update(handle.read(footer + 8))
                    continue
                digest.update(f"{mtime}|".encode())
                if size <= _BLOCKS * _BLOCK:
                    digest.update(handle.read())
                    continue
                step = (size - _BLOCK) // (_BLOCKS - 1)
                for i in range(_BLOCKS):
                    handle.seek(i * step)
                    digest.update(handle.read(_BLOCK))
        except OSError as exc:
            raise FileError(f"could not read {path}: {exc.strerror or exc}") from None
    return digest.digest()


def _is_parquet(path: Path, file_format: Any) -> bool:
    try:
        return bool(file_format(path) == "parquet")
    except FileError:
        return False


def _check_values(X: Any, names: tuple[str, ...], where: str, model: str, allow_nan: bool) -> None:
    """Refuse infinite values for every model, and NaN for models that cannot fit them.

    One line naming the first few columns, each with its count of such values.
    """
    values = X.data if is_sparse(X) else X
    if values.dtype.kind != "f" or values.size == 0 or np.isfinite(values).all():
        return
    width = X.shape[1]

    def per_column(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
        if is_sparse(X):
            return np.bincount(X.indices[mask], minlength=width)
        return np.count_nonzero(mask, axis=0)

    def named(counts: npt.NDArray[np.intp]) -> str:
        hit = np.flatnonzero(counts)
        shown = ", ".join(f"{names[j]!r} ({counts[j]:,})" for j in hit[:5])
        return shown + (f" and {hit.size - 5} more" if hit.size > 5 else "")

    infinite = per_column(np.isinf(values))
    if infinite.any():
        raise InputError(
            f"feature columns of {where} hold infinite values: {named(infinite)}; no model "
            "can fit them: replace or drop them first"
        )
    missing = per_column(np.isnan(values))
    if not is_sparse(X):
        empty = np.flatnonzero(missing == X.shape[0])
        if empty.size and X.shape[0]:
            raise InputError(
                f"feature column {names[empty[0]]!r} of {where} holds no value (every row is "
                "missing); drop it, it tells a model nothing"
            )
    if missing.any() and not allow_nan:
        raise InputError(
            f"feature columns of {where} hold missing values (NaN or null): "
            f"{named(missing)}; model {model!r} cannot fit them: fill or drop them first, "
            "or use --model hgb, "
            "lightgbm or xgboost (model='hgb', ...), which handle missing values"
        )


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

    inputs: tuple[Path, ...] = ()
    input_folder: Path | None = None
    input_pattern: str | None = None

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

    def check_features(self, *, model: str, allow_nan: bool) -> None:
        """Refuse infinite values, and NaN unless ``allow_nan``: every value is checked."""
        _check_values(self._X, self.feature_names, "X", model, allow_nan)

    def fingerprint(self) -> str:
        """Identifies the data: labels, shape, feature names and every feature value."""
        return _fingerprint(
            self._y, f"{self._X.shape}|{'|'.join(self.feature_names)}", _array_digest(self._X)
        )


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
        from .._files import column_names, expand, is_glob

        self.path = path
        names, self.description = column_names(path)
        files, _, folder = expand(path)
        self.inputs: tuple[Path, ...] = tuple(files)
        self.input_folder: Path | None = folder
        self.input_pattern: str | None = os.fspath(path) if is_glob(path) else None
        self._model = "logreg"
        self._allow_nan = False
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
        _check_values(X, self.feature_names, self.description, self._model, self._allow_nan)
        y = as_label_array(table.column(self.label), name=f"label column {self.label!r}")
        return X, y

    def check_features(self, *, model: str, allow_nan: bool) -> None:
        """Refuse infinite values, and NaN unless ``allow_nan``, in every row as it is read.

        Rows are read only when needed, so they are checked then: the validation and test
        rows first, before any model is fitted.
        """
        self._model = model
        self._allow_nan = allow_nan

    def fingerprint(self) -> str:
        """Identifies the data: labels, row count, column names and the files' contents."""
        labels = self.labels()
        return _fingerprint(
            labels,
            f"{labels.size}|{self.label}|{'|'.join(self.feature_names)}",
            _file_digest(list(self.inputs)),
        )


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
