"""LogStorage: the durable Raft log, which is also weir's write-ahead log.

The log is a run of segment files in one directory. Appends go to the last
segment with one `pwrite` per call, straight to the OS (a process crash loses
nothing that `append` returned); `sync()` makes them durable. An in-memory
index of record offsets and term changes answers `term()` without disk reads,
and a cache of the newest records feeds followers without disk reads.

Raft semantics:
- Indices are contiguous. Appending records whose first index is <= the last
  index first truncates the log from that index (a follower resolving a
  conflict with its leader); the truncation is durable before new bytes land.
- `compact_prefix(i, t)` after a snapshot at (i, t) makes i the log's start:
  `first_index()` is i + 1 and `term(i)` is t. Whole segments before i are
  deleted; a segment holding i survives. If the log does not hold (i, t)
  (a follower installing its leader's snapshot), the whole log is replaced by
  an empty one that starts after i.
- The start survives a restart only at segment granularity (each segment
  header records the term before its first index), so the server calls
  `compact_prefix(snapshot.index, snapshot.term)` again after loading the
  newest snapshot at startup.
"""

from __future__ import annotations

import logging
import os
from array import array
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import NoReturn

from crc32c import crc32c

from weir.log.errors import (
    LogCompactedError,
    LogCorruptionError,
    LogUnavailableError,
    LogWriteError,
    RecordTooLargeError,
)
from weir.log.fileio import FileIO, open_directory, write_file_atomically
from weir.log.hardstate import HardState, read_hard_state, write_hard_state
from weir.log.lock import DirectoryLock
from weir.log.records import (
    RECORD_BODY,
    RECORD_CRC_START,
    RECORD_HEADER,
    RECORD_HEADER_BYTES,
    RECORD_PAYLOAD_BYTES_MAX,
    RECORD_PREFIX,
    SEGMENT_HEADER_BYTES,
    LogRecord,
    encode_segment_header,
)
from weir.log.recovery import LogDamage, cut_log, scan_log
from weir.log.segment import segment_name
from weir.log.sync import FsyncPolicy, SyncJob

logger = logging.getLogger("weir.log")

SEGMENT_BYTES_DEFAULT = 64 << 20
# Record offsets are kept as u32 and a record starts before the segment limit.
SEGMENT_BYTES_MAX = 1 << 30
CACHE_BYTES_DEFAULT = 16 << 20
TEMP_SUFFIX = ".tmp"


@dataclass(eq=False)
class _Segment:
    path: Path
    first_index: int
    prev_term: int
    fd: int
    # offsets[i] is where record first_index + i starts.
    offsets: array[int]
    # Bytes of the file that hold the header and the records in `offsets`.
    size: int
    # Written since the last sync round was captured.
    dirty: bool = False

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.offsets) - 1

    def end_of(self, position: int) -> int:
        """Where the record at `offsets[position]` ends."""
        return self.offsets[position + 1] if position + 1 < len(self.offsets) else self.size


@dataclass(frozen=True)
class RecoveryReport:
    """What `LogStorage.open` found and what it cut."""

    directory: Path
    segments: int
    first_index: int
    last_index: int
    # The torn tail that was cut, if any.
    torn_tail: LogDamage | None
    removed_temp_files: tuple[Path, ...] = field(default=())

    def describe(self) -> str:
        text = (
            f"log {self.directory}: {self.segments} segment(s), "
            f"entries {self.first_index}..{self.last_index}"
        )
        if self.torn_tail is not None:
            cut = self.torn_tail
            text += (
                f"; cut a {cut.describe()} (from index {cut.first_lost_index} on"
                + (
                    f", removed {len(cut.removed_paths)} later segment(s)"
                    if cut.removed_paths
                    else ""
                )
                + ")"
            )
        return text


class LogStorage:
    """The durable Raft log. Not thread-safe: one owner (the event loop) calls it."""

    def __init__(
        self,
        directory: Path,
        lock: DirectoryLock,
        *,
        segment_bytes_max: int,
        fsync_policy: FsyncPolicy,
        cache_bytes_max: int,
        file_io: FileIO,
    ) -> None:
        # Configuration.
        self.directory = directory
        self.segment_bytes_max = segment_bytes_max
        self.fsync_policy = fsync_policy
        self.cache_bytes_max = cache_bytes_max
        self._io = file_io
        # Resources held until close().
        self._lock: DirectoryLock | None = lock
        self._directory_fd = open_directory(directory)
        # The log: compacted_index <= last_index, first_index() == compacted_index + 1.
        self._segments: list[_Segment] = []
        self._compacted_index = 0
        self._compacted_term = 0
        self._last_index = 0
        self._last_term = 0
        # Term changes: the term of index i is _run_terms[k] for the last k with _run_starts[k] <= i.
        self._run_starts: list[int] = [0]
        self._run_terms: list[int] = [0]
        # The newest records, _cache[0] being index _cache_first; it always ends at last_index.
        self._cache: list[LogRecord] = []
        self._cache_first = 1
        self._cache_bytes = 0
        # Durability: synced_index <= last_index.
        self._dirty: list[_Segment] = []
        self._directory_dirty = False
        self._bytes_unsynced = 0
        self._synced_index = 0
        # Rounds begun and not yet ended, oldest first, with the segments each covers.
        self._open_rounds: deque[tuple[SyncJob, list[_Segment]]] = deque()
        # Bumped by truncation and reset, which void the claims of sync jobs already running.
        self._generation = 0
        # (path, operation, error) of a failed fsync or cleanup: writes are
        # refused until the log is reopened.
        self._failure: tuple[Path, str, OSError] | None = None
        self._hard_state = HardState()
        self.recovery_report: RecoveryReport | None = None

    # ------------------------------------------------------------------ open

    @classmethod
    def open(
        cls,
        directory: str | os.PathLike[str],
        *,
        segment_bytes_max: int = SEGMENT_BYTES_DEFAULT,
        fsync_policy: FsyncPolicy = FsyncPolicy.EVERYSEC,
        cache_bytes_max: int = CACHE_BYTES_DEFAULT,
        file_io: FileIO | None = None,
    ) -> LogStorage:
        """Lock `directory` (created if missing), recover the log, and return it.

        A torn tail is cut and described in `recovery_report` (and logged);
        damage followed by good data raises LogCorruptionError. Raises
        DataDirLockedError if another process holds the directory.
        """
        if not SEGMENT_HEADER_BYTES < segment_bytes_max <= SEGMENT_BYTES_MAX:
            raise ValueError(
                f"segment_bytes_max must be in ({SEGMENT_HEADER_BYTES}, {SEGMENT_BYTES_MAX}]"
            )
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        lock = DirectoryLock.acquire(path)
        try:
            storage = cls(
                path,
                lock,
                segment_bytes_max=segment_bytes_max,
                fsync_policy=FsyncPolicy(fsync_policy),
                cache_bytes_max=cache_bytes_max,
                file_io=file_io or FileIO(),
            )
        except BaseException:
            lock.release()
            raise
        try:
            storage._recover()
        except BaseException:
            storage.close()
            raise
        return storage

    def _recover(self) -> None:
        temp_files = tuple(sorted(self.directory.glob(f"*{TEMP_SUFFIX}")))
        for temp in temp_files:
            temp.unlink()
        scan = scan_log(self.directory)
        damage = scan.damage
        if damage is not None and not damage.torn_tail:
            raise LogCorruptionError(damage.path, damage.offset, damage.details())
        if damage is not None:
            cut_log(damage, self._io)
        for kept in scan.kept:
            assert kept.header is not None
            fd = os.open(kept.path, os.O_RDWR)
            self._segments.append(
                _Segment(
                    kept.path,
                    kept.first_index,
                    kept.header.prev_term,
                    fd,
                    kept.offsets,
                    kept.valid_end,
                )
            )
            self._add_term_run(kept.first_index - 1, kept.header.prev_term)
            for start, term in kept.term_runs:
                self._add_term_run(start, term)
        if not self._segments:
            self._segments.append(self._create_segment(1, 0))
        first = self._segments[0]
        self._compacted_index = first.first_index - 1
        self._compacted_term = first.prev_term
        self._last_index = self._segments[-1].last_index
        self._last_term = self._run_terms[-1]
        self._cache_first = self._last_index + 1
        self._synced_index = self._last_index
        self._hard_state = read_hard_state(self.directory)
        self.recovery_report = RecoveryReport(
            directory=self.directory,
            segments=len(self._segments),
            first_index=self.first_index(),
            last_index=self._last_index,
            torn_tail=damage,
            removed_temp_files=temp_files,
        )
        if damage is not None:
            logger.warning("%s", self.recovery_report.describe())

    # ----------------------------------------------------------------- reads

    def first_index(self) -> int:
        return self._compacted_index + 1

    def last_index(self) -> int:
        return self._last_index

    def last_term(self) -> int:
        return self._last_term

    def size_bytes(self) -> int:
        """Bytes of every segment file, headers included, from memory (no stat calls)."""
        return sum(segment.size for segment in self._segments)

    def term(self, index: int) -> int:
        """The term of entry `index`; `first_index() - 1` answers with the compaction term."""
        if index >= self._cache_first and index <= self._last_index:
            return self._cache[index - self._cache_first].term
        if index == self._compacted_index:
            return self._compacted_term
        if index < self._compacted_index:
            raise LogCompactedError(index, self.first_index())
        if index > self._last_index:
            raise LogUnavailableError(index, self._last_index)
        return self._run_terms[bisect_right(self._run_starts, index) - 1]

    def entries(self, lo: int, hi: int, max_bytes: int | None = None) -> list[LogRecord]:
        """Entries lo..hi-1. With `max_bytes`, stop before their encoded size passes it,
        but return at least one entry."""
        if lo <= self._compacted_index:
            raise LogCompactedError(lo, self.first_index())
        if hi > self._last_index + 1:
            raise LogUnavailableError(hi - 1, self._last_index)
        assert lo <= hi
        records: list[LogRecord] = []
        budget = max_bytes
        if lo < self._cache_first:
            budget = self._read_disk(lo, min(hi, self._cache_first), budget, records)
            lo = self._cache_first
        if lo >= hi or (budget == 0 and records):
            return records
        cached = self._cache[lo - self._cache_first : hi - self._cache_first]
        if budget is None:
            records += cached
            return records
        # Bounded by the slice.
        for record in cached:
            size = RECORD_HEADER_BYTES + len(record.data)
            if size > budget and records:
                break
            records.append(record)
            budget -= min(size, budget)
        return records

    def _read_disk(
        self, lo: int, hi: int, budget: int | None, records: list[LogRecord]
    ) -> int | None:
        """Append entries lo..hi-1 read from disk; return what is left of the budget (0: full)."""
        index = lo
        # Bounded: each pass reads at least one record of one segment.
        while index < hi:
            segment = self._segments[bisect_right(self._segments, index, key=_first_index) - 1]
            start = index - segment.first_index
            stop = min(hi, segment.last_index + 1) - segment.first_index
            if budget is not None:
                stop, budget = _fit_budget(segment, start, stop, budget, first=not records)
                if stop == start:
                    return 0
            begin, end = segment.offsets[start], segment.end_of(stop - 1)
            data = os.pread(segment.fd, end - begin, begin)
            _decode_into(records, data, segment, start, stop)
            index = segment.first_index + stop
            if budget == 0:
                return 0
        return budget

    # ---------------------------------------------------------------- writes

    def append(self, records: Sequence[LogRecord]) -> None:
        """Write records to the OS (durable after `sync()`).

        Records whose first index is <= last_index() first truncate the log
        there (durably); compacted indices cannot be rewritten. Raises
        LogWriteError if the write fails: the records are then not in the log
        (a truncation they caused stays).
        """
        if not records:
            return
        self._check_writable("append")
        first_index = records[0].index
        if first_index <= self._last_index:
            self.truncate_suffix(first_index)
        assert first_index == self._last_index + 1, "appended records must follow the last index"
        # (segment, size, record count) before this call touched it.
        undo: list[tuple[_Segment, int, int]] = []
        start = 0
        last_term = self._last_term
        written = 0
        try:
            # Bounded: each pass writes at least one record.
            while start < len(records):
                segment = self._segments[-1]
                if segment.size >= self.segment_bytes_max and segment.offsets:
                    segment = self._roll(records[start].index, last_term)
                undo.append((segment, segment.size, len(segment.offsets)))
                data, start, last_term = self._encode(records, start, segment, last_term)
                self._io.write(segment.fd, data, segment.size)
                segment.size += len(data)
                written += len(data)
                self._mark_dirty(segment)
        except OSError as error:
            self._undo_append(undo)
            raise LogWriteError(self._segments[-1].path, "append", error) from error
        except BaseException:
            self._undo_append(undo)
            raise
        if last_term != self._last_term:
            for record in records:
                if record.term != self._run_terms[-1]:
                    self._add_term_run(record.index, record.term)
        self._last_index = records[-1].index
        self._last_term = last_term
        self._bytes_unsynced += written
        self._cache += records
        self._cache_bytes += written
        if self._cache_bytes > self.cache_bytes_max:
            self._trim_cache()

    def _encode(
        self, records: Sequence[LogRecord], start: int, segment: _Segment, last_term: int
    ) -> tuple[bytes, int, int]:
        """Encode records from `start` until the segment is full; record their offsets.

        Returns the bytes, the position after the last record encoded, and its term.
        """
        # No bound-method locals (parts.append): compiled, they cost an object per call.
        parts: list[bytes] = []
        offsets = segment.offsets
        pack_body = RECORD_BODY.pack
        pack_prefix = RECORD_PREFIX.pack
        header_bytes = RECORD_HEADER_BYTES
        payload_bytes_max = RECORD_PAYLOAD_BYTES_MAX
        position = segment.size
        limit = self.segment_bytes_max
        first = expected = segment.first_index + len(segment.offsets)
        for term, index, kind, data in records[start:] if start else records:
            # A full segment takes no more, but every segment takes at least one record.
            if position >= limit and expected > first:
                break
            assert index == expected, "record indices must be contiguous"
            assert term >= last_term, "record terms must not decrease"
            size = len(data)
            if size > payload_bytes_max:
                raise RecordTooLargeError(index, size, payload_bytes_max)
            body = pack_body(term, index, kind) + data
            parts.append(pack_prefix(size, crc32c(body)))
            parts.append(body)
            offsets.append(position)
            position += header_bytes + size
            expected += 1
            last_term = term
        stop = start + expected - first
        return b"".join(parts), stop, last_term

    def _undo_append(self, undo: list[tuple[_Segment, int, int]]) -> None:
        """Forget a failed append, in memory and on disk, newest segment first."""
        # Segments this call created go entirely (a rollover may have failed before its undo entry).
        while self._segments[-1].first_index > self._last_index + 1:
            segment = self._segments.pop()
            try:
                self._delete_segment(segment)
            except OSError as error:
                # A leftover empty segment is cut at the next open, as a torn tail is.
                self._failure = (segment.path, "remove a segment after a failed append", error)
        for segment, size, count in reversed(undo):
            if segment not in self._segments:
                continue
            del segment.offsets[count:]
            segment.size = size
            self._mark_dirty(segment)
            try:
                self._io.truncate(segment.fd, size)
            except OSError as error:
                # The partial bytes stay until the next open cuts them as a torn
                # tail; until then no write may land after them.
                self._failure = (segment.path, "truncate after a failed append", error)

    def truncate_suffix(self, from_index: int) -> None:
        """Durably delete entries >= from_index (a Raft conflict). No-op past the end."""
        self._check_writable("truncate")
        if from_index > self._last_index:
            return
        assert from_index > self._compacted_index, "cannot truncate compacted entries"
        removed: list[_Segment] = []
        while len(self._segments) > 1 and self._segments[-1].first_index >= from_index:
            removed.append(self._segments.pop())
        segment = self._segments[-1]
        keep = from_index - segment.first_index
        cut = segment.offsets[keep] if keep < len(segment.offsets) else segment.size
        del segment.offsets[keep:]
        segment.size = cut
        self._forget_after(from_index - 1)
        try:
            # Newest first, each durable before the next: a crash leaves a shorter log, never a gap.
            for dropped in removed:
                self._delete_segment(dropped)
            self._io.truncate(segment.fd, cut)
            self._io.sync(segment.fd)
        except OSError as error:
            self._fail(segment.path, "truncate", error)

    def _forget_after(self, index: int) -> None:
        """Drop in-memory knowledge of entries after `index`."""
        while self._run_starts[-1] > index:
            self._run_starts.pop()
            self._run_terms.pop()
        self._last_index = index
        self._last_term = (
            self._compacted_term if index == self._compacted_index else self._run_terms[-1]
        )
        if index < self._cache_first:
            self._cache.clear()
            self._cache_first = index + 1
            self._cache_bytes = 0
        else:
            dropped = self._cache[index + 1 - self._cache_first :]
            del self._cache[index + 1 - self._cache_first :]
            self._cache_bytes -= sum(RECORD_HEADER_BYTES + len(record.data) for record in dropped)
        self._synced_index = min(self._synced_index, index)
        self._generation += 1

    def compact_prefix(self, upto_index: int, upto_term: int) -> None:
        """After a snapshot at (upto_index, upto_term): start the log after it."""
        self._check_writable("compact")
        if upto_index <= self._compacted_index:
            return
        if upto_index <= self._last_index and self.term(upto_index) == upto_term:
            self._compact(upto_index, upto_term)
        else:
            self._reset(upto_index, upto_term)

    def _compact(self, upto_index: int, upto_term: int) -> None:
        self._compacted_index = upto_index
        self._compacted_term = upto_term
        if upto_index >= self._cache_first:
            dropped = self._cache[: upto_index + 1 - self._cache_first]
            del self._cache[: upto_index + 1 - self._cache_first]
            self._cache_bytes -= sum(RECORD_HEADER_BYTES + len(record.data) for record in dropped)
            self._cache_first = upto_index + 1
        try:
            # Oldest first, each durable before the next: a crash leaves a later start, never a gap.
            while len(self._segments) > 1 and self._segments[1].first_index <= upto_index + 1:
                self._delete_segment(self._segments.pop(0))
        except OSError as error:
            self._fail(self.directory, "compact", error)

    def _reset(self, upto_index: int, upto_term: int) -> None:
        """Replace the log by an empty one that starts after upto_index."""
        old_segments, self._segments = self._segments, []
        self._compacted_index = upto_index
        self._compacted_term = upto_term
        self._last_index = upto_index
        self._last_term = upto_term
        self._run_starts = [upto_index]
        self._run_terms = [upto_term]
        self._cache.clear()
        self._cache_first = upto_index + 1
        self._cache_bytes = 0
        self._synced_index = upto_index
        self._bytes_unsynced = 0
        self._generation += 1
        path = self.directory / segment_name(upto_index + 1)
        try:
            for segment in old_segments:
                self._delete_segment(segment)
            write_file_atomically(path, encode_segment_header(upto_index + 1, upto_term), self._io)
        except OSError as error:
            self._fail(path, "reset", error)
        fd = os.open(path, os.O_RDWR)
        self._segments.append(
            _Segment(path, upto_index + 1, upto_term, fd, array("I"), SEGMENT_HEADER_BYTES)
        )

    # ------------------------------------------------------------ durability

    @property
    def needs_sync(self) -> bool:
        return bool(self._dirty) or self._directory_dirty

    @property
    def bytes_unsynced(self) -> int:
        """Bytes appended since the last sync round began."""
        return self._bytes_unsynced

    @property
    def synced_index(self) -> int:
        """Entries up to here are durable."""
        return self._synced_index

    def sync(self) -> None:
        """Make everything appended so far durable, on this thread: fdatasync every segment
        written since its last sync (even one a SyncWorker round is still syncing), and
        the directory after a new segment."""
        self._check_writable("sync")
        segments = list(self._dirty)
        for _, covered in self._open_rounds:
            segments += [segment for segment in covered if segment in self._segments]
        job = self._capture(list(dict.fromkeys(segments)))
        job.run()
        if job.error is not None:
            assert job.error_path is not None
            self._fail(job.error_path, "fsync", job.error)
        if job.generation == self._generation:
            self._synced_index = max(self._synced_index, job.last_index)

    def begin_sync(self) -> SyncJob | None:
        """Capture a sync round to run on another thread (see SyncWorker); None if all is durable.

        Rounds must end (end_sync) in the order they began.
        """
        self._check_writable("sync")
        if not self.needs_sync:
            if not self._open_rounds:
                self._synced_index = self._last_index
            return None
        segments = list(self._dirty)
        job = self._capture(segments)
        self._open_rounds.append((job, segments))
        return job

    def end_sync(self, job: SyncJob) -> None:
        """Finish the oldest round from begin_sync; raises LogWriteError if its fsync failed."""
        oldest, _ = self._open_rounds.popleft()
        assert oldest is job, "sync rounds must end in the order they began"
        if job.error is not None:
            assert job.error_path is not None
            self._fail(job.error_path, "fsync", job.error)
        if job.generation == self._generation:
            self._synced_index = max(self._synced_index, job.last_index)

    def _capture(self, segments: list[_Segment]) -> SyncJob:
        """A round over `segments` (and the directory if needed); they count as clean from now."""
        job = SyncJob(
            io=self._io,
            files=[(os.dup(segment.fd), segment.path) for segment in segments],
            directory_fd=os.dup(self._directory_fd) if self._directory_dirty else None,
            directory=self.directory,
            last_index=self._last_index,
            generation=self._generation,
        )
        for segment in self._dirty:
            segment.dirty = False
        self._dirty.clear()
        self._directory_dirty = False
        self._bytes_unsynced = 0
        return job

    # ------------------------------------------------------------ hard state

    @property
    def hard_state(self) -> HardState:
        return self._hard_state

    def save_hard_state(self, state: HardState) -> None:
        """Durably replace the hard state (two fsyncs and a rename); no-op if unchanged."""
        if state == self._hard_state:
            return
        try:
            write_hard_state(self.directory, state, self._io)
        except OSError as error:
            raise LogWriteError(self.directory, "save hard state", error) from error
        self._hard_state = state

    # -------------------------------------------------------------- lifetime

    def close(self) -> None:
        """Release files and the lock. It does not sync: call sync() first for a clean stop."""
        for segment in self._segments:
            os.close(segment.fd)
        self._segments = []
        if self._directory_fd >= 0:
            os.close(self._directory_fd)
            self._directory_fd = -1
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> LogStorage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --------------------------------------------------------------- helpers

    def _check_writable(self, operation: str) -> None:
        if self._failure is not None:
            path, failed, error = self._failure
            raise LogWriteError(
                path, f"{operation} (refused since {failed} failed; reopen the log)", error
            )

    def _fail(self, path: Path, operation: str, error: OSError) -> NoReturn:
        """Refuse writes from now on: after a failed fsync the kernel may have dropped dirty pages."""
        self._failure = (path, operation, error)
        raise LogWriteError(path, operation, error) from error

    def _add_term_run(self, start: int, term: int) -> None:
        if term == self._run_terms[-1]:
            return
        if start == self._run_starts[-1]:
            self._run_terms[-1] = term
        else:
            self._run_starts.append(start)
            self._run_terms.append(term)

    def _trim_cache(self) -> None:
        """Drop the oldest cached records down to 3/4 of the budget, so trimming is amortized."""
        target = self.cache_bytes_max * 3 // 4
        count = 0
        for record in self._cache:
            if self._cache_bytes <= target:
                break
            self._cache_bytes -= RECORD_HEADER_BYTES + len(record.data)
            count += 1
        del self._cache[:count]
        self._cache_first += count

    def _mark_dirty(self, segment: _Segment) -> None:
        if not segment.dirty:
            segment.dirty = True
            self._dirty.append(segment)

    def _create_segment(self, first_index: int, prev_term: int) -> _Segment:
        path = self.directory / segment_name(first_index)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            self._io.write(fd, encode_segment_header(first_index, prev_term), 0)
        except OSError:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        segment = _Segment(path, first_index, prev_term, fd, array("I"), SEGMENT_HEADER_BYTES)
        self._mark_dirty(segment)
        self._directory_dirty = True
        return segment

    def _roll(self, first_index: int, prev_term: int) -> _Segment:
        segment = self._create_segment(first_index, prev_term)
        self._segments.append(segment)
        return segment

    def _delete_segment(self, segment: _Segment) -> None:
        os.close(segment.fd)
        if segment.dirty:
            segment.dirty = False
            self._dirty.remove(segment)
        segment.path.unlink()
        self._io.sync_directory(self._directory_fd)


def _first_index(segment: _Segment) -> int:
    return segment.first_index


def _fit_budget(
    segment: _Segment, start: int, stop: int, budget: int, *, first: bool
) -> tuple[int, int]:
    """How many records from `start` fit in `budget` bytes (at least one if `first`)."""
    offsets = segment.offsets
    position = start
    # Bounded by stop.
    while position < stop:
        size = segment.end_of(position) - offsets[position]
        if size > budget:
            if first and position == start:
                return position + 1, 0
            return position, 0
        budget -= size
        position += 1
    return position, budget


def _decode_into(
    records: list[LogRecord], data: bytes, segment: _Segment, start: int, stop: int
) -> None:
    """Decode and verify records start..stop-1 of `segment` from `data`."""
    view = memoryview(data)
    base = segment.offsets[start]
    unpack = RECORD_HEADER.unpack_from
    for position in range(start, stop):
        offset = segment.offsets[position] - base
        end = segment.end_of(position) - base
        expected = segment.first_index + position
        if end > len(data):
            raise LogCorruptionError(
                segment.path, base + offset, "file is shorter than its index says"
            )
        _length, crc, term, index, kind = unpack(data, offset)
        if crc32c(view[offset + RECORD_CRC_START : end]) != crc:
            raise LogCorruptionError(
                segment.path, base + offset, f"checksum mismatch reading index {expected}"
            )
        if index != expected:
            raise LogCorruptionError(
                segment.path, base + offset, f"read index {index} where {expected} was expected"
            )
        records.append(LogRecord(term, index, kind, data[offset + RECORD_HEADER_BYTES : end]))
