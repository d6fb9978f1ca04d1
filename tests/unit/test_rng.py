"""EntryRandom: the same seed draws the same numbers, within bounds, without bias to one end."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weir.state.rng import EntryRandom


@given(st.integers(min_value=0, max_value=2**64 - 1), st.integers(min_value=1, max_value=2**64 - 1))
def test_randrange_is_in_bounds_and_repeatable(seed: int, n: int) -> None:
    draws = [EntryRandom(seed).randrange(n) for _ in range(2)]
    assert draws[0] == draws[1]
    assert 0 <= draws[0] < n


def test_randrange_covers_a_small_range_evenly() -> None:
    rng = EntryRandom(7)
    counts = Counter(rng.randrange(6) for _ in range(60_000))
    assert sorted(counts) == list(range(6))
    assert all(9_000 < count < 11_000 for count in counts.values())


@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=0, max_value=300), st.data())
def test_sample_draws_distinct_positions(seed: int, n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=0, max_value=n))
    items = list(range(n))
    picked = EntryRandom(seed).sample(items, k)
    assert len(picked) == k == len(set(picked))
    assert set(picked) <= set(items)
    assert picked == EntryRandom(seed).sample(items, k)


def test_errors_match_random() -> None:
    rng = EntryRandom(1)
    with pytest.raises(ValueError):
        rng.randrange(0)
    with pytest.raises(ValueError):
        rng.sample([1, 2], 3)
    with pytest.raises(IndexError):
        rng.choice([])
