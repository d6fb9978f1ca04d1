"""Linearizable reads (thesis 6.4): ReadIndex rounds, batching, follower reads,
partitions, and leader leases."""

from __future__ import annotations

from tests.unit.raft.helpers import Network, new_raft
from weir.raft import (
    Message,
    MessageType,
    ReadOnlyOption,
    ReadState,
    StateType,
)

LEASE = ReadOnlyOption.LEASE_BASED


def read(net: Network, node_id: int, context: bytes) -> None:
    net.send(Message(MessageType.READ_INDEX, target=node_id, context=context))


def test_leader_read_waits_for_a_quorum_heartbeat_round() -> None:
    net = Network.of(3)
    net.hup(1)
    leader = net.peers[1]
    leader.step(Message(MessageType.READ_INDEX, context=b"a"))
    assert leader.read_states == []
    beats = leader.take_messages()
    assert sorted(m.kind for m in beats) == [MessageType.HEARTBEAT] * 2
    net.send(*beats)
    assert leader.read_states == [ReadState(1, b"a")]


def test_reads_of_one_cycle_share_one_round() -> None:
    net = Network.of(5)
    net.hup(1)
    leader = net.peers[1]
    for i in range(10):
        leader.step(Message(MessageType.READ_INDEX, context=b"%d" % i))
    beats = leader.take_messages()
    assert len(beats) == 4, "one heartbeat per follower for ten reads"
    net.send(*beats)
    assert [rs.context for rs in leader.read_states] == [b"%d" % i for i in range(10)]


def test_read_index_is_the_commit_index_at_arrival() -> None:
    net = Network.of(3)
    net.hup(1)
    net.propose(1)
    net.propose(1)
    read(net, 1, b"x")
    assert net.peers[1].read_states == [ReadState(3, b"x")]


def test_follower_read_goes_through_the_leader() -> None:
    net = Network.of(3)
    net.hup(1)
    net.propose(1)
    read(net, 2, b"f")
    assert net.peers[2].read_states == [ReadState(2, b"f")]
    assert net.peers[1].read_states == []


def test_new_leader_defers_reads_until_it_commits_in_its_term() -> None:
    net = Network.of(3)
    net.ignore(MessageType.APP)
    net.hup(1)
    leader = net.peers[1]
    assert leader.state == StateType.LEADER
    assert not leader.committed_entry_in_current_term()
    read(net, 1, b"early")
    assert leader.read_states == []
    net.recover()
    net.tick(1, 1)  # a heartbeat makes the followers ask for the missing no-op
    assert leader.read_states == [ReadState(1, b"early")]


def test_isolated_leader_serves_no_reads_while_another_commits() -> None:
    net = Network.of(3)
    net.hup(1)
    old = net.peers[1]
    net.isolate(1)
    read(net, 1, b"stale?")
    net.hup(2)
    net.propose(2, b"new")
    assert net.peers[2].raft_log.committed == 3
    assert old.state == StateType.LEADER, "it does not know yet"
    assert old.read_states == []
    net.recover()
    net.tick(2, 1)  # the new leader's heartbeat
    assert old.state == StateType.FOLLOWER
    assert old.read_states == [], "the pending read died with the leadership"
    read(net, 1, b"fresh")
    assert old.read_states == [ReadState(3, b"fresh")]


def test_single_voter_answers_at_once() -> None:
    r = new_raft(1, (1,))
    r.step(Message(MessageType.HUP))
    r.step(Message(MessageType.READ_INDEX, context=b"solo"))
    assert r.read_states == [ReadState(1, b"solo")]


# ------------------------------------------------------------------ leases


def lease_network(size: int = 3) -> Network:
    net = Network.of(size, check_quorum=True, read_only_option=LEASE)
    for r in net.peers.values():
        r.boot_ticks = r.election_tick  # up for a while: free to vote
    net.hup(1)
    net.tick(1, 1)  # one acknowledged heartbeat round grants the lease
    return net


def test_lease_read_needs_no_round_trip() -> None:
    net = lease_network()
    leader = net.peers[1]
    assert leader.lease_valid()
    leader.step(Message(MessageType.READ_INDEX, context=b"fast"))
    assert leader.read_states == [ReadState(1, b"fast")]
    assert leader.take_messages() == []


def test_a_new_leader_has_no_lease_before_any_ack() -> None:
    net = Network.of(3, check_quorum=True, read_only_option=LEASE)
    for r in net.peers.values():
        r.boot_ticks = r.election_tick
    net.ignore(MessageType.HEARTBEAT)
    net.hup(1)
    assert net.peers[1].state == StateType.LEADER
    assert not net.peers[1].lease_valid()


def test_lease_expires_before_anyone_else_can_be_elected() -> None:
    net = lease_network()
    leader = net.peers[1]
    net.isolate(1)
    ticks = 0
    while leader.lease_valid():
        leader.tick()
        leader.take_messages()
        ticks += 1
    # The heartbeat round was sent at tick 0 of the leader and the followers
    # refuse votes for election_tick ticks after receiving it.
    assert ticks == leader.election_tick - 1
    assert leader.state == StateType.LEADER
    leader.step(Message(MessageType.READ_INDEX, context=b"late"))
    assert leader.read_states == [], "an expired lease falls back to ReadIndex"
    assert any(m.kind == MessageType.HEARTBEAT for m in leader.take_messages())


def test_followers_refuse_votes_while_the_lease_holds() -> None:
    net = lease_network()
    for follower in (net.peers[2], net.peers[3]):
        for _ in range(follower.election_tick - 1):
            follower.tick()
            follower.take_messages()
    net.isolate(1)
    net.hup(2)
    assert net.peers[2].state != StateType.LEADER
    assert net.peers[3].term == 1


def test_lease_is_void_during_a_leadership_transfer() -> None:
    net = lease_network()
    leader = net.peers[1]
    leader.tick()
    before_transfer = leader.take_messages()  # a round sent before the transfer
    net.ignore(MessageType.TIMEOUT_NOW)
    net.send(Message(MessageType.TRANSFER_LEADER, source=2, target=1))
    assert leader.lead_transferee == 2
    assert not leader.lease_valid()
    for _ in range(leader.election_tick):
        leader.tick()
        leader.take_messages()  # lost
    assert leader.lead_transferee == 0, "the transfer timed out"
    net.send(*before_transfer)
    assert not leader.lease_valid(), "acks of rounds before the transfer grant nothing"
    net.tick(1, 1)
    assert leader.lease_valid()


def test_restarted_voter_waits_an_election_timeout_before_voting() -> None:
    r = new_raft(3, (1, 2, 3), check_quorum=True, read_only_option=LEASE)
    vote = Message(MessageType.PRE_VOTE, source=2, target=3, term=2, index=5, log_term=1)
    r.step(vote)
    assert r.take_messages() == [], "it may have promised a lease before the crash"
    for _ in range(r.election_tick):
        r.tick()
        r.take_messages()
    r.step(vote)
    [resp] = r.take_messages()
    assert not resp.reject
