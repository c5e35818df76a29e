"""SQL text for DuckDB: quoted strings, identifiers, literals, lists of input files."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .._types import Label

__all__ = ["file_list", "ident", "literal", "quote", "sql_float"]


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def file_list(files: Sequence[str]) -> str:
    """The input files as a DuckDB list of names, each matching exactly one file.

    DuckDB reads a name holding ``*``, ``?`` or ``[`` as a glob, which could match other
    files too; each of those characters is escaped as a one-character class (``[[]``).
    """
    names = (re.sub(r"([*?\[])", r"[\1]", f) for f in files)
    return "[" + ", ".join(quote(n) for n in names) + "]"


def literal(value: Label) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return quote(str(value))


def sql_float(value: float) -> str:
    return f"CAST({quote(repr(float(value)))} AS DOUBLE)"
