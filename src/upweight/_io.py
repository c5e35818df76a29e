"""Reading and writing CSV and Parquet files: clear errors, atomic writes."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from ._exceptions import FileError

__all__ = ["atomic_path", "file_format", "plan_sidecar"]

FileFormat = Literal["csv", "parquet"]

_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".csv.bz2": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}

PLAN_METADATA_KEY = b"upweight.plan"


def file_format(path: str | os.PathLike[str]) -> FileFormat:
    """CSV or Parquet, by the file's extension."""
    name = Path(path).name.lower()
    for suffix, fmt in sorted(_SUFFIXES.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix):
            return fmt
    raise FileError(
        f"unsupported file type: {Path(path).name}; use a .csv, .csv.gz, .parquet or .pq file"
    )


@contextlib.contextmanager
def atomic_path(dst: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path next to ``dst`` that replaces ``dst`` only if the block succeeds.

    On any error or interrupt the temporary file is removed and ``dst`` is untouched.
    """
    final = Path(dst)
    tmp = _temporary(final)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def plan_sidecar(path: str | os.PathLike[str]) -> Path | None:
    """Where a CSV output's plan goes (``OUT.plan.json``); Parquet keeps it inside."""
    p = Path(path)
    return p.with_name(p.name + ".plan.json") if file_format(p) == "csv" else None


def _temporary(final: Path) -> Path:
    return final.with_name(f".{final.name}.{uuid.uuid4().hex[:12]}.tmp")


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


@contextlib.contextmanager
def _every(seconds: float, task: Callable[[], None], name: str) -> Iterator[None]:
    """Run ``task`` every ``seconds`` on a side thread while the block runs."""
    import threading

    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(seconds):
            task()

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _flushing(path: Path, every: float = 0.25) -> contextlib.AbstractContextManager[None]:
    """While a file is being written, send what it holds to disk every ``every`` seconds.

    On a side thread, so that the disk works while the writer computes; the final
    :func:`_fsync` before the rename then has only the tail left to wait for.
    """
    sync = getattr(os, "fdatasync", os.fsync)  # macOS and Windows have fsync only

    def flush() -> None:
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY)
            try:
                sync(fd)
            finally:
                os.close(fd)

    return _every(every, flush, "upweight-flush")


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block ends, so that two renames are not split by it."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
        if received:
            raise KeyboardInterrupt
