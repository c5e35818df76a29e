"""The sweep's arguments, checked once, and the work they ask for.

:meth:`Arguments.check` turns what the user passed into one canonical form (or raises one
clear error); :meth:`Arguments.configs` and :meth:`Arguments.convergence_keys` list the
configurations and the convergence runs to measure. Which corrections exist, and what
each asks of training, is the corrections registry's to say (:mod:`upweight._correct`).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from .._correct import CORRECTIONS, correction
from .._exceptions import InputError, PlanError, UpweightWarning
from .._labels import python_label
from .._plan import check_factor
from .._random import SEED_LIMIT, check_seed
from .._types import Label
from .._validation import positive_int
from ._folds import MAX_AUTO_REPEATS
from ._keys import Config, ConvergenceKey
from ._models import Model, check_model

__all__ = ["COSTS", "DEFAULT_FACTORS", "Arguments"]

DEFAULT_FACTORS: tuple[float, ...] = (1, 2, 5, 10, 25, 50, 100)
#: What "cheapest" means: the least fit time (ties broken by rows), or the fewest rows.
COSTS = ("time", "rows")


def _check_factors(factors: Any) -> tuple[list[float], dict[float, dict[Label, float]]]:
    """The factors k, sorted; and the per-class ones, by their k (their largest factor).

    An element may be a number (every class larger than the smallest, capped at it) or a
    mapping ``{class: factor}`` (those classes by those factors, the others whole). Two
    elements may not share a k: it names the configuration.
    """
    if isinstance(factors, numbers.Real | Mapping):
        factors = [factors]
    values = list(factors) if factors is not None else []
    if not values:
        raise PlanError("factors is empty; give at least one factor >= 1, e.g. 1,10,25")
    plain: set[float] = set()
    per_class: dict[float, dict[Label, float]] = {}
    for value in values:
        if isinstance(value, Mapping):
            if not value:
                raise PlanError("a per-class factor is empty; give {class: factor, ...}")
            mapping = {
                python_label(c): check_factor(f, what=f"factor of class {c!r}")
                for c, f in value.items()
            }
            k = max(mapping.values())
        else:
            k, mapping = check_factor(value), None
        if k in per_class or (mapping is not None and k in plain):
            raise PlanError(
                f"two factors share k = {k:g} (a per-class factor's k is its largest factor); "
                "give each a different largest factor"
            )
        if mapping is None:
            plain.add(k)
        else:
            per_class[k] = mapping
    return sorted(plain | set(per_class)), per_class


def _check_upweights(upweights: Any) -> list[float | None]:
    """None in the result stands for "the factor itself"."""
    if upweights is None:
        return [None]
    if isinstance(upweights, numbers.Real | str):
        upweights = [upweights]
    out: list[float | None] = []
    for value in upweights:
        if value in ("factor", "k"):
            out.append(None)
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not (math.isfinite(float(value)) and float(value) > 0)
        ):
            raise PlanError(f"upweights must be positive numbers or 'factor'; got {value!r}")
        out.append(float(value))
    if not out:
        raise PlanError("upweights is empty; leave it out to upweight by the factor")
    return list(dict.fromkeys(out))


def _check_corrections(corrections: Any) -> list[str]:
    if isinstance(corrections, str):
        corrections = [corrections]
    values = list(dict.fromkeys(corrections or []))
    if not values:
        raise PlanError(f"corrections is empty; pick from {', '.join(CORRECTIONS)}")
    for name in values:
        correction(name)  # one of the registry's names, or PlanError naming them
    return values


def _warn_unused_upweights(
    given: Any, upweights: list[float | None], corrections: list[str]
) -> None:
    """Warn when upweights were given but no correction trains with weights to use them."""
    if given is None or upweights == [None]:
        return  # the default: the factor itself
    if any(correction(name).trains_weighted for name in corrections):
        return
    values = ", ".join("factor" if u is None else f"{u:g}" for u in upweights)
    warnings.warn(
        f"upweights {values} are not used: only the upweight correction trains with "
        f"weights, and the corrections are {', '.join(corrections)}; add upweight to the "
        "corrections (--corrections) or leave the upweights (--upweights) out",
        UpweightWarning,
        stacklevel=4,  # where upweight.sweep was called
    )


LEARNERS: tuple[str, ...] = ("sgd", "torch")


def _check_convergence(value: Any) -> tuple[bool, tuple[str, ...]]:
    """(automatic, learners): ``"auto"``, True, False, or learner names (``"sgd,torch"``).

    ``"auto"`` measures the SGD learner when that costs at most about a quarter of the
    sweep; True always; learner names always, those learners (PyTorch needs its extra).
    """
    if isinstance(value, bool):
        return False, ("sgd",) if value else ()
    if value == "auto":
        return True, ("sgd",)
    names = value.split(",") if isinstance(value, str) else value
    try:
        learners = tuple(dict.fromkeys(str(n).strip() for n in names))
    except TypeError:
        learners = ()
    if not learners or any(n not in LEARNERS for n in learners):
        raise InputError(
            f"convergence must be 'auto', True, False, or learners among {', '.join(LEARNERS)} "
            f"(e.g. 'sgd,torch'); got {value!r}"
        )
    if "torch" in learners:
        from ._convergence import torch_available

        if not torch_available():
            from .._exceptions import MissingExtraError

            raise MissingExtraError(
                "convergence learner 'torch' needs PyTorch, which is not installed: "
                "pip install 'upweight[torch]'"
            )
    return False, learners


def _check_cv(value: Any) -> int | bool | None:
    """None (choose), False (never), True (K = 5) or K >= 2 folds."""
    if value is None or isinstance(value, bool):
        return value
    if not isinstance(value, numbers.Integral) or not 2 <= int(value) <= 20:
        raise InputError(
            f"cv must be a number of folds from 2 to 20, True, False or None; got {value!r}"
        )
    return int(value)


def _check_share(value: Any, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 < float(value) < 0.5
    ):
        raise InputError(f"{name} must be a share of the rows in (0, 0.5); got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Arguments:
    """The sweep's arguments in canonical form (see :func:`upweight.sweep`).

    ``upweights`` holds None for "the factor itself"; the other fields are as documented
    there, checked.
    """

    factors: list[float]
    class_factors: dict[float, dict[Label, float]]
    default_factors: bool
    upweights: list[float | None]
    corrections: list[str]
    model: Model
    repeats: int | None
    seed: int
    validation_size: float
    test_size: float | None
    cv: int | bool | None
    cost: str
    tolerance: float
    precision: float
    batch_size: int
    convergence: bool
    convergence_auto: bool
    learners: tuple[str, ...]
    convergence_batches: int
    overwrite: bool
    report: bool

    #: The keyword arguments of :meth:`check`: those of :func:`upweight.sweep` it checks.
    NAMES: ClassVar[tuple[str, ...]] = (
        "factors",
        "upweights",
        "corrections",
        "model",
        "repeats",
        "seed",
        "validation_size",
        "test_size",
        "cv",
        "cost",
        "tolerance",
        "precision",
        "batch_size",
        "convergence",
        "convergence_batches",
        "overwrite",
        "report",
    )

    @classmethod
    def check(
        cls,
        *,
        factors: Iterable[float | Mapping[Any, float]] = DEFAULT_FACTORS,
        upweights: Iterable[float | str] | None = None,
        corrections: Sequence[str] = tuple(CORRECTIONS),
        model: Any = "logreg",
        repeats: int | None = None,
        seed: int = 0,
        validation_size: float = 0.1,
        test_size: float | None = None,
        cv: int | bool | None = None,
        cost: str = "time",
        tolerance: float = 0.01,
        precision: float = 0.5,
        batch_size: int = 32,
        convergence: bool | str | Sequence[str] = "auto",
        convergence_batches: int = 400,
        overwrite: bool = False,
        report: bool = True,
    ) -> Arguments:
        """Check every argument, in the order of the signature; one clear error otherwise."""
        factor_list, class_factors = _check_factors(factors)
        upweight_list = _check_upweights(upweights)
        correction_list = _check_corrections(corrections)
        _warn_unused_upweights(upweights, upweight_list, correction_list)
        checked_model = check_model(model)
        if not checked_model.accepts_weights() and any(
            correction(name).trains_weighted for name in correction_list
        ):
            raise InputError(
                f"model {type(model).__name__}'s fit takes no sample_weight, which the upweight "
                "correction trains with; choose another model, or corrections offset,none "
                "(--corrections offset,none)"
            )
        auto, learners = _check_convergence(convergence)
        if repeats is not None:
            repeats = positive_int(repeats, "repeats", InputError)
        batch_size = positive_int(batch_size, "batch_size", InputError)
        convergence_batches = positive_int(convergence_batches, "convergence_batches", InputError)
        validation_size = _check_share(validation_size, "validation_size")
        if test_size is not None:
            test_size = _check_share(test_size, "test_size")
        cv = _check_cv(cv)
        if cost not in COSTS:
            raise InputError(f"cost must be one of {', '.join(COSTS)}; got {cost!r}")
        if not isinstance(tolerance, numbers.Real) or not 0 <= float(tolerance) < 1:
            raise InputError(f"tolerance must be a relative tolerance in [0, 1); got {tolerance!r}")
        if not isinstance(precision, numbers.Real) or not 0 < float(precision) < 1:
            raise InputError(f"precision must be in (0, 1); got {precision!r}")
        seed = check_seed(seed)
        if seed + (repeats or MAX_AUTO_REPEATS) > SEED_LIMIT:  # repeat r: seed + r
            raise InputError(
                f"seed + repeats must stay below 2**64 (repeat r draws with seed + r); got seed "
                f"{seed:,} and {repeats or MAX_AUTO_REPEATS} repeat(s)"
            )
        return cls(
            factors=factor_list,
            class_factors=class_factors,
            default_factors=factors is DEFAULT_FACTORS,
            upweights=upweight_list,
            corrections=correction_list,
            model=checked_model,
            repeats=repeats,
            seed=seed,
            validation_size=validation_size,
            test_size=test_size,
            cv=cv,
            cost=cost,
            tolerance=float(tolerance),
            precision=float(precision),
            batch_size=batch_size,
            convergence=bool(learners),
            convergence_auto=auto,
            learners=learners,
            convergence_batches=convergence_batches,
            overwrite=overwrite,
            report=report,
        )

    def configs(
        self, factors: Sequence[float] | None = None, draws: Sequence[tuple[int, int | None]] = ()
    ) -> list[Config]:
        """Every configuration: draw x factor x correction (x upweight, if weighted).

        ``draws`` are the (repeat, fold) pairs of the scheme (fold None for hold-out), by
        default one per repeat; ``factors`` those the sweep runs (by default all given).
        A correction that trains with weights gets one configuration per upweight (the
        factor itself where the upweight is "factor"); the others train without weights.
        """
        out = []
        pairs = list(draws) or [(r, None) for r in range(self.repeats or 1)]
        for r, fold in pairs:
            for k in self.factors if factors is None else factors:
                for name in self.corrections:
                    if correction(name).trains_weighted:
                        out += [
                            Config(self.model.key, k, k if u is None else u, name, r, fold)
                            for u in self.upweights
                        ]
                    else:
                        out.append(Config(self.model.key, k, None, name, r, fold))
        return list(dict.fromkeys(out))  # an upweight equal to k is "factor" too: once

    def convergence_keys(
        self, learners: Sequence[str], factors: Sequence[float] | None = None
    ) -> list[ConvergenceKey]:
        """Every convergence run: learner x factor x correction.

        The corrections that train weighted or rescale are measured; only when the sweep
        has none of them is a correction that does neither.
        """
        doing = [
            name
            for name in self.corrections
            if correction(name).trains_weighted or correction(name).rescales is not None
        ]
        names = doing or [c for c in self.corrections if c not in doing]
        return [
            ConvergenceKey(learner, k, name)
            for learner in learners
            for k in (self.factors if factors is None else factors)
            for name in names
        ]
