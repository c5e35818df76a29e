"""How rows are held out: hold-out, cross-validation, nested cross-validation."""

from __future__ import annotations

import numpy as np
import pytest

from upweight import LabelError
from upweight._sweep._folds import Scheme, choose_scheme, draws
from upweight._sweep._split import split_positions


def _choose(n: int, **kwargs) -> Scheme:
    args = {"minority": "fraud", "cv": None, "validation_size": 0.1, "test_size": None}
    args.update(kwargs)
    return choose_scheme(n, repeats=None, **args)


@pytest.mark.parametrize(
    ("n", "kind", "test_size"),
    [
        (10_000, "hold-out", 0.1),  # validation holds 900 minority rows
        (1_200, "hold-out", 0.1),  # 108
        (600, "cv", 0.1),  # 54 would be too few; the test split holds 60
        (300, "cv", 0.17),  # the test split grows to hold 50
        (150, "nested", None),  # a quarter would hold 38: every row is tested once
        (20, "nested", None),
    ],
)
def test_the_scheme_follows_the_minority_count(n, kind, test_size):
    scheme = _choose(n)
    assert (scheme.kind, scheme.test_size) == (kind, test_size)
    assert scheme.why and scheme.describe()


def test_repeats_give_about_a_hundred_minority_validation_predictions():
    assert _choose(20).repeats == 2  # 16 outside each outer fold x 5 = 80 per repeat
    assert _choose(150).repeats == 1
    assert _choose(20, cv=False).repeats == 1


def test_cv_can_be_forced_and_refused():
    assert _choose(10_000, cv=3).kind == "cv" and _choose(10_000, cv=3).folds == 3
    assert _choose(30, cv=False).kind == "hold-out"


def test_too_few_minority_rows_name_the_folds_that_would_do():
    with pytest.raises(LabelError, match=r"has 19 rows; .* at least 20 .* --cv 4 \(cv=4\)"):
        _choose(19)
    with pytest.raises(LabelError, match="collect more minority rows"):
        _choose(7)


def _codes(n_major: int, n_minor: int, seed: int = 0) -> np.ndarray:
    codes = np.r_[np.zeros(n_major, dtype=np.intp), np.ones(n_minor, dtype=np.intp)]
    return np.random.default_rng(seed).permutation(codes)


def test_cv_folds_partition_the_rows_outside_the_test_split():
    codes = _codes(5_000, 300)
    scheme = _choose(300)
    holdout = split_positions(codes, 2, validation_size=0.0, test_size=scheme.test_size, seed=1)
    folds = draws(scheme, codes, seed=1, holdout=holdout)
    assert len(folds) == scheme.n_draws == 5
    rest = np.setdiff1d(np.arange(codes.size), holdout[2])
    assert np.array_equal(np.sort(np.concatenate([f.val_pos for f in folds])), rest)
    minority = [np.count_nonzero(codes[f.val_pos]) for f in folds]
    assert max(minority) - min(minority) <= 1  # stratified
    for f in folds:
        assert np.array_equal(f.test_pos, holdout[2])
        assert not np.intersect1d(f.train_pos, f.val_pos).size
        assert np.array_equal(np.union1d(f.train_pos, f.val_pos), rest)


def test_nested_folds_test_every_row_once_and_never_train_on_it():
    codes = _codes(2_000, 60)
    scheme = _choose(60)
    folds = draws(scheme, codes, seed=0, holdout=None)
    assert len(folds) == 25
    tests = {f.fold // 5: f.test_pos for f in folds}
    assert np.array_equal(np.sort(np.concatenate(list(tests.values()))), np.arange(codes.size))
    for f in folds:
        assert not np.intersect1d(f.train_pos, f.test_pos).size
        assert not np.intersect1d(f.val_pos, f.test_pos).size
        assert not np.intersect1d(f.train_pos, f.val_pos).size
    again = draws(scheme, codes, seed=0, holdout=None)
    assert all(np.array_equal(a.val_pos, b.val_pos) for a, b in zip(folds, again, strict=True))
