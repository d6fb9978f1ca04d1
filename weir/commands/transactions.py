"""MULTI EXEC DISCARD WATCH UNWATCH (multi.c).

A transaction's state commands become one log entry, applied atomically.
Session commands queued inside it (PING, PUBLISH, CLIENT ...) run on the
connection after the entry, in their place among the replies; SELECT is carried
in the entry so the commands after it apply to the right database on every node.
EXEC writes its array header and then each command's reply, as Redis does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from weir.commands.table import APPLY_SESSION, COMMANDS, CommandSpec, command
from weir.errors import CommandError
from weir.resp.reply import NO_REPLY, NULL_ARRAY, OK, ErrorReply

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
    if client.multi_error:
        client.multi = None
        client.multi_error = False
        server.unwatch_all(client)
        raise CommandError("EXECABORT Transaction discarded because of previous errors.")
    if client.dirty_cas or server.watched_key_expired(client):
        client.multi = None
        server.unwatch_all(client)
        return NULL_ARRAY
    server.unwatch_all(client)
    try:
        # The client stays in MULTI while EXEC runs, as in Redis (CLIENT LIST: flags=x).
        _exec(client, queued)
    finally:
        client.multi = None
    if server.ready_keys:
        server.serve_blocked()
    return NO_REPLY


def _exec(client: Client, queued: list[list[bytes]]) -> None:
    server = client.server
    specs = [_spec_of(a) for a in queued]
    state_positions = [i for i, s in enumerate(specs) if not s.session or s.name == "select"]
    # perf_counter_ns() before the first state command and after each one.
    marks: list[int] = []
    if any(specs[i].write for i in state_positions):
        results = server.write_multi(
            client, [queued[i] for i in state_positions], lambda: marks.append(time.perf_counter_ns())
        )
    else:
        ctx = server.machine.reader(client.db, server.now_ms(), not client.no_touch)
        marks.append(time.perf_counter_ns())
        results = []
        for i in state_positions:
            results.append(_run_read(specs[i], queued[i], ctx))
            marks.append(time.perf_counter_ns())
    done: dict[int, tuple[Any, int]] = {
        i: (result, (marks[k + 1] - marks[k]) // 1000)
        for k, (i, result) in enumerate(zip(state_positions, results))
    }
    client.reply_array(len(queued), _replies(client, specs, queued, done))


def _replies(
    client: Client, specs: list[CommandSpec], queued: list[list[bytes]], done: dict[int, tuple[Any, int]]
) -> Iterator[Any]:
    """Each queued command's reply, in order, with what call() does after a command:
    commandstats, latency histograms and events, SLOWLOG (each command with its own time; EXEC itself is not logged) and
    MONITOR. State commands ran in the entry already (`done`: reply and microseconds);
    session commands run here, in their place, so what they push lands there too."""
    server = client.server
    for i, spec in enumerate(specs):
        argv = queued[i]
        if spec.session:
            # SELECT ran inside the entry as well; the connection follows it here.
            started = time.perf_counter_ns()
            reply = _run_session(client, spec, argv)
            elapsed_us = (time.perf_counter_ns() - started) // 1000
        else:
            reply, elapsed_us = done[i]
        if type(reply) is ErrorReply:
            spec.failed_calls += 1
        server.count_command(client, spec, argv, elapsed_us)
        if server.monitors and "admin" not in spec.flags:
            server.feed_monitors(client, argv)
        yield reply


def _run_read(spec: CommandSpec, argv: list[bytes], ctx: Any) -> Any:
    try:
        if spec.name == "select":
            # Later reads of the block use the database it selects.
            return APPLY_SESSION[b"select"](ctx, argv)
        return spec.handler(ctx, argv)
    except CommandError as exc:
        return ErrorReply(exc.message)


def _run_session(client: Client, spec: CommandSpec, argv: list[bytes]) -> Any:
    try:
        return spec.handler(client, argv)
    except CommandError as exc:
        return ErrorReply(exc.message)
