"""Snapshot files: a point-in-time image of the state machine, written atomically.

    header   magic "WEIRSNAP" | version u16 | flags u16 | conf_bytes u32 | index u64 | term u64
    conf     conf_bytes bytes (cluster configuration at `index`)
    body     the state machine image, streamed; its length is known only at the end
    trailer  body_bytes u64 | crc32c u32 (over header, conf and body) | magic "WEIRSEND"

A snapshot is trusted only after its whole file was checksummed; a
half-written or damaged one is skipped with a warning and the previous one
is used.
"""

from __future__ import annotations

import logging
import os
import re
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from crc32c import crc32c

from weir.log.errors import LogWriteError, SnapshotCorruptionError
from weir.log.fileio import FileIO, sync_directory

logger = logging.getLogger("weir.log")

_MAGIC = b"WEIRSNAP"
_END_MAGIC = b"WEIRSEND"
_VERSION = 1
_HEADER = struct.Struct("<8sHHIQQ")
_TRAILER = struct.Struct("<QI8s")
_NAME = re.compile(r"^snapshot-(\d{20})-(\d{20})\.snap$")
# Small chunks are gathered into writes of about this size.
_WRITE_BYTES = 1 << 20
READ_CHUNK_BYTES = 1 << 20
KEEP_DEFAULT = 2


def snapshot_name(index: int, term: int) -> str:
    return f"snapshot-{index:020d}-{term:020d}.snap"


@dataclass(frozen=True)
class SnapshotInfo:
    """A verified snapshot file."""

    path: Path
    index: int
    term: int
    conf: bytes
    body_offset: int
    body_bytes: int
    crc: int

    def chunks(self, chunk_bytes: int = READ_CHUNK_BYTES) -> Iterator[bytes]:
        """Stream the body; raises SnapshotCorruptionError at the end if the file changed
        since it was verified."""
        with self.path.open("rb") as file:
            crc = crc32c(file.read(self.body_offset))
            left = self.body_bytes
            # Bounded by body_bytes: each pass reads at least one byte or stops.
            while left > 0:
                chunk = file.read(min(chunk_bytes, left))
                if not chunk:
                    raise SnapshotCorruptionError(self.path, "file is shorter than when verified")
                crc = crc32c(chunk, crc)
                left -= len(chunk)
                yield chunk
        if crc != self.crc:
            raise SnapshotCorruptionError(self.path, "checksum changed since it was verified")

    def read_body(self) -> bytes:
        return b"".join(self.chunks())


def write_snapshot(
    directory: str | os.PathLike[str],
    index: int,
    term: int,
    conf: bytes,
    chunks: Iterable[bytes],
    *,
    keep: int = KEEP_DEFAULT,
    file_io: FileIO | None = None,
) -> Path:
    """Stream a snapshot to a temp file, fsync it, rename it into place, fsync the
    directory, then delete all but the newest `keep` snapshots. Returns its path."""
    assert keep >= 1
    io = file_io or FileIO()
    folder = Path(directory)
    path = folder / snapshot_name(index, term)
    temp = path.with_name(path.name + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        header = _HEADER.pack(_MAGIC, _VERSION, 0, len(conf), index, term) + conf
        crc = crc32c(header)
        pending = bytearray(header)
        offset = 0
        body_bytes = 0
        for chunk in chunks:
            crc = crc32c(chunk, crc)
            body_bytes += len(chunk)
            pending += chunk
            if len(pending) >= _WRITE_BYTES:
                io.write(fd, bytes(pending), offset)
                offset += len(pending)
                pending.clear()
        pending += _TRAILER.pack(body_bytes, crc, _END_MAGIC)
        io.write(fd, bytes(pending), offset)
        io.sync(fd)
    except OSError as error:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise LogWriteError(temp, "write snapshot", error) from error
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    os.close(fd)
    try:
        os.replace(temp, path)
        sync_directory(folder, io)
        for old in list_snapshots(folder)[:-keep]:
            if old != path:
                old.unlink()
        sync_directory(folder, io)
    except OSError as error:
        raise LogWriteError(path, "install snapshot", error) from error
    return path


def list_snapshots(directory: Path) -> list[Path]:
    """Snapshot files of `directory`, oldest first (by index, then term, from their names)."""
    found = []
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), int(match.group(2)), path))
    found.sort()
    return [path for _, _, path in found]


def verify_snapshot(path: Path) -> SnapshotInfo | str:
    """Checksum the whole file; the snapshot, or the reason it cannot be trusted."""
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            head = file.read(_HEADER.size)
            if len(head) < _HEADER.size:
                return f"file is {size} bytes, too short for a header"
            magic, version, _flags, conf_bytes, index, term = _HEADER.unpack(head)
            if magic != _MAGIC:
                return f"bad magic {magic!r}"
            if version != _VERSION:
                return f"unsupported format version {version} (this build reads {_VERSION})"
            body_offset = _HEADER.size + conf_bytes
            body_bytes = size - body_offset - _TRAILER.size
            if body_bytes < 0:
                return f"file is {size} bytes, too short for its header and trailer"
            conf = file.read(conf_bytes)
            crc = crc32c(conf, crc32c(head))
            left = body_bytes
            # Bounded by body_bytes.
            while left > 0:
                chunk = file.read(min(READ_CHUNK_BYTES, left))
                if not chunk:
                    return "file shrank while being read"
                crc = crc32c(chunk, crc)
                left -= len(chunk)
            trailer = file.read(_TRAILER.size)
            if len(trailer) < _TRAILER.size:
                return "file shrank while being read"
            stored_bytes, stored_crc, end_magic = _TRAILER.unpack(trailer)
    except OSError as error:
        return f"cannot read: {error.strerror or error}"
    if end_magic != _END_MAGIC or stored_bytes != body_bytes:
        return "trailer missing or wrong: the file was not completely written"
    if stored_crc != crc:
        return "checksum mismatch"
    match = _NAME.match(path.name)
    if match and (int(match.group(1)), int(match.group(2))) != (index, term):
        return f"header says index {index} term {term}, the file name disagrees"
    return SnapshotInfo(path, index, term, conf, body_offset, body_bytes, crc)


def latest_snapshot(directory: str | os.PathLike[str]) -> SnapshotInfo | None:
    """The newest snapshot that passes its checks; damaged newer ones are skipped with a warning."""
    for path in reversed(list_snapshots(Path(directory))):
        info = verify_snapshot(path)
        if isinstance(info, SnapshotInfo):
            return info
        logger.warning("skipping snapshot %s: %s", path, info)
    return None
