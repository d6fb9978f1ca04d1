"""The write path of a single node: a Raft group of one.

Every write becomes an entry (term, index, payload) that is appended to the
log and then applied; with one voter an entry is committed as soon as it is
appended (and, with `appendfsync always`, synced by the group commit).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Final, Protocol

from weir.state.entry import Command, pack_command
from weir.state.machine import Handler, StateMachine

# Commands one batched entry may hold: bounds an entry's size and a replay step.
BATCH_COMMANDS_MAX: Final = 256
# Entries kept in memory when no durable log is attached (tests, embedded use).
MEMORY_ENTRIES_MAX = 10_000


class LogSink(Protocol):
    def add(self, term: int, index: int, data: bytes) -> None: ...


class MemoryLog:
    """The log kept in memory: a bounded window of the newest entries."""

    def __init__(self) -> None:
        self.entries: deque[tuple[int, int, bytes]] = deque(maxlen=MEMORY_ENTRIES_MAX)

    def add(self, term: int, index: int, data: bytes) -> None:
        self.entries.append((term, index, data))


class SingleNodeLog:
    """Proposes, commits and applies in one step: the leader of a group of one."""

    def __init__(self, machine: StateMachine, sink: LogSink | None = None) -> None:
        self.machine = machine
        self.sink: LogSink = sink or MemoryLog()
        self.term = max(1, machine.applied_term)
        self.last_index = machine.applied_index
        self._last_ts = machine.last_ts
        # The entry still taking commands (argvs is None when none is open). Plain
        # attributes, not a tuple: compiled, they stay unboxed.
        self._batch_argvs: list[list[bytes]] | None = None
        self._batch_index = 0
        self._batch_ts = 0
        self._batch_db = 0

    def now_ts(self, now_ms: int) -> int:
        """The ts of a new entry: the leader's clock reading, never going backwards."""
        ts = now_ms
        if ts < self._last_ts:
            ts = self._last_ts
        self._last_ts = ts
        return ts

    def submit_one(self, db: int, argv: list[bytes], handler: Handler, now_ms: int) -> Any:
        """submit() of a single command whose handler is known: the write hot path.

        Consecutive single writes to one database, up to end_batch(), share one
        entry (applied one by one as they come, replayed the same way), so the
        writes of an event-loop pass, from one pipeline or from many clients, cost
        one log record instead of one per command. Only writes of the same millisecond
        share an entry: each command sees the entry's `ts` as its "now", which must
        not fall behind the clock (a TTL would start in the past).
        """
        argvs = self._batch_argvs
        if argvs is not None:
            if (
                self._batch_db == db
                and len(argvs) < BATCH_COMMANDS_MAX
                and now_ms <= self._batch_ts
            ):
                argvs.append(argv)
                return self.machine.apply_one(
                    self._batch_index, self._batch_ts, db, argv, handler, more=True
                )
            self.end_batch()
        ts = self.now_ts(now_ms)
        index = self.last_index + 1
        self.last_index = index
        self._batch_argvs = [argv]
        self._batch_index = index
        self._batch_ts = ts
        self._batch_db = db
        machine = self.machine
        machine.applied_term = self.term
        return machine.apply_one(index, ts, db, argv, handler)

    def batch_open(self) -> bool:
        return self._batch_argvs is not None

    def end_batch(self) -> None:
        """Close the open entry: it goes to the log, ahead of any later one."""
        argvs = self._batch_argvs
        if argvs is not None:
            self._batch_argvs = None
            data = pack_command(self._batch_ts, self._batch_db, argvs, False)
            self.sink.add(self.term, self._batch_index, data)

    def submit(
        self, db: int, argvs: list[list[bytes]], now_ms: int, multi: bool = False,
        boundary: Callable[[], None] | None = None,
    ) -> Any:
        """Append one command entry at `now_ms` and apply it; returns the command's reply (or
        raises). `boundary` goes to StateMachine.apply_command (the commands of a MULTI timed)."""
        self.end_batch()
        ts = self.now_ts(now_ms)
        data = pack_command(ts, db, argvs, multi)
        index = self.last_index + 1
        self.sink.add(self.term, index, data)
        self.last_index = index
        # The leader applies what it packed without unpacking it again.
        self.machine.applied_term = self.term
        return self.machine.apply_command(index, Command(ts, db, argvs, multi), boundary)
