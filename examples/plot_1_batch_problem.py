"""
The batch problem: 200 majority examples and 2 minority ones
=============================================================

Google's Machine Learning Crash Course illustrates class imbalance with a data set of
200 examples of the majority class and 2 of the minority class, and says that with
batches of 20 most batches hold no minority example, and with batches of 100 a batch
holds about one on average.

:func:`upweight.profile` computes these figures exactly: a batch of *b* rows drawn
without replacement holds a hypergeometric number of minority examples. This example
works through the course's numbers with its :class:`~upweight.BatchView`, then shows
what downsampling the majority class by a factor *k* does to them.

No data is generated here: a profile can be made from class counts alone.
"""

# %%
# The course's data: 200 : 2
# --------------------------
# A mapping ``class -> count`` stands in for the labels. ``profile(..., batch_size=b)``
# attaches a :class:`~upweight.BatchView` of batches of *b* rows.
import matplotlib.pyplot as plt
import numpy as np

import upweight

counts = {0: 200, 1: 2}
prof = upweight.profile(counts, batch_size=20)
print(prof)

# %%
# The batch view answers "what does a batch hold of the rarest class?":
# ``expected`` is the mean number of minority examples per batch, ``p_none`` the chance
# that a batch holds none, and ``p_fewer_than(m)`` the chance that it holds fewer than
# *m*.
for batch_size in (20, 100):
    view = prof.batch_view(batch_size)
    print(
        f"batches of {batch_size:>3}: {view.expected:.2f} minority example(s) on average; "
        f"P(none) = {view.p_none:.3f}, P(fewer than 2) = {view.p_fewer_than(2):.3f}"
    )

# %%
# With batches of 20, about four batches in five hold no minority example at all: the
# gradient of those batches says nothing about what the minority looks like. With
# batches of 100, a batch holds one minority example on average, and about a quarter
# of the batches still hold none. Larger batches help, but only slowly.
#
# How many batches of 20 does an epoch (202 rows, so about ten batches) give that
# hold a minority example? At most two -- there are only two minority examples.

# %%
# Downsampling the majority class
# -------------------------------
# Keep one in *k* majority examples (and every minority one). :func:`upweight.plan` does
# the arithmetic; :meth:`~upweight.SamplingPlan.kept_profile` profiles the rows that
# training then sees.
for k in (1, 2, 5, 10, 20):
    plan = upweight.plan(counts, factor=k)
    kept = plan.kept_profile(batch_size=20)
    print(
        f"k={k:>2}: kept {plan.kept}, minority share {kept.minority_share:6.1%}, "
        f"batches of 20: {kept.batch.expected:.2f} on average, "
        f"P(none) = {kept.batch.p_none:.3f}"
    )

# %%
# Downsampled by 20, the data holds 10 majority and 2 minority examples, and every batch
# of 20 (which now holds all 12 rows) contains both minority examples. The price is
# paid elsewhere: the model would see the minority 20 times more often than in the
# real world, which is why the kept majority examples are *upweighted* by *k* (or the
# predictions corrected by an offset of -ln *k*; see
# :ref:`sphx_glr_auto_examples_plot_2_quickstart.py`).
#
# The smallest factor that gives at least one minority example in 95 % of batches:
for batch_size in (20, 100):
    k_min = prof.recommend_factor(batch_size)
    print(f"batches of {batch_size}: k = {k_min}")

# %%
# P(a batch holds no minority example), against batch size and against *k*
# ------------------------------------------------------------------------
# Left: the untouched data (200 : 2) and the same data downsampled by 5 and by 10, for
# batch sizes from 1 to the whole data. Right: batches of 20 and 100 as *k* grows. The
# figures are exact hypergeometric probabilities, computed by the profile.
batch_sizes = np.arange(1, 203)
factors = np.arange(1, 41)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
for k, style in ((1, "-"), (5, "--"), (10, ":")):
    kept = upweight.plan(counts, factor=k).kept_profile()
    p_none = [kept.batch_view(int(b)).p_none for b in batch_sizes]
    left.plot(batch_sizes, p_none, style, label=f"k = {k} ({kept.n_rows} rows)")
for b in (20, 100):
    left.axvline(b, color="0.8", lw=0.8, zorder=0)
left.set_xlabel("batch size")
left.set_ylabel("P(batch holds no minority example)")
left.set_title("200 : 2, by batch size")
left.set_ylim(-0.02, 1.02)
left.legend()

for b, marker in ((20, "o"), (100, "s")):
    p_none = [
        upweight.plan(counts, factor=int(k)).kept_profile().batch_view(b).p_none for k in factors
    ]
    right.plot(factors, p_none, marker=marker, ms=3, label=f"batches of {b}")
right.set_xlabel("downsampling factor k of the majority class")
right.set_ylabel("P(batch holds no minority example)")
right.set_title("200 : 2, by factor k")
right.set_ylim(-0.02, 1.02)
right.legend()
plt.show()

# %%
# Batches of 20 need *k* = 9 for a minority example in 95 % of them (printed above);
# batches of 100 need *k* = 2, and from *k* = 3 on the whole downsampled data (69 rows or
# fewer) fits in one batch, which then holds both minority examples.
#
# In real data with thousands of minority rows the same calculation runs on the label
# column: ``upweight.profile(y, batch_size=32)``, or
# ``upweight.profile_file("data.parquet", label="y", batch_size=32)`` for a file.
