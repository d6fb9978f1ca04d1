"""Durability for a single node: the log is the WAL, plus snapshots and recovery.

Writes are appended to the OS in one batch before any reply of that batch is
sent, so a crash of the process never loses an acknowledged write. Then by
policy:
  always    replies wait for the batch's fsync (group commit: one fsync for
            every write that arrived in the same event-loop turn);
  everysec  a timer fsyncs once a second, off the event loop;
  no        the kernel decides.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from weir.log.errors import LogWriteError
from weir.log.records import LogRecord
from weir.log.storage import LogStorage
from weir.log.sync import FsyncPolicy
from weir.server.latency import LatencyMonitor
from weir.server.snapshots import load_latest
from weir.state.machine import StateMachine

log = logging.getLogger("weir.persistence")

ENTRY_COMMAND = 0
_new_tuple = tuple.__new__


class Persistence:
    """Owns the data directory: the log, snapshots and the fsync policy."""

    def __init__(self, directory: Path, policy: str, machine: StateMachine) -> None:
        self.directory = directory
        self.policy = FsyncPolicy(policy)
        self.machine = machine
        directory.mkdir(parents=True, exist_ok=True)
        self.snapshot_dir = directory / "snapshots"
        self.storage = LogStorage.open(directory / "wal", fsync_policy=self.policy)
        self.pending: list[LogRecord] = []
        # Called before the pending records are written: closes the write path's open entry.
        self.before_write: Callable[[], None] | None = None
        self.last_sync = time.monotonic()
        self.write_error: LogWriteError | None = None
        self.fsyncs = 0
        # The server's latency monitor (aof-write and aof-fsync-always events), and whether
        # a snapshot child runs meanwhile (aof-write-active-child rather than -alone).
        self.latency: LatencyMonitor | None = None
        self.child_active = False
        self.log_bytes_at_snapshot = self.log_bytes()

    # --- recovery -----------------------------------------------------------------

    def recover(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Load the newest valid snapshot, then replay the log after it. Returns entries replayed."""
        loaded = load_latest(self.snapshot_dir, self.machine)
        storage = self.storage
        if loaded:
            # The log keeps its start only to segment granularity: set it to the snapshot
            # again (a no-op when already there; a fresh log when it ends before it).
            storage.compact_prefix(self.machine.applied_index, self.machine.applied_term)
        if storage.first_index() > self.machine.applied_index + 1:
            raise LogWriteError(
                storage.directory, "recover",
                OSError(f"log starts at {storage.first_index()} but the newest snapshot covers "
                        f"only up to {self.machine.applied_index}: entries are missing"),
            )
        start = self.machine.applied_index + 1
        last = storage.last_index()
        replayed = 0
        index = start
        while index <= last:
            batch = storage.entries(index, min(last + 1, index + 4096))
            for record in batch:
                if record.kind == ENTRY_COMMAND:
                    self.machine.apply(record.index, record.term, record.data)
                else:
                    self.machine.apply_noop(record.index, record.term)
                replayed += 1
            index += len(batch)
            if progress is not None:
                progress(index - start, last - start + 1)
        if storage.recovery_report is not None and storage.recovery_report.torn_tail is not None:
            log.warning("%s", storage.recovery_report.describe())
        return replayed

    # --- the write path -----------------------------------------------------------

    def add(self, term: int, index: int, data: bytes) -> None:
        # tuple.__new__ skips NamedTuple's Python-level __new__: this runs for every write.
        self.pending.append(_new_tuple(LogRecord, (term, index, ENTRY_COMMAND, data)))

    def write_pending(self) -> None:
        """Hand the batch to the OS; after this a process crash cannot lose it."""
        if self.before_write is not None:
            self.before_write()
        if self.pending:
            monitor = self.latency
            started_ns = time.perf_counter_ns() if monitor is not None and monitor.threshold_ms else 0
            # Cleared only once written: a failed append (disk full) is retried later.
            self.storage.append(self.pending)
            self.pending = []
            if started_ns and monitor is not None:
                # Redis's names for its AOF write(): one of the two kinds, and the total.
                elapsed_ms = (time.perf_counter_ns() - started_ns) // 1_000_000
                kind = "aof-write-active-child" if self.child_active else "aof-write-alone"
                monitor.add_if_needed(kind, elapsed_ms)
                monitor.add_if_needed("aof-write", elapsed_ms)

    def sync(self) -> None:
        self.write_pending()
        if self.storage.needs_sync:
            monitor = self.latency
            started_ns = time.perf_counter_ns() if monitor is not None and monitor.threshold_ms else 0
            self.storage.sync()
            self.fsyncs += 1
            if started_ns and monitor is not None and self.policy is FsyncPolicy.ALWAYS:
                monitor.add_if_needed("aof-fsync-always", (time.perf_counter_ns() - started_ns) // 1_000_000)
        self.last_sync = time.monotonic()

    def last_index(self) -> int:
        return self.storage.last_index()

    def log_bytes(self) -> int:
        """Bytes of log on disk (all segments). The server checks it every 100 ms."""
        return self.storage.size_bytes()

    def close(self) -> None:
        try:
            self.sync()
        finally:
            self.storage.close()


def data_dir_files(directory: Path) -> list[str]:
    return sorted(os.listdir(directory)) if directory.exists() else []
