"""upweight.torch: per-epoch downsampling, balanced batches, weights, losses, DDP."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from torch.utils.data import BatchSampler, DataLoader, TensorDataset  # noqa: E402

import upweight  # noqa: E402
from upweight import InputError, LabelError, PlanError  # noqa: E402
from upweight.torch import (  # noqa: E402
    BalancedBatchSampler,
    DownsampleSampler,
    WeightedDataset,
    init_output_bias,
    weighted_loss,
)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small tensors: one thread is faster, and the machine is shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def labels(n_major: int = 9_900, n_minor: int = 100, seed: int = 0) -> np.ndarray:
    y = np.array([0] * n_major + [1] * n_minor)
    return np.random.default_rng(seed).permutation(y)


# -- DownsampleSampler -------------------------------------------------------------------------
def test_every_epoch_holds_all_minority_and_a_fresh_majority_sample_of_the_plans_size():
    y = labels()
    sampler = DownsampleSampler(y, factor=25, seed=3)
    minority = set(np.flatnonzero(y == 1).tolist())
    majorities = []
    for epoch in range(5):
        sampler.set_epoch(epoch)
        idx = list(sampler)
        assert len(idx) == len(set(idx)) == len(sampler) == sampler.plan.n_kept
        assert minority <= set(idx)
        major = {i for i in idx if y[i] == 0}
        assert len(major) == sampler.plan.kept[0] == round(9_900 / 25)
        majorities.append(frozenset(major))
    assert len(set(majorities)) == 5  # a fresh sample each epoch
    overlap = len(majorities[0] & majorities[1]) / len(majorities[0])
    assert overlap < 0.2  # about 1/k of the sample repeats by chance, not most of it


def test_an_epoch_is_the_in_memory_engines_selection_under_the_epoch_seed():
    y = labels()
    sampler = DownsampleSampler(y, factor=25, seed=3)
    for epoch in (0, 4):
        seed = sampler._core.epoch_seed(epoch)
        chosen = upweight.select(y, plan=sampler.plan, random_state=seed, method="exact")
        assert sampler.epoch_sample(epoch).tolist() == chosen.indices.tolist()
        assert sampler.weights_of(chosen.indices).tolist() == chosen.sample_weight.tolist()


def test_epoch_order_is_shuffled_and_reproducible():
    y = labels()
    sampler = DownsampleSampler(y, factor=10, seed=7)
    first = list(sampler)
    second = list(sampler)  # the epoch advanced by itself
    assert sampler.epoch == 2
    assert first != sorted(first)
    assert set(first) != set(second)
    sampler.set_epoch(0)
    assert list(sampler) == first
    assert list(DownsampleSampler(y, factor=10, seed=7)) == first
    assert list(DownsampleSampler(y, factor=10, seed=8)) != first
    assert sampler.indices(1).tolist() == second
    assert sorted(second) == sampler.epoch_sample(1).tolist()


@pytest.mark.parametrize("k", [2, 5, 20])
def test_share_of_majority_seen_over_epochs_follows_one_minus_one_minus_one_over_k_to_the_e(k):
    y = labels(n_major=40_000, n_minor=400)
    sampler = DownsampleSampler(y, factor=k, seed=11)
    majority = y == 0
    seen = np.zeros(y.size, dtype=bool)
    for epoch in range(1, 9):
        seen[np.asarray(list(sampler))] = True
        share = seen[majority].mean()
        expected = 1 - (1 - 1 / k) ** epoch
        # binomial spread of 40,000 rows is below 0.0025; 0.01 is four of those
        assert abs(share - expected) < 0.01, (epoch, share, expected)


def test_without_resampling_every_epoch_holds_the_same_examples_in_a_new_order():
    y = labels()
    sampler = DownsampleSampler(y, factor=10, seed=1, resample_each_epoch=False)
    first, second = list(sampler), list(sampler)
    assert set(first) == set(second)
    assert first != second


def test_a_given_plan_sets_the_kept_counts_and_weights():
    y = labels()
    plan = upweight.plan(y, target_share=0.2, weights="exact")
    sampler = DownsampleSampler(y, plan=plan, seed=0)
    idx = np.asarray(list(sampler))
    assert sampler.plan is plan
    assert np.bincount(y[idx]).tolist() == [plan.kept[0], plan.kept[1]]
    weights = sampler.weights_of(idx)
    assert np.allclose(weights[y[idx] == 0], 9_900 / plan.kept[0])
    assert weights.sum() == pytest.approx(y.size)


def test_multiclass_string_labels_and_tensor_labels():
    y = np.array(["a"] * 5_000 + ["b"] * 3_000 + ["c"] * 50)
    sampler = DownsampleSampler(y, factor={"a": 10, "b": 4}, seed=0)
    idx = np.asarray(list(sampler))
    values, counts = np.unique(y[idx], return_counts=True)
    assert dict(zip(values.tolist(), counts.tolist(), strict=True)) == {"a": 500, "b": 750, "c": 50}
    tensor = torch.as_tensor(labels())
    assert list(DownsampleSampler(tensor, factor=5)) == list(
        DownsampleSampler(tensor.numpy(), factor=5)
    )


def test_the_sampler_keeps_one_byte_per_label_and_never_sees_features():
    sampler = DownsampleSampler(labels(), factor=5)
    assert sampler._core.codes.dtype == np.uint8
    assert sampler._core.codes.nbytes == 10_000


def test_the_sampler_drives_a_dataloader():
    y = labels()
    X = torch.arange(y.size, dtype=torch.float32).unsqueeze(1)
    sampler = DownsampleSampler(y, factor=25, seed=0)
    loader = DataLoader(TensorDataset(X, torch.as_tensor(y)), batch_size=64, sampler=sampler)
    rows = torch.cat([xb[:, 0] for xb, _ in loader]).long().tolist()
    assert sorted(rows) == sampler.epoch_sample(0).tolist()


# -- BalancedBatchSampler ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("batch_size", "factor", "min_minority"), [(20, 25, 1), (20, 25, 4), (32, 10, 2), (7, 50, 2)]
)
def test_every_balanced_batch_meets_min_minority(batch_size, factor, min_minority):
    y = labels()
    sampler = BalancedBatchSampler(
        y, batch_size=batch_size, factor=factor, min_minority=min_minority, seed=5
    )
    for epoch in range(3):
        sampler.set_epoch(epoch)
        batches = list(sampler)
        assert len(batches) == len(sampler) == math.ceil(sampler.plan.n_kept / batch_size)
        flat = [i for b in batches for i in b]
        assert sorted(flat) == sampler.epoch_sample(epoch).tolist()  # a partition of the epoch
        assert all(len(b) <= batch_size for b in batches)
        assert min(int(y[b].sum()) for b in batches) >= min_minority
        stats = sampler.batch_stats()
        assert stats.epoch == epoch
        assert stats.delivered_min >= min_minority and stats.delivered_short == 0.0


def test_random_batches_of_the_same_sample_do_fall_short():
    """What the balanced sampler prevents does happen with plain random batches."""
    y = labels()
    order = list(DownsampleSampler(y, factor=25, seed=5))
    shorts = [int(y[order[i : i + 20]].sum()) < 2 for i in range(0, len(order), 20)]
    assert any(shorts)


@given(
    n_major=st.integers(1, 400),
    n_minor=st.integers(1, 200),
    batch_size=st.integers(1, 50),
    min_minority=st.integers(1, 5),
    seed=st.integers(0, 2**32),
)
def test_balanced_batches_property(n_major, n_minor, batch_size, min_minority, seed):
    y = np.array([0] * n_major + [1] * n_minor)
    try:
        sampler = BalancedBatchSampler(
            y, batch_size=batch_size, factor=1, min_minority=min_minority, seed=seed
        )
    except (InputError, PlanError):
        n_batches = math.ceil(y.size / batch_size)
        assert min_minority > batch_size or min_minority * n_batches > min(n_major, n_minor)
        return
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(y.size))
    minority = 0 if n_major < n_minor else 1  # the plan's majority is the larger class
    per_batch = [int(np.sum(y[b] == minority)) for b in batches]
    assert min(per_batch) >= min_minority
    assert max(per_batch) - min(per_batch) <= 1
    assert max(len(b) for b in batches) - min(len(b) for b in batches) <= 1


def test_batch_stats_predict_what_the_profile_predicts():
    y = labels()
    sampler = BalancedBatchSampler(y, batch_size=25, factor=10, min_minority=2, seed=0)
    stats = sampler.batch_stats(0)
    view = upweight.profile(sampler.plan.kept, batch_size=25).batch
    assert stats.random_expected == pytest.approx(view.expected)
    assert stats.random_p_none == pytest.approx(view.p_none)
    assert stats.random_p_short == pytest.approx(view.p_fewer_than(2))
    assert stats.random_p_short > 0.2  # random batches would often fall short
    assert stats.delivered_mean == pytest.approx(100 / len(sampler))


def test_balanced_batches_split_between_replicas():
    y = labels()
    kwargs = {"batch_size": 20, "factor": 25, "seed": 2}
    everything = BalancedBatchSampler(y, **kwargs).batches(0)
    shares = [BalancedBatchSampler(y, num_replicas=2, rank=r, **kwargs).batches(0) for r in (0, 1)]
    assert len(shares[0]) == len(shares[1]) == math.ceil(len(everything) / 2)
    assert [b.tolist() for b in shares[0][:3]] == [everything[i].tolist() for i in (0, 2, 4)]
    if len(everything) % 2:  # padded with the epoch's first batch
        assert shares[1][-1].tolist() == everything[0].tolist()


# -- weights and losses ------------------------------------------------------------------------
def test_weighted_dataset_returns_each_examples_weight():
    y = labels()
    plan = upweight.plan(y, factor=25)
    base = TensorDataset(torch.zeros(y.size, 2), torch.as_tensor(y, dtype=torch.float32))
    for data in (WeightedDataset(base, plan), WeightedDataset(base, plan, labels=y)):
        assert len(data) == y.size
        for i in (0, int(np.flatnonzero(y == 1)[0])):
            _, _, w = data[i]
            assert float(w) == (25.0 if y[i] == 0 else 1.0)
            assert w.dtype == torch.float32
        loader = DataLoader(data, batch_size=50, sampler=DownsampleSampler(y, plan=plan))
        for _, yb, wb in loader:
            assert torch.equal(wb, torch.where(yb == 1, 1.0, 25.0))


def test_weighted_dataset_serves_whole_batches_with_labels():
    y = labels()
    plan = upweight.plan(y, factor=25)
    X = torch.arange(y.size, dtype=torch.float32).unsqueeze(1)
    data = WeightedDataset(TensorDataset(X, torch.as_tensor(y)), plan, labels=y)
    sampler = DownsampleSampler(y, plan=plan, seed=0)
    loader = DataLoader(data, batch_size=None, sampler=BatchSampler(sampler, 64, drop_last=False))
    rows = []
    for xb, yb, wb in loader:
        assert xb.shape[0] == yb.shape[0] == wb.shape[0] <= 64
        assert torch.equal(wb, torch.where(yb == 1, 1.0, 25.0))
        rows += xb[:, 0].long().tolist()
    assert rows == sampler.indices(0).tolist()


def test_weighted_dataset_bad_input():
    y = torch.tensor([0, 0, 0, 1])
    plan = upweight.plan(y, factor=3)
    with pytest.raises(InputError, match=r"\(x, y\) pairs"):
        WeightedDataset(TensorDataset(torch.zeros(4)), plan)[0]
    with pytest.raises(InputError, match="not a class of the plan"):
        WeightedDataset(TensorDataset(torch.zeros(4), torch.tensor([5, 5, 5, 5])), plan)[0]
    with pytest.raises(InputError, match="not a class label"):
        WeightedDataset(TensorDataset(torch.zeros(4), torch.zeros(4, 2)), plan)[0]
    with pytest.raises(PlanError, match="class counts"):
        WeightedDataset(TensorDataset(torch.zeros(4), y), plan, labels=[0, 1, 1, 1])
    with pytest.raises(PlanError, match="SamplingPlan"):
        WeightedDataset(TensorDataset(torch.zeros(4), y), {0: 3.0})


def _epoch_losses(y, logits, sampler, loss_fn, batch_size):
    """Mean batch loss of one epoch, each batch weighted by the loss function."""
    target = torch.as_tensor(y, dtype=torch.float32)
    weights = torch.as_tensor(sampler.weights_of(np.arange(y.size)), dtype=torch.float32)
    idx = torch.as_tensor(np.asarray(list(sampler)))
    values = [float(loss_fn(logits[b], target[b], weights[b])) for b in idx.split(batch_size)]
    return float(np.mean(values))


@pytest.mark.parametrize("weights", ["factor", "exact"])
def test_weighted_loss_equals_the_full_data_loss_in_expectation(weights):
    rng = np.random.default_rng(0)
    y = labels(n_major=19_800, n_minor=200)
    # a fixed model: logits that separate the classes somewhat
    logits = torch.as_tensor(rng.normal(size=y.size) + 3.0 * y - 4.0, dtype=torch.float32)
    bce = torch.nn.BCEWithLogitsLoss(reduction="none")
    full = float(bce(logits, torch.as_tensor(y, dtype=torch.float32)).mean())

    plan = upweight.plan(y, factor=20, weights=weights)
    sampler = DownsampleSampler(y, plan=plan, seed=4)
    loss = weighted_loss(bce, plan=plan)
    unweighted = weighted_loss(bce, plan=upweight.plan(y, factor=20, weights="none"))
    per_epoch = np.array([_epoch_losses(y, logits, sampler, loss, 50) for _ in range(60)])
    sampler.set_epoch(0)
    plain = np.array([_epoch_losses(y, logits, sampler, unweighted, 50) for _ in range(60)])

    standard_error = per_epoch.std(ddof=1) / math.sqrt(per_epoch.size)
    assert standard_error < 0.01 * full  # the check below is sharp enough to mean something
    assert abs(per_epoch.mean() - full) < 4 * standard_error + 1e-3 * full
    assert abs(plain.mean() - full) > 50 * standard_error  # without weights: far off


def test_weighted_loss_without_a_plan_is_the_weighted_batch_mean():
    bce = torch.nn.BCEWithLogitsLoss(reduction="none")
    logits, y = torch.tensor([0.0, 1.0, -1.0]), torch.tensor([0.0, 1.0, 0.0])
    w = torch.tensor([2.0, 1.0, 3.0])
    expected = float((bce(logits, y) * w).sum() / w.sum())
    assert float(weighted_loss(bce)(logits, y, w)) == pytest.approx(expected)
    # per-example losses with extra dimensions are averaged per example first
    column = weighted_loss(bce)(logits.unsqueeze(1), y.unsqueeze(1), w)
    assert float(column) == pytest.approx(expected)


def test_weighted_loss_bad_input():
    with pytest.raises(InputError, match="reduction='none'"):
        weighted_loss(torch.nn.BCEWithLogitsLoss())
    reduced = weighted_loss(lambda a, b: torch.nn.functional.mse_loss(a, b))
    with pytest.raises(InputError, match="one loss per example"):
        reduced(torch.zeros(3), torch.zeros(3), torch.ones(3))
    with pytest.raises(InputError, match="callable"):
        weighted_loss("bce")


def test_training_with_weights_keeps_predictions_calibrated():
    torch.manual_seed(0)
    data = upweight.datasets.make_imbalanced(20_000, minority_share=0.02, random_state=0)
    X = torch.as_tensor(data.X, dtype=torch.float32)
    y = torch.as_tensor(data.y, dtype=torch.float32)
    means = {}
    for mode in ("factor", "none"):
        plan = upweight.plan(data.y, factor=10, weights=mode)
        sampler = DownsampleSampler(data.y, plan=plan, seed=0)
        loader = DataLoader(
            WeightedDataset(TensorDataset(X, y), plan), batch_size=64, sampler=sampler
        )
        model = init_output_bias(torch.nn.Linear(X.shape[1], 1), plan)
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        loss_fn = weighted_loss(torch.nn.BCEWithLogitsLoss(reduction="none"), plan=plan)
        for _ in range(4):
            for xb, yb, wb in loader:
                opt.zero_grad()
                loss_fn(model(xb).squeeze(1), yb, wb).backward()
                opt.step()
        with torch.no_grad():
            means[mode] = float(torch.sigmoid(model(X)).mean())
    base_rate = float(data.y.mean())
    assert means["factor"] == pytest.approx(base_rate, rel=0.25)
    assert means["none"] > 3 * base_rate  # downsampled without weights: far too high


# -- init_output_bias --------------------------------------------------------------------------
def test_init_output_bias_sets_the_log_prior():
    plan = upweight.plan({0: 99_000, 1: 1_000}, factor=25)
    layer = init_output_bias(torch.nn.Linear(4, 1), plan)
    assert float(torch.sigmoid(layer.bias.detach())) == pytest.approx(0.01, rel=1e-3)
    two = init_output_bias(torch.nn.Linear(4, 2), plan)
    assert torch.softmax(two.bias.detach(), 0).tolist() == pytest.approx([0.99, 0.01], rel=1e-3)
    unweighted = upweight.plan({0: 99_000, 1: 1_000}, factor=25, weights="none")
    layer = init_output_bias(torch.nn.Linear(4, 1), unweighted)
    assert float(torch.sigmoid(layer.bias.detach())) == pytest.approx(1_000 / 4_960, rel=1e-4)
    three = upweight.plan({"a": 600, "b": 300, "c": 100}, factor={"a": 6})
    layer = init_output_bias(torch.nn.Linear(4, 3), three)
    assert torch.softmax(layer.bias.detach(), 0).tolist() == pytest.approx([0.6, 0.3, 0.1])


def test_init_output_bias_bad_input():
    plan = upweight.plan({0: 990, 1: 10}, factor=10)
    with pytest.raises(InputError, match="3 outputs"):
        init_output_bias(torch.nn.Linear(4, 3), plan)
    with pytest.raises(InputError, match="no bias"):
        init_output_bias(torch.nn.Linear(4, 1, bias=False), plan)
    with pytest.raises(PlanError, match="SamplingPlan"):
        init_output_bias(torch.nn.Linear(4, 1), {0: 0.99})


# -- bad input: one clear error each -----------------------------------------------------------
def test_labels_must_be_1d_integers_or_strings():
    with pytest.raises(LabelError, match="1-D"):
        DownsampleSampler(np.zeros((10, 3), dtype=int), factor=2)
    with pytest.raises(LabelError, match="continuous"):
        DownsampleSampler(np.linspace(0, 1, 10), factor=2)
    with pytest.raises(LabelError, match="missing"):
        DownsampleSampler([0, 1, None, 0], factor=2)
    with pytest.raises(LabelError, match="only one class"):
        DownsampleSampler([0, 0, 0], factor=2)


def test_batch_size_smaller_than_min_minority():
    with pytest.raises(InputError, match="batch_size 4 is smaller than min_minority 5"):
        BalancedBatchSampler(labels(), batch_size=4, factor=25, min_minority=5)


def test_more_minority_per_batch_than_exist():
    with pytest.raises(PlanError, match="need 110 minority examples, but each epoch holds 100"):
        BalancedBatchSampler(labels(), batch_size=20, factor=10, min_minority=2)


def test_a_factor_that_would_leave_a_class_empty():
    with pytest.raises(PlanError, match="less than one row"):
        DownsampleSampler(labels(), factor=20_000)


def test_other_bad_arguments():
    y = labels()
    with pytest.raises(PlanError, match="give a factor"):
        DownsampleSampler(y)
    with pytest.raises(PlanError, match="not both"):
        DownsampleSampler(y, factor=2, plan=upweight.plan(y, factor=2))
    with pytest.raises(PlanError, match="class counts"):
        DownsampleSampler(y, plan=upweight.plan({0: 5, 1: 1}, factor=2))
    with pytest.raises(InputError, match="seed"):
        DownsampleSampler(y, factor=2, seed=-1)
    with pytest.raises(InputError, match="rank"):
        DownsampleSampler(y, factor=2, num_replicas=2, rank=2)
    with pytest.raises(InputError, match="num_replicas"):
        DownsampleSampler(y, factor=2, num_replicas=0, rank=0)
    with pytest.raises(InputError, match="epoch"):
        DownsampleSampler(y, factor=2).set_epoch(-1)
    with pytest.raises(InputError, match="batch_size"):
        BalancedBatchSampler(y, batch_size=0, factor=2)


def test_missing_torch_names_the_extra():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "try:\n    import upweight.torch\n"
        "except ImportError as exc:  # MissingExtraError is one\n"
        "    sys.exit(f'ImportError: {exc}')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "ImportError" in proc.stderr and "pip install 'upweight[torch]'" in proc.stderr


# -- distributed data parallel -----------------------------------------------------------------
_DDP_WORKER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import torch.distributed as dist
    from upweight.torch import BalancedBatchSampler, DownsampleSampler

    dist.init_process_group("gloo", init_method="env://")
    out = {}
    for name, n_major in (("even", 9_900), ("odd", 9_901)):
        y = np.array([0] * n_major + [1] * 100)
        sampler = DownsampleSampler(y, factor=25, seed=9)  # replicas and rank from dist
        out[name] = {
            "num_replicas": sampler.num_replicas,
            "rank": sampler.rank,
            "epochs": [list(sampler) for _ in range(2)],
        }
    balanced = BalancedBatchSampler(np.array([0] * 9_900 + [1] * 100), batch_size=16, factor=25)
    out["batches"] = list(balanced)
    dist.destroy_process_group()
    print(json.dumps(out))
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_ddp_shares_are_disjoint_and_complete(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(_DDP_WORKER)
    env = os.environ | {
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
        "WORLD_SIZE": "2",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, str(script)],
            env=env | {"RANK": str(rank)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in (0, 1)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        results.append(json.loads(out))

    for name, n_major in (("even", 9_900), ("odd", 9_901)):
        y = np.array([0] * n_major + [1] * 100)
        reference = DownsampleSampler(y, factor=25, seed=9)
        assert [r[name]["rank"] for r in results] == [0, 1]
        assert all(r[name]["num_replicas"] == 2 for r in results)
        for epoch in range(2):
            share0, share1 = (r[name]["epochs"][epoch] for r in results)
            sample = reference.epoch_sample(epoch).tolist()
            order = reference.indices(epoch).tolist()
            assert len(share0) == len(share1) == math.ceil(len(sample) / 2)
            assert sorted(set(share0) | set(share1)) == sample  # complete
            if len(sample) % 2 == 0:
                assert not set(share0) & set(share1)  # disjoint
            else:  # padded as DistributedSampler pads: with the epoch's first example
                assert set(share0) & set(share1) == {order[0]}
                assert share1[-1] == order[0]
        assert results[0][name]["epochs"][0] != results[0][name]["epochs"][1]

    batches0, batches1 = results[0]["batches"], results[1]["batches"]
    ids0 = {i for b in batches0 for i in b}
    ids1 = {i for b in batches1 for i in b}
    everything = BalancedBatchSampler(np.array([0] * 9_900 + [1] * 100), batch_size=16, factor=25)
    n_batches = len(everything)
    assert len(batches0) == len(batches1) == math.ceil(n_batches / 2)
    assert ids0 | ids1 == set(everything.epoch_sample(0).tolist())
    if n_batches % 2 == 0:
        assert not ids0 & ids1


# -- factors that go too far: one warning when the sampler is made, none per epoch -------------
def nine_to_one() -> np.ndarray:
    return np.random.default_rng(0).permutation(np.array([0] * 900 + [1] * 100))


def test_the_samplers_warn_once_when_a_factor_goes_too_far():
    y = nine_to_one()
    with pytest.warns(upweight.OverDownsampleWarning, match="keeps 6 rows of class 0") as w:
        sampler = DownsampleSampler(y, factor=150, seed=0)
        for epoch in range(3):
            sampler.set_epoch(epoch)
            assert len(list(sampler)) == 106
    assert len(w) == 1 and w[0].filename == __file__
    with pytest.warns(upweight.OverDownsampleWarning, match="leave class 1 out of") as w:
        BalancedBatchSampler(y, factor={1: 2}, batch_size=64, seed=0)
    assert len(w) == 1 and w[0].filename == __file__


def test_the_samplers_do_not_warn_for_a_sane_factor():
    y = nine_to_one()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(DownsampleSampler(y, factor=9, seed=0))
        list(BalancedBatchSampler(y, factor=5, batch_size=10, seed=0))
