"""CONFIG GET/SET/RESETSTAT/REWRITE and INFO, compared with a real redis-server where comparable."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import redis
import yaml

from tests.compare import outcome
from tests.servers import ServerProcess, free_port, weir_server

CONFIG_CASES = {
    "unknown": ("CONFIG", "SET", "no-such-param", "1"),
    "not-a-memory": ("CONFIG", "SET", "maxmemory", "abc"),
    "memory-fraction": ("CONFIG", "SET", "maxmemory", "1.5gb"),
    "negative-memory": ("CONFIG", "SET", "maxmemory", "-1"),
    "not-an-int": ("CONFIG", "SET", "hz", "abc"),
    "bool": ("CONFIG", "SET", "activerehashing", "maybe"),
    "enum": ("CONFIG", "SET", "maxmemory-policy", "sometimes"),
    "immutable": ("CONFIG", "SET", "databases", "3"),
    "protected": ("CONFIG", "SET", "dir", "/tmp"),
    "duplicate": ("CONFIG", "SET", "hz", "5", "hz", "6"),
    "odd-args": ("CONFIG", "SET", "hz", "5", "maxmemory"),
    "range": ("CONFIG", "SET", "timeout", "-1"),
    "slowlog-range": ("CONFIG", "SET", "slowlog-log-slower-than", "-5"),
    "port-range": ("CONFIG", "SET", "port", "99999"),
    "save": ("CONFIG", "SET", "save", "3600 1 x"),
    "keyspace-events": ("CONFIG", "SET", "notify-keyspace-events", "Q"),
    "atomic": ("CONFIG", "SET", "lfu-log-factor", "3", "maxmemory", "x"),
    "get-arity": ("CONFIG", "GET"),
    "unknown-sub": ("CONFIG", "NOSUCH"),
    "rewrite-no-file": ("CONFIG", "REWRITE"),
    "help": ("CONFIG", "HELP"),
    "get-glob": ("CONFIG", "GET", "hash-max-*"),
    "get-many": ("CONFIG", "GET", "maxmemory", "timeout", "lfu-log-factor", "lua-time-limit"),
    "get-none": ("CONFIG", "GET", "no-such-*"),
    "get-glob-nocase": ("CONFIG", "GET", "HASH-MAX-*"),
    "get-glob-range-nocase": ("CONFIG", "GET", "[Z-a]*"),  # lowered ends z..a: nothing
    "get-glob-escape-exact": ("CONFIG", "GET", "[\\M]axmemory"),
    # maxmemory-clients takes a percent of maxmemory too (config.c PERCENT_CONFIG).
    "percent-too-big": ("CONFIG", "SET", "maxmemory-clients", "200%"),
    "percent-not-memory": ("CONFIG", "SET", "maxmemory-clients", "abc"),
    "percent-negative": ("CONFIG", "SET", "maxmemory-clients", "-1%"),
    "percent-fraction": ("CONFIG", "SET", "maxmemory-clients", "1.5%"),
    "percent-bare": ("CONFIG", "SET", "maxmemory-clients", "%"),
    "percent-elsewhere": ("CONFIG", "SET", "maxmemory", "10%"),
}


@pytest.mark.parametrize("args", list(CONFIG_CASES.values()), ids=list(CONFIG_CASES))
def test_config_matches_redis(r: redis.Redis, real: redis.Redis, args: tuple[str, ...]) -> None:
    assert outcome(r, *args) == outcome(real, *args)


SET_CASES = {
    "memory-units": ("maxmemory", "1gb", "1073741824"),
    "memory-k": ("maxmemory", "1k", "1000"),
    "bool-case": ("activerehashing", "NO", "no"),
    "enum-case": ("maxmemory-policy", "ALLKEYS-LRU", "allkeys-lru"),
    "hz-clamped": ("hz", "1000", "500"),
    "save": ("save", "3600 1 300 100", "3600 1 300 100"),
    "keyspace-events": ("notify-keyspace-events", "KEA", "AKE"),
    "alias": ("hash-max-ziplist-entries", "100", "100"),
    "percent": ("maxmemory-clients", "10%", "10%"),
    "percent-zero": ("maxmemory-clients", "0%", "0"),
    "percent-all": ("maxmemory-clients", "100%", "100%"),
    "percent-or-bytes": ("maxmemory-clients", "1mb", "1048576"),
    "obl": ("client-output-buffer-limit", "normal 1mb 2mb 3",
            "normal 1048576 2097152 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
}


@pytest.mark.parametrize("name,value,shown", list(SET_CASES.values()), ids=list(SET_CASES))
def test_config_set_then_get(r: redis.Redis, real: redis.Redis, name: str, value: str, shown: str) -> None:
    for client in (r, real):
        before = client.config_get(name)[name]
        try:
            assert client.config_set(name, value) is True
            assert client.config_get(name) == {name: shown}
        finally:
            client.config_set(name, before)


def test_config_set_is_atomic(r: redis.Redis) -> None:
    with pytest.raises(redis.ResponseError):
        r.execute_command("CONFIG", "SET", "lfu-log-factor", "3", "maxmemory", "x")
    assert r.config_get("lfu-log-factor") == {"lfu-log-factor": "10"}


def test_config_get_resp3_is_a_map(r3: redis.Redis) -> None:
    assert r3.config_get("timeout") == {"timeout": "0"}


def test_slowlog_threshold_applies(r: redis.Redis) -> None:
    r.slowlog_reset()
    r.config_set("slowlog-log-slower-than", 0)
    try:
        r.set("slow", "1")
    finally:
        r.config_set("slowlog-log-slower-than", 10000)
    assert any(entry["command"] == b"SET slow 1" for entry in r.slowlog_get(-1))
    r.config_set("slowlog-max-len", 1)
    try:
        r.get("a")
        r.get("b")
        assert r.slowlog_len() <= 1
    finally:
        r.config_set("slowlog-max-len", 128)


def test_a_slow_command_in_a_pipeline_is_charged_to_itself(r: redis.Redis) -> None:
    # Commands of one read share clock readings: the sleep must not leak into its neighbours.
    r.slowlog_reset()
    r.config_set("slowlog-log-slower-than", 20000)
    try:
        pipe = r.pipeline(transaction=False)
        pipe.ping().execute_command("DEBUG", "SLEEP", "0.05").echo("after")
        assert pipe.execute() == [True, b"OK", b"after"]
        logged = [entry["command"] for entry in r.slowlog_get(-1)]
    finally:
        r.config_set("slowlog-log-slower-than", 10000)
    assert logged == [b"DEBUG SLEEP 0.05"]
    stats = r.info("commandstats")
    assert stats["cmdstat_debug"]["usec"] >= 50000
    assert stats["cmdstat_echo"]["usec"] < 20000


def test_encoding_a_big_reply_is_charged_to_its_command(r: redis.Redis) -> None:
    # The next command's clock starts after this one's reply is built, not before.
    for start in range(0, 300_000, 10_000):
        r.rpush("big", *range(start, start + 10_000))
    r.slowlog_reset()
    r.config_set("slowlog-log-slower-than", 0)
    try:
        pipe = r.pipeline(transaction=False)
        pipe.lrange("big", 0, -1).ping()
        replies = pipe.execute()
        logged = {entry["command"].split()[0]: entry["duration"] for entry in r.slowlog_get(-1)}
    finally:
        r.config_set("slowlog-log-slower-than", 10000)
        r.delete("big")
    assert len(replies[0]) == 300_000
    assert logged[b"PING"] * 4 < logged[b"LRANGE"]


def test_requirepass_applies_to_new_connections(r: redis.Redis) -> None:
    r.config_set("requirepass", "sekret")
    try:
        other = redis.Redis(port=r.connection_pool.connection_kwargs["port"])
        with pytest.raises(redis.AuthenticationError):
            other.ping()
        other.close()
        assert redis.Redis(port=r.connection_pool.connection_kwargs["port"], password="sekret").ping()
    finally:
        r.config_set("requirepass", "")


def test_encoding_thresholds_reach_the_state_machine(r: redis.Redis) -> None:
    r.config_set("hash-max-listpack-entries", 2)
    try:
        r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
        assert r.object("encoding", "h") == b"hashtable"
    finally:
        r.config_set("hash-max-listpack-entries", 512)


def test_config_rewrite_writes_the_yaml_file(tmp_path: Path) -> None:
    config = tmp_path / "weir.yaml"
    config.write_text("maxclients: 500\n")
    with weir_server("--config", str(config)) as server:
        client = redis.Redis(port=server.port)
        assert client.config_get("maxclients") == {"maxclients": "500"}
        client.config_set("maxclients", 777)
        client.config_set("timeout", 30)
        assert client.config_rewrite() in (True, b"OK")
        client.close()
    written = yaml.safe_load(config.read_text())
    assert written["maxclients"] == 777
    assert written["timeout"] == 30


def test_resetstat(r: redis.Redis) -> None:
    r.get("x")
    assert r.info("commandstats")
    assert r.config_resetstat() is True
    stats = r.info("commandstats")
    assert set(stats) <= {"cmdstat_info", "cmdstat_config|resetstat"}
    latency = r.info("latencystats")
    assert set(latency) <= {"latency_percentiles_usec_info", "latency_percentiles_usec_config|resetstat"}
    assert r.info("stats")["total_error_replies"] == 0


REQUIRED_FIELDS = {
    "server": ["redis_version", "redis_mode", "os", "arch_bits", "process_id", "tcp_port",
               "uptime_in_seconds", "weir_version"],
    "clients": ["connected_clients", "blocked_clients", "maxclients"],
    "memory": ["used_memory", "used_memory_human", "maxmemory", "maxmemory_policy"],
    "persistence": ["loading", "rdb_changes_since_last_save", "rdb_last_save_time", "aof_enabled"],
    "stats": ["total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec",
              "keyspace_hits", "keyspace_misses", "expired_keys"],
    "replication": ["role", "connected_slaves", "master_replid"],
    "cpu": ["used_cpu_sys", "used_cpu_user"],
}


@pytest.mark.parametrize("section", list(REQUIRED_FIELDS))
def test_info_sections_have_the_fields_tools_read(r: redis.Redis, section: str) -> None:
    info = r.info(section)
    assert [f for f in REQUIRED_FIELDS[section] if f not in info] == []


def test_info_values(r: redis.Redis) -> None:
    r.set("k1", "v")
    r.set("k2", "v", ex=100)
    info = r.info()
    assert info["redis_version"] == "7.0.15"
    assert info["redis_mode"] == "standalone"
    assert info["role"] == "master"
    assert info["db0"]["keys"] == 2
    assert info["db0"]["expires"] == 1
    assert 0 < info["db0"]["avg_ttl"] <= 100_000
    assert "cmdstat_set" not in info
    everything = r.info("everything")
    assert everything["cmdstat_set"]["calls"] >= 2
    assert set(r.info("server", "clients")) >= {"redis_version", "connected_clients"}
    assert r.info("no-such-section") == {}


def test_info_errorstats(r: redis.Redis) -> None:
    with pytest.raises(redis.ResponseError):
        r.execute_command("NOSUCHCOMMAND")
    assert r.info("errorstats")["errorstat_ERR"]["count"] >= 1


def test_info_resp3_is_verbatim(r3: redis.Redis) -> None:
    conn = r3.connection_pool.get_connection()
    try:
        conn.send_command("INFO", "server")
        reply = conn.read_response()
    finally:
        r3.connection_pool.release(conn)
    text = reply.decode() if isinstance(reply, bytes) else str(reply)
    assert text.startswith("# Server\r\nredis_version:7.0.15\r\n")


def test_maxmemory_refuses_writes_and_queued_writes(weir_proc: ServerProcess) -> None:
    """Over maxmemory (here 1 byte: always over), commands that add data get OOM; an EXEC
    whose transaction queued one aborts; reads and EXEC of reads still run."""
    r = redis.Redis(port=weir_proc.port, socket_timeout=10)
    admin = redis.Redis(port=weir_proc.port, socket_timeout=10)
    r.set("mm:x", "value")
    try:
        reads = r.pipeline(transaction=True)
        reads.get("mm:x").ping()
        writes = r.pipeline(transaction=True)
        writes.set("mm:y", "1").get("mm:x")
        admin.config_set("maxmemory", 1)
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            r.set("mm:x", "other")
        assert r.get("mm:x") == b"value" and r.delete("mm:x") == 1
        assert admin.info("memory")["maxmemory"] == 1
    finally:
        admin.config_set("maxmemory", 0)
    r.set("mm:x", "value")
    conn = r.connection_pool.get_connection()

    def send(*args: str) -> object:
        conn.send_command(*args)
        return conn.read_response()

    try:
        assert send("MULTI") == b"OK" and send("GET", "mm:x") == b"QUEUED"
        admin.config_set("maxmemory", 1)  # between queueing and EXEC
        assert send("EXEC") == [b"value"]  # reads only: not refused
        assert send("PING") == b"PONG"
        assert send("MULTI") == b"OK"
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            send("GET", "mm:x")  # nothing is queued over the limit
        assert send("DISCARD") == b"OK"
        admin.config_set("maxmemory", 0)
        assert send("MULTI") == b"OK" and send("SET", "mm:y", "1") == b"QUEUED"
        admin.config_set("maxmemory", 1)
        with pytest.raises(redis.exceptions.ExecAbortError, match="OOM command not allowed"):
            send("EXEC")
    finally:
        admin.config_set("maxmemory", 0)
        r.connection_pool.release(conn)
    assert r.get("mm:y") is None
    r.close()
    admin.close()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def test_config_set_port_moves_the_listener() -> None:
    """config.c updatePort: the new port listens, the old one closes, clients stay."""
    with weir_server() as server:
        old = redis.Redis(port=server.port, socket_timeout=10)
        old.set("k", "v")
        port = free_port()
        assert old.config_set("port", port) is True
        assert old.get("k") == b"v"  # still connected
        assert old.config_get("port") == {"port": str(port)}
        assert old.info("server")["tcp_port"] == port
        assert redis.Redis(port=port, socket_timeout=10).get("k") == b"v"
        assert not _listening(server.port)
        old.close()


def test_two_port_changes_in_one_pipeline_leave_only_the_last_listening() -> None:
    with weir_server() as server:
        client = redis.Redis(port=server.port, socket_timeout=10)
        first, second = free_port(), free_port()
        with client.pipeline(transaction=False) as pipe:
            pipe.config_set("port", first).config_set("port", second)
            assert pipe.execute() == [True, True]
        assert redis.Redis(port=second, socket_timeout=10).ping()
        deadline = time.monotonic() + 5
        while _listening(first) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _listening(first)
        assert not _listening(server.port)
        client.close()


def test_config_set_port_that_cannot_be_bound(r: redis.Redis, real: redis.Redis) -> None:
    """A taken port: Redis's error, nothing changed (the whole CONFIG SET is undone)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = str(taken.getsockname()[1])
        for client in (r, real):
            before = client.config_get("port", "hz")
            with pytest.raises(redis.ResponseError) as error:
                client.execute_command("CONFIG", "SET", "hz", "20", "port", busy)
            assert str(error.value) == (
                "CONFIG SET failed (possibly related to argument 'port') - "
                "Unable to listen on this port. Check server logs."
            )
            assert client.config_get("port", "hz") == before
            assert client.ping()
