"""Convergence: how fast minibatch training learns, per downsampling factor.

The course claims that downsampling gives faster convergence, because batches hold more
minority examples. This module measures it: scikit-learn's ``SGDClassifier`` (logistic
loss) is trained with ``partial_fit`` on minibatches of the downsampled training data,
and the validation log loss is recorded against the examples seen and against the time
spent in ``partial_fit``. Validation is on the true distribution (at most 200,000 rows of
the validation split, a seeded subset), corrected as the configuration says. The batches
that held no minority example are counted, to compare with the profile's prediction.

Every factor gets the same budget of batches, the same learning rate (constant, ``eta0 =
0.01``) and the same feature scaling (means and spreads of the validation split, so no
factor gets a different one). A small PyTorch model is measured too when PyTorch is
installed.
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from .._correct import correction as correction_named
from .._plan import SamplingPlan
from .._profile import profile
from .._random import library_seed

__all__ = ["checkpoints", "run_convergence", "torch_available"]

_EPS = 1e-15


def torch_available() -> bool:
    """Whether PyTorch can be imported (checked without importing it)."""
    return importlib.util.find_spec("torch") is not None


def checkpoints(n_batches: int, n_points: int = 24) -> list[int]:
    """Batch counts at which to evaluate: spread evenly on a log scale, last one included."""
    points = np.unique(np.geomspace(1, n_batches, n_points).round().astype(int))
    return [int(p) for p in points]


def _log_loss(outcome: npt.NDArray[np.float64], prob: npt.NDArray[np.float64]) -> float:
    p = np.clip(prob, _EPS, 1 - _EPS)
    return -float(np.mean(outcome * np.log(p) + (1 - outcome) * np.log1p(-p)))


def run_convergence(
    X: npt.NDArray[Any],
    outcome: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None,
    *,
    correction: str,
    plan: SamplingPlan,
    classes: list[Any],
    X_val: npt.NDArray[Any],
    outcome_val: npt.NDArray[np.float64],
    center: npt.NDArray[np.float64],
    scale: npt.NDArray[np.float64],
    batch_size: int,
    n_batches: int,
    seed: int,
    learner: str = "sgd",
) -> dict[str, Any]:
    """Train one minibatch model and record its validation log loss as it learns.

    Parameters
    ----------
    X, outcome, sample_weight
        The downsampled training rows, 1.0 for the minority class, and their weights
        (``None``: unweighted).
    correction : {"upweight", "offset", "none"}
        How validation predictions are brought to the true distribution, as the sweep
        measures it (:meth:`~upweight._correct.Correction.to_true` with
        ``residual=False``: only a correction that rescales by the prior ratios, the
        offset, changes them).
    plan : SamplingPlan
        The plan as applied (for the offset correction and the predicted batch makeup).
    classes : list
        ``[majority, minority]``: the classes of the two probability columns.
    X_val, outcome_val
        Validation rows (true distribution).
    center, scale
        Feature scaling shared by every factor.
    batch_size, n_batches : int
        Rows per batch and batches to train.
    seed : int
        Seed of the batch order (and the model).
    learner : {"sgd", "torch"}
        scikit-learn's SGDClassifier, or a small PyTorch model.

    Returns
    -------
    dict
        ``examples``, ``seconds`` and ``val_log_loss`` per checkpoint; ``batches``,
        ``batches_without_minority`` and ``predicted_share_without_minority``.
    """
    to_true = correction_named(correction).to_true
    rng = np.random.default_rng(seed)
    n = outcome.size
    marks = set(checkpoints(n_batches))
    # missing values (models that take NaN) become the mean: 0 once standardised
    Xv = np.nan_to_num((X_val - center) / scale, nan=0.0)
    Xv = Xv.astype(np.float32 if learner == "torch" else np.float64)
    step, predict = _learner(learner, X.shape[1], seed)
    examples: list[int] = []
    seconds: list[float] = []
    losses: list[float] = []
    empty = 0
    spent = 0.0
    order = rng.permutation(n)
    cursor = 0
    for b in range(1, n_batches + 1):
        if cursor + batch_size > n:  # a new epoch: a fresh order, batches without replacement
            order = rng.permutation(n)
            cursor = 0
        idx = order[cursor : cursor + batch_size]
        cursor += batch_size
        xb = np.nan_to_num((X[idx] - center) / scale, nan=0.0)
        yb = outcome[idx]
        wb = None if sample_weight is None else sample_weight[idx]
        if not yb.any():
            empty += 1
        start = time.perf_counter()
        step(xb, yb, wb)
        spent += time.perf_counter() - start
        if b in marks:
            prob = to_true(predict(Xv), plan, classes=classes, residual=False)
            examples.append(b * len(idx))
            seconds.append(spent)
            losses.append(_log_loss(outcome_val, prob))
    view = profile(plan.kept, batch_size=batch_size).batch_view(
        min(batch_size, plan.n_kept), label=classes[1]
    )
    return {
        "learner": learner,
        "examples": examples,
        "seconds": seconds,
        "val_log_loss": losses,
        "batches": n_batches,
        "batches_without_minority": empty,
        "predicted_share_without_minority": view.p_none,
    }


def _learner(learner: str, n_features: int, seed: int) -> tuple[Any, Any]:
    """(step(X, y, w), predict(X) -> P(minority)) for one minibatch model."""
    if learner == "torch":
        return _torch_learner(n_features, seed)
    from sklearn.linear_model import SGDClassifier

    model = SGDClassifier(
        loss="log_loss", learning_rate="constant", eta0=0.01, random_state=library_seed(seed)
    )
    classes = np.array([0.0, 1.0])

    def step(xb: Any, yb: Any, wb: Any) -> None:
        model.partial_fit(xb, yb, classes=classes, sample_weight=wb)

    def predict(Xv: Any) -> npt.NDArray[np.float64]:
        return np.asarray(model.predict_proba(Xv)[:, 1], dtype=np.float64)

    return step, predict


def _torch_learner(n_features: int, seed: int) -> tuple[Any, Any]:  # pragma: no cover - torch
    import torch

    torch.manual_seed(library_seed(seed))
    net = torch.nn.Sequential(
        torch.nn.Linear(n_features, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
    )
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05)

    def step(xb: Any, yb: Any, wb: Any) -> None:
        x = torch.as_tensor(np.asarray(xb, dtype=np.float32))
        y = torch.as_tensor(np.asarray(yb, dtype=np.float32))
        w = None if wb is None else torch.as_tensor(np.asarray(wb, dtype=np.float32))
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            net(x).squeeze(1), y, weight=w, reduction="sum"
        ) / len(y)
        loss.backward()
        optimizer.step()

    def predict(Xv: Any) -> npt.NDArray[np.float64]:
        with torch.no_grad():
            logits = net(torch.as_tensor(Xv)).squeeze(1)
            return torch.sigmoid(logits).double().numpy()

    return step, predict
