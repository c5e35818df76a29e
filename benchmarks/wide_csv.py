"""Wide CSV files: time and peak memory of ``analyze`` and ``sample`` as columns grow.

Generates (once) CSV files of about 7.5M cells each -- 100 columns by 75,000 rows up to
5,000 columns by 1,500 rows, float features with four decimals and a 0/1 label with about
10% positives -- and runs ``upweight analyze`` and ``upweight sample -k 5`` (CSV out) on
each in a fresh process. Prints a markdown table of wall time and peak memory (RSS of the
process tree, sampled every 50 ms from /proc, so Linux only).

DuckDB's CSV sniffer takes time that grows with the square of the column count (about
16 s for 5,000 columns); upweight sniffs once per file and then reads with every type
given.

    python benchmarks/wide_csv.py
    python benchmarks/wide_csv.py --columns 1000,5000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _common import markdown
from large_file import run

CELLS = 7_500_000
DATA = Path(__file__).parent / "data"


def wide_csv(columns: int) -> Path:
    """A CSV of ``columns`` features and a label, about CELLS cells, made once."""
    rows = CELLS // columns
    path = DATA / f"wide-{columns}x{rows}.csv"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    tmp = path.with_suffix(".part")
    with open(tmp, "w") as f:
        f.write(",".join(f"f{i}" for i in range(columns)) + ",label\n")
        for start in range(0, rows, 1_000):
            n = min(1_000, rows - start)
            x = rng.normal(size=(n, columns)).round(4)
            y = (rng.random(n) < 0.1).astype(int)
            for r in range(n):
                f.write(",".join(map(str, x[r].tolist())) + f",{y[r]}\n")
    tmp.rename(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", default="100,1000,5000")
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("upweight"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for columns in (int(c) for c in args.columns.split(",")):
            src = wide_csv(columns)
            analyze = run([exe, "analyze", str(src), "-l", "label"])
            out = f"{tmp}/o.csv"
            sample = run(
                [
                    exe,
                    "sample",
                    str(src),
                    "-l",
                    "label",
                    "-k",
                    "5",
                    "-o",
                    out,
                    "--quiet",
                    "--overwrite",
                ]
            )
            rows.append(
                [
                    f"{columns:,}",
                    f"{CELLS // columns:,}",
                    f"{src.stat().st_size / 1e6:.0f}",
                    f"{analyze[0]:.1f}",
                    f"{analyze[1]:.0f}",
                    f"{sample[0]:.1f}",
                    f"{sample[1]:.0f}",
                ]
            )
    print(
        markdown(
            ["columns", "rows", "MB", "analyze s", "analyze MB", "sample s", "sample MB"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
