"""The selection scheme: a function of (row position, seed), shared by every engine."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from upweight._selection import (
    below_cuts,
    cut_at,
    cut_window,
    kept_whole,
    row_hashes,
    row_uniforms,
    select_rows,
    smallest,
)


def splitmix64_reference(seed: int, count: int) -> list[int]:
    """SplitMix64 as published (Steele, Lea, Flood 2014), in plain Python integers."""
    mask = (1 << 64) - 1

    def mix(z: int) -> int:
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    state = mix(seed & mask)
    out = []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & mask
        out.append(mix(state))
    return out


@pytest.mark.parametrize("seed", [0, 1, 42, 2**63 - 1])
def test_hashes_are_splitmix64_outputs(seed):
    assert row_hashes(np.arange(20), seed).tolist() == splitmix64_reference(seed, 20)


def test_uniforms_are_uniform():
    u = row_uniforms(np.arange(200_000), seed=3)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 0.001


def test_different_seeds_give_independent_streams():
    a = row_uniforms(np.arange(100_000), seed=1)
    b = row_uniforms(np.arange(100_000), seed=2)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.02


def test_bernoulli_decision_does_not_depend_on_chunking():
    n = 2_500_000  # select_rows decides a million rows at a time: this takes three chunks
    codes = np.zeros(n, dtype=np.intp)
    rates = np.array([0.3])
    kept = np.array([750_000])
    whole = select_rows(codes, rates, kept, method="bernoulli", seed=9)
    cut = 777  # the same rows, in two pieces whose chunks start elsewhere
    pieces = [(0, cut), (cut, n)]
    chunked = np.concatenate(
        [
            start
            + select_rows(
                codes[start:stop],
                rates,
                kept,
                method="bernoulli",
                seed=9,
                ids=np.arange(start, stop, dtype=np.uint64),
            )
            for start, stop in pieces
        ]
    )
    np.testing.assert_array_equal(whole, chunked)


@given(
    n=st.integers(1, 3_000),
    rate=st.floats(0.001, 1.0),
    seed=st.integers(0, 2**63 - 1),
)
def test_exact_keeps_exactly_n_and_nests_across_factors(n, rate, seed):
    codes = np.zeros(n, dtype=np.intp)
    n_keep = max(1, int(np.floor(n * rate + 0.5)))
    small = select_rows(codes, np.array([rate]), np.array([n_keep]), method="exact", seed=seed)
    assert small.size == n_keep
    assert np.all(np.diff(small) > 0)
    larger = min(n, n_keep * 2)
    big = select_rows(
        codes, np.array([min(1.0, rate * 2)]), np.array([larger]), method="exact", seed=seed
    )
    assert set(small.tolist()) <= set(big.tolist())


def test_bernoulli_nests_across_factors():
    codes = np.zeros(50_000, dtype=np.intp)
    at_10 = select_rows(codes, np.array([0.1]), np.array([0]), method="bernoulli", seed=5)
    at_25 = select_rows(codes, np.array([0.04]), np.array([0]), method="bernoulli", seed=5)
    assert set(at_25.tolist()) <= set(at_10.tolist())


def test_ties_go_to_the_earlier_position():
    chosen = smallest(np.zeros(10, dtype=np.uint64), 3)
    assert chosen.tolist() == [0, 1, 2]


def test_equal_keys_are_ties_that_go_to_the_earlier_position():
    codes = np.zeros(10, dtype=np.intp)
    ids = np.zeros(10, dtype=np.uint64)  # one key for every row: equal hashes
    chosen = select_rows(codes, np.array([0.3]), np.array([3]), method="exact", seed=0, ids=ids)
    assert chosen.tolist() == [0, 1, 2]


@given(
    hashes=st.lists(st.integers(0, 5), min_size=1, max_size=60),
    data=st.data(),
)
def test_a_cut_keeps_the_same_rows_as_the_smallest_hashes(hashes, data):
    # the Spark engine keeps the rows at or below each class's cut; in memory, the n
    # smallest hashes: the two agree, ties (many equal hashes here) included
    h = np.array(hashes, dtype=np.uint64) * np.uint64(2**61)
    n = data.draw(st.integers(1, h.size))
    positions = np.arange(h.size)
    cut = cut_at(h, positions, n)
    kept = below_cuts(h, positions, np.zeros(h.size, dtype=np.intp), [cut])
    assert np.flatnonzero(kept).tolist() == smallest(h, n).tolist()


@pytest.mark.parametrize(("kept", "count"), [(1, 2), (10, 1_000), (5_000, 100_000), (99, 100)])
def test_the_cut_window_holds_the_cut_of_uniform_hashes(kept, count):
    for seed in range(20):
        h = row_hashes(np.arange(count), seed)
        low, high = cut_window(kept, count)
        assert low <= int(np.partition(h, kept - 1)[kept - 1]) <= high


def test_a_class_is_kept_whole_at_rate_one_or_when_exact_keeps_every_row():
    assert kept_whole(1.0, 3, 10, "exact") and kept_whole(1.0, 3, 10, "bernoulli")
    assert kept_whole(0.5, 10, 10, "exact") and not kept_whole(0.5, 10, 10, "bernoulli")
    assert not kept_whole(0.5, 5, 10, "exact")


def test_integer_keys_equal_to_positions_give_the_positional_selection():
    from upweight._selection import key_ids

    codes = np.array([0] * 900 + [1] * 100)
    rates, kept = np.array([0.1, 1.0]), np.array([90, 100])
    for method in ("exact", "bernoulli"):
        by_position = select_rows(codes, rates, kept, method=method, seed=3)
        by_key = select_rows(
            codes, rates, kept, method=method, seed=3, ids=key_ids(np.arange(1000))
        )
        assert by_key.tolist() == by_position.tolist()


def test_string_keys_use_the_md5_digest_and_equal_keys_go_together():
    import hashlib

    from upweight._selection import key_ids

    expected = int.from_bytes(hashlib.md5(b"user-7").digest()[:8], "little")
    assert int(key_ids(["user-7"])[0]) == expected
    keys = np.array([f"user-{i % 50}" for i in range(1000)])
    kept = select_rows(
        np.zeros(1000, dtype=np.int64),
        np.array([0.2]),
        np.array([0]),
        method="bernoulli",
        seed=1,
        ids=key_ids(keys),
    )
    kept_users = {keys[i] for i in kept}
    assert all(keys[i] not in kept_users for i in np.setdiff1d(np.arange(1000), kept))


def test_keys_that_are_not_ints_or_strings_are_refused():
    from upweight import InputError
    from upweight._selection import key_ids

    with pytest.raises(InputError, match="key values must be integers or strings"):
        key_ids([1.5, 2.5])
