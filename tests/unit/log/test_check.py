"""`weir check DIR [--repair]`: the report, and a repair that needs consent."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.unit.log.helpers import make_records, segment_paths
from weir.log import HardState, LogCorruptionError, LogStorage, write_snapshot
from weir.log.check import (
    EXIT_CANNOT_CHECK,
    EXIT_DAMAGED,
    EXIT_OK,
    check_dir,
    check_main,
    repair_dir,
)
from weir.log.hardstate import HARD_STATE_FILE
from weir.log.lock import DirectoryLock
from weir.log.records import RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES

RECORD_BYTES = RECORD_HEADER_BYTES + 48


def healthy_dir(directory: Path) -> Path:
    with LogStorage.open(directory, segment_bytes_max=1024) as log:
        log.append(make_records(1, 40))
        log.save_hard_state(HardState(2, 1, 40))
        log.sync()
    write_snapshot(directory, 20, 1, b"", [b"image"])
    return directory


def corrupt_middle(directory: Path) -> Path:
    """Flip a payload byte of record 3 of the first segment; good records follow it."""
    segment = segment_paths(directory)[0]
    data = bytearray(segment.read_bytes())
    data[SEGMENT_HEADER_BYTES + 2 * RECORD_BYTES + 30] ^= 0x01
    segment.write_bytes(bytes(data))
    return segment


def test_a_healthy_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    healthy_dir(tmp_path)
    report = check_dir(tmp_path)
    assert report.ok
    assert report.opens
    assert report.locked_by is None
    assert report.segments[0].first_index == 1
    assert report.segments[-1].last_index == 40
    assert report.hard_state == HardState(2, 1, 40)
    assert [snapshot.info.index for snapshot in report.snapshots if snapshot.info] == [20]
    assert check_main(str(tmp_path), repair=False, assume_yes=False) == EXIT_OK
    assert "healthy" in capsys.readouterr().out


def test_corruption_is_reported_with_file_and_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    segment = corrupt_middle(healthy_dir(tmp_path))
    report = check_dir(tmp_path)
    assert not report.ok
    assert not report.opens
    assert report.damage is not None
    assert (report.damage.path, report.damage.offset) == (
        segment,
        SEGMENT_HEADER_BYTES + 2 * RECORD_BYTES,
    )
    assert report.damage.first_lost_index == 3
    assert report.damage.good_index_max == 40
    assert check_main(str(tmp_path), repair=False, assume_yes=False) == EXIT_DAMAGED
    out = capsys.readouterr().out
    assert segment.name in out
    assert "--repair" in out


def test_repair_with_consent_cuts_at_the_first_bad_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corrupt_middle(healthy_dir(tmp_path))
    assert check_main(str(tmp_path), repair=True, assume_yes=True) == EXIT_OK
    assert "repaired" in capsys.readouterr().out
    assert check_dir(tmp_path).ok
    with LogStorage.open(tmp_path) as log:
        assert log.last_index() == 2
        assert log.entries(1, 3) == make_records(1, 2)
        # Repair leaves the hard state and snapshots alone.
        assert log.hard_state == HardState(2, 1, 40)


def test_repair_without_a_terminal_asks_nothing_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    segment = corrupt_middle(healthy_dir(tmp_path))
    before = segment.read_bytes()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert check_main(str(tmp_path), repair=True, assume_yes=False) == EXIT_DAMAGED
    assert "consent" in capsys.readouterr().out
    assert segment.read_bytes() == before


def test_repair_declined_at_the_prompt_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    segment = corrupt_middle(healthy_dir(tmp_path))
    before = segment.read_bytes()
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("rich.prompt.Confirm.ask", lambda *args, **kwargs: False)
    assert check_main(str(tmp_path), repair=True, assume_yes=False) == EXIT_DAMAGED
    assert segment.read_bytes() == before
    with pytest.raises(LogCorruptionError):
        LogStorage.open(tmp_path)


def test_a_torn_tail_is_reported_as_one(tmp_path: Path) -> None:
    healthy_dir(tmp_path)
    last = segment_paths(tmp_path)[-1]
    with last.open("ab") as file:
        file.write(b"\x01\x02\x03")
    report = check_dir(tmp_path)
    assert report.damage is not None
    assert report.damage.torn_tail
    assert report.opens
    assert not report.ok
    repair_dir(tmp_path)
    assert check_dir(tmp_path).ok


def test_a_missing_segment_repair_drops_everything_after_the_gap(tmp_path: Path) -> None:
    healthy_dir(tmp_path)
    files = segment_paths(tmp_path)
    files[1].unlink()
    result = repair_dir(tmp_path)
    assert result.cut is not None
    assert result.cut.path == files[2]
    assert segment_paths(tmp_path) == files[:1]
    with LogStorage.open(tmp_path) as log:
        assert log.last_index() == int(files[1].name.removesuffix(".wal")) - 1


def test_a_damaged_hard_state_is_reported_and_not_repaired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    healthy_dir(tmp_path)
    (tmp_path / HARD_STATE_FILE).write_bytes(b"garbage")
    report = check_dir(tmp_path)
    assert report.hard_state_problem is not None
    assert not report.opens
    assert check_main(str(tmp_path), repair=True, assume_yes=True) == EXIT_DAMAGED
    assert "hard state" in capsys.readouterr().out


def test_a_directory_in_use_is_checked_but_not_repaired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corrupt_middle(healthy_dir(tmp_path))
    # Hold the lock the way a running server does.
    lock = DirectoryLock.acquire(tmp_path)
    try:
        report = check_dir(tmp_path)
        assert report.locked_by is not None
        assert check_main(str(tmp_path), repair=True, assume_yes=True) == EXIT_CANNOT_CHECK
        assert "in use" in capsys.readouterr().out
    finally:
        lock.release()


def test_snapshots_may_live_in_their_own_directory(tmp_path: Path) -> None:
    with LogStorage.open(tmp_path / "wal") as log:
        log.append(make_records(1, 3))
    (tmp_path / "snapshots").mkdir()
    write_snapshot(tmp_path / "snapshots", 2, 1, b"", [b"image"])
    report = check_dir(tmp_path / "wal", snapshot_dir=tmp_path / "snapshots")
    assert report.ok
    assert [snapshot.info.index for snapshot in report.snapshots if snapshot.info] == [2]


def test_a_missing_directory(tmp_path: Path) -> None:
    assert check_main(str(tmp_path / "nope"), repair=False, assume_yes=False) == EXIT_CANNOT_CHECK
