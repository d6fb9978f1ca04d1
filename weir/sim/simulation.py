"""One seeded run of a simulated cluster under faults.

Everything random (network, disk, crashes, client choices, election
timeouts) draws from one `random.Random(seed)`, and virtual time is the
only clock, so a seed replays exactly. A run has three phases:

1. faults: the nemesis partitions, crashes, slows and reconfigures the
   cluster while clients read and write;
2. heal: faults stop, crashed nodes restart, clients keep going and must
   make progress;
3. quiesce: clients stop; every member must converge to the same state.

Checked all along: at most one leader per term (election safety), at most
one vote per node and term, the same entry applied at each index on every
node (state machine safety), the same state wherever a digest is taken,
reads that reflect everything committed before they arrived, and each
node's own invariants after every step. At the end: some operation
succeeded after healing, every member converged to the leader's state, and
the client history is linearizable.
"""

from __future__ import annotations

import random
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from weir.raft import (
    ConfChange,
    ConfChangeSingle,
    ConfChangeTransition,
    ConfChangeType,
    ConfState,
    MemoryStorage,
    Message,
    MessageType,
    ProposalDroppedError,
    Ready,
)
from weir.sim.client import SimClient
from weir.sim.history import Event, operations
from weir.sim.kv import KVStore
from weir.sim.linearizability import CheckResult, check
from weir.sim.node import Reply, Request, SimNode
from weir.sim.scheduler import Scheduler

FAULTS = ("loss", "delay", "dup", "reorder", "partition", "crash", "membership", "transfer")
FAULT_WEIGHTS = {
    "loss": 1,
    "delay": 1,
    "dup": 1,
    "reorder": 1,
    "partition": 3,
    "crash": 2,
    "membership": 1,
    "transfer": 1,
}
"""How often the nemesis picks each fault: partitions and crashes find the most."""

MS = 1_000
NET_DELAY_US = (300, 3_000)
CLIENT_DELAY_US = (200, 1_500)
EVENTS_MAX = 5_000_000


@dataclass(frozen=True, slots=True)
class SimOptions:
    nodes: int = 5
    faults: frozenset[str] = frozenset(FAULTS)
    clients: int = 4
    keys: int = 3
    fault_ms: int = 1_500
    """Length of the fault phase."""
    heal_ms: int = 1_000
    quiesce_ms: int = 1_500
    bug: str | None = None
    trace: bool = False
    keep_history: bool = False

    def replay_command(self, seed: int) -> str:
        parts = [f"weir sim --seed {seed} --trace --nodes {self.nodes}"]
        parts.append(f"--faults {faults_argument(self.faults)}")
        if self.bug:
            parts.append(f"--bug {self.bug}")
        defaults = SimOptions()
        if self.clients != defaults.clients:
            parts.append(f"--clients {self.clients}")
        if self.keys != defaults.keys:
            parts.append(f"--keys {self.keys}")
        if self.fault_ms != defaults.fault_ms:
            parts.append(f"--fault-ms {self.fault_ms}")
        return " ".join(parts)


def faults_argument(faults: frozenset[str]) -> str:
    if faults == frozenset(FAULTS):
        return "all"
    if not faults:
        return "none"
    return ",".join(f for f in FAULTS if f in faults)


@dataclass(slots=True)
class SeedResult:
    seed: int
    ops: int
    violations: list[str] = field(default_factory=list)
    linearizability: CheckResult | None = None
    trace: list[str] = field(default_factory=list)
    history: list[Event] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def linearizable(self) -> bool:
        return self.linearizability is None or self.linearizability.ok


class Simulation:
    def __init__(self, seed: int, options: SimOptions) -> None:
        self.seed = seed
        self.options = options
        self.rng = random.Random(seed)
        self.scheduler = Scheduler()
        # The Raft options vary by seed so that every combination gets run.
        self.lease_reads = self.rng.random() < 0.4
        self.check_quorum = self.lease_reads or self.rng.random() < 0.7
        self.pre_vote = self.rng.random() < 0.7
        self.nodes: dict[int, SimNode] = {}
        self.clients: dict[int, SimClient] = {}
        self.history: list[Event] = []
        self.ops_ok = 0
        self.violations: list[str] = []
        self.trace: list[str] | None = [] if options.trace else None

        self.fault_end_us = options.fault_ms * MS
        self.clients_stop_us = self.fault_end_us + options.heal_ms * MS
        self.end_us = self.clients_stop_us + options.quiesce_ms * MS

        # Network faults, changed by the nemesis.
        self.blocked: set[tuple[int, int]] = set()
        self.client_blocked: set[tuple[int, int]] = set()
        """(client, node) pairs that cannot reach each other."""
        self.partition_generation = 0
        self.loss_rate = 0.0
        self.dup_rate = 0.0
        self.slow_us_max = 0
        self.reorder = "reorder" in options.faults

        # Checker state.
        self.leaders: dict[int, int] = {}
        """term -> the node that led it."""
        self.votes: dict[tuple[int, int], int] = {}
        """(voter, term) -> candidate the vote was granted to."""
        self.applied_terms: dict[int, int] = {}
        self.applied_data: dict[int, bytes] = {}
        self.digests: dict[int, str] = {}
        """applied index -> state digest after applying it."""
        self.removed: set[int] = set()
        self.conf_index = 0
        """Log index of the newest configuration applied anywhere."""
        self.next_node_id = options.nodes + 1
        self.spawned = 0

    # ----------------------------------------------------------------- trace

    def log(self, text: str) -> None:
        if self.trace is not None:
            self.trace.append(f"{self.scheduler.now / MS:10.3f} {text}")

    def violation(self, text: str) -> None:
        self.log(f"VIOLATION {text}")
        if len(self.violations) < 10:
            self.violations.append(text)

    # ------------------------------------------------------------------- run

    def run(self) -> SeedResult:
        options = self.options
        voters = tuple(range(1, options.nodes + 1))
        for node_id in voters:
            storage = MemoryStorage.bootstrap(ConfState(voters=voters))
            self.nodes[node_id] = SimNode(self, node_id, storage)
            self.nodes[node_id].start()
        self.log(
            f"start seed={self.seed} nodes={options.nodes} "
            f"faults={faults_argument(options.faults)} lease_reads={self.lease_reads} "
            f"check_quorum={self.check_quorum} pre_vote={self.pre_vote}"
            + (f" bug={options.bug}" if options.bug else "")
        )
        for client_id in range(1, options.clients + 1):
            self.clients[client_id] = SimClient(self, client_id)
            self.clients[client_id].start()
        if options.faults:
            self.scheduler.after(self._nemesis_pause(), self._nemesis)
        self.scheduler.at(self.fault_end_us, self._heal)
        try:
            self.scheduler.run_until(self.end_us, EVENTS_MAX)
        except Exception as exc:
            # A node that raises is a failure like any other; report where.
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            self.violation(
                f"exception: {type(exc).__name__}: {exc} "
                f"(at {Path(frame.filename).name}:{frame.lineno} in {frame.name})"
            )
        else:
            self._final_checks()
        ops = operations(self.history)
        result = check(ops)
        if not result.ok:
            self.violation("linearizability: " + result.report())
        invoked = sum(1 for event in self.history if event.type == "invoke")
        return SeedResult(
            seed=self.seed,
            ops=invoked,
            violations=list(self.violations),
            linearizability=result,
            trace=self.trace or [],
            history=self.history if options.keep_history else [],
        )

    def now_ms(self) -> float:
        return self.scheduler.now / MS

    def record(self, event: Event) -> None:
        self.history.append(event)
        if self.trace is not None:
            value = "" if event.value is None else f" {event.value!r}"
            self.log(f"c{event.process} {event.type} {event.f} {event.key}{value}")

    # --------------------------------------------------------------- network

    def send(self, m: Message) -> None:
        """Network for Raft messages, with the current faults."""
        rng = self.rng
        if (m.source, m.target) in self.blocked or (
            self.loss_rate and rng.random() < self.loss_rate
        ):
            self._drop(m)
            return
        self.scheduler.after(self._net_delay(), self._deliver, m)
        if self.dup_rate and rng.random() < self.dup_rate:
            self.scheduler.after(self._net_delay(), self._deliver, m)

    def _net_delay(self) -> int:
        rng = self.rng
        delay = rng.randrange(*NET_DELAY_US)
        if self.reorder and rng.random() < 0.1:
            delay += rng.randrange(20 * MS)
        if self.slow_us_max:
            delay += rng.randrange(self.slow_us_max)
        return delay

    def _drop(self, m: Message) -> None:
        if self.trace is not None:
            self.log(f"drop {m!r}")
        if m.kind == MessageType.SNAP:
            self.scheduler.after(
                self._net_delay(), self._snapshot_status, m.source, m.target, False
            )

    def _deliver(self, m: Message) -> None:
        node = self.nodes.get(m.target)
        if node is None or node.raw is None:
            if m.kind == MessageType.SNAP:
                self._snapshot_status(m.source, m.target, False)
            return
        if self.trace is not None:
            self.log(f"recv {m!r}")
        node.receive(m)
        if m.kind == MessageType.SNAP:
            self._snapshot_status(m.source, m.target, True)

    def _snapshot_status(self, source: int, target: int, ok: bool) -> None:
        node = self.nodes.get(source)
        if node is not None and node.raw is not None:
            node.report_snapshot(target, ok)

    def send_request(self, node_id: int, request: Request) -> None:
        if self.trace is not None:
            self.log(f"c{request.client} -> n{node_id} {request.f} {request.key}")
        if (request.client, node_id) in self.client_blocked:
            return
        self.scheduler.after(self.rng.randrange(*CLIENT_DELAY_US), self._request, node_id, request)

    def _request(self, node_id: int, request: Request) -> None:
        node = self.nodes.get(node_id)
        if node is not None and node.raw is not None:
            node.handle_request(request)

    def send_reply(self, client_id: int, reply: Reply, node_id: int) -> None:
        if self.trace is not None:
            status = "ok" if reply.ok else f"not leader (hint n{reply.leader_hint})"
            self.log(f"n{node_id} -> c{client_id} {status}")
        if (client_id, node_id) in self.client_blocked:
            return
        self.scheduler.after(
            self.rng.randrange(*CLIENT_DELAY_US), self.clients[client_id].on_reply, reply, node_id
        )

    def pick_node(self, exclude: int = 0) -> int:
        candidates = [i for i, node in self.nodes.items() if not node.retired and i != exclude] or [
            exclude
        ]
        return candidates[self.rng.randrange(len(candidates))]

    # --------------------------------------------------------------- checks

    def check_leader(self, node: SimNode) -> None:
        term = node.term()
        leader = self.leaders.setdefault(term, node.id)
        if leader != node.id:
            self.violation(f"election safety: n{leader} and n{node.id} both led term {term}")

    def log_ready(self, node: SimNode, rd: Ready) -> None:
        if self.trace is not None and rd.soft_state is not None:
            self.log(f"n{node.id} {rd.soft_state.state.name.lower()} term={node.term()}")

    def after_persist(self, node: SimNode, rd: Ready) -> None:
        hard_state = rd.hard_state
        if hard_state is None or hard_state.vote == 0:
            return
        key = (node.id, hard_state.term)
        vote = self.votes.setdefault(key, hard_state.vote)
        if vote != hard_state.vote:
            self.violation(
                f"vote safety: n{node.id} voted for n{vote} and n{hard_state.vote} "
                f"in term {hard_state.term}"
            )
        if vote == hard_state.vote and "crash" in self.options.faults and self._faulty():
            if self.rng.random() < 0.15:
                # Crash right after a vote reached the disk, to exercise what a
                # restarted voter remembers.
                self.scheduler.after(self.rng.randrange(500), self._crash, node.id, 2 * MS)

    def commit_frontier(self) -> int:
        """The highest commit index any running node knows."""
        return max(
            (node.raw.raft.raft_log.committed for node in self.nodes.values() if node.raw),
            default=0,
        )

    def check_read(self, node: SimNode, applied: int, required: int, key: str) -> None:
        # ReadIndex promises more than linearizability: a read reflects
        # every entry committed before the request reached a node.
        if applied < required:
            self.violation(
                f"stale read: n{node.id} served get {key} at applied index {applied}, "
                f"but index {required} was committed before the request arrived"
            )

    def check_apply(self, node: SimNode, index: int, term: int, data: bytes) -> None:
        known = self.applied_terms.get(index)
        if known is None:
            self.applied_terms[index] = term
            self.applied_data[index] = data
            return
        if known != term or self.applied_data[index] != data:
            self.violation(
                f"state machine safety: n{node.id} applied index {index} from term {term}, "
                f"another node applied it from term {known}"
            )

    def record_digest(self, node: SimNode, index: int, kv: KVStore) -> None:
        # Digests are costly: sample every 32nd index.
        if index % 32 == 0:
            self.check_digest(node, index, kv.digest())

    def check_digest(self, node: SimNode, index: int, digest: str) -> None:
        """Every node's state after applying `index` is the same."""
        known = self.digests.setdefault(index, digest)
        if known != digest:
            self.violation(f"state divergence: n{node.id} has digest {digest} at index {index}")

    def on_conf_change(self, node: SimNode, index: int, conf_state: ConfState) -> None:
        if self.trace is not None:
            self.log(f"n{node.id} applied conf change at {index} -> {conf_state}")
        if index <= self.conf_index or conf_state.voters_outgoing:
            return
        # The newest committed configuration (a lagging node replays old ones).
        self.conf_index = index
        members = conf_state.members() | frozenset(conf_state.learners_next)
        for node_id, other in self.nodes.items():
            if node_id not in members and not other.retired and node_id not in self.removed:
                # Out of the committed configuration: shut it down, as an
                # operator would.
                self.removed.add(node_id)
                self.scheduler.after(10 * MS, self._retire, node_id)

    def _retire(self, node_id: int) -> None:
        node = self.nodes[node_id]
        if not node.retired:
            self.log(f"n{node_id} retired")
            node.retire()

    # ---------------------------------------------------------------- nemesis

    def _faulty(self) -> bool:
        return self.scheduler.now < self.fault_end_us

    def _nemesis_pause(self) -> int:
        return self.rng.randrange(30 * MS, 200 * MS)

    def _nemesis(self) -> None:
        if not self._faulty():
            return
        faults = sorted(self.options.faults)
        weights = [FAULT_WEIGHTS[f] for f in faults]
        fault = self.rng.choices(faults, weights)[0]
        getattr(self, "_fault_" + fault)()
        self.scheduler.after(self._nemesis_pause(), self._nemesis)

    def _live_member_ids(self) -> list[int]:
        return [i for i, n in self.nodes.items() if not n.retired]

    def _leader(self) -> SimNode | None:
        leaders = [n for n in self.nodes.values() if n.is_leader()]
        if not leaders:
            return None
        return max(leaders, key=lambda n: n.term())

    def _fault_loss(self) -> None:
        self.loss_rate = self.rng.choice((0.02, 0.1, 0.3))
        self.log(f"nemesis loss rate {self.loss_rate}")
        self.scheduler.after(self.rng.randrange(50 * MS, 400 * MS), self._end_loss)

    def _end_loss(self) -> None:
        self.loss_rate = 0.0

    def _fault_dup(self) -> None:
        self.dup_rate = self.rng.choice((0.05, 0.2))
        self.log(f"nemesis duplication rate {self.dup_rate}")
        self.scheduler.after(self.rng.randrange(50 * MS, 400 * MS), self._end_dup)

    def _end_dup(self) -> None:
        self.dup_rate = 0.0

    def _fault_delay(self) -> None:
        self.slow_us_max = self.rng.choice((10 * MS, 40 * MS, 120 * MS))
        self.log(f"nemesis slow network up to {self.slow_us_max / MS}ms")
        self.scheduler.after(self.rng.randrange(50 * MS, 300 * MS), self._end_delay)

    def _end_delay(self) -> None:
        self.slow_us_max = 0

    def _fault_reorder(self) -> None:
        # Reordering is always on with this fault; add a burst of duplicates
        # so reordered copies meet.
        self._fault_dup()

    def _fault_partition(self) -> None:
        if self.blocked:
            return  # let the current partition play out
        rng = self.rng
        ids = self._live_member_ids()
        kind = rng.randrange(4) % 3  # isolating the leader is the likeliest
        leader = self._leader()
        if kind == 0 and leader is not None:
            side = {leader.id}
            description = f"isolate leader n{leader.id}"
        else:
            rng.shuffle(ids)
            side = set(ids[: rng.randrange(1, max(2, len(ids) // 2 + 1))])
            description = "split"
        others = [i for i in self.nodes if i not in side]
        self.blocked = set()
        self.client_blocked = set()
        for a in side:
            for b in others:
                self.blocked.add((b, a))
                if kind != 2:
                    self.blocked.add((a, b))
        if kind == 2:
            description = "one-way " + description  # side can't hear the others
        # Clients are on one side or the other, like the nodes.
        stranded = []
        for client_id in self.clients:
            if rng.random() < 0.5:
                stranded.append(client_id)
                self.client_blocked.update((client_id, b) for b in others)
            else:
                self.client_blocked.update((client_id, a) for a in side)
        self.log(
            f"nemesis partition {description}: {sorted(side)} | {sorted(others)}, "
            f"clients {stranded} with the first side"
        )
        self.scheduler.after(
            rng.randrange(100 * MS, 600 * MS), self._heal_partition, self.partition_generation
        )

    def _heal_partition(self, generation: int) -> None:
        if generation != self.partition_generation:
            return  # the run healed everything already
        self.log("nemesis heal partition")
        self.blocked = set()
        self.client_blocked = set()

    def _fault_crash(self) -> None:
        rng = self.rng
        down = [i for i, n in self.nodes.items() if n.raw is None and not n.retired]
        live = [i for i, n in self.nodes.items() if n.raw is not None]
        if len(down) >= max(1, (len(live) + len(down) - 1) // 2) or not live:
            return
        leader = self._leader()
        if leader is not None and rng.random() < 0.4:
            victim = leader.id
        else:
            victim = live[rng.randrange(len(live))]
        self._crash(victim, rng.randrange(5 * MS, 400 * MS))

    def _crash(self, node_id: int, downtime_us: int) -> None:
        node = self.nodes[node_id]
        if node.raw is None or node.retired:
            return
        self.log(f"nemesis crash n{node_id} for {downtime_us / MS:.1f}ms")
        node.crash()
        self.scheduler.after(downtime_us, self._restart, node_id)

    def _restart(self, node_id: int) -> None:
        node = self.nodes[node_id]
        if node.raw is not None or node.retired:
            return
        self.log(f"n{node_id} restart")
        node.start()

    def _fault_transfer(self) -> None:
        leader = self._leader()
        if leader is None or leader.raw is None:
            return
        voters = [i for i in leader.raw.raft.trk.voter_ids() if i != leader.id]
        if not voters:
            return
        target = voters[self.rng.randrange(len(voters))]
        self.log(f"nemesis transfer leadership n{leader.id} -> n{target}")
        leader.raw.transfer_leader(target)
        leader.kick()

    def _fault_membership(self) -> None:
        leader = self._leader()
        if leader is None or leader.raw is None:
            return
        rng = self.rng
        conf = leader.raw.raft.trk.conf_state()
        if conf.voters_outgoing:
            return
        voters = list(conf.voters)
        learners = list(conf.learners)
        choices = []
        if len(voters) > 3:
            choices.append("demote")
        if learners:
            choices.append("promote")
            choices.append("remove-learner")
        if self.spawned < 3:
            choices.append("replace")
            if len(voters) + len(learners) < self.options.nodes + 1:
                choices.append("add-learner")
        if not choices:
            return
        action = choices[rng.randrange(len(choices))]
        changes: list[ConfChangeSingle]
        if action == "demote":
            victim = voters[rng.randrange(len(voters))]
            changes = [ConfChangeSingle(ConfChangeType.ADD_LEARNER, victim)]
        elif action == "promote":
            changes = [ConfChangeSingle(ConfChangeType.ADD_NODE, rng.choice(learners))]
        elif action == "remove-learner":
            changes = [ConfChangeSingle(ConfChangeType.REMOVE_NODE, rng.choice(learners))]
        elif action == "add-learner":
            changes = [ConfChangeSingle(ConfChangeType.ADD_LEARNER, self._spawn())]
        else:
            victim = voters[rng.randrange(len(voters))]
            newcomer = self._spawn()
            changes = [
                ConfChangeSingle(ConfChangeType.REMOVE_NODE, victim),
                ConfChangeSingle(ConfChangeType.ADD_NODE, newcomer),
            ]
        transition = (
            ConfChangeTransition.JOINT_IMPLICIT if rng.random() < 0.5 else ConfChangeTransition.AUTO
        )
        cc = ConfChange(tuple(changes), transition)
        try:
            leader.raw.propose_conf_change(cc)
        except ProposalDroppedError as exc:
            self.log(f"nemesis {action} refused: {exc}")
            return
        self.log(f"nemesis {action} via n{leader.id}: {cc.changes} {transition.name}")
        leader.kick()

    def _spawn(self) -> int:
        node_id = self.next_node_id
        self.next_node_id += 1
        self.spawned += 1
        node = SimNode(self, node_id, MemoryStorage())
        self.nodes[node_id] = node
        node.start()
        self.log(f"n{node_id} spawned")
        return node_id

    def _heal(self) -> None:
        self.log("heal: faults end")
        self.partition_generation += 1
        self.blocked = set()
        self.client_blocked = set()
        self.loss_rate = 0.0
        self.dup_rate = 0.0
        self.slow_us_max = 0
        self.reorder = False
        for node_id, node in self.nodes.items():
            if node.raw is None and not node.retired:
                self._restart(node_id)

    # ---------------------------------------------------------- final checks

    def _final_checks(self) -> None:
        leader = self._leader()
        if leader is None or leader.raw is None:
            self.violation("liveness: no leader at the end of the quiet phase")
            return
        conf = leader.raw.raft.trk.conf_state()
        members = conf.members()
        target = leader.raw.raft.raft_log.committed
        for node_id in sorted(members):
            node = self.nodes.get(node_id)
            if node is None or node.raw is None:
                self.violation(f"liveness: member n{node_id} is down at the end")
                continue
            if node.applied != target:
                self.violation(
                    f"convergence: n{node_id} applied {node.applied}, leader committed {target}"
                )
            elif node.kv.digest() != leader.kv.digest():
                self.violation(f"convergence: n{node_id} state differs from the leader's")
        healed_at = (self.fault_end_us + 600 * MS) / MS
        calls_after_heal = {
            (e.process, e.time) for e in self.history if e.type == "invoke" and e.time >= healed_at
        }
        if calls_after_heal and not any(
            e.type == "ok" and e.time >= healed_at for e in self.history
        ):
            self.violation("liveness: no operation succeeded after the faults ended")
        if self.trace is not None:
            for node in self.nodes.values():
                self.log("final " + node.describe())


def run_seed(seed: int, options: SimOptions) -> SeedResult:
    return Simulation(seed, options).run()
