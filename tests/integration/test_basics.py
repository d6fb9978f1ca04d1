"""A real weir process driven by redis-py: the foundation of every other suite."""

from __future__ import annotations

import socket
import time

import pytest
import redis

from tests.servers import ServerProcess


def raw(port: int, payload: bytes, expect_close: bool = False) -> bytes:
    """Send raw bytes and read until the reply stops coming (or the server closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(payload)
        sock.settimeout(0.3)
        data = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except TimeoutError:
            assert not expect_close, "the server should have closed the connection"
        return data


def test_ping_echo_and_pipelining(r: redis.Redis) -> None:
    assert r.ping() is True
    assert r.echo(b"\x00binary\r\n") == b"\x00binary\r\n"
    pipe = r.pipeline(transaction=False)
    for i in range(100):
        pipe.set(f"k{i}", i)
    for i in range(100):
        pipe.get(f"k{i}")
    results = pipe.execute()
    assert results[:100] == [True] * 100
    assert results[100:] == [str(i).encode() for i in range(100)]


def test_resp3_hello(r3: redis.Redis) -> None:
    assert r3.set("a", "1") is True
    assert r3.get("a") == b"1"


def test_unknown_command_and_arity_errors(r: redis.Redis) -> None:
    with pytest.raises(redis.ResponseError, match="unknown command 'NOSUCH', with args beginning with: 'x'"):
        r.execute_command("NOSUCH", "x")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'get' command"):
        r.execute_command("GET")


def test_inline_commands(weir_proc: ServerProcess) -> None:
    assert raw(weir_proc.port, b'PING\r\nSET inl "a b"\r\nGET inl\r\n') == b"+PONG\r\n+OK\r\n$3\r\na b\r\n"


def test_protocol_error_closes_connection(weir_proc: ServerProcess) -> None:
    reply = raw(weir_proc.port, b"*1\r\nx3\r\nfoo\r\n", expect_close=True)
    assert reply == b"-ERR Protocol error: expected '$', got 'x'\r\n"
    reply = raw(weir_proc.port, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$99999999999\r\n", expect_close=True)
    assert reply == b"-ERR Protocol error: invalid bulk length\r\n"


def test_multi_exec_is_atomic_and_watch_aborts(r: redis.Redis, weir_proc: ServerProcess) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.set("m1", "a").get("m1").execute_command("SELECT", 1).set("m1", "b")
    assert pipe.execute() == [True, b"a", True, True]
    # As in Redis, the SELECT inside the transaction sticks to the connection.
    assert r.get("m1") == b"b"
    r.execute_command("SELECT", 0)
    assert r.get("m1") == b"a"
    other = redis.Redis(port=weir_proc.port)
    with r.pipeline() as pipe:
        pipe.watch("w")
        other.set("w", "changed")
        pipe.multi()
        pipe.set("w", "mine")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.get("w") == b"changed"
    other.close()


def test_execabort_on_queued_error(weir_proc: ServerProcess) -> None:
    reply = raw(weir_proc.port, b"MULTI\r\nSET a\r\nSET a 1\r\nEXEC\r\nGET a\r\n")
    assert reply == (
        b"+OK\r\n-ERR wrong number of arguments for 'set' command\r\n+QUEUED\r\n"
        b"-EXECABORT Transaction discarded because of previous errors.\r\n$-1\r\n"
    )


def test_pubsub_patterns(r: redis.Redis) -> None:
    sub = r.pubsub()
    sub.psubscribe("news.*")
    assert sub.get_message(timeout=1)["type"] == "psubscribe"
    assert r.publish("news.tech", "hi") == 1
    message = sub.get_message(timeout=1)
    assert message["type"] == "pmessage"
    assert message["channel"] == b"news.tech" and message["data"] == b"hi"
    sub.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_sharded_pubsub(weir_proc: ServerProcess, protocol: int) -> None:
    """SSUBSCRIBE/SPUBLISH: a channel namespace of its own, shown by PUBSUB, CLIENT LIST and INFO."""
    r = redis.Redis(port=weir_proc.port, protocol=protocol)
    sub = r.pubsub()
    sub.ssubscribe("orders", "users")
    assert [sub.get_sharded_message(timeout=1)["type"] for _ in range(2)] == ["ssubscribe"] * 2
    plain = r.pubsub()
    plain.psubscribe("*")
    assert plain.get_message(timeout=1)["type"] == "psubscribe"
    assert sorted(r.pubsub_shardchannels()) == [b"orders", b"users"]
    assert r.pubsub_shardnumsub("orders", "nope") == [(b"orders", 1), (b"nope", 0)]
    assert r.pubsub_channels() == [] and r.pubsub_numsub("orders") == [(b"orders", 0)]
    assert r.info("stats")["pubsubshard_channels"] == 2
    assert any(c["ssub"] == "2" and "P" in c["flags"] for c in r.client_list())

    assert r.spublish("orders", "o1") == 1  # the pattern subscriber does not hear it
    message = sub.get_sharded_message(timeout=1)
    assert (message["type"], message["channel"], message["data"]) == ("smessage", b"orders", b"o1")
    assert plain.get_message(timeout=0.2) is None
    assert r.publish("orders", "plain") == 1  # the pattern subscriber only
    assert sub.get_sharded_message(timeout=0.2) is None

    sub.sunsubscribe("orders")
    assert sub.get_sharded_message(timeout=1)["type"] == "sunsubscribe"
    assert r.spublish("orders", "o2") == 0
    assert r.pubsub_shardchannels() == [b"users"]
    sub.close()  # a dropped connection leaves no subscription behind
    plain.close()
    deadline = time.monotonic() + 5
    while r.pubsub_shardchannels() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server sees the close when its loop next runs
    assert r.pubsub_shardchannels() == [] and r.info("stats")["pubsubshard_channels"] == 0
    r.close()


def test_reset_drops_shard_subscriptions(weir_proc: ServerProcess) -> None:
    reply = raw(weir_proc.port, b"SSUBSCRIBE a\r\nRESET\r\nPUBSUB SHARDNUMSUB a\r\nGET k\r\n")
    assert reply == (
        b"*3\r\n$10\r\nssubscribe\r\n$1\r\na\r\n:1\r\n+RESET\r\n*2\r\n$1\r\na\r\n:0\r\n$-1\r\n"
    )


# (setup, write): Redis signals the key (a WATCH fails) and counts dirty changes per
# command family in its own way, including writes that change nothing.
WRITE_EFFECT_CASES: dict[str, tuple[list[tuple[str, ...]], tuple[str, ...]]] = {
    "setbit-unchanged": ([("SETBIT", "k", "3", "1")], ("SETBIT", "k", "3", "1")),
    "setbit-unchanged-zero": ([("SETBIT", "k", "3", "1")], ("SETBIT", "k", "2", "0")),
    "setbit-grows-with-zero": ([("SETBIT", "k", "3", "1")], ("SETBIT", "k", "100", "0")),
    "setbit-creates-with-zero": ([], ("SETBIT", "k", "3", "0")),
    "bitfield-set-same": ([("SET", "k", "\x05")], ("BITFIELD", "k", "SET", "u8", "0", "5")),
    "bitfield-incrby-zero": ([("SET", "k", "\x05")], ("BITFIELD", "k", "INCRBY", "u8", "0", "0")),
    "bitfield-two-changes": ([("SET", "k", "\x05")], ("BITFIELD", "k", "INCRBY", "u8", "0", "1", "INCRBY", "u8", "0", "-1")),
    "bitfield-only-fail": ([("SET", "k", "\xff")], ("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "i8", "0", "1000")),
    "bitfield-fail-creates": ([], ("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000")),
    "bitfield-grows-with-zero": ([("SET", "k", "\x05")], ("BITFIELD", "k", "SET", "u8", "16", "0")),
    "ltrim-nothing": ([("RPUSH", "k", "a", "b")], ("LTRIM", "k", "0", "-1")),
    "ltrim-two": ([("RPUSH", "k", "a", "b", "c")], ("LTRIM", "k", "1", "1")),
    "ltrim-all": ([("RPUSH", "k", "a", "b", "c")], ("LTRIM", "k", "5", "6")),
    "ltrim-missing": ([], ("LTRIM", "k", "0", "-1")),
    "lrem-nothing": ([("RPUSH", "k", "a")], ("LREM", "k", "0", "b")),
    "lrem-two": ([("RPUSH", "k", "a", "b", "a")], ("LREM", "k", "0", "a")),
    "lpush-three": ([], ("LPUSH", "k", "a", "b", "c")),
    "lpop-count": ([("RPUSH", "k", "a", "b", "c")], ("LPOP", "k", "2")),
    "lmpop-count": ([("RPUSH", "k", "a", "b", "c")], ("LMPOP", "1", "k", "LEFT", "COUNT", "2")),
    "lmove-new-target": ([("RPUSH", "a", "x")], ("LMOVE", "a", "k", "LEFT", "LEFT")),
    "sadd-existing": ([("SADD", "k", "a")], ("SADD", "k", "a")),
    "sadd-three": ([("SADD", "k", "a")], ("SADD", "k", "a", "b", "c", "d")),
    "srem-nothing": ([("SADD", "k", "a")], ("SREM", "k", "b")),
    "srem-two": ([("SADD", "k", "a", "b", "c")], ("SREM", "k", "a", "b", "x")),
    "spop-all": ([("SADD", "k", "a", "b", "c")], ("SPOP", "k", "5")),
    "smove-new-target": ([("SADD", "a", "x", "y")], ("SMOVE", "a", "k", "x")),
    "hset-same": ([("HSET", "k", "f", "v")], ("HSET", "k", "f", "v")),
    "hset-three-same": ([("HSET", "k", "a", "1", "b", "2", "c", "3")], ("HSET", "k", "a", "1", "b", "2", "c", "3")),
    "hset-new": ([], ("HSET", "k", "f", "2")),
    "hincrby-new": ([], ("HINCRBY", "k", "f", "2")),
    "hsetnx-existing": ([("HSET", "k", "f", "v")], ("HSETNX", "k", "f", "x")),
    "hdel-two": ([("HSET", "k", "a", "1", "b", "2", "c", "3")], ("HDEL", "k", "a", "b", "x")),
    "zadd-same": ([("ZADD", "k", "1", "a")], ("ZADD", "k", "1", "a")),
    "zadd-new-and-updated": ([("ZADD", "k", "1", "a")], ("ZADD", "k", "2", "a", "1", "b", "1", "c")),
    "zrem-two": ([("ZADD", "k", "1", "a", "2", "b", "3", "c")], ("ZREM", "k", "a", "b", "x")),
    "zremrangebyrank-two": ([("ZADD", "k", "1", "a", "2", "b", "3", "c")], ("ZREMRANGEBYRANK", "k", "0", "1")),
    "zpopmin-two": ([("ZADD", "k", "1", "a", "2", "b", "3", "c")], ("ZPOPMIN", "k", "2")),
    "expire-same": ([("SET", "k", "v"), ("EXPIRE", "k", "100")], ("EXPIRE", "k", "100")),
    "persist-no-ttl": ([("SET", "k", "v")], ("PERSIST", "k")),
    "setrange-empty": ([("SET", "k", "v")], ("SETRANGE", "k", "0", "")),
    "append-empty": ([("SET", "k", "v")], ("APPEND", "k", "")),
    "set-ex": ([], ("SET", "k", "v", "EX", "100")),
    "setex": ([], ("SETEX", "k", "100", "v")),
    "rename-with-ttl": ([("SET", "a", "1", "EX", "100")], ("RENAME", "a", "k")),
    "copy-replace": ([("SET", "a", "1"), ("SET", "k", "2")], ("COPY", "a", "k", "REPLACE")),
    "move-with-ttl": ([("SET", "k", "1", "EX", "100")], ("MOVE", "k", "1")),
    "sort-store": ([("RPUSH", "a", "1", "2")], ("SORT", "a", "STORE", "k")),
    "flushdb-two": ([("SET", "k", "1"), ("SET", "a", "1")], ("FLUSHDB",)),
    "flushdb-empty": ([], ("FLUSHDB",)),
    "swapdb-same": ([("SET", "k", "1")], ("SWAPDB", "0", "0")),
}


def _write_effect(client: redis.Redis, setup: list[tuple[str, ...]], write: tuple[str, ...]) -> tuple[int, bool]:
    """How much `write` grows dirty, and whether it makes a WATCH on k fail."""
    for command in setup:
        client.execute_command(*command)
    before = client.info("persistence")["rdb_changes_since_last_save"]
    client.execute_command("WATCH", "k")
    client.execute_command(*write)
    dirty = client.info("persistence")["rdb_changes_since_last_save"] - before
    client.execute_command("MULTI")
    client.execute_command("PING")
    return dirty, client.execute_command("EXEC") is None


@pytest.mark.parametrize("name", list(WRITE_EFFECT_CASES))
def test_watch_and_dirty_follow_redis(r: redis.Redis, real: redis.Redis, name: str) -> None:
    setup, write = WRITE_EFFECT_CASES[name]
    assert _write_effect(r, setup, write) == _write_effect(real, setup, write)


def test_expiry_deletion_touches_watch_but_not_dirty(r: redis.Redis) -> None:
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        r.set("k", "1", px=1)
        time.sleep(0.01)
        before = r.info("persistence")["rdb_changes_since_last_save"]
        assert r.delete("k") == 0  # deletes the expired key on the way
        assert r.info("persistence")["rdb_changes_since_last_save"] == before
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
