"""What the file engine's modules share: what inspecting files tells, and error words."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from .._exceptions import InputError

__all__ = ["Inspection", "PathLike", "check_unique", "first_line", "missing_words", "path_text"]

PathLike = str | os.PathLike[str]


class Inspection(NamedTuple):
    """What a format learns from its files' headers or footers, before any data is read."""

    rows_per_file: tuple[int, ...] | None  # from Parquet footers; None when unknown (CSV)
    hive: bool  # partition columns in the folder names (``day=2026-01-01/``)
    header: tuple[str, ...]  # CSV: the column names, as the header spells them


def missing_words(n: int) -> str:
    return f"{n:,} missing value" + ("" if n == 1 else "s")


def path_text(value: object, what: str) -> str:
    """``value`` as the text of a path; one clear error for bytes, numbers, None."""
    text = os.fspath(value) if isinstance(value, str | os.PathLike) else None
    if not isinstance(text, str):
        raise InputError(
            f"{what} must be a path as text (str or pathlib.Path); got {type(value).__name__}"
        )
    return text


def first_line(exc: BaseException | str) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def check_unique(names: list[str], path: Path) -> None:
    """Refuse empty or repeated column names, and names that differ only in case.

    DuckDB, which reads the files, tells names apart without regard to case: it would
    rename one of ``Label`` and ``label``, and name an empty one ``C0``.
    """
    for i, name in enumerate(names):
        if not name.strip():
            raise InputError(f"{path.name}: column {i + 1} has no name; give every column one")
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
