"""The documentation's API reference lists every public name, and only public names."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

INDEX = Path(__file__).resolve().parent.parent / "docs" / "api" / "index.rst"
MODULES = [
    "upweight",
    "upweight.metrics",
    "upweight.datasets",
    "upweight.sklearn",
    "upweight.torch",
    "upweight.keras",
    "upweight.spark",
]
# one class exported by two modules is documented once, under its first module
SAME_OBJECT = {"upweight.keras.BatchStats": "upweight.torch.BatchStats"}


def _documented() -> set[str]:
    names: set[str] = set()
    module = None
    in_autosummary = False
    for line in INDEX.read_text("utf-8").splitlines():
        if m := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = m[1]
        if line.startswith(".. autosummary::"):
            in_autosummary = True
            continue
        if in_autosummary:
            if line.startswith("   :") or not line.strip():
                continue
            if line.startswith("   "):
                names.add(f"{module}.{line.strip()}")
                continue
            in_autosummary = False
    return names


def _public() -> set[str]:
    names = set()
    for name in MODULES:
        if name in {"upweight.torch", "upweight.keras"}:
            pytest.importorskip("torch")
        module = importlib.import_module(name)
        for attr in module.__all__:
            obj = getattr(module, attr)
            if attr == "__version__" or type(obj).__name__ == "module":
                continue
            names.add(f"{name}.{attr}")
    return names


def test_the_reference_lists_every_public_name():
    documented = _documented()
    missing = _public() - documented - set(SAME_OBJECT)
    assert not missing, f"add to docs/api/index.rst: {sorted(missing)}"
    assert not documented - _public(), "docs/api/index.rst lists names that are not public"
    for alias, home in SAME_OBJECT.items():
        assert home in documented
        assert alias.rsplit(".", 1)[1] in INDEX.read_text("utf-8")
