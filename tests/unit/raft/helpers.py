"""Test harness: Raft nodes wired together without persistence or time.

`Network` delivers messages synchronously between `Raft` objects, like
etcd's raft_test.go network: step one message, collect what the receiver
sends, repeat until quiet. `Cluster` drives `RawNode`s through the full
Ready cycle (persist to MemoryStorage, send, apply), for tests that need
storage, snapshots or applied conf changes.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from weir.raft import (
    ConfChange,
    Config,
    ConfState,
    EntryKind,
    MemoryStorage,
    Message,
    MessageType,
    Raft,
    RawNode,
    Snapshot,
)


def new_storage(voters: Iterable[int] = (), learners: Iterable[int] = ()) -> MemoryStorage:
    return MemoryStorage(ConfState(voters=tuple(voters), learners=tuple(learners)))


def new_config(node_id: int, storage: MemoryStorage, **overrides: Any) -> Config:
    settings: dict[str, Any] = {
        "election_tick": 10,
        "heartbeat_tick": 1,
        "check_quorum": False,
        "pre_vote": False,
    }
    settings.update(overrides)
    return Config(id=node_id, storage=storage, rng=random.Random(node_id), **settings)


def new_raft(
    node_id: int,
    voters: Iterable[int] = (),
    *,
    learners: Iterable[int] = (),
    storage: MemoryStorage | None = None,
    **overrides: Any,
) -> Raft:
    if storage is None:
        storage = new_storage(voters, learners)
    return Raft(new_config(node_id, storage, **overrides))


class Network:
    """Synchronous message delivery with drops, cuts and isolation."""

    def __init__(self, *peers: Raft) -> None:
        self.peers: dict[int, Raft] = {r.id: r for r in peers}
        self._dropped: set[tuple[int, int]] = set()
        self._ignored: set[MessageType] = set()
        self.delivered: list[Message] = []

    @classmethod
    def of(cls, count: int, **overrides: Any) -> Network:
        ids = range(1, count + 1)
        return cls(*(new_raft(i, ids, **overrides) for i in ids))

    def cut(self, one: int, other: int) -> None:
        self._dropped.add((one, other))
        self._dropped.add((other, one))

    def cut_one_way(self, source: int, target: int) -> None:
        self._dropped.add((source, target))

    def isolate(self, node_id: int) -> None:
        for other in self.peers:
            if other != node_id:
                self.cut(node_id, other)

    def ignore(self, kind: MessageType) -> None:
        self._ignored.add(kind)

    def recover(self) -> None:
        self._dropped.clear()
        self._ignored.clear()

    def _filter(self, msgs: list[Message]) -> list[Message]:
        kept = []
        for m in msgs:
            if m.kind in self._ignored:
                continue
            if (m.source, m.target) in self._dropped:
                continue
            if m.target not in self.peers:
                continue
            kept.append(m)
        return kept

    def send(self, *msgs: Message) -> None:
        queue = list(msgs)
        while queue:
            m = queue.pop(0)
            self.delivered.append(m)
            node = self.peers[m.target]
            node.step(m)
            queue.extend(self._filter(node.take_messages()))

    def hup(self, node_id: int) -> None:
        self.send(Message(MessageType.HUP, source=node_id, target=node_id))

    def propose(self, node_id: int, data: bytes = b"data") -> None:
        from weir.raft import Entry

        self.send(
            Message(
                MessageType.PROP,
                source=node_id,
                target=node_id,
                entries=[Entry(0, 0, EntryKind.NORMAL, data)],
            )
        )

    def tick(self, node_id: int, times: int = 1) -> None:
        node = self.peers[node_id]
        for _ in range(times):
            node.tick()
            self.send(*self._filter(node.take_messages()))

    def leader(self) -> Raft | None:
        from weir.raft import StateType

        leaders = [r for r in self.peers.values() if r.state == StateType.LEADER]
        return leaders[0] if len(leaders) == 1 else None


class Cluster:
    """RawNodes with MemoryStorage, run through the full Ready cycle.

    The founding members bootstrap with a snapshot at index 1, so entries
    proposed by tests start at index 2 (3 after the first leader's no-op).
    """

    def __init__(
        self,
        voters: Iterable[int],
        *,
        learners: Iterable[int] = (),
        **overrides: Any,
    ) -> None:
        voters = tuple(voters)
        learners = tuple(learners)
        self.overrides = overrides
        self.storages: dict[int, MemoryStorage] = {}
        self.nodes: dict[int, RawNode] = {}
        self.applied: dict[int, list[bytes]] = {}
        self.conf_states: dict[int, ConfState] = {}
        self.read_states: dict[int, list[tuple[int, bytes]]] = {}
        self.inbox: list[Message] = []
        self._dropped: set[tuple[int, int]] = set()
        self._ignored: set[MessageType] = set()
        conf_state = ConfState(voters=voters, learners=learners)
        for node_id in voters + learners:
            self.add_node(node_id, MemoryStorage.bootstrap(conf_state))

    def add_node(self, node_id: int, storage: MemoryStorage | None = None) -> RawNode:
        storage = storage if storage is not None else MemoryStorage()
        self.storages[node_id] = storage
        applied = storage.snapshot().index
        node = RawNode(new_config(node_id, storage, applied=applied, **self.overrides))
        self.nodes[node_id] = node
        self.applied.setdefault(node_id, [])
        self.conf_states[node_id] = storage.snapshot().conf_state
        self.read_states.setdefault(node_id, [])
        return node

    def restart(self, node_id: int) -> RawNode:
        """Drop the node's memory; keep its storage."""
        self.inbox = [m for m in self.inbox if m.target != node_id]
        return self.add_node(node_id, self.storages[node_id])

    def isolate(self, node_id: int) -> None:
        for other in self.nodes:
            if other != node_id:
                self._dropped.add((node_id, other))
                self._dropped.add((other, node_id))

    def ignore(self, kind: MessageType) -> None:
        self._ignored.add(kind)

    def recover(self) -> None:
        self._dropped.clear()
        self._ignored.clear()

    def process_ready(self, node_id: int) -> bool:
        node = self.nodes[node_id]
        if not node.has_ready():
            return False
        rd = node.ready()
        storage = self.storages[node_id]
        if rd.snapshot is not None:
            storage.apply_snapshot(rd.snapshot)
            self.conf_states[node_id] = rd.snapshot.conf_state
        storage.append(list(rd.entries_to_persist))
        if rd.hard_state is not None:
            storage.set_hard_state(rd.hard_state)
        for m in rd.messages:
            if (m.source, m.target) in self._dropped or m.kind in self._ignored:
                continue
            if m.target in self.nodes:
                self.inbox.append(m)
        for entry in rd.committed_entries:
            if entry.kind == EntryKind.CONF_CHANGE:
                cs = node.apply_conf_change(ConfChange.decode(entry.data))
                self.conf_states[node_id] = cs
            elif entry.data:
                self.applied[node_id].append(entry.data)
        for rs in rd.read_states:
            self.read_states[node_id].append((rs.index, rs.context))
        node.advance()
        return True

    def stabilize(self, rounds_max: int = 1000) -> None:
        """Process Readys and deliver messages until nothing moves."""
        for _ in range(rounds_max):
            moved = False
            for node_id in list(self.nodes):
                moved |= self.process_ready(node_id)
            inbox, self.inbox = self.inbox, []
            for m in inbox:
                if m.target in self.nodes:
                    self.nodes[m.target].step(m)
                    moved = True
            if not moved:
                return
        raise AssertionError("cluster did not stabilize")

    def tick_all(self, times: int = 1) -> None:
        for _ in range(times):
            for node in self.nodes.values():
                node.tick()
            self.stabilize()

    def elect(self, node_id: int) -> None:
        self.nodes[node_id].campaign()
        self.stabilize()

    def compact(self, node_id: int, index: int, data: bytes = b"") -> Snapshot:
        storage = self.storages[node_id]
        snapshot = storage.create_snapshot(index, self.conf_states[node_id], data)
        storage.compact(index)
        return snapshot
