"""Backup and restore: a backup is a verified snapshot file.

`weir backup` asks a running server for a fresh snapshot (BGSAVE), waits for
it, and copies the newest snapshot out of the server's data directory after
checking its checksum. `weir restore` checks a backup and installs it as the
only state of a data directory; the server loads it on start.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from weir.log.snapshot import SnapshotInfo, latest_snapshot, snapshot_name, verify_snapshot

POLL_INTERVAL_S = 0.1


class BackupError(Exception):
    """A backup or restore could not be made; the message says why."""


def backup_from_server(
    host: str, port: int, password: str | None, out: Path, timeout_s: float
) -> SnapshotInfo:
    import redis

    client = redis.Redis(host=host, port=port, password=password, socket_timeout=30)
    try:
        before = int(client.lastsave().timestamp())
        try:
            client.bgsave()
        except redis.ResponseError as exc:
            if "already in progress" not in str(exc):
                raise BackupError(f"server refused BGSAVE: {exc}") from None
        deadline = time.monotonic() + timeout_s
        while True:
            persistence = client.info("persistence")
            if not persistence.get("rdb_bgsave_in_progress") and int(
                persistence.get("rdb_last_save_time", 0)
            ) >= before:
                break
            if time.monotonic() > deadline:
                raise BackupError(f"the snapshot did not finish within {timeout_s:.0f}s")
            time.sleep(POLL_INTERVAL_S)
        if persistence.get("rdb_last_bgsave_status", "ok") != "ok":
            raise BackupError("the server's snapshot failed; see its log")
        data_dir = Path(str(client.config_get("dir")["dir"]))
    except redis.RedisError as exc:
        raise BackupError(f"cannot talk to {host}:{port}: {exc}") from None
    finally:
        client.close()
    found = latest_snapshot(data_dir / "snapshots")
    if found is None:
        raise BackupError(f"no valid snapshot in {data_dir / 'snapshots'} (is the server on this machine?)")
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(out.name + ".tmp")
    shutil.copyfile(found.path, temp)
    checked = verify_snapshot(temp)
    if not isinstance(checked, SnapshotInfo):
        temp.unlink(missing_ok=True)
        raise BackupError(f"the copy does not verify: {checked}")
    temp.replace(out)
    return checked


def restore_to_dir(file: Path, directory: Path, force: bool) -> SnapshotInfo:
    if not file.is_file():
        raise BackupError(f"{file} does not exist")
    info = verify_snapshot(file)
    if not isinstance(info, SnapshotInfo):
        raise BackupError(f"{file} is not a valid backup: {info}")
    wal = directory / "wal"
    snapshots = directory / "snapshots"
    existing = [p for p in (wal, snapshots) if p.exists() and any(p.iterdir())]
    if existing and not force:
        raise BackupError(f"{directory} already holds data; pass --force to replace it")
    for path in existing:
        shutil.rmtree(path)
    snapshots.mkdir(parents=True, exist_ok=True)
    target = snapshots / snapshot_name(info.index, info.term)
    shutil.copyfile(file, target)
    return info
