"""Writing outputs safely: hidden temporaries, atomic commits, no clobbering, locks.

Every output goes first to a temporary name in its destination's folder and is renamed
into place only when complete, so an error, Ctrl-C or ``kill`` never leaves half a file
under the real name. Temporary names are hidden (a leading dot, so that directory
readers skip them, as Spark and Hive do) and say who made them::

    .train.parquet.upweight-<host>-<pid>-<random>.tmp

A process killed with SIGKILL cannot remove its temporaries; the next run writing into
the same folder does (:func:`remove_stale_temporaries`), once it is sure their process
is gone: same host, and no process with that PID, or one started after the file was
last written.

Without ``overwrite``, the final rename never replaces anything: when another run
created the output meanwhile, it fails with :class:`~upweight.FileError` and the other
run's file stays (``renameat2(RENAME_NOREPLACE)`` on Linux; a hard link elsewhere).
Outputs made of several files (a CSV and its plan) are renamed together, under a lock on
their folder, so two runs never leave a mix of theirs.

The sweep's output folder uses the same tools (:mod:`upweight._sweep._outdir`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from .. import _signals
from .._exceptions import FileError
from ._common import first_line

__all__ = [
    "TEMPORARY",
    "atomic_path",
    "commit",
    "commit_together",
    "describe_os_error",
    "every",
    "flushing",
    "folder_locked",
    "fsync_path",
    "fsync_tree",
    "hint_for",
    "remove",
    "remove_stale_temporaries",
    "rename_noreplace",
    "staged",
    "temporary",
]


T = TypeVar("T")
# how long a commit waits for a folder another process has locked; upweight's own runs
# hold it only while they rename files into place
LOCK_WAIT = 30.0

# -- temporary names ---------------------------------------------------------------------
TEMPORARY = re.compile(r"^\..*\.upweight-(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")
_STEM_CHARS = 80  # the final name's share of a temporary name (file names stop at 255 bytes)


def _host() -> str:
    """The host name, and the process-ID namespace where the system tells.

    Two containers may share a host name and a folder while each numbers its processes
    from 1: a process ID means something only within its namespace, so temporaries of
    another namespace are never judged by it.
    """
    name = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:40] or "host"
    try:
        space = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return name
    return f"{name}_{space:x}"


def temporary(final: str | os.PathLike[str]) -> Path:
    """A fresh hidden temporary name next to ``final``, tagged with this host and process."""
    path = Path(final)
    if not path.name:
        raise FileError(f"output {os.fspath(final)!r} has no name; give a file or folder name")
    stem = path.name[:_STEM_CHARS]
    tag = f"upweight-{_host()}-{os.getpid()}-{secrets.token_hex(4)}"
    return path.with_name(f".{stem}.{tag}.tmp")


def _process_start(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), where the system tells."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of stat: start time in clock ticks after boot
        with open("/proc/stat", encoding="ascii") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime"))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _owner_gone(pid: int, written: float) -> bool:
    """Whether the process that wrote a temporary (last at ``written``) has ended."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False  # alive, another user's
    started = _process_start(pid)
    return started is not None and started > written + 2.0  # the PID was reused since


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporaries that dead upweight processes of this host left in ``folder``.

    Returns the paths removed. Temporaries of running processes, of other hosts (a shared
    file system), and every other file are left alone.
    """
    removed: list[Path] = []
    host = _host()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = TEMPORARY.match(entry.name)
        if match is None or match["host"] != host:
            continue
        try:
            written = entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if not _owner_gone(int(match["pid"]), written):
            continue
        path = Path(entry.path)
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


# -- committing --------------------------------------------------------------------------
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


def _renameat2() -> Callable[..., int] | None:
    """The C library's ``renameat2``, where there is one (Linux, glibc 2.28 or newer)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2: list[Callable[..., int] | None] = []


def rename_noreplace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Rename ``src`` to ``dst``, failing with :class:`FileExistsError` if ``dst`` exists.

    One system call on Linux (``renameat2`` with ``RENAME_NOREPLACE``), so no other
    process can slip in between the check and the rename. Elsewhere, or on a file system
    that lacks it, a file is hard-linked then unlinked (the link fails if ``dst``
    exists); a folder is renamed after a check.
    """
    import ctypes

    if not _RENAMEAT2:
        _RENAMEAT2.append(_renameat2())
    function = _RENAMEAT2[0]
    if function is not None:
        result = function(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), 1)
        if result == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
            raise OSError(code, os.strerror(code), os.fspath(dst))
    if os.path.isdir(src):
        if os.path.lexists(dst):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), os.fspath(dst))
        os.rename(src, dst)
        return
    os.link(src, dst)
    os.unlink(src)


def commit(tmp: Path, final: Path, *, overwrite: bool) -> None:
    """Rename the finished ``tmp`` to ``final``.

    With ``overwrite``, an existing ``final`` is replaced (a folder by moving it aside
    first, since one rename cannot replace a non-empty folder). Without it, an output
    that appeared since the run checked is never replaced: :class:`FileError`.
    """
    if not overwrite:
        try:
            rename_noreplace(tmp, final)
        except FileExistsError:
            raise FileError(
                f"{final} appeared while this run was writing it (another run?); it was "
                "left as it is: run again with --overwrite (overwrite=True) to replace it"
            ) from None
        return
    if final.is_dir() and not final.is_symlink():
        aside = temporary(final)
        os.replace(final, aside)
        try:
            os.replace(tmp, final)
        except BaseException:
            os.replace(aside, final)
            raise
        shutil.rmtree(aside, ignore_errors=True)
        return
    os.replace(tmp, final)


@contextlib.contextmanager
def folder_locked(folder: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on a folder while the block runs (no file is made).

    Runs that put several files in place together (a CSV and its plan) do it under this
    lock, so that two of them never interleave: the folder holds the CSV and the plan of
    one run. A lock another program holds (``flock DIR cmd``) is waited for up to
    :data:`LOCK_WAIT` seconds, then refused. Where ``flock`` is missing (Windows), the
    block runs unlocked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise FileError(
                        f"{os.fspath(folder)} has been locked by another program for over "
                        f"{LOCK_WAIT:.0f} s (flock); run again when it is done, or write "
                        "elsewhere"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def remove(path: Path) -> None:
    """Remove a temporary file or folder, if it is there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@contextlib.contextmanager
def atomic_path(dst: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[Path]:
    """A temporary path next to ``dst`` that becomes ``dst`` only if the block succeeds.

    On any error or interrupt the temporary is removed and ``dst`` is untouched. Without
    ``overwrite``, an existing ``dst`` is never replaced (see :func:`commit`).
    """
    final = Path(dst)
    tmp = temporary(final)
    try:
        yield tmp
        fsync_tree(tmp)
        with _signals.deferred():
            commit(tmp, final, overwrite=overwrite)
    except BaseException:
        remove(tmp)
        raise


def fsync_path(path: Path) -> None:
    """Send a file's data to disk."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_tree(path: Path) -> None:
    """Send a file's data, or every file's of a folder, to disk."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for f in files:
        fsync_path(f)


def commit_together(staged: Sequence[tuple[Path, Path]], *, overwrite: bool) -> None:
    """Rename temporaries into place together; a signal waits until all are renamed.

    Under a lock on the folder, so that two runs writing the same outputs never leave a
    mix of theirs. If one rename fails (an output appeared meanwhile), the ones already
    made are undone.
    """
    with folder_locked(staged[-1][1].parent), _signals.deferred():
        done: list[Path] = []
        try:
            for tmp, final in staged:
                commit(tmp, final, overwrite=overwrite)
                done.append(final)
        except BaseException:
            for final in done:
                remove(final)
            raise


def staged(
    out: Path,
    write: Callable[[Path], T | None],
    *,
    sidecar: Callable[[T], tuple[Path, str]] | None = None,
    check: Callable[[], None] = lambda: None,
    overwrite: bool,
) -> T | None:
    """Run ``write`` into a temporary, then rename it (and its sidecar) into place.

    ``write`` returns what it wrote (the applied plan), or ``None`` when it wrote nothing;
    ``sidecar`` gives the path and text of a file that goes beside the output (a CSV's
    plan). ``check`` runs just before the renames (the input is checked for changes: if
    it changed while it was read, nothing is written). On any error, or an interruption,
    the temporaries are removed and the output is untouched.
    """
    parts: list[tuple[Path, Path]] = []
    try:
        tmp = temporary(out)
        parts.append((tmp, out))
        done = write(tmp)
        if done is None:
            remove(tmp)
            return None
        if sidecar is not None:
            path, text = sidecar(done)
            side_tmp = temporary(path)
            parts.insert(0, (side_tmp, path))
            side_tmp.write_text(text, encoding="utf-8")
        for t, _ in parts:
            fsync_tree(t)
        check()
        commit_together(parts, overwrite=overwrite)
    except BaseException as exc:
        for t, _ in parts:
            remove(t)
        if isinstance(exc, OSError) and not isinstance(exc, FileError):
            why = exc.strerror or first_line(exc)
            raise FileError(f"could not write {out}: {why}; {hint_for(exc)}") from None
        raise
    return done


# -- writing on a side thread ------------------------------------------------------------
@contextlib.contextmanager
def every(seconds: float, task: Callable[[], None], name: str) -> Iterator[None]:
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


def flushing(path: Path, every_seconds: float = 0.25) -> contextlib.AbstractContextManager[None]:
    """While a file is being written, send what it holds to disk every ``every_seconds``.

    On a side thread, so that the disk works while the writer computes; the final
    :func:`fsync_path` before the rename then has only the tail left to wait for.
    """
    sync = getattr(os, "fdatasync", os.fsync)  # macOS and Windows have fsync only

    def flush() -> None:
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY)
            try:
                sync(fd)
            finally:
                os.close(fd)

    return every(every_seconds, flush, "upweight-flush")


# -- what went wrong, in words -----------------------------------------------------------
def describe_os_error(exc: OSError) -> str:
    """An OS error in a few words: what failed, on which path."""
    what = exc.strerror or type(exc).__name__
    where = exc.filename if exc.filename is not None else ""
    return f"{what}: {where}" if where else what


def hint_for(exc: OSError) -> str:
    """What to do about an OS error, in a few words."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "free some space or write elsewhere"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "check the folder's permissions or write elsewhere"
    if exc.errno in (errno.ENOTDIR, errno.EISDIR, errno.EEXIST):
        return "a file stands where a folder is expected, or the other way round"
    return "check the path and try again"
