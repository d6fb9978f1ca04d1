"""Membership changes through the log (thesis chapter 4): simple changes, joint
consensus and its safety, auto-leave, learners, removal of the leader."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.raft.helpers import Cluster, Network, new_raft
from weir.raft import (
    ConfChange,
    ConfChangeSingle,
    ConfChangeTransition,
    ConfChangeType,
    ConfState,
    Entry,
    EntryKind,
    Message,
    MessageType,
    ProposalDroppedError,
    StateType,
)

ADD = ConfChangeType.ADD_NODE
LEARNER = ConfChangeType.ADD_LEARNER
REMOVE = ConfChangeType.REMOVE_NODE


def cc(
    *pairs: tuple[ConfChangeType, int],
    transition: ConfChangeTransition = ConfChangeTransition.AUTO,
) -> ConfChange:
    return ConfChange(tuple(ConfChangeSingle(kind, node_id) for kind, node_id in pairs), transition)


def leader_cluster(voters: tuple[int, ...] = (1, 2, 3), **overrides: Any) -> Cluster:
    cluster = Cluster(voters, **overrides)
    cluster.elect(1)
    return cluster


def test_add_a_voter_and_commit_with_it() -> None:
    cluster = leader_cluster()
    cluster.add_node(4)
    cluster.nodes[1].propose_conf_change(cc((ADD, 4)))
    cluster.stabilize()
    for node_id in (1, 2, 3, 4):
        assert cluster.conf_states[node_id].voters == (1, 2, 3, 4)
    cluster.nodes[1].propose(b"after")
    cluster.stabilize()
    assert cluster.applied[4][-1] == b"after"


def test_remove_a_voter_shrinks_the_quorum() -> None:
    cluster = leader_cluster()
    cluster.nodes[1].propose_conf_change(cc((REMOVE, 3)))
    cluster.stabilize()
    assert cluster.conf_states[1].voters == (1, 2)
    cluster.isolate(3)
    cluster.nodes[1].propose(b"without 3")
    cluster.stabilize()
    assert cluster.applied[2][-1] == b"without 3"


def test_removed_leader_steps_down() -> None:
    cluster = leader_cluster()
    cluster.nodes[1].propose_conf_change(cc((REMOVE, 1)))
    cluster.stabilize()
    assert cluster.nodes[1].raft.state == StateType.FOLLOWER
    assert cluster.conf_states[2].voters == (2, 3)


def test_joint_change_needs_both_majorities() -> None:
    """(1 2 3) -> (1 4 5): while joint, the old and the new majority must agree."""
    r = new_raft(1, (1, 2, 3))
    r.become_candidate()
    r.become_leader()
    r.step(Message(MessageType.APP_RESP, source=2, target=1, term=1, index=1))
    assert r.raft_log.committed == 1
    r.apply_conf_change(cc((ADD, 4), (ADD, 5), (REMOVE, 2), (REMOVE, 3)))
    assert r.trk.conf_state() == ConfState(
        voters=(1, 4, 5), voters_outgoing=(1, 2, 3), auto_leave=True
    )
    r.take_messages()
    r.step(Message(MessageType.PROP, entries=[Entry(0, 0, EntryKind.NORMAL, b"x")]))
    r.take_messages()
    for old in (2, 3):
        r.step(Message(MessageType.APP_RESP, source=old, target=1, term=1, index=2))
    assert r.raft_log.committed == 1, "the old majority alone is not enough"
    r.step(Message(MessageType.APP_RESP, source=4, target=1, term=1, index=2))
    assert r.raft_log.committed == 2, "1, 4 (new) and 1, 2 (old)"


def test_joint_election_needs_both_majorities() -> None:
    r = new_raft(1, (1, 2, 3))
    r.apply_conf_change(cc((ADD, 4), (ADD, 5), (REMOVE, 2), (REMOVE, 3)))
    r.step(Message(MessageType.HUP))
    for voter in (2, 3):
        r.step(Message(MessageType.VOTE_RESP, source=voter, target=1, term=1))
    assert r.state == StateType.CANDIDATE
    r.step(Message(MessageType.VOTE_RESP, source=4, target=1, term=1))
    assert r.state == StateType.LEADER


def test_auto_leave_after_the_joint_config_applies() -> None:
    cluster = leader_cluster()
    cluster.add_node(4)
    cluster.add_node(5)
    cluster.nodes[1].propose_conf_change(cc((ADD, 4), (ADD, 5), (REMOVE, 3)))
    cluster.stabilize()
    assert cluster.conf_states[1] == ConfState(voters=(1, 2, 4, 5))
    assert cluster.conf_states[5] == ConfState(voters=(1, 2, 4, 5))


def test_explicit_joint_waits_for_the_leave_proposal() -> None:
    cluster = leader_cluster()
    cluster.add_node(4)
    joint = cc((ADD, 4), transition=ConfChangeTransition.JOINT_EXPLICIT)
    cluster.nodes[1].propose_conf_change(joint)
    cluster.stabilize()
    assert cluster.conf_states[1].voters_outgoing == (1, 2, 3)
    with pytest.raises(ProposalDroppedError, match="leave the joint"):
        cluster.nodes[1].propose_conf_change(cc((ADD, 5)))
    cluster.nodes[1].propose_conf_change(ConfChange())
    cluster.stabilize()
    assert cluster.conf_states[1] == ConfState(voters=(1, 2, 3, 4))


def test_one_conf_change_at_a_time() -> None:
    cluster = leader_cluster()
    cluster.nodes[1].propose_conf_change(cc((LEARNER, 4)))
    with pytest.raises(ProposalDroppedError, match="unapplied conf change"):
        cluster.nodes[1].propose_conf_change(cc((LEARNER, 5)))
    cluster.stabilize()
    cluster.nodes[1].propose_conf_change(cc((LEARNER, 5)))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (cc((REMOVE, 1), (REMOVE, 2), (REMOVE, 3)), "removed all voters"),
        (ConfChange(), "not in a joint"),
    ],
    ids=["remove-everyone", "leave-when-not-joint"],
)
def test_invalid_conf_change_is_refused_at_proposal(change: ConfChange, reason: str) -> None:
    cluster = leader_cluster()
    with pytest.raises(ProposalDroppedError, match=reason):
        cluster.nodes[1].propose_conf_change(change)


def test_forwarded_invalid_conf_change_becomes_a_no_op() -> None:
    net = Network.of(3)
    net.hup(1)
    bad = Entry(0, 0, EntryKind.CONF_CHANGE, b"\x09garbage")
    net.send(Message(MessageType.PROP, source=2, target=1, entries=[bad]))
    last = net.peers[1].raft_log.slice(2, 3, 1 << 40)[0]
    assert (last.kind, last.data) == (EntryKind.NORMAL, b"")


def test_learner_added_then_promoted() -> None:
    cluster = leader_cluster()
    cluster.add_node(4)
    cluster.nodes[1].propose_conf_change(cc((LEARNER, 4)))
    cluster.stabilize()
    assert cluster.conf_states[4].learners == (4,)
    assert cluster.nodes[4].raft.is_learner
    cluster.nodes[1].propose(b"to the learner")
    cluster.stabilize()
    assert cluster.applied[4][-1] == b"to the learner"
    cluster.nodes[1].propose_conf_change(cc((ADD, 4)))
    cluster.stabilize()
    assert cluster.conf_states[4].voters == (1, 2, 3, 4)
    assert not cluster.nodes[4].raft.is_learner


def test_demoted_voter_becomes_a_learner_after_leaving_joint() -> None:
    cluster = leader_cluster()
    cluster.nodes[1].propose_conf_change(cc((LEARNER, 3)))
    cluster.stabilize()
    assert cluster.conf_states[1] == ConfState(voters=(1, 2), learners=(3,))
    assert cluster.nodes[3].raft.is_learner


def test_node_added_after_a_snapshot_learns_the_membership_from_it() -> None:
    """The leader's snapshot predates the new node; it must accept it anyway."""
    cluster = leader_cluster()
    for i in range(5):
        cluster.nodes[1].propose(b"%d" % i)
    cluster.stabilize()
    cluster.compact(1, 6, b"state@6")
    cluster.add_node(4)
    cluster.nodes[1].propose_conf_change(cc((ADD, 4)))
    cluster.stabilize()
    cluster.tick_all(3)
    assert cluster.storages[4].snapshot().index == 6
    assert cluster.conf_states[4].voters == (1, 2, 3, 4)
    assert cluster.nodes[4].raft.raft_log.committed == cluster.nodes[1].raft.raft_log.committed
