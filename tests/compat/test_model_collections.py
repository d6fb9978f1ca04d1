"""Random command sequences on lists, sets and sorted sets, run side by side on weir and on
redis-server: every reply must be the same (set replies compared as sets)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from tests.servers import ServerProcess

pytestmark = pytest.mark.compat

MEMBERS = st.sampled_from(["a", "b", "c", "d", "1", "2", "10", "-3"])
INDEXES = st.integers(-4, 4).map(str)
COUNTS = st.sampled_from(["0", "1", "2", "5", "-1"])
SCORES = st.sampled_from(["0", "1", "-1", "2.5", "1e3", "inf", "-inf", "0.1"])
SCORE_BOUNDS = st.sampled_from(["0", "(0", "1", "(1", "2.5", "-inf", "+inf", "(inf", "x"])
LEX_BOUNDS = st.sampled_from(["-", "+", "[a", "(a", "[c", "(c", "[10", "b"])
SIDES = st.sampled_from(["LEFT", "RIGHT"])
# "x" is shared by every type, so WRONGTYPE paths get exercised too.
LIST_KEYS = st.sampled_from(["l1", "l2", "x"])
SET_KEYS = st.sampled_from(["s1", "s2", "s3", "x"])
ZSET_KEYS = st.sampled_from(["z1", "z2", "z3", "x"])


def _cmd(*parts: Any) -> Any:
    return st.tuples(*(p if isinstance(p, st.SearchStrategy) else st.just(p) for p in parts)).map(list)


LIST_COMMANDS = st.one_of(
    _cmd(st.sampled_from(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), LIST_KEYS, MEMBERS, MEMBERS),
    _cmd(st.sampled_from(["LPOP", "RPOP"]), LIST_KEYS),
    _cmd(st.sampled_from(["LPOP", "RPOP"]), LIST_KEYS, COUNTS),
    _cmd(st.sampled_from(["LRANGE", "LTRIM"]), LIST_KEYS, INDEXES, INDEXES),
    _cmd(st.sampled_from(["LLEN"]), LIST_KEYS),
    _cmd("LINDEX", LIST_KEYS, INDEXES),
    _cmd("LSET", LIST_KEYS, INDEXES, MEMBERS),
    _cmd("LINSERT", LIST_KEYS, st.sampled_from(["BEFORE", "AFTER"]), MEMBERS, MEMBERS),
    _cmd("LREM", LIST_KEYS, INDEXES, MEMBERS),
    _cmd("LPOS", LIST_KEYS, MEMBERS, "RANK", st.sampled_from(["1", "2", "-1"]), "COUNT", COUNTS),
    _cmd("LMOVE", LIST_KEYS, LIST_KEYS, SIDES, SIDES),
    _cmd("RPOPLPUSH", LIST_KEYS, LIST_KEYS),
    _cmd("LMPOP", "2", LIST_KEYS, LIST_KEYS, SIDES, "COUNT", st.sampled_from(["1", "3"])),
    _cmd("SORT", LIST_KEYS, st.sampled_from(["ALPHA", "DESC", "ASC"]), "ALPHA"),
)

SET_COMMANDS = st.one_of(
    _cmd(st.sampled_from(["SADD", "SREM"]), SET_KEYS, MEMBERS, MEMBERS),
    _cmd(st.sampled_from(["SCARD", "SMEMBERS"]), SET_KEYS),
    _cmd("SISMEMBER", SET_KEYS, MEMBERS),
    _cmd("SMISMEMBER", SET_KEYS, MEMBERS, MEMBERS),
    _cmd("SMOVE", SET_KEYS, SET_KEYS, MEMBERS),
    _cmd(st.sampled_from(["SINTER", "SUNION", "SDIFF"]), SET_KEYS, SET_KEYS),
    _cmd(st.sampled_from(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), SET_KEYS, SET_KEYS, SET_KEYS),
    _cmd("SINTERCARD", "2", SET_KEYS, SET_KEYS, "LIMIT", COUNTS),
    _cmd("SSCAN", SET_KEYS, "0"),
    _cmd("OBJECT", "ENCODING", SET_KEYS),
)

ZSET_COMMANDS = st.one_of(
    _cmd("ZADD", ZSET_KEYS, st.sampled_from(["CH", "NX", "XX", "GT", "LT", "CH"]), SCORES, MEMBERS,
         SCORES, MEMBERS),
    _cmd("ZADD", ZSET_KEYS, "INCR", SCORES, MEMBERS),
    _cmd("ZINCRBY", ZSET_KEYS, SCORES, MEMBERS),
    _cmd("ZREM", ZSET_KEYS, MEMBERS, MEMBERS),
    _cmd(st.sampled_from(["ZCARD"]), ZSET_KEYS),
    _cmd(st.sampled_from(["ZSCORE", "ZRANK", "ZREVRANK"]), ZSET_KEYS, MEMBERS),
    _cmd("ZMSCORE", ZSET_KEYS, MEMBERS, MEMBERS),
    _cmd("ZRANGE", ZSET_KEYS, INDEXES, INDEXES, st.sampled_from(["WITHSCORES", "REV"])),
    _cmd("ZRANGE", ZSET_KEYS, SCORE_BOUNDS, SCORE_BOUNDS, "BYSCORE", "LIMIT", INDEXES, COUNTS),
    _cmd(st.sampled_from(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZCOUNT", "ZREMRANGEBYSCORE"]), ZSET_KEYS,
         SCORE_BOUNDS, SCORE_BOUNDS),
    _cmd(st.sampled_from(["ZREMRANGEBYRANK", "ZREVRANGE"]), ZSET_KEYS, INDEXES, INDEXES),
    _cmd(st.sampled_from(["ZPOPMIN", "ZPOPMAX"]), ZSET_KEYS, COUNTS),
    _cmd("ZMPOP", "2", ZSET_KEYS, ZSET_KEYS, st.sampled_from(["MIN", "MAX"]), "COUNT", st.sampled_from(["1", "2"])),
    _cmd(st.sampled_from(["ZUNION", "ZINTER", "ZDIFF"]), "2", ZSET_KEYS, ZSET_KEYS, "WITHSCORES"),
    _cmd(st.sampled_from(["ZUNIONSTORE", "ZINTERSTORE"]), ZSET_KEYS, "2", ZSET_KEYS, ZSET_KEYS, "WEIGHTS",
         SCORES, SCORES, "AGGREGATE", st.sampled_from(["SUM", "MIN", "MAX"])),
    _cmd("ZINTERCARD", "2", ZSET_KEYS, ZSET_KEYS),
    _cmd("ZRANGESTORE", ZSET_KEYS, ZSET_KEYS, INDEXES, INDEXES),
    _cmd("OBJECT", "ENCODING", ZSET_KEYS),
    _cmd("SORT", ZSET_KEYS, "LIMIT", "0", "3", "DESC"),
)

# Lex commands need equal scores to be defined, so they get keys of their own.
LEX_KEYS = st.sampled_from(["lex1", "lex2"])
LEX_COMMANDS = st.one_of(
    _cmd("ZADD", LEX_KEYS, "0", MEMBERS, "0", MEMBERS),
    _cmd(st.sampled_from(["ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZLEXCOUNT", "ZREMRANGEBYLEX"]), LEX_KEYS,
         LEX_BOUNDS, LEX_BOUNDS),
    _cmd("ZRANGE", LEX_KEYS, LEX_BOUNDS, LEX_BOUNDS, "BYLEX", "REV", "LIMIT", INDEXES, COUNTS),
)

# Replies whose order is Redis's hash order: compare them as sorted lists.
UNORDERED = {"SMEMBERS", "SINTER", "SUNION", "SDIFF", "SSCAN"}


def _normalize(argv: list[str], reply: Any) -> Any:
    if argv[0] in UNORDERED:
        if isinstance(reply, tuple):
            return (reply[0], sorted(reply[1]))
        if isinstance(reply, (list, set)):
            return sorted(reply)
    return reply


def _outcome(client: redis.Redis, argv: list[str]) -> Any:
    try:
        return _normalize(argv, client.execute_command(*argv))
    except redis.ResponseError as exc:
        return (type(exc).__name__, str(exc))
    except (ValueError, TypeError) as exc:
        # redis-py cannot parse some RESP3 replies (ZADD INCR): it fails alike on both.
        return ("client", type(exc).__name__)


class Collections(RuleBasedStateMachine):
    ours: redis.Redis
    theirs: redis.Redis

    @initialize()
    def flush(self) -> None:
        self.ours.flushall()
        self.theirs.flushall()

    def _check(self, argv: list[str]) -> None:
        ours, theirs = _outcome(self.ours, argv), _outcome(self.theirs, argv)
        assert ours == theirs, f"{' '.join(argv)}: weir {ours!r} != redis {theirs!r}"

    @rule(argv=LIST_COMMANDS)
    def lists(self, argv: list[str]) -> None:
        self._check(argv)

    @rule(argv=SET_COMMANDS)
    def sets(self, argv: list[str]) -> None:
        self._check(argv)

    @rule(argv=ZSET_COMMANDS)
    def zsets(self, argv: list[str]) -> None:
        self._check(argv)

    @rule(argv=LEX_COMMANDS)
    def lex(self, argv: list[str]) -> None:
        self._check(argv)


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def clients(request: pytest.FixtureRequest, weir_proc: ServerProcess, redis_proc: ServerProcess) -> Iterator[None]:
    Collections.ours = redis.Redis(port=weir_proc.port, socket_timeout=10, protocol=request.param)
    Collections.theirs = redis.Redis(port=redis_proc.port, socket_timeout=10, protocol=request.param)
    yield
    Collections.ours.close()
    Collections.theirs.close()


def test_collections_behave_like_redis(clients: None) -> None:
    run_state_machine_as_test(
        Collections,
        settings=settings(max_examples=30, stateful_step_count=40, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )
