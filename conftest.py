"""Doctests that need an optional framework are skipped where it is not installed.

``pytest`` collects the doctests of ``src/upweight`` (``--doctest-modules``). The adapter
modules import their framework as they are imported (``upweight.torch``,
``upweight.keras``) or as they are called (``upweight.spark``), so without it their
doctests cannot run: those modules are not collected, and a doctest elsewhere that imports
an adapter or an optional library (``from upweight.torch import ...``, ``import pandas``)
is skipped, naming what to install.
"""

from __future__ import annotations

import importlib.util
import os
import re
from typing import Any

import pytest

#: adapter module -> the modules its doctests need
_ADAPTERS = {
    "torch": ("torch",),
    "keras": ("keras", "torch")
    if os.environ.get("KERAS_BACKEND", "torch") == "torch"
    else ("keras",),
    "spark": ("pyspark", "pandas"),
}
#: optional libraries (extras) a doctest may import
_LIBRARIES = ("pandas", "polars", "lightgbm", "xgboost", "torch", "keras", "pyspark")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


_MISSING = {
    m
    for m in {*_LIBRARIES, *(n for needs in _ADAPTERS.values() for n in needs)}
    if not _installed(m)
}
_UNUSABLE = {a for a, needs in _ADAPTERS.items() if any(n in _MISSING for n in needs)}

collect_ignore = [f"src/upweight/{adapter}.py" for adapter in sorted(_UNUSABLE)]


def _needs(source: str) -> str | None:
    """What a doctest's source imports that is not installed (None if nothing)."""
    for adapter in _UNUSABLE:
        if re.search(rf"^(from|import) upweight\.{adapter}\b", source, re.M):
            return f"upweight.{adapter}"
    for library in _MISSING:
        if re.search(rf"^(from|import) {library}\b|^import .*\b{library}\b", source, re.M):
            return library
    return None


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Skip the doctests whose examples import a framework that is not installed."""
    if not _MISSING:
        return
    for item in items:
        dtest = getattr(item, "dtest", None)
        if dtest is None:
            continue
        needed = _needs("\n".join(example.source for example in dtest.examples))
        if needed is not None:
            item.add_marker(pytest.mark.skip(reason=f"needs {needed}, which is not installed"))
