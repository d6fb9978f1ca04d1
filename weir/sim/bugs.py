"""Deliberately broken variants, to prove the simulator and checkers can fail.

Each bug is a small, realistic mistake. `weir sim --bug NAME` must report a
violation for some seed; tests/sim/test_bugs.py keeps it that way.
"""

from __future__ import annotations

from weir.raft import Message, Raft


class CommitWithoutQuorumRaft(Raft):
    """The leader commits what it has appended, without counting acks."""

    def _maybe_commit(self) -> bool:
        return self.raft_log.maybe_commit(self.raft_log.last_index(), self.term)


class NoLogCheckRaft(Raft):
    """Votes are granted without checking that the candidate's log is up to date."""

    def _handle_vote_request(self, m: Message) -> None:
        last_index = self.raft_log.last_index()
        last_term = self.raft_log.last_term()
        super()._handle_vote_request(m.copy(index=last_index, log_term=last_term))


BUGS: dict[str, str] = {
    "commit-without-quorum": "the leader commits its own entries without a quorum",
    "stale-read": "a node that believes it is leader serves reads locally, without ReadIndex",
    "forget-vote": "the vote is not persisted, so a restarted node may vote twice in a term",
    "no-log-check": "votes are granted to candidates whose log is behind",
}

RAFT_TYPES: dict[str, type[Raft]] = {
    "commit-without-quorum": CommitWithoutQuorumRaft,
    "no-log-check": NoLogCheckRaft,
}


def raft_type(bug: str | None) -> type[Raft]:
    if bug is None:
        return Raft
    return RAFT_TYPES.get(bug, Raft)
