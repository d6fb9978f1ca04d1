"""Entries the server proposes on its own; clients cannot call these."""

from __future__ import annotations

from weir.commands.table import command
from weir.state.machine import NOTIFY_EXPIRED, Ctx


@command("__expire", -2, "write internal")
def expire_command(ctx: Ctx, argv: list[bytes]) -> int:
    """__expire key [key ...]: delete the listed keys whose deadline is <= the entry's ts."""
    db = ctx.db
    removed = 0
    for key in argv[1:]:
        if db.is_expired(key, ctx.now_ms):
            db.delete(key)
            ctx.signal(key)  # expiry is no change for dirty (activeExpireCycle)
            ctx.notify(NOTIFY_EXPIRED, b"expired", key)
            removed += 1
    return removed
