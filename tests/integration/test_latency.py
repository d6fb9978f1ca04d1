"""LATENCY and latency tracking on a running server, compared with redis-server where the
reply does not depend on timing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from tests.servers import ServerProcess, raw_reply, weir_server

# The events weir produces, by Redis's names.
EVENTS = {"command", "fast-command", "expire-cycle", "fork", "aof-write", "aof-write-alone",
          "aof-write-active-child", "aof-fsync-always"}


@pytest.fixture(scope="module")
def own_proc() -> Iterator[ServerProcess]:
    """A server of this module's own: the monitor's state would leak into other tests."""
    with weir_server("--appendfsync", "always") as server:
        yield server


@pytest.fixture
def w(own_proc: ServerProcess) -> Iterator[redis.Redis]:
    client = redis.Redis(port=own_proc.port, socket_timeout=10)
    client.flushall()
    client.config_set("latency-monitor-threshold", 0)
    client.config_set("latency-tracking", "yes")
    client.config_set("latency-tracking-info-percentiles", "50 99 99.9")
    client.execute_command("LATENCY", "RESET")
    client.config_resetstat()
    yield client
    client.close()


def test_a_slow_command_is_a_command_event(w: redis.Redis) -> None:
    w.config_set("latency-monitor-threshold", 10)
    started = int(time.time())
    w.execute_command("DEBUG", "SLEEP", "0.03")
    w.execute_command("DEBUG", "SLEEP", "0")
    latest = w.execute_command("LATENCY", "LATEST")
    assert len(latest) == 1
    name, at, latency_ms, max_ms = latest[0]
    assert name == b"command"
    assert started <= at <= time.time()
    assert 30 <= latency_ms == max_ms
    assert w.execute_command("LATENCY", "HISTORY", "command") == [[at, latency_ms]]
    assert w.execute_command("LATENCY", "HISTORY", "COMMAND") == []  # exact name


def test_nothing_is_recorded_below_the_threshold_or_when_off(w: redis.Redis) -> None:
    w.execute_command("DEBUG", "SLEEP", "0.02")
    w.config_set("latency-monitor-threshold", 1000)
    w.execute_command("DEBUG", "SLEEP", "0.02")
    assert w.execute_command("LATENCY", "LATEST") == []


def test_reset_counts_the_events_it_drops(w: redis.Redis) -> None:
    w.config_set("latency-monitor-threshold", 5)
    w.execute_command("DEBUG", "SLEEP", "0.01")
    assert w.execute_command("LATENCY", "RESET", "nosuch", "COMMAND") == 1
    assert w.execute_command("LATENCY", "LATEST") == []
    w.execute_command("DEBUG", "SLEEP", "0.01")
    assert w.execute_command("LATENCY", "RESET") == 1


def test_graph(w: redis.Redis) -> None:
    w.config_set("latency-monitor-threshold", 5)
    w.execute_command("DEBUG", "SLEEP", "0.01")
    lines = w.execute_command("LATENCY", "GRAPH", "command").decode().split("\n")
    assert lines[0].startswith("command - high ")
    assert lines[1] == "-" * 80
    assert lines[2:7] == [" ", " ", " ", "_", " "]  # one sample: the lowest step, a gap
    assert lines[7:9] in (["0", "s"], ["1", "s"])  # its age in seconds, read downwards


def test_graph_of_an_event_without_samples(w: redis.Redis) -> None:
    with pytest.raises(redis.ResponseError, match=r"^No samples available for event 'fork'$"):
        w.execute_command("LATENCY", "GRAPH", "fork")


def test_doctor(w: redis.Redis) -> None:
    assert w.execute_command("LATENCY", "DOCTOR").startswith(b"I'm sorry, Dave, I can't do that.")
    w.config_set("latency-monitor-threshold", 5)
    w.config_set("slowlog-log-slower-than", 10000)
    w.execute_command("DEBUG", "SLEEP", "0.01")
    report = w.execute_command("LATENCY", "DOCTOR").decode()
    assert report.startswith("Dave, I have observed latency spikes in this Redis instance.")
    assert "\n1. command: 1 latency spikes (average " in report
    # slowlog-log-slower-than (10 ms) is above the threshold (5 ms): Redis says so.
    assert "Please use 'CONFIG SET slowlog-log-slower-than 5000'." in report
    assert "- Check your Slow Log to understand" in report


def test_expired_keys_swept_in_bulk_are_an_expire_cycle_event(w: redis.Redis) -> None:
    w.config_set("latency-monitor-threshold", 1)
    pipe = w.pipeline(transaction=False)
    for i in range(20_000):
        pipe.set(f"k{i}", "v", px=1)
    pipe.execute()
    deadline = time.time() + 10
    while w.dbsize() and time.time() < deadline:
        time.sleep(0.05)
    events = {row[0].decode() for row in w.execute_command("LATENCY", "LATEST")}
    assert "expire-cycle" in events
    assert events <= EVENTS


def test_a_snapshot_counts_its_fork(w: redis.Redis) -> None:
    w.config_set("latency-monitor-threshold", 1)
    forks = w.info("stats")["total_forks"]
    w.set("k", "v")
    w.bgsave()
    deadline = time.time() + 10
    while w.info("persistence")["rdb_bgsave_in_progress"] and time.time() < deadline:
        time.sleep(0.05)
    stats = w.info("stats")
    assert stats["total_forks"] == forks + 1
    assert stats["latest_fork_usec"] > 0
    history = w.execute_command("LATENCY", "HISTORY", "fork")
    # The event exists exactly when the fork took the threshold (1 ms) or more.
    assert bool(history) == (stats["latest_fork_usec"] >= 1000)


def test_writes_under_the_monitor_record_only_redis_event_names(w: redis.Redis) -> None:
    w.config_set("latency-monitor-threshold", 1)
    for i in range(300):
        w.set(f"k{i}", "v" * 1000)
    events = {row[0].decode() for row in w.execute_command("LATENCY", "LATEST")}
    assert events <= EVENTS


def test_histogram_counts_calls_in_power_of_two_buckets(own_proc: ServerProcess, w: redis.Redis) -> None:
    for _ in range(10):
        w.set("k", "v")
    reply = raw_reply(own_proc.port, "LATENCY", "HISTOGRAM", "set", "nosuch")
    assert reply[0] == b"set"
    calls, count, histogram, buckets = reply[1]
    assert (calls, count, histogram) == (b"calls", 10, b"histogram_usec")
    levels, cumulative = buckets[::2], buckets[1::2]
    redis_levels = [1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816]
    assert set(levels) <= set(redis_levels)
    assert cumulative == sorted(cumulative)
    assert cumulative[-1] == 10


def test_histogram_resp3_is_a_map_of_maps(own_proc: ServerProcess, w: redis.Redis) -> None:
    w.get("k")
    w.config_get("port")
    reply = raw_reply(own_proc.port, "LATENCY", "HISTOGRAM", "get", "CONFIG", protocol=3)
    assert set(reply) == {b"get", b"config|get", b"config|resetstat"}
    assert reply[b"get"][b"calls"] == 1
    assert list(reply[b"get"][b"histogram_usec"].values()) == [1]


def test_histogram_with_no_names_shows_every_called_command(w: redis.Redis) -> None:
    w.execute_command("INCR", "n")
    w.execute_command("CLIENT", "ID")
    names = set(w.execute_command("LATENCY", "HISTOGRAM"))
    assert {b"incr", b"client|id", b"config|resetstat"} <= names
    assert b"get" not in names


def test_info_latencystats(own_proc: ServerProcess, w: redis.Redis) -> None:
    w.set("k", "v")
    w.config_set("latency-tracking-info-percentiles", "0 50 99.99 100")
    text = raw_reply(own_proc.port, "INFO", "latencystats").decode()
    assert text.startswith("# Latencystats\r\n")
    line = next(li for li in text.split("\r\n") if li.startswith("latency_percentiles_usec_set:"))
    keys = [part.split("=")[0] for part in line.split(":", 1)[1].split(",")]
    assert keys == ["p0", "p50", "p99.99", "p100"]
    assert "# Latencystats" not in raw_reply(own_proc.port, "INFO").decode()
    assert "# Latencystats" in raw_reply(own_proc.port, "INFO", "everything").decode()


def test_latency_tracking_no_stops_recording(own_proc: ServerProcess, w: redis.Redis) -> None:
    w.config_set("latency-tracking", "no")
    w.set("k", "v")
    assert raw_reply(own_proc.port, "INFO", "latencystats").decode().strip() == "# Latencystats"
    w.config_set("latency-tracking", "yes")
    assert b"set" not in w.execute_command("LATENCY", "HISTOGRAM")


def test_resetstat_clears_the_histograms(w: redis.Redis) -> None:
    w.set("k", "v")
    w.config_resetstat()
    assert not w.execute_command("LATENCY", "HISTOGRAM", "set")
    assert set(w.execute_command("LATENCY", "HISTOGRAM")) == {b"config|resetstat", b"latency|histogram"}


def test_commands_run_by_exec_are_in_the_histograms_one_by_one(own_proc: ServerProcess, w: redis.Redis) -> None:
    with w.pipeline(transaction=True) as pipe:
        pipe.execute_command("INCR", "n").execute_command("INCR", "n").get("n")
        pipe.execute()
    reply = raw_reply(own_proc.port, "LATENCY", "HISTOGRAM", "incr", "get", "exec", protocol=3)
    assert {name: reply[name][b"calls"] for name in reply} == {b"incr": 2, b"get": 1, b"exec": 1}
