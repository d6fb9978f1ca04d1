"""Membership changes: simple, joint, staged learners, validation, restore."""

from __future__ import annotations

import random

import pytest

from weir.raft import (
    ConfChange,
    ConfChangeError,
    ConfChangeSingle,
    ConfChangeTransition,
    ConfChangeType,
    ConfState,
)
from weir.raft.confchange import Changer, restore
from weir.raft.progress import ProgressTracker

ADD = ConfChangeType.ADD_NODE
LEARNER = ConfChangeType.ADD_LEARNER
REMOVE = ConfChangeType.REMOVE_NODE


def tracker_for(conf_state: ConfState, last_index: int = 10) -> ProgressTracker:
    tracker = ProgressTracker(16)
    tracker.config, tracker.progress = restore(
        conf_state, last_index=last_index, inflight_msgs_max=16, inflight_bytes_max=1 << 40
    )
    return tracker


def apply(tracker: ProgressTracker, cc: ConfChange) -> ConfState:
    tracker.config, tracker.progress = Changer(tracker, 10).apply_conf_change(cc)
    return tracker.conf_state()


def changes(*pairs: tuple[ConfChangeType, int]) -> tuple[ConfChangeSingle, ...]:
    return tuple(ConfChangeSingle(kind, node_id) for kind, node_id in pairs)


def test_simple_add_and_remove_one_voter() -> None:
    tracker = tracker_for(ConfState(voters=(1, 2, 3)))
    assert apply(tracker, ConfChange(changes((ADD, 4)))).voters == (1, 2, 3, 4)
    assert apply(tracker, ConfChange(changes((REMOVE, 2)))).voters == (1, 3, 4)
    assert 2 not in tracker.progress
    new = tracker.progress[4]
    assert (new.match, new.next) == (0, 10), "a new member is probed from the last index"


def test_simple_change_of_two_voters_is_refused() -> None:
    tracker = tracker_for(ConfState(voters=(1, 2, 3)))
    with pytest.raises(ConfChangeError, match="more than one voter"):
        Changer(tracker, 10).simple(changes((ADD, 4), (ADD, 5)))
    assert tracker.conf_state().voters == (1, 2, 3), "the tracker is untouched"


def test_auto_change_of_two_voters_goes_through_joint_and_leaves() -> None:
    tracker = tracker_for(ConfState(voters=(1, 2, 3)))
    joint = apply(tracker, ConfChange(changes((REMOVE, 3), (ADD, 4))))
    assert joint == ConfState(voters=(1, 2, 4), voters_outgoing=(1, 2, 3), auto_leave=True)
    assert 3 in tracker.progress, "outgoing voters keep their progress"
    left = apply(tracker, ConfChange())
    assert left == ConfState(voters=(1, 2, 4))
    assert 3 not in tracker.progress


def test_explicit_joint_does_not_auto_leave() -> None:
    tracker = tracker_for(ConfState(voters=(1, 2, 3)))
    cc = ConfChange(changes((ADD, 4)), ConfChangeTransition.JOINT_EXPLICIT)
    assert apply(tracker, cc).auto_leave is False
    assert tracker.config.voters.is_joint()


def test_demoting_a_voter_in_joint_stages_it_in_learners_next() -> None:
    tracker = tracker_for(ConfState(voters=(1, 2, 3)))
    joint = apply(tracker, ConfChange(changes((LEARNER, 3)), ConfChangeTransition.JOINT_IMPLICIT))
    assert joint.voters == (1, 2)
    assert joint.voters_outgoing == (1, 2, 3)
    assert joint.learners_next == (3,)
    assert joint.learners == ()
    left = apply(tracker, ConfChange())
    assert left == ConfState(voters=(1, 2), learners=(3,))
    assert tracker.progress[3].is_learner


def test_promote_learner() -> None:
    tracker = tracker_for(ConfState(voters=(1, 2, 3), learners=(4,)))
    assert tracker.progress[4].is_learner
    state = apply(tracker, ConfChange(changes((ADD, 4))))
    assert state == ConfState(voters=(1, 2, 3, 4))
    assert not tracker.progress[4].is_learner


@pytest.mark.parametrize(
    ("start", "cc", "message"),
    [
        (ConfState(voters=(1,)), ConfChange(changes((REMOVE, 1))), "removed all voters"),
        (
            ConfState(voters=(1, 2), voters_outgoing=(1, 3)),
            ConfChange(changes((ADD, 4)), ConfChangeTransition.JOINT_IMPLICIT),
            "already joint",
        ),
        (ConfState(voters=(1, 2)), ConfChange(), "non-joint"),
        (
            ConfState(voters=(1, 2), voters_outgoing=(1, 3)),
            ConfChange(changes((ADD, 4))),
            "simple config change in joint",
        ),
    ],
    ids=["remove-last-voter", "joint-twice", "leave-non-joint", "simple-in-joint"],
)
def test_invalid_changes(start: ConfState, cc: ConfChange, message: str) -> None:
    tracker = tracker_for(start)
    with pytest.raises(ConfChangeError, match=message):
        Changer(tracker, 10).apply_conf_change(cc)


def test_enter_joint_from_empty_is_refused() -> None:
    tracker = ProgressTracker(16)
    with pytest.raises(ConfChangeError, match="zero-voter"):
        Changer(tracker, 0).enter_joint(True, changes((ADD, 1)))


def test_node_id_zero_is_ignored() -> None:
    tracker = tracker_for(ConfState(voters=(1,)))
    assert apply(tracker, ConfChange(changes((ADD, 0)))).voters == (1,)


def test_restore_round_trips_random_configurations() -> None:
    """Random walks of valid changes: the ConfState rebuilds the same config."""
    rng = random.Random(3)
    kinds = [ADD, LEARNER, REMOVE]
    for _ in range(300):
        tracker = tracker_for(ConfState(voters=(1,)))
        for _ in range(rng.randrange(1, 8)):
            picked = changes(
                *((rng.choice(kinds), rng.randrange(1, 7)) for _ in range(rng.randrange(1, 4)))
            )
            transition = rng.choice(list(ConfChangeTransition))
            cc = ConfChange(picked, transition)
            if tracker.config.voters.is_joint():
                cc = ConfChange()
            try:
                tracker.config, tracker.progress = Changer(tracker, 5).apply_conf_change(cc)
            except ConfChangeError:
                continue
        conf_state = tracker.conf_state()
        rebuilt = tracker_for(conf_state)
        assert rebuilt.conf_state() == conf_state
        assert sorted(rebuilt.progress) == sorted(tracker.progress)
        for node_id, pr in tracker.progress.items():
            assert rebuilt.progress[node_id].is_learner == pr.is_learner


def test_conf_change_encoding_round_trips() -> None:
    cc = ConfChange(changes((ADD, 4), (REMOVE, 2**40)), ConfChangeTransition.JOINT_EXPLICIT, b"ctx")
    assert ConfChange.decode(cc.encode()) == cc
    assert ConfChange.decode(b"") == ConfChange()
    assert ConfChange.decode(b"").leave_joint()


@pytest.mark.parametrize(
    "data",
    [b"\x01", b"\x02\x00\x00\x00", b"\x01\x00\x00\x02\x00", b"\x01\x00\x00\x01\x09" + bytes(8)],
    ids=["short-header", "bad-version", "short-changes", "bad-type"],
)
def test_conf_change_decoding_rejects_garbage(data: bytes) -> None:
    with pytest.raises(ValueError):
        ConfChange.decode(data)


@pytest.mark.parametrize(
    ("cc", "auto_leave", "joint"),
    [
        (ConfChange(changes((ADD, 2))), False, False),
        (ConfChange(changes((ADD, 2), (ADD, 3))), True, True),
        (ConfChange(changes((ADD, 2)), ConfChangeTransition.JOINT_IMPLICIT), True, True),
        (ConfChange(changes((ADD, 2)), ConfChangeTransition.JOINT_EXPLICIT), False, True),
    ],
    ids=["simple", "auto-joint", "implicit", "explicit"],
)
def test_enter_joint_decision(cc: ConfChange, auto_leave: bool, joint: bool) -> None:
    assert cc.enter_joint() == (auto_leave, joint)
