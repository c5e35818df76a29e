"""The models a sweep can train, made fresh for every fit."""

from __future__ import annotations

import importlib.util
from typing import Any

from .._exceptions import InputError, MissingExtraError
from .._random import library_seed
from .._validation import requires

__all__ = ["DETERMINISTIC", "HANDLES_MISSING", "MODELS", "check_model", "make_model", "model_name"]

MODELS: tuple[str, ...] = ("logreg", "hgb", "sgd", "lightgbm", "xgboost")

#: Models whose fit depends only on the rows and weights (no random_state in play).
DETERMINISTIC: frozenset[str] = frozenset({"logreg"})

#: Models that fit NaN features as missing values, natively.
HANDLES_MISSING: frozenset[str] = frozenset({"hgb", "lightgbm", "xgboost"})

_NAMES = {
    "logreg": "logistic regression",
    "hgb": "histogram gradient boosting",
    "sgd": "SGD logistic regression",
    "lightgbm": "LightGBM",
    "xgboost": "XGBoost",
}

_EXTRA_MODULES = {"lightgbm": "lightgbm", "xgboost": "xgboost"}


def model_name(model: str) -> str:
    """Words for a model key, for tables and reports."""
    return _NAMES[model]


def _needs(model: str) -> str:
    """What an extra model needs, as :func:`~upweight._validation.requires` words it."""
    return f"model {model!r} needs {_NAMES[model]}, which"


def _framework(model: str) -> Any:
    """The module of an extra model's framework, or MissingExtraError naming the extra."""
    return requires(_EXTRA_MODULES[model], model, what=_needs(model))


def check_model(model: Any) -> str:
    """``model`` if known and installed; otherwise one clear error.

    Whether an extra model's framework is installed is looked up without importing it
    (:func:`make_model` imports it, through :func:`~upweight._validation.requires`).
    """
    if model not in MODELS:
        raise InputError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    module = _EXTRA_MODULES.get(model)
    if module is not None and importlib.util.find_spec(module) is None:
        raise MissingExtraError(
            f"{_needs(model)} is not installed: pip install 'upweight[{model}]'"
        )
    return str(model)


def make_model(model: str, *, seed: int) -> Any:
    """A fresh, unfitted estimator with ``predict_proba``."""
    seed = library_seed(seed)
    if model == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=1000)
    if model == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=seed)
    if model == "sgd":
        from sklearn.linear_model import SGDClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(
            StandardScaler(), SGDClassifier(loss="log_loss", random_state=seed, tol=1e-4)
        )
    if model == "lightgbm":
        return _framework(model).LGBMClassifier(verbose=-1, random_state=seed, n_jobs=2)
    if model == "xgboost":
        return _framework(model).XGBClassifier(n_jobs=2, random_state=seed)
    raise InputError(f"model must be one of {', '.join(MODELS)}; got {model!r}")


def fit_model(estimator: Any, X: Any, y: Any, sample_weight: Any) -> Any:
    """Fit with the weights (``None`` for an unweighted fit), through a pipeline if any."""
    if sample_weight is None:
        return estimator.fit(X, y)
    steps = getattr(estimator, "steps", None)
    if steps is not None:
        return estimator.fit(X, y, **{f"{steps[-1][0]}__sample_weight": sample_weight})
    return estimator.fit(X, y, sample_weight=sample_weight)
