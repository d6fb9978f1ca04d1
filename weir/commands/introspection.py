"""COMMAND and its subcommands (server.c commandCommand): the table describing itself."""

from __future__ import annotations

import functools
import json
from pathlib import Path
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


KeySpec = dict[str, Any]


@functools.cache
def redis_specs() -> dict[str, dict[str, Any]]:
    """Redis 7.0's tips and key specs by command name (scripts/command_specs_from_redis.py
    writes the file): how to route each command, where its keys are, what it does to them."""
    specs: dict[str, dict[str, Any]] = json.loads((Path(__file__).parent / "command_specs.json").read_text())
    return specs


def _specs_of(name: str) -> list[KeySpec] | None:
    info = redis_specs().get(name)
    return None if info is None else info["key_specs"]


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


def _reply_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k.encode(): _reply_value(v) for k, v in value.items()}
    return value.encode() if isinstance(value, str) else value


def _key_specs(spec: CommandSpec) -> list[dict[bytes, Any]]:
    known = _specs_of(spec.full_name)
    if known is not None:
        return [
            {k.encode(): SetReply([Status(f) for f in v]) if k == "flags" else _reply_value(v) for k, v in ks.items()}
            for ks in known
        ]
    # A command Redis 7.0 does not have: a spec from first/last/step.
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
        SetReply([tip.encode() for tip in redis_specs().get(spec.full_name, {}).get("tips", ())]),
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


def _command_keys(argv: list[bytes]) -> list[tuple[int, list[str]]]:
    """COMMAND GETKEYS[ANDFLAGS]: (position in argv[2:], key flags) of each key, as Redis
    finds them (db.c getKeysFromCommandWithSpecs): by the key specs where they are
    complete and their flags fixed, else by the command's own key finder."""
    spec = _find(argv[2]) if b"|" not in argv[2] else None
    if spec is not None and spec.subcommands and len(argv) > 3:
        spec = spec.subcommands.get(argv[3].decode("utf-8", "replace").lower())
    if spec is None:
        raise CommandError("ERR Invalid command specified")
    target = argv[2:]
    specs = _specs_of(spec.full_name)
    if specs is not None and all("not_key" in ks["flags"] for ks in specs):
        raise CommandError("ERR The command has no key arguments")
    if not spec.arity_ok(len(target)):
        raise CommandError("ERR Invalid number of arguments specified for command")
    keys = None
    if specs and not any("variable_flags" in ks["flags"] for ks in specs):
        keys = _keys_by_specs(specs, target)
    if keys is None:
        positions = spec.key_positions(target)
        if not positions and specs is None:
            raise CommandError("ERR The command has no key arguments")
        keys = [(pos, _finder_flags(spec, specs, target, i)) for i, pos in enumerate(positions)]
    if not keys:
        if "no_mandatory_keys" in spec.flags:
            return []
        raise CommandError("ERR Invalid arguments specified for command")
    return keys


def _keys_by_specs(specs: list[KeySpec], argv: list[bytes]) -> list[tuple[int, list[str]]] | None:
    """db.c getKeysUsingKeySpecs: None where a spec cannot say (an unknown or incomplete
    one: the command's own finder knows), [] for arguments that break a spec (a bad
    numkeys: Redis's finders reject those too)."""
    argc = len(argv)
    keys: list[tuple[int, list[str]]] = []
    for ks in specs:
        if "not_key" in ks["flags"]:
            continue
        begin, find = ks["begin_search"], ks["find_keys"]
        if begin["type"] == "index":
            first = begin["spec"]["index"]
        elif begin["type"] == "keyword":
            start = begin["spec"]["startfrom"]
            word = begin["spec"]["keyword"].lower().encode()
            indexes = range(start, argc) if start > 0 else range(argc + start, 0, -1)
            first = next((i + 1 for i in indexes if 1 <= i < argc and argv[i].lower() == word), 0)
            if not first:
                continue
        else:
            return None
        if find["type"] == "range":
            step, lastkey, limit = find["spec"]["keystep"], find["spec"]["lastkey"], find["spec"]["limit"]
            if lastkey >= 0:
                last = first + lastkey
            elif not limit:
                last = argc + lastkey
            else:
                last = first + (argc - first) // limit + lastkey
        elif find["type"] == "keynum":
            step = find["spec"]["keystep"]
            if find["spec"]["keynumidx"] >= argc - first:
                return []
            try:
                numkeys = int(argv[first + find["spec"]["keynumidx"]])
            except ValueError:
                return []
            if numkeys < 0:
                return []
            first += find["spec"]["firstkey"]
            last = first + numkeys - 1
        else:
            return None
        if last >= argc or last < first or first >= argc:
            return []
        keys.extend((i, ks["flags"]) for i in range(first, last + 1, step))
        if "incomplete" in ks["flags"]:
            return None
    return keys


def _finder_flags(spec: CommandSpec, specs: list[KeySpec] | None, argv: list[bytes], nth: int) -> list[str]:
    """Flags of the nth key a command's own finder gave, as Redis's getkeys procs set them."""
    if spec.full_name == "set":  # setGetKeys: the GET option reads the old value
        get = any(arg.lower() == b"get" for arg in argv[3:])
        return ["RW", "access", "update"] if get else ["OW", "update"]
    if spec.full_name == "bitfield":  # bitfieldGetKeys: read-only unless a SET or INCRBY
        return ["RO", "access"] if _bitfield_reads_only(argv) else ["RW", "access", "update"]
    if not specs:
        return ["RW", "update"] if spec.write else ["RO", "access"]
    # The first key has the first spec's flags; a later one (SORT's STORE) the last spec's.
    return specs[0]["flags"] if nth == 0 else specs[-1]["flags"]


def _bitfield_reads_only(argv: list[bytes]) -> bool:
    i = 2
    while i < len(argv):
        left = len(argv) - i - 1
        arg = argv[i].lower()
        if arg == b"get" and left >= 2:
            i += 3
        elif arg == b"overflow" and left >= 1:
            i += 2
        else:
            return False  # SET, INCRBY, or a syntax error: assume a write, as Redis does
    return True


@command("getkeys", -4, _CMD, categories=_CATS, container="command")
def command_getkeys_command(client: Client, argv: list[bytes]) -> list[bytes]:
    return [argv[2 + pos] for pos, _ in _command_keys(argv)]


@command("getkeysandflags", -4, _CMD, categories=_CATS, container="command")
def command_getkeysandflags_command(client: Client, argv: list[bytes]) -> list[Any]:
    return [[argv[2 + pos], SetReply([Status(f) for f in flags])] for pos, flags in _command_keys(argv)]


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
