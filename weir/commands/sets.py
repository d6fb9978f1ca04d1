"""Set commands (t_set.c). Random picks draw from the entry's RNG when applying."""

from __future__ import annotations

from typing import Any

from weir.commands.args import parse_int
from weir.commands.keys import parse_cursor, scan_collection
from weir.commands.lists import MUST_BE_POSITIVE, parse_range
from weir.commands.table import command
from weir.errors import SYNTAX, CommandError
from weir.resp.reply import SetReply
from weir.state.machine import NOTIFY_GENERIC, NOTIFY_KEY_MISS, NOTIFY_SET, Ctx
from weir.state.rng import READ_RANDOM, EntryRandom
from weir.state.sets import SetValue

LONG_MAX = 2**63 - 1


def get_set(ctx: Ctx, key: bytes) -> SetValue | None:
    return ctx.lookup_as(key, SetValue)


def rng_for(ctx: Ctx) -> EntryRandom:
    return ctx.rng() if ctx.applying else READ_RANDOM


@command("sadd", -3, "write denyoom fast", 1, 1, 1, "@write @set @fast")
def sadd_command(ctx: Ctx, argv: list[bytes]) -> int:
    key = argv[1]
    value = get_set(ctx, key)
    created = value is None
    if value is None:
        value = SetValue()
    added = sum(1 for member in argv[2:] if value.add(member))
    value.settle(ctx.limits)
    if created:
        ctx.put(key, value)
    elif added:
        ctx.modified(key)
    if added:
        ctx.machine.dirty += added - 1  # t_set.c: one change per member added
        ctx.notify(NOTIFY_SET, b"sadd", key)
    return added


@command("srem", -3, "write fast", 1, 1, 1, "@write @set @fast")
def srem_command(ctx: Ctx, argv: list[bytes]) -> int:
    value = get_set(ctx, argv[1])
    if value is None:
        return 0
    removed = sum(1 for member in argv[2:] if value.remove(member))
    if removed:
        ctx.notify(NOTIFY_SET, b"srem", argv[1])
        ctx.shrunk(argv[1], value)
        ctx.machine.dirty += removed - 1  # one change per member, as Redis counts
    return removed


@command("smembers", 2, "readonly", 1, 1, 1, "@read @set @slow")
def smembers_command(ctx: Ctx, argv: list[bytes]) -> SetReply:
    value = get_set(ctx, argv[1])
    return SetReply() if value is None else SetReply(value.sorted_if_intset())


@command("sismember", 3, "readonly fast", 1, 1, 1, "@read @set @fast")
def sismember_command(ctx: Ctx, argv: list[bytes]) -> int:
    value = get_set(ctx, argv[1])
    return int(value is not None and argv[2] in value)


@command("smismember", -3, "readonly fast", 1, 1, 1, "@read @set @fast")
def smismember_command(ctx: Ctx, argv: list[bytes]) -> list[int]:
    value = get_set(ctx, argv[1])
    if value is None:
        return [0] * (len(argv) - 2)
    return [int(member in value) for member in argv[2:]]


@command("scard", 2, "readonly fast", 1, 1, 1, "@read @set @fast")
def scard_command(ctx: Ctx, argv: list[bytes]) -> int:
    value = get_set(ctx, argv[1])
    return 0 if value is None else len(value)


@command("spop", -2, "write fast", 1, 1, 1, "@write @set @fast")
def spop_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """SPOP key [count]"""
    if len(argv) > 3:
        raise CommandError(SYNTAX)
    key = argv[1]
    if len(argv) == 2:
        value = get_set(ctx, key)
        if value is None:
            return None
        member = value.pick(ctx.rng())
        value.remove(member)
        ctx.notify(NOTIFY_SET, b"spop", key)
        ctx.shrunk(key, value)
        return member
    count = parse_range(argv[2], 0, LONG_MAX, MUST_BE_POSITIVE)
    value = get_set(ctx, key)
    if value is None or count == 0:
        return SetReply()
    ctx.notify(NOTIFY_SET, b"spop", key)
    if count >= len(value):
        members = value.sorted_if_intset()
        ctx.delete(key)
        ctx.machine.dirty += len(members) - 1  # t_set.c: one change per member popped
        ctx.notify(NOTIFY_GENERIC, b"del", key)
        return SetReply(members)
    rng = ctx.rng()
    popped = []
    for _ in range(count):
        member = value.pick(rng)
        value.remove(member)
        popped.append(member)
    ctx.modified(key)
    ctx.machine.dirty += count - 1
    return SetReply(popped)


@command("srandmember", -2, "readonly", 1, 1, 1, "@read @set @slow")
def srandmember_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """SRANDMEMBER key [count]; a negative count may repeat members."""
    if len(argv) > 3:
        raise CommandError(SYNTAX)
    if len(argv) == 2:
        value = get_set(ctx, argv[1])
        return None if value is None else value.pick(rng_for(ctx))
    count = parse_int(argv[2])
    if count < -LONG_MAX // 2 or count > LONG_MAX // 2:
        raise CommandError(f"ERR value is out of range, value must between {-LONG_MAX // 2} and {LONG_MAX // 2}")
    value = get_set(ctx, argv[1])
    if value is None or count == 0:
        return []
    rng = rng_for(ctx)
    if count < 0:
        return [value.pick(rng) for _ in range(-count)]
    if count >= len(value):
        return value.sorted_if_intset()
    return rng.sample(value.items, count)


@command("smove", 4, "write fast", 1, 2, 1, "@write @set @fast")
def smove_command(ctx: Ctx, argv: list[bytes]) -> int:
    source, target, member = argv[1], argv[2], argv[3]
    value = get_set(ctx, source)
    if value is None:
        return 0
    destination = get_set(ctx, target)
    if source == target:
        return int(member in value)
    if not value.remove(member):
        return 0
    ctx.notify(NOTIFY_SET, b"srem", source)
    ctx.shrunk(source, value)
    if destination is None:
        destination = SetValue([member])
        ctx.put(target, destination)
        ctx.notify(NOTIFY_SET, b"sadd", target)
    elif destination.add(member):
        destination.settle(ctx.limits)
        ctx.modified(target)
        ctx.notify(NOTIFY_SET, b"sadd", target)
    return 1


# --- algebra -------------------------------------------------------------------------


def _inter(ctx: Ctx, keys: list[bytes], limit: int = 0) -> list[bytes]:
    values = [get_set(ctx, key) for key in keys]
    if any(value is None or not value for value in values):
        return []
    present = [value for value in values if value is not None]
    # Walk the smallest set, as Redis does; order follows its members.
    present.sort(key=len)
    first, rest = present[0], present[1:]
    result = []
    for member in first.sorted_if_intset():
        if all(member in other for other in rest):
            result.append(member)
            if limit and len(result) >= limit:
                break
    return result


def _union(ctx: Ctx, keys: list[bytes]) -> list[bytes]:
    seen: dict[bytes, None] = {}
    for key in keys:
        value = get_set(ctx, key)
        if value is not None:
            for member in value.sorted_if_intset():
                seen[member] = None
    return list(seen)


def _diff(ctx: Ctx, keys: list[bytes]) -> list[bytes]:
    values = [get_set(ctx, key) for key in keys]
    first = values[0]
    if first is None:
        return []
    others = [value for value in values[1:] if value is not None]
    return [m for m in first.sorted_if_intset() if not any(m in other for other in others)]


def _store(ctx: Ctx, target: bytes, members: list[bytes], event: bytes) -> int:
    if not members:
        if ctx.delete(target):
            ctx.notify(NOTIFY_GENERIC, b"del", target)
        return 0
    value = SetValue(members)
    value.settle(ctx.limits)
    ctx.put(target, value)
    ctx.notify(NOTIFY_SET, event, target)
    return len(value)


def _missed_sources(ctx: Ctx, keys: list[bytes], first_only: bool) -> list[bytes]:
    """`keymiss` for the missing sources a store read, as Redis's lookupKeyRead reports them
    (SINTERSTORE stops at the first). Returns `keys`."""
    if ctx.machine.notify_flags & NOTIFY_KEY_MISS:
        for key in keys:
            if ctx.lookup(key) is None:
                ctx.missed(key)
                if first_only:
                    break
    return keys


@command("sinter", -2, "readonly", 1, -1, 1, "@read @set @slow")
def sinter_command(ctx: Ctx, argv: list[bytes]) -> SetReply:
    return SetReply(_inter(ctx, argv[1:]))


@command("sunion", -2, "readonly", 1, -1, 1, "@read @set @slow")
def sunion_command(ctx: Ctx, argv: list[bytes]) -> SetReply:
    return SetReply(_union(ctx, argv[1:]))


@command("sdiff", -2, "readonly", 1, -1, 1, "@read @set @slow")
def sdiff_command(ctx: Ctx, argv: list[bytes]) -> SetReply:
    return SetReply(_diff(ctx, argv[1:]))


@command("sinterstore", -3, "write denyoom", 1, -1, 1, "@write @set @slow")
def sinterstore_command(ctx: Ctx, argv: list[bytes]) -> int:
    return _store(ctx, argv[1], _inter(ctx, _missed_sources(ctx, argv[2:], True)), b"sinterstore")


@command("sunionstore", -3, "write denyoom", 1, -1, 1, "@write @set @slow")
def sunionstore_command(ctx: Ctx, argv: list[bytes]) -> int:
    return _store(ctx, argv[1], _union(ctx, _missed_sources(ctx, argv[2:], False)), b"sunionstore")


@command("sdiffstore", -3, "write denyoom", 1, -1, 1, "@write @set @slow")
def sdiffstore_command(ctx: Ctx, argv: list[bytes]) -> int:
    return _store(ctx, argv[1], _diff(ctx, _missed_sources(ctx, argv[2:], False)), b"sdiffstore")


def numkeys_keys(argv: list[bytes]) -> list[int]:
    """Key positions of commands shaped `name numkeys key [key ...] ...`."""
    try:
        numkeys = int(argv[1])
    except ValueError:
        return []
    return list(range(2, min(2 + max(numkeys, 0), len(argv))))


def parse_numkeys(argv: list[bytes], at: int) -> int:
    numkeys = parse_range(argv[at], 1, LONG_MAX, "ERR numkeys should be greater than 0")
    if numkeys > len(argv) - at - 1:
        raise CommandError("ERR Number of keys can't be greater than number of args")
    return numkeys


@command("sintercard", -3, "readonly movablekeys", 0, 0, 0, "@read @set @slow",
         key_finder=numkeys_keys)
def sintercard_command(ctx: Ctx, argv: list[bytes]) -> int:
    """SINTERCARD numkeys key [key ...] [LIMIT limit]"""
    numkeys = parse_numkeys(argv, 1)
    limit = 0
    i = 2 + numkeys
    while i < len(argv):
        if argv[i].upper() == b"LIMIT" and i + 1 < len(argv):
            limit = parse_range(argv[i + 1], 0, LONG_MAX, "ERR LIMIT can't be negative")
            i += 2
        else:
            raise CommandError(SYNTAX)
    return len(_inter(ctx, argv[2 : 2 + numkeys], limit))


# --- SSCAN ---------------------------------------------------------------------------


@command("sscan", -3, "readonly", 1, 1, 1, "@read @set @slow")
def sscan_command(ctx: Ctx, argv: list[bytes]) -> list[Any]:
    """SSCAN key cursor [MATCH pattern] [COUNT count]

    Redis checks the cursor, then the key, then the options: a missing key answers an
    empty scan whatever the options say.
    """
    cursor = parse_cursor(argv[2])
    value = get_set(ctx, argv[1])
    if value is None:
        return [b"0", []]
    # An intset comes whole and sorted.
    next_cursor, members = scan_collection(ctx, argv, cursor, value.positions if value.big else None,
                                           value.sorted_if_intset)
    return [next_cursor, members]
