"""Sorted sets against a real redis-server, RESP2 and RESP3, including float formatting."""

from __future__ import annotations

import pytest
import redis

from tests.integration.test_lists import same
from tests.servers import ServerProcess

ADD = [
    "ZADD z 1 a 2 b 3 c", "ZADD z NX 5 a 4 d", "ZADD z XX 6 a 7 e", "ZADD z CH 1 a 9 f",
    "ZADD z GT CH 0 a 5 b", "ZADD z LT CH 0 a 5 c", "ZADD z INCR 2.5 a", "ZADD z NX INCR 1 a",
    "ZADD z XX INCR 1 zz", "ZADD z GT INCR -1 a", "ZADD none XX 1 a", "EXISTS none", "ZADD z NX XX 1 a",
    "ZADD z NX GT 1 a", "ZADD z GT LT 1 a", "ZADD z INCR 1 a 2 b", "ZADD z 1", "ZADD z x a",
    "ZADD z nan a", "ZADD z 1 a 2", "ZADD z inf i -inf j", "ZINCRBY z -inf i", "ZINCRBY z 1 new",
    "ZINCRBY z x a", "ZINCRBY z 0.1 b", "ZADD z 0.1 p 1e300 q -0.5 r", "ZRANGE z 0 -1 WITHSCORES",
    "ZSCORE z a", "ZSCORE z p", "ZSCORE z nope", "ZSCORE none a", "ZMSCORE z a nope q", "ZMSCORE none a",
    "ZCARD z", "ZCARD none", "ZRANK z a", "ZREVRANK z a", "ZRANK z nope", "ZRANK none a", "ZREM z a nope",
    "ZREM none a", "SET str x", "ZADD str 1 a", "ZSCORE str a", "ZRANGE str 0 -1", "ZCARD str",
    "ZADD f 0.1 a 1.5 b -0 c 1e20 d", "ZSCAN f 0", "ZSCORE f c", "ZADD g -0 " + "x" * 70,
    "ZRANGE g 0 -1 WITHSCORES", "ZADD z 1e400 big", "ZADD z 1e-400 tiny", "ZINCRBY z 1e308 big",
    "ZINCRBY z 1e308 big", "ZUNION 1 z WEIGHTS 1e400", ["ZRANGEBYSCORE", "z", "", "(1"],
    "ZRANGEBYSCORE z ( 1", "ZRANGESTORE d z 0 -1 WITHSCORES", "ZRANGE z 0 -1 LIMIT 0 -1",
]

RANGES = [
    "ZADD z 1 a 2 b 3 c 4 d 5 e", "ZRANGE z 0 -1", "ZRANGE z -2 -1 WITHSCORES", "ZRANGE z 3 1",
    "ZRANGE z 0 -1 REV", "ZRANGE z 0 1 REV WITHSCORES", "ZRANGE z (1 4 BYSCORE", "ZRANGE z -inf +inf BYSCORE",
    "ZRANGE z 4 (2 BYSCORE REV", "ZRANGE z 0 10 BYSCORE LIMIT 1 2", "ZRANGE z 10 0 BYSCORE REV LIMIT 1 -1",
    "ZRANGE z 0 10 BYSCORE LIMIT -1 2", "ZRANGE z 0 1 LIMIT 0 1", "ZRANGE z - + BYLEX WITHSCORES",
    "ZRANGE z x 1 BYSCORE", "ZRANGE z [a [c BYLEX", "ZRANGE z a c BYLEX", "ZRANGE z 0 -1 BOGUS",
    "ZRANGE z 0 1 BYSCORE BYLEX", "ZRANGE none 0 -1", "ZREVRANGE z 0 1 WITHSCORES", "ZREVRANGE z 0 1 BYSCORE",
    "ZRANGEBYSCORE z 2 4", "ZRANGEBYSCORE z (2 (4 WITHSCORES", "ZRANGEBYSCORE z -inf inf LIMIT 2 10",
    "ZRANGEBYSCORE z 1 2 REV", "ZREVRANGEBYSCORE z 4 2", "ZREVRANGEBYSCORE z +inf -inf WITHSCORES LIMIT 0 2",
    "ZRANGEBYSCORE z nan 1", "ZRANGEBYSCORE z (inf inf", "ZRANGEBYSCORE z -inf (-inf",
    "ZCOUNT z 2 4", "ZCOUNT z (2 +inf", "ZCOUNT z x 1", "ZCOUNT none 0 1",
    "ZADD l 0 a 0 b 0 c 0 d 0 e", "ZRANGEBYLEX l - +", "ZRANGEBYLEX l [b (d", "ZRANGEBYLEX l (b + LIMIT 1 1",
    "ZREVRANGEBYLEX l + -", "ZREVRANGEBYLEX l [d (a", "ZRANGEBYLEX l + -", "ZRANGEBYLEX l b d",
    "ZLEXCOUNT l [b [d", "ZLEXCOUNT l - +", "ZLEXCOUNT l x y", "ZLEXCOUNT none - +",
    "ZRANGESTORE dst z 1 3", "ZRANGE dst 0 -1 WITHSCORES", "ZRANGESTORE dst z 5 +inf BYSCORE",
    "ZRANGESTORE dst l [b [c BYLEX REV", "ZRANGESTORE dst2 z 100 200", "EXISTS dst2",
    "ZREMRANGEBYRANK z 0 0", "ZREMRANGEBYSCORE z (2 3", "ZREMRANGEBYLEX l [a (c", "ZRANGE z 0 -1",
    "ZRANGE l 0 -1", "ZREMRANGEBYRANK z 0 -1", "EXISTS z", "ZREMRANGEBYSCORE l x 1",
    "ZREMRANGEBYLEX l a b", "ZREMRANGEBYRANK none 0 1",
]

POPS_AND_ALGEBRA = [
    "ZADD z 1 a 2 b 3 c 4 d", "ZPOPMIN z", "ZPOPMAX z", "ZPOPMIN z 0", "ZPOPMAX z 5", "EXISTS z",
    "ZPOPMIN none", "ZPOPMIN none 2", "ZPOPMAX z -1", "ZPOPMAX z 1 2",
    "ZADD m1 1 a 2 b", "ZADD m2 5 x", "ZMPOP 2 none m1 MIN", "ZMPOP 2 m1 m2 MAX COUNT 9",
    "ZMPOP 1 none MIN", "ZMPOP 0 m1 MIN", "ZMPOP 1 m2 SIDEWAYS", "ZMPOP 1 m2 MIN COUNT 0",
    "ZADD a 1 x 2 y 3 z", "ZADD b 10 y 20 z 30 w", "SADD s y w v",
    "ZUNION 2 a b", "ZUNION 2 a b WITHSCORES", "ZUNION 3 a b s WEIGHTS 1 2 3 WITHSCORES",
    "ZUNION 2 a b AGGREGATE MIN WITHSCORES", "ZUNION 2 a b AGGREGATE MAX WITHSCORES",
    "ZINTER 2 a b WITHSCORES", "ZINTER 3 a b s", "ZINTER 2 a b WEIGHTS 2 0.5 AGGREGATE SUM WITHSCORES",
    "ZDIFF 2 a b WITHSCORES", "ZDIFF 1 none", "ZDIFF 2 a b WEIGHTS 1 1", "ZUNION 0 a", "ZUNION 3 a b",
    "ZUNION 2 a b WEIGHTS 1", "ZUNION 2 a b WEIGHTS 1 x", "ZUNION 2 a b AGGREGATE AVG",
    "ZUNIONSTORE d 2 a b", "ZRANGE d 0 -1 WITHSCORES", "ZINTERSTORE d 2 a b AGGREGATE MAX",
    "ZRANGE d 0 -1 WITHSCORES", "ZDIFFSTORE d 2 a b", "ZRANGE d 0 -1", "ZINTERSTORE d 2 a none",
    "EXISTS d", "ZUNIONSTORE d 2 a b WITHSCORES", "SET str x", "ZUNION 2 a str", "ZINTERCARD 2 a b",
    "ZINTERCARD 2 a b LIMIT 1", "ZINTERCARD 0 a", "ZINTERCARD 2 a b LIMIT -1", "ZINTERCARD 2 a str",
    "ZADD inf 1 a", "ZADD inf2 inf a", "ZUNION 2 inf inf2 WEIGHTS 0 1 WITHSCORES",
    "ZADD n1 inf a", "ZADD n2 -inf a", "ZUNION 2 n1 n2 WITHSCORES",
    "ZRANDMEMBER none", "ZRANDMEMBER none 2", "ZRANDMEMBER a 0",
    "ZRANDMEMBER a x", "ZRANDMEMBER a 1 BOGUS", "ZSCAN a 0", "ZSCAN a 0 MATCH y", "ZSCAN none 0", "ZSCAN a x",
]


@pytest.mark.parametrize("script", [ADD, RANGES, POPS_AND_ALGEBRA], ids=["add", "ranges", "pops-algebra"])
def test_zsets_match_redis(r: redis.Redis, real: redis.Redis, script: list[str]) -> None:
    same(r, real, script)


@pytest.mark.parametrize("script", [ADD, POPS_AND_ALGEBRA], ids=["add", "pops-algebra"])
def test_zsets_match_redis_resp3(weir_proc: ServerProcess, redis_proc: ServerProcess, script: list[str]) -> None:
    ours = redis.Redis(port=weir_proc.port, protocol=3)
    theirs = redis.Redis(port=redis_proc.port, protocol=3)
    ours.flushall()
    theirs.flushall()
    try:
        same(ours, theirs, script)
    finally:
        ours.close()
        theirs.close()


def test_encoding_listpack_to_skiplist_sticks(r: redis.Redis, real: redis.Redis) -> None:
    script = ["ZADD e 1 a", "OBJECT ENCODING e", "ZADD e 2 " + "x" * 65, "OBJECT ENCODING e",
              "ZREM e " + "x" * 65, "OBJECT ENCODING e"]
    same(r, real, script)
    r.zadd("big", {str(i): i for i in range(200)})
    assert r.object("encoding", "big") == b"skiplist"
    assert r.zrank("big", "150") == 150


def test_zrandmember_draws_members(r: redis.Redis) -> None:
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert sorted(r.zrandmember("z", 5)) == [b"a", b"b", b"c"]
    assert len(set(r.zrandmember("z", 2))) == 2
    assert len(r.zrandmember("z", -10)) == 10
    pairs = r.zrandmember("z", 5, withscores=True)
    assert sorted(pairs) == [b"1", b"2", b"3", b"a", b"b", b"c"]
    assert r.zrandmember("z") in (b"a", b"b", b"c")
