"""DEBUG (debug.c): the subcommands tools and test suites rely on.

DIGEST and DIGEST-VALUE hash content only, the way Redis does: a set or a hash
gives the same digest whatever order its elements went in, a list or a sorted
set hashes in order. The figures are weir's own (SHA-1 over msgpack), so equal
digests mean equal data on weir nodes, not equality with a Redis digest.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from typing import TYPE_CHECKING, Any

import msgpack

from weir.commands.args import help_reply, parse_int
from weir.commands.keys import is_shared_integer, refcount_of
from weir.commands.table import command
from weir.errors import CommandError
from weir.resp.reply import NO_REPLY, OK, PushReply, SetReply, Status, Verbatim
from weir.server.config_table import parse_memory
from weir.state.types import RawString, type_of

if TYPE_CHECKING:
    from weir.server.client import Client

DEBUG_HELP = [
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory (a no-op here: state lives in the log).",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    (accepted and checked; weir's lists have no quicklist nodes).",
    "RELOAD",
    "    Save the RDB on disk and reload it back to memory (a no-op here: state lives in the log).",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not accessed.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "HELP",
    "    Prints this help.",
]
ZERO_DIGEST = b"0" * 40
# The elements each type hashes, after its dump's leading encoding flag, if any.
_UNORDERED = ("set", "hash")
# DEBUG PROTOCOL's replies, pre-encoded for RESP2 and RESP3 where the encoder has no type.
_BIGNUM = b"1234567999999999999999999999999999999"
_ATTRIB3 = b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
# One packer for every digest: msgpack.packb would build a new one per call.
_pack = msgpack.Packer().pack


def value_digest(value: Any) -> bytes:
    """40 hex digits for a value's content (type_of(value).dump() minus encoding flags)."""
    kind = type_of(value)
    dumped = kind.dump(value)
    if kind.name == "string":
        elements = [dumped]
    elif kind.name == "list":
        elements = dumped
    else:
        elements = dumped[1]
    pack = _pack
    if kind.name in _UNORDERED:
        mixed = 0
        for element in elements:
            mixed ^= int.from_bytes(hashlib.sha1(pack(element)).digest(), "big")
        return hashlib.sha1(kind.name.encode() + mixed.to_bytes(20, "big")).hexdigest().encode()
    h = hashlib.sha1(kind.name.encode())
    for element in elements:
        h.update(hashlib.sha1(pack(element)).digest())
    return h.hexdigest().encode()


def dataset_digest(client: Client) -> bytes:
    """Every live key of every database with its value and deadline, in no order."""
    server = client.server
    now = server.now_ms()
    mixed = 0
    for db in server.machine.dbs:
        for key, value in db.data.items():
            deadline = db.expires.get(key)
            if deadline is not None and deadline <= now:
                continue
            record = _pack([db.index, key, value_digest(value), deadline])
            mixed ^= int.from_bytes(hashlib.sha1(record).digest(), "big")
    return mixed.to_bytes(20, "big").hex().encode() if mixed else ZERO_DIGEST


def _protocol(client: Client, name: bytes) -> Any:
    """DEBUG PROTOCOL: one value of each reply type, as debug.c sends them."""
    resp3 = client.proto >= 3
    simple: dict[bytes, Any] = {
        b"string": b"Hello World",
        b"integer": 12345,
        b"double": 3.141,
        b"null": None,
        b"array": [0, 1, 2],
        b"true": True,
        b"false": False,
    }
    if name in simple:
        return simple[name]
    if name == b"set":
        return SetReply([0, 1, 2])
    if name == b"map":
        return {0: False, 1: True, 2: False}
    if name == b"verbatim":
        return Verbatim(b"This is a verbatim\nstring")
    if name == b"bignum":
        if not resp3:
            return _BIGNUM
        client.write_raw(b"(" + _BIGNUM + b"\r\n")
        return NO_REPLY
    if name == b"attrib":
        if resp3:
            client.write_raw(_ATTRIB3)
        return b"Some real reply following the attribute"
    if name == b"push":
        if not resp3:
            raise CommandError("ERR RESP2 is not supported by this command")
        client.write_raw(client.encoder.encode(PushReply([b"server-cpu-usage", 42])))
        return b"Some real reply following the push reply"
    raise CommandError(
        "ERR Wrong protocol type name. Please use one of the following: "
        "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"
    )


# Made-up addresses in the range CPython's heap objects have (id() is one).
_SHARED_INTEGERS_AT = 0x7F0000000000
_KEYED_AT = 0x7E0000000000


def _address(dbi: int, key: bytes, value: Any, encoding: str) -> int:
    """DEBUG OBJECT's `at:`. Redis modifies some strings in place, keeping their address
    (INCR of an unshared integer, APPEND or SETRANGE of a raw string) where weir stores a
    new object: such a string's address comes from its key. A shared integer's is fixed by
    its value, as Redis's shared integers sit in one array; anything else is its object's
    id (collections are modified in place in weir too)."""
    if is_shared_integer(value, encoding):
        return _SHARED_INTEGERS_AT + int(value) * 16
    if encoding == "int" or type(value) is RawString:
        return _KEYED_AT + (zlib.crc32(key, dbi) << 4)
    return id(value)


def _check_packed_threshold(raw: bytes) -> None:
    """quicklist.c quicklistisSetPackedThreshold takes a memtoull size up to 4 GB less 1 MB,
    0 restoring the default. Lists here have no quicklist nodes for it to split."""
    size = parse_memory(raw.decode("utf-8", "replace"))
    if size is None or size > 2**32 - 2**20:
        raise CommandError("ERR argument must be a memory value bigger than 1 and smaller than 4gb")


@command("debug", -2, "session admin noscript loading stale")
def debug_command(client: Client, argv: list[bytes]) -> Any:
    """DEBUG DIGEST | DIGEST-VALUE | OBJECT | PROTOCOL | RELOAD | SET-ACTIVE-EXPIRE | SLEEP | HELP"""
    server = client.server
    sub = argv[1].lower()
    if sub == b"help" and len(argv) == 2:
        return help_reply(DEBUG_HELP)
    if sub == b"sleep" and len(argv) == 3:
        try:
            seconds = float(argv[2])
        except ValueError:
            seconds = 0.0
        # Redis stops the whole server; so does this, by holding the event loop.
        time.sleep(max(seconds, 0.0))
        return OK
    if sub in (b"reload", b"loadaof"):
        return OK
    if sub == b"set-active-expire" and len(argv) == 3:
        server.active_expire = parse_int(argv[2]) != 0
        return OK
    if sub == b"digest" and len(argv) == 2:
        return Status(dataset_digest(client).decode())
    if sub == b"digest-value":
        ctx = server.machine.reader(client.db, server.now_ms())
        digests = []
        for key in argv[2:]:
            value = ctx.peek(key)
            digests.append(Status((ZERO_DIGEST if value is None else value_digest(value)).decode()))
        return digests
    if sub == b"protocol" and len(argv) == 3:
        return _protocol(client, argv[2].lower())
    if sub == b"quicklist-packed-threshold" and len(argv) == 3:
        _check_packed_threshold(argv[2])
        return OK
    if sub == b"object" and len(argv) == 3:
        machine = server.machine
        ctx = machine.reader(client.db, server.now_ms())
        value = ctx.peek(argv[2])
        if value is None:
            raise CommandError("ERR no such key")
        encoding = type_of(value).encoding(value, machine.limits)
        size = len(value) if isinstance(value, bytes) else 0
        now_s = ctx.now_ms // 1000
        idle_s = 0 if machine.lfu else machine.idle_seconds(ctx.db, argv[2], now_s)
        # Redis's 24-bit LRU field: the access clock, or the LFU minute and counter.
        lru = ctx.db.access.get(argv[2], machine.access_since_s) & 0xFFFFFF
        address = _address(client.db, argv[2], value, encoding)
        return Status(
            f"Value at:0x{address:x} refcount:{refcount_of(value, encoding)} encoding:{encoding} "
            f"serializedlength:{size} lru:{lru} lru_seconds_idle:{idle_s}"
        )
    raise CommandError(
        f"ERR unknown subcommand '{argv[1].decode('utf-8', 'replace')[:128]}'. Try DEBUG HELP."
    )

