from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

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
