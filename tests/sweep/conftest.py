from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
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
        convergence=True,
        convergence_batches=40,
        batch_size=16,
        cv=False,  # one validation split: one row per configuration
    )
    return result, outdir


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:

    def late(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, late)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def deadline():
    """``with deadline(10):`` fails the test (rather than hanging) after 10 seconds."""
    return _deadline
