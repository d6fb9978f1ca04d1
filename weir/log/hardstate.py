"""The Raft hard state (term, vote, commit) in its own small file, replaced atomically.

magic "WEIRHST\\n" | version u16 | flags u16 | term u64 | vote u64 | commit u64 | crc32c u32
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import NamedTuple

from crc32c import crc32c

from weir.log.errors import LogCorruptionError
from weir.log.fileio import FileIO, write_file_atomically

HARD_STATE_FILE = "hardstate"
_MAGIC = b"WEIRHST\n"
_VERSION = 1
_BODY = struct.Struct("<8sHHQQQ")
_CRC = struct.Struct("<I")
HARD_STATE_BYTES = _BODY.size + _CRC.size


class HardState(NamedTuple):
    """What Raft must not forget across a restart. `vote` 0 means no vote in `term`."""

    term: int = 0
    vote: int = 0
    commit: int = 0


def encode_hard_state(state: HardState) -> bytes:
    body = _BODY.pack(_MAGIC, _VERSION, 0, state.term, state.vote, state.commit)
    return body + _CRC.pack(crc32c(body))


def decode_hard_state(data: bytes) -> HardState | str:
    """The state, or the reason the bytes cannot be trusted."""
    if len(data) != HARD_STATE_BYTES:
        return f"{len(data)} bytes, expected {HARD_STATE_BYTES}"
    magic, version, _flags, term, vote, commit = _BODY.unpack_from(data)
    if magic != _MAGIC:
        return f"bad magic {magic!r}"
    if _CRC.unpack_from(data, _BODY.size)[0] != crc32c(data[: _BODY.size]):
        return "checksum mismatch"
    if version != _VERSION:
        return f"unsupported format version {version} (this build reads {_VERSION})"
    return HardState(term, vote, commit)


def read_hard_state(directory: Path) -> HardState:
    """The saved state; the zero state if none was ever saved."""
    path = directory / HARD_STATE_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return HardState()
    state = decode_hard_state(data)
    if isinstance(state, str):
        # The file is replaced atomically, so damage here is not a torn write.
        raise LogCorruptionError(path, 0, state)
    return state


def write_hard_state(directory: Path, state: HardState, io: FileIO) -> None:
    write_file_atomically(directory / HARD_STATE_FILE, encode_hard_state(state), io)
