"""A model's printed output, kept with its results instead of reaching the terminal.

Some models print as they fit: LightGBM's ``[LightGBM] [Info]`` lines unless told
``verbose=-1``, a user's model its own ``print``. :func:`captured` takes standard output
for the length of a block -- Python's ``sys.stdout`` and the process's file descriptor 1,
which native code writes to -- and hands back what was written, so that the sweep stores it
next to the warnings (:mod:`._draws`). Standard error is left alone: the progress bar
draws there.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import sys
import tempfile
from collections.abc import Iterator

__all__ = ["captured"]


def _flush_native() -> None:
    """Flush C's stdio buffers (``fflush(NULL)``), where native code's output waits."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def captured() -> Iterator[list[str]]:
    """Standard output of the block, as lines (filled when the block ends), not printed."""
    lines: list[str] = []
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    saved = None
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(tempfile.TemporaryFile(mode="w+b"))
        try:
            saved = os.dup(1)
            _flush_native()
            os.dup2(sink.fileno(), 1)
        except OSError:  # no descriptor 1 to take over: Python's output only
            saved = None
        text = io.StringIO()
        try:
            with contextlib.redirect_stdout(text):
                yield lines
        finally:
            if saved is not None:
                _flush_native()
                os.dup2(saved, 1)
                os.close(saved)
            sink.seek(0)
            native = sink.read().decode("utf-8", "replace")
            lines += [line for line in (text.getvalue() + native).splitlines() if line.strip()]
