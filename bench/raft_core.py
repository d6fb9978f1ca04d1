"""Raft core throughput and per-message cost, against plain replication, in one run.

    python bench/raft_core.py [--seconds 2] [--repeat 3] [--payload-bytes 64]

1. Entries committed per second by a 3-node cluster of RawNodes in one
   process: no faults, the leader proposes a batch per Ready cycle, every
   node persists to MemoryStorage, messages are delivered in memory and
   committed entries are handed to a no-op state machine. The peer is
   "plain replication" in the same loop: a leader that ships each batch to
   two followers, which store it and acknowledge, with commit at two acks
   and no Raft bookkeeping at all. It is the ceiling for any replication
   written this way in Python.
2. Per message: the cost of step() + ready() + advance() on a follower
   for one MsgApp (entries of 1 and of 64), and on the leader for one
   MsgAppResp and one MsgHeartbeatResp.

The medians of --repeat runs are printed; runs of the two sides alternate so
both see the same background load.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weir.raft import (
    Config,
    ConfState,
    EntryKind,
    MemoryStorage,
    Message,
    MessageType,
    RawNode,
    StateType,
)

NODE_IDS = (1, 2, 3)


def new_cluster() -> tuple[dict[int, RawNode], dict[int, MemoryStorage]]:
    storages = {i: MemoryStorage(ConfState(voters=NODE_IDS)) for i in NODE_IDS}
    nodes = {
        i: RawNode(
            Config(
                id=i,
                storage=storages[i],
                rng=random.Random(i),
                election_tick=10,
                heartbeat_tick=1,
                inflight_msgs_max=256,
            )
        )
        for i in NODE_IDS
    }
    return nodes, storages


def cycle(
    nodes: dict[int, RawNode], storages: dict[int, MemoryStorage], inbox: list[Message]
) -> int:
    """One Ready cycle on every node, then deliver; returns entries applied on node 1."""
    applied = 0
    outbox: list[Message] = []
    for node_id, node in nodes.items():
        if not node.has_ready():
            continue
        rd = node.ready()
        storage = storages[node_id]
        if rd.entries_to_persist:
            storage.append(rd.entries_to_persist)
        if rd.hard_state is not None:
            storage.set_hard_state(rd.hard_state)
        outbox.extend(rd.messages)
        if node_id == 1:
            applied += len(rd.committed_entries)
        node.advance()
    inbox[:] = outbox
    for m in outbox:
        nodes[m.target].step(m)
    return applied


def elect(nodes: dict[int, RawNode], storages: dict[int, MemoryStorage]) -> None:
    nodes[1].campaign()
    inbox: list[Message] = []
    for _ in range(20):
        cycle(nodes, storages, inbox)
    assert nodes[1].raft.state == StateType.LEADER


def raft_throughput(seconds: float, batch: int, payload: bytes, *, one_by_one: bool) -> float:
    nodes, storages = new_cluster()
    elect(nodes, storages)
    leader = nodes[1]
    inbox: list[Message] = []
    payloads = [payload] * batch
    committed = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        if one_by_one:
            for _ in range(batch):
                leader.propose(payload)
        else:
            leader.propose_batch(payloads)
        committed += cycle(nodes, storages, inbox)
        # Compact now and then so that memory stays flat.
        for node_id, storage in storages.items():
            applied = nodes[node_id].raft.raft_log.applied
            if applied - storage.first_index() > 100_000:
                storage.compact(applied - 1_000)
    return committed / (time.perf_counter() - start)


def plain_throughput(seconds: float, batch: int, payload: bytes) -> float:
    """Leader -> two followers, store and ack, commit at two of three."""
    logs: dict[int, list[bytes]] = {i: [] for i in NODE_IDS}
    lengths: dict[int, int] = {i: 0 for i in NODE_IDS}
    acked: dict[int, int] = {i: 0 for i in NODE_IDS}
    committed = applied = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        entries = [payload] * batch
        logs[1].extend(entries)
        lengths[1] += batch
        acked[1] = lengths[1]
        acks = []
        for target in (2, 3):
            logs[target].extend(entries)
            lengths[target] += len(entries)
            acks.append((target, lengths[target]))
        for source, index in acks:
            acked[source] = max(acked[source], index)
        quorum = sorted(acked.values())[1]
        applied += quorum - committed
        committed = quorum
        for log in logs.values():
            if len(log) > 200_000:
                del log[:100_000]
    return applied / (time.perf_counter() - start)


def per_message_costs(rounds: int) -> dict[str, float]:
    """Microseconds per message for step + ready + advance."""
    results: dict[str, float] = {}
    payload = b"x" * 64
    for count in (1, 64):
        nodes, storages = new_cluster()
        elect(nodes, storages)
        follower = nodes[2]
        storage = storages[2]
        term = follower.raft.term
        last = follower.raft.raft_log.last_index()
        from weir.raft import Entry

        messages = []
        for _ in range(rounds):
            entries = [Entry(term, last + 1 + k, EntryKind.NORMAL, payload) for k in range(count)]
            messages.append(
                Message(
                    MessageType.APP,
                    source=1,
                    target=2,
                    term=term,
                    index=last,
                    log_term=term,
                    entries=entries,
                    commit=last,
                )
            )
            last += count
        start = time.perf_counter()
        for m in messages:
            follower.step(m)
            rd = follower.ready()
            storage.append(rd.entries_to_persist)
            if rd.hard_state is not None:
                storage.set_hard_state(rd.hard_state)
            follower.advance()
        results[f"follower MsgApp, {count} entr{'y' if count == 1 else 'ies'}"] = (
            (time.perf_counter() - start) / rounds * 1e6
        )

    nodes, storages = new_cluster()
    elect(nodes, storages)
    leader = nodes[1]
    term = leader.raft.term
    for _ in range(rounds):
        leader.propose(payload)
    rd = leader.ready()
    storages[1].append(rd.entries_to_persist)
    leader.advance()
    base = leader.raft.raft_log.last_index() - rounds
    acks = [
        Message(MessageType.APP_RESP, source=2 + (k % 2), target=1, term=term, index=base + k)
        for k in range(1, rounds + 1)
    ]
    start = time.perf_counter()
    for m in acks:
        leader.step(m)
        rd = leader.ready()
        leader.advance()
    results["leader MsgAppResp"] = (time.perf_counter() - start) / rounds * 1e6

    beats = [
        Message(MessageType.HEARTBEAT_RESP, source=2, target=1, term=term, index=k)
        for k in range(rounds)
    ]
    start = time.perf_counter()
    for m in beats:
        leader.step(m)
        if leader.has_ready():
            leader.ready()
            leader.advance()
    results["leader MsgHeartbeatResp"] = (time.perf_counter() - start) / rounds * 1e6
    return results


def median_of(repeat: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--payload-bytes", type=int, default=64)
    args = parser.parse_args()
    payload = bytes(args.payload_bytes)

    print(f"3 nodes, no faults, {args.payload_bytes}-byte entries, median of {args.repeat}")
    print(
        f"{'proposals per Ready':<26} {'plain (entries/s)':>18} "
        f"{'weir raft (entries/s)':>22} {'raft / plain':>13}"
    )
    cases = [(batch, False) for batch in (1, 16, 64, 256, 1024)] + [(64, True)]
    for batch, one_by_one in cases:
        plain_runs: list[float] = []
        raft_runs: list[float] = []
        for _ in range(args.repeat):
            plain_runs.append(plain_throughput(args.seconds, batch, payload))
            raft_runs.append(raft_throughput(args.seconds, batch, payload, one_by_one=one_by_one))
        plain = statistics.median(plain_runs)
        raft = statistics.median(raft_runs)
        label = f"{batch}" + (" (propose each)" if one_by_one else " (propose_batch)")
        print(f"{label:<26} {plain:>18,.0f} {raft:>22,.0f} {raft / plain:>13.3f}")

    print()
    print("per message, step + ready + advance (median of runs)")
    costs = [per_message_costs(5_000) for _ in range(args.repeat)]
    for name in costs[0]:
        print(f"  {name:<32} {statistics.median(c[name] for c in costs):>8.1f} µs")


if __name__ == "__main__":
    main()
