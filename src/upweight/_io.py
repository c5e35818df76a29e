"""Reading and writing CSV and Parquet files: clear errors, atomic writes."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from ._exceptions import FileError, LabelError

__all__ = [
    "check_output",
    "file_format",
    "read_column_names",
    "read_table",
    "write_table_atomic",
]

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


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise FileError(f"file not found: {path}")
    if path.is_dir():
        raise FileError(f"{path} is a directory; give a CSV or Parquet file")
    if not os.access(path, os.R_OK):
        raise FileError(f"cannot read {path}: permission denied")
    if path.stat().st_size == 0:
        raise FileError(f"{path} is empty")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_column_names(path: str | os.PathLike[str]) -> list[str]:
    """Column names of a CSV or Parquet file, reading as little as possible."""
    import pyarrow as pa

    p = Path(path)
    fmt = file_format(p)
    _check_readable(p)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(p).names)
        import pyarrow.csv as pacsv

        with pacsv.open_csv(p) as reader:
            return list(reader.schema.names)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise FileError(f"cannot read {p.name} as {fmt.upper()}: {_reason(exc)}") from None


def read_table(
    path: str | os.PathLike[str], *, label: str | None = None, columns: list[str] | None = None
) -> Any:
    """Read a CSV or Parquet file into a pyarrow Table.

    Parameters
    ----------
    path : path
        The file.
    label : str, optional
        A column that must exist (the label); a clear error names the columns if not.
    columns : list of str, optional
        Read only these columns.
    """
    import pyarrow as pa

    p = Path(path)
    fmt = file_format(p)
    names = read_column_names(p)
    wanted = set(names if columns is None else [*columns, *([label] if label else [])])
    repeated = sorted({n for n in names if names.count(n) > 1 and n in wanted})
    if repeated:
        raise FileError(
            f"{p.name} has duplicate column names ({', '.join(repeated)}); rename them first"
        )
    if label is not None and label not in names:
        raise LabelError(
            f"label column {label!r} not found in {p.name}; columns are: {', '.join(names)}"
        )
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(p, columns=columns)
        else:
            import pyarrow.csv as pacsv

            convert = pacsv.ConvertOptions(include_columns=columns) if columns else None
            table = pacsv.read_csv(p, convert_options=convert)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise FileError(f"cannot read {p.name} as {fmt.upper()}: {_reason(exc)}") from None
    if table.num_rows == 0:
        raise FileError(f"{p.name} has no data rows")
    return table


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], *, overwrite: bool
) -> FileFormat:
    """Refuse an output that would lose data; return its format.

    Raises
    ------
    FileError
        Unsupported extension, the output is the input, the output exists (without
        ``overwrite``), or its folder does not exist.
    """
    src_path, dst_path = Path(src), Path(dst)
    fmt = file_format(dst_path)
    if _same_file(src_path, dst_path):
        raise FileError(
            f"output {dst_path} is the input file; choose another output path "
            "(inputs are never overwritten)"
        )
    if dst_path.is_dir():
        raise FileError(f"output {dst_path} is a directory; give a file name")
    if dst_path.exists() and not overwrite:
        raise FileError(f"output {dst_path} exists; pass --overwrite to replace it")
    sidecar = plan_sidecar(dst_path)
    if sidecar is not None and sidecar.is_dir():
        raise FileError(f"{sidecar}, where the plan goes, is a directory; remove it first")
    if sidecar is not None and sidecar.exists() and not overwrite:
        raise FileError(f"output {sidecar} exists; pass --overwrite to replace it")
    if not dst_path.parent.exists():
        raise FileError(f"output folder {dst_path.parent} does not exist; create it first")
    return fmt


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


def write_table_atomic(
    table: Any,
    dst: str | os.PathLike[str],
    *,
    plan_json: str | None = None,
) -> int:
    """Write a pyarrow Table as CSV or Parquet (by extension), atomically.

    The plan goes with the data: into a Parquet file's key-value metadata under
    ``upweight.plan``, or next to a CSV file as ``OUT.plan.json``. Both files are
    written in full to temporary names first, then renamed into place together, with
    Ctrl-C held off between the two renames: either both appear or neither does.
    Returns the bytes of table data written.
    """
    import pyarrow as pa

    final = Path(dst)
    fmt = file_format(final)
    sidecar = plan_sidecar(final) if plan_json is not None else None
    staged: list[tuple[Path, Path]] = []  # (temporary, final), renamed in this order
    committed: list[Path] = []
    try:
        if sidecar is not None and plan_json is not None:
            staged.append((_temporary(sidecar), sidecar))
            staged[-1][0].write_text(plan_json, encoding="utf-8")
            _fsync(staged[-1][0])
        staged.append((_temporary(final), final))
        _write_table(table, staged[-1][0], fmt, plan_json, compressed=_compression(final))
        _fsync(staged[-1][0])
        with _interrupts_deferred():
            for tmp, target in staged:
                os.replace(tmp, target)
                committed.append(target)
    except BaseException as exc:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        if len(committed) < len(staged):  # a half-made pair is removed: neither is kept
            for target in committed:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
        if isinstance(exc, pa.ArrowException | OSError) and not isinstance(exc, FileError):
            raise FileError(f"could not write {final}: {_reason(exc)}") from None
        raise
    return final.stat().st_size


def _temporary(final: Path) -> Path:
    return final.with_name(f".{final.name}.{uuid.uuid4().hex[:12]}.tmp")


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _compression(final: Path) -> str | None:
    name = final.name.lower()
    if name.endswith(".gz"):
        return "gzip"
    if name.endswith(".bz2"):
        return "bz2"
    return None


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


def _write_table(
    table: Any, path: Path, fmt: FileFormat, plan_json: str | None, *, compressed: str | None
) -> None:
    import pyarrow as pa

    if fmt == "parquet":
        import pyarrow.parquet as pq

        if plan_json is not None:
            merged = dict(table.schema.metadata or {})
            merged[PLAN_METADATA_KEY] = plan_json.encode()
            table = table.replace_schema_metadata(merged)
        pq.write_table(table, path)
        return
    import pyarrow.csv as pacsv

    if compressed is None:
        pacsv.write_csv(table, path)
        return
    with pa.CompressedOutputStream(str(path), compressed) as stream:
        pacsv.write_csv(table, stream)
