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

from weir.log.errors import LogWriteError
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
    durable. A round starts at the end of the event-loop pass in which the
    first writer asks, so every writer of that pass shares it; writers that
    ask while it runs share the next one. The loop keeps serving clients
    during the fsync. Use it from the event loop's thread only; the log's own
    `sync()` may be mixed in (it also syncs what a running round covers), but
    no other begin_sync/end_sync caller.
    """

    def __init__(self, storage: LogStorage) -> None:
        self._storage = storage
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weir-log-sync")
        # (index to make durable, future of the writer waiting for it)
        self._waiting: list[tuple[int, asyncio.Future[int]]] = []
        self._round_scheduled = False
        self._round_running = False
        self.fsyncs = 0

    async def sync(self) -> int:
        """Wait until everything appended so far is durable; return the synced index."""
        target = self._storage.last_index()
        if self._storage.synced_index >= target:
            return self._storage.synced_index
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[int] = loop.create_future()
        self._waiting.append((target, waiter))
        self._schedule_round(loop)
        return await waiter

    def _schedule_round(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._round_scheduled and not self._round_running:
            self._round_scheduled = True
            # At the end of this loop pass, after every writer woken in it has appended.
            loop.call_soon(self._start_round, loop)

    def _start_round(self, loop: asyncio.AbstractEventLoop) -> None:
        self._round_scheduled = False
        covered, self._waiting = self._waiting, []
        try:
            job = self._storage.begin_sync()
        except LogWriteError as error:
            _fail_all(covered, error)
            return
        if job is None:
            self._finish_round(loop, covered)
            return
        self._round_running = True
        running = loop.run_in_executor(self._executor, job.run)
        running.add_done_callback(lambda _: self._end_round(loop, job, covered))

    def _end_round(
        self,
        loop: asyncio.AbstractEventLoop,
        job: SyncJob,
        covered: list[tuple[int, asyncio.Future[int]]],
    ) -> None:
        self._round_running = False
        self.fsyncs += job.fsyncs
        try:
            self._storage.end_sync(job)
        except LogWriteError as error:
            _fail_all(covered + self._waiting, error)
            self._waiting = []
            return
        self._finish_round(loop, covered)

    def _finish_round(
        self, loop: asyncio.AbstractEventLoop, covered: list[tuple[int, asyncio.Future[int]]]
    ) -> None:
        synced_index = self._storage.synced_index
        for target, waiter in covered:
            if waiter.done():
                continue
            if synced_index >= min(target, self._storage.last_index()):
                waiter.set_result(synced_index)
            else:
                # A truncation voided the round's claim: wait for the next one.
                self._waiting.append((target, waiter))
        if self._waiting:
            self._schedule_round(loop)

    def close(self) -> None:
        self._executor.shutdown(wait=True)


def _fail_all(waiting: list[tuple[int, asyncio.Future[int]]], error: LogWriteError) -> None:
    for _, waiter in waiting:
        if not waiter.done():
            waiter.set_exception(error)
