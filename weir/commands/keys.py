"""Keyspace commands (db.c, expire.c)."""

from __future__ import annotations

from weir.commands.table import command
from weir.state.machine import Ctx


@command("del", -2, "write", 1, -1, 1, "@keyspace")
def del_command(ctx: Ctx, argv: list[bytes]) -> int:
    return sum(1 for key in argv[1:] if ctx.delete(key))


@command("exists", -2, "readonly fast", 1, -1, 1, "@keyspace")
def exists_command(ctx: Ctx, argv: list[bytes]) -> int:
    return sum(1 for key in argv[1:] if ctx.lookup(key) is not None)
