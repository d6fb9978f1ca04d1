"""CLIENT and its subcommands (networking.c clientCommand). All run on the connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from weir.commands.args import help_reply, parse_int
from weir.commands.connection import validate_name
from weir.commands.table import command, container
from weir.errors import SYNTAX, CommandError
from weir.resp.reply import NO_REPLY, NULL_ARRAY, OK, SetReply, Status, Verbatim
from weir.server.client import REPLY_OFF, REPLY_SKIP, REPLY_SKIP_NEXT

if TYPE_CHECKING:
    from weir.server.client import Client

_CONN = "session noscript loading stale"
_ADMIN = "session admin noscript loading stale"
_CATS = "@connection"

container("client", -2)


@command("id", 2, _CONN, categories=_CATS, container="client")
def client_id_command(client: Client, argv: list[bytes]) -> int:
    return client.id


@command("setname", 3, _CONN, categories=_CATS, container="client")
def client_setname_command(client: Client, argv: list[bytes]) -> Any:
    validate_name(argv[2])
    client.name = argv[2]
    return OK


@command("getname", 2, _CONN, categories=_CATS, container="client")
def client_getname_command(client: Client, argv: list[bytes]) -> bytes | None:
    return client.name or None


@command("info", 2, _CONN, categories=_CATS, container="client")
def client_info_command(client: Client, argv: list[bytes]) -> Verbatim:
    return Verbatim(client.info_line(argv).encode() + b"\n")


def _type_filter(raw: bytes) -> Callable[[Client], bool]:
    """CLIENT LIST/KILL TYPE: weir has no replication links, so master/replica match nobody."""
    kind = raw.lower()
    if kind == b"normal":
        return lambda c: not c.subscribed()
    if kind == b"pubsub":
        return lambda c: c.subscribed()
    if kind in (b"master", b"slave", b"replica"):
        return lambda c: False
    raise CommandError(f"ERR Unknown client type '{raw.decode('utf-8', 'replace')}'")


@command("list", -2, _ADMIN, categories=_CATS, container="client")
def client_list_command(client: Client, argv: list[bytes]) -> Verbatim:
    """CLIENT LIST [TYPE normal|master|replica|pubsub] [ID client-id ...]"""
    clients = list(client.server.clients.values())
    option = argv[2].lower() if len(argv) > 2 else b""
    if len(argv) == 4 and option == b"type":
        keep = _type_filter(argv[3])
        clients = [c for c in clients if keep(c)]
    elif len(argv) >= 4 and option == b"id":
        wanted = []
        for raw in argv[3:]:
            try:
                client_id = parse_int(raw)
            except CommandError:
                client_id = 0
            if client_id <= 0:
                raise CommandError("ERR Invalid client ID")
            wanted.append(client_id)
        table = client.server.clients
        clients = [table[i] for i in dict.fromkeys(wanted) if i in table]
    elif len(argv) != 2:
        raise CommandError(SYNTAX)
    return Verbatim("".join(c.info_line(argv if c is client else None) + "\n" for c in clients).encode())


@command("kill", -3, _ADMIN, categories=_CATS, container="client")
def client_kill_command(client: Client, argv: list[bytes]) -> Any:
    """CLIENT KILL addr | CLIENT KILL [ID id] [TYPE t] [USER u] [ADDR a] [LADDR a] [SKIPME yes|no]"""
    server = client.server
    if len(argv) == 3:
        addr = argv[2].decode("utf-8", "replace")
        for target in list(server.clients.values()):
            if target.addr == addr:
                _kill(client, target)
                return OK
        raise CommandError("ERR No such client")
    if len(argv) % 2:
        raise CommandError(SYNTAX)
    tests: list[Callable[[Client], bool]] = []
    skip_me = True
    for i in range(2, len(argv), 2):
        option, value = argv[i].lower(), argv[i + 1]
        text = value.decode("utf-8", "replace")
        if option == b"id":
            try:
                client_id = parse_int(value)
            except CommandError:
                client_id = 0
            if client_id <= 0:
                raise CommandError("ERR client-id should be greater than 0")
            tests.append(_field_is("id", client_id))
        elif option == b"type":
            tests.append(_type_filter(value))
        elif option == b"addr":
            tests.append(_field_is("addr", text))
        elif option == b"laddr":
            tests.append(_field_is("laddr", text))
        elif option == b"user":
            if text != "default":
                raise CommandError(f"ERR No such user '{text}'")
            tests.append(_field_is("user", text))
        elif option == b"skipme":
            if value.lower() not in (b"yes", b"no"):
                raise CommandError(SYNTAX)
            skip_me = value.lower() == b"yes"
        else:
            raise CommandError(SYNTAX)
    killed = 0
    for target in list(server.clients.values()):
        if (target is client and skip_me) or not all(test(target) for test in tests):
            continue
        _kill(client, target)
        killed += 1
    return killed


def _field_is(field: str, wanted: object) -> Callable[[Client], bool]:
    return lambda c: bool(getattr(c, field) == wanted)


def _kill(caller: Client, target: Client) -> None:
    if target is caller:
        caller.close_after_reply()
    else:
        target.close()


@command("reply", 3, _CONN, categories=_CATS, container="client")
def client_reply_command(client: Client, argv: list[bytes]) -> Any:
    """CLIENT REPLY ON|OFF|SKIP. SKIP silences the next command (the dispatcher moves it
    on); ON ends OFF and a running skip but, as in Redis, not a SKIP still to come."""
    mode = argv[2].lower()
    if mode == b"on":
        client.reply_flags &= ~(REPLY_OFF | REPLY_SKIP)
        return OK
    if mode == b"off":
        client.reply_flags |= REPLY_OFF
        return NO_REPLY
    if mode == b"skip":
        if not client.reply_flags & REPLY_OFF:
            client.reply_flags |= REPLY_SKIP_NEXT
        return NO_REPLY
    raise CommandError(SYNTAX)


def _on_off(client: Client, raw: bytes, field: str) -> Any:
    value = raw.lower()
    if value not in (b"on", b"off"):
        raise CommandError(SYNTAX)
    setattr(client, field, value == b"on")
    return OK


@command("no-evict", 3, _ADMIN, categories=_CATS, container="client")
def client_no_evict_command(client: Client, argv: list[bytes]) -> Any:
    return _on_off(client, argv[2], "no_evict")


@command("no-touch", 3, _CONN, categories=_CATS, container="client")
def client_no_touch_command(client: Client, argv: list[bytes]) -> Any:
    return _on_off(client, argv[2], "no_touch")


@command("unblock", -3, _ADMIN, categories=_CATS, container="client")
def client_unblock_command(client: Client, argv: list[bytes]) -> int:
    """CLIENT UNBLOCK client-id [TIMEOUT|ERROR]"""
    client_id = parse_int(argv[2])
    as_error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason not in (b"timeout", b"error"):
            raise CommandError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
        as_error = reason == b"error"
    elif len(argv) > 4:
        raise CommandError(SYNTAX)
    server = client.server
    target = server.clients.get(client_id)
    # A client held by CLIENT PAUSE is not blocked on keys: Redis cannot unblock it either.
    if target is None or target.blocked is None or not target.blocked.spec.blocking:
        return 0
    if as_error:
        server.unblock_with(target, None, "UNBLOCKED client unblocked via CLIENT UNBLOCK")
    else:
        server.unblock_with(target, NULL_ARRAY)
    return 1


@command("pause", -3, _ADMIN, categories=_CATS, container="client")
def client_pause_command(client: Client, argv: list[bytes]) -> Any:
    """CLIENT PAUSE timeout-ms [WRITE|ALL]: hold commands (or just writes) until it ends."""
    timeout_ms = parse_int(argv[2], "ERR timeout is not an integer or out of range")
    if timeout_ms < 0:
        raise CommandError("ERR timeout is negative")
    mode = "all"
    if len(argv) == 4:
        if argv[3].lower() not in (b"write", b"all"):
            raise CommandError("ERR CLIENT PAUSE mode must be WRITE or ALL")
        mode = argv[3].lower().decode()
    elif len(argv) > 4:
        raise CommandError(SYNTAX)
    client.server.pause_clients(mode, timeout_ms)
    return OK


@command("unpause", 2, _ADMIN, categories=_CATS, container="client")
def client_unpause_command(client: Client, argv: list[bytes]) -> Any:
    client.server.unpause_clients()
    return OK


@command("setinfo", 4, _CONN, categories=_CATS, container="client")
def client_setinfo_command(client: Client, argv: list[bytes]) -> Any:
    """CLIENT SETINFO LIB-NAME|LIB-VER value (what client libraries send on connect)."""
    attribute = argv[2].lower()
    value = argv[3]
    if attribute not in (b"lib-name", b"lib-ver"):
        raise CommandError(f"ERR Unrecognized option '{argv[2].decode('utf-8', 'replace')}'")
    if any(b < 33 or b > 126 for b in value):
        raise CommandError(
            f"ERR {attribute.decode()} cannot contain spaces, newlines or special characters."
        )
    if attribute == b"lib-name":
        client.lib_name = value
    else:
        client.lib_ver = value
    return OK


@command("getredir", 2, _CONN, categories=_CATS, container="client")
def client_getredir_command(client: Client, argv: list[bytes]) -> int:
    return -1  # weir has no client-side caching, so tracking is always off


@command("trackinginfo", 2, _CONN, categories=_CATS, container="client")
def client_trackinginfo_command(client: Client, argv: list[bytes]) -> dict[bytes, Any]:
    return {b"flags": SetReply([b"off"]), b"redirect": -1, b"prefixes": []}


CLIENT_HELP = [
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <LIB-NAME|LIB-VER> <value>",
    "    Set client library name or version.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "NO-TOUCH (ON|OFF)",
    "    Will not touch LRU/LFU stats when this mode is on.",
    "HELP",
    "    Prints this help.",
]


@command("help", 2, "session loading stale", categories=_CATS, container="client")
def client_help_command(client: Client, argv: list[bytes]) -> list[Status]:
    return help_reply(CLIENT_HELP)
