"""RawNode: the Ready/advance contract, restarts, errors, status."""

from __future__ import annotations

import pytest

from tests.unit.raft.helpers import new_config
from weir.raft import (
    ConfState,
    Entry,
    EntryKind,
    HardState,
    MemoryStorage,
    Message,
    MessageType,
    ProposalDroppedError,
    RawNode,
    ReadIndexDroppedError,
    ReadState,
    ReadyError,
    SoftState,
    StateType,
    StepLocalMessageError,
)


def single_node() -> tuple[RawNode, MemoryStorage]:
    storage = MemoryStorage.bootstrap(ConfState(voters=(1,)))
    return RawNode(new_config(1, storage, applied=1)), storage


def run_ready(node: RawNode, storage: MemoryStorage) -> None:
    rd = node.ready()
    if rd.snapshot is not None:
        storage.apply_snapshot(rd.snapshot)
    storage.append(list(rd.entries_to_persist))
    if rd.hard_state is not None:
        storage.set_hard_state(rd.hard_state)
    node.advance()


def test_single_node_ready_after_campaign() -> None:
    node, storage = single_node()
    assert not node.has_ready()
    node.campaign()
    assert node.has_ready()
    rd = node.ready()
    assert rd.soft_state == SoftState(1, StateType.LEADER)
    assert rd.hard_state == HardState(term=2, vote=1, commit=2)
    assert [(e.term, e.index, e.data) for e in rd.entries_to_persist] == [(2, 2, b"")]
    assert [e.index for e in rd.committed_entries] == [2], "one voter: committed at once"
    assert rd.messages == []
    assert rd.must_sync
    storage.append(list(rd.entries_to_persist))
    storage.set_hard_state(rd.hard_state)
    node.advance()
    assert not node.has_ready()


def test_proposals_come_back_as_committed_entries() -> None:
    node, storage = single_node()
    node.campaign()
    run_ready(node, storage)
    node.propose(b"a")
    node.propose_batch([b"b", b"c"])
    rd = node.ready()
    assert [e.data for e in rd.entries_to_persist] == [b"a", b"b", b"c"]
    assert [e.data for e in rd.committed_entries] == [b"a", b"b", b"c"]
    assert rd.hard_state == HardState(term=2, vote=1, commit=5)
    assert rd.must_sync, "new entries need a sync"


def test_hard_state_is_only_reported_when_it_changes() -> None:
    node, storage = single_node()
    node.campaign()
    run_ready(node, storage)
    node.tick()
    assert not node.has_ready()


def test_ready_must_be_advanced_before_the_next() -> None:
    node, _ = single_node()
    node.campaign()
    node.ready()
    assert not node.has_ready()
    with pytest.raises(ReadyError):
        node.ready()
    node.advance()
    with pytest.raises(ReadyError):
        node.advance()


def test_steps_between_ready_and_advance_go_to_the_next_ready() -> None:
    node, storage = single_node()
    node.campaign()
    run_ready(node, storage)
    node.propose(b"first")
    first = node.ready()
    node.propose(b"second")
    storage.append(list(first.entries_to_persist))
    node.advance()
    second = node.ready()
    assert [e.data for e in second.entries_to_persist] == [b"second"]
    assert [e.data for e in second.committed_entries] == [b"second"]


def test_local_messages_are_refused_from_the_network() -> None:
    node, _ = single_node()
    for kind in (MessageType.HUP, MessageType.BEAT, MessageType.CHECK_QUORUM):
        with pytest.raises(StepLocalMessageError):
            node.step(Message(kind, source=2, target=1, term=1))


def test_requests_without_a_leader_are_dropped() -> None:
    storage = MemoryStorage.bootstrap(ConfState(voters=(1, 2, 3)))
    node = RawNode(new_config(1, storage, applied=1))
    with pytest.raises(ProposalDroppedError):
        node.propose(b"x")
    with pytest.raises(ProposalDroppedError):
        node.propose_batch([b"x", b"y"])
    with pytest.raises(ReadIndexDroppedError):
        node.read_index(b"r")


def test_single_node_read_index() -> None:
    node, storage = single_node()
    node.campaign()
    run_ready(node, storage)
    node.read_index(b"ctx")
    rd = node.ready()
    assert rd.read_states == [ReadState(2, b"ctx")]
    node.advance()


def test_restart_resumes_from_storage() -> None:
    node, storage = single_node()
    node.campaign()
    run_ready(node, storage)
    node.propose_batch([b"a", b"b"])
    rd = node.ready()
    storage.append(list(rd.entries_to_persist))
    assert rd.hard_state is not None
    storage.set_hard_state(rd.hard_state)
    node.advance()
    # Applied only up to the no-op before the "crash".
    restarted = RawNode(new_config(1, storage, applied=2))
    status = restarted.status()
    assert (status.term, status.vote, status.commit, status.applied) == (2, 1, 4, 2)
    assert status.state == StateType.FOLLOWER
    rd = restarted.ready()
    assert [e.data for e in rd.committed_entries] == [b"a", b"b"]
    assert rd.hard_state is None, "nothing new to persist"


def test_unpersisted_entries_are_lost_on_restart() -> None:
    storage = MemoryStorage.bootstrap(ConfState(voters=(1, 2, 3)))
    node = RawNode(new_config(1, storage, applied=1))
    node.step(
        Message(
            MessageType.APP,
            source=2,
            target=1,
            term=3,
            index=1,
            log_term=1,
            entries=[Entry(3, 2, EntryKind.NORMAL, b"x")],
            commit=1,
        )
    )
    rd = node.ready()
    assert [m.kind for m in rd.messages] == [MessageType.APP_RESP]
    # Crash before persisting: nothing of that Ready survives.
    restarted = RawNode(new_config(1, storage, applied=1))
    assert restarted.status().term == 1
    assert restarted.raft.raft_log.last_index() == 1


def test_status_of_a_leader_lists_progress() -> None:
    storage = MemoryStorage.bootstrap(ConfState(voters=(1, 2, 3)))
    node = RawNode(new_config(1, storage, applied=1))
    node.campaign()
    for voter in (2, 3):
        node.step(Message(MessageType.VOTE_RESP, source=voter, target=1, term=2))
    status = node.status()
    assert status.state == StateType.LEADER
    assert sorted(status.progress) == [1, 2, 3]
    assert status.conf_state == ConfState(voters=(1, 2, 3))
