"""The command's entry point: signals handled before anything heavy is imported.

Importing the command line (typer, rich, NumPy, pyarrow) takes a moment; a Ctrl-C or a
``kill`` in that moment ends the run with one line and the shell's exit code, like one
at any later point, never with a traceback. Once the command is done, signals are ignored
until the process has exited, so that a flood of them cannot change its exit code.
"""

from __future__ import annotations

import os
import signal
import sys

from . import _signals


def run() -> None:
    """Console-script entry point: run the command line and exit with its code."""
    # pyarrow's allocator (mimalloc) hands freed memory back to the system after 10 ms, and
    # the file engine frees and reallocates a row group's worth many times a second: the
    # system then zeroes the same pages again and again (a sixth of a run's CPU time). A
    # second's delay lets the memory be reused. (Read when pyarrow loads, hence first.)
    os.environ.setdefault("MIMALLOC_PURGE_DELAY", "1000")
    for signum in _signals.HANDLED:
        if signal.getsignal(signum) is not signal.SIG_IGN:  # `nohup` ignores SIGHUP: kept
            signal.signal(signum, _signals.raise_interrupted)
    # started with standard output or error closed (`upweight ... >&-`): Python has no
    # stream at all; what would be printed goes nowhere, the work itself is done
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    try:
        from ._cli import main

        code = main()
    except KeyboardInterrupt as exc:  # before the command line took over the signals
        stop = exc if isinstance(exc, _signals.Interrupted) else _signals.Interrupted()
        sys.stderr.write(f"{stop.describe()}; no partial output was left\n")
        code = stop.exit_code
    finally:
        # from here to the end of the process a signal could only cut the exit short
        _signals.ignore_from_now_on()
    sys.exit(code)
