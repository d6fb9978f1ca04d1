"""A torn tail (what a crash mid-write leaves) is cut at open and reported, never mistaken for data."""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path

import pytest

from tests.unit.log.helpers import make_records, segment_paths
from weir.log import LogStorage
from weir.log.records import RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, encode_segment_header

PAYLOAD_BYTES = 48
RECORD_BYTES = RECORD_HEADER_BYTES + PAYLOAD_BYTES
COUNT = 20


def write_log(directory: Path, count: int = COUNT, **options: int) -> None:
    with LogStorage.open(directory, **options) as log:  # type: ignore[arg-type]
        log.append(make_records(1, count, size=PAYLOAD_BYTES))
        log.sync()


def last_segment(directory: Path) -> Path:
    return segment_paths(directory)[-1]


@pytest.mark.parametrize("kept_bytes", range(1, RECORD_BYTES))
def test_last_record_cut_at_every_byte_is_truncated_and_reported(
    tmp_path: Path, kept_bytes: int
) -> None:
    write_log(tmp_path)
    segment = last_segment(tmp_path)
    record_start = segment.stat().st_size - RECORD_BYTES
    os.truncate(segment, record_start + kept_bytes)
    with LogStorage.open(tmp_path) as log:
        assert log.last_index() == COUNT - 1
        assert log.entries(1, COUNT) == make_records(1, COUNT - 1, size=PAYLOAD_BYTES)
        report = log.recovery_report
        assert report is not None
        assert report.torn_tail is not None
        assert report.torn_tail.path == segment
        assert report.torn_tail.offset == record_start
        assert report.torn_tail.first_lost_index == COUNT
        log.append(make_records(COUNT, 1, size=PAYLOAD_BYTES))
    assert segment.stat().st_size == record_start + RECORD_BYTES
    with LogStorage.open(tmp_path) as log:
        assert log.recovery_report is not None
        assert log.recovery_report.torn_tail is None
        assert log.last_index() == COUNT


def test_a_cut_on_a_record_boundary_is_a_clean_log(tmp_path: Path) -> None:
    write_log(tmp_path)
    segment = last_segment(tmp_path)
    os.truncate(segment, segment.stat().st_size - RECORD_BYTES)
    with LogStorage.open(tmp_path) as log:
        assert log.last_index() == COUNT - 1
        assert log.recovery_report is not None
        assert log.recovery_report.torn_tail is None


@pytest.mark.parametrize(
    "tail",
    [b"\x00" * 4096, random.Random(7).randbytes(4096), b"\xff" * 7],
    ids=["zeros", "garbage", "short-garbage"],
)
def test_junk_after_the_last_record_is_cut(tmp_path: Path, tail: bytes) -> None:
    write_log(tmp_path)
    segment = last_segment(tmp_path)
    size = segment.stat().st_size
    with segment.open("ab") as file:
        file.write(tail)
    with LogStorage.open(tmp_path) as log:
        assert log.last_index() == COUNT
        assert log.recovery_report is not None
        assert log.recovery_report.torn_tail is not None
        assert log.recovery_report.torn_tail.offset == size
    assert segment.stat().st_size == size


def test_a_bad_checksum_in_the_very_last_record_is_a_torn_tail(tmp_path: Path) -> None:
    write_log(tmp_path)
    segment = last_segment(tmp_path)
    data = bytearray(segment.read_bytes())
    data[-1] ^= 0x01
    segment.write_bytes(bytes(data))
    with LogStorage.open(tmp_path) as log:
        assert log.last_index() == COUNT - 1
        assert log.recovery_report is not None
        assert log.recovery_report.torn_tail is not None
        assert "checksum" in log.recovery_report.torn_tail.reason


def test_the_cut_is_logged_as_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_log(tmp_path)
    segment = last_segment(tmp_path)
    os.truncate(segment, segment.stat().st_size - 5)
    with caplog.at_level(logging.WARNING, logger="weir.log"), LogStorage.open(tmp_path):
        pass
    assert segment.name in caplog.text
    assert "torn tail" in caplog.text


@pytest.mark.parametrize("header_bytes", [0, 1, SEGMENT_HEADER_BYTES - 1])
def test_a_torn_header_of_a_new_last_segment_removes_it(tmp_path: Path, header_bytes: int) -> None:
    write_log(tmp_path, segment_bytes_max=1024)
    files = segment_paths(tmp_path)
    next_first = COUNT + 1
    torn = tmp_path / f"{next_first:020d}.wal"
    torn.write_bytes(files[-1].read_bytes()[:header_bytes])
    with LogStorage.open(tmp_path, segment_bytes_max=1024) as log:
        assert log.last_index() == COUNT
        assert log.recovery_report is not None
        assert log.recovery_report.torn_tail is not None
        assert log.recovery_report.torn_tail.path == torn
    assert not torn.exists()


def test_a_torn_tail_followed_only_by_an_empty_segment_is_cut(tmp_path: Path) -> None:
    # A crash right after a rollover: the old segment's last write is torn and
    # the new segment holds only its header.
    write_log(tmp_path)
    old = last_segment(tmp_path)
    new = tmp_path / f"{COUNT + 1:020d}.wal"
    new.write_bytes(encode_segment_header(COUNT + 1, 1))
    os.truncate(old, old.stat().st_size - 3)
    with LogStorage.open(tmp_path) as log:
        assert log.last_index() == COUNT - 1
        assert log.recovery_report is not None
        cut = log.recovery_report.torn_tail
        assert cut is not None
        assert cut.path == old
        assert cut.removed_paths == (new,)
    assert not new.exists()
