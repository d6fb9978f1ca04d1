"""Consecutive writes share one entry; replaying that entry rebuilds the same state."""

from __future__ import annotations

from weir import commands
from weir.commands.table import COMMANDS, resolve_write
from weir.errors import CommandError
from weir.server.writelog import BATCH_COMMANDS_MAX, MemoryLog, SingleNodeLog
from weir.state.machine import StateMachine

commands.load_all()


def _leader() -> tuple[StateMachine, SingleNodeLog, MemoryLog]:
    machine = StateMachine(resolve_write)
    sink = MemoryLog()
    return machine, SingleNodeLog(machine, sink), sink


NOW_MS = 1_700_000_000_000


def _write(log: SingleNodeLog, db: int, *args: bytes, now_ms: int = NOW_MS) -> object:
    try:
        return log.submit_one(db, list(args), COMMANDS[args[0].lower()].handler, now_ms)
    except CommandError as exc:
        return exc.message


def _replay(sink: MemoryLog) -> StateMachine:
    follower = StateMachine(resolve_write)
    for term, index, data in sink.entries:
        follower.apply(index, term, data)
    return follower


def test_a_batch_is_one_entry_and_replays_to_the_same_digest() -> None:
    machine, log, sink = _leader()
    _write(log, 0, b"SADD", b"s", *[b"m%d" % i for i in range(50)])
    _write(log, 0, b"SET", b"str", b"v")
    popped = _write(log, 0, b"SPOP", b"s", b"5")
    assert _write(log, 0, b"LPUSH", b"str", b"x").startswith("WRONGTYPE")
    _write(log, 0, b"SET", b"k", b"1", b"PX", b"100000")
    _write(log, 1, b"SET", b"other-db", b"1")
    log.end_batch()
    assert [index for _, index, _ in sink.entries] == [1, 2]
    follower = _replay(sink)
    assert follower.digest() == machine.digest()
    assert isinstance(popped, list) and len(popped) == 5
    assert not any(m in follower.dbs[0].data[b"s"] for m in popped)


def test_a_full_batch_rolls_over_to_a_new_entry() -> None:
    machine, log, sink = _leader()
    for _ in range(BATCH_COMMANDS_MAX + 3):
        _write(log, 0, b"INCR", b"n")
    log.end_batch()
    assert len(sink.entries) == 2
    assert _replay(sink).digest() == machine.digest()


def test_a_transaction_closes_the_open_batch_first() -> None:
    machine, log, sink = _leader()
    _write(log, 0, b"SET", b"a", b"1")
    log.submit(0, [[b"INCR", b"a"], [b"INCR", b"a"]], NOW_MS, multi=True)
    _write(log, 0, b"INCR", b"a")
    log.end_batch()
    assert [index for _, index, _ in sink.entries] == [1, 2, 3]
    follower = _replay(sink)
    assert follower.dbs[0].data[b"a"] == b"4"
    assert follower.digest() == machine.digest()


def test_a_later_millisecond_starts_a_new_entry_so_no_write_sees_a_stale_clock() -> None:
    machine, log, sink = _leader()
    _write(log, 0, b"SET", b"a", b"1")
    _write(log, 0, b"SET", b"k", b"v", b"PX", b"200", now_ms=NOW_MS + 300)
    # The clock going back keeps the entry (and its ts) as it is.
    _write(log, 0, b"INCR", b"n", now_ms=NOW_MS + 100)
    log.end_batch()
    assert [index for _, index, _ in sink.entries] == [1, 2]
    assert machine.dbs[0].expires[b"k"] == NOW_MS + 500
    follower = _replay(sink)
    assert follower.digest() == machine.digest()
    assert follower.dbs[0].expires[b"k"] == NOW_MS + 500
