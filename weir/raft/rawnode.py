"""The application's handle on one Raft node.

The driver loop, single-threaded::

    node = RawNode(Config(id=1, storage=storage, rng=random.Random(seed)))
    while True:
        # on a timer:            node.tick()
        # on a peer message:     node.step(message)
        # on a client request:   node.propose(data) / node.read_index(ctx)
        if node.has_ready():
            rd = node.ready()
            persist(rd.snapshot, rd.entries_to_persist, rd.hard_state)
            send(rd.messages)
            apply(rd.snapshot, rd.committed_entries)  # apply_conf_change too
            serve(rd.read_states)
            node.advance()

Between `ready()` and `advance()` the node may keep stepping messages and
ticking; what that produces goes into the next Ready.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from weir.raft.progress import ProgressState
from weir.raft.raft import Config, Raft
from weir.raft.types import (
    LOCAL_MESSAGES,
    ConfChange,
    ConfState,
    Entry,
    EntryKind,
    HardState,
    Message,
    MessageType,
    Ready,
    ReadyError,
    SoftState,
    StateType,
    StepLocalMessageError,
)


@dataclass(frozen=True, slots=True)
class ProgressStatus:
    match: int
    next: int
    state: ProgressState
    is_learner: bool
    recent_active: bool
    inflight: int


@dataclass(frozen=True, slots=True)
class Status:
    id: int
    term: int
    vote: int
    commit: int
    applied: int
    lead: int
    state: StateType
    conf_state: ConfState
    progress: dict[int, ProgressStatus]
    """Followers as the leader sees them; empty unless leader."""
    lease_valid: bool


class RawNode:
    """Wraps `Raft` with the Ready/advance protocol."""

    __slots__ = ("_outstanding", "_prev_hard", "_prev_soft", "raft")

    def __init__(self, config: Config, *, raft_type: type[Raft] = Raft) -> None:
        """`raft_type` lets the simulator run deliberately broken subclasses."""
        self.raft = raft_type(config)
        self._prev_soft = self.raft.soft_state()
        self._prev_hard = self.raft.hard_state()
        self._outstanding: Ready | None = None

    # ------------------------------------------------------------- inputs

    def tick(self) -> None:
        self.raft.tick()

    def campaign(self) -> None:
        """Start an election now instead of waiting for the timeout."""
        self.raft.step(Message(MessageType.HUP))

    def propose(self, data: bytes) -> None:
        """Propose a normal entry. Raises ProposalDroppedError if it can't be."""
        self.raft.propose_normal((data,))

    def propose_batch(self, datas: Sequence[bytes]) -> None:
        """Propose several normal entries at once, in order (one MsgProp).

        All or none are appended. Batching the proposals of one event-loop
        pass saves most of the per-proposal cost.
        """
        self.raft.propose_normal(datas)

    def propose_conf_change(self, cc: ConfChange) -> None:
        """Propose a membership change; apply it with `apply_conf_change` once committed.

        Raises ProposalDroppedError when this leader refuses it (another change
        pending, joint state, or invalid for the current configuration).
        """
        self.raft.step(
            Message(MessageType.PROP, entries=[Entry(0, 0, EntryKind.CONF_CHANGE, cc.encode())])
        )

    def step(self, m: Message) -> None:
        """Feed a message from a peer."""
        if m.kind in LOCAL_MESSAGES:
            raise StepLocalMessageError(f"{m.kind.name} is local to a node")
        self.raft.step(m)

    def read_index(self, context: bytes) -> None:
        """Ask for a linearizable read; a ReadState with `context` follows.

        The read may be served once the state machine has applied the
        ReadState's index. Raises ReadIndexDroppedError when no leader is
        known; a request lost on the way to the leader simply never answers.
        """
        self.raft.step(Message(MessageType.READ_INDEX, context=context))

    def transfer_leader(self, transferee: int) -> None:
        """Ask the leader to hand leadership to `transferee`."""
        self.raft.step(Message(MessageType.TRANSFER_LEADER, source=transferee))

    def apply_conf_change(self, cc: ConfChange) -> ConfState:
        return self.raft.apply_conf_change(cc)

    def report_unreachable(self, node_id: int) -> None:
        """The transport failed to reach node_id; replication falls back to probing."""
        self.raft.step(Message(MessageType.UNREACHABLE, source=node_id))

    def report_snapshot(self, node_id: int, ok: bool) -> None:
        """The transport finished (ok) or failed to send a snapshot to node_id."""
        self.raft.step(Message(MessageType.SNAP_STATUS, source=node_id, reject=not ok))

    # ------------------------------------------------------------ outputs

    def has_ready(self) -> bool:
        if self._outstanding is not None:
            return False
        raft = self.raft
        if raft.msgs or raft.read_states or raft.has_flush_pending():
            return True
        log = raft.raft_log
        if log.has_unstable() or log.has_next_committed():
            return True
        prev = self._prev_hard
        if raft.term != prev.term or raft.vote != prev.vote or log.committed != prev.commit:
            return True
        soft = self._prev_soft
        return raft.lead != soft.lead or raft.state != soft.state

    def ready(self) -> Ready:
        """Take the work accumulated so far. Call `advance()` when done with it."""
        if self._outstanding is not None:
            raise ReadyError("the previous Ready was not advanced")
        raft = self.raft
        raft.flush()
        log = raft.raft_log
        hard: HardState | None = raft.hard_state()
        prev_hard = self._prev_hard
        must_sync = False
        if hard == prev_hard:
            hard = None
        else:
            assert hard is not None
            must_sync = hard.term != prev_hard.term or hard.vote != prev_hard.vote
            self._prev_hard = hard
        soft: SoftState | None = raft.soft_state()
        if soft == self._prev_soft:
            soft = None
        else:
            assert soft is not None
            self._prev_soft = soft
        entries = log.unstable_entries()
        messages = raft.msgs
        raft.msgs = []
        read_states = raft.read_states
        raft.read_states = []
        rd = Ready(
            hard_state=hard,
            entries_to_persist=entries,
            messages=messages,
            committed_entries=log.next_committed_entries(),
            snapshot=log.unstable.snapshot,
            read_states=read_states,
            soft_state=soft,
            must_sync=must_sync or bool(entries),
        )
        self._outstanding = rd
        return rd

    def advance(self) -> None:
        """The last Ready is persisted, sent and applied."""
        rd = self._outstanding
        if rd is None:
            raise ReadyError("advance() without a Ready")
        self._outstanding = None
        self.raft.advance(rd.entries_to_persist, rd.snapshot, rd.committed_entries)

    def status(self) -> Status:
        raft = self.raft
        progress: dict[int, ProgressStatus] = {}
        if raft.state == StateType.LEADER:
            for node_id, pr in raft.trk.progress.items():
                progress[node_id] = ProgressStatus(
                    pr.match,
                    pr.next,
                    pr.state,
                    pr.is_learner,
                    pr.recent_active,
                    pr.inflights.count(),
                )
        return Status(
            id=raft.id,
            term=raft.term,
            vote=raft.vote,
            commit=raft.raft_log.committed,
            applied=raft.raft_log.applied,
            lead=raft.lead,
            state=raft.state,
            conf_state=raft.trk.conf_state(),
            progress=progress,
            lease_valid=raft.lease_valid(),
        )
