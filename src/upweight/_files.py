"""The file engine: downsample CSV and Parquet files larger than memory.

DuckDB (embedded, no server) reads the files, in parallel and in bounded memory. The work
takes up to three passes, each reading only what it needs:

1. **Count**: the label column alone, grouped: class counts, hence the plan. (For Parquet
   with integer or boolean labels, counting and selecting share one pass.)
2. **Select**: the row position and label of the rows of downsampled classes (and the key
   column, if any) stream through NumPy, which applies the shared selection scheme of
   :mod:`upweight._selection` and keeps the positions of the chosen rows (a few bytes per
   kept row; nothing per dropped row).
3. **Write**: every column, filtered to the kept positions, with the weight column added,
   written by DuckDB to a temporary file that replaces the output only when complete.

Parquet files in and one Parquet file out take a faster road to the same output
(:mod:`upweight._arrow_path`): pyarrow reads the label column, then every column once, on
worker threads, because DuckDB keeps the input's order in pass 3 on one thread only.

A row's position is its place in the input: row ``i`` of the ``j``-th file (files sorted
by path) has position ``i`` plus the rows of the files before it. Positions come from the
files themselves (Parquet row numbers; CSV line order), so the same input and seed select
the same rows whatever the thread count, and the same rows as :func:`upweight.downsample`
on the same data in memory.
"""

from __future__ import annotations

import contextlib
import glob
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from . import _signals
from ._counts import check_two_classes
from ._exceptions import FileError, InputError, LabelError, PlanError, UpweightError
from ._io import (
    PLAN_METADATA_KEY,
    commit,
    every,
    file_format,
    file_state,
    folder_locked,
    fsync_tree,
    hint_for,
    plan_sidecar,
    remove,
    remove_stale_temporaries,
    temporary,
)
from ._labels import encode_labels
from ._plan import ClassPlan, SamplingPlan, keep_rate_ceiling, resolve_plan
from ._profile import ImbalanceProfile
from ._random import check_seed
from ._selection import positions_below, row_hashes
from ._types import Label, Method, WeightMode
from ._validation import check_method, check_weight_col, check_weight_mode, thread_count

__all__ = ["profile_file", "read_plan", "sample_file"]

PathLike = str | os.PathLike[str]
OutputKind = Literal["parquet", "csv", "directory"]
ProgressCallback = Callable[[str, int, int], None]

_GLOB_CHARS = re.compile(r"[*?\[]")
_BATCH_ROWS = 1 << 20
_PART_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class _Source:
    """Input files resolved from a path, a directory or a glob."""

    kind: Literal["parquet", "csv"]
    files: tuple[str, ...]
    rows_per_file: tuple[int, ...] | None  # Parquet only: from the footers
    hive: bool
    name: str
    origin: str = ""  # what the user gave: a file, a folder or a glob
    states: tuple[tuple[int, int], ...] = ()  # size and time stamp of each file, when resolved
    header: tuple[str, ...] = ()  # CSV only: the column names, as the header spells them

    @property
    def n_rows(self) -> int | None:
        return None if self.rows_per_file is None else sum(self.rows_per_file)

    def check_unchanged(self) -> None:
        """Refuse to go on if a file changed, or a folder gained or lost files, since resolved.

        Called after each pass over the input and before an output is put in place, so a
        file written while it is read never yields an output (or a profile) that mixes
        its old and new rows.
        """
        for f, state in zip(self.files, self.states, strict=True):
            try:
                now: tuple[int, int] | None = file_state(f)
            except OSError:
                now = None
            if now != state:
                raise FileError(
                    f"{Path(f).name} changed while it was read (its size or time stamp "
                    "moved); run again once nothing writes to it"
                )
        if self.origin and self.origin != self.files[0]:
            with contextlib.suppress(FileError):
                now_files = tuple(str(p) for p in _expand(self.origin)[0])
                if now_files != self.files:
                    raise FileError(
                        f"{self.name} gained or lost files while it was read; run again once "
                        "nothing writes to it"
                    )


# -- resolving the input ---------------------------------------------------------------------
def _hidden(parts: Iterable[str]) -> bool:
    """Whether a path holds a hidden or underscore-prefixed part, which readers skip.

    Spark and Hive skip them in data folders: ``.ipynb_checkpoints/``, ``_temporary/``,
    ``_SUCCESS``, and the temporary folders of a run that was killed.
    """
    return any(part.startswith((".", "_")) for part in parts)


def _fixed_prefix(pattern: str) -> Path:
    """The leading folders of a glob that hold no wildcard."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if _GLOB_CHARS.search(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path()


def is_glob(src: PathLike) -> bool:
    """Whether ``src`` is read as a glob: a name that does not exist, with wildcards."""
    text = os.fspath(src)
    return not Path(text).exists() and _GLOB_CHARS.search(text) is not None


def glob_matches(pattern: PathLike, path: PathLike) -> bool:
    """Whether ``path`` would be matched by the glob ``pattern`` (``**`` included).

    For files that do not exist yet: an output that a glob input would read back.
    Both are made absolute first.
    """
    parts = re.split(r"(\*\*/?|\*|\?|\[[^\]]*\])", os.path.abspath(os.fspath(pattern)))
    regex = []
    for part in parts:
        if part in ("**", "**/"):
            regex.append(r"(?:.*/)?" if part == "**/" else r".*")
        elif part == "*":
            regex.append(r"[^/]*")
        elif part == "?":
            regex.append(r"[^/]")
        elif part.startswith("[") and part.endswith("]") and len(part) > 2:
            inner = part[1:-1]
            regex.append("[" + ("^" + inner[1:] if inner.startswith("!") else inner) + "]")
        else:
            regex.append(re.escape(part))
    return re.fullmatch("".join(regex), os.path.abspath(os.fspath(path))) is not None


def _expand(src: PathLike) -> tuple[list[Path], str, Path | None]:
    """The files behind ``src``, sorted by path; and the directory they came from.

    A name that exists is taken as it is, even with ``*``, ``?`` or ``[`` in it; only a
    name that does not exist is a glob. In a folder, and below a glob's fixed folders,
    hidden and underscore-prefixed entries are skipped at every depth.
    """
    text = os.fspath(src)
    path = Path(text)
    if not path.exists() and _GLOB_CHARS.search(text):
        prefix = _fixed_prefix(text)
        files = sorted(
            Path(p)
            for p in glob.glob(text, recursive=True)
            if Path(p).is_file() and not _hidden(Path(p).relative_to(prefix).parts)
        )
        if not files:
            raise FileError(f"no file matches {text}; check the pattern")
        return files, text, None
    if not path.exists():
        raise FileError(f"file not found: {path}")
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and not _hidden(p.relative_to(path).parts)
            and p.name.lower().endswith((".parquet", ".pq"))
        )
        if not files:
            raise FileError(f"no Parquet files (.parquet, .pq) in directory {path}")
        return files, str(path), path
    return [path], path.name, None


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise FileError(f"{path} is not a regular file (a pipe or a device?); give a file")
    if not os.access(path, os.R_OK):
        raise FileError(f"cannot read {path}: permission denied")
    if path.stat().st_size == 0:
        raise FileError(f"{path} is empty (0 bytes); give a file with a header and rows")


def _resolve(src: PathLike) -> _Source:
    files, name, directory = _expand(src)
    kinds = {file_format(p) for p in files}
    if len(kinds) > 1:
        raise FileError(f"{name} mixes CSV and Parquet files; give files of one format")
    kind = kinds.pop()
    states = []
    for p in files:
        _check_file(p)
        states.append(file_state(p))
    header: tuple[str, ...] = ()
    if kind == "csv":
        header = _csv_header(files[0])
        for p in files[1:]:
            other = _csv_header(p)
            if other != header:
                raise InputError(
                    f"{p.name} and {files[0].name} have different columns "
                    f"({_name_difference(header, other)}); give files of one schema"
                )
    rows = _parquet_rows(files) if kind == "parquet" else None
    hive = directory is not None and any(
        "=" in part for p in files for part in p.relative_to(directory).parts[:-1]
    )
    if hive and directory is not None:
        _check_partition_keys(files, directory)
    return _Source(
        kind,
        tuple(str(p) for p in files),
        rows,
        hive,
        name,
        origin=os.fspath(src),
        states=tuple(states),
        header=header,
    )


def _name_difference(first: tuple[str, ...], second: tuple[str, ...]) -> str:
    only_first = [n for n in first if n not in second]
    only_second = [n for n in second if n not in first]
    parts = [f"{n!r} only in the first" for n in only_first[:2]]
    parts += [f"{n!r} only in the second" for n in only_second[:2]]
    return "; ".join(parts) or "the order differs"


def _check_partition_keys(files: list[Path], directory: Path) -> None:
    """Refuse a hive folder whose partition key is also a column of its files.

    The folder's value would silently replace the file's (``y=0/part.parquet`` holding
    ``y = 1`` rows would read as ``y = 0``).
    """
    import pyarrow.parquet as pq

    keys = {
        part.split("=", 1)[0]
        for p in files
        for part in p.relative_to(directory).parts[:-1]
        if "=" in part
    }
    columns = set(pq.read_schema(files[0]).names)
    clash = sorted(keys & columns)
    if clash:
        raise InputError(
            f"{directory.name}: the folder names partition column {clash[0]!r} "
            f"({clash[0]}=...), which is also a column of its files: the two would disagree; "
            "rename the folders or the column"
        )


def _open_text(path: Path) -> Any:
    """A CSV file (compressed or not) opened as text for Python's csv module."""
    import gzip

    name = path.name.lower()
    opener: Any = gzip.open if name.endswith(".gz") else open
    return opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="")


def _csv_header(path: Path) -> tuple[str, ...]:
    """The column names of a CSV file, as its header spells them (spaces kept).

    The dialect is fixed, not guessed: fields separated by commas, quoted with double
    quotes (doubled inside a field), no comment lines, the first line the header (DuckDB
    would otherwise guess a later line, skipping the rows above it).
    DuckDB reads with the same dialect and these very names.
    """
    import csv

    try:
        with _open_text(path) as handle:
            header = next(csv.reader(handle), [])
    except (OSError, EOFError, csv.Error) as exc:
        raise FileError(f"cannot read {path}: {_first_line(exc)}") from None
    for i, name in enumerate(header):
        if not name.strip():
            raise InputError(
                f"{path.name}: column {i + 1} of the header has no name; give every column one"
            )
    _check_unique(header, path)
    return tuple(header)


def _check_unique(names: list[str], path: Path) -> None:
    """Refuse repeated column names, and names that differ only in case.

    DuckDB, which reads the files, tells names apart without regard to case: it would
    rename one of ``Label`` and ``label``.
    """
    from collections import Counter

    dups = sorted(n for n, k in Counter(names).items() if k > 1)
    if dups:
        raise InputError(
            f"{path.name} has duplicate column names: {', '.join(map(repr, dups))}; "
            "rename them so each column has one name"
        )
    folded: dict[str, str] = {}
    for name in names:
        other = folded.setdefault(name.casefold(), name)
        if other != name:
            raise InputError(
                f"{path.name} has columns {other!r} and {name!r}, which differ only in case; "
                "rename one (the file engine reads names without regard to case)"
            )


def _parquet_rows(files: list[Path]) -> tuple[int, ...]:
    """Rows per file from the footers; refuses corrupt files and differing schemas."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows: list[int] = []
    first: Any = None
    for p in files:
        try:
            meta = pq.read_metadata(p)
        except (pa.ArrowException, OSError) as exc:
            raise FileError(
                f"cannot read {p}: not a valid Parquet file (corrupt or truncated?): "
                f"{_first_line(exc)}"
            ) from None
        schema = meta.schema.to_arrow_schema().remove_metadata()
        if first is None:
            _check_unique(schema.names, p)
            first = (p, schema)
        elif not schema.equals(first[1]):
            raise InputError(
                f"{p} and {first[0]} have different columns or types "
                f"({_schema_difference(first[1], schema)}); give files of one schema"
            )
        rows.append(meta.num_rows)
    return tuple(rows)


def _schema_difference(a: Any, b: Any) -> str:
    fa = {f.name: str(f.type) for f in a}
    fb = {f.name: str(f.type) for f in b}
    parts = [f"{n}: {fa[n]} vs {fb[n]}" for n in fa if n in fb and fa[n] != fb[n]]
    parts += [f"{n} only in the first" for n in fa if n not in fb]
    parts += [f"{n} only in the second" for n in fb if n not in fa]
    return "; ".join(parts[:3]) or "column order differs"


def _missing(n: int) -> str:
    return f"{n:,} missing value" + ("" if n == 1 else "s")


def _duckdb_text(exc: BaseException) -> str:
    """A DuckDB error's message; some arrive as JSON (``{"exception_message": ...}``)."""
    import json

    text = str(exc)
    start = text.find("{")
    if start >= 0 and '"exception_message"' in text:
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            data = json.loads(text[start:])
            return f"{text[:start]}{data['exception_message']}"
    return text


def _first_line(exc: BaseException | str) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


# -- SQL -------------------------------------------------------------------------------------
def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _csv_dialect(source: _Source) -> str:
    """``read_csv`` options: the dialect fixed (see :func:`_csv_header`), the names given."""
    names = ", ".join(_quote(n) for n in source.header)
    return (
        "header = true, skip = 0, delim = ',', quote = '\"', escape = '\"', comment = '', "
        f"names = [{names}]"
    )


def _file_list(source: _Source) -> str:
    """The input files as a DuckDB list of names, each matching exactly one file.

    DuckDB reads a name holding ``*``, ``?`` or ``[`` as a glob, which could match other
    files too; each of those characters is escaped as a one-character class (``[[]``).
    """
    names = (re.sub(r"([*?\[])", r"[\1]", f) for f in source.files)
    return "[" + ", ".join(_quote(n) for n in names) + "]"


def _literal(value: Label) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return _quote(str(value))


def _float(value: float) -> str:
    return f"CAST({_quote(repr(float(value)))} AS DOUBLE)"


def _scan(source: _Source, *, positions: bool, types: Mapping[str, str] | None = None) -> str:
    """A FROM clause with every input column, in input order; with ``__pos`` if asked.

    ``types`` overrides the column types DuckDB's CSV sniffer picks from its sample.
    """
    files = _file_list(source)
    if source.kind == "csv":
        override = ""
        if types:
            pairs = ", ".join(f"{_quote(name)}: {_quote(typ)}" for name, typ in types.items())
            override = f", types = {{{pairs}}}"
        scan = f"read_csv({files}, {_csv_dialect(source)}{override})"
        if not positions:
            return scan
        return f"(SELECT *, row_number() OVER () - 1 AS __pos FROM {scan})"
    hive = "true" if source.hive else "false"
    if not positions:
        return f"read_parquet({files}, hive_partitioning = {hive})"
    scan = f"read_parquet({files}, file_row_number = true, hive_partitioning = {hive})"
    if len(source.files) == 1:
        pos = "file_row_number"
    else:
        assert source.rows_per_file is not None
        offsets = np.concatenate([[0], np.cumsum(source.rows_per_file)[:-1]]).tolist()
        pos = (
            f"CAST([{', '.join(map(str, offsets))}] AS BIGINT[])"
            "[CAST(file_index AS BIGINT) + 1] + file_row_number"
        )
    return f"(SELECT * EXCLUDE (file_row_number), {pos} AS __pos FROM {scan})"


class _Engine:
    """A DuckDB connection over one input, turning DuckDB's errors into ours."""

    def __init__(self, source: _Source, *, threads: int | None = None) -> None:
        import duckdb

        self.source = source
        self.con = self.run(duckdb.connect)
        # progress is tracked (for query_progress) but never printed by DuckDB itself
        self.con.execute("SET enable_progress_bar = true")
        self.con.execute("SET enable_progress_bar_print = false")
        self.con.execute("SET preserve_insertion_order = true")
        if threads is not None:
            self.con.execute(f"SET threads = {int(threads)}")
        self.scan = _scan(source, positions=True)
        self.plain_scan = _scan(source, positions=False)
        self.columns = self._columns()
        if source.kind == "csv":
            types = _csv_types(self)
            if types:
                self.scan = _scan(source, positions=True, types=types)
                self.plain_scan = _scan(source, positions=False, types=types)
                self.columns = self._columns()

    def close(self) -> None:
        self.con.close()

    def sql(self, query: str) -> Any:
        return self.run(lambda: self.con.sql(query))

    def one(self, query: str) -> tuple[Any, ...]:
        """The first row of a query's result."""
        return tuple(self.run(lambda: self.con.execute(query).fetchall())[0])

    def execute(self, query: str) -> None:
        self.run(lambda: self.con.execute(query))

    def run(self, fn: Callable[[], Any]) -> Any:
        import duckdb

        try:
            return fn()
        except duckdb.InterruptException:
            raise _signals.current() from None
        except duckdb.Error as exc:
            if "interrupted" in str(exc).lower():  # a signal stopped the query midway
                raise _signals.current() from None
            if isinstance(exc, duckdb.OutOfMemoryException):
                raise MemoryError(_first_line(exc)) from None
            raise self._error(exc) from None
        except RuntimeError as exc:  # what a query stopped by a signal raises
            if "interrupted" in str(exc).lower():
                raise _signals.current() from None
            raise

    def _error(self, exc: Exception) -> UpweightError:
        text = _duckdb_text(exc)
        first = _first_line(text)
        where = self.source.name
        too_long = re.search(r"Maximum line size of (\d+) bytes exceeded\. Actual Size:(\d+)", text)
        if too_long:
            limit, actual = (int(n) for n in too_long.groups())
            return InputError(
                f"{where}: a line holds {actual:,} bytes, more than the {limit:,} a CSV line may "
                "hold here; shorten that field, or convert the file to Parquet"
            )
        if "CSV Error" in text or "sniff" in text.lower():
            found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
            line = re.search(r"on Line: (\d+)", text)
            if found:
                return InputError(
                    f"{where}: ragged CSV: line {line.group(1) if line else '?'} has "
                    f"{found.group(2)} fields where the header has {found.group(1)}; "
                    "fix the file (quote fields that hold commas)"
                )
            converting = re.search(
                r'converting column "(.*?)"\. Could not convert string "(.*?)" to \'(\w+)\'', text
            )
            if converting:
                column, value, typ = converting.groups()
                return InputError(
                    f"{where}: line {line.group(1) if line else '?'}, column {column!r} holds "
                    f"{value!r}, which is not a {typ} like the values before it; fix that "
                    "value, or convert the column to text"
                )
            return _ragged_line(self.source) or InputError(
                f"{where}: cannot parse the CSV: {first}"
            )
        for words in ("No space left on device", "Disk quota exceeded", "File too large"):
            if words in text:
                return FileError(
                    f"could not write the output: {words}; free space or write elsewhere"
                )
        if isinstance(exc, _io_errors()):
            return FileError(f"{where}: {first}")
        return InputError(f"{where}: {first}")

    def _columns(self) -> list[tuple[str, str]]:
        rel = self.sql(f"DESCRIBE SELECT * FROM {self.plain_scan}")
        return [(str(r[0]), str(r[1])) for r in rel.fetchall()]

    def column_type(self, name: str, what: str) -> str:
        for col, typ in self.columns:
            if col == name:
                return typ
        names = ", ".join(c for c, _ in self.columns[:20])
        raise InputError(f"{what} {name!r} not found in {self.source.name}; columns are: {names}")


_INTEGER_TYPES = frozenset(
    {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    }
)
_CSV_TYPES: dict[tuple[tuple[str, ...], tuple[tuple[int, int], ...]], dict[str, str]] = {}


# What each sniffed type is checked for over the whole input (as text), in one pass.
_WHOLE = r"'^\s*[-+]?[0-9]+\s*$'"
_DIGITS = "length(regexp_replace({v}, '[^0-9]', '', 'g'))"
_DATE = r"'^\s*[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}\s*$'"
_OFFSET = r"'[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)\s*$'"
_CHECKS: dict[str, dict[str, str]] = {
    "integer": {
        "not_whole": f"{{v}} IS NOT NULL AND NOT regexp_matches({{v}}, {_WHOLE})",
        "not_number": f"NOT regexp_matches({{v}}, {_WHOLE}) AND TRY_CAST({{v}} AS DOUBLE) IS NULL",
        # more digits than a double holds exactly (15 always fit)
        "long": f"regexp_matches({{v}}, {_WHOLE}) AND {_DIGITS} > 15",
        "not_bigint": f"regexp_matches({{v}}, {_WHOLE}) AND TRY_CAST({{v}} AS BIGINT) IS NULL",
        "not_ubigint": f"regexp_matches({{v}}, {_WHOLE}) AND TRY_CAST({{v}} AS UBIGINT) IS NULL",
        "too_long": f"regexp_matches({{v}}, {_WHOLE}) AND {_DIGITS} > 38",
    },
    "DOUBLE": {
        "not_number": "{v} IS NOT NULL AND TRY_CAST({v} AS DOUBLE) IS NULL",
        # 1e400 would read as infinity
        "overflow": "isinf(TRY_CAST({v} AS DOUBLE)) AND NOT regexp_matches(lower({v}), 'inf')",
        "long": f"regexp_matches({{v}}, {_WHOLE}) AND {_DIGITS} > 15",
    },
    # a time of day after the dates would be dropped
    "DATE": {"not_date": f"{{v}} IS NOT NULL AND NOT regexp_matches({{v}}, {_DATE})"},
    # an offset would be dropped from a timestamp without a time zone
    "TIMESTAMP": {
        "offset": f"regexp_matches({{v}}, {_OFFSET})",
        "present": "{v} IS NOT NULL",
    },
}


def _family(typ: str) -> str | None:
    return "integer" if typ in _INTEGER_TYPES else typ if typ in _CHECKS else None


def _decide(family: str, found: dict[str, int]) -> str | None:
    """The type that holds every value of a column, from what the text pass found."""
    if family == "integer":
        if found["not_whole"]:  # decimals (or text) among the integers
            return "VARCHAR" if found["not_number"] or found["long"] else "DOUBLE"
        if not found["not_bigint"]:
            return "BIGINT"
        if not found["not_ubigint"]:
            return "UBIGINT"
        return "DECIMAL(38, 0)" if not found["too_long"] else "VARCHAR"
    if family == "DOUBLE":
        return "VARCHAR" if found["not_number"] or found["overflow"] or found["long"] else None
    if family == "DATE":
        return "VARCHAR" if found["not_date"] else None
    if family == "TIMESTAMP" and found["offset"]:
        return "TIMESTAMPTZ" if found["offset"] == found["present"] else "VARCHAR"
    return None


def _csv_types(engine: _Engine) -> dict[str, str]:
    """Column types that hold every value of a CSV input, decided from the whole input.

    DuckDB's sniffer picks types from a sample of the first rows, and its casts from text
    are lenient: an integer column that holds ``60000.25`` after the sample would come out
    as ``60000``, a date column would drop a late time of day, a timestamp column a late
    offset, a double column would read ``1e400`` as infinity. So every column of those
    types is read once as text, and given a type that holds every value:

    - integers: ``BIGINT``, else ``UBIGINT``, else ``DECIMAL(38, 0)`` for larger ones;
      with decimals among them ``DOUBLE``, unless an integer has more digits than a
      double holds (or text is there too): then ``VARCHAR``;
    - doubles with text, an overflow, or an integer of more digits than a double holds
      exactly: ``VARCHAR``;
    - dates with anything but a date: ``VARCHAR``;
    - timestamps with offsets: ``TIMESTAMPTZ`` when every value has one, else ``VARCHAR``.

    Other types fail loudly on a value that does not fit (see :meth:`_Engine._error`).
    Returns the types to set (often the sniffed ones); they are remembered while the
    files stay unchanged.
    """
    source = engine.source
    key = (source.files, source.states)
    if key in _CSV_TYPES:
        return _CSV_TYPES[key]
    checked = [(n, _family(t), t) for n, t in engine.columns if _family(t) is not None]
    overrides: dict[str, str] = {}
    if checked:
        exprs, slots = [], []
        for name, family, _ in checked:
            assert family is not None
            for check, expr in _CHECKS[family].items():
                exprs.append(f"count(*) FILTER (WHERE {expr.replace('{v}', _ident(name))})")
                slots.append((name, check))
        row = engine.one(
            f"SELECT {', '.join(exprs)} FROM "
            f"read_csv({_file_list(source)}, {_csv_dialect(source)}, all_varchar = true)"
        )
        found: dict[str, dict[str, int]] = {}
        for (name, check), count in zip(slots, row, strict=True):
            found.setdefault(name, {})[check] = int(count)
        for name, family, sniffed in checked:
            assert family is not None
            decided = _decide(family, found[name])
            if decided is not None and decided != sniffed:
                overrides[name] = decided
    if len(_CSV_TYPES) > 32:
        _CSV_TYPES.clear()
    _CSV_TYPES[key] = overrides
    return overrides


def _ragged_line(source: _Source) -> InputError | None:
    """The first row whose field count differs from its header's (after a parse error)."""
    import csv
    import gzip

    for f in source.files:
        name = f.lower()
        opener: Any = gzip.open if name.endswith(".gz") else open
        with (
            contextlib.suppress(OSError, EOFError, csv.Error),
            opener(f, "rt", encoding="utf-8", errors="replace", newline="") as handle,
        ):
            reader = csv.reader(handle)
            header = next(reader, [])
            for row in reader:
                if row and len(row) != len(header):
                    return InputError(
                        f"{Path(f).name}: ragged CSV: line {reader.line_num} has {len(row)} "
                        f"fields where the header has {len(header)}; fix the file "
                        "(quote fields that hold commas)"
                    )
    return None


def _io_errors() -> tuple[type[Exception], ...]:
    import duckdb

    return (duckdb.IOException, duckdb.PermissionException)


# -- pass 1: counting ------------------------------------------------------------------------
def _count(engine: _Engine, label: str) -> dict[Label, int]:
    """Class counts from the label column alone."""
    what = f"label column {label!r}"
    typ = engine.column_type(label, "label column")
    col = _ident(label)
    table = engine.run(
        lambda: engine.con.sql(
            f"SELECT {col} AS v, count(*) AS n FROM {engine.plain_scan} GROUP BY ALL ORDER BY ALL"
        ).to_arrow_table()
    )
    values, counts = table.column("v"), table.column("n").to_pylist()
    if values.null_count:
        missing = counts[values.to_pylist().index(None)]
        raise LabelError(
            f"{what} has {_missing(missing)} in {engine.source.name}; drop or fill those rows"
        )
    if typ == "VARCHAR":
        _check_text_labels(values.to_pylist(), what)
    if not counts:
        raise InputError(f"{engine.source.name} has no data rows; give a file with data")
    encoded = encode_labels(values, name=what)
    by_label = dict(zip(encoded.classes, (int(n) for n in counts), strict=True))
    check_two_classes(by_label, what)
    return by_label


def _check_text_labels(values: list[Any], what: str) -> None:
    """A CSV column of text labels where some look like numbers mixes types.

    One where all do is numbers read as text (integers too long for a double, beside
    decimals): with a fraction among them, it is continuous, as in memory.
    """
    numeric = [v for v in values if re.fullmatch(r"\s*[-+]?\d+(\.\d*)?\s*", v)]
    if numeric and len(numeric) < len(values):
        text = next(v for v in values if v not in numeric)
        raise LabelError(
            f"{what} mixes numbers and text (e.g. {numeric[0]!r} and {text!r}); "
            "use one kind of label throughout"
        )
    if numeric and any(re.search(r"\.\d*[1-9]", v) for v in numeric):
        raise LabelError(
            f"{what} looks continuous (float values that are not whole numbers); "
            "downsampling needs class labels such as 0 / 1 or strings"
        )


# -- pass 2: selecting -----------------------------------------------------------------------
def _key_expression(engine: _Engine, key: str) -> str:
    """SQL giving each row's 64-bit key identity (see :func:`upweight._selection.key_ids`)."""
    typ = engine.column_type(key, "key column")
    col = _ident(key)
    if typ in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT"}:
        return f"CAST({col} AS BIGINT)"
    if typ in {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}:
        return f"CAST({col} AS UBIGINT)"
    if typ == "VARCHAR":
        return f"CAST(md5_number({col}) % CAST(18446744073709551616 AS UHUGEINT) AS UBIGINT)"
    raise InputError(
        f"key column {key!r} has type {typ}; a key must hold integers or text (an id column)"
    )


def _select(
    engine: _Engine,
    plan: SamplingPlan,
    *,
    label: str,
    method: Method,
    seed: int,
    key: str | None,
    progress: ProgressCallback | None,
) -> tuple[npt.NDArray[np.int64], dict[Label, int]]:
    """Sorted positions of the kept rows of downsampled classes; rows kept per class.

    Streams each row's class and (with a key) key identity through NumPy, in input
    order; memory holds the kept positions only. Classes kept whole are left to the
    write pass, which keeps them by label.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    col = _ident(label)
    code = "CASE " + " ".join(
        f"WHEN {col} = {_literal(c.label)} THEN {j}" for j, c in enumerate(plan)
    )
    ident = "NULL"
    if key is not None:
        ident = _key_expression(engine, key)
        null_keys = engine.one(
            f"SELECT count(*) FROM {engine.plain_scan} WHERE {_ident(key)} IS NULL"
        )[0]
        if null_keys:
            raise InputError(f"key column {key!r} has {_missing(null_keys)}; every row needs a key")
    # in input order, so that a row's position is its place in the stream
    query = f"SELECT {code} END AS code, {ident} AS ident FROM {engine.plain_scan}"
    n_rows = plan.n_rows
    whole = np.array([_kept_whole(c, method) for c in plan])

    def batches() -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[Any], Any]]:
        done = 0
        for batch in _batches(engine, query):
            codes = _ints(batch.column(0))
            pos = np.arange(done, done + codes.size, dtype=np.int64)
            if key is None:
                ids = pos.view(np.uint64)
            else:
                ids = _ints(pc.cast(batch.column(1), pa.uint64(), safe=False))
            done += codes.size
            if progress is not None:
                progress("selecting", done, n_rows)
            yield pos, codes, ids
        if done != n_rows:
            raise FileError(
                f"{engine.source.name} changed while it was read ({n_rows:,} rows counted, "
                f"{done:,} streamed); run again once it is no longer being written"
            )

    kept: list[npt.NDArray[np.int64]] = []
    per_code = np.zeros(len(plan.classes), dtype=np.int64)
    if method == "bernoulli":
        limits = np.array(
            [_bernoulli_limit(1.0 if whole[j] else c.keep_rate) for j, c in enumerate(plan)],
            dtype=np.uint64,
        )
        for pos, codes, ids in batches():
            keep = row_hashes(ids, seed) <= limits[codes]
            per_code += np.bincount(codes[keep], minlength=per_code.size)
            keep &= ~whole[codes]
            kept.append(pos[keep])
    else:
        targets = {j: c.kept for j, c in enumerate(plan) if not whole[j]}
        for j, chosen in _smallest_per_class(batches, targets, plan, seed).items():
            kept.append(chosen)
            per_code[j] = chosen.size
    for j, c in enumerate(plan):
        if whole[j]:
            per_code[j] = c.count
    positions = np.sort(np.concatenate(kept)) if kept else np.empty(0, np.int64)
    return positions, {c.label: int(per_code[j]) for j, c in enumerate(plan)}


_INT_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
}


def _one_pass(
    engine: _Engine,
    *,
    label: str,
    rate_hint: Callable[[Label], float] | None,
    make_plan: Callable[[dict[Label, int]], SamplingPlan],
    method: Method,
    seed: int,
    progress: ProgressCallback | None,
) -> tuple[SamplingPlan, npt.NDArray[np.int64], dict[Label, int]] | None:
    """Count and select in one pass, for Parquet files with integer or boolean labels.

    Parquet statistics give the label's range and missing values at no cost; the label
    column then streams once, in input order, counting every class and holding the rows
    whose hash lies below each class's bound: the keep rate itself (Bernoulli), or a few
    standard deviations above it (exact), tightened as rows arrive. Returns ``None`` when
    this cannot decide (the caller then counts first): text labels, CSV, a wide label
    range, keep rates that depend on the counts, or an exact bound that fell short.
    """
    typ = engine.column_type(label, "label column")
    if engine.source.kind != "parquet" or rate_hint is None or typ not in _INT_TYPES | {"BOOLEAN"}:
        return None
    col = _ident(label)
    cast = col if typ != "BOOLEAN" else f"CAST({col} AS TINYINT)"
    low, high, present, n_rows = engine.one(
        f"SELECT min({cast}), max({cast}), count({col}), count(*) FROM {engine.plain_scan}"
    )
    if present < n_rows:
        raise LabelError(
            f"label column {label!r} has {_missing(n_rows - present)} in "
            f"{engine.source.name}; drop or fill those rows"
        )
    if n_rows == 0:
        raise InputError(f"{engine.source.name} has no data rows; give a file with data")
    if high - low > 4096:
        return None
    values: list[Label] = [bool(v) if typ == "BOOLEAN" else int(v) for v in range(low, high + 1)]
    query = f"SELECT {cast} FROM {engine.plain_scan}"

    def batches() -> Iterator[HeldRows]:
        first = 0
        for batch in _batches(engine, query):
            codes = _class_codes(_ints(batch.column(0)), low)
            yield _held_by_hashing(codes, first, len(values), seed)
            first += codes.size

    return _stream_select(
        batches(),
        n_rows=n_rows,
        values=values,
        rates=np.array([min(1.0, max(0.0, rate_hint(v))) for v in values]),
        make_plan=make_plan,
        what=f"label column {label!r}",
        name=engine.source.name,
        method=method,
        seed=seed,
        progress=progress,
    )


def _class_codes(values: npt.NDArray[Any], low: int) -> npt.NDArray[Any]:
    """Labels ``low, low + 1, ...`` as class codes ``0, 1, ...`` (at most 4,097 classes)."""
    if not low and values.dtype.itemsize <= 2:
        return values
    if values.dtype.kind == "u":  # uint64 labels may not fit int64; values >= low
        return (values - values.dtype.type(low)).astype(np.int16)
    return (values.astype(np.int64) - low).astype(np.int16)


#: One batch of a streaming selection: its rows' class counts, and a function giving the
#: positions and class codes of its rows whose hash is at most their class's bound.
HeldRows = tuple[npt.NDArray[np.int64], Callable[[npt.NDArray[np.uint64]], tuple[Any, Any]]]


def _class_counts(codes: npt.NDArray[Any], n_classes: int) -> npt.NDArray[np.int64]:
    if n_classes <= 8:  # a few classes: counting each beats bincount's cast to int64
        return np.array([np.count_nonzero(codes == j) for j in range(n_classes)], np.int64)
    return np.bincount(codes, minlength=n_classes).astype(np.int64)


def _held_by_hashing(codes: npt.NDArray[Any], first: int, n_classes: int, seed: int) -> HeldRows:
    """A batch of rows ``first, first + 1, ...``, hashed block by block once bounds are known."""

    def held(bounds: npt.NDArray[np.uint64]) -> tuple[Any, Any]:
        hit = positions_below(first, codes, bounds, seed)
        return hit, codes[hit - first]

    return _class_counts(codes, n_classes), held


def _rate_bounds(
    method: Method, rates: npt.NDArray[np.float64], counts: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint64]:
    """Each class's hash bound once ``counts`` rows are seen: looser for fewer rows."""
    if method == "bernoulli":  # classes kept whole (rate 1) hold no candidates
        return np.array([_bernoulli_limit(r) if r < 1.0 else 0 for r in rates], np.uint64)
    return _exact_bounds(rates, counts)


def _stream_select(
    batches: Iterable[HeldRows],
    *,
    n_rows: int,
    values: list[Label],
    rates: npt.NDArray[np.float64],
    make_plan: Callable[[dict[Label, int]], SamplingPlan],
    what: str,
    name: str,
    method: Method,
    seed: int,
    progress: ProgressCallback | None,
) -> tuple[SamplingPlan, npt.NDArray[Any], dict[Label, int]] | None:
    """Count and select in one streaming pass over batches of rows, in input order.

    ``rates[j]`` is the most class ``j`` (``values[j]``) may keep, known before counting.
    Each batch's rows are counted, and its rows whose hash lies below their class's
    bound (:func:`_rate_bounds` for the rows seen so far: the keep rate itself for
    Bernoulli, a few standard deviations above it for exact, tightened as rows arrive)
    are held. Then the plan is made from the counts and :func:`_choose` picks the kept
    rows among those held. Returns the plan, the kept positions of the classes it
    downsamples (ascending), and the rows kept per class; or ``None`` when the rows held
    cannot decide.
    """
    counts = np.zeros(len(values), dtype=np.int64)
    found: list[tuple[Any, Any]] = []
    small = np.uint32 if n_rows < 2**32 else np.int64  # candidates take half the memory
    for batch_counts, held in batches:
        counts += batch_counts
        hit, codes = held(_rate_bounds(method, rates, counts))
        found.append((hit.astype(small, copy=False), codes))
        if progress is not None:
            progress("selecting", int(counts.sum()), n_rows)
    if counts.sum() != n_rows:
        raise FileError(f"{name} changed while it was read; run again once it is complete")
    count_map = {v: int(n) for v, n in zip(values, counts, strict=True) if n}
    check_two_classes(count_map, what)
    plan = make_plan(count_map)
    ps = np.concatenate([f[0] for f in found])
    cs = np.concatenate([f[1] for f in found])
    del found
    chosen = _choose(plan, values, ps, cs, rates, counts, method=method, seed=seed)
    if chosen is None:
        return None
    return plan, *chosen


def _kept_whole(c: ClassPlan, method: Method) -> bool:
    """Whether every row of a class is kept: its keep rate is 1, or (exact) it keeps all."""
    return c.keep_rate >= 1.0 or (method == "exact" and c.kept >= c.count)


def _choose(
    plan: SamplingPlan,
    values: list[Label],
    ps: npt.NDArray[Any],
    cs: npt.NDArray[Any],
    rates: npt.NDArray[np.float64],
    counts: npt.NDArray[np.int64],
    *,
    method: Method,
    seed: int,
) -> tuple[npt.NDArray[np.int64], dict[Label, int]] | None:
    """The kept positions of the classes ``plan`` downsamples, from a streaming pass.

    ``ps`` and ``cs`` are the positions (ascending) and class codes (indexes into
    ``values``) of the rows the pass held: for each class, at least every row whose hash
    lay below the bound for ``rates`` (the most the class may keep) and ``counts`` (its
    final count). Returns the positions (ascending) and rows kept per class, or ``None``
    when the rows held cannot decide: the plan keeps more than ``rates`` allowed, or an
    exact bound fell short.
    """
    code_of: dict[Label, int] = {v: j for j, v in enumerate(values)}
    chosen, kept = [], {c.label: c.count for c in plan}
    final = _exact_bounds(rates, counts)
    for c in plan:
        j = code_of[c.label]
        if _kept_whole(c, method):
            continue
        if c.keep_rate > rates[j] * (1 + 1e-12) or rates[j] >= 1.0:
            return None  # the plan keeps more than the bound held (nothing, at rate 1)
        mine = ps[cs == j]
        h = row_hashes(mine, seed)
        if method == "bernoulli":
            pick = mine[h <= np.uint64(_bernoulli_limit(c.keep_rate))]
        else:
            inside = h <= final[j]
            if inside.sum() < c.kept:
                return None
            mine, h = mine[inside], h[inside]
            # distinct positions have distinct hashes (SplitMix64 is a bijection): no ties
            pick = np.sort(mine[np.argpartition(h, c.kept - 1)[: c.kept]])
        chosen.append(pick)
        kept[c.label] = int(pick.size)
    positions = np.sort(np.concatenate(chosen)) if chosen else np.empty(0, np.int64)
    return positions, kept


_TOP = np.iinfo(np.uint64).max


def _bernoulli_limit(rate: float) -> int:
    """The largest hash Bernoulli keeps at ``rate``: ``u < rate`` as ``h <= limit``, exactly.

    With ``u = (h >> 11) / 2**53``, ``u < rate`` is ``(h >> 11) < ceil(rate * 2**53)``,
    that is ``h <= ceil(rate * 2**53) * 2**11 - 1``.
    """
    return int(_TOP) if rate >= 1.0 else math.ceil(rate * 2.0**53) * 2**11 - 1


def _exact_bounds(
    rates: npt.NDArray[np.float64], counts: npt.NDArray[np.int64], slack: Any = 1.0
) -> npt.NDArray[np.uint64]:
    """Hash bounds holding the ``round(N / k)`` smallest of ``N`` rows, all but surely.

    Eight standard deviations of the binomial count above the keep rate, plus 64 rows'
    worth for rounding, times ``slack``; a bound made with fewer rows than the final
    count is looser. Classes kept whole (rate 1) get bound 0; a bound that would pass
    every row is the top hash.
    """
    n = np.maximum(counts, 1).astype(np.float64)
    q = rates + slack * (8.0 * np.sqrt(rates * (1 - rates) / n) + 64.0 / n)
    out = np.full(rates.size, _TOP, dtype=np.uint64)
    out[rates >= 1.0] = 0  # classes kept whole hold no candidates (but the one row hashing 0)
    inside = (q < 1.0) & (rates < 1.0)
    out[inside] = (q[inside] * 2.0**64).astype(np.uint64)
    return out


def _ints(array: Any) -> npt.NDArray[Any]:
    """An Arrow integer array without nulls as a NumPy view.

    (pyarrow's ``to_numpy`` imports pandas on first use, which costs more than this
    whole pass on a 20M-row file.)
    """
    import pyarrow as pa

    from ._arrow_path import _as_numpy, _numpy_dtype

    if not pa.types.is_integer(array.type) or array.null_count:
        return np.asarray(array.to_numpy(zero_copy_only=False))
    dtype = _numpy_dtype(array.type)
    assert dtype is not None
    return _as_numpy(array, dtype)


def _batches(engine: _Engine, query: str) -> Iterator[Any]:
    """Arrow record batches of ``query``, in order.

    (Reading ahead on a second thread was tried: it made this pass twice as slow, the
    two threads contending for the interpreter.)
    """
    reader = engine.run(lambda: engine.con.sql(query).to_arrow_reader(_BATCH_ROWS))
    while True:
        try:
            batch = engine.run(reader.read_next_batch)
        except StopIteration:
            return
        yield batch


def _smallest_per_class(
    batches: Callable[[], Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[Any], Any]]],
    targets: dict[int, int],
    plan: SamplingPlan,
    seed: int,
) -> dict[int, npt.NDArray[np.int64]]:
    """Per class ``j``, the positions of its ``targets[j]`` smallest (hash, position).

    Memory
    stays near the rows kept: only candidates whose hash is below a bound, set a few
    standard deviations above the ``n / N`` quantile of the uniform hashes, are held; in
    the rare case that a bound falls short, the pass is repeated with a looser one.
    """
    totals = np.array([c.count for c in plan], dtype=np.int64)
    rates = np.ones(totals.size)  # rate 1: not a candidate (bound 0)
    slack = np.ones(totals.size)
    is_target = np.zeros(totals.size, dtype=bool)
    for j, n in targets.items():
        rates[j], is_target[j] = n / totals[j], True
    while True:
        bounds = _exact_bounds(rates, totals, slack)
        found: list[tuple[Any, Any, Any]] = []
        for pos, codes, ids in batches():
            h = row_hashes(ids, seed)
            cand = (h <= bounds[codes]) & is_target[codes]  # a row hashing 0 passes bound 0
            found.append((h[cand], pos[cand], codes[cand]))
        hs = np.concatenate([f[0] for f in found])
        ps = np.concatenate([f[1] for f in found])
        cs = np.concatenate([f[2] for f in found])
        del found
        chosen: dict[int, npt.NDArray[np.int64]] = {}
        for j, n in targets.items():
            m = cs == j
            if m.sum() < n and bounds[j] != _TOP:
                slack[j] *= 4.0
                break
            chosen[j] = ps[m][np.lexsort((ps[m], hs[m]))[:n]]
        else:
            return chosen


def _mask(positions: npt.NDArray[np.int64], n_rows: int) -> Any:
    """A one-column Arrow table, one bit per input row: is the row kept."""
    import pyarrow as pa

    chunks = []
    step = 1 << 23  # a multiple of 8, so that each chunk's bits start on a byte
    bounds = np.searchsorted(positions, np.arange(0, n_rows + step, step))
    for i, start in enumerate(range(0, n_rows, step)):
        stop = min(start + step, n_rows)
        bits = np.zeros(stop - start, dtype=bool)
        bits[positions[bounds[i] : bounds[i + 1]] - start] = True
        packed = np.packbits(bits, bitorder="little")
        chunks.append(
            pa.BooleanArray.from_buffers(pa.bool_(), stop - start, [None, pa.py_buffer(packed)])
        )
    return pa.table({"__keep": pa.chunked_array(chunks, type=pa.bool_())})


# -- pass 3: writing -------------------------------------------------------------------------
def _output_kind(dst: Path) -> OutputKind:
    name = dst.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if os.fspath(dst).endswith(os.sep) or dst.is_dir() or not dst.suffix:
        return "directory"
    raise FileError(
        f"unsupported file type for the output: {dst.name}; use .parquet, .pq, .csv, "
        ".csv.gz, or a name without extension for a directory of Parquet files"
    )


def _output_path(dst: PathLike) -> Path:
    """The output as a path with a name: ``.`` and ``..`` become the folders they stand for."""
    out = Path(dst)
    if out.name in ("", "..", "."):
        out = Path(os.path.abspath(out))
    if not out.name:
        raise FileError(f"output {os.fspath(dst)!r} has no name; give a file or folder name")
    return out


def _foreign_file(folder: Path) -> Path | None:
    """An entry of ``folder`` that upweight did not write there, if any.

    A folder output holds Parquet parts that carry the plan in their metadata, side by
    side, and nothing else; anything else (a hidden ``.git/``, a ``_README``, a
    subfolder, a file without the plan) is somebody else's, and a folder holding it is
    never replaced.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    for p in sorted(folder.iterdir()):
        if p.is_symlink() or not p.is_file() or p.suffix.lower() not in {".parquet", ".pq"}:
            return p
        try:
            meta = pq.read_metadata(p).metadata or {}
        except (pa.ArrowException, OSError):
            return p
        if PLAN_METADATA_KEY not in meta:
            return p
    return None


def _check_output(source: _Source, dst: Path, *, overwrite: bool) -> OutputKind:
    """Refuse an output that would lose data or change the input; return its kind."""
    kind = _output_kind(dst)
    target = dst.resolve()
    for f in source.files:
        path = Path(f).resolve()
        if path == target or target in path.parents:
            raise FileError(
                f"output {dst} would overwrite the input {f}; choose another output path "
                "(inputs are never overwritten)"
            )
    origin = Path(source.origin) if source.origin else None
    if origin is not None and origin.is_dir() and origin.resolve() in target.parents:
        raise FileError(
            f"output {dst} is inside the input folder {origin}: the next run would read it "
            "as data; write it elsewhere"
        )
    if origin is not None and is_glob(origin) and glob_matches(origin, target):
        raise FileError(
            f"output {dst} matches the input pattern {origin}: the next run would read it as "
            "data; choose another name"
        )
    if dst.is_symlink() and not dst.exists():
        raise FileError(f"output {dst} is a broken symbolic link; remove it or write elsewhere")
    if kind != "directory" and dst.is_dir():
        raise FileError(f"output {dst} is a directory; give a file name")
    if kind == "directory" and dst.exists() and not dst.is_dir():
        raise FileError(f"output {dst} is a file; give a directory name, or .parquet / .csv")
    if dst.exists() and not overwrite:
        raise FileError(f"output {dst} exists; pass --overwrite to replace it")
    if kind == "directory" and dst.is_dir():
        foreign = _foreign_file(dst)
        if foreign is not None:
            raise FileError(
                f"output folder {dst} holds {foreign.relative_to(dst)}, which upweight did not "
                "write; --overwrite replaces only a folder that upweight wrote: give a new "
                "folder name"
            )
    sidecar = plan_sidecar(dst) if kind == "csv" else None
    if sidecar is not None and os.path.lexists(sidecar) and (sidecar.is_dir() or not overwrite):
        raise FileError(f"{sidecar}, where the plan goes, exists; pass --overwrite or remove it")
    if not dst.parent.exists():
        raise FileError(f"output folder {dst.parent} does not exist; create it first")
    if not dst.parent.is_dir():
        raise FileError(f"{dst.parent} is a file, not a folder; give an output in a folder")
    return kind


def _copy_options(kind: OutputKind, dst: Path, plan_json: str) -> str:
    if kind == "csv":
        name = dst.name.lower()
        compression = "gzip" if name.endswith(".gz") else None
        return "FORMAT csv, HEADER true" + (f", COMPRESSION {compression}" if compression else "")
    meta = f"KV_METADATA {{{_quote(PLAN_METADATA_KEY.decode())}: {_quote(plan_json)}}}"
    if kind == "directory":
        return f"FORMAT parquet, FILE_SIZE_BYTES {_PART_BYTES}, {meta}"
    return f"FORMAT parquet, {meta}"


@contextlib.contextmanager
def _polling(engine: _Engine, total: int, progress: ProgressCallback | None) -> Iterator[None]:
    """Report DuckDB's progress on the running query as rows read, from a side thread."""
    if progress is None:
        yield
        return

    def poll() -> None:
        with contextlib.suppress(Exception):
            pct = float(engine.con.query_progress())
            if pct >= 0:
                progress("writing", int(total * min(pct, 100.0) / 100.0), total)

    with every(0.2, poll, "upweight-progress"):
        yield
    progress("writing", total, total)


def _write(
    engine: _Engine,
    plan: SamplingPlan,
    positions: npt.NDArray[np.int64],
    *,
    label: str,
    weight_col: str,
    tmp: Path,
    kind: OutputKind,
    dst: Path,
    progress: ProgressCallback | None,
) -> None:
    """Every column of the kept rows, in input order, with the weight column.

    The kept rows are marked in a bitmask aligned with the input by DuckDB's positional
    join, which keeps the input's order without sorting and reads the input once.
    """
    col = _ident(label)
    weight = (
        "CASE "
        + " ".join(f"WHEN s.{col} = {_literal(c.label)} THEN {_float(c.weight)}" for c in plan)
        + " END"
    )
    engine.con.register("__mask", _mask(positions, plan.n_rows))
    columns = ", ".join(f"s.{_ident(c)}" for c, _ in engine.columns)
    whole = [_literal(c.label) for c in plan if c.kept == c.count]
    keep = f"s.{col} IN ({', '.join(whole)}) OR m.__keep" if whole else "m.__keep"
    query = (
        f"SELECT {columns}, {weight} AS {_ident(weight_col)} "
        f"FROM {engine.plain_scan} AS s POSITIONAL JOIN __mask AS m WHERE {keep}"
    )
    options = _copy_options(kind, dst, plan.to_json())
    with _polling(engine, plan.n_rows, progress):
        engine.execute(f"COPY ({query}) TO {_quote(str(tmp))} ({options})")
    engine.con.unregister("__mask")


def _commit(staged: list[tuple[Path, Path]], *, overwrite: bool) -> None:
    """Rename temporaries into place together; a signal waits until all are renamed.

    If one rename fails (an output appeared meanwhile), the ones already made are undone.
    """
    with folder_locked(staged[-1][1].parent), _signals.deferred():
        done: list[Path] = []
        try:
            for tmp, final in staged:
                commit(tmp, final, overwrite=overwrite)
                done.append(final)
        except BaseException:
            for final in done:
                remove(final)
            raise


# -- public API ------------------------------------------------------------------------------
def _release_memory() -> None:
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


@contextlib.contextmanager
def _engine(src: PathLike | _Source, threads: int | None = None) -> Iterator[_Engine]:
    engine = _Engine(src if isinstance(src, _Source) else _resolve(src), threads=threads)
    try:
        yield engine
    finally:
        engine.close()


def profile_file(src: PathLike, *, label: str, batch_size: int | None = None) -> ImbalanceProfile:
    """Profile the label column of a file, a directory or a glob of files.

    Reads the label column alone (one pass, in parallel, in bounded memory).

    Parameters
    ----------
    src : str or path
        A CSV file (``.csv``, ``.csv.gz``), a Parquet file (``.parquet``, ``.pq``), a
        directory of Parquet files (hive-partitioned too), or a glob such as
        ``"data/*.parquet"``.
    label : str
        Name of the label column.
    batch_size : int, optional
        Also describe what batches of this size hold of the rarest class.

    Returns
    -------
    ImbalanceProfile

    Raises
    ------
    FileError
        The input is missing, unreadable, empty or corrupt.
    InputError
        The label column is missing, or files of a directory differ in schema.
    LabelError
        Missing labels, a single class, or labels mixing numbers and text.

    Examples
    --------
    >>> import tempfile, pathlib, upweight
    >>> from upweight.datasets import make_imbalanced
    >>> import pyarrow.parquet as pq
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "data.parquet"
    >>> pq.write_table(make_imbalanced(10_000, random_state=0).to_arrow(), path)
    >>> prof = upweight.profile_file(path, label="label")
    >>> prof.counts
    (9909, 91)
    """
    from ._profile import profile

    with _engine(src) as engine:
        counts = _count(engine, label)
        engine.source.check_unchanged()
    return profile(counts, batch_size=batch_size)


def sample_file(
    src: PathLike,
    dst: PathLike,
    *,
    label: str,
    factor: float | Mapping[Label, float] | None = None,
    target_share: float | None = None,
    plan: SamplingPlan | None = None,
    upweight: float | Mapping[Label, float] | None = None,
    weights: WeightMode = "factor",
    method: Method = "exact",
    seed: int = 0,
    key: str | None = None,
    weight_col: str = "weight",
    overwrite: bool = False,
    threads: int | None = None,
    progress: ProgressCallback | None = None,
) -> SamplingPlan:
    """Downsample a file larger than memory and write it with a weight column.

    Streams the input in bounded memory and in parallel: the labels first (class counts,
    hence the plan, and the rows to keep, from their positions and labels), then every
    column of the kept rows. Parquet to Parquet runs on pyarrow, everything else on
    DuckDB; both give the same output. The output keeps the input's row order and
    carries the applied plan: in Parquet key-value metadata under ``upweight.plan`` (see
    :func:`read_plan`), or next to a CSV output as ``OUT.plan.json``. It is written to a
    temporary name and renamed into place only when complete: an error or Ctrl-C leaves
    no partial output, and an input is never overwritten.

    Parameters
    ----------
    src : str or path
        CSV file, Parquet file, directory of Parquet files (hive-partitioned too), or glob.
    dst : str or path
        Output: ``.parquet`` / ``.pq`` (Parquet), ``.csv`` / ``.csv.gz`` (CSV), or a path
        without extension for a directory of Parquet files.
    label : str
        Name of the label column.
    factor, target_share, upweight, weights
        As in :func:`upweight.plan`: the downsampling factor (or per-class factors), or
        the minority share wanted; the weight of kept rows; the weight mode.
    plan : SamplingPlan, optional
        A plan made earlier for these class counts, instead of ``factor`` /
        ``target_share``.
    method : {"exact", "bernoulli"}, default="exact"
        ``"exact"`` keeps exactly ``round(N / k)`` rows of a downsampled class;
        ``"bernoulli"`` keeps each with probability ``1 / k`` (one pass fewer).
    seed : int, default=0
        Same input and seed, same rows -- whatever the thread count, and the same rows as
        :func:`upweight.downsample` with ``random_state=seed`` on the same data.
    key : str, optional
        Decide by this column's value (an id) instead of the row position: the same key
        gets the same decision in any file, order or engine (see
        :mod:`upweight._selection` for the scheme).
    weight_col : str, default="weight"
        Name of the weight column added to the output.
    overwrite : bool, default=False
        Replace ``dst`` if it exists.
    threads : int, optional
        Threads reading the input (default: one per core). The output does not depend on
        it.
    progress : callable, optional
        Called as ``progress(phase, rows_read, rows_total)`` while the passes run;
        ``phase`` is ``"selecting"`` or ``"writing"``.

    Returns
    -------
    SamplingPlan
        The plan as applied: rows kept and weight per class, method and seed.

    Raises
    ------
    FileError
        Missing, unreadable, empty or corrupt input; an output that exists or would
        overwrite the input; a write that fails (disk full).
    InputError, LabelError, PlanError
        Bad columns, labels, or plan options.

    Examples
    --------
    >>> import tempfile, pathlib, upweight
    >>> from upweight.datasets import make_imbalanced
    >>> import pyarrow.parquet as pq
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pq.write_table(make_imbalanced(10_000, random_state=0).to_arrow(), folder / "in.parquet")
    >>> applied = upweight.sample_file(
    ...     folder / "in.parquet", folder / "out.parquet", label="label", factor=25
    ... )
    >>> applied.kept
    {0: 396, 1: 91}
    >>> upweight.read_plan(folder / "out.parquet") == applied
    True
    """
    method = check_method(method)
    weights = check_weight_mode(weights)
    weight_col = check_weight_col(weight_col)
    if plan is not None and not isinstance(plan, SamplingPlan):
        raise PlanError(
            f"plan must be a SamplingPlan (see upweight.plan, or SamplingPlan.from_json for "
            f"a saved one); got {type(plan).__name__}"
        )
    if not isinstance(overwrite, bool):
        raise InputError(f"overwrite must be True or False; got {overwrite!r}")
    seed = check_seed(seed)
    threads = thread_count(threads)
    out = _output_path(dst)
    source = _resolve(src)
    kind = _check_output(source, out, overwrite=overwrite)
    remove_stale_temporaries(out.parent)

    def make_plan(counts: dict[Label, int]) -> SamplingPlan:
        return resolve_plan(
            counts,
            plan=plan,
            factor=factor,
            target_share=target_share,
            upweight=upweight,
            weights=weights,
        )

    hint = keep_rate_ceiling(plan, factor, target_share)
    arrow_covers = kind == source.kind == "parquet" and not source.hive and key is None
    if arrow_covers and hint is not None and source.n_rows:
        from ._arrow_path import sample_parquet

        files, n_rows = source.files, source.n_rows
        written = _staged(
            out,
            kind,
            lambda tmp: sample_parquet(
                files,
                n_rows,
                tmp,
                name=source.name,
                label=label,
                weight_col=weight_col,
                rate_hint=hint,
                make_plan=make_plan,
                method=method,
                seed=seed,
                threads=threads,
                progress=progress,
            ),
            overwrite=overwrite,
            source=source,
        )
        if written is not None:  # else DuckDB's path takes it
            return written
    with _engine(source, threads) as engine:
        check_weight_col(weight_col, [c for c, _ in engine.columns], ignore_case=True)
        engine.column_type(label, "label column")
        if key is not None:
            engine.column_type(key, "key column")
        quick = None
        if key is None:
            quick = _one_pass(
                engine,
                label=label,
                rate_hint=hint,
                make_plan=make_plan,
                method=method,
                seed=seed,
                progress=progress,
            )
        if quick is not None:
            the_plan, positions, kept = quick
        else:
            the_plan = make_plan(_count(engine, label))
            positions, kept = _select(
                engine, the_plan, label=label, method=method, seed=seed, key=key, progress=progress
            )
        applied = the_plan.applied(kept, method=method, seed=seed)
        _release_memory()

        def write(tmp: Path) -> SamplingPlan:
            _write(
                engine,
                applied,
                positions,
                label=label,
                weight_col=weight_col,
                tmp=tmp,
                kind=kind,
                dst=out,
                progress=progress,
            )
            return applied

        _staged(out, kind, write, overwrite=overwrite, source=source)
    return applied


def _staged(
    out: Path,
    kind: OutputKind,
    write: Callable[[Path], SamplingPlan | None],
    *,
    overwrite: bool,
    source: _Source,
) -> SamplingPlan | None:
    """Run ``write`` into a temporary, then rename it (and the CSV's plan file) into place.

    ``write`` returns the applied plan, or ``None`` when it wrote nothing. On any error,
    or an interruption, the temporaries are removed and the output is untouched. Before
    the rename the input is checked again: if it changed while it was read, nothing is
    written.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        tmp = temporary(out)
        staged.append((tmp, out))
        applied = write(tmp)
        if applied is None:
            remove(tmp)
            return None
        sidecar = plan_sidecar(out) if kind == "csv" else None
        if sidecar is not None:
            side_tmp = temporary(sidecar)
            staged.insert(0, (side_tmp, sidecar))
            side_tmp.write_text(applied.to_json(), encoding="utf-8")
        for t, _ in staged:
            fsync_tree(t)
        source.check_unchanged()
        _commit(staged, overwrite=overwrite)
    except BaseException as exc:
        for t, _ in staged:
            remove(t)
        if isinstance(exc, OSError) and not isinstance(exc, FileError):
            why = exc.strerror or _first_line(exc)
            raise FileError(f"could not write {out}: {why}; {hint_for(exc)}") from None
        raise
    return applied


def read_plan(path: PathLike) -> SamplingPlan:
    """The sampling plan that travels with a file written by upweight.

    Parameters
    ----------
    path : str or path
        A Parquet file (plan in its metadata), a directory of Parquet files written by
        :func:`sample_file`, or a CSV file with its ``.plan.json`` beside it.

    Returns
    -------
    SamplingPlan
        Per class: original count, factor, keep rate, rows kept, weight; weight mode,
        method and seed. Pass it to :func:`upweight.correct_proba` or
        :func:`upweight.metrics.evaluate` without counting the data again.

    Raises
    ------
    FileError
        The file is missing or carries no plan.

    Examples
    --------
    >>> import tempfile, pathlib, upweight
    >>> from upweight.datasets import make_imbalanced
    >>> import pyarrow.parquet as pq
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pq.write_table(make_imbalanced(5_000, random_state=1).to_arrow(), folder / "in.pq")
    >>> _ = upweight.sample_file(folder / "in.pq", folder / "out.pq", label="label", factor=10)
    >>> plan = upweight.read_plan(folder / "out.pq")
    >>> plan.factors, plan.seed
    ({0: 10.0, 1: 1.0}, 0)
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = Path(path)
    if not p.exists():
        raise FileError(f"file not found: {p}")
    if p.is_dir():
        parts = sorted(
            q
            for q in p.rglob("*")
            if q.is_file()
            and q.suffix.lower() in {".parquet", ".pq"}
            and not _hidden(q.relative_to(p).parts)
        )
        if not parts:
            raise FileError(f"no Parquet files in {p}, so no plan to read")
        p = parts[0]
    if file_format(p) == "csv":
        sidecar = plan_sidecar(p)
        assert sidecar is not None
        if not sidecar.exists():
            raise FileError(f"no plan beside {p} (expected {sidecar.name})")
        return SamplingPlan.from_json(sidecar.read_text(encoding="utf-8"))
    try:
        meta = pq.read_metadata(p).metadata or {}
    except (pa.ArrowException, OSError) as exc:
        raise FileError(f"{p} is not a readable Parquet file: {_first_line(exc)}") from None
    if PLAN_METADATA_KEY not in meta:
        raise FileError(f"{p} carries no upweight plan (it was not written by upweight)")
    return SamplingPlan.from_json(meta[PLAN_METADATA_KEY])


# -- for the sweep: labels once, then only the rows a configuration needs -------------------
def column_names(src: PathLike) -> tuple[list[str], str]:
    """Column names of a file, directory or glob (hive partition columns included)."""
    with _engine(src) as engine:
        return [c for c, _ in engine.columns], engine.source.name


def read_labels(src: PathLike, *, label: str) -> Any:
    """The label column of a file, directory or glob, in input order, as an Arrow array.

    Only the label column is read. The sweep counts and splits on it, then reads the rows
    each configuration trains on with :func:`read_rows`.
    """
    import pyarrow as pa

    with _engine(src) as engine:
        _count(engine, label)  # the same checks as sampling: missing, mixed, one class
        col = _ident(label)
        batches = list(_batches(engine, f"SELECT {col} FROM {engine.plain_scan}"))
        engine.source.check_unchanged()
    return pa.chunked_array([b.column(0) for b in batches]).combine_chunks()


def read_rows(src: PathLike, positions: npt.ArrayLike, *, columns: list[str] | None = None) -> Any:
    """The rows at ``positions`` (input order) of a file, directory or glob, as Arrow.

    DuckDB reads the input once, keeping the marked rows through a positional join;
    memory holds the rows returned and one bit per input row.
    """
    pos = np.unique(np.asarray(positions, dtype=np.int64))
    with _engine(src) as engine:
        names = [c for c, _ in engine.columns] if columns is None else list(columns)
        for name in names:
            engine.column_type(name, "column")
        n_rows = engine.source.n_rows
        if n_rows is None:
            n_rows = int(engine.one(f"SELECT count(*) FROM {engine.plain_scan}")[0])
        if pos.size and (pos[0] < 0 or pos[-1] >= n_rows):
            raise InputError(f"row positions must lie in [0, {n_rows}); got {pos[0]}..{pos[-1]}")
        engine.con.register("__mask", _mask(pos, n_rows))
        cols = ", ".join(f"s.{_ident(c)}" for c in names)
        query = f"SELECT {cols} FROM {engine.plain_scan} AS s POSITIONAL JOIN __mask AS m"
        table = engine.run(lambda: engine.con.sql(f"{query} WHERE m.__keep").to_arrow_table())
        engine.source.check_unchanged()
        return table
