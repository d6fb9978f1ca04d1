"""The sorted set type: sorted (score, member) pairs plus a dict member -> score.

Rank and range operations are O(log n) through SortedItems (weir/state/sortedlist.py); lookups of a
member's score are O(1) through the dict. Order is total and the same on every
node (ties on score are broken by member bytes, as in Redis's skiplist).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from weir.state.sortedlist import SortedItems
from weir.state.types import EncodingLimits, ValueType, register


class ZSet:
    """A sorted set. `big` sticks once it outgrows listpack, as in Redis."""

    __slots__ = ("big", "order", "scores")

    def __init__(self, pairs: Iterable[tuple[bytes, float]] = (), big: bool = False) -> None:
        self.scores: dict[bytes, float] = {}
        self.order = SortedItems()
        self.big = big
        for member, score in pairs:
            self.add(member, score)

    def __len__(self) -> int:
        return len(self.scores)

    def __contains__(self, member: object) -> bool:
        return member in self.scores

    def add(self, member: bytes, score: Any) -> None:
        """Insert or move `member` to `score` (a float)."""
        # Any, not float: compiled code keeps a float unboxed and would box it twice,
        # for the dict and for the tuple; one float object shared saves 24 B a member.
        if score == 0.0 and not self.big:
            score = 0.0  # a listpack stores -0 as the integer 0
        old = self.scores.get(member)
        if old is not None:
            if old == score:
                return
            self.order.remove((old, member))
        self.scores[member] = score
        self.order.add((score, member))

    def remove(self, member: bytes) -> bool:
        score = self.scores.pop(member, None)
        if score is None:
            return False
        self.order.remove((score, member))
        return True

    def rank(self, member: bytes) -> int | None:
        score = self.scores.get(member)
        if score is None:
            return None
        return self.order.index((score, member))

    def make_room(self, member: bytes, limits: EncodingLimits) -> None:
        """Call before adding `member`: convert to a skiplist first if it would not fit."""
        if not self.big and (
            (member not in self.scores and len(self.scores) + 1 > limits.zset_max_listpack_entries)
            or len(member) > limits.zset_max_listpack_value
        ):
            self.big = True

    def settle(self, limits: EncodingLimits, members: Iterable[bytes] = ()) -> None:
        """Call after adding `members`: a listpack that grew too large becomes a skiplist."""
        if self.big:
            return
        if len(self.scores) > limits.zset_max_listpack_entries or any(
            len(member) > limits.zset_max_listpack_value for member in members
        ):
            self.big = True


def zset_encoding(value: ZSet, limits: EncodingLimits) -> str:
    return "skiplist" if value.big else "listpack"


def _dump_zset(value: ZSet) -> Any:
    return [value.big, [[member, score] for score, member in value.order]]


def _load_zset(data: Any) -> ZSet:
    big, pairs = data
    return ZSet(((member, score) for member, score in pairs), big)


register(ZSet, ValueType("zset", 4, _dump_zset, _load_zset, zset_encoding))
