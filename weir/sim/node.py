"""A simulated server: a RawNode, its disk, its state machine, its clients.

The node's MemoryStorage is its disk: whatever a Ready wrote survives a
crash, and nothing else does. Persisting a Ready takes a little virtual
time; a crash in between loses that Ready entirely, messages included.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from weir.raft import (
    ConfChange,
    Config,
    ConfState,
    EntryKind,
    HardState,
    MemoryStorage,
    Message,
    ProposalDroppedError,
    RawNode,
    ReadIndexDroppedError,
    ReadOnlyOption,
    Ready,
    StateType,
)
from weir.sim import bugs
from weir.sim.kv import KVStore, encode_put

if TYPE_CHECKING:
    from weir.sim.simulation import Simulation

TICK_US = 10_000
ELECTION_TICK = 10
HEARTBEAT_TICK = 2
DISK_LATENCY_US_MAX = 1_500
COMPACT_ENTRIES_MIN = 96
"""Applied entries kept in the log before a snapshot compacts them."""
COMPACT_KEEP_ENTRIES = 16
"""Entries left behind a compaction, for followers that lag a little."""


@dataclass(frozen=True, slots=True)
class Request:
    """A client request as it reaches a node."""

    client: int
    token: int
    f: str
    key: str
    value: str | None
    request: int


@dataclass(frozen=True, slots=True)
class Reply:
    token: int
    ok: bool
    value: str | None = None
    leader_hint: int = 0


class SimNode:
    __slots__ = (
        "_commit_seen",
        "_read_counter",
        "_term_seen",
        "applied",
        "conf_state",
        "disk_busy",
        "epoch",
        "id",
        "kv",
        "pending_reads",
        "pending_writes",
        "raw",
        "read_waits",
        "retired",
        "sim",
        "storage",
    )

    def __init__(self, sim: Simulation, node_id: int, storage: MemoryStorage) -> None:
        self.sim = sim
        self.id = node_id
        self.storage = storage
        self.retired = False
        self.epoch = 0
        """Bumped on every crash: callbacks of an older life are ignored."""
        self.raw: RawNode | None = None
        self.kv = KVStore()
        self.conf_state = ConfState()
        self.applied = 0
        self.disk_busy = False
        self.pending_writes: dict[tuple[int, int], Request] = {}
        self.pending_reads: dict[bytes, tuple[Request, int]] = {}
        """Read context -> (request, commit frontier when it arrived)."""
        self.read_waits: list[tuple[int, bytes]] = []
        self._read_counter = 0
        self._term_seen = 0
        self._commit_seen = 0

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        sim = self.sim
        snapshot = self.storage.snapshot()
        self.kv = KVStore.from_snapshot(snapshot.data)
        self.conf_state = snapshot.conf_state
        self.applied = snapshot.index
        config = Config(
            id=self.id,
            storage=self.storage,
            rng=random.Random(sim.rng.getrandbits(64)),
            election_tick=ELECTION_TICK,
            heartbeat_tick=HEARTBEAT_TICK,
            applied=snapshot.index,
            entries_bytes_max=16 * 1024,
            inflight_msgs_max=8,
            check_quorum=sim.check_quorum,
            pre_vote=sim.pre_vote,
            read_only_option=(
                ReadOnlyOption.LEASE_BASED if sim.lease_reads else ReadOnlyOption.SAFE
            ),
        )
        self.raw = RawNode(config, raft_type=bugs.raft_type(sim.options.bug))
        self._term_seen = self.raw.raft.term
        self._commit_seen = self.raw.raft.raft_log.committed
        self.epoch += 1
        self.disk_busy = False
        sim.scheduler.after(sim.rng.randrange(TICK_US), self._tick, self.epoch)

    def crash(self) -> None:
        self.raw = None
        self.epoch += 1
        self.disk_busy = False
        self.pending_writes.clear()
        self.pending_reads.clear()
        self.read_waits.clear()

    def retire(self) -> None:
        self.crash()
        self.retired = True

    # --------------------------------------------------------------- inputs

    def _tick(self, epoch: int) -> None:
        if epoch != self.epoch or self.raw is None:
            return
        self.raw.tick()
        self.kick()
        self.sim.scheduler.after(TICK_US, self._tick, epoch)

    def receive(self, m: Message) -> None:
        if self.raw is None:
            return
        # A forwarded request may meet a node without a leader; the client
        # times out and retries, as with any lost message.
        with contextlib.suppress(ProposalDroppedError, ReadIndexDroppedError):
            self.raw.step(m)
        self.kick()

    def report_snapshot(self, target: int, ok: bool) -> None:
        if self.raw is None:
            return
        self.raw.report_snapshot(target, ok)
        self.kick()

    def handle_request(self, request: Request) -> None:
        raw = self.raw
        if raw is None:
            return
        raft = raw.raft
        if raft.state != StateType.LEADER and raft.lead == 0:
            self._reply(request, Reply(request.token, False, leader_hint=0))
            return
        if request.f == "put":
            assert request.value is not None
            data = encode_put(request.client, request.request, request.key, request.value)
            try:
                raw.propose(data)
            except ProposalDroppedError:
                self._reply(request, Reply(request.token, False, leader_hint=raft.lead))
                return
            self.pending_writes[(request.client, request.request)] = request
        else:
            required = self.sim.commit_frontier()
            if self.sim.options.bug == "stale-read" and raft.state == StateType.LEADER:
                self._serve_read(request, required)
                return
            self._read_counter += 1
            context = f"{self.id}.{self.epoch}.{self._read_counter}".encode()
            try:
                raw.read_index(context)
            except ReadIndexDroppedError:
                self._reply(request, Reply(request.token, False, leader_hint=raft.lead))
                return
            self.pending_reads[context] = (request, required)
        self.kick()

    def _reply(self, request: Request, reply: Reply) -> None:
        self.sim.send_reply(request.client, reply, self.id)

    # ---------------------------------------------------------- ready cycle

    def kick(self) -> None:
        """Start persisting the next Ready if the disk is free."""
        raw = self.raw
        if raw is None:
            return
        self.check_invariants()
        if self.disk_busy or not raw.has_ready():
            return
        rd = raw.ready()
        self.disk_busy = True
        self.sim.log_ready(self, rd)
        delay = self.sim.rng.randrange(DISK_LATENCY_US_MAX)
        self.sim.scheduler.after(delay, self._persisted, self.epoch, rd)

    def check_invariants(self) -> None:
        """Cheap checks of this node's Raft state, run after every step."""
        assert self.raw is not None
        raft = self.raw.raft
        log = raft.raft_log
        sim = self.sim
        if not log.applied <= log.committed <= log.last_index():
            sim.violation(
                f"log invariant: n{self.id} applied={log.applied} committed={log.committed} "
                f"last={log.last_index()}"
            )
        # Within one life; a restart may come back below unpersisted values.
        if raft.term < self._term_seen or log.committed < self._commit_seen:
            sim.violation(
                f"regression: n{self.id} term {self._term_seen}->{raft.term}, "
                f"commit {self._commit_seen}->{log.committed}"
            )
        self._term_seen = raft.term
        self._commit_seen = log.committed
        if raft.state == StateType.LEADER:
            if raft.lead != self.id:
                sim.violation(f"leader n{self.id} names n{raft.lead} as leader")
            sim.check_leader(self)

    def _persisted(self, epoch: int, rd: Ready) -> None:
        if epoch != self.epoch or self.raw is None:
            return  # crashed while writing: the Ready is lost
        storage = self.storage
        if rd.snapshot is not None:
            storage.apply_snapshot(rd.snapshot)
        if rd.entries_to_persist:
            storage.append(rd.entries_to_persist)
        if rd.hard_state is not None:
            hard_state = rd.hard_state
            if self.sim.options.bug == "forget-vote":
                hard_state = HardState(hard_state.term, 0, hard_state.commit)
            storage.set_hard_state(hard_state)
        for m in rd.messages:
            self.sim.send(m)
        self.sim.after_persist(self, rd)
        if rd.snapshot is not None:
            self._install_snapshot()
        for entry in rd.committed_entries:
            self._apply(entry.index, entry.term, entry.kind, entry.data)
        for rs in rd.read_states:
            if rs.context in self.pending_reads:
                self.read_waits.append((rs.index, rs.context))
        self._serve_reads()
        self.raw.advance()
        self._maybe_compact()
        self.disk_busy = False
        self.kick()

    def _install_snapshot(self) -> None:
        snapshot = self.storage.snapshot()
        self.kv = KVStore.from_snapshot(snapshot.data)
        self.conf_state = snapshot.conf_state
        self.applied = snapshot.index
        self.sim.log(f"n{self.id} installed snapshot at {snapshot.index}")
        self.sim.check_digest(self, snapshot.index, self.kv.digest())

    def _apply(self, index: int, term: int, kind: EntryKind, data: bytes) -> None:
        assert self.raw is not None
        self.sim.check_apply(self, index, term, data)
        self.applied = index
        if kind == EntryKind.CONF_CHANGE:
            cc = ConfChange.decode(data)
            self.conf_state = self.raw.apply_conf_change(cc)
            self.sim.on_conf_change(self, index, self.conf_state)
            return
        if not data:
            return
        result = self.kv.apply(data)
        self.sim.record_digest(self, index, self.kv)
        request = self.pending_writes.pop((result.client, result.request), None)
        if request is not None:
            self._reply(request, Reply(request.token, True))

    def _serve_reads(self) -> None:
        if not self.read_waits:
            return
        waiting = []
        for index, context in self.read_waits:
            if index > self.applied:
                waiting.append((index, context))
                continue
            pending = self.pending_reads.pop(context, None)
            if pending is not None:
                self._serve_read(*pending)
        self.read_waits = waiting

    def _serve_read(self, request: Request, required: int) -> None:
        self.sim.check_read(self, self.applied, required, request.key)
        self._reply(request, Reply(request.token, True, self.kv.get(request.key)))

    def _maybe_compact(self) -> None:
        storage = self.storage
        if self.applied - storage.first_index() < COMPACT_ENTRIES_MIN:
            return
        if self.applied > storage.last_index():
            return
        data = self.kv.snapshot()
        storage.create_snapshot(self.applied, self.conf_state, data)
        self.sim.check_digest(self, self.applied, self.kv.digest())
        storage.compact(self.applied - COMPACT_KEEP_ENTRIES)

    # ---------------------------------------------------------------- views

    def is_leader(self) -> bool:
        return self.raw is not None and self.raw.raft.state == StateType.LEADER

    def term(self) -> int:
        return self.raw.raft.term if self.raw is not None else 0

    def describe(self) -> str:
        if self.retired:
            return f"n{self.id}: retired"
        if self.raw is None:
            return f"n{self.id}: down"
        raft = self.raw.raft
        return (
            f"n{self.id}: {raft.state.name.lower()} term={raft.term} lead={raft.lead} "
            f"commit={raft.raft_log.committed} applied={self.applied} "
            f"last={raft.raft_log.last_index()} conf={self.conf_state}"
        )
