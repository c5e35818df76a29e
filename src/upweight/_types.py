"""Shared type aliases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeAlias

if TYPE_CHECKING:
    import numpy as np

#: A class label: what a label column holds.
Label: TypeAlias = int | str | bool | float

#: How kept examples are weighted (see :func:`upweight.plan`).
WeightMode: TypeAlias = Literal["factor", "exact", "none"]

#: How rows are drawn: exactly round(N / k) per class, or each row independently.
Method: TypeAlias = Literal["exact", "bernoulli"]

#: How a model's predictions are brought back to the true distribution.
Correction: TypeAlias = Literal["upweight", "offset", "none"]

#: Anything that can seed the randomness: None (fresh entropy), an int, or a NumPy generator.
# (a string, so that numpy.random is not imported to define it)
RandomStateLike: TypeAlias = "int | np.integer | np.random.Generator | np.random.RandomState | None"

WEIGHT_MODES: tuple[str, ...] = ("factor", "exact", "none")
METHODS: tuple[str, ...] = ("exact", "bernoulli")
CORRECTIONS: tuple[str, ...] = ("upweight", "offset", "none")
