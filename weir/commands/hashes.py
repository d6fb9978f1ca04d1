"""Hash commands (t_hash.c). A write handler runs only inside apply.

Every write keeps the sticky `Hash.big` flag current, so OBJECT ENCODING
answers listpack or hashtable exactly when Redis would have converted.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import islice
from typing import Any

from weir.commands.args import LONG_MAX, fits_long, parse_int
from weir.commands.keys import parse_cursor, scan_collection
from weir.commands.strings import (
    NAN_OR_INF,
    OVERFLOW,
    add_long_double,
    format_long_double,
    parse_long_double,
)
from weir.commands.table import command
from weir.errors import SYNTAX, CommandError
from weir.resp.reply import OK, PairsReply
from weir.state.machine import NOTIFY_HASH, Ctx
from weir.state.rng import READ_RANDOM
from weir.state.types import EncodingLimits, Hash


def get_hash(ctx: Ctx, key: bytes) -> Hash | None:
    """The hash at key, None if missing; WRONGTYPE for other types."""
    return ctx.lookup_as(key, Hash)


def _hash_for_write(ctx: Ctx, key: bytes) -> Hash:
    """The hash at key, created (and stored) when missing. Callers signal the key once
    written: Redis counts creating and filling it as one change."""
    value = get_hash(ctx, key)
    if value is None:
        value = Hash()
        ctx.store(key, value)
    return value


def _note_size(value: Hash, limits: EncodingLimits, items: list[bytes], start: int = 0) -> None:
    """Convert (stickily) to hashtable once the hash or one of `items[start:]` outgrows
    listpack. A list and an offset, not *items: compiled, that call builds nothing."""
    if value.big:
        return
    if len(value) > limits.hash_max_listpack_entries:
        value.big = True
        return
    value_max = limits.hash_max_listpack_value
    for i in range(start, len(items)):
        if len(items[i]) > value_max:
            value.big = True
            return


def _hset(ctx: Ctx, argv: list[bytes], name: str) -> int:
    if len(argv) % 2 != 0:
        raise CommandError(f"ERR wrong number of arguments for '{name}' command")
    value = _hash_for_write(ctx, argv[1])
    before = len(value)
    for i in range(2, len(argv), 2):
        value[argv[i]] = argv[i + 1]
    _note_size(value, ctx.limits, argv, 2)
    ctx.modified(argv[1])
    ctx.machine.dirty += (len(argv) - 2) // 2 - 1  # t_hash.c: one change per field given
    ctx.notify(NOTIFY_HASH, b"hset", argv[1])
    return len(value) - before


@command("hset", -4, "write denyoom fast", 1, 1, 1, "@hash")
def hset_command(ctx: Ctx, argv: list[bytes]) -> int:
    return _hset(ctx, argv, "hset")


@command("hmset", -4, "write denyoom fast", 1, 1, 1, "@hash")
def hmset_command(ctx: Ctx, argv: list[bytes]) -> Any:
    _hset(ctx, argv, "hmset")
    return OK


@command("hsetnx", 4, "write denyoom fast", 1, 1, 1, "@hash")
def hsetnx_command(ctx: Ctx, argv: list[bytes]) -> int:
    value = get_hash(ctx, argv[1])
    if value is not None and argv[2] in value:
        return 0
    value = _hash_for_write(ctx, argv[1])
    value[argv[2]] = argv[3]
    _note_size(value, ctx.limits, argv, 2)
    ctx.modified(argv[1])
    ctx.notify(NOTIFY_HASH, b"hset", argv[1])
    return 1


@command("hget", 3, "readonly fast", 1, 1, 1, "@hash")
def hget_command(ctx: Ctx, argv: list[bytes]) -> bytes | None:
    value = get_hash(ctx, argv[1])
    return None if value is None else value.get(argv[2])


@command("hmget", -3, "readonly fast", 1, 1, 1, "@hash")
def hmget_command(ctx: Ctx, argv: list[bytes]) -> list[bytes | None]:
    value: dict[bytes, bytes] = get_hash(ctx, argv[1]) or {}
    return [value.get(field) for field in argv[2:]]


@command("hdel", -3, "write fast", 1, 1, 1, "@hash")
def hdel_command(ctx: Ctx, argv: list[bytes]) -> int:
    value = get_hash(ctx, argv[1])
    if value is None:
        return 0
    removed = sum(1 for field in argv[2:] if value.pop(field, None) is not None)
    if removed:
        ctx.notify(NOTIFY_HASH, b"hdel", argv[1])
        ctx.shrunk(argv[1], value)
        ctx.machine.dirty += removed - 1  # one change per field, as Redis counts
    return removed


@command("hlen", 2, "readonly fast", 1, 1, 1, "@hash")
def hlen_command(ctx: Ctx, argv: list[bytes]) -> int:
    value = get_hash(ctx, argv[1])
    return 0 if value is None else len(value)


@command("hstrlen", 3, "readonly fast", 1, 1, 1, "@hash")
def hstrlen_command(ctx: Ctx, argv: list[bytes]) -> int:
    value: dict[bytes, bytes] = get_hash(ctx, argv[1]) or {}
    return len(value.get(argv[2], b""))


@command("hexists", 3, "readonly fast", 1, 1, 1, "@hash")
def hexists_command(ctx: Ctx, argv: list[bytes]) -> int:
    value = get_hash(ctx, argv[1])
    return 1 if value is not None and argv[2] in value else 0


@command("hkeys", 2, "readonly", 1, 1, 1, "@hash")
def hkeys_command(ctx: Ctx, argv: list[bytes]) -> list[bytes]:
    return list(get_hash(ctx, argv[1]) or ())


@command("hvals", 2, "readonly", 1, 1, 1, "@hash")
def hvals_command(ctx: Ctx, argv: list[bytes]) -> list[bytes]:
    value = get_hash(ctx, argv[1])
    return [] if value is None else list(value.values())


@command("hgetall", 2, "readonly", 1, 1, 1, "@hash")
def hgetall_command(ctx: Ctx, argv: list[bytes]) -> dict[bytes, bytes]:
    value = get_hash(ctx, argv[1])
    return {} if value is None else dict(value)


@command("hincrby", 4, "write denyoom fast", 1, 1, 1, "@hash")
def hincrby_command(ctx: Ctx, argv: list[bytes]) -> int:
    increment = parse_int(argv[3])
    existing = get_hash(ctx, argv[1])
    old = None if existing is None else existing.get(argv[2])
    current = 0 if old is None else parse_int(old, "ERR hash value is not an integer")
    result = current + increment
    if not fits_long(result):
        raise CommandError(OVERFLOW)
    value = _hash_for_write(ctx, argv[1])
    text = b"%d" % result
    value[argv[2]] = text
    _note_size(value, ctx.limits, [argv[2], text])
    ctx.modified(argv[1])
    ctx.notify(NOTIFY_HASH, b"hincrby", argv[1])
    return result


@command("hincrbyfloat", 4, "write denyoom fast", 1, 1, 1, "@hash")
def hincrbyfloat_command(ctx: Ctx, argv: list[bytes]) -> bytes:
    increment = parse_long_double(argv[3])
    if increment is None:
        raise CommandError("ERR value is not a valid float")
    if isinstance(increment, float):
        raise CommandError("ERR value is NaN or Infinity")
    existing = get_hash(ctx, argv[1])
    old = None if existing is None else existing.get(argv[2])
    base = Fraction(0) if old is None else parse_long_double(old)
    if base is None:
        raise CommandError("ERR hash value is not a float")
    result = add_long_double(base, increment)
    if result is None:
        raise CommandError(NAN_OR_INF)
    value = _hash_for_write(ctx, argv[1])
    text = format_long_double(result)
    value[argv[2]] = text
    _note_size(value, ctx.limits, [argv[2], text])
    ctx.modified(argv[1])
    ctx.notify(NOTIFY_HASH, b"hincrbyfloat", argv[1])
    return text


@command("hrandfield", -2, "readonly", 1, 1, 1, "@hash")
def hrandfield_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """HRANDFIELD key [count [WITHVALUES]]"""
    rng = ctx.rng() if ctx.applying else READ_RANDOM
    if len(argv) == 2:
        value = get_hash(ctx, argv[1])
        if not value:
            return None
        index = rng.randrange(len(value))
        return next(islice(value, index, None))
    count = parse_int(argv[2])
    if count < -LONG_MAX:
        raise CommandError(f"ERR value is out of range, value must between {-LONG_MAX} and {LONG_MAX}")
    if len(argv) > 4 or (len(argv) == 4 and argv[3].upper() != b"WITHVALUES"):
        raise CommandError(SYNTAX)
    with_values = len(argv) == 4
    if with_values and not -(LONG_MAX // 2) <= count <= LONG_MAX // 2:
        raise CommandError("ERR value is out of range")
    value = get_hash(ctx, argv[1])
    if not value or count == 0:
        return []
    fields = list(value)
    if count < 0:
        picks = [fields[rng.randrange(len(fields))] for _ in range(-count)]
    elif count >= len(fields):
        picks = fields
    else:
        picks = rng.sample(fields, count)
    if with_values:
        return PairsReply([[field, value[field]] for field in picks])
    return picks


@command("hscan", -3, "readonly", 1, 1, 1, "@hash")
def hscan_command(ctx: Ctx, argv: list[bytes]) -> list[Any]:
    """HSCAN key cursor [MATCH pattern] [COUNT count]

    Cursor, then key, then options, as Redis checks them: a missing key answers an
    empty scan whatever the options say.
    """
    cursor = parse_cursor(argv[2])
    value = get_hash(ctx, argv[1])
    if value is None:
        return [b"0", []]
    next_cursor, fields = scan_collection(ctx, argv, cursor, value if value.big else None,
                                          lambda: list(value))
    return [next_cursor, [item for field in fields for item in (field, value[field])]]
