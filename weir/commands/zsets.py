"""Sorted set commands (t_zset.c): ranges by rank, score and lex, pops, algebra, scans."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from weir.commands.args import parse_float, parse_int
from weir.commands.keys import parse_cursor, scan_collection
from weir.commands.lists import (
    MUST_BE_POSITIVE,
    clamp_range,
    mpop_keys,
    parse_block_timeout,
    parse_mpop,
    parse_range,
    timeout_last,
)
from weir.commands.sets import rng_for
from weir.commands.table import BLOCKED, command
from weir.errors import NOT_FLOAT, SYNTAX, CommandError, WrongTypeError
from weir.resp.encoder import format_double
from weir.resp.reply import NULL_ARRAY, PairsReply
from weir.state.machine import NOTIFY_GENERIC, NOTIFY_ZSET, Ctx
from weir.state.sets import SetValue
from weir.state.zset import ZSet

LONG_MAX = 2**63 - 1
NAN_SCORE = "ERR resulting score is not a number (NaN)"
NOT_FLOAT_RANGE = "ERR min or max is not a float"
NOT_LEX_RANGE = "ERR min or max not valid string range item"


def get_zset(ctx: Ctx, key: bytes) -> ZSet | None:
    return ctx.lookup_as(key, ZSet)


# --- ranges --------------------------------------------------------------------------


def parse_score(raw: bytes, error: str = NOT_FLOAT) -> float:
    """A score as Redis's getDoubleFromObject reads it: overflow and underflow are errors."""
    if raw.isdigit() and len(raw) < 16:
        return float(raw)  # a plain integer, exact as a double: no check below applies
    score = parse_float(raw, error)
    text = raw.lower()
    if math.isinf(score) and b"inf" not in text:
        raise CommandError(error)
    if score == 0.0 and any(digit in b"123456789" for digit in text.split(b"e")[0]):
        raise CommandError(error)
    return score


def _score_bound(raw: bytes) -> tuple[float, bool]:
    """(value, exclusive) of a score bound such as 1.5, (1.5, -inf, +inf.

    Redis reads bounds with a bare strtod: an empty number is 0 and overflow is infinity.
    """
    exclusive = raw[:1] == b"("
    body = raw[1:] if exclusive else raw
    return (parse_float(body, NOT_FLOAT_RANGE) if body else 0.0), exclusive


def parse_score_range(low: bytes, high: bytes) -> tuple[float, bool, float, bool]:
    return (*_score_bound(low), *_score_bound(high))


def score_span(value: ZSet, bounds: tuple[float, bool, float, bool]) -> tuple[int, int]:
    """[begin, end) positions in value.order whose scores lie within bounds."""
    low, low_ex, high, high_ex = bounds
    order = value.order
    if low_ex:
        begin = len(order) if low == math.inf else order.bisect_left((math.nextafter(low, math.inf), b""))
    else:
        begin = order.bisect_left((low, b""))
    if high_ex:
        end = order.bisect_left((high, b""))
    else:
        end = len(order) if high == math.inf else order.bisect_left((math.nextafter(high, math.inf), b""))
    return begin, max(begin, end)


LexBound = tuple[bytes, bool] | None  # (member, exclusive); None for "-" or "+"


def _lex_bound(raw: bytes) -> tuple[int, LexBound]:
    """-1 for "-", 1 for "+", 0 with (member, exclusive) otherwise."""
    if raw == b"-":
        return -1, None
    if raw == b"+":
        return 1, None
    if raw[:1] == b"[":
        return 0, (raw[1:], False)
    if raw[:1] == b"(":
        return 0, (raw[1:], True)
    raise CommandError(NOT_LEX_RANGE)


def parse_lex_range(low: bytes, high: bytes) -> tuple[tuple[int, LexBound], tuple[int, LexBound]]:
    return _lex_bound(low), _lex_bound(high)


def _lex_position(value: ZSet, member: bytes, after: bool) -> int:
    """First position whose member is > (after) or >= `member`, comparing members only.

    Like Redis, this assumes members are in lex order (all scores equal); with mixed
    scores it walks the same way Redis's skiplist search does.
    """
    order = value.order
    low, high = 0, len(order)
    while low < high:
        middle = (low + high) // 2
        current = order[middle][1]
        if current < member or (after and current == member):
            low = middle + 1
        else:
            high = middle
    return low


def lex_span(value: ZSet, bounds: tuple[tuple[int, LexBound], tuple[int, LexBound]]) -> tuple[int, int]:
    """[begin, end) of the members within a lex range."""
    (low_kind, low), (high_kind, high) = bounds
    if low_kind == -1:
        begin = 0
    elif low_kind == 1:
        begin = len(value)
    else:
        assert low is not None
        begin = _lex_position(value, low[0], after=low[1])
    if high_kind == 1:
        end = len(value)
    elif high_kind == -1:
        end = 0
    else:
        assert high is not None
        end = _lex_position(value, high[0], after=not high[1])
    return begin, max(begin, end)


def _pairs(value: ZSet, begin: int, end: int, reverse: bool, offset: int, limit: int) -> list[tuple[float, bytes]]:
    """Elements in [begin, end), in the requested direction, after LIMIT offset count."""
    if offset < 0:
        return []
    total = end - begin
    if offset >= total:
        return []
    count = total - offset if limit < 0 else min(limit, total - offset)
    if not reverse:
        start = begin + offset
        return value.order.islice(start, start + count)
    stop = end - offset
    return value.order.islice(stop - count, stop, reverse=True)


def _reply(pairs: list[Any], withscores: bool) -> Any:
    # Any, not tuple[float, bytes]: compiled code would unbox and rebox every score.
    if withscores:
        return PairsReply([member, score] for score, member in pairs)
    return _members(pairs)


def _members(pairs: list[tuple[float, bytes]]) -> list[bytes]:
    # Typed, so compiled code reads the member straight from each tuple.
    return [pair[1] for pair in pairs]


def _range_generic(ctx: Ctx, argv: list[bytes], at: int, kind: str | None, reverse: bool | None,
                   store: bytes | None = None) -> Any:
    """Z[REV]RANGE[BYSCORE|BYLEX] and ZRANGESTORE: argv[at] is the key, then min max options."""
    withscores = False
    offset, limit = 0, -1
    i = at + 3
    while i < len(argv):
        option = argv[i].upper()
        if option == b"WITHSCORES" and store is None:
            withscores = True
        elif option == b"LIMIT" and i + 2 < len(argv):
            offset, limit = parse_int(argv[i + 1]), parse_int(argv[i + 2])
            i += 2
        elif reverse is None and option == b"REV":
            reverse = True
        elif kind is None and option == b"BYLEX":
            kind = "lex"
        elif kind is None and option == b"BYSCORE":
            kind = "score"
        else:
            raise CommandError(SYNTAX)
        i += 1
    reverse = bool(reverse)
    kind = kind or "rank"
    if limit != -1 and kind == "rank":
        raise CommandError("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    if withscores and kind == "lex":
        raise CommandError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    low, high = argv[at + 1], argv[at + 2]
    if reverse and kind != "rank":
        low, high = high, low
    span: Callable[[ZSet], tuple[int, int]]
    if kind == "rank":
        start, stop = parse_int(low), parse_int(high)

        def span(value: ZSet) -> tuple[int, int]:
            bounds = clamp_range(start, stop, len(value))
            if bounds is None:
                return 0, 0
            if reverse:
                return len(value) - 1 - bounds[1], len(value) - bounds[0]
            return bounds[0], bounds[1] + 1
    elif kind == "score":
        score_bounds = parse_score_range(low, high)

        def span(value: ZSet) -> tuple[int, int]:
            return score_span(value, score_bounds)
    else:
        lex_bounds = parse_lex_range(low, high)

        def span(value: ZSet) -> tuple[int, int]:
            return lex_span(value, lex_bounds)
    value = get_zset(ctx, argv[at])
    pairs: list[tuple[float, bytes]] = []
    if value is None:
        ctx.missed(argv[at])
    else:
        begin, end = span(value)
        pairs = _pairs(value, begin, end, reverse, offset, limit)
    if store is None:
        return _reply(pairs, withscores)
    return _store(ctx, store, ZSet((member, score) for score, member in pairs), b"zrangestore")


def _store(ctx: Ctx, target: bytes, value: ZSet, event: bytes) -> int:
    if not value:
        if ctx.delete(target):
            ctx.notify(NOTIFY_GENERIC, b"del", target)
        return 0
    value.settle(ctx.limits, value.scores)
    ctx.put(target, value)
    ctx.notify(NOTIFY_ZSET, event, target)
    return len(value)


@command("zrange", -4, "readonly", 1, 1, 1, "@read @sortedset @slow")
def zrange_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"""
    return _range_generic(ctx, argv, 1, None, None)


@command("zrangestore", -5, "write denyoom", 1, 2, 1, "@write @sortedset @slow")
def zrangestore_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _range_generic(ctx, argv, 2, None, None, store=argv[1])


@command("zrevrange", -4, "readonly", 1, 1, 1, "@read @sortedset @slow")
def zrevrange_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _range_generic(ctx, argv, 1, "rank", True)


@command("zrangebyscore", -4, "readonly", 1, 1, 1, "@read @sortedset @slow")
def zrangebyscore_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _range_generic(ctx, argv, 1, "score", False)


@command("zrevrangebyscore", -4, "readonly", 1, 1, 1, "@read @sortedset @slow")
def zrevrangebyscore_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _range_generic(ctx, argv, 1, "score", True)


@command("zrangebylex", -4, "readonly", 1, 1, 1, "@read @sortedset @slow")
def zrangebylex_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _range_generic(ctx, argv, 1, "lex", False)


@command("zrevrangebylex", -4, "readonly", 1, 1, 1, "@read @sortedset @slow")
def zrevrangebylex_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _range_generic(ctx, argv, 1, "lex", True)


# --- ZADD and friends ----------------------------------------------------------------


def _zadd(ctx: Ctx, argv: list[bytes], incr_only: bool = False) -> Any:
    nx = xx = gt = lt = ch = incr = False
    i = 2
    while i < len(argv) and not incr_only:
        option = argv[i].upper()
        if option == b"NX":
            nx = True
        elif option == b"XX":
            xx = True
        elif option == b"CH":
            ch = True
        elif option == b"INCR":
            incr = True
        elif option == b"GT":
            gt = True
        elif option == b"LT":
            lt = True
        else:
            break
        i += 1
    incr = incr or incr_only
    elements = len(argv) - i
    if elements % 2 or not elements:
        raise CommandError(SYNTAX)
    if nx and xx:
        raise CommandError("ERR XX and NX options at the same time are not compatible")
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise CommandError("ERR GT, LT, and/or NX options at the same time are not compatible")
    if incr and elements > 2:
        raise CommandError("ERR INCR option supports a single increment-element pair")
    scores = [parse_score(argv[j]) for j in range(i, len(argv), 2)]
    key = argv[1]
    value = get_zset(ctx, key)
    created = False
    added = updated = processed = 0
    result = 0.0
    if value is None:
        if xx:
            return None if incr else 0
        value = ZSet()
        created = True
    try:
        for score, member in zip(scores, argv[i + 1 :: 2]):
            current = value.scores.get(member)
            if current is not None:
                if nx:
                    continue
                if incr:
                    score += current
                    if math.isnan(score):
                        raise CommandError(NAN_SCORE)
                if (lt and score >= current) or (gt and score <= current):
                    continue
                result = score
                processed += 1
                if score != current:
                    value.make_room(member, ctx.limits)
                    value.add(member, score)
                    updated += 1
            elif not xx:
                value.make_room(member, ctx.limits)
                value.add(member, score)
                result = score
                added += 1
                processed += 1
    finally:
        # Like Redis, what was added before a NaN error stays.
        if added or updated:
            if created:
                ctx.put(key, value)
            else:
                ctx.modified(key)
            ctx.machine.dirty += added + updated - 1  # t_zset.c: one change per element
            ctx.notify(NOTIFY_ZSET, b"zincr" if incr else b"zadd", key)
    if incr:
        return result if processed else None
    return added + updated if ch else added


@command("zadd", -4, "write denyoom fast", 1, 1, 1, "@write @sortedset @fast")
def zadd_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]"""
    return _zadd(ctx, argv)


@command("zincrby", 4, "write denyoom fast", 1, 1, 1, "@write @sortedset @fast")
def zincrby_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _zadd(ctx, argv, incr_only=True)


@command("zrem", -3, "write fast", 1, 1, 1, "@write @sortedset @fast")
def zrem_command(ctx: Ctx, argv: list[bytes]) -> int:
    value = get_zset(ctx, argv[1])
    if value is None:
        return 0
    removed = sum(1 for member in argv[2:] if value.remove(member))
    if removed:
        ctx.notify(NOTIFY_ZSET, b"zrem", argv[1])
        ctx.shrunk(argv[1], value)
        ctx.machine.dirty += removed - 1  # one change per member, as Redis counts
    return removed


@command("zcard", 2, "readonly fast", 1, 1, 1, "@read @sortedset @fast")
def zcard_command(ctx: Ctx, argv: list[bytes]) -> int:
    value = get_zset(ctx, argv[1])
    return 0 if value is None else len(value)


@command("zcount", 4, "readonly fast", 1, 1, 1, "@read @sortedset @fast")
def zcount_command(ctx: Ctx, argv: list[bytes]) -> int:
    bounds = parse_score_range(argv[2], argv[3])
    value = get_zset(ctx, argv[1])
    if value is None:
        return 0
    begin, end = score_span(value, bounds)
    return end - begin


@command("zlexcount", 4, "readonly fast", 1, 1, 1, "@read @sortedset @fast")
def zlexcount_command(ctx: Ctx, argv: list[bytes]) -> int:
    bounds = parse_lex_range(argv[2], argv[3])
    value = get_zset(ctx, argv[1])
    if value is None:
        return 0
    begin, end = lex_span(value, bounds)
    return end - begin


@command("zscore", 3, "readonly fast", 1, 1, 1, "@read @sortedset @fast")
def zscore_command(ctx: Ctx, argv: list[bytes]) -> float | None:
    value = get_zset(ctx, argv[1])
    return None if value is None else value.scores.get(argv[2])


@command("zmscore", -3, "readonly fast", 1, 1, 1, "@read @sortedset @fast")
def zmscore_command(ctx: Ctx, argv: list[bytes]) -> list[float | None]:
    value = get_zset(ctx, argv[1])
    if value is None:
        return [None] * (len(argv) - 2)
    return [value.scores.get(member) for member in argv[2:]]


@command("zrank", 3, "readonly fast", 1, 1, 1, "@read @sortedset @fast")
def zrank_command(ctx: Ctx, argv: list[bytes]) -> int | None:
    value = get_zset(ctx, argv[1])
    return None if value is None else value.rank(argv[2])


@command("zrevrank", 3, "readonly fast", 1, 1, 1, "@read @sortedset @fast")
def zrevrank_command(ctx: Ctx, argv: list[bytes]) -> int | None:
    value = get_zset(ctx, argv[1])
    if value is None:
        return None
    rank = value.rank(argv[2])
    return None if rank is None else len(value) - 1 - rank


# --- removals by range ---------------------------------------------------------------


def _remove_span(ctx: Ctx, key: bytes, span: Callable[[ZSet], tuple[int, int]], event: bytes) -> int:
    value = get_zset(ctx, key)
    if value is None:
        return 0
    begin, end = span(value)
    if begin >= end:
        return 0
    for _, member in list(value.order.islice(begin, end)):
        value.remove(member)
    ctx.notify(NOTIFY_ZSET, event, key)
    ctx.shrunk(key, value)
    ctx.machine.dirty += end - begin - 1  # one change per member, as Redis counts
    return end - begin


@command("zremrangebyrank", 4, "write", 1, 1, 1, "@write @sortedset @slow")
def zremrangebyrank_command(ctx: Ctx, argv: list[bytes]) -> int:
    start, stop = parse_int(argv[2]), parse_int(argv[3])

    def span(value: ZSet) -> tuple[int, int]:
        bounds = clamp_range(start, stop, len(value))
        return (0, 0) if bounds is None else (bounds[0], bounds[1] + 1)

    return _remove_span(ctx, argv[1], span, b"zremrangebyrank")


@command("zremrangebyscore", 4, "write", 1, 1, 1, "@write @sortedset @slow")
def zremrangebyscore_command(ctx: Ctx, argv: list[bytes]) -> int:
    bounds = parse_score_range(argv[2], argv[3])
    return _remove_span(ctx, argv[1], lambda value: score_span(value, bounds), b"zremrangebyscore")


@command("zremrangebylex", 4, "write", 1, 1, 1, "@write @sortedset @slow")
def zremrangebylex_command(ctx: Ctx, argv: list[bytes]) -> int:
    bounds = parse_lex_range(argv[2], argv[3])
    return _remove_span(ctx, argv[1], lambda value: lex_span(value, bounds), b"zremrangebylex")


# --- pops ----------------------------------------------------------------------------


def _pop(ctx: Ctx, key: bytes, value: ZSet, low: bool, count: int) -> list[list[Any]]:
    order = value.order
    taken = list(order.islice(0, count) if low else order.islice(max(len(order) - count, 0), len(order), reverse=True))
    for _, member in taken:
        value.remove(member)
    ctx.notify(NOTIFY_ZSET, b"zpopmin" if low else b"zpopmax", key)
    ctx.shrunk(key, value)
    ctx.machine.dirty += len(taken) - 1  # one change per member, as Redis counts
    return [[member, score] for score, member in taken]


def _zpop_command(ctx: Ctx, argv: list[bytes], low: bool) -> Any:
    if len(argv) > 3:
        raise CommandError(SYNTAX)
    count = None
    if len(argv) == 3:
        count = parse_range(argv[2], 0, LONG_MAX, MUST_BE_POSITIVE)
    value = get_zset(ctx, argv[1])
    if value is None or count == 0:
        return []
    pairs = _pop(ctx, argv[1], value, low, 1 if count is None else count)
    if count is None:
        return pairs[0]
    return PairsReply(pairs)


@command("zpopmin", -2, "write fast", 1, 1, 1, "@write @sortedset @fast")
def zpopmin_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _zpop_command(ctx, argv, True)


@command("zpopmax", -2, "write fast", 1, 1, 1, "@write @sortedset @fast")
def zpopmax_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _zpop_command(ctx, argv, False)


def _blocking_zpop(ctx: Ctx, argv: list[bytes], low: bool) -> Any:
    parse_block_timeout(argv[-1])
    for key in argv[1:-1]:
        value = get_zset(ctx, key)
        if value:
            return [key, *_pop(ctx, key, value, low, 1)[0]]
    return NULL_ARRAY if ctx.in_multi else BLOCKED


@command("bzpopmin", -3, "write noscript blocking fast", 1, -2, 1,
         "@write @sortedset @fast @blocking", block_timeout=timeout_last)
def bzpopmin_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _blocking_zpop(ctx, argv, True)


@command("bzpopmax", -3, "write noscript blocking fast", 1, -2, 1,
         "@write @sortedset @fast @blocking", block_timeout=timeout_last)
def bzpopmax_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _blocking_zpop(ctx, argv, False)


def _zmpop(ctx: Ctx, argv: list[bytes], at: int) -> list[Any] | None:
    keys, low, count = parse_mpop(argv, at, (b"MIN", b"MAX"))
    for key in keys:
        value = get_zset(ctx, key)
        if value:
            return [key, _pop(ctx, key, value, low, count)]
    return None


@command("zmpop", -4, "write movablekeys", 0, 0, 0, "@write @sortedset @slow",
         key_finder=lambda argv: mpop_keys(argv, 1))
def zmpop_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]"""
    result = _zmpop(ctx, argv, 1)
    return NULL_ARRAY if result is None else result


@command("bzmpop", -5, "write blocking movablekeys", 0, 0, 0, "@write @sortedset @slow @blocking",
         key_finder=lambda argv: mpop_keys(argv, 2),
         block_timeout=lambda argv: parse_block_timeout(argv[1]))
def bzmpop_command(ctx: Ctx, argv: list[bytes]) -> Any:
    parse_block_timeout(argv[1])
    result = _zmpop(ctx, argv, 2)
    if result is not None:
        return result
    return NULL_ARRAY if ctx.in_multi else BLOCKED


# --- ZRANDMEMBER ---------------------------------------------------------------------


@command("zrandmember", -2, "readonly", 1, 1, 1, "@read @sortedset @slow")
def zrandmember_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """ZRANDMEMBER key [count [WITHSCORES]]"""
    if len(argv) > 4 or (len(argv) == 4 and argv[3].upper() != b"WITHSCORES"):
        raise CommandError(SYNTAX)
    rng = rng_for(ctx)
    if len(argv) == 2:
        value = get_zset(ctx, argv[1])
        if value is None:
            return None
        return value.order[rng.randrange(len(value))][1]
    count = parse_int(argv[2])
    half = LONG_MAX // 2
    if not -half <= count <= half:
        raise CommandError(f"ERR value is out of range, value must between {-half} and {half}")
    withscores = len(argv) == 4
    value = get_zset(ctx, argv[1])
    if value is None or count == 0:
        return []
    order = value.order
    if count < 0:
        picks = [order[rng.randrange(len(order))] for _ in range(-count)]
    elif count >= len(order):
        picks = list(order)
    else:
        picks = [order[i] for i in rng.sample(range(len(order)), count)]
    return _reply([(score, member) for score, member in picks], withscores)


# --- algebra -------------------------------------------------------------------------


def _source(ctx: Ctx, key: bytes) -> ZSet | SetValue | None:
    value = ctx.lookup(key)
    if value is None:
        ctx.missed(key)
    elif type(value) is not ZSet and type(value) is not SetValue:
        raise WrongTypeError()
    return value


def _items(value: ZSet | SetValue | None) -> dict[bytes, float]:
    if value is None:
        return {}
    if isinstance(value, ZSet):
        return value.scores
    return dict.fromkeys(value.items, 1.0)


def _weighted(score: float, weight: float) -> float:
    result = score * weight
    return 0.0 if math.isnan(result) else result


def _aggregate(how: bytes, a: float, b: float) -> float:
    if how == b"SUM":
        total = a + b
        return 0.0 if math.isnan(total) else total
    return min(a, b) if how == b"MIN" else max(a, b)


def _algebra(ctx: Ctx, argv: list[bytes], at: int, op: str, store: bytes | None,
             cardinality: bool = False) -> Any:
    """Z{UNION,INTER,DIFF}[STORE] and ZINTERCARD; argv[at] is numkeys."""
    name = argv[0].decode(errors="replace").lower()
    numkeys = parse_int(argv[at])
    if numkeys < 1:
        raise CommandError(f"ERR at least 1 input key is needed for '{name}' command")
    if numkeys > len(argv) - at - 1:
        raise CommandError(SYNTAX)
    keys = argv[at + 1 : at + 1 + numkeys]
    sources = [_items(_source(ctx, key)) for key in keys]
    weights = [1.0] * numkeys
    how = b"SUM"
    withscores = False
    limit = 0
    i = at + 1 + numkeys
    while i < len(argv):
        option = argv[i].upper()
        remaining = len(argv) - i
        if op != "diff" and not cardinality and remaining >= numkeys + 1 and option == b"WEIGHTS":
            weights = [parse_score(raw, "ERR weight value is not a float") for raw in argv[i + 1 : i + 1 + numkeys]]
            i += numkeys + 1
        elif op != "diff" and not cardinality and remaining >= 2 and option == b"AGGREGATE":
            how = argv[i + 1].upper()
            if how not in (b"SUM", b"MIN", b"MAX"):
                raise CommandError(SYNTAX)
            i += 2
        elif remaining >= 1 and store is None and not cardinality and option == b"WITHSCORES":
            withscores = True
            i += 1
        elif cardinality and remaining >= 2 and option == b"LIMIT":
            limit = parse_range(argv[i + 1], 0, LONG_MAX, "ERR LIMIT can't be negative")
            i += 2
        else:
            raise CommandError(SYNTAX)
    result: dict[bytes, float] = {}
    if op == "union":
        for source, weight in zip(sources, weights):
            for member, score in source.items():
                score = _weighted(score, weight)
                old = result.get(member)
                result[member] = score if old is None else _aggregate(how, old, score)
    elif op == "inter":
        ordered = sorted(range(numkeys), key=lambda n: len(sources[n]))
        smallest = ordered[0]
        for member, score in sources[smallest].items():
            if not all(member in sources[n] for n in ordered[1:]):
                continue
            if cardinality:
                result[member] = 0.0
                if limit and len(result) >= limit:
                    break
                continue
            total = _weighted(score, weights[smallest])
            for n in ordered[1:]:
                total = _aggregate(how, total, _weighted(sources[n][member], weights[n]))
            result[member] = total
    else:
        first, rest = sources[0], sources[1:]
        result = {m: s for m, s in first.items() if not any(m in other for other in rest)}
    if cardinality:
        return len(result)
    value = ZSet(result.items())
    if store is not None:
        return _store(ctx, store, value, b"z" + op.encode() + b"store")
    return _reply(list(value.order), withscores)


@command("zunion", -3, "readonly movablekeys", 0, 0, 0, "@read @sortedset @slow",
         key_finder=lambda argv: mpop_keys(argv, 1))
def zunion_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _algebra(ctx, argv, 1, "union", None)


@command("zinter", -3, "readonly movablekeys", 0, 0, 0, "@read @sortedset @slow",
         key_finder=lambda argv: mpop_keys(argv, 1))
def zinter_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _algebra(ctx, argv, 1, "inter", None)


@command("zdiff", -3, "readonly movablekeys", 0, 0, 0, "@read @sortedset @slow",
         key_finder=lambda argv: mpop_keys(argv, 1))
def zdiff_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _algebra(ctx, argv, 1, "diff", None)


def _store_keys(argv: list[bytes]) -> list[int]:
    return [1, *mpop_keys(argv, 2)]


@command("zunionstore", -4, "write denyoom movablekeys", 1, 1, 1, "@write @sortedset @slow",
         key_finder=_store_keys)
def zunionstore_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _algebra(ctx, argv, 2, "union", argv[1])


@command("zinterstore", -4, "write denyoom movablekeys", 1, 1, 1, "@write @sortedset @slow",
         key_finder=_store_keys)
def zinterstore_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _algebra(ctx, argv, 2, "inter", argv[1])


@command("zdiffstore", -4, "write denyoom movablekeys", 1, 1, 1, "@write @sortedset @slow",
         key_finder=_store_keys)
def zdiffstore_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _algebra(ctx, argv, 2, "diff", argv[1])


@command("zintercard", -3, "readonly movablekeys", 0, 0, 0, "@read @sortedset @slow",
         key_finder=lambda argv: mpop_keys(argv, 1))
def zintercard_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """ZINTERCARD numkeys key [key ...] [LIMIT limit]"""
    return _algebra(ctx, argv, 1, "inter", None, cardinality=True)


@command("zscan", -3, "readonly", 1, 1, 1, "@read @sortedset @slow")
def zscan_command(ctx: Ctx, argv: list[bytes]) -> list[Any]:
    """ZSCAN key cursor [MATCH pattern] [COUNT count]; options are checked after the key, as in Redis."""
    cursor = parse_cursor(argv[2])
    value = get_zset(ctx, argv[1])
    if value is None:
        return [b"0", []]
    # A listpack comes whole, in score order.
    next_cursor, members = scan_collection(ctx, argv, cursor, value.scores if value.big else None,
                                           lambda: [member for _, member in value.order])
    scores = value.scores
    return [next_cursor, [item for member in members for item in (member, format_double(scores[member]))]]
