"""Quick start: downsample, upweight, fit, and check the probabilities on untouched data.

Run: python examples/quickstart.py [n_rows]
"""

from __future__ import annotations

import sys

from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import upweight
from upweight.metrics import evaluate

n_rows = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000

# Data with 1 % positives and a known P(y | x).
data = upweight.datasets.make_imbalanced(n_rows, minority_share=0.01, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    data.X, data.y, test_size=0.2, stratify=data.y, random_state=0
)

# 1. How imbalanced, and what do batches of 32 look like?
prof = upweight.profile(y_train, batch_size=32)
print(f"severity: {prof.severity}, batches with no positive: {prof.batch.p_none:.0%}")
print(f"smallest factor for a positive in 95% of batches: {prof.recommend_factor(32)}")

# 2. Keep one in 25 negatives; each kept negative weighs 25.
X_s, y_s, weight, plan = upweight.downsample(
    X_train, y_train, factor=25, random_state=0, return_plan=True
)
print(f"trained on {len(y_s):,} of {len(y_train):,} rows; kept per class: {plan.kept}")

# 3. Fit with the weights: the model learns the true distribution.
model = LogisticRegression(max_iter=1000).fit(X_s, y_s, sample_weight=weight)
upweighted = evaluate(y_test, model.predict_proba(X_test)[:, 1])

# 4. Or fit without them and correct the probabilities afterwards (the offset).
unweighted = LogisticRegression(max_iter=1000).fit(X_s, y_s)
raw = unweighted.predict_proba(X_test)[:, 1]
offset = evaluate(y_test, upweight.correct_proba(raw, plan=plan))
biased = evaluate(y_test, raw)

for name, m in [("upweighted", upweighted), ("offset", offset), ("neither", biased)]:
    print(f"{name:>10}: log loss {m.log_loss:.5f}, prediction bias {m.prediction_bias:+.1f}%")
