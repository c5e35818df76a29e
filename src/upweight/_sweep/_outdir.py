"""The sweep's output folder: which files are the sweep's, who writes them, and how.

A folder the sweep writes into holds ``manifest.json`` (format ``upweight.sweep/2``): the
settings that decide whether stored runs can be reused (the data's fingerprint, label,
seed, split sizes...) and ``files``, every path (relative to the folder) that a sweep
wrote there. A name is listed *before* its file is created (write-ahead), so a run
killed at any point leaves no file of its own unlisted.

The rules, in order:

- a ``manifest.json`` without the sweep's format is another program's: refused, always;
- no file the sweep writes may be an input, and the folder may not lie inside a
  directory input (writing there would change the data set);
- without ``overwrite``, a folder that holds files and no manifest of ours is refused;
- only listed files are ever replaced or removed; a file the sweep must write that exists
  but is not listed (the user's own ``results.parquet``) is refused;
- one writer at a time: an exclusive lock (``flock``) on ``.upweight-sweep.lock`` is held
  for the whole run;
- every write goes to a hidden temporary and is renamed into place; an OS error becomes
  one :class:`~upweight.FileError` line naming the file that was being written.

A manifest of format ``upweight.sweep/1`` (no list) is ours too: its files are the names
a sweep of that version could have written, and only those that exist.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from .._exceptions import FileError, InputError
from .._files import glob_matches
from .._files._commit import (
    TEMPORARY,
    atomic_path,
    describe_os_error,
    hint_for,
    remove_stale_temporaries,
)
from .._files._common import path_text
from .._types import CORRECTIONS
from ._models import MODELS
from ._plots import PLOT_CONDITIONS, PLOTS

__all__ = ["FORMAT", "LOCK", "MANIFEST", "RESULT", "OutputFolder", "listed_files", "report_files"]

FORMAT = "upweight.sweep/2"
_FORMAT_1 = "upweight.sweep/1"
MANIFEST = "manifest.json"
LOCK = ".upweight-sweep.lock"
#: The saved result, read back by ``SweepResult.load`` (see :mod:`._saved`).
RESULT = "result.json"
_KEPT = frozenset({MANIFEST, LOCK})  # listed for as long as the folder is a sweep's

# what a version-1 sweep could have written into runs/
_NUMBER = r"[0-9][0-9.e+]*"
_V1_RUN = re.compile(
    rf"^(?:{'|'.join(MODELS)})-k{_NUMBER}-w(?:none|[0-9][0-9.e+-]*)"
    rf"-(?:{'|'.join(CORRECTIONS)})-r[0-9]+\.json$"
)
_V1_CONVERGENCE = re.compile(rf"^convergence-[a-z]+-k{_NUMBER}-(?:{'|'.join(CORRECTIONS)})\.json$")
# every name the sweep ever writes has one of these shapes; a listed name of any other
# shape (a damaged or forged manifest) is never acted upon
_OUR_SHAPES = re.compile(
    r"^(?:manifest\.json|\.upweight-sweep\.lock|results\.parquet|result\.json|report\.html"
    r"|runs/[^/]+\.json|plots/[^/]+\.png|model\.joblib|model_card\.md)$"
)

Fill = Callable[[Path], None]


def report_files(*, convergence: bool = True, classes: bool = False) -> list[str]:
    """What :meth:`SweepResult.save` writes: table, saved result, report and plots.

    The convergence plot only with ``convergence``; the per-class calibration plot only
    with ``classes`` (more than two classes).
    """
    drawn = {"convergence": convergence, "classes": classes}
    plots = [name for name in PLOTS if drawn.get(PLOT_CONDITIONS.get(name, ""), True)]
    return ["results.parquet", RESULT, "report.html", *(f"plots/{name}.png" for name in plots)]


def listed_files(outdir: str | os.PathLike[str]) -> tuple[Path, set[str]]:
    """A sweep's output folder and the files its manifest lists, read without the lock.

    For readers (:meth:`SweepResult.load`): nothing is created, locked or changed. A folder
    that is not a sweep's is one :class:`~upweight.FileError` saying which folder to give.
    """
    path = _named(outdir)
    give = "give the output folder a sweep wrote its results into (outdir=..., --output)"
    if not path.is_dir():
        what = "is not a folder" if os.path.lexists(path) else "does not exist"
        raise FileError(f"{path} {what}; {give}")
    manifest = path / MANIFEST
    try:
        data = json.loads(manifest.read_bytes())
    except FileNotFoundError:
        raise FileError(f"{path} holds no sweep results (no {MANIFEST}); {give}") from None
    except (IsADirectoryError, ValueError, RecursionError):
        data = None
    except OSError as exc:
        raise fault("read", manifest, exc) from None
    if not isinstance(data, dict) or data.get("format") not in (FORMAT, _FORMAT_1):
        raise FileError(f"{manifest} was not written by upweight sweep; {give}")
    files, _ = OutputFolder(path, (), None)._parse(data)
    return path, files


def _reason(exc: OSError) -> str:
    """An OS error in a few words; a temporary's name is left out (it is gone)."""
    if exc.errno is None:  # pyarrow's errors carry the code in their text only
        found = re.search(r"\[?errno (\d+)\]?", str(exc), re.IGNORECASE)
        if found:
            exc = OSError(int(found[1]), os.strerror(int(found[1])))
        else:
            return " ".join(str(exc).split()) or type(exc).__name__
    if exc.filename is not None and TEMPORARY.match(Path(os.fsdecode(exc.filename)).name):
        return exc.strerror or type(exc).__name__
    return describe_os_error(exc)


def _hint(exc: OSError) -> str:
    if exc.errno is None:
        found = re.search(r"errno (\d+)", str(exc), re.IGNORECASE)
        if found:
            return hint_for(OSError(int(found[1]), ""))
    return hint_for(exc)


def fault(verb: str, path: Path, exc: OSError) -> FileError:
    """``could not write PATH: reason; what to do``, as one line."""
    return FileError(f"could not {verb} {path}: {_reason(exc)}; {_hint(exc)}")


def _named(path: str | os.PathLike[str]) -> Path:
    """The folder as a path with a name: ``.`` and ``..`` become the folders they stand for."""
    if not path_text(path, "the output folder"):
        raise InputError("the output folder is empty text; give a folder name (or '.')")
    out = Path(path)
    if out.name in ("", ".", ".."):
        out = Path(os.path.abspath(out))
    return out


def _state(path: Path) -> tuple[int, int, int] | None:
    """A file's identity and version (inode, size, time stamp), or None if it is absent."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _ours_temporary(name: str) -> bool:
    return TEMPORARY.match(name) is not None


class OutputFolder:
    """An output folder opened by one sweep: its manifest, its lock, and the writes.

    Use :meth:`open`; close it (or use it as a context manager) to release the lock.
    """

    def __init__(
        self,
        path: Path,
        inputs: Iterable[Path],
        input_folder: Path | None,
        input_pattern: str | None = None,
    ) -> None:
        self.path = path
        self.files: set[str] = set()
        self.settings: dict[str, Any] = {}
        self._inputs = {Path(p).resolve() for p in inputs}
        self._input_folder = None if input_folder is None else Path(input_folder).resolve()
        self._input_pattern = input_pattern
        self._lock: int | None = None
        self._who = "upweight sweep"
        # each target's file as this run last saw it (None: absent), to notice other writers
        self._seen: dict[str, tuple[int, int, int] | None] = {}
        self._listed_before: set[str] = set()  # listed when this run took the lock
        self._wrote: set[str] = set()  # written by this run
        self._removed: set[str] = set()  # listed files this run removed
        self._made_manifest = False  # this run started the folder's manifest

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        targets: Sequence[str],
        overwrite: bool,
        strict: bool = False,
        who: str = "upweight sweep",
        inputs: Iterable[Path] = (),
        input_folder: Path | None = None,
        input_pattern: str | None = None,
    ) -> OutputFolder:
        """Check the folder, create it if need be, lock it, and claim ``targets``.

        Parameters
        ----------
        targets
            Names (relative to the folder) this run will write.
        overwrite
            A folder without our manifest may hold other files (which are left alone).
        strict
            Refuse a folder holding any file that is not listed (the demo's rule).
        who
            The program in messages (``upweight sweep``, ``upweight demo``).
        inputs, input_folder, input_pattern
            The input files, the directory they come from, and the glob that matched
            them: never written, never written into, never matched by an output.
        """
        folder = cls(_named(path), inputs, input_folder, input_pattern)
        folder._who = who
        try:
            folder._open(list(targets), overwrite=overwrite, strict=strict)
        except BaseException:
            folder.close()
            raise
        return folder

    def _open(self, targets: list[str], *, overwrite: bool, strict: bool) -> None:
        p = self.path
        self._check_inputs(targets)
        if p.exists() and not p.is_dir():
            raise FileError(f"output folder {p} is a file; give a folder name")
        self._check_shapes(targets)
        for _ in range(2):
            manifest = self._read_manifest()
            if manifest is not None:
                break
            # no manifest: a new folder, or somebody else's files
            others = self._unlisted_files(set())
            if others and strict:
                raise self._not_ours(others[0])
            if others and not overwrite:
                raise FileError(
                    f"{p} exists and holds files that are not sweep results; choose another "
                    "output folder or pass --overwrite"
                )
            self._check_targets(targets, set())
            if (p / LOCK).exists() or (p / LOCK).is_symlink():
                raise self._unlisted(LOCK)
            self._mkdir(p)
            try:
                self._write_manifest({"format": FORMAT, "files": sorted(_KEPT)}, replace=False)
            except FileExistsError:
                continue  # another run created it meanwhile: read that one
            self._made_manifest = True
        else:  # pragma: no cover - the manifest vanished twice between two reads
            raise FileError(f"{p / MANIFEST} changes while this run reads it (another run?)")
        files, settings = self._parse(manifest)
        if LOCK not in files:  # a version-1 folder: list the lock before it is made
            if (p / LOCK).exists() or (p / LOCK).is_symlink():
                raise self._unlisted(LOCK)
            self.files, self.settings = {*files, LOCK}, settings
            self._save_manifest()
        self._acquire()
        # under the lock, read again: the run that held it may have changed the folder
        manifest = self._read_manifest()
        if manifest is None:
            raise FileError(f"{p / MANIFEST} disappeared while this run opened {p}; try again")
        self.files, self.settings = self._parse(manifest)
        self._listed_before = set(self.files)
        if strict:
            others = self._unlisted_files(self.files)
            if others:
                raise self._not_ours(others[0])
        self._check_targets(targets, self.files)
        for folder in (p, p / "runs", p / "plots"):
            remove_stale_temporaries(folder)

    def _check_inputs(self, targets: Sequence[str]) -> None:
        where = self.path.resolve()
        if self._input_folder is not None and (
            where == self._input_folder or self._input_folder in where.parents
        ):
            raise FileError(
                f"output folder {self.path} is inside the input {self._input_folder}: writing "
                "there would change the input data set; choose a folder outside it"
            )
        for name in targets:
            target = (self.path / name).resolve()
            if self._input_pattern is not None and glob_matches(self._input_pattern, target):
                raise FileError(
                    f"output {self.path / name} matches the input pattern "
                    f"{self._input_pattern}: the next run would read it as data; choose "
                    "another output folder"
                )
            if target in self._inputs:
                raise FileError(
                    f"output {self.path / name} would overwrite the input {target}; choose "
                    "another output folder (inputs are never overwritten)"
                )

    def _check_shapes(self, targets: Sequence[str]) -> None:
        for sub, what in (("runs", "its runs"), ("plots", "its plots")):
            if any(t.startswith(f"{sub}/") for t in targets):
                folder = self.path / sub
                if (folder.exists() or folder.is_symlink()) and not folder.is_dir():
                    raise FileError(
                        f"{folder} is a file, where the sweep keeps {what}; move it away or "
                        "choose another output folder"
                    )
        for name in targets:
            path = self.path / name
            if path.is_dir():
                raise FileError(
                    f"{path} is a folder, where the sweep writes a file; move it away or "
                    "choose another output folder"
                )

    def _check_targets(self, targets: Sequence[str], listed: set[str]) -> None:
        self._check_shapes(targets)
        for name in targets:
            path = self.path / name
            if name not in listed and (path.exists() or path.is_symlink()):
                raise self._unlisted(name)

    def _unlisted(self, name: str) -> FileError:
        return FileError(
            f"{self.path / name} exists and was not written by {self._who}; move it away or "
            "choose another output folder"
        )

    def _not_ours(self, name: str) -> FileError:
        return FileError(
            f"{self.path} holds {name}, which upweight did not write; choose another output "
            "folder (only a folder of upweight's own results is replaced)"
        )

    def _unlisted_files(self, listed: set[str]) -> list[str]:
        """Files (not folders) below the folder that are not listed, temporaries aside."""
        if not self.path.is_dir():
            return []
        found = []
        for dirpath, dirnames, filenames in os.walk(self.path):
            dirnames.sort()
            for name in sorted(filenames):
                rel = Path(dirpath, name).relative_to(self.path).as_posix()
                if rel not in listed and not _ours_temporary(name):
                    found.append(rel)
        return found

    # -- the manifest -----------------------------------------------------------------------
    def _read_manifest(self) -> dict[str, Any] | None:
        path = self.path / MANIFEST
        try:
            text = path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None
        except IsADirectoryError:
            raise FileError(
                f"{path} is a folder, not a sweep's manifest; choose another output folder"
            ) from None
        except OSError as exc:
            raise fault("read", path, exc) from None
        except ValueError:
            text = ""
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("format") not in (FORMAT, _FORMAT_1):
            raise FileError(
                f"{path} was not written by upweight sweep (no 'format': '{FORMAT}'); the "
                "folder belongs to another program: choose another output folder"
            )
        return data

    def _parse(self, manifest: dict[str, Any]) -> tuple[set[str], dict[str, Any]]:
        settings = {k: v for k, v in manifest.items() if k not in ("format", "files")}
        if manifest["format"] == _FORMAT_1:
            return self._version_1_files(), settings
        files = manifest.get("files")
        if not isinstance(files, list) or not all(
            isinstance(f, str)
            and not any(ord(c) < 32 for c in f)
            and _OUR_SHAPES.match(f)
            and not PurePosixPath(f).is_absolute()
            and ".." not in PurePosixPath(f).parts
            for f in files
        ):
            raise FileError(
                f"{self.path / MANIFEST} is damaged (its list of files is not one a sweep "
                "writes); choose another output folder"
            )
        return set(files), settings

    def _version_1_files(self) -> set[str]:
        """What a version-1 sweep could have written, of what exists."""
        p = self.path
        names = {MANIFEST}
        for name in ("results.parquet", "report.html"):
            if (p / name).is_file():
                names.add(name)
        names.update(
            f"plots/{plot}.png" for plot in PLOTS if (p / "plots" / f"{plot}.png").is_file()
        )
        with contextlib.suppress(OSError):
            for entry in os.scandir(p / "runs"):
                if (
                    _V1_RUN.match(entry.name) or _V1_CONVERGENCE.match(entry.name)
                ) and entry.is_file(follow_symlinks=False):
                    names.add(f"runs/{entry.name}")
        return names

    def _write_manifest(self, data: dict[str, Any], *, replace: bool) -> None:
        path = self.path / MANIFEST
        try:
            with atomic_path(path, overwrite=replace) as tmp:
                tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        except FileError:
            if not replace and path.exists():
                raise FileExistsError(errno.EEXIST, "exists", str(path)) from None
            raise
        except OSError as exc:
            raise fault("write", path, exc) from None

    def _save_manifest(self) -> None:
        self._write_manifest(
            {"format": FORMAT, **self.settings, "files": sorted(self.files)}, replace=True
        )

    # -- the lock ---------------------------------------------------------------------------
    def _acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no flock, no lock
            return
        path = self.path / LOCK
        try:  # read-only: the lock needs no write access, and a descriptor open for
            # writing would keep the file system from being remounted read-only
            # (non-blocking: a FIFO put there would make a plain open wait for a writer)
            fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # a symbolic link: its target is somebody's file
                raise self._linked_lock(path) from None
            raise fault("write", path, exc) from None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise FileError(
                f"{path}, where the sweep keeps its lock, is not a regular file (a pipe? a "
                "folder?); move it away"
            )
        if st.st_nlink != 1:  # a hard link to a user's file
            os.close(fd)
            raise self._linked_lock(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = b""
            with contextlib.suppress(OSError):
                holder = os.pread(fd, 32, 0)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                pid = holder.decode("ascii", "replace").strip() or "unknown"
                raise FileError(
                    f"another upweight sweep is writing to {self.path} (pid {pid}); wait for "
                    "it or choose another folder"
                ) from None
            return  # a file system without locks (some network ones): go on without
        try:  # who holds it, for others; never through a link
            writer = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW)
            try:
                os.write(writer, f"{os.getpid()}\n".encode("ascii"))
            finally:
                os.close(writer)
        except OSError as exc:
            os.close(fd)
            raise fault("write", path, exc) from None
        self._lock = fd

    def _linked_lock(self, path: Path) -> FileError:
        return FileError(
            f"{path} is a link to another file, where the sweep keeps its lock; remove the "
            "link (the file it points to is left alone)"
        )

    def close(self) -> None:
        """Take back the names this run listed but did not write, and release the lock.

        A run that stops early (refused data, an error, Ctrl-C) must not leave names in
        the manifest that it never wrote: a file the user puts there later would pass for
        the sweep's, and be replaced. A run that wrote nothing into a folder it started
        takes its manifest and lock file away too. (A run killed with SIGKILL can't: its
        names stay listed until a run completes there.)
        """
        if self._lock is not None:
            with contextlib.suppress(FileError, OSError):
                self._take_back()
            with contextlib.suppress(OSError):
                os.close(self._lock)  # closing the last descriptor releases the flock
            self._lock = None

    def _take_back(self) -> None:
        if self._made_manifest and not self._wrote:
            for name in (MANIFEST, LOCK):
                with contextlib.suppress(FileNotFoundError):
                    (self.path / name).unlink()
            return
        keep = {
            n
            for n in self.files
            if n in _KEPT
            or n in self._wrote
            or (
                n in self._listed_before
                and n not in self._removed  # a file there now is somebody else's
                and os.path.lexists(self.path / n)
            )
        }
        if keep != self.files:
            self.files = keep
            self._save_manifest()

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the sweep's start ------------------------------------------------------------------
    def begin(
        self,
        settings: dict[str, Any],
        targets: Sequence[str],
        *,
        overwrite: bool,
        replace_other: bool = False,
    ) -> bool:
        """Compare ``settings`` with the stored ones; return whether stored runs are reused.

        Stored runs are reused when the settings are the same and ``overwrite`` is off.
        Otherwise our listed files are removed first (with ``overwrite``, or
        ``replace_other`` when the settings differ); settings that differ without either
        are refused. Then ``settings`` and ``targets`` are recorded in the manifest.
        """
        previous = self.settings
        same = bool(previous) and previous == settings
        if previous and not same and not (overwrite or replace_other):
            raise FileError(
                f"{self.path} holds sweep results of {difference(previous, settings)}; pass "
                "--overwrite (overwrite=True) to replace them, or choose another output folder"
            )
        reuse = same and not overwrite
        if not reuse:
            for name in sorted(self.files - _KEPT):
                self._remove(name)
                self._removed.add(name)
        self.files = {n for n in self.files if n in _KEPT or os.path.lexists(self.path / n)} | set(
            targets
        )
        self.settings = dict(settings)
        self._save_manifest()
        for name in targets:  # what each file is now: a change meanwhile is not ours
            self._seen[name] = _state(self.path / name)
        return reuse

    def claim(self, targets: Iterable[str]) -> None:
        """List ``targets`` in the manifest before they are written (refusing unlisted files)."""
        new = [t for t in targets if t not in self.files]
        if new:
            self._check_targets(new, self.files)
            self.files.update(new)
            self._save_manifest()

    # -- reading and writing ----------------------------------------------------------------
    def read_json(self, name: str) -> Any:
        """A listed JSON file's content (None if absent); ``DAMAGED`` if it cannot be parsed."""
        path = self.path / name
        if name not in self.files or not os.path.lexists(path):
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return DAMAGED

    def write(self, name: str, fill: Fill) -> Path:
        """Write ``name`` through ``fill(temporary)``, then rename it into place.

        The name is listed first. An OS error is one :class:`FileError` naming the file.
        """
        self.claim([name])
        final = self.path / name
        expected = self._seen.setdefault(name, _state(final))
        try:
            if final.is_dir() and not final.is_symlink():  # appeared since the start
                raise FileError(
                    f"{final} is a folder, where the sweep writes a file; move it away or "
                    "choose another output folder"
                )
            final.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(final, overwrite=expected is not None) as tmp:
                fill(tmp)
                if _state(final) != expected:  # another program wrote it meanwhile
                    raise FileError(
                        f"{final} was written by another program while the sweep ran; it was "
                        "left as it is: move it away and run the same command again (finished "
                        "runs are kept)"
                    )
        except FileError as exc:
            if "appeared while this run was writing it" in str(exc):
                raise FileError(
                    f"{final} was written by another program while the sweep ran; it was left "
                    "as it is: move it away and run the same command again (finished runs are "
                    "kept)"
                ) from None
            raise
        except OSError as exc:
            raise fault("write", final, exc) from None
        self._seen[name] = _state(final)
        self._wrote.add(name)
        return final

    def write_json(self, name: str, data: Any) -> Path:
        """Write ``data`` as JSON into ``name`` (see :meth:`write`)."""

        def fill(tmp: Path) -> None:
            tmp.write_text(json.dumps(data), encoding="utf-8")

        return self.write(name, fill)

    def _remove(self, name: str) -> None:
        path = self.path / name
        if not _OUR_SHAPES.match(name) or name in _KEPT:
            return
        try:
            if path.is_dir() and not path.is_symlink():
                return  # a folder is never ours: left alone
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise fault("remove", path, exc) from None

    def _mkdir(self, path: Path) -> None:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise fault("create the output folder", path, exc) from None


class _Damaged:
    """Marks a stored file that could not be read or parsed."""

    def __repr__(self) -> str:
        return "DAMAGED"


DAMAGED: Any = _Damaged()


def difference(previous: Any, current: dict[str, Any]) -> str:
    """What differs between two manifests' settings, in words."""
    if not isinstance(previous, dict):
        return "an unreadable manifest"
    for key, words in (
        ("label", "another label column"),
        ("features", "other feature columns"),
        ("class_factors", "other per-class factors"),
        ("fingerprint", "a different data set"),
        ("seed", "another seed"),
        ("validation_size", "another validation size"),
        ("test_size", "another test size"),
        ("precision", "another precision for recall"),
        ("batch_size", "another batch size"),
    ):
        if previous.get(key) == current.get(key):
            continue
        if key == "features" and isinstance(previous.get(key), list):
            before, now = set(previous[key]), set(current.get(key) or ())
            changes = [
                f"{what} {', '.join(repr(n) for n in sorted(names)[:5])}"
                + (" ..." if len(names) > 5 else "")
                for what, names in (("without", before - now), ("with", now - before))
                if names
            ]
            return f"{words} (now {' and '.join(changes) or 'in another order'})"
        return f"{words} ({key} {previous.get(key)!r}, now {current.get(key)!r})"
    return "another sweep"
