"""MULTI EXEC DISCARD WATCH UNWATCH (multi.c).

A transaction's state commands become one log entry, applied atomically.
Session commands queued inside it (PING, PUBLISH, CLIENT ...) run on the
connection after the entry; SELECT is carried in the entry so the commands
after it apply to the right database on every node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from weir.commands.table import COMMANDS, CommandSpec, command
from weir.errors import CommandError
from weir.resp.reply import NULL_ARRAY, OK, ErrorReply

if TYPE_CHECKING:
    from weir.server.client import Client


@command("multi", 1, "session noscript loading stale fast allow_busy", categories="@transaction")
def multi_command(client: Client, argv: list[bytes]) -> Any:
    if client.multi is not None:
        raise CommandError("ERR MULTI calls can not be nested")
    client.multi = []
    client.multi_error = False
    return OK


@command("discard", 1, "session noscript loading stale fast allow_busy", categories="@transaction")
def discard_command(client: Client, argv: list[bytes]) -> Any:
    if client.multi is None:
        raise CommandError("ERR DISCARD without MULTI")
    client.multi = None
    client.multi_error = False
    client.server.unwatch_all(client)
    return OK


@command("watch", -2, "session noscript loading stale fast allow_busy", 1, -1, 1, "@transaction")
def watch_command(client: Client, argv: list[bytes]) -> Any:
    if client.multi is not None:
        raise CommandError("ERR WATCH inside MULTI is not allowed")
    for key in argv[1:]:
        client.server.watch(client, key)
    return OK


@command("unwatch", 1, "session noscript loading stale fast allow_busy", categories="@transaction")
def unwatch_command(client: Client, argv: list[bytes]) -> Any:
    client.server.unwatch_all(client)
    return OK


def _spec_of(argv: list[bytes]) -> CommandSpec:
    spec = COMMANDS[argv[0].lower()]
    if spec.subcommands:
        spec = spec.subcommands[argv[1].decode("utf-8", "replace").lower()]
    return spec


@command("exec", 1, "session noscript loading stale skip_slowlog", categories="@transaction")
def exec_command(client: Client, argv: list[bytes]) -> Any:
    queued = client.multi
    if queued is None:
        raise CommandError("ERR EXEC without MULTI")
    server = client.server
    client.multi = None
    if client.multi_error:
        client.multi_error = False
        server.unwatch_all(client)
        raise CommandError("EXECABORT Transaction discarded because of previous errors.")
    if client.dirty_cas or server.watched_key_expired(client):
        server.unwatch_all(client)
        return NULL_ARRAY
    server.unwatch_all(client)
    specs = [_spec_of(a) for a in queued]
    replies: list[Any] = [None] * len(queued)
    state_positions = [i for i, s in enumerate(specs) if not s.session or s.name == "select"]
    if any(specs[i].write for i in state_positions):
        results = server.write_multi(client, [queued[i] for i in state_positions])
        for i, result in zip(state_positions, results):
            replies[i] = result
    else:
        ctx = server.machine.reader(client.db, server.now_ms())
        for i in state_positions:
            replies[i] = _run_read(client, specs[i], queued[i], ctx)
    for i, spec in enumerate(specs):
        if spec.session:
            # SELECT ran inside the entry; the connection follows it here.
            replies[i] = _run_session(client, spec, queued[i])
    # Waiters are served after the whole transaction, at the time it ends: a key it
    # pushed and gave a TTL that passed during a DEBUG SLEEP in it serves nobody.
    if server.ready_keys:
        server.serve_blocked()
    return replies


def _run_read(client: Client, spec: CommandSpec, argv: list[bytes], ctx: Any) -> Any:
    try:
        if spec.name == "select":
            return OK
        return spec.handler(ctx, argv)
    except CommandError as exc:
        return ErrorReply(exc.message)


def _run_session(client: Client, spec: CommandSpec, argv: list[bytes]) -> Any:
    try:
        return spec.handler(client, argv)
    except CommandError as exc:
        return ErrorReply(exc.message)
