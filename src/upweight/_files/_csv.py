"""The CSV format: a fixed dialect, the header's own names, and types that hold every value.

DuckDB reads CSV files; left to itself it would guess the dialect (an apostrophe as the
quote, ``#`` as a comment, a later line as the header) and pick column types from a sample
of the first rows. Here the dialect is fixed -- commas, double quotes (doubled inside a
field), no comment lines, the first line the header, read by Python's ``csv`` module for
the names -- and the types are checked over the whole input (:func:`csv_types`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import FileError, InputError, UpweightError
from ._common import Inspection, check_unique, first_line
from ._sql import file_list, ident, quote

if TYPE_CHECKING:
    from ._duckdb import Engine
    from ._source import Source

__all__ = ["CSV", "csv_types"]


def open_text(path: Path) -> Any:
    """A CSV file (compressed or not) opened as text for Python's csv module."""
    import gzip

    name = path.name.lower()
    opener: Any = gzip.open if name.endswith(".gz") else open
    return opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="")


def csv_header(path: Path) -> tuple[str, ...]:
    """The column names of a CSV file, as its header spells them (spaces kept).

    The dialect is fixed, not guessed: fields separated by commas, quoted with double
    quotes (doubled inside a field), no comment lines, the first line the header (DuckDB
    would otherwise guess a later line, skipping the rows above it).
    DuckDB reads with the same dialect and these very names.
    """
    import csv

    _check_text(path)
    try:
        with open_text(path) as handle:
            header = next(csv.reader(handle), [])
    except (OSError, EOFError, csv.Error) as exc:
        raise FileError(f"cannot read {path}: {first_line(exc)}") from None
    check_unique(header, path)
    return tuple(header)


_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed data (name it .csv.gz)"),
    (b"PAR1", "a Parquet file (name it .parquet)"),
    (b"PK\x03\x04", "a zip archive (an Excel workbook? save it as CSV)"),
    (b"\xff\xfe", "UTF-16 text (save it as UTF-8)"),
    (b"\xfe\xff", "UTF-16 text (save it as UTF-8)"),
)


def _check_text(path: Path) -> None:
    """Refuse, in words, a CSV input that is not UTF-8 text.

    Binary data or another encoding would otherwise surface as a "ragged" line or an
    unnamed parse error deep in the file.
    """
    import gzip

    try:
        with (gzip.open if path.name.lower().endswith(".gz") else open)(path, "rb") as f:
            head = f.read(1 << 16)
    except (OSError, EOFError):
        return  # the header read words it
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise InputError(f"{path.name} is not a text CSV: it holds {what}")
    if b"\x00" in head:
        raise InputError(f"{path.name} is not a text CSV: it holds binary data (NUL bytes)")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not a character cut by the end of the block
            line = head[: exc.start].count(b"\n") + 1
            raise InputError(not_utf8(path.name, line)) from None


def not_utf8(name: str, line: int | str) -> str:
    """The words for a CSV that is not UTF-8, with the fix."""
    return (
        f"{name} is not UTF-8 text (line {line}); convert it, for example with "
        f"iconv -f latin1 -t utf-8 {name} > utf8.csv"
    )


def name_difference(first: tuple[str, ...], second: tuple[str, ...]) -> str:
    only_first = [n for n in first if n not in second]
    only_second = [n for n in second if n not in first]
    parts = [f"{n!r} only in the first" for n in only_first[:2]]
    parts += [f"{n!r} only in the second" for n in only_second[:2]]
    return "; ".join(parts) or "the order differs"


def csv_dialect(source: Source, *, names: bool = True) -> str:
    """``read_csv`` options: the dialect fixed (see :func:`csv_header`), the names given."""
    dialect = "header = true, skip = 0, delim = ',', quote = '\"', escape = '\"', comment = ''"
    if not names:
        return dialect
    return dialect + f", names = [{', '.join(quote(n) for n in source.header)}]"


INTEGER_TYPES = frozenset(
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
    return "integer" if typ in INTEGER_TYPES else typ if typ in _CHECKS else None


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


@dataclass(frozen=True)
class Decided:
    """The types of every column of a CSV input, and the date formats its sniffer found."""

    types: dict[str, str]
    options: str  # ``dateformat``/``timestampformat`` options for ``read_csv``, or ""


_DECIDED: dict[tuple[Any, ...], Decided] = {}
# beyond this many checks a query is run on the values unpivoted: DuckDB's time to plan
# one aggregate per check grows with the square of their number (3,000 took 30 s)
_WIDE_CHECKS = 192


def csv_types(engine: Engine) -> Decided:
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

    Other types fail loudly on a value that does not fit (see :meth:`Engine._error`).
    The sniffer runs once, on the first file; every later read gives all the types and
    skips it (its time grows with the square of the column count: 16 s for 5,000).
    The result is remembered while the files stay unchanged.
    """
    source = engine.source
    key = (source.files, source.states)
    if key in _DECIDED:
        return _DECIDED[key]
    sniffed = engine.one(
        f"SELECT Columns, DateFormat, TimestampFormat FROM sniff_csv("
        f"{quote(source.files[0])}, {csv_dialect(source)})"
    )
    columns = [(str(c["name"]), str(c["type"])) for c in sniffed[0]]
    if [n for n, _ in columns] != list(source.header):  # as the header spells them
        columns = list(zip(source.header, (t for _, t in columns), strict=False))
    types = dict(columns)
    checked = [(n, _family(t), t) for n, t in columns if _family(t) is not None]
    found = _text_checks(engine, [(n, f) for n, f, _ in checked if f is not None])
    for name, family, _ in checked:
        assert family is not None
        decided = _decide(family, found[name])
        if decided is not None:
            types[name] = decided
    options = "".join(
        f", {option} = {quote(str(fmt))}"
        for option, fmt in (("dateformat", sniffed[1]), ("timestampformat", sniffed[2]))
        if fmt and any(t in ("DATE", "TIMESTAMP", "TIMESTAMPTZ") for t in types.values())
    )
    if len(_DECIDED) > 32:
        _DECIDED.clear()
    _DECIDED[key] = Decided(types, options)
    return _DECIDED[key]


def _text_checks(engine: Engine, checked: list[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """How many values of each column fail each check of its family, read as text."""
    source = engine.source
    text = ", ".join(f"{quote(n)}: 'VARCHAR'" for n in source.header)
    scan = (
        f"read_csv({file_list(source.files)}, {csv_dialect(source, names=False)}, "
        f"auto_detect = false, columns = {{{text}}})"
    )
    found: dict[str, dict[str, int]] = {name: {} for name, _ in checked}
    if sum(len(_CHECKS[family]) for _, family in checked) <= _WIDE_CHECKS:
        exprs, slots = [], []
        for name, family in checked:
            for check, expr in _CHECKS[family].items():
                exprs.append(f"count(*) FILTER (WHERE {expr.replace('{v}', ident(name))})")
                slots.append((name, check))
        if exprs:
            row = engine.one(f"SELECT {', '.join(exprs)} FROM {scan}")
            for (name, check), count in zip(slots, row, strict=True):
                found[name][check] = int(count)
        return found
    for family in sorted({f for _, f in checked}):
        names = [n for n, f in checked if f == family]
        checks = list(_CHECKS[family].items())
        counts = ", ".join(
            f"count(*) FILTER (WHERE {expr.replace('{v}', '__value')})" for _, expr in checks
        )
        rows = engine.sql(
            f"SELECT __name, {counts} FROM (UNPIVOT (SELECT {', '.join(map(ident, names))} "
            f"FROM {scan}) ON {', '.join(map(ident, names))} INTO NAME __name VALUE __value) "
            "GROUP BY __name"
        ).fetchall()
        for name in names:
            found[name] = {check: 0 for check, _ in checks}
        for row in rows:
            found[str(row[0])] = {
                check: int(n) for (check, _), n in zip(checks, row[1:], strict=True)
            }
    return found


def ragged_line(source: Source) -> InputError | None:
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


class CSV:
    """CSV files (``.csv``, ``.csv.gz``): read and written through DuckDB.

    The plan of a CSV output goes beside it, as ``OUT.plan.json``.
    """

    name = "csv"
    suffixes: tuple[str, ...] = (".csv.gz", ".csv")
    in_folders = False
    plan_inside = False

    def inspect(self, files: list[Path], directory: Path | None) -> Inspection:
        """The header of the first file; every file must have the same one."""
        header = csv_header(files[0])
        for p in files[1:]:
            other = csv_header(p)
            if other != header:
                raise InputError(
                    f"{files[0].name} and {p.name} have different columns "
                    f"({name_difference(header, other)}); give files of one schema"
                )
        return Inspection(rows_per_file=None, hive=False, header=header)

    def scan(
        self, source: Source, *, positions: bool, types: Mapping[str, str] | None = None
    ) -> str:
        """A FROM clause with every column, in order; ``__pos`` (line order) if asked."""
        if types:  # every column's: the sniffer is skipped
            pairs = ", ".join(f"{quote(name)}: {quote(types[name])}" for name in source.header)
            decided = _DECIDED.get((source.files, source.states))
            options = decided.options if decided is not None else ""
            scan = (
                f"read_csv({file_list(source.files)}, {csv_dialect(source, names=False)}, "
                f"auto_detect = false, columns = {{{pairs}}}{options})"
            )
        else:
            scan = f"read_csv({file_list(source.files)}, {csv_dialect(source)})"
        if not positions:
            return scan
        return f"(SELECT *, row_number() OVER () - 1 AS __pos FROM {scan})"

    def column_types(self, engine: Engine) -> dict[str, str]:
        """The type of every column, one that holds every value (see csv_types)."""
        return csv_types(engine).types

    def parse_error(self, source: Source, text: str) -> UpweightError | None:
        """DuckDB's CSV errors in words.

        An over-long line, a ragged line, a value that does not fit its column's type.
        """
        where = source.name
        line = re.search(r"on Line: (\d+)", text)  # DuckDB's own words come first
        # first: a conversion error quotes the value, which may read like the others
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
        too_long = re.search(r"Maximum line size of (\d+) bytes exceeded\. Actual Size:(\d+)", text)
        if too_long:
            limit, actual = (int(n) for n in too_long.groups())
            return InputError(
                f"{where}: a line holds {actual:,} bytes, more than the {limit:,} a CSV line may "
                "hold here; shorten that field, or convert the file to Parquet"
            )
        if "CSV Error" not in text and "sniff" not in text.lower():
            return None
        if "Invalid unicode" in text:
            return InputError(not_utf8(where, line.group(1) if line else "?"))
        found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
        if found:
            return InputError(
                f"{where}: ragged CSV: line {line.group(1) if line else '?'} has "
                f"{found.group(2)} fields where the header has {found.group(1)}; "
                "fix the file (quote fields that hold commas)"
            )
        return ragged_line(source) or InputError(
            f"{where}: cannot parse the CSV: {first_line(text)}"
        )

    def copy_options(self, dst: Path, plan_json: str, *, folder: bool) -> str:
        """DuckDB ``COPY`` options; the plan goes beside the file, not in it."""
        gzip = dst.name.lower().endswith(".gz")
        return "FORMAT csv, HEADER true" + (", COMPRESSION gzip" if gzip else "")
