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
    "latency-reset-names": ("LATENCY", "RESET", "command", "fork", "nosuch"),
    "latency-history-unknown": ("LATENCY", "HISTORY", "nosuch"),
    "latency-histogram-unknown": ("LATENCY", "HISTOGRAM", "nosuch"),
    "latency-histogram-arity": ("LATENCY", "HISTORY"),
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
        # No sweep removes it: still counted, until a read meets it (lazy expiry).
        assert r.dbsize() == 1
        assert r.info("keyspace")["db0"]["keys"] == 1
        assert r.info("keyspace")["db0"]["expires"] == 1
        assert r.get("soon") is None
        assert r.dbsize() == 0
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


def _monitored(port: int, payload: bytes) -> tuple[bytes, list[str]]:
    """What one connection gets for `payload`, and the lines a MONITOR saw meanwhile,
    without their time and address: "[db] args"."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as monitor, \
            socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        monitor.sendall(b"MONITOR\r\n")
        assert monitor.recv(100) == b"+OK\r\n"
        sock.sendall(payload + b"PING done\r\n")
        reply = b""
        while not reply.endswith(b"$4\r\ndone\r\n"):
            reply += sock.recv(65536)
        seen = b""
        while not seen.endswith(b'"PING" "done"\r\n'):
            seen += monitor.recv(65536)
    lines = [line.split(" ", 1)[1] for line in seen.decode().split("\r\n")[:-2]]
    return reply, [f"[{line[1:].split(' ', 1)[0]}] {line.split('] ', 1)[1]}" for line in lines]


def _multi(*commands: tuple[str, ...]) -> bytes:
    return b"".join(
        b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args)
        for args in commands
    )


MONITOR_CASES = {
    # call() feeds MONITOR after each command: the commands EXEC runs, then EXEC.
    "multi-exec": _multi(("MULTI",), ("SET", "foo", "bar"), ("EXEC",)),
    "multi-aborted": _multi(("MULTI",), ("NOSUCH",), ("GET",), ("EXEC",)),
    "multi-select": _multi(("MULTI",), ("SELECT", "2"), ("SET", "k", "v"), ("INCR", "k"), ("PING",), ("EXEC",), ("SELECT", "0")),
    "multi-admin-hidden": _multi(("MULTI",), ("CONFIG", "GET", "maxmemory"), ("DEBUG", "SLEEP", "0"), ("EXEC",)),
    "multi-nested-and-watch": _multi(("MULTI",), ("MULTI",), ("WATCH", "x"), ("EXEC",)),
    "watch-failed": _multi(("WATCH", "w"), ("SET", "w", "1"), ("MULTI",), ("SET", "w", "2"), ("EXEC",)),
    "select-shows-new-db": _multi(("SELECT", "1"), ("SELECT", "0")),
    "secrets-redacted": _multi(("AUTH", "pw"), ("AUTH", "user", "pw"), ("HELLO", "2", "AUTH", "user", "pw"),
                               ("CONFIG", "SET", "requirepass", "")),
}


@pytest.mark.parametrize("payload", list(MONITOR_CASES.values()), ids=list(MONITOR_CASES))
def test_monitor_lines_match_redis(weir_proc: ServerProcess, redis_proc: ServerProcess, payload: bytes) -> None:
    assert _monitored(weir_proc.port, payload) == _monitored(redis_proc.port, payload)


def test_monitor_logs_a_blocked_command_once(weir_proc: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", weir_proc.port), timeout=2) as monitor:
        monitor.sendall(b"MONITOR\r\n")
        assert monitor.recv(100) == b"+OK\r\n"
        waiter = redis.Redis(port=weir_proc.port, socket_timeout=10)
        pusher = redis.Redis(port=weir_proc.port, socket_timeout=10)
        pusher.delete("ml")
        blocked = waiter.connection_pool.get_connection()
        blocked.send_command("BLPOP", "ml", "0")
        time.sleep(0.1)
        pusher.lpush("ml", "1")
        assert blocked.read_response() == [b"ml", b"1"]
        pusher.lpush("ml", "2")
        time.sleep(0.1)
        lines = monitor.recv(65536).decode().split("\r\n")
    # (Connection handshakes, HELLO and CLIENT SETINFO, are left out.)
    commands = [line.split("] ", 1)[1] for line in lines if '"ml"' in line]
    assert commands == ['"DEL" "ml"', '"BLPOP" "ml" "0"', '"LPUSH" "ml" "1"', '"LPUSH" "ml" "2"']


def _slowlog_after(client: redis.Redis, *commands: tuple[str, ...]) -> list[list[bytes]]:
    """SLOWLOG's argvs, oldest first, for `commands` sent as one MULTI."""
    client.config_set("slowlog-log-slower-than", 0)
    try:
        client.slowlog_reset()
        pipe = client.pipeline(transaction=True)
        for args in commands:
            pipe.execute_command(*args)
        pipe.execute()
    finally:
        client.config_set("slowlog-log-slower-than", 10000)
    return [entry[3] for entry in reversed(client.execute_command("SLOWLOG", "GET", "-1"))]


def test_slowlog_logs_the_commands_exec_runs_not_exec(r: redis.Redis, real: redis.Redis) -> None:
    commands = (("SET", "a", "1"), ("GET", "a"), ("INCR", "a"), ("PING",), ("DEBUG", "SLEEP", "0"))
    logged = _slowlog_after(r, *commands)
    assert logged == _slowlog_after(real, *commands)
    assert [b"EXEC"] not in logged and [b"SET", b"a", b"1"] in logged


def _calls(client: redis.Redis) -> dict[str, int]:
    return {name: stats["calls"] for name, stats in client.info("commandstats").items()}


def test_commandstats_count_each_command_exec_runs(r: redis.Redis, real: redis.Redis) -> None:
    for client in (r, real):
        client.config_resetstat()
        pipe = client.pipeline(transaction=True)
        pipe.set("a", "1").get("a").get("a").ping().config_get("maxmemory")
        pipe.execute()
    assert _calls(r) == _calls(real)


def test_slowlog_has_a_blocked_command_once_answered(r: redis.Redis, weir_proc: ServerProcess) -> None:
    r.config_set("slowlog-log-slower-than", 0)
    try:
        r.slowlog_reset()
        waiter = redis.Redis(port=weir_proc.port, socket_timeout=10)
        blocked = waiter.connection_pool.get_connection()
        blocked.send_command("BLPOP", "sl-list", "0")
        time.sleep(0.1)
        logged = [entry[3][0] for entry in r.execute_command("SLOWLOG", "GET", "-1")]
        assert b"BLPOP" not in logged
        r.lpush("sl-list", "x")
        assert blocked.read_response() == [b"sl-list", b"x"]
        logged = [entry[3][0] for entry in r.execute_command("SLOWLOG", "GET", "-1")]
        assert logged.count(b"BLPOP") == 1
        # Redis 7.0 logs no timed-out wait, and one CLIENT UNBLOCK ends.
        blocked.send_command("BLPOP", "sl-list", "0.05")
        assert blocked.read_response() is None
        logged = [entry[3][0] for entry in r.execute_command("SLOWLOG", "GET", "-1")]
        assert logged.count(b"BLPOP") == 1
        blocked.send_command("CLIENT", "ID")
        blocked_id = blocked.read_response()
        blocked.send_command("BLPOP", "sl-list", "0")
        time.sleep(0.1)
        assert r.client_unblock(blocked_id) is True
        assert blocked.read_response() is None
        logged = [entry[3][0] for entry in r.execute_command("SLOWLOG", "GET", "-1")]
        assert logged.count(b"BLPOP") == 2
    finally:
        r.config_set("slowlog-log-slower-than", 10000)


def test_slowlog_threshold_is_inclusive(r: redis.Redis) -> None:
    # slowlog.c logs duration >= slowlog-log-slower-than: with 0, every command.
    r.config_set("slowlog-log-slower-than", 0)
    try:
        r.config_set("slowlog-max-len", 10)
        r.slowlog_reset()
        for _ in range(100):
            r.ping()
        assert r.slowlog_len() == 10
    finally:
        r.config_set("slowlog-max-len", 128)
        r.config_set("slowlog-log-slower-than", 10000)


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
