"""The Parquet format: row counts and schemas from the footers, positions from row numbers.

A row's position is its row number in its file plus the rows of the files before it
(files sorted by path), so positions need no pass over the data. A folder of Parquet
files may be hive-partitioned (``day=2026-01-01/part-0.parquet``): the folder names
become columns. A Parquet output carries the plan in its key-value metadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._exceptions import FileError, InputError, UpweightError
from ._common import Inspection, check_unique, first_line
from ._metadata import PLAN_METADATA_KEY
from ._sql import file_list, quote

if TYPE_CHECKING:
    from ._duckdb import Engine
    from ._source import Source

__all__ = ["PART_BYTES", "Parquet"]

#: The size of each file of a folder output.
PART_BYTES = 256 * 1024 * 1024


def parquet_rows(files: list[Path]) -> tuple[int, ...]:
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
                f"{first_line(exc)}"
            ) from None
        in_groups = sum(meta.row_group(i).num_rows for i in range(meta.num_row_groups))
        if in_groups != meta.num_rows:
            raise FileError(
                f"cannot read {p}: its footer says {meta.num_rows:,} rows, its row groups "
                f"hold {in_groups:,} (corrupt?); write the file again"
            )
        schema = meta.schema.to_arrow_schema().remove_metadata()
        if first is None:
            check_unique(schema.names, p)
            first = (p, schema)
        elif not schema.equals(first[1]):
            raise InputError(
                f"{first[0]} and {p} have different columns or types "
                f"({schema_difference(first[1], schema)}); give files of one schema"
            )
        rows.append(meta.num_rows)
    return tuple(rows)


def durations(files: Sequence[str]) -> list[str]:
    """The duration columns of Parquet files, which DuckDB reads as plain integers.

    DuckDB has no duration type: writing through it, a duration of 2 s would come out as
    the integer 2, its unit lost.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(files[0])
    except (OSError, pa.ArrowException):
        return []  # damaged, or changed since it was inspected: the read that follows says so
    return [f.name for f in schema if pa.types.is_duration(f.type)]


def schema_difference(a: Any, b: Any) -> str:
    fa = {f.name: str(f.type) for f in a}
    fb = {f.name: str(f.type) for f in b}
    parts = [f"{n}: {fa[n]} vs {fb[n]}" for n in fa if n in fb and fa[n] != fb[n]]
    parts += [f"{n} only in the first" for n in fa if n not in fb]
    parts += [f"{n} only in the second" for n in fb if n not in fa]
    return "; ".join(parts[:3]) or "column order differs"


def check_partition_keys(files: list[Path], directory: Path) -> None:
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


class Parquet:
    """Parquet files (``.parquet``, ``.pq``), alone, in folders (hive too), or by a glob."""

    name = "parquet"
    suffixes: tuple[str, ...] = (".parquet", ".pq")
    in_folders = True
    plan_inside = True

    def inspect(self, files: list[Path], directory: Path | None) -> Inspection:
        """Rows per file and one schema, from the footers; hive partitions of a folder."""
        rows = parquet_rows(files)
        hive = directory is not None and any(
            "=" in part for p in files for part in p.relative_to(directory).parts[:-1]
        )
        if hive and directory is not None:
            check_partition_keys(files, directory)
        return Inspection(rows_per_file=rows, hive=hive, header=())

    def scan(
        self, source: Source, *, positions: bool, types: Mapping[str, str] | None = None
    ) -> str:
        """A FROM clause with every column, in order; ``__pos`` (row numbers) if asked."""
        files = file_list(source.files)
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

    def column_types(self, engine: Engine) -> dict[str, str]:
        """Parquet files hold their types: nothing to decide."""
        return {}

    def parse_error(self, source: Source, text: str) -> UpweightError | None:
        """DuckDB's words for a damaged file do (see Engine)."""
        return None

    def copy_options(self, dst: Path, plan_json: str, *, folder: bool) -> str:
        """DuckDB ``COPY`` options, the plan in the key-value metadata."""
        meta = f"KV_METADATA {{{quote(PLAN_METADATA_KEY.decode())}: {quote(plan_json)}}}"
        if folder:
            return f"FORMAT parquet, FILE_SIZE_BYTES {PART_BYTES}, {meta}"
        return f"FORMAT parquet, {meta}"
