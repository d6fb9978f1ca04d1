"""Snapshot files: streamed in, verified whole before use, newest kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from weir.log import SnapshotCorruptionError, latest_snapshot, write_snapshot
from weir.log.snapshot import list_snapshots, snapshot_name


def test_a_snapshot_reads_back_as_written(tmp_path: Path) -> None:
    chunks = [b"alpha" * 1000, b"", b"beta", bytes(range(256)) * 5000]
    path = write_snapshot(tmp_path, 42, 7, b"voters=1,2,3", chunks)
    assert path == tmp_path / snapshot_name(42, 7)
    latest = latest_snapshot(tmp_path)
    assert latest is not None
    assert (latest.path, latest.index, latest.term, latest.conf) == (path, 42, 7, b"voters=1,2,3")
    assert latest.body_bytes == sum(len(chunk) for chunk in chunks)
    assert latest.read_body() == b"".join(chunks)
    assert b"".join(latest.chunks(chunk_bytes=1000)) == b"".join(chunks)


def test_an_empty_body_and_conf_are_fine(tmp_path: Path) -> None:
    write_snapshot(tmp_path, 1, 1, b"", [])
    latest = latest_snapshot(tmp_path)
    assert latest is not None
    assert (latest.conf, latest.read_body()) == (b"", b"")


def test_no_snapshot_gives_none(tmp_path: Path) -> None:
    assert latest_snapshot(tmp_path) is None


def test_only_the_newest_snapshots_are_kept(tmp_path: Path) -> None:
    for index in (10, 20, 30, 40):
        write_snapshot(tmp_path, index, 1, b"", [str(index).encode()])
    assert [path.name for path in list_snapshots(tmp_path)] == [
        snapshot_name(30, 1),
        snapshot_name(40, 1),
    ]
    write_snapshot(tmp_path, 50, 2, b"", [b"x"], keep=1)
    assert list_snapshots(tmp_path) == [tmp_path / snapshot_name(50, 2)]


def test_snapshots_order_by_index_not_by_name_length(tmp_path: Path) -> None:
    write_snapshot(tmp_path, 9, 1, b"", [b"old"])
    write_snapshot(tmp_path, 10, 1, b"", [b"new"])
    latest = latest_snapshot(tmp_path)
    assert latest is not None
    assert latest.read_body() == b"new"


def test_a_file_changed_after_verification_is_caught_while_streaming(tmp_path: Path) -> None:
    path = write_snapshot(tmp_path, 5, 1, b"c", [b"z" * 10_000])
    latest = latest_snapshot(tmp_path)
    assert latest is not None
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(SnapshotCorruptionError, match="checksum"):
        latest.read_body()
