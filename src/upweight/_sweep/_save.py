"""Saving a sweep: ``results.parquet``, ``result.json``, ``plots/*.png`` and ``report.html``.

The results are plain data (:mod:`._result`); this module writes them -- the table, the
whole result for :meth:`SweepResult.load` (:mod:`._saved`), and the plots and report that
read them (:mod:`._report`) -- into an output folder that follows the sweep's rules
(:mod:`._outdir`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .._exceptions import FileError
from ._outdir import OutputFolder, report_files
from ._report import write_report
from ._saved import write_result

if TYPE_CHECKING:
    from ._result import SweepResult

__all__ = ["save", "save_into"]


def save(result: SweepResult, outdir: str | os.PathLike[str]) -> Path:
    """:meth:`SweepResult.save`: open (and lock) ``outdir``, claim the files, write them."""
    names = report_files(
        convergence=bool(result.convergence), classes=len(result.settings.get("classes", ())) > 2
    )
    previous = result.outdir
    with OutputFolder.open(outdir, targets=names, overwrite=True) as folder:
        own = result.outdir is not None and Path(result.outdir).resolve() == folder.path.resolve()
        if folder.settings and not own:  # a sweep's folder: its runs are of other data
            raise FileError(
                f"{folder.path} holds another sweep's results; save into the folder this "
                "sweep wrote, or into a new one"
            )
        folder.claim(names)
        written = save_into(result, folder)
    result.outdir = previous  # a copy saved elsewhere: the result is still the sweep's
    return written


def save_into(result: SweepResult, folder: OutputFolder) -> Path:
    """Write the table, the saved result and the report into a folder opened by the sweep.

    Returns the report's path; ``result.outdir`` becomes the folder.
    """
    import pyarrow.parquet as pq

    table = result.to_arrow()
    folder.write("results.parquet", lambda tmp: pq.write_table(table, tmp))
    result.outdir = folder.path
    report = write_report(result, folder)
    write_result(result, folder)  # last: once it is there, so is all it describes
    return report
