"""Binary data sets shaped like users' data, built from scikit-learn's bundled sets.

Nothing is downloaded: every set starts from ``load_breast_cancer``, ``load_digits``,
``load_wine``, ``load_iris``, ``load_diabetes`` or ``make_classification``, and is then
made as awkward as real tables are: raw unscaled features, a minority of 20 to 2,000
rows, text columns with a rare value, 5-10 % missing values in some columns, an ID
column (listed in ``drop``), labels as strings, booleans or 0/1. Every builder is seeded:
the same table on every run.

:data:`SETS` maps a name to ``RealSet(build, label, drop, description)``; ``build()``
returns a pandas DataFrame holding the label column.

    python benchmarks/_real_sets.py   # prints the sets' shapes
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))


class RealSet(NamedTuple):
    """A data set: its builder, label column, columns to drop, and what it is."""

    build: Callable[[], pd.DataFrame]
    label: str
    drop: Sequence[str]
    description: str


# -- corruptions, each one seeded by the caller's generator --------------------------------


def _keep_minority(
    frame: pd.DataFrame, positive: pd.Series, n: int, rng: np.random.Generator
) -> pd.DataFrame:
    """All rows where ``positive`` is False and ``n`` of the others, in a shuffled order."""
    pos = np.flatnonzero(positive.to_numpy())
    neg = np.flatnonzero(~positive.to_numpy())
    keep = np.concatenate([neg, rng.choice(pos, size=n, replace=False)])
    return frame.iloc[rng.permutation(keep)].reset_index(drop=True)


def _copies(
    X: np.ndarray, copies: int, rng: np.random.Generator, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """``copies`` noisy copies of every row (noise in units of each column's spread)."""
    spread = X.std(axis=0)
    repeated = np.tile(X, (copies, 1))
    jitter = rng.normal(0.0, noise, repeated.shape) * spread
    return repeated + jitter, np.tile(np.arange(len(X)), copies)


def _add_id(frame: pd.DataFrame, rng: np.random.Generator, *, text: bool = False) -> None:
    """A unique ID column in front: large integers, or strings such as ``C0012345``."""
    ids = rng.choice(10_000_000, size=len(frame), replace=False)
    frame.insert(0, "id", [f"C{i:07d}" for i in ids] if text else ids)


def _add_nan(
    frame: pd.DataFrame, columns: Sequence[str], share: float, rng: np.random.Generator
) -> None:
    """Blank out about ``share`` of the values of each of ``columns``."""
    for name in columns:
        values = frame[name].to_numpy(dtype=float).copy()
        values[rng.random(values.size) < share] = np.nan
        frame[name] = values


def _add_text(
    frame: pd.DataFrame,
    name: str,
    values: Sequence[str],
    rng: np.random.Generator,
    *,
    rare: str | None = None,
    rare_rows: int = 3,
) -> None:
    """A text column drawn from ``values``; ``rare`` on ``rare_rows`` rows only."""
    column = rng.choice(np.asarray(values, dtype=object), size=len(frame))
    if rare is not None:
        column[rng.choice(len(frame), size=rare_rows, replace=False)] = rare
    frame[name] = column


def _raw_scales(X: np.ndarray, rng: np.random.Generator, decades: float = 3) -> np.ndarray:
    """Each column on its own scale (x 1 to 10**decades) and with its own offset."""
    scale = 10 ** rng.uniform(0, decades, X.shape[1])
    return X * scale + rng.uniform(-50, 500, X.shape[1]) * scale / 10


# -- breast cancer: 357 benign, 212 malignant (subsampled), 30 raw features ---------------


def _cancer(n_malignant: int, seed: int) -> tuple[pd.DataFrame, pd.Series, np.random.Generator]:
    from sklearn.datasets import load_breast_cancer

    rng = np.random.default_rng(seed)
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.copy()
    frame = _keep_minority(frame, frame["target"] == 0, n_malignant, rng)
    return frame, frame.pop("target") == 0, rng


def cancer_25() -> pd.DataFrame:
    frame, malignant, rng = _cancer(25, 1)
    _add_id(frame, rng)
    frame["diagnosis"] = np.where(malignant, "M", "B")
    return frame


def cancer_50_nan() -> pd.DataFrame:
    frame, malignant, rng = _cancer(50, 2)
    _add_nan(frame, ["mean concavity", "worst area", "texture error", "worst symmetry"], 0.08, rng)
    _add_id(frame, rng, text=True)
    frame["malignant"] = malignant.astype(int)
    return frame


def cancer_80_text() -> pd.DataFrame:
    frame, malignant, rng = _cancer(80, 3)
    _add_text(frame, "clinic", ["north", "south", "east", "west", "central"], rng, rare="mobile")
    _add_text(frame, "scanner", ["GE", "Siemens"], rng)
    _add_id(frame, rng)
    frame["target"] = malignant.astype(int)
    return frame


def cancer_wide_100() -> pd.DataFrame:
    frame, malignant, rng = _cancer(100, 4)
    noise = _raw_scales(rng.normal(size=(len(frame), 270)), rng, decades=4)
    extra = pd.DataFrame(noise, columns=[f"assay_{j:03d}" for j in range(270)])
    frame = pd.concat([frame, extra], axis=1)
    _add_id(frame, rng)
    frame["malignant"] = malignant
    return frame


# -- digits: 1,797 8x8 images, pixels 0-16 (several always 0), one digit vs the rest ------


def _digits(copies: int, noise: float, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(seed)
    data = load_digits()
    X, y = data.data, data.target
    if copies > 1:
        X, rows = _copies(X, copies, rng, 0.0)
        X = np.clip(np.rint(X + rng.normal(0.0, noise, X.shape)), 0, 16)
        y = y[rows]
    frame = pd.DataFrame(X, columns=[f"px{j:02d}" for j in range(X.shape[1])])
    return frame, y


def digits_0_30() -> pd.DataFrame:
    frame, digit = _digits(1, 0.0, 5)
    rng = np.random.default_rng(5)
    frame["is_zero"] = (digit == 0).astype(int)
    frame = _keep_minority(frame, frame["is_zero"] == 1, 30, rng)
    _add_id(frame, rng)
    return frame


def digits_1_100_nan() -> pd.DataFrame:
    frame, digit = _digits(1, 0.0, 6)
    rng = np.random.default_rng(6)
    frame["label"] = np.where(digit == 1, "one", "other")
    frame = _keep_minority(frame, frame["label"] == "one", 100, rng)
    _add_nan(frame, [f"px{j:02d}" for j in (10, 19, 20, 27, 28, 35, 36, 43, 44, 53)], 0.06, rng)
    _add_text(frame, "batch", ["2019", "2020", "2021"], rng, rare="1998")
    _add_id(frame, rng, text=True)
    return frame


def digits_8_400() -> pd.DataFrame:
    frame, digit = _digits(12, 2.0, 7)
    rng = np.random.default_rng(7)
    frame["is_eight"] = digit == 8
    frame = _keep_minority(frame, frame["is_eight"], 400, rng)
    _add_id(frame, rng)
    return frame


def digits_9_2000() -> pd.DataFrame:
    frame, digit = _digits(20, 2.5, 8)
    rng = np.random.default_rng(8)
    frame["target"] = (digit == 9).astype(int)
    frame = _keep_minority(frame, frame["target"] == 1, 2_000, rng)
    _add_text(frame, "source", ["form_a", "form_b", "form_c", "form_d"], rng, rare="fax")
    _add_id(frame, rng)
    return frame


# -- wine, iris, diabetes: small sets made into 1-2k rows with noisy copies ----------------


def wine_20() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    rng = np.random.default_rng(9)
    data = load_wine(as_frame=True)
    X, y = data.data.to_numpy(), data.target.to_numpy()
    others, _ = _copies(X[y != 0], 10, rng, 0.15)
    first = X[rng.choice(np.flatnonzero(y == 0), size=20, replace=False)]
    first = first + rng.normal(0.0, 0.15, first.shape) * X.std(axis=0)
    frame = pd.DataFrame(np.vstack([others, first]), columns=data.feature_names)
    frame["cultivar_a"] = np.r_[np.zeros(len(others), bool), np.ones(20, bool)]
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    _add_id(frame, rng)
    return frame


def iris_20() -> pd.DataFrame:
    from sklearn.datasets import load_iris

    rng = np.random.default_rng(10)
    data = load_iris(as_frame=True)
    X, y = data.data.to_numpy(), data.target.to_numpy()
    others, _ = _copies(X[y != 2], 15, rng, 0.1)
    virginica = X[rng.choice(np.flatnonzero(y == 2), size=20, replace=False)]
    virginica = virginica + rng.normal(0.0, 0.1, virginica.shape) * X.std(axis=0)
    frame = pd.DataFrame(np.vstack([others, virginica]), columns=data.feature_names)
    frame["species"] = ["other"] * len(others) + ["virginica"] * 20
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    _add_text(frame, "garden", ["kew", "edinburgh", "wisley"], rng, rare="private")
    return frame


def diabetes_100() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    rng = np.random.default_rng(11)
    data = load_diabetes(as_frame=True, scaled=False)
    X = data.data.to_numpy()
    Xc, rows = _copies(X, 5, rng, 0.1)
    target = data.target.to_numpy()[rows] + rng.normal(0.0, 15.0, len(rows))
    frame = pd.DataFrame(Xc, columns=data.feature_names)
    frame["age"] = np.rint(frame["age"])
    frame["sex"] = np.where(X[rows, 1] > 1.5, "M", "F")
    frame["high_progression"] = (target >= np.sort(target)[-100]).astype(int)
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    _add_nan(frame, ["s3", "s4"], 0.05, rng)
    _add_id(frame, rng, text=True)
    return frame


# -- make_classification: medium sets, 1-3 % positives, raw scales ------------------------


def _classification(
    rows: int, features: int, informative: int, weight: float, seed: int
) -> tuple[pd.DataFrame, np.ndarray, np.random.Generator]:
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=rows,
        n_features=features,
        n_informative=informative,
        n_redundant=min(5, features - informative),
        weights=[weight],
        flip_y=0.005,
        class_sep=0.8,
        random_state=seed,
    )
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(_raw_scales(X, rng), columns=[f"x{j:03d}" for j in range(features)])
    return frame, y, rng


def classif_5k_150() -> pd.DataFrame:
    frame, y, rng = _classification(5_000, 40, 8, 0.972, 12)
    _add_text(frame, "plan", ["basic", "plus", "pro"], rng, rare="legacy", rare_rows=4)
    _add_text(frame, "channel", ["web", "store", "phone", "partner"], rng)
    _add_nan(frame, ["x000", "x003", "x007", "x011", "x019"], 0.05, rng)
    _add_id(frame, rng, text=True)
    frame["churned"] = np.where(y == 1, "yes", "no")
    return frame


def classif_wide_200() -> pd.DataFrame:
    frame, y, rng = _classification(20_000, 300, 15, 0.99, 13)
    _add_id(frame, rng)
    frame["fraud"] = y
    return frame


def classif_60k_1800() -> pd.DataFrame:
    frame, y, rng = _classification(60_000, 25, 10, 0.972, 14)
    countries = ["DE", "FR", "IT", "ES", "NL", "BE", "PL", "SE"]
    _add_text(frame, "country", countries, rng, rare="LU", rare_rows=5)
    _add_nan(frame, ["x001", "x004", "x009"], 0.10, rng)
    _add_id(frame, rng)
    frame["clicked"] = y
    return frame


SETS: dict[str, RealSet] = {
    "cancer_25": RealSet(
        cancer_25, "diagnosis", ["id"], "breast cancer, 25 malignant kept, labels 'M'/'B'"
    ),
    "wine_20": RealSet(
        wine_20, "cultivar_a", ["id"], "wine cultivar A (20) vs noisy copies of B and C, bool"
    ),
    "iris_20": RealSet(
        iris_20, "species", [], "iris virginica (20) vs noisy copies, a text column"
    ),
    "digits_0_30": RealSet(
        digits_0_30, "is_zero", ["id"], "digit 0 (30) vs the rest, raw pixels, constant ones"
    ),
    "cancer_50_nan": RealSet(
        cancer_50_nan, "malignant", ["id"], "breast cancer, 50 malignant, 8 % NaN in 4 columns"
    ),
    "cancer_80_text": RealSet(
        cancer_80_text, "target", ["id"], "breast cancer, 80 malignant, 2 text columns (rare)"
    ),
    "cancer_wide_100": RealSet(
        cancer_wide_100, "malignant", ["id"], "breast cancer, 100 malignant, + 270 noise columns"
    ),
    "digits_1_100_nan": RealSet(
        digits_1_100_nan, "label", ["id"], "digit 1 (100), 6 % NaN in 10 pixels, text (rare)"
    ),
    "diabetes_100": RealSet(
        diabetes_100, "high_progression", ["id"], "diabetes (raw) x5 noisy, top 100 targets"
    ),
    "classif_5k_150": RealSet(
        classif_5k_150, "churned", ["id"], "make_classification 5k x 40, text, 5 % NaN"
    ),
    "classif_wide_200": RealSet(
        classif_wide_200, "fraud", ["id"], "make_classification 20k x 300, 1 %, raw scales"
    ),
    "digits_8_400": RealSet(
        digits_8_400, "is_eight", ["id"], "digits x12 with pixel noise, 8 (400) vs the rest"
    ),
    "digits_9_2000": RealSet(
        digits_9_2000, "target", ["id"], "digits x20 with pixel noise, 9 (2,000), a text column"
    ),
    "classif_60k_1800": RealSet(
        classif_60k_1800, "clicked", ["id"], "make_classification 60k x 25, text, 10 % NaN"
    ),
}


def shape(name: str, frame: pd.DataFrame) -> tuple[int, int, int]:
    """Rows, minority rows and feature columns (label and ``drop`` not counted)."""
    entry = SETS[name]
    counts = frame[entry.label].value_counts()
    return len(frame), int(counts.min()), frame.shape[1] - 1 - len(entry.drop)


if __name__ == "__main__":
    from _common import markdown

    rows = []
    for name, entry in SETS.items():
        frame = entry.build()
        n, minority, columns = shape(name, frame)
        rows.append([name, f"{n:,}", f"{minority:,}", columns, entry.description])
    print(markdown(["set", "rows", "minority", "columns", "description"], rows))
