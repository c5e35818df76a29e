"""The example scripts run (on small data)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    ("script", "rows"),
    [("quickstart.py", 60_000), ("grid_search.py", 40_000), ("mlp_torch.py", 30_000)],
)
def test_example_runs(script, rows):
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), str(rows)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "log loss" in proc.stdout


@pytest.mark.slow
def test_spark_example_runs():
    pytest.importorskip("pyspark")
    test_example_runs("spark_logreg.py", 60_000)
