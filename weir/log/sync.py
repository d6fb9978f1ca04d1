"""Fsync policy and group commit off the event loop.

The log never decides when to sync: the server does. With `always` it calls
`LogStorage.sync()` (or `await SyncWorker.sync()`) once per event-loop batch
before replying; with `everysec` a one-second timer calls it; with `no` only
shutdown does.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from weir.log.fileio import FileIO

if TYPE_CHECKING:
    from weir.log.storage import LogStorage


class FsyncPolicy(StrEnum):
    # Reply only after the entry is fsynced; one fsync covers a whole batch.
    ALWAYS = "always"
    # Fsync once a second: a power loss can lose up to about a second of writes.
    EVERYSEC = "everysec"
    # Leave it to the kernel: a process crash loses nothing, a power loss can lose more.
    NO = "no"


@dataclass
class SyncJob:
    """One fsync round: captured on the log's thread, run on any thread, ended on the log's thread.

    It owns duplicates of the file descriptors, so the log may close or
    delete segments while the job runs.
    """

    io: FileIO
    # (fd, path) of each segment written since the previous round.
    files: list[tuple[int, Path]]
    directory_fd: int | None
    directory: Path
    # Everything up to this index is durable once the job succeeds.
    last_index: int
    # The log's generation when captured; a truncation in between voids the job's claim.
    generation: int
    error: OSError | None = None
    error_path: Path | None = None
    fsyncs: int = field(default=0)

    def run(self) -> None:
        try:
            for fd, path in self.files:
                self.error_path = path
                self.io.sync(fd)
                self.fsyncs += 1
            if self.directory_fd is not None:
                self.error_path = self.directory
                self.io.sync_directory(self.directory_fd)
                self.fsyncs += 1
            self.error_path = None
        except OSError as error:
            self.error = error
        finally:
            for fd, _ in self.files:
                os.close(fd)
            if self.directory_fd is not None:
                os.close(self.directory_fd)


class SyncWorker:
    """Group commit on a dedicated thread, with exactly one fsync in flight.

    `await worker.sync()` returns once everything appended before the call is
    durable. Writers that arrive while an fsync runs share the next one, so
    fsyncs per second are bounded by the disk, not by the number of writers,
    and the event loop keeps serving clients meanwhile. It must be the only
    caller of the log's sync methods.
    """

    def __init__(self, storage: LogStorage) -> None:
        self._storage = storage
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weir-log-sync")
        self._in_flight: asyncio.Future[None] | None = None
        self.fsyncs = 0

    async def sync(self) -> int:
        """Wait until everything appended so far is durable; return the synced index."""
        storage = self._storage
        target = storage.last_index()
        # Bounded: the round started after this call covers `target`, so this
        # loop waits for at most the round in flight plus one more.
        while storage.synced_index < min(target, storage.last_index()):
            if self._in_flight is None:
                self._in_flight = asyncio.ensure_future(self._round())
            await asyncio.shield(self._in_flight)
        return storage.synced_index

    async def _round(self) -> None:
        try:
            job = self._storage.begin_sync()
            if job is None:
                return
            await asyncio.get_running_loop().run_in_executor(self._executor, job.run)
            self.fsyncs += job.fsyncs
            self._storage.end_sync(job)
        finally:
            self._in_flight = None

    def close(self) -> None:
        self._executor.shutdown(wait=True)
