"""Reading a sampling plan back from JSON: the format, its fields, each one checked.

:meth:`upweight.SamplingPlan.from_dict` and :meth:`~upweight.SamplingPlan.from_json` use
these and build the plan; nothing here computes one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from ._counts import check_count
from ._exceptions import LabelError, PlanError
from ._labels import python_label
from ._validation import check_factor, check_upweight, is_number, shown, whole_number

__all__ = [
    "CLASS_FIELDS",
    "FORMAT",
    "PLAN_FIELDS",
    "REMAKE",
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
