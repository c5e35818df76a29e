"""Tune the downsampling factor and the correction like any other hyperparameter.

Run: python examples/grid_search.py [n_rows]
"""

from __future__ import annotations

import sys

from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import upweight
from upweight.sklearn import DownsampledClassifier

n_rows = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
data = upweight.datasets.make_imbalanced(n_rows, minority_share=0.01, random_state=1)
X_train, X_test, y_train, y_test = train_test_split(
    data.X, data.y, test_size=0.25, stratify=data.y, random_state=1
)

pipeline = make_pipeline(
    StandardScaler(),
    DownsampledClassifier(LogisticRegression(max_iter=1000), random_state=0),
)
grid = {
    "downsampledclassifier__factor": [1, 5, 25, 50],
    "downsampledclassifier__correction": ["upweight", "offset"],
}
search = GridSearchCV(pipeline, grid, scoring="neg_log_loss", cv=3).fit(X_train, y_train)

for params, score in zip(
    search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True
):
    factor = params["downsampledclassifier__factor"]
    correction = params["downsampledclassifier__correction"]
    print(f"k={factor:>3} {correction:>8}: validation log loss {-score:.5f}")

best = search.best_estimator_
proba = best.predict_proba(X_test)[:, 1]
print("best:", search.best_params_)
print("test:", upweight.metrics.evaluate(y_test, proba))
