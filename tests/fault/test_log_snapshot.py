"""A half-written or damaged snapshot is skipped with a warning; the previous one is used."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from weir.log import LogStorage, latest_snapshot, write_snapshot
from weir.log.snapshot import snapshot_name


def two_snapshots(directory: Path) -> Path:
    write_snapshot(directory, 10, 1, b"conf-10", [b"old" * 1000])
    return write_snapshot(directory, 20, 2, b"conf-20", [b"new" * 1000])


def test_a_half_written_temp_file_is_ignored_and_removed_at_open(tmp_path: Path) -> None:
    write_snapshot(tmp_path, 10, 1, b"", [b"old"])
    temp = tmp_path / (snapshot_name(20, 1) + ".tmp")
    temp.write_bytes(b"WEIRSNAP half")
    latest = latest_snapshot(tmp_path)
    assert latest is not None
    assert latest.index == 10
    with LogStorage.open(tmp_path):
        pass
    assert not temp.exists()


@pytest.mark.parametrize(
    "damage",
    ["truncated-body", "truncated-trailer", "flipped-body", "flipped-header", "empty"],
)
def test_a_damaged_newest_snapshot_falls_back_to_the_previous(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    newest = two_snapshots(tmp_path)
    data = bytearray(newest.read_bytes())
    if damage == "truncated-body":
        data = data[: len(data) // 2]
    elif damage == "truncated-trailer":
        data = data[:-3]
    elif damage == "flipped-body":
        data[len(data) // 2] ^= 0x04
    elif damage == "flipped-header":
        data[20] ^= 0x01
    else:
        data = bytearray()
    newest.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="weir.log"):
        latest = latest_snapshot(tmp_path)
    assert latest is not None
    assert (latest.index, latest.term, latest.conf) == (10, 1, b"conf-10")
    assert latest.read_body() == b"old" * 1000
    assert newest.name in caplog.text


def test_a_renamed_snapshot_is_not_trusted(tmp_path: Path) -> None:
    newest = two_snapshots(tmp_path)
    os.rename(newest, tmp_path / snapshot_name(30, 2))
    latest = latest_snapshot(tmp_path)
    assert latest is not None
    assert latest.index == 10


def test_no_valid_snapshot_gives_none(tmp_path: Path) -> None:
    path = write_snapshot(tmp_path, 10, 1, b"", [b"x"])
    path.write_bytes(b"junk")
    assert latest_snapshot(tmp_path) is None
