"""The file engine: downsample CSV and Parquet files larger than memory.

DuckDB (embedded, no server) and pyarrow read the files, in parallel and in bounded
memory. The work takes up to three passes, each reading only what it needs:

1. **Count**: the label column alone: class counts, hence the plan.
2. **Select**: the row position and label of each row (and the key column, if any)
   stream through NumPy, which applies the shared selection scheme of
   :mod:`upweight._selection` and keeps the positions of the chosen rows (a few bytes per
   kept row; nothing per dropped row). For Parquet with integer or boolean labels,
   counting and selecting share one pass.
3. **Write**: every column, filtered to the kept positions, with the weight column added,
   to a temporary file that replaces the output only when complete.

A row's position is its place in the input: row ``i`` of the ``j``-th file (files sorted
by path) has position ``i`` plus the rows of the files before it. Positions come from the
files themselves (Parquet row numbers; CSV line order), so the same input and seed select
the same rows whatever the thread count, and the same rows as :func:`upweight.downsample`
on the same data in memory.

The modules, one concern each, from the bottom up:

- :mod:`._common`, :mod:`._sql`, :mod:`._arrays` -- shared words, SQL text, Arrow views;
- :mod:`._metadata` -- the plan that travels with the data;
- :mod:`._commit` -- temporaries, atomic commits, locks;
- :mod:`._csv`, :mod:`._parquet` -- the two formats, and :mod:`._formats`, their registry;
- :mod:`._source` -- which files an input names, and whether they stay the same;
- :mod:`._duckdb` -- DuckDB over one input, its errors in words;
- :mod:`._label_pass` -- counts and kept positions (pass 1 and 2);
- :mod:`._write` (DuckDB) and :mod:`._arrow` (pyarrow, Parquet to Parquet) -- pass 3;
- :mod:`._output` -- the refusals that keep outputs from losing data;
- :mod:`._api` -- the public functions; :mod:`._roads`, a seam to choose the road.
"""

from ._api import (
    column_names,
    column_values,
    profile_file,
    read_labels,
    read_plan,
    read_rows,
    sample_file,
)
from ._roads import roads
from ._source import expand, glob_matches, is_glob

__all__ = [
    "column_names",
    "column_values",
    "expand",
    "glob_matches",
    "is_glob",
    "profile_file",
    "read_labels",
    "read_plan",
    "read_rows",
    "roads",
    "sample_file",
]
