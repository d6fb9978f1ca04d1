"""Sets against a real redis-server; member order is compared sorted where Redis's is hash order."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import redis

from tests.integration.test_lists import outcome_of, same

BASICS = [
    "SADD s a b c", "SADD s a d", "SCARD s", "SCARD none", "SISMEMBER s a", "SISMEMBER s z",
    "SISMEMBER none a", "SMISMEMBER s a z b", "SMISMEMBER none a", "SREM s a z", "SREM none a",
    "SMEMBERS s", "SMEMBERS none", "SADD i 3 1 2", "SMEMBERS i", "SREM i 1 2 3", "EXISTS i",
    "SET str x", "SADD str a", "SCARD str", "SMEMBERS str", "SISMEMBER str a", "SPOP str",
    "SPOP none", "SPOP none 3", "SPOP s 0", "SPOP s -1", "SPOP s x", "SPOP s 1 2",
    "SRANDMEMBER none", "SRANDMEMBER none 3", "SRANDMEMBER s 0", "SRANDMEMBER s x",
    "SRANDMEMBER s 1 2", "SADD m a b", "SMOVE m n a", "SMOVE m n z", "SMOVE none n a", "SMOVE m str b",
    "SMOVE m m b", "SMEMBERS n", "SMOVE m n b", "EXISTS m", "SMOVE none str a",
]

ALGEBRA = [
    "SADD a 1 2 3 4 x", "SADD b 3 4 5 x", "SADD c 4 x y", "SINTER a b c", "SINTER a none",
    "SUNION a b c", "SUNION none", "SDIFF a b", "SDIFF a b c", "SDIFF none a",
    "SINTERSTORE d a b", "SMEMBERS d", "SUNIONSTORE d a c", "SCARD d", "SDIFFSTORE d a b c",
    "SMEMBERS d", "SINTERSTORE d a none", "EXISTS d", "SET str v", "SINTER a str", "SUNIONSTORE d str",
    "SINTERCARD 2 a b", "SINTERCARD 2 a b LIMIT 2", "SINTERCARD 1 none", "SINTERCARD 0 a",
    "SINTERCARD 3 a b", "SINTERCARD 2 a b LIMIT -1", "SINTERCARD 2 a b LIMIT", "SINTERCARD x a",
    "SSCAN a 0", "SSCAN a 0 MATCH x*", "SSCAN a 0 COUNT 0", "SSCAN a abc", "SSCAN none 0",
    "SSCAN a 0 BOGUS", "SSCAN str 0",
]


def _sorted_replies(client: redis.Redis, script: list[str]) -> list[object]:
    out: list[object] = []
    for command in script:
        reply = outcome_of(client, command)
        if isinstance(reply, tuple) and len(reply) == 2 and isinstance(reply[1], list):
            reply = (reply[0], sorted(reply[1]))
        elif isinstance(reply, (list, set)):
            reply = sorted(reply)
        out.append(reply)
    return out


def test_set_basics_match_redis(r: redis.Redis, real: redis.Redis) -> None:
    assert _sorted_replies(r, BASICS) == _sorted_replies(real, BASICS)


def test_set_algebra_matches_redis(r: redis.Redis, real: redis.Redis) -> None:
    assert _sorted_replies(r, ALGEBRA) == _sorted_replies(real, ALGEBRA)


def test_spop_and_srandmember_draw_members(r: redis.Redis) -> None:
    r.sadd("s", *range(20))
    every = {str(i).encode() for i in range(20)}
    assert set(r.srandmember("s", 5)) <= every and len(set(r.srandmember("s", 5))) == 5
    assert len(r.srandmember("s", -30)) == 30
    assert r.srandmember("s", 50) == sorted(every, key=int)
    popped = r.spop("s", 5)
    assert len(set(popped)) == 5 and r.scard("s") == 15
    assert r.spop("s") in every
    assert len(r.spop("s", 100)) == 14 and not r.exists("s")


def test_intset_encoding_is_sticky(r: redis.Redis, real: redis.Redis) -> None:
    script = ["SADD e 1 2 3", "OBJECT ENCODING e", "SADD e x", "OBJECT ENCODING e", "SREM e x",
              "OBJECT ENCODING e", "SINTERSTORE f e", "OBJECT ENCODING f"]
    same(r, real, script)
    r.sadd("big", *range(600))
    assert r.object("encoding", "big") == b"hashtable"


def test_resp3_set_replies(r3: redis.Redis) -> None:
    r3.sadd("s", "a", "b")
    assert r3.smembers("s") == {b"a", b"b"}
    assert not r3.spop("none", 2)


_REPLICA = """
import json
from weir import commands
from weir.commands.table import resolve_write
from weir.state.entry import Command
from weir.state.machine import StateMachine

commands.load_all()
members = [b"m%d" % i for i in range(40)] + [str(i).encode() for i in range(40)]
log = [
    [b"SADD", b"s", *members], [b"SPOP", b"s", b"7"], [b"SPOP", b"s"], [b"SREM", b"s", b"m3", b"7"],
    [b"SMOVE", b"s", b"t", b"m9"], [b"SUNIONSTORE", b"u", b"s", b"t"], [b"SPOP", b"u", b"3"],
    [b"ZADD", b"z", b"1", b"a", b"1", b"b", b"2", b"c"], [b"RPUSH", b"l", b"x", b"y"],
]
machine = StateMachine(resolve_write)
replies = [machine.apply_command(i + 1, Command(1000 + i, 0, [argv])) for i, argv in enumerate(log)]
replies.append(machine.apply_command(len(log) + 1, Command(2000, 0, [[b"SMEMBERS", b"u"]])))
print(json.dumps([machine.digest(), repr(replies)]))
"""


def test_replicas_with_different_hash_seeds_agree() -> None:
    """Applying one log in two processes (different str/bytes hashing) gives one state."""
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", _REPLICA], env=env, capture_output=True, check=True)
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
