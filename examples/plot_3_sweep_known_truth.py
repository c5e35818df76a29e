"""
Tune k and the correction with a sweep, on data with a known truth
==================================================================

:func:`upweight.sweep` treats the downsampling factor *k* and the correction as
hyperparameters: it holds validation and test rows out at the true class distribution,
downsamples only the training rows, fits a model per configuration, measures every one
on the held-out rows, and recommends the best one and the cheapest one that is,
with 95 % confidence, within 1 % of it.

The data here come from :func:`upweight.datasets.make_imbalanced`: 200,000 rows, five
standard-normal features, 1 % positives, labels drawn from a logistic model whose
``P(y | x)`` is known exactly. Logistic regression is therefore correctly specified,
and we can compare what the models predict with the truth. The sizes are chosen so
that this page builds in about 20 seconds; the README's ``make demo`` runs the same on
1,000,000 rows.
"""

# %%
# The data
# --------
import os
import shutil
import tempfile
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import upweight
from upweight.datasets import make_imbalanced

data = make_imbalanced(200_000, minority_share=0.01, random_state=0)
print(f"{len(data.y):,} rows, {data.y.mean():.2%} positives")
print(f"mean of the true P(y | x) over all rows: {data.proba.mean():.4%}")

# %%
# The sweep
# ---------
# Six factors, each with the three corrections: ``upweight`` (trained with weight *k*
# on the kept majority rows), ``offset`` (trained without weights, probabilities
# shifted by -ln *k* afterwards) and ``none`` (trained without weights, uncorrected).
# The output folder -- results, an HTML report, plots -- goes to a temporary directory
# here; minibatch convergence is left out to keep the build short.
outdir = tempfile.mkdtemp(prefix="upweight-sweep-")
result = upweight.sweep(
    data.X,
    y=data.y,
    factors=[1, 2, 5, 10, 25, 50],
    corrections=["upweight", "offset", "none"],
    convergence=False,
    outdir=outdir,
    seed=0,
)
print(result)
for part, counts in result.split.items():
    print(f"{part:>10}: {counts['rows']:>7,} rows, {counts['minority']:,} positives")

# %%
# Every configuration, measured on the held-out rows (the best and cheapest marked);
# this is the table the sweep's report and its ``_repr_html_`` show:
result

# %%
# The recommendation in words, with its 95 % intervals (paired bootstrap over the
# validation and test rows):
for line in result.recommendation.lines:
    print(textwrap.fill(line, 88), end="\n\n")

# %%
# The summary as a data frame, for your own plots:
summary = pd.DataFrame(result.summary)
columns = [
    "factor",
    "correction",
    "rows_trained_mean",
    "val_log_loss_mean",
    "test_log_loss_mean",
    "test_prediction_bias_mean",
]
summary[columns].sort_values(["correction", "factor"]).round(5)

# %%
# Log loss and prediction bias against k
# --------------------------------------
# Test log loss (left) and prediction bias on the test rows (right, in %: mean
# predicted probability against the observed rate), per correction.
fig, (ax_loss, ax_bias) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
styles = {"upweight": "o-", "offset": "s--", "none": "^:"}
for correction, style in styles.items():
    part = summary[summary["correction"] == correction].sort_values("factor")
    ax_loss.plot(part["factor"], part["test_log_loss_mean"], style, label=correction)
    ax_bias.plot(part["factor"], part["test_prediction_bias_mean"], style, label=correction)
factors = sorted(summary["factor"].unique())
for ax in (ax_loss, ax_bias):
    ax.set_xscale("log")
    ax.set_xticks(factors, [f"{k:g}" for k in factors])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel("downsampling factor k")
    ax.legend(title="correction")
ax_loss.set_yscale("log")
ax_loss.set_ylabel("test log loss")
ax_bias.set_yscale("symlog", linthresh=10)
ax_bias.axhline(0, color="0.5", lw=0.8)
ax_bias.set_ylabel("prediction bias on test (%)")
plt.show()

# %%
# How far each corrected configuration's test log loss is from that of all rows
# (k = 1), and the uncorrected model's bias, from the summary:
full = summary.loc[summary["factor"] == 1, "test_log_loss_mean"].iloc[0]
for correction in styles:
    part = summary[(summary["correction"] == correction) & (summary["factor"] > 1)]
    gap = (part["test_log_loss_mean"] / full - 1).abs().max()
    bias = part["test_prediction_bias_mean"]
    print(
        f"{correction:>8}: test log loss at most {gap:.2%} from k=1's; "
        f"bias from {bias.min():+.1f}% to {bias.max():+.1f}%"
    )

# %%
# Both corrections keep the log loss of all rows at every factor, while the
# uncorrected model's bias grows with k: downsampled by k, it predicts positives up to
# k times too often where probabilities are small. The next plot leaves the
# uncorrected model out.

# %%
# Mean predicted probability against the true rate
# ------------------------------------------------
# The mean predicted probability on the test rows is the observed rate times
# (1 + bias / 100). The observed rate of the test rows and the mean of the known
# ``P(y | x)`` over all rows are the two reference lines; the axis spans the observed
# rate plus or minus 10 %.
test = result.split["test"]
test_rate = test["minority"] / test["rows"]
fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
for correction, style in list(styles.items())[:2]:
    part = summary[summary["correction"] == correction].sort_values("factor")
    mean_p = test_rate * (1 + part["test_prediction_bias_mean"] / 100)
    ax.plot(part["factor"], mean_p, style, label=f"{correction}")
ax.axhline(test_rate, color="k", lw=1, label=f"observed rate of the test rows ({test_rate:.3%})")
ax.axhline(
    data.proba.mean(),
    color="tab:green",
    lw=1,
    ls="--",
    label=f"mean true P(y | x), all rows ({data.proba.mean():.3%})",
)
ax.set_xscale("log")
ax.set_xticks(factors, [f"{k:g}" for k in factors])
ax.xaxis.set_minor_formatter(plt.NullFormatter())
ax.set_xlabel("downsampling factor k")
ax.set_ylim(0.9 * test_rate, 1.1 * test_rate)  # the observed rate, plus or minus 10 %
ax.set_ylabel("mean predicted probability on test")
ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.3%}"))
ax.legend(fontsize=8)
plt.show()

# %%
# The recommended model against the truth
# ---------------------------------------
# :meth:`~upweight.SweepResult.refit` fits the cheapest recommendation on the training
# and validation rows. On 100,000 fresh rows from the same generator (another seed, the
# same true model), its probabilities are compared with the true ``P(y | x)``: rows are
# binned by predicted probability, and each bin's mean true probability plotted against
# its mean prediction.
model = result.refit()
fresh = make_imbalanced(100_000, minority_share=0.01, random_state=1)
predicted = model.predict_proba(fresh.X)[:, 1]
print(f"refit: {result.recommendation.cheapest.name}, kept per class {model.plan_.kept}")
print(
    f"on fresh rows: mean predicted {predicted.mean():.4%}, mean true P(y | x) "
    f"{fresh.proba.mean():.4%}, observed rate {fresh.y.mean():.4%}"
)

edges = np.quantile(predicted, np.linspace(0, 1, 21))
bins = np.clip(np.searchsorted(edges, predicted, side="right") - 1, 0, 19)
mean_pred = np.array([predicted[bins == b].mean() for b in range(20)])
mean_true = np.array([fresh.proba[bins == b].mean() for b in range(20)])
fig, ax = plt.subplots(figsize=(5.5, 5), constrained_layout=True)
low = min(mean_pred.min(), mean_true.min()) * 0.8
top = max(mean_pred.max(), mean_true.max()) * 1.25
ax.plot([low, top], [low, top], color="0.6", lw=1, label="perfect")
ax.plot(mean_pred, mean_true, "o-", label=result.recommendation.cheapest.name)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("mean predicted probability (20 equal-count bins)")
ax.set_ylabel("mean true P(y | x) in the bin")
ax.set_title("the cheapest recommendation, on 100,000 fresh rows")
ax.legend()
plt.show()

# %%
# The files the sweep wrote (``report.html`` opens offline in a browser; read the whole
# result back with ``upweight.SweepResult.load(outdir)``):
print(sorted(name for name in os.listdir(outdir) if not name.startswith(".")))

# %%
# The temporary folder goes when the example ends (run it yourself with a folder of your
# own to keep the files).
shutil.rmtree(outdir)
