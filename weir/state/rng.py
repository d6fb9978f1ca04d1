"""The random numbers of apply: SplitMix64, seeded with the entry's index.

Every node must draw the same numbers for the same entry (SPOP, SRANDMEMBER
inside MULTI, RANDOMKEY), so the generator is seeded per entry. Seeding
`random.Random` (a Mersenne Twister) costs about 5 µs, more than the whole
SPOP; SplitMix64 seeds by storing an integer. Its stream is fixed by this
file: changing it changes what a replayed log picks.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_MASK = (1 << 64) - 1


class EntryRandom:
    """The subset of random.Random that commands use: randrange, choice, sample."""

    __slots__ = ("_state",)

    def __init__(self, seed: int) -> None:
        self._state = seed & _MASK

    def next64(self) -> int:
        state = (self._state + 0x9E3779B97F4A7C15) & _MASK
        self._state = state
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def randrange(self, n: int) -> int:
        """A uniform integer in [0, n), by rejection (no modulo bias)."""
        if n <= 0:
            raise ValueError("empty range for randrange()")
        bits = n.bit_length()
        if bits > 64:
            raise ValueError("randrange() bound of 2**64 or more")
        shift = 64 - bits
        value = self.next64() >> shift
        while value >= n:
            value = self.next64() >> shift
        return value

    def choice(self, items: Sequence[T]) -> T:
        if not items:
            raise IndexError("cannot choose from an empty sequence")
        return items[self.randrange(len(items))]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """k distinct positions of `items`, in the order drawn."""
        n = len(items)
        if not 0 <= k <= n:
            raise ValueError("sample larger than population or is negative")
        if k * 3 > n:
            # Dense: a partial Fisher-Yates shuffle of a copy.
            pool = list(items)
            for i in range(k):
                j = i + self.randrange(n - i)
                pool[i], pool[j] = pool[j], pool[i]
            return pool[:k]
        chosen: set[int] = set()
        out: list[T] = []
        for _ in range(k):
            j = self.randrange(n)
            while j in chosen:
                j = self.randrange(n)
            chosen.add(j)
            out.append(items[j])
        return out


# Reads (SRANDMEMBER, HRANDFIELD, RANDOMKEY outside an entry) change no state: one
# generator seeded once per process serves them all.
READ_RANDOM = EntryRandom(int.from_bytes(os.urandom(8), "little"))
