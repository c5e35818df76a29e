"""The sweep on a 20M-row Parquet file: 7 factors, logistic regression, upweight and offset.

Generates ``benchmarks/data/imbalanced-20m.parquet`` if it is missing (10 float32
features f0..f9, an int8 ``label``, about 1 % positives, about 0.9 GB, from
``make_imbalanced`` in chunks of 1M rows), runs ``upweight.sweep`` on it, and prints the
wall time of each stage as a markdown table.

Run: python benchmarks/sweep_large.py [--rows N] [--outdir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from _common import markdown
from _data import large_file

import upweight


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--outdir", type=Path, default=None)
    args = parser.parse_args()
    path = large_file(args.rows)  # the file of large_file.py, generated on first use
    outdir = args.outdir or Path(tempfile.mkdtemp(prefix="upweight-sweep-"))
    start = time.perf_counter()
    result = upweight.sweep(
        path,
        label="label",
        factors=[1, 2, 5, 10, 25, 50, 100],
        corrections=["upweight", "offset"],
        model="logreg",
        convergence=True,  # measured, as in the earlier runs (the default decides by cost)
        outdir=outdir,
        overwrite=True,
    )
    total = time.perf_counter() - start
    size = path.stat().st_size / 1e9
    print(
        f"{result.profile.n_rows:,} rows ({size:.2f} GB Parquet), 7 factors x "
        f"(upweight, offset), logistic regression; report in {outdir}\n"
    )
    rows = [[stage, f"{seconds:.1f}"] for stage, seconds in result.timings.items()]
    rows.append(["**total (wall)**", f"**{total:.1f}**"])
    print(markdown(["stage", "seconds"], rows))
    print()
    fits = [
        [
            r["config_id"],
            f"{r['rows_trained']:,}",
            f"{r['fit_seconds']:.2f}",
            f"{r['peak_memory_mb']:.0f}",
            f"{r['test_log_loss']:.5f}",
        ]
        for r in result.results
    ]
    print(markdown(["configuration", "rows", "fit s", "peak MB", "test log loss"], fits))
    print()
    print(result.recommendation.text)
    if args.outdir is None:
        shutil.rmtree(outdir, ignore_errors=True)


if __name__ == "__main__":
    main()
