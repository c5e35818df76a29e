"""Interruptions: Ctrl-C, SIGTERM and SIGHUP all end a run the same careful way.

A signal becomes an :class:`Interrupted` exception, a :class:`KeyboardInterrupt`, so every
``except BaseException`` cleanup (temporary files removed, outputs untouched) runs for a
``kill`` or a closed terminal exactly as for Ctrl-C. The command line exits with
``128 + signal number``, the shell's convention (130 for Ctrl-C, 143 for SIGTERM, 129 for
SIGHUP).

DuckDB notices a pending signal itself and stops its query with its own error; the
signal's number is recorded first, so :func:`current` can say which signal it was.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["HANDLED", "Interrupted", "current", "deferred", "handled", "raise_interrupted"]

#: The signals that end a run cleanly.
HANDLED: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)

_last: list[int] = []


class Interrupted(KeyboardInterrupt):
    """A run ended by a signal: Ctrl-C (SIGINT), SIGTERM or SIGHUP."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signum)
        self.signum = int(signum)

    @property
    def name(self) -> str:
        """The signal's name, e.g. ``"SIGTERM"``."""
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"

    def describe(self) -> str:
        """``"interrupted"`` for Ctrl-C, ``"stopped by SIGTERM"`` for the others."""
        return "interrupted" if self.signum == signal.SIGINT else f"stopped by {self.name}"

    @property
    def exit_code(self) -> int:
        """``128 + signal number``, as shells report a process ended by a signal."""
        return 128 + self.signum


def current() -> Interrupted:
    """The interruption to raise now: the last signal received, or Ctrl-C."""
    return Interrupted(_last[-1] if _last else signal.SIGINT)


#: How long a signal that arrived during an import waits before it is raised again.
RETRY_SECONDS = 0.05


def _importing(frame: FrameType | None) -> bool:
    """Whether the interrupted code is in the middle of importing a module."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def raise_interrupted(signum: int, frame: FrameType | None) -> None:
    """A signal handler: record the signal and raise :class:`Interrupted`.

    Not in the middle of an import: an exception there would leave a half-initialised
    module behind (later imports of it fail) or a module lock held (the run hangs). The
    signal is sent again a moment later instead, until the import is done.
    """
    if _importing(frame):
        import os

        timer = threading.Timer(RETRY_SECONDS, os.kill, (os.getpid(), signum))
        timer.daemon = True
        timer.start()
        return
    _last.append(signum)
    raise Interrupted(signum)


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into :class:`Interrupted` while the block runs.

    Only in the main thread (where Python delivers signals); the previous handlers come
    back afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, raise_interrupted) for s in HANDLED}
    _last.clear()
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold the handled signals until the block ends, so that it is never cut in two.

    Used around the renames that put outputs in place: they all happen, or (on an error)
    none stays. A signal received meanwhile is raised as :class:`Interrupted` at the end.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {s: signal.signal(s, hold) for s in HANDLED}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        if received:
            _last.append(received[0])
            raise Interrupted(received[0])
