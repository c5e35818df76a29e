"""
Quick start: downsample, upweight, fit, check
=============================================

The whole technique in a few lines, with scikit-learn's ``LogisticRegression``:

1. profile the labels: how imbalanced, and what do batches hold?
2. keep one in *k* negatives (:func:`upweight.downsample`), each weighing *k*;
3. fit with the weights -- or fit without them and correct the probabilities afterwards
   (the offset, :func:`upweight.correct_proba`);
4. measure on untouched rows at the true class distribution
   (:func:`upweight.metrics.evaluate`).

The data: :func:`upweight.datasets.make_imbalanced` with 500,000 rows, five
standard-normal features, 1 % positives and a known logistic ``P(y | x)`` (seed 0);
20 % held out for testing.
"""

# %%
# Data with 1 % positives and a known P(y | x)
# --------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import upweight
from upweight.metrics import evaluate

data = upweight.datasets.make_imbalanced(500_000, minority_share=0.01, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    data.X, data.y, test_size=0.2, stratify=data.y, random_state=0
)

# %%
# 1. How imbalanced, and what do batches of 32 look like?
# -------------------------------------------------------
prof = upweight.profile(y_train, batch_size=32)
print(f"severity: {prof.severity}, batches of 32 with no positive: {prof.batch.p_none:.0%}")
print(f"smallest factor for a positive in 95% of batches: {prof.recommend_factor(32)}")

# %%
# 2. Keep one in 25 negatives; each kept negative weighs 25
# ---------------------------------------------------------
X_s, y_s, weight, plan = upweight.downsample(
    X_train, y_train, factor=25, random_state=0, return_plan=True
)
print(f"training on {len(y_s):,} of {len(y_train):,} rows; kept per class: {plan.kept}")
print(f"weights: {plan.class_weights}")

# %%
# 3. Fit with the weights, or without them and correct afterwards
# ---------------------------------------------------------------
upweighted = LogisticRegression(max_iter=1000).fit(X_s, y_s, sample_weight=weight)
unweighted = LogisticRegression(max_iter=1000).fit(X_s, y_s)
full = LogisticRegression(max_iter=1000).fit(X_train, y_train)  # all rows, for reference

raw = unweighted.predict_proba(X_test)[:, 1]
probas = {
    "all rows (k = 1)": full.predict_proba(X_test)[:, 1],
    "k = 25, upweighted": upweighted.predict_proba(X_test)[:, 1],
    "k = 25, offset": upweight.correct_proba(raw, plan=plan),
    "k = 25, no correction": raw,
    "true P(y | x)": data.true_proba(X_test),
}

# %%
# 4. Measure on the untouched test rows
# -------------------------------------
for name, p in probas.items():
    m = evaluate(y_test, p)
    print(
        f"{name:>22}: log loss {m.log_loss:.5f}, prediction bias {m.prediction_bias:+7.1f}%, "
        f"ROC AUC {m.roc_auc:.4f}"
    )

# %%
# Reliability: predicted against true probability
# ------------------------------------------------
# The test rows binned by predicted probability (20 equal-count bins); each bin's mean
# true ``P(y | x)`` against its mean prediction. A calibrated model lies on the
# diagonal. The uncorrected model's predictions are pushed far to the right: it learnt
# the downsampled data's share of positives, not the real one.
fig, ax = plt.subplots(figsize=(6, 5), constrained_layout=True)
true_p = probas["true P(y | x)"]
for name, style in (
    ("all rows (k = 1)", "o-"),
    ("k = 25, upweighted", "s-"),
    ("k = 25, offset", "d--"),
    ("k = 25, no correction", "^:"),
):
    p = probas[name]
    edges = np.quantile(p, np.linspace(0, 1, 21))
    bins = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, 19)
    ax.plot(
        [p[bins == b].mean() for b in range(20)],
        [true_p[bins == b].mean() for b in range(20)],
        style,
        ms=4,
        label=name,
    )
ax.plot([1e-4, 1], [1e-4, 1], color="0.6", lw=1, label="perfect")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("mean predicted probability in the bin")
ax.set_ylabel("mean true P(y | x) in the bin")
ax.legend(fontsize=8)
plt.show()
