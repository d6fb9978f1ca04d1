"""`weir check DIR [--repair]`: inspect a data directory, and cut a damaged log with consent."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.prompt import Confirm
from rich.table import Table

from weir.log.errors import DataDirLockedError, LogCorruptionError
from weir.log.fileio import FileIO
from weir.log.hardstate import HARD_STATE_FILE, HardState, read_hard_state
from weir.log.lock import DirectoryLock
from weir.log.recovery import LogDamage, cut_log, scan_log
from weir.log.snapshot import SnapshotInfo, list_snapshots, verify_snapshot
from weir.log.storage import TEMP_SUFFIX

EXIT_OK = 0
EXIT_DAMAGED = 1
EXIT_CANNOT_CHECK = 2


@dataclass(frozen=True)
class SegmentSummary:
    path: Path
    first_index: int
    # first_index - 1 when the segment holds no verified record.
    last_index: int
    file_bytes: int
    status: str


@dataclass(frozen=True)
class SnapshotSummary:
    path: Path
    file_bytes: int
    info: SnapshotInfo | None
    problem: str | None


@dataclass(frozen=True)
class CheckReport:
    directory: Path
    segments: tuple[SegmentSummary, ...]
    damage: LogDamage | None
    hard_state: HardState | None
    hard_state_problem: str | None
    snapshots: tuple[SnapshotSummary, ...]
    temp_files: tuple[Path, ...]
    # Pid of the process holding the directory lock, if it is held (0: holder unknown).
    locked_by: int | None

    @property
    def ok(self) -> bool:
        return self.damage is None and self.hard_state_problem is None

    @property
    def opens(self) -> bool:
        """True if LogStorage.open would succeed (it cuts a torn tail by itself)."""
        torn_only = self.damage is None or self.damage.torn_tail
        return torn_only and self.hard_state_problem is None


@dataclass(frozen=True)
class RepairReport:
    directory: Path
    # The cut that was made; None when the log needed none.
    cut: LogDamage | None


def check_dir(directory: str | Path, *, snapshot_dir: str | Path | None = None) -> CheckReport:
    """Inspect without changing anything. Works while a server runs, but its tail may be in flux.

    Snapshots are looked for in `snapshot_dir`, by default `directory` itself.
    """
    path = Path(directory)
    locked_by: int | None = None
    try:
        lock = DirectoryLock.acquire(path)
    except DataDirLockedError as error:
        locked_by = error.pid or 0
    else:
        lock.release()
    scan = scan_log(path)
    damage = scan.damage
    segments = []
    for segment in scan.scans:
        if damage is not None and segment.path == damage.path:
            status = f"{'torn tail' if damage.torn_tail else 'corrupt'} at offset {damage.offset}"
        elif damage is not None and segment.path in damage.removed_paths:
            status = "after the damage"
        else:
            status = "ok"
        segments.append(
            SegmentSummary(
                segment.path, segment.first_index, segment.last_index, segment.file_bytes, status
            )
        )
    hard_state: HardState | None = None
    hard_state_problem: str | None = None
    try:
        hard_state = read_hard_state(path)
    except LogCorruptionError as error:
        hard_state_problem = error.reason
    snapshots = []
    for snapshot in list_snapshots(Path(snapshot_dir) if snapshot_dir is not None else path):
        info = verify_snapshot(snapshot)
        snapshots.append(
            SnapshotSummary(
                snapshot,
                snapshot.stat().st_size,
                info if isinstance(info, SnapshotInfo) else None,
                info if isinstance(info, str) else None,
            )
        )
    return CheckReport(
        directory=path,
        segments=tuple(segments),
        damage=damage,
        hard_state=hard_state,
        hard_state_problem=hard_state_problem,
        snapshots=tuple(snapshots),
        temp_files=tuple(sorted(path.glob(f"*{TEMP_SUFFIX}"))),
        locked_by=locked_by,
    )


def repair_dir(directory: str | Path) -> RepairReport:
    """Cut the log at its first bad spot, dropping everything after it.

    Takes the directory lock (raises DataDirLockedError while a server runs).
    It does not touch the hard state or snapshots.
    """
    path = Path(directory)
    lock = DirectoryLock.acquire(path)
    try:
        damage = scan_log(path).damage
        if damage is not None:
            cut_log(damage, FileIO())
    finally:
        lock.release()
    return RepairReport(path, damage)


def check_main(dir: str, repair: bool, assume_yes: bool, *, snapshot_dir: str | None = None) -> int:
    """Print a report of DIR; with `repair`, cut the log (asking first unless `assume_yes`).

    Exit status: 0 healthy or repaired, 1 damage remains, 2 could not check.
    """
    console = Console()
    path = Path(dir)
    if not path.is_dir():
        console.print(f"[red]{dir}: no such directory[/]")
        return EXIT_CANNOT_CHECK
    report = check_dir(path, snapshot_dir=snapshot_dir)
    _print_report(console, report)
    if report.ok:
        console.print("[green]healthy[/]")
        return EXIT_OK
    damage = report.damage
    if damage is None:
        console.print("[red]the hard state is damaged; --repair does not change it[/]")
        return EXIT_DAMAGED
    console.print(f"[yellow]repair would {_describe_cut(damage)}[/]")
    if not repair:
        hint = (
            "weir opens it and cuts the torn tail itself"
            if damage.torn_tail
            else "it will not open"
        )
        console.print(f"{hint}; run `weir check {dir} --repair` to cut it now")
        return EXIT_DAMAGED
    if report.locked_by is not None:
        holder = f"process {report.locked_by}" if report.locked_by else "another process"
        console.print(f"[red]{dir} is in use by {holder}; stop it before repairing[/]")
        return EXIT_CANNOT_CHECK
    if not assume_yes:
        if not sys.stdin.isatty():
            console.print(
                "[red]not repairing without consent: no terminal to ask on (pass --yes)[/]"
            )
            return EXIT_DAMAGED
        if not Confirm.ask("Cut the log?", default=False, console=console):
            console.print("nothing changed")
            return EXIT_DAMAGED
    try:
        result = repair_dir(path)
    except DataDirLockedError as error:
        console.print(f"[red]{error}[/]")
        return EXIT_CANNOT_CHECK
    if result.cut is not None:
        console.print(f"[green]repaired: {_describe_cut(result.cut)}[/]")
    return EXIT_OK


def _describe_cut(damage: LogDamage) -> str:
    if damage.removes_file:
        text = f"remove {damage.path.name}"
    else:
        text = f"truncate {damage.path.name} at offset {damage.offset}"
    if damage.removed_paths:
        text += f" and remove {len(damage.removed_paths)} later segment(s)"
    text += f", dropping entries from index {damage.first_lost_index}"
    if damage.good_index_max is not None:
        text += f" (verified entries up to at least {damage.good_index_max} are lost)"
    return text


def _print_report(console: Console, report: CheckReport) -> None:
    console.print(f"[bold]{report.directory}[/]")
    if report.locked_by is not None:
        holder = f"process {report.locked_by}" if report.locked_by else "another process"
        console.print(f"[yellow]in use by {holder}: its newest bytes may still be changing[/]")
    segments = Table(title="log segments")
    segments.add_column("file", overflow="fold", min_width=24)
    for column in ("first", "last", "entries", "bytes"):
        segments.add_column(column, justify="right")
    segments.add_column("status")
    for segment in report.segments:
        style = "" if segment.status == "ok" else "red"
        segments.add_row(
            segment.path.name,
            str(segment.first_index),
            str(segment.last_index),
            str(segment.last_index - segment.first_index + 1),
            str(segment.file_bytes),
            segment.status,
            style=style,
        )
    console.print(segments)
    if report.damage is not None:
        color = "yellow" if report.damage.torn_tail else "red"
        console.print(f"[{color}]{report.damage.describe()}[/]")
    if report.hard_state_problem is not None:
        console.print(f"[red]{HARD_STATE_FILE}: {report.hard_state_problem}[/]")
    elif report.hard_state is not None:
        state = report.hard_state
        console.print(
            f"{HARD_STATE_FILE}: term {state.term}, vote {state.vote}, commit {state.commit}"
        )
    snapshots = Table(title="snapshots")
    snapshots.add_column("file", overflow="fold")
    for column in ("index", "term", "bytes"):
        snapshots.add_column(column, justify="right")
    snapshots.add_column("status")
    for snapshot in report.snapshots:
        info = snapshot.info
        snapshots.add_row(
            snapshot.path.name,
            str(info.index) if info else "?",
            str(info.term) if info else "?",
            str(snapshot.file_bytes),
            snapshot.problem or "ok",
            style="" if info else "red",
        )
    console.print(snapshots)
    if report.temp_files:
        names = ", ".join(path.name for path in report.temp_files)
        console.print(f"leftover temp files (removed at next open): {names}")
