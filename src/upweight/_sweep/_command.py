"""``upweight sweep`` and ``upweight demo``: thin shells over :func:`upweight.sweep`.

Registered on the main command-line app by :mod:`upweight._cli`; they parse, call the
public API, and format. Errors follow the app's rule: one line, exit code 2.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .. import _console as ui
from .._exceptions import PlanError
from .._validation import ascii_number
from ._arguments import DEFAULT_FACTORS

if TYPE_CHECKING:
    from rich.console import Console

    from ._result import SweepResult

__all__ = ["demo", "parse_list", "print_summary", "sweep"]


def parse_list(text: str, option: str, *, numbers: bool = True) -> list[Any]:
    """``"1,2,5"`` -> ``[1.0, 2.0, 5.0]``; one clear error for anything else.

    Examples
    --------
    >>> from upweight._sweep._command import parse_list
    >>> parse_list("1, 10,25", "--factors")
    [1.0, 10.0, 25.0]
    """
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        example = "1,10,25" if numbers else "id,ts"
        raise PlanError(f"{option} is empty; give comma-separated values such as {example}")
    if not numbers:
        return parts
    values: list[Any] = []
    for part in parts:
        if part in ("factor", "k") and option == "--upweights":
            values.append("factor")
            continue
        try:
            values.append(ascii_number(part))
        except ValueError:
            per_class = (
                "; per-class factors are given from Python: factors=[1, {'legit': 20}]"
                if "=" in part and option == "--factors"
                else ""
            )
            raise PlanError(
                f"{option} takes comma-separated numbers such as 1,10,25; got {part!r}{per_class}"
            ) from None
    return values


def _columns(text: str | None, option: str) -> list[Any] | None:
    """``--features`` / ``--drop``: the column names, or None when not given."""
    return None if text is None else parse_list(text, option, numbers=False)


@contextlib.contextmanager
def _carry_on_hint(output: Path) -> Iterator[None]:
    """On an interruption, say what was kept, and exit with ``128 + signal``."""
    from .. import _signals

    try:
        yield
    except KeyboardInterrupt as exc:
        stop = exc if isinstance(exc, _signals.Interrupted) else _signals.Interrupted()
        runs = output / "runs"
        stored = len(list(runs.glob("*.json"))) if runs.is_dir() else 0
        ui.stderr().print(
            f"{stop.describe()}; {stored} finished run(s) are stored in {output}: run the "
            "same command again to carry on"
        )
        stop.reported = True  # type: ignore[attr-defined]
        raise stop from None


@contextlib.contextmanager
def _quiet(quiet: bool) -> Iterator[None]:
    """With ``--quiet``, warnings are not printed either: nothing but errors."""
    if not quiet:
        yield
        return
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _model(model: str, params: str | None) -> Any:
    """A built-in model's key, or the estimator ``package.module:Class`` with ``params``."""
    from ._models import MODELS, load_model

    if model in MODELS:
        if params is not None:
            raise PlanError(
                f"--model-params is for a --model package.module:Class; {model} is built in"
            )
        return model
    return load_model(model, params)


#: ``--factors`` as its default reads.
DEFAULT_GRID = ",".join(f"{k:g}" for k in DEFAULT_FACTORS)


def _factors(text: str) -> Any:
    """``--factors``: the default grid itself (which stops at the class ratio), or a list."""
    return DEFAULT_FACTORS if text == DEFAULT_GRID else parse_list(text, "--factors")


def _cv(folds: int | None, off: bool) -> int | bool | None:
    """``--cv K`` / ``--no-cv`` as :func:`upweight.sweep` takes them."""
    if off and folds is not None:
        raise PlanError("give --cv K or --no-cv, not both")
    return False if off else folds


def _convergence(value: str, off: bool) -> Any:
    """``--convergence`` as :func:`upweight.sweep` takes it (or ``--no-convergence``)."""
    from ._arguments import LEARNERS

    if off:
        if value != "auto":
            raise PlanError("give --convergence or --no-convergence, not both")
        return False
    if value in ("auto", "on", "off"):
        return {"on": True, "off": False}.get(value, value)
    learners = [part.strip() for part in value.split(",")]
    if not all(part in LEARNERS for part in learners):
        raise PlanError(
            "--convergence takes auto, on, off, or learners among sgd and torch (e.g. "
            f"sgd,torch); got {value!r}"
        )
    return ",".join(learners)


#: Options of ``upweight sweep`` (declared here to keep the command short).
FactorsOption = Annotated[  # (``upweight demo`` too)
    str,
    typer.Option(
        "--factors",
        "-k",
        help="Downsampling factors to try (the default grid stops at the class ratio).",
    ),
]

RepeatsOption = Annotated[
    int | None,
    typer.Option(
        "--repeats",
        "-r",
        min=1,
        help="Draws per configuration (cross-validation: as many as needed).",
        show_default="1",
    ),
]

ValidationSizeOption = Annotated[
    float,
    typer.Option(
        "--validation-size",
        help="Share held out for validation, when it holds 100 minority rows.",
    ),
]

TestSizeOption = Annotated[
    float | None,
    typer.Option(
        "--test-size",
        help="Share held out for test (for a small minority, up to 0.25, or nested "
        "cross-validation).",
        show_default="0.1",
    ),
]

CvOption = Annotated[
    int | None,
    typer.Option(
        "--cv",
        min=2,
        max=20,
        help="K-fold cross-validation, always (by default, when validation would hold "
        "fewer than 100 minority rows).",
        show_default=False,
    ),
]

NoCvOption = Annotated[
    bool, typer.Option("--no-cv", help="Never cross-validate: one validation split.")
]

CostOption = Annotated[
    str,
    typer.Option(
        "--cost",
        help="What 'cheapest' means: time (least fit time, ties broken by rows) or rows.",
    ),
]


ToleranceOption = Annotated[
    float,
    typer.Option("--tolerance", help="Recommend the cheapest within this of the best."),
]

OverwriteOption = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Compute everything again, replacing the sweep's own files in OUTPUT "
        "(other files are never touched).",
    ),
]

#: ``upweight sweep --refit``.
RefitOption = Annotated[
    bool,
    typer.Option(
        "--refit",
        help="Then fit the cheapest recommendation on every row but the sweep's test rows "
        "(nested cross-validation: every row) and save it: OUTPUT/model.joblib (a "
        "DownsampledClassifier) and OUTPUT/model_card.md.",
    ),
]


def _refit_first(output: Path | None, refit: bool) -> None:
    """``--refit``: refuse, before the sweep, what would stop the model from being saved."""
    from ._refit import check_model_files

    if not refit:
        return
    if output is None:
        raise PlanError("--refit saves the model into the output folder: give --output FOLDER")
    check_model_files(output)


def _refit_after(result: SweepResult, output: Path, *, refit: bool, quiet: bool) -> str:
    """``--refit``: the cheapest recommendation fitted again, saved beside the report.

    Returns the line that names the model (after the report's), or "".
    """
    from ._refit import CARD_FILE, save_model

    if not refit:
        return ""
    with (
        ui.status("fitting the recommendation again", quiet=quiet),
        _carry_on_hint(output),
        _quiet(quiet),
    ):
        saved = save_model(result, output)
    return f"\nmodel: {saved} (how to use it: {saved.parent / CARD_FILE})"


def print_summary(console: Console, result: SweepResult, *, truth: Any = None) -> None:
    """The summary table and the recommendation, as the command prints them.

    The table fits in 100 columns with short headers, explained in its caption. On a
    narrower console a cell wraps or folds, but is never cut short.
    """
    from rich import box
    from rich.table import Table

    from ._choice import is_full
    from ._models import model_name

    s = result.settings
    rec = result.recommendation
    table = Table(
        title=f"{model_name(s['model'])}, measured on {result.split['test']['rows']:,} "
        "untouched test rows",
        title_justify="left",
        caption="Means over repeats and folds. rows: rows trained; fit s: the fastest fit "
        "(seconds); loss: log "
        "loss; on the test rows, AP: average precision, AUC: ROC AUC, bias: prediction bias."
        + (
            f" {len(s['classes'])} classes: multi-class log loss; AP and AUC averaged over "
            "classes (each against the rest); bias of the class furthest off."
            if len(s.get("classes", ())) > 2
            else ""
        ),
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("configuration", overflow="fold")
    for name in ("rows", "fit s", "val loss", "test loss", "AP", "AUC", "bias"):
        table.add_column(name, justify="right", overflow="fold")
    order = sorted(result.summary, key=lambda e: (e["factor"], e["correction"] == "none"))
    seen_full = False
    for e in order:
        if is_full(e["factor"], e["upweight"]):
            if seen_full:
                continue  # every correction is the same model at k = 1
            seen_full = True
        marks = [
            word
            for word, choice in (("best", rec.best), ("cheapest", rec.cheapest))
            if (e["factor"], e["upweight"], e["correction"])
            == (choice.factor, choice.upweight, choice.correction)
        ]
        table.add_row(
            e["name"] + (f" ({', '.join(marks)})" if marks else ""),
            f"{int(e['rows_trained_mean']):,}",
            f"{e.get('fit_seconds_min', e['fit_seconds_mean']):.3g}",
            f"{e['val_log_loss_mean']:.5f}",
            f"{e['test_log_loss_mean']:.5f}",
            f"{e['test_average_precision_mean']:.4f}",
            f"{e['test_roc_auc_mean']:.4f}",
            f"{e['test_prediction_bias_mean']:+.1f}%",
        )
    if truth is not None:
        table.add_row(
            "true P(y|x)",
            "",
            "",
            "",
            f"{truth.log_loss:.5f}",
            f"{truth.average_precision:.4f}",
            f"{truth.roc_auc:.4f}",
            f"{truth.prediction_bias:+.1f}%",
        )
    console.print(table)
    console.print()
    for line in rec.lines:
        console.print(line)
        console.print()


def sweep(
    data: Annotated[
        Path,
        typer.Argument(
            help=(
                "CSV or Parquet file, a directory of Parquet files (hive-partitioned too), "
                "or a quoted glob such as 'data/*.parquet'."
            ),
            metavar="DATA",
            show_default=False,
        ),
    ],
    label: Annotated[
        str, typer.Option("--label", "-l", help="Name of the label column.", show_default=False)
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Folder for the report and results.", show_default=False
        ),
    ],
    factors: FactorsOption = DEFAULT_GRID,
    upweights: Annotated[
        str | None,
        typer.Option(
            "--upweights",
            help="Weights of the kept majority rows to try with --corrections upweight; "
            "'factor' stands for k (the default).",
            show_default=False,
        ),
    ] = None,
    corrections: Annotated[
        str,
        typer.Option("--corrections", help="Corrections to try: upweight, offset, none."),
    ] = "upweight,offset,none",
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help="Model to train: logreg, hgb, sgd, lightgbm, xgboost, or a scikit-learn "
            "classifier as package.module:Class (e.g. sklearn.ensemble:RandomForestClassifier).",
        ),
    ] = "logreg",
    model_params: Annotated[
        str | None,
        typer.Option(
            "--model-params",
            help="Parameters of a --model package.module:Class, as JSON: '{\"max_depth\": 8}'.",
            show_default=False,
        ),
    ] = None,
    features: Annotated[
        str | None,
        typer.Option(
            "--features",
            help="Columns to use, comma-separated (default: all but the label).",
            show_default=False,
        ),
    ] = None,
    drop: Annotated[
        str | None,
        typer.Option(
            "--drop",
            help="Columns to leave out, comma-separated (an ID, a timestamp).",
            show_default=False,
        ),
    ] = None,
    repeats: RepeatsOption = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of split and sampling.")] = 0,
    validation_size: ValidationSizeOption = 0.1,
    test_size: TestSizeOption = None,
    cv: CvOption = None,
    no_cv: NoCvOption = False,
    cost: CostOption = "time",
    tolerance: ToleranceOption = 0.01,
    precision: Annotated[
        float, typer.Option("--precision", help="Report recall at this precision.")
    ] = 0.5,
    batch_size: Annotated[
        int, typer.Option("--batch-size", "-b", min=1, help="Batch size for convergence.")
    ] = 32,
    convergence: Annotated[
        str,
        typer.Option(
            "--convergence",
            help="Measure minibatch convergence: auto (only where it costs at most about a "
            "quarter of the sweep), on, or learners: sgd, torch (a small PyTorch MLP), sgd,torch.",
        ),
    ] = "auto",
    no_convergence: Annotated[
        bool, typer.Option("--no-convergence", help="Do not measure minibatch convergence.")
    ] = False,
    overwrite: OverwriteOption = False,
    refit: RefitOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Tune factor, upweight and correction like hyperparameters, and write a report.

    Splits DATA into training, validation and test rows (stratified; validation and test
    keep the true distribution), trains MODEL for every factor x upweight x correction,
    measures each on validation and test, measures minibatch convergence per factor, and
    writes OUTPUT/report.html, OUTPUT/results.parquet and OUTPUT/plots/. Finished
    configurations are kept in OUTPUT, so a rerun (after Ctrl-C) skips them.
    """
    import upweight  # the public function: the command line is a shell over it

    _refit_first(output, refit)
    with ui.sweep_progress(quiet) as progress, _carry_on_hint(output), _quiet(quiet):
        result = upweight.sweep(
            data,
            label=label,
            factors=_factors(factors),
            upweights=None if upweights is None else parse_list(upweights, "--upweights"),
            corrections=parse_list(corrections, "--corrections", numbers=False),
            model=_model(model, model_params),
            features=_columns(features, "--features"),
            drop=_columns(drop, "--drop"),
            repeats=repeats,
            seed=seed,
            outdir=output,
            validation_size=validation_size,
            test_size=test_size,
            cv=_cv(cv, no_cv),
            cost=cost,
            tolerance=tolerance,
            precision=precision,
            batch_size=batch_size,
            convergence=_convergence(convergence, no_convergence),
            overwrite=overwrite,
            progress=progress,
        )
    model_line = _refit_after(result, output, refit=refit, quiet=quiet)
    if quiet:
        return
    console = ui.stdout()
    print_summary(console, result)
    console.print(f"report: {output / 'report.html'}{model_line}")


def demo(
    rows: Annotated[int, typer.Option("--rows", min=10_000, help="Rows to generate.")] = 1_000_000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of data and sampling.")] = 0,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the report.")] = Path(
        "upweight-demo"
    ),
    factors: FactorsOption = DEFAULT_GRID,
    convergence: Annotated[
        bool,
        typer.Option("--convergence/--no-convergence", help="Measure minibatch convergence."),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """The main job on generated data with a known truth: the full sweep and its report.

    Generates the course's scenario (about 1% positives, five features, known P(y|x)),
    sweeps factors 1 to 100 with every correction (logistic regression), measures
    minibatch convergence, and writes the report to OUTPUT/report.html.

    OUTPUT may hold an earlier demo or sweep: runs on the same data are reused, results of
    other data are replaced. A folder holding any file upweight did not write is refused.
    """
    import time

    from .._demo import run_demo

    console = ui.stdout()
    start = time.perf_counter()
    with ui.sweep_progress(quiet or as_json) as progress:
        result, truth = run_demo(
            rows,
            seed=seed,
            outdir=output,
            factors=_factors(factors),
            convergence=convergence,
            progress=progress,
        )
    if as_json:
        import json

        console.print_json(json.dumps({**result.to_dict(), "truth": truth.to_dict()}))
        return
    if quiet:
        return
    ui.print_profile(console, result.profile, title=f"Generated data: {rows:,} rows, seed {seed}")
    console.print()
    print_summary(console, result, truth=truth)
    console.print(
        f"report: {output / 'report.html'} (sweep and report in "
        f"{time.perf_counter() - start:.0f} s)"
    )
