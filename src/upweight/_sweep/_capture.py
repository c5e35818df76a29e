"""A model's printed output, kept with its results instead of reaching the terminal.

Some models print as they fit: LightGBM's ``[LightGBM] [Info]`` lines unless told
``verbose=-1``, a user's model its own ``print``. :func:`captured` takes standard output
for the length of a block -- the process's file descriptor 1, which Python's
``sys.stdout`` and native code write to -- and hands back what was written, so that the
sweep stores it next to the warnings (:mod:`._draws`). Standard error is left alone:
the progress bar draws there.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import tempfile
from collections.abc import Iterator

__all__ = ["captured"]


def _flush_native() -> None:
    """Flush C's stdio buffers (``fflush(NULL)``), where native code's output waits."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).fflush(None)


def _flush_python() -> None:
    with contextlib.suppress(Exception):
        sys.stdout.flush()


@contextlib.contextmanager
def captured() -> Iterator[list[str]]:
    """Standard output of the block, as lines (filled when the block ends), not printed.

    Descriptor 1 is pointed at a temporary file, so ``sys.stdout`` stays the object it
    was (a model may write to its ``buffer`` or pass it to a subprocess). Where Python's
    ``sys.stdout`` is not descriptor 1 (a notebook, a test's capture), it is left alone.
    """
    lines: list[str] = []
    _flush_python()
    with tempfile.TemporaryFile(mode="w+b") as sink:
        try:
            saved = os.dup(1)
        except OSError:  # no descriptor 1 to take over
            yield lines
            return
        _flush_native()
        os.dup2(sink.fileno(), 1)
        try:
            yield lines
        finally:
            _flush_python()
            _flush_native()
            os.dup2(saved, 1)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", "replace")
            lines += [line for line in text.splitlines() if line.strip()]
