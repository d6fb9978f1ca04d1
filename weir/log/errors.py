"""Errors of the durable log. They belong in weir/errors.py and will move there."""

from __future__ import annotations

from pathlib import Path

from weir.errors import WeirError


class LogError(WeirError):
    """Base of the errors raised by weir.log."""


class LogCorruptionError(LogError):
    """A file of the data directory holds bytes that cannot be trusted.

    Startup stops: the log is never silently shortened past a bad record that
    is followed by good data. `weir check DIR --repair` truncates there.
    """

    def __init__(self, path: Path, offset: int, reason: str) -> None:
        super().__init__(
            f"corrupt data in {path} at offset {offset}: {reason} "
            f"(run `weir check {path.parent}` to inspect, `--repair` to truncate there)"
        )
        self.path = path
        self.offset = offset
        self.reason = reason


class LogWriteError(LogError):
    """Writing or syncing the log failed (disk full, I/O error).

    After a failed append the log is as it was before the call. After a failed
    sync the log refuses further writes: what the kernel kept of the unsynced
    data is unknown, so the process must reopen the directory (restart).
    """

    def __init__(self, path: Path, operation: str, cause: OSError) -> None:
        super().__init__(f"{operation} failed on {path}: {cause.strerror or cause}")
        self.path = path
        self.operation = operation
        self.errno = cause.errno


class LogCompactedError(LogError):
    """The requested entries were compacted into a snapshot."""

    def __init__(self, index: int, first_index: int) -> None:
        super().__init__(f"log index {index} is compacted (first index is {first_index})")
        self.index = index
        self.first_index = first_index


class LogUnavailableError(LogError):
    """The requested index is past the end of the log."""

    def __init__(self, index: int, last_index: int) -> None:
        super().__init__(f"log index {index} is not in the log (last index is {last_index})")
        self.index = index
        self.last_index = last_index


class RecordTooLargeError(LogError):
    """A record's payload is larger than the format allows."""

    def __init__(self, index: int, size_bytes: int, size_bytes_max: int) -> None:
        super().__init__(
            f"log record {index} has {size_bytes} payload bytes (at most {size_bytes_max})"
        )
        self.index = index


class DataDirLockedError(LogError):
    """Another process (or another open in this one) holds the data directory."""

    def __init__(self, path: Path, pid: int | None) -> None:
        holder = f"process {pid}" if pid is not None else "another process"
        super().__init__(f"data directory {path} is locked by {holder}")
        self.path = path
        self.pid = pid


class SnapshotCorruptionError(LogError):
    """A snapshot file failed its checks while being read."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"snapshot {path} is corrupt: {reason}")
        self.path = path
        self.reason = reason
