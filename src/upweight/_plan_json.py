"""A sampling plan as JSON and back: the format, its fields, each one checked.

:class:`PlanJSON` gives :class:`upweight.SamplingPlan` its ``to_dict``, ``to_json``,
``from_dict`` and ``from_json``; the plan itself builds the classes it reads
(``SamplingPlan._from_fields``). Nothing here computes a plan.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self

from ._counts import check_count
from ._exceptions import LabelError, PlanError
from ._labels import python_label
from ._validation import check_factor, check_upweight, is_number, shown, whole_number

if TYPE_CHECKING:
    from ._plan import ClassPlan

__all__ = [
    "CLASS_FIELDS",
    "FORMAT",
    "PLAN_FIELDS",
    "REMAKE",
    "PlanJSON",
    "check_fields",
    "check_format",
    "class_fields",
    "loads",
    "version",
]

FORMAT = "upweight.plan/1"
REMAKE = "make plans with upweight.plan and save them with SamplingPlan.to_json"
#: The fields of a plan and of each of its classes (``True``: required).
PLAN_FIELDS = dict(format=True, upweight_version=False, weight_mode=True, method=False,
                   seed=False, classes=True)  # fmt: skip
CLASS_FIELDS = dict(label=True, count=True, factor=True, keep_rate=False, kept=True,
                    weight=True)  # fmt: skip


def version() -> str:
    """The running upweight's version, written into every plan."""
    from . import __version__

    return __version__


def loads(text: Any) -> Any:
    """JSON text (or bytes in UTF-8 / 16 / 32) as plain data, or a one-line PlanError."""
    if not isinstance(text, str | bytes | bytearray):
        raise PlanError(
            f"from_json reads JSON text (str or bytes); got {type(text).__name__}"
            + ("; use SamplingPlan.from_dict for a dict" if isinstance(text, Mapping) else "")
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError(f"sampling plan is not valid JSON: {exc}") from None
    except UnicodeDecodeError as exc:
        problem = f"byte {exc.start} is not {exc.encoding}"
        raise PlanError(f"sampling plan is not JSON text ({problem}); {REMAKE}") from None
    except (ValueError, RecursionError):  # a 5,000-digit number; [[[[...]]]]
        raise PlanError(
            f"sampling plan holds a number too long or lists too deep for a plan; {REMAKE}"
        ) from None


def check_format(data: Any) -> None:
    """``data`` is a mapping of this format, or a PlanError that says what it is."""
    found = data.get("format") if isinstance(data, Mapping) else None
    if found != FORMAT:
        if isinstance(found, str) and found.startswith("upweight.plan/"):
            raise PlanError(
                f"this plan has format {shown(found)}, which upweight {version()} cannot read "
                f"(it reads {FORMAT!r}); upgrade upweight"
            )
        got = f"format {shown(found)}" if isinstance(data, Mapping) else type(data).__name__
        raise PlanError(
            f"not an upweight sampling plan (expected a JSON object with format "
            f"{FORMAT!r}; got {got}); pass what SamplingPlan.to_json wrote"
        )


def check_fields(data: Mapping[str, Any], fields: Mapping[str, bool], what: str) -> None:
    """No unknown field in ``data``, and every required one there."""
    unknown = [key for key in data if key not in fields]
    missing = [key for key, required in fields.items() if required and key not in data]
    if unknown or missing:
        found = f"unknown field(s) {unknown}" if unknown else f"no field(s) {missing}"
        raise PlanError(f"{what} has {found}; its fields are {', '.join(fields)}")


def class_fields(item: Any, index: int) -> dict[str, Any]:
    """One class of a plan read from JSON, each field checked: ClassPlan's arguments."""
    if not isinstance(item, Mapping):
        raise PlanError(f"class {index} of the sampling plan must be an object; got {shown(item)}")
    check_fields(item, CLASS_FIELDS, f"class {index} of the sampling plan")
    try:
        label = python_label(item["label"])
    except LabelError as exc:
        raise PlanError(f"class {index} of the sampling plan: {exc}") from None
    count = check_count(item["count"], f"class {label!r}: count", PlanError)
    kept = whole_number(item["kept"])
    if kept is None or not 0 <= kept <= count:
        raise PlanError(f"class {label!r}: kept must be 0 to {count}; got {shown(item['kept'])}")
    factor = check_factor(item["factor"], what=f"class {label!r}: factor")
    weight = check_upweight(item["weight"], what=f"class {label!r}: weight")
    rate = item.get("keep_rate", 1.0 / factor)
    if not is_number(rate) or not math.isclose(rate, 1.0 / factor, rel_tol=1e-9):
        raise PlanError(f"class {label!r}: keep_rate {shown(rate)} is not 1 / factor; edit factor")
    return {"label": label, "count": count, "factor": factor, "kept": kept, "weight": weight}


class PlanJSON:
    """The JSON methods of :class:`upweight.SamplingPlan`."""

    classes: tuple[ClassPlan, ...]
    weight_mode: str
    method: str | None
    seed: int | None

    @classmethod
    def _from_fields(
        cls, classes: list[dict[str, Any]], weight_mode: str, method: Any, seed: Any
    ) -> Self:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form: per class count, factor, keep rate, kept and weight.

        Returns
        -------
        dict
            JSON-serialisable; :meth:`from_dict` reads it back.

        Examples
        --------
        >>> import upweight
        >>> d = upweight.plan({0: 9_900, 1: 100}, factor=25).to_dict()
        >>> d["format"], d["weight_mode"], d["classes"][0]["kept"]
        ('upweight.plan/1', 'factor', 396)
        """
        return {
            "format": FORMAT,
            "upweight_version": version(),
            "weight_mode": self.weight_mode,
            "method": self.method,
            "seed": self.seed,
            "classes": [c.to_dict() for c in self.classes],
        }

    def to_json(self, **kwargs: Any) -> str:
        """JSON text of :meth:`to_dict` (keyword arguments go to :func:`json.dumps`).

        Examples
        --------
        >>> import upweight
        >>> upweight.plan({0: 9_900, 1: 100}, factor=25).to_json()[:27]
        '{"format": "upweight.plan/1'
        """
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read a plan written by :meth:`to_dict`, checking every field.

        Raises
        ------
        PlanError
            When ``data`` is not a plan: another format, unknown or missing fields, a label
            that is not an integer, boolean or string, counts and kept rows that are not
            whole numbers, a factor below 1, a weight not positive and finite, a seed
            outside ``[0, 2**64)``.

        Examples
        --------
        >>> import upweight
        >>> p = upweight.plan({0: 9_900, 1: 100}, factor=25)
        >>> upweight.SamplingPlan.from_dict(p.to_dict()) == p
        True
        """
        check_format(data)
        try:
            check_fields(data, PLAN_FIELDS, "the sampling plan")
            if not isinstance(data["classes"], list):
                raise PlanError(f"the plan's classes must be a list; got {shown(data['classes'])}")
            classes = [class_fields(c, i) for i, c in enumerate(data["classes"])]
            return cls._from_fields(
                classes, data["weight_mode"], data.get("method"), data.get("seed")
            )
        except PlanError as exc:
            raise PlanError(f"{exc}; {REMAKE}") from None

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Read a plan written by :meth:`to_json` (text, or bytes in UTF-8 / 16 / 32).

        Raises
        ------
        PlanError
            When ``text`` is not text, not JSON, or not a plan (see :meth:`from_dict`).

        Examples
        --------
        >>> import upweight
        >>> p = upweight.plan({0: 9_900, 1: 100}, factor=25)
        >>> upweight.SamplingPlan.from_json(p.to_json()) == p
        True
        >>> upweight.SamplingPlan.from_json('{"format": "other"}')
        ... # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
            ...
        upweight.PlanError: not an upweight sampling plan (expected a JSON object with format
        'upweight.plan/1'; got format 'other'); pass what SamplingPlan.to_json wrote
        """
        return cls.from_dict(loads(text))
