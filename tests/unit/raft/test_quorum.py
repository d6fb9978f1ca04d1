"""Quorum arithmetic, checked against tables and against a naive version."""

from __future__ import annotations

import random

import pytest

from weir.raft import NO_LIMIT, JointConfig, MajorityConfig, VoteResult


def naive_committed(ids: list[int], acked: dict[int, int]) -> int:
    """Largest index that at least a majority has reached (0 when none)."""
    if not ids:
        return NO_LIMIT
    quorum = len(ids) // 2 + 1
    candidates = sorted({acked.get(i, 0) for i in ids} | {0}, reverse=True)
    for index in candidates:
        if sum(1 for i in ids if acked.get(i, 0) >= index) >= quorum:
            return index
    return 0


@pytest.mark.parametrize(
    ("ids", "acked", "expected"),
    [
        ([], {}, NO_LIMIT),
        ([1], {1: 5}, 5),
        ([1, 2], {1: 5, 2: 3}, 3),
        ([1, 2, 3], {1: 5, 2: 3, 3: 9}, 5),
        ([1, 2, 3], {1: 5}, 0),
        ([1, 2, 3, 4], {1: 8, 2: 7, 3: 6, 4: 5}, 6),
        ([1, 2, 3, 4, 5], {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}, 3),
    ],
    ids=["empty", "one", "two", "three", "three-one-acked", "four", "five"],
)
def test_majority_committed_index(ids: list[int], acked: dict[int, int], expected: int) -> None:
    assert MajorityConfig(ids).committed_index(lambda i: acked.get(i, 0)) == expected


def test_majority_committed_index_matches_naive() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        ids = rng.sample(range(1, 10), rng.randrange(0, 8))
        acked = {i: rng.randrange(0, 20) for i in ids if rng.random() < 0.8}

        def lookup(node_id: int, acked: dict[int, int] = acked) -> int:
            return acked.get(node_id, 0)

        got = MajorityConfig(ids).committed_index(lookup)
        assert got == naive_committed(ids, acked), (ids, acked)


def test_joint_committed_index_is_the_min_of_both_halves() -> None:
    rng = random.Random(8)
    for _ in range(1000):
        incoming = rng.sample(range(1, 8), rng.randrange(1, 6))
        outgoing = rng.sample(range(1, 8), rng.randrange(0, 6))
        acked = {i: rng.randrange(0, 10) for i in range(1, 8)}
        joint = JointConfig(MajorityConfig(incoming), MajorityConfig(outgoing))
        expected = min(naive_committed(incoming, acked), naive_committed(outgoing, acked))
        assert joint.committed_index(acked.__getitem__) == expected


@pytest.mark.parametrize(
    ("ids", "votes", "expected"),
    [
        ([], {}, VoteResult.WON),
        ([1], {}, VoteResult.PENDING),
        ([1], {1: True}, VoteResult.WON),
        ([1], {1: False}, VoteResult.LOST),
        ([1, 2, 3], {1: True}, VoteResult.PENDING),
        ([1, 2, 3], {1: True, 2: True}, VoteResult.WON),
        ([1, 2, 3], {1: True, 2: False}, VoteResult.PENDING),
        ([1, 2, 3], {2: False, 3: False}, VoteResult.LOST),
        ([1, 2, 3, 4], {1: True, 2: True}, VoteResult.PENDING),
        ([1, 2, 3, 4], {1: True, 2: False, 3: False}, VoteResult.LOST),
        ([1, 2, 3], {1: True, 2: True, 9: False}, VoteResult.WON),
    ],
    ids=[
        "empty-wins",
        "one-pending",
        "one-yes",
        "one-no",
        "three-one-yes",
        "three-two-yes",
        "three-split",
        "three-two-no",
        "four-needs-three",
        "four-lost",
        "outsider-ignored",
    ],
)
def test_majority_vote_result(ids: list[int], votes: dict[int, bool], expected: VoteResult) -> None:
    assert MajorityConfig(ids).vote_result(votes) == expected


@pytest.mark.parametrize(
    ("incoming", "outgoing", "votes", "expected"),
    [
        ([1, 2, 3], [], {1: True, 2: True}, VoteResult.WON),
        ([1, 2, 3], [1, 4, 5], {1: True, 2: True}, VoteResult.PENDING),
        ([1, 2, 3], [1, 4, 5], {1: True, 2: True, 4: True}, VoteResult.WON),
        ([1, 2, 3], [1, 4, 5], {1: True, 2: True, 4: False, 5: False}, VoteResult.LOST),
        ([1, 2, 3], [1, 4, 5], {2: False, 3: False, 4: True, 5: True}, VoteResult.LOST),
    ],
    ids=["not-joint", "joint-pending", "joint-won", "joint-lost-outgoing", "joint-lost-incoming"],
)
def test_joint_vote_result(
    incoming: list[int], outgoing: list[int], votes: dict[int, bool], expected: VoteResult
) -> None:
    joint = JointConfig(MajorityConfig(incoming), MajorityConfig(outgoing))
    assert joint.vote_result(votes) == expected


def test_repr() -> None:
    assert repr(JointConfig(MajorityConfig([3, 1]), MajorityConfig([2]))) == "(1 3)&&(2)"
    assert repr(JointConfig(MajorityConfig([1]))) == "(1)"
