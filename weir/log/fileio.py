"""The few system calls that write the data directory, behind one seam for fault injection."""

from __future__ import annotations

import errno
import os
from pathlib import Path

# macOS has no fdatasync; fsync is the portable superset.
_fdatasync = getattr(os, "fdatasync", os.fsync)


class FileIO:
    """Writes, syncs and truncates files. Tests subclass it to fail on cue (disk full, EIO)."""

    def write(self, fd: int, data: bytes, offset: int) -> None:
        """Write all of `data` at `offset`, or raise OSError (bytes may be partly written)."""
        view = memoryview(data)
        # Bounded: each pass writes at least one byte or raises.
        while view:
            written = os.pwrite(fd, view, offset)
            if written == 0:
                # A zero-byte write makes no progress: the device is full.
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            view = view[written:]
            offset += written

    def sync(self, fd: int) -> None:
        _fdatasync(fd)

    def sync_directory(self, fd: int) -> None:
        os.fsync(fd)

    def truncate(self, fd: int, size: int) -> None:
        os.ftruncate(fd, size)


def open_directory(path: Path) -> int:
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY)


def sync_directory(path: Path, io: FileIO) -> None:
    fd = open_directory(path)
    try:
        io.sync_directory(fd)
    finally:
        os.close(fd)


def write_file_atomically(path: Path, data: bytes, io: FileIO) -> None:
    """Replace `path` with `data`: temp file, fsync, rename, directory fsync.

    A crash leaves either the old file or the new one, never a mix; a stale
    temp file is removed by the next open of the directory.
    """
    temp = path.with_name(path.name + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        io.write(fd, data, 0)
        io.sync(fd)
    except OSError:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(temp, path)
    sync_directory(path.parent, io)
