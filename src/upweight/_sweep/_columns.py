"""Which columns a sweep's models see, and of what kind.

:func:`choose` picks the feature columns from the label, ``features`` and ``drop``, and
sorts each into a kind: ``numeric`` (integers, decimals, booleans) or ``categorical``
(text, dictionary-encoded). :func:`flags` notes columns that look like mistakes -- an ID
unique on every row, a constant -- and :func:`to_features` turns the rows read (a pyarrow
Table) into what the models take: a float matrix when every feature is numeric, else a
pandas DataFrame (numeric columns as floats, categorical ones as text, missing as NaN).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._exceptions import InputError
from .._validation import requires

__all__ = [
    "Columns",
    "choose",
    "flags",
    "flags_of",
    "numeric_matrix",
    "pandas_index",
    "take",
    "to_features",
]

#: Fewest rows on which a column unique on every row is flagged as an ID.
_ID_MIN_ROWS = 50


@dataclass(frozen=True)
class Columns:
    """The feature columns, in input order, each with its kind; the columns left out.

    Attributes
    ----------
    features : tuple of str
        The columns the models see, in input order.
    kinds : dict
        ``{column: "numeric" | "categorical"}`` for each feature.
    dropped : tuple of str
        Columns left out (``drop``, or not among ``features``); the label is not listed.
    """

    features: tuple[str, ...]
    kinds: dict[str, str]
    dropped: tuple[str, ...] = ()

    @property
    def numeric(self) -> list[str]:
        """The numeric features, in input order."""
        return [c for c in self.features if self.kinds[c] == "numeric"]

    @property
    def categorical(self) -> list[str]:
        """The categorical features, in input order."""
        return [c for c in self.features if self.kinds[c] == "categorical"]

    @property
    def all_numeric(self) -> bool:
        """Whether every feature is numeric (the models then take a float matrix)."""
        return not self.categorical

    def describe(self) -> dict[str, list[str]]:
        """The columns by kind, as the report and ``results`` settings show them."""
        return {
            "numeric": self.numeric,
            "categorical": self.categorical,
            "dropped": list(self.dropped),
        }


def pandas_index(schema: Any) -> list[str]:
    """The columns a pandas index was written into, from a pyarrow schema's metadata."""
    try:
        meta = schema.pandas_metadata or {}
    except (ValueError, TypeError, AttributeError):  # metadata that is not pandas' JSON
        return []
    return [c for c in meta.get("index_columns", []) if isinstance(c, str)]


def _kind(arrow_type: Any) -> str | None:
    """``"numeric"``, ``"categorical"``, or None for a type no model can use as it is."""
    import pyarrow as pa

    t = arrow_type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        return "numeric"
    if pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_dictionary(t):
        return "categorical" if _kind(t.value_type) == "categorical" else "numeric"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "categorical"
    return None


def _names(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in values)


def _checked_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    out = list(dict.fromkeys(value))
    if not out and name == "drop":  # nothing to leave out
        return None
    if not out or not all(isinstance(v, str) and v for v in out):
        raise InputError(f"{name} must be a list of column names; got {value!r}")
    return out


def choose(
    schema: Sequence[tuple[str, Any]],
    *,
    label: str | None,
    features: Sequence[str] | None,
    drop: Sequence[str] | None,
    where: str,
    index: Iterable[str] = (),
) -> Columns:
    """The feature columns of ``schema`` (name, pyarrow type), chosen and sorted by kind.

    Every unknown name in ``features`` or ``drop`` is named in one error, as is every
    column of a type the models can't use (dates, lists...), with the fix. ``index``
    names the columns a pandas index was written into (the schema's pandas metadata, as
    ``__index_level_N__`` or by its name): left out unless ``features`` names them.
    """
    index = set(index)
    wanted = _checked_list(features, "features")
    left_out = _checked_list(drop, "drop")
    if wanted is not None and left_out is not None:
        raise InputError(
            "give features (the columns to use) or drop (those to leave out), not both"
        )
    names = [n for n, _ in schema if n != label]
    given = wanted if wanted is not None else left_out
    option = "--features" if wanted is not None else "--drop"
    if given is not None:
        unknown = [n for n in given if n not in names]
        if label is not None and label in given:
            raise InputError(
                f"{option} names the label column {label!r}; the label is never a feature"
            )
        if unknown:
            raise InputError(
                f"{option} names columns not in {where}: {_names(unknown)}; columns are: "
                f"{', '.join(names[:30])}{' ...' if len(names) > 30 else ''}"
            )
    if wanted is not None:
        chosen = [n for n in names if n in wanted]
    else:  # pandas' index, written into a file by df.to_parquet(), is never a feature
        chosen = [n for n in names if n not in (left_out or ()) and n not in index]
    dropped = tuple(n for n in names if n not in chosen)
    if not chosen:
        raise InputError(
            f"every feature column of {where} is left out ({option}); keep at least one"
            if given is not None
            else f"{where} has no feature column besides the label"
        )
    types = dict(schema)
    kinds = {n: _kind(types[n]) for n in chosen}
    unusable = [n for n, k in kinds.items() if k is None]
    if unusable:
        shown = ", ".join(f"{n!r} ({types[n]})" for n in unusable[:8])
        more = f" and {len(unusable) - 8} more" if len(unusable) > 8 else ""
        raise InputError(
            f"columns of {where} of types no model can use: {shown}{more}; leave them out "
            f"(--drop {','.join(unusable[:8])}; drop=[...]) or convert them to numbers or text"
        )
    return Columns(tuple(chosen), {n: str(k) for n, k in kinds.items()}, dropped)


def flags(table: Any, columns: Columns) -> dict[str, str]:
    """Columns of ``table`` (pyarrow) that look like mistakes: ``{column: why}``.

    A column holding one value only tells a model nothing; an integer or text column
    unique on every row (of at least 50) is most likely an identifier.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values: dict[str, int | None] = {}
    for name in columns.features:
        column = _decoded(table.column(name))  # pandas / polars categoricals: their values
        count = int(pc.count_distinct(column, mode="all").as_py())
        if pa.types.is_floating(column.type) or pa.types.is_decimal(column.type):
            values[name] = 1 if count <= 1 else None  # as column_values counts them
        else:
            values[name] = count
    return flags_of(table.num_rows, values)


def flags_of(rows: int, values: dict[str, int | None]) -> dict[str, str]:
    """``{column: why}`` from the values each column holds (None: several, not counted)."""
    out: dict[str, str] = {}
    for name, count in values.items():
        if count is not None and count <= 1 and rows > 1:
            out[name] = "constant: it holds one value only"
        elif count is not None and count == rows and rows >= _ID_MIN_ROWS:
            out[name] = "unique on every row: an ID?"
    return out


def _decoded(column: Any) -> Any:
    """A dictionary-encoded column (a categorical) as its values; another as it is."""
    import pyarrow as pa

    return column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column


def _float_column(column: Any) -> npt.NDArray[np.float64]:
    import pyarrow as pa
    import pyarrow.compute as pc

    column = _decoded(column)
    if column.null_count or not pa.types.is_floating(column.type):
        column = pc.fill_null(pc.cast(column, pa.float64()), np.nan)
    return np.asarray(column.to_numpy(zero_copy_only=False))


def _text_column(column: Any) -> npt.NDArray[Any]:
    column = _decoded(column)
    values = np.asarray(column.to_numpy(zero_copy_only=False), dtype=object)
    if column.null_count:
        values[np.asarray(column.is_null().to_numpy(zero_copy_only=False))] = np.nan
    return values


def to_features(table: Any, columns: Columns, *, frame: bool) -> Any:
    """What the models take: a float matrix, or (with text, or ``frame``) a DataFrame.

    The matrix is float32 when every feature is float32, else float64; missing values are
    NaN. The DataFrame (pandas) keeps the column names, numeric columns as floats and
    categorical ones as text (object), missing as NaN.
    """
    import importlib.util

    import pyarrow as pa

    if frame and columns.all_numeric and importlib.util.find_spec("pandas") is None:
        frame = False  # a model of the user's, without pandas: the array it would get anyway
    if columns.all_numeric and not frame:
        float32 = all(pa.types.is_float32(table.column(n).type) for n in columns.features)
        out = np.empty(
            (table.num_rows, len(columns.features)), dtype=np.float32 if float32 else np.float64
        )
        for j, name in enumerate(columns.features):
            out[:, j] = _float_column(table.column(name))
        return out
    pd = requires(
        "pandas",
        "pandas",
        what="text columns (and a model of your own) need pandas, which",
    )
    data = {
        name: (
            _float_column(table.column(name))
            if columns.kinds[name] == "numeric"
            else _text_column(table.column(name))
        )
        for name in columns.features
    }
    return pd.DataFrame(data, columns=list(columns.features))


def take(X: Any, rows: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> Any:
    """Rows of a matrix, sparse matrix or DataFrame, by position or mask."""
    if hasattr(X, "iloc"):
        return X.iloc[rows].reset_index(drop=True)
    return X[rows]


def numeric_matrix(X: Any, columns: Columns | None) -> npt.NDArray[Any]:
    """The numeric features of ``X`` as a dense float matrix (for the convergence runs)."""
    if hasattr(X, "iloc"):
        names = columns.numeric if columns is not None else list(X.columns)
        return np.asarray(X[names].to_numpy(dtype=np.float64))
    return X.toarray() if hasattr(X, "toarray") else np.asarray(X)
