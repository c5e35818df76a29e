"""The plan that travels with the data: in a Parquet file's metadata, or beside a CSV file.

A Parquet output carries the applied :class:`~upweight.SamplingPlan` as JSON in its
key-value metadata under :data:`PLAN_METADATA_KEY`; a CSV output gets ``OUT.plan.json``
next to it (:func:`sidecar_path`). :func:`upweight.read_plan` reads either back.
"""

from __future__ import annotations

import os
from pathlib import Path

from .._exceptions import FileError
from .._plan import SamplingPlan
from ._common import first_line

__all__ = ["PLAN_METADATA_KEY", "plan_from_parquet", "plan_from_sidecar", "sidecar_path"]

#: The key of the plan in a Parquet file's key-value metadata.
PLAN_METADATA_KEY = b"upweight.plan"


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """Where a CSV output's plan goes: ``OUT.plan.json`` beside it."""
    p = Path(path)
    return p.with_name(p.name + ".plan.json")


def plan_from_sidecar(path: Path) -> SamplingPlan:
    """The plan beside a CSV file written by upweight."""
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        raise FileError(f"no plan beside {path} (expected {sidecar.name})")
    return SamplingPlan.from_json(sidecar.read_text(encoding="utf-8"))


def plan_from_parquet(path: Path) -> SamplingPlan:
    """The plan in a Parquet file's metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path).metadata or {}
    except (pa.ArrowException, OSError) as exc:
        raise FileError(f"{path} is not a readable Parquet file: {first_line(exc)}") from None
    if PLAN_METADATA_KEY not in meta:
        raise FileError(f"{path} carries no upweight plan (it was not written by upweight)")
    return SamplingPlan.from_json(meta[PLAN_METADATA_KEY])
