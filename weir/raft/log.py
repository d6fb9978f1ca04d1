"""The Raft log: stable entries in `Storage` followed by an unstable tail.

The unstable part holds what the core has appended (or a snapshot it has
received) but the application has not yet persisted. `Ready` hands it out;
`advance()` marks it stable once the application wrote it.
"""

from __future__ import annotations

from collections.abc import Sequence

from weir.raft.storage import Storage
from weir.raft.types import (
    NO_LIMIT,
    CompactedError,
    Entry,
    Snapshot,
    UnavailableError,
    limit_size,
)


class Unstable:
    """Entries and a snapshot not yet handed to storage.

    Invariant: entries[i].index == offset + i, and when there is a snapshot,
    offset == snapshot.index + 1.
    """

    __slots__ = ("entries", "offset", "snapshot")

    def __init__(self, offset: int) -> None:
        self.snapshot: Snapshot | None = None
        self.entries: list[Entry] = []
        self.offset = offset

    def maybe_first_index(self) -> int | None:
        if self.snapshot is not None:
            return self.snapshot.index + 1
        return None

    def maybe_last_index(self) -> int | None:
        if self.entries:
            return self.offset + len(self.entries) - 1
        if self.snapshot is not None:
            return self.snapshot.index
        return None

    def maybe_term(self, index: int) -> int | None:
        if index < self.offset:
            if self.snapshot is not None and self.snapshot.index == index:
                return self.snapshot.term
            return None
        position = index - self.offset
        if position < len(self.entries):
            return self.entries[position].term
        return None

    def stable_to(self, index: int, term: int) -> None:
        """Entries up to index are on disk, if the entry there still has term."""
        if index < self.offset:
            return
        # A newer leader may have replaced the persisted entry in the meantime;
        # the replacement is still unstable then.
        if self.maybe_term(index) != term:
            return
        del self.entries[: index + 1 - self.offset]
        self.offset = index + 1

    def stable_snap_to(self, index: int) -> None:
        if self.snapshot is not None and self.snapshot.index == index:
            self.snapshot = None

    def restore(self, snapshot: Snapshot) -> None:
        self.offset = snapshot.index + 1
        self.entries = []
        self.snapshot = snapshot

    def truncate_and_append(self, entries: list[Entry]) -> None:
        after = entries[0].index
        end = self.offset + len(self.entries)
        if after == end:
            self.entries.extend(entries)
        elif after <= self.offset:
            # Replace everything unstable, possibly below offset: storage
            # keeps the older entries until the new ones overwrite them.
            self.offset = after
            self.entries = list(entries)
        else:
            del self.entries[after - self.offset :]
            self.entries.extend(entries)

    def slice(self, lo: int, hi: int) -> list[Entry]:
        return self.entries[lo - self.offset : hi - self.offset]


class RaftLog:
    """Storage plus the unstable tail, with the commit and apply cursors.

    Invariant: applied <= committed <= last_index().
    """

    __slots__ = ("applied", "committed", "committed_bytes_max", "storage", "unstable")

    def __init__(self, storage: Storage, committed_bytes_max: int = NO_LIMIT) -> None:
        first = storage.first_index()
        last = storage.last_index()
        self.storage = storage
        self.unstable = Unstable(last + 1)
        self.committed = first - 1
        """Highest index known to be on a quorum."""
        self.applied = first - 1
        """Highest index handed to the application for applying."""
        self.committed_bytes_max = committed_bytes_max
        """Bound on the committed entries of one Ready."""

    def __repr__(self) -> str:
        return (
            f"RaftLog(committed={self.committed} applied={self.applied} "
            f"unstable.offset={self.unstable.offset} unstable={len(self.unstable.entries)})"
        )

    def first_index(self) -> int:
        snapshot = self.unstable.snapshot
        if snapshot is not None:
            return snapshot.index + 1
        return self.storage.first_index()

    def last_index(self) -> int:
        unstable = self.unstable
        if unstable.entries:
            return unstable.offset + len(unstable.entries) - 1
        if unstable.snapshot is not None:
            return unstable.snapshot.index
        return self.storage.last_index()

    def term(self, index: int) -> int:
        """Term of the entry at index, valid in [first_index() - 1, last_index()]."""
        unstable = self.unstable
        if index >= unstable.offset:
            position = index - unstable.offset
            if position < len(unstable.entries):
                return unstable.entries[position].term
            raise UnavailableError(f"term of {index}: last index is {self.last_index()}")
        snapshot = unstable.snapshot
        if snapshot is not None:
            if index == snapshot.index:
                return snapshot.term
            raise CompactedError(f"term of {index}: log starts after {snapshot.index}")
        return self.storage.term(index)

    def term_or_zero(self, index: int) -> int:
        try:
            return self.term(index)
        except (CompactedError, UnavailableError):
            return 0

    def last_term(self) -> int:
        return self.term(self.last_index())

    def match_term(self, index: int, term: int) -> bool:
        try:
            return self.term(index) == term
        except (CompactedError, UnavailableError):
            return False

    def is_up_to_date(self, last_index: int, term: int) -> bool:
        """Is a log ending at (last_index, term) at least as up to date as ours?"""
        our_term = self.last_term()
        return term > our_term or (term == our_term and last_index >= self.last_index())

    def maybe_append(
        self, index: int, log_term: int, committed: int, entries: Sequence[Entry]
    ) -> int | None:
        """Append entries that follow (index, log_term); None if that doesn't match.

        Returns the index of the last entry the leader sent, which is now in
        our log. Also moves the commit index up to min(committed, that index).
        """
        if not self.match_term(index, log_term):
            return None
        last_new = index + len(entries)
        conflict = self.find_conflict(entries)
        if conflict:
            assert conflict > self.committed, "leader overwrites a committed entry"
            self.append(list(entries[conflict - index - 1 :]))
        self.commit_to(min(committed, last_new))
        return last_new

    def find_conflict(self, entries: Sequence[Entry]) -> int:
        """Index of the first entry that is new or differs from ours, else 0."""
        if not entries:
            return 0
        last = self.last_index()
        if entries[0].index > last:
            return entries[0].index
        for entry in entries:
            if entry.index > last or not self.match_term(entry.index, entry.term):
                return entry.index
        return 0

    def find_conflict_by_term(self, index: int, term: int) -> tuple[int, int]:
        """The last (index, term) at or before index whose term is <= term.

        Used for fast backtracking: no probe above that index can succeed.
        Returns term 0 when the term at the found index is unknown.
        """
        while index > 0:
            try:
                our_term = self.term(index)
            except (CompactedError, UnavailableError):
                return index, 0
            if our_term <= term:
                return index, our_term
            index -= 1
        return 0, 0

    def append(self, entries: list[Entry]) -> int:
        if not entries:
            return self.last_index()
        assert entries[0].index - 1 >= self.committed, "append below the commit index"
        self.unstable.truncate_and_append(entries)
        return self.last_index()

    def unstable_entries(self) -> list[Entry]:
        return list(self.unstable.entries)

    def has_unstable(self) -> bool:
        return bool(self.unstable.entries) or self.unstable.snapshot is not None

    def has_next_committed(self) -> bool:
        return self.unstable.snapshot is None and self.committed > self.applied

    def next_committed_entries(self) -> list[Entry]:
        """Committed entries not yet handed out, none while a snapshot is pending."""
        if not self.has_next_committed():
            return []
        return self.slice(self.applied + 1, self.committed + 1, self.committed_bytes_max)

    def has_pending_snapshot(self) -> bool:
        return self.unstable.snapshot is not None

    def snapshot(self) -> Snapshot:
        if self.unstable.snapshot is not None:
            return self.unstable.snapshot
        return self.storage.snapshot()

    def commit_to(self, index: int) -> None:
        if index > self.committed:
            assert index <= self.last_index(), "commit index beyond the log"
            self.committed = index

    def maybe_commit(self, index: int, term: int) -> bool:
        """Commit up to index if its entry is from term (Raft paper 5.4.2)."""
        if index > self.committed and self.term_or_zero(index) == term:
            self.commit_to(index)
            return True
        return False

    def applied_to(self, index: int) -> None:
        if index == 0:
            return
        assert self.applied <= index <= self.committed, "applied out of range"
        self.applied = index

    def stable_to(self, index: int, term: int) -> None:
        self.unstable.stable_to(index, term)

    def stable_snap_to(self, index: int) -> None:
        self.unstable.stable_snap_to(index)

    def restore(self, snapshot: Snapshot) -> None:
        self.committed = snapshot.index
        self.unstable.restore(snapshot)

    def entries(self, lo: int, bytes_max: int) -> list[Entry]:
        """Entries from lo to the end, within bytes_max (at least one)."""
        last = self.last_index()
        if lo > last:
            return []
        return self.slice(lo, last + 1, bytes_max)

    def slice(self, lo: int, hi: int, bytes_max: int) -> list[Entry]:
        """Entries [lo, hi) within bytes_max; raises CompactedError below first."""
        if lo < self.first_index():
            raise CompactedError(f"slice from {lo}: log starts at {self.first_index()}")
        assert hi <= self.last_index() + 1, "slice beyond the log"
        if lo >= hi:
            return []
        offset = self.unstable.offset
        stored: list[Entry] = []
        if lo < offset:
            stored_hi = min(hi, offset)
            stored = self.storage.entries(lo, stored_hi, bytes_max)
            if len(stored) < stored_hi - lo:
                return stored
            if hi <= offset:
                return stored
        unstable = self.unstable.slice(max(lo, offset), hi)
        if stored:
            return limit_size(stored + unstable, bytes_max)
        return limit_size(unstable, bytes_max)
