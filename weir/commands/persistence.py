"""SAVE BGSAVE LASTSAVE: snapshots on demand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from weir.commands.table import command
from weir.errors import SYNTAX, CommandError
from weir.resp.reply import OK, Status

if TYPE_CHECKING:
    from weir.server.client import Client


@command("save", 1, "session admin noscript no_async_loading no_multi", categories="@dangerous")
def save_command(client: Client, argv: list[bytes]) -> Any:
    client.server.save_now()
    return OK


@command("bgsave", -1, "session admin noscript no_async_loading", categories="@dangerous")
def bgsave_command(client: Client, argv: list[bytes]) -> Any:
    server = client.server
    if len(argv) > 2 or (len(argv) == 2 and argv[1].upper() != b"SCHEDULE"):
        raise CommandError(SYNTAX)
    if server.bgsave is not None:
        if len(argv) == 2:
            return Status("Background saving scheduled")
        raise CommandError("ERR Background save already in progress")
    server.start_bgsave()
    return Status("Background saving started")


@command("lastsave", 1, "session loading stale fast", categories="@admin @dangerous")
def lastsave_command(client: Client, argv: list[bytes]) -> int:
    return client.server.last_save
