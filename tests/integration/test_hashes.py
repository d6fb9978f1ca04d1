"""Hash commands on a real weir process, side by side with a real redis-server."""

from __future__ import annotations

import redis

from tests.compare import Command, assert_same

HASH_CASES: list[Command] = [
    ("HSET", "h", "a", "1", "b", "2"),
    ("HSET", "h", "a", "10", "c", "3"),
    ("HSET", "h", "a"),
    ("HSET", "h", "a", "1", "b"),
    ("HMSET", "h", "d", "4"),
    ("HMSET", "h", "d"),
    ("HMSET", "h", "d", "4", "e"),
    ("HSETNX", "h", "a", "x"),
    ("HSETNX", "h", "z", "26"),
    ("HGET", "h", "a"),
    ("HGET", "h", "nope"),
    ("HGET", "missing", "a"),
    ("HMGET", "h", "a", "nope", "b"),
    ("HMGET", "missing", "a"),
    ("HLEN", "h"),
    ("HLEN", "missing"),
    ("HSTRLEN", "h", "a"),
    ("HSTRLEN", "h", "nope"),
    ("HEXISTS", "h", "a"),
    ("HEXISTS", "h", "nope"),
    ("HKEYS", "h"),
    ("HVALS", "h"),
    ("HGETALL", "h"),
    ("HKEYS", "missing"),
    ("HGETALL", "missing"),
    ("HDEL", "h", "a", "a", "nope"),
    ("HDEL", "missing", "a"),
    ("HINCRBY", "h", "b", "5"),
    ("HINCRBY", "h", "new", "-5"),
    ("HINCRBY", "h", "b", "x"),
    ("HINCRBY", "h", "b", "1.5"),
    ("HSET", "h", "s", "abc", "big", "9223372036854775807", "f", "1.5"),
    ("HINCRBY", "h", "s", "1"),
    ("HINCRBY", "h", "big", "1"),
    ("HINCRBY", "h", "big", "-1"),
    ("HINCRBYFLOAT", "h", "f", "0.1"),
    ("HINCRBYFLOAT", "h", "f", "1e2"),
    ("HINCRBYFLOAT", "h", "nf", "10.50"),
    ("HINCRBYFLOAT", "h", "s", "1"),
    ("HINCRBYFLOAT", "h", "f", "x"),
    ("HINCRBYFLOAT", "h", "f", "inf"),
    ("HINCRBYFLOAT", "h", "f", "nan"),
    ("HSET", "h", "huge", "1e4000"),
    ("HINCRBYFLOAT", "h", "huge", "1e4000"),
    ("HINCRBYFLOAT", "h", "b", "-0.5"),
    ("HGETALL", "h"),
    ("HDEL", "h", "b", "c", "d", "z", "new", "s", "big", "f", "nf", "huge"),
    ("EXISTS", "h"),
    ("SET", "str", "v"),
    ("HSET", "str", "a", "1"),
    ("HGET", "str", "a"),
    ("HGETALL", "str"),
    ("HDEL", "str", "a"),
    ("HLEN", "str"),
    ("HINCRBY", "str", "a", "1"),
    ("HINCRBYFLOAT", "str", "a", "1"),
    ("HRANDFIELD", "str"),
    ("HSCAN", "str", "0"),
    ("HMGET", "str", "a"),
    ("HSTRLEN", "str", "a"),
    ("HSETNX", "str", "a", "1"),
    ("HEXISTS", "str", "a"),
    # A field or value longer than hash-max-listpack-value (64) converts, for good.
    ("HSET", "enc:short", "f", "x" * 64, "g", "1"),
    ("OBJECT", "ENCODING", "enc:short"),
    ("HSET", "enc:value", "f", "1", "g", "x" * 65),
    ("OBJECT", "ENCODING", "enc:value"),
    ("HDEL", "enc:value", "g"),
    ("OBJECT", "ENCODING", "enc:value"),
    ("HSETNX", "enc:nx", "f" * 65, "1"),
    ("OBJECT", "ENCODING", "enc:nx"),
    ("HINCRBY", "enc:incr", "g" * 65, "1"),
    ("OBJECT", "ENCODING", "enc:incr"),
    ("HINCRBYFLOAT", "enc:float", "h" * 65, "1.5"),
    ("OBJECT", "ENCODING", "enc:float"),
]


def test_hash_commands_match_redis(r: redis.Redis, real: redis.Redis) -> None:
    assert_same(r, real, HASH_CASES)


RANDFIELD_CASES: list[Command] = [
    ("HSET", "h", "a", "1", "b", "2", "c", "3"),
    ("HRANDFIELD", "missing"),
    ("HRANDFIELD", "missing", "3"),
    ("HRANDFIELD", "h", "0"),
    ("HRANDFIELD", "h", "x"),
    ("HRANDFIELD", "h", "1", "FOO"),
    ("HRANDFIELD", "h", "1", "WITHVALUES", "x"),
    ("HRANDFIELD", "h", "-9223372036854775808"),
    ("HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"),
    ("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"),
    ("HRANDFIELD", "h", "3"),
    ("HRANDFIELD", "h", "10", "WITHVALUES"),
    ("HSCAN", "h", "0"),
    ("HSCAN", "h", "0", "MATCH", "[ab]"),
    ("HSCAN", "h", "0", "COUNT", "0"),
    ("HSCAN", "h", "0", "COUNT"),
    ("HSCAN", "missing", "0", "COUNT", "0"),
    ("HSCAN", "missing", "0", "BOGUS"),
    ("HSCAN", "h", "0", "TYPE", "string"),
    ("HSCAN", "h", "x"),
    ("HSCAN", "missing", "0"),
]


def test_hrandfield_and_hscan_match_redis(r: redis.Redis, real: redis.Redis) -> None:
    assert_same(r, real, RANDFIELD_CASES)


def test_hrandfield_picks(r: redis.Redis, r3: redis.Redis) -> None:
    fields = {f"f{i}".encode(): str(i).encode() for i in range(20)}
    r.hset("h", mapping=fields)
    assert r.hrandfield("h") in fields
    distinct = r.hrandfield("h", 5)
    assert len(distinct) == 5 == len(set(distinct)) and set(distinct) <= set(fields)
    repeated = r.hrandfield("h", -50)
    assert len(repeated) == 50 and set(repeated) <= set(fields)
    # redis-py pairs up the flat RESP2 reply itself.
    paired = r.execute_command("HRANDFIELD", "h", "-3", "WITHVALUES")
    assert len(paired) == 3 and all(fields[field] == value for field, value in paired)
    pairs = r3.execute_command("HRANDFIELD", "h", "4", "WITHVALUES")
    assert len(pairs) == 4 and all(fields[field] == value for field, value in pairs)
    assert r3.hgetall("h") == fields


def test_encoding_converts_and_sticks(r: redis.Redis, real: redis.Redis) -> None:
    for client in (r, real):
        client.hset("small", "f", "v")
        client.hset("long", "f", "x" * 65)
        client.hset("many", mapping={f"f{i}": i for i in range(129)})
        client.hset("shrunk", mapping={f"f{i}": i for i in range(200)})
        client.hdel("shrunk", *[f"f{i}" for i in range(1, 200)])
        client.hset("incr", "f", "1")
        client.hincrbyfloat("incr", "f" * 70, "1.5")
    for key in ("small", "long", "many", "shrunk", "incr"):
        assert r.object("encoding", key) == real.object("encoding", key), key


def test_hscan_visits_every_field_while_growing(r: redis.Redis) -> None:
    fields = {f"field:{i}": i for i in range(600)}
    r.hset("big", mapping=fields)
    seen: set[bytes] = set()
    cursor = 0
    calls = 0
    while True:
        cursor, items = r.hscan("big", cursor, count=25)
        seen.update(items)
        calls += 1
        # Grow and shrink the hash between calls: only the fields present throughout count.
        r.hset("big", f"extra:{calls}", 1)
        r.hdel("big", f"field:{calls}")
        if cursor == 0:
            break
    assert calls > 5
    always_there = {f"field:{i}".encode() for i in range(calls + 1, 600)}
    assert always_there <= seen
    match_only = r.hscan("big", 0, match="field:1?", count=1000)[1]
    assert set(match_only) == {f"field:{i}".encode() for i in range(10, 20) if i > calls}
