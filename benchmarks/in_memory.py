"""The in-memory engine against the usual ways to downsample an array.

Times keeping every positive and one in 25 negatives of an (N x 10) float array with
1 % positives, and reports the peak memory allocated along the way (tracemalloc). The
input array itself is not counted. Prints a markdown table.

Run: python benchmarks/in_memory.py [--rows N]
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import markdown, measure
from imblearn.under_sampling import RandomUnderSampler

import upweight

K = 25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    y = (rng.random(args.rows) < 0.01).astype(np.int64)
    X = rng.standard_normal((args.rows, 10)).astype(np.float32)
    n_neg = int((y == 0).sum())
    keep_neg = round(n_neg / K)

    def naive_mask():
        r = np.random.default_rng(1)
        keep = (y == 1) | (r.random(y.size) < 1 / K)
        w = np.where(y[keep] == 0, float(K), 1.0)
        return X[keep], y[keep], w

    cases = {
        "upweight.downsample (exact)": lambda: upweight.downsample(X, y, factor=K, random_state=0),
        "upweight.downsample (bernoulli)": lambda: upweight.downsample(
            X, y, factor=K, random_state=0, method="bernoulli"
        ),
        "numpy boolean mask, hand-written": naive_mask,
        "imblearn RandomUnderSampler (no weights)": lambda: RandomUnderSampler(
            sampling_strategy={0: keep_neg}, random_state=0
        ).fit_resample(X, y),
    }
    rows = []
    for name, fn in cases.items():
        seconds, peak, out = measure(fn, args.repeats)
        rows.append(
            [
                name,
                f"{len(out[1]):,}",
                f"{seconds:.3f}",
                f"{args.rows / seconds / 1e6:.0f}",
                f"{peak:.0f}",
            ]
        )
    print(f"{args.rows:,} rows x 10 float32 features ({X.nbytes / 1e9:.2f} GB), k = {K}\n")
    print(markdown(["method", "rows out", "seconds", "M rows/s", "peak MB"], rows))


if __name__ == "__main__":
    main()
