"""
A file larger than memory
=========================

When the data does not fit in memory, :func:`upweight.profile_file` counts the classes
from the label column alone, and :func:`upweight.sample_file` streams the file once more
to write the kept rows with a ``weight`` column, in bounded memory. The plan travels
inside the output (Parquet metadata), so :func:`upweight.read_plan` gets it back later
without counting the data again.

Parquet in and one Parquet file out run on pyarrow, on worker threads; CSV files,
directory outputs and hive partitions run on DuckDB, embedded; both engines keep the
same rows. The file built here is small -- 2,000,000 rows, written in chunks of 250,000
as a real export would be -- so that this page builds in seconds; the same calls run
unchanged on files of any size. For large files, see ``benchmarks/README.md``: on a
generated 20M-row, 0.9 GB Parquet file (10 float32 features, 1 % positives, k = 25),
``upweight sample`` took 1.8 s at 464 MB peak memory, and 5.9 s at 459 MB on a 100M-row
file of the same shape (``benchmarks/large_file.py``, 2026-11-28); since row groups are
read without a memory map, 1.28-1.35 times the time of a hand-written DuckDB one-liner
on the 20M-row file, at 475-478 MB (2026-12-01).
"""

# %%
# Write a Parquet file in chunks
# ------------------------------
# Each chunk comes from :func:`upweight.datasets.make_imbalanced` (1 % positives, five
# standard-normal features, the same known logistic ``P(y | x)`` for every seed); only
# one chunk is in memory at a time. A separate test file is written the same way.
import shutil
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pyarrow.parquet as pq
from sklearn.linear_model import LogisticRegression

import upweight
from upweight.datasets import make_imbalanced
from upweight.metrics import evaluate

folder = Path(tempfile.mkdtemp(prefix="upweight-file-"))
source = folder / "events.parquet"
chunk_rows, n_chunks = 250_000, 8
writer = None
for i in range(n_chunks):
    chunk = make_imbalanced(chunk_rows, minority_share=0.01, random_state=100 + i).to_arrow()
    if writer is None:
        writer = pq.ParquetWriter(source, chunk.schema)
    writer.write_table(chunk)
writer.close()
test = make_imbalanced(200_000, minority_share=0.01, random_state=99)
meta = pq.ParquetFile(source).metadata
print(f"{source.name}: {meta.num_rows:,} rows in {meta.num_row_groups} row groups, ", end="")
print(f"{source.stat().st_size / 1e6:.0f} MB")

# %%
# Profile: one pass over the label column
# ---------------------------------------
start = time.perf_counter()
prof = upweight.profile_file(source, label="label", batch_size=32)
print(f"profiled in {time.perf_counter() - start:.2f} s")
print(prof)
print(f"batches of 32 with no positive: {prof.batch.p_none:.1%}")
k = prof.recommend_factor(32)
print(f"smallest k giving 95% of batches of 32 a positive: {k}")

# %%
# Sample: keep every positive and one in k negatives, with a weight column
# ------------------------------------------------------------------------
# Here *k* = 25 (above the factor the profile recommends): each kept negative weighs 25.
sample = folder / "train.parquet"
start = time.perf_counter()
applied = upweight.sample_file(source, sample, label="label", factor=25, seed=0)
print(
    f"sampled in {time.perf_counter() - start:.2f} s: {applied.n_kept:,} of {applied.n_rows:,} rows"
)
print(applied)

# %%
# Later, perhaps in another process: read the plan back from the output's metadata.
plan = upweight.read_plan(sample)
print(plan.to_json())
assert plan.kept == applied.kept

# %%
# Train on the sample with its weights
# ------------------------------------
# The sample fits in memory. The weight column goes to ``sample_weight``; a second model
# is fitted without weights and corrected with the plan (the offset).
table = pq.read_table(sample)
features = [name for name in table.column_names if name.startswith("x")]
X_s = np.column_stack([table[name].to_numpy() for name in features])
y_s = table["label"].to_numpy()
weight = table["weight"].to_numpy()

weighted = LogisticRegression(max_iter=1000).fit(X_s, y_s, sample_weight=weight)
unweighted = LogisticRegression(max_iter=1000).fit(X_s, y_s)
raw = unweighted.predict_proba(test.X)[:, 1]
results = {
    "upweighted (weight column)": evaluate(test.y, weighted.predict_proba(test.X)[:, 1]),
    "offset (read_plan)": evaluate(test.y, upweight.correct_proba(raw, plan=plan)),
    "no correction": evaluate(test.y, raw),
    "true P(y | x)": evaluate(test.y, test.proba),
}
print(f"on {len(test.y):,} untouched test rows ({test.y.mean():.2%} positives):")
for name, m in results.items():
    print(f"{name:>27}: log loss {m.log_loss:.5f}, prediction bias {m.prediction_bias:+.1f}%")

# %%
# Rows before and after, and what the weights restore
# ---------------------------------------------------
# Left: rows per class in the file and in the sample (log scale). Right: the sample's
# rows per class, each counted with its weight -- the weighted totals are the file's
# class counts again (exactly, with ``weights="exact"``; on average with the default
# ``weights="factor"``).
weighted_totals = {c: float(weight[y_s == c].sum()) for c in plan.labels}
fig, (ax_rows, ax_weighted) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
x = np.arange(len(plan.labels))
before = [plan.counts[c] for c in plan.labels]
after = [plan.kept[c] for c in plan.labels]
ax_rows.bar(x - 0.2, before, 0.4, label="file")
ax_rows.bar(x + 0.2, after, 0.4, label="sample")
ax_rows.set_yscale("log")
ax_rows.set_ylabel("rows")
ax_rows.set_title("rows per class")
ax_weighted.bar(x - 0.2, before, 0.4, label="file: rows")
ax_weighted.bar(
    x + 0.2, [weighted_totals[c] for c in plan.labels], 0.4, label="sample: sum of weights"
)
ax_weighted.set_yscale("log")
ax_weighted.set_title("rows per class, weighted")
for ax in (ax_rows, ax_weighted):
    ax.set_xticks(x, [f"class {c}" for c in plan.labels])
    ax.legend()
    for xi, values in (
        (x - 0.2, before),
        (x + 0.2, after if ax is ax_rows else [weighted_totals[c] for c in plan.labels]),
    ):
        for xv, v in zip(xi, values, strict=True):
            ax.annotate(f"{v:,.0f}", (xv, v), ha="center", va="bottom", fontsize=8)
plt.show()

# %%
# The same from the command line: ``upweight analyze events.parquet --label label`` and
# ``upweight sample events.parquet --label label --factor 25 -o train.parquet``.

# %%
# The temporary folder goes when the example ends (run it yourself with a folder of your
# own to keep the files).
shutil.rmtree(folder)
