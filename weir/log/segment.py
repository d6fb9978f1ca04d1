"""Reading segment files back: names, a verifying scan, and the search for good data past damage."""

from __future__ import annotations

import re
import struct
import sys
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from crc32c import crc32c

from weir.log.records import (
    RECORD_CRC_START,
    RECORD_HEADER,
    RECORD_HEADER_BYTES,
    RECORD_PAYLOAD_BYTES_MAX,
    SEGMENT_HEADER_BYTES,
    SegmentHeader,
    decode_segment_header,
)

SEGMENT_SUFFIX = ".wal"
_SEGMENT_NAME = re.compile(r"^(\d{20})\.wal$")
# Offset of the index field inside a record: length u32, crc u32, term u64.
_INDEX_FIELD_OFFSET = 16
_INDEX_FIELD = struct.Struct("<Q")
# Damage spanning up to this many bytes (lost pages of small records) is stepped
# over one offset at a time; farther good data is found by its index field.
_SEARCH_WINDOW_BYTES = 1 << 20
# Indices looked for past the damage when the window holds no good record.
_SEARCH_INDICES_MAX = 16
# Bounds the bytes checksummed while searching, so a hostile file cannot make it quadratic.
_SEARCH_CRC_BYTES_MAX = 256 << 20


def segment_name(first_index: int) -> str:
    return f"{first_index:020d}{SEGMENT_SUFFIX}"


def parse_segment_name(name: str) -> int | None:
    match = _SEGMENT_NAME.match(name)
    return int(match.group(1)) if match else None


def list_segments(directory: Path) -> list[tuple[int, Path]]:
    """Segment files of `directory` as (first index from the name, path), in log order."""
    found = []
    for path in directory.iterdir():
        first_index = parse_segment_name(path.name)
        if first_index is not None:
            found.append((first_index, path))
    found.sort()
    return found


class Damage(NamedTuple):
    offset: int
    reason: str


@dataclass(frozen=True)
class FoundRecord:
    offset: int
    index: int


@dataclass
class SegmentScan:
    """What a segment file holds, verified record by record up to the first damage."""

    path: Path
    name_index: int
    file_bytes: int
    header: SegmentHeader | None = None
    # offsets[i] is where record header.first_index + i starts.
    offsets: array[int] = field(default_factory=lambda: array("I"))
    # (first index, term) each time the term changes, in index order.
    term_runs: list[tuple[int, int]] = field(default_factory=list)
    last_term: int = 0
    # End of the last good record (or of the header): where a repair truncates.
    valid_end: int = 0
    damage: Damage | None = None
    # A verified record found after the damage: proof the damage is not a torn tail.
    good_after_damage: FoundRecord | None = None

    @property
    def first_index(self) -> int:
        return self.header.first_index if self.header else self.name_index

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.offsets) - 1


def scan_segment(path: Path) -> SegmentScan:
    data = path.read_bytes()
    name_index = parse_segment_name(path.name)
    assert name_index is not None
    scan = SegmentScan(path=path, name_index=name_index, file_bytes=len(data))
    header = decode_segment_header(data)
    if isinstance(header, str):
        scan.damage = Damage(0, header)
        scan.good_after_damage = find_record_after(data, SEGMENT_HEADER_BYTES, name_index)
        return scan
    if header.first_index != name_index:
        scan.damage = Damage(
            0, f"header says first index {header.first_index}, file name says {name_index}"
        )
        scan.good_after_damage = find_record_after(data, SEGMENT_HEADER_BYTES, name_index)
        return scan
    scan.header = header
    _scan_records(scan, data)
    return scan


def _scan_records(scan: SegmentScan, data: bytes) -> None:
    assert scan.header is not None
    view = memoryview(data)
    size = len(data)
    unpack = RECORD_HEADER.unpack_from
    add_offset = scan.offsets.append
    expected = scan.header.first_index
    last_term = scan.header.prev_term
    position = SEGMENT_HEADER_BYTES
    damage: Damage | None = None
    # Bounded: every pass moves `position` forward by at least a record header.
    while position < size:
        if size - position < RECORD_HEADER_BYTES:
            damage = Damage(position, f"torn record header ({size - position} bytes)")
            break
        length, crc, term, index, _kind = unpack(data, position)
        end = position + RECORD_HEADER_BYTES + length
        if length > RECORD_PAYLOAD_BYTES_MAX:
            damage = Damage(position, f"record length {length} is out of range")
            break
        if end > size:
            damage = Damage(
                position, f"torn record (needs {end - position} bytes, {size - position} left)"
            )
            break
        if crc32c(view[position + RECORD_CRC_START : end]) != crc:
            damage = Damage(
                position, f"checksum mismatch in record expected to be index {expected}"
            )
            break
        if index != expected:
            damage = Damage(position, f"record has index {index} where {expected} was expected")
            scan.good_after_damage = FoundRecord(position, index)
            break
        if term < last_term:
            damage = Damage(
                position, f"record {index} has term {term}, lower than {last_term} before it"
            )
            scan.good_after_damage = FoundRecord(position, index)
            break
        if term != last_term:
            scan.term_runs.append((index, term))
            last_term = term
        add_offset(position)
        expected += 1
        position = end
    scan.last_term = last_term
    scan.valid_end = position
    scan.damage = damage
    if damage is not None and scan.good_after_damage is None:
        scan.good_after_damage = _natural_next(data, position, expected) or find_record_after(
            data, position + 1, expected
        )


def _natural_next(data: bytes, offset: int, expected: int) -> FoundRecord | None:
    """The record that follows a damaged one whose length field is intact."""
    if len(data) - offset < RECORD_HEADER_BYTES:
        return None
    length = RECORD_HEADER.unpack_from(data, offset)[0]
    if length > RECORD_PAYLOAD_BYTES_MAX:
        return None
    return _verify_candidate(data, offset + RECORD_HEADER_BYTES + length, expected, expected + 1)


def _verify_candidate(
    data: bytes, offset: int, index_min: int, index_max: int
) -> FoundRecord | None:
    if len(data) - offset < RECORD_HEADER_BYTES:
        return None
    length, crc, _term, index, _kind = RECORD_HEADER.unpack_from(data, offset)
    if not index_min <= index <= index_max:
        return None
    end = offset + RECORD_HEADER_BYTES + length
    if end > len(data):
        return None
    if crc32c(memoryview(data)[offset + RECORD_CRC_START : end]) != crc:
        return None
    return FoundRecord(offset, index)


def find_record_after(data: bytes, start: int, expected: int) -> FoundRecord | None:
    """A verified record at or after `start` whose index is `expected` or later, if any.

    This decides between a torn tail (nothing good follows: truncate) and
    corruption (good data follows: stop). It steps through a window byte by
    byte, then looks for the next few indices by their encoded bytes.
    """
    # No record can be smaller than a header, so later indices are bounded.
    index_max = expected + max(0, len(data) - start) // RECORD_HEADER_BYTES
    window_end = min(len(data) - RECORD_HEADER_BYTES, start + _SEARCH_WINDOW_BYTES)
    for offset in _plausible_offsets(data, start, window_end, expected, index_max):
        found = _verify_candidate(data, offset, expected, index_max)
        if found is not None:
            return found
    checked_bytes = 0
    for index in range(expected, expected + _SEARCH_INDICES_MAX):
        pattern = _INDEX_FIELD.pack(index)
        hit = data.find(pattern, start + _INDEX_FIELD_OFFSET)
        while hit != -1 and checked_bytes < _SEARCH_CRC_BYTES_MAX:
            offset = hit - _INDEX_FIELD_OFFSET
            if len(data) - offset < RECORD_HEADER_BYTES:
                break
            found = _verify_candidate(data, offset, index, index)
            if found is not None:
                return found
            checked_bytes += RECORD_HEADER_BYTES + RECORD_HEADER.unpack_from(data, offset)[0]
            hit = data.find(pattern, hit + 1)
    return None


def _plausible_offsets(
    data: bytes, start: int, last: int, index_min: int, index_max: int
) -> list[int]:
    """Offsets in start..last whose index field holds an index in range, in order.

    The index fields of all offsets of one alignment mod 8 are read as one
    array of u64, so the filter runs at C speed rather than byte by byte.
    """
    offsets: list[int] = []
    for alignment in range(8):
        first = start + alignment
        count = (last - first) // 8 + 1
        if count <= 0:
            continue
        field_start = first + _INDEX_FIELD_OFFSET
        words = array("Q")
        words.frombytes(data[field_start : field_start + 8 * count])
        if sys.byteorder == "big":
            words.byteswap()
        offsets += [first + 8 * i for i, word in enumerate(words) if index_min <= word <= index_max]
    offsets.sort()
    return offsets
