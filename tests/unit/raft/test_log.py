"""The Raft log: unstable tail over storage, conflicts, commit, slicing."""

from __future__ import annotations

import pytest

from weir.raft import (
    CompactedError,
    ConfState,
    Entry,
    EntryKind,
    MemoryStorage,
    Snapshot,
    UnavailableError,
)
from weir.raft.log import RaftLog, Unstable


def entry(index: int, term: int, data: bytes = b"") -> Entry:
    return Entry(term, index, EntryKind.NORMAL, data)


def entries(*terms: int, start: int = 1) -> list[Entry]:
    return [entry(start + i, term) for i, term in enumerate(terms)]


def log_with(stable: list[Entry], unstable: list[Entry] | None = None) -> RaftLog:
    storage = MemoryStorage()
    storage.append(stable)
    log = RaftLog(storage)
    if unstable:
        log.append(unstable)
    return log


@pytest.mark.parametrize(
    ("incoming", "expected"),
    [
        ([], 0),
        (entries(1, 2, 3), 0),
        (entries(2, 3, start=2), 0),
        (entries(3, start=3), 0),
        (entries(1, 2, 3, 4, 4), 4),
        (entries(3, 4, 4, start=3), 4),
        (entries(4, 4, start=4), 4),
        (entries(4, 4), 1),
        (entries(1, 4, 4), 2),
        (entries(1, 2, 4, 4), 3),
    ],
    ids=[
        "empty",
        "all-match",
        "suffix-match",
        "last-match",
        "new-after-match",
        "new-after-suffix",
        "only-new",
        "conflict-first",
        "conflict-second",
        "conflict-third",
    ],
)
def test_find_conflict(incoming: list[Entry], expected: int) -> None:
    log = log_with(entries(1, 2, 3))
    assert log.find_conflict(incoming) == expected


@pytest.mark.parametrize(
    ("index", "log_term", "committed", "incoming", "last", "commit", "terms"),
    [
        (3, 2, 3, [], None, 1, [1, 2, 3]),
        (3, 3, 3, [], 3, 3, [1, 2, 3]),
        (3, 3, 3, entries(4, start=4), 4, 3, [1, 2, 3, 4]),
        (3, 3, 4, entries(4, start=4), 4, 4, [1, 2, 3, 4]),
        (3, 3, 5, entries(4, start=4), 4, 4, [1, 2, 3, 4]),
        (2, 2, 3, entries(4, start=3), 3, 3, [1, 2, 4]),
        (4, 3, 3, entries(4, start=5), None, 1, [1, 2, 3]),
        (1, 1, 2, entries(2, start=2), 2, 2, [1, 2, 3]),
    ],
    ids=[
        "mismatch",
        "match-nothing-new",
        "append-one",
        "append-and-commit",
        "commit-capped-at-new-last",
        "truncate-conflict",
        "beyond-last",
        "duplicate-keeps-tail",
    ],
)
def test_maybe_append(
    index: int,
    log_term: int,
    committed: int,
    incoming: list[Entry],
    last: int | None,
    commit: int,
    terms: list[int],
) -> None:
    log = log_with(entries(1, 2, 3))
    log.committed = 1
    assert log.maybe_append(index, log_term, committed, incoming) == last
    assert log.committed == commit
    assert [log.term(i) for i in range(1, log.last_index() + 1)] == terms


def test_overwriting_a_committed_entry_is_a_bug() -> None:
    log = log_with(entries(1, 2, 3))
    log.committed = 3
    with pytest.raises(AssertionError):
        log.maybe_append(1, 1, 3, entries(4, 4, start=2))


def test_commit_only_of_entries_from_the_given_term() -> None:
    log = log_with(entries(1, 1, 2))
    assert not log.maybe_commit(2, 2), "index 2 is from term 1"
    assert log.maybe_commit(3, 2)
    assert log.committed == 3
    assert not log.maybe_commit(2, 1), "commit never moves back"


def test_term_bounds_and_compaction() -> None:
    storage = MemoryStorage()
    storage.append(entries(1, 1, 2, 2, 3))
    storage.compact(3)
    log = RaftLog(storage)
    assert log.first_index() == 4
    assert log.term(3) == 2
    with pytest.raises(CompactedError):
        log.term(2)
    with pytest.raises(UnavailableError):
        log.term(6)
    assert log.term_or_zero(2) == 0
    with pytest.raises(CompactedError):
        log.slice(2, 5, 1 << 40)


def test_slice_spans_storage_and_unstable_within_size() -> None:
    stable = [entry(i, 1, b"x" * 10) for i in range(1, 4)]
    unstable = [entry(i, 1, b"y" * 10) for i in range(4, 7)]
    log = log_with(stable, unstable)
    assert [e.index for e in log.slice(2, 6, 1 << 40)] == [2, 3, 4, 5]
    # 26 bytes per entry with the overhead: two fit in 60 bytes.
    assert [e.index for e in log.slice(2, 6, 60)] == [2, 3]
    assert [e.index for e in log.slice(3, 6, 60)] == [3, 4]
    assert [e.index for e in log.slice(5, 6, 1)] == [5], "at least one entry"


def test_next_committed_entries_and_applied() -> None:
    log = log_with(entries(1, 1), entries(1, start=3))
    log.commit_to(3)
    assert [e.index for e in log.next_committed_entries()] == [1, 2, 3]
    log.applied_to(2)
    assert [e.index for e in log.next_committed_entries()] == [3]
    with pytest.raises(AssertionError):
        log.applied_to(4)


def test_unstable_stable_to_ignores_replaced_entries() -> None:
    unstable = Unstable(offset=5)
    unstable.truncate_and_append(entries(1, 1, start=5))
    unstable.stable_to(5, 2)
    assert unstable.offset == 5, "entry 5 has term 1 now; term 2 was replaced"
    unstable.stable_to(5, 1)
    assert unstable.offset == 6
    assert [e.index for e in unstable.entries] == [6]


@pytest.mark.parametrize(
    ("incoming", "offset", "indexes"),
    [
        (entries(1, start=7), 5, [5, 6, 7]),
        (entries(2, start=6), 5, [5, 6]),
        (entries(2, 2, start=4), 4, [4, 5]),
    ],
    ids=["extend", "truncate-inside", "replace-below-offset"],
)
def test_unstable_truncate_and_append(
    incoming: list[Entry], offset: int, indexes: list[int]
) -> None:
    unstable = Unstable(offset=5)
    unstable.truncate_and_append(entries(1, 1, start=5))
    unstable.truncate_and_append(incoming)
    assert unstable.offset == offset
    assert [e.index for e in unstable.entries] == indexes


@pytest.mark.parametrize(
    ("index", "term", "expected"),
    [(10, 5, (10, 3)), (10, 2, (4, 2)), (10, 1, (2, 1)), (10, 0, (0, 0)), (6, 3, (6, 3))],
    ids=["higher-term", "middle", "low", "zero", "exact"],
)
def test_find_conflict_by_term(index: int, term: int, expected: tuple[int, int]) -> None:
    log = log_with(entries(1, 1, 2, 2, 3, 3, 3, 3, 3, 3))
    assert log.find_conflict_by_term(index, term) == expected


def test_up_to_date_rule() -> None:
    log = log_with(entries(1, 2, 2))
    assert log.is_up_to_date(3, 2)
    assert log.is_up_to_date(1, 3), "higher last term wins whatever the length"
    assert not log.is_up_to_date(2, 2)
    assert not log.is_up_to_date(9, 1)


def test_restore_snapshot_replaces_the_log() -> None:
    log = log_with(entries(1, 1, 1))
    snapshot = Snapshot(index=10, term=4, conf_state=ConfState(voters=(1,)))
    log.restore(snapshot)
    assert log.committed == 10
    assert log.first_index() == 11
    assert log.last_index() == 10
    assert log.term(10) == 4
    assert log.has_pending_snapshot()
    assert not log.has_next_committed()
