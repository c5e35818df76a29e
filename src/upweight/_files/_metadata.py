"""The plan that travels with the data: in a Parquet file's metadata, or beside a CSV file.

A Parquet output carries the applied :class:`~upweight.SamplingPlan` as JSON in its
key-value metadata under :data:`PLAN_METADATA_KEY`; a CSV output gets ``OUT.plan.json``
next to it (:func:`sidecar_path`). :func:`upweight.read_plan` reads either back.
"""

from __future__ import annotations

import os
from pathlib import Path

from .._exceptions import FileError, PlanError
from .._plan import SamplingPlan
from ._common import first_line

__all__ = ["PLAN_METADATA_KEY", "plan_from_parquet", "plan_from_sidecar", "sidecar_path"]

#: The key of the plan in a Parquet file's key-value metadata.
PLAN_METADATA_KEY = b"upweight.plan"


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """Where a CSV output's plan goes: ``OUT.plan.json`` beside it."""
    p = Path(path)
    return p.with_name(p.name + ".plan.json")


#: A plan's JSON is a few hundred bytes per class; a larger sidecar is something else.
MAX_SIDECAR_BYTES = 16 * 2**20


def plan_from_sidecar(path: Path) -> SamplingPlan:
    """The plan beside a CSV file written by upweight."""
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        raise FileError(f"no plan beside {path} (expected {sidecar.name})")
    if not sidecar.is_file():
        raise FileError(
            f"{sidecar} is not a file (a folder?), so no plan to read; move it away and write "
            f"{path.name} again with upweight.sample_file"
        )
    try:
        with sidecar.open("rb") as f:
            text = f.read(MAX_SIDECAR_BYTES + 1)
    except OSError as exc:
        raise FileError(f"cannot read the plan {sidecar}: {exc.strerror or exc}") from None
    if len(text) > MAX_SIDECAR_BYTES:
        raise FileError(f"{sidecar} is larger than 16 MiB, too large for a sampling plan")
    return _plan_from_json(text, sidecar, path)


def _plan_from_json(text: str | bytes, where: Path, path: Path) -> SamplingPlan:
    """The plan in ``text``, or :class:`FileError` naming the file it came from."""
    try:
        return SamplingPlan.from_json(text)
    except PlanError as exc:
        raise FileError(
            f"the plan in {where} is damaged: {exc}; write {path.name} again with "
            "upweight.sample_file"
        ) from None


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
    return _plan_from_json(meta[PLAN_METADATA_KEY], path, path)
