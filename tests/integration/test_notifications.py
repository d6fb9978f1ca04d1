"""Keyspace notifications (notify.c): the events each command publishes, compared with a
real redis-server event for event, and the notify-keyspace-events flags."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence

import pytest
import redis

from tests.servers import ServerProcess

Command = tuple[str | int | float, ...]
Event = tuple[bytes, bytes]  # (channel, message)

_SENTINEL = "notify-test:done"


def _reset(client: redis.Redis) -> None:
    client.config_set("notify-keyspace-events", "")
    client.flushall()


@pytest.fixture
def weir_client(weir_proc: ServerProcess) -> Iterator[redis.Redis]:
    client = redis.Redis(port=weir_proc.port, socket_timeout=10)
    _reset(client)
    yield client
    _reset(client)
    client.close()


@pytest.fixture
def real_client(redis_proc: ServerProcess) -> Iterator[redis.Redis]:
    client = redis.Redis(port=redis_proc.port, socket_timeout=10)
    _reset(client)
    yield client
    _reset(client)
    client.close()


def events(
    port: int, setup: Sequence[Command], script: Sequence[Command], flags: str = "KEA",
    protocol: int = 2, patterns: Sequence[str] = ("__key*__:*",), pause_s: float = 0,
) -> list[Event]:
    """Run `setup` quietly, then `script` with `flags` on, and return every keyspace event a
    pattern subscriber heard, in order (up to a PUBLISH that marks the end)."""
    client = redis.Redis(port=port, socket_timeout=10)
    listener = redis.Redis(port=port, protocol=protocol, socket_timeout=10)
    sub = listener.pubsub()
    try:
        for command in setup:
            client.execute_command(*command)
        time.sleep(pause_s)
        sub.psubscribe(*patterns)
        sub.subscribe(_SENTINEL)
        for _ in range(len(patterns) + 1):
            assert sub.get_message(timeout=5)["type"] in ("psubscribe", "subscribe")
        client.config_set("notify-keyspace-events", flags)
        for command in script:
            try:
                client.execute_command(*command)
            except redis.ResponseError:
                pass  # an error is part of the script: it must publish nothing
        client.config_set("notify-keyspace-events", "")
        client.publish(_SENTINEL, "end")
        heard: list[Event] = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            message = sub.get_message(timeout=1)
            if message is None:
                continue
            if message["channel"] == _SENTINEL.encode():
                return heard
            assert message["type"] == "pmessage"
            heard.append((message["channel"], message["data"]))
        raise AssertionError(f"no end marker; heard {heard}")
    finally:
        sub.close()
        listener.close()
        client.close()


# name: (setup, script). Each runs on both servers and must publish the same events.
CASES: dict[str, tuple[list[Command], list[Command]]] = {
    # strings
    "set": ([], [("SET", "k", "v"), ("SET", "k", "w", "XX"), ("SET", "k", "x", "NX")]),
    "set-ex": ([], [("SET", "k", "v", "EX", 100), ("SET", "k", "v", "PX", 100, "GET")]),
    "set-keepttl": ([("SET", "k", "v", "EX", 100)], [("SET", "k", "w", "KEEPTTL")]),
    "setnx-setex": ([], [("SETNX", "a", "1"), ("SETNX", "a", "2"), ("SETEX", "b", 10, "v"),
                         ("PSETEX", "c", 10000, "v")]),
    "getset-mset": ([], [("GETSET", "a", "1"), ("MSET", "a", "1", "b", "2"), ("MSETNX", "c", "1", "d", "2"),
                         ("MSETNX", "c", "1", "e", "2")]),
    "append-setrange": ([], [("APPEND", "a", "x"), ("APPEND", "a", "y"), ("SETRANGE", "b", 2, "z"),
                             ("SETRANGE", "a", 0, ""), ("SETRANGE", "c", 0, ""), ("SETRANGE", "a", 1, "q")]),
    "counters": ([], [("INCR", "n"), ("DECR", "n"), ("INCRBY", "n", 5), ("DECRBY", "n", 2),
                      ("INCRBYFLOAT", "f", "1.5"), ("INCR", "f")]),
    "getdel-getex": ([("SET", "a", "1"), ("SET", "b", "2"), ("SET", "c", "3", "EX", 100), ("SET", "d", "4")],
                     [("GETDEL", "a"), ("GETDEL", "nope"), ("GETEX", "b", "EX", 100), ("GETEX", "c", "PERSIST"),
                      ("GETEX", "b", "PERSIST"), ("GETEX", "d"), ("GETEX", "d", "EXAT", 1)]),
    "bits": ([], [("SETBIT", "b", 7, 1), ("SETBIT", "b", 7, 1), ("BITOP", "AND", "dest", "b", "b"),
                  ("BITOP", "OR", "dest", "nope"), ("BITFIELD", "bf", "SET", "u8", 0, 1),
                  ("BITFIELD", "bf", "GET", "u8", 0), ("BITFIELD", "bf", "INCRBY", "u8", 0, 1)]),
    "wrongtype": ([("LPUSH", "l", "a")], [("SET", "l", "v", "GET"), ("INCR", "l"), ("APPEND", "l", "x")]),
    # keys
    "del": ([("SET", "a", "1"), ("SET", "b", "2"), ("SET", "c", "3")],
            [("DEL", "a", "nope", "b"), ("UNLINK", "c", "nope")]),
    "rename": ([("SET", "a", "1"), ("SET", "b", "2"), ("SET", "c", "3", "EX", 100)],
               [("RENAME", "a", "x"), ("RENAME", "x", "x"), ("RENAMENX", "x", "b"), ("RENAMENX", "x", "y"),
                ("RENAME", "c", "b"), ("RENAME", "nope", "z")]),
    "copy-move": ([("SET", "a", "1"), ("SET", "b", "2"), ("SADD", "s", "m")],
                  [("COPY", "a", "c"), ("COPY", "a", "b"), ("COPY", "a", "b", "REPLACE"), ("COPY", "s", "t", "DB", 1),
                   ("MOVE", "a", 2), ("MOVE", "b", 0), ("MOVE", "nope", 3)]),
    "expire": ([("SET", "a", "1"), ("SET", "b", "2"), ("SET", "c", "3"), ("SET", "d", "4")],
               [("EXPIRE", "a", 100), ("PEXPIRE", "a", 100000, "NX"), ("EXPIRE", "a", 200, "GT"),
                ("EXPIREAT", "b", 1), ("PEXPIREAT", "c", 1), ("EXPIRE", "d", -1), ("EXPIRE", "nope", 10),
                ("PERSIST", "a"), ("PERSIST", "a")]),
    "sort-store": ([("RPUSH", "l", 3, 1, 2), ("SET", "dst", "x"), ("SET", "w_1", "5"), ("HSET", "h_2", "f", "1")],
                   [("SORT", "l", "STORE", "out"), ("SORT", "nope", "STORE", "dst"), ("SORT", "nope", "STORE", "dst"),
                    ("SORT", "l", "BY", "w_*", "GET", "o_*", "GET", "#", "GET", "h_*->f"),
                    ("SORT", "l", "BY", "nosort", "STORE", "d")]),
    "flush-swap": ([("SET", "a", "1"), ("SELECT", 0)], [("SWAPDB", 0, 1), ("FLUSHDB",), ("FLUSHALL",)]),
    # hashes
    "hashes": ([], [("HSET", "h", "a", 1, "b", 2), ("HSET", "h", "a", 1), ("HMSET", "h", "c", 3),
                    ("HSETNX", "h", "a", 5), ("HSETNX", "h", "d", 5), ("HINCRBY", "h", "n", 2),
                    ("HINCRBYFLOAT", "h", "f", "1.5"), ("HDEL", "h", "a", "nope"), ("HDEL", "h", "zz"),
                    ("HDEL", "h", "b", "c", "d", "n", "f")]),
    # lists
    "list-push": ([], [("LPUSH", "l", "a", "b"), ("RPUSH", "l", "c"), ("LPUSHX", "nope", "a"),
                       ("RPUSHX", "l", "d"), ("LPUSHX", "l", "e"), ("LINSERT", "l", "BEFORE", "a", "z"),
                       ("LINSERT", "l", "BEFORE", "nope", "z"), ("LSET", "l", 0, "y")]),
    "list-pop": ([("RPUSH", "l", "a", "b", "c", "d", "e", "f")],
                 [("LPOP", "l"), ("RPOP", "l", 2), ("LPOP", "nope"), ("LREM", "l", 0, "zz"), ("LREM", "l", 0, "b"),
                  ("LTRIM", "l", 0, 0), ("LTRIM", "l", 1, 0)]),
    "list-empty": ([("RPUSH", "l", "a", "b"), ("RPUSH", "m", "a")],
                   [("RPOP", "l", 5), ("LREM", "m", 1, "a"), ("LPOP", "nope", 2)]),
    "list-move": ([("RPUSH", "l", "a", "b", "c")],
                  [("RPOPLPUSH", "l", "m"), ("LMOVE", "l", "m", "LEFT", "RIGHT"), ("LMOVE", "l", "l", "LEFT", "LEFT"),
                   ("LMOVE", "l", "m", "RIGHT", "LEFT"), ("RPOPLPUSH", "nope", "m"), ("LMPOP", 2, "nope", "m", "RIGHT"),
                   ("LMPOP", 1, "m", "LEFT", "COUNT", 10)]),
    # sets
    "sets": ([], [("SADD", "s", "a", "b", "c"), ("SADD", "s", "a"), ("SREM", "s", "a", "zz"), ("SREM", "s", "zz"),
                  ("SMOVE", "s", "t", "b"), ("SMOVE", "s", "t", "zz"), ("SMOVE", "s", "t", "c"),
                  ("SMOVE", "t", "t", "c")]),
    "spop": ([("SADD", "s", "a", "b", "c", "d"), ("SADD", "t", "a")],
             [("SPOP", "s"), ("SPOP", "s", 2), ("SPOP", "s", 5), ("SPOP", "t", 1), ("SPOP", "nope"),
              ("SPOP", "nope", 3), ("SADD", "u", "x"), ("SPOP", "u", 0)]),
    "set-store": ([("SADD", "a", 1, 2, 3), ("SADD", "b", 2, 3, 4), ("SET", "d", "x")],
                  [("SINTERSTORE", "d", "a", "b"), ("SUNIONSTORE", "e", "a", "b"), ("SDIFFSTORE", "f", "a", "b"),
                   ("SINTERSTORE", "d", "a", "nope"), ("SINTERSTORE", "d", "a", "nope")]),
    # sorted sets
    "zadd": ([], [("ZADD", "z", 1, "a", 2, "b"), ("ZADD", "z", 1, "a"), ("ZADD", "z", "INCR", 5, "a"),
                  ("ZADD", "z", "NX", "INCR", 5, "a"), ("ZINCRBY", "z", 2, "c"), ("ZADD", "z", "XX", 3, "new")]),
    "zrem": ([("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e", 6, "f"), ("ZADD", "w", 0, "a", 0, "b")],
             [("ZREM", "z", "a", "zz"), ("ZREM", "z", "zz"), ("ZREMRANGEBYSCORE", "z", 2, 2),
              ("ZREMRANGEBYSCORE", "z", 100, 200), ("ZREMRANGEBYRANK", "z", 0, 0), ("ZREMRANGEBYLEX", "w", "-", "+"),
              ("ZPOPMIN", "z"), ("ZPOPMAX", "z", 5), ("ZPOPMIN", "nope")]),
    "zstore": ([("ZADD", "a", 1, "x", 2, "y"), ("ZADD", "b", 1, "y"), ("SET", "d", "v")],
               [("ZUNIONSTORE", "u", 2, "a", "b"), ("ZINTERSTORE", "d", 2, "a", "b"), ("ZDIFFSTORE", "f", 1, "a"),
                ("ZRANGESTORE", "g", "a", 0, -1), ("ZINTERSTORE", "d", 2, "a", "nope"),
                ("ZRANGESTORE", "g", "a", 5, 6), ("ZMPOP", 1, "a", "MIN", "COUNT", 5)]),
    # MULTI: each command's events, in order
    "multi": ([], [("MULTI",), ("SET", "a", "1"), ("LPUSH", "l", "x"), ("DEL", "a"), ("EXEC",)]),
    # edges: nothing changes, or an error comes first
    "edges": ([("RPUSH", "l", "a", "b"), ("ZADD", "z", 1, "a"), ("SET", "s", "v"), ("SADD", "set", "m"),
               ("RPUSH", "one", "x")],
              [("LPOP", "l", 0), ("ZPOPMIN", "z", 0), ("LSET", "l", 5, "x"), ("LMOVE", "l", "s", "LEFT", "LEFT"),
               ("SMOVE", "set", "s", "m"), ("ZADD", "z", "GT", 0, "a"), ("ZADD", "z", "XX", 1, "zz"),
               ("RPOPLPUSH", "one", "one"), ("MSET", "k", 1, "k", 2), ("SETEX", "k", -1, "v"),
               ("GETEX", "nope", "EX", 10), ("APPEND", "s", ""), ("BITFIELD", "bf", "OVERFLOW", "FAIL",
               "INCRBY", "u2", 0, 9), ("HINCRBY", "s", "f", 1), ("SADD", "l", "x"), ("SADD", "t", "m"),
               ("SADD", "set", "m2"), ("SMOVE", "set", "t", "m"), ("SET", "p", "v", "EXAT", 1), ("DEL", "p"),
               ("LINSERT", "l", "AFTER", "b", "c"), ("ZADD", "z", "CH", "LT", 0, "a"), ("RENAME", "t", "t")]),
}


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("name", list(CASES))
def test_events_match_redis(
    weir_client: redis.Redis, real_client: redis.Redis, weir_proc: ServerProcess, redis_proc: ServerProcess,
    name: str, protocol: int,
) -> None:
    setup, script = CASES[name]
    expected = events(redis_proc.port, setup, script, protocol=protocol)
    assert events(weir_proc.port, setup, script, protocol=protocol) == expected


@pytest.mark.parametrize("protocol", [2, 3])
def test_keyspace_and_keyevent_channels(weir_client: redis.Redis, weir_proc: ServerProcess, protocol: int) -> None:
    """K publishes the event on the key's channel, E the key on the event's; subscribers by
    channel and by pattern both hear them, in RESP2 and as RESP3 pushes."""
    heard = events(weir_proc.port, [("SELECT", 0)], [("SET", "k", "v"), ("DEL", "k")], protocol=protocol,
                   patterns=("__keyspace@0__:k", "__keyevent@0__:*"))
    assert heard == [
        (b"__keyspace@0__:k", b"set"), (b"__keyevent@0__:set", b"k"),
        (b"__keyspace@0__:k", b"del"), (b"__keyevent@0__:del", b"k"),
    ]
    assert events(weir_proc.port, [], [("SET", "k", "v")], flags="KA", protocol=protocol) == [
        (b"__keyspace@0__:k", b"set")
    ]
    assert events(weir_proc.port, [], [("SET", "k", "v")], flags="E$", protocol=protocol) == [
        (b"__keyevent@0__:set", b"k")
    ]
    # A class without K or E, or K and E without the class: nothing.
    assert events(weir_proc.port, [], [("SET", "k", "v")], flags="A", protocol=protocol) == []
    assert events(weir_proc.port, [], [("SET", "k", "v")], flags="KEg", protocol=protocol) == []


@pytest.mark.parametrize("protocol", [2, 3])
def test_channel_subscriber_hears_events(weir_client: redis.Redis, weir_proc: ServerProcess, protocol: int) -> None:
    listener = redis.Redis(port=weir_proc.port, protocol=protocol, socket_timeout=10)
    sub = listener.pubsub()
    sub.subscribe("__keyspace@3__:k", "__keyevent@3__:incrby")
    assert [sub.get_message(timeout=5)["type"] for _ in range(2)] == ["subscribe"] * 2
    writer = redis.Redis(port=weir_proc.port, db=3)
    writer.config_set("notify-keyspace-events", "K$E")
    assert writer.incr("k") == 1
    first, second = sub.get_message(timeout=5), sub.get_message(timeout=5)
    assert (first["type"], first["channel"], first["data"]) == ("message", b"__keyspace@3__:k", b"incrby")
    assert (second["type"], second["channel"], second["data"]) == ("message", b"__keyevent@3__:incrby", b"k")
    writer.close()
    sub.close()
    listener.close()


FLAG_STRINGS = ["KEA", "A", "g$lshzxetd", "g$lshzxet", "g$lshzxetdn", "An", "Kn", "Em", "mKE", "", "ExnmK",
                "AAK", "d", "e", "KEAQ", "K E", "a", "KEA$lshzxetmdn"]


@pytest.mark.parametrize("flags", FLAG_STRINGS)
def test_flags_parse_and_print_as_redis(weir_client: redis.Redis, real_client: redis.Redis, flags: str) -> None:
    def outcome(client: redis.Redis) -> tuple[str, ...]:
        try:
            client.config_set("notify-keyspace-events", flags)
        except redis.ResponseError as exc:
            return ("error", str(exc))
        return ("ok", client.config_get("notify-keyspace-events")["notify-keyspace-events"])

    assert outcome(weir_client) == outcome(real_client)


def test_an_keeps_new_events_though_shown_as_a(weir_client: redis.Redis, weir_proc: ServerProcess) -> None:
    """Redis prints "An" as "A" but still reports `new`."""
    assert events(weir_proc.port, [], [("SET", "k", "v")], flags="AnK") == [
        (b"__keyspace@0__:k", b"new"), (b"__keyspace@0__:k", b"set")
    ]


@pytest.mark.parametrize("flags", ["KEAn", "KEAm"])
@pytest.mark.parametrize("name", ["set", "getdel-getex", "rename", "copy-move", "expire", "sort-store", "hashes", "list-move", "sets", "set-store", "zadd", "zstore", "edges"])
def test_new_and_keymiss_match_redis(
    weir_client: redis.Redis, real_client: redis.Redis, weir_proc: ServerProcess, redis_proc: ServerProcess,
    name: str, flags: str,
) -> None:
    setup, script = CASES[name]
    assert events(weir_proc.port, setup, script, flags) == events(redis_proc.port, setup, script, flags)


def test_reads_that_miss_report_keymiss(weir_client: redis.Redis, real_client: redis.Redis,
                                         weir_proc: ServerProcess, redis_proc: ServerProcess) -> None:
    setup: list[Command] = [("SET", "a", "1"), ("HSET", "h", "f", "v")]
    script: list[Command] = [
        ("GET", "nope"), ("GET", "a"), ("MGET", "a", "x", "y"), ("EXISTS", "nope"), ("TYPE", "nope"),
        ("TTL", "nope"), ("PTTL", "nope"), ("HGET", "nope", "f"), ("HGET", "h", "zz"), ("HGETALL", "n1"),
        ("HRANDFIELD", "n2"), ("LRANGE", "nope", 0, -1), ("LLEN", "n3"), ("LINDEX", "n4", 0),
        ("LPOS", "n5", "x"), ("STRLEN", "nope"), ("GETRANGE", "n6", 0, 1), ("GETBIT", "n7", 0),
        ("BITCOUNT", "n8"), ("LCS", "n9", "a"), ("SINTER", "s1", "s2"), ("SUNION", "s3", "s4"),
        ("SINTERCARD", 2, "s5", "s6"), ("SCARD", "s7"), ("SMEMBERS", "s8"), ("SRANDMEMBER", "s9"),
        ("ZUNION", 2, "z1", "z2"), ("ZSCORE", "z3", "m"), ("ZRANGE", "z4", 0, 1), ("SORT_RO", "n10"),
        ("TOUCH", "n11"), ("OBJECT", "ENCODING", "n12"), ("OBJECT", "REFCOUNT", "n13"),
        ("MULTI",), ("GET", "n14"), ("EXEC",), ("MULTI",), ("SET", "b", "2"), ("GET", "n15"), ("HGET", "n16", "f"),
        ("GETSET", "n17", "v"), ("EXEC",),
    ]
    assert events(weir_proc.port, setup, script, "KEm") == events(redis_proc.port, setup, script, "KEm")


def test_flushdb_flushall_swapdb_publish_nothing(weir_client: redis.Redis, weir_proc: ServerProcess) -> None:
    assert events(weir_proc.port, [("SET", "a", "1")], [("SWAPDB", 0, 1), ("FLUSHDB",), ("FLUSHALL",)]) == []


def _served_events(port: int, blocking: Command, write: Command) -> list[Event]:
    """The events of `write`, which serves a client blocked in `blocking`."""
    blocked = redis.Redis(port=port, socket_timeout=10)
    replies: list[object] = []
    thread = threading.Thread(target=lambda: replies.append(blocked.execute_command(*blocking)))
    thread.start()
    probe = redis.Redis(port=port, socket_timeout=10)
    try:
        deadline = time.monotonic() + 5
        while probe.info("clients")["blocked_clients"] < 1:
            assert time.monotonic() < deadline, "the client never blocked"
            time.sleep(0.01)
        # The end marker is published only once the blocked client got its reply.
        heard = events(port, [], [write, ("WAIT", 0, 0)])
    finally:
        thread.join(10)
        blocked.close()
        probe.close()
    assert replies, "the blocked client was not served"
    return heard


@pytest.mark.parametrize(("blocking", "write"), [
    (("BLPOP", "l", "nope", 5), ("RPUSH", "l", "a")),
    (("BRPOP", "nope", "l", 5), ("LPUSH", "l", "a", "b")),
    (("BLMOVE", "l", "m", "LEFT", "RIGHT", 5), ("RPUSH", "l", "a")),
    (("BRPOPLPUSH", "l", "m", 5), ("RPUSH", "l", "a", "b")),
    (("BLMPOP", 5, 1, "l", "LEFT", "COUNT", 5), ("RPUSH", "l", "a", "b")),
    (("BZPOPMIN", "z", 5), ("ZADD", "z", 1, "a", 2, "b")),
    (("BZMPOP", 5, 1, "z", "MAX", "COUNT", 5), ("ZADD", "z", 1, "a")),
], ids=["blpop", "brpop", "blmove", "brpoplpush", "blmpop", "bzpopmin", "bzmpop"])
def test_served_blocking_pops_match_redis(
    weir_client: redis.Redis, real_client: redis.Redis, weir_proc: ServerProcess, redis_proc: ServerProcess,
    blocking: Command, write: Command,
) -> None:
    assert _served_events(weir_proc.port, blocking, write) == _served_events(redis_proc.port, blocking, write)


def test_a_write_meeting_an_expired_key_reports_expired_first(
    weir_client: redis.Redis, real_client: redis.Redis, weir_proc: ServerProcess, redis_proc: ServerProcess,
) -> None:
    setup: list[Command] = [("DEBUG", "SET-ACTIVE-EXPIRE", 0), ("SET", "k", "v", "PX", 20),
                            ("RPUSH", "l", "a"), ("PEXPIRE", "l", 20), ("SET", "s", "v", "PX", 20),
                            ("SET", "m", "v", "PX", 20)]
    script: list[Command] = [("LPUSH", "k", "x"), ("RPUSH", "l", "b"), ("SET", "s", "w"), ("MSET", "m", "w", "s", "x"),
                             ("DEBUG", "SET-ACTIVE-EXPIRE", 1)]
    for flags in ("KEA", "KEAn"):
        weir_events = events(weir_proc.port, setup, script, flags, pause_s=0.1)
        assert weir_events == events(redis_proc.port, setup, script, flags, pause_s=0.1)
        assert (b"__keyevent@0__:expired", b"k") in weir_events


def _heard_expiry(port: int) -> list[Event]:
    client = redis.Redis(port=port, socket_timeout=10)
    sub = client.pubsub()
    try:
        sub.psubscribe("__key*__:*")
        assert sub.get_message(timeout=5)["type"] == "psubscribe"
        client.config_set("notify-keyspace-events", "KEA")
        client.set("k", "v", px=50)
        heard: list[Event] = []
        deadline = time.monotonic() + 5
        while (b"__keyevent@0__:expired", b"k") not in heard and time.monotonic() < deadline:
            message = sub.get_message(timeout=1)
            if message is not None:
                heard.append((message["channel"], message["data"]))
        return heard
    finally:
        client.config_set("notify-keyspace-events", "")
        sub.close()
        client.close()


def test_active_expiry_reports_expired(
    weir_client: redis.Redis, real_client: redis.Redis, weir_proc: ServerProcess, redis_proc: ServerProcess,
) -> None:
    expected = [(b"__keyspace@0__:k", b"set"), (b"__keyevent@0__:set", b"k"),
                (b"__keyspace@0__:k", b"expire"), (b"__keyevent@0__:expire", b"k"),
                (b"__keyspace@0__:k", b"expired"), (b"__keyevent@0__:expired", b"k")]
    assert _heard_expiry(redis_proc.port) == expected
    assert _heard_expiry(weir_proc.port) == expected


def _raw_exchange(port: int) -> bytes:
    """A RESP3 client that listens to its own writes: what it reads after SET and DEL."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        def send(until: bytes, *args: bytes) -> bytes:
            sock.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
            got = b""
            while not got.endswith(until):
                chunk = sock.recv(65536)
                assert chunk, f"connection closed after {got!r}"
                got += chunk
            return got

        send(b"$7\r\nmodules\r\n*0\r\n", b"HELLO", b"3")
        send(b"+OK\r\n", b"CONFIG", b"SET", b"notify-keyspace-events", b"KEA")
        send(b":1\r\n", b"SUBSCRIBE", b"__keyspace@0__:k")
        out = send(b"+OK\r\n", b"SET", b"k", b"v") + send(b":1\r\n", b"DEL", b"k")
        send(b"+OK\r\n", b"CONFIG", b"SET", b"notify-keyspace-events", b"")
        return out


def test_resp3_writer_gets_its_push_before_its_reply(
    weir_client: redis.Redis, real_client: redis.Redis, weir_proc: ServerProcess, redis_proc: ServerProcess,
) -> None:
    expected = _raw_exchange(redis_proc.port)
    assert expected.startswith(b">3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n+OK\r\n")
    assert _raw_exchange(weir_proc.port) == expected
