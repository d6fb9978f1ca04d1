"""Keyspace commands (db.c, expire.c, object.c).

SCAN cursors. Redis walks its hash table in reverse-binary bucket order so a
scan survives rehashing. weir keeps keys in plain insertion-ordered dicts, so
it orders them instead by a stable hash: crc32(key). A cursor is "the next
hash value to visit, plus one" (0 starts and ends a scan). Each call returns
the keys whose hash lies in [cursor-1, ...) in hash order, and never splits a
run of equal hashes between two calls. Since a key's hash never changes, a key
present for the whole scan is returned exactly once, however the dict grows
or shrinks meanwhile; keys added or removed during the scan may or may not
appear, as in Redis.

To avoid hashing and sorting the whole container on every call, the sorted
(hash, key) order of a container is cached and rebuilt when a scan starts
(cursor 0) if state changed since it was built (`state_version`: the applied
index and the count of changes, which tells writes apart within one MULTI
entry): a cache as new as the start of a scan holds every key present for the
whole of it, and keys removed since are filtered out. The same
cursor scheme serves HSCAN (and any other collection) through `scan_page`.
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from typing import Any

from weir.commands.args import LONG_MAX, help_reply, parse_int
from weir.commands.table import command, container
from weir.errors import DB_INDEX, NO_SUCH_KEY, SYNTAX, CommandError
from weir.glob import compile_glob
from weir.resp.reply import OK, Status
from weir.state.machine import NOTIFY_GENERIC, Ctx
from weir.state.rng import READ_RANDOM
from weir.state.types import type_of

_HASH_END = 1 << 32
_SCAN_CACHE_ENTRIES_MAX = 32
Version = tuple[int, int]
# container id -> (container, state_version when built, hashes sorted, keys in that order);
# holding the container keeps its id from being reused while the entry lives.
_scan_cache: OrderedDict[int, tuple[Any, Version, list[int], list[bytes]]] = OrderedDict()
_CURSOR = re.compile(rb"[+-]?\d+")


def parse_cursor(raw: bytes) -> int:
    """A cursor as Redis's strtoul reads it (a leading '-' wraps around)."""
    if not _CURSOR.fullmatch(raw):
        raise CommandError("ERR invalid cursor")
    value = int(raw)
    if abs(value) > 2**64 - 1:
        raise CommandError("ERR invalid cursor")
    return value % 2**64


def state_version(ctx: Ctx) -> Version:
    """Changes whenever any key changes: dates a cached scan order."""
    return ctx.machine.applied_index, ctx.machine.dirty


def _scan_order(items: Mapping[bytes, Any], cursor: int, version: Version) -> tuple[list[int], list[bytes]]:
    entry = _scan_cache.get(id(items))
    if entry is None or entry[0] is not items or (cursor == 0 and entry[1] != version):
        pairs = sorted((zlib.crc32(key), key) for key in items)
        entry = (items, version, [h for h, _ in pairs], [k for _, k in pairs])
        _scan_cache[id(items)] = entry
        if len(_scan_cache) > _SCAN_CACHE_ENTRIES_MAX:
            _scan_cache.popitem(last=False)
    _scan_cache.move_to_end(id(items))
    return entry[2], entry[3]


def scan_page(items: Mapping[bytes, Any], cursor: int, count: int, version: Version) -> tuple[int, list[bytes]]:
    """The next cursor and up to about `count` keys of `items` still present (see module doc)."""
    if cursor > _HASH_END:
        return 0, []
    hashes, keys = _scan_order(items, cursor, version)
    start = bisect_left(hashes, max(cursor - 1, 0))
    end = min(start + count, len(keys))
    while 0 < end < len(keys) and hashes[end] == hashes[end - 1]:
        end += 1
    page = [key for key in keys[start:end] if key in items]
    if end >= len(keys):
        return 0, page
    return hashes[end - 1] + 2, page


def scan_collection(
    ctx: Ctx, argv: list[bytes], cursor: int, index: Mapping[bytes, Any] | None,
    whole: Callable[[], list[bytes]],
) -> tuple[bytes, list[bytes]]:
    """HSCAN/SSCAN/ZSCAN once the key is found: (next cursor, members) after MATCH.

    A big collection is paged by cursor over `index`; a small one (listpack,
    intset) is returned `whole` in one call whatever the cursor, as Redis does.
    Options are read here, after the key, which is Redis's order of checks.
    """
    count, match, _ = parse_scan_options(argv, 3, allow_type=False)
    if index is not None:
        next_cursor, page = scan_page(index, cursor, count, state_version(ctx))
    else:
        next_cursor, page = 0, whole()
    if match is not None:
        page = [member for member in page if match(member)]
    return b"%d" % next_cursor, page


def parse_scan_options(argv: list[bytes], start: int, allow_type: bool) -> tuple[int, Callable[[bytes], bool] | None, bytes | None]:
    """COUNT, MATCH (and for SCAN, TYPE) options from argv[start:]."""
    count = 10
    match: Callable[[bytes], bool] | None = None
    type_name: bytes | None = None
    i = start
    while i < len(argv):
        option = argv[i].upper()
        if i + 1 >= len(argv):
            raise CommandError(SYNTAX)
        if option == b"COUNT":
            count = parse_int(argv[i + 1])
            if count < 1:
                raise CommandError(SYNTAX)
        elif option == b"MATCH":
            match = None if argv[i + 1] == b"*" else compile_glob(argv[i + 1])
        elif option == b"TYPE" and allow_type:
            type_name = argv[i + 1].lower()
        else:
            raise CommandError(SYNTAX)
        i += 2
    return count, match, type_name


# --- existence and type ----------------------------------------------------------------


def _delete_keys(ctx: Ctx, keys: list[bytes]) -> int:
    deleted = 0
    for key in keys:
        if ctx.delete(key):
            ctx.notify(NOTIFY_GENERIC, b"del", key)
            deleted += 1
    return deleted


@command("del", -2, "write", 1, -1, 1, "@keyspace")
def del_command(ctx: Ctx, argv: list[bytes]) -> int:
    ctx.prefetch(argv, 1, 1)
    return _delete_keys(ctx, argv[1:])


@command("unlink", -2, "write fast", 1, -1, 1, "@keyspace")
def unlink_command(ctx: Ctx, argv: list[bytes]) -> int:
    ctx.prefetch(argv, 1, 1)
    return _delete_keys(ctx, argv[1:])


@command("exists", -2, "readonly fast", 1, -1, 1, "@keyspace")
def exists_command(ctx: Ctx, argv: list[bytes]) -> int:
    ctx.prefetch(argv, 1, 1)
    return sum(1 for key in argv[1:] if ctx.peek(key) is not None)


@command("touch", -2, "readonly fast", 1, -1, 1, "@keyspace")
def touch_command(ctx: Ctx, argv: list[bytes]) -> int:
    ctx.prefetch(argv, 1, 1)
    # TOUCH is an access even for a client in CLIENT NO-TOUCH mode (db.c lookupKey).
    touch, ctx.touch = ctx.touch, ctx.machine.touching
    found = sum(1 for key in argv[1:] if ctx.lookup(key) is not None)
    ctx.touch = touch
    return found


@command("type", 2, "readonly fast", 1, 1, 1, "@keyspace")
def type_command(ctx: Ctx, argv: list[bytes]) -> Any:
    value = ctx.peek(argv[1])
    return Status("none" if value is None else type_of(value).name)


# --- renaming and copying --------------------------------------------------------------


@contextmanager
def _in_db(ctx: Ctx, dbi: int) -> Iterator[None]:
    """Point ctx at another database for a while (MOVE, COPY DB)."""
    saved = ctx.dbi
    ctx.select(dbi)
    try:
        yield
    finally:
        ctx.select(saved)


def _rename(ctx: Ctx, argv: list[bytes], nx: bool) -> Any:
    source, target = argv[1], argv[2]
    value = ctx.lookup(source)
    if value is None:
        raise CommandError(NO_SUCH_KEY)
    if source == target:
        return 0 if nx else OK
    if nx and ctx.lookup(target) is not None:
        return 0
    deadline = ctx.db.expires.get(source)
    dirty = ctx.machine.dirty
    ctx.delete(target)  # Redis deletes a target it replaces, then adds it anew
    ctx.delete(source)
    ctx.put(target, value)
    if deadline is not None:
        ctx.set_expire(target, deadline)
    ctx.machine.dirty = dirty + 1  # keys.c renameGenericCommand: one change for both keys
    ctx.notify(NOTIFY_GENERIC, b"rename_from", source)
    ctx.notify(NOTIFY_GENERIC, b"rename_to", target)
    return 1 if nx else OK


@command("rename", 3, "write", 1, 2, 1, "@keyspace")
def rename_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _rename(ctx, argv, nx=False)


@command("renamenx", 3, "write fast", 1, 2, 1, "@keyspace")
def renamenx_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _rename(ctx, argv, nx=True)


def _db_index(ctx: Ctx, raw: bytes, int32: bool) -> int:
    dbi = parse_int(raw)
    if int32 and not -(2**31) <= dbi < 2**31:
        raise CommandError("ERR value is out of range, value must between -2147483648 and 2147483647")
    if not 0 <= dbi < len(ctx.machine.dbs):
        raise CommandError(DB_INDEX)
    return dbi


def copy_value(value: Any) -> Any:
    """An independent copy of any value, through its type's dump and load."""
    value_type = type_of(value)
    return value_type.load(value_type.dump(value))


@command("copy", -3, "write denyoom", 1, 2, 1, "@keyspace")
def copy_command(ctx: Ctx, argv: list[bytes]) -> int:
    """COPY source destination [DB destination-db] [REPLACE]"""
    target_db = ctx.dbi
    replace = False
    i = 3
    while i < len(argv):
        option = argv[i].upper()
        if option == b"REPLACE":
            replace = True
        elif option == b"DB" and i + 1 < len(argv):
            target_db = _db_index(ctx, argv[i + 1], int32=False)
            i += 1
        else:
            raise CommandError(SYNTAX)
        i += 1
    source, target = argv[1], argv[2]
    if target_db == ctx.dbi and source == target:
        raise CommandError("ERR source and destination objects are the same")
    value = ctx.lookup(source)
    if value is None:
        return 0
    deadline = ctx.db.expires.get(source)
    dirty = ctx.machine.dirty
    with _in_db(ctx, target_db):
        if ctx.lookup(target) is not None:
            if not replace:
                return 0
            ctx.delete(target)
        ctx.put(target, copy_value(value))
        if deadline is not None:
            ctx.set_expire(target, deadline)
        ctx.notify(NOTIFY_GENERIC, b"copy_to", target)
    ctx.machine.dirty = dirty + 1  # keys.c copyCommand: one change, replaced or not
    return 1


@command("move", 3, "write fast", 1, 1, 1, "@keyspace")
def move_command(ctx: Ctx, argv: list[bytes]) -> int:
    key = argv[1]
    target_db = _db_index(ctx, argv[2], int32=True)
    if target_db == ctx.dbi:
        raise CommandError("ERR source and destination objects are the same")
    value = ctx.lookup(key)
    if value is None:
        return 0
    deadline = ctx.db.expires.get(key)
    with _in_db(ctx, target_db):
        if ctx.lookup(key) is not None:
            return 0
        dirty = ctx.machine.dirty
        ctx.put(key, value)
        if deadline is not None:
            ctx.set_expire(key, deadline)
    ctx.delete(key)
    ctx.machine.dirty = dirty + 1  # keys.c moveCommand: one change for both databases
    ctx.notify(NOTIFY_GENERIC, b"move_from", key)
    ctx.notify(NOTIFY_GENERIC, b"move_to", key, target_db)
    return 1


# --- enumeration -----------------------------------------------------------------------


@command("randomkey", 1, "readonly", categories="@keyspace")
def randomkey_command(ctx: Ctx, argv: list[bytes]) -> bytes | None:
    data, expires = ctx.db.data, ctx.db.expires
    if not data:
        return None
    rng = ctx.rng() if ctx.applying else READ_RANDOM
    # Bounded: once every key may be expired, fall back to a full pass.
    for _ in range(100):
        index = rng.randrange(len(data))
        key = next(islice(data, index, None))
        deadline = expires.get(key)
        if deadline is None or deadline > ctx.now_ms:
            return key
    live = [key for key in data if not ctx.db.is_expired(key, ctx.now_ms)]
    return rng.choice(live) if live else None


@command("keys", 2, "readonly", categories="@keyspace @dangerous")
def keys_command(ctx: Ctx, argv: list[bytes]) -> list[bytes]:
    db, now = ctx.db, ctx.now_ms
    if argv[1] == b"*":  # every key, the empty one too, which no glob matches (db.c allkeys)
        return [key for key in db.data if not db.is_expired(key, now)]
    match = compile_glob(argv[1])
    return [key for key in db.data if match(key) and not db.is_expired(key, now)]


@command("scan", -2, "readonly", categories="@keyspace")
def scan_command(ctx: Ctx, argv: list[bytes]) -> list[Any]:
    """SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]"""
    cursor = parse_cursor(argv[1])
    count, match, type_name = parse_scan_options(argv, 2, allow_type=True)
    db, now = ctx.db, ctx.now_ms
    next_cursor, page = scan_page(db.data, cursor, count, state_version(ctx))
    out = []
    for key in page:
        if db.is_expired(key, now) or (match is not None and not match(key)):
            continue
        if type_name is not None and type_of(db.data[key]).name.encode() != type_name:
            continue
        out.append(key)
    return [b"%d" % next_cursor, out]


# --- expiry ----------------------------------------------------------------------------


def _expire_flags(argv: list[bytes]) -> set[bytes]:
    flags: set[bytes] = set()
    for raw in argv[3:]:
        option = raw.upper()
        if option not in (b"NX", b"XX", b"GT", b"LT"):
            raise CommandError(f"ERR Unsupported option {raw.decode(errors='replace')}")
        flags.add(option)
    if b"NX" in flags and flags & {b"XX", b"GT", b"LT"}:
        raise CommandError("ERR NX and XX, GT or LT options at the same time are not compatible")
    if {b"GT", b"LT"} <= flags:
        raise CommandError("ERR GT and LT options at the same time are not compatible")
    return flags


def _expire_generic(ctx: Ctx, argv: list[bytes], unit_ms: int, relative: bool) -> int:
    """EXPIRE key amount [NX|XX|GT|LT], and PEXPIRE, EXPIREAT, PEXPIREAT."""
    flags = _expire_flags(argv)
    when = parse_int(argv[2])
    error = f"ERR invalid expire time in '{argv[0].decode(errors='replace').lower()}' command"
    if unit_ms == 1000:
        if when > LONG_MAX // 1000 or when < -(LONG_MAX // 1000):
            raise CommandError(error)
        when *= 1000
    base = ctx.now_ms if relative else 0
    if when > LONG_MAX - base:
        raise CommandError(error)
    when += base
    key = argv[1]
    if ctx.lookup(key) is None:
        return 0
    current = ctx.db.expires.get(key)
    if b"NX" in flags and current is not None:
        return 0
    if b"XX" in flags and current is None:
        return 0
    if b"GT" in flags and (current is None or when <= current):
        return 0
    if b"LT" in flags and current is not None and when >= current:
        return 0
    if when <= ctx.now_ms:
        ctx.delete(key)
        ctx.notify(NOTIFY_GENERIC, b"del", key)
    else:
        ctx.set_expire(key, when)
        ctx.notify(NOTIFY_GENERIC, b"expire", key)
    return 1


@command("expire", -3, "write fast", 1, 1, 1, "@keyspace")
def expire_command(ctx: Ctx, argv: list[bytes]) -> int:
    return _expire_generic(ctx, argv, 1000, relative=True)


@command("pexpire", -3, "write fast", 1, 1, 1, "@keyspace")
def pexpire_command(ctx: Ctx, argv: list[bytes]) -> int:
    return _expire_generic(ctx, argv, 1, relative=True)


@command("expireat", -3, "write fast", 1, 1, 1, "@keyspace")
def expireat_command(ctx: Ctx, argv: list[bytes]) -> int:
    return _expire_generic(ctx, argv, 1000, relative=False)


@command("pexpireat", -3, "write fast", 1, 1, 1, "@keyspace")
def pexpireat_command(ctx: Ctx, argv: list[bytes]) -> int:
    return _expire_generic(ctx, argv, 1, relative=False)


def _deadline(ctx: Ctx, key: bytes) -> int | None:
    """-2 for a missing key, -1 for no deadline, else the deadline in ms (as None-free int)."""
    if ctx.peek(key) is None:
        return None
    return ctx.db.expires.get(key, -1)


@command("ttl", 2, "readonly fast", 1, 1, 1, "@keyspace")
def ttl_command(ctx: Ctx, argv: list[bytes]) -> int:
    deadline = _deadline(ctx, argv[1])
    if deadline is None or deadline == -1:
        return -2 if deadline is None else -1
    return (max(deadline - ctx.now_ms, 0) + 500) // 1000


@command("pttl", 2, "readonly fast", 1, 1, 1, "@keyspace")
def pttl_command(ctx: Ctx, argv: list[bytes]) -> int:
    deadline = _deadline(ctx, argv[1])
    if deadline is None or deadline == -1:
        return -2 if deadline is None else -1
    return max(deadline - ctx.now_ms, 0)


@command("expiretime", 2, "readonly fast", 1, 1, 1, "@keyspace")
def expiretime_command(ctx: Ctx, argv: list[bytes]) -> int:
    deadline = _deadline(ctx, argv[1])
    if deadline is None or deadline == -1:
        return -2 if deadline is None else -1
    return (deadline + 500) // 1000


@command("pexpiretime", 2, "readonly fast", 1, 1, 1, "@keyspace")
def pexpiretime_command(ctx: Ctx, argv: list[bytes]) -> int:
    deadline = _deadline(ctx, argv[1])
    return -2 if deadline is None else deadline


@command("persist", 2, "write fast", 1, 1, 1, "@keyspace")
def persist_command(ctx: Ctx, argv: list[bytes]) -> int:
    if ctx.lookup(argv[1]) is None or ctx.db.expires.pop(argv[1], None) is None:
        return 0
    ctx.modified(argv[1])
    ctx.notify(NOTIFY_GENERIC, b"persist", argv[1])
    return 1


# --- OBJECT ----------------------------------------------------------------------------

container("object", -2, categories="@slow")

# Redis shares the integers 0..9999 and reports them with this refcount.
_SHARED_REFCOUNT = 2**31 - 1
_SHARED_INTEGERS = 10000


def _object_lookup(ctx: Ctx, key: bytes) -> Any:
    """OBJECT's lookup (LOOKUP_NONOTIFY in Redis): a miss is no `keymiss`."""
    value = ctx.db.data.get(key)
    return None if value is None or ctx.db.is_expired(key, ctx.now_ms) else value


@command("encoding", 3, "readonly", 2, 2, 1, "@keyspace", container="object")
def object_encoding_command(ctx: Ctx, argv: list[bytes]) -> bytes | None:
    value = _object_lookup(ctx, argv[2])
    if value is None:
        return None
    return type_of(value).encoding(value, ctx.limits).encode()


@command("freq", 3, "readonly", 2, 2, 1, "@keyspace", container="object")
def object_freq_command(ctx: Ctx, argv: list[bytes]) -> int | None:
    if _object_lookup(ctx, argv[2]) is None:
        return None
    if not ctx.machine.lfu:
        raise CommandError(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
            "that when switching between policies at runtime LRU and LFU data will take some time to adjust."
        )
    return ctx.machine.lfu_counter(ctx.db, argv[2], ctx.now_ms // 1000)


@command("idletime", 3, "readonly", 2, 2, 1, "@keyspace", container="object")
def object_idletime_command(ctx: Ctx, argv: list[bytes]) -> int | None:
    if _object_lookup(ctx, argv[2]) is None:
        return None
    if ctx.machine.lfu:
        raise CommandError(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
            "switching between policies at runtime LRU and LFU data will take some time to adjust."
        )
    return ctx.machine.idle_seconds(ctx.db, argv[2], ctx.now_ms // 1000)


@command("refcount", 3, "readonly", 2, 2, 1, "@keyspace", container="object")
def object_refcount_command(ctx: Ctx, argv: list[bytes]) -> int | None:
    value = _object_lookup(ctx, argv[2])
    return None if value is None else refcount_of(value, type_of(value).encoding(value, ctx.limits))


def is_shared_integer(value: Any, encoding: str) -> bool:
    """Redis keeps 0-9999 as shared integer objects (server.c createSharedObjects)."""
    return encoding == "int" and 0 <= int(value) < _SHARED_INTEGERS


def refcount_of(value: Any, encoding: str) -> int:
    return _SHARED_REFCOUNT if is_shared_integer(value, encoding) else 1


_OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]


@command("help", 2, "loading stale", categories="@keyspace", container="object")
def object_help_command(ctx: Ctx, argv: list[bytes]) -> list[Any]:
    return help_reply(_OBJECT_HELP)

