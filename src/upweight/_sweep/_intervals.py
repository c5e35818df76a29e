"""How sure the sweep is: per-row losses, and a paired, stratified bootstrap over rows.

Every configuration is scored on the same validation (and test) rows, so the difference
between two configurations' log losses is a mean of per-row differences; its 95 %
interval comes from resampling rows with replacement -- the same resample for every
configuration (paired) -- and reading the 2.5th and 97.5th percentiles. Under
cross-validation a row is validated once per repeat (or per outer fold); its losses are
averaged first, so that the row, not the prediction, is resampled.

Large splits are not kept whole: each class keeps at most :data:`ROWS_PER_CLASS` rows, a
seeded sample decided by row position (so every configuration, fold and repeat keeps the
same rows), weighted back to the class's true share. The point figures (the summary's
means) come from every row; the sample only sets the width of the interval.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._selection import _mix64_int, row_hashes

__all__ = [
    "BOOTSTRAP",
    "ROWS_PER_CLASS",
    "Pooled",
    "bootstrap_means",
    "decode",
    "encode",
    "interval",
    "pool",
    "row_losses",
    "sample_rates",
    "sampled",
]

#: Rows of each class whose losses are kept for the intervals.
ROWS_PER_CLASS = 10_000
#: Bootstrap resamples.
BOOTSTRAP = 1_000
_EPS = 1e-15


def row_losses(
    prob: npt.NDArray[np.float64], codes: npt.NDArray[Any], minority_code: int
) -> npt.NDArray[np.float32]:
    """Each row's log loss: ``-log`` of the probability given to its true class.

    ``prob``: P(minority) per row (two classes) or one column per class.
    """
    if prob.ndim == 2:
        p = prob[np.arange(codes.size), codes]
    else:
        p = np.where(codes == minority_code, prob, 1.0 - prob)
    return (-np.log(np.clip(p, _EPS, 1.0))).astype(np.float32)


def encode(values: npt.NDArray[np.float32]) -> str:
    """Float32 values as base64 text (for the stored runs' JSON)."""
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode()


def decode(text: str) -> npt.NDArray[np.float32]:
    """What :func:`encode` wrote."""
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


def sample_rates(positions: npt.NDArray[np.intp], codes: npt.NDArray[Any]) -> dict[int, float]:
    """Per class code: the share of its rows among ``positions`` whose losses are kept."""
    counts = np.bincount(codes[positions])
    return {c: min(1.0, ROWS_PER_CLASS / n) for c, n in enumerate(counts.tolist()) if n}


def _seed(seed: int) -> int:
    return _mix64_int(int(seed) ^ 0x1A7E5A11) >> 1


def sampled(
    positions: npt.NDArray[np.intp],
    codes: npt.NDArray[Any],
    rates: Mapping[int, float],
    seed: int,
) -> npt.NDArray[np.intp]:
    """Indices into ``positions`` of the rows whose losses are kept (decided by position)."""
    if all(r >= 1.0 for r in rates.values()):
        return np.arange(positions.size, dtype=np.intp)
    limit = np.array([rates.get(c, 1.0) for c in range(max(rates) + 1)])[codes[positions]]
    hashes = row_hashes(positions, _seed(seed)).astype(np.float64) / 2.0**64
    return np.flatnonzero(hashes < limit).astype(np.intp)


@dataclass(frozen=True)
class Pooled:
    """Per-row losses of every group (configuration), on the same rows.

    ``losses[g, i]``: group g's mean loss on row ``positions[i]`` (over its appearances);
    ``strata[i]``: the row's class; ``shares``: each class's share of the rows (of every
    row, not only the sampled ones).
    """

    positions: npt.NDArray[np.intp]
    strata: npt.NDArray[np.intp]
    losses: npt.NDArray[np.float64]
    shares: dict[int, float]

    def means(self) -> npt.NDArray[np.float64]:
        """Each group's mean loss, with every class at its true share."""
        out = np.zeros(self.losses.shape[0])
        for c, share in self.shares.items():
            out += share * self.losses[:, self.strata == c].mean(axis=1)
        return out


def pool(
    groups: Sequence[Sequence[tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]]],
    codes: npt.NDArray[Any],
    shares: Mapping[int, float],
) -> Pooled | None:
    """Per group, its (positions, losses) pieces -- one per draw -- averaged per row.

    Every group must cover the same rows (the sweep's draws are the same for all); None
    when there is nothing to pool.
    """
    if not groups or not any(len(g) for g in groups):
        return None
    every = np.unique(np.concatenate([p for piece in groups[0] for p in (piece[0],)]))
    losses = np.zeros((len(groups), every.size))
    seen = np.zeros((len(groups), every.size))
    for g, pieces in enumerate(groups):
        for pos, values in pieces:
            where = np.searchsorted(every, pos)
            ok = (where < every.size) & (every[np.minimum(where, every.size - 1)] == pos)
            np.add.at(losses[g], where[ok], values[ok])
            np.add.at(seen[g], where[ok], 1.0)
    covered = (seen > 0).all(axis=0)
    losses = losses[:, covered] / seen[:, covered]
    every = every[covered]
    return Pooled(every, codes[every].astype(np.intp), losses, dict(shares))


def bootstrap_means(
    pooled: Pooled, *, seed: int, resamples: int = BOOTSTRAP
) -> npt.NDArray[np.float64]:
    """Each group's mean loss in each resample of the rows: (resamples, groups).

    Paired: one resample of rows serves every group. Rows are drawn with replacement
    (multinomial counts, applied by one matrix product), each weighted so that its class
    counts at its true share; a class sampled down for the intervals is weighted up. The
    class mix of a resample varies as it would in another draw of the data.
    """
    rng = np.random.default_rng(_seed(seed))
    n = pooled.strata.size
    weights = np.zeros(n)
    for c, share in pooled.shares.items():
        members = pooled.strata == c
        if members.any():
            weights[members] = share / np.count_nonzero(members)
    weighted = pooled.losses.T * weights[:, None]  # rows x groups
    out = np.zeros((resamples, pooled.losses.shape[0]))
    for start in range(0, resamples, 200):
        m = min(200, resamples - start)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=m).astype(np.float64)
        out[start : start + m] = (counts @ weighted) / (counts @ weights)[:, None]
    return out


def interval(
    samples: npt.NDArray[np.float64], observed: float, sample_observed: float
) -> tuple[float, float]:
    """The 95 % percentile interval of ``samples``, moved to centre on ``observed``.

    ``sample_observed`` is the same figure on the sampled rows; the interval keeps its
    width around the figure measured on every row.
    """
    low, high = np.percentile(samples, [2.5, 97.5])
    shift = observed - sample_observed
    return float(low + shift), float(high + shift)
