"""What the leader knows about each follower, and the membership it tracks."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import IntEnum

from weir.raft.quorum import JointConfig, VoteResult
from weir.raft.types import NO_LIMIT, ConfState

NO_LEASE_TICK = -NO_LIMIT
"""A lease tick so old that it never grants a lease."""


class ProgressState(IntEnum):
    PROBE = 0
    """One MsgApp per heartbeat until the follower's match point is found."""
    REPLICATE = 1
    """Optimistic pipelining of MsgApps, bounded by the inflight window."""
    SNAPSHOT = 2
    """A snapshot is on its way; nothing else is sent until it is reported."""


class Inflights:
    """The window of MsgApps sent to one follower and not yet acknowledged.

    Each inflight message is remembered by the index of its last entry and
    its payload size; the window is full at `count_max` messages or
    `bytes_max` bytes.
    """

    __slots__ = ("_indexes", "_sizes", "bytes", "bytes_max", "count_max")

    def __init__(self, count_max: int, bytes_max: int = NO_LIMIT) -> None:
        self._indexes: deque[int] = deque()
        self._sizes: deque[int] = deque()
        self.count_max = count_max
        self.bytes_max = bytes_max
        self.bytes = 0

    def clone(self) -> Inflights:
        other = Inflights(self.count_max, self.bytes_max)
        other._indexes.extend(self._indexes)
        other._sizes.extend(self._sizes)
        other.bytes = self.bytes
        return other

    def add(self, index: int, size: int) -> None:
        assert not self._indexes or index > self._indexes[-1]
        self._indexes.append(index)
        self._sizes.append(size)
        self.bytes += size

    def free_le(self, index: int) -> None:
        """Free every inflight message whose last index is <= index."""
        indexes = self._indexes
        sizes = self._sizes
        while indexes and indexes[0] <= index:
            indexes.popleft()
            self.bytes -= sizes.popleft()

    def full(self) -> bool:
        return len(self._indexes) >= self.count_max or self.bytes >= self.bytes_max

    def count(self) -> int:
        return len(self._indexes)

    def reset(self) -> None:
        self._indexes.clear()
        self._sizes.clear()
        self.bytes = 0


class Progress:
    """The leader's view of one follower (or of itself).

    Invariant: match < next. Entries up to `match` are known to be on the
    follower's disk; `next` is the first index the next MsgApp carries.
    """

    __slots__ = (
        "acked_round",
        "inflights",
        "is_learner",
        "lease_tick",
        "match",
        "msg_app_flow_paused",
        "next",
        "pending_snapshot",
        "recent_active",
        "sent_commit",
        "state",
    )

    def __init__(
        self,
        *,
        match: int,
        next_index: int,
        inflights: Inflights,
        is_learner: bool = False,
        recent_active: bool = False,
    ) -> None:
        self.match = match
        self.next = next_index
        self.state = ProgressState.PROBE
        self.pending_snapshot = 0
        """In SNAPSHOT state, the index of the snapshot being sent."""
        self.recent_active = recent_active
        """Heard from since the last check-quorum; the leader is always active."""
        self.msg_app_flow_paused = False
        """No more MsgApps until an ack: a probe is out or the window is full."""
        self.inflights = inflights
        self.is_learner = is_learner
        self.sent_commit = 0
        """The largest commit index sent to the follower."""
        self.acked_round = 0
        """The largest heartbeat round the follower acknowledged."""
        self.lease_tick = NO_LEASE_TICK
        """Leader tick at which the newest acknowledged heartbeat was sent."""

    def clone(self) -> Progress:
        other = Progress(
            match=self.match,
            next_index=self.next,
            inflights=self.inflights.clone(),
            is_learner=self.is_learner,
            recent_active=self.recent_active,
        )
        other.state = self.state
        other.pending_snapshot = self.pending_snapshot
        other.msg_app_flow_paused = self.msg_app_flow_paused
        other.sent_commit = self.sent_commit
        other.acked_round = self.acked_round
        other.lease_tick = self.lease_tick
        return other

    def __repr__(self) -> str:
        text = f"{self.state.name} match={self.match} next={self.next}"
        if self.is_learner:
            text += " learner"
        if self.state == ProgressState.SNAPSHOT:
            text += f" pending_snapshot={self.pending_snapshot}"
        if self.msg_app_flow_paused:
            text += " paused"
        if self.inflights.count():
            text += f" inflight={self.inflights.count()}"
        return text

    def _reset_state(self, state: ProgressState) -> None:
        self.msg_app_flow_paused = False
        self.pending_snapshot = 0
        self.state = state
        self.inflights.reset()

    def become_probe(self) -> None:
        if self.state == ProgressState.SNAPSHOT:
            # The snapshot may or may not have been applied; resume after it,
            # a rejection will move next back if it was not.
            pending = self.pending_snapshot
            self._reset_state(ProgressState.PROBE)
            self.next = max(self.match + 1, pending + 1)
        else:
            self._reset_state(ProgressState.PROBE)
            self.next = self.match + 1
        self.sent_commit = min(self.sent_commit, self.next - 1)

    def become_replicate(self) -> None:
        self._reset_state(ProgressState.REPLICATE)
        self.next = self.match + 1

    def become_snapshot(self, snapshot_index: int) -> None:
        self._reset_state(ProgressState.SNAPSHOT)
        self.pending_snapshot = snapshot_index
        self.next = snapshot_index + 1
        self.sent_commit = snapshot_index

    def sent_entries(self, count: int, size: int) -> None:
        """Account for a MsgApp carrying `count` entries of `size` bytes."""
        if self.state == ProgressState.REPLICATE:
            if count:
                self.next += count
                self.inflights.add(self.next - 1, size)
            self.msg_app_flow_paused = self.inflights.full()
        elif self.state == ProgressState.PROBE:
            # Every MsgApp in probe state is a probe: wait for its answer.
            self.msg_app_flow_paused = True

    def maybe_update(self, index: int) -> bool:
        """Record an acknowledgement up to index; False if it was stale."""
        if index <= self.match:
            return False
        self.match = index
        if self.next <= index:
            self.next = index + 1
        self.msg_app_flow_paused = False
        return True

    def maybe_decr_to(self, rejected: int, match_hint: int) -> bool:
        """Move next back after a rejection of the MsgApp at `rejected`.

        `match_hint` is the follower's guess of the last index where the logs
        may match. Returns False for a stale rejection.
        """
        if self.state == ProgressState.REPLICATE:
            if rejected <= self.match:
                return False
            # Pipelined MsgApps beyond match may all be lost; restart there.
            self.next = self.match + 1
            self.sent_commit = min(self.sent_commit, self.next - 1)
            return True
        if self.next - 1 != rejected:
            return False
        self.next = max(min(rejected, match_hint + 1), self.match + 1)
        self.sent_commit = min(self.sent_commit, self.next - 1)
        self.msg_app_flow_paused = False
        return True

    def is_paused(self) -> bool:
        if self.state == ProgressState.SNAPSHOT:
            return True
        return self.msg_app_flow_paused

    def can_bump_commit(self, index: int) -> bool:
        """Would sending commit `index` move the follower's commit forward?"""
        return (
            self.state != ProgressState.SNAPSHOT
            and index > self.sent_commit
            and self.sent_commit < self.next - 1
        )


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """The membership in force: voters (maybe joint) and learners."""

    voters: JointConfig
    learners: frozenset[int] = frozenset()
    learners_next: frozenset[int] = frozenset()
    """Outgoing voters to turn into learners when the joint config is left."""
    auto_leave: bool = False
    """Leave the joint config as soon as it is applied."""

    def __repr__(self) -> str:
        text = f"voters={self.voters!r}"
        if self.learners:
            text += " learners=(" + " ".join(map(str, sorted(self.learners))) + ")"
        if self.learners_next:
            text += " learners_next=(" + " ".join(map(str, sorted(self.learners_next))) + ")"
        if self.auto_leave:
            text += " autoleave"
        return text


class ProgressTracker:
    """The configuration, a Progress per member and the votes of an election."""

    __slots__ = ("config", "inflight_bytes_max", "inflight_msgs_max", "progress", "votes")

    def __init__(self, inflight_msgs_max: int, inflight_bytes_max: int = NO_LIMIT) -> None:
        self.config = TrackerConfig(JointConfig())
        self.progress: dict[int, Progress] = {}
        """Every voter and learner, in id order."""
        self.votes: dict[int, bool] = {}
        self.inflight_msgs_max = inflight_msgs_max
        self.inflight_bytes_max = inflight_bytes_max

    def conf_state(self) -> ConfState:
        cfg = self.config
        return ConfState(
            voters=tuple(sorted(cfg.voters.incoming.ids)),
            learners=tuple(sorted(cfg.learners)),
            voters_outgoing=tuple(sorted(cfg.voters.outgoing.ids)),
            learners_next=tuple(sorted(cfg.learners_next)),
            auto_leave=cfg.auto_leave,
        )

    def is_singleton(self) -> bool:
        voters = self.config.voters
        return len(voters.incoming) == 1 and not voters.outgoing.ids

    def committed(self) -> int:
        """The largest index replicated on a quorum of voters."""
        progress = self.progress
        return self.config.voters.committed_index(lambda node_id: progress[node_id].match)

    def quorum_active(self) -> bool:
        votes = {i: pr.recent_active for i, pr in self.progress.items() if not pr.is_learner}
        return self.config.voters.vote_result(votes) == VoteResult.WON

    def voter_ids(self) -> list[int]:
        return sorted(self.config.voters.ids())

    def learner_ids(self) -> list[int]:
        return sorted(self.config.learners | self.config.learners_next)

    def reset_votes(self) -> None:
        self.votes = {}

    def record_vote(self, node_id: int, granted: bool) -> None:
        self.votes.setdefault(node_id, granted)

    def tally_votes(self) -> tuple[int, int, VoteResult]:
        """(granted, rejected, result) over the voters."""
        granted = rejected = 0
        for node_id in self.config.voters.ids():
            vote = self.votes.get(node_id)
            if vote is None:
                continue
            if vote:
                granted += 1
            else:
                rejected += 1
        return granted, rejected, self.config.voters.vote_result(self.votes)
