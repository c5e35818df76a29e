"""Downsample a Parquet file with Apache Spark in local mode: the Spark row of the benchmark.

Reads SRC, applies ``upweight.spark.downsample`` and writes the kept rows with their weight
column as Parquet to DST (a directory, as Spark writes), and saves the applied plan next to
it as DST/_upweight_plan.json. Meant to be timed as a subprocess (wall time and peak RSS of
the process tree: this Python process, the JVM and Spark's Python workers).

Run: python benchmarks/_spark_job.py SRC DST --label label --factor 25
     [--method exact|bernoulli] [--seed 0] [--key COL] [--cores 2] [--driver-memory 4g]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", help="input Parquet file or directory")
    parser.add_argument("dst", help="output directory (Spark writes a directory of parts)")
    parser.add_argument("--label", required=True)
    parser.add_argument("--factor", type=float, required=True)
    parser.add_argument("--method", choices=["exact", "bernoulli"], default="exact")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--key", default=None)
    parser.add_argument("--cores", default="2", help="local[N] threads (default 2)")
    parser.add_argument(
        "--driver-memory",
        default="4g",
        help="JVM heap of the local driver, which is also the executor (default 4g)",
    )
    args = parser.parse_args(argv)

    # Spark's Python workers must run this interpreter (it has upweight and pyarrow).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    import warnings

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    from pyspark.sql import SparkSession

    import upweight.spark

    start = time.perf_counter()
    spark = (
        SparkSession.builder.master(f"local[{args.cores}]")
        .appName("upweight-benchmark")
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, int(args.cores))))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter()

    df = spark.read.parquet(args.src)
    sampled, plan = upweight.spark.downsample(
        df, label=args.label, factor=args.factor, method=args.method, seed=args.seed, key=args.key
    )
    planned = time.perf_counter()
    sampled.write.mode("overwrite").parquet(args.dst)
    (Path(args.dst) / "_upweight_plan.json").write_text(plan.to_json(indent=2))
    done = time.perf_counter()
    spark.stop()

    print(
        f"rows {plan.n_rows:,} -> {plan.n_kept:,} kept {plan.kept}; "
        f"session {started - start:.1f} s, plan {planned - started:.1f} s, "
        f"write {done - planned:.1f} s, total {done - start:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
