"""SORT and SORT_RO against a real redis-server."""

from __future__ import annotations

import redis

from tests.integration.test_lists import same

SETUP = [
    "RPUSH l 3 1 2 10 -1.5", "RPUSH words banana apple cherry", "ZADD z 3 c 1 a 2 b",
    "SADD s 5 3 9", "SADD sw x y z",
    "SET w_3 30", "SET w_1 10", "SET w_2 20", "SET w_10 5",
    "HSET h_3 f c3", "HSET h_1 f c1", "HSET h_2 f c2", "SET name_1 one", "SET name_2 two",
]

CASES = [
    "SORT l", "SORT l DESC", "SORT l LIMIT 1 2", "SORT l LIMIT -5 2", "SORT l LIMIT 2 -1", "SORT l LIMIT 10 2",
    "SORT words", "SORT words ALPHA", "SORT words ALPHA DESC LIMIT 0 2", "SORT z", "SORT z DESC", "SORT s",
    "SORT sw ALPHA", "SORT l BY w_*", "SORT l BY w_* DESC", "SORT l BY nosort", "SORT z BY nosort",
    "SORT z BY nosort DESC", "SORT z BY nosort LIMIT 1 1", "SORT z BY nosort DESC LIMIT 0 2",
    "SORT l BY h_*->f ALPHA", "SORT l GET # GET name_* GET h_*->f", "SORT l BY nosort GET name_*",
    "SORT l BY w_* GET # ALPHA", "SORT l STORE dst", "LRANGE dst 0 -1", "SORT l GET name_* STORE dst",
    "LRANGE dst 0 -1", "SORT none STORE dst", "EXISTS dst", "SORT none", "SORT sw BY nosort STORE dst",
    "LRANGE dst 0 -1", "SET str x", "SORT str", "SORT l LIMIT 1", "SORT l BOGUS", "SORT l LIMIT a b",
    "SORT_RO l DESC", "SORT_RO l STORE dst", "SORT_RO words ALPHA GET #", "SORT l BY h_*->f",
    "SORT words GET nothing_*", "RPUSH bad 1 x", "SORT bad", "SORT bad ALPHA", "SORT l GET h_*-> ALPHA",
]


def test_sort_matches_redis(r: redis.Redis, real: redis.Redis) -> None:
    same(r, real, SETUP + CASES)


def test_getkeys_for_sort_matches_redis(r: redis.Redis, real: redis.Redis) -> None:
    """sortGetKeys: the sorted key and the last STORE; BY/GET/LIMIT arguments are skipped."""
    cases = [
        ("k", "STORE", "d1", "STORE", "d2"),
        ("k", "BY", "store", "GET", "store", "STORE", "d"),
        ("k", "LIMIT", "store", "1", "ALPHA", "STORE", "d", "DESC"),
        ("k", "STORE", "store", "d"),
        ("k", "GET", "#", "STORE"),
    ]
    for args in cases:
        assert r.command_getkeys("SORT", *args) == real.command_getkeys("SORT", *args), args
        assert r.command_getkeys("SORT_RO", *args) == real.command_getkeys("SORT_RO", *args) == ["k"], args
