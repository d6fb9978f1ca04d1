"""Majority and joint quorums: committed indexes and election outcomes.

A joint quorum (Raft thesis section 4.3) needs a majority of the incoming
and of the outgoing voters; a non-joint config has an empty outgoing half,
which agrees with everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from enum import IntEnum

from weir.raft.types import NO_LIMIT


class VoteResult(IntEnum):
    PENDING = 1
    LOST = 2
    WON = 3


class MajorityConfig:
    """A set of voter ids decided by simple majority."""

    __slots__ = ("ids",)

    def __init__(self, ids: Iterable[int] = ()) -> None:
        self.ids = frozenset(ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.ids

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self.ids))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MajorityConfig) and self.ids == other.ids

    def __hash__(self) -> int:
        return hash(self.ids)

    def __repr__(self) -> str:
        return "(" + " ".join(str(i) for i in sorted(self.ids)) + ")"

    def committed_index(self, acked: Callable[[int], int]) -> int:
        """The largest value that a majority has acknowledged (reached or passed).

        `acked(id)` is the value acknowledged by voter id. An empty config
        returns NO_LIMIT so that it never constrains a joint config.
        """
        n = len(self.ids)
        if n == 0:
            return NO_LIMIT
        if n == 1:
            for node_id in self.ids:
                return acked(node_id)
        values = sorted([acked(node_id) for node_id in self.ids])
        return values[n - (n // 2 + 1)]

    def vote_result(self, votes: Mapping[int, bool]) -> VoteResult:
        """WON with a majority of yes, LOST when that became impossible."""
        if not self.ids:
            return VoteResult.WON
        granted = missing = 0
        for node_id in self.ids:
            vote = votes.get(node_id)
            if vote is None:
                missing += 1
            elif vote:
                granted += 1
        quorum = len(self.ids) // 2 + 1
        if granted >= quorum:
            return VoteResult.WON
        if granted + missing >= quorum:
            return VoteResult.PENDING
        return VoteResult.LOST


class JointConfig:
    """Incoming and outgoing majority configs; outgoing is empty unless joint."""

    __slots__ = ("incoming", "outgoing")

    def __init__(
        self, incoming: MajorityConfig | None = None, outgoing: MajorityConfig | None = None
    ) -> None:
        self.incoming = incoming if incoming is not None else MajorityConfig()
        self.outgoing = outgoing if outgoing is not None else MajorityConfig()

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, JointConfig)
            and self.incoming == other.incoming
            and self.outgoing == other.outgoing
        )

    def __hash__(self) -> int:
        return hash((self.incoming, self.outgoing))

    def __repr__(self) -> str:
        if self.outgoing.ids:
            return f"{self.incoming!r}&&{self.outgoing!r}"
        return repr(self.incoming)

    def ids(self) -> frozenset[int]:
        return self.incoming.ids | self.outgoing.ids

    def is_joint(self) -> bool:
        return bool(self.outgoing.ids)

    def committed_index(self, acked: Callable[[int], int]) -> int:
        incoming = self.incoming.committed_index(acked)
        if not self.outgoing.ids:
            return incoming
        return min(incoming, self.outgoing.committed_index(acked))

    def vote_result(self, votes: Mapping[int, bool]) -> VoteResult:
        incoming = self.incoming.vote_result(votes)
        outgoing = self.outgoing.vote_result(votes)
        if incoming == outgoing:
            return incoming
        if VoteResult.LOST in (incoming, outgoing):
            return VoteResult.LOST
        return VoteResult.PENDING
