"""The recommendation, ready to use: the chosen configuration fitted again, and its card.

:func:`refit` fits the sweep's model, as the sweep made it (preprocessing included), in a
:class:`~upweight.sklearn.DownsampledClassifier` with the chosen factor, upweight and
correction, on every row the sweep did not test on (its training and validation rows):
what ``GridSearchCV.best_estimator_`` is to a grid search. Its ``predict_proba`` gives
probabilities on the true class distribution.

The data is the sweep's own (:func:`run` keeps a reference to it on the result it
returns), or, for a result read back with ``SweepResult.load``, the data the caller passes,
checked against the fingerprint the sweep recorded.

:func:`model_card` words what was fitted, on what, and how it fared on the sweep's test
rows; :func:`save_model` writes the model and its card into the sweep's output folder,
under the folder's rules (listed in its manifest first, written atomically, a file the
user put there never replaced).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._exceptions import FileError, InputError, LabelError, UpweightError
from .._labels import encode_labels
from .._plan import towards_smallest
from .._rows import is_frame, is_sparse
from .._types import Label
from ._models import MODELS, Model, _final_path, check_model, model_name
from ._source import Source, as_source
from ._split import test_positions

if TYPE_CHECKING:
    from ..sklearn import DownsampledClassifier
    from ._result import Choice, SweepResult

__all__ = [
    "CARD_FILE",
    "MODEL_FILE",
    "WHICH",
    "check_model_files",
    "fit_rows",
    "model_card",
    "refit",
    "save_model",
]

#: What ``upweight sweep --refit`` writes into the output folder.
MODEL_FILE = "model.joblib"
CARD_FILE = "model_card.md"
#: The configurations of the recommendation that can be refitted.
WHICH = ("cheapest", "best")

#: The test figures the card shows, in this order, with their names.
_FIGURES = (
    ("log_loss", "log loss"),
    ("brier", "Brier score"),
    ("prediction_bias", "prediction bias (%)"),
    ("average_precision", "average precision"),
    ("roc_auc", "ROC AUC"),
)


#: Feature columns the card names at most.
_SHOWN = 100


# -- the rows ---------------------------------------------------------------------------------
def _nested(settings: Mapping[str, Any]) -> bool:
    """Whether the sweep tested every row in outer folds (no single test split)."""
    return bool((settings.get("scheme") or {}).get("kind") == "nested")


def fit_rows(
    codes: npt.NDArray[Any], n_classes: int, settings: Mapping[str, Any]
) -> npt.NDArray[np.intp]:
    """Positions (sorted) of the rows a refit trains on: all but the sweep's test rows.

    The sweep's split made again from its settings (``seed``, ``validation_size``,
    ``test_size``): the union of its training and validation rows. When the sweep held
    out no single test split (nested cross-validation: test figures from outer folds),
    every row.
    """
    if _nested(settings):
        return np.arange(codes.size, dtype=np.intp)
    test = test_positions(codes, n_classes, settings)
    return np.setdiff1d(np.arange(codes.size, dtype=np.intp), test).astype(np.intp)


# -- the refit --------------------------------------------------------------------------------
def _choice(result: SweepResult, which: str) -> Choice:
    if not isinstance(which, str) or which not in WHICH:
        raise InputError(
            f"which must be 'cheapest' or 'best' (the recommendation's); got {which!r}"
        )
    choice: Choice = getattr(result.recommendation, which)
    return choice


def _features(settings: Mapping[str, Any]) -> list[str] | None:
    """The sweep's feature columns (the kinds keep the input order: ``choose`` does)."""
    columns = settings.get("columns")
    if not isinstance(columns, Mapping):
        return None
    return [*columns.get("numeric", ()), *columns.get("categorical", ())] or None


def _source(
    result: SweepResult, data: Any, label: str | None, y: Any
) -> tuple[Source, Any, str | None, Model | None]:
    """The sweep's data as a source (checked by its fingerprint), and its model if known."""
    settings = result.settings
    kept = getattr(result, "_data", None)
    if data is None:
        if label is not None or y is not None:
            raise InputError("label= and y= go with data=: pass the data too")
        if kept is None:
            raise InputError(
                "this result holds no data (it was read back with SweepResult.load): pass "
                "the data the sweep ran on: result.refit(data=..., label=... or y=...)"
            )
        data, label, y, features, drop, model = kept
    else:
        if label is None and y is None:
            label = settings.get("label")
        if label is None and y is None:
            raise InputError("the sweep ran on labels y: pass them, result.refit(data=X, y=y)")
        features, drop, model = _features(settings), None, None
    try:
        source = as_source(data, label=label, y=y, features=features, drop=drop)
    except (InputError, LabelError) as exc:
        if kept is not None:
            raise
        raise _not_the_data(exc, data, label, y, features) from None
    expected = settings.get("fingerprint")
    if expected is None:
        raise InputError(
            "this result records no fingerprint of its data (an older upweight wrote it), so "
            "data= cannot be checked: run the sweep again, then refit"
        )
    if source.fingerprint() != expected:
        raise InputError(
            "the data is not what this sweep ran on (its fingerprint differs: other rows, "
            "values, labels or columns, or the same data in another form -- a frame read from "
            "the file the sweep read): pass the sweep's data as it read it "
            f"({result.settings.get('data', 'data')}), with the same label column"
            if kept is None or data is not kept[0]
            else "the sweep's data changed since it ran (its fingerprint differs): pass the "
            "data as it was (data=...)"
        )
    return source, data, label, model


def _not_the_data(
    exc: Exception, data: Any, label: str | None, y: Any, features: Sequence[str] | None
) -> Exception:
    """Why ``data`` cannot be read as the sweep read its data, in the refit's words."""
    words = f"the data is not what this sweep ran on: {exc}"
    try:
        names = as_source(data, label=label, y=y).feature_names
    except UpweightError:
        return type(exc)(words)
    missing = [name for name in features or () if name not in names]
    if not missing:
        return type(exc)(words)
    shown = ", ".join(repr(name) for name in missing[:5]) + (" ..." if len(missing) > 5 else "")
    return InputError(
        f"the data is not what this sweep ran on: it has no column {shown} (the sweep used "
        f"{len(features or ())} feature columns); pass the sweep's data"
    )


def _model(result: SweepResult, choice: Choice, kept: Model | None, given: Any) -> Model:
    """The sweep's model: kept from the run, built in, or the user's (checked by its key)."""
    if kept is not None and given is None:
        return kept
    if given is None:
        if choice.model in MODELS:
            return check_model(choice.model)
        raise InputError(
            f"the sweep trained your own model ({result.settings.get('model')}), which a saved "
            "result does not hold: pass it, result.refit(..., model=estimator)"
        )
    model = check_model(given)
    if model.key != choice.model:
        raise InputError(
            f"model= is not the model the sweep trained (its key is {model.key!r}, the "
            f"sweep's {choice.model!r}): pass the same estimator with the same parameters"
        )
    return model


def _named(data: Any, label: str | None) -> bool:
    """Whether the data has column names: a file, or a data frame (as the sweep decides)."""
    return isinstance(data, str | os.PathLike) or label is not None or is_frame(data)


def _factor(
    result: SweepResult, choice: Choice, classes: Sequence[Label], counts: Mapping[Label, int]
) -> float | dict[Label, float]:
    """The chosen factor as the sweep applied it: per class with more than two classes."""
    if len(classes) <= 2:
        return float(choice.factor)
    for row in result.results:
        table = row.get("per_class") or {}
        if "factor" in table and all(
            row[g] == getattr(choice, g) for g in ("factor", "upweight", "correction")
        ):
            by_name = {str(c): c for c in classes}
            return {by_name[c]: float(f) for c, f in table["factor"].items() if c in by_name}
    return towards_smallest(counts, choice.factor)


def _upweight(choice: Choice) -> float | None:
    """The upweight when it differs from the factor (upweight correction only)."""
    if choice.correction != "upweight" or choice.upweight in (None, choice.factor):
        return None
    return float(choice.upweight)


def refit(
    result: SweepResult,
    which: str = "cheapest",
    data: Any = None,
    *,
    label: str | None = None,
    y: Any = None,
    model: Any = None,
) -> DownsampledClassifier:
    """:meth:`SweepResult.refit`: the chosen configuration, fitted on all but the test rows."""
    from ..sklearn import DownsampledClassifier

    choice = _choice(result, which)
    settings = result.settings
    source, data, label, kept = _source(result, data, label, y)
    found = _model(result, choice, kept, model)
    source.prepare(frame=_named(data, label))  # named columns: a DataFrame, checked by name
    encoded = encode_labels(source.labels())
    positions = fit_rows(encoded.codes, len(encoded.classes), settings)
    X, labels = source.rows(positions)
    target: Any = labels
    if found.key == "xgboost" and list(encoded.classes) != list(range(len(encoded.classes))):
        target = encoded.codes[positions]  # XGBoost takes classes 0 .. n - 1 only
    seed = int(settings.get("seed", 0))
    estimator, fit_params = found.make(
        source.columns, seed=0 if found.deterministic else seed, sparse=is_sparse(X)
    )
    prefix = _final_path(estimator)[0]
    per_class = np.bincount(encoded.codes[positions], minlength=len(encoded.classes))
    counts = dict(zip(encoded.classes, per_class.tolist(), strict=True))
    classifier = DownsampledClassifier(
        estimator,
        factor=_factor(result, choice, encoded.classes, counts),
        upweight=_upweight(choice),
        correction=choice.correction,  # type: ignore[arg-type]
        random_state=seed,
    )
    try:
        classifier.fit(X, target, **{prefix + k: v for k, v in fit_params.items()})
    except (UpweightError, MemoryError):
        raise
    except Exception as exc:  # the model's own words, in one line
        text = " ".join(str(exc).split())[:300]
        raise InputError(
            f"model {found.label} failed to fit {choice.name} on {positions.size:,} rows: "
            f"{type(exc).__name__}: {text}"
        ) from None
    return classifier


# -- the card ---------------------------------------------------------------------------------
def _number(value: Any) -> str:
    if value is None or not isinstance(value, int | float) or not np.isfinite(value):
        return "n/a"
    return f"{value:.4g}"


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "n/a"


def _interval(intervals: Mapping[str, Any], key: str) -> str:
    found = intervals.get(f"test_{key}", intervals.get(key))
    if not isinstance(found, Sequence) or len(found) != 2:
        return "n/a"
    return f"{_number(found[0])} to {_number(found[1])}"


def _md(value: Any) -> str:
    """A label or name as Markdown text: no HTML, no table cell break, no link."""
    text = str(value)
    for char, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        text = text.replace(char, escaped)
    return text.replace("[", "\\[").replace("]", "\\]").replace("`", "\\`")


def _plan_table(classifier: DownsampledClassifier) -> list[str]:
    lines = ["| class | rows | kept | factor | weight |", "|---|---:|---:|---:|---:|"]
    for c in classifier.plan_:
        lines.append(f"| {_md(c.label)} | {c.count:,} | {c.kept:,} | {c.factor:g} | {c.weight:g} |")
    return lines


def _per_class_words(classifier: DownsampledClassifier) -> list[str]:
    """Several classes: each downsampled class's factor."""
    if len(classifier.plan_.classes) <= 2:
        return []
    spelled = ", ".join(f"{_md(c.label)}: {c.factor:.4g}" for c in classifier.plan_ if c.factor > 1)
    return [f"- per class (each capped so no class falls below the smallest): {spelled}"]


def _residual_words(choice: Choice) -> list[str]:
    """An upweight other than the factor: what ``predict_proba`` does that the sweep did not."""
    if _upweight(choice) is None:
        return [""]
    return [
        "",
        "Its upweight differs from the factor: `predict_proba` also rescales by what the "
        "weights leave of the class prior, so its probabilities are on the true "
        "distribution; the sweep measured this upweight without that rescaling.",
        "",
    ]


def _codes_words(settings: Mapping[str, Any], classifier: DownsampledClassifier) -> list[str]:
    """Classes fitted as codes (XGBoost takes 0 .. n - 1 only): which label each stands for."""
    labels = list(settings.get("classes", ()))
    codes = [c.item() if hasattr(c, "item") else c for c in classifier.classes_]
    if not labels or codes == labels or codes != list(range(len(labels))):
        return []
    spelled = ", ".join(f"{code} = {label!r}" for code, label in zip(codes, labels, strict=True))
    return [f"- fitted on class codes (XGBoost takes 0 .. n - 1 only): {spelled}"]


def _columns_words(settings: Mapping[str, Any], classifier: DownsampledClassifier) -> str:
    names = getattr(classifier, "feature_names_in_", None)
    features = [str(n) for n in names] if names is not None else _features(settings) or []
    shown = ", ".join(f"`{n}`" for n in features[:_SHOWN])
    if len(features) > _SHOWN:
        more = " (`model.feature_names_in_`)" if names is not None else ", in input order"
        shown += f" and {len(features) - _SHOWN} more{more}"
    if names is not None:
        return f"a pandas DataFrame with these {len(features)} columns, by name: {shown}"
    return f"a numeric matrix of {len(features)} columns, in this order: {shown}"


def model_card(
    result: SweepResult, classifier: DownsampledClassifier, which: str = "cheapest"
) -> str:
    """A short Markdown card: the configuration, the rows, its test figures, the data."""
    from .. import __version__

    choice = _choice(result, which)
    s = result.settings
    intervals = getattr(choice, "intervals", None) or {}
    rows = sum(c.count for c in classifier.plan_)
    test_rows = result.split.get("test", {}).get("rows")
    nested = _nested(s)
    why = (
        f"the cheapest within {result.recommendation.tolerance:.0%} of the best validation log "
        "loss (with 95% confidence, or within the noise: see the sweep's report)"
        if which == "cheapest"
        else "the best validation log loss"
    )
    lines = [
        f"# Model card: {choice.name} ({which})",
        "",
        f"The configuration an upweight sweep recommends as {why}, fitted again on "
        + (
            "every row of the data."
            if nested
            else f"the sweep's training and validation rows: {rows:,} rows, every row but "
            f"its {_count(test_rows)} test rows."
        ),
        "",
        "## Configuration",
        "",
        f"- model: {model_name(s.get('model', choice.model))}: `{s.get('estimator', '')}`",
        f"- factor k = {choice.factor:g}, correction `{choice.correction}`, "
        + (
            "trained without weights"
            if choice.upweight is None
            else f"kept rows of downsampled classes weigh {choice.upweight:g}"
        ),
        *_per_class_words(classifier),
        f"- wrapped in `upweight.sklearn.DownsampledClassifier` (seed {s.get('seed', 0)}): "
        "`predict_proba` gives probabilities on the true class distribution",
        *_residual_words(choice),
        "Rows trained, per class (rows: before downsampling; kept: after):",
        "",
        *_plan_table(classifier),
        "",
        "## Test figures",
        "",
        (
            "Measured by the sweep in outer folds: every row tested once, by models that "
            "never trained on it"
            if nested
            else f"Measured by the sweep on its test rows ({_count(test_rows)} rows, never "
            "trained on), for this configuration trained on the training rows only"
        )
        + f"; held out: {(s.get('scheme') or {}).get('text', 'hold-out')}. Intervals: 95 %"
        " (paired bootstrap over rows), where the sweep measured them.",
        "",
        "| figure | value | interval |",
        "|---|---:|---:|",
    ]
    for key, name in _FIGURES:
        value = choice.figures.get(f"test_{key}")
        lines.append(f"| {name} | {_number(value)} | {_interval(intervals, key)} |")
    lines += [
        "",
        "## Data",
        "",
        f"- {s.get('data', 'data')}, "
        + (f"label column `{s['label']}`" if s.get("label") else "labels y")
        + ", classes "
        f"{', '.join(repr(c) for c in s.get('classes', ()))}",
        f"- fingerprint `{s.get('fingerprint', 'n/a')}`",
        f"- takes {_columns_words(s, classifier)}",
        *_codes_words(s, classifier),
        "",
        "## Use",
        "",
        "```python",
        "import joblib",
        "",
        f'model = joblib.load("{MODEL_FILE}")',
        (
            "proba = model.predict_proba(df[model.feature_names_in_])"
            if hasattr(classifier, "feature_names_in_")
            else "proba = model.predict_proba(X)"
        )
        + "  # a column per class, as model.classes_",
        "```",
        "",
        f"Written by upweight {__version__} on {datetime.date.today().isoformat()}.",
        "",
    ]
    return "\n".join(lines)


# -- the files --------------------------------------------------------------------------------
def check_model_files(outdir: str | os.PathLike[str]) -> None:
    """Refuse, before a sweep starts, a model file of the user's where ``--refit`` writes.

    Read only (no lock): :func:`save_model` checks again under the lock.
    """
    from ._outdir import listed_files

    path = Path(outdir)
    try:
        _, listed = listed_files(path)
    except FileError:  # no sweep's folder yet: the sweep itself says what is wrong
        listed = set()
    for name in (MODEL_FILE, CARD_FILE):
        if name not in listed and os.path.lexists(path / name):
            raise FileError(
                f"{path / name} exists and was not written by upweight sweep; move it away "
                "or choose another output folder"
            )


def save_model(
    result: SweepResult, outdir: str | os.PathLike[str], which: str = "cheapest"
) -> Path:
    """Refit ``which`` and write ``model.joblib`` and ``model_card.md`` into the folder.

    The folder is the one the sweep wrote (its manifest must record the result's data);
    the files are listed in its manifest before they are written, written atomically, and
    a file of the same name that the sweep did not write is refused. Returns the model's
    path.
    """
    import joblib

    from ._outdir import OutputFolder

    classifier = refit(result, which)
    card = model_card(result, classifier, which)
    names = [MODEL_FILE, CARD_FILE]
    with OutputFolder.open(outdir, targets=names, overwrite=True) as folder:
        if folder.settings.get("fingerprint") != result.settings.get("fingerprint"):
            raise FileError(
                f"{folder.path} holds no results of this sweep's data; save the model into "
                "the folder the sweep wrote"
            )
        folder.claim(names)

        def dump(tmp: Path) -> None:
            with open(tmp, "wb") as handle:
                joblib.dump(classifier, handle)

        written = folder.write(MODEL_FILE, dump)

        def write_card(tmp: Path) -> None:
            tmp.write_text(card, encoding="utf-8")

        folder.write(CARD_FILE, write_card)
    return written
