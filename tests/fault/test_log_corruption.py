"""Damage followed by good data stops the open with an error naming the file and offset."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unit.log.helpers import make_records, segment_paths
from weir.log import LogCorruptionError, LogRecord, LogStorage
from weir.log.records import RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, encode_segment_header

PAYLOAD_BYTES = 48
RECORD_BYTES = RECORD_HEADER_BYTES + PAYLOAD_BYTES
COUNT = 20


def write_log(directory: Path, records: list[LogRecord] | None = None, **options: int) -> None:
    with LogStorage.open(directory, **options) as log:  # type: ignore[arg-type]
        log.append(records or make_records(1, COUNT, size=PAYLOAD_BYTES))
        log.sync()


def record_offset(index: int) -> int:
    """Where record `index` starts in the first segment of a log of equal records."""
    return SEGMENT_HEADER_BYTES + (index - 1) * RECORD_BYTES


def flip(path: Path, offset: int, mask: int = 0x01) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


# Field offsets inside a record: length 0, crc 4, term 8, index 16, kind 24, payload 25.
@pytest.mark.parametrize(
    ("field_offset", "mask"),
    [
        (0, 0x01),
        (2, 0x01),
        (3, 0x40),
        (4, 0x01),
        (8, 0x01),
        (16, 0x01),
        (24, 0x01),
        (25, 0x01),
        (72, 0x80),
    ],
    ids=[
        "length-low",
        "length-past-the-end",
        "length-huge",
        "crc",
        "term",
        "index",
        "kind",
        "payload-first",
        "payload-last",
    ],
)
def test_a_flipped_byte_in_a_middle_record_raises(
    tmp_path: Path, field_offset: int, mask: int
) -> None:
    write_log(tmp_path)
    segment = segment_paths(tmp_path)[0]
    flip(segment, record_offset(10) + field_offset, mask)
    with pytest.raises(LogCorruptionError) as raised:
        LogStorage.open(tmp_path)
    error = raised.value
    assert error.path == segment
    assert error.offset == record_offset(10)
    assert str(segment) in str(error)
    assert f"offset {record_offset(10)}" in str(error)
    assert "weir check" in str(error)
    # Nothing was cut: the operator decides.
    assert segment.stat().st_size == record_offset(COUNT + 1)


def test_the_failed_open_releases_the_lock(tmp_path: Path) -> None:
    write_log(tmp_path)
    flip(segment_paths(tmp_path)[0], record_offset(3) + 30)
    for _ in range(2):
        with pytest.raises(LogCorruptionError):
            LogStorage.open(tmp_path)


def test_damage_at_the_end_of_a_non_last_segment_raises(tmp_path: Path) -> None:
    write_log(tmp_path, segment_bytes_max=1024)
    files = segment_paths(tmp_path)
    first = files[0]
    flip(first, first.stat().st_size - 1)
    with pytest.raises(LogCorruptionError) as raised:
        LogStorage.open(tmp_path, segment_bytes_max=1024)
    assert raised.value.path == first
    assert raised.value.offset == first.stat().st_size - RECORD_BYTES


def test_a_missing_middle_segment_raises(tmp_path: Path) -> None:
    write_log(tmp_path, make_records(1, 60, size=PAYLOAD_BYTES), segment_bytes_max=1024)
    files = segment_paths(tmp_path)
    assert len(files) >= 3
    files[1].unlink()
    with pytest.raises(LogCorruptionError, match="missing") as raised:
        LogStorage.open(tmp_path, segment_bytes_max=1024)
    assert raised.value.path == files[2]


def test_a_damaged_header_in_the_middle_raises(tmp_path: Path) -> None:
    write_log(tmp_path, make_records(1, 60, size=PAYLOAD_BYTES), segment_bytes_max=1024)
    files = segment_paths(tmp_path)
    flip(files[1], 12)
    with pytest.raises(LogCorruptionError, match="header") as raised:
        LogStorage.open(tmp_path, segment_bytes_max=1024)
    assert (raised.value.path, raised.value.offset) == (files[1], 0)


def test_a_header_that_disagrees_with_its_neighbour_raises(tmp_path: Path) -> None:
    write_log(tmp_path, make_records(1, 60, size=PAYLOAD_BYTES), segment_bytes_max=1024)
    files = segment_paths(tmp_path)
    first_index = int(files[1].name.removesuffix(".wal"))
    data = files[1].read_bytes()
    files[1].write_bytes(encode_segment_header(first_index, 9) + data[SEGMENT_HEADER_BYTES:])
    with pytest.raises(LogCorruptionError, match="term before"):
        LogStorage.open(tmp_path, segment_bytes_max=1024)


def test_a_lost_page_before_good_data_raises(tmp_path: Path) -> None:
    # Pages written back out of order, then power lost: a hole of zeros.
    write_log(tmp_path, make_records(1, 400, size=PAYLOAD_BYTES))
    segment = segment_paths(tmp_path)[0]
    data = bytearray(segment.read_bytes())
    data[8192:12288] = bytes(4096)
    segment.write_bytes(bytes(data))
    with pytest.raises(LogCorruptionError) as raised:
        LogStorage.open(tmp_path)
    assert raised.value.offset <= 8192


def test_a_damaged_length_before_a_record_beyond_the_search_window_raises(tmp_path: Path) -> None:
    # Records larger than the byte-by-byte window are found by their index field.
    big = 1_500_000
    records = [LogRecord(1, index, 0, bytes([index]) * big) for index in range(1, 4)]
    write_log(tmp_path, records)
    segment = segment_paths(tmp_path)[0]
    flip(segment, SEGMENT_HEADER_BYTES + 2, 0x10)
    with pytest.raises(LogCorruptionError) as raised:
        LogStorage.open(tmp_path)
    assert raised.value.offset == SEGMENT_HEADER_BYTES
    assert "verified record 2 follows" in raised.value.reason


def test_damage_found_while_reading_raises(tmp_path: Path) -> None:
    write_log(tmp_path)
    segment = segment_paths(tmp_path)[0]
    with LogStorage.open(tmp_path, cache_bytes_max=0) as log:
        fd = os.open(segment, os.O_WRONLY)
        os.pwrite(fd, b"\xff", record_offset(5) + 40)
        os.close(fd)
        assert log.entries(1, 5) == make_records(1, 4, size=PAYLOAD_BYTES)
        with pytest.raises(LogCorruptionError) as raised:
            log.entries(1, 10)
        assert (raised.value.path, raised.value.offset) == (segment, record_offset(5))
