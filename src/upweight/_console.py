"""Console output for the command line and the sweep command: tables, progress, numbers.

One rule keeps user text safe: the consoles are made with rich's markup and emoji codes
off, so a label such as ``[red]legit`` or a column named ``[/bold]`` prints as it is,
never as a style (or a crash). Text that *should* be styled is built as
:class:`rich.text.Text` here, not written as markup. rich loads only when something is
printed, so commands start fast.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ._exceptions import UpweightError
from ._types import Label

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

__all__ = [
    "fmt_int",
    "fmt_label",
    "fmt_number",
    "fmt_share",
    "one_line",
    "print_help",
    "print_profile",
    "profile_table",
    "row_progress",
    "status",
    "stderr",
    "stdout",
    "sweep_progress",
]


#: Classes shown at each end of a long class table.
_TABLE_ENDS = 15


def _console(**options: Any) -> Console:
    from rich.console import Console

    return Console(highlight=False, markup=False, emoji=False, **options)


class StdoutError(UpweightError):
    """Standard output cannot be written (a full disk behind ``> file``, a closed device)."""


class PipeClosed(Exception):
    """The program reading standard output has gone (``upweight analyze ... | head -1``)."""


class _Guarded:
    """Standard output, with a failed write said in one line (and a closed pipe let through).

    The command's work (an output file, a report) is done when it prints; a failure to
    print must not read like a failure of the work.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _guard(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except BrokenPipeError:
            raise PipeClosed from None
        except OSError as exc:
            raise StdoutError(
                f"could not print to standard output: {exc.strerror or exc}; the work itself "
                "is done (outputs were written)"
            ) from None

    def write(self, text: str) -> int:
        return int(self._guard(lambda: self._stream.write(text)))

    def flush(self) -> None:
        self._guard(self._stream.flush)


def stdout() -> Console:
    """The console for results; 120 columns wide when not a terminal (logs, pipes)."""
    console = _console(file=_Guarded(sys.stdout))
    if not console.is_terminal:
        # logs and pipes: wide enough for the tables not to wrap
        console = _console(file=_Guarded(sys.stdout), width=max(console.width, 120))
    return console


def tolerant_streams() -> None:
    """Let standard output and error print any text, whatever their encoding.

    On a console that cannot show a character (``PYTHONIOENCODING=ascii``, an old
    terminal), it is written as a backslash escape instead of failing.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(Exception):
                reconfigure(errors="backslashreplace")


def stderr() -> Console:
    """The console for errors, warnings and progress."""
    return _console(stderr=True, soft_wrap=True)


def one_line(text: str) -> str:
    r"""``text`` on one line, its control characters shown as escapes.

    Line breaks and runs of spaces become single spaces; other control characters (a
    terminal's escape codes in a file name, say) are shown as ``\x1b``.
    """
    return fmt_label(" ".join(str(text).split()))


def _help_lines(help_text: str, width: int, console: Console) -> list[Text]:
    """Help wrapped to ``width``; its ``[default: ...]`` kept on one line when it fits."""
    from rich.text import Text

    text, brackets, extra = help_text.rpartition("  [")
    if not (brackets and extra.endswith("]")):
        text, extra = help_text, ""
    lines = list(Text(text).wrap(console, width, overflow="fold")) if text else []
    if extra:
        extra = "[" + extra
        if lines and lines[-1].cell_len + 2 + len(extra) <= width:
            lines[-1].append("  " + extra, style="dim")
        else:
            lines += Text(extra, style="dim").wrap(console, width, overflow="fold")
    return lines or [Text("")]


def _help_entries(entries: list[tuple[str, str]], width: int, console: Console) -> Text:
    """Names beside their help, wrapped at spaces; a long name takes a line of its own."""
    from rich.text import Text

    name_width = min(max(len(name) for name, _ in entries), max(12, width * 2 // 5))
    indent = " " * (name_width + 2)
    out = Text()
    help_width = max(8, width - len(indent))
    for i, (name, help_text) in enumerate(entries):
        lines = _help_lines(help_text, help_width, console)
        if i:
            out.append("\n")
        out.append(name, style="bold cyan")
        if len(name) > name_width:
            out.append("\n" + indent)
        else:
            out.append(" " * (name_width - len(name) + 2))
        for j, line in enumerate(lines):
            out.append_text(line if j == 0 else Text("\n" + indent) + line)
    return out


def print_help(usage: str, description: str, sections: dict[str, list[tuple[str, str]]]) -> None:
    """A command's ``--help``: usage, description, and each section's names and help.

    ``sections`` maps a title ("Arguments", "Options") to ``(names, help)`` pairs, as click
    words them. Nothing is cut short at any width: help wraps at spaces, a name too long
    for its column takes a line of its own, and a word longer than a line is folded.
    """
    import inspect

    from rich.markdown import Markdown
    from rich.padding import Padding
    from rich.panel import Panel
    from rich.text import Text

    console = _console(file=_Guarded(sys.stdout))
    console.print(Padding(Text(usage, style="bold"), 1))
    first, _, rest = inspect.cleandoc(description).partition("\f")[0].partition("\n\n")
    if first:
        console.print(Padding(Markdown(first), (0, 1, 0 if rest else 1, 1)))
    if rest:
        console.print(Padding(Markdown(rest, style="dim"), (1, 1, 1, 1)))
    for title, entries in sections.items():
        if entries:
            body = _help_entries(entries, console.width - 4, console)
            console.print(Panel(body, title=title, title_align="left", border_style="dim"))


@contextlib.contextmanager
def status(text: str, *, quiet: bool) -> Iterator[Any]:
    """A spinner on standard error while work runs; silent when quiet or not a terminal."""
    console = stderr()
    if quiet or not console.is_terminal:
        yield None
        return
    from rich.text import Text

    with console.status(Text(text)) as spinner:
        yield spinner


@contextlib.contextmanager
def row_progress(*, quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress display of rows read and rows per second, one line per phase.

    Yields a callback ``(phase, rows_read, rows_total)`` for the file engine, or ``None``
    when quiet or not on a terminal.
    """
    if quiet:
        yield None
        return
    console = stderr()
    if not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    class _RowsPerSecond(TextColumn):
        def __init__(self) -> None:
            super().__init__("")

        def render(self, task: Any) -> Any:
            from rich.text import Text

            speed = task.finished_speed or task.speed
            return Text(f"{speed / 1e6:,.1f}M rows/s" if speed else "", style="progress.data.speed")

    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description:<10}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        _RowsPerSecond(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


@contextlib.contextmanager
def sweep_progress(quiet: bool) -> Iterator[Callable[[int, int, str], None] | None]:
    """A progress bar across a sweep's configurations (silent when not a terminal)."""
    console = stderr()
    if quiet or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("configurations"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}", markup=False),
        console=console,
        transient=True,
    )
    with bar:
        task = bar.add_task("starting", total=None)

        def update(done: int, total: int, text: str) -> None:
            bar.update(task, completed=done, total=total, description=text)

        yield update


def fmt_label(label: Label) -> str:
    """A class label as text, on one line: control characters shown as escapes."""
    text = str(label)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        text = text.encode("unicode_escape").decode("ascii")
    return text


def fmt_int(n: int) -> str:
    """``1234567`` as ``1,234,567``."""
    return f"{n:,}"


def fmt_share(x: float) -> str:
    """A share as a percentage, with more digits when it is tiny."""
    if x == 0:
        return "0%"
    if x < 0.0001:
        return f"{100 * x:.4f}%"
    return f"{100 * x:.2f}%"


def fmt_number(x: float) -> str:
    """A factor or a weight, in four significant digits."""
    return f"{x:.4g}"


def profile_table(prof: Any) -> Table:
    """Rows and share per class, the majority marked."""
    from rich.table import Table

    table = Table()
    table.add_column("class")
    table.add_column("rows", justify="right")
    table.add_column("share", justify="right")
    shares = prof.shares
    shown = list(zip(prof.classes, prof.counts, strict=True))
    hidden = 0
    if len(shown) > 2 * _TABLE_ENDS:  # the largest and the rarest classes, and a count
        by_size = sorted(shown, key=lambda item: -item[1])
        hidden = len(shown) - 2 * _TABLE_ENDS
        shown = by_size[:_TABLE_ENDS] + by_size[-_TABLE_ENDS:]
    for i, (label, count) in enumerate(shown):
        if hidden and i == _TABLE_ENDS:
            table.add_row(f"... {fmt_int(hidden)} more classes", "", "")
        role = " (majority)" if label == prof.majority else ""
        table.add_row(f"{fmt_label(label)}{role}", fmt_int(count), fmt_share(shares[label]))
    return table


def print_profile(console: Console, prof: Any, *, title: str) -> None:
    """A profile as ``upweight analyze`` prints it: table, severity, batches."""
    console.print(title)
    console.print(profile_table(prof))
    if len(prof.classes) > 2:  # the non-majority classes together would hide the rarest
        share = (
            f"smallest class share: {fmt_share(prof.shares[prof.rarest])} "
            f"(class {fmt_label(prof.rarest)})"
        )
    else:
        share = f"minority share: {fmt_share(prof.minority_share)}"
    console.print(
        f"rows: {fmt_int(prof.n_rows)}   {share}   "
        f"imbalance ratio: {prof.imbalance_ratio:,.1f} : 1   "
        f"severity: {one_line(prof.severity_text)}"
        + (
            f" (rarest class {fmt_label(prof.rarest)} against the majority)"
            if len(prof.classes) > 2
            else ""
        )
    )
    view = prof.batch
    if view is not None:
        console.print(
            f"batches of {view.batch_size}: {view.expected:.3g} example(s) of class "
            f"{fmt_label(view.label)} per batch on average; "
            f"{fmt_share(view.p_none)} of batches hold none"
        )
        with contextlib.suppress(UpweightError):
            k = prof.recommend_factor(view.batch_size)
            console.print(
                f"smallest factor for at least one class-{fmt_label(view.label)} example in "
                f"95% of batches of {view.batch_size}: k = {k}"
            )
