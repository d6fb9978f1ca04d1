"""SAVE BGSAVE BGREWRITEAOF LASTSAVE: snapshots on demand.

weir's log is its append-only file, and a snapshot is what rewrites it: the
log prefix a snapshot covers is dropped. So BGREWRITEAOF starts the same
background snapshot as BGSAVE, counted in INFO's aof_rewrite fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from weir.commands.table import command
from weir.errors import SYNTAX, CommandError
from weir.resp.reply import NO_REPLY, OK, Status

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
    job = server.bgsave
    if job is not None and not job.rewrite:
        raise CommandError("ERR Background save already in progress")
    # Inside EXEC (client.multi is set while it runs) Redis schedules it too (in_exec).
    if job is not None or client.multi is not None:
        if len(argv) == 2 or client.multi is not None:
            server.bgsave_scheduled = True
            return Status("Background saving scheduled")
        raise CommandError(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. "
            "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."
        )
    server.start_bgsave()
    return Status("Background saving started")


@command("bgrewriteaof", 1, "session admin noscript no_async_loading", categories="@dangerous")
def bgrewriteaof_command(client: Client, argv: list[bytes]) -> Any:
    """aof.c bgrewriteaofCommand: while another snapshot runs, the rewrite waits for it."""
    server = client.server
    job = server.bgsave
    if job is not None and job.rewrite:
        raise CommandError("ERR Background append only file rewriting already in progress")
    if job is not None or client.multi is not None:  # inside EXEC too, as Redis's in_exec
        server.rewrite_stats.scheduled = True
        return Status("Background append only file rewriting scheduled")
    server.start_bgsave(rewrite=True)
    return Status("Background append only file rewriting started")


@command("lastsave", 1, "session loading stale fast", categories="@admin @dangerous")
def lastsave_command(client: Client, argv: list[bytes]) -> int:
    return client.server.last_save


@command("shutdown", -1, "session admin noscript loading stale no_multi allow_busy", categories="@dangerous")
def shutdown_command(client: Client, argv: list[bytes]) -> Any:
    """SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: snapshot if asked (or if save rules
    are set), make the log durable, then stop the server."""
    options = {arg.upper() for arg in argv[1:]}
    if not options <= {b"NOSAVE", b"SAVE", b"NOW", b"FORCE", b"ABORT"} or {b"NOSAVE", b"SAVE"} <= options:
        raise CommandError(SYNTAX)
    if b"ABORT" in options:
        if len(options) > 1:
            raise CommandError(SYNTAX)
        raise CommandError("ERR No shutdown in progress.")
    server = client.server
    if server.on_shutdown_request is None:
        raise CommandError("ERR SHUTDOWN is not available in embedded mode: close the database instead")
    if b"SAVE" in options or (server.save_rules and b"NOSAVE" not in options):
        try:
            server.save_now()
        except CommandError:
            if b"FORCE" not in options:
                raise CommandError("ERR Errors trying to SHUTDOWN. Check logs.") from None
    server.on_shutdown_request()
    client.close_after_reply()
    return NO_REPLY
