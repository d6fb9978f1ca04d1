"""The set type: members in an insertion-ordered structure, never a Python set.

A Python set's iteration order of bytes changes between processes (hash
randomization); replies, random picks and snapshots must be the same on every
node, so members live in a list (for O(1) random picks) with a dict from
member to its position. Removal moves the last member into the hole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from weir.state.rng import EntryRandom
from weir.state.types import EncodingLimits, ValueType, register

_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


def is_int_member(member: bytes) -> bool:
    """Whether Redis would keep `member` in an intset (a canonical 64-bit integer)."""
    if not member or len(member) > 20:
        return False
    try:
        number = int(member)
    except ValueError:
        return False
    return _LONG_MIN <= number <= _LONG_MAX and str(number).encode() == member


class SetValue:
    """A set of bytes. `big` sticks once the set stops being an intset, as in Redis."""

    __slots__ = ("big", "items", "positions")

    def __init__(self, members: Iterable[bytes] = ()) -> None:
        self.positions: dict[bytes, int] = {}
        self.items: list[bytes] = []
        self.big = False
        for member in members:
            self.add(member)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, member: object) -> bool:
        return member in self.positions

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.items)

    def add(self, member: bytes) -> bool:
        if member in self.positions:
            return False
        self.positions[member] = len(self.items)
        self.items.append(member)
        if not self.big and not is_int_member(member):
            self.big = True
        return True

    def remove(self, member: bytes) -> bool:
        position = self.positions.pop(member, None)
        if position is None:
            return False
        last = self.items.pop()
        if position < len(self.items):
            self.items[position] = last
            self.positions[last] = position
        return True

    def pick(self, rng: EntryRandom) -> bytes:
        return self.items[rng.randrange(len(self.items))]

    def settle(self, limits: EncodingLimits) -> None:
        """Call after adding: an intset that grew too large becomes a hashtable for good."""
        if not self.big and len(self.items) > limits.set_max_intset_entries:
            self.big = True

    def sorted_if_intset(self) -> list[bytes]:
        """Members in reply order: an intset answers sorted by value, as Redis's does."""
        if self.big:
            return list(self.items)
        return sorted(self.items, key=int)


def set_encoding(value: SetValue, limits: EncodingLimits) -> str:
    return "hashtable" if value.big else "intset"


def _dump_set(value: SetValue) -> Any:
    return [value.big, value.items]


def _load_set(data: Any) -> SetValue:
    big, items = data
    value = SetValue(items)
    value.big = big
    return value


register(SetValue, ValueType("set", 3, _dump_set, _load_set, set_encoding))
