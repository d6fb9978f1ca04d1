"""COMMAND and its subcommands (server.c commandCommand): the table describing itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from weir.commands.args import help_reply
from weir.commands.table import COMMANDS, CommandSpec, command
from weir.errors import SYNTAX, CommandError
from weir.glob import compile_glob
from weir.resp.reply import SetReply, Status

if TYPE_CHECKING:
    from weir.server.client import Client

# The flags Redis 7.0's COMMAND INFO shows, in its order; weir's own (session, internal) and
# those 7.0 keeps to itself (may_replicate) stay hidden.
REDIS_FLAGS = (
    "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking",
    "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
    "sentinel", "only_sentinel", "no_mandatory_keys", "protected",
    "no_async_loading", "no_multi", "movablekeys", "allow_busy",
)
# ACL categories in Redis's order (acl.c ACLCommandCategories).
CATEGORY_ORDER = (
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
    "connection", "transaction", "scripting",
)
# COMMAND DOCS "group", from the module that registers the command.
GROUPS = {
    "strings": "string", "hashes": "hash", "lists": "list", "sets": "set", "zsets": "sorted-set",
    "keys": "generic", "sort": "generic", "server": "server", "info": "server",
    "config_cmd": "server", "introspection": "server", "client_cmd": "connection",
    "connection": "connection", "pubsub": "pubsub", "transactions": "transactions",
    "scripting": "scripting", "streams": "stream", "geo": "geo", "hyperloglog": "hyperloglog",
    "bitmaps": "bitmap", "cluster": "cluster",
}


def visible(spec: CommandSpec) -> bool:
    return "internal" not in spec.flags and not spec.name.startswith("__")


def top_level() -> list[CommandSpec]:
    return [spec for spec in COMMANDS.values() if visible(spec)]


def flags_of(spec: CommandSpec) -> list[str]:
    flags = set(spec.flags)
    if spec.key_finder is not None:
        flags.add("movablekeys")
    return [flag for flag in REDIS_FLAGS if flag in flags]


def categories_of(spec: CommandSpec) -> list[str]:
    names = [c.lstrip("@") for c in spec.acl_categories]
    ordered = [c for c in CATEGORY_ORDER if c in names]
    return ["@" + c for c in ordered + [c for c in names if c not in CATEGORY_ORDER]]


def _key_specs(spec: CommandSpec) -> list[dict[bytes, Any]]:
    if spec.key_finder is not None:
        unknown: dict[bytes, Any] = {b"type": b"unknown", b"spec": {}}
        flags = ["RW", "access", "update"] if spec.write else ["RO", "access"]
        return [{b"flags": SetReply([Status(f) for f in flags]), b"begin_search": unknown,
                 b"find_keys": unknown}]
    if spec.first_key <= 0:
        return []
    last = spec.last_key - spec.first_key if spec.last_key >= 0 else spec.last_key
    flags = ["RW", "update"] if spec.write else ["RO", "access"]
    return [{
        b"flags": SetReply([Status(f) for f in flags]),
        b"begin_search": {b"type": b"index", b"spec": {b"index": spec.first_key}},
        b"find_keys": {b"type": b"range",
                       b"spec": {b"lastkey": last, b"keystep": spec.key_step, b"limit": 0}},
    }]


def command_info(spec: CommandSpec) -> list[Any]:
    """One COMMAND INFO entry in Redis 7.0's shape (ten fields)."""
    return [
        spec.full_name.encode(),
        spec.arity,
        SetReply([Status(f) for f in flags_of(spec)]),
        spec.first_key,
        spec.last_key,
        spec.key_step,
        SetReply([Status(c) for c in categories_of(spec)]),
        SetReply(),
        _key_specs(spec),
        [command_info(sub) for sub in spec.subcommands.values()],
    ]


def _docs(spec: CommandSpec) -> dict[bytes, Any]:
    module = spec.handler.__module__.rsplit(".", 1)[-1]
    doc = (spec.handler.__doc__ or "").strip().splitlines()
    summary = doc[0] if doc else f"{spec.full_name.upper()} command"
    docs: dict[bytes, Any] = {
        b"summary": summary.encode(),
        b"since": b"1.0.0",
        b"group": GROUPS.get(module, "server").encode(),
        b"complexity": b"",
    }
    if spec.subcommands:
        docs[b"subcommands"] = {sub.full_name.encode(): _docs(sub) for sub in spec.subcommands.values()}
    return docs


def _find(name: bytes) -> CommandSpec | None:
    """A command or "container|sub" by name, as COMMAND INFO/DOCS accept it."""
    text = name.decode("utf-8", "replace").lower()
    parent, _, sub = text.partition("|")
    spec = COMMANDS.get(parent.encode())
    if spec is None or not visible(spec):
        return None
    return spec.subcommands.get(sub) if sub else spec


_CMD = "session loading stale"
_CATS = "@connection"



@command("command", -1, _CMD, categories=_CATS)
def command_command(client: Client, argv: list[bytes]) -> list[Any]:
    """COMMAND: every command's COMMAND INFO entry (a bare COMMAND runs here, not a subcommand)."""
    return [command_info(spec) for spec in top_level()]


@command("count", 2, _CMD, categories=_CATS, container="command")
def command_count_command(client: Client, argv: list[bytes]) -> int:
    return len(top_level())


@command("info", -2, _CMD, categories=_CATS, container="command")
def command_info_command(client: Client, argv: list[bytes]) -> list[Any]:
    if len(argv) == 2:
        return [command_info(spec) for spec in top_level()]
    out: list[Any] = []
    for name in argv[2:]:
        spec = _find(name)
        out.append(None if spec is None else command_info(spec))
    return out


@command("docs", -2, _CMD, categories=_CATS, container="command")
def command_docs_command(client: Client, argv: list[bytes]) -> dict[bytes, Any]:
    specs = top_level() if len(argv) == 2 else [s for s in map(_find, argv[2:]) if s is not None]
    return {spec.full_name.encode(): _docs(spec) for spec in specs}


def _command_keys(argv: list[bytes]) -> tuple[CommandSpec, list[int]]:
    spec = _find(argv[2]) if b"|" not in argv[2] else None
    if spec is not None and spec.subcommands and len(argv) > 3:
        spec = spec.subcommands.get(argv[3].decode("utf-8", "replace").lower())
    if spec is None:
        raise CommandError("ERR Invalid command specified")
    target = argv[2:]
    if not spec.arity_ok(len(target)):
        raise CommandError("ERR Invalid number of arguments specified for command")
    positions = spec.key_positions(target)
    if not positions:
        raise CommandError("ERR The command has no key arguments")
    return spec, positions


@command("getkeys", -4, _CMD, categories=_CATS, container="command")
def command_getkeys_command(client: Client, argv: list[bytes]) -> list[bytes]:
    _, positions = _command_keys(argv)
    return [argv[2 + i] for i in positions]


@command("getkeysandflags", -4, _CMD, categories=_CATS, container="command")
def command_getkeysandflags_command(client: Client, argv: list[bytes]) -> list[Any]:
    spec, positions = _command_keys(argv)
    flags = ["RW", "update"] if spec.write else ["RO", "access"]
    return [[argv[2 + i], SetReply([Status(f) for f in flags])] for i in positions]


def _all_names() -> list[CommandSpec]:
    out = []
    for spec in top_level():
        out.append(spec)
        out.extend(spec.subcommands.values())
    return out


@command("list", -2, _CMD, categories=_CATS, container="command")
def command_list_command(client: Client, argv: list[bytes]) -> list[bytes]:
    """COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]"""
    specs = _all_names()
    if len(argv) == 2:
        return [spec.full_name.encode() for spec in specs]
    if len(argv) != 5 or argv[2].lower() != b"filterby":
        raise CommandError(SYNTAX)
    kind, value = argv[3].lower(), argv[4]
    if kind == b"module":
        return []
    if kind == b"aclcat":
        category = "@" + value.decode("utf-8", "replace").lower()
        return [s.full_name.encode() for s in specs if category in s.acl_categories]
    if kind == b"pattern":
        match = compile_glob(value, True)
        return [s.full_name.encode() for s in specs if match(s.full_name.encode())]
    raise CommandError(SYNTAX)


COMMAND_HELP = [
    'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    '(no subcommand)',
    '    Return details about all Redis commands.',
    'COUNT',
    '    Return the total number of commands in this Redis server.',
    'LIST',
    '    Return a list of all commands in this Redis server.',
    'INFO [<command-name> ...]',
    '    Return details about multiple Redis commands.',
    '    If no command names are given, documentation details for all',
    '    commands are returned.',
    'DOCS [<command-name> ...]',
    '    Return documentation details about multiple Redis commands.',
    '    If no command names are given, documentation details for all',
    '    commands are returned.',
    'GETKEYS <full-command>',
    '    Return the keys from a full Redis command.',
    'GETKEYSANDFLAGS <full-command>',
    '    Return the keys and the access flags from a full Redis command.',
    'HELP',
    '    Prints this help.',
]


@command("help", 2, _CMD, categories=_CATS, container="command")
def command_help_command(client: Client, argv: list[bytes]) -> list[Status]:
    return help_reply(COMMAND_HELP)
