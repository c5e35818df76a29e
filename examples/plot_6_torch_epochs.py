"""
PyTorch: a fresh downsample every epoch
=======================================

:class:`upweight.torch.DownsampleSampler` gives a ``DataLoader`` every minority example
and a *fresh* one in *k* majority examples each epoch; :class:`~upweight.torch.WeightedDataset`
attaches each example's weight (*k* for a kept majority example) and
:func:`~upweight.torch.weighted_loss` uses it. An epoch then holds about 1/*k* of the
majority, so it takes a fraction of the time, and over *E* epochs the model sees a share
1 - (1 - 1/*k*)\\ :sup:`E` of the majority.

The data: :func:`upweight.datasets.make_imbalanced` with 200,000 rows, five
standard-normal features, 1 % positives and a known logistic ``P(y | x)`` (seed 0); 80 %
to train, 20 % untouched for validation. The model: a small MLP (5-32-32-1, ReLU), Adam,
batches of 256, six epochs, on the CPU with one thread. We compare k = 1 (all rows
every epoch), k = 25 upweighted, and k = 25 without the weights.
"""

# %%
# Data and runs
# -------------
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch.utils.data import BatchSampler, DataLoader, TensorDataset

import upweight
from upweight.metrics import evaluate
from upweight.torch import DownsampleSampler, WeightedDataset, init_output_bias, weighted_loss

torch.set_num_threads(1)  # a small MLP: one thread is as fast, and leaves the other core free
epochs, batch_size = 6, 256

data = upweight.datasets.make_imbalanced(200_000, minority_share=0.01, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(
    data.X, data.y, test_size=0.2, stratify=data.y, random_state=0
)
X_t = torch.as_tensor(X_train, dtype=torch.float32)
y_t = torch.as_tensor(y_train, dtype=torch.float32)
X_v = torch.as_tensor(X_val, dtype=torch.float32)
truth = evaluate(y_val, data.true_proba(X_val))
print(f"{len(y_train):,} training rows ({y_train.mean():.2%} positives), {len(y_val):,} validation")
print(f"the true P(y | x) on the validation rows: log loss {truth.log_loss:.5f}")

runs = {
    "k=1": upweight.plan(y_train, factor=1),
    "k=25, upweighted": upweight.plan(y_train, factor=25),
    "k=25, not upweighted": upweight.plan(y_train, factor=25, weights="none"),
}

# %%
# The training loop
# -----------------
# ``sampler.set_epoch(epoch)`` draws that epoch's sample; the loader yields
# ``(x, y, weight)`` batches. The output bias starts at the training prior
# (:func:`~upweight.torch.init_output_bias`).
history = {}
for name, plan in runs.items():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(X_t.shape[1], 32),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 32),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 1),
    )
    init_output_bias(model[-1], plan)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = weighted_loss(torch.nn.BCEWithLogitsLoss(reduction="none"), plan=plan)
    sampler = DownsampleSampler(y_train, plan=plan, seed=0)
    dataset = WeightedDataset(TensorDataset(X_t, y_t), plan, labels=y_train)
    # whole batches at once: the tensors are in memory, so no per-example collate
    loader = DataLoader(
        dataset, batch_size=None, sampler=BatchSampler(sampler, batch_size, drop_last=False)
    )
    losses, seconds, elapsed = [], [], 0.0
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        start = time.perf_counter()
        model.train()
        for xb, yb, wb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb).squeeze(1), yb, wb).backward()
            optimizer.step()
        elapsed += time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            proba = torch.sigmoid(model(X_v).squeeze(1)).double().numpy()
        m = evaluate(y_val, np.clip(proba, 1e-12, 1 - 1e-12))
        losses.append(m.log_loss)
        seconds.append(elapsed)
    history[name] = {"loss": losses, "seconds": seconds, "bias": m.prediction_bias}
    print(
        f"{name}: {len(sampler):,} rows per epoch, {elapsed:.2f} s in all; after epoch "
        f"{epochs}: validation log loss {losses[-1]:.5f}, bias {m.prediction_bias:+.1f}%"
    )

# %%
# Validation log loss, per epoch and per second of training
# ----------------------------------------------------------
# k = 1 against k = 25 upweighted, with the true model's log loss as the floor. The
# run without the weights is left out: its log loss (printed above) is off this scale.
fig, (ax_epoch, ax_time) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
styles = {"k=1": "o-", "k=25, upweighted": "s-"}
for name, style in styles.items():
    h = history[name]
    ax_epoch.plot(range(1, epochs + 1), h["loss"], style, label=name)
    ax_time.plot(h["seconds"], h["loss"], style, label=name)
for ax in (ax_epoch, ax_time):
    ax.axhline(truth.log_loss, color="tab:green", ls="--", lw=1, label="true P(y | x)")
    ax.set_ylabel("validation log loss")
    ax.legend(fontsize=8)
ax_epoch.set_xlabel("epoch")
ax_time.set_xlabel("seconds of training (cumulative)")
fig.suptitle("MLP on make_imbalanced(200,000, 1 %, seed 0), validated on 40,000 untouched rows")
plt.show()

# %%
# What this run shows, epoch by epoch (the gap is k = 25 upweighted against k = 1 at
# the same epoch):
full, down = history["k=1"], history["k=25, upweighted"]
for epoch in range(epochs):
    gap = down["loss"][epoch] / full["loss"][epoch] - 1
    print(
        f"epoch {epoch + 1}: k=1 {full['loss'][epoch]:.5f} ({full['seconds'][epoch]:5.2f} s), "
        f"k=25 upweighted {down['loss'][epoch]:.5f} ({down['seconds'][epoch]:5.2f} s), "
        f"gap {gap:+.2%}"
    )
unweighted_bias = history["k=25, not upweighted"]["bias"]
print(f"without the weights, the mean prediction ends {unweighted_bias:+.0f}% off")

# %%
# These are the figures of this generated data, where logistic structure makes the
# problem easy for the MLP; they are not a promise for other data. On real, harder
# data a downsampled model can need many more epochs to catch up with the full data,
# or not catch up within a given budget: measure it on yours, for instance with
# ``upweight sweep --convergence sgd,torch``.

# %%
# How much of the majority the model has seen
# -------------------------------------------
# Each epoch draws a new 1/*k* of the majority, so after *E* epochs a share
# 1 - (1 - 1/*k*)\ :sup:`E` of the majority has been seen at least once. The dots count
# it from the sampler's own epoch samples (:meth:`~upweight.torch.DownsampleSampler.indices`).
majority = y_train == 0
n_epochs = np.arange(1, 61)
fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
for k, colour in ((10, "tab:blue"), (25, "tab:orange"), (50, "tab:red")):
    ax.plot(n_epochs, 1 - (1 - 1 / k) ** n_epochs, color=colour, label=f"k = {k}: 1 - (1 - 1/k)^E")
    sampler = DownsampleSampler(y_train, factor=k, seed=0)
    seen = np.zeros(len(y_train), dtype=bool)
    measured = []
    for epoch in range(n_epochs[-1]):
        seen[sampler.indices(epoch)] = True
        measured.append(seen[majority].mean())
    ax.plot(n_epochs[4::5], np.array(measured)[4::5], "o", color=colour, ms=4)
    print(f"k={k}: after {n_epochs[-1]} epochs, {measured[-1]:.1%} of the majority seen")
ax.set_xlabel("epochs E")
ax.set_ylabel("share of the majority seen at least once")
ax.set_ylim(0, 1.02)
ax.legend()
plt.show()
