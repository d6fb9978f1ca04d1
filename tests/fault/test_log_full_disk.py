"""A full disk or a failing fsync raises LogWriteError and leaves a log that reads and reopens."""

from __future__ import annotations

import errno
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.log.helpers import FailingFileIO, make_records, segment_paths
from weir.log import HardState, LogStorage, LogWriteError, latest_snapshot, write_snapshot
from weir.log.records import RECORD_HEADER_BYTES

PAYLOAD_BYTES = 48
RECORD_BYTES = RECORD_HEADER_BYTES + PAYLOAD_BYTES


def open_log(directory: Path, io: FailingFileIO, **options: int) -> LogStorage:
    return LogStorage.open(directory, file_io=io, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("bytes_left", [0, 1, RECORD_BYTES - 1, RECORD_BYTES, 3 * RECORD_BYTES + 5])
def test_a_failed_append_changes_nothing(tmp_path: Path, bytes_left: int) -> None:
    io = FailingFileIO()
    with open_log(tmp_path, io) as log:
        log.append(make_records(1, 10))
        size = segment_paths(tmp_path)[-1].stat().st_size
        io.write_bytes_left = bytes_left
        with pytest.raises(LogWriteError) as raised:
            log.append(make_records(11, 5))
        assert raised.value.errno == errno.ENOSPC
        assert "No space left" in str(raised.value)
        assert log.last_index() == 10
        assert log.entries(1, 11) == make_records(1, 10)
        assert segment_paths(tmp_path)[-1].stat().st_size == size
        # Space is freed: the same append now succeeds.
        io.write_bytes_left = None
        log.append(make_records(11, 5))
        log.sync()
    with LogStorage.open(tmp_path) as log:
        assert log.recovery_report is not None
        assert log.recovery_report.torn_tail is None
        assert log.entries(1, 16) == make_records(1, 15)


def test_a_failed_append_across_a_rollover_is_undone_in_every_segment(tmp_path: Path) -> None:
    io = FailingFileIO()
    with open_log(tmp_path, io, segment_bytes_max=1024) as log:
        log.append(make_records(1, 5))
        # Enough for the rest of the first segment and a header, not for the second's records.
        io.write_bytes_left = 1024
        with pytest.raises(LogWriteError):
            log.append(make_records(6, 30))
        assert log.last_index() == 5
        assert log.entries(1, 6) == make_records(1, 5)
        io.write_bytes_left = None
        log.append(make_records(6, 30))
        assert log.entries(1, 36) == make_records(1, 35)
    with LogStorage.open(tmp_path, segment_bytes_max=1024) as log:
        assert log.recovery_report is not None
        assert log.recovery_report.torn_tail is None
        assert log.entries(1, 36) == make_records(1, 35)


def test_when_the_undo_fails_too_the_partial_bytes_are_cut_at_next_open(tmp_path: Path) -> None:
    io = FailingFileIO()
    with open_log(tmp_path, io) as log:
        log.append(make_records(1, 10))
        io.write_bytes_left = RECORD_BYTES + 10
        io.fail_truncate = True
        with pytest.raises(LogWriteError):
            log.append(make_records(11, 5))
        with pytest.raises(LogWriteError, match="reopen"):
            log.append(make_records(11, 1))
        assert log.entries(1, 11) == make_records(1, 10)
    with LogStorage.open(tmp_path) as log:
        # The one whole record that reached the file was never acknowledged;
        # keeping it is allowed (as for any unsynced write), inventing data is not.
        assert log.last_index() in (10, 11)
        assert log.entries(1, log.last_index() + 1) == make_records(1, log.last_index())
        assert log.recovery_report is not None
        assert log.recovery_report.torn_tail is not None


def test_a_failed_fsync_refuses_writes_until_reopen(tmp_path: Path) -> None:
    io = FailingFileIO()
    with open_log(tmp_path, io) as log:
        log.append(make_records(1, 10))
        log.sync()
        log.append(make_records(11, 2))
        io.fail_sync = True
        with pytest.raises(LogWriteError) as raised:
            log.sync()
        assert raised.value.operation == "fsync"
        assert raised.value.errno == errno.EIO
        assert log.synced_index == 10
        io.fail_sync = False
        for attempt in (
            lambda: log.append(make_records(13, 1)),
            log.sync,
            lambda: log.truncate_suffix(5),
        ):
            with pytest.raises(LogWriteError, match="reopen"):
                attempt()
        assert log.entries(1, 13) == make_records(1, 12)
    with LogStorage.open(tmp_path) as log:
        assert log.entries(1, 13) == make_records(1, 12)
        log.append(make_records(13, 1))


def test_a_failed_hard_state_save_keeps_the_previous_one(tmp_path: Path) -> None:
    io = FailingFileIO()
    with open_log(tmp_path, io) as log:
        log.save_hard_state(HardState(1, 1, 0))
        io.write_bytes_left = 3
        with pytest.raises(LogWriteError):
            log.save_hard_state(HardState(2, 3, 0))
        assert log.hard_state == HardState(1, 1, 0)
    assert not list(tmp_path.glob("*.tmp"))
    with LogStorage.open(tmp_path) as log:
        assert log.hard_state == HardState(1, 1, 0)


def test_a_failed_snapshot_write_keeps_the_previous_snapshot(tmp_path: Path) -> None:
    write_snapshot(tmp_path, 10, 1, b"conf", [b"a" * 1000])
    io = FailingFileIO()
    io.write_bytes_left = 500
    with pytest.raises(LogWriteError):
        write_snapshot(tmp_path, 20, 1, b"conf", [b"b" * 1000], file_io=io)
    assert not list(tmp_path.glob("*.tmp"))
    latest = latest_snapshot(tmp_path)
    assert latest is not None
    assert latest.index == 10


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_a_real_full_disk(tiny_tmpfs: Path) -> None:
    directory = tiny_tmpfs / "data"
    with LogStorage.open(directory, segment_bytes_max=256 * 1024) as log:
        index = 1
        with pytest.raises(LogWriteError) as raised:
            # Bounded: 1 MiB fills after about 1300 batches of 10 records.
            while index < 100_000:
                log.append(make_records(index, 10, size=PAYLOAD_BYTES))
                log.sync()
                index += 10
        assert raised.value.errno == errno.ENOSPC
        last = log.last_index()
        assert last == index - 1
        assert log.entries(1, last + 1) == make_records(1, last, size=PAYLOAD_BYTES)
    with LogStorage.open(directory, segment_bytes_max=256 * 1024) as log:
        assert log.last_index() == last
        log.compact_prefix(last - 100, 1)
        assert log.entries(last - 99, last + 1) == make_records(last - 99, 100, size=PAYLOAD_BYTES)
