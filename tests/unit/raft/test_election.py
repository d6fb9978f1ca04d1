"""Leader election (Raft paper 5.2, thesis 4.2.3 and 9.6): votes, pre-vote, check-quorum,
learners, leadership transfer."""

from __future__ import annotations

import pytest

from tests.unit.raft.helpers import Cluster, Network, new_raft
from weir.raft import (
    TRANSFER_CONTEXT,
    CampaignType,
    ConfState,
    Entry,
    EntryKind,
    HardState,
    MemoryStorage,
    Message,
    MessageType,
    ProposalDroppedError,
    StateType,
)


@pytest.mark.parametrize("pre_vote", [False, True], ids=["vote", "pre-vote"])
@pytest.mark.parametrize("size", [1, 3, 5])
def test_a_node_wins_an_election(size: int, pre_vote: bool) -> None:
    net = Network.of(size, pre_vote=pre_vote)
    net.hup(1)
    assert net.peers[1].state == StateType.LEADER
    assert all(r.term == 1 for r in net.peers.values())
    assert all(r.lead == 1 for r in net.peers.values())


def test_candidate_votes_for_itself_and_asks_every_voter() -> None:
    r = new_raft(1, (1, 2, 3), learners=(4,))
    r.campaign(CampaignType.ELECTION)
    assert (r.state, r.term, r.vote) == (StateType.CANDIDATE, 1, 1)
    msgs = r.take_messages()
    assert sorted(m.target for m in msgs) == [2, 3], "learners get no vote request"
    assert all(m.kind == MessageType.VOTE and m.term == 1 for m in msgs)


def test_election_lost_without_majority() -> None:
    net = Network.of(5)
    net.isolate(1)
    net.cut(1, 2)
    net.hup(1)
    assert net.peers[1].state == StateType.CANDIDATE


def test_split_vote_leaves_candidates_then_resolves() -> None:
    net = Network.of(3)
    net.ignore(MessageType.VOTE)
    net.hup(1)
    net.hup(2)
    assert net.peers[1].state == net.peers[2].state == StateType.CANDIDATE
    net.recover()
    net.hup(1)
    assert net.peers[1].state == StateType.LEADER
    assert net.peers[2].state == StateType.FOLLOWER


@pytest.mark.parametrize(
    ("vote", "lead", "candidate", "granted"),
    [(0, 0, 2, True), (2, 0, 2, True), (3, 0, 2, False), (0, 3, 2, False)],
    ids=["free", "same-candidate-again", "voted-other", "knows-a-leader"],
)
def test_one_vote_per_term(vote: int, lead: int, candidate: int, granted: bool) -> None:
    r = new_raft(1, (1, 2, 3))
    r.become_follower(1, lead)
    r.vote = vote
    r.step(Message(MessageType.VOTE, source=candidate, target=1, term=1))
    [resp] = r.take_messages()
    assert resp.kind == MessageType.VOTE_RESP
    assert resp.reject is not granted


@pytest.mark.parametrize(
    ("index", "log_term", "granted"),
    [(2, 2, True), (3, 2, True), (1, 2, False), (9, 1, False), (1, 3, True)],
    ids=["equal", "longer", "shorter", "older-term", "newer-term"],
)
def test_vote_only_for_an_up_to_date_log(index: int, log_term: int, granted: bool) -> None:
    storage = MemoryStorage(ConfState(voters=(1, 2, 3)))
    storage.append([Entry(1, 1, EntryKind.NORMAL, b""), Entry(2, 2, EntryKind.NORMAL, b"")])
    r = new_raft(1, storage=storage)
    r.step(Message(MessageType.VOTE, source=2, target=1, term=3, index=index, log_term=log_term))
    [resp] = r.take_messages()
    assert resp.reject is not granted
    assert r.term == 3


def test_randomized_election_timeout_range() -> None:
    r = new_raft(1, (1, 2, 3), election_tick=10)
    seen = set()
    for term in range(200):
        r.become_follower(term, 0)
        seen.add(r.randomized_election_timeout)
    assert min(seen) == 10
    assert max(seen) == 19


def test_follower_campaigns_after_its_election_timeout() -> None:
    r = new_raft(1, (1, 2, 3))
    r.become_follower(1, 2)
    for _ in range(r.randomized_election_timeout - 1):
        r.tick()
    assert r.state == StateType.FOLLOWER
    r.tick()
    assert r.state == StateType.CANDIDATE
    assert r.term == 2


def test_restarted_node_remembers_its_vote() -> None:
    storage = MemoryStorage(ConfState(voters=(1, 2, 3)))
    storage.set_hard_state(HardState(term=5, vote=2, commit=0))
    r = new_raft(1, storage=storage)
    assert (r.term, r.vote) == (5, 2)
    r.step(Message(MessageType.VOTE, source=3, target=1, term=5))
    [resp] = r.take_messages()
    assert resp.reject


# -------------------------------------------------------------- pre-vote


def test_pre_vote_does_not_change_terms() -> None:
    net = Network.of(3, pre_vote=True)
    net.isolate(1)
    for _ in range(5):
        net.hup(1)
    assert net.peers[1].term == 0, "failed pre-elections leave no trace"
    assert net.peers[1].state == StateType.PRE_CANDIDATE


def test_pre_vote_prevents_disruption_by_a_rejoining_node() -> None:
    net = Network.of(3, pre_vote=True, check_quorum=True)
    net.hup(1)
    net.isolate(3)
    for _ in range(5):
        net.hup(3)
    net.recover()
    net.hup(3)
    leader = net.peers[1]
    assert leader.state == StateType.LEADER
    assert leader.term == 1
    assert net.peers[3].term == 1, "the pre-vote fails against a live leader"


def test_without_pre_vote_a_rejoining_node_disrupts() -> None:
    net = Network.of(3)
    net.hup(1)
    net.isolate(3)
    for _ in range(5):
        net.hup(3)
    net.recover()
    net.hup(3)
    assert net.peers[1].state != StateType.LEADER
    assert net.peers[1].term > 1


def test_pre_vote_granted_for_a_future_term_despite_a_vote() -> None:
    r = new_raft(1, (1, 2, 3), pre_vote=True)
    r.become_follower(1, 0)
    r.vote = 2
    r.step(Message(MessageType.PRE_VOTE, source=3, target=1, term=2))
    [resp] = r.take_messages()
    assert resp.kind == MessageType.PRE_VOTE_RESP
    assert not resp.reject
    assert resp.term == 2
    assert (r.term, r.vote) == (1, 2), "pre-votes are not recorded"


def test_stale_pre_vote_is_rejected_with_our_term() -> None:
    r = new_raft(1, (1, 2, 3), pre_vote=True)
    r.become_follower(5, 0)
    r.step(Message(MessageType.PRE_VOTE, source=3, target=1, term=3))
    [resp] = r.take_messages()
    assert resp.reject
    assert resp.term == 5


# --------------------------------------------------------- check-quorum


def test_check_quorum_steps_down_an_isolated_leader() -> None:
    net = Network.of(3, check_quorum=True)
    net.hup(1)
    leader = net.peers[1]
    net.isolate(1)
    for _ in range(2 * leader.election_tick):
        leader.tick()
    assert leader.state == StateType.FOLLOWER
    assert leader.term == 1


def test_check_quorum_keeps_a_leader_that_hears_from_a_quorum() -> None:
    net = Network.of(3, check_quorum=True)
    net.hup(1)
    net.isolate(3)
    net.tick(1, 3 * net.peers[1].election_tick)
    assert net.peers[1].state == StateType.LEADER


def test_follower_in_lease_ignores_votes() -> None:
    net = Network.of(3, check_quorum=True)
    net.hup(1)
    follower = net.peers[2]
    follower.step(Message(MessageType.VOTE, source=3, target=2, term=2, index=9, log_term=9))
    assert follower.take_messages() == []
    assert follower.term == 1, "the term does not move either"
    force = Message(
        MessageType.VOTE, source=3, target=2, term=2, index=9, log_term=9, context=TRANSFER_CONTEXT
    )
    follower.step(force)
    [resp] = follower.take_messages()
    assert not resp.reject, "a leadership transfer overrides the lease"


def test_deposed_leader_learns_the_new_term_from_its_own_heartbeat() -> None:
    net = Network.of(3, check_quorum=True)
    net.hup(1)
    net.isolate(1)
    net.peers[3].election_elapsed = net.peers[3].election_tick  # its lease ran out
    net.hup(2)
    assert net.peers[2].state == StateType.LEADER
    net.recover()
    net.send(Message(MessageType.HEARTBEAT, source=1, target=3, term=1))
    old = net.peers[1]
    assert (old.state, old.term) == (StateType.FOLLOWER, 2)


# ------------------------------------------------------------- learners


def test_learner_never_campaigns() -> None:
    r = new_raft(2, (1,), learners=(2,))
    assert r.is_learner
    for _ in range(100):
        r.tick()
    assert r.state == StateType.FOLLOWER
    assert r.take_messages() == []
    r.step(Message(MessageType.HUP, source=2, target=2))
    assert r.state == StateType.FOLLOWER


def test_learner_votes_do_not_count() -> None:
    r = new_raft(1, (1, 2, 3), learners=(4, 5))
    r.step(Message(MessageType.HUP, source=1, target=1))
    for learner in (4, 5):
        r.step(Message(MessageType.VOTE_RESP, source=learner, target=1, term=1))
    assert r.state == StateType.CANDIDATE
    r.step(Message(MessageType.VOTE_RESP, source=2, target=1, term=1))
    assert r.state == StateType.LEADER


def test_learner_replicates_but_is_not_in_the_quorum() -> None:
    net = Network(
        new_raft(1, (1, 2), learners=(3,)),
        new_raft(2, (1, 2), learners=(3,)),
        new_raft(3, (1, 2), learners=(3,)),
    )
    net.hup(1)
    net.propose(1, b"x")
    assert net.peers[3].raft_log.committed == net.peers[1].raft_log.committed == 2
    net.isolate(2)
    net.propose(1, b"y")
    assert net.peers[1].raft_log.committed == 2, "the learner's ack is not enough"
    assert net.peers[3].raft_log.last_index() == 3


# -------------------------------------------------- leadership transfer


def test_transfer_to_an_up_to_date_follower() -> None:
    net = Network.of(3)
    net.hup(1)
    net.send(Message(MessageType.TRANSFER_LEADER, source=2, target=1))
    assert net.peers[2].state == StateType.LEADER
    assert net.peers[1].state == StateType.FOLLOWER
    assert net.peers[2].term == 2


def test_transfer_to_a_lagging_follower_catches_it_up_first() -> None:
    net = Network.of(3)
    net.hup(1)
    net.isolate(3)
    for _ in range(3):
        net.propose(1)
    net.recover()
    net.send(Message(MessageType.TRANSFER_LEADER, source=3, target=1))
    assert net.peers[3].state == StateType.LEADER
    assert net.peers[3].raft_log.last_index() >= 5


def test_proposals_are_dropped_during_a_transfer_and_it_aborts() -> None:
    net = Network.of(3)
    net.hup(1)
    net.isolate(3)
    leader = net.peers[1]
    net.send(Message(MessageType.TRANSFER_LEADER, source=3, target=1))
    assert leader.lead_transferee == 3
    with pytest.raises(ProposalDroppedError):
        leader.step(Message(MessageType.PROP, entries=[Entry(0, 0, EntryKind.NORMAL, b"x")]))
    for _ in range(leader.election_tick):
        leader.tick()
    assert leader.lead_transferee == 0
    assert leader.state == StateType.LEADER


def test_transfer_to_a_learner_is_ignored() -> None:
    net = Network(new_raft(1, (1, 2), learners=(3,)), new_raft(2, (1, 2), learners=(3,)))
    net.hup(1)
    net.peers[1].step(Message(MessageType.TRANSFER_LEADER, source=3, target=1))
    assert net.peers[1].lead_transferee == 0


def test_transfer_through_a_follower_is_forwarded() -> None:
    net = Network.of(3)
    net.hup(1)
    net.send(Message(MessageType.TRANSFER_LEADER, source=3, target=2))
    assert net.peers[3].state == StateType.LEADER


def test_cluster_elects_by_ticks_alone() -> None:
    cluster = Cluster([1, 2, 3], check_quorum=True, pre_vote=True)
    cluster.tick_all(30)
    leaders = [n for n in cluster.nodes.values() if n.raft.state == StateType.LEADER]
    assert len(leaders) == 1
