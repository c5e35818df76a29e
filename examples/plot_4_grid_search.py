"""
scikit-learn: grid search over k and the correction
===================================================

:class:`upweight.sklearn.DownsampledClassifier` wraps any classifier: at ``fit`` it
downsamples the majority class by ``factor`` and trains with the weights
(``correction="upweight"``) or without them, shifting the probabilities back afterwards
(``correction="offset"``). Both are ordinary parameters, so ``GridSearchCV`` tunes them
like any other -- here as the last step of a ``Pipeline``. Every cross-validation fold
scores on its untouched validation rows, at the true class distribution: only the
training rows of each fit are downsampled.

The data: :func:`upweight.datasets.make_imbalanced` with 200,000 rows, five
standard-normal features, 1 % positives and a known logistic ``P(y | x)`` (seed 1);
a quarter held out for a final test.
"""

# %%
# The search
# ----------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import upweight
from upweight.sklearn import DownsampledClassifier

data = upweight.datasets.make_imbalanced(200_000, minority_share=0.01, random_state=1)
X_train, X_test, y_train, y_test = train_test_split(
    data.X, data.y, test_size=0.25, stratify=data.y, random_state=1
)

pipeline = make_pipeline(
    StandardScaler(),
    DownsampledClassifier(LogisticRegression(max_iter=1000), random_state=0),
)
factors = [1, 2, 5, 10, 25, 50]
grid = {
    "downsampledclassifier__factor": factors,
    "downsampledclassifier__correction": ["upweight", "offset"],
}
search = GridSearchCV(
    pipeline,
    grid,
    scoring="neg_log_loss",
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
).fit(X_train, y_train)

# %%
# The grid's scores (mean over three folds; log loss is the negated score):
results = pd.DataFrame(
    {
        "factor": search.cv_results_["param_downsampledclassifier__factor"].astype(int),
        "correction": search.cv_results_["param_downsampledclassifier__correction"],
        "val log loss": -search.cv_results_["mean_test_score"],
        "std over folds": search.cv_results_["std_test_score"],
        "fit s": search.cv_results_["mean_fit_time"],
    }
)
results.sort_values(["correction", "factor"]).round(5)

# %%
# The best configuration, refitted on all training rows, on the untouched test rows:
best = search.best_estimator_
proba = best.predict_proba(X_test)[:, 1]
print("best:", search.best_params_)
for name, p in (("best", proba), ("true P(y | x)", data.true_proba(X_test))):
    m = upweight.metrics.evaluate(y_test, p)
    print(
        f"{name:>13}: test log loss {m.log_loss:.5f}, prediction bias {m.prediction_bias:+.1f}%, "
        f"ROC AUC {m.roc_auc:.4f}"
    )

# %%
# Scores and fit times against k
# ------------------------------
# Left: validation log loss with one standard deviation over the folds as error bars.
# Right: mean fit time per fold (the scaler and the downsampling included).
fig, (ax_loss, ax_time) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
offsets = {"upweight": 0.97, "offset": 1.03}  # side by side on the log axis
for correction, style in (("upweight", "o-"), ("offset", "s--")):
    part = results[results["correction"] == correction].sort_values("factor")
    ax_loss.errorbar(
        part["factor"] * offsets[correction],
        part["val log loss"],
        yerr=part["std over folds"],
        fmt=style,
        capsize=3,
        label=correction,
    )
    ax_time.plot(part["factor"], part["fit s"], style, label=correction)
for ax in (ax_loss, ax_time):
    ax.set_xscale("log")
    ax.set_xticks(factors, [str(k) for k in factors])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel("downsampling factor k")
    ax.legend(title="correction")
ax_loss.set_ylabel("validation log loss (3-fold mean)")
ax_time.set_ylabel("mean fit time per fold (s)")
ax_time.set_yscale("log")
plt.show()

# %%
# How far the grid's scores spread, against the folds' own noise:
spread = results["val log loss"].max() / results["val log loss"].min() - 1
noise = np.median(results["std over folds"] / results["val log loss"])
print(f"largest difference between configurations: {spread:.2%}")
print(f"median standard deviation over folds: {noise:.2%} of the log loss")
if spread < noise:
    print("the configurations differ by less than the folds' own spread")

# %%
# With a correctly specified logistic regression every configuration scores about the
# same, and the larger factors fit in a fraction of the time. ``GridSearchCV`` picks the
# lowest mean score even when the folds cannot tell the configurations apart;
# :func:`upweight.sweep` gives intervals and picks the cheapest configuration shown to
# be close to the best: see
# :ref:`the sweep example <sphx_glr_auto_examples_plot_3_sweep_known_truth.py>`.
