"""Upweight or offset for gradient-boosted trees? Bias and log loss against the truth.

Fits LightGBM and XGBoost (their defaults, 100 trees) on the course's scenario: the full
training data, and downsampled by k with each correction. Evaluated on an untouched test
split whose true P(y|x) is known. Prints a markdown table.

Run: python benchmarks/boosted_trees.py [--rows N]
"""

from __future__ import annotations

import argparse

from _common import markdown, measure

from upweight.datasets import make_imbalanced
from upweight.metrics import evaluate
from upweight.sklearn import DownsampledClassifier


def boosters():
    import lightgbm as lgb
    import xgboost as xgb

    return {
        "LightGBM": lambda: lgb.LGBMClassifier(verbose=-1),
        "XGBoost": lambda: xgb.XGBClassifier(n_jobs=2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    data = make_imbalanced(args.rows, minority_share=0.01, random_state=args.seed)
    cut = int(0.8 * args.rows)
    X, y, X_test, y_test = data.X[:cut], data.y[:cut], data.X[cut:], data.y[cut:]
    truth = evaluate(y_test, data.proba[cut:])
    rows = []
    for name, make in boosters().items():
        configs = [("full data", "-", make())]
        for k in (10, 25):
            for correction in ("upweight", "offset"):
                model = DownsampledClassifier(
                    make(), factor=k, correction=correction, random_state=0
                )
                configs.append((f"k={k}", correction, model))
        for training, correction, model in configs:
            seconds, _, fitted = measure(lambda m=model: m.fit(X, y), repeats=1)
            m = evaluate(y_test, fitted.predict_proba(X_test)[:, 1])
            rows.append(
                [
                    name,
                    training,
                    correction,
                    f"{seconds:.1f}",
                    f"{m.log_loss:.5f}",
                    f"{m.prediction_bias:+.1f}%",
                    f"{m.roc_auc:.4f}",
                ]
            )
    print(
        f"{args.rows:,} rows, 1 % positives, 80 % train; true model's test log loss "
        f"{truth.log_loss:.5f}\n"
    )
    headers = ["model", "training", "correction", "fit s", "test log loss", "bias", "ROC AUC"]
    print(markdown(headers, rows))


if __name__ == "__main__":
    main()
