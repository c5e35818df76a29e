"""The registry of file formats: one entry each, holding all the file engine needs of it.

A format is a class with a ``name``, its ``suffixes``, whether it can be read from a
folder (``in_folders``) and carries the plan inside (``plan_inside``), and five methods:
``inspect`` (what its files' headers or footers say, before any data is read), ``scan``
(the DuckDB ``FROM`` clause that reads it, with row positions if asked), ``column_types``
(types to impose where DuckDB's guess would not hold every value), ``parse_error`` (its
read errors in words) and ``copy_options`` (how DuckDB writes it). Adding a format --
ORC, say -- is one such class and one entry in :data:`FORMATS`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .._exceptions import FileError, UpweightError
from ._common import Inspection
from ._csv import CSV
from ._metadata import sidecar_path
from ._parquet import Parquet

if TYPE_CHECKING:
    from ._duckdb import Engine
    from ._source import Source

__all__ = [
    "FORMATS",
    "Format",
    "file_format",
    "folder_suffixes",
    "format_of",
    "output_kind",
    "plan_sidecar",
]


class Format(Protocol):
    """What the file engine needs to know of one file format (see the module's text)."""

    name: str
    suffixes: tuple[str, ...]
    in_folders: bool
    plan_inside: bool

    def inspect(self, files: list[Path], directory: Path | None) -> Inspection:
        """Rows per file, hive partitions and header, from the files' own metadata."""
        ...

    def scan(
        self, source: Source, *, positions: bool, types: Mapping[str, str] | None = None
    ) -> str:
        """A DuckDB FROM clause with every column in input order (``__pos`` if asked)."""
        ...

    def column_types(self, engine: Engine) -> dict[str, str]:
        """Every column's type, to impose on reads, or ``{}`` where the files hold theirs.

        Called before ``engine.scan`` exists: it may query the files directly.
        """
        ...

    def parse_error(self, source: Source, text: str) -> UpweightError | None:
        """A DuckDB read error of this format in words, or ``None`` for the generic ones."""
        ...

    def copy_options(self, dst: Path, plan_json: str, *, folder: bool) -> str:
        """DuckDB ``COPY ... TO`` options writing this format (a folder of files if asked)."""
        ...


#: Every format, by name.
FORMATS: Mapping[str, Format] = {f.name: f for f in (CSV(), Parquet())}

#: What a folder output is made of.
FOLDER_FORMAT = "parquet"


def _suffixes() -> list[tuple[str, Format]]:
    pairs = [(suffix, f) for f in FORMATS.values() for suffix in f.suffixes]
    return sorted(pairs, key=lambda pair: -len(pair[0]))  # .csv.gz before .gz


def _names() -> str:
    suffixes = [s for s, _ in sorted(_suffixes(), key=lambda pair: pair[0])]
    return ", ".join(suffixes[:-1]) + " or " + suffixes[-1]


def format_of(path: str | os.PathLike[str]) -> Format:
    """The format of a file, by its extension."""
    name = Path(path).name.lower()
    for suffix, fmt in _suffixes():
        if name.endswith(suffix):
            return fmt
    if name.endswith(".plan.json"):
        raise FileError(
            f"{Path(path).name} is the plan of a CSV file: give the CSV file itself, or read "
            "this one with SamplingPlan.from_json"
        )
    raise FileError(f"unsupported file type: {Path(path).name}; use a {_names()} file")


def file_format(path: str | os.PathLike[str]) -> str:
    """The name of a file's format (``"csv"``, ``"parquet"``), by its extension."""
    return format_of(path).name


def folder_suffixes() -> tuple[str, ...]:
    """The extensions of the files read from a folder input."""
    return tuple(s for s, f in _suffixes() if f.in_folders)


def output_kind(dst: Path, *, folder: bool = False) -> str:
    """A format's name for a file output, or ``"directory"`` for a folder of Parquet files.

    ``folder``: the output was spelled as a folder (with a trailing slash), whatever its
    name looks like.
    """
    name = dst.name.lower()
    if folder:
        for suffix, fmt in _suffixes():
            if name.endswith(suffix) and not fmt.in_folders:
                raise FileError(
                    f"output {dst.name}/ names a folder, and folders hold Parquet files, "
                    f"not {fmt.name.upper()}; drop the trailing slash for one {suffix} file"
                )
        return "directory"
    for suffix, fmt in _suffixes():
        if name.endswith(suffix):
            return fmt.name
    if dst.is_dir() or not dst.suffix:
        return "directory"
    raise FileError(
        f"unsupported file type for the output: {dst.name}; use {_names()}, or a name "
        "without extension for a directory of Parquet files"
    )


def plan_sidecar(path: str | os.PathLike[str]) -> Path | None:
    """Where a file's plan goes when its format cannot carry it (``OUT.plan.json``)."""
    return None if format_of(path).plan_inside else sidecar_path(path)
