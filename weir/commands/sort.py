"""SORT and SORT_RO (sort.c): sort a list, set or sorted set, by itself or by other keys."""

from __future__ import annotations

import functools
import math
from typing import Any

from weir.commands.args import parse_int
from weir.commands.table import command
from weir.errors import SYNTAX, CommandError, WrongTypeError
from weir.state.lists import ListValue
from weir.state.machine import NOTIFY_GENERIC, NOTIFY_LIST, Ctx
from weir.state.sets import SetValue
from weir.state.types import Hash, is_string
from weir.state.zset import ZSet


def lookup_pattern(ctx: Ctx, pattern: bytes, subject: bytes) -> bytes | None:
    """The value `pattern` names for `subject`: `#` is the subject, `key*->field` a hash field."""
    if pattern == b"#":
        return subject
    star = pattern.find(b"*")
    if star < 0:
        return None
    arrow = pattern.find(b"->", star + 1)
    field: bytes | None = None
    if arrow >= 0 and arrow + 2 < len(pattern):
        field = pattern[arrow + 2 :]
        key = pattern[:star] + subject + pattern[star + 1 : arrow]
    else:
        key = pattern[:star] + subject + pattern[star + 1 :]
    value = ctx.lookup(key)
    if value is None:
        ctx.missed(key)
        return None
    if field is not None:
        return value.get(field) if type(value) is Hash else None
    return value if is_string(value) else None


def _score(raw: bytes | None) -> tuple[float, bool]:
    """(score, ok) as Redis's strtod sees a sort key; a missing key scores 0."""
    if raw is None:
        return 0.0, True
    try:
        text = raw.decode("ascii")
        if text != text.lstrip() or "_" in text:
            raise ValueError(text)
        score = float(text)
    except (UnicodeDecodeError, ValueError):
        return 0.0, False
    return score, not math.isnan(score)


def _cmp_bytes(a: bytes, b: bytes) -> int:
    return (a > b) - (a < b)


def sort_generic(ctx: Ctx, argv: list[bytes], readonly: bool) -> Any:
    """SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dst]"""
    desc = alpha = dontsort = False
    limit_start, limit_count = 0, -1
    store: bytes | None = None
    sortby: bytes | None = None
    gets: list[bytes] = []
    i = 2
    while i < len(argv):
        option = argv[i].upper()
        left = len(argv) - i - 1
        if option == b"ASC":
            desc = False
        elif option == b"DESC":
            desc = True
        elif option == b"ALPHA":
            alpha = True
        elif option == b"LIMIT" and left >= 2:
            limit_start, limit_count = parse_int(argv[i + 1]), parse_int(argv[i + 2])
            i += 2
        elif not readonly and option == b"STORE" and left >= 1:
            store = argv[i + 1]
            i += 1
        elif option == b"BY" and left >= 1:
            sortby = argv[i + 1]
            dontsort = b"*" not in sortby
            i += 1
        elif option == b"GET" and left >= 1:
            gets.append(argv[i + 1])
            i += 1
        else:
            raise CommandError(SYNTAX)
        i += 1
    value = ctx.lookup(argv[1])
    if value is None:
        ctx.missed(argv[1])
    elif type(value) not in (ListValue, SetValue, ZSet):
        raise WrongTypeError()
    if dontsort and type(value) is SetValue and store is not None:
        # A set has no order of its own: sort it so every replica stores the same list.
        dontsort, alpha, sortby = False, True, None
    if type(value) is ZSet and not readonly:
        # Redis converts a sorted set it sorts to a skiplist for good (SORT_RO, a read, cannot).
        value.big = True
    if value is None:
        items: list[bytes] = []
    elif type(value) is ZSet:
        items = [member for _, member in value.order]
        if dontsort and desc:
            items.reverse()
    elif type(value) is SetValue:
        items = value.sorted_if_intset()
    else:
        items = list(value)
    length = len(items)
    start = max(limit_start, 0)
    end = length - 1 if limit_count < 0 else start + limit_count - 1
    if start >= length:
        start, end = length - 1, length - 2
    end = min(end, length - 1)
    if not dontsort:
        items = _sorted(ctx, items, sortby, alpha, desc, store is not None)
    chosen = items[start : end + 1] if end >= start else []
    if store is None:
        if not gets:
            return chosen
        return [lookup_pattern(ctx, pattern, item) for item in chosen for pattern in gets]
    if gets:
        out = [lookup_pattern(ctx, pattern, item) or b"" for item in chosen for pattern in gets]
    else:
        out = chosen
    if out:
        ctx.put(store, ListValue(out))
        ctx.notify(NOTIFY_LIST, b"sortstore", store)
        ctx.machine.dirty += len(out) - 1  # sort.c: one change per element stored
    elif ctx.delete(store):
        ctx.notify(NOTIFY_GENERIC, b"del", store)
    return len(out)


def _sorted(ctx: Ctx, items: list[bytes], sortby: bytes | None, alpha: bool, desc: bool,
            storing: bool) -> list[bytes]:
    keys: list[Any] = []
    failed = False
    for item in items:
        by = lookup_pattern(ctx, sortby, item) if sortby is not None else item
        if alpha:
            keys.append(by if sortby is not None else item)
        else:
            score, ok = _score(by)
            failed = failed or not ok
            keys.append(score)
    if failed:
        raise CommandError("ERR One or more scores can't be converted into double")
    pairs = list(zip(keys, items))

    def compare(a: tuple[Any, bytes], b: tuple[Any, bytes]) -> int:
        if alpha:
            if sortby is not None:
                if a[0] is None or b[0] is None:
                    cmp = 0 if a[0] is b[0] else (-1 if a[0] is None else 1)
                else:
                    cmp = _cmp_bytes(a[0], b[0])
            else:
                cmp = _cmp_bytes(a[1], b[1])
        else:
            cmp = (a[0] > b[0]) - (a[0] < b[0]) or _cmp_bytes(a[1], b[1])
        return -cmp if desc else cmp

    pairs.sort(key=functools.cmp_to_key(compare))
    return [item for _, item in pairs]


# Options whose arguments sortGetKeys steps over, so an argument named "store" is no STORE.
_SKIPPED_ARGUMENTS = {b"LIMIT": 2, b"GET": 1, b"BY": 1}


def sort_keys(argv: list[bytes]) -> list[int]:
    """db.c sortGetKeys: the sorted key, and the last STORE's destination. Like Redis, the
    scan goes on at the destination itself, so `STORE store d` stores into d."""
    store = 0
    i = 2
    while i < len(argv):
        option = argv[i].upper()
        skip = _SKIPPED_ARGUMENTS.get(option)
        if skip is not None:
            i += skip
        elif option == b"STORE" and i + 1 < len(argv):
            store = i + 1
        i += 1
    return [1, store] if store else [1]


@command("sort", -2, "write denyoom movablekeys", 1, 1, 1,
         "@write @set @sortedset @list @slow @dangerous", key_finder=sort_keys)
def sort_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return sort_generic(ctx, argv, readonly=False)


@command("sort_ro", -2, "readonly movablekeys", 1, 1, 1, "@read @set @sortedset @list @slow @dangerous")
def sort_ro_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return sort_generic(ctx, argv, readonly=True)


