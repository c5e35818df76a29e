"""The package's surface: what `import upweight` pulls in, and what it exports."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import upweight

HEAVY = ["torch", "keras", "pyspark", "matplotlib", "pandas", "polars", "sklearn", "scipy.stats"]


def test_import_pulls_in_no_heavy_framework():
    code = (
        "import json, sys, upweight, upweight.metrics, upweight.datasets; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


def test_the_sweep_is_imported_on_first_use():
    code = (
        "import sys, upweight; assert 'upweight._sweep' not in sys.modules; "
        "upweight.sweep; assert 'upweight._sweep' in sys.modules; "
        "assert 'matplotlib' not in sys.modules and 'sklearn' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_all_lists_every_public_name():
    public = {
        name
        for name, value in vars(upweight).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public <= set(upweight.__all__)
    for name in upweight.__all__:
        assert hasattr(upweight, name), name


def test_dir_lists_every_public_name_before_it_is_loaded():
    code = "import json, upweight; print(json.dumps([sorted(dir(upweight)), upweight.__all__]))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    listed, public = json.loads(out)
    assert {"sweep", "metrics", "datasets", "SweepResult", "Recommendation"} <= set(public)
    assert {"UpweightWarning", "OverDownsampleWarning"} <= set(public)
    assert set(public) <= set(listed) and "annotations" not in listed
    assert set(upweight.__all__) <= set(dir(upweight))


def test_every_public_object_has_a_docstring_with_an_example_or_attributes():
    for name in upweight.__all__:
        obj = getattr(upweight, name)
        if name == "__version__":
            continue
        assert inspect.getdoc(obj), f"{name} has no docstring"


def test_sklearn_subpackage_exports():
    from upweight import sklearn as us

    assert set(us.__all__) == {"DownsampleUpweight", "DownsampledClassifier"}


def test_version_is_a_string():
    assert isinstance(upweight.__version__, str) and upweight.__version__[0].isdigit()
