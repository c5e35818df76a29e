"""How the rows are held out: one validation split, or cross-validation for small minorities.

A validation split of a few dozen minority rows cannot rank configurations: its figures
move by more than the differences it is asked to judge. So the sweep chooses its scheme
from the minority count (:func:`choose_scheme`):

* **hold-out** -- one stratified validation split and one test split, when validation
  would hold at least :data:`CV_BELOW` minority rows (or when cross-validation is refused);
* **cv** -- stratified K-fold cross-validation over the rows outside one test split, the
  test split sized so that it holds :data:`USEFUL_TEST` minority rows (up to a quarter of
  the rows); repeated with new folds until the validation predictions cover about
  :data:`CV_BELOW` minority examples;
* **nested** -- when even a quarter of the rows would hold too few minority rows for a
  test split: every row is a test row once, in an outer K-fold, and the configurations are
  compared by an inner K-fold on the rest.

Every scheme is a list of draws -- (repeat, fold) pairs, each with its own training,
validation and test positions (:func:`draws`) -- so that the rest of the sweep runs the
same loop whatever the scheme.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._counts import round_half_up
from .._exceptions import LabelError
from .._selection import _mix64_int, row_hashes

__all__ = [
    "CV_BELOW",
    "DEFAULT_FOLDS",
    "MIN_FOLD_MINORITY",
    "USEFUL_TEST",
    "Fold",
    "Scheme",
    "choose_scheme",
    "draws",
]

#: Cross-validate when validation would hold fewer minority rows than this.
CV_BELOW = 100
#: Minority rows a test split should hold; below that at a quarter of the rows, nested CV.
USEFUL_TEST = 50
#: The largest test share the sweep chooses by itself.
MAX_TEST_SHARE = 0.25
#: Folds, unless ``cv=K`` says otherwise.
DEFAULT_FOLDS = 5
#: Minority rows each fold needs: the sweep needs ``MIN_FOLD_MINORITY * K`` in all.
MIN_FOLD_MINORITY = 4
#: Minority rows a test split the user sized must hold.
MIN_TEST_MINORITY = 10
#: Cross-validation is repeated at most this many times by itself.
MAX_AUTO_REPEATS = 5


@dataclass(frozen=True)
class Scheme:
    """How rows are held out, as chosen for the data (see the module's text).

    Attributes
    ----------
    kind : {"hold-out", "cv", "nested"}
    folds : int
        K of the K-fold (1 for hold-out).
    repeats : int
        Repeats: new selections of the downsampled rows (hold-out) or new folds too (cv,
        nested).
    validation_size : float or None
        The validation share (hold-out only).
    test_size : float or None
        The test share (None when nested: every row is tested once).
    why : str
        Why this scheme, in words.
    """

    kind: str
    folds: int
    repeats: int
    validation_size: float | None
    test_size: float | None
    why: str

    @property
    def n_draws(self) -> int:
        """(repeat, fold) pairs: draws of training rows per factor."""
        per_repeat = {"hold-out": 1, "cv": self.folds, "nested": self.folds * self.folds}
        return self.repeats * per_repeat[self.kind]

    def describe(self) -> str:
        """The scheme in a few words, e.g. ``5-fold cross-validation, test split 25%``."""
        again = f", repeated {self.repeats} times" if self.repeats > 1 else ""
        if self.kind == "hold-out":
            text = f"hold-out: validation {self.validation_size:.0%}, test {self.test_size:.0%}"
            return text + (f", {self.repeats} repeats" if self.repeats > 1 else "")
        if self.kind == "cv":
            return f"{self.folds}-fold cross-validation{again}; test split {self.test_size:.0%}"
        return (
            f"nested cross-validation: {self.folds} outer folds (test) x {self.folds} inner "
            f"folds (validation){again}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, as the settings store it."""
        return {
            "kind": self.kind,
            "folds": self.folds,
            "repeats": self.repeats,
            "validation_size": self.validation_size,
            "test_size": self.test_size,
            "why": self.why,
            "text": self.describe(),
        }


def _too_few(minority: Any, n: int, folds: int, cv: int | bool | None) -> LabelError:
    need = MIN_FOLD_MINORITY * folds
    smaller = [k for k in range(folds - 1, 1, -1) if MIN_FOLD_MINORITY * k <= n]
    hint = (
        f"pass --cv {smaller[0]} (cv={smaller[0]}), which needs {MIN_FOLD_MINORITY * smaller[0]}, "
        "or collect more minority rows"
        if smaller
        else "collect more minority rows, or leave that class's rows out (or merge it with "
        "another): no comparison of configurations can rest on fewer"
    )
    return LabelError(
        f"the minority class {minority!r} has {n:,} rows; the sweep needs at least {need} "
        f"({MIN_FOLD_MINORITY} in each of {folds} folds) to compare configurations; {hint}"
    )


def choose_scheme(
    n_minority: int,
    *,
    minority: Any,
    cv: int | bool | None,
    validation_size: float,
    test_size: float | None,
    repeats: int | None,
) -> Scheme:
    """The scheme for ``n_minority`` rows of the smallest class (see the module's text).

    ``cv``: None chooses; K forces K-fold cross-validation; False refuses it (the caller
    then checks that the hold-out splits hold enough). ``test_size`` None chooses the
    share; ``repeats`` None chooses (1 for hold-out).
    """
    if cv is False:
        fixed = 0.1 if test_size is None else test_size
        return Scheme("hold-out", 1, repeats or 1, validation_size, fixed, "cross-validation off")
    folds = DEFAULT_FOLDS if cv is None or cv is True else int(cv)
    if n_minority < MIN_FOLD_MINORITY * folds:
        raise _too_few(minority, n_minority, folds, cv)
    share: float | None
    if test_size is None:
        if n_minority * 0.1 >= USEFUL_TEST:
            share = 0.1
        elif USEFUL_TEST / n_minority <= MAX_TEST_SHARE:
            share = math.ceil(100 * USEFUL_TEST / n_minority) / 100
        else:
            share = None
    else:
        share = test_size
        held = round_half_up(n_minority * share)
        if held < MIN_TEST_MINORITY:
            raise LabelError(
                f"test_size {share!r} leaves {held} of the {n_minority:,} rows of the minority "
                f"class {minority!r} in test; it needs {MIN_TEST_MINORITY}: pass a larger "
                "--test-size (test_size=), or leave it out and the sweep sizes it"
            )
    n_test = round_half_up(n_minority * share) if share is not None else n_minority // folds
    rest = n_minority - n_test
    n_val = round_half_up(rest * validation_size)
    if cv is None and share is not None and n_val >= CV_BELOW:
        return Scheme(
            "hold-out",
            1,
            repeats or 1,
            validation_size,
            share,
            f"validation holds {n_val:,} minority rows (at least {CV_BELOW})",
        )
    kind = "cv" if share is not None else "nested"
    per_repeat = rest if kind == "cv" else rest * folds  # minority validation predictions
    auto = min(MAX_AUTO_REPEATS, max(1, math.ceil(CV_BELOW / max(per_repeat, 1))))
    if cv is not None:
        why = f"cross-validation asked for (cv={folds})"
    else:
        why = f"a validation split would hold {n_val:,} minority rows (fewer than {CV_BELOW})"
    if kind == "nested":
        why += (
            f"; a test split of a quarter of the rows would hold "
            f"{round_half_up(n_minority * MAX_TEST_SHARE)} (fewer than {USEFUL_TEST}), so "
            "every row is tested once, in outer folds"
        )
    return Scheme(kind, folds, repeats or auto, None, share, why)


@dataclass(frozen=True)
class Fold:
    """One draw's rows: positions of training, validation and test rows, each sorted."""

    repeat: int
    fold: int  # 0 for hold-out; outer * K + inner when nested
    train_pos: npt.NDArray[np.intp]
    val_pos: npt.NDArray[np.intp]
    test_pos: npt.NDArray[np.intp]


def _fold_of(
    positions: npt.NDArray[np.intp], codes: npt.NDArray[Any], folds: int, seed: int
) -> npt.NDArray[np.intp]:
    """Each position's fold: within each class, ranked by a seeded hash, dealt in turn.

    Every fold gets the same number of each class's rows (give or take one).
    """
    out = np.empty(positions.size, dtype=np.intp)
    klass = codes[positions]
    hashes = row_hashes(positions, seed)
    for c in np.unique(klass):
        where = np.flatnonzero(klass == c)
        order = where[np.argsort(hashes[where], kind="stable")]
        out[order] = np.arange(order.size) % folds
    return out


def _seed(*parts: int) -> int:
    value = 0x0F01D5
    for part in parts:
        value = _mix64_int(value ^ int(part))
    return value >> 1


def draws(
    scheme: Scheme,
    codes: npt.NDArray[Any],
    *,
    seed: int,
    holdout: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]] | None,
) -> list[Fold]:
    """Every (repeat, fold) draw of the scheme, in order.

    ``holdout``: the hold-out split's (training, validation, test) positions, for the
    hold-out and cv schemes (cv uses its test positions and folds the rest).
    """
    out: list[Fold] = []
    if scheme.kind == "hold-out":
        assert holdout is not None
        return [Fold(r, 0, *holdout) for r in range(scheme.repeats)]
    K = scheme.folds
    for r in range(scheme.repeats):
        if scheme.kind == "cv":
            assert holdout is not None
            test = holdout[2]
            rest = np.union1d(holdout[0], holdout[1])
            fold = _fold_of(rest, codes, K, _seed(seed, r))
            for f in range(K):
                out.append(Fold(r, f, rest[fold != f], rest[fold == f], test))
            continue
        every = np.arange(codes.size, dtype=np.intp)
        outer = _fold_of(every, codes, K, _seed(seed, r, 0xA11))
        for o in range(K):
            test, rest = every[outer == o], every[outer != o]
            inner = _fold_of(rest, codes, K, _seed(seed, r, o))
            for f in range(K):
                out.append(Fold(r, o * K + f, rest[inner != f], rest[inner == f], test))
    return out
