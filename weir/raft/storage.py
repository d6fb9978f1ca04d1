"""The stable log the core reads from, and an in-memory implementation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from weir.raft.types import (
    EMPTY_HARD_STATE,
    CompactedError,
    ConfState,
    Entry,
    EntryKind,
    HardState,
    Snapshot,
    SnapshotOutOfDateError,
    UnavailableError,
    limit_size,
)


class Storage(Protocol):
    """Read access to what the application has persisted from past Readys.

    The core never writes to it: the application appends `Ready.entries_to_persist`,
    stores `Ready.hard_state` and installs `Ready.snapshot` itself, and compacts
    the log when it has a snapshot. Indexes are 1-based; the entry at
    `first_index() - 1` has been compacted away and only its term is known;
    `snapshot()` covers at least up to it.

    - `initial_state()` returns the persisted HardState and the ConfState of
      the configuration at the latest applied point known to storage (the
      snapshot's, as conf changes after it are replayed from the log).
    - `entries(lo, hi, bytes_max)` returns entries [lo, hi), at least one,
      cut so that their size stays within `bytes_max` (see `limit_size`).
      Raises CompactedError if `lo < first_index()` and UnavailableError if
      `hi > last_index() + 1`.
    - `term(i)` is valid for `first_index() - 1 <= i <= last_index()`.
      Raises CompactedError below and UnavailableError above.
    - `first_index()` is the first index available through `entries`.
    - `last_index()` is the index of the last persisted entry, or the
      snapshot's index when the log is empty.
    - `snapshot()` returns the latest snapshot. It may raise
      SnapshotTemporarilyUnavailableError while one is being built; the
      leader then retries later.
    """

    def initial_state(self) -> tuple[HardState, ConfState]: ...

    def entries(self, lo: int, hi: int, bytes_max: int) -> list[Entry]: ...

    def term(self, index: int) -> int: ...

    def first_index(self) -> int: ...

    def last_index(self) -> int: ...

    def snapshot(self) -> Snapshot: ...


class MemoryStorage:
    """A `Storage` held in memory, also used as the simulated disk.

    `_entries[0]` is a dummy entry standing for the last compacted entry
    (the snapshot's, unless compaction kept some entries after creating a
    snapshot): only its index and term matter, so `term(first_index() - 1)`
    needs no special case.
    """

    __slots__ = ("_entries", "_hard_state", "_snapshot")

    def __init__(self, conf_state: ConfState | None = None) -> None:
        """An empty log, with `conf_state` as the members at index 0.

        A conf state at index 0 suits fixed-membership tests only: a node added
        later replays the log from index 1 and never sees those members. Real
        clusters start with `bootstrap`.
        """
        self._hard_state = EMPTY_HARD_STATE
        self._snapshot = Snapshot(conf_state=conf_state or ConfState())
        self._entries: list[Entry] = [Entry(0, 0, EntryKind.NORMAL, b"")]

    @classmethod
    def bootstrap(cls, conf_state: ConfState, data: bytes = b"") -> MemoryStorage:
        """Storage of a founding member of a new cluster.

        The first members are recorded in a snapshot at index 1, term 1 (with
        the state machine's initial `data`), so a node added later gets them
        with that snapshot before replaying the log.
        """
        storage = cls()
        storage.apply_snapshot(Snapshot(index=1, term=1, conf_state=conf_state, data=data))
        storage.set_hard_state(HardState(term=1, vote=0, commit=1))
        return storage

    def initial_state(self) -> tuple[HardState, ConfState]:
        return self._hard_state, self._snapshot.conf_state

    @property
    def hard_state(self) -> HardState:
        return self._hard_state

    def set_hard_state(self, hard_state: HardState) -> None:
        self._hard_state = hard_state

    def entries(self, lo: int, hi: int, bytes_max: int) -> list[Entry]:
        offset = self._entries[0].index
        if lo <= offset:
            raise CompactedError(f"entries from {lo}: compacted up to {offset}")
        last = offset + len(self._entries) - 1
        if hi > last + 1:
            raise UnavailableError(f"entries up to {hi - 1}: last index is {last}")
        return limit_size(self._entries[lo - offset : hi - offset], bytes_max)

    def term(self, index: int) -> int:
        offset = self._entries[0].index
        if index < offset:
            raise CompactedError(f"term of {index}: compacted up to {offset}")
        if index - offset >= len(self._entries):
            raise UnavailableError(f"term of {index}: last index is {self.last_index()}")
        return self._entries[index - offset].term

    def first_index(self) -> int:
        return self._entries[0].index + 1

    def last_index(self) -> int:
        return self._entries[0].index + len(self._entries) - 1

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        """Replace the whole log with `snapshot` (a follower installing one)."""
        if snapshot.index <= self._snapshot.index:
            raise SnapshotOutOfDateError(
                f"snapshot at {snapshot.index}: already have {self._snapshot.index}"
            )
        self._snapshot = snapshot
        self._entries = [Entry(snapshot.term, snapshot.index, EntryKind.NORMAL, b"")]

    def create_snapshot(self, index: int, conf_state: ConfState, data: bytes) -> Snapshot:
        """Record a snapshot of the state machine as of applied `index`.

        Compaction is separate: call `compact(index)` once the snapshot is safe.
        """
        if index <= self._snapshot.index:
            raise SnapshotOutOfDateError(
                f"snapshot at {index}: already have {self._snapshot.index}"
            )
        if index > self.last_index():
            raise UnavailableError(f"snapshot at {index}: last index is {self.last_index()}")
        offset = self._entries[0].index
        term = self._entries[index - offset].term
        self._snapshot = Snapshot(index, term, conf_state, data)
        return self._snapshot

    def compact(self, compact_index: int) -> None:
        """Discard entries before `compact_index`; its term stays known."""
        offset = self._entries[0].index
        if compact_index <= offset:
            raise CompactedError(f"compact to {compact_index}: compacted up to {offset}")
        if compact_index > self.last_index():
            raise UnavailableError(f"compact to {compact_index}: last index is {self.last_index()}")
        dummy = self._entries[compact_index - offset]
        rest = self._entries[compact_index - offset + 1 :]
        self._entries = [Entry(dummy.term, dummy.index, EntryKind.NORMAL, b""), *rest]

    def append(self, entries: Sequence[Entry]) -> None:
        """Append entries, replacing any existing suffix they conflict with."""
        if not entries:
            return
        first = self.first_index()
        if entries[-1].index < first:
            return
        if entries[0].index < first:
            entries = entries[first - entries[0].index :]
        position = entries[0].index - self._entries[0].index
        if position > len(self._entries):
            raise UnavailableError(
                f"append at {entries[0].index}: missing entries after {self.last_index()}"
            )
        if position < len(self._entries):
            del self._entries[position:]
        self._entries.extend(entries)
