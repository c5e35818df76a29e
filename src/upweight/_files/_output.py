"""Outputs: what a path asks for, and the refusals that keep data from being lost.

An output is never an input, never inside a folder input, never matched by a glob input
(the next run would read it as data), and replaces an existing file only with
``overwrite``; a folder is replaced only if upweight wrote it -- Parquet parts carrying
the plan, side by side, and nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path

from .._exceptions import FileError
from ._common import PathLike, path_text
from ._formats import output_kind, plan_sidecar
from ._metadata import PLAN_METADATA_KEY
from ._source import Source, glob_matches, is_glob

__all__ = ["check_output", "foreign_file", "output_path", "spelled_as_folder"]


def output_path(dst: PathLike) -> Path:
    """The output as a path with a name: ``.`` and ``..`` become the folders they stand for."""
    out = Path(path_text(dst, "the output"))
    if out.name in ("", "..", "."):
        out = Path(os.path.abspath(out))
    if not out.name:
        raise FileError(f"output {os.fspath(dst)!r} has no name; give a file or folder name")
    return out


def spelled_as_folder(dst: PathLike) -> bool:
    """Whether an output was written with a trailing slash: a folder, whatever its name."""
    text = os.fspath(dst)
    return text.endswith(os.sep) or (os.altsep is not None and text.endswith(os.altsep))


def foreign_file(folder: Path) -> Path | None:
    """An entry of ``folder`` that upweight did not write there, if any.

    A folder output holds Parquet parts that carry the plan in their metadata, side by
    side, and nothing else; anything else (a hidden ``.git/``, a ``_README``, a
    subfolder, a file without the plan) is somebody else's, and a folder holding it is
    never replaced.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    for p in sorted(folder.iterdir()):
        if p.is_symlink() or not p.is_file() or p.suffix.lower() not in {".parquet", ".pq"}:
            return p
        try:
            meta = pq.read_metadata(p).metadata or {}
        except (pa.ArrowException, OSError):
            return p
        if PLAN_METADATA_KEY not in meta:
            return p
    return None


def check_output(source: Source, dst: Path, *, overwrite: bool, folder: bool = False) -> str:
    """Refuse an output that would lose data or change the input; return its kind.

    ``folder``: ``dst`` was spelled with a trailing slash (see :func:`spelled_as_folder`).
    """
    kind = output_kind(dst, folder=folder)
    target = dst.resolve()
    for f in source.files:
        path = Path(f).resolve()
        if path == target or target in path.parents:
            raise FileError(
                f"output {dst} would overwrite the input {f}; choose another output path "
                "(inputs are never overwritten)"
            )
    origin = Path(source.origin) if source.origin else None
    if origin is not None and origin.is_dir() and origin.resolve() in target.parents:
        raise FileError(
            f"output {dst} is inside the input folder {origin}: the next run would read it "
            "as data; write it elsewhere"
        )
    if origin is not None and is_glob(origin) and glob_matches(origin, target):
        raise FileError(
            f"output {dst} matches the input pattern {origin}: the next run would read it as "
            "data; choose another name"
        )
    if dst.is_symlink() and not dst.exists():
        raise FileError(f"output {dst} is a broken symbolic link; remove it or write elsewhere")
    if kind != "directory" and dst.is_dir():
        raise FileError(f"output {dst} is a directory; give a file name")
    if kind == "directory" and dst.exists() and not dst.is_dir():
        raise FileError(f"output {dst} is a file; give a directory name, or .parquet / .csv")
    if dst.exists() and not overwrite:
        raise FileError(f"output {dst} exists; pass --overwrite to replace it")
    if kind == "directory" and dst.is_dir():
        foreign = foreign_file(dst)
        if foreign is not None:
            raise FileError(
                f"output folder {dst} holds {foreign.relative_to(dst)}, which upweight did not "
                "write; --overwrite replaces only a folder that upweight wrote: give a new "
                "folder name"
            )
    sidecar = plan_sidecar(dst) if kind == "csv" else None
    if sidecar is not None and sidecar.is_dir() and not sidecar.is_symlink():
        raise FileError(
            f"{sidecar}, where the plan goes, is a folder; move it away or choose another output"
        )
    if sidecar is not None and os.path.lexists(sidecar) and not overwrite:
        raise FileError(f"{sidecar}, where the plan goes, exists; pass --overwrite or remove it")
    if not dst.parent.exists():
        raise FileError(f"output folder {dst.parent} does not exist; create it first")
    if not dst.parent.is_dir():
        raise FileError(f"{dst.parent} is a file, not a folder; give an output in a folder")
    return kind
