"""A small MLP in PyTorch on 1 % positives: k = 1, k = 25 upweighted, k = 25 not upweighted.

Each epoch draws a fresh downsample (every positive, a new 1/25 of the negatives), and each
kept negative weighs 25 in the loss. Prints, per epoch: seconds, validation log loss,
prediction bias and average precision, measured on untouched validation data.

Run: python examples/mlp_torch.py [n_rows] [epochs]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch.utils.data import BatchSampler, DataLoader, TensorDataset

import upweight
from upweight.metrics import evaluate
from upweight.torch import DownsampleSampler, WeightedDataset, init_output_bias, weighted_loss

n_rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
batch_size = 256
torch.set_num_threads(1)  # a small MLP: one thread is as fast, and leaves the other core free

data = upweight.datasets.make_imbalanced(n_rows, minority_share=0.01, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(
    data.X, data.y, test_size=0.2, stratify=data.y, random_state=0
)
X_t = torch.as_tensor(X_train, dtype=torch.float32)
y_t = torch.as_tensor(y_train, dtype=torch.float32)
X_v = torch.as_tensor(X_val, dtype=torch.float32)

runs = {
    "k=1": upweight.plan(y_train, factor=1),
    "k=25, upweighted": upweight.plan(y_train, factor=25),
    "k=25, not upweighted": upweight.plan(y_train, factor=25, weights="none"),
}

rows = []
for name, plan in runs.items():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(X_t.shape[1], 32),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 32),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 1),
    )
    init_output_bias(model[-1], plan)  # start at the training prior
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = weighted_loss(torch.nn.BCEWithLogitsLoss(reduction="none"), plan=plan)

    sampler = DownsampleSampler(y_train, plan=plan, seed=0)
    dataset = WeightedDataset(TensorDataset(X_t, y_t), plan, labels=y_train)
    # whole batches at once: the tensors are in memory, so no per-example collate
    loader = DataLoader(
        dataset, batch_size=None, sampler=BatchSampler(sampler, batch_size, drop_last=False)
    )
    for epoch in range(1, epochs + 1):
        sampler.set_epoch(epoch)
        start = time.perf_counter()
        model.train()
        for xb, yb, wb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb).squeeze(1), yb, wb).backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            proba = torch.sigmoid(model(X_v).squeeze(1)).double().numpy()
        m = evaluate(y_val, np.clip(proba, 1e-12, 1 - 1e-12))
        rows.append((name, epoch, len(sampler), seconds, m))

truth = evaluate(y_val, data.true_proba(X_val))
print(f"MLP on {len(y_train):,} training rows ({y_train.mean():.2%} positives), ", end="")
print(f"validated on {len(y_val):,} untouched rows; batch size {batch_size}, CPU\n")
print(
    "| training | epoch | rows / epoch | seconds | val log loss | prediction bias | avg precision |"
)
print("|---|---:|---:|---:|---:|---:|---:|")
for name, epoch, n, seconds, m in rows:
    print(
        f"| {name} | {epoch} | {n:,} | {seconds:.2f} | {m.log_loss:.5f} "
        f"| {m.prediction_bias:+.1f}% | {m.average_precision:.4f} |"
    )
print(
    f"| true P(y\\|x) | | | | {truth.log_loss:.5f} | {truth.prediction_bias:+.1f}% "
    f"| {truth.average_precision:.4f} |"
)
