"""Inputs: which files a path, a folder or a glob names, and whether they stay the same.

A name that exists is taken as it is (even with ``*``, ``?`` or ``[`` in it); one that
does not is a glob. In a folder, and below a glob's fixed folders, hidden and
underscore-prefixed entries are skipped at every depth, as Spark and Hive do
(``.ipynb_checkpoints/``, ``_temporary/``, ``_SUCCESS``, a killed run's temporaries).
Files are sorted by path: a row's position counts the rows of the files before it.

A resolved :class:`Source` remembers each file's size and time stamp, and
:meth:`Source.check_unchanged` refuses to go on once any moved.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .._exceptions import FileError
from ._common import PathLike, path_text
from ._formats import FORMATS, Format, format_of

__all__ = [
    "GLOB_CHARS",
    "Source",
    "expand",
    "file_state",
    "glob_matches",
    "hidden",
    "is_glob",
    "resolve",
]

GLOB_CHARS = re.compile(r"[*?\[]")
_DISPLAY = {"csv": "CSV", "parquet": "Parquet"}


def file_state(path: PathLike) -> tuple[int, int]:
    """A file's size and modification time (ns): what changes when it is written."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


@dataclass(frozen=True)
class Source:
    """Input files resolved from a path, a directory or a glob."""

    kind: str  # the name of the files' format: "csv", "parquet"
    files: tuple[str, ...]
    rows_per_file: tuple[int, ...] | None  # Parquet only: from the footers
    hive: bool
    name: str
    origin: str = ""  # what the user gave: a file, a folder or a glob
    states: tuple[tuple[int, int], ...] = ()  # size and time stamp of each file, when resolved
    header: tuple[str, ...] = ()  # CSV only: the column names, as the header spells them

    @property
    def format(self) -> Format:
        """The files' format (see :mod:`._formats`)."""
        return FORMATS[self.kind]

    @property
    def n_rows(self) -> int | None:
        """Rows in all the files, when their footers tell (Parquet)."""
        return None if self.rows_per_file is None else sum(self.rows_per_file)

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Word any error while the input is read as a change, if the input changed.

        A file another program rewrites or cuts short while it is read makes readers
        fail in their own words ("could not read enough bytes", "prefetch outside file");
        the cause the user can act on is the change.
        """
        try:
            yield
        except Exception as exc:
            try:
                self.check_unchanged()
            except FileError as changed:
                raise changed from exc
            raise

    def check_unchanged(self) -> None:
        """Refuse to go on if a file changed, or a folder gained or lost files, since resolved.

        Called after each pass over the input and before an output is put in place, so a
        file written while it is read never yields an output (or a profile) that mixes
        its old and new rows.
        """
        for f, state in zip(self.files, self.states, strict=True):
            try:
                now: tuple[int, int] | None = file_state(f)
            except OSError:
                now = None
            if now != state:
                raise FileError(
                    f"{Path(f).name} changed while it was read (its size or time stamp "
                    "moved); run again once nothing writes to it"
                )
        if self.origin and self.origin != self.files[0]:
            try:
                now_files = tuple(str(p) for p in expand(self.origin)[0])
            except FileError:
                now_files = ()
            if now_files != self.files:
                raise FileError(
                    f"{self.name} gained or lost files while it was read; run again once "
                    "nothing writes to it"
                )


def hidden(parts: Iterable[str]) -> bool:
    """Whether a path holds a hidden or underscore-prefixed part, which readers skip.

    Spark and Hive skip them in data folders: ``.ipynb_checkpoints/``, ``_temporary/``,
    ``_SUCCESS``, and the temporary folders of a run that was killed.
    """
    return any(part.startswith((".", "_")) for part in parts)


def fixed_prefix(pattern: str) -> Path:
    """The leading folders of a glob that hold no wildcard."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if GLOB_CHARS.search(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path()


def is_glob(src: PathLike) -> bool:
    """Whether ``src`` is read as a glob: a name that does not exist, with wildcards."""
    text = os.fspath(src)
    return not Path(text).exists() and GLOB_CHARS.search(text) is not None


def glob_matches(pattern: PathLike, path: PathLike) -> bool:
    """Whether ``path`` would be matched by the glob ``pattern`` (``**`` included).

    For files that do not exist yet: an output that a glob input would read back.
    Both are made absolute first.
    """
    parts = re.split(r"(\*\*/?|\*|\?|\[[^\]]*\])", os.path.abspath(os.fspath(pattern)))
    regex = []
    for part in parts:
        if part in ("**", "**/"):
            regex.append(r"(?:.*/)?" if part == "**/" else r".*")
        elif part == "*":
            regex.append(r"[^/]*")
        elif part == "?":
            regex.append(r"[^/]")
        elif part.startswith("[") and part.endswith("]") and len(part) > 2:
            inner = part[1:-1]
            regex.append("[" + ("^" + inner[1:] if inner.startswith("!") else inner) + "]")
        else:
            regex.append(re.escape(part))
    return re.fullmatch("".join(regex), os.path.abspath(os.fspath(path))) is not None


def expand(src: PathLike) -> tuple[list[Path], str, Path | None]:
    """The files behind ``src``, sorted by path; and the directory they came from.

    A name that exists is taken as it is, even with ``*``, ``?`` or ``[`` in it; only a
    name that does not exist is a glob. In a folder, and below a glob's fixed folders,
    hidden and underscore-prefixed entries are skipped at every depth.
    """
    text = path_text(src, "the input")
    path = Path(text)
    if not path.exists() and GLOB_CHARS.search(text):
        prefix = fixed_prefix(text)
        files = sorted(
            Path(p)
            for p in glob.glob(text, recursive=True)
            if Path(p).is_file() and not hidden(Path(p).relative_to(prefix).parts)
        )
        if not files:
            raise FileError(f"no file matches {text}; check the pattern")
        return files, text, None
    if not path.exists():
        raise FileError(f"file not found: {path}")
    if path.is_dir():
        files = sorted(_parquet_files(path))
        if not files:
            raise FileError(f"no Parquet files (.parquet, .pq) in directory {path}")
        return files, str(path), path
    return [path], path.name, None


def _parquet_files(root: Path) -> Iterator[Path]:
    """The Parquet files in a folder, at every depth, hidden entries skipped.

    Linked folders are followed (a partition may live elsewhere), each real folder once;
    a folder that cannot be listed is an error, never a silent gap in the data.
    """

    def fail(exc: OSError) -> None:
        raise FileError(
            f"cannot list the folder {exc.filename}: {exc.strerror}; make it readable, or "
            "give the files to read as a glob"
        )

    seen: set[str] = set()
    for folder, subfolders, names in os.walk(root, onerror=fail, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a link back up the tree, or two links to one folder
            subfolders[:] = []
            continue
        seen.add(real)
        subfolders[:] = [d for d in subfolders if not hidden([d])]
        for name in names:
            if hidden([name]) or not name.lower().endswith((".parquet", ".pq")):
                continue
            p = Path(folder, name)
            if not p.is_file():
                raise FileError(
                    f"{p} is not a regular file (a broken link?); remove it or fix the link"
                )
            yield p


def check_file(path: Path) -> None:
    if not path.is_file():
        raise FileError(f"{path} is not a regular file (a pipe or a device?); give a file")
    if not os.access(path, os.R_OK):
        raise FileError(f"cannot read {path}: permission denied")
    if path.stat().st_size == 0:
        raise FileError(f"{path} is empty (0 bytes); give a file with a header and rows")


def resolve(src: PathLike) -> Source:
    """The files behind ``src``, checked and inspected: one format, one schema."""
    files, name, directory = expand(src)
    formats = {format_of(p).name for p in files}
    if len(formats) > 1:
        kinds = " and ".join(sorted(_DISPLAY.get(f, f) for f in formats))
        raise FileError(f"{name} mixes {kinds} files; give files of one format")
    fmt = FORMATS[formats.pop()]
    states = []
    for p in files:
        check_file(p)
        states.append(file_state(p))
    seen = fmt.inspect(files, directory)
    return Source(
        fmt.name,
        tuple(str(p) for p in files),
        seen.rows_per_file,
        seen.hive,
        name,
        origin=os.fspath(src),
        states=tuple(states),
        header=seen.header,
    )
