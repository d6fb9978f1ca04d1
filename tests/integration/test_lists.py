"""Lists against a real redis-server: each script runs on both and the replies must match."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from tests.compare import outcome


def outcome_of(client: redis.Redis, command: str | list[Any]) -> Any:
    """`outcome` of a command written as one string or a list."""
    return outcome(client, *(command.split() if isinstance(command, str) else command))


def same(r: redis.Redis, real: redis.Redis, script: list[str | list[Any]], unordered: bool = False) -> None:
    """Run `script` on weir and on redis-server; every reply must be equal."""
    for command in script:
        ours, theirs = outcome_of(r, command), outcome_of(real, command)
        if unordered and isinstance(ours, list) and isinstance(theirs, list):
            ours, theirs = sorted(ours, key=repr), sorted(theirs, key=repr)
        assert ours == theirs, f"{command!r}: weir {ours!r} != redis {theirs!r}"


PUSH_POP = [
    "RPUSH l a b c d e", "LPUSH l z y", "LPUSHX nol x", "RPUSHX nol x", "LPUSHX l w", "RPUSHX l f",
    "LLEN l", "LLEN nol", "LRANGE l 0 -1", "LRANGE l -3 -1", "LRANGE l 5 2", "LRANGE l -100 100",
    "LRANGE l x 1", "LPOP l", "RPOP l", "LPOP l 2", "RPOP l 2", "LPOP l 0", "LPOP nol", "LPOP nol 0",
    "LPOP nol 2", "LPOP l -1", "LPOP l x", "LPOP l 1 2", "RPOP l 100", "EXISTS l",
    "SET s v", "LPUSH s a", "LPOP s", "LLEN s", "LRANGE s 0 1", "RPOP s 2",
]

EDITS = [
    "RPUSH l a b c a b c a", "LINDEX l 0", "LINDEX l -1", "LINDEX l 7", "LINDEX l -8", "LINDEX l x",
    "LINDEX nol 0", "LSET l 1 B", "LSET l 10 x", "LSET l -7 A", "LSET nol 0 x", "LSET l x y",
    "LINSERT l BEFORE c X", "LINSERT l AFTER c Y", "LINSERT l AFTER nope Y", "LINSERT nol AFTER a b",
    "LINSERT l MIDDLE a b", "LRANGE l 0 -1", "LREM l 2 a", "LREM l -1 c", "LREM l 0 b",
    "LREM l 0 zz", "LREM nol 0 a", "LREM l x a", "LRANGE l 0 -1", "LTRIM l 1 -2", "LRANGE l 0 -1",
    "LTRIM l 5 1", "EXISTS l", "LTRIM nol 0 1", "LTRIM l a b",
    "RPUSH p a b c a b c a", "LPOS p a", "LPOS p a RANK 2", "LPOS p a RANK -1", "LPOS p a COUNT 0",
    "LPOS p a COUNT 2 RANK -2", "LPOS p a MAXLEN 3 COUNT 0", "LPOS p zz", "LPOS p zz COUNT 1",
    "LPOS nop a", "LPOS nop a COUNT 1", "LPOS p a RANK 0", "LPOS p a COUNT -1", "LPOS p a MAXLEN -1",
    "LPOS p a RANK -9223372036854775808", "LPOS p a BOGUS 1", "LPOS p a RANK", "LPOS p a RANK x",
]

MOVES = [
    "RPUSH src a b c", "LMOVE src dst LEFT RIGHT", "LMOVE src dst RIGHT LEFT", "LRANGE dst 0 -1",
    "LMOVE src src LEFT RIGHT", "LRANGE src 0 -1", "LMOVE none dst LEFT LEFT", "LMOVE src dst UP LEFT",
    "RPOPLPUSH src dst", "EXISTS src", "RPOPLPUSH src dst", "LRANGE dst 0 -1", "SET str x",
    "LMOVE dst str LEFT LEFT", "LMOVE str dst LEFT LEFT", "RPOPLPUSH none str",
    "RPUSH m1 1 2 3", "RPUSH m2 x", "LMPOP 2 none m1 LEFT", "LMPOP 2 m1 m2 RIGHT COUNT 5",
    "LMPOP 2 m1 m2 RIGHT COUNT 5", "LMPOP 1 none LEFT", "LMPOP 0 m1 LEFT", "LMPOP 3 m1 LEFT",
    "LMPOP 1 m1 MIDDLE", "LMPOP 1 m1 LEFT COUNT 0", "LMPOP 1 m1 LEFT COUNT 1 COUNT 1",
    "LMPOP 1 str LEFT", "LMPOP x m1 LEFT",
]


@pytest.mark.parametrize("script", [PUSH_POP, EDITS, MOVES], ids=["push-pop", "edits", "moves"])
def test_lists_match_redis(r: redis.Redis, real: redis.Redis, script: list[str]) -> None:
    same(r, real, script)


def test_resp3_null_forms(r3: redis.Redis) -> None:
    assert r3.execute_command("LPOP", "none") is None
    assert r3.execute_command("LPOP", "none", 2) is None
    assert r3.execute_command("LMPOP", 1, "none", "LEFT") is None


def test_big_list_ends_and_middle(r: redis.Redis) -> None:
    r.rpush("big", *range(5000))
    assert r.lindex("big", 2500) == b"2500"
    assert r.lrange("big", 4997, -1) == [b"4997", b"4998", b"4999"]
    assert r.lrange("big", 1, 2) == [b"1", b"2"]
    r.lset("big", -2, "x")
    assert r.lindex("big", 4998) == b"x"
    assert r.object("encoding", "big") == b"quicklist"
