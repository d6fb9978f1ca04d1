"""Log records and their on-disk encoding (layout tables: docs/durability.md).

A segment file is a header followed by records:

    header  magic "WEIRWAL\\n" | version u16 | flags u16 | first_index u64
            | prev_term u64 | crc32c u32 (over the 28 bytes before it)
    record  length u32 | crc32c u32 | term u64 | index u64 | kind u8 | payload

All integers are little-endian. `length` is the payload size; a record's CRC
covers everything after it (term, index, kind, payload). `prev_term` is the
term of the entry just before `first_index`, so a log whose prefix was
compacted away still knows the term at its start.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from crc32c import crc32c

SEGMENT_MAGIC = b"WEIRWAL\n"
SEGMENT_VERSION = 1
SEGMENT_HEADER = struct.Struct("<8sHHQQ")
SEGMENT_HEADER_CRC = struct.Struct("<I")
SEGMENT_HEADER_BYTES = SEGMENT_HEADER.size + SEGMENT_HEADER_CRC.size

RECORD_PREFIX = struct.Struct("<II")  # length, crc32c
RECORD_BODY = struct.Struct("<QQB")  # term, index, kind: the start of what the CRC covers
RECORD_HEADER = struct.Struct("<IIQQB")
RECORD_HEADER_BYTES = RECORD_HEADER.size
# The CRC covers the record from this offset on.
RECORD_CRC_START = RECORD_PREFIX.size
# Bounds a length read from disk, so a damaged length cannot ask for gigabytes.
RECORD_PAYLOAD_BYTES_MAX = 1 << 30


class LogRecord(NamedTuple):
    """One Raft log entry. `data` must be bytes: the log keeps a reference."""

    term: int
    # Shadows tuple.index, as the Raft name must.
    index: int  # type: ignore[assignment]
    kind: int
    data: bytes


def encode_segment_header(first_index: int, prev_term: int) -> bytes:
    head = SEGMENT_HEADER.pack(SEGMENT_MAGIC, SEGMENT_VERSION, 0, first_index, prev_term)
    return head + SEGMENT_HEADER_CRC.pack(crc32c(head))


class SegmentHeader(NamedTuple):
    first_index: int
    prev_term: int


def decode_segment_header(buf: bytes | memoryview) -> SegmentHeader | str:
    """The header, or the reason it cannot be trusted."""
    if len(buf) < SEGMENT_HEADER_BYTES:
        return f"header is {len(buf)} bytes, expected {SEGMENT_HEADER_BYTES}"
    magic, version, _flags, first_index, prev_term = SEGMENT_HEADER.unpack_from(buf)
    if magic != SEGMENT_MAGIC:
        return f"bad magic {bytes(magic)!r}"
    (crc,) = SEGMENT_HEADER_CRC.unpack_from(buf, SEGMENT_HEADER.size)
    if crc != crc32c(bytes(buf[: SEGMENT_HEADER.size])):
        return "header checksum mismatch"
    if version != SEGMENT_VERSION:
        return f"unsupported format version {version} (this build reads {SEGMENT_VERSION})"
    if first_index < 1:
        return f"first index {first_index} in header"
    return SegmentHeader(first_index, prev_term)
