"""What each factor costs and gains: fit time and test metrics of logistic regression.

Generates the course's scenario (1 % positives, known P(y|x)), splits 80 / 20 stratified,
and fits logistic regression on the training split downsampled by each factor, with the
upweight and the offset corrections. Fit time includes the downsampling. Prints a
markdown table.

Run: python benchmarks/fit_time.py [--rows N] [--repeats R]
"""

from __future__ import annotations

import argparse

from _common import markdown, measure
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from upweight.datasets import make_imbalanced
from upweight.metrics import evaluate
from upweight.sklearn import DownsampledClassifier

FACTORS = [1, 2, 5, 10, 25, 50, 100]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    data = make_imbalanced(args.rows, minority_share=0.01, random_state=args.seed)
    X_tr, X_te, y_tr, y_te = train_test_split(
        data.X, data.y, test_size=0.2, stratify=data.y, random_state=args.seed
    )
    rows, full_time, full_loss = [], None, None
    for correction in ("upweight", "offset"):
        for factor in FACTORS:
            clf = DownsampledClassifier(
                LogisticRegression(max_iter=1000),
                factor=factor,
                correction=correction,
                random_state=args.seed,
            )
            seconds, _, fitted = measure(lambda clf=clf: clf.fit(X_tr, y_tr), args.repeats)
            m = evaluate(y_te, fitted.predict_proba(X_te)[:, 1])
            if factor == 1 and correction == "upweight":
                full_time, full_loss = seconds, m.log_loss
            rows.append(
                [
                    factor,
                    correction,
                    f"{fitted.plan_.n_kept:,}",
                    f"{seconds:.3f}",
                    f"{full_time / seconds:.1f}x",
                    f"{m.log_loss:.5f}",
                    f"{100 * (m.log_loss / full_loss - 1):+.2f}%",
                    f"{m.prediction_bias:+.1f}%",
                    f"{m.average_precision:.4f}",
                ]
            )
    print(f"Logistic regression, {args.rows:,} rows (80 % train), median of {args.repeats} fits\n")
    headers = [
        "k",
        "correction",
        "rows trained",
        "fit s",
        "speed-up",
        "test log loss",
        "vs k=1",
        "bias",
        "avg precision",
    ]
    print(markdown(headers, rows))


if __name__ == "__main__":
    main()
