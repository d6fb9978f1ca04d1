"""The hard state file: replaced atomically, checked on read."""

from __future__ import annotations

from pathlib import Path

import pytest

from weir.log import FileIO, HardState, LogCorruptionError
from weir.log.hardstate import (
    HARD_STATE_BYTES,
    HARD_STATE_FILE,
    read_hard_state,
    write_hard_state,
)


def test_a_missing_file_is_the_zero_state(tmp_path: Path) -> None:
    assert read_hard_state(tmp_path) == HardState(term=0, vote=0, commit=0)


def test_it_reads_back_what_was_written(tmp_path: Path) -> None:
    write_hard_state(tmp_path, HardState(term=2**40, vote=5, commit=123), FileIO())
    assert read_hard_state(tmp_path) == HardState(2**40, 5, 123)
    write_hard_state(tmp_path, HardState(term=2**40 + 1, vote=0, commit=124), FileIO())
    assert read_hard_state(tmp_path) == HardState(2**40 + 1, 0, 124)
    assert [path.name for path in tmp_path.iterdir()] == [HARD_STATE_FILE]


@pytest.mark.parametrize("offset", [0, 9, 12, 20, 28, HARD_STATE_BYTES - 1])
def test_any_flipped_byte_is_caught(tmp_path: Path, offset: int) -> None:
    write_hard_state(tmp_path, HardState(3, 1, 7), FileIO())
    path = tmp_path / HARD_STATE_FILE
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(LogCorruptionError) as raised:
        read_hard_state(tmp_path)
    assert raised.value.path == path


def test_a_short_file_is_caught(tmp_path: Path) -> None:
    (tmp_path / HARD_STATE_FILE).write_bytes(b"WEIRHST\n")
    with pytest.raises(LogCorruptionError, match="bytes"):
        read_hard_state(tmp_path)
