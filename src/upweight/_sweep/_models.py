"""The models a sweep can train, made fresh for every fit.

A :class:`Model` is either a built-in one, named by its key (``"logreg"``...), or the
user's own scikit-learn classifier (an estimator or a ``Pipeline``), cloned for every fit.
The built-in ones are scikit-learn ``Pipeline``s whose preprocessing suits real data:

- ``logreg`` and ``sgd``: numeric columns imputed (mean, with a missing-indicator) and
  standardised; text and categorical columns one-hot encoded (rare categories pooled,
  unknown ones ignored);
- ``hgb``, ``lightgbm`` and ``xgboost``: NaN as it is; categorical columns ordinal-encoded
  and declared categorical to the booster (native categorical splits).

Every step is fitted on the configuration's training rows only. Weights go to the final
step (:func:`fit_model`).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .._exceptions import InputError, MissingExtraError
from .._random import library_seed
from .._validation import requires
from ._columns import Columns

__all__ = [
    "MODELS",
    "Model",
    "check_model",
    "describe",
    "estimator_text",
    "fit_model",
    "load_model",
    "model_name",
]

MODELS: tuple[str, ...] = ("logreg", "hgb", "sgd", "lightgbm", "xgboost")

#: Built-in models whose fit depends only on the rows and weights (no random_state).
_DETERMINISTIC: frozenset[str] = frozenset({"logreg"})

_NAMES = {
    "logreg": "logistic regression",
    "hgb": "histogram gradient boosting",
    "sgd": "SGD logistic regression",
    "lightgbm": "LightGBM",
    "xgboost": "XGBoost",
}

_EXTRA_MODULES = {"lightgbm": "lightgbm", "xgboost": "xgboost"}

#: Categories rarer than this (rows of the training split) are pooled by the one-hot
#: encoding of the linear models; the boosters keep at most 250 per column.
_MIN_FREQUENCY = 5
_MAX_CATEGORIES = 250


def model_name(model: str) -> str:
    """Words for a model key, for tables and reports (a user's model: its description)."""
    return _NAMES.get(model, model)


def describe(estimator: Any, width: int = 120) -> str:
    """An estimator's ``repr`` on one line, shortened to ``width`` characters."""
    text = " ".join(repr(estimator).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def estimator_text(model: Model, columns: Columns) -> str:
    """The estimator a configuration trains, as ``describe`` words it (built-in: as made)."""
    if not model.builtin:
        return model.description
    return describe(model.make(columns, seed=0)[0], 1000)


def _needs(model: str) -> str:
    """What an extra model needs, as :func:`~upweight._validation.requires` words it."""
    return f"model {model!r} needs {_NAMES[model]}, which"


@dataclass(frozen=True)
class Model:
    """What the sweep trains: a built-in model's key, or the user's estimator.

    Attributes
    ----------
    key : str
        A file-name-safe name: the built-in key, or the user's class name with a digest
        of its parameters (so that stored runs of other parameters are never reused).
    name : str
        Words for tables and reports.
    description : str
        The estimator, shortened (the built-in model as it is made).
    estimator : estimator or None
        The user's estimator (cloned for each fit); None for a built-in model.
    """

    key: str
    name: str
    description: str
    estimator: Any = field(default=None, compare=False)

    @property
    def label(self) -> str:
        """A short name for messages: the built-in key, or the estimator's class."""
        return self.key if self.builtin else type(self.estimator).__name__

    @property
    def builtin(self) -> bool:
        """Whether this is one of :data:`MODELS`."""
        return self.estimator is None

    @property
    def deterministic(self) -> bool:
        """Whether the fit depends on the rows and weights only (no seed to vary)."""
        return self.key in _DETERMINISTIC

    @property
    def wants_frame(self) -> bool:
        """Whether the model takes a DataFrame even when every column is numeric.

        A user's model does, when the data has column names: its own preprocessing may
        select columns by name.
        """
        return not self.builtin

    def make(
        self, columns: Columns, *, seed: int, sparse: bool = False
    ) -> tuple[Any, dict[str, Any]]:
        """A fresh, unfitted estimator for ``columns``, and its extra fit parameters."""
        if not self.builtin:
            from sklearn.base import clone

            return clone(self.estimator), {}
        return _builtin(self.key, columns, seed=library_seed(seed), sparse=sparse)

    def accepts_weights(self) -> bool:
        """Whether the final step's ``fit`` takes ``sample_weight``."""
        if self.builtin:
            return True
        return _final_takes_weights(self.estimator)


def _final_path(estimator: Any) -> tuple[str, Any]:
    """The final estimator of (nested) pipelines, and the ``a__b__`` prefix that reaches it."""
    prefix = ""
    steps = getattr(estimator, "steps", None)
    while steps:
        prefix += f"{steps[-1][0]}__"
        estimator = steps[-1][1]
        steps = getattr(estimator, "steps", None)
    return prefix, estimator


def _final_step(estimator: Any) -> Any:
    return _final_path(estimator)[1]


def _final_takes_weights(estimator: Any) -> bool:
    """Whether the final step's ``fit`` takes ``sample_weight``, by name or ``**fit_params``.

    (GridSearchCV, VotingClassifier and StackingClassifier pass it on through the latter.)
    """
    import inspect

    final = _final_step(estimator)
    try:
        parameters = inspect.signature(final.fit).parameters.values()
    except (TypeError, ValueError, AttributeError):
        return False
    return any(
        p.name == "sample_weight" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters
    )


def _predicts_proba(final: Any) -> bool:
    """Whether ``final`` predicts probabilities, or will once fitted.

    A meta-estimator's ``predict_proba`` may exist only once fitted (StackingClassifier:
    its final estimator's); an SVC's only with ``probability=True``.
    """
    if hasattr(final, "predict_proba"):
        return True
    if "probability" in getattr(final, "get_params", dict)():  # SVC without probability=True
        return False
    return "predict_proba" in dir(type(final))


def check_model(model: Any) -> Model:
    """The :class:`Model` for ``model``: a built-in key, or the user's classifier.

    One clear error for an unknown key, a framework not installed, an estimator that is
    not a classifier or has no ``predict_proba``.
    """
    if isinstance(model, str):
        if model not in MODELS:
            raise InputError(
                f"model must be one of {', '.join(MODELS)}, or a scikit-learn classifier "
                f"(on the command line: --model package.module:Class); got {model!r}"
            )
        module = _EXTRA_MODULES.get(model)
        if module is not None and importlib.util.find_spec(module) is None:
            raise MissingExtraError(
                f"{_needs(model)} is not installed: pip install 'upweight[{model}]'"
            )
        return Model(model, _NAMES[model], _NAMES[model])
    return _user_model(model)


def _user_model(estimator: Any) -> Model:
    from sklearn.base import is_classifier

    kind = type(estimator).__name__
    if isinstance(estimator, type):
        raise InputError(
            f"model is the class {estimator.__name__}; pass an instance: "
            f"model={estimator.__name__}()"
        )
    if not hasattr(estimator, "fit") or not hasattr(estimator, "get_params"):
        raise InputError(
            f"model must be a scikit-learn classifier (with fit, get_params and "
            f"predict_proba); got {kind}"
        )
    if not is_classifier(estimator):
        raise InputError(
            f"model {kind} is not a classifier (scikit-learn's is_classifier says no); the "
            "sweep measures probabilities: pass a classifier, or a Pipeline ending in one"
        )
    if not _predicts_proba(_final_step(estimator)):
        raise InputError(
            f"model {kind} has no predict_proba; the sweep measures probabilities: pass a "
            "classifier that predicts them (for SVC: probability=True)"
        )
    description = describe(estimator)
    digest = _digest(estimator)
    safe = re.sub(r"[^a-z0-9]+", "", kind.lower())[:40] or "model"
    return Model(f"{safe}.{digest}", describe(estimator, 60), description, estimator)


def _digest(estimator: Any) -> str:
    """A digest of every parameter, nested ones included (``repr`` shortens long lists).

    joblib's hash of the parameters (what scikit-learn's own caching uses); when they
    cannot be pickled (a lambda), their plain ``repr``.
    """
    params = estimator.get_params(deep=True)
    try:
        import joblib

        return str(joblib.hash((type(estimator).__qualname__, params)))[:16]
    except Exception:  # joblib pickles the values: a lambda, a lock, a file handle...
        text = repr(sorted((k, repr(v)) for k, v in params.items()))
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def load_model(path: str, params: str | None = None) -> Any:
    """The estimator ``package.module:Class`` made with ``params`` (a JSON object).

    One clear error for a path that does not import, a name that is not there, JSON that
    does not parse or is not an object, parameters the class rejects.
    """
    found = re.fullmatch(r"([A-Za-z_][\w.]*):([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)", path)
    if not found:
        raise InputError(
            f"--model takes a built-in name ({', '.join(MODELS)}) or package.module:Class "
            f"(e.g. sklearn.ensemble:RandomForestClassifier); got {path!r}"
        )
    module_name, attr = found.groups()
    kwargs: dict[str, Any] = {}
    if params is not None:
        try:
            kwargs = json.loads(params)
        except ValueError as exc:
            raise InputError(
                f"--model-params must be a JSON object such as '{{\"n_estimators\": 200}}'; {exc}"
            ) from None
        if not isinstance(kwargs, dict):
            raise InputError(
                "--model-params must be a JSON object such as '{\"n_estimators\": 200}'; "
                f"got {type(kwargs).__name__}"
            )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(
            f"--model {path}: could not import {module_name} ({exc}); check the name, or "
            "install the package"
        ) from None
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            raise InputError(f"--model {path}: {module_name} has no {attr}; check the name")
        target = getattr(target, part)
    if not isinstance(target, type):  # never call another kind of callable (os:system)
        raise InputError(f"--model {path} is not a class; name an estimator class")
    try:
        return target(**kwargs)
    except Exception as exc:  # the class's own words for parameters it rejects
        raise InputError(
            f"--model-params rejected by {attr}: {type(exc).__name__}: {exc}"
        ) from None


def fit_model(
    estimator: Any, X: Any, y: Any, sample_weight: Any, fit_params: dict[str, Any] | None = None
) -> Any:
    """Fit with the weights (``None``: unweighted) and ``fit_params``, for the final step.

    Through (nested) pipelines by ``step__name``; with scikit-learn's metadata routing on,
    by requests instead (:func:`_request`).
    """
    params = dict(fit_params or {})
    if sample_weight is not None:
        params["sample_weight"] = sample_weight
    if not params:
        return estimator.fit(X, y)
    if _routing():
        _request(estimator, list(params))
        return estimator.fit(X, y, **params)
    prefix, _ = _final_path(estimator)
    return estimator.fit(X, y, **{prefix + name: value for name, value in params.items()})


def _routing() -> bool:
    """Whether scikit-learn's metadata routing is on (``set_config``)."""
    from sklearn import get_config

    return bool(get_config().get("enable_metadata_routing", False))


def _request(estimator: Any, names: list[str]) -> None:
    """With metadata routing on: ``names`` (the weights...) go to the final step only.

    Routing refuses ``step__sample_weight``, and a step that could take weights but was
    not told either way refuses them too: the steps before the final one are told no;
    the final one, and what it holds (a meta-estimator's estimator), yes. ``estimator`` is
    a fresh clone: the user's own is untouched.
    """
    steps = getattr(estimator, "steps", None)
    if not steps:
        _set_requests(estimator, names, True)
        return
    for _, step in steps[:-1]:
        _set_requests(step, names, False)
    _request(steps[-1][1], names)


def _set_requests(part: Any, names: list[str], value: bool) -> None:
    """Tell ``part`` and everything in it to take (or not) each of ``names`` it can take."""
    from sklearn.utils.validation import has_fit_parameter

    inside = part.get_params(deep=True).values() if hasattr(part, "get_params") else []
    for obj in [part, *inside]:
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            wanted = {n: value for n in names if has_fit_parameter(obj, n)}
            if wanted and hasattr(obj, "set_fit_request"):
                obj.set_fit_request(**wanted)
            # a search scores unweighted, as without routing (the weights are for fitting)
            if "sample_weight" in names and hasattr(obj, "set_score_request"):
                obj.set_score_request(sample_weight=False)


# -- the built-in models ---------------------------------------------------------------------
def _linear_preprocessing(columns: Columns, *, sparse: bool) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if sparse:  # centring would make the matrix dense
        return make_pipeline(
            SimpleImputer(strategy="mean", add_indicator=True), StandardScaler(with_mean=False)
        )
    numeric = make_pipeline(SimpleImputer(strategy="mean", add_indicator=True), StandardScaler())
    if columns.all_numeric:
        return numeric
    encode = OneHotEncoder(
        handle_unknown="infrequent_if_exist",
        min_frequency=_MIN_FREQUENCY,
        max_categories=_MAX_CATEGORIES,
    )
    parts: list[tuple[str, Any, Sequence[str]]] = [("categorical", encode, columns.categorical)]
    if columns.numeric:
        parts.insert(0, ("numeric", numeric, columns.numeric))
    return ColumnTransformer(parts, sparse_threshold=0.3)


def _ordinal(columns: Columns) -> Any:
    """Categorical columns first, as category codes (unknown and missing: NaN); the rest."""
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OrdinalEncoder

    encode = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        max_categories=_MAX_CATEGORIES,
    )
    return ColumnTransformer(
        [("categorical", encode, columns.categorical)], remainder="passthrough"
    )


def _builtin(key: str, columns: Columns, *, seed: int, sparse: bool) -> tuple[Any, dict[str, Any]]:
    from sklearn.pipeline import make_pipeline

    n_cat = len(columns.categorical)
    if key == "logreg":
        from sklearn.linear_model import LogisticRegression

        return make_pipeline(
            _linear_preprocessing(columns, sparse=sparse), LogisticRegression(max_iter=1000)
        ), {}
    if key == "sgd":
        from sklearn.linear_model import SGDClassifier

        return make_pipeline(
            _linear_preprocessing(columns, sparse=sparse),
            SGDClassifier(loss="log_loss", random_state=seed, tol=1e-4),
        ), {}
    if key == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        if not n_cat:
            return HistGradientBoostingClassifier(random_state=seed), {}
        booster = HistGradientBoostingClassifier(
            random_state=seed, categorical_features=list(range(n_cat))
        )
        return make_pipeline(_ordinal(columns), booster), {}
    if key == "lightgbm":
        lgbm = requires("lightgbm", key, what=_needs(key))
        classifier = lgbm.LGBMClassifier(verbose=-1, random_state=seed, n_jobs=2)
        if not n_cat:
            return classifier, {}
        pipe = make_pipeline(_ordinal(columns), classifier)
        return pipe, {"categorical_feature": list(range(n_cat))}
    if key == "xgboost":
        xgb = requires("xgboost", key, what=_needs(key))
        if not n_cat:
            return xgb.XGBClassifier(n_jobs=2, random_state=seed), {}
        types = ["c"] * n_cat + ["q"] * len(columns.numeric)
        classifier = xgb.XGBClassifier(
            n_jobs=2, random_state=seed, enable_categorical=True, feature_types=types
        )
        return make_pipeline(_ordinal(columns), classifier), {}
    raise InputError(f"model must be one of {', '.join(MODELS)}; got {key!r}")
