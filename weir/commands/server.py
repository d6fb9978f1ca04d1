"""Server commands (server.c, db.c): DBSIZE FLUSHDB FLUSHALL and the rest of the admin set."""

from __future__ import annotations

from typing import Any

from weir.commands.table import command
from weir.errors import SYNTAX, CommandError
from weir.resp.reply import OK
from weir.state.machine import Ctx


def _flush_mode(argv: list[bytes]) -> None:
    if len(argv) > 2 or (len(argv) == 2 and argv[1].upper() not in (b"SYNC", b"ASYNC")):
        raise CommandError(SYNTAX)


@command("flushdb", -1, "write", categories="@keyspace @dangerous")
def flushdb_command(ctx: Ctx, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    ctx.db.clear()
    ctx.machine.dirty += 1
    ctx.machine.listener.db_modified(ctx.dbi)
    return OK


@command("flushall", -1, "write", categories="@keyspace @dangerous")
def flushall_command(ctx: Ctx, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    ctx.machine.flush_all()
    ctx.machine.dirty += 1
    return OK


@command("dbsize", 1, "readonly fast", categories="@keyspace")
def dbsize_command(ctx: Ctx, argv: list[bytes]) -> int:
    return ctx.db.live_count(ctx.now_ms)
