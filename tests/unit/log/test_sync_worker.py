"""SyncWorker: group commit on a thread, one fsync in flight, errors reach every waiter."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from tests.unit.log.helpers import FailingFileIO, make_records
from weir.log import LogStorage, LogWriteError, SyncWorker


class SlowFileIO(FailingFileIO):
    """An fsync that takes a while, and counts how many run at once."""

    def __init__(self, sync_seconds: float = 0.01) -> None:
        super().__init__()
        self.sync_seconds = sync_seconds
        self.in_flight = 0
        self.in_flight_max = 0
        self._mutex = threading.Lock()

    def sync(self, fd: int) -> None:
        with self._mutex:
            self.in_flight += 1
            self.in_flight_max = max(self.in_flight_max, self.in_flight)
        try:
            time.sleep(self.sync_seconds)
            super().sync(fd)
        finally:
            with self._mutex:
                self.in_flight -= 1


def test_concurrent_writers_share_fsyncs(tmp_path: Path) -> None:
    io = SlowFileIO()
    writers = 50

    async def main() -> None:
        with LogStorage.open(tmp_path, file_io=io) as log:
            worker = SyncWorker(log)

            async def write(number: int) -> None:
                await asyncio.sleep(number * 0.001)
                index = log.last_index() + 1
                log.append(make_records(index, 1))
                assert await worker.sync() >= index
                assert log.synced_index >= index

            await asyncio.gather(*(write(number) for number in range(writers)))
            worker.close()
            assert log.synced_index == writers
            assert 1 <= worker.fsyncs < writers

    asyncio.run(main())
    assert io.in_flight_max == 1


def test_nothing_to_sync_returns_at_once(tmp_path: Path) -> None:
    async def main() -> None:
        with LogStorage.open(tmp_path) as log:
            log.append(make_records(1, 3))
            log.sync()
            worker = SyncWorker(log)
            assert await worker.sync() == 3
            assert worker.fsyncs == 0
            worker.close()

    asyncio.run(main())


def test_a_failed_fsync_reaches_every_waiter(tmp_path: Path) -> None:
    io = SlowFileIO()

    async def main() -> None:
        with LogStorage.open(tmp_path, file_io=io) as log:
            log.append(make_records(1, 3))
            log.sync()
            worker = SyncWorker(log)
            io.fail_sync = True
            log.append(make_records(4, 1))
            results = await asyncio.gather(worker.sync(), worker.sync(), return_exceptions=True)
            assert all(isinstance(result, LogWriteError) for result in results)
            assert log.synced_index == 3
            with pytest.raises(LogWriteError, match="reopen"):
                log.append(make_records(5, 1))
            worker.close()

    asyncio.run(main())


def test_a_truncation_during_an_fsync_voids_its_claim(tmp_path: Path) -> None:
    io = SlowFileIO(sync_seconds=0.05)

    async def main() -> None:
        with LogStorage.open(tmp_path, file_io=io) as log:
            worker = SyncWorker(log)
            log.append(make_records(1, 10, term=1))
            in_flight = asyncio.ensure_future(worker.sync())
            await asyncio.sleep(0.01)
            # A conflict replaces entries 6..10 while their fsync runs.
            log.append(make_records(6, 5, term=2))
            assert await in_flight == 10
            assert await worker.sync() == 10
            assert log.synced_index == 10
            worker.close()

    asyncio.run(main())
