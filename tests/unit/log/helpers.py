"""Shared by the log's unit and fault tests: records with checkable contents, and a disk that fails on cue."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from weir.log import FileIO, LogRecord


def payload(index: int, term: int, size: int = 48) -> bytes:
    """A payload that names its entry, so a misplaced record cannot pass for another."""
    stamp = f"{term}:{index}:".encode()
    return (stamp * (size // len(stamp) + 1))[:size]


def make_records(first: int, count: int, term: int = 1, size: int = 48) -> list[LogRecord]:
    return [
        LogRecord(term, index, index % 3, payload(index, term, size))
        for index in range(first, first + count)
    ]


def segment_paths(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.wal"))


class FailingFileIO(FileIO):
    """A disk that fills up or breaks when told to.

    `write_bytes_left` bytes are written, then writes fail with ENOSPC after
    writing what fits (a partial write, as a full disk does). `fail_sync` and
    `fail_truncate` make those calls fail with EIO.
    """

    def __init__(self) -> None:
        self.write_bytes_left: int | None = None
        self.fail_sync = False
        self.fail_truncate = False
        self.syncs = 0

    def write(self, fd: int, data: bytes, offset: int) -> None:
        if self.write_bytes_left is not None and len(data) > self.write_bytes_left:
            os.pwrite(fd, data[: self.write_bytes_left], offset)
            self.write_bytes_left = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        if self.write_bytes_left is not None:
            self.write_bytes_left -= len(data)
        super().write(fd, data, offset)

    def sync(self, fd: int) -> None:
        if self.fail_sync:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        self.syncs += 1
        super().sync(fd)

    def truncate(self, fd: int, size: int) -> None:
        if self.fail_truncate:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        super().truncate(fd, size)
