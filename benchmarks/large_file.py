"""Downsampling a Parquet file larger than memory likes: upweight against the usual tools.

Generates (once) a Parquet file of N rows (default 20M: 10 float32 features, an int8
label with about 1% positives, about 0.9 GB) and downsamples the negatives by k = 25 with
each tool, each in a fresh process (upweight and the DuckDB one-liner several times,
taking turns; the median counts). Prints a markdown table of wall time and peak memory
(RSS of the whole process tree, sampled every 50 ms from /proc, so Linux only) per tool,
then checks that upweight's output is the same across runs and DuckDB thread counts.

    python benchmarks/large_file.py                 # 20M rows, every tool
    python benchmarks/large_file.py --rows 100000000 --tools upweight,duckdb
    python benchmarks/large_file.py --tools upweight,duckdb --shape zstd --repeats 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import markdown
from _data import SHAPES, large_file

K = 25
HERE = Path(__file__).parent

# Each job reads SRC, keeps every positive and about 1 in K negatives, writes DST.
JOBS = {
    "upweight": None,  # the CLI itself
    "duckdb": """
import duckdb, sys
con = duckdb.connect(); con.execute("SET enable_progress_bar = false")
con.execute(f\"\"\"COPY (SELECT *, CASE WHEN label = 1 THEN 1.0 ELSE {K}.0 END AS weight
    FROM read_parquet('{SRC}') WHERE label = 1 OR random() < {1 / K})
    TO '{DST}' (FORMAT parquet)\"\"\")
""",
    "pyarrow": """
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
rng = np.random.default_rng(0)
src = pq.ParquetFile('{SRC}')
writer = None
for batch in src.iter_batches(batch_size=1 << 20):
    y = batch.column('label').to_numpy()
    keep = (y == 1) | (rng.random(len(y)) < {1 / K})
    out = pa.Table.from_batches([batch]).filter(pa.array(keep))
    out = out.append_column('weight', pa.array(np.where(out['label'].to_numpy() == 1, 1.0, {K}.0)))
    writer = writer or pq.ParquetWriter('{DST}', out.schema)
    writer.write_table(out)
writer.close()
""",
    "pandas": """
import numpy as np, pandas as pd
df = pd.read_parquet('{SRC}')
keep = (df['label'] == 1) | (np.random.default_rng(0).random(len(df)) < {1 / K})
out = df[keep].copy()
out['weight'] = np.where(out['label'] == 1, 1.0, {K}.0)
out.to_parquet('{DST}')
""",
    "polars": """
import polars as pl
(pl.scan_parquet('{SRC}')
   .filter((pl.col('label') == 1) | (pl.int_range(pl.len()).hash(0) % {K} == 0))
   .with_columns(weight=pl.when(pl.col('label') == 1).then(1.0).otherwise({K}.0))
   .sink_parquet('{DST}'))
""",
    "imbalanced-learn": """
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
from imblearn.under_sampling import RandomUnderSampler
t = pq.read_table('{SRC}')
X = np.column_stack([t[c].to_numpy() for c in t.column_names if c != 'label'])
y = t['label'].to_numpy()
n1 = int((y == 1).sum())
n0 = int(round((y == 0).sum() / {K}))
Xs, ys = RandomUnderSampler(sampling_strategy={{0: n0, 1: n1}}, random_state=0).fit_resample(X, y)
out = pa.table({{**{{f'f{{i}}': Xs[:, i] for i in range(Xs.shape[1])}}, 'label': ys}})
pq.write_table(out, '{DST}')  # no weights: imbalanced-learn returns none
""",
    "spark (local)": "SPARK",
}


def _tree_rss(root: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * _PAGE
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, IndexError, ValueError):
            pass
    return total


_PAGE = os.sysconf("SC_PAGE_SIZE")


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak tree RSS (MB) of a command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode:
        raise RuntimeError(f"{cmd[:4]} failed: {err.strip()[-500:]}")
    return wall, peak / 1e6


def command(tool: str, src: Path, dst: Path, *, threads: int | None = None) -> list[str]:
    if tool == "upweight":
        exe = Path(sys.executable).with_name("upweight")
        cmd = [str(exe), "sample", str(src), "-l", "label", "-k", str(K), "-o", str(dst)]
        cmd += ["--quiet", "--overwrite"]
        return cmd + (["--threads", str(threads)] if threads else [])
    if JOBS[tool] == "SPARK":
        job = HERE / "_spark_job.py"
        return [sys.executable, str(job), str(src), str(dst), "--label", "label", "--factor", "25"]
    code = str(JOBS[tool]).replace("{SRC}", str(src)).replace("{DST}", str(dst))
    code = code.replace("{1 / K}", str(1 / K)).replace("{K}", str(K))
    code = code.replace("{{", "{").replace("}}", "}")
    return [sys.executable, "-c", code]


def rows_out(path: Path) -> int:
    import pyarrow.parquet as pq

    if path.is_dir():
        return sum(pq.ParquetFile(p).metadata.num_rows for p in path.rglob("*.parquet"))
    return pq.ParquetFile(path).metadata.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--tools", default=",".join(JOBS))
    parser.add_argument(
        "--repeats", type=int, default=5, help="runs of upweight and duckdb, taking turns"
    )
    parser.add_argument(
        "--shape",
        default="float32",
        choices=sorted(SHAPES),
        help="file shape: float32 / float64 features, 128k-row row groups, zstd",
    )
    args = parser.parse_args()
    src = large_file(args.rows, shape=args.shape)
    tools = [t.strip() for t in args.tools.split(",")]
    size = src.stat().st_size / 1e9
    print(
        f"{args.rows:,} rows ({args.shape}), {size:.2f} GB Parquet, k = {K}, "
        f"{os.cpu_count()} cores\n"
    )
    rows = []
    walls: dict[str, float] = {}
    peaks: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=src.parent) as tmp:
        # upweight and the one-liner take turns, so that drift in the machine's speed
        # (other tenants, caches, frequency) weighs on both alike
        paired = [t for t in ("upweight", "duckdb") if t in tools]
        timed: dict[str, list[tuple[float, float]]] = {t: [] for t in paired}
        failed: dict[str, str] = {}
        for _ in range(args.repeats):
            for tool in paired:
                if tool in failed:
                    continue
                try:
                    timed[tool].append(run(command(tool, src, Path(tmp) / f"{tool}.parquet")))
                except (RuntimeError, FileNotFoundError) as exc:
                    failed[tool] = str(exc)[:80]
        for tool in tools:
            if tool == "spark (local)" and not (HERE / "_spark_job.py").exists():
                continue
            dst = Path(tmp) / f"{tool.split()[0]}.parquet"
            try:
                if tool in failed:
                    raise RuntimeError(failed[tool])
                results = timed.get(tool) or [run(command(tool, src, dst))]
            except (RuntimeError, FileNotFoundError) as exc:
                rows.append([tool, "failed", "", str(exc)[:80]])
                continue
            wall = statistics.median(r[0] for r in results)
            peak = max(r[1] for r in results)
            walls[tool], peaks[tool] = wall, peak
            rows.append([tool, f"{wall:.2f}", f"{peak:,.0f}", f"{rows_out(dst):,}"])
            print(f"  {tool}: {wall:.2f} s, {peak:,.0f} MB", file=sys.stderr)
        print(markdown(["tool", "wall time (s)", "peak RSS (MB)", "rows written"], rows))
        if "upweight" in walls and "duckdb" in walls:
            ratio = walls["upweight"] / walls["duckdb"]
            print(f"\nupweight / DuckDB one-liner wall time: {ratio:.2f}x (target <= 1.2x); ")
            print(f"upweight peak RSS: {peaks['upweight']:,.0f} MB (target <= 600 MB)")
        if "upweight" in tools:
            import pyarrow.parquet as pq

            outs = []
            for threads in (1, 2, 2):
                dst = Path(tmp) / f"det-{len(outs)}.parquet"
                run(command("upweight", src, dst, threads=threads))
                outs.append(pq.read_table(dst))
            same = outs[0].equals(outs[1]) and outs[1].equals(outs[2])
            print(f"upweight output identical across runs and 1 or 2 DuckDB threads: {same}")


if __name__ == "__main__":
    main()
