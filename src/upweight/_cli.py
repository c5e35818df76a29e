"""The ``upweight`` command: a thin shell over the Python API.

It parses, calls the public functions, and formats. Bad input ends with one line on
standard error and exit code 2; nothing is written.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import sys
import warnings
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from . import _console as ui
from . import _signals
from ._exceptions import PlanError, UpweightError
from ._types import Label
from ._validation import ascii_number

app = typer.Typer(
    name="upweight",
    help=(
        "Train classifiers on severely imbalanced data: downsample the majority class by a "
        "factor k (keep one in k rows) and upweight the kept rows by k, so batches hold "
        "enough minority examples while the model still learns the true distribution."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


class _Command(typer.core.TyperCommand):
    """A command whose ``--help`` shows every name, default and word in full at any width.

    typer's own layout squeezes its columns on a narrow console and cuts what does not
    fit with an ellipsis (``[default: 1,2,5,10,25,50,…``, ``--validation-s…``).
    """

    def format_help(self, ctx: Any, formatter: Any) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:  # None: hidden
                kind = "Arguments" if param.param_type_name == "argument" else "Options"
                sections[kind].append(record)
        ui.print_help(self.get_usage(ctx), self.help or "", sections)


EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a tool killed by a closed pipe reports


class WeightsChoice(StrEnum):
    """Weight modes on the command line."""

    factor = "factor"
    exact = "exact"
    none = "none"


class MethodChoice(StrEnum):
    """Selection methods on the command line."""

    exact = "exact"
    bernoulli = "bernoulli"


def _parse_factor(text: str, classes: tuple[Label, ...]) -> float | dict[Label, float]:
    """``25`` or ``fraud=1,legit=25``; class names are matched to the labels as text."""
    text = text.strip()
    if "=" not in text:
        try:
            return ascii_number(text)
        except ValueError:
            raise PlanError(
                f"--factor must be a number >= 1 or class=factor pairs such as "
                f"'legit=25,other=5'; got {text!r}"
            ) from None
    by_text = {str(c): c for c in classes}
    folded = {name.lower(): c for name, c in by_text.items()}
    if len(folded) == len(by_text):  # case does not matter when it tells no two apart
        by_text |= folded
    factors: dict[Label, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise PlanError(f"--factor pairs look like class=factor; got {part!r}")
        label = by_text.get(name, by_text.get(name.lower()))
        if label is None:
            raise PlanError(
                f"--factor names class {name!r}, which is not in the labels; "
                f"classes are: {', '.join(map(str, classes))}"
            )
        if label in factors:
            raise PlanError(f"--factor names class {name!r} twice; give it once")
        try:
            factors[label] = ascii_number(value)
        except ValueError:
            raise PlanError(
                f"--factor for class {name!r} must be a number >= 1; got {value!r}"
            ) from None
    return factors


DataArgument = Annotated[
    Path,
    typer.Argument(
        help=(
            "CSV or Parquet file, a directory of Parquet files (hive-partitioned too), "
            "or a quoted glob such as 'data/*.parquet'."
        ),
        metavar="DATA",
        show_default=False,
    ),
]
LabelOption = Annotated[
    str, typer.Option("--label", "-l", help="Name of the label column.", show_default=False)
]


def _version_callback(value: bool) -> None:
    if value:
        from . import __version__

        ui.stdout().print(f"upweight {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Train classifiers on severely imbalanced data.

    Downsample the majority class by a factor k (keep one in k rows) and upweight the kept
    rows by k, so batches hold enough minority examples while the model still learns the
    true distribution.
    """


class _Stopped(Exception):
    """An interruption carried past typer, which would turn it into a bare exit code 130."""

    def __init__(self, interruption: KeyboardInterrupt) -> None:
        super().__init__(str(interruption))
        self.interruption = interruption


def _guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Let an interruption of ``command`` reach :func:`main`, which says which signal it was."""

    @functools.wraps(command)
    def run_command(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt as exc:
            raise _Stopped(exc) from None

    return run_command


@app.command(cls=_Command)
@_guarded
def analyze(
    data: DataArgument,
    label: LabelOption,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size",
            "-b",
            min=1,
            help="Also show what batches of this size hold of the rarest class.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the profile as JSON.")] = False,
) -> None:
    """Show the class balance of a file's label column.

    Counts and shares per class, imbalance ratio and severity; with --batch-size, how many
    minority examples a batch holds and the smallest factor that makes 95% of batches
    hold one. Reads the label column alone, streamed: files larger than memory are fine.
    """
    import upweight as api  # the public API: the command line is a shell over it

    with ui.status(f"counting {data.name}", quiet=as_json):
        prof = api.profile_file(data, label=label, batch_size=batch_size)
    if as_json:
        ui.stdout().print_json(json.dumps(prof.to_dict()))
        return
    ui.print_profile(ui.stdout(), prof, title=f"{data.name}: label {label!r}")


@app.command(cls=_Command)
@_guarded
def sample(
    data: DataArgument,
    label: LabelOption,
    output: Annotated[
        str,  # a trailing slash (a folder, whatever the name) is kept
        typer.Option(
            "--output",
            "-o",
            help=(
                "Output: Parquet (.parquet, .pq) or CSV (.csv, .csv.gz) by extension, or a "
                "name without extension (or ending in /) for a directory of Parquet files."
            ),
            show_default=False,
        ),
    ],
    factor: Annotated[
        str | None,
        typer.Option(
            "--factor",
            "-k",
            help="Keep one in K majority rows, e.g. 25; or per class: 'legit=25,other=5'.",
            show_default=False,
        ),
    ] = None,
    target_share: Annotated[
        float | None,
        typer.Option(
            "--target-share",
            help="Instead of --factor: the minority share wanted after downsampling, e.g. 0.2.",
            show_default=False,
        ),
    ] = None,
    upweight: Annotated[
        float | None,
        typer.Option(
            "--upweight",
            help="Weight of the kept majority rows, if not the factor (--weights factor only).",
            show_default=False,
        ),
    ] = None,
    weights: Annotated[
        WeightsChoice,
        typer.Option(
            "--weights",
            help=(
                "factor: kept rows weigh k; exact: rows before / rows kept, so weighted "
                "totals equal the original counts; none: every row weighs 1 (train without "
                "weights, then correct with the offset)."
            ),
        ),
    ] = WeightsChoice.factor,
    method: Annotated[
        MethodChoice,
        typer.Option(
            "--method",
            help="exact: exactly round(N/k) rows; bernoulli: each row kept with probability 1/k.",
        ),
    ] = MethodChoice.exact,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed: same seed, same rows.")] = 0,
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help=(
                "Decide by this id column instead of the row position: a unique key gets "
                "the same decision in any file, order or engine; rows that share a key are "
                "kept or dropped together with --method bernoulli."
            ),
            show_default=False,
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads", min=1, help="Reading threads (default: one per core); output is the same."
        ),
    ] = None,
    weight_col: Annotated[
        str, typer.Option("--weight-col", help="Name of the weight column to add.")
    ] = "weight",
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace OUTPUT if it exists.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing but errors; no progress bar.")
    ] = False,
) -> None:
    """Downsample a file's majority class and write it with a weight column.

    Keeps every minority row and one in K majority rows, adds the weight column, and
    writes OUTPUT atomically (a temporary file renamed into place). Streams in bounded
    memory (pyarrow for Parquet to Parquet, DuckDB otherwise), so inputs larger than
    memory are fine. Parquet output carries the
    sampling plan in its metadata (key 'upweight.plan'); CSV output gets OUTPUT.plan.json.
    """
    import upweight as api  # the public API: the command line is a shell over it

    if (factor is None) == (target_share is None):
        raise PlanError("give either --factor K or --target-share S (one of them)")
    factor_value = None
    if factor is not None:
        # class names in --factor pairs are matched to the labels: only then count them here
        classes = api.profile_file(data, label=label).classes if "=" in factor else ()
        factor_value = _parse_factor(factor, tuple(classes))
    with ui.row_progress(quiet=quiet) as progress:
        applied = api.sample_file(
            data,
            output,
            label=label,
            factor=factor_value,
            target_share=target_share,
            upweight=upweight,
            weights=weights.value,
            method=method.value,
            seed=seed,
            key=key,
            weight_col=weight_col,
            overwrite=overwrite,
            threads=threads,
            progress=progress,
        )
    if not quiet:
        _print_sampled(data, Path(output), applied)


def _print_sampled(data: Path, output: Path, applied: Any) -> None:
    """What ``sample`` did: the plan as a table, the balance before and after, the output."""
    from rich.table import Table

    import upweight as api

    size = _size(output)
    console = ui.stdout()
    console.print(f"{data.name} -> {output.name}")
    table_out = Table()
    for name in ("class", "rows before", "share before", "factor", "rows after", "share after"):
        table_out.add_column(name, justify="left" if name == "class" else "right")
    table_out.add_column("weight", justify="right")
    shares_after = applied.training_shares
    for c in applied:
        table_out.add_row(
            ui.fmt_label(c.label),
            ui.fmt_int(c.count),
            ui.fmt_share(c.count / applied.n_rows),
            ui.fmt_number(c.factor),
            ui.fmt_int(c.kept),
            ui.fmt_share(shares_after[c.label]),
            ui.fmt_number(c.weight),
        )
    console.print(table_out)
    before, after = api.profile(applied.counts), applied.kept_profile()
    console.print(
        f"before: minority share {ui.fmt_share(before.minority_share)}, imbalance ratio "
        f"{before.imbalance_ratio:,.1f} : 1, {before.severity}; after: minority share "
        f"{ui.fmt_share(after.minority_share)}, imbalance ratio {after.imbalance_ratio:,.1f} : 1, "
        f"{ui.one_line(after.severity_text)}"
    )
    sidecar = output.with_name(output.name + ".plan.json")
    where = f"plan in {sidecar.name}" if sidecar.exists() else "plan in its metadata"
    console.print(
        f"wrote {output} ({ui.fmt_int(applied.n_kept)} of {ui.fmt_int(applied.n_rows)} rows, "
        f"{size / 1e6:.1f} MB; weights: {applied.weight_mode}; method: {applied.method}; "
        f"seed: {applied.seed}; {where})"
    )


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


# sweep and demo live in upweight._sweep._command; imported here to register them
from ._sweep._command import demo as _demo_command  # noqa: E402
from ._sweep._command import sweep as _sweep_command  # noqa: E402

app.command(name="sweep", cls=_Command)(_guarded(_sweep_command))
app.command(name="demo", cls=_Command)(_guarded(_demo_command))


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code.

    0 on success; 2 for bad input or a fault of the system (a full disk, a folder that may
    not be written), with one line on standard error; ``128 + signal`` when interrupted
    (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), after cleaning up.
    """
    ui.tolerant_streams()
    with _signals.handled(), warnings.catch_warnings():
        warnings.showwarning = _show_warning
        logging.getLogger("matplotlib").setLevel(logging.ERROR)  # its notes are not ours
        try:
            return _main(argv)
        except (BrokenPipeError, ui.PipeClosed):  # `... | head -1`: the reader has gone
            _silence_stdout()
            return EXIT_BROKEN_PIPE


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that the flush at exit does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """A warning as one line on standard error, without the source line."""
    ui.stderr().print(f"warning: {ui.one_line(str(message))}")


def _main(argv: list[str] | None) -> int:
    command = typer.main.get_command(app)
    err = ui.stderr
    try:
        result = command.main(args=argv, prog_name="upweight", standalone_mode=False)
    except UpweightError as exc:
        err().print(f"error: {ui.one_line(str(exc))}")
        return EXIT_BAD_INPUT
    except typer.TyperException as exc:
        # typer's usage errors (bad or missing options) and the help shown for no arguments
        if type(exc).__name__ == "NoArgsIsHelpError":
            ui.stdout().print(exc.format_message())
            return 0
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        extra = re.match(r"Got unexpected extra argument\S* \((.*)\)", exc.format_message())
        if extra:  # `upweight analyze data/*.parquet`: the shell expanded the glob
            err().print(
                f"error: too many inputs (also {extra.group(1)}); give one: a file, a folder, "
                "or a glob in quotes ('data/*.parquet') so that the shell leaves it alone"
                f"{hint}"
            )
            return EXIT_BAD_INPUT
        err().print(f"error: {ui.one_line(exc.format_message())}{hint}")
        return int(getattr(exc, "exit_code", EXIT_BAD_INPUT))
    except ui.PipeClosed:
        raise
    except (typer.Abort, KeyboardInterrupt, _Stopped) as exc:
        cause = exc.interruption if isinstance(exc, _Stopped) else exc
        stop = cause if isinstance(cause, _signals.Interrupted) else _signals.Interrupted()
        return _stopped_by(stop, reported=getattr(cause, "reported", False))
    except OSError as exc:  # the system's fault, not ours: a full disk, a read-only folder
        from ._files._commit import describe_os_error, hint_for

        err().print(f"error: {ui.one_line(describe_os_error(exc))}; {hint_for(exc)}")
        return EXIT_BAD_INPUT
    except ImportError as exc:  # an installation broken, or no memory left to load a library
        err().print(
            f"error: could not load {exc.name or 'a library'}: {ui.one_line(str(exc))}; check "
            "the installation (pip install --force-reinstall upweight) or free memory"
        )
        return EXIT_BAD_INPUT
    except RuntimeError as exc:
        if "can't start new thread" not in str(exc):
            return _unexpected(exc)
        err().print(
            "error: could not start a thread (too little memory, or a process limit reached); "
            "free memory, raise the limit (ulimit -u, ulimit -v) or pass --threads 1"
        )
        return EXIT_BAD_INPUT
    except MemoryError:
        return _no_memory()
    except Exception as exc:  # a bug, or bad input we did not foresee
        if _out_of_memory(exc):
            return _no_memory()
        return _unexpected(exc)
    if _signals.stopping():  # typer returns a bare 130 for a signal while it parses options
        return _stopped_by(_signals.current())
    return result if isinstance(result, int) else 0


def _out_of_memory(exc: Exception) -> bool:
    """Whether ``exc`` is a library's own out-of-memory error (DuckDB's is no MemoryError)."""
    duckdb = sys.modules.get("duckdb")
    return duckdb is not None and isinstance(exc, duckdb.OutOfMemoryException)


def _no_memory() -> int:
    ui.stderr().print(
        "error: out of memory; free memory, or pass fewer rows (a file input is streamed)"
    )
    return EXIT_BAD_INPUT


def _stopped_by(stop: _signals.Interrupted, *, reported: bool = False) -> int:
    """A run ended by a signal: one line (unless the command said it already), 128 + signal."""
    if not reported:
        ui.stderr().print(f"{stop.describe()}; no partial output was left")
    return stop.exit_code


def _unexpected(exc: Exception) -> int:
    """A bug, or bad input we did not foresee: one line and exit 1 (the traceback on demand).

    Unless a signal interrupted the run: a library stopped midway by it may fail in its
    own words (DuckDB's "Query interrupted", matplotlib's "Invalid bounding box"). The
    run was interrupted, and says so.
    """
    if _signals.stopping():
        return _stopped_by(_signals.current())
    if os.environ.get("UPWEIGHT_DEBUG"):
        raise exc
    ui.stderr().print(
        f"error: unexpected {type(exc).__name__}: {ui.one_line(str(exc))} "
        "(please report it; set UPWEIGHT_DEBUG=1 to see the traceback)"
    )
    return 1
