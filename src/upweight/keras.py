"""Keras 3: batches of ``(x, y, sample_weight)`` with a fresh downsample every epoch.

Install with ``pip install 'upweight[keras]'`` (Keras 3 and PyTorch: Keras runs on its
torch backend, so TensorFlow is not needed) and import explicitly::

    from upweight.keras import DownsamplePyDataset

Keras picks its backend when it is first imported, from the ``KERAS_BACKEND`` environment
variable. Set it yourself (``KERAS_BACKEND=torch``, ``jax`` or ``tensorflow``) before
anything imports Keras; when it is unset and Keras not yet imported, importing this module
sets it to ``torch``, the backend the ``[keras]`` extra installs. The batches themselves are
NumPy arrays and work on any backend.

Keep rates, kept counts and weights come from one :class:`~upweight.SamplingPlan`; each
epoch's sample and order derive from ``(seed, epoch)``, as in :mod:`upweight.torch`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

if "keras" not in sys.modules:
    os.environ.setdefault("KERAS_BACKEND", "torch")

from ._epochs import BatchStats, EpochSampling, check_epoch, log_prior
from ._exceptions import InputError, PlanError
from ._plan import SamplingPlan
from ._rows import n_rows
from ._types import Label
from ._validation import positive_int, requires

if "keras" not in sys.modules and os.environ.get("KERAS_BACKEND") == "torch":
    requires("torch", "keras", what="PyTorch (Keras's torch backend)")
requires("keras", "keras", what="Keras 3")

import keras  # noqa: E402 (after the checks that name the extra)

__all__ = ["BatchStats", "DownsamplePyDataset", "init_output_bias"]


def _take(x: Any, idx: npt.NDArray[np.intp]) -> Any:
    """Rows ``idx`` of an array, or of each array of a dict / list of inputs."""
    if isinstance(x, Mapping):
        return {key: _take(value, idx) for key, value in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_take(value, idx) for value in x)
    return x[idx]


def _length(x: Any) -> int:
    if type(x).__module__.split(".")[0] in {"pandas", "polars", "pyarrow"}:
        raise InputError(
            f"x is a {type(x).__name__}; pass a NumPy array (or a dict / list of arrays), "
            "such as df.to_numpy(), so that batches are taken by row position"
        )
    if isinstance(x, Mapping):
        lengths = {_length(v) for v in x.values()}
    elif isinstance(x, list | tuple):
        lengths = {_length(v) for v in x}
    else:
        return n_rows(x, name="x")
    if len(lengths) != 1:
        raise InputError(f"the inputs in x have different lengths {sorted(lengths)}; align them")
    return lengths.pop()


class DownsamplePyDataset(keras.utils.PyDataset):
    """A :class:`keras.utils.PyDataset` of ``(x, y, sample_weight)`` batches, fresh each epoch.

    Each epoch holds every example of the classes the plan leaves untouched and a fresh
    ``1 / k`` of each downsampled class, shuffled and cut into batches; each batch comes
    with the plan's weight of every example. After each epoch (Keras calls
    :meth:`on_epoch_end`) the next epoch is drawn.

    Parameters
    ----------
    x : numpy.ndarray, or a dict / list of arrays
        Features; indexed batch by batch (``x[indices]``), never copied whole, so a
        ``numpy.memmap`` works.
    y : array-like
        Labels (1-D integers or strings), one per row of ``x``.
    batch_size : int
        Rows per batch (the last batch of an epoch may be smaller).
    factor : float or dict, optional
        Downsampling factor *k* (see :func:`upweight.plan`); or give ``plan``.
    plan : SamplingPlan, optional
        A plan made from ``y``.
    min_minority : int, optional
        If given, every batch holds at least this many minority examples (stratified
        batches, as :class:`upweight.torch.BalancedBatchSampler`); batches are then as
        equal in size as possible, at most ``batch_size``.
    seed : int, default=0
        Seed of the run: each epoch derives from ``(seed, epoch)``.
    resample_each_epoch : bool, default=True
        Draw a fresh sample each epoch (the order is shuffled afresh either way).
    **kwargs
        ``workers``, ``use_multiprocessing``, ``max_queue_size``: passed to
        :class:`keras.utils.PyDataset`.

    Attributes
    ----------
    plan : SamplingPlan
        The plan every epoch follows.
    epoch : int
        The epoch being served. It advances each time Keras calls :meth:`on_epoch_end`;
        ``model.fit`` also calls it once after reading a first batch to build the model,
        so the training epochs of a first ``fit`` are the dataset's epochs 1, 2, ...
        (:meth:`set_epoch` serves any epoch again).

    Raises
    ------
    LabelError, PlanError, InputError
        As :class:`upweight.torch.DownsampleSampler` and
        :class:`upweight.torch.BalancedBatchSampler`; also ``x`` and ``y`` of different
        lengths.

    Warns
    -----
    OverDownsampleWarning
        When the plan makes a downsampled class smaller than an untouched one, or
        downsamples the smallest class (see :attr:`upweight.SamplingPlan.over_downsampled`);
        once, when the dataset is made, not every epoch.

    Examples
    --------
    >>> import numpy as np
    >>> from upweight.keras import DownsamplePyDataset
    >>> rng = np.random.default_rng(0)
    >>> y = np.array([0] * 990 + [1] * 10)
    >>> x = rng.normal(size=(1000, 3)).astype("float32")
    >>> data = DownsamplePyDataset(x, y, batch_size=32, factor=11, seed=0)
    >>> len(data), data.plan.kept
    (4, {0: 90, 1: 10})
    >>> xb, yb, wb = data[0]
    >>> xb.shape, sorted(set(wb.tolist()))
    ((32, 3), [1.0, 11.0])
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        *,
        batch_size: int,
        factor: float | dict[Label, float] | None = None,
        plan: SamplingPlan | None = None,
        min_minority: int | None = None,
        seed: int = 0,
        resample_each_epoch: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._core = EpochSampling(
            y, factor=factor, plan=plan, seed=seed, resample_each_epoch=resample_each_epoch
        )
        rows = _length(x)
        if rows != self._core.n_examples:
            raise InputError(
                f"x has {rows} rows but y has {self._core.n_examples} labels; they must match"
            )
        if min_minority is None:
            self.batch_size = positive_int(batch_size, "batch_size", InputError)
        else:
            self.batch_size, _ = self._core.check_batches(batch_size, min_minority)
        self.min_minority = min_minority
        self.x = x
        self.y = np.asarray(y)  # labels are small; features are never copied
        self.set_epoch(0)

    @property
    def plan(self) -> SamplingPlan:
        """The plan every epoch follows."""
        return self._core.plan

    def set_epoch(self, epoch: int) -> None:
        """Serve epoch ``epoch`` (to resume a run, or to reproduce an epoch).

        Examples
        --------
        >>> import numpy as np
        >>> from upweight.keras import DownsamplePyDataset
        >>> y = np.array([0] * 90 + [1] * 10)
        >>> x = np.arange(100.0).reshape(-1, 1)
        >>> data = DownsamplePyDataset(x, y, batch_size=5, factor=9, seed=0)
        >>> first = [b.tolist() for b in data.batches()]
        >>> data.on_epoch_end()  # epoch 1: a fresh sample
        >>> data.set_epoch(0)
        >>> data.epoch, [b.tolist() for b in data.batches()] == first
        (0, True)
        """
        self.epoch = check_epoch(epoch)
        if self.min_minority is None:
            order = self._core.order(self.epoch)
            cuts = np.arange(self.batch_size, order.size, self.batch_size)
            self._batches = np.split(order, cuts)
        else:
            self._batches = self._core.batches(self.epoch, self.batch_size)

    def batches(self) -> list[npt.NDArray[np.intp]]:
        """Positions of each batch of the current epoch.

        Examples
        --------
        >>> import numpy as np
        >>> from upweight.keras import DownsamplePyDataset
        >>> y = np.array([0] * 90 + [1] * 10)
        >>> x = np.arange(100.0).reshape(-1, 1)
        >>> data = DownsamplePyDataset(x, y, batch_size=5, factor=9, seed=0, min_minority=2)
        >>> [len(b) for b in data.batches()], [int(y[b].sum()) for b in data.batches()]
        ([5, 5, 5, 5], [3, 2, 3, 2])
        """
        return list(self._batches)

    def __len__(self) -> int:
        return len(self._batches)

    def __getitem__(self, index: int) -> tuple[Any, Any, npt.NDArray[np.float32]]:
        if not -len(self._batches) <= index < len(self._batches):
            raise IndexError(f"batch {index} out of range: the epoch has {len(self)} batches")
        idx = np.sort(self._batches[index])  # ascending positions read memmaps in order
        weights = self._core.example_weights(idx).astype(np.float32)
        return _take(self.x, idx), _take(self.y, idx), weights

    def on_epoch_end(self) -> None:
        """Draw the next epoch's sample (Keras calls this after each epoch).

        Examples
        --------
        A fresh tenth of the majority; the ten minority examples (positions 90 to 99) stay.

        >>> import numpy as np
        >>> from upweight.keras import DownsamplePyDataset
        >>> y = np.array([0] * 90 + [1] * 10)
        >>> x = np.arange(100.0).reshape(-1, 1)
        >>> data = DownsamplePyDataset(x, y, batch_size=5, factor=9, seed=0)
        >>> before = np.sort(np.concatenate(data.batches())).tolist()
        >>> data.on_epoch_end()
        >>> after = np.sort(np.concatenate(data.batches())).tolist()
        >>> data.epoch, before[-10:] == after[-10:], before == after
        (1, True, False)
        """
        self.set_epoch(self.epoch + 1)

    def batch_stats(self) -> BatchStats:
        """Minority examples per batch of the current epoch, next to the profile's prediction.

        Returns
        -------
        BatchStats
            See :class:`upweight.torch.BatchStats`.

        Examples
        --------
        >>> import numpy as np
        >>> from upweight.keras import DownsamplePyDataset
        >>> y = np.array([0] * 90 + [1] * 10)
        >>> x = np.arange(100.0).reshape(-1, 1)
        >>> stats = DownsamplePyDataset(x, y, batch_size=5, factor=9, seed=0).batch_stats()
        >>> stats.n_batches, round(stats.random_p_none, 4), stats.delivered_min
        (4, 0.0163, 2)
        """
        return self._core.batch_stats(
            self.epoch, self._batches, self.batch_size, self.min_minority or 1
        )


def init_output_bias(layer: Any, plan: SamplingPlan) -> Any:
    """Set a built Keras layer's bias to the log prior of the training distribution.

    The Keras form of :func:`upweight.torch.init_output_bias`: one output (sigmoid, two
    classes) gets the logit of the second class's share of the training weight, one output
    per class (softmax) the log shares.

    Parameters
    ----------
    layer : keras.layers.Layer
        The final layer, built (call the model once, or give it an ``Input``), with a bias.
    plan : SamplingPlan
        The plan training follows.

    Returns
    -------
    keras.layers.Layer
        ``layer``, changed in place.

    Examples
    --------
    >>> import keras, numpy as np, upweight
    >>> from upweight.keras import init_output_bias
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    >>> _ = init_output_bias(model.layers[-1], upweight.plan({0: 990, 1: 10}, factor=10))
    >>> round(float(model.predict(np.zeros((1, 4)), verbose=0)[0, 0]), 4)
    0.01
    """
    if not isinstance(plan, SamplingPlan):
        raise PlanError(f"plan must be a SamplingPlan; got {type(plan).__name__}")
    bias = getattr(layer, "bias", None)
    if bias is None:
        raise InputError(
            f"{type(layer).__name__} has no bias to set: build the layer first "
            "(give the model an Input) and use use_bias=True"
        )
    shape = tuple(bias.shape)
    values = log_prior(plan, int(np.prod(shape)))
    bias.assign(values.reshape(shape).astype(bias.dtype))
    return layer
