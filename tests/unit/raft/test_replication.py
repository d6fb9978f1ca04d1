"""Log replication (Raft paper 5.3, 5.4): log matching, the commitment rule of
Figure 8, fast backtracking, flow control and batching."""

from __future__ import annotations

import pytest

from tests.unit.raft.helpers import Network, new_raft, new_storage
from weir.raft import (
    Entry,
    EntryKind,
    HardState,
    Message,
    MessageType,
    ProposalDroppedError,
    Raft,
    StateType,
)

VOTERS = (1, 2, 3)


def raft_with_log(node_id: int, terms: list[int], voters: tuple[int, ...] = VOTERS) -> Raft:
    storage = new_storage(voters)
    storage.append([Entry(term, i + 1, EntryKind.NORMAL, b"") for i, term in enumerate(terms)])
    storage.set_hard_state(HardState(term=max(terms, default=0)))
    return new_raft(node_id, storage=storage)


def log_terms(r: Raft) -> list[int]:
    return [r.raft_log.term(i) for i in range(1, r.raft_log.last_index() + 1)]


def make_leader(r: Raft) -> None:
    r.become_candidate()
    r.become_leader()
    r.take_messages()


def propose(r: Raft, data: bytes = b"x") -> None:
    r.step(Message(MessageType.PROP, entries=[Entry(0, 0, EntryKind.NORMAL, data)]))


def exchange(leader: Raft, follower: Raft) -> int:
    """Deliver messages between two nodes until quiet; count rejections."""
    rejections = 0
    queue = [m for m in leader.take_messages() if m.target == follower.id]
    while queue:
        m = queue.pop(0)
        target = follower if m.target == follower.id else leader
        target.step(m)
        if m.kind == MessageType.APP_RESP and m.reject:
            rejections += 1
        out = target.take_messages()
        queue.extend(x for x in out if x.target in (leader.id, follower.id))
    return rejections


def test_proposal_is_committed_and_replicated_everywhere() -> None:
    net = Network.of(5)
    net.hup(1)
    net.propose(1, b"hello")
    for r in net.peers.values():
        assert r.raft_log.committed == 2
        assert r.raft_log.slice(2, 3, 1 << 40)[0].data == b"hello"


def test_minority_cannot_commit() -> None:
    net = Network.of(5)
    net.hup(1)
    net.isolate(3)
    net.isolate(4)
    net.isolate(5)
    net.propose(1, b"x")
    assert net.peers[1].raft_log.committed == 1
    assert net.peers[2].raft_log.last_index() == 2


@pytest.mark.parametrize(
    "follower_terms",
    [
        [1, 1, 1, 4, 4, 5, 5, 6, 6],
        [1, 1, 1, 4],
        [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
        [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
        [1, 1, 1, 4, 4, 4, 4],
        [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    ],
    ids=[
        "missing-one",
        "missing-many",
        "extra-uncommitted",
        "extra-newer",
        "conflict",
        "long-conflict",
    ],
)
def test_leader_brings_every_follower_log_in_line(follower_terms: list[int]) -> None:
    """Figure 7: whatever the follower holds, it ends up with the leader's log."""
    leader_terms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]
    net = Network(
        raft_with_log(1, leader_terms),
        raft_with_log(2, follower_terms),
        raft_with_log(3, leader_terms),
    )
    net.peers[1].term = 7
    net.hup(1)
    assert net.peers[1].state == StateType.LEADER
    net.propose(1)
    assert log_terms(net.peers[2]) == log_terms(net.peers[1])
    assert net.peers[2].raft_log.committed == net.peers[1].raft_log.committed


def test_figure_8_previous_term_entries_are_not_committed_by_counting() -> None:
    r = raft_with_log(1, [1, 2], voters=(1, 2, 3, 4, 5))
    make_leader(r)
    assert r.term == 3
    assert r.raft_log.last_index() == 3, "the leader's own no-op at term 3"
    for follower in (2, 3):
        r.step(Message(MessageType.APP_RESP, source=follower, target=1, term=3, index=2))
    # Index 2 is on a majority (1, 2, 3) but is from term 2: not committed.
    assert r.raft_log.committed == 0
    for follower in (2, 3):
        r.step(Message(MessageType.APP_RESP, source=follower, target=1, term=3, index=3))
    assert r.raft_log.committed == 3


def restart(net: Network, node_id: int) -> None:
    """Crash and restart: keep term, vote and log; forget leadership."""
    r = net.peers[node_id]
    r.become_follower(r.term, 0)


def elect(net: Network, node_id: int) -> Raft:
    for _ in range(3):
        net.hup(node_id)
        if net.peers[node_id].state == StateType.LEADER:
            break
    leader = net.peers[node_id]
    assert leader.state == StateType.LEADER
    return leader


def test_figure_8_overwritten_entry_was_never_committed() -> None:
    """The scenario of Figure 8, played out: an entry that a leader of an older
    term put on a majority is overwritten later, so it must not have committed."""
    net = Network.of(5)
    net.hup(1)
    # (a) S1 leads term 1 and gets index 2 only to S2.
    for other in (3, 4, 5):
        net.cut(1, other)
    net.propose(1, b"a")
    assert [r.raft_log.last_index() for r in net.peers.values()] == [2, 2, 1, 1, 1]
    # (b) S1 goes down; S5 leads term 2 with S3 and S4. Its index 2 reaches nobody.
    net.recover()
    net.isolate(1)
    net.ignore(MessageType.APP)
    elect(net, 5)
    # (c) S5 goes down; S1 comes back and leads term 3. Index 2 (term 1) reaches
    # S3, but S1's own term-3 entry does not get out.
    net.recover()
    net.isolate(5)
    restart(net, 1)
    net.ignore(MessageType.APP)
    leader = elect(net, 1)
    assert leader.term == 3
    net.peers[3].raft_log.append([Entry(1, 2, EntryKind.NORMAL, b"a")])
    for follower in (2, 3):
        leader.step(Message(MessageType.APP_RESP, source=follower, target=1, term=3, index=2))
    assert leader.raft_log.committed == 1, "index 2 is on S1, S2, S3 but must not commit"
    # (d) S1 goes down; S5 (last term 2) wins with S2, S3, S4 and overwrites index 2.
    net.recover()
    net.isolate(1)
    restart(net, 5)
    elect(net, 5)
    net.propose(5, b"b")
    for node_id in (2, 3, 4, 5):
        r = net.peers[node_id]
        assert r.raft_log.term(2) == 2
        assert r.raft_log.committed == r.raft_log.last_index()


def test_fast_backtracking_skips_whole_terms() -> None:
    leader = raft_with_log(1, [1, 3, 3, 3, 3, 3, 3, 3, 7])
    follower = raft_with_log(2, [1, 3, 3, 4, 4, 5, 5, 5, 6])
    leader.term = 7
    leader.become_candidate()
    leader.become_leader()
    follower.become_follower(leader.term, 1)
    rejections = exchange(leader, follower)
    assert rejections <= 2, "probing index by index would take 7"
    assert log_terms(follower) == log_terms(leader)


def test_flow_control_caps_inflight_appends() -> None:
    r = new_raft(1, (1, 2), inflight_msgs_max=3)
    make_leader(r)
    r.step(Message(MessageType.APP_RESP, source=2, target=1, term=1, index=1))
    r.take_messages()
    sent = []
    for _ in range(6):
        propose(r)
        sent.append(len([m for m in r.take_messages() if m.kind == MessageType.APP]))
    assert sent == [1, 1, 1, 0, 0, 0]
    # Acknowledging the first message frees one slot: everything pending goes.
    r.step(Message(MessageType.APP_RESP, source=2, target=1, term=1, index=2))
    [app] = [m for m in r.take_messages() if m.kind == MessageType.APP]
    assert [e.index for e in app.entries] == [5, 6, 7]


def test_probe_state_sends_one_append_per_heartbeat_response() -> None:
    r = new_raft(1, (1, 2))
    make_leader(r)
    for _ in range(3):
        propose(r)
    assert r.take_messages() == [], "the probe from the election is still unanswered"
    r.step(Message(MessageType.HEARTBEAT_RESP, source=2, target=1, term=1))
    [probe] = r.take_messages()
    assert probe.kind == MessageType.APP


def test_proposals_in_one_cycle_travel_in_one_append() -> None:
    net = Network.of(3)
    net.hup(1)
    net.propose(1)
    leader = net.peers[1]
    for i in range(10):
        propose(leader, b"%d" % i)
    msgs = leader.take_messages()
    assert sorted(m.target for m in msgs) == [2, 3]
    assert all(len(m.entries) == 10 for m in msgs)


def test_append_size_is_bounded_by_entries_bytes_max() -> None:
    r = new_raft(1, (1, 2), entries_bytes_max=100)
    make_leader(r)
    r.step(Message(MessageType.APP_RESP, source=2, target=1, term=1, index=1))
    r.take_messages()
    for _ in range(5):
        propose(r, b"x" * 40)
    msgs = [m for m in r.take_messages() if m.kind == MessageType.APP]
    assert [len(m.entries) for m in msgs] == [1, 1, 1, 1, 1], "56 bytes each with overhead"


def test_heartbeat_commit_never_exceeds_the_follower_match() -> None:
    net = Network.of(3)
    net.hup(1)
    net.isolate(3)
    net.propose(1)
    net.propose(1)
    leader = net.peers[1]
    leader.step(Message(MessageType.BEAT, source=1, target=1))
    beats = {m.target: m.commit for m in leader.take_messages() if m.kind == MessageType.HEARTBEAT}
    assert beats == {2: 3, 3: 1}


def test_uncommitted_bytes_limit_drops_proposals_until_commit() -> None:
    net = Network.of(3, uncommitted_bytes_max=100)
    net.hup(1)
    leader = net.peers[1]
    net.isolate(1)
    propose(leader, b"x" * 60)
    with pytest.raises(ProposalDroppedError):
        propose(leader, b"y" * 60)
    leader.step(Message(MessageType.PROP, entries=[Entry(0, 0, EntryKind.NORMAL, b"")]))
    net.recover()
    net.tick(1, 1)
    committed = leader.raft_log.next_committed_entries()
    leader.advance([], None, committed)
    propose(leader, b"z" * 60)


def test_commit_reaches_followers_without_new_proposals() -> None:
    net = Network.of(3)
    net.hup(1)
    net.propose(1)
    assert all(r.raft_log.committed == 2 for r in net.peers.values())


def test_stale_append_from_an_old_term_is_answered_with_our_term() -> None:
    r = new_raft(2, VOTERS, check_quorum=True)
    r.become_follower(5, 3)
    r.step(Message(MessageType.APP, source=1, target=2, term=4, index=0, log_term=0))
    [resp] = r.take_messages()
    assert (resp.kind, resp.term, resp.target) == (MessageType.APP_RESP, 5, 1)
