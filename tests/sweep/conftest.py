from __future__ import annotations

from pathlib import Path

import pytest

import upweight
from upweight.datasets import make_imbalanced


@pytest.fixture(scope="session")
def small_data():
    """20,000 rows, 3 % positives, known truth."""
    return make_imbalanced(20_000, minority_share=0.03, random_state=1)


@pytest.fixture(scope="session")
def swept(small_data, tmp_path_factory) -> tuple[upweight.SweepResult, Path]:
    """One sweep with a report, shared by the report, resume and browser tests."""
    outdir = tmp_path_factory.mktemp("sweep") / "out"
    result = upweight.sweep(
        small_data.X,
        y=small_data.y,
        factors=[1, 5, 20],
        outdir=outdir,
        convergence_batches=40,
        batch_size=16,
    )
    return result, outdir
