"""String and bit commands on a real weir process, side by side with a real redis-server."""

from __future__ import annotations

import random
import time

import pytest
import redis

from tests.compare import Command, assert_same, outcome

SET_CASES: list[Command] = [
    ("SET", "s", "v"),
    ("SET", "s", "v2", "NX"),
    ("SET", "s", "v3", "XX", "GET"),
    ("SET", "new", "v", "XX"),
    ("SET", "new", "v", "NX", "GET"),
    ("SET", "s", "v", "NX", "XX"),
    ("SET", "s", "v", "XX", "NX"),
    ("SET", "s", "v", "EX", "10", "PX", "100"),
    ("SET", "s", "v", "EX", "10", "EX", "20"),
    ("TTL", "s"),
    ("SET", "s", "v", "EX", "10", "KEEPTTL"),
    ("SET", "s", "v", "KEEPTTL", "EX", "10"),
    ("SET", "s", "v", "KEEPTTL"),
    ("TTL", "s"),
    ("SET", "s", "v", "EX", "0"),
    ("SET", "s", "v", "EX", "-1"),
    ("SET", "s", "v", "PX", "abc"),
    ("SET", "s", "v", "EX"),
    ("SET", "s", "v", "EX", "9223372036854775"),
    ("SET", "s", "v", "EX", "9223372036854776"),
    ("SET", "s", "v", "PX", "9223372036854775807"),
    ("SET", "s", "v", "EXAT", "9223372036854775"),
    ("SET", "s", "v", "PXAT", "9223372036854775807"),
    ("SET", "s", "v", "EX", "99999999999999999999"),
    ("SET", "s", "v", "FOO"),
    ("SET", "s", "v", "GET", "PERSIST"),
    ("SET", "s", "v", "ex", "100", "get"),
    ("TTL", "s"),
    ("HSET", "h", "f", "v"),
    ("SET", "h", "v", "GET"),
    ("SET", "h", "v", "NX", "GET"),
    ("SET", "h", "v"),
    ("TYPE", "h"),
    ("SETNX", "s", "x"),
    ("SETNX", "fresh", "x"),
    ("SETEX", "se", "100", "v"),
    ("TTL", "se"),
    ("SETEX", "se", "0", "v"),
    ("SETEX", "se", "x", "v"),
    ("PSETEX", "pse", "-5", "v"),
    ("PSETEX", "pse", "100000", "v"),
    ("GETSET", "pse", "w"),
    ("TTL", "pse"),
    ("GETSET", "nothing", "w"),
    ("HSET", "h2", "f", "v"),
    ("GETSET", "h2", "w"),
    ("GETDEL", "nothing2"),
    ("GETDEL", "nothing"),
    ("EXISTS", "nothing"),
    ("GETDEL", "h2"),
]


def test_set_family_matches_redis(r: redis.Redis, real: redis.Redis) -> None:
    assert_same(r, real, SET_CASES)


GETEX_CASES: list[Command] = [
    ("SET", "g", "v"),
    ("GETEX", "g"),
    ("GETEX", "g", "EX", "100"),
    ("TTL", "g"),
    ("GETEX", "g", "PERSIST"),
    ("TTL", "g"),
    ("GETEX", "g", "EX", "10", "PERSIST"),
    ("GETEX", "g", "PERSIST", "EX", "10"),
    ("GETEX", "g", "KEEPTTL"),
    ("GETEX", "g", "NX"),
    ("GETEX", "g", "EX", "0"),
    ("GETEX", "g", "PX", "-1"),
    ("GETEX", "g", "EXAT", "1"),
    ("EXISTS", "g"),
    ("GETEX", "missing", "EX", "10"),
    ("GETEX", "missing", "EX", "bad"),
    ("HSET", "h", "f", "v"),
    ("GETEX", "h"),
    ("MSET", "a", "1", "b", "2"),
    ("MSET", "a", "1", "b"),
    ("MGET", "a", "b", "h", "missing"),
    ("MSETNX", "a", "1", "z", "2"),
    ("MSETNX", "y", "1", "z", "2"),
    ("MSETNX", "y"),
    ("MGET", "y", "z"),
    ("APPEND", "a", "xyz"),
    ("APPEND", "newapp", "hello"),
    ("APPEND", "h", "x"),
    ("STRLEN", "a"),
    ("STRLEN", "missing"),
    ("STRLEN", "h"),
    ("SET", "num", "12345"),
    ("STRLEN", "num"),
]


def test_getex_mget_mset_append_match_redis(r: redis.Redis, real: redis.Redis) -> None:
    assert_same(r, real, GETEX_CASES)


COUNTER_CASES: list[Command] = [
    ("INCR", "c"),
    ("INCRBY", "c", "41"),
    ("DECR", "c"),
    ("DECRBY", "c", "-10"),
    ("INCRBY", "c", "abc"),
    ("INCRBY", "c", " 1"),
    ("INCRBY", "c", "1.5"),
    ("INCRBY", "c", "+1"),
    ("INCRBY", "c", "-0"),
    ("INCRBY", "c", "007"),
    ("INCRBY", "c", "9223372036854775808"),
    ("SET", "c", "9223372036854775806"),
    ("INCR", "c"),
    ("INCR", "c"),
    ("SET", "c", "-9223372036854775808"),
    ("DECR", "c"),
    ("DECRBY", "x", "-9223372036854775808"),
    ("SET", "bad", "12a"),
    ("INCR", "bad"),
    ("SET", "bad", " 12"),
    ("INCR", "bad"),
    ("SET", "bad", ""),
    ("INCR", "bad"),
    ("HSET", "h", "f", "v"),
    ("INCR", "h"),
    ("SET", "f", "10.50"),
    ("INCRBYFLOAT", "f", "0.1"),
    ("INCRBYFLOAT", "f", "-5"),
    ("INCRBYFLOAT", "f", "1e3"),
    ("INCRBYFLOAT", "f", "3.0e-2"),
    ("INCRBYFLOAT", "f", "abc"),
    ("INCRBYFLOAT", "f", "inf"),
    ("INCRBYFLOAT", "f", "nan"),
    ("INCRBYFLOAT", "f", " 1"),
    ("INCRBYFLOAT", "f", "1 "),
    ("INCRBYFLOAT", "f", ".5"),
    ("INCRBYFLOAT", "f", "5."),
    ("INCRBYFLOAT", "nf", "1.1"),
    ("INCRBYFLOAT", "nf", "2.2"),
    ("INCRBYFLOAT", "nf", "-3.3"),
    ("INCRBYFLOAT", "big", "1e300"),
    ("INCRBYFLOAT", "big", "1e308"),
    ("INCRBYFLOAT", "small", "1e-20"),
    ("INCRBYFLOAT", "neg", "-0.0"),
    ("INCRBYFLOAT", "third", "0.3333333333333333333333"),
    ("INCRBYFLOAT", "third", "0.6666666666666666666667"),
    ("INCRBYFLOAT", "hexf", "0x10"),
    ("INCRBYFLOAT", "z", "0.1"),
    ("INCRBYFLOAT", "z", "0.2"),
    ("INCRBYFLOAT", "z", "1.23456789012345678901234"),
    ("INCRBYFLOAT", "u", "1e-5000"),
    ("INCRBYFLOAT", "u", "-inf"),
    ("INCRBYFLOAT", "u", "1e5000"),
    ("INCRBYFLOAT", "w", "123456789012345678901234567890"),
    ("INCRBYFLOAT", "w2", "-0.000000000000000001"),
    ("INCRBYFLOAT", "w3", "5e-18"),
    ("INCRBYFLOAT", "w4", "1.5e-17"),
    ("INCRBYFLOAT", "w5", "1e"),
    ("SET", "n", "1e400"),
    ("INCRBYFLOAT", "n", "1"),
    ("SET", "bad", "1.5x"),
    ("INCRBYFLOAT", "bad", "1"),
    ("INCRBYFLOAT", "h", "1"),
    ("INCRBY", "c", "1", "2"),
]


def test_counters_match_redis(r: redis.Redis, real: redis.Redis) -> None:
    assert_same(r, real, COUNTER_CASES)


def test_counters_keep_ttl(r: redis.Redis) -> None:
    r.set("c", "1", ex=100)
    r.incr("c")
    r.incrbyfloat("c", 1.5)
    r.append("c", "0")
    r.setrange("c", 0, "9")
    assert r.get("c") == b"9.50"
    assert 0 < r.ttl("c") <= 100


RANGE_CASES: list[Command] = [
    ("SET", "s", "Hello World"),
    ("GETRANGE", "s", "0", "4"),
    ("GETRANGE", "s", "-5", "-1"),
    ("GETRANGE", "s", "-1", "-5"),
    ("GETRANGE", "s", "5", "3"),
    ("GETRANGE", "s", "0", "-100"),
    ("GETRANGE", "s", "-100", "100"),
    ("GETRANGE", "s", "100", "200"),
    ("GETRANGE", "s", "x", "1"),
    ("GETRANGE", "missing", "0", "-1"),
    ("SUBSTR", "s", "0", "2"),
    ("SETRANGE", "s", "6", "Redis"),
    ("GET", "s"),
    ("SETRANGE", "s", "20", "!"),
    ("GET", "s"),
    ("SETRANGE", "s", "-1", "x"),
    ("SETRANGE", "s", "1", ""),
    ("SETRANGE", "missing", "5", ""),
    ("EXISTS", "missing"),
    ("SETRANGE", "pad", "3", "abc"),
    ("GET", "pad"),
    ("SETRANGE", "pad", "536870911", "x"),
    ("SETRANGE", "pad", "536870912", "x"),
    ("SETRANGE", "pad", "536870912", ""),
    ("SET", "empty", ""),
    ("GETRANGE", "empty", "0", "-1"),
    ("HSET", "h", "f", "v"),
    ("GETRANGE", "h", "0", "1"),
    ("SETRANGE", "h", "0", "x"),
    ("SET", "a", "ohmytext"),
    ("SET", "b", "mynewtext"),
    ("LCS", "a", "b"),
    ("LCS", "a", "b", "LEN"),
    ("LCS", "a", "b", "IDX"),
    ("LCS", "a", "b", "IDX", "WITHMATCHLEN"),
    ("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"),
    ("LCS", "a", "b", "IDX", "MINMATCHLEN", "-4"),
    ("LCS", "a", "b", "IDX", "LEN"),
    ("LCS", "a", "b", "FOO"),
    ("LCS", "a", "b", "MINMATCHLEN"),
    ("LCS", "a", "b", "MINMATCHLEN", "x"),
    ("LCS", "a", "missing"),
    ("LCS", "missing", "missing2", "IDX"),
    ("LCS", "a", "h"),
    ("SET", "x1", "ABCBDAB"),
    ("SET", "x2", "BDCABA"),
    ("LCS", "x1", "x2"),
    ("LCS", "x1", "x2", "IDX", "WITHMATCHLEN"),
]


def test_ranges_and_lcs_match_redis(r: redis.Redis, real: redis.Redis) -> None:
    assert_same(r, real, RANGE_CASES)


BIT_CASES: list[Command] = [
    ("SETBIT", "b", "7", "1"),
    ("SETBIT", "b", "7", "0"),
    ("SETBIT", "b", "7", "1"),
    ("SETBIT", "b", "100", "1"),
    ("GET", "b"),
    ("SETBIT", "b", "-1", "1"),
    ("SETBIT", "b", "4294967296", "1"),
    ("SETBIT", "b", "1", "2"),
    ("SETBIT", "b", "1", "-1"),
    ("SETBIT", "b", "x", "1"),
    ("GETBIT", "b", "7"),
    ("GETBIT", "b", "6"),
    ("GETBIT", "b", "10000"),
    ("GETBIT", "missing", "0"),
    ("GETBIT", "b", "-1"),
    ("SET", "foo", "foobar"),
    ("BITCOUNT", "foo"),
    ("BITCOUNT", "foo", "0", "0"),
    ("BITCOUNT", "foo", "1", "1"),
    ("BITCOUNT", "foo", "1", "1", "BYTE"),
    ("BITCOUNT", "foo", "5", "30", "BIT"),
    ("BITCOUNT", "foo", "-10", "-3", "bit"),
    ("BITCOUNT", "foo", "-1", "-5"),
    ("BITCOUNT", "foo", "0", "-1", "FOO"),
    ("BITCOUNT", "foo", "0"),
    ("BITCOUNT", "foo", "a", "1"),
    ("BITCOUNT", "missing"),
    ("BITCOUNT", "missing", "a", "b"),
    ("BITCOUNT", "missing", "0", "1", "FOO"),
    ("BITCOUNT", "missing", "0"),
    ("BITCOUNT", "foo", "0", "-1", "BIT"),
    ("BITCOUNT", "foo", "9", "8", "BIT"),
    ("BITCOUNT", "missing", "0", "1"),
    ("SET", "p", b"\xff\xf0\x00"),
    ("BITPOS", "p", "0"),
    ("BITPOS", "p", "1"),
    ("BITPOS", "p", "1", "2"),
    ("BITPOS", "p", "0", "1", "1"),
    ("BITPOS", "p", "0", "2", "-1"),
    ("BITPOS", "p", "1", "7", "15", "BIT"),
    ("BITPOS", "p", "0", "7", "15", "BIT"),
    ("BITPOS", "p", "0", "0", "11", "BIT"),
    ("BITPOS", "p", "1", "12", "-1", "BIT"),
    ("BITPOS", "p", "0", "5", "BIT"),
    ("SET", "ones", b"\xff\xff"),
    ("BITPOS", "ones", "0"),
    ("BITPOS", "ones", "0", "0"),
    ("BITPOS", "ones", "0", "0", "-1"),
    ("BITPOS", "ones", "0", "3", "BIT"),
    ("BITPOS", "ones", "0", "3", "-1", "BIT"),
    ("BITPOS", "missing", "0"),
    ("BITPOS", "missing", "1"),
    ("BITPOS", "p", "2"),
    ("BITPOS", "p", "1", "0", "1", "FOO"),
    ("BITPOS", "p", "1", "0", "1", "BIT", "X"),
    ("SET", "k1", "foobar"),
    ("SET", "k2", "abcdef"),
    ("BITOP", "AND", "dest", "k1", "k2"),
    ("GET", "dest"),
    ("BITOP", "OR", "dest", "k1", "k2", "missing"),
    ("GET", "dest"),
    ("BITOP", "XOR", "dest", "k1", "p"),
    ("GET", "dest"),
    ("BITOP", "NOT", "dest", "k1"),
    ("GET", "dest"),
    ("BITOP", "NOT", "dest", "k1", "k2"),
    ("BITOP", "NAND", "dest", "k1"),
    ("BITOP", "AND", "dest", "missing", "missing2"),
    ("EXISTS", "dest"),
    ("HSET", "h", "f", "v"),
    ("BITOP", "AND", "dest", "k1", "h"),
    ("SETBIT", "h", "1", "1"),
    ("BITCOUNT", "h"),
]


def test_lcs_of_long_strings_matches_redis(r: redis.Redis, real: redis.Redis) -> None:
    rng = random.Random(7)
    first = "".join(rng.choice("acgt") for _ in range(2000))
    second = "".join(rng.choice("acgt") for _ in range(1500))
    assert_same(r, real, [
        ("SET", "p", first),
        ("SET", "q", second),
        ("LCS", "p", "q"),
        ("LCS", "p", "q", "LEN"),
        ("LCS", "p", "q", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"),
        ("SET", "x", "a" * 12000),
        ("SET", "y", "b" * 12000),
        ("LCS", "x", "y"),
    ])


def test_bit_commands_match_redis(r: redis.Redis, real: redis.Redis) -> None:
    assert_same(r, real, BIT_CASES)


BITFIELD_CASES: list[Command] = [
    ("BITFIELD", "bf", "SET", "i8", "0", "100", "GET", "u4", "0", "GET", "i4", "0"),
    ("BITFIELD", "bf", "INCRBY", "i8", "0", "100"),
    ("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100", "INCRBY", "i8", "0", "-1000"),
    ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-100", "GET", "i8", "0"),
    ("BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "u2", "100", "1", "INCRBY", "u2", "100", "1",
     "INCRBY", "u2", "100", "1", "INCRBY", "u2", "100", "1"),
    ("BITFIELD", "bf", "SET", "u8", "#1", "255", "GET", "u8", "8", "GET", "u16", "#0"),
    ("BITFIELD", "bf", "SET", "u8", "0", "-1"),
    ("BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "SET", "i8", "0", "1000", "GET", "i8", "0"),
    ("BITFIELD", "bf", "OVERFLOW", "FAIL", "SET", "u8", "0", "256", "SET", "u8", "0", "255"),
    ("BITFIELD", "bf", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1"),
    ("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0", "9223372036854775807"),
    ("BITFIELD", "bf", "SET", "u63", "3", "9223372036854775807", "GET", "u63", "3", "GET", "i64", "2"),
    ("BITFIELD", "bf", "GET", "u64", "0"),
    ("BITFIELD", "bf", "GET", "i65", "0"),
    ("BITFIELD", "bf", "GET", "i0", "0"),
    ("BITFIELD", "bf", "GET", "x8", "0"),
    ("BITFIELD", "bf", "GET", "I8", "0"),
    ("BITFIELD", "bf", "GET", "i8", "-1"),
    ("BITFIELD", "bf", "GET", "i8", "#-1"),
    ("BITFIELD", "bf", "GET", "i8", "4294967296"),
    ("BITFIELD", "bf", "OVERFLOW", "BAD", "GET", "i8", "0"),
    ("BITFIELD", "bf", "OVERFLOW"),
    ("BITFIELD", "bf", "GET", "i8"),
    ("BITFIELD", "bf", "SET", "i8", "0"),
    ("BITFIELD", "bf", "SET", "i8", "0", "x"),
    ("BITFIELD", "bf", "FOO", "i8", "0"),
    ("BITFIELD", "bf"),
    ("BITFIELD", "newbf", "GET", "u8", "0"),
    ("EXISTS", "newbf"),
    ("BITFIELD", "newbf", "OVERFLOW", "FAIL", "SET", "u8", "16", "1000"),
    ("GET", "newbf"),
    ("BITFIELD_RO", "bf", "GET", "u8", "0", "GET", "i16", "4"),
    ("BITFIELD_RO", "bf", "SET", "u8", "0", "1"),
    ("BITFIELD_RO", "missing", "GET", "u8", "0"),
    ("GET", "bf"),
    ("HSET", "h", "f", "v"),
    ("BITFIELD", "bits", "GET", "u63", "#146150163733090291"),
    ("BITFIELD", "bits", "GET", "u8", "#"),
    ("BITFIELD", "bits", "overflow", "sat", "incrby", "u8", "0", "-300"),
    ("BITFIELD", "bits", "SET", "i8", "0", "-9223372036854775808"),
    ("BITFIELD", "bits", "GET", "u8", "0", "OVERFLOW"),
    ("BITFIELD_RO", "bits"),
    ("BITFIELD", "h", "GET", "u8", "0"),
    ("BITFIELD_RO", "h", "GET", "u8", "0"),
]


def test_bitfield_matches_redis(r: redis.Redis, real: redis.Redis) -> None:
    assert_same(r, real, BITFIELD_CASES)


def test_resp3_replies(r3: redis.Redis) -> None:
    r3.set("a", "ohmytext")
    r3.set("b", "mynewtext")
    reply = r3.execute_command("LCS", "a", "b", "IDX", "MINMATCHLEN", "4")
    assert reply == {b"matches": [[[4, 7], [5, 8]]], b"len": 6}
    assert r3.incrbyfloat("f", "1.5") == 1.5
    assert r3.execute_command("GETRANGE", "a", "0", "1") == b"oh"


def test_set_expiry_and_active_expire(r: redis.Redis) -> None:
    r.set("px", "v", px=100)
    r.set("ex", "v", ex=100)
    r.execute_command("SET", "pxat", "v", "PXAT", int(time.time() * 1000) + 100)
    r.execute_command("SET", "past", "v", "PXAT", 1)
    assert r.get("past") is None
    assert 0 < r.pttl("px") <= 100
    assert r.ttl("ex") == 100
    time.sleep(0.15)
    assert r.get("px") is None and r.get("pxat") is None
    assert r.get("ex") == b"v"
    # Logically expired keys are hidden at once; the sweep removes them for real soon after.
    deadline = time.monotonic() + 2
    while r.dbsize() != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert r.dbsize() == 1


def test_encodings(r: redis.Redis, real: redis.Redis) -> None:
    for client in (r, real):
        client.set("int", "12345")
        client.set("emb", "x" * 44)
        client.set("raw", "x" * 45)
        client.set("neg", "-12")
        client.set("lead", "012")
    for key in ("int", "emb", "raw", "neg", "lead"):
        assert r.object("encoding", key) == real.object("encoding", key), key


# Redis's string encoding is a result of history: what APPEND, SETRANGE, SETBIT, BITFIELD
# and BITOP write is raw even when short or numeric, until SET or INCR replaces it.
ENCODING_HISTORIES: dict[str, list[tuple[str, ...]]] = {
    "setrange-int": [("SET", "k", "1234"), ("SETRANGE", "k", "0", "2")],
    "incrbyfloat-integral": [("SET", "k", "1"), ("INCRBYFLOAT", "k", "2")],
    "incrbyfloat-then-incr": [("SET", "k", "1"), ("INCRBYFLOAT", "k", "2"), ("INCR", "k")],
    "incrbyfloat-then-append": [("INCRBYFLOAT", "k", "2.5"), ("APPEND", "k", "1")],
    "incrbyfloat-then-setbit": [("INCRBYFLOAT", "k", "2.5"), ("SETBIT", "k", "0", "0")],
    "setrange-empty-keeps-int": [("SET", "k", "1234"), ("SETRANGE", "k", "0", "")],
    "incr-after-setrange": [("SET", "k", "1234"), ("SETRANGE", "k", "0", "2"), ("INCR", "k")],
    "append-int": [("SET", "k", "1234"), ("APPEND", "k", "1")],
    "append-empty": [("SET", "k", "1234"), ("APPEND", "k", "")],
    "append-creates": [("APPEND", "k", "12")],
    "setrange-creates": [("SETRANGE", "k", "0", "12")],
    "setbit-unchanged": [("SET", "k", "abc"), ("SETBIT", "k", "1", "1")],
    "setbit-creates": [("SETBIT", "k", "1", "0")],
    "bitfield-get-only": [("SET", "k", "\x05"), ("BITFIELD", "k", "GET", "u8", "0")],
    "bitfield-set-same": [("SET", "k", "\x05"), ("BITFIELD", "k", "SET", "u8", "0", "5")],
    "bitfield-fail": [("SET", "k", "\xff"), ("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1")],
    "bitop": [("SET", "j", "1"), ("BITOP", "OR", "k", "j")],
    "copy-raw": [("SET", "j", "1"), ("APPEND", "j", "2"), ("COPY", "j", "k")],
    "rename-raw": [("SET", "j", "1"), ("APPEND", "j", "2"), ("RENAME", "j", "k")],
    "set-after-append": [("SET", "k", "abc"), ("APPEND", "k", "d"), ("SET", "k", "abc")],
    "getset-after-append": [("SET", "k", "abc"), ("APPEND", "k", "d"), ("GETSET", "k", "12")],
}


@pytest.mark.parametrize("name", list(ENCODING_HISTORIES))
def test_string_encoding_follows_history_like_redis(r: redis.Redis, real: redis.Redis, name: str) -> None:
    for client in (r, real):
        for command in ENCODING_HISTORIES[name]:
            client.execute_command(*command)
    for query in [("OBJECT", "ENCODING", "k"), ("OBJECT", "REFCOUNT", "k"), ("GET", "k"), ("TYPE", "k")]:
        assert outcome(r, *query) == outcome(real, *query), query


@pytest.mark.parametrize("command", [("GETRANGE", "k", "0"), ("SETEX", "k", "1"), ("MGET",), ("BITOP", "AND", "d")],
                         ids=["getrange", "setex", "mget", "bitop"])
def test_arity_errors(r: redis.Redis, real: redis.Redis, command: Command) -> None:
    assert_same(r, real, [command])


def _debug_object(client: redis.Redis, key: str) -> dict[str, str]:
    reply = client.execute_command("DEBUG", "OBJECT", key)
    text = reply.decode() if isinstance(reply, bytes) else str(reply)
    return dict(field.split(":", 1) for field in text.split()[1:])


@pytest.mark.parametrize("server", ["weir", "redis"])
def test_incr_uses_shared_objects_in_the_0_9999_range(r: redis.Redis, real: redis.Redis, server: str) -> None:
    """incr.tcl "INCR uses shared objects in the 0-9999 range"."""
    r = r if server == "weir" else real
    r.set("foo", -1)
    r.incr("foo")
    assert r.object("refcount", "foo") > 1
    assert int(_debug_object(r, "foo")["refcount"]) > 1
    r.set("foo", 9998)
    r.incr("foo")
    assert r.object("refcount", "foo") > 1
    r.incr("foo")
    assert r.object("refcount", "foo") == 1
    assert _debug_object(r, "foo")["refcount"] == "1"


@pytest.mark.parametrize("server", ["weir", "redis"])
def test_incr_and_append_modify_objects_in_place(r: redis.Redis, real: redis.Redis, server: str) -> None:
    """incr.tcl "INCR can modify objects in-place"; APPEND to a raw string keeps its address too."""
    r = r if server == "weir" else real
    r.set("foo", 20000)
    r.incr("foo")
    assert r.object("refcount", "foo") == 1
    old = _debug_object(r, "foo")["at"]
    r.incr("foo")
    assert _debug_object(r, "foo")["at"] == old
    r.set("s", "abc")
    embedded = _debug_object(r, "s")["at"]
    r.append("s", "d")
    raw = _debug_object(r, "s")["at"]
    assert raw != embedded
    r.append("s", "e")
    assert _debug_object(r, "s")["at"] == raw
