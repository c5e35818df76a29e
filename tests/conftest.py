from __future__ import annotations

import os

# Under pytest-xdist (`make test`: one worker per core), each worker keeps to one BLAS /
# OpenMP thread, and so do the commands it starts: two workers' thread pools would
# otherwise fight over the same cores (OpenBLAS's threads spin while they wait).
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_variable, "1")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from threadpoolctl import threadpool_limits

if os.environ.get("PYTEST_XDIST_WORKER"):
    threadpool_limits(1)  # in case NumPy was imported before this file

# CI draws the same examples on every run (a red build is then reproducible, never luck);
# HYPOTHESIS_PROFILE=dev explores afresh each time, with more examples.
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def imbalanced_labels() -> np.ndarray:
    """10,000 labels, 1 % positives, shuffled."""
    y = np.zeros(10_000, dtype=np.int64)
    y[:100] = 1
    return np.random.default_rng(0).permutation(y)
