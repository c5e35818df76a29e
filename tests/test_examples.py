"""The example scripts are well-formed sphinx-gallery examples.

The docs build executes every ``examples/plot_*.py`` (and aborts on an error), so the
scripts are not run here: that would double the suite's time. This checks, quickly,
what the build needs and what a reader relies on: a module docstring whose first lines
are an RST title, an introduction, ``# %%`` cells, a matplotlib figure in every executed
script, and names that say whether a script runs at build time.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
#: Shown in the gallery but not executed when the site builds (too slow to start there).
NOT_EXECUTED = {"spark_logreg.py"}


def test_the_gallery_holds_enough_executed_examples():
    executed = [p.name for p in SCRIPTS if p.name.startswith("plot_")]
    assert len(executed) >= 6, executed
    assert (EXAMPLES / "README.rst").is_file(), "the gallery's header is examples/README.rst"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_example_is_a_gallery_script(script):
    source = script.read_text("utf-8")
    tree = ast.parse(source, filename=str(script))
    docstring = ast.get_docstring(tree, clean=False)
    assert docstring, f"{script.name}: no module docstring"
    lines = docstring.strip("\n").splitlines()
    assert len(lines) >= 4, f"{script.name}: a title and an introduction are needed"
    title, underline = lines[0].rstrip(), lines[1].rstrip()
    assert title and re.fullmatch(r"=+", underline), f"{script.name}: no RST title"
    assert len(underline) >= len(title), f"{script.name}: title underline too short"
    assert any(line.strip() for line in lines[2:]), f"{script.name}: no introduction"
    assert "\n# %%\n" in source, f"{script.name}: no '# %%' cells"
    if script.name in NOT_EXECUTED:
        assert not script.name.startswith("plot_")
        assert "not executed" in docstring.lower(), f"{script.name}: say it is not run"
    else:
        assert script.name.startswith("plot_"), (
            f"{script.name}: only plot_*.py scripts run at build time; rename it, or add it "
            "to NOT_EXECUTED and say so in its docstring"
        )
        assert "plt.show()" in source, f"{script.name}: no matplotlib figure"
        assert "sys.argv" not in source, f"{script.name}: the build passes no arguments"
