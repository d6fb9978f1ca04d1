"""List commands (t_list.c), blocking pops included.

A blocking command is a write: its apply either serves the client at once or
returns BLOCKED; the server then re-proposes the same argv when a watched key
changes, so a served blocked pop is an ordinary entry in the log.
"""

from __future__ import annotations

import math
from itertools import islice
from typing import Any

from weir.commands.args import parse_int
from weir.commands.table import BLOCKED, command
from weir.errors import NO_SUCH_KEY, OUT_OF_RANGE, SYNTAX, CommandError
from weir.resp.reply import NULL_ARRAY, OK
from weir.state.lists import ListValue
from weir.state.machine import NOTIFY_GENERIC, NOTIFY_LIST, Ctx

LONG_MAX = 2**63 - 1
MUST_BE_POSITIVE = "ERR value is out of range, must be positive"


def get_list(ctx: Ctx, key: bytes) -> ListValue | None:
    return ctx.lookup_as(key, ListValue)


def parse_range(raw: bytes, low: int, high: int, error: str) -> int:
    """An integer within [low, high]; `error` for both bad syntax and out of range (Redis's shape)."""
    value = parse_int(raw, error)
    if not low <= value <= high:
        raise CommandError(error)
    return value


def _where(raw: bytes) -> bool:
    """LEFT -> True, RIGHT -> False."""
    side = raw.upper()
    if side == b"LEFT":
        return True
    if side == b"RIGHT":
        return False
    raise CommandError(SYNTAX)


def _pop(ctx: Ctx, key: bytes, value: ListValue, left: bool) -> bytes:
    item = value.popleft() if left else value.pop()
    ctx.notify(NOTIFY_LIST, b"lpop" if left else b"rpop", key)
    ctx.shrunk(key, value)
    return item


def _pop_many(ctx: Ctx, key: bytes, value: ListValue, left: bool, count: int) -> list[bytes]:
    pop = value.popleft if left else value.pop
    items = [pop() for _ in range(min(count, len(value)))]
    ctx.notify(NOTIFY_LIST, b"lpop" if left else b"rpop", key)
    ctx.shrunk(key, value)
    ctx.machine.dirty += len(items) - 1  # t_list.c: one change per element popped
    return items


def _push(ctx: Ctx, key: bytes, value: ListValue | None, items: list[bytes], left: bool) -> int:
    if value is None:
        value = ListValue()
        (value.extendleft if left else value.extend)(items)
        ctx.put(key, value)
    else:
        (value.extendleft if left else value.extend)(items)
        ctx.modified(key)
    ctx.machine.dirty += len(items) - 1  # t_list.c: one change per element pushed
    ctx.notify(NOTIFY_LIST, b"lpush" if left else b"rpush", key)
    return len(value)


# --- push and pop --------------------------------------------------------------------


@command("lpush", -3, "write denyoom fast", 1, 1, 1, "@write @list @fast")
def lpush_command(ctx: Ctx, argv: list[bytes]) -> int:
    return _push(ctx, argv[1], get_list(ctx, argv[1]), argv[2:], True)


@command("rpush", -3, "write denyoom fast", 1, 1, 1, "@write @list @fast")
def rpush_command(ctx: Ctx, argv: list[bytes]) -> int:
    return _push(ctx, argv[1], get_list(ctx, argv[1]), argv[2:], False)


@command("lpushx", -3, "write denyoom fast", 1, 1, 1, "@write @list @fast")
def lpushx_command(ctx: Ctx, argv: list[bytes]) -> int:
    value = get_list(ctx, argv[1])
    return 0 if value is None else _push(ctx, argv[1], value, argv[2:], True)


@command("rpushx", -3, "write denyoom fast", 1, 1, 1, "@write @list @fast")
def rpushx_command(ctx: Ctx, argv: list[bytes]) -> int:
    value = get_list(ctx, argv[1])
    return 0 if value is None else _push(ctx, argv[1], value, argv[2:], False)


def _pop_generic(ctx: Ctx, argv: list[bytes], left: bool) -> Any:
    """[L|R]POP key [count]: one element, or an array when a count is given."""
    name = "lpop" if left else "rpop"
    if len(argv) > 3:
        raise CommandError(f"ERR wrong number of arguments for '{name}' command")
    count = None
    if len(argv) == 3:
        count = parse_range(argv[2], 0, LONG_MAX, MUST_BE_POSITIVE)
    value = get_list(ctx, argv[1])
    if value is None:
        return None if count is None else NULL_ARRAY
    if count is None:
        return _pop(ctx, argv[1], value, left)
    if count == 0:
        return []
    return _pop_many(ctx, argv[1], value, left, count)


@command("lpop", -2, "write fast", 1, 1, 1, "@write @list @fast")
def lpop_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _pop_generic(ctx, argv, True)


@command("rpop", -2, "write fast", 1, 1, 1, "@write @list @fast")
def rpop_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _pop_generic(ctx, argv, False)


# --- reads ---------------------------------------------------------------------------


@command("llen", 2, "readonly fast", 1, 1, 1, "@read @list @fast")
def llen_command(ctx: Ctx, argv: list[bytes]) -> int:
    value = get_list(ctx, argv[1])
    return 0 if value is None else len(value)


def clamp_range(start: int, end: int, length: int) -> tuple[int, int] | None:
    """Redis's index arithmetic for LRANGE-like ranges: inclusive bounds, or None if empty."""
    if start < 0:
        start += length
    if end < 0:
        end += length
    start = max(start, 0)
    if start > end or start >= length:
        return None
    return start, min(end, length - 1)


@command("lrange", 4, "readonly", 1, 1, 1, "@read @list @slow")
def lrange_command(ctx: Ctx, argv: list[bytes]) -> list[bytes]:
    start, end = parse_int(argv[2]), parse_int(argv[3])
    value = get_list(ctx, argv[1])
    if value is None:
        return []
    bounds = clamp_range(start, end, len(value))
    if bounds is None:
        return []
    start, end = bounds
    length = len(value)
    if start > length - 1 - end:
        # Nearer the tail: walk from there.
        tail = list(islice(reversed(value), length - 1 - end, length - start))
        tail.reverse()
        return tail
    return list(islice(value, start, end + 1))


@command("lindex", 3, "readonly", 1, 1, 1, "@read @list @slow")
def lindex_command(ctx: Ctx, argv: list[bytes]) -> bytes | None:
    value = get_list(ctx, argv[1])
    if value is None:
        return None
    index = parse_int(argv[2])
    if not -len(value) <= index < len(value):
        return None
    return value[index]


@command("lpos", -3, "readonly", 1, 1, 1, "@read @list @slow")
def lpos_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]"""
    rank, count, maxlen = 1, -1, 0
    i = 3
    while i < len(argv):
        option = argv[i].upper()
        more = i + 1 < len(argv)
        if option == b"RANK" and more:
            i += 1
            rank = parse_int(argv[i])
            if rank == -(2**63):
                # Redis negates the rank; LONG_MIN stays negative and matches from the first.
                rank = -1
            if rank == 0:
                raise CommandError(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                    "second ... or use negative to start from the end of the list"
                )
        elif option == b"COUNT" and more:
            i += 1
            count = parse_range(argv[i], 0, LONG_MAX, "ERR COUNT can't be negative")
        elif option == b"MAXLEN" and more:
            i += 1
            maxlen = parse_range(argv[i], 0, LONG_MAX, "ERR MAXLEN can't be negative")
        else:
            raise CommandError(SYNTAX)
        i += 1
    value = get_list(ctx, argv[1])
    if value is None:
        return [] if count != -1 else None
    element = argv[2]
    length = len(value)
    forward = rank > 0
    skip = abs(rank) - 1
    matches: list[int] = []
    wanted = 1 if count == -1 else count
    items = value if forward else reversed(value)
    for scanned, item in enumerate(items):
        if maxlen and scanned >= maxlen:
            break
        if item == element:
            if skip:
                skip -= 1
                continue
            matches.append(scanned if forward else length - 1 - scanned)
            if wanted and len(matches) >= wanted:
                break
    if count == -1:
        return matches[0] if matches else None
    return matches


# --- edits ---------------------------------------------------------------------------


@command("lset", 4, "write denyoom", 1, 1, 1, "@write @list @slow")
def lset_command(ctx: Ctx, argv: list[bytes]) -> Any:
    value = get_list(ctx, argv[1])
    if value is None:
        raise CommandError(NO_SUCH_KEY)
    index = parse_int(argv[2])
    if not -len(value) <= index < len(value):
        raise CommandError(OUT_OF_RANGE)
    value[index] = argv[3]
    ctx.modified(argv[1])
    ctx.notify(NOTIFY_LIST, b"lset", argv[1])
    return OK


@command("linsert", 5, "write denyoom", 1, 1, 1, "@write @list @slow")
def linsert_command(ctx: Ctx, argv: list[bytes]) -> int:
    where = argv[2].upper()
    if where not in (b"BEFORE", b"AFTER"):
        raise CommandError(SYNTAX)
    value = get_list(ctx, argv[1])
    if value is None:
        return 0
    try:
        position = value.index(argv[3])
    except ValueError:
        return -1
    value.insert(position if where == b"BEFORE" else position + 1, argv[4])
    ctx.modified(argv[1])
    ctx.notify(NOTIFY_LIST, b"linsert", argv[1])
    return len(value)


@command("lrem", 4, "write", 1, 1, 1, "@write @list @slow")
def lrem_command(ctx: Ctx, argv: list[bytes]) -> int:
    count = parse_int(argv[2])
    value = get_list(ctx, argv[1])
    if value is None:
        return 0
    element = argv[3]
    limit = abs(count) or len(value)
    kept: list[bytes] = []
    removed = 0
    items = value if count >= 0 else reversed(value)
    for item in items:
        if removed < limit and item == element:
            removed += 1
        else:
            kept.append(item)
    if not removed:
        return 0
    if count < 0:
        kept.reverse()
    value.clear()
    value.extend(kept)
    ctx.notify(NOTIFY_LIST, b"lrem", argv[1])
    ctx.shrunk(argv[1], value)
    ctx.machine.dirty += removed - 1  # one change per element removed, as Redis counts
    return removed


@command("ltrim", 4, "write", 1, 1, 1, "@write @list @slow")
def ltrim_command(ctx: Ctx, argv: list[bytes]) -> Any:
    start, end = parse_int(argv[2]), parse_int(argv[3])
    value = get_list(ctx, argv[1])
    if value is None:
        return OK
    length = len(value)
    bounds = clamp_range(start, end, length)
    ctx.notify(NOTIFY_LIST, b"ltrim", argv[1])  # even when nothing goes, as Redis does
    if bounds is None:
        ctx.delete(argv[1])
        ctx.notify(NOTIFY_GENERIC, b"del", argv[1])
        ctx.machine.dirty += length - 1  # one change per element removed, as below
        return OK
    start, end = bounds
    right = len(value) - 1 - end
    for _ in range(start):
        value.popleft()
    for _ in range(right):
        value.pop()
    # t_list.c ltrimCommand signals the key even when it trims nothing (a WATCH fails)
    # and counts one change per element removed.
    ctx.signal(argv[1])
    ctx.machine.dirty += start + right
    return OK


# --- moves ---------------------------------------------------------------------------


def _move(ctx: Ctx, source: bytes, target: bytes, from_left: bool, to_left: bool) -> bytes | None:
    value = get_list(ctx, source)
    if value is None or not value:
        return None
    destination = get_list(ctx, target)
    dirty = ctx.machine.dirty
    item = value.popleft() if from_left else value.pop()
    popped = b"lpop" if from_left else b"rpop"
    if source == target:
        # A rotation: the list is never empty in between.
        (value.appendleft if to_left else value.append)(item)
        ctx.modified(source)
        ctx.notify(NOTIFY_LIST, b"lpush" if to_left else b"rpush", source)
        ctx.notify(NOTIFY_LIST, popped, source)
        return item
    # Redis announces the push, then the pop, then the source's deletion.
    _push(ctx, target, destination, [item], to_left)
    ctx.notify(NOTIFY_LIST, popped, source)
    ctx.shrunk(source, value)
    ctx.machine.dirty = dirty + 1  # t_list.c lmoveGenericCommand: one change for both keys
    return item


@command("lmove", 5, "write denyoom", 1, 2, 1, "@write @list @slow")
def lmove_command(ctx: Ctx, argv: list[bytes]) -> bytes | None:
    from_left, to_left = _where(argv[3]), _where(argv[4])
    return _move(ctx, argv[1], argv[2], from_left, to_left)


@command("rpoplpush", 3, "write denyoom", 1, 2, 1, "@write @list @slow")
def rpoplpush_command(ctx: Ctx, argv: list[bytes]) -> bytes | None:
    return _move(ctx, argv[1], argv[2], False, True)


def mpop_keys(argv: list[bytes], numkeys_at: int) -> list[int]:
    """Key positions of [B]LMPOP/[B]ZMPOP-like commands: numkeys then the keys."""
    try:
        numkeys = int(argv[numkeys_at])
    except (ValueError, IndexError):
        return []
    if numkeys <= 0:
        return []
    return list(range(numkeys_at + 1, min(numkeys_at + 1 + numkeys, len(argv))))


def parse_mpop(argv: list[bytes], numkeys_at: int, sides: tuple[bytes, bytes]) -> tuple[list[bytes], bool, int]:
    """numkeys key [key ...] <side> [COUNT count] -> (keys, first side?, count)."""
    numkeys = parse_range(argv[numkeys_at], 1, LONG_MAX, "ERR numkeys should be greater than 0")
    where_at = numkeys_at + numkeys + 1
    if where_at >= len(argv):
        raise CommandError(SYNTAX)
    side = argv[where_at].upper()
    if side not in sides:
        raise CommandError(SYNTAX)
    count = -1
    i = where_at + 1
    while i < len(argv):
        if count == -1 and argv[i].upper() == b"COUNT" and i + 1 < len(argv):
            count = parse_range(argv[i + 1], 1, LONG_MAX, "ERR count should be greater than 0")
            i += 2
        else:
            raise CommandError(SYNTAX)
    return argv[numkeys_at + 1 : where_at], side == sides[0], max(count, 1)


def _lmpop(ctx: Ctx, keys: list[bytes], left: bool, count: int) -> list[Any] | None:
    for key in keys:
        value = get_list(ctx, key)
        if value:
            return [key, _pop_many(ctx, key, value, left, count)]
    return None


@command("lmpop", -4, "write movablekeys", 0, 0, 0, "@write @list @slow",
         key_finder=lambda argv: mpop_keys(argv, 1))
def lmpop_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]"""
    keys, left, count = parse_mpop(argv, 1, (b"LEFT", b"RIGHT"))
    result = _lmpop(ctx, keys, left, count)
    return NULL_ARRAY if result is None else result


# --- blocking ------------------------------------------------------------------------


def parse_block_timeout(raw: bytes) -> float:
    """Seconds to wait (0 = forever), read as Redis's getTimeoutFromObjectOrReply does."""
    if raw != raw.strip() or b"_" in raw:
        raise CommandError("ERR timeout is not a float or out of range")
    try:
        body = raw.lstrip(b"+-")
        if body[:2].lower() == b"0x":  # strtold reads hexadecimal too
            seconds = float.fromhex(raw.decode("ascii"))
        else:
            seconds = float(raw)
    except (ValueError, UnicodeDecodeError):
        raise CommandError("ERR timeout is not a float or out of range") from None
    if math.isnan(seconds):
        raise CommandError("ERR timeout is not a float or out of range")
    # Redis rounds up to whole ms in a long long: too large a value wraps negative there.
    if math.isinf(seconds):
        raise CommandError("ERR timeout is negative")
    timeout_ms = math.ceil(seconds * 1000)
    if timeout_ms < 0 or timeout_ms >= 2**63:
        raise CommandError("ERR timeout is negative")
    return timeout_ms / 1000


def timeout_last(argv: list[bytes]) -> float:
    return parse_block_timeout(argv[-1])


def _blocking_pop(ctx: Ctx, argv: list[bytes], left: bool) -> Any:
    parse_block_timeout(argv[-1])
    for key in argv[1:-1]:
        value = get_list(ctx, key)
        if value:
            return [key, _pop(ctx, key, value, left)]
    return NULL_ARRAY if ctx.in_multi else BLOCKED


@command("blpop", -3, "write noscript blocking", 1, -2, 1, "@write @list @slow @blocking",
         block_timeout=timeout_last)
def blpop_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _blocking_pop(ctx, argv, True)


@command("brpop", -3, "write noscript blocking", 1, -2, 1, "@write @list @slow @blocking",
         block_timeout=timeout_last)
def brpop_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _blocking_pop(ctx, argv, False)


def _blocking_move(ctx: Ctx, argv: list[bytes], from_left: bool, to_left: bool) -> Any:
    parse_block_timeout(argv[-1])
    value = get_list(ctx, argv[1])
    if value:
        return _move(ctx, argv[1], argv[2], from_left, to_left)
    # Inside a transaction an empty source answers at once, with a null (not a null array).
    return None if ctx.in_multi else BLOCKED


@command("blmove", 6, "write denyoom noscript blocking", 1, 2, 1, "@write @list @slow @blocking",
         block_timeout=timeout_last)
def blmove_command(ctx: Ctx, argv: list[bytes]) -> Any:
    from_left, to_left = _where(argv[3]), _where(argv[4])
    return _blocking_move(ctx, argv, from_left, to_left)


@command("brpoplpush", 4, "write denyoom noscript blocking", 1, 2, 1,
         "@write @list @slow @blocking", block_timeout=timeout_last)
def brpoplpush_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _blocking_move(ctx, argv, False, True)


@command("blmpop", -5, "write blocking movablekeys", 0, 0, 0, "@write @list @slow @blocking",
         key_finder=lambda argv: mpop_keys(argv, 2),
         block_timeout=lambda argv: parse_block_timeout(argv[1]))
def blmpop_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]"""
    parse_block_timeout(argv[1])
    keys, left, count = parse_mpop(argv, 2, (b"LEFT", b"RIGHT"))
    result = _lmpop(ctx, keys, left, count)
    if result is not None:
        return result
    return NULL_ARRAY if ctx.in_multi else BLOCKED
