"""`weir check DIR [--repair --yes]` on real data directories written by a server."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import redis

from tests.servers import weir_server

SEGMENT_HEADER_BYTES = 32
RECORD_HEADER_BYTES = 25
KEYS = 40


def _weir(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "weir", *args], capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL,
    )


def _fill(data: Path) -> None:
    """KEYS entries, one SET each, then a clean shutdown (no snapshot: save rules need time)."""
    with weir_server(data_dir=data) as server:
        client = redis.Redis(port=server.port, socket_timeout=10)
        for i in range(KEYS):
            client.set(f"k{i}", f"value-{i}")
        client.close()


def _record_offsets(segment: Path) -> list[int]:
    """Byte offset of every record in a segment, from the length fields."""
    blob = segment.read_bytes()
    offsets = []
    pos = SEGMENT_HEADER_BYTES
    while pos + RECORD_HEADER_BYTES <= len(blob):
        (length,) = struct.unpack_from("<I", blob, pos)
        offsets.append(pos)
        pos += RECORD_HEADER_BYTES + length
    return offsets


def _corrupt_middle(data: Path) -> tuple[Path, int, int]:
    """Flip a payload byte of a record in the middle; returns (segment, offset, its index)."""
    segments = sorted((data / "wal").glob("*.wal"))
    assert len(segments) == 1
    segment = segments[0]
    offsets = _record_offsets(segment)
    assert len(offsets) >= KEYS
    pos = len(offsets) // 2
    offset = offsets[pos]
    (index,) = struct.unpack_from("<Q", segment.read_bytes(), offset + 16)
    with open(segment, "r+b") as f:
        f.seek(offset + RECORD_HEADER_BYTES + 2)
        byte = f.read(1)
        f.seek(offset + RECORD_HEADER_BYTES + 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    return segment, offset, index


def test_check_clean_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _fill(data)
    done = _weir("check", str(data))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "00000000000000000001.wal" in done.stdout


def test_check_missing_dir_cannot_check(tmp_path: Path) -> None:
    done = _weir("check", str(tmp_path / "nope"))
    assert done.returncode == 2


def test_corrupt_middle_record_is_reported_and_repaired(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _fill(data)
    segment, offset, index = _corrupt_middle(data)

    done = _weir("check", str(data))
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert segment.name in out
    assert str(offset) in out

    # The server refuses to start and says where and what to run; the data is untouched.
    size_before = segment.stat().st_size
    with_error = subprocess.run(
        [sys.executable, "-m", "weir", "server", "--port", "0", "--dir", str(data)],
        capture_output=True, text=True, timeout=60,
    )
    assert with_error.returncode != 0
    message = with_error.stdout + with_error.stderr
    assert segment.name in message and str(offset) in message, message
    assert "weir check" in message
    assert segment.stat().st_size == size_before

    # Without a terminal and without --yes, --repair changes nothing.
    refused = _weir("check", str(data), "--repair")
    assert refused.returncode != 0
    assert segment.stat().st_size == size_before

    repaired = _weir("check", str(data), "--repair", "--yes")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert segment.stat().st_size == offset
    assert _weir("check", str(data)).returncode == 0

    with weir_server(data_dir=data) as server:
        client = redis.Redis(port=server.port, socket_timeout=10)
        # Entry `index` was the SET of k{index-1}: everything before it is there, nothing after.
        kept = index - 1
        assert client.dbsize() == kept
        assert client.get(f"k{kept - 1}") == f"value-{kept - 1}".encode()
        assert client.get(f"k{kept}") is None
        client.set("after-repair", "ok")
        client.close()
    with weir_server(data_dir=data) as server:
        client = redis.Redis(port=server.port, socket_timeout=10)
        assert client.get("after-repair") == b"ok"
        client.close()
