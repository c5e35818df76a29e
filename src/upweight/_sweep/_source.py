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
from ._columns import Columns, choose, flags, flags_of, pandas_index, take, to_features

__all__ = ["ArraySource", "FileSource", "Source", "as_source"]


class Source(Protocol):
    """What the sweep needs of its data."""

    description: str
    feature_names: tuple[str, ...]
    columns: Columns
    #: Columns that look like mistakes (an ID, a constant): ``{column: why}``.
    flagged: dict[str, str]
    #: Whether the features are a sparse matrix.
    sparse: bool
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

    def prepare(self, *, frame: bool) -> None:
        """Serve features as a DataFrame (``frame``) or, when all are numeric, a matrix."""
        ...

    def fingerprint(self) -> str:
        """Identifies the data, values included: stored results are reused only on a match."""
        ...


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


def _check_values(X: Any, names: tuple[str, ...], where: str) -> None:
    """Refuse infinite values, and a column with no value at all.

    One line naming the first few columns, each with its count of such values. Missing
    values (NaN) are the model's to handle: the built-in ones impute them or take them as
    they are.
    """
    values = X.data if is_sparse(X) else X
    if values.dtype.kind != "f" or values.size == 0 or np.isfinite(values).all():
        return
    width = X.shape[1]

    def per_column(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
        if is_sparse(X):
            return np.bincount(X.indices[mask], minlength=width)
        return np.count_nonzero(mask, axis=0)

    infinite = per_column(np.isinf(values))
    if infinite.any():
        raise _infinite(
            where, [f"{names[j]!r} ({infinite[j]:,})" for j in np.flatnonzero(infinite)]
        )
    if not is_sparse(X) and X.shape[0]:
        empty = np.flatnonzero(per_column(np.isnan(values)) == X.shape[0])
        if empty.size:
            raise _no_value(where, names[empty[0]])


def _infinite(where: str, columns: list[str]) -> InputError:
    """The error for infinite values: the first five columns, each ``'name' (count)``."""
    shown = ", ".join(columns[:5]) + (f" and {len(columns) - 5} more" if len(columns) > 5 else "")
    return InputError(
        f"feature columns of {where} hold infinite values: {shown}; no model "
        "can fit them: replace them, or leave the columns out (--drop; drop=[...])"
    )


def _no_value(where: str, name: str) -> InputError:
    """The error for a column whose every value is missing."""
    return InputError(
        f"feature column {name!r} of {where} holds no value (every row is "
        "missing); leave it out (--drop; drop=[...]), it tells a model nothing"
    )


def _check_table(table: Any, columns: Columns, where: str) -> None:
    """:func:`_check_values` for the numeric columns of a pyarrow Table, before conversion."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = table.num_rows
    infinite, empty = [], []
    for name in columns.features:
        column = table.column(name)
        floating = pa.types.is_floating(column.type)
        if floating and rows:
            count = int(pc.sum(pc.is_inf(column)).as_py() or 0)
            if count:
                infinite.append(f"{name!r} ({count:,})")
        missing = column.null_count
        if floating and rows:
            missing += int(pc.sum(pc.is_nan(column)).as_py() or 0)
        if rows and missing == rows:
            empty.append(name)
    if infinite:
        raise _infinite(where, infinite)
    if empty:
        raise _no_value(where, empty[0])


def _schema_of(table: Any) -> list[tuple[str, Any]]:
    return [(str(f.name), f.type) for f in table.schema]


class ArraySource:
    """Data already in memory: features ``X`` and labels ``y``.

    Parameters
    ----------
    X : array-like, sparse matrix or data frame
        Features; a data frame may also hold the label column (``label``). A frame may
        hold text and categorical columns; an array must be numeric.
    y : array-like, optional
        Labels; instead of ``label``.
    label : str, optional
        Name of the label column of ``X`` (a pandas, polars or pyarrow frame).
    features, drop : sequence of str, optional
        The columns to use, or those to leave out (an array's are named ``x0``, ``x1``...).
    """

    inputs: tuple[Path, ...] = ()
    input_folder: Path | None = None
    input_pattern: str | None = None
    sparse = False

    def __init__(
        self,
        X: Any,
        y: Any = None,
        *,
        label: str | None = None,
        features: Any = None,
        drop: Any = None,
    ) -> None:
        self.description = f"in-memory {type(X).__name__}"
        self._table: Any = None
        self._X: Any = None
        self.flagged: dict[str, str] = {}
        if label is not None:
            if not is_frame(X):
                raise InputError(
                    f"label={label!r} names a column of a data frame; X is {type(X).__name__}: "
                    "pass y=... instead"
                )
            table = _to_arrow(X)
            names = list(map(str, table.column_names))
            if label not in names:
                raise LabelError(
                    f"label column {label!r} not found; columns are: {', '.join(names)}"
                )
            y = table.column(label)
            self._from_table(table, label=label, features=features, drop=drop, where="the frame")
        elif y is None:
            raise InputError("give the labels: y=... for arrays, or label='column' for a frame")
        elif is_frame(X):
            self._from_table(_to_arrow(X), label=None, features=features, drop=drop, where="X")
        else:
            self._from_array(X, features=features, drop=drop)
        self._y = as_label_array(y, name="y" if label is None else f"label column {label!r}")
        rows = self._table.num_rows if self._table is not None else n_rows(self._X)
        if rows != self._y.size:
            raise InputError(f"X has {rows} rows but y has {self._y.size} labels; they must match")

    def _from_table(
        self, table: Any, *, label: str | None, features: Any, drop: Any, where: str
    ) -> None:
        self.columns = choose(
            _schema_of(table),
            label=label,
            features=features,
            drop=drop,
            where=where,
            index=pandas_index(table.schema),
        )
        self.feature_names = self.columns.features
        self._table = table.select(list(self.columns.features))
        self._where = where
        _check_table(self._table, self.columns, where)
        self.flagged = flags(self._table, self.columns)

    def _from_array(self, X: Any, *, features: Any, drop: Any) -> None:
        if is_sparse(X):
            array = X.tocsr()
            self.sparse = True
        else:
            array = np.asarray(X)
            if array.ndim != 2:
                raise InputError(f"X must be 2-D (rows x features); got shape {array.shape}")
            if array.dtype.kind not in "biuf":
                raise InputError(
                    f"X has dtype {array.dtype}; an array must be numeric: pass a data frame "
                    "to use text or categorical columns"
                )
        import pyarrow as pa

        names = [f"x{j}" for j in range(array.shape[1])]
        schema = [(n, pa.float64()) for n in names]
        self.columns = choose(schema, label=None, features=features, drop=drop, where="X")
        self.feature_names = self.columns.features
        if self.columns.dropped:
            array = array[:, [names.index(n) for n in self.columns.features]]
        _check_values(array, self.feature_names, "X")
        if not is_sparse(array) and array.shape[0] > 1:
            with np.errstate(invalid="ignore"):
                same = np.all(array == array[:1], axis=0)
            self.flagged = {
                self.feature_names[j]: "constant: it holds one value only"
                for j in np.flatnonzero(same)
            }
        self._X = array

    def prepare(self, *, frame: bool) -> None:
        """Features as a DataFrame (``frame``, or text columns) or a float matrix."""
        if self._table is not None:
            self._X = to_features(self._table, self.columns, frame=frame)

    def labels(self) -> npt.NDArray[Any]:
        """All labels."""
        return self._y

    def rows(self, positions: npt.NDArray[np.intp]) -> tuple[Any, npt.NDArray[Any]]:
        """Features and labels at ``positions``."""
        if self._X is None:
            self.prepare(frame=False)
        return take(self._X, positions), self._y[positions]

    def fingerprint(self) -> str:
        """Identifies the data: labels, shape, feature names and every feature value."""
        if self._table is not None:
            digest = hashlib.blake2b(digest_size=16)
            for name in self.columns.features:
                for chunk in self._table.column(name).chunks:
                    for buffer in chunk.buffers():
                        if buffer is not None:
                            digest.update(buffer)
            data, shape = digest.digest(), (self._table.num_rows, len(self.columns.features))
        else:
            data, shape = _array_digest(self._X), self._X.shape
        return _fingerprint(self._y, f"{shape}|{'|'.join(self.feature_names)}", data)


def _to_arrow(X: Any) -> Any:
    """A frame as a pyarrow Table of its columns (a pandas index is not one of them)."""
    import pyarrow as pa

    if isinstance(X, pa.Table):
        return X
    import narwhals as nw

    frame = nw.from_native(X, pass_through=True)
    if not isinstance(frame, nw.DataFrame):
        raise InputError(f"expected an eager data frame; got {type(X).__name__}")
    try:
        if type(X).__module__.split(".")[0] == "pandas":
            return pa.Table.from_pandas(X, preserve_index=False)
        return frame.to_arrow()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        text = " ".join(str(exc).split())
        raise InputError(
            f"the frame's columns could not be read: {text}; give each column one type "
            "(numbers, or text: df[column].astype(str))"
        ) from None


class FileSource:
    """A CSV or Parquet file, a directory of Parquet files, or a glob, read by the file engine.

    :meth:`labels` reads only the label column; :meth:`rows` reads the input once and
    keeps only the wanted rows (see :func:`upweight._files.read_rows`), so what a
    configuration drops is never loaded. Only the label and feature columns are read.

    Parameters
    ----------
    path : path
        What :func:`upweight.sample_file` reads: ``.parquet`` / ``.pq``, ``.csv`` /
        ``.csv.gz``, a directory of Parquet files or a glob.
    label : str
        Name of the label column.
    features, drop : sequence of str, optional
        The columns to use, or those to leave out.
    """

    sparse = False

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        label: str,
        features: Any = None,
        drop: Any = None,
    ) -> None:
        from .._files import column_names, expand, is_glob

        self.path = path
        schema, self.description = column_names(path)
        files, _, folder = expand(path)
        self.inputs: tuple[Path, ...] = tuple(files)
        self.input_folder: Path | None = folder
        self.input_pattern: str | None = os.fspath(path) if is_glob(path) else None
        self._frame = False
        self.flagged: dict[str, str] = {}
        names = [n for n, _ in schema]
        if label not in names:
            raise LabelError(
                f"label column {label!r} not found in {self.description}; "
                f"columns are: {', '.join(names)}"
            )
        self.label = label
        self.columns = choose(
            schema,
            label=label,
            features=features,
            drop=drop,
            where=self.description,
            index=_written_index(files),
        )
        self.feature_names = self.columns.features
        self._labels: npt.NDArray[Any] | None = None

    def labels(self) -> npt.NDArray[Any]:
        """The label column, read once."""
        if self._labels is None:
            from .._files import read_labels

            self._labels = as_label_array(
                read_labels(self.path, label=self.label), name=f"label column {self.label!r}"
            )
        return self._labels

    def prepare(self, *, frame: bool) -> None:
        """Features as a DataFrame (``frame``, or text columns) or a float matrix.

        Also decides which columns look like mistakes (:attr:`flagged`), from every row:
        one pass over the feature columns.
        """
        from .._files import column_values

        self._frame = frame
        rows, values = column_values(self.path, list(self.feature_names))
        self.flagged = flags_of(rows, values)

    def rows(self, positions: npt.NDArray[np.intp]) -> tuple[Any, npt.NDArray[Any]]:
        """Features and labels at ``positions`` (sorted), loading only those rows."""
        from .._files import read_rows

        table = read_rows(self.path, positions, columns=[*self.feature_names, self.label])
        _check_table(table, self.columns, self.description)
        X = to_features(table, self.columns, frame=self._frame)
        y = as_label_array(table.column(self.label), name=f"label column {self.label!r}")
        return X, y

    def fingerprint(self) -> str:
        """Identifies the data: labels, row count, column names and the files' contents."""
        labels = self.labels()
        return _fingerprint(
            labels,
            f"{labels.size}|{self.label}|{'|'.join(self.feature_names)}",
            _file_digest(list(self.inputs)),
        )


def _written_index(files: list[Path]) -> list[str]:
    """The columns pandas wrote its index into, from the first Parquet file's schema."""
    from .._files._formats import file_format

    try:
        if not files or file_format(files[0]) != "parquet":
            return []
        import pyarrow.parquet as pq

        return pandas_index(pq.read_schema(files[0]))
    except (OSError, ValueError, FileError):
        return []


def as_source(
    data: Any, *, label: str | None, y: Any, features: Any = None, drop: Any = None
) -> ArraySource | FileSource:
    """The source for what the user passed: a file path, or data in memory."""
    if isinstance(data, str | os.PathLike):
        if label is None:
            raise LabelError("name the label column of the file: label='column'")
        if y is not None:
            raise InputError("a file holds its own labels: give label=..., not y=...")
        return FileSource(data, label=label, features=features, drop=drop)
    if label is not None and y is not None:
        raise InputError("give label= (a frame's label column) or y= (the labels), not both")
    return ArraySource(data, y, label=label, features=features, drop=drop)
