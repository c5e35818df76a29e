"""Which rows to keep: the deterministic selection scheme shared by every engine.

The keep decision for a row is a function of the row's *position* in the input (0, 1, 2,
...) and the *seed*, never of a random stream that depends on how the work was split:

1. Each row gets a 64-bit hash ``h = splitmix64(seed, position)``: the ``position + 1``-th
   output of the SplitMix64 generator started from the state ``mix64(seed)``, that is
   ``mix64(mix64(seed) + (position + 1) * 0x9E3779B97F4A7C15 mod 2**64)`` where ``mix64``
   is SplitMix64's finaliser (Steele, Lea and Flood, 2014). Its top 53 bits give a uniform
   number ``u`` in [0, 1).
2. ``method="bernoulli"``: a row of class *c* is kept when ``u < keep_rate[c]``. Rows are
   decided independently, so the rule streams and splits across threads or machines.
3. ``method="exact"``: of the ``N_c`` rows of class *c*, the ``n_c = round(N_c / k_c)``
   rows with the smallest hashes are kept (ties, which need equal 64-bit hashes, go to the
   earlier position). This is a uniform sample of exactly ``n_c`` rows without replacement.

4. With a *key* column instead of positions, the key stands in for the position: an integer
   key ``x`` is used as the 64-bit pattern of ``x`` (two's complement, so a key equal to
   the row position gives the same decision as no key); a string key is used as the first
   8 bytes of the MD5 digest of its UTF-8 text, read as a little-endian integer (DuckDB's
   ``md5_number(s)`` modulo ``2**64``). Rows with equal keys get equal hashes: with
   ``method="bernoulli"`` they are kept or dropped together.

Two consequences users can rely on: the same input and seed give the same rows whatever
the engine or thread count; and for one seed, the rows kept at a larger factor are a subset
of those kept at a smaller one, so a sweep over factors compares nested samples.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._counts import check_two_classes
from ._exceptions import FileError, InputError
from ._types import Label, Method

if TYPE_CHECKING:
    from ._plan import SamplingPlan

#: Called as ``progress(phase, rows_read, rows_total)`` while a pass runs.
ProgressCallback = Callable[[str, int, int], None]

__all__ = ["key_ids", "row_hashes", "row_uniforms", "select_rows"]

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_CHUNK = 1 << 20
_BLOCK = 1 << 14
_RUN_BLOCK = 1 << 16  # consecutive positions: larger blocks, fewer calls (measured best)
_ONE, _G = np.uint64(1), np.uint64(_GOLDEN)
_S27, _S30, _S31 = np.uint64(27), np.uint64(30), np.uint64(31)


def _mix64_int(z: int) -> int:
    """SplitMix64's finaliser on a Python int (used once per seed)."""
    z &= _MASK64
    z = ((z ^ (z >> 30)) * int(_M1)) & _MASK64
    z = ((z ^ (z >> 27)) * int(_M2)) & _MASK64
    return z ^ (z >> 31)


def key_ids(keys: npt.ArrayLike) -> npt.NDArray[np.uint64]:
    """The 64-bit identities that stand in for row positions when a key column is given.

    Parameters
    ----------
    keys : array-like of int or str
        One key per row. Integers (signed or unsigned, up to 64 bits) are used as their
        64-bit pattern; strings as the first 8 bytes of their UTF-8 MD5 digest, little-endian.

    Returns
    -------
    numpy.ndarray of uint64
        One identity per row, to pass to :func:`row_hashes` in place of positions.

    Raises
    ------
    InputError
        If the keys are neither integers nor strings, or hold missing values.

    Examples
    --------
    >>> from upweight._selection import key_ids
    >>> key_ids([0, 1, -1]).tolist()
    [0, 1, 18446744073709551615]
    >>> int(key_ids(["abc"])[0])
    12704604231530709392
    """
    arr = np.asarray(keys)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64 if arr.dtype.kind == "i" else np.uint64).view(np.uint64)
    if arr.dtype.kind in "UO" and all(isinstance(k, str) for k in arr.ravel().tolist()):
        out = np.empty(arr.size, dtype=np.uint64)
        for i, k in enumerate(arr.ravel().tolist()):
            digest = hashlib.md5(k.encode("utf-8"), usedforsecurity=False).digest()
            out[i] = int.from_bytes(digest[:8], "little")
        return out
    raise InputError(
        f"key values must be integers or strings, not {arr.dtype}; "
        "pick a key column of ids (user id, transaction id) without missing values"
    )


def row_hashes(positions: npt.ArrayLike, seed: int) -> npt.NDArray[np.uint64]:
    """64-bit hash of each row position under ``seed``.

    Parameters
    ----------
    positions : array-like of int
        Row positions in the input (0-based).
    seed : int
        The run's seed.

    Returns
    -------
    numpy.ndarray of uint64
        One hash per position.

    Examples
    --------
    >>> from upweight._selection import row_hashes
    >>> h = row_hashes([0, 1, 2], seed=42)
    >>> h.dtype, bool((row_hashes([0, 1, 2], seed=42) == h).all())
    (dtype('uint64'), True)
    """
    pos = np.asarray(positions, dtype=np.uint64).ravel()
    out = np.empty(pos.size, dtype=np.uint64)
    base = np.uint64(_mix64_int(int(seed)))
    scratch = np.empty(min(pos.size, _BLOCK), dtype=np.uint64)
    # block by block, so that the ten passes over each block stay in the CPU cache
    for start in range(0, pos.size, _BLOCK):
        _hash_block(pos[start : start + _BLOCK], base, out[start : start + _BLOCK], scratch)
    return out


def _hash_block(
    ids: npt.NDArray[np.uint64],
    base: np.uint64,
    z: npt.NDArray[np.uint64],
    scratch: npt.NDArray[np.uint64],
) -> None:
    """SplitMix64 of ``ids`` into ``z`` (same length), using ``scratch`` as workspace."""
    np.add(ids, _ONE, out=z)
    z *= _G
    z += base
    _mix64(z, scratch[: z.size])


def _mix64(z: npt.NDArray[np.uint64], t: npt.NDArray[np.uint64]) -> None:
    """SplitMix64's finaliser on ``z`` in place; ``t`` (same length) is workspace."""
    np.right_shift(z, _S30, out=t)
    z ^= t
    z *= _M1
    np.right_shift(z, _S27, out=t)
    z ^= t
    z *= _M2
    np.right_shift(z, _S31, out=t)
    z ^= t


def positions_below(
    start: int, codes: npt.NDArray[np.integer[Any]], bounds: npt.NDArray[np.uint64], seed: int
) -> npt.NDArray[np.int64]:
    """Positions ``start + i`` whose hash is at most ``bounds[codes[i]]``, in order.

    The streaming engines' inner loop: rows ``start, start + 1, ...`` of classes
    ``codes``, hashed and compared block by block in the CPU cache.
    """
    return hashes_below(start, codes, bounds, seed)[0]


def hashes_below(
    start: int, codes: npt.NDArray[np.integer[Any]], bounds: npt.NDArray[np.uint64], seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]:
    """:func:`positions_below`, and those positions' hashes."""
    n = codes.size
    z = np.empty(min(n, _RUN_BLOCK), dtype=np.uint64)
    t = np.empty_like(z)
    b = np.empty_like(z)
    found, hashes = [], []
    for a in range(0, n, _RUN_BLOCK):
        m = min(_RUN_BLOCK, n - a)
        _run_block(start + a, seed, z[:m], t[:m])
        np.take(bounds, codes[a : a + m], out=b[:m])
        hit = np.flatnonzero(z[:m] <= b[:m])
        if hit.size:
            found.append(hit + (start + a))
            hashes.append(z[hit])
    if not found:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint64)
    return np.concatenate(found), np.concatenate(hashes)


def run_hashes(start: int, n: int, seed: int) -> npt.NDArray[np.uint64]:
    """:func:`row_hashes` of the consecutive positions ``start, ..., start + n - 1``.

    Examples
    --------
    >>> from upweight._selection import row_hashes, run_hashes
    >>> bool((run_hashes(10, 5, seed=3) == row_hashes(range(10, 15), seed=3)).all())
    True
    """
    out = np.empty(n, dtype=np.uint64)
    t = np.empty(min(n, _RUN_BLOCK), dtype=np.uint64)
    for a in range(0, n, _RUN_BLOCK):
        m = min(_RUN_BLOCK, n - a)
        _run_block(start + a, seed, out[a : a + m], t[:m])
    return out


def _run_block(start: int, seed: int, z: npt.NDArray[np.uint64], t: npt.NDArray[np.uint64]) -> None:
    """Hashes of positions ``start, start + 1, ...`` into ``z``; ``t`` is workspace.

    Consecutive positions need no per-row first step: ``(position + 1) * golden +
    mix64(seed)`` is a block-wide constant plus a precomputed ramp.
    """
    first = (_mix64_int(int(seed)) + start * _GOLDEN) & _MASK64
    np.add(_ramp()[: z.size], np.uint64(first), out=z)
    _mix64(z, t)


@functools.cache
def _ramp() -> npt.NDArray[np.uint64]:
    """``(i + 1) * golden`` modulo 2**64 for ``i`` in a block: the first step's ramp."""
    return np.arange(1, _RUN_BLOCK + 1, dtype=np.uint64) * _G


def row_uniforms(positions: npt.ArrayLike, seed: int) -> npt.NDArray[np.float64]:
    """Uniform numbers in [0, 1) from :func:`row_hashes` (their top 53 bits).

    Examples
    --------
    >>> from upweight._selection import row_uniforms
    >>> u = row_uniforms(range(100_000), seed=0)
    >>> bool(0.0 <= u.min() and u.max() < 1.0), round(float(u.mean()), 2)
    (True, 0.5)
    """
    h = row_hashes(positions, seed)
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def smallest(h: npt.NDArray[np.uint64], n: int) -> npt.NDArray[np.intp]:
    """Indices (into ``h``) of the ``n`` smallest hashes, ascending; ties to the earlier index.

    The exact rule within one class, whose rows come in input order: equal hashes (rows
    with equal keys) are taken in order of position.

    Examples
    --------
    >>> import numpy as np
    >>> from upweight._selection import smallest
    >>> smallest(np.array([5, 1, 3, 1], dtype=np.uint64), 2).tolist()
    [1, 3]
    >>> smallest(np.zeros(5, dtype=np.uint64), 2).tolist()
    [0, 1]
    """
    if n >= h.size:
        return np.arange(h.size)
    if n == 0:
        return np.empty(0, dtype=np.intp)
    threshold = np.partition(h, n - 1)[n - 1]
    below = np.flatnonzero(h < threshold)
    at = np.flatnonzero(h == threshold)[: n - below.size]
    return np.sort(np.concatenate([below, at]))


def select_rows(
    codes: npt.NDArray[np.integer[Any]],
    keep_rates: npt.NDArray[np.float64],
    kept: npt.NDArray[np.int64],
    *,
    method: Method,
    seed: int,
    ids: npt.NDArray[np.uint64] | None = None,
) -> npt.NDArray[np.intp]:
    """Positions of the rows to keep, in input order.

    Parameters
    ----------
    codes : numpy.ndarray of int
        The class of each row, as an index into ``keep_rates`` and ``kept``.
    keep_rates : numpy.ndarray of float
        Keep rate (1 / factor) per class.
    kept : numpy.ndarray of int
        Rows to keep per class with ``method="exact"``.
    method : {"exact", "bernoulli"}
        See the module's description.
    seed : int
        The run's seed.
    ids : numpy.ndarray of uint64, optional
        What each row is hashed by (see :func:`key_ids`); its position when omitted.

    Returns
    -------
    numpy.ndarray of int
        Sorted positions of the kept rows.
    """
    n = codes.size
    if method == "bernoulli":
        keep = np.empty(n, dtype=bool)
        for start in range(0, n, _CHUNK):
            stop = min(start + _CHUNK, n)
            chunk = np.arange(start, stop) if ids is None else ids[start:stop]
            keep[start:stop] = bernoulli_keep(chunk, codes[start:stop], keep_rates, seed)
        return np.flatnonzero(keep)

    keep = np.ones(n, dtype=bool)
    for j, (rate, n_keep) in enumerate(zip(keep_rates, kept, strict=True)):
        if rate >= 1.0:
            continue  # kept whole (:func:`kept_whole`) whatever its count: no need to count
        members = np.flatnonzero(codes == j)
        if kept_whole(rate, n_keep, members.size, method):
            continue
        chosen = smallest(row_hashes(members if ids is None else ids[members], seed), int(n_keep))
        keep[members] = False
        keep[members[chosen]] = True
    return np.flatnonzero(keep)


# -- streaming selection: the file engine's label pass ------------------------------------
#: One batch of a streaming selection: its rows' class counts, and a function giving the
#: positions and class codes of its rows whose hash is at most their class's bound.
HeldRows = tuple[npt.NDArray[np.int64], Callable[[npt.NDArray[np.uint64]], tuple[Any, Any]]]


def class_counts(codes: npt.NDArray[Any], n_classes: int) -> npt.NDArray[np.int64]:
    if n_classes <= 8:  # a few classes: counting each beats bincount's cast to int64
        return np.array([np.count_nonzero(codes == j) for j in range(n_classes)], np.int64)
    return np.bincount(codes, minlength=n_classes).astype(np.int64)


def held_by_hashing(codes: npt.NDArray[Any], first: int, n_classes: int, seed: int) -> HeldRows:
    """A batch of rows ``first, first + 1, ...``, hashed block by block once bounds are known."""

    def held(bounds: npt.NDArray[np.uint64]) -> tuple[Any, Any]:
        hit = positions_below(first, codes, bounds, seed)
        return hit, codes[hit - first]

    return class_counts(codes, n_classes), held


def rate_bounds(
    method: Method, rates: npt.NDArray[np.float64], counts: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint64]:
    """Each class's hash bound once ``counts`` rows are seen: looser for fewer rows."""
    if method == "bernoulli":  # classes kept whole (rate 1) hold no candidates
        return np.array([bernoulli_limit(r) if r < 1.0 else 0 for r in rates], np.uint64)
    return exact_bounds(rates, counts)


def stream_select(
    batches: Iterable[HeldRows],
    *,
    n_rows: int,
    values: list[Label],
    rates: npt.NDArray[np.float64],
    make_plan: Callable[[dict[Label, int]], SamplingPlan],
    what: str,
    name: str,
    method: Method,
    seed: int,
    progress: ProgressCallback | None,
    slack: float = 1.0,
) -> tuple[SamplingPlan, npt.NDArray[Any], dict[Label, int]] | None:
    """Count and select in one streaming pass over batches of rows, in input order.

    ``rates[j]`` is the most class ``j`` (``values[j]``) may keep, known before counting.
    Each batch's rows are counted, and its rows whose hash lies below their class's
    bound (:func:`rate_bounds` for the rows seen so far: the keep rate itself for
    Bernoulli, a few standard deviations above it for exact, tightened as rows arrive)
    are held. Then the plan is made from the counts and :func:`choose` picks the kept
    rows among those held. Returns the plan, the kept positions of the classes it
    downsamples (ascending), and the rows kept per class; or ``None`` when the rows held
    cannot decide. ``slack`` scales the final exact bounds (see :func:`exact_bounds`).
    """
    counts = np.zeros(len(values), dtype=np.int64)
    found: list[tuple[Any, Any]] = []
    small = np.uint32 if n_rows < 2**32 else np.int64  # candidates take half the memory
    for batch_counts, held in batches:
        counts += batch_counts
        hit, codes = held(rate_bounds(method, rates, counts))
        found.append((hit.astype(small, copy=False), codes))
        if progress is not None:
            progress("selecting", int(counts.sum()), n_rows)
    if counts.sum() != n_rows:
        raise FileError(f"{name} changed while it was read; run again once it is complete")
    count_map = {v: int(n) for v, n in zip(values, counts, strict=True) if n}
    check_two_classes(count_map, what)
    plan = make_plan(count_map)
    ps = np.concatenate([f[0] for f in found])
    cs = np.concatenate([f[1] for f in found])
    del found
    chosen = choose(plan, values, ps, cs, rates, counts, method=method, seed=seed, slack=slack)
    if chosen is None:
        return None
    return plan, *chosen


def choose(
    plan: SamplingPlan,
    values: list[Label],
    ps: npt.NDArray[Any],
    cs: npt.NDArray[Any],
    rates: npt.NDArray[np.float64],
    counts: npt.NDArray[np.int64],
    *,
    method: Method,
    seed: int,
    slack: float = 1.0,
) -> tuple[npt.NDArray[np.int64], dict[Label, int]] | None:
    """The kept positions of the classes ``plan`` downsamples, from a streaming pass.

    ``ps`` and ``cs`` are the positions (ascending) and class codes (indexes into
    ``values``) of the rows the pass held: for each class, at least every row whose hash
    lay below the bound for ``rates`` (the most the class may keep) and ``counts`` (its
    final count). Returns the positions (ascending) and rows kept per class, or ``None``
    when the rows held cannot decide: the plan keeps more than ``rates`` allowed, or an
    exact bound fell short.
    """
    code_of: dict[Label, int] = {v: j for j, v in enumerate(values)}
    chosen, kept = [], {c.label: c.count for c in plan}
    final = exact_bounds(rates, counts, slack)
    for c in plan:
        j = code_of[c.label]
        if kept_whole(c.keep_rate, c.kept, c.count, method):
            continue
        if c.keep_rate > rates[j] * (1 + 1e-12) or rates[j] >= 1.0:
            return None  # the plan keeps more than the bound held (nothing, at rate 1)
        mine = ps[cs == j]
        h = row_hashes(mine, seed)
        if method == "bernoulli":
            pick = mine[h <= np.uint64(bernoulli_limit(c.keep_rate))]
        else:
            inside = h <= final[j]
            if inside.sum() < c.kept:
                return None
            mine, h = mine[inside], h[inside]
            # distinct positions have distinct hashes (SplitMix64 is a bijection): no ties
            pick = np.sort(mine[np.argpartition(h, c.kept - 1)[: c.kept]])
        chosen.append(pick)
        kept[c.label] = int(pick.size)
    positions = np.sort(np.concatenate(chosen)) if chosen else np.empty(0, np.int64)
    return positions, kept


TOP = np.iinfo(np.uint64).max


def bernoulli_limit(rate: float) -> int:
    """The largest hash Bernoulli keeps at ``rate``: ``u < rate`` as ``h <= limit``, exactly.

    With ``u = (h >> 11) / 2**53``, ``u < rate`` is ``(h >> 11) < ceil(rate * 2**53)``,
    that is ``h <= ceil(rate * 2**53) * 2**11 - 1``.
    """
    return int(TOP) if rate >= 1.0 else math.ceil(rate * 2.0**53) * 2**11 - 1


def exact_bounds(
    rates: npt.NDArray[np.float64], counts: npt.NDArray[np.int64], slack: Any = 1.0
) -> npt.NDArray[np.uint64]:
    """Hash bounds holding the ``round(N / k)`` smallest of ``N`` rows, all but surely.

    Eight standard deviations of the binomial count above the keep rate, plus 64 rows'
    worth for rounding, times ``slack``; a bound made with fewer rows than the final
    count is looser. Classes kept whole (rate 1) get bound 0; a bound that would pass
    every row is the top hash.
    """
    n = np.maximum(counts, 1).astype(np.float64)
    q = rates + slack * (8.0 * np.sqrt(rates * (1 - rates) / n) + 64.0 / n)
    out = np.full(rates.size, TOP, dtype=np.uint64)
    out[rates >= 1.0] = 0  # classes kept whole hold no candidates (but the one row hashing 0)
    inside = (q < 1.0) & (rates < 1.0)
    out[inside] = (q[inside] * 2.0**64).astype(np.uint64)
    return out


def smallest_per_class(
    batches: Callable[[], Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[Any], Any]]],
    targets: dict[int, int],
    plan: SamplingPlan,
    seed: int,
) -> dict[int, npt.NDArray[np.int64]]:
    """Per class ``j``, the positions of its ``targets[j]`` smallest (hash, position).

    Memory
    stays near the rows kept: only candidates whose hash is below a bound, set a few
    standard deviations above the ``n / N`` quantile of the uniform hashes, are held; in
    the rare case that a bound falls short, the pass is repeated with a looser one.
    """
    totals = np.array([c.count for c in plan], dtype=np.int64)
    rates = np.ones(totals.size)  # rate 1: not a candidate (bound 0)
    slack = np.ones(totals.size)
    is_target = np.zeros(totals.size, dtype=bool)
    for j, n in targets.items():
        rates[j], is_target[j] = n / totals[j], True
    while True:
        bounds = exact_bounds(rates, totals, slack)
        found: list[tuple[Any, Any, Any]] = []
        for pos, codes, ids in batches():
            h = row_hashes(ids, seed)
            cand = (h <= bounds[codes]) & is_target[codes]  # a row hashing 0 passes bound 0
            found.append((h[cand], pos[cand], codes[cand]))
        hs = np.concatenate([f[0] for f in found])
        ps = np.concatenate([f[1] for f in found])
        cs = np.concatenate([f[2] for f in found])
        del found
        chosen: dict[int, npt.NDArray[np.int64]] = {}
        for j, n in targets.items():
            m = cs == j
            if m.sum() < n and bounds[j] != TOP:
                slack[j] *= 4.0
                break
            chosen[j] = ps[m][np.lexsort((ps[m], hs[m]))[:n]]
        else:
            return chosen


# -- the rules every engine shares: kept whole, Bernoulli, the exact cut ----------------------
#
# A class's *cut* is the ``(hash, position)`` of the last row it keeps with
# ``method="exact"``: the ``n_c``-th smallest in that order (ties on the hash to the earlier
# position). A row of the class is kept when its ``(hash, position)`` is at most the cut.
# Engines that cannot hold a class in memory (Spark) find the cut in several passes, with
# :func:`cut_window` and :func:`cut_at`, then keep rows with :func:`below_cuts`.


def kept_whole(keep_rate: float, kept: int, count: int, method: Method | str) -> bool:
    """Whether every row of a class is kept, so no row of it needs a decision.

    A class is kept whole when its keep rate is 1, or, with ``method="exact"``, when the
    rows it keeps are all its rows.

    Parameters
    ----------
    keep_rate : float
        The class's keep rate (1 / factor), from the plan.
    kept : int
        Rows the plan keeps of the class (used by ``method="exact"``).
    count : int
        Rows of the class.
    method : {"exact", "bernoulli"}
        The selection method.

    Returns
    -------
    bool

    Examples
    --------
    >>> from upweight._selection import kept_whole
    >>> kept_whole(1.0, 10, 10, "bernoulli"), kept_whole(0.9999, 10, 10, "exact")
    (True, True)
    >>> kept_whole(0.9999, 10, 10, "bernoulli"), kept_whole(0.5, 5, 10, "exact")
    (False, False)
    """
    return keep_rate >= 1.0 or (method == "exact" and kept >= count)


def bernoulli_keep(
    ids: npt.ArrayLike,
    codes: npt.NDArray[np.integer[Any]],
    keep_rates: npt.ArrayLike,
    seed: int,
) -> npt.NDArray[np.bool_]:
    """Which rows ``method="bernoulli"`` keeps: ``u < keep_rate`` of the row's class.

    Parameters
    ----------
    ids : array-like of int
        What each row is hashed by: its position, or its key's identity (:func:`key_ids`).
    codes : numpy.ndarray of int
        The class of each row, as an index into ``keep_rates``.
    keep_rates : array-like of float
        Keep rate per class.
    seed : int
        The run's seed.

    Returns
    -------
    numpy.ndarray of bool
        One decision per row; each depends on that row alone, so any split of the rows
        gives the same decisions.

    Examples
    --------
    >>> import numpy as np
    >>> from upweight._selection import bernoulli_keep
    >>> keep = bernoulli_keep(np.arange(100_000), np.zeros(100_000, int), [0.1], seed=0)
    >>> round(float(keep.mean()), 2)
    0.1
    """
    rates = np.asarray(keep_rates, dtype=np.float64)
    return np.asarray(row_uniforms(ids, seed) < rates[codes])


def cut_window(kept: int, count: int) -> tuple[int, int]:
    """A hash range that holds a class's cut, all but surely, when its hashes are uniform.

    The ``kept``-th smallest of ``count`` uniform 64-bit hashes lies near
    ``kept / count`` of the hash range; the window spans eight standard deviations of
    the binomial count either side of it, plus eight rows. Hashes of distinct positions
    are uniform; a key that repeats can put the cut outside, which the caller must check.

    Parameters
    ----------
    kept : int
        Rows the class keeps (the cut's rank).
    count : int
        Rows of the class.

    Returns
    -------
    tuple of int
        The lowest and highest hash of the window (unsigned 64-bit, both included).

    Examples
    --------
    >>> from upweight._selection import cut_window
    >>> low, high = cut_window(1_000, 10_000)
    >>> low < 2**64 // 10 < high
    True
    """
    spread = 8.0 * math.sqrt(kept * (1.0 - kept / count)) + 8.0
    low = max(0, math.floor((kept - spread) / count * 2.0**64))
    high = min(2**64 - 1, math.ceil((kept + spread) / count * 2.0**64))
    return low, high


def cut_at(hashes: npt.ArrayLike, positions: npt.ArrayLike, rank: int) -> tuple[int, int]:
    """The ``(hash, position)`` of the ``rank``-th smallest row (1-based): a class's cut.

    Rows are ordered by hash, then by position (ties to the earlier position).

    Parameters
    ----------
    hashes : array-like of int
        Hashes of some rows of one class (unsigned 64-bit values).
    positions : array-like of int
        Their positions.
    rank : int
        Which row, counting from 1, among these rows.

    Returns
    -------
    tuple of int
        That row's hash and position.

    Examples
    --------
    >>> from upweight._selection import cut_at
    >>> cut_at([7, 3, 3, 9], [0, 5, 2, 1], rank=2)
    (3, 5)
    """
    h = np.asarray(hashes, dtype=np.uint64)
    pos = np.asarray(positions, dtype=np.int64)
    if not 1 <= rank <= h.size:
        raise ValueError(f"rank {rank} is outside 1..{h.size}")
    i = np.lexsort((pos, h))[rank - 1]
    return int(h[i]), int(pos[i])


def below_cuts(
    hashes: npt.NDArray[np.uint64],
    positions: npt.ArrayLike,
    codes: npt.NDArray[np.integer[Any]],
    cuts: Sequence[tuple[int, int] | None],
) -> npt.NDArray[np.bool_]:
    """Which rows ``method="exact"`` keeps, given each class's cut.

    Parameters
    ----------
    hashes : numpy.ndarray of uint64
        Each row's hash (:func:`row_hashes` of its position or key identity).
    positions : array-like of int
        Each row's position.
    codes : numpy.ndarray of int
        The class of each row, as an index into ``cuts``.
    cuts : sequence of (int, int) or None
        Per class, its cut (see :func:`cut_at`); ``None`` for a class kept whole.

    Returns
    -------
    numpy.ndarray of bool
        True for the rows at or below their class's cut, and for every row of a class
        kept whole.

    Examples
    --------
    >>> import numpy as np
    >>> from upweight._selection import below_cuts
    >>> h = np.array([4, 2, 2, 9, 1], dtype=np.uint64)
    >>> below_cuts(h, np.arange(5), np.array([0, 0, 0, 0, 1]), [(2, 1), None]).tolist()
    [False, True, False, False, True]
    """
    pos = np.asarray(positions)
    keep = np.ones(codes.size, dtype=bool)
    for j, cut in enumerate(cuts):
        if cut is None:
            continue
        in_class = codes == j
        top = np.uint64(cut[0])
        below = (hashes < top) | ((hashes == top) & (pos <= cut[1]))
        keep[in_class] = below[in_class]
    return keep
