"""PyTorch: a fresh downsample every epoch, weights in the batch, batches that hold the minority.

Install with ``pip install 'upweight[torch]'`` and import explicitly (``import upweight``
does not import PyTorch)::

    from upweight.torch import DownsampleSampler, WeightedDataset, weighted_loss

- :class:`DownsampleSampler` -- a :class:`torch.utils.data.Sampler` that yields every
  example of the untouched classes and a fresh ``1 / k`` of each downsampled class each
  epoch, shuffled; ``set_epoch(n)`` reproduces epoch ``n``; ``num_replicas`` / ``rank``
  split each epoch between the processes of a distributed run.
- :class:`BalancedBatchSampler` -- a batch sampler whose every batch holds at least
  ``min_minority`` minority examples (stratified batches); its ``batch_stats`` reports
  what random batches would have held next to what was delivered.
- :class:`WeightedDataset` and :func:`weighted_loss` -- each example's weight in the batch,
  and a loss that uses it.
- :func:`init_output_bias` -- start the output layer at the training prior.

Keep rates, kept counts and weights all come from one :class:`~upweight.SamplingPlan`
(made from ``factor``, or passed as ``plan``); the samplers only choose examples by it.
They hold one small class code per example and the positions of an epoch, never the
features.

Examples
--------
>>> import numpy as np, torch
>>> from torch.utils.data import DataLoader, TensorDataset
>>> from upweight.torch import DownsampleSampler, WeightedDataset, weighted_loss
>>> y = np.array([0] * 990 + [1] * 10)
>>> X = torch.randn(len(y), 3)
>>> sampler = DownsampleSampler(y, factor=11, seed=0)
>>> len(sampler), sampler.plan.kept
(100, {0: 90, 1: 10})
>>> data = WeightedDataset(TensorDataset(X, torch.as_tensor(y).float()), sampler.plan)
>>> loader = DataLoader(data, batch_size=20, sampler=sampler)
>>> model = torch.nn.Linear(3, 1)
>>> loss_fn = weighted_loss(torch.nn.BCEWithLogitsLoss(reduction="none"), plan=sampler.plan)
>>> for epoch in range(2):
...     sampler.set_epoch(epoch)
...     for xb, yb, wb in loader:
...         loss = loss_fn(model(xb).squeeze(1), yb, wb)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ._epochs import BatchStats, EpochSampling, check_epoch, log_prior, shard
from ._exceptions import InputError, PlanError
from ._labels import encode_labels, python_label
from ._plan import SamplingPlan
from ._types import Label
from ._validation import positive_int, requires, whole_number

requires("torch", "torch", what="PyTorch")

import torch  # noqa: E402 (after the check that names the extra)
from torch.utils.data import Dataset, Sampler  # noqa: E402

__all__ = [
    "BalancedBatchSampler",
    "BatchStats",
    "DownsampleSampler",
    "WeightedDataset",
    "WeightedLoss",
    "init_output_bias",
    "weighted_loss",
]


def _labels_array(labels: Any) -> Any:
    """Tensors (on any device) become NumPy arrays; everything else passes through."""
    if isinstance(labels, torch.Tensor):
        return labels.detach().cpu().numpy()
    return labels


def _replicas(num_replicas: Any, rank: Any) -> tuple[int, int]:
    """``num_replicas`` and ``rank``, defaulting to torch.distributed's when initialised."""
    dist = torch.distributed
    running = dist.is_available() and dist.is_initialized()
    if num_replicas is None:
        num_replicas = dist.get_world_size() if running else 1
    if rank is None:
        rank = dist.get_rank() if running else 0
    num_replicas = positive_int(num_replicas, "num_replicas", InputError)
    whole = whole_number(rank)
    if whole is None:
        raise InputError(f"rank must be an integer; got {rank!r}")
    rank = whole
    if not 0 <= rank < num_replicas:
        raise InputError(
            f"rank must be between 0 and num_replicas - 1 ({num_replicas - 1}); got {rank}"
        )
    return num_replicas, rank


def _ints(positions: npt.NDArray[np.intp], chunk: int = 1 << 16) -> Iterator[int]:
    """Python ints from an array, a chunk at a time (an epoch's list is never built)."""
    for start in range(0, positions.size, chunk):
        yield from positions[start : start + chunk].tolist()


class _EpochMixin:
    """Epoch bookkeeping shared by the two samplers."""

    _core: EpochSampling
    epoch: int
    _last_epoch: int | None

    @property
    def plan(self) -> SamplingPlan:
        """The plan every epoch follows."""
        return self._core.plan

    @property
    def seed(self) -> int:
        """The run's seed."""
        return self._core.seed

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration yield epoch ``epoch``.

        The epoch also advances by one after each iteration, so an epoch loop that never
        calls ``set_epoch`` still gets a fresh sample each epoch; call it (as with
        :class:`~torch.utils.data.DistributedSampler`) to resume at a given epoch.

        Examples
        --------
        >>> import numpy as np
        >>> from upweight.torch import DownsampleSampler
        >>> sampler = DownsampleSampler(np.array([0] * 90 + [1] * 10), factor=9, seed=0)
        >>> sampler.set_epoch(3)  # resume a run at epoch 3
        >>> epoch3 = list(sampler)
        >>> sampler.epoch, epoch3 == sampler.indices(3).tolist()
        (4, True)
        """
        self.epoch = check_epoch(epoch)

    def _start_epoch(self) -> int:
        epoch = self.epoch
        self._last_epoch = epoch
        self.epoch = epoch + 1
        return epoch

    def epoch_sample(self, epoch: int | None = None) -> npt.NDArray[np.intp]:
        """Positions of an epoch's whole sample (every rank's share), in input order.

        Parameters
        ----------
        epoch : int, optional
            The epoch; by default the one the next iteration yields.

        Returns
        -------
        numpy.ndarray of int

        Examples
        --------
        Every minority example (positions 90 to 99) each epoch, and a fresh tenth of the
        majority:

        >>> import numpy as np
        >>> from upweight.torch import DownsampleSampler
        >>> sampler = DownsampleSampler(np.array([0] * 90 + [1] * 10), factor=9, seed=0)
        >>> sampler.epoch_sample(0).tolist()
        [0, 10, 12, 42, 46, 61, 64, 67, 78, 86, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99]
        >>> sampler.epoch_sample(1)[:5].tolist()
        [7, 18, 20, 26, 27]
        """
        return self._core.kept(self.epoch if epoch is None else check_epoch(epoch))

    def weights_of(self, indices: Any) -> npt.NDArray[np.float64]:
        """The plan's weight of each example at ``indices`` (positions in the data).

        Examples
        --------
        >>> import numpy as np
        >>> from upweight.torch import DownsampleSampler
        >>> sampler = DownsampleSampler(np.array([0] * 90 + [1] * 10), factor=9, seed=0)
        >>> sampler.weights_of([0, 95])  # a majority example, a minority one
        array([9., 1.])
        """
        return self._core.example_weights(np.asarray(indices, dtype=np.intp))


class DownsampleSampler(_EpochMixin, Sampler[int]):
    """Every minority example and a fresh ``1 / k`` of the majority each epoch, shuffled.

    Parameters
    ----------
    labels : array-like or torch.Tensor
        One label per example of the dataset (1-D integers or strings), in dataset order.
    factor : float or dict, optional
        Downsampling factor *k* of the majority class (a dict: per class), as in
        :func:`upweight.plan`. Give ``factor`` or ``plan``.
    plan : SamplingPlan, optional
        A plan made from these labels (:func:`upweight.plan`), for target shares, exact
        weights or an upweight other than *k*.
    seed : int, default=0
        Seed of the run: every epoch's sample and order derive from ``(seed, epoch)``.
        Give every process of a distributed run the same seed.
    resample_each_epoch : bool, default=True
        Draw a fresh sample of the downsampled classes each epoch, so over *E* epochs a
        share ``1 - (1 - 1/k)**E`` of the majority is seen. False keeps the sample of
        epoch 0 (the order is still shuffled each epoch).
    num_replicas : int, optional
        Processes that share each epoch; by default the world size of
        ``torch.distributed`` when it is initialised, else 1.
    rank : int, optional
        This process's rank; by default ``torch.distributed``'s rank, else 0.
    drop_last : bool, default=False
        How an epoch that does not divide evenly among the processes is cut, exactly as
        :class:`~torch.utils.data.DistributedSampler` does: False pads the shuffled epoch
        with its own first examples so every rank gets ``ceil(n / num_replicas)``
        (a few examples appear twice); True drops the shuffled tail so every rank gets
        ``floor(n / num_replicas)``.

    Attributes
    ----------
    plan : SamplingPlan
        The plan every epoch follows; ``plan.kept`` is the size of each class per epoch.
    epoch : int
        The epoch the next iteration yields.

    Raises
    ------
    LabelError
        Labels that are not 1-D integers or strings, or a single class.
    PlanError
        A missing or invalid factor, a factor that would leave a class empty, a plan made
        for other labels.

    Warns
    -----
    OverDownsampleWarning
        When the plan makes a downsampled class smaller than an untouched one, or
        downsamples the smallest class (see :attr:`upweight.SamplingPlan.over_downsampled`);
        once, when the sampler is made, not every epoch.

    Examples
    --------
    >>> import numpy as np
    >>> from upweight.torch import DownsampleSampler
    >>> y = np.array([0] * 9_900 + [1] * 100)
    >>> sampler = DownsampleSampler(y, factor=25, seed=7)
    >>> len(sampler), sampler.plan.kept, sampler.seed
    (496, {0: 396, 1: 100}, 7)
    >>> epoch0 = list(sampler)                 # the epoch advances after each pass
    >>> sorted(epoch0) == sorted(list(sampler))  # epoch 1 is a fresh sample
    False
    >>> sampler.set_epoch(0)
    >>> list(sampler) == epoch0
    True
    """

    def __init__(
        self,
        labels: Any,
        *,
        factor: float | dict[Label, float] | None = None,
        plan: SamplingPlan | None = None,
        seed: int = 0,
        resample_each_epoch: bool = True,
        num_replicas: int | None = None,
        rank: int | None = None,
        drop_last: bool = False,
    ) -> None:
        self._core = EpochSampling(
            _labels_array(labels),
            factor=factor,
            plan=plan,
            seed=seed,
            resample_each_epoch=resample_each_epoch,
        )
        self.num_replicas, self.rank = _replicas(num_replicas, rank)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        self._last_epoch = None

    def __len__(self) -> int:
        n = self._core.epoch_size
        if self.drop_last:
            return n // self.num_replicas
        return math.ceil(n / self.num_replicas)

    def indices(self, epoch: int | None = None) -> npt.NDArray[np.intp]:
        """Positions this rank yields for an epoch, in the order they are yielded.

        Parameters
        ----------
        epoch : int, optional
            The epoch; by default the one the next iteration yields.

        Returns
        -------
        numpy.ndarray of int

        Examples
        --------
        Two processes share each epoch's 20 examples:

        >>> import numpy as np
        >>> from upweight.torch import DownsampleSampler
        >>> y = np.array([0] * 90 + [1] * 10)
        >>> ranks = [DownsampleSampler(y, factor=9, num_replicas=2, rank=r) for r in (0, 1)]
        >>> [len(s.indices(0)) for s in ranks]
        [10, 10]
        >>> both = np.concatenate([s.indices(0) for s in ranks])
        >>> bool(np.array_equal(np.sort(both), ranks[0].epoch_sample(0)))
        True
        """
        epoch = self.epoch if epoch is None else check_epoch(epoch)
        order = self._core.order(epoch)
        return shard(order, self.num_replicas, self.rank, drop_last=self.drop_last)

    def __iter__(self) -> Iterator[int]:
        epoch = self._start_epoch()
        return _ints(self.indices(epoch))


class BalancedBatchSampler(_EpochMixin, Sampler[list[int]]):
    """Batches of each epoch's fresh downsample, each holding at least ``min_minority``.

    Each epoch draws the same sample as :class:`DownsampleSampler` (every minority
    example, a fresh ``1 / k`` of each downsampled class) and cuts it into
    ``ceil(n / batch_size)`` batches as equal in size as possible (at most
    ``batch_size`` each), with the minority examples spread evenly over them: every batch
    holds ``floor(M / B)`` or one more of the ``M`` minority examples of the epoch.
    *Minority* means every class but the plan's majority class. Pass it to
    ``DataLoader(dataset, batch_sampler=...)``.

    Parameters
    ----------
    labels : array-like or torch.Tensor
        One label per example (1-D integers or strings).
    batch_size : int
        Rows per batch, at most.
    factor : float or dict, optional
        Downsampling factor, as in :class:`DownsampleSampler`; or give ``plan``.
    plan : SamplingPlan, optional
        A plan made from these labels.
    min_minority : int, default=1
        Minority examples every batch must hold.
    seed : int, default=0
        Seed of the run.
    resample_each_epoch : bool, default=True
        Draw a fresh sample each epoch.
    num_replicas, rank : int, optional
        As in :class:`DownsampleSampler`: each process gets every ``num_replicas``-th batch.
    drop_last : bool, default=False
        When the batches do not divide evenly among the processes: False repeats the
        epoch's first batches, True drops the last ones.

    Attributes
    ----------
    plan : SamplingPlan
        The plan every epoch follows.
    epoch : int
        The epoch the next iteration yields.

    Raises
    ------
    InputError
        ``batch_size`` smaller than ``min_minority``, or not a positive integer.
    PlanError
        More minority examples asked for per batch than an epoch holds, and the errors of
        :class:`DownsampleSampler`.

    Warns
    -----
    OverDownsampleWarning
        As :class:`DownsampleSampler`.

    Examples
    --------
    With 1 % positives downsampled by 25, a random batch of 20 still holds fewer than two
    positives 6 % of the time; these batches never do.

    >>> import numpy as np
    >>> from upweight.torch import BalancedBatchSampler
    >>> y = np.array([0] * 9_900 + [1] * 100)
    >>> batches = BalancedBatchSampler(y, batch_size=20, factor=25, min_minority=2, seed=0)
    >>> len(batches), batches.plan.kept, min(int(y[b].sum()) for b in batches)
    (25, {0: 396, 1: 100}, 4)
    >>> stats = batches.batch_stats()
    >>> round(stats.random_p_short, 3), stats.delivered_short
    (0.063, 0.0)
    """

    def __init__(
        self,
        labels: Any,
        *,
        batch_size: int,
        factor: float | dict[Label, float] | None = None,
        plan: SamplingPlan | None = None,
        min_minority: int = 1,
        seed: int = 0,
        resample_each_epoch: bool = True,
        num_replicas: int | None = None,
        rank: int | None = None,
        drop_last: bool = False,
    ) -> None:
        self._core = EpochSampling(
            _labels_array(labels),
            factor=factor,
            plan=plan,
            seed=seed,
            resample_each_epoch=resample_each_epoch,
        )
        self.batch_size, self.min_minority = self._core.check_batches(batch_size, min_minority)
        self.num_replicas, self.rank = _replicas(num_replicas, rank)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        self._last_epoch = None

    @property
    def _n_batches(self) -> int:
        return math.ceil(self._core.epoch_size / self.batch_size)

    def __len__(self) -> int:
        n = self._n_batches
        if self.drop_last:
            return n // self.num_replicas
        return math.ceil(n / self.num_replicas)

    def batches(self, epoch: int | None = None) -> list[npt.NDArray[np.intp]]:
        """Batches this rank yields for an epoch, as arrays of positions.

        Parameters
        ----------
        epoch : int, optional
            The epoch; by default the one the next iteration yields.

        Returns
        -------
        list of numpy.ndarray of int

        Examples
        --------
        >>> import numpy as np
        >>> from upweight.torch import BalancedBatchSampler
        >>> y = np.array([0] * 90 + [1] * 10)
        >>> batches = BalancedBatchSampler(y, batch_size=5, factor=9, seed=0).batches(0)
        >>> [len(b) for b in batches], [int(y[b].sum()) for b in batches]
        ([5, 5, 5, 5], [3, 2, 3, 2])
        """
        epoch = self.epoch if epoch is None else check_epoch(epoch)
        every = self._core.batches(epoch, self.batch_size)
        mine = shard(np.arange(len(every)), self.num_replicas, self.rank, drop_last=self.drop_last)
        return [every[i] for i in mine.tolist()]

    def __iter__(self) -> Iterator[list[int]]:
        epoch = self._start_epoch()
        return (b.tolist() for b in self.batches(epoch))

    def batch_stats(self, epoch: int | None = None) -> BatchStats:
        """Minority examples per batch: the profile's prediction and what is delivered.

        Parameters
        ----------
        epoch : int, optional
            The epoch; by default the last one iterated (the next one if none was).

        Returns
        -------
        BatchStats
            ``random_*``: what random batches of ``batch_size`` from the epoch's sample
            would hold (exact hypergeometric figures, as :class:`upweight.BatchView`);
            ``delivered_*``: what this rank's batches hold.

        Examples
        --------
        >>> import numpy as np
        >>> from upweight.torch import BalancedBatchSampler
        >>> y = np.array([0] * 90 + [1] * 10)
        >>> sampler = BalancedBatchSampler(y, batch_size=5, factor=9, seed=0)
        >>> for batch in sampler:  # an epoch of training
        ...     pass
        >>> stats = sampler.batch_stats()  # of the epoch just iterated
        >>> stats.epoch, round(stats.random_p_none, 4), stats.delivered_min
        (0, 0.0163, 2)
        """
        if epoch is None:
            epoch = self.epoch if self._last_epoch is None else self._last_epoch
        epoch = check_epoch(epoch)
        return self._core.batch_stats(
            epoch, self.batches(epoch), self.batch_size, self.min_minority
        )


class WeightedDataset(Dataset[tuple[Any, Any, Any]]):
    """A dataset of ``(x, y)`` pairs that returns ``(x, y, weight)``, the weight from a plan.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Returns ``(x, y)`` for an index; it is wrapped, not copied.
    plan : SamplingPlan
        The plan the sampler follows (``sampler.plan``); an example of class ``c`` weighs
        ``plan.class_weights[c]``.
    labels : array-like, optional
        The labels in dataset order. When given, the weight is looked up by index (faster,
        and ``y`` may be anything, such as one-hot); otherwise it is read from each ``y``,
        which must then be a class label (a scalar tensor or number, or a string).
    dtype : torch.dtype, default=torch.float32
        Type of the weight tensor.

    Notes
    -----
    For tensors in memory, fetch whole batches at once instead of example by example:
    with ``labels`` given, a :class:`~torch.utils.data.TensorDataset` wrapped here can be
    indexed by a list of positions, so ``DataLoader(data, batch_size=None,
    sampler=BatchSampler(sampler, batch_size, drop_last=False))`` yields ready batches
    (``x``, ``y`` and ``weight`` each stacked) without a collate step.

    Raises
    ------
    PlanError
        ``labels`` whose class counts differ from the plan's.
    InputError
        An item that is not an ``(x, y)`` pair, or a ``y`` that is not a class of the plan.

    Examples
    --------
    >>> import torch, upweight
    >>> from torch.utils.data import TensorDataset
    >>> from upweight.torch import WeightedDataset
    >>> y = torch.tensor([0, 0, 0, 1])
    >>> data = WeightedDataset(TensorDataset(torch.zeros(4, 2), y), upweight.plan(y, factor=3))
    >>> [float(data[i][2]) for i in range(4)]
    [3.0, 3.0, 3.0, 1.0]
    """

    def __init__(
        self,
        dataset: Any,
        plan: SamplingPlan,
        *,
        labels: Any = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        if not isinstance(plan, SamplingPlan):
            raise PlanError(
                f"plan must be a SamplingPlan (sampler.plan or upweight.plan); "
                f"got {type(plan).__name__}"
            )
        self.dataset = dataset
        self.plan = plan
        self.dtype = dtype
        self._by_label = {label: w for label, w in plan.class_weights.items()}
        self._codes: npt.NDArray[Any] | None = None
        if labels is not None:
            encoded = encode_labels(_labels_array(labels), name="labels")
            if encoded.count_map() != plan.counts:
                raise PlanError(
                    f"the plan was made for class counts {plan.counts}, but these labels have "
                    f"{encoded.count_map()}; make the plan from these labels"
                )
            self._codes = encoded.codes
            self._weights = plan.weight_array()

    def __len__(self) -> int:
        return len(self.dataset)

    def _weight_of_label(self, y: Any) -> float:
        value = y
        if isinstance(y, torch.Tensor | np.ndarray | np.generic):
            if (y.numel() if isinstance(y, torch.Tensor) else y.size) != 1:
                raise InputError(
                    f"y has shape {tuple(y.shape)}, not a class label; pass labels= to "
                    "WeightedDataset to look weights up by index"
                )
            value = y.item()
        try:
            weight = self._by_label.get(python_label(value))
        except ValueError:
            weight = None
        if weight is None:
            raise InputError(
                f"y = {value!r} is not a class of the plan ({list(self.plan.labels)}); pass "
                "labels= to WeightedDataset, or a plan made from these labels"
            )
        return weight

    def __getitem__(self, index: Any) -> tuple[Any, Any, Any]:
        item = self.dataset[index]
        if not isinstance(item, Sequence) or len(item) != 2:
            raise InputError(
                "WeightedDataset needs a dataset that returns (x, y) pairs; "
                f"got a {type(item).__name__}"
            )
        x, y = item
        if self._codes is not None:
            positions = index.cpu().numpy() if isinstance(index, torch.Tensor) else index
            weights = self._weights[self._codes[positions]]
            return x, y, torch.as_tensor(weights, dtype=self.dtype)
        return x, y, torch.tensor(self._weight_of_label(y), dtype=self.dtype)


class WeightedLoss(torch.nn.Module):
    """A per-example loss, weighted and reduced to one number (see :func:`weighted_loss`).

    Examples
    --------
    Made by :func:`weighted_loss`; without a plan, the weighted mean of the batch:

    >>> import torch
    >>> from upweight.torch import WeightedLoss, weighted_loss
    >>> loss = weighted_loss(torch.nn.BCEWithLogitsLoss(reduction="none"))
    >>> isinstance(loss, WeightedLoss), isinstance(loss, torch.nn.Module)
    (True, True)
    >>> logits, y, w = torch.zeros(3), torch.tensor([0.0, 0, 1]), torch.tensor([9.0, 9, 1])
    >>> round(float(loss(logits, y, w)), 4)  # every example's loss is log 2
    0.6931
    """

    def __init__(self, loss_fn: Callable[..., torch.Tensor], scale: float | None) -> None:
        super().__init__()
        self.loss_fn = loss_fn
        self.scale = scale

    def forward(
        self, input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor
    ) -> torch.Tensor:
        """Weighted loss of a batch.

        Parameters
        ----------
        input, target : torch.Tensor
            What ``loss_fn`` takes.
        weight : torch.Tensor
            One weight per example (the third item of a :class:`WeightedDataset` batch).

        Returns
        -------
        torch.Tensor
            A scalar.

        Examples
        --------
        Called as ``loss(input, target, weight)``; the gradient flows back to the model.

        >>> import torch, upweight
        >>> from upweight.torch import weighted_loss
        >>> plan = upweight.plan({0: 990, 1: 10}, factor=11)
        >>> loss = weighted_loss(torch.nn.BCEWithLogitsLoss(reduction="none"), plan=plan)
        >>> logits = torch.zeros(4, requires_grad=True)
        >>> value = loss(logits, torch.tensor([0.0, 0, 0, 1]), torch.tensor([11.0, 11, 11, 1]))
        >>> value.backward()
        >>> [round(g, 4) for g in logits.grad.tolist()]  # weight * (sigmoid - y) / (4 * 10)
        [0.1375, 0.1375, 0.1375, -0.0125]
        """
        losses = self.loss_fn(input, target)
        weight = weight.reshape(-1)
        if losses.dim() == 0 or losses.shape[0] != weight.shape[0]:
            raise InputError(
                f"loss_fn returned shape {tuple(losses.shape)} for a batch of "
                f"{weight.shape[0]}; it must return one loss per example: build it with "
                "reduction='none'"
            )
        if losses.dim() > 1:
            losses = losses.reshape(losses.shape[0], -1).mean(dim=1)
        weight = weight.to(losses.dtype)
        total = (losses * weight).sum()
        if self.scale is None:
            return total / weight.sum()
        return total / (weight.shape[0] * self.scale)


def weighted_loss(
    loss_fn: Callable[..., torch.Tensor], *, plan: SamplingPlan | None = None
) -> WeightedLoss:
    """Turn a per-example loss into a weighted batch loss.

    Parameters
    ----------
    loss_fn : callable
        A loss that returns one value per example, such as
        ``torch.nn.BCEWithLogitsLoss(reduction="none")`` or
        ``torch.nn.CrossEntropyLoss(reduction="none")``.
    plan : SamplingPlan, optional
        The plan the batches follow. With it, the batch loss is
        ``sum(w_i * l_i) / (batch size * mean weight of the plan's sample)``: its expected
        value over an epoch's random batches is the mean loss over the *full* data, as if
        nothing had been downsampled. Without it, ``sum(w_i * l_i) / sum(w_i)``, the
        weighted mean of the batch (no plan needed, but only unbiased as batches grow).

    Returns
    -------
    WeightedLoss
        A module called as ``loss(input, target, weight)``.

    Examples
    --------
    >>> import torch, upweight
    >>> from upweight.torch import weighted_loss
    >>> plan = upweight.plan({0: 990, 1: 10}, factor=11)
    >>> loss = weighted_loss(torch.nn.BCEWithLogitsLoss(reduction="none"), plan=plan)
    >>> logits, y, w = torch.zeros(4), torch.tensor([0.0, 0, 0, 1]), torch.tensor([11.0, 11, 11, 1])
    >>> round(float(loss(logits, y, w)), 4)  # log 2 * 34 / (4 rows * mean weight 10)
    0.5892
    """
    if not callable(loss_fn):
        raise InputError(f"loss_fn must be callable; got {type(loss_fn).__name__}")
    reduction = getattr(loss_fn, "reduction", "none")
    if reduction != "none":
        raise InputError(
            f"loss_fn has reduction={reduction!r}; weighting needs one loss per example: "
            "build it with reduction='none'"
        )
    scale: float | None = None
    if plan is not None:
        if not isinstance(plan, SamplingPlan):
            raise PlanError(f"plan must be a SamplingPlan; got {type(plan).__name__}")
        scale = sum(plan.weighted_totals.values()) / plan.n_kept
    return WeightedLoss(loss_fn, scale)


def init_output_bias(layer: torch.nn.Module, plan: SamplingPlan) -> torch.nn.Module:
    """Set an output layer's bias to the log prior of the training distribution.

    An untrained network then predicts the class shares it will be trained towards, instead
    of spending its first epochs learning them (the known output-bias trick). The prior is
    each class's share of the total weight in training: the true shares when the kept
    examples are upweighted, the downsampled shares with ``weights="none"``.

    Parameters
    ----------
    layer : torch.nn.Module
        The final layer, with a ``bias`` of one element (a single logit for two classes,
        for a sigmoid) or one per class (for a softmax).
    plan : SamplingPlan
        The plan training follows.

    Returns
    -------
    torch.nn.Module
        ``layer``, changed in place.

    Raises
    ------
    InputError
        A layer without a bias, or whose outputs match neither form.

    Examples
    --------
    >>> import torch, upweight
    >>> from upweight.torch import init_output_bias
    >>> layer = init_output_bias(torch.nn.Linear(8, 1), upweight.plan({0: 990, 1: 10}, factor=10))
    >>> round(float(torch.sigmoid(layer.bias.detach())), 4)   # the true positive share
    0.01
    """
    bias = getattr(layer, "bias", None)
    if not isinstance(bias, torch.Tensor):
        raise InputError(
            f"{type(layer).__name__} has no bias to set; pass the final layer, built with bias=True"
        )
    if not isinstance(plan, SamplingPlan):
        raise PlanError(f"plan must be a SamplingPlan; got {type(plan).__name__}")
    values = log_prior(plan, int(bias.numel()))
    with torch.no_grad():
        bias.copy_(torch.as_tensor(values, dtype=bias.dtype).reshape(bias.shape))
    return layer
