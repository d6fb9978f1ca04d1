"""A full disk under a running server: clear MISCONF errors, reads go on, nothing is lost.

The data directory is a 2 MiB tmpfs. A filler file on it is deleted to free
space. On tmpfs, fsync cannot fail, so these tests exercise the failed-append
path: the batch that failed stays in memory, `_retry_write` appends it again
every second, and writes resume once it succeeds. (A failed fsync is fatal
until restart by design; see docs/durability.md.)
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.servers import ServerProcess, weir_server

VALUE_BYTES = 2000
FILLER_BYTES = 256 * 1024


def _client(port: int, timeout_s: float) -> redis.Redis:
    # No automatic retry: a resent SET would hide which write was in flight.
    return redis.Redis(port=port, socket_timeout=timeout_s, retry=Retry(NoBackoff(), 0))


def _value(i: int) -> bytes:
    return (b"%08d" % i) * (VALUE_BYTES // 8)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        for _ in range(50):
            if subprocess.run(["umount", str(mnt)], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


class _Writer(threading.Thread):
    """SETs k0, k1, ... one at a time; `acked` counts the replies that were OK."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.client = _client(port, 60)
        self.acked = 0
        self.stop = threading.Event()
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                assert self.client.set(f"k{self.acked}", _value(self.acked)) is True
                self.acked += 1
        except Exception as exc:
            self.error = exc
        finally:
            self.client.close()


def _wait(condition: object, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _write_status(server: ServerProcess) -> str:
    client = _client(server.port, 5)
    try:
        return str(client.info("persistence")["aof_last_write_status"])
    finally:
        client.close()


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_full_disk_refuses_writes_keeps_reads_and_loses_nothing(tiny_disk: Path, policy: str) -> None:
    filler = tiny_disk / "filler"
    filler.write_bytes(b"\xa5" * FILLER_BYTES)
    # The data directory is the mount itself, so the server's log file is elsewhere.
    with weir_server("--appendfsync", policy, data_dir=tiny_disk) as server:
        writer = _Writer(server.port)
        writer.start()
        try:
            _wait(lambda: _write_status(server) == "err", "the disk to fill up")
            stuck_at = writer.acked
            assert stuck_at > 100 and writer.error is None

            probe = _client(server.port, 5)
            with pytest.raises(redis.ResponseError) as info:
                probe.set("probe", "1")
            message = str(info.value)
            assert message.startswith("MISCONF Errors writing to the log on disk")
            assert "No space left on device" in message
            # Reads keep working, from any client, while writes are refused.
            assert probe.ping() is True
            assert probe.get("k0") == _value(0)
            assert probe.get(f"k{stuck_at - 1}") == _value(stuck_at - 1)
            assert probe.dbsize() >= stuck_at
            assert probe.get("probe") is None

            # The retry loop keeps failing without harm; the write in flight is not
            # acknowledged while its batch is not in the log.
            time.sleep(1.5)
            assert server.proc.poll() is None
            assert writer.acked == stuck_at and writer.is_alive()
            assert _write_status(server) == "err"

            writer.stop.set()  # after its write in flight, so it does not fill the disk again
            filler.unlink()
            _wait(lambda: not writer.is_alive(), "the write in flight to be acknowledged", 10)
            assert writer.error is None, writer.error
            acked = writer.acked
            assert acked == stuck_at + 1

            _wait(lambda: _write_status(server) == "ok", "writes to resume", 10)
            assert probe.set("after", "free") is True
            probe.close()
        finally:
            writer.stop.set()
            writer.join(70)
        # A kill, not a clean stop: only what the log holds counts.
        server.kill()

    with weir_server("--appendfsync", policy, data_dir=tiny_disk) as server:
        client = _client(server.port, 10)
        pipe = client.pipeline(transaction=False)
        for i in range(acked):
            pipe.get(f"k{i}")
        values = pipe.execute()
        lost = [i for i, v in enumerate(values) if v != _value(i)]
        assert not lost, f"acknowledged writes lost: {lost[:10]}"
        assert client.get("after") == b"free"
        assert client.get("probe") is None
        client.close()
