"""Reading a whole log directory back, and deciding what damage means.

The rule: the first bad spot (a record failing its checks, a bad segment
header, a gap or overlap between segments) is a *torn tail* when no verified
record exists anywhere after it; the log is cut there, and the cut is
reported. If verified data follows, the damage is *corruption*: opening stops
with LogCorruptionError, and only `weir check --repair` cuts the log, with
the operator's consent.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from weir.log.fileio import FileIO, sync_directory
from weir.log.segment import SegmentScan, list_segments, scan_segment

logger = logging.getLogger("weir.log")


@dataclass(frozen=True)
class GoodData:
    """A verified record found after the damage."""

    path: Path
    offset: int
    index: int


@dataclass(frozen=True)
class LogDamage:
    """The first bad spot of a log directory and the cut that removes it.

    The cut truncates `path` at `offset` (an offset inside the segment header
    removes the file) and removes `removed_paths`, the later segments.
    """

    path: Path
    offset: int
    reason: str
    # The first index the cut drops (it may never have been written).
    first_lost_index: int
    # Where verified data resumes past the damage; None for a torn tail.
    good_data: GoodData | None
    # The highest verified index the cut would drop, when known.
    good_index_max: int | None
    removed_paths: tuple[Path, ...]

    @property
    def torn_tail(self) -> bool:
        return self.good_data is None

    @property
    def removes_file(self) -> bool:
        return self.offset == 0

    def details(self) -> str:
        """The reason, and where verified data resumes if it does."""
        text = self.reason
        if self.good_data is not None:
            found = self.good_data
            text += f"; verified record {found.index} follows in {found.path.name} at offset {found.offset}"
        return text

    def describe(self) -> str:
        kind = "torn tail" if self.torn_tail else "corruption"
        return f"{kind} in {self.path.name} at offset {self.offset}: {self.details()}"


@dataclass
class LogScan:
    directory: Path
    scans: list[SegmentScan]
    # The segments that survive the cut; the last one may end at the damage.
    kept: list[SegmentScan]
    damage: LogDamage | None


def scan_log(directory: Path) -> LogScan:
    scans = [scan_segment(path) for _, path in list_segments(directory)]
    kept: list[SegmentScan] = []
    expected_first: int | None = None
    expected_prev_term: int | None = None
    for position, scan in enumerate(scans):
        reason = _header_problem(scan, expected_first, expected_prev_term)
        if reason is None and scan.damage is None:
            kept.append(scan)
            expected_first = scan.last_index + 1
            expected_prev_term = scan.last_term
            continue
        later = scans[position + 1 :]
        if reason is not None:
            offset = 0
            first_lost_index = expected_first if expected_first is not None else scan.first_index
            good = _first_good(scan)
            dropped = [scan, *later]
        else:
            assert scan.damage is not None
            offset, reason = scan.damage
            first_lost_index = scan.first_index + len(scan.offsets)
            kept.append(scan)
            good = _good_after_damage(scan)
            dropped = later
        for other in later:
            good = good or _first_good(other)
        damage = LogDamage(
            path=scan.path,
            offset=offset,
            reason=reason,
            first_lost_index=first_lost_index,
            good_data=good,
            good_index_max=_good_index_max(scan, dropped) if good else None,
            removed_paths=tuple(other.path for other in later),
        )
        return LogScan(directory, scans, kept, damage)
    return LogScan(directory, scans, kept, None)


def _header_problem(
    scan: SegmentScan, expected_first: int | None, expected_prev_term: int | None
) -> str | None:
    if scan.header is None:
        assert scan.damage is not None
        return scan.damage.reason
    if expected_first is not None and scan.first_index != expected_first:
        what = (
            "a segment file is missing" if scan.first_index > expected_first else "segments overlap"
        )
        return f"segment starts at index {scan.first_index} where {expected_first} was expected: {what}"
    if expected_prev_term is not None and scan.header.prev_term != expected_prev_term:
        return (
            f"header says the term before index {scan.first_index} is {scan.header.prev_term}, "
            f"the previous segment ends with term {expected_prev_term}"
        )
    return None


def _first_good(scan: SegmentScan) -> GoodData | None:
    if scan.offsets:
        return GoodData(scan.path, scan.offsets[0], scan.first_index)
    return _good_after_damage(scan)


def _good_after_damage(scan: SegmentScan) -> GoodData | None:
    found = scan.good_after_damage
    return GoodData(scan.path, found.offset, found.index) if found else None


def _good_index_max(damaged: SegmentScan, dropped: list[SegmentScan]) -> int | None:
    """The highest verified index the cut drops: past the damage or in dropped segments."""
    indices = [
        scan.good_after_damage.index for scan in (damaged, *dropped) if scan.good_after_damage
    ]
    indices += [scan.last_index for scan in dropped if scan.offsets]
    return max(indices) if indices else None


def cut_log(damage: LogDamage, io: FileIO) -> None:
    """Apply the cut durably. Later files go first, each removal durable before the
    next, so a crash midway leaves a shorter log, not a gap."""
    for path in reversed(damage.removed_paths):
        path.unlink(missing_ok=True)
        sync_directory(path.parent, io)
    if damage.removes_file:
        damage.path.unlink(missing_ok=True)
    else:
        fd = os.open(damage.path, os.O_RDWR)
        try:
            io.truncate(fd, damage.offset)
            io.sync(fd)
        finally:
            os.close(fd)
    sync_directory(damage.path.parent, io)
