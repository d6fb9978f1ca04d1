"""Keyspace commands on a real weir process, side by side with a real redis-server."""

from __future__ import annotations

import time

import pytest
import redis

from tests.compare import Command, assert_same

KEY_CASES: list[Command] = [
    ("SET", "a", "1"),
    ("HSET", "h", "f", "v"),
    ("DEL", "a", "a", "missing"),
    ("SET", "a", "1"),
    ("UNLINK", "a", "missing"),
    ("SET", "a", "1"),
    ("EXISTS", "a", "a", "h", "missing"),
    ("TOUCH", "a", "h", "missing"),
    ("TYPE", "a"),
    ("TYPE", "h"),
    ("TYPE", "missing"),
    ("RENAME", "missing", "b"),
    ("RENAME", "a", "a"),
    ("RENAMENX", "a", "a"),
    ("RENAMENX", "missing", "a"),
    ("RENAME", "a", "b"),
    ("GET", "b"),
    ("EXISTS", "a"),
    ("SET", "a", "2"),
    ("RENAMENX", "a", "b"),
    ("RENAMENX", "a", "c"),
    ("RENAME", "c", "h"),
    ("TYPE", "h"),
    ("EXPIRE", "b", "100"),
    ("RENAME", "b", "d"),
    ("TTL", "d"),
    ("SET", "e", "1"),
    ("RENAME", "e", "d"),
    ("TTL", "d"),
    ("COPY", "h", "h2"),
    ("GET", "h2"),
    ("COPY", "h", "h2"),
    ("COPY", "h", "h2", "REPLACE"),
    ("COPY", "h", "h"),
    ("COPY", "h", "h", "DB", "0"),
    ("COPY", "h", "h", "DB", "1"),
    ("COPY", "h", "h", "DB", "1"),
    ("COPY", "h", "h", "DB", "16"),
    ("COPY", "h", "h", "DB", "-1"),
    ("COPY", "h", "h", "DB", "x"),
    ("COPY", "h", "h", "DB"),
    ("COPY", "h", "h", "FOO"),
    ("COPY", "missing", "x"),
    ("HSET", "hash", "f", "v"),
    ("COPY", "hash", "hash2"),
    ("HSET", "hash2", "g", "w"),
    ("HGETALL", "hash"),
    ("HGETALL", "hash2"),
    ("MOVE", "hash", "0"),
    ("MOVE", "hash", "16"),
    ("MOVE", "hash", "x"),
    ("MOVE", "hash", "4294967296"),
    ("MOVE", "missing", "1"),
    ("MOVE", "hash", "1"),
    ("EXISTS", "hash"),
    ("SET", "h", "again"),
    ("MOVE", "h", "1"),
    ("EXISTS", "h"),
    ("SELECT", "1"),
    ("HGETALL", "hash"),
    ("GET", "h"),
    ("SELECT", "0"),
    ("RANDOMKEY",),
    ("FLUSHALL",),
    ("RANDOMKEY",),
    ("KEYS", "*"),
]


def test_key_commands_match_redis(r: redis.Redis, real: redis.Redis) -> None:
    # RANDOMKEY returns one of several keys; compare only where the outcome is determined.
    assert_same(r, real, [command for command in KEY_CASES if command != ("RANDOMKEY",)])
    r.set("only", "1")
    assert r.randomkey() == b"only"


EXPIRE_CASES: list[Command] = [
    ("SET", "k", "v"),
    ("EXPIRE", "missing", "100"),
    ("EXPIRE", "k", "100", "XX"),
    ("EXPIRE", "k", "100", "GT"),
    ("EXPIRE", "k", "100", "LT"),
    ("TTL", "k"),
    ("EXPIRE", "k", "200", "NX"),
    ("EXPIRE", "k", "50", "GT"),
    ("EXPIRE", "k", "500", "GT"),
    ("TTL", "k"),
    ("EXPIRE", "k", "600", "LT"),
    ("EXPIRE", "k", "300", "LT"),
    ("TTL", "k"),
    ("EXPIRE", "k", "400", "XX", "GT"),
    ("EXPIRE", "k", "1", "NX", "XX"),
    ("EXPIRE", "k", "1", "NX", "GT"),
    ("EXPIRE", "k", "1", "GT", "LT"),
    ("EXPIRE", "k", "1", "FOO"),
    ("EXPIRE", "k", "x"),
    ("EXPIRE", "k", "9223372036854775807"),
    ("EXPIRE", "k", "-9223372036854775808"),
    ("EXPIRE", "k", "9223372036854775"),
    ("PEXPIRE", "k", "9223372036854775807"),
    ("EXPIREAT", "k", "9223372036854775807"),
    ("PEXPIREAT", "k", "9223372036854775807"),
    ("PEXPIRETIME", "k"),
    ("EXPIRETIME", "k"),
    ("EXPIREAT", "k", "4102444800"),
    ("EXPIRETIME", "k"),
    ("PEXPIRETIME", "k"),
    ("PERSIST", "k"),
    ("PERSIST", "k"),
    ("PERSIST", "missing"),
    ("TTL", "k"),
    ("PTTL", "k"),
    ("EXPIRETIME", "k"),
    ("PEXPIRETIME", "k"),
    ("TTL", "missing"),
    ("PTTL", "missing"),
    ("EXPIRETIME", "missing"),
    ("PEXPIRETIME", "missing"),
    ("EXPIRE", "k", "-1"),
    ("EXISTS", "k"),
    ("SET", "k", "v"),
    ("PEXPIREAT", "k", "1"),
    ("EXISTS", "k"),
    ("SET", "k", "v"),
    ("EXPIRE", "k", "0", "LT"),
    ("EXISTS", "k"),
    ("SET", "k", "v"),
    ("EXPIRE", "k", "-5", "GT"),
    ("EXISTS", "k"),
]


def test_expire_family_matches_redis(r: redis.Redis, real: redis.Redis) -> None:
    assert_same(r, real, EXPIRE_CASES)


def test_pexpire_then_keys_vanish(r: redis.Redis) -> None:
    r.set("short", "v")
    r.set("long", "v")
    r.hset("h", "f", "v")
    assert r.pexpire("short", 100) == 1
    assert r.pexpire("h", 100) == 1
    assert r.expire("long", 100) == 1
    assert 0 < r.pttl("short") <= 100
    time.sleep(0.15)
    assert r.exists("short", "h") == 0
    assert r.ttl("short") == -2
    assert r.keys("*") == [b"long"]
    # Active expiry proposes deletions by itself: the keys go from DBSIZE too.
    deadline = time.monotonic() + 2
    while r.dbsize() != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert r.dbsize() == 1


def test_keys_and_scan(r: redis.Redis, real: redis.Redis) -> None:
    for client in (r, real):
        client.mset({"user:1": 1, "user:2": 2, "user:10": 3, "other": 4, "a*b": 5})
        client.hset("user:h", "f", "v")
    for pattern in ("*", "user:?", "user:*", "a\\*b", "user:[12]", "user:[^1]*", "nomatch*", "[a-z]*"):
        assert sorted(r.keys(pattern)) == sorted(real.keys(pattern)), pattern
    for kwargs in ({}, {"match": "user:*"}, {"_type": "hash"}, {"_type": "string", "match": "u*"}, {"_type": "zset"}):
        assert sorted(r.scan_iter(**kwargs)) == sorted(real.scan_iter(**kwargs)), kwargs
    error_cases: list[Command] = [
        ("SCAN", "x"),
        ("SCAN", "-1", "COUNT", "0"),
        ("SCAN", "0", "COUNT"),
        ("SCAN", "0", "COUNT", "x"),
        ("SCAN", "0", "FOO", "bar"),
        ("SCAN", "18446744073709551616"),
        ("SCAN", " 1"),
    ]
    assert_same(r, real, error_cases)


@pytest.mark.timeout(20)
def test_a_pattern_with_many_stars_answers_at_once(r: redis.Redis, real: redis.Redis) -> None:
    # "a*" thirty times then "b": a backtracking regex would take years on 100 a's.
    pattern = "a*" * 30 + "b"
    subscribers = []
    for client in (r, real):
        client.mset({"a" * 100: 1, "a" * 100 + "b": 2, "": 3})
        client.hset("h", mapping={"a" * 60: 1, "a" * 60 + "xb": 2})
        sub = client.pubsub()
        sub.psubscribe(pattern, "*")
        subscribers.append(sub)
    assert sorted(r.keys(pattern)) == sorted(real.keys(pattern)) == [b"a" * 100 + b"b"]
    assert sorted(r.scan_iter(match=pattern)) == sorted(real.scan_iter(match=pattern))
    assert sorted(r.hscan_iter("h", match=pattern)) == sorted(real.hscan_iter("h", match=pattern))
    # A lone "*" is every key for KEYS, the empty one too, but as a glob it never matches "".
    assert sorted(r.keys("*")) == sorted(real.keys("*")) == [b"", b"a" * 100, b"a" * 100 + b"b", b"h"]
    for channel, receivers in (("a" * 100, 1), ("a" * 100 + "b", 2), ("", 0)):
        assert r.publish(channel, "m") == real.publish(channel, "m") == receivers, channel
    for sub in subscribers:
        sub.close()


def test_scan_returns_every_key_present_throughout(r: redis.Redis) -> None:
    r.mset({f"k:{i}": i for i in range(1000)})
    seen: list[bytes] = []
    cursor, calls = 0, 0
    while True:
        cursor, keys = r.scan(cursor, count=37)
        seen += keys
        calls += 1
        # Grow the keyspace by more than it shrinks, between every pair of calls.
        r.mset({f"new:{calls}:{j}": j for j in range(20)})
        r.delete(f"k:{calls}")
        if cursor == 0:
            break
    assert calls > 10
    assert {f"k:{i}".encode() for i in range(calls + 1, 1000)} <= set(seen)
    assert len(seen) == len(set(seen))


def test_expired_keys_are_hidden_from_scan_and_keys(r: redis.Redis) -> None:
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        r.set("gone", "v", px=50)
        r.set("kept", "v")
        time.sleep(0.1)
        assert r.keys("*") == [b"kept"]
        assert list(r.scan_iter()) == [b"kept"]
        assert r.randomkey() == b"kept"
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_object_subcommands(r: redis.Redis, real: redis.Redis) -> None:
    for client in (r, real):
        client.set("int", "100")
        client.set("bigint", "100000")
        client.set("str", "hello")
        client.hset("h", "f", "v")
    cases: list[Command] = [
        ("OBJECT", "ENCODING", "int"),
        ("OBJECT", "ENCODING", "str"),
        ("OBJECT", "ENCODING", "h"),
        ("OBJECT", "ENCODING", "missing"),
        ("OBJECT", "REFCOUNT", "int"),
        ("OBJECT", "REFCOUNT", "bigint"),
        ("OBJECT", "REFCOUNT", "str"),
        ("OBJECT", "REFCOUNT", "missing"),
        ("OBJECT", "FREQ", "str"),
        ("OBJECT", "FREQ", "missing"),
        ("OBJECT", "IDLETIME", "missing"),
        ("OBJECT", "HELP"),
        ("OBJECT", "NOPE", "x"),
        ("OBJECT", "ENCODING"),
        ("OBJECT",),
    ]
    assert_same(r, real, cases)
    assert r.object("idletime", "str") in (0, 1)  # whole seconds: a second may tick in between


def test_idle_time_follows_accesses_as_in_redis(r: redis.Redis, real: redis.Redis) -> None:
    """introspection-2.tcl: TTL, TYPE and EXISTS leave the access time; TOUCH and GET
    move it. (Reads in CLIENT NO-TOUCH mode, a Redis 7.2 command, leave it on weir.)"""
    for client in (r, real):
        client.mset({"untouched": "v", "touched": "v", "read": "v"})
    r.set("no-touch", "v")
    time.sleep(2.2)
    for client in (r, real):
        client.ttl("untouched")
        client.type("untouched")
        client.exists("untouched")
        client.object("encoding", "untouched")
        client.touch("touched")
        client.get("read")
    r.execute_command("CLIENT", "NO-TOUCH", "ON")
    r.get("no-touch")
    with r.pipeline(transaction=True) as pipe:  # a read-only MULTI block too
        pipe.get("no-touch").execute()
    r.execute_command("CLIENT", "NO-TOUCH", "OFF")
    for client in (r, real):
        assert client.object("idletime", "untouched") >= 2
        assert client.object("idletime", "touched") < 2
        assert client.object("idletime", "read") < 2
        assert client.debug_object("untouched")["lru_seconds_idle"] >= 2
    assert r.object("idletime", "no-touch") >= 2


def test_freq_under_an_lfu_policy(r: redis.Redis, real: redis.Redis) -> None:
    try:
        for client in (r, real):
            client.config_set("maxmemory-policy", "allkeys-lfu")
            client.config_set("lfu-log-factor", "0")  # every access counts
            # A new key: Redis reads an older key's LRU bits as a count after the switch.
            client.delete("lfu-key")
            client.set("lfu-key", "v")
            for _ in range(20):
                client.get("lfu-key")
        cases: list[Command] = [
            ("OBJECT", "FREQ", "lfu-key"),
            ("OBJECT", "FREQ", "missing"),
            ("OBJECT", "IDLETIME", "lfu-key"),
        ]
        assert_same(r, real, cases)
    finally:
        for client in (r, real):
            client.config_set("maxmemory-policy", "noeviction")
            client.config_set("lfu-log-factor", "10")


OWN_COMMANDS = [
    "del", "unlink", "exists", "type", "touch", "rename", "renamenx", "copy", "move", "randomkey", "keys",
    "scan", "expire", "pexpire", "expireat", "pexpireat", "ttl", "pttl", "expiretime", "pexpiretime",
    "persist", "object", "object|encoding", "object|freq", "object|idletime", "object|refcount",
    "object|help", "get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "mget", "mset",
    "msetnx", "append", "strlen", "incr", "decr", "incrby", "decrby", "incrbyfloat", "getrange", "setrange",
    "substr", "lcs", "setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro", "hset",
    "hsetnx", "hget", "hmset", "hmget", "hdel", "hlen", "hstrlen", "hexists", "hkeys", "hvals", "hgetall",
    "hincrby", "hincrbyfloat", "hrandfield", "hscan",
]


def test_command_info_matches_redis(r: redis.Redis, real: redis.Redis) -> None:
    mine = r.execute_command("COMMAND", "INFO", *OWN_COMMANDS)
    theirs = real.execute_command("COMMAND", "INFO", *OWN_COMMANDS)
    for name in OWN_COMMANDS:
        for field in ("arity", "flags", "first_key_pos", "last_key_pos", "step_count"):
            assert mine[name][field] == theirs[name][field], (name, field)
        assert sorted(mine[name]["acl_categories"]) == sorted(theirs[name]["acl_categories"]), name


def test_reads_and_subcommands_inside_multi(r: redis.Redis) -> None:
    r.hset("h", mapping={"a": 1})
    r.set("k", "v", ex=100)
    pipe = r.pipeline(transaction=True)
    pipe.object("encoding", "h").randomkey().hrandfield("h").copy("h", "h2", destination_db=3)
    pipe.move("k", 2).ttl("k").keys("*").scan(0, _type="hash")
    encoding, random_key, field, copied, moved, ttl, keys, scanned = pipe.execute()
    assert (encoding, field, copied, moved, ttl) == (b"listpack", b"a", True, True, -2)
    assert random_key in (b"h", b"k")
    assert sorted(keys) == [b"h"] and scanned == (0, [b"h"])
    r.execute_command("SELECT", 2)
    assert 0 < r.ttl("k") <= 100
    r.execute_command("SELECT", 3)
    assert r.hgetall("h2") == {b"a": b"1"}
    r.execute_command("SELECT", 0)


def test_dbsize_and_info_keyspace_count_expired_keys_not_yet_deleted(r: redis.Redis, real: redis.Redis) -> None:
    for client in (r, real):
        client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        for client in (r, real):
            client.set("gone", "1", px=1)
            client.set("later", "1", ex=100)
            client.set("kept", "1")
        time.sleep(0.01)
        for client in (r, real):
            assert client.dbsize() == 3
            keyspace = client.info("keyspace")["db0"]
            assert (keyspace["keys"], keyspace["expires"]) == (3, 2)
            assert sorted(client.keys("*")) == [b"kept", b"later"]
            assert client.randomkey() in (b"kept", b"later")
    finally:
        for client in (r, real):
            client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_a_read_that_meets_an_expired_key_has_it_deleted(r: redis.Redis, real: redis.Redis) -> None:
    """expire.tcl "Redis should lazy expire keys": with active expiry off, the keys a
    read finds expired are gone for DBSIZE right after (through the log, as the sweep's)."""
    sizes = {}
    for name, client in (("weir", r), ("redis", real)):
        client.flushdb()
        client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        try:
            for key in ("lazy1", "lazy2", "lazy3"):
                client.psetex(key, 100, "a")
            time.sleep(0.25)
            before = client.dbsize()
            assert client.mget("lazy1", "lazy2", "lazy3") == [None, None, None]
            sizes[name] = (before, client.dbsize(), client.info("stats")["expired_keys"] > 0)
        finally:
            client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    assert sizes["weir"] == sizes["redis"] == (3, 0, True)
