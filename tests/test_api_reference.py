"""The documentation's API reference lists every public name, and only public names."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from pathlib import Path

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


def _modules() -> list[str]:
    """The public modules this environment can import (torch and keras need torch)."""
    have_torch = importlib.util.find_spec("torch") is not None
    return [m for m in MODULES if have_torch or m not in {"upweight.torch", "upweight.keras"}]


def _objects() -> dict[str, object]:
    found = {}
    for name in _modules():
        module = importlib.import_module(name)
        for attr in module.__all__:
            obj = getattr(module, attr)
            if attr == "__version__" or inspect.ismodule(obj):
                continue
            found[f"{name}.{attr}"] = obj
    return found


def _public() -> set[str]:
    return set(_objects())


def test_the_reference_lists_every_public_name():
    documented = _documented()
    missing = _public() - documented - set(SAME_OBJECT)
    assert not missing, f"add to docs/api/index.rst: {sorted(missing)}"
    importable = {d for d in documented if d.rsplit(".", 1)[0] in _modules()}
    assert not importable - _public(), "docs/api/index.rst lists names that are not public"
    for alias, home in SAME_OBJECT.items():
        assert home in documented
        assert alias.rsplit(".", 1)[1] in INDEX.read_text("utf-8")


def _methods(cls: type) -> dict[str, object]:
    """Public methods upweight defines on ``cls`` or its own bases (not inherited ones)."""
    found = {}
    for klass in cls.__mro__:
        if not klass.__module__.startswith("upweight"):
            continue
        for name, member in vars(klass).items():
            if name.startswith("_") or name in found:
                continue
            if isinstance(member, classmethod | staticmethod):
                member = member.__func__
            if inspect.isfunction(member):
                found[name] = member
    return found


def test_every_public_function_class_and_method_has_an_example():
    lacking = []
    for name, obj in _objects().items():
        if "Examples\n--------" not in (inspect.getdoc(obj) or ""):
            lacking.append(name)
        if inspect.isclass(obj):
            for method, member in _methods(obj).items():
                if "Examples\n--------" not in (inspect.getdoc(member) or ""):
                    lacking.append(f"{name}.{method}")
    assert not lacking, f"add an Examples section (a doctest) to: {sorted(lacking)}"
