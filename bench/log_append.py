"""Log append throughput against plain os.write (+ os.fdatasync) on the same disk, in one run.

    python bench/log_append.py [--seconds 1] [--repeat 3] [--dir DIR]

Three parts, each a ratio against its ceiling measured in the same run:
1. append only (writes reach the OS, no fsync) vs os.write of as many bytes
   already encoded; time spent in the call, so building records is not counted;
2. append + sync() per batch vs os.write + os.fdatasync per batch (same);
3. group commit of N concurrent asyncio writers (each appends one record and
   waits until it is durable): one sync per event-loop pass on the loop
   thread, vs SyncWorker (one fdatasync in flight on a thread);
4. open (recovery verifies every record) vs reading the files and one CRC.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crc32c import crc32c

from weir.log import LogRecord, LogStorage, SyncWorker
from weir.log.records import RECORD_HEADER_BYTES

PAYLOAD_BYTES_MIN = 40
PAYLOAD_BYTES_MAX = 100
# Distinct payloads cycled through, so building them is not measured.
PAYLOAD_POOL = 4096


@dataclass
class Result:
    records: int
    data_bytes: int
    fsyncs: int
    seconds: float
    # How late a 1 ms timer fired (99th percentile): how long the event loop was blocked.
    stall_ms_p99: float | None = None

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds

    def line(self, name: str, ceiling: Result | None = None) -> str:
        text = (
            f"{name:<44} {self.records_per_second:>12,.0f} rec/s "
            f"{self.data_bytes / self.seconds / 1e6:>8.1f} MB/s "
            f"{self.fsyncs / self.seconds:>9,.0f} fsync/s"
        )
        if ceiling is not None:
            text += f"   x{self.records_per_second / ceiling.records_per_second:.2f} of plain"
        if self.stall_ms_p99 is not None:
            text += f"   loop stall p99 {self.stall_ms_p99:.1f} ms"
        return text


def payloads() -> list[bytes]:
    rng = random.Random(1)
    return [
        rng.randbytes(rng.randint(PAYLOAD_BYTES_MIN, PAYLOAD_BYTES_MAX))
        for _ in range(PAYLOAD_POOL)
    ]


def run_for(seconds: float, step: Callable[[], tuple[int, int, int, float]]) -> Result:
    """Call `step` until `seconds` pass. It returns records, bytes, fsyncs and the
    seconds spent in the call measured, so preparing its input is not counted."""
    records = data_bytes = fsyncs = 0
    measured = 0.0
    deadline = time.perf_counter() + seconds
    # Bounded by the deadline.
    while time.perf_counter() < deadline:
        step_records, step_bytes, step_fsyncs, step_seconds = step()
        records += step_records
        data_bytes += step_bytes
        fsyncs += step_fsyncs
        measured += step_seconds
    return Result(records, data_bytes, fsyncs, measured)


def bench_log(directory: Path, seconds: float, batch: int, sync: bool, pool: list[bytes]) -> Result:
    """LogStorage.append (and sync) of batches of new records; building them is not timed."""
    with LogStorage.open(directory) as log:
        index = 1

        def step() -> tuple[int, int, int, float]:
            nonlocal index
            records = [
                LogRecord(1, index + offset, 0, pool[(index + offset) % PAYLOAD_POOL])
                for offset in range(batch)
            ]
            index += batch
            data_bytes = sum(RECORD_HEADER_BYTES + len(record.data) for record in records)
            start = time.perf_counter()
            log.append(records)
            if sync:
                log.sync()
            return batch, data_bytes, int(sync), time.perf_counter() - start

        result = run_for(seconds, step)
    shutil.rmtree(directory)
    return result


def bench_plain(
    directory: Path, seconds: float, batch: int, sync: bool, pool: list[bytes]
) -> Result:
    """The ceiling: as many bytes, encoded beforehand, with os.write (and os.fdatasync)."""
    directory.mkdir()
    fd = os.open(directory / "plain.dat", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    chunks = [
        b"".join(
            bytes(RECORD_HEADER_BYTES) + pool[(start + offset) % PAYLOAD_POOL]
            for offset in range(batch)
        )
        for start in range(0, PAYLOAD_POOL, batch)
    ]
    position = 0

    def step() -> tuple[int, int, int, float]:
        nonlocal position
        chunk = chunks[position % len(chunks)]
        position += 1
        start = time.perf_counter()
        os.write(fd, chunk)
        if sync:
            os.fdatasync(fd)
        return batch, len(chunk), int(sync), time.perf_counter() - start

    result = run_for(seconds, step)
    os.close(fd)
    shutil.rmtree(directory)
    return result


async def group_commit(
    log: LogStorage, writers: int, seconds: float, threaded: bool, pool: list[bytes]
) -> Result:
    loop = asyncio.get_running_loop()
    worker = SyncWorker(log) if threaded else None
    waiters: list[asyncio.Future[None]] = []
    fsyncs = 0

    def commit() -> None:
        # One fsync per event-loop pass, on the loop thread.
        nonlocal fsyncs
        log.sync()
        fsyncs += 1
        for waiter in waiters:
            waiter.set_result(None)
        waiters.clear()

    async def durable() -> None:
        if worker is not None:
            await worker.sync()
            return
        waiter = loop.create_future()
        if not waiters:
            loop.call_soon(commit)
        waiters.append(waiter)
        await waiter

    counts = [0, 0]
    deadline = time.perf_counter() + seconds

    async def write(number: int) -> None:
        position = number
        # Bounded by the deadline.
        while time.perf_counter() < deadline:
            data = pool[position % PAYLOAD_POOL]
            position += writers
            log.append([LogRecord(1, log.last_index() + 1, 0, data)])
            await durable()
            counts[0] += 1
            counts[1] += RECORD_HEADER_BYTES + len(data)

    stalls_ms = [0.0]

    async def ticker() -> None:
        # Bounded by the deadline.
        while time.perf_counter() < deadline:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            stalls_ms.append((time.perf_counter() - before) * 1000 - 1)

    start = time.perf_counter()
    await asyncio.gather(ticker(), *(write(number) for number in range(writers)))
    elapsed = time.perf_counter() - start
    if worker is not None:
        worker.close()
        fsyncs = worker.fsyncs
    stalls_ms.sort()
    return Result(counts[0], counts[1], fsyncs, elapsed, stalls_ms[len(stalls_ms) * 99 // 100])


def bench_group(
    directory: Path, seconds: float, writers: int, threaded: bool, pool: list[bytes]
) -> Result:
    with LogStorage.open(directory) as log:
        result = asyncio.run(group_commit(log, writers, seconds, threaded, pool))
    shutil.rmtree(directory)
    return result


def bench_open(directory: Path, records: int, pool: list[bytes]) -> tuple[Result, Result]:
    """Recovery at open (every record verified) vs reading the same files and one CRC over them."""
    with LogStorage.open(directory) as log:
        # Bounded by `records`.
        for start in range(1, records + 1, 1000):
            count = min(1000, records + 1 - start)
            log.append(
                [
                    LogRecord(1, index, 0, pool[index % PAYLOAD_POOL])
                    for index in range(start, start + count)
                ]
            )
    files = sorted(directory.glob("*.wal"))
    data_bytes = sum(path.stat().st_size for path in files)
    start = time.perf_counter()
    for path in files:
        crc32c(path.read_bytes())
    plain = Result(records, data_bytes, 0, time.perf_counter() - start)
    start = time.perf_counter()
    LogStorage.open(directory).close()
    opened = Result(records, data_bytes, 0, time.perf_counter() - start)
    shutil.rmtree(directory)
    return plain, opened


def interleaved(repeat: int, *measures: Callable[[], Result]) -> list[Result]:
    """Run the measures in turn, `repeat` rounds; the median of each by records/s.

    Taking turns exposes each to the same background load (a shared disk's
    fsync latency swings widely), so their ratios hold even when absolutes drift.
    """
    runs: list[list[Result]] = [[] for _ in measures]
    for _ in range(repeat):
        for results, measure in zip(runs, measures):
            results.append(measure())
    medians = []
    for results in runs:
        results.sort(key=lambda result: result.records_per_second)
        medians.append(results[len(results) // 2])
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=1.0, help="per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to write (default: a temp dir)"
    )
    options = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="weir-bench-log-", dir=options.dir))
    seconds = options.seconds
    pool = payloads()
    print(
        f"payloads {PAYLOAD_BYTES_MIN}-{PAYLOAD_BYTES_MAX} bytes (+{RECORD_HEADER_BYTES} header), "
        f"median of {options.repeat} runs of {seconds} s; dir {base}"
    )

    def run(bench: Callable[..., Result], *arguments: object) -> Callable[[], Result]:
        return lambda: bench(base / "run", seconds, *arguments, pool)

    try:
        print("\n1. append, no fsync (writes reach the OS)")
        for batch in (1, 10, 100, 1000):
            plain, log = interleaved(
                options.repeat, run(bench_plain, batch, False), run(bench_log, batch, False)
            )
            print(plain.line(f"  plain os.write, batch {batch}"))
            print(log.line(f"  LogStorage.append, batch {batch}", plain))
        print("\n2. append + fsync per batch, on the calling thread")
        for batch in (1, 10, 100):
            plain, log = interleaved(
                options.repeat, run(bench_plain, batch, True), run(bench_log, batch, True)
            )
            print(plain.line(f"  plain os.write+os.fdatasync, batch {batch}"))
            print(log.line(f"  append+sync(), batch {batch}", plain))
        print("\n3. group commit: N writers, each waits until its record is durable")
        for writers in (1, 16, 128):
            plain, on_loop, threaded = interleaved(
                options.repeat,
                run(bench_plain, 1, True),
                run(bench_group, writers, False),
                run(bench_group, writers, True),
            )
            ratio = threaded.records_per_second / on_loop.records_per_second
            print(plain.line("  plain os.write+os.fdatasync, batch 1"))
            print(on_loop.line(f"  {writers} writers, sync on the loop", plain))
            print(threaded.line(f"  {writers} writers, SyncWorker thread", plain))
            print(f"  {'':<44} SyncWorker/on-loop: x{ratio:.2f}")
        print("\n4. open: recovery reads and verifies every record")
        plain, opened = bench_open(base / "run", 500_000, pool)
        print(plain.line("  read the segment files + one crc32c"))
        print(opened.line("  LogStorage.open", plain))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
