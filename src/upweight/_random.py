"""One rule for randomness: resolve ``random_state`` once into an integer seed."""

from __future__ import annotations

import numbers
import secrets

import numpy as np

from ._exceptions import InputError
from ._types import RandomStateLike
from ._validation import shown

_SEED_BITS = 63


#: Seeds are 64-bit: the row hashes mix them as unsigned 64-bit integers.
SEED_LIMIT = 2**64


def check_seed(seed: object, hint: str = "", *, name: str = "seed") -> int:
    """A seed given as a plain integer in ``[0, 2**64)`` (files, epochs: no generators here).

    ``hint`` is added to the error, e.g. why the seed must be a plain integer. A larger
    seed would wrap around and select the same rows as a smaller one, so it is refused.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise InputError(f"{name} must be a non-negative integer{hint}; got {shown(seed)}")
    if int(seed) >= SEED_LIMIT:
        got = f"{int(seed):,}" if int(seed).bit_length() < 200 else shown(seed)
        raise InputError(f"{name} must be below 2**64 ({SEED_LIMIT - 1:,} at most); got {got}")
    return int(seed)


#: Seeds handed to other libraries stay below this: scikit-learn's and NumPy's RandomState
#: take at most 32 bits, LightGBM a C int.
LIBRARY_SEED_LIMIT = 2**31 - 1


def library_seed(seed: int) -> int:
    """A seed in ``[0, 2**31 - 1)`` for a model or framework, derived from ``seed``.

    A seed that already fits is passed as it is (so results stay as they were); a larger
    one, up to ``2**64``, is mixed by NumPy's ``SeedSequence``, so that every bit of it
    counts (``seed`` and ``seed + 2**31 - 1`` give different models).

    Examples
    --------
    >>> from upweight._random import library_seed
    >>> library_seed(42)
    42
    >>> 0 <= library_seed(2**64 - 1) < 2**31 - 1
    True
    """
    seed = int(seed)
    if 0 <= seed < LIBRARY_SEED_LIMIT:
        return seed
    state = np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)
    return int(state[0]) % LIBRARY_SEED_LIMIT


def resolve_seed(random_state: RandomStateLike) -> int:
    """Turn ``random_state`` into a non-negative integer seed.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        ``None`` draws a fresh seed from the operating system's entropy; an int is used as
        it is; a generator is asked for one number, so the caller's stream advances as
        scikit-learn users expect.

    Returns
    -------
    int
        A seed in ``[0, 2**63)``. Every random decision of a run derives from it, and it is
        recorded in the :class:`~upweight.SamplingPlan` the run returns, so the run can be
        repeated.
    """
    if random_state is None:
        return secrets.randbits(_SEED_BITS)
    if isinstance(random_state, bool):
        raise InputError(
            f"random_state must be None, an int or a numpy Generator; got {random_state!r}"
        )
    if isinstance(random_state, numbers.Integral):
        value = int(random_state)
        if value < 0:
            raise InputError(f"random_state must be a non-negative int; got {value}")
        return check_seed(value, name="random_state")
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**_SEED_BITS))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    raise InputError(
        "random_state must be None, an int, a numpy.random.Generator or a RandomState; "
        f"got {type(random_state).__name__}"
    )
