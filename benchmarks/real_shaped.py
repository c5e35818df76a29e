"""The sweep's built-in models on real-shaped data: fit time and log loss of the full-data fit.

Data: scikit-learn's ``make_classification`` with 13,000 rows, 216 features (20
informative) and about 6% positives, each column then put on its own raw scale (a factor
from 1 to 1,000 and an offset, as unscaled measurements are); a copy adds a text column
and 3% missing values in five columns. Everything is seeded: the same table every run.

For each, the full-data fit (factor 1, no correction) of the sweep's ``logreg`` -- a
scikit-learn Pipeline that imputes, standardises and one-hot encodes -- is timed on the
sweep's training rows, against a hand-written ``StandardScaler`` + ``LogisticRegression``
on the same rows (numeric columns only, the missing values filled with column means), and
against ``LogisticRegression(max_iter=1000)`` on the raw features (the sweep's model before
it had preprocessing). Each time is the minimum of ``--repeats`` fits; log loss is on the
sweep's untouched test rows.

    python benchmarks/real_shaped.py
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _common import markdown


def make_sets() -> dict[str, tuple[object, np.ndarray]]:
    """Name -> (pandas DataFrame of features, labels)."""
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=13_000,
        n_features=216,
        n_informative=20,
        n_redundant=10,
        weights=[0.94],
        flip_y=0.01,
        random_state=0,
    )
    rng = np.random.default_rng(0)
    X = X * 10 ** rng.uniform(0, 3, X.shape[1]) + rng.uniform(-50, 500, X.shape[1])
    raw = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    messy = raw.copy()
    for j in range(5):
        column = messy[f"f{j}"].to_numpy().copy()
        column[rng.random(column.size) < 0.03] = np.nan
        messy[f"f{j}"] = column
    messy["region"] = rng.choice(["a", "b", "c", "d", "e"], len(messy))
    return {"13k x 216, raw scales": (raw, y), "same + text + 3% NaN": (messy, y)}


def best_of(model, X, y, repeats: int) -> float:
    """The least time of ``repeats`` fits of ``model`` on ``X, y``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import upweight
    from upweight._sweep._arguments import Arguments
    from upweight._sweep._source import as_source
    from upweight._sweep._split import read_labels, split_labels

    rows = []
    for name, (frame, y) in make_sets().items():
        # the sweep's own split: the same training and test rows as its fits
        arguments = Arguments.check(factors=[1], corrections=["none"], convergence=False)
        source = as_source(frame, label=None, y=y)
        labels = read_labels(source, label=None, args=arguments)
        split = split_labels(labels, arguments)
        train, test = split.train_pos, split.test_pos
        numeric = frame.select_dtypes("number")
        Xn = numeric.fillna(numeric.iloc[train].mean()).to_numpy()
        result = None
        sweep_times = []
        for _ in range(args.repeats):
            result = upweight.sweep(
                frame, y=y, factors=[1], corrections=["none"], convergence=False, report=False
            )
            sweep_times.append(result.results[0]["fit_seconds"])
        assert result is not None
        row = result.results[0]
        hand = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        hand_time = best_of(hand, Xn[train], y[train], args.repeats)
        hand_loss = log_loss(y[test], hand.predict_proba(Xn[test])[:, 1])
        raw = LogisticRegression(max_iter=1000)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            raw_time = best_of(raw, Xn[train], y[train], 1)
        raw_loss = log_loss(y[test], raw.predict_proba(Xn[test])[:, 1])
        rows.append(
            [
                name,
                f"{min(sweep_times):.2f} s",
                f"{row['test_log_loss']:.4f}",
                f"{hand_time:.2f} s",
                f"{hand_loss:.4f}",
                f"{min(sweep_times) / hand_time:.2f}x",
                f"{raw_time:.1f} s ({len(caught)} warning(s))",
                f"{raw_loss:.4f}",
            ]
        )
    print(
        markdown(
            [
                "data",
                "sweep logreg fit",
                "its test log loss",
                "scaler + LR fit",
                "its test log loss",
                "ratio",
                "raw LR fit",
                "raw LR log loss",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
