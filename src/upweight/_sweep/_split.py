"""The labels, read once, and their stratified split into training, validation and test.

Validation and test keep the true distribution; only the training rows are ever
downsampled, by plans made from the training split's class counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .._counts import round_half_up
from .._exceptions import InputError, LabelError
from .._labels import EncodedLabels, encode_labels
from .._plan import plan as make_plan
from .._plan import towards_smallest
from .._profile import ImbalanceProfile, profile
from .._selection import _mix64_int, row_hashes
from .._types import Label
from ._arguments import Arguments
from ._folds import Fold, Scheme, choose_scheme, draws
from ._source import Source

__all__ = [
    "MIN_SPLIT_MINORITY",
    "Labels",
    "Split",
    "read_labels",
    "reasonable_factors",
    "split_labels",
    "split_positions",
    "test_positions",
]

MIN_SPLIT_MINORITY = 10


def _split_minority(n: int, validation_size: float, test_size: float) -> tuple[int, int, int]:
    """Minority rows of training, validation and test when ``n`` are split."""
    n_val = round_half_up(n * validation_size)
    n_test = round_half_up(n * test_size)
    return n - n_val - n_test, n_val, n_test


def _splits_hold_enough(n: int, validation_size: float, test_size: float) -> bool:
    """Whether every split of ``n`` minority rows holds MIN_SPLIT_MINORITY of them."""
    return min(_split_minority(n, validation_size, test_size)) >= MIN_SPLIT_MINORITY


#: How far past its lower bound :func:`_needed_minority` looks for the exact count.
_SEARCH_STEPS = 100_000

#: Minority counts beyond this are not worth naming in a message.
_COUNT_LIMIT = 10**15


def _needed_minority(validation_size: float, test_size: float) -> int | None:
    """Fewest minority rows for which every split holds MIN_SPLIT_MINORITY of them.

    Found from a lower bound in a few steps (tiny or large shares need billions of rows,
    which a step-by-step count from 10 would take minutes to reach); None for shares so
    extreme that the count is beyond any data set.
    """
    m = MIN_SPLIT_MINORITY
    train_share = max(1.0 - validation_size - test_size, 1e-300)
    # round_half_up(x) >= m needs x >= m - 0.5; training holds n * share + 1 at most ...
    bounds = [(m - 0.5) / validation_size, (m - 0.5) / test_size, (m - 1) / train_share]
    if not max(bounds) < _COUNT_LIMIT:
        return None
    low = max(3 * m, *(math.floor(b) - 1 for b in bounds))
    for n in range(low, low + _SEARCH_STEPS):
        if _splits_hold_enough(n, validation_size, test_size):
            return n
    # ... and n * share - 1 at least: a count that is certainly enough
    return max(math.ceil(b) for b in (m / validation_size, m / test_size, (m + 1) / train_share))


def _nice_share(at_least: float) -> float:
    """``at_least`` rounded up to two significant digits (0.01052 -> 0.011)."""
    digits = 1 - math.floor(math.log10(at_least))
    return math.ceil(at_least * 10**digits - 1e-9) / 10**digits


def _workable_shares(n: int, validation_size: float, test_size: float) -> str:
    """What to pass instead, for ``n`` minority rows, or "" if no share would do."""
    _, n_val, n_test = _split_minority(n, validation_size, test_size)
    m = MIN_SPLIT_MINORITY
    fixed: dict[str, float] = {}
    share = {"validation": validation_size, "test": test_size}
    for name, held in (("validation", n_val), ("test", n_test)):
        if held < m:  # too small a share: the smallest that holds m of the n rows
            share[name] = fixed[name] = _nice_share((m - 0.5) / n)
    if not fixed and n > 3 * m:  # too large shares: training is short; halve them
        for name in share:
            share[name] = fixed[name] = _nice_share(min(share[name], 0.49) / 2)
    if not fixed or max(share.values()) >= 0.5:
        return ""
    if not _splits_hold_enough(n, share["validation"], share["test"]):
        return ""
    options = " and ".join(
        f"--{name}-size {value:g} ({name}_size={value:g})" for name, value in fixed.items()
    )
    return f"; pass {options}"


def split_positions(
    codes: npt.NDArray[Any],
    n_classes: int,
    *,
    validation_size: float,
    test_size: float,
    seed: int,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Stratified training, validation and test positions, each sorted.

    Of each class's ``N_c`` rows, the ``round(N_c * validation_size)`` with the smallest
    hashes (SplitMix64 of position and a seed derived from ``seed``) go to validation, the
    next ``round(N_c * test_size)`` to test, the rest to training: the same rows for the
    same seed, and exact class shares in every split.
    """
    split_seed = _mix64_int(int(seed) ^ 0x5EED5EED5EED5EED) >> 1
    train, val, test = [], [], []
    for c in range(n_classes):
        pos = np.flatnonzero(codes == c)
        n_val = round_half_up(pos.size * validation_size)
        n_test = round_half_up(pos.size * test_size)
        m = n_val + n_test
        h = row_hashes(pos, split_seed)
        if m >= pos.size:
            chosen = np.argsort(h, kind="stable")
        else:
            chosen = np.argpartition(h, m - 1)[:m]
            chosen = chosen[np.argsort(h[chosen], kind="stable")]
        val.append(pos[chosen[:n_val]])
        test.append(pos[chosen[n_val:m]])
        rest = np.ones(pos.size, dtype=bool)
        rest[chosen[:m]] = False
        train.append(pos[rest])
    return (
        np.sort(np.concatenate(train)),
        np.sort(np.concatenate(val)),
        np.sort(np.concatenate(test)),
    )


@dataclass(frozen=True)
class Labels:
    """Every row's label, as read by the counting pass; the largest and smallest classes.

    With two classes, ``minority`` is the other one; with more, the smallest (the class
    the sweep's figures and splits are sized by), and every class larger than it is
    downsampled (:meth:`Split.factor`).
    """

    encoded: EncodedLabels
    counts: dict[Label, int]
    profile: ImbalanceProfile
    majority: Label
    minority: Label
    scheme: Scheme

    @property
    def multiclass(self) -> bool:
        """Whether there are more than two classes."""
        return len(self.encoded.classes) > 2

    @property
    def classes(self) -> list[Label]:
        """Every class, in the order of the codes (a model's ``classes_``)."""
        return list(self.encoded.classes)

    @property
    def minority_code(self) -> int:
        """The minority class's index in ``encoded.classes``."""
        return self.encoded.classes.index(self.minority)

    def outcome(self, codes: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        """1.0 where ``codes`` is the minority class, 0.0 elsewhere."""
        return (codes == self.minority_code).astype(np.float64)

    def info(self, codes: npt.NDArray[Any]) -> dict[str, Any]:
        """Rows, minority (smallest class) rows, the others, and rows per class."""
        minority = int(np.count_nonzero(codes == self.minority_code))
        out: dict[str, Any] = {
            "rows": int(codes.size),
            "minority": minority,
            "majority": int(codes.size) - minority,
        }
        if self.multiclass:
            per_class = np.bincount(codes, minlength=len(self.encoded.classes))
            out["classes"] = {
                str(c): int(n) for c, n in zip(self.encoded.classes, per_class, strict=True)
            }
        return out


def read_labels(source: Source, *, label: str | None, args: Arguments) -> Labels:
    """The counting pass: labels encoded, two classes, enough minority rows to split."""
    name = f"label column {label!r}" if label is not None else "y"
    encoded = encode_labels(source.labels(), name=name)
    counts = encoded.count_map()
    if len(counts) < 2:
        raise InputError(f"{name} holds one class; the sweep needs two or more")
    prof = profile(counts, batch_size=args.batch_size)
    majority, minority = prof.majority, prof.rarest
    n_minority = counts[minority]
    scheme = choose_scheme(
        n_minority,
        minority=minority,
        cv=args.cv,
        validation_size=args.validation_size,
        test_size=args.test_size,
        repeats=args.repeats,
    )
    test_size = scheme.test_size
    if scheme.kind == "hold-out" and not _splits_hold_enough(
        n_minority, args.validation_size, test_size or 0.1
    ):
        test_size = test_size or 0.1
        needed = _needed_minority(args.validation_size, test_size)
        held = dict(
            zip(
                ("training", "validation", "test"),
                _split_minority(n_minority, args.validation_size, test_size),
                strict=True,
            )
        )
        short = ", ".join(f"{held[s]} in {s}" for s in held if held[s] < MIN_SPLIT_MINORITY)
        raise LabelError(
            f"the {'smallest' if len(counts) > 2 else 'minority'} class {minority!r} has "
            f"{n_minority:,} rows: splitting off "
            f"validation ({args.validation_size!r}) and test ({test_size!r}) leaves "
            f"{short}; each split needs {MIN_SPLIT_MINORITY}"
            + (
                f", which needs at least {needed:,} minority rows at these shares"
                if needed and needed > n_minority
                else ""
            )
            + (
                _workable_shares(n_minority, args.validation_size, test_size)
                or "; or let the sweep cross-validate (leave out --no-cv)"
            )
        )
    return Labels(encoded, counts, prof, majority, minority, scheme)


@dataclass(frozen=True)
class Split:
    """One draw's rows: training, validation and test positions, and the training labels.

    ``repeat`` and ``fold`` name the draw (fold None for a hold-out split).
    """

    train_pos: npt.NDArray[np.intp]
    val_pos: npt.NDArray[np.intp]
    test_pos: npt.NDArray[np.intp]
    train: EncodedLabels
    train_counts: dict[Label, int]
    class_factors: dict[float, dict[Label, float]] = field(default_factory=dict)
    repeat: int = 0
    fold: int | None = None

    def factor(self, k: float) -> float | dict[Label, float]:
        """Factor ``k`` as the training split's plans take it.

        A per-class factor given for ``k`` as it is; otherwise every class larger than the
        smallest by ``k``, capped at the smallest (:func:`upweight._plan.towards_smallest`:
        ``k`` itself with two classes).
        """
        if k in self.class_factors:
            return dict(self.class_factors[k])
        return towards_smallest(self.train_counts, k)

    def over(self, k: float) -> bool:
        """Whether factor ``k`` leaves a downsampled class smaller than an untouched one."""
        return make_plan(self.train_counts, factor=self.factor(k)).over_downsampled is not None

    def info(self, labels: Labels) -> dict[str, Any]:
        """Rows and minority rows of each split."""
        codes = labels.encoded.codes
        return {
            "train": labels.info(self.train.codes),
            "validation": labels.info(codes[self.val_pos]),
            "test": labels.info(codes[self.test_pos]),
        }


def _split_of(labels: Labels, fold: Fold, args: Arguments) -> Split:
    train_codes = labels.encoded.codes[fold.train_pos]
    train = EncodedLabels(
        classes=labels.encoded.classes,
        codes=train_codes,
        counts=np.bincount(train_codes, minlength=len(labels.encoded.classes)).astype(np.int64),
    )
    return Split(
        fold.train_pos,
        fold.val_pos,
        fold.test_pos,
        train,
        train.count_map(),
        args.class_factors,
        fold.repeat,
        None if labels.scheme.kind == "hold-out" else fold.fold,
    )


def split_labels(labels: Labels, args: Arguments) -> list[Split]:
    """Every draw's split, by the scheme; every factor checked against the training counts."""
    encoded, scheme = labels.encoded, labels.scheme
    holdout = None
    if scheme.kind != "nested":
        holdout = split_positions(
            encoded.codes,
            len(encoded.classes),
            validation_size=scheme.validation_size or 0.0,
            test_size=scheme.test_size or 0.0,
            seed=args.seed,
        )
    splits = [
        _split_of(labels, fold, args)
        for fold in draws(scheme, encoded.codes, seed=args.seed, holdout=holdout)
    ]
    factors, _ = reasonable_factors(args, splits[0])
    for k in factors:  # fail early on a factor the training split cannot honour
        for split in splits:  # (each fold's training rows: the smallest decides)
            make_plan(split.train_counts, factor=split.factor(k))
    return splits


def test_positions(
    codes: npt.NDArray[Any], n_classes: int, settings: Mapping[str, Any]
) -> npt.NDArray[np.intp]:
    """The sweep's test rows, made again from its settings (sorted positions).

    After nested cross-validation every row was a test row once (in outer folds); else the
    one test split, drawn with the shares the sweep split by (cross-validation: no
    validation share, the folds instead).
    """
    if (settings.get("scheme") or {}).get("kind") == "nested":
        return np.arange(codes.size, dtype=np.intp)
    return split_positions(
        codes,
        n_classes,
        validation_size=settings.get("validation_size") or 0.0,
        test_size=settings["test_size"],
        seed=settings["seed"],
    )[2]


def reasonable_factors(args: Arguments, split: Split) -> tuple[list[float], list[float]]:
    """The factors to run, and those of the default grid skipped as going too far.

    The default grid stops where a downsampled class would become smaller than the class
    it is downsampled towards (the training split's largest-to-smallest ratio); factors
    the user gave all run (the report flags those that go that far).
    """
    if not args.default_factors:
        return list(args.factors), []
    counts = split.train_counts.values()
    ratio = max(counts) / min(counts)
    keep = [k for k in args.factors if k <= ratio * (1 + 1e-9)]
    return keep, [k for k in args.factors if k not in keep]
