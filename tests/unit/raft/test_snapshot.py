"""Snapshots: InstallSnapshot to a lagging follower, then replication as usual;
failed sends, stale snapshots, restarts from a compacted log."""

from __future__ import annotations

from tests.unit.raft.helpers import Cluster, new_raft
from weir.raft import (
    ConfState,
    Message,
    MessageType,
    Snapshot,
)
from weir.raft.progress import ProgressState


def lagging_cluster() -> Cluster:
    """Node 3 missed entries that the leader has compacted away."""
    cluster = Cluster([1, 2, 3])
    cluster.elect(1)
    cluster.isolate(3)
    for i in range(10):
        cluster.nodes[1].propose(b"e%d" % i)
    cluster.stabilize()
    applied = cluster.nodes[1].raft.raft_log.applied
    cluster.compact(1, applied, b"state@%d" % applied)
    cluster.recover()
    return cluster


def test_snapshot_install_and_continue() -> None:
    cluster = lagging_cluster()
    leader_applied = cluster.nodes[1].raft.raft_log.applied
    cluster.tick_all(2)
    follower = cluster.nodes[3]
    assert cluster.storages[3].snapshot().index == leader_applied
    assert cluster.storages[3].snapshot().data == b"state@%d" % leader_applied
    assert follower.raft.raft_log.committed >= leader_applied
    cluster.nodes[1].propose(b"after the snapshot")
    cluster.stabilize()
    assert cluster.applied[3][-1] == b"after the snapshot"
    assert cluster.nodes[1].raft.trk.progress[3].state == ProgressState.REPLICATE


def test_failed_snapshot_send_probes_again() -> None:
    cluster = lagging_cluster()
    leader = cluster.nodes[1]
    cluster.ignore(MessageType.SNAP)
    cluster.tick_all(2)
    pr = leader.raft.trk.progress[3]
    assert pr.state == ProgressState.SNAPSHOT
    leader.report_snapshot(3, ok=False)
    assert pr.state == ProgressState.PROBE
    assert pr.pending_snapshot == 0
    cluster.recover()
    cluster.tick_all(3)
    assert cluster.storages[3].snapshot().index > 1


def test_stale_snapshot_is_ignored() -> None:
    r = new_raft(2, (1, 2, 3))
    r.become_follower(2, 1)
    r.raft_log.append([])
    snapshot = Snapshot(index=5, term=1, conf_state=ConfState(voters=(1, 2, 3)))
    r.step(Message(MessageType.SNAP, source=1, target=2, term=2, snapshot=snapshot))
    assert r.raft_log.committed == 5
    r.take_messages()
    older = Snapshot(index=3, term=1, conf_state=ConfState(voters=(1, 2, 3)))
    r.step(Message(MessageType.SNAP, source=1, target=2, term=2, snapshot=older))
    [resp] = r.take_messages()
    assert (resp.kind, resp.index) == (MessageType.APP_RESP, 5)
    assert r.raft_log.snapshot().index == 5


def test_snapshot_matching_the_log_only_moves_the_commit_index() -> None:
    cluster = Cluster([1, 2, 3])
    cluster.elect(1)
    for i in range(3):
        cluster.nodes[1].propose(b"%d" % i)
    cluster.stabilize()
    follower = cluster.nodes[2].raft
    log = follower.raft_log
    log.committed = 2  # as if the follower had not heard of the later commits
    index = log.last_index()
    snapshot = Snapshot(index=index, term=log.term(index), conf_state=cluster.conf_states[2])
    follower.step(
        Message(MessageType.SNAP, source=1, target=2, term=follower.term, snapshot=snapshot)
    )
    assert log.committed == index
    assert not log.has_pending_snapshot()


def test_restart_from_a_compacted_log_replays_after_the_snapshot() -> None:
    cluster = Cluster([1, 2, 3])
    cluster.elect(1)
    for i in range(6):
        cluster.nodes[1].propose(b"%d" % i)
    cluster.stabilize()
    cluster.compact(2, 5, b"state@5")
    cluster.applied[2] = []
    restarted = cluster.restart(2)
    assert restarted.raft.raft_log.applied == 5
    cluster.stabilize()
    assert cluster.applied[2] == [b"3", b"4", b"5"]
