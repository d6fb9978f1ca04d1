"""The Raft state machine: one node's view of the protocol, without I/O.

`Raft.step(message)` first handles the message's term (stepping down on a
newer term, answering or ignoring an older one), then votes, then hands the
message to the role's step function, which only `become_*` methods set.
`tick()` advances logical time. Output accumulates in `msgs` and
`read_states`; the log's unstable tail and cursors say what to persist and
apply. `RawNode` packages all of that as a `Ready`.

Two things differ from a message-at-a-time implementation, to batch work:

- A leader does not send MsgApp while handling a proposal or an ack. It
  queues the followers to send to, and `flush()` (called when the Ready is
  built) sends each of them one MsgApp holding everything new. Proposals
  made in one Ready cycle thus travel together.
- ReadIndex requests are confirmed by numbered heartbeat rounds, so all
  reads that arrive in one cycle share one round trip (see read_only.py).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum, IntEnum

from weir.raft import confchange
from weir.raft.log import RaftLog
from weir.raft.progress import (
    NO_LEASE_TICK,
    Progress,
    ProgressState,
    ProgressTracker,
    TrackerConfig,
)
from weir.raft.quorum import VoteResult
from weir.raft.read_only import ReadOnly
from weir.raft.storage import Storage
from weir.raft.types import (
    EMPTY_HARD_STATE,
    NO_LIMIT,
    NONE,
    CompactedError,
    ConfChange,
    ConfChangeError,
    ConfigError,
    ConfState,
    Entry,
    EntryKind,
    HardState,
    Message,
    MessageType,
    ProposalDroppedError,
    ReadIndexDroppedError,
    ReadState,
    Snapshot,
    SnapshotTemporarilyUnavailableError,
    SoftState,
    StateType,
    payload_bytes,
)

TRANSFER_CONTEXT = b"CampaignTransfer"
"""Vote context of a leadership transfer: voters ignore their leader lease."""

_M = MessageType


class ReadOnlyOption(IntEnum):
    SAFE = 0
    """Every read waits for a heartbeat round acknowledged by a quorum."""
    LEASE_BASED = 1
    """Reads are served at once while the leader holds a lease (see lease_valid)."""


class CampaignType(Enum):
    PRE_ELECTION = "pre-election"
    ELECTION = "election"
    TRANSFER = "transfer"


@dataclass(slots=True)
class Config:
    """Parameters of one node. Times are in ticks; sizes in bytes."""

    id: int
    storage: Storage
    rng: random.Random
    """Source of randomized election timeouts; seed it for reproducible runs."""
    election_tick: int = 10
    """A follower that hears nothing for [election_tick, 2*election_tick) campaigns."""
    heartbeat_tick: int = 1
    applied: int = 0
    """Last index the application applied before this restart."""
    entries_bytes_max: int = 1 << 20
    """Payload budget of one MsgApp (at least one entry is always sent)."""
    inflight_msgs_max: int = 256
    """MsgApps in flight to one follower in replicate state."""
    inflight_bytes_max: int = NO_LIMIT
    uncommitted_bytes_max: int = NO_LIMIT
    """Leader drops proposals while its uncommitted tail exceeds this."""
    committed_bytes_max: int = NO_LIMIT
    """Budget of the committed entries in one Ready."""
    check_quorum: bool = True
    """A leader steps down after an election timeout without a quorum's answer."""
    pre_vote: bool = True
    read_only_option: ReadOnlyOption = ReadOnlyOption.SAFE
    lease_margin_ticks: int = 1
    """Lease = election_tick - margin ticks; the margin covers tick skew."""
    disable_proposal_forwarding: bool = False
    step_down_on_removal: bool = True

    def validate(self) -> None:
        if self.id == NONE:
            raise ConfigError("id must not be 0")
        if self.heartbeat_tick <= 0:
            raise ConfigError("heartbeat_tick must be greater than 0")
        if self.election_tick <= self.heartbeat_tick:
            raise ConfigError("election_tick must be greater than heartbeat_tick")
        if self.inflight_msgs_max <= 0:
            raise ConfigError("inflight_msgs_max must be greater than 0")
        if self.entries_bytes_max <= 0 or self.inflight_bytes_max <= 0:
            raise ConfigError("byte limits must be greater than 0")
        if self.read_only_option == ReadOnlyOption.LEASE_BASED:
            if not self.check_quorum:
                raise ConfigError("lease-based reads need check_quorum")
            if not 1 <= self.lease_margin_ticks < self.election_tick:
                raise ConfigError("lease_margin_ticks must be in [1, election_tick)")


class Raft:
    """One node's Raft state. Drive it with `step`, `tick` and `advance`."""

    def __init__(self, config: Config) -> None:
        config.validate()
        self.id = config.id
        self.rng = config.rng
        self.raft_log = RaftLog(config.storage, config.committed_bytes_max)
        hard_state, conf_state = config.storage.initial_state()

        self.term = 0
        self.vote = NONE
        """Whom this node voted for in `term`; persisted before any reply."""
        self.lead = NONE
        self.state = StateType.FOLLOWER
        self.is_learner = False
        self.trk = ProgressTracker(config.inflight_msgs_max, config.inflight_bytes_max)

        self.msgs: list[Message] = []
        """Outgoing messages; they leave only after the Ready is persisted."""
        self.read_states: list[ReadState] = []

        self.election_tick = config.election_tick
        self.heartbeat_tick = config.heartbeat_tick
        self.election_elapsed = 0
        """Ticks since the last election timeout, or since hearing the leader."""
        self.heartbeat_elapsed = 0
        self.randomized_election_timeout = 0
        self.boot_ticks = 0
        """Ticks since start, counted up to election_tick (lease safety)."""
        self.leader_ticks = 0
        """Ticks since becoming leader; the clock of leases."""

        self.entries_bytes_max = config.entries_bytes_max
        self.uncommitted_bytes_max = config.uncommitted_bytes_max
        self.uncommitted_bytes = 0
        self.check_quorum = config.check_quorum
        self.pre_vote = config.pre_vote
        self.read_only_option = config.read_only_option
        self.lease_ticks = config.election_tick - config.lease_margin_ticks
        self.disable_proposal_forwarding = config.disable_proposal_forwarding
        self.step_down_on_removal = config.step_down_on_removal

        self.lead_transferee = NONE
        self.pending_conf_index = 0
        """Index of the latest conf change proposed; one may be pending at a time."""
        self.read_only = ReadOnly()
        self.lease_fence_round = 0
        """Acks of rounds up to this one grant no lease (a transfer was started)."""
        self.pending_read_index_messages: list[Message] = []
        """Reads that wait for the leader's first commit in its term."""

        self._bcast_pending = False
        """Every follower needs a MsgApp at the next flush."""
        self._append_pending: dict[int, bool] = {}
        """Followers that need a MsgApp at the next flush -> send even if empty."""

        self._step: Callable[[Message], None] = self._step_follower
        self._tick: Callable[[], None] = self._tick_election

        config_state, progress = confchange.restore(
            conf_state,
            last_index=self.raft_log.last_index(),
            inflight_msgs_max=config.inflight_msgs_max,
            inflight_bytes_max=config.inflight_bytes_max,
        )
        restored = self._switch_to_config(config_state, progress)
        assert restored.equivalent(conf_state), "conf state does not survive a restore"
        if hard_state != EMPTY_HARD_STATE:
            self._load_state(hard_state)
        if config.applied > 0:
            self.raft_log.applied_to(config.applied)
        self.become_follower(self.term, NONE)

    # ----------------------------------------------------------------- state

    def soft_state(self) -> SoftState:
        return SoftState(self.lead, self.state)

    def hard_state(self) -> HardState:
        return HardState(self.term, self.vote, self.raft_log.committed)

    def _load_state(self, state: HardState) -> None:
        log = self.raft_log
        if not log.committed <= state.commit <= log.last_index():
            raise ValueError(
                f"{self.id}: hard state commit {state.commit} is out of range "
                f"[{log.committed}, {log.last_index()}]"
            )
        log.committed = state.commit
        self.term = state.term
        self.vote = state.vote

    def promotable(self) -> bool:
        """Can this node campaign? Voters only, and not while installing a snapshot."""
        pr = self.trk.progress.get(self.id)
        return pr is not None and not pr.is_learner and not self.raft_log.has_pending_snapshot()

    def has_flush_pending(self) -> bool:
        return self._bcast_pending or bool(self._append_pending) or self.read_only.has_open()

    # ----------------------------------------------------------- transitions

    def _reset(self, term: int) -> None:
        if self.term != term:
            self.term = term
            self.vote = NONE
        self.lead = NONE
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        self.leader_ticks = 0
        self._reset_randomized_election_timeout()
        self.lead_transferee = NONE
        self.trk.reset_votes()
        last_index = self.raft_log.last_index()
        tracker = self.trk
        for node_id, pr in tracker.progress.items():
            fresh = Progress(
                match=last_index if node_id == self.id else 0,
                next_index=last_index + 1,
                inflights=pr.inflights,
                is_learner=pr.is_learner,
            )
            fresh.inflights.reset()
            tracker.progress[node_id] = fresh
        self.pending_conf_index = 0
        self.uncommitted_bytes = 0
        self.read_only = ReadOnly()
        self.lease_fence_round = 0
        self.pending_read_index_messages = []
        self._bcast_pending = False
        self._append_pending = {}

    def become_follower(self, term: int, lead: int) -> None:
        self._step = self._step_follower
        self._reset(term)
        self._tick = self._tick_election
        self.lead = lead
        self.state = StateType.FOLLOWER

    def become_candidate(self) -> None:
        assert self.state != StateType.LEADER, "leader -> candidate"
        self._step = self._step_candidate
        self._reset(self.term + 1)
        self._tick = self._tick_election
        self.vote = self.id
        self.state = StateType.CANDIDATE

    def become_pre_candidate(self) -> None:
        assert self.state != StateType.LEADER, "leader -> pre-candidate"
        # Neither the term nor the vote changes: a pre-election that fails
        # leaves no trace.
        self._step = self._step_candidate
        self.trk.reset_votes()
        self._tick = self._tick_election
        self.lead = NONE
        self.state = StateType.PRE_CANDIDATE

    def become_leader(self) -> None:
        assert self.state != StateType.FOLLOWER, "follower -> leader"
        self._step = self._step_leader
        self._reset(self.term)
        self._tick = self._tick_heartbeat
        self.lead = self.id
        self.state = StateType.LEADER
        pr = self.trk.progress[self.id]
        pr.become_replicate()
        pr.recent_active = True
        # There may be an unapplied conf change anywhere in the log; refuse
        # new ones until everything we have is applied.
        self.pending_conf_index = self.raft_log.last_index()
        # Committing an entry of our own term commits everything before it
        # (paper 5.4.2) and enables ReadIndex.
        appended = self._append_entries([(EntryKind.NORMAL, b"")])
        assert appended, "empty entry was dropped"
        self._bcast_pending = True

    def _reset_randomized_election_timeout(self) -> None:
        self.randomized_election_timeout = self.election_tick + self.rng.randrange(
            self.election_tick
        )

    def _past_election_timeout(self) -> bool:
        return self.election_elapsed >= self.randomized_election_timeout

    # ------------------------------------------------------------------ ticks

    def tick(self) -> None:
        self._tick()

    def _tick_election(self) -> None:
        self.election_elapsed += 1
        if self.boot_ticks < self.election_tick:
            self.boot_ticks += 1
        if self.promotable() and self._past_election_timeout():
            self.election_elapsed = 0
            self.step(Message(_M.HUP, source=self.id))

    def _tick_heartbeat(self) -> None:
        self.heartbeat_elapsed += 1
        self.election_elapsed += 1
        self.leader_ticks += 1
        if self.boot_ticks < self.election_tick:
            self.boot_ticks += 1
        if self.election_elapsed >= self.election_tick:
            self.election_elapsed = 0
            if self.check_quorum:
                self.step(Message(_M.CHECK_QUORUM, source=self.id))
            if self.state == StateType.LEADER and self.lead_transferee != NONE:
                self._abort_leader_transfer()
        if self.state != StateType.LEADER:
            return
        if self.heartbeat_elapsed >= self.heartbeat_tick:
            self.heartbeat_elapsed = 0
            self.step(Message(_M.BEAT, source=self.id))

    # ------------------------------------------------------------------- step

    def _in_lease(self) -> bool:
        """Does this node promise not to help elect anyone else right now?"""
        if not self.check_quorum:
            return False
        if self.lead != NONE and self.election_elapsed < self.election_tick:
            return True
        # A restarted node cannot know whose lease it promised before the
        # crash; with leases in use it keeps quiet for an election timeout.
        return (
            self.read_only_option == ReadOnlyOption.LEASE_BASED
            and self.boot_ticks < self.election_tick
        )

    def step(self, m: Message) -> None:
        """Handle one message. Terms first, then votes, then the role's step."""
        if m.term == 0:
            pass  # local message
        elif m.term > self.term:
            kind = m.kind
            if kind == _M.VOTE or kind == _M.PRE_VOTE:
                force = m.context == TRANSFER_CONTEXT
                if not force and self._in_lease():
                    # Thesis 4.2.3: ignore votes within the minimum election
                    # timeout of hearing from a leader; do not even bump term.
                    return
            if kind == _M.PRE_VOTE:
                pass  # never change term for a pre-vote
            elif kind == _M.PRE_VOTE_RESP and not m.reject:
                # Granted pre-votes carry the term we will campaign in.
                pass
            elif kind == _M.APP or kind == _M.HEARTBEAT or kind == _M.SNAP:
                self.become_follower(m.term, m.source)
            else:
                self.become_follower(m.term, NONE)
        elif m.term < self.term:
            kind = m.kind
            if (self.check_quorum or self.pre_vote) and (kind == _M.HEARTBEAT or kind == _M.APP):
                # A deposed or partitioned leader: tell it our term so it
                # steps down, since we won't bump terms on its votes.
                self._send(Message(_M.APP_RESP, target=m.source, term=self.term))
            elif kind == _M.PRE_VOTE:
                self._send(Message(_M.PRE_VOTE_RESP, target=m.source, term=self.term, reject=True))
            return

        kind = m.kind
        if kind == _M.HUP:
            self._hup(CampaignType.PRE_ELECTION if self.pre_vote else CampaignType.ELECTION)
        elif kind == _M.VOTE or kind == _M.PRE_VOTE:
            self._handle_vote_request(m)
        else:
            self._step(m)

    def _handle_vote_request(self, m: Message) -> None:
        can_vote = (
            self.vote == m.source
            or (self.vote == NONE and self.lead == NONE)
            or (m.kind == _M.PRE_VOTE and m.term > self.term)
        )
        resp_kind = _M.VOTE_RESP if m.kind == _M.VOTE else _M.PRE_VOTE_RESP
        # Learners vote too: a learner promoted in the candidate's config may
        # not have applied its promotion yet.
        if can_vote and self.raft_log.is_up_to_date(m.index, m.log_term):
            # Reply with the message's term: for a pre-vote ours is older and
            # the candidate would ignore the answer.
            self._send(Message(resp_kind, target=m.source, term=m.term))
            if m.kind == _M.VOTE:
                self.election_elapsed = 0
                self.vote = m.source
        else:
            self._send(Message(resp_kind, target=m.source, term=self.term, reject=True))

    def _send(self, m: Message) -> None:
        if m.source == NONE:
            m.source = self.id
        if m.term == 0 and m.kind != _M.PROP and m.kind != _M.READ_INDEX:
            # Proposals and reads forwarded to the leader are local requests
            # and carry no term.
            m.term = self.term
        self.msgs.append(m)

    # --------------------------------------------------------------- campaign

    def _hup(self, campaign: CampaignType) -> None:
        if self.state == StateType.LEADER:
            return
        if not self.promotable():
            return
        if self._has_unapplied_conf_changes():
            # The configuration to count votes in is not known yet.
            return
        self.campaign(campaign)

    def _has_unapplied_conf_changes(self) -> bool:
        log = self.raft_log
        if log.applied >= log.committed:
            return False
        entries = log.slice(log.applied + 1, log.committed + 1, NO_LIMIT)
        return any(e.kind == EntryKind.CONF_CHANGE for e in entries)

    def campaign(self, campaign: CampaignType) -> None:
        if campaign == CampaignType.PRE_ELECTION:
            self.become_pre_candidate()
            vote_kind = _M.PRE_VOTE
            # Pre-votes ask for the term we would campaign in.
            term = self.term + 1
        else:
            self.become_candidate()
            vote_kind = _M.VOTE
            term = self.term
        if self._poll(self.id, True) == VoteResult.WON:
            # Single voter: won already.
            if campaign == CampaignType.PRE_ELECTION:
                self.campaign(CampaignType.ELECTION)
            else:
                self.become_leader()
            return
        last_index = self.raft_log.last_index()
        last_term = self.raft_log.last_term()
        context = TRANSFER_CONTEXT if campaign == CampaignType.TRANSFER else b""
        for node_id in self.trk.voter_ids():
            if node_id == self.id:
                continue
            self._send(
                Message(
                    vote_kind,
                    target=node_id,
                    term=term,
                    index=last_index,
                    log_term=last_term,
                    context=context,
                )
            )

    def _poll(self, node_id: int, granted: bool) -> VoteResult:
        self.trk.record_vote(node_id, granted)
        return self.trk.tally_votes()[2]

    # ---------------------------------------------------------------- leader

    def _step_leader(self, m: Message) -> None:
        kind = m.kind
        if kind == _M.APP_RESP:
            self._handle_append_response(m)
            return
        if kind == _M.HEARTBEAT_RESP:
            self._handle_heartbeat_response(m)
            return
        if kind == _M.PROP:
            self._handle_proposal(m)
            return
        if kind == _M.BEAT:
            self._bcast_heartbeat()
            return
        if kind == _M.CHECK_QUORUM:
            if not self.trk.quorum_active():
                self.become_follower(self.term, NONE)
                return
            for node_id, follower in self.trk.progress.items():
                if node_id != self.id:
                    follower.recent_active = False
            return
        if kind == _M.READ_INDEX:
            self._handle_leader_read_index(m)
            return

        pr = self.trk.progress.get(m.source)
        if pr is None:
            return
        if kind == _M.SNAP_STATUS:
            if pr.state != ProgressState.SNAPSHOT:
                return
            if m.reject:
                # The snapshot never arrived: probe from match, not from it.
                pr.pending_snapshot = 0
            pr.become_probe()
            # Wait for the follower's answer (or a heartbeat) before sending.
            pr.msg_app_flow_paused = True
        elif kind == _M.UNREACHABLE:
            # Pipelined MsgApps are probably lost; fall back to probing.
            if pr.state == ProgressState.REPLICATE:
                pr.become_probe()
        elif kind == _M.TRANSFER_LEADER:
            self._handle_transfer_leader(m, pr)

    def _check_can_propose(self) -> None:
        if self.id not in self.trk.progress:
            raise ProposalDroppedError("this leader was removed from the configuration")
        if self.lead_transferee != NONE:
            raise ProposalDroppedError(
                f"leadership transfer to {self.lead_transferee} is in progress"
            )

    def _handle_proposal(self, m: Message) -> None:
        if not m.entries:
            raise ValueError("empty proposal")
        self._check_can_propose()
        local = m.source in (NONE, self.id)
        items: list[tuple[EntryKind, bytes]] = []
        for i, entry in enumerate(m.entries):
            if entry.kind == EntryKind.CONF_CHANGE:
                refusal = self._conf_change_refusal(entry.data)
                if refusal is not None:
                    if local:
                        raise ProposalDroppedError(f"conf change refused: {refusal}")
                    # A forwarded batch keeps its shape; the change becomes a no-op.
                    items.append((EntryKind.NORMAL, b""))
                    continue
                self.pending_conf_index = self.raft_log.last_index() + i + 1
            items.append((entry.kind, entry.data))
        if not self._append_entries(items):
            raise ProposalDroppedError("uncommitted log exceeds uncommitted_bytes_max")
        self._bcast_pending = True

    def _conf_change_refusal(self, data: bytes) -> str | None:
        try:
            cc = ConfChange.decode(data)
        except ValueError as exc:
            return str(exc)
        if self.pending_conf_index > self.raft_log.applied:
            return (
                f"possible unapplied conf change at index {self.pending_conf_index} "
                f"(applied to {self.raft_log.applied})"
            )
        joint = self.trk.config.voters.is_joint()
        if joint and not cc.leave_joint():
            return "must leave the joint config first"
        if not joint and cc.leave_joint():
            return "not in a joint config; refusing empty conf change"
        # All earlier conf changes are applied, so this one will apply on
        # top of the current config: check it now rather than fail on apply.
        try:
            confchange.Changer(self.trk, self.raft_log.last_index()).apply_conf_change(cc)
        except ConfChangeError as exc:
            return str(exc)
        return None

    def _append_entries(self, items: Sequence[tuple[EntryKind, bytes]]) -> bool:
        log = self.raft_log
        first = log.last_index() + 1
        term = self.term
        entries = [Entry(term, first + i, kind, data) for i, (kind, data) in enumerate(items)]
        return self._append_built(entries)

    def _append_built(self, entries: list[Entry]) -> bool:
        if self.uncommitted_bytes_max < NO_LIMIT:
            size = payload_bytes(entries)
            if (
                self.uncommitted_bytes > 0
                and size > 0
                and self.uncommitted_bytes + size > self.uncommitted_bytes_max
            ):
                # Empty entries (new term, leave joint) are never refused.
                return False
            self.uncommitted_bytes += size
        last = self.raft_log.append(entries)
        # The leader's own entries count once persisted; its Ready persists
        # them before any follower can acknowledge the same entries.
        self.trk.progress[self.id].maybe_update(last)
        # Only the leader's own ack changed: that can commit only alone.
        if self.trk.is_singleton() and self._maybe_commit():
            self._release_pending_read_index_messages()
        return True

    def propose_normal(self, datas: Sequence[bytes]) -> None:
        """Append normal entries as leader; other roles go through step(PROP).

        The same as stepping one MsgProp with these entries, without building
        the message and its placeholder entries first.
        """
        if self.state != StateType.LEADER:
            entries = [Entry(0, 0, EntryKind.NORMAL, data) for data in datas]
            self.step(Message(_M.PROP, entries=entries))
            return
        if not datas:
            raise ValueError("empty proposal")
        self._check_can_propose()
        first = self.raft_log.last_index() + 1
        term = self.term
        normal = EntryKind.NORMAL
        entries = [Entry(term, first + i, normal, data) for i, data in enumerate(datas)]
        if not self._append_built(entries):
            raise ProposalDroppedError("uncommitted log exceeds uncommitted_bytes_max")
        self._bcast_pending = True

    def _maybe_commit(self) -> bool:
        """Commit what a quorum has, if it is from this term (paper 5.4.2)."""
        return self.raft_log.maybe_commit(self.trk.committed(), self.term)

    def _handle_append_response(self, m: Message) -> None:
        pr = self.trk.progress.get(m.source)
        if pr is None:
            return
        pr.recent_active = True
        if m.reject:
            next_probe = m.reject_hint
            if m.log_term > 0:
                # Skip every index whose term in our log exceeds the
                # follower's term at the hint: none of them can match.
                next_probe = self.raft_log.find_conflict_by_term(m.reject_hint, m.log_term)[0]
            if pr.maybe_decr_to(m.index, next_probe):
                if pr.state == ProgressState.REPLICATE:
                    pr.become_probe()
                self._queue_append(m.source, True)
            return
        if not (
            pr.maybe_update(m.index) or (pr.match == m.index and pr.state == ProgressState.PROBE)
        ):
            return
        if pr.state == ProgressState.PROBE:
            pr.become_replicate()
        elif pr.state == ProgressState.SNAPSHOT:
            if pr.match + 1 >= self.raft_log.first_index():
                # Caught up through the snapshot (or the log): back to replicating.
                pr.become_probe()
                pr.become_replicate()
        else:
            pr.inflights.free_le(m.index)
        if self._maybe_commit():
            self._release_pending_read_index_messages()
            self._bcast_pending = True
        else:
            self._queue_append(m.source, False)
        if m.source == self.lead_transferee and pr.match == self.raft_log.last_index():
            self._send_timeout_now(m.source)

    def _handle_heartbeat_response(self, m: Message) -> None:
        pr = self.trk.progress.get(m.source)
        if pr is None:
            return
        pr.recent_active = True
        pr.msg_app_flow_paused = False
        if pr.match < self.raft_log.last_index() or pr.state == ProgressState.PROBE:
            self._queue_append(m.source, True)
        round_acked = m.index
        if round_acked <= pr.acked_round:
            return
        pr.acked_round = round_acked
        if round_acked > self.lease_fence_round:
            sent_tick = self.read_only.round_ticks.get(round_acked)
            if sent_tick is not None and sent_tick > pr.lease_tick:
                pr.lease_tick = sent_tick
        if self.read_only.has_pending():
            self._release_confirmed_reads()

    def _release_confirmed_reads(self) -> None:
        own_round = self.read_only.round
        progress = self.trk.progress
        self_id = self.id
        acked = self.trk.config.voters.committed_index(
            lambda node_id: own_round if node_id == self_id else progress[node_id].acked_round
        )
        for batch in self.read_only.release(acked):
            for request in batch.requests:
                self._answer_read(request.source, request.context, batch.index)

    def _handle_transfer_leader(self, m: Message, pr: Progress) -> None:
        if pr.is_learner:
            return
        transferee = m.source
        if self.lead_transferee != NONE:
            if self.lead_transferee == transferee:
                return
            self._abort_leader_transfer()
        if transferee == self.id:
            return
        # The transfer must finish within an election timeout.
        self.election_elapsed = 0
        self.lead_transferee = transferee
        if pr.match == self.raft_log.last_index():
            self._send_timeout_now(transferee)
        else:
            self._queue_append(transferee, True)

    def _send_timeout_now(self, target: int) -> None:
        # The target campaigns past every voter's lease, ours included.
        self.lease_fence_round = self.read_only.round
        for pr in self.trk.progress.values():
            pr.lease_tick = NO_LEASE_TICK
        self._send(Message(_M.TIMEOUT_NOW, target=target))

    def _abort_leader_transfer(self) -> None:
        self.lead_transferee = NONE

    def _queue_append(self, node_id: int, send_if_empty: bool) -> None:
        if send_if_empty or node_id not in self._append_pending:
            self._append_pending[node_id] = send_if_empty

    def flush(self) -> None:
        """Send the MsgApps and heartbeat round queued since the last flush."""
        if self.state != StateType.LEADER:
            return
        if self._bcast_pending or self._append_pending:
            pending = self._append_pending
            progress = self.trk.progress
            if self._bcast_pending:
                targets: Sequence[int] = list(progress)
            else:
                targets = sorted(pending)
            self._bcast_pending = False
            self._append_pending = {}
            committed = self.raft_log.committed
            for node_id in targets:
                if node_id == self.id:
                    continue
                pr = progress.get(node_id)
                if pr is None:
                    continue
                send_if_empty = pending.get(node_id, False) or pr.can_bump_commit(committed)
                if self._maybe_send_append(node_id, pr, send_if_empty):
                    while self._maybe_send_append(node_id, pr, False):
                        pass
        if self.read_only.has_open():
            self._bcast_heartbeat()

    def _maybe_send_append(self, node_id: int, pr: Progress, send_if_empty: bool) -> bool:
        """Send one MsgApp to node_id if its progress allows; True if sent."""
        if pr.is_paused():
            return False
        log = self.raft_log
        prev_index = pr.next - 1
        try:
            prev_term = log.term(prev_index)
        except CompactedError:
            return self._maybe_send_snapshot(node_id, pr)
        entries: list[Entry] = []
        if pr.state != ProgressState.REPLICATE or not pr.inflights.full():
            try:
                entries = log.entries(pr.next, self.entries_bytes_max)
            except CompactedError:
                return self._maybe_send_snapshot(node_id, pr)
        if not entries and not send_if_empty:
            return False
        committed = log.committed
        self.msgs.append(
            Message(
                _M.APP,
                source=self.id,
                target=node_id,
                term=self.term,
                index=prev_index,
                log_term=prev_term,
                entries=entries,
                commit=committed,
            )
        )
        size = payload_bytes(entries) if pr.inflights.bytes_max < NO_LIMIT else 0
        pr.sent_entries(len(entries), size)
        if committed > pr.sent_commit:
            pr.sent_commit = committed
        return True

    def _maybe_send_snapshot(self, node_id: int, pr: Progress) -> bool:
        if not pr.recent_active:
            # Don't ship a snapshot to a node that may be down.
            return False
        try:
            snapshot = self.raft_log.snapshot()
        except SnapshotTemporarilyUnavailableError:
            return False
        assert snapshot.index > 0, "need a non-empty snapshot"
        pr.become_snapshot(snapshot.index)
        self._send(Message(_M.SNAP, target=node_id, snapshot=snapshot))
        return True

    def _bcast_heartbeat(self) -> None:
        read_only = self.read_only
        round_number = read_only.next_round(self.leader_ticks)
        read_only.forget_ticks_before(self.leader_ticks - self.election_tick)
        committed = self.raft_log.committed
        for node_id, pr in self.trk.progress.items():
            if node_id == self.id:
                continue
            # Never tell a follower to commit past what it is known to hold.
            commit = min(pr.match, committed)
            self.msgs.append(
                Message(
                    _M.HEARTBEAT,
                    source=self.id,
                    target=node_id,
                    term=self.term,
                    index=round_number,
                    commit=commit,
                )
            )
            if commit > pr.sent_commit:
                pr.sent_commit = commit
        if self.trk.is_singleton():
            self._release_confirmed_reads()

    # ------------------------------------------------------------ reads

    def committed_entry_in_current_term(self) -> bool:
        return self.raft_log.term_or_zero(self.raft_log.committed) == self.term

    def lease_valid(self) -> bool:
        """May this leader serve a read without a round trip?

        Each voter that acknowledged a heartbeat sent at leader tick t will
        not vote for anyone else before its own election_tick ticks have
        passed since it received it, so no other leader can exist before
        t + election_tick. The lease ends lease_margin_ticks before that. It
        is void while a leadership transfer is under way.
        """
        if self.read_only_option != ReadOnlyOption.LEASE_BASED:
            return False
        if self.state != StateType.LEADER or self.lead_transferee != NONE:
            return False
        now = self.leader_ticks
        progress = self.trk.progress
        self_id = self.id
        start = self.trk.config.voters.committed_index(
            lambda node_id: now if node_id == self_id else progress[node_id].lease_tick
        )
        return now < start + self.lease_ticks

    def _handle_leader_read_index(self, m: Message) -> None:
        if self.trk.is_singleton():
            self._answer_read(m.source, m.context, self.raft_log.committed)
            return
        if not self.committed_entry_in_current_term():
            # Our commit index may lag the previous leader's until we commit
            # an entry of our own term.
            self.pending_read_index_messages.append(m)
            return
        self._serve_read_index(m)

    def _serve_read_index(self, m: Message) -> None:
        if self.lease_valid():
            self._answer_read(m.source, m.context, self.raft_log.committed)
            return
        self.read_only.add(self.raft_log.committed, m.source, m.context)

    def _release_pending_read_index_messages(self) -> None:
        if not self.pending_read_index_messages:
            return
        if not self.committed_entry_in_current_term():
            return
        messages = self.pending_read_index_messages
        self.pending_read_index_messages = []
        for m in messages:
            self._serve_read_index(m)

    def _answer_read(self, source: int, context: bytes, index: int) -> None:
        if source in (NONE, self.id):
            self.read_states.append(ReadState(index, context))
        else:
            self._send(Message(_M.READ_INDEX_RESP, target=source, index=index, context=context))

    # ------------------------------------------------------------ candidate

    def _step_candidate(self, m: Message) -> None:
        kind = m.kind
        # A candidate may still get answers to its pre-vote in the same term.
        own_resp = _M.PRE_VOTE_RESP if self.state == StateType.PRE_CANDIDATE else _M.VOTE_RESP
        if kind == _M.PROP:
            raise ProposalDroppedError(f"no leader at term {self.term}")
        if kind == _M.READ_INDEX:
            raise ReadIndexDroppedError(f"no leader at term {self.term}")
        if kind == _M.APP:
            self.become_follower(m.term, m.source)
            self._handle_append_entries(m)
        elif kind == _M.HEARTBEAT:
            self.become_follower(m.term, m.source)
            self._handle_heartbeat(m)
        elif kind == _M.SNAP:
            self.become_follower(m.term, m.source)
            self._handle_snapshot(m)
        elif kind == own_resp:
            result = self._poll(m.source, not m.reject)
            if result == VoteResult.WON:
                if self.state == StateType.PRE_CANDIDATE:
                    self.campaign(CampaignType.ELECTION)
                else:
                    self.become_leader()
            elif result == VoteResult.LOST:
                # A rejected pre-vote carries a future term; keep ours.
                self.become_follower(self.term, NONE)

    # ------------------------------------------------------------- follower

    def _step_follower(self, m: Message) -> None:
        kind = m.kind
        if kind == _M.APP:
            self.election_elapsed = 0
            self.lead = m.source
            self._handle_append_entries(m)
        elif kind == _M.HEARTBEAT:
            self.election_elapsed = 0
            self.lead = m.source
            self._handle_heartbeat(m)
        elif kind == _M.PROP:
            if self.lead == NONE:
                raise ProposalDroppedError(f"no leader at term {self.term}")
            if self.disable_proposal_forwarding:
                raise ProposalDroppedError("proposal forwarding is disabled")
            self._send(m.copy(target=self.lead))
        elif kind == _M.SNAP:
            self.election_elapsed = 0
            self.lead = m.source
            self._handle_snapshot(m)
        elif kind == _M.TRANSFER_LEADER:
            if self.lead != NONE:
                self._send(m.copy(target=self.lead))
        elif kind == _M.TIMEOUT_NOW:
            # A transfer skips the pre-vote: the leader asked for it.
            self._hup(CampaignType.TRANSFER)
        elif kind == _M.READ_INDEX:
            if self.lead == NONE:
                raise ReadIndexDroppedError(f"no leader at term {self.term}")
            self._send(m.copy(target=self.lead))
        elif kind == _M.READ_INDEX_RESP:
            self.read_states.append(ReadState(m.index, m.context))

    def _handle_append_entries(self, m: Message) -> None:
        log = self.raft_log
        if m.index < log.committed:
            self._send(Message(_M.APP_RESP, target=m.source, index=log.committed))
            return
        last = log.maybe_append(m.index, m.log_term, m.commit, m.entries)
        if last is not None:
            self._send(Message(_M.APP_RESP, target=m.source, index=last))
            return
        # Hint the largest (index, term) that may match: all of our entries
        # with terms above m.log_term can be skipped.
        hint_index, hint_term = log.find_conflict_by_term(
            min(m.index, log.last_index()), m.log_term
        )
        self._send(
            Message(
                _M.APP_RESP,
                target=m.source,
                index=m.index,
                reject=True,
                reject_hint=hint_index,
                log_term=hint_term,
            )
        )

    def _handle_heartbeat(self, m: Message) -> None:
        self.raft_log.commit_to(m.commit)
        self._send(Message(_M.HEARTBEAT_RESP, target=m.source, index=m.index))

    def _handle_snapshot(self, m: Message) -> None:
        snapshot = m.snapshot if m.snapshot is not None else Snapshot()
        if self._restore(snapshot):
            self._send(Message(_M.APP_RESP, target=m.source, index=self.raft_log.last_index()))
        else:
            self._send(Message(_M.APP_RESP, target=m.source, index=self.raft_log.committed))

    def _restore(self, snapshot: Snapshot) -> bool:
        """Install snapshot unless it is stale; True if the log was replaced."""
        log = self.raft_log
        if snapshot.index <= log.committed:
            return False
        assert self.state == StateType.FOLLOWER, "restore outside follower state"
        # Unlike etcd, a snapshot whose configuration does not include us is
        # fine: a node added after the leader's latest snapshot receives it
        # and learns of its own addition from the log that follows.
        if log.match_term(snapshot.index, snapshot.term):
            # We have the entries already; just move the commit index.
            log.commit_to(snapshot.index)
            return False
        log.restore(snapshot)
        config_state, progress = confchange.restore(
            snapshot.conf_state,
            last_index=log.last_index(),
            inflight_msgs_max=self.trk.inflight_msgs_max,
            inflight_bytes_max=self.trk.inflight_bytes_max,
        )
        self.trk = ProgressTracker(self.trk.inflight_msgs_max, self.trk.inflight_bytes_max)
        restored = self._switch_to_config(config_state, progress)
        assert restored.equivalent(snapshot.conf_state), "snapshot conf state does not round-trip"
        return True

    # -------------------------------------------------------- configuration

    def apply_conf_change(self, cc: ConfChange) -> ConfState:
        """Make a committed conf change take effect; returns the new ConfState."""
        changer = confchange.Changer(self.trk, self.raft_log.last_index())
        config_state, progress = changer.apply_conf_change(cc)
        return self._switch_to_config(config_state, progress)

    def _switch_to_config(
        self, config_state: TrackerConfig, progress: dict[int, Progress]
    ) -> ConfState:
        self.trk.config = config_state
        self.trk.progress = progress
        conf_state = self.trk.conf_state()
        pr = progress.get(self.id)
        self.is_learner = pr is not None and pr.is_learner
        if (pr is None or self.is_learner) and self.state == StateType.LEADER:
            if self.step_down_on_removal:
                self.become_follower(self.term, NONE)
            return conf_state
        if self.state != StateType.LEADER or not conf_state.voters:
            return conf_state
        # A changed quorum may commit more, and new members need a probe.
        if self._maybe_commit():
            self._release_pending_read_index_messages()
        self._bcast_pending = True
        if self.lead_transferee != NONE and self.lead_transferee not in config_state.voters.ids():
            self._abort_leader_transfer()
        return conf_state

    # ------------------------------------------------------------ advance

    def advance(
        self,
        entries: Sequence[Entry],
        snapshot: Snapshot | None,
        committed_entries: Sequence[Entry],
    ) -> None:
        """The application persisted `entries`/`snapshot` and applied the rest."""
        log = self.raft_log
        if entries:
            last = entries[-1]
            log.stable_to(last.index, last.term)
        applied = 0
        if snapshot is not None:
            log.stable_snap_to(snapshot.index)
            applied = snapshot.index
        if committed_entries:
            applied = committed_entries[-1].index
            if self.uncommitted_bytes:
                size = payload_bytes(committed_entries)
                self.uncommitted_bytes = max(0, self.uncommitted_bytes - size)
        if applied:
            self._applied_to(max(applied, log.applied))

    def _applied_to(self, index: int) -> None:
        self.raft_log.applied_to(index)
        if (
            self.trk.config.auto_leave
            and index >= self.pending_conf_index
            and self.state == StateType.LEADER
        ):
            # An empty conf change leaves the joint config. It may be dropped
            # during a transfer; the next apply tries again.
            leave = Message(
                _M.PROP, source=self.id, entries=[Entry(0, 0, EntryKind.CONF_CHANGE, b"")]
            )
            with contextlib.suppress(ProposalDroppedError):
                self.step(leave)

    # ------------------------------------------------------------- helpers

    def take_messages(self) -> list[Message]:
        """Flush and return the outgoing messages (for tests and RawNode)."""
        self.flush()
        msgs = self.msgs
        self.msgs = []
        return msgs
