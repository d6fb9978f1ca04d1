"""Server commands (server.c, db.c, debug.c, slowlog.c): the admin set (LATENCY: latency.py)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from weir.commands.args import help_reply, parse_int
from weir.commands.table import command, container
from weir.errors import DB_INDEX, SYNTAX, CommandError
from weir.resp.reply import OK, Status
from weir.state.machine import Ctx

if TYPE_CHECKING:
    from weir.server.client import Client


def _flush_mode(argv: list[bytes]) -> None:
    if len(argv) > 2 or (len(argv) == 2 and argv[1].upper() not in (b"SYNC", b"ASYNC")):
        raise CommandError(SYNTAX)


@command("flushdb", -1, "write", categories="@keyspace @dangerous")
def flushdb_command(ctx: Ctx, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    ctx.machine.listener.db_replaced(ctx.db, None, ctx.now_ms)
    ctx.machine.dirty += len(ctx.db)  # db.c emptyData: one change per key, expired or not
    ctx.db.clear()
    return OK


@command("flushall", -1, "write", categories="@keyspace @dangerous")
def flushall_command(ctx: Ctx, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    ctx.machine.dirty += sum(len(db) for db in ctx.machine.dbs)  # one change per key
    ctx.machine.flush_all(ctx.now_ms)
    return OK


@command("dbsize", 1, "readonly fast", categories="@keyspace")
def dbsize_command(ctx: Ctx, argv: list[bytes]) -> int:
    # dictSize, as Redis: a key past its deadline counts until something deletes it.
    return len(ctx.db)


def _db_index(raw: bytes, which: str, databases: int) -> int:
    try:
        index = parse_int(raw)
    except CommandError:
        raise CommandError(f"ERR invalid {which} DB index") from None
    if not 0 <= index < databases:
        raise CommandError(DB_INDEX)
    return index


@command("swapdb", 3, "write fast", categories="@keyspace @dangerous")
def swapdb_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """SWAPDB index1 index2: the two databases trade contents, applied like any write."""
    machine = ctx.machine
    first = _db_index(argv[1], "first", len(machine.dbs))
    second = _db_index(argv[2], "second", len(machine.dbs))
    if first != second:
        a, b = machine.dbs[first], machine.dbs[second]
        machine.listener.db_replaced(a, b, ctx.now_ms)
        machine.listener.db_replaced(b, a, ctx.now_ms)
        a.data, b.data = b.data, a.data
        a.expires, b.expires = b.expires, a.expires
        a.access, b.access = b.access, a.access
        a.accessed, b.accessed = b.accessed, a.accessed
    machine.dirty += 1  # db.c swapdbCommand counts a change even for one database
    return OK


@command("time", 1, "loading stale fast")
def time_command(ctx: Ctx, argv: list[bytes]) -> list[bytes]:
    now_us = time.time_ns() // 1000
    return [str(now_us // 1_000_000).encode(), str(now_us % 1_000_000).encode()]


@command("monitor", 1, "session admin noscript loading stale")
def monitor_command(client: Client, argv: list[bytes]) -> Any:
    if client.multi is not None:  # run by EXEC: its lines would land inside EXEC's reply
        raise CommandError("ERR MONITOR isn't allowed for DENY BLOCKING client")
    server = client.server
    if not client.monitor:
        client.monitor = True
        server.monitors.append(client)
    return OK


# --- SLOWLOG ---------------------------------------------------------------------------

container("slowlog", -2)
_SLOWLOG = "session admin loading stale"


@command("get", -2, _SLOWLOG, container="slowlog")
def slowlog_get_command(client: Client, argv: list[bytes]) -> list[Any]:
    """SLOWLOG GET [count]: newest first; count -1 means all."""
    count = 10
    if len(argv) == 3:
        count = parse_int(argv[2], "ERR count should be greater than or equal to -1")
        if count < -1:
            raise CommandError("ERR count should be greater than or equal to -1")
    elif len(argv) > 3:
        raise CommandError(SYNTAX)
    entries = list(client.server.slowlog)
    if count != -1:
        entries = entries[:count]
    return [[e.id, e.time, e.duration_us, list(e.argv), e.addr.encode(), e.name] for e in entries]


@command("len", 2, _SLOWLOG, container="slowlog")
def slowlog_len_command(client: Client, argv: list[bytes]) -> int:
    return len(client.server.slowlog)


@command("reset", 2, _SLOWLOG, container="slowlog")
def slowlog_reset_command(client: Client, argv: list[bytes]) -> Any:
    client.server.slowlog.clear()
    return OK


SLOWLOG_HELP = [
    'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'GET [<count>]',
    '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
    '    Entries are made of:',
    '    id, timestamp, time in microseconds, arguments array, client IP and port,',
    '    client name',
    'LEN',
    '    Return the length of the slowlog.',
    'RESET',
    '    Reset the slowlog.',
    'HELP',
    '    Prints this help.',
]


@command("help", 2, "session loading stale", container="slowlog")
def slowlog_help_command(client: Client, argv: list[bytes]) -> list[Status]:
    return help_reply(SLOWLOG_HELP)
