"""DuckDB, the file engine's reader and writer: one connection over one input.

:class:`Engine` opens an in-process DuckDB connection (no server) over a resolved
:class:`~._source.Source`, builds the ``FROM`` clauses its format gives (with row
positions, and with the column types the format imposes), and turns DuckDB's errors into
upweight's one-line ones -- a signal that stopped a query into the interruption it was.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any

from .. import _signals
from .._exceptions import FileError, InputError, UpweightError
from ._common import first_line
from ._source import Source

__all__ = ["BATCH_ROWS", "Engine", "duckdb_text", "opened", "read_batches"]

# DuckDB's words for a query stopped by a signal ("Interrupted!", "Interrupted: 15",
# "Query interrupted"), not an interrupted system call (EINTR), which is a plain error
_STOPPED = re.compile(r"Interrupted!|Interrupted: \d+|[Qq]uery interrupted")
_ONLY_STOPPED = re.compile(rf"\s*(?:\w+ Error: )?(?:{_STOPPED.pattern})\s*")


def _stopped(exc: BaseException) -> bool:
    """Whether a signal stopped the query: DuckDB says so, and a signal did come.

    The same words inside a longer message (a value quoted back by a conversion error) are
    not a signal unless one was received.
    """
    text = str(exc)
    return bool(_ONLY_STOPPED.fullmatch(text) or (_STOPPED.search(text) and _signals.stopping()))


BATCH_ROWS = 1 << 20


def duckdb_text(exc: BaseException) -> str:
    """A DuckDB error's message; some arrive as JSON (``{"exception_message": ...}``)."""
    import json

    text = str(exc)
    start = text.find("{")
    if start >= 0 and '"exception_message"' in text:
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            data = json.loads(text[start:])
            return f"{text[:start]}{data['exception_message']}"
    return text


def io_errors() -> tuple[type[Exception], ...]:
    import duckdb

    return (duckdb.IOException, duckdb.PermissionException)


class Engine:
    """A DuckDB connection over one input, turning DuckDB's errors into ours.

    Attributes
    ----------
    source : Source
        The input.
    scan, plain_scan : str
        ``FROM`` clauses reading every column in input order, with and without a
        ``__pos`` column of row positions.
    columns : list of (str, str)
        Column names and DuckDB types, hive partition columns included.
    """

    def __init__(self, source: Source, *, threads: int | None = None) -> None:
        import duckdb

        self.source = source
        self.con = self.run(duckdb.connect)
        # progress is tracked (for query_progress) but never printed by DuckDB itself
        self.execute("SET enable_progress_bar = true")
        self.execute("SET enable_progress_bar_print = false")
        self.execute("SET preserve_insertion_order = true")
        if threads is not None:
            self.execute(f"SET threads = {int(threads)}")
        fmt = source.format
        types = fmt.column_types(self) or None
        self.scan = fmt.scan(source, positions=True, types=types)
        self.plain_scan = fmt.scan(source, positions=False, types=types)
        self.columns = self._columns()

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def sql(self, query: str) -> Any:
        """A lazy relation for ``query``."""
        return self.run(lambda: self.con.sql(query))

    def one(self, query: str) -> tuple[Any, ...]:
        """The first row of a query's result."""
        return tuple(self.run(lambda: self.con.execute(query).fetchall())[0])

    def execute(self, query: str) -> None:
        """Run ``query`` for its effect (a ``COPY``)."""
        self.run(lambda: self.con.execute(query))

    def register(self, name: str, table: Any) -> None:
        """Make an Arrow ``table`` queryable as ``name``."""
        self.run(lambda: self.con.register(name, table))

    def unregister(self, name: str) -> None:
        """Forget what :meth:`register` made queryable as ``name``."""
        self.run(lambda: self.con.unregister(name))

    def run(self, fn: Callable[[], Any]) -> Any:
        """Call ``fn``; DuckDB's errors become upweight's, a signal its interruption."""
        import duckdb

        try:
            return fn()
        except duckdb.InterruptException:
            raise _signals.current() from None
        except duckdb.Error as exc:
            if _stopped(exc):  # a signal stopped the query midway
                raise _signals.current() from None
            if isinstance(exc, duckdb.OutOfMemoryException):
                raise MemoryError(first_line(exc)) from None
            raise self._error(exc) from None
        except RuntimeError as exc:  # what a query stopped by a signal raises
            if _stopped(exc):
                raise _signals.current() from None
            raise

    def _error(self, exc: Exception) -> UpweightError:
        text = duckdb_text(exc)
        where = self.source.name
        worded = self.source.format.parse_error(self.source, text)
        if worded is not None:
            return worded
        for words in ("No space left on device", "Disk quota exceeded", "File too large"):
            if words in text:
                return FileError(
                    f"could not write the output: {words}; free space or write elsewhere"
                )
        if isinstance(exc, io_errors()):
            return FileError(f"{where}: {first_line(text)}")
        return InputError(f"{where}: {first_line(text)}")

    def _columns(self) -> list[tuple[str, str]]:
        rel = self.sql(f"DESCRIBE SELECT * FROM {self.plain_scan}")
        return [(str(r[0]), str(r[1])) for r in rel.fetchall()]

    def column_type(self, name: str, what: str) -> str:
        """The DuckDB type of column ``name``; one clear error naming the columns if absent."""
        for col, typ in self.columns:
            if col == name:
                return typ
        names = ", ".join(c for c, _ in self.columns[:20])
        raise InputError(f"{what} {name!r} not found in {self.source.name}; columns are: {names}")


@contextlib.contextmanager
def opened(source: Source, threads: int | None = None) -> Iterator[Engine]:
    """An :class:`Engine` over ``source``, closed on the way out."""
    with source.reading():
        engine = Engine(source, threads=threads)
        try:
            yield engine
        finally:
            engine.close()


def read_batches(engine: Engine, query: str) -> Iterator[Any]:
    """Arrow record batches of ``query``, in order.

    (Reading ahead on a second thread was tried: it made this pass twice as slow, the
    two threads contending for the interpreter.)
    """
    reader = engine.run(lambda: engine.con.sql(query).to_arrow_reader(BATCH_ROWS))
    while True:
        try:
            batch = engine.run(reader.read_next_batch)
        except StopIteration:
            return
        yield batch
