"""Snapshots of the state machine on disk: load the newest, write new ones.

A background snapshot forks, as Redis's BGSAVE does: the child owns a
copy-on-write image of the state at the fork and streams it to a temp file,
so clients are never stalled by the write; the parent only waits for the
child and then compacts the log prefix the snapshot covers.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from weir.commands.info import rss_bytes
from weir.log.snapshot import latest_snapshot, write_snapshot
from weir.state.machine import StateMachine
from weir.state.snapshot import dump_chunks, load_chunks

log = logging.getLogger("weir.snapshots")


def load_latest(directory: Path, machine: StateMachine) -> bool:
    """Load the newest valid snapshot in `directory` into `machine`; False if there is none."""
    if not directory.exists():
        return False
    # A crash mid-write leaves a temp file that was never renamed into place.
    for stale in directory.glob("*.tmp"):
        log.warning("removing unfinished snapshot %s", stale.name)
        stale.unlink(missing_ok=True)
    found = latest_snapshot(directory)
    if found is None:
        return False
    load_chunks(machine, found.chunks())
    log.info("loaded snapshot %s (index %d)", found.path.name, machine.applied_index)
    return True


def save(directory: Path, machine: StateMachine) -> Path:
    """Write a snapshot of `machine` now, in the calling process."""
    directory.mkdir(parents=True, exist_ok=True)
    return write_snapshot(directory, machine.applied_index, machine.applied_term, b"", dump_chunks(machine))


@dataclass
class BackgroundSave:
    pid: int
    index: int
    term: int
    started: float
    # How long os.fork() took in the parent (INFO latest_fork_usec, the `fork` latency event).
    fork_us: int = 0
    # Started by BGREWRITEAOF: the same snapshot, counted as a log rewrite.
    rewrite: bool = False


@dataclass
class ForkStats:
    """INFO's latest_fork_usec and total_forks, and the fork rate LATENCY DOCTOR judges."""

    latest_us: int = 0
    total: int = 0
    # Resident gigabytes copied per second of fork (Redis's stat_fork_rate).
    rate_gb_per_s: float = 0.0

    def add(self, fork_us: int) -> None:
        self.latest_us = fork_us
        self.total += 1
        self.rate_gb_per_s = rss_bytes() * 1_000_000 / max(fork_us, 1) / 1024**3


@dataclass
class RewriteStats:
    """INFO's aof_rewrite fields: BGREWRITEAOF's snapshots."""

    scheduled: bool = False  # asked for while another snapshot ran; starts after it
    done: int = 0
    last_seconds: int = -1
    last_ok: bool = True

    def finished(self, job: BackgroundSave, ok: bool) -> None:
        self.done += 1 if ok else 0
        self.last_seconds = int(time.time() - job.started)
        self.last_ok = ok


def fork_save(
    directory: Path, machine: StateMachine, key_delay_us: int = 0, rewrite: bool = False
) -> BackgroundSave:
    """Start a child process that writes a snapshot of the state as it is now, pausing
    `key_delay_us` microseconds after each key (rdb-key-save-delay: tests slow a save)."""
    directory.mkdir(parents=True, exist_ok=True)
    index, term = machine.applied_index, machine.applied_term
    fork_started_ns = time.perf_counter_ns()
    pid = os.fork()
    if pid == 0:  # the child: write, then leave without running the parent's cleanup
        status = 1
        try:
            pause = (lambda: time.sleep(key_delay_us / 1e6)) if key_delay_us > 0 else None
            write_snapshot(directory, index, term, b"", dump_chunks(machine, pause))
            status = 0
        finally:
            os._exit(status)
    fork_us = (time.perf_counter_ns() - fork_started_ns) // 1000
    return BackgroundSave(pid, index, term, time.time(), fork_us, rewrite)


def poll_child(job: BackgroundSave) -> bool | None:
    """None while the child runs; then True if it succeeded."""
    pid, status = os.waitpid(job.pid, os.WNOHANG)
    if pid == 0:
        return None
    return os.waitstatus_to_exitcode(status) == 0
