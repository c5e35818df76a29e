"""Which road :func:`upweight.sample_file` takes: a documented seam for tests and benchmarks.

Parquet files in and one Parquet file out take the pyarrow road (:mod:`._arrow`) when it
covers the input; every other case, and every input it declines, takes DuckDB's road
(:mod:`._write`). Both give the same output. :func:`roads` lets a test or a benchmark
force DuckDB's road, shrink the pyarrow road's row-group limit (so that it declines), or
make the streaming selection's bounds fall short (so that the label pass counts first),
and records the road each run took::

    with roads(pyarrow=False) as taken:
        upweight.sample_file(src, dst, label="y", factor=25)
    assert taken.runs == ["duckdb"]
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["CURRENT", "Roads", "roads"]


@dataclass
class Roads:
    """The file engine's choices of road, and a record of the roads taken.

    Attributes
    ----------
    pyarrow : bool
        Whether the pyarrow road may be taken at all.
    max_group_bytes : int
        Row groups larger than this make the pyarrow road decline (memory holds a few).
    bound_slack : float
        How loose the streaming selection's bounds are (1: the default; a negative value
        makes every bound fall short, so the labels are counted first).
    runs : list of str
        The road each run took, in order: ``"pyarrow"`` or ``"duckdb"``.
    """

    pyarrow: bool = True
    max_group_bytes: int = 256 * 1024 * 1024
    bound_slack: float = 1.0
    runs: list[str] = field(default_factory=list)


#: The choices in force.
CURRENT = Roads()


@contextlib.contextmanager
def roads(
    *,
    pyarrow: bool = True,
    max_group_bytes: int | None = None,
    bound_slack: float | None = None,
) -> Iterator[Roads]:
    """Set the file engine's roads while the block runs; yields the record of roads taken."""
    global CURRENT
    previous = CURRENT
    CURRENT = dataclasses.replace(
        previous,
        pyarrow=pyarrow,
        max_group_bytes=previous.max_group_bytes if max_group_bytes is None else max_group_bytes,
        bound_slack=previous.bound_slack if bound_slack is None else bound_slack,
        runs=[],
    )
    try:
        yield CURRENT
    finally:
        CURRENT = previous
