"""Server and admin commands: SWAPDB TIME DEBUG MONITOR SLOWLOG LATENCY COMMAND FUNCTION SCRIPT."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
import redis

from tests.servers import ServerProcess


def raw(port: int, *args: Any) -> Any:
    """A reply without redis-py's per-command parsing (COMMAND replies are parsed lossily)."""
    conn = redis.Connection(port=port, socket_timeout=10)
    try:
        conn.connect()
        conn.send_command(*args)
        try:
            return conn.read_response()
        except redis.ResponseError as exc:
            return ("error", str(exc))
    finally:
        conn.disconnect()


CASES = {
    "swapdb-bad-first": ("SWAPDB", "x", "0"),
    "swapdb-bad-second": ("SWAPDB", "0", "x"),
    "swapdb-range": ("SWAPDB", "0", "99"),
    "swapdb-same": ("SWAPDB", "3", "3"),
    "slowlog-count": ("SLOWLOG", "GET", "-5"),
    "slowlog-count-text": ("SLOWLOG", "GET", "abc"),
    "slowlog-help": ("SLOWLOG", "HELP"),
    "slowlog-unknown": ("SLOWLOG", "NOSUCH"),
    "latency-latest": ("LATENCY", "LATEST"),
    "latency-history": ("LATENCY", "HISTORY", "command"),
    "latency-reset": ("LATENCY", "RESET"),
    "latency-graph": ("LATENCY", "GRAPH", "command"),
    "latency-doctor": ("LATENCY", "DOCTOR"),
    "latency-help": ("LATENCY", "HELP"),
    "function-list": ("FUNCTION", "LIST"),
    "function-list-bad": ("FUNCTION", "LIST", "foo"),
    "function-list-no-name": ("FUNCTION", "LIST", "LIBRARYNAME"),
    "function-stats": ("FUNCTION", "STATS"),
    "function-dump": ("FUNCTION", "DUMP"),
    "function-flush": ("FUNCTION", "FLUSH"),
    "function-flush-bad": ("FUNCTION", "FLUSH", "foo"),
    "function-delete": ("FUNCTION", "DELETE", "nolib"),
    "function-kill": ("FUNCTION", "KILL"),
    "function-help": ("FUNCTION", "HELP"),
    "script-exists": ("SCRIPT", "EXISTS", "a", "b"),
    "script-exists-arity": ("SCRIPT", "EXISTS"),
    "script-flush": ("SCRIPT", "FLUSH", "ASYNC"),
    "script-flush-bad": ("SCRIPT", "FLUSH", "foo"),
    "script-kill": ("SCRIPT", "KILL"),
    "script-help": ("SCRIPT", "HELP"),
    "command-help": ("COMMAND", "HELP"),
    "command-getkeys": ("COMMAND", "GETKEYS", "set", "a", "b"),
    "command-getkeys-many": ("COMMAND", "GETKEYS", "del", "a", "b", "c"),
    "command-getkeys-unknown": ("COMMAND", "GETKEYS", "nosuch", "a"),
    "command-getkeys-arity": ("COMMAND", "GETKEYS", "get"),
    "command-getkeys-nokeys": ("COMMAND", "GETKEYS", "ping", "a"),
    "command-getkeys-sub": ("COMMAND", "GETKEYS", "client", "list"),
    "command-info-get": ("COMMAND", "INFO", "get", "nosuch"),
    "command-info-sub": ("COMMAND", "INFO", "config|get"),
    "command-list-pattern": ("COMMAND", "LIST", "FILTERBY", "PATTERN", "config*"),
    "command-list-bad": ("COMMAND", "LIST", "FILTERBY", "foo", "x"),
    "command-unknown": ("COMMAND", "NOSUCH"),
}


@pytest.mark.parametrize("args", list(CASES.values()), ids=list(CASES))
def test_matches_redis(weir_proc: ServerProcess, redis_proc: ServerProcess, args: tuple[str, ...]) -> None:
    ours, theirs = raw(weir_proc.port, *args), raw(redis_proc.port, *args)
    if args[:2] == ("COMMAND", "LIST"):
        ours, theirs = sorted(ours), sorted(theirs)
    assert ours == theirs


def test_swapdb_swaps_and_invalidates_watch(r: redis.Redis, weir_proc: ServerProcess) -> None:
    r.set("in0", "a")
    other = redis.Redis(port=weir_proc.port, db=1)
    other.set("in1", "b", ex=100)
    watcher = redis.Redis(port=weir_proc.port, db=1)
    pipe = watcher.pipeline()
    pipe.watch("in1")
    assert r.swapdb(0, 1) is True
    assert r.get("in1") == b"b"
    assert 0 < r.ttl("in1") <= 100
    assert other.get("in0") == b"a"
    pipe.multi()
    pipe.set("in1", "c")
    with pytest.raises(redis.WatchError):
        pipe.execute()
    for client in (other, watcher):
        client.flushdb()
        client.close()


def test_time_is_now(r: redis.Redis) -> None:
    seconds, micros = r.time()
    assert abs(seconds + micros / 1e6 - time.time()) < 5


def test_debug(r: redis.Redis) -> None:
    r.set("obj", "12345")
    assert "encoding:int" in r.execute_command("DEBUG", "OBJECT", "obj").decode()
    with pytest.raises(redis.ResponseError, match="no such key"):
        r.execute_command("DEBUG", "OBJECT", "missing")
    started = time.monotonic()
    assert r.execute_command("DEBUG", "SLEEP", "0.1") in (True, b"OK")
    assert time.monotonic() - started >= 0.1
    assert r.execute_command("DEBUG", "RELOAD") in (True, b"OK")
    with pytest.raises(redis.ResponseError, match=r"unknown subcommand 'NOPE'\. Try DEBUG HELP\."):
        r.execute_command("DEBUG", "NOPE")


def test_debug_set_active_expire(r: redis.Redis) -> None:
    try:
        assert r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") in (True, b"OK")
        r.set("soon", "1", px=50)
        time.sleep(0.35)
        # Hidden from reads, but still counted until an expiry entry removes it.
        assert r.get("soon") is None
        assert r.dbsize() == 1
        assert r.info("keyspace")["db0"]["keys"] == 1
        assert r.info("keyspace")["db0"]["expires"] == 1
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_monitor_output_format(r: redis.Redis, weir_proc: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", weir_proc.port), timeout=2) as sock:
        sock.sendall(b"MONITOR\r\n")
        assert sock.recv(100) == b"+OK\r\n"
        r.set("mon", 'a "b"')
        time.sleep(0.1)
        line = sock.recv(4096).decode()
    assert line.startswith("+") and line.endswith("\r\n")
    stamp, rest = line[1:-2].split(" ", 1)
    assert abs(float(stamp) - time.time()) < 5
    assert rest.endswith('] "SET" "mon" "a \\"b\\""')
    assert rest.startswith("[0 127.0.0.1:")


def test_slowlog_entries(r: redis.Redis) -> None:
    assert r.slowlog_reset() is True
    r.config_set("slowlog-log-slower-than", 0)
    try:
        r.client_setname("slowpoke")
        r.set("sl", "v")
    finally:
        r.config_set("slowlog-log-slower-than", 10000)
    entries = r.execute_command("SLOWLOG", "GET", "-1")
    assert r.slowlog_len() == len(entries) >= 2
    ids = [entry[0] for entry in entries]
    assert ids == sorted(ids, reverse=True)
    entry = next(e for e in entries if e[3] == [b"SET", b"sl", b"v"])
    assert len(entry) == 6
    assert abs(entry[1] - time.time()) < 5
    assert entry[2] >= 0
    assert entry[4].startswith(b"127.0.0.1:")
    assert entry[5] == b"slowpoke"
    assert len(r.execute_command("SLOWLOG", "GET", "1")) == 1
    assert r.slowlog_reset() is True
    assert r.slowlog_len() <= 1


def _as_dict(reply: Any) -> dict[Any, Any]:
    return reply if isinstance(reply, dict) else dict(zip(reply[::2], reply[1::2]))


def test_command_count_docs_and_list(weir_proc: ServerProcess) -> None:
    count = raw(weir_proc.port, "COMMAND", "COUNT")
    everything = raw(weir_proc.port, "COMMAND")
    assert count == len(everything) == len(raw(weir_proc.port, "COMMAND", "INFO"))
    docs = _as_dict(raw(weir_proc.port, "COMMAND", "DOCS", "get", "config"))
    get_docs = _as_dict(docs[b"get"])
    assert {b"summary", b"since", b"group", b"complexity"} <= set(get_docs)
    assert get_docs[b"group"] == b"string"
    assert b"subcommands" in docs[b"config"]
    listed = raw(weir_proc.port, "COMMAND", "LIST")
    assert b"get" in listed and b"config|get" in listed
    assert b"get" in raw(weir_proc.port, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "string")


def test_command_getkeysandflags(weir_proc: ServerProcess) -> None:
    reply = raw(weir_proc.port, "COMMAND", "GETKEYSANDFLAGS", "get", "k")
    assert reply[0][0] == b"k"
    assert b"RO" in reply[0][1]


def test_redis_py_command_parses(r: redis.Redis) -> None:
    info = r.command()
    assert info["get"]["arity"] == 2
    assert r.command_count() == len(info)
