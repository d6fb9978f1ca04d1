"""Connection commands: PING ECHO SELECT QUIT HELLO AUTH RESET."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from weir import REDIS_VERSION
from weir.commands.args import parse_int
from weir.commands.table import APPLY_SESSION, command
from weir.errors import DB_INDEX, CommandError
from weir.resp.reply import OK, PONG, Status
from weir.server.client import REPLY_SKIP

if TYPE_CHECKING:
    from weir.server.client import Client


@command("ping", -1, "session fast", categories="@connection")
def ping_command(client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 2:
        raise CommandError("ERR wrong number of arguments for 'ping' command")
    if client.subscribed() and client.proto == 2:
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return argv[1] if len(argv) == 2 else PONG


@command("echo", 2, "session fast stale loading", categories="@connection")
def echo_command(client: Client, argv: list[bytes]) -> bytes:
    return argv[1]


@command("select", 2, "session fast stale loading", categories="@connection")
def select_command(client: Client, argv: list[bytes]) -> Any:
    index = parse_int(argv[1])
    if not 0 <= index < len(client.server.machine.dbs):
        raise CommandError(DB_INDEX)
    client.db = index
    return OK


def _select_apply(ctx: Any, argv: list[bytes]) -> Any:
    """SELECT inside a transaction: later commands of the entry use the new database."""
    index = parse_int(argv[1])
    if not 0 <= index < len(ctx.machine.dbs):
        raise CommandError(DB_INDEX)
    ctx.select(index)
    return OK


APPLY_SESSION[b"select"] = _select_apply


@command("quit", -1, "session no_auth allow_busy fast stale loading noscript", categories="@connection")
def quit_command(client: Client, argv: list[bytes]) -> Any:
    client.close_after_reply()
    return OK


def _check_password(client: Client, username: bytes, password: bytes) -> None:
    required = client.server.settings.requirepass
    if username != b"default":
        raise CommandError("WRONGPASS invalid username-password pair or user is disabled.")
    if required is None:
        raise CommandError(
            "ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?"
        )
    if password != required.encode():
        raise CommandError("WRONGPASS invalid username-password pair or user is disabled.")
    client.authenticated = True
    client.reader.limits.authenticated = True


@command("auth", -2, "session no_auth allow_busy fast stale loading noscript", categories="@connection")
def auth_command(client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError("ERR syntax error")
    if len(argv) == 2:
        if client.server.settings.requirepass is None:
            raise CommandError(
                "ERR AUTH <password> called without any password configured for the default "
                "user. Are you sure your configuration is correct?"
            )
        _check_password(client, b"default", argv[1])
    else:
        _check_password(client, argv[1], argv[2])
    return OK


@command("hello", -1, "session no_auth allow_busy fast stale loading noscript", categories="@connection")
def hello_command(client: Client, argv: list[bytes]) -> Any:
    proto = client.proto
    i = 1
    if len(argv) > 1:
        try:
            proto = parse_int(argv[1])
        except CommandError:
            raise CommandError("ERR Protocol version is not an integer or out of range") from None
        if proto not in (2, 3):
            raise CommandError("NOPROTO unsupported protocol version")
        i = 2
    name: bytes | None = None
    while i < len(argv):
        option = argv[i].lower()
        if option == b"auth" and i + 2 < len(argv):
            _check_password(client, argv[i + 1], argv[i + 2])
            i += 3
        elif option == b"setname" and i + 1 < len(argv):
            name = argv[i + 1]
            validate_name(name)
            i += 2
        else:
            raise CommandError(f"ERR Syntax error in HELLO option '{argv[i].decode(errors='replace')}'")
    if not client.authenticated:
        raise CommandError(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
            "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
            "select the RESP protocol version at the same time"
        )
    if name is not None:
        client.name = name
    client.set_proto(proto)
    return {
        "server": "redis",
        "version": REDIS_VERSION,
        "proto": proto,
        "id": client.id,
        "mode": "standalone",
        "role": "master",
        "modules": [],
    }


def validate_name(name: bytes) -> None:
    if any(b < 33 or b > 126 for b in name):
        raise CommandError("ERR Client names cannot contain spaces, newlines or special characters.")


@command("reset", 1, "session no_auth allow_busy fast stale loading noscript", categories="@connection")
def reset_command(client: Client, argv: list[bytes]) -> Any:
    server = client.server
    client.multi = None
    client.multi_error = False
    server.unwatch_all(client)
    server.unsubscribe_all(client)
    if client.monitor:
        client.monitor = False
        if client in server.monitors:
            server.monitors.remove(client)
    client.db = 0
    client.set_proto(2)
    client.name = b""
    # clearClientConnectionState: OFF and a pending SKIP end; a running skip still
    # silences this RESET's own reply.
    client.reply_flags &= REPLY_SKIP
    client.no_evict = False
    client.no_touch = False
    client.authenticated = server.settings.requirepass is None
    client.reader.limits.authenticated = client.authenticated
    return Status("RESET")

