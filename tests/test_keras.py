"""upweight.keras: a PyDataset with a fresh downsample every epoch, on Keras's torch backend."""

from __future__ import annotations

import os
import subprocess
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras

import numpy as np
import pytest

pytest.importorskip("torch")
keras = pytest.importorskip("keras")

import upweight  # noqa: E402

# Keras's torch backend converts tensors with np.array(x), which NumPy 2 flags
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
from upweight import InputError, LabelError, PlanError  # noqa: E402
from upweight.keras import DownsamplePyDataset, init_output_bias  # noqa: E402


def data(n_major: int = 4_950, n_minor: int = 50, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.array([0] * n_major + [1] * n_minor))
    x = np.column_stack([np.arange(y.size), rng.normal(size=y.size)]).astype("float32")
    return x, y


def epoch_rows(ds: DownsamplePyDataset) -> list[int]:
    """Every row served in the current epoch, read back from the batches' first column."""
    rows = []
    for i in range(len(ds)):
        xb, yb, wb = ds[i]
        rows += xb[:, 0].astype(int).tolist()
        assert np.array_equal(wb, np.where(yb == 1, 1.0, ds.plan.class_weights[0]))
        assert wb.dtype == np.float32
    return rows


def test_keras_runs_on_the_torch_backend():
    assert keras.backend.backend() == "torch"


def test_each_epoch_holds_all_minority_and_a_fresh_majority_sample():
    x, y = data()
    ds = DownsamplePyDataset(x, y, batch_size=32, factor=11, seed=1)
    assert ds.plan.kept == {0: 450, 1: 50}
    assert len(ds) == 16
    seen = []
    for _ in range(3):
        rows = epoch_rows(ds)
        assert len(rows) == len(set(rows)) == 500
        assert set(np.flatnonzero(y == 1).tolist()) <= set(rows)
        assert int((y[rows] == 0).sum()) == 450
        seen.append(frozenset(rows))
        ds.on_epoch_end()
    assert len(set(seen)) == 3
    ds.set_epoch(1)
    assert frozenset(epoch_rows(ds)) == seen[1]


def test_min_minority_batches():
    x, y = data()
    ds = DownsamplePyDataset(x, y, batch_size=20, factor=11, min_minority=2, seed=0)
    for _ in range(2):
        assert all(int(ds[i][1].sum()) >= 2 for i in range(len(ds)))
        stats = ds.batch_stats()
        assert stats.delivered_min >= 2 and stats.random_p_short > 0.1
        ds.on_epoch_end()
    with pytest.raises(InputError, match="smaller than min_minority"):
        DownsamplePyDataset(x, y, batch_size=2, factor=11, min_minority=3)
    with pytest.raises(PlanError, match="minority examples"):
        DownsamplePyDataset(x, y, batch_size=10, factor=11, min_minority=2)


def test_a_dict_of_inputs_and_a_given_plan():
    x, y = data()
    plan = upweight.plan(y, target_share=0.25, weights="exact")
    ds = DownsamplePyDataset({"a": x, "b": x[:, :1]}, y, batch_size=64, plan=plan)
    xb, _, _ = ds[0]
    assert set(xb) == {"a", "b"} and xb["a"].shape == (64, 2) and xb["b"].shape == (64, 1)
    assert np.array_equal(xb["a"][:, :1], xb["b"])
    assert sum(len(ds[i][1]) for i in range(len(ds))) == plan.n_kept


def test_fit_trains_two_epochs_with_a_fresh_sample_each():
    x, y = data(n_major=9_900, n_minor=100)
    ds = DownsamplePyDataset(x[:, 1:], y, batch_size=64, factor=10, seed=0)
    first = ds.batches()
    output = keras.layers.Dense(1, activation="sigmoid", kernel_initializer="zeros")
    model = keras.Sequential([keras.Input((1,)), output])
    init_output_bias(output, ds.plan)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert all(np.isfinite(history.history["loss"]))
    # Keras called on_epoch_end after each epoch (and once after reading a batch to build)
    assert ds.epoch >= 2
    assert not np.array_equal(np.sort(np.concatenate(first)), np.sort(np.concatenate(ds.batches())))
    mean_prediction = float(model.predict(x[:2_000, 1:], verbose=0).mean())
    assert mean_prediction == pytest.approx(0.01, rel=0.5)  # weighted: near the true rate


def test_init_output_bias():
    plan = upweight.plan({0: 990, 1: 10}, factor=10)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    init_output_bias(model.layers[-1], plan)
    assert model.predict(np.zeros((1, 3)), verbose=0)[0].tolist() == pytest.approx([0.99, 0.01])
    with pytest.raises(InputError, match="no bias"):
        init_output_bias(keras.layers.Dense(1), plan)
    with pytest.raises(PlanError, match="SamplingPlan"):
        init_output_bias(model.layers[-1], {0: 1.0})


def test_bad_input():
    x, y = data()
    with pytest.raises(InputError, match="x has 10 rows but y has 5000"):
        DownsamplePyDataset(x[:10], y, batch_size=8, factor=2)
    with pytest.raises(LabelError, match="1-D"):
        DownsamplePyDataset(x, np.zeros((5_000, 2), dtype=int), batch_size=8, factor=2)
    with pytest.raises(PlanError, match="less than one row"):
        DownsamplePyDataset(x, y, batch_size=8, factor=10_000)
    with pytest.raises(InputError, match="batch_size"):
        DownsamplePyDataset(x, y, batch_size=0, factor=2)
    with pytest.raises(InputError, match="different lengths"):
        DownsamplePyDataset({"a": x, "b": x[:3]}, y, batch_size=8, factor=2)
    pd = pytest.importorskip("pandas")
    with pytest.raises(InputError, match="NumPy array"):
        DownsamplePyDataset(pd.DataFrame(x), y, batch_size=8, factor=2)
    with pytest.raises(IndexError):
        DownsamplePyDataset(x, y, batch_size=8, factor=2)[10_000]


def test_missing_keras_names_the_extra():
    code = "import sys; sys.modules['keras'] = None; import upweight.keras"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "pip install 'upweight[keras]'" in proc.stderr


def test_importing_the_module_chooses_the_torch_backend_when_unset():
    code = "import upweight.keras, keras; print(keras.backend.backend())"
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert proc.stdout.strip().splitlines()[-1] == "torch"


def test_the_dataset_warns_once_when_a_factor_goes_too_far():
    x, y = data()
    with pytest.warns(upweight.OverDownsampleWarning, match="factor <= 100 keeps class 0") as w:
        ds = DownsamplePyDataset(x, y, batch_size=16, factor=200, seed=0)
        for _ in range(2):
            ds.on_epoch_end()
    assert len(w) == 1 and w[0].filename == __file__
