"""MemoryStorage: the Storage contract and the write side the simulator uses."""

from __future__ import annotations

import pytest

from weir.raft import (
    CompactedError,
    ConfState,
    Entry,
    EntryKind,
    HardState,
    MemoryStorage,
    Snapshot,
    SnapshotOutOfDateError,
    UnavailableError,
)


def entry(index: int, term: int, size: int = 0) -> Entry:
    return Entry(term, index, EntryKind.NORMAL, b"x" * size)


def storage_with(*terms: int) -> MemoryStorage:
    storage = MemoryStorage()
    storage.append([entry(i + 1, term) for i, term in enumerate(terms)])
    return storage


def test_empty_storage() -> None:
    storage = MemoryStorage(ConfState(voters=(1, 2)))
    assert (storage.first_index(), storage.last_index()) == (1, 0)
    assert storage.term(0) == 0
    assert storage.initial_state() == (HardState(), ConfState(voters=(1, 2)))
    with pytest.raises(UnavailableError):
        storage.entries(1, 2, 100)


def test_entries_bounds_and_size_limit() -> None:
    storage = MemoryStorage()
    storage.append([entry(i, 1, size=10) for i in range(1, 6)])
    assert [e.index for e in storage.entries(2, 5, 1 << 40)] == [2, 3, 4]
    assert [e.index for e in storage.entries(2, 5, 52)] == [2, 3]
    assert [e.index for e in storage.entries(2, 5, 0)] == [2]
    with pytest.raises(UnavailableError):
        storage.entries(2, 7, 100)


def test_append_replaces_a_conflicting_suffix() -> None:
    storage = storage_with(1, 1, 1, 1)
    storage.append([entry(3, 2), entry(4, 2), entry(5, 2)])
    assert [storage.term(i) for i in range(1, 6)] == [1, 1, 2, 2, 2]
    storage.append([entry(2, 3)])
    assert storage.last_index() == 2
    with pytest.raises(UnavailableError):
        storage.append([entry(5, 3)])


def test_compact_keeps_the_term_of_the_compacted_index() -> None:
    storage = storage_with(1, 1, 2, 2, 3)
    storage.compact(3)
    assert storage.first_index() == 4
    assert storage.term(3) == 2
    with pytest.raises(CompactedError):
        storage.term(2)
    with pytest.raises(CompactedError):
        storage.entries(3, 5, 100)
    with pytest.raises(CompactedError):
        storage.compact(2)
    with pytest.raises(UnavailableError):
        storage.compact(9)
    storage.append([entry(2, 1), entry(3, 2), entry(4, 2)])
    assert storage.last_index() == 4, "entries below first index are skipped"


def test_snapshots() -> None:
    storage = storage_with(1, 1, 2)
    conf_state = ConfState(voters=(1, 2, 3))
    snapshot = storage.create_snapshot(2, conf_state, b"state")
    assert snapshot == Snapshot(index=2, term=1, conf_state=conf_state, data=b"state")
    assert storage.snapshot() == snapshot
    with pytest.raises(SnapshotOutOfDateError):
        storage.create_snapshot(1, conf_state, b"")
    installed = Snapshot(index=10, term=4, conf_state=conf_state, data=b"new")
    storage.apply_snapshot(installed)
    assert (storage.first_index(), storage.last_index()) == (11, 10)
    assert storage.term(10) == 4
    assert storage.initial_state()[1] == conf_state
    with pytest.raises(SnapshotOutOfDateError):
        storage.apply_snapshot(snapshot)
