"""A fresh downsample every epoch: the framework-free core of the training-loop adapters.

:mod:`upweight.torch` and :mod:`upweight.keras` wrap :class:`EpochSampling`. It holds the
labels as one small class code per example (one byte for up to 256 classes) and a
:class:`~upweight.SamplingPlan`; each epoch's sample, order and batches are computed from
``(seed, epoch)`` alone, so any epoch can be produced again, on any process, without
storing it:

- *which* examples: every example of the classes the plan leaves untouched, and exactly
  ``plan[c].kept`` examples of each downsampled class ``c``, chosen by the shared row-hash
  scheme (:func:`upweight._selection.select_rows`, ``method="exact"``) under the epoch's
  seed ``splitmix64(seed, epoch)``;
- *in which order*: a permutation drawn from NumPy's PCG64 seeded with ``(seed, epoch)``.

Features are never touched here: only positions are returned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _random
from ._counts import check_two_classes
from ._exceptions import InputError, PlanError
from ._labels import encode_labels
from ._plan import SamplingPlan, resolve_plan, warn_if_over_downsampled
from ._profile import hypergeom_cdf_below
from ._selection import row_hashes, select_rows
from ._types import Label
from ._validation import positive_int

__all__ = ["BatchStats", "EpochSampling", "log_prior", "shard"]

_SEED_MASK = (1 << 63) - 1


def check_seed(seed: Any) -> int:
    """A non-negative int seed (the same on every process of a distributed run)."""
    return _random.check_seed(seed, ", the same on every process")


def check_epoch(epoch: Any) -> int:
    """A non-negative int epoch number (below 2**64: it is hashed as a row position is)."""
    return _random.check_seed(epoch, name="epoch")


def shard(
    order: npt.NDArray[np.intp], num_replicas: int, rank: int, *, drop_last: bool
) -> npt.NDArray[np.intp]:
    """Rank ``rank``'s share of ``order``, as :class:`torch.utils.data.DistributedSampler` cuts.

    Without ``drop_last`` the list is padded to a multiple of ``num_replicas`` by repeating
    its first entries; with it, the tail that does not fill a round is dropped. Rank ``r``
    then takes entries ``r, r + num_replicas, ...``. Every rank gets the same number.

    Examples
    --------
    >>> import numpy as np
    >>> from upweight._epochs import shard
    >>> order = np.arange(5)
    >>> shard(order, 2, 0, drop_last=False).tolist(), shard(order, 2, 1, drop_last=False).tolist()
    ([0, 2, 4], [1, 3, 0])
    >>> shard(order, 2, 1, drop_last=True).tolist()
    [1, 3]
    """
    n = order.size
    if num_replicas == 1:
        return order
    if drop_last:
        total = (n // num_replicas) * num_replicas
        order = order[:total]
    else:
        total = math.ceil(n / num_replicas) * num_replicas
        if total > n:
            repeats = math.ceil((total - n) / max(n, 1))
            order = np.concatenate([order, *([order] * repeats)])[:total]
    return order[rank:total:num_replicas]


def log_prior(plan: SamplingPlan, n_outputs: int) -> npt.NDArray[np.float64]:
    """The output bias that makes an untrained model predict the training prior.

    The training prior is each class's share of the total weight in training
    (:attr:`~upweight.SamplingPlan.weighted_totals`): with weights that restore the classes
    (``"factor"``, ``"exact"``) it is the true distribution; with ``weights="none"`` it is the
    downsampled one. One output (binary, sigmoid) gets the logit ``log(p / (1 - p))`` of the
    second class in sorted order (the positive class of 0 / 1 labels); one output per class
    (softmax) gets the log shares.

    Examples
    --------
    >>> import upweight
    >>> from upweight._epochs import log_prior
    >>> p = upweight.plan({0: 9_900, 1: 100}, factor=25)
    >>> [round(v, 3) for v in log_prior(p, 1).tolist()]
    [-4.595]
    """
    totals = np.array(list(plan.weighted_totals.values()), dtype=np.float64)
    shares = totals / totals.sum()
    if n_outputs == 1 and len(plan) == 2:
        return np.array([math.log(shares[1] / shares[0])])
    if n_outputs == len(plan):
        return np.log(shares)
    raise InputError(
        f"the layer has {n_outputs} outputs but the plan has {len(plan)} classes; "
        "use one output per class, or a single output for two classes"
    )


@dataclass(frozen=True)
class BatchStats:
    """Minority examples per batch: what random batches would hold, and what was delivered.

    *Minority* examples are those of every class but the plan's majority class. The
    ``random_*`` figures are the profile's prediction (exact hypergeometric, as
    :class:`upweight.BatchView`) for batches of ``batch_size`` drawn at random from the
    epoch's sample; the ``delivered_*`` figures count the batches the sampler actually
    yields.

    Attributes
    ----------
    epoch : int
        The epoch described.
    batch_size : int
        Rows per batch asked for.
    min_minority : int
        Minority examples each batch was to hold.
    n_batches : int
        Batches in the epoch (on this rank).
    random_expected : float
        Expected minority examples in a random batch.
    random_p_none : float
        Probability that a random batch holds no minority example.
    random_p_short : float
        Probability that a random batch holds fewer than ``min_minority``.
    delivered_mean : float
        Mean minority examples per delivered batch.
    delivered_min : int
        Fewest minority examples in a delivered batch.
    delivered_max : int
        Most minority examples in a delivered batch.
    delivered_short : float
        Share of delivered batches with fewer than ``min_minority`` (0 by construction).

    Examples
    --------
    With 1 % positives downsampled by 25, random batches of 20 would lack a second positive
    6 % of the time; the stratified batches never do.

    >>> import numpy as np
    >>> from upweight.torch import BalancedBatchSampler
    >>> y = np.array([0] * 9_900 + [1] * 100)
    >>> sampler = BalancedBatchSampler(y, batch_size=20, factor=25, min_minority=2, seed=0)
    >>> stats = sampler.batch_stats(0)
    >>> stats.n_batches, round(stats.random_expected, 2), round(stats.random_p_short, 3)
    (25, 4.03, 0.063)
    >>> stats.delivered_min, stats.delivered_max, stats.delivered_short
    (4, 4, 0.0)
    """

    epoch: int
    batch_size: int
    min_minority: int
    n_batches: int
    random_expected: float
    random_p_none: float
    random_p_short: float
    delivered_mean: float
    delivered_min: int
    delivered_max: int
    delivered_short: float


class EpochSampling:
    """Labels and a plan, turned into each epoch's sample and batches on demand.

    Parameters
    ----------
    labels : array-like
        One label per example (1-D integers or strings).
    factor : float or dict, optional
        Downsampling factor *k* (see :func:`upweight.plan`); or give ``plan``.
    plan : SamplingPlan, optional
        A plan made from these labels.
    seed : int
        Seed of the run.
    resample_each_epoch : bool
        Draw a fresh sample of the downsampled classes each epoch (the order is shuffled
        afresh either way).
    """

    def __init__(
        self,
        labels: Any,
        *,
        factor: float | dict[Label, float] | None,
        plan: SamplingPlan | None,
        seed: Any,
        resample_each_epoch: bool,
    ) -> None:
        encoded = encode_labels(labels, name="labels")
        check_two_classes(encoded.count_map())
        self.plan = resolve_plan(
            encoded.count_map(),
            plan=plan,
            factor=factor,
            target_share=None,
            upweight=None,
            weights="factor",
        )
        warn_if_over_downsampled(self.plan)  # once, at the start, not every epoch
        codes = encoded.codes
        if tuple(encoded.classes) != self.plan.labels:  # both are sorted; kept for safety
            position = {label: i for i, label in enumerate(self.plan.labels)}
            codes = np.array([position[c] for c in encoded.classes], dtype=codes.dtype)[codes]
        self.codes = codes
        self.seed = check_seed(seed)
        self.resample_each_epoch = bool(resample_each_epoch)
        self.weights = self.plan.weight_array()
        self.majority_code = self.plan.labels.index(self.plan.majority)

    @property
    def n_examples(self) -> int:
        """Examples in the full data."""
        return int(self.codes.size)

    @property
    def epoch_size(self) -> int:
        """Examples in each epoch's sample (the plan's kept rows)."""
        return self.plan.n_kept

    @property
    def n_minority(self) -> int:
        """Minority examples (every class but the majority) in each epoch's sample."""
        return self.epoch_size - self.plan.kept[self.plan.majority]

    def epoch_seed(self, epoch: int) -> int:
        """The selection seed of ``epoch``: ``splitmix64(seed, epoch)``, 63 bits."""
        if not self.resample_each_epoch:
            epoch = 0
        return int(row_hashes(np.array([epoch]), self.seed)[0]) & _SEED_MASK

    def kept(self, epoch: int) -> npt.NDArray[np.intp]:
        """Positions of ``epoch``'s sample, in input order."""
        return select_rows(
            self.codes,
            self.plan.keep_rate_array(),
            self.plan.kept_array(),
            method="exact",
            seed=self.epoch_seed(epoch),
        )

    def _rng(self, epoch: int) -> np.random.Generator:
        return np.random.Generator(np.random.PCG64([self.seed, epoch]))

    def order(self, epoch: int) -> npt.NDArray[np.intp]:
        """Positions of ``epoch``'s sample, shuffled."""
        kept = self.kept(epoch)
        return kept[self._rng(epoch).permutation(kept.size)]

    def example_weights(self, positions: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
        """The plan's weight of each example at ``positions``."""
        return self.weights[self.codes[positions]]

    # -- balanced batches ------------------------------------------------------------------
    def check_batches(self, batch_size: Any, min_minority: Any) -> tuple[int, int]:
        """Validate ``batch_size`` and ``min_minority`` against the plan."""
        size = positive_int(batch_size, "batch_size", InputError)
        least = positive_int(min_minority, "min_minority", InputError)
        if least > size:
            raise InputError(
                f"batch_size {size} is smaller than min_minority {least}; a batch cannot hold "
                "that many minority examples: use a larger batch_size or a smaller min_minority"
            )
        n_batches = math.ceil(self.epoch_size / size)
        if least * n_batches > self.n_minority:
            raise PlanError(
                f"{n_batches} batches of {size} with at least {least} minority examples each "
                f"need {least * n_batches} minority examples, but each epoch holds "
                f"{self.n_minority}; use a larger batch_size, a smaller min_minority or a "
                "larger factor"
            )
        return size, least

    def batches(self, epoch: int, batch_size: int) -> list[npt.NDArray[np.intp]]:
        """``epoch``'s sample cut into stratified batches.

        The ``B = ceil(epoch_size / batch_size)`` batches are as equal in size as possible
        (each at most ``batch_size``), and the minority examples are spread as evenly as
        possible over them, so each batch holds ``floor(M / B)`` or one more of the ``M``
        minority examples. Which examples go where, and the order of the batches and of
        the examples within each, are random under ``(seed, epoch)``.
        """
        kept = self.kept(epoch)
        rng = self._rng(epoch)
        is_minor = self.codes[kept] != self.majority_code
        minor = kept[is_minor]
        major = kept[~is_minor]
        total = kept.size
        n_batches = math.ceil(total / batch_size)
        sizes = np.full(n_batches, total // n_batches, dtype=np.int64)
        sizes[: total % n_batches] += 1
        minor_per = np.full(n_batches, minor.size // n_batches, dtype=np.int64)
        minor_per[: minor.size % n_batches] += 1
        # The larger minority shares go to the larger batches, so minor_per <= sizes: the
        # two differ only where minor.size % B > total % B, which needs
        # minor.size // B < total // B, hence minor.size // B + 1 <= total // B. Then the
        # batches' order is shuffled.
        batch_of_minor = np.repeat(np.arange(n_batches), minor_per)
        batch_of_major = np.repeat(np.arange(n_batches), sizes - minor_per)
        members = np.concatenate([rng.permutation(minor), rng.permutation(major)])
        batch_of = np.concatenate([batch_of_minor, batch_of_major])
        relabel = rng.permutation(n_batches)
        within = rng.random(total)
        ordered = members[np.lexsort((within, relabel[batch_of]))]
        bounds = np.cumsum(sizes[np.argsort(relabel)])[:-1]
        return np.split(ordered, bounds)

    def batch_stats(
        self, epoch: int, batches: list[npt.NDArray[np.intp]], batch_size: int, min_minority: int
    ) -> BatchStats:
        """:class:`BatchStats` of ``batches``, next to the profile's prediction."""
        n_rows, n_class = self.epoch_size, self.n_minority
        draws = min(batch_size, n_rows)
        per_batch = np.array(
            [int(np.count_nonzero(self.codes[b] != self.majority_code)) for b in batches],
            dtype=np.int64,
        )
        empty = per_batch.size == 0
        return BatchStats(
            epoch=epoch,
            batch_size=batch_size,
            min_minority=min_minority,
            n_batches=len(batches),
            random_expected=draws * n_class / n_rows,
            random_p_none=hypergeom_cdf_below(1, n_rows, n_class, draws),
            random_p_short=hypergeom_cdf_below(min_minority, n_rows, n_class, draws),
            delivered_mean=0.0 if empty else float(per_batch.mean()),
            delivered_min=0 if empty else int(per_batch.min()),
            delivered_max=0 if empty else int(per_batch.max()),
            delivered_short=0.0 if empty else float(np.mean(per_batch < min_minority)),
        )
