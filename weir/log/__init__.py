"""The durable Raft log (weir's write-ahead log), the hard state and snapshot files.

Formats, recovery rules and what the server must do: docs/durability.md.
`weir check` lives in weir.log.check (imported on demand: it pulls in rich).
"""

from weir.log.errors import (
    DataDirLockedError,
    LogCompactedError,
    LogCorruptionError,
    LogError,
    LogUnavailableError,
    LogWriteError,
    RecordTooLargeError,
    SnapshotCorruptionError,
)
from weir.log.fileio import FileIO
from weir.log.hardstate import HardState
from weir.log.records import LogRecord
from weir.log.recovery import LogDamage
from weir.log.snapshot import SnapshotInfo, latest_snapshot, write_snapshot
from weir.log.storage import LogStorage, RecoveryReport
from weir.log.sync import FsyncPolicy, SyncJob, SyncWorker

__all__ = [
    "DataDirLockedError",
    "FileIO",
    "FsyncPolicy",
    "HardState",
    "LogCompactedError",
    "LogCorruptionError",
    "LogDamage",
    "LogError",
    "LogRecord",
    "LogStorage",
    "LogUnavailableError",
    "LogWriteError",
    "RecordTooLargeError",
    "RecoveryReport",
    "SnapshotCorruptionError",
    "SnapshotInfo",
    "SyncJob",
    "SyncWorker",
    "latest_snapshot",
    "write_snapshot",
]
