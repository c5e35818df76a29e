"""Hostile input for the file engine: hypothesis generates CSV and Parquet files and runs
``sample_file``, ``profile_file`` and the ``sample`` / ``analyze`` commands on them.

Every run either

(a) succeeds, and its output equals -- row for row, value for value -- what the in-memory
    engine gives on the same data (:func:`upweight.select` on the labels as written),
    with column types that hold every input value exactly, and carries the plan it
    returned; or
(b) refuses with an :class:`upweight.UpweightError` whose message is one line (the
    command line: exit code 2, one line on stderr starting ``error: ``, nothing on
    stdout).

And always: no temporary or other new file in the output or input folders (besides the
output and a CSV's ``OUT.plan.json``), and the inputs are byte-identical afterwards.

A refusal is accepted only where the generated case holds something a refusal may answer
(missing labels, a single class, a CSV value that does not fit its column's type...):
clean data must go through.

The data sets are small (a few dozen rows), except the "late type change" cases: a CSV
column that holds one type for 25,000 rows -- beyond DuckDB's sniffing sample of 20,480
-- and then a decimal, a text or an empty field.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import decimal
import gzip
import hashlib
import io
import itertools
import math
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import upweight
from upweight import UpweightError

# -- odd names and values ---------------------------------------------------------------------
NASTY_NAMES = [
    "[/bold]",
    "[red]x",
    "[bold red]amount[/]",
    "$x$",
    "$\\alpha$",
    "a,b",
    'q"uote',
    "it's",
    "sp ace",
    " lead",
    "trail ",
    "ünï©ødé",
    "日本語",
    "emoji 😀",
    "SELECT",
    "select * from t",
    "order",
    "group by",
    'x"; DROP TABLE t; --',
    "a.b",
    "*",
    "1",
    "-x",
    "__pos",
    "__keep",
    "__mask",
    "file_row_number",
    "file_index",
    "filename",
    "rowid",
    "column0",
    "NULL",
    "true",
    "%s",
    "{0}",
    "\\",
    "a\tb",
    "s",
    "m",
    "v",
    "n",
    "code",
    "ident",
    "x",
    "X",
    "y",
    "Y",
    "Label",
    "label",
]
NAME_ALPHABET = st.sampled_from(list("abcXYZ_ $[]/\"',.;-*()é日😀0123456789"))
names = st.one_of(
    st.sampled_from(NASTY_NAMES),
    st.text(NAME_ALPHABET, min_size=1, max_size=8),
)

NASTY_TEXT = [
    "[/bold]",
    "[red]legit",
    "$fraud$",
    "$\\frac{1}{2}$",
    "legit",
    "fraud",
    "a,b",
    'q"uote',
    "it's",
    " padded ",
    "x y",
    "ünï©ødé",
    "日本",
    "😀",
    "NULL",
    "null",
    "None",
    "NA",
    "N/A",
    "\\N",
    "line\nbreak",
    "tab\there",
    "semi;colon",
    "-",
    "'",
    '"',
    "O'Brien",
    "'quoted",
    "#tag",
    "#1",
    "# comment",
]


def looks_typed(text: str) -> bool:
    """A text a CSV reader might take for a number, a boolean, a date or a missing value."""
    t = text.strip().lower()
    if t in {
        "",
        "true",
        "false",
        "t",
        "f",
        "yes",
        "no",
        "y",
        "n",
        "nan",
        "inf",
        "-inf",
        "+inf",
        "infinity",
        "-infinity",
        "null",
        "none",
        "na",
        "n/a",
        "\\n",
        "-",
    }:
        return True
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", t):
        return True
    try:
        dt.datetime.fromisoformat(t)
        return True
    except ValueError:
        pass
    return False


text_values = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=6),
)
label_texts = st.one_of(
    st.sampled_from([t for t in NASTY_TEXT if not looks_typed(t) and "\n" not in t]),
    st.text(st.sampled_from(list("abXY[]/$ _é😀,\"'")), min_size=1, max_size=6),
).filter(lambda t: not looks_typed(t) and t == t.strip())

EPOCH = dt.date(2000, 1, 1)


# -- a data set -------------------------------------------------------------------------------
@dataclass
class Column:
    name: str
    kind: str  # int, uint64, float, bool, str, date, ts
    values: list[Any]  # typed Python values; None is missing

    def __repr__(self) -> str:  # a late case holds 25,000 values: show a few
        shown = self.values if len(self.values) <= 60 else [*self.values[:8], "..."]
        return f"Column({self.name!r}, {self.kind!r}, {len(self.values)} values: {shown!r})"


@dataclass
class Case:
    columns: list[Column]
    label: str
    fmt: str  # csv, csv.gz, csv-glob, parquet, parquet-dir, parquet-glob
    # CSV: the text written for each row of each column (None: an empty field); a late
    # type change replaces one cell's text
    refusable: list[str] = field(default_factory=list)
    late: tuple[str, int, str] | None = None  # column, row, text
    files: list[tuple[str, int, int]] = field(default_factory=list)  # path, start, stop
    decoys: list[str] = field(default_factory=list)  # hidden copies that must be ignored
    row_groups: list[list[int]] = field(default_factory=list)  # per file: row group sizes

    @property
    def n_rows(self) -> int:
        return len(self.columns[0].values)

    @property
    def is_csv(self) -> bool:
        return self.fmt.startswith("csv")

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def csv_text(value: Any) -> str | None:
    """How a value is written in a CSV file (None: an empty field)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def arrow_type(kind: str) -> pa.DataType:
    return {
        "int": pa.int64(),
        "int32": pa.int32(),
        "int8": pa.int8(),
        "uint64": pa.uint64(),
        "float": pa.float64(),
        "float32": pa.float32(),
        "bool": pa.bool_(),
        "str": pa.string(),
        "date": pa.date32(),
        "ts": pa.timestamp("us"),
        "decimal": pa.decimal128(20, 2),
        "binary": pa.binary(),
        "large_str": pa.large_string(),
        "dict_str": pa.dictionary(pa.int32(), pa.string()),
        "ts_tz": pa.timestamp("us", tz="UTC"),
        "time": pa.time64("us"),
        "list_int": pa.list_(pa.int64()),
    }[kind]


# Parquet only: types a CSV file cannot hold as such (a CSV output writes them as text)
EXOTIC = {"decimal", "binary", "large_str", "dict_str", "ts_tz", "time", "list_int"}


def value_strategy(kind: str, *, csv_file: bool) -> st.SearchStrategy[Any]:
    if kind == "int":
        return st.integers(-(2**63), 2**63 - 1) | st.integers(-1000, 1000)
    if kind == "int32":
        return st.integers(-(2**31), 2**31 - 1)
    if kind == "int8":
        return st.integers(-128, 127)
    if kind == "uint64":
        return st.integers(0, 2**64 - 1) | st.integers(2**63, 2**64 - 1)
    if kind in ("float", "float32"):
        width = 32 if kind == "float32" else 64
        special = [60000.25, 0.1, -0.0, 1e300, 5e-324] if width == 64 else [60000.25, -0.0]
        return st.floats(width=width, allow_nan=True, allow_infinity=True) | st.sampled_from(
            special
        )
    if kind == "bool":
        return st.booleans()
    if kind == "str":
        strings = text_values
        if csv_file:  # a CSV has no empty text apart from a missing value
            strings = strings.filter(lambda t: t.strip() != "")
        return strings
    if kind == "date":
        return st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))
    if kind == "ts":
        return st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1))
    if kind == "decimal":
        return st.decimals(-(10**17), 10**17, places=2, allow_nan=False, allow_infinity=False)
    if kind == "binary":
        return st.binary(max_size=6)
    if kind in ("large_str", "dict_str"):
        return text_values
    if kind == "ts_tz":
        return st.datetimes(
            dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)
        )
    if kind == "time":
        return st.times()
    if kind == "list_int":
        return st.lists(st.integers(-5, 5) | st.none(), max_size=3)
    raise AssertionError(kind)


FEATURE_KINDS_CSV = ["int", "uint64", "float", "bool", "str", "date", "ts"]
FEATURE_KINDS_PARQUET = [*FEATURE_KINDS_CSV, "int32", "int8", "float32", *sorted(EXOTIC)]
LABEL_KINDS = ["int", "negint", "bool", "str", "uint64", "wide"]


@st.composite
def label_column(draw: Any, n: int, name: str) -> tuple[Column, list[str]]:
    """Labels of ``n`` rows: a majority class and one or two rarer ones."""
    kind = draw(st.sampled_from(LABEL_KINDS))
    if kind == "int":
        classes: list[Any] = draw(st.lists(st.integers(0, 5), min_size=2, max_size=3, unique=True))
    elif kind == "negint":
        classes = draw(st.lists(st.integers(-(2**40), 3), min_size=2, max_size=3, unique=True))
    elif kind == "wide":  # over DuckDB's 4,096-wide label range of the one-pass road
        classes = draw(st.lists(st.integers(-(2**62), 2**62), min_size=2, max_size=3, unique=True))
    elif kind == "uint64":
        classes = draw(
            st.lists(st.integers(2**63 - 2, 2**64 - 1), min_size=2, max_size=3, unique=True)
        )
    elif kind == "bool":
        classes = [False, True]
    else:
        classes = draw(st.lists(label_texts, min_size=2, max_size=3, unique=True))
    weights = [8, 1, 1][: len(classes)]
    codes = draw(
        st.lists(
            st.sampled_from([j for j, w in enumerate(weights) for _ in range(w)]),
            min_size=n,
            max_size=n,
        )
    )
    values = [classes[c] for c in codes]
    refusable = []
    if len(set(values)) < 2:
        refusable.append("one class")
    if draw(st.integers(0, 9)) == 0:  # a missing label: always refused
        values[draw(st.integers(0, n - 1))] = None
        refusable.append("missing label")
    col_kind = {"negint": "int", "wide": "int"}.get(kind, kind)
    return Column(name, col_kind, values), refusable


@st.composite
def cases(draw: Any, formats: list[str], *, late: bool = False) -> Case:
    fmt = draw(st.sampled_from(formats))
    is_csv = fmt.startswith("csv")
    n = 25_000 if late else draw(st.integers(3, 40))
    n_features = draw(st.integers(0, 4))
    all_names = draw(st.lists(names, min_size=n_features + 1, max_size=n_features + 1, unique=True))
    label_name = all_names[draw(st.integers(0, n_features))]
    pattern = n if not late else 53  # a late case repeats a short pattern, cheaply
    label, refusable = draw(label_column(pattern, label_name))
    if late:
        reps = -(-n // pattern)
        label.values = (label.values * reps)[:n]
    columns = []
    for name in all_names:
        if name == label_name:
            columns.append(label)
            continue
        kind = draw(st.sampled_from(FEATURE_KINDS_CSV if is_csv else FEATURE_KINDS_PARQUET))
        values = draw(
            st.lists(
                value_strategy(kind, csv_file=is_csv) | st.none(),
                min_size=pattern,
                max_size=pattern,
            )
        )
        if late:
            values = (values * reps)[:n]
        columns.append(Column(name, kind, values))
    case = Case(columns, label_name, fmt, refusable)
    if late:
        target = draw(st.sampled_from(columns))
        row = draw(st.integers(20_600, n - 1))
        changes = {
            "int": ["0.5", "60000.25", "-1.5e3", "abc", "", "99999999999999999999", "1e5"],
            "uint64": ["0.5", "abc", "", "-1", "18446744073709551616"],
            "float": ["abc", "", "1", "nan", "2024-01-01", "1e400"],
            "bool": ["maybe", "", "2", "1.5"],
            "str": ["123", "", "true"],
            "date": ["2024-02-30", "yesterday", "", "2024-01-01 10:00:00"],
            "ts": ["noon", "", "2024-01-01", "2024-01-01 10:00:00+05:00"],
        }[target.kind]
        text = draw(st.sampled_from(changes))
        case.late = (target.name, row, text)
        if target.name == label_name:
            case.refusable.append("late label change")
        elif text:
            # the issue allows: read with a type that holds every value, or refuse with
            # the line and column of the first value that does not fit (checked below)
            case.refusable.append("late value")
    if fmt in ("csv-glob", "parquet-dir", "parquet-glob"):
        cuts = sorted(draw(st.lists(st.integers(0, n), min_size=1, max_size=3)))
        bounds = [0, *cuts, n]
        spans = [(a, b) for a, b in itertools.pairwise(bounds) if b > a or fmt != "csv-glob"]
        spans = [s for s in spans if s[1] > s[0]] or [(0, n)]
        ext = ".csv" if fmt == "csv-glob" else draw(st.sampled_from([".parquet", ".pq"]))
        nested = fmt in ("parquet-dir", "parquet-glob")
        rels = []
        for i in range(len(spans)):
            sub = f"p{i}/" if nested and draw(st.booleans()) else ""
            rels.append(f"{sub}part-{i:02d}{ext}")
        # rows run through the files sorted by path (the documented order)
        for rel, (a, b) in zip(sorted(rels, key=Path), spans, strict=True):
            case.files.append((rel, a, b))
        if nested:
            case.decoys = draw(
                st.lists(
                    st.sampled_from(
                        [
                            ".x/old.parquet",
                            "_temporary/0/part-0.parquet",
                            "p0/.ipynb_checkpoints/part-00.parquet",
                            "_SUCCESS",
                            ".part-00.parquet.crc",
                            "p0/_tmp.parquet",
                        ]
                    ),
                    max_size=3,
                    unique=True,
                )
            )
    else:
        ext = {"csv": ".csv", "csv.gz": ".csv.gz", "parquet": ".parquet"}[fmt]
        case.files = [(f"data{ext}", 0, n)]
    if not is_csv:
        for _, a, b in case.files:
            sizes: list[int] = []
            left = b - a
            while left > 0:
                size = draw(st.sampled_from([0, 1, 1, 2, 5, 64]))
                size = min(size, left)
                sizes.append(size)
                left -= size
            if draw(st.booleans()):  # an empty row group somewhere
                sizes.insert(draw(st.integers(0, len(sizes))), 0)
            case.row_groups.append(sizes)
    return case


# -- writing the files ------------------------------------------------------------------------
def cell_texts(case: Case) -> dict[str, list[str | None]]:
    texts = {c.name: [csv_text(v) for v in c.values] for c in case.columns}
    if case.late is not None:
        name, row, text = case.late
        texts[name][row] = text or None
    return texts


def write_case(case: Case, folder: Path) -> Path:
    """Write the case's files into ``folder``; return what to give upweight."""
    folder.mkdir(parents=True, exist_ok=True)
    if case.is_csv:
        texts = cell_texts(case)
        names_ = [c.name for c in case.columns]
        for rel, a, b in case.files:
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(names_)
            rows = zip(*(texts[nm][a:b] for nm in names_), strict=False)
            writer.writerows([["" if t is None else t for t in row] for row in rows])
            data = buf.getvalue().encode()
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(gzip.compress(data) if rel.endswith(".gz") else data)
    else:
        table = input_table(case)
        for (rel, a, _), groups in zip(case.files, case.row_groups, strict=True):
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with pq.ParquetWriter(path, table.schema) as writer:
                start = a
                for size in groups:
                    writer.write_table(table.slice(start, size), row_group_size=max(size, 1))
                    start += size
        for rel in case.decoys:  # copies of the data in folders readers must skip
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if rel.endswith(".parquet"):
                pq.write_table(table, path)
            else:
                path.write_bytes(b"not data")
    if case.fmt == "csv-glob":
        return folder / "*.csv"
    if case.fmt == "parquet-glob":
        return folder / "**" / f"*{Path(case.files[0][0]).suffix}"
    if case.fmt == "parquet-dir":
        return folder
    return folder / case.files[0][0]


def input_table(case: Case) -> pa.Table:
    arrays = {}
    for c in case.columns:
        typ = arrow_type(c.kind)
        values = c.values
        if c.kind == "float32":
            values = [None if v is None else float(np.float32(v)) for v in values]
        arrays[c.name] = pa.array(values, type=typ)
    return pa.table(arrays)


def snapshot(*folders: Path) -> dict[str, str]:
    """Every path below the folders (hidden ones too), with a hash of each file's bytes."""
    seen = {}
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            for d in dirs:
                seen[os.path.join(root, d)] = "dir"
            for f in files:
                p = os.path.join(root, f)
                seen[p] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
    return seen


# -- the reference: the in-memory engine on the labels as written -----------------------------
def reference_labels(case: Case) -> list[Any]:
    """The labels as the file holds them (after a late change, what that row now says)."""
    label = case.column(case.label)
    values = list(label.values)
    if case.late is not None and case.late[0] == case.label:
        text = case.late[2]
        if not text:
            values[case.late[1]] = None
            return values
        typed = _typed_text(text)
        kinds = {type(v) for v in values if v is not None}
        if typed is not None and (
            type(typed) in kinds or (isinstance(typed, int | float) and kinds <= {int, float})
        ):
            values[case.late[1]] = typed
        else:  # a value of another kind: the column holds text
            values = [csv_text(v) for v in values]
            values[case.late[1]] = text
    return values


def plan_options(case: Case, opts: dict[str, Any]) -> dict[str, Any]:
    """``factor=`` or ``target_share=`` as the options say."""
    how = opts.get("how", "factor")
    if how == "target_share":
        return {"target_share": opts["share"]}
    if how == "per_class":
        y = [v for v in reference_labels(case) if v is not None]
        if y:
            values, counts = np.unique(np.array(y, dtype=object).astype(str), return_counts=True)
            top = values[np.argmax(counts)]
            majority = next(v for v in y if str(v) == top)
            return {"factor": {majority: opts["factor"]}}
    return {"factor": opts["factor"]}


def cli_plan_options(case: Case, opts: dict[str, Any]) -> list[str]:
    if opts.get("how") == "target_share":
        return ["--target-share", str(opts["share"])]
    return ["--factor", str(opts["factor"])]


def reference(case: Case, opts: dict[str, Any]) -> upweight.Selection | UpweightError:
    y = reference_labels(case)
    kinds = {type(v) for v in y if v is not None}
    if None in y:
        return upweight.LabelError("missing label")
    if len(kinds - {int, float}) and len(kinds) > 1:
        return upweight.LabelError("labels mix types")
    ints = [v for v in y if type(v) is int]
    if ints and (
        min(ints) < -(2**63) or max(ints) >= 2**64 or (min(ints) < 0 and max(ints) >= 2**63)
    ):
        return upweight.LabelError("integer labels no 64-bit type holds")
    if float in kinds:
        y_arr: Any = pa.array([float(v) for v in y])
    elif case.column(case.label).kind == "uint64" and str not in kinds:
        y_arr = pa.array(y, type=pa.uint64())
    else:
        y_arr = pa.array(y)
    try:
        return upweight.select(
            y_arr,
            **plan_options(case, opts),
            weights=opts["weights"],
            method=opts["method"],
            random_state=opts["seed"],
        )
    except UpweightError as exc:
        return exc


# -- comparing values ------------------------------------------------------------------------
_INT = re.compile(r"\s*[-+]?\d+\s*")
_FLOAT = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _number(text: str) -> int | float | None:
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return None


def _is_nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def same_value(orig: Any, out: Any) -> bool:
    """Whether ``out`` holds exactly the value ``orig`` -- either may be CSV text.

    Numbers must be equal exactly: an integer written in a CSV file must come back as that
    integer (not rounded through a double), a decimal as the double nearest to it. A text
    compares with a typed value by reading it as that type.
    """
    if orig is None or out is None:
        return orig is None and out is None
    if isinstance(orig, decimal.Decimal):
        orig = int(orig) if orig == orig.to_integral_value() else Fraction(orig)
    if isinstance(out, decimal.Decimal):
        out = int(out) if out == out.to_integral_value() else Fraction(out)
    if isinstance(orig, Fraction) or isinstance(out, Fraction):
        return (
            isinstance(orig, int | float | Fraction)
            and isinstance(out, int | float | Fraction)
            and not isinstance(orig, bool)
            and not isinstance(out, bool)
            and not _is_nan(orig)
            and not _is_nan(out)
            and Fraction(orig) == Fraction(out)
        )
    if isinstance(orig, str) and isinstance(out, str):
        if orig == out:
            return True
        a, b = _typed_text(orig), _typed_text(out)
        return a is not None and b is not None and same_value(a, b)
    if isinstance(orig, str):
        return _text_matches(orig, out)
    if isinstance(out, str):
        return _text_matches(out, orig)
    if isinstance(orig, bool) or isinstance(out, bool):
        return type(orig) is type(out) and orig == out
    if isinstance(orig, int | float) and isinstance(out, int | float):
        if _is_nan(orig) or _is_nan(out):
            return _is_nan(orig) and _is_nan(out)
        if isinstance(orig, int) and isinstance(out, int):
            return orig == out
        if math.isinf(orig) or math.isinf(out):
            return orig == out
        return Fraction(orig) == Fraction(out)
    if isinstance(orig, dt.datetime) or isinstance(out, dt.datetime):
        return type(orig) is type(out) and orig == out
    if isinstance(orig, dt.date) and isinstance(out, dt.date):
        return orig == out
    if isinstance(orig, list) and isinstance(out, list):
        return len(orig) == len(out) and all(map(same_value, orig, out))
    if type(orig) is type(out):  # bytes, times
        return bool(orig == out)
    return False


def _typed_text(text: str) -> Any:
    """A CSV text read as the value it writes, where it is not plain text."""
    number = _number(text)
    if number is not None:
        return number
    low = text.strip().lower()
    if low in ("nan", "-nan", "+nan"):
        return math.nan
    if low in ("inf", "+inf", "infinity", "+infinity"):
        return math.inf
    if low in ("-inf", "-infinity"):
        return -math.inf
    if low in ("true", "false"):
        return low == "true"
    with contextlib.suppress(ValueError):
        return dt.datetime.fromisoformat(text.strip())
    return None


def _text_matches(text: str, value: Any) -> bool:
    if isinstance(value, decimal.Decimal):
        number = _number(text)
        return number is not None and same_value(number, value)
    if isinstance(value, bool):
        return text.strip().lower() == ("true" if value else "false")
    if isinstance(value, int):
        return _INT.fullmatch(text) is not None and int(text) == value
    if isinstance(value, float):
        typed = _typed_text(text)
        if isinstance(typed, bool) or not isinstance(typed, int | float):
            return False
        if isinstance(typed, int):  # an integer in the text must survive exactly
            return not math.isinf(value) and not _is_nan(value) and Fraction(value) == typed
        if math.isinf(typed) and _FLOAT.fullmatch(text):
            return False  # a decimal too large for a double: inf is not its value
        return same_value(float(typed), value)
    if isinstance(value, dt.datetime):
        try:
            return dt.datetime.fromisoformat(text.strip()) == value
        except ValueError:
            return False
    if isinstance(value, dt.date):
        return text.strip() == value.isoformat()
    return False


def read_output(out: Path, kind: str) -> pa.Table:
    """The output as written: Parquet typed; CSV as text (only an empty field is missing)."""
    if kind == "csv":
        with out.open("rb") as handle:
            data = handle.read()
        if out.name.endswith(".gz"):
            data = gzip.decompress(data)
        header = next(csv.reader(io.StringIO(data.decode("utf-8"))))
        return pacsv.read_csv(
            io.BytesIO(data),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
        )
    return pq.read_table(out)


# -- running ----------------------------------------------------------------------------------
def late_lines(case: Case) -> set[int]:
    """The line numbers that may name the late value: its record's, or its physical line."""
    assert case.late is not None
    _name, row, _ = case.late
    for _rel, a, b in case.files:
        if a <= row < b:
            record = row - a + 2  # the header is line 1
            texts = cell_texts(case)
            before = sum((t or "").count("\n") for c in case.columns for t in texts[c.name][a:row])
            return {record, record + before}
    raise AssertionError("late row in no file")


def check_names_the_late_value(case: Case, message: str) -> None:
    """A refused late value: the message says its line and column (issue 10, item 4)."""
    assert case.late is not None
    name = case.late[0]
    assert name in message or repr(name) in message, f"column {name!r} not named: {message}"
    said = {int(n.replace(",", "")) for n in re.findall(r"\bline (\d[\d,]*)", message, re.I)}
    assert said & late_lines(case), (
        f"the line of the late value ({sorted(late_lines(case))}) not named: {message}"
    )


def one_line_error(exc: BaseException) -> None:
    text = str(exc)
    assert text.strip(), f"{type(exc).__name__} with an empty message"
    assert "\n" not in text.strip(), f"message on several lines: {text!r}"
    assert "Traceback" not in text


OUTPUTS = ["out.parquet", "out.pq", "out.csv", "out.csv.gz", "outdir"]


@dataclass
class Run:
    case: Case
    opts: dict[str, Any]
    src: Path
    out: Path
    in_folder: Path
    out_folder: Path
    before: dict[str, str]


@contextlib.contextmanager
def prepared(case: Case, opts: dict[str, Any], out_name: str, same_folder: bool) -> Any:
    with tempfile.TemporaryDirectory(prefix="upw-fuzz-") as tmp:
        root = Path(tmp)
        in_folder = root / "in"
        src = write_case(case, in_folder)
        out_folder = in_folder if same_folder else root / "o"
        out_folder.mkdir(exist_ok=True)
        out = out_folder / out_name
        before = snapshot(in_folder, out_folder)
        yield Run(case, opts, src, out, in_folder, out_folder, before)


def check_files_after(run: Run, *, succeeded: bool) -> None:
    after = snapshot(run.in_folder, run.out_folder)
    # inputs (and everything that was there) byte-identical
    for path, digest in run.before.items():
        assert after.get(path) == digest, f"{path} changed or disappeared"
    new = sorted(set(after) - set(run.before))
    allowed = set()
    if succeeded:
        allowed.add(str(run.out))
        if run.out.name.endswith((".csv", ".csv.gz")):
            allowed.add(str(run.out) + ".plan.json")
        if run.out.is_dir():
            allowed |= {p for p in new if p.startswith(str(run.out) + os.sep)}
    leftovers = [p for p in new if p not in allowed]
    assert not leftovers, f"files left behind: {leftovers}"
    temporaries = [p for p in after if ".upweight-" in p and p.endswith(".tmp")]
    assert not temporaries, f"temporaries left: {temporaries}"


def check_output(run: Run, applied: upweight.SamplingPlan, ref: upweight.Selection) -> None:
    case, out = run.case, run.out
    kind = "csv" if out.name.endswith((".csv", ".csv.gz")) else "parquet"
    assert applied == ref.plan, f"plan {applied} != in-memory {ref.plan}"
    assert upweight.read_plan(out) == applied, "the plan in the output is not the one returned"
    got = read_output(out, kind)
    wcol = run.opts["weight_col"]
    expected_names = [c.name for c in case.columns] + [wcol]
    assert got.column_names == expected_names, (
        f"columns {got.column_names} != input columns {expected_names}"
    )
    idx = ref.indices.tolist()
    assert got.num_rows == len(idx), f"{got.num_rows} rows, in-memory engine keeps {len(idx)}"
    weights = got.column(wcol).to_pylist()
    for i, (w, e) in enumerate(zip(weights, ref.sample_weight.tolist(), strict=True)):
        assert same_value(float(e), w), f"row {i}: weight {w!r}, in memory {e!r}"
    texts = cell_texts(case) if case.is_csv else None
    for c in case.columns:
        col = got.column(c.name)
        if kind == "parquet" and not case.is_csv:
            assert _type_family(col.type) == _type_family(arrow_type(c.kind)), (
                f"column {c.name!r}: {arrow_type(c.kind)} came out as {col.type}"
            )
        values = col.to_pylist()
        for i, j in enumerate(idx):
            orig = texts[c.name][j] if texts is not None else c.values[j]
            if kind == "csv" and c.kind in EXOTIC:
                continue  # written as text; the row itself is checked by its other columns
            if not texts and c.kind == "float32" and orig is not None:
                orig = float(np.float32(orig))
                if kind == "csv" and values[i] is not None and _number(values[i]) is not None:
                    # a float32 is written as the shortest text that reads back as it
                    assert np.float32(float(values[i])) == np.float32(orig), (c.name, j)
                    continue
            assert same_value(orig, values[i]), (
                f"column {c.name!r}, input row {j}: {orig!r} came out as {values[i]!r} ({col.type})"
            )


def _type_family(t: pa.DataType) -> str:
    for name, test in (
        ("int", pa.types.is_integer),
        ("float", pa.types.is_floating),
        ("bool", pa.types.is_boolean),
        (
            "str",
            lambda x: (
                pa.types.is_string(x)
                or pa.types.is_large_string(x)
                or (pa.types.is_dictionary(x) and pa.types.is_string(x.value_type))
            ),
        ),
        ("decimal", pa.types.is_decimal),
        ("binary", pa.types.is_binary),
        ("time", pa.types.is_time),
        ("list", pa.types.is_list),
        ("date", pa.types.is_date),
        ("ts", pa.types.is_timestamp),
    ):
        if test(t):
            return name
    return str(t)


def expect_outcome(run: Run, ref: Any, attempt: Any) -> None:
    """The run refused (a one-line error) or matched the in-memory engine."""
    case = run.case
    try:
        applied = attempt()
    except UpweightError as exc:
        note(f"refused: {exc}")
        one_line_error(exc)
        if isinstance(ref, UpweightError):
            check_files_after(run, succeeded=False)
            return
        assert case.refusable, f"clean data refused: {type(exc).__name__}: {exc}"
        if case.refusable == ["late value"]:
            check_names_the_late_value(case, str(exc))
        check_files_after(run, succeeded=False)
        return
    assert not isinstance(ref, UpweightError), (
        f"succeeded where the in-memory engine refuses ({ref}); plan {applied}"
    )
    check_output(run, applied, ref)
    check_files_after(run, succeeded=True)


options = st.fixed_dictionaries(
    {
        "factor": st.sampled_from([1, 1.5, 2, 3, 7, 25.0]),
        # instead of the factor: a minority share, or the factor for the majority alone
        "how": st.sampled_from(["factor", "factor", "target_share", "per_class"]),
        "share": st.sampled_from([0.2, 0.5, 0.9]),
        "method": st.sampled_from(["exact", "bernoulli"]),
        "weights": st.sampled_from(["factor", "exact", "none"]),
        "seed": st.integers(0, 2**63 - 1) | st.sampled_from([0, 1, 2**64 - 1]),
        "weight_col": st.sampled_from(["weight", "[w]", "w eight", "$w$"]),
    }
)


def _describe(case: Case, opts: dict[str, Any], src: Path) -> None:
    note(f"format {case.fmt}, {case.n_rows} rows, label {case.label!r}, options {opts}")
    note(f"files {case.files}, decoys {case.decoys}, row groups {case.row_groups}")
    note(f"late change {case.late}, refusable {case.refusable}")
    for c in case.columns:
        note(f"  {c.name!r}: {c.kind} {c.values[:8]!r}...")


def _weight_clash(case: Case, opts: dict[str, Any]) -> None:
    if any(c.name == opts["weight_col"] for c in case.columns):
        case.refusable.append("weight column clash")


# -- the properties ---------------------------------------------------------------------------
def examples(n: int) -> int:
    """``n`` examples on the CI profile (60 by default), proportionally more on others."""
    return max(1, round(n * settings.default.max_examples / 60))


SMALL_FORMATS = ["csv", "csv.gz", "csv-glob", "parquet", "parquet-dir", "parquet-glob"]


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    case=cases(SMALL_FORMATS),
    opts=options,
    out_name=st.sampled_from(OUTPUTS),
    same_folder=st.booleans(),
)
def test_sample_file_matches_memory_or_refuses(case, opts, out_name, same_folder):
    _weight_clash(case, opts)
    ref = reference(case, opts)
    with prepared(case, opts, out_name, same_folder) as run:
        _describe(case, opts, run.src)
        if same_folder and (Path(run.src).is_dir() or not Path(run.src).exists()):
            case.refusable.append("output in the input folder or matched by its glob")
        expect_outcome(
            run,
            ref,
            lambda: upweight.sample_file(
                run.src,
                run.out,
                label=case.label,
                **plan_options(case, opts),
                method=opts["method"],
                weights=opts["weights"],
                seed=opts["seed"],
                weight_col=opts["weight_col"],
            ),
        )


@settings(
    max_examples=examples(25),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    case=cases(["csv", "csv.gz", "csv-glob"], late=True),
    opts=options,
    out_name=st.sampled_from(["out.parquet", "out.csv"]),
)
def test_late_type_changes_in_csv_are_held_or_refused(case, opts, out_name):
    """A column that changes type after DuckDB's sniffing sample: never rounded."""
    _weight_clash(case, opts)
    ref = reference(case, opts)
    with prepared(case, opts, out_name, same_folder=False) as run:
        _describe(case, opts, run.src)
        expect_outcome(
            run,
            ref,
            lambda: upweight.sample_file(
                run.src,
                run.out,
                label=case.label,
                **plan_options(case, opts),
                method=opts["method"],
                weights=opts["weights"],
                seed=opts["seed"],
                weight_col=opts["weight_col"],
            ),
        )


# -- profile_file and analyze ----------------------------------------------------------------
def reference_counts(case: Case) -> dict[Any, int] | None:
    y = reference_labels(case)
    if None in y or (len({type(v) for v in y}) > 1 and str in {type(v) for v in y}):
        return None
    counts: dict[Any, int] = {}
    for v in y:
        counts[v] = counts.get(v, 0) + 1
    return dict(sorted(counts.items()))


@settings(max_examples=examples(40))
@given(case=cases(SMALL_FORMATS))
def test_profile_file_counts_or_refuses(case):
    expected = reference_counts(case)
    with prepared(case, {}, "unused", same_folder=True) as run:
        _describe(case, {}, run.src)
        try:
            prof = upweight.profile_file(run.src, label=case.label)
        except UpweightError as exc:
            one_line_error(exc)
            assert case.refusable or expected is None, f"clean data refused: {exc}"
            check_files_after(run, succeeded=False)
            return
        assert expected is not None, f"counted labels the in-memory engine refuses: {prof}"
        assert dict(zip(prof.classes, prof.counts, strict=True)) == expected
        check_files_after(run, succeeded=False)  # a profile writes nothing


# -- the command line ------------------------------------------------------------------------
def cli(argv: list[str]) -> tuple[int, str, str]:
    """``upweight ARGV`` in this process: exit code, stdout, stderr."""
    from upweight._cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def check_refusal(code: int, stdout: str, stderr: str) -> None:
    assert code == 2, f"exit code {code}; stderr {stderr!r}"
    assert stdout == "", f"something on stdout: {stdout!r}"
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), f"stderr {stderr!r}"
    assert "unexpected" not in stderr and "Traceback" not in stderr


@settings(
    max_examples=examples(30),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases(SMALL_FORMATS), opts=options, out_name=st.sampled_from(OUTPUTS))
def test_sample_command_matches_memory_or_exits_2(case, opts, out_name):
    if opts["how"] == "per_class":  # class=factor pairs: tested through the API
        opts = {**opts, "how": "factor"}
    _weight_clash(case, opts)
    ref = reference(case, opts)
    with prepared(case, opts, out_name, same_folder=False) as run:
        _describe(case, opts, run.src)
        argv = [
            "sample",
            str(run.src),
            f"--label={case.label}",
            "-o",
            str(run.out),
            *cli_plan_options(case, opts),
            "--method",
            opts["method"],
            "--weights",
            opts["weights"],
            "--seed",
            str(opts["seed"]),
            f"--weight-col={opts['weight_col']}",
        ]
        code, stdout, stderr = cli(argv)
        note(f"exit {code}\nstdout {stdout!r}\nstderr {stderr!r}")
        assert code in (0, 2), f"exit code {code}: {stderr!r}"
        if code == 2:
            check_refusal(code, stdout, stderr)
            assert case.refusable or isinstance(ref, UpweightError), (
                f"clean data refused: {stderr!r}"
            )
            if case.refusable == ["late value"] and not isinstance(ref, UpweightError):
                check_names_the_late_value(case, stderr)
            check_files_after(run, succeeded=False)
            return
        # a factor that downsamples a class below an untouched one: one warning line
        lines = stderr.splitlines()
        assert len(lines) <= 1, f"stderr on success: {stderr!r}"
        assert all(line.startswith("warning: factor ") and "untouched" in line for line in lines), (
            f"stderr on success: {stderr!r}"
        )
        assert not isinstance(ref, UpweightError), f"succeeded where memory refuses: {ref}"
        applied = upweight.read_plan(run.out)
        check_output(run, applied, ref)
        check_files_after(run, succeeded=True)
        # user text is printed as it is: every label appears literally in the table
        for c in applied:
            shown = str(c.label)
            if shown.isprintable() and len(shown) < 20:  # rich expands tabs: fine
                assert shown in stdout, f"label {shown!r} not printed literally"


@settings(max_examples=examples(30))
@given(case=cases(SMALL_FORMATS))
def test_analyze_command_counts_or_exits_2(case):
    import json

    expected = reference_counts(case)
    with prepared(case, {}, "unused", same_folder=True) as run:
        _describe(case, {}, run.src)
        code, stdout, stderr = cli(["analyze", str(run.src), f"--label={case.label}", "--json"])
        note(f"exit {code}\nstdout {stdout!r}\nstderr {stderr!r}")
        if code != 0:
            check_refusal(code, stdout, stderr)
            assert case.refusable or expected is None, f"clean data refused: {stderr!r}"
            check_files_after(run, succeeded=False)
            return
        assert expected is not None
        doc = json.loads(stdout)
        got = {c["label"]: c["count"] for c in doc["classes"]}
        assert got == expected
        code, stdout, stderr = cli(["analyze", str(run.src), f"--label={case.label}"])
        assert code == 0 and stderr == "", stderr
        for label in expected:
            if isinstance(label, str) and len(label) < 12 and label.isprintable():
                assert label in stdout, f"label {label!r} not printed literally: {stdout}"
        check_files_after(run, succeeded=False)


def test_a_few_runs_as_a_subprocess_never_print_a_traceback(tmp_path):
    """The real entry point, on a refusal and a success with markup in every name."""
    t = pa.table(
        {
            "[/bold]": [1, 2, 3, 4],
            "$x$": ["[red]a", "b", "c", "d"],
            "[red]y": ["[red]legit", "[/bold]", "[red]legit", "[red]legit"],
        }
    )
    pq.write_table(t, tmp_path / "in.parquet")
    env = {**os.environ, "PYTHONPATH": str(Path(upweight.__file__).parents[1])}
    base = [sys.executable, "-m", "upweight"]
    ok = subprocess.run(
        [
            *base,
            "sample",
            str(tmp_path / "in.parquet"),
            "--label=[red]y",
            "-o",
            str(tmp_path / "o.parquet"),
            "--factor",
            "2",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert "[red]legit" in ok.stdout and "[/bold]" in ok.stdout
    bad = subprocess.run(
        [
            *base,
            "sample",
            str(tmp_path / "in.parquet"),
            "--label=nope",
            "-o",
            str(tmp_path / "p.parquet"),
            "--factor",
            "2",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    check_refusal(bad.returncode, bad.stdout, bad.stderr)


# -- the defects these properties found, each as its smallest case ----------------------------
# Each test fails on the code it was found on (see the report of the fuzzing branch) and
# passes once the defect is fixed: by reading the value as written, or by refusing with a
# one-line error -- never by writing other data with exit 0.
def sampled(
    tmp_path: Path,
    name: str,
    text: str | bytes,
    label: str = "y",
    out: str = "out.parquet",
    **options: Any,
) -> tuple[pa.Table, Any] | str:
    """Write ``text`` as ``name``, sample it (factor 1: every row kept); the output or the
    one-line refusal."""
    src = tmp_path / name
    src.parent.mkdir(parents=True, exist_ok=True)
    if "*" in name:
        pass  # a glob over files written before
    elif isinstance(text, str):
        src.write_text(text, encoding="utf-8")
    else:
        src.write_bytes(text)
    try:
        plan = upweight.sample_file(src, tmp_path / out, label=label, factor=1, **options)
    except UpweightError as exc:
        one_line_error(exc)
        return str(exc)
    return read_output(tmp_path / out, "csv" if out.endswith(".csv") else "parquet"), plan


def late_csv(header: str, body: str, late_row: str, rows: int = 25_000) -> str:
    """A CSV whose first ``rows`` rows repeat ``body``; then ``late_row``."""
    return header + "\n" + (body + "\n") * rows + late_row + "\n"


def test_d1_csv_labels_above_the_int64_range_are_counted(tmp_path):
    got = sampled(
        tmp_path, "in.csv", "y\n18446744073709551615\n18446744073709551614\n18446744073709551615\n"
    )
    assert not isinstance(got, str), f"clean uint64 labels refused: {got}"
    _table, plan = got
    assert plan.counts == {2**64 - 2: 1, 2**64 - 1: 2}


def test_d2_csv_column_names_come_out_as_written(tmp_path):
    got = sampled(tmp_path, "in.csv", "y, ,x\n0,1,2\n1,4,5\n0,7,8\n")
    if isinstance(got, str):
        return  # a refusal that names the odd column is fine
    assert got[0].column_names == ["y", " ", "x", "weight"]


def test_d2_a_label_with_spaces_around_it_is_found(tmp_path):
    got = sampled(tmp_path, "in.csv", " y ,x\n0,1\n1,2\n0,3\n", label=" y ")
    assert not isinstance(got, str), got
    assert got[0].column_names == [" y ", "x", "weight"]


def test_d3_csv_integers_beyond_int64_are_not_rounded(tmp_path):
    got = sampled(tmp_path, "in.csv", "x,y\n9223372036854775809,0\n1,1\n18446744073709551615,0\n")
    if isinstance(got, str):
        return
    values = got[0].column("x").to_pylist()
    assert [
        same_value(t, v)
        for t, v in zip(["9223372036854775809", "1", "18446744073709551615"], values, strict=False)
    ] == [True] * 3, values


def test_d4a_an_apostrophe_is_not_a_quote(tmp_path):
    got = sampled(tmp_path, "in.csv", "name,fraud\n'quoted,0\nx,1\ny',0\nz,0\nw,1\n", label="fraud")
    assert not isinstance(got, str), got
    table, plan = got
    assert plan.counts == {0: 3, 1: 2}, f"5 rows read as {plan.n_rows}"
    assert table.column("name").to_pylist() == ["'quoted", "x", "y'", "z", "w"]


def test_d4b_quoted_fields_after_the_sniffing_sample_are_unquoted(tmp_path):
    got = sampled(tmp_path, "in.csv", late_csv("y,x", "a,1\nb,2", '"b",3'))
    assert not isinstance(got, str), got
    _table, plan = got
    assert plan.counts == {"a": 25_000, "b": 25_001}, plan.counts
    got = sampled(tmp_path / "2", "in.csv", late_csv("y,x", "a,1\nb,2", 'a,"3,5"'))
    if isinstance(got, str):  # "3,5" is one field: a refusal must not call it ragged
        assert "ragged" not in got, got
        return
    assert got[0].column("x").to_pylist()[-1] in ("3,5",), got[0].column("x").to_pylist()[-1]


def test_d5_rows_starting_with_a_hash_are_rows(tmp_path):
    got = sampled(tmp_path, "in.csv", "id,fraud\n#1,0\n#2,1\n3,0\n4,1\n5,0\n", label="fraud")
    assert not isinstance(got, str), got
    table, plan = got
    assert plan.counts == {0: 3, 1: 2}, f"5 rows read as {plan.counts}"
    assert table.column("id").to_pylist() == ["#1", "#2", "3", "4", "5"]


@pytest.mark.parametrize(
    ("body", "late", "why"),
    [
        ("2024-01-05", "2024-01-01 10:00:00", "a date column loses the time of day"),
        ("2024-01-05 10:00:00", "2024-01-01 10:00:00+05:00", "a timestamp loses its offset"),
        ("1.5", "1e400", "a decimal too large for a double becomes inf"),
    ],
)
def test_d6_d7_late_values_are_held_or_refused_never_changed(tmp_path, body, late, why):
    text = "x,y\n" + "".join(f"{body},{i % 2}\n" for i in range(25_000)) + f"{late},0\n"
    got = sampled(tmp_path, "in.csv", text)
    if isinstance(got, str):
        assert "25,002" in got or "25002" in got, f"refusal without the line: {got}"
        return
    last = got[0].column("x").to_pylist()[-1]
    assert same_value(late, last), f"{why}: {late!r} came out as {last!r}"


@pytest.mark.parametrize("late", [False, True])
def test_d11_integers_beside_a_decimal_are_not_rounded(tmp_path, late):
    text = (
        "x,y\n" + "9007199254740993,0\n1,1\n" * 12_500 + "0.5,0\n"
        if late
        else "x,y\n9007199254740993,0\n0.5,1\n2,0\n"
    )
    got = sampled(tmp_path, "in.csv", text)
    if isinstance(got, str):
        return
    first = got[0].column("x").to_pylist()[0]
    assert same_value("9007199254740993", first), f"9007199254740993 came out as {first!r}"


def test_d8_csv_files_with_other_columns_lose_no_column(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("x,y\n1,0\n2,1\n")
    (tmp_path / "in" / "b.csv").write_text("x,z,y\n5,7,0\n6,8,1\n")
    got = sampled(tmp_path, "in/*.csv", "")
    if isinstance(got, str):
        return  # refused, as for Parquet files of different schemas
    assert "z" in got[0].column_names, f"column z dropped: {got[0].column_names}"


def test_d9_csv_names_that_differ_in_case_are_not_renamed(tmp_path):
    got = sampled(tmp_path, "in.csv", "A,a,y\n1,2,0\n3,4,1\n5,6,0\n")
    if isinstance(got, str):
        return
    assert got[0].column_names == ["A", "a", "y", "weight"]


@pytest.mark.parametrize("out", ["o.csv", "odir", "profile"])
def test_d9_parquet_names_that_differ_in_case_are_not_renamed(tmp_path, out):
    pq.write_table(pa.table({"Label": [5, 6, 7, 8], "label": [0, 1, 0, 0]}), tmp_path / "in.pq")
    try:
        if out == "profile":
            assert upweight.profile_file(tmp_path / "in.pq", label="label").counts == (3, 1)
            return
        upweight.sample_file(tmp_path / "in.pq", tmp_path / out, label="label", factor=1)
    except UpweightError as exc:
        one_line_error(exc)
        assert "not found" not in str(exc), f"the label is there: {exc}"
        return
    names = read_output(tmp_path / out, "csv" if out.endswith(".csv") else "parquet").column_names
    assert names == ["Label", "label", "weight"]


def test_d10_a_hive_key_that_is_also_a_column_is_not_overridden(tmp_path):
    for v in (0, 1):
        (tmp_path / "in" / f"y={v}").mkdir(parents=True)
        pq.write_table(
            pa.table({"y": [1 - v, 1 - v, v], "x": [1, 2, 3]}),
            tmp_path / "in" / f"y={v}" / "part.parquet",
        )
    try:
        plan = upweight.sample_file(tmp_path / "in", tmp_path / "o.parquet", label="y", factor=1)
    except UpweightError as exc:
        one_line_error(exc)
        return
    got = pq.read_table(tmp_path / "o.parquet").column("y").to_pylist()
    assert got == [1, 1, 0, 0, 0, 1], f"the files' labels were replaced by the folder names: {got}"
    assert plan.counts == {0: 3, 1: 3}
