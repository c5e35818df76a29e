"""Interruptions: Ctrl-C, SIGTERM and SIGHUP all end a run the same careful way.

A signal becomes an :class:`Interrupted` exception, a :class:`KeyboardInterrupt`, so every
``except BaseException`` cleanup (temporary files removed, outputs untouched) runs for a
``kill`` or a closed terminal exactly as for Ctrl-C. The command line exits with
``128 + signal number``, the shell's convention (130 for Ctrl-C, 143 for SIGTERM, 129 for
SIGHUP).

DuckDB notices a pending signal itself and stops its query with its own error; the
signal's number is recorded first, so :func:`current` can say which signal it was.

Only the first signal interrupts. Once it is being handled, later ones (a user pressing
Ctrl-C again and again, a supervisor sending SIGTERM every few milliseconds) are counted
and otherwise ignored: an exception raised in the middle of the cleanup would cut it
short, leave temporaries behind and print a traceback. The command line then ignores them
until the process has exited with the first one's code (:func:`ignore_from_now_on`).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = [
    "HANDLED",
    "Interrupted",
    "current",
    "deferred",
    "handled",
    "ignore_from_now_on",
    "raise_interrupted",
    "stopping",
]

#: The signals that end a run cleanly.
HANDLED: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)

#: The signal that interrupted the run (one at most), and how many came after it.
_last: list[int] = []
_later: list[int] = []
#: Set while a run is under :func:`handled`.
_active: list[bool] = []


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
    """The interruption to raise now: the signal received, or Ctrl-C."""
    return Interrupted(_last[0] if _last else signal.SIGINT)


def stopping() -> bool:
    """Whether a signal has interrupted the run under way (its cleanup may be going on)."""
    return bool(_last) and bool(_active)


def _interrupt(signum: int) -> None:
    """Raise :class:`Interrupted` for the first signal; count and ignore the ones after it.

    Only a run under :func:`handled` (the command line) remembers the signal: a library
    call in a longer-lived process (a notebook) raises it and forgets it.
    """
    if not _active:
        raise Interrupted(signum)
    if _last:
        _later.append(signum)
        return
    _last.append(signum)
    raise Interrupted(signum)


def ignore_from_now_on() -> None:
    """Ignore the handled signals until the process ends (the command line, on its way out).

    Python itself gives the default action back to signals it handled when it shuts down,
    so without this a signal arriving then would kill the process (exit status -2 or -15
    instead of ``128 + signal``) or interrupt an exit handler with a traceback.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for s in HANDLED:
        signal.signal(s, signal.SIG_IGN)


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
    """A signal handler: record the signal and raise :class:`Interrupted` (the first one).

    Not in the middle of an import: an exception there would leave a half-initialised
    module behind (later imports of it fail) or a module lock held (the run hangs). The
    signal is sent again a moment later instead, until the import is done.
    """
    if _importing(frame) and not _last:
        import os

        timer = threading.Timer(RETRY_SECONDS, os.kill, (os.getpid(), signum))
        timer.daemon = True
        timer.start()
        return
    _interrupt(signum)


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into :class:`Interrupted` while the block runs.

    Only in the main thread (where Python delivers signals); the previous handlers come
    back afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # a signal ignored when the process started stays ignored (`nohup` ignores SIGHUP)
    previous = {
        s: signal.signal(s, raise_interrupted)
        for s in HANDLED
        if signal.getsignal(s) is not signal.SIG_IGN
    }
    _last.clear()
    _later.clear()
    _active.append(True)
    hook = sys.unraisablehook
    sys.unraisablehook = _unraisable
    try:
        yield
    finally:
        _active.pop()
        sys.unraisablehook = hook
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


def _unraisable(unraisable: Any) -> None:
    """An interruption raised where Python cannot raise (a weakref callback, ``__del__``).

    Python would print it as "Exception ignored in ..." with a traceback and go on as if
    nothing had happened. The signal is sent again a moment later, to interrupt ordinary
    code (or, once the command is done, to be ignored).
    """
    exc = unraisable.exc_value
    if not isinstance(exc, Interrupted):
        sys.__unraisablehook__(unraisable)
        return
    import os

    _last.clear()
    timer = threading.Timer(RETRY_SECONDS, os.kill, (os.getpid(), exc.signum))
    timer.daemon = True
    timer.start()


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold the handled signals until the block ends, so that it is never cut in two.

    Used around the renames that put outputs in place: they all happen, or (on an error)
    none stays. A signal received meanwhile is raised as :class:`Interrupted` at the end,
    unless the run is already being interrupted (then the block is part of the cleanup).
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
            _interrupt(received[0])
