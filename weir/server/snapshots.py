"""Snapshots of the state machine on disk: load the newest, write new ones."""

from __future__ import annotations

import logging
from pathlib import Path

from weir.state.machine import StateMachine
from weir.state.snapshot import load_chunks

log = logging.getLogger("weir.snapshots")


def load_latest(directory: Path, machine: StateMachine) -> bool:
    """Load the newest valid snapshot in `directory` into `machine`; False if there is none."""
    try:
        from weir.log.snapshot import latest_snapshot
    except ImportError:
        return False
    if not directory.exists():
        return False
    found = latest_snapshot(directory)
    if found is None:
        return False
    load_chunks(machine, found.read_chunks())
    log.info("loaded snapshot at index %d", machine.applied_index)
    return True
