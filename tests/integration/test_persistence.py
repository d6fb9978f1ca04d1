"""Durability through a real server: restart, snapshots, backup and restore, damage on disk."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.servers import raw_reply, weir_server


def _client(port: int) -> redis.Redis:
    return redis.Redis(port=port, socket_timeout=10)


def _wait_bgsave(client: redis.Redis) -> None:
    deadline = time.monotonic() + 30
    while client.info("persistence")["rdb_bgsave_in_progress"]:
        assert time.monotonic() < deadline, "background snapshot did not finish"
        time.sleep(0.05)


def test_restart_replays_the_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with weir_server(data_dir=data) as server:
        c = _client(server.port)
        for i in range(500):
            c.set(f"k{i}", i)
        c.set("ttl", "x", px=600_000)
        c.close()
    with weir_server(data_dir=data) as server:
        c = _client(server.port)
        assert c.get("k499") == b"499"
        assert c.dbsize() == 501
        assert 0 < c.pttl("ttl") <= 600_000
        c.close()


def test_bgsave_compacts_and_restart_loads_snapshot_then_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with weir_server(data_dir=data) as server:
        c = _client(server.port)
        for i in range(1000):
            c.set(f"k{i}", i)
        before = c.lastsave()
        assert c.bgsave() is True
        _wait_bgsave(c)
        info = c.info("persistence")
        assert info["rdb_last_bgsave_status"] == "ok"
        assert info["rdb_changes_since_last_save"] == 0
        assert c.lastsave() >= before
        c.set("after-snapshot", "yes")
        c.close()
    assert list((data / "snapshots").glob("*.snap"))
    with weir_server(data_dir=data) as server:
        c = _client(server.port)
        assert c.get("k999") == b"999"
        assert c.get("after-snapshot") == b"yes"
        c.close()


def test_save_in_foreground(tmp_path: Path) -> None:
    with weir_server(data_dir=tmp_path / "data") as server:
        c = _client(server.port)
        c.set("a", "1")
        assert c.save() is True
        assert c.info("persistence")["rdb_saves"] >= 1
        c.close()


def test_config_get_persistence_settings(tmp_path: Path) -> None:
    with weir_server("--appendfsync", "always", data_dir=tmp_path / "data") as server:
        c = _client(server.port)
        assert c.config_get("appendfsync") == {"appendfsync": "always"}
        assert c.config_get("appendonly") == {"appendonly": "yes"}
        assert Path(c.config_get("dir")["dir"]) == (tmp_path / "data").resolve()
        c.set("x", "1")
        assert c.info("persistence")["weir_fsyncs"] >= 1
        c.close()


def test_backup_and_restore_roundtrip(tmp_path: Path) -> None:
    backup_file = tmp_path / "backup.snap"
    with weir_server(data_dir=tmp_path / "src") as server:
        c = _client(server.port)
        c.set("a", "1")
        c.hset("h", mapping={"f": "v"})
        done = subprocess.run(
            [sys.executable, "-m", "weir", "backup", "--port", str(server.port), "--out", str(backup_file)],
            capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 0, done.stderr
        c.set("not-in-backup", "1")
        c.close()
    target = tmp_path / "restored"
    done = subprocess.run(
        [sys.executable, "-m", "weir", "restore", str(backup_file), "--dir", str(target)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    with weir_server(data_dir=target) as server:
        c = _client(server.port)
        assert c.get("a") == b"1"
        assert c.hgetall("h") == {b"f": b"v"}
        assert c.get("not-in-backup") is None
        c.set("new", "write")
        c.close()
    with weir_server(data_dir=target) as server:
        assert _client(server.port).get("new") == b"write"
    again = subprocess.run(
        [sys.executable, "-m", "weir", "restore", str(backup_file), "--dir", str(target)],
        capture_output=True, text=True, timeout=60,
    )
    assert again.returncode == 1
    assert "already holds data" in again.stderr


def test_second_server_on_same_dir_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with weir_server(data_dir=data), pytest.raises(RuntimeError, match="exited with code 1"):
        with weir_server(data_dir=data):
            pass
    log = next(tmp_path.glob("data-*.log"), None)
    assert log is not None


def test_corrupt_record_in_the_middle_stops_startup_naming_file_and_offset(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with weir_server(data_dir=data) as server:
        c = _client(server.port)
        for i in range(50):
            c.set(f"k{i}", "v" * 100)
        c.close()
    segment = sorted((data / "wal").glob("*.wal"))[0]
    raw = bytearray(segment.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    segment.write_bytes(bytes(raw))
    done = subprocess.run(
        [sys.executable, "-m", "weir", "server", "--port", "0", "--dir", str(data)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1
    assert segment.name in done.stderr
    assert "offset" in done.stderr


def test_torn_tail_is_cut_and_the_server_starts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with weir_server(data_dir=data) as server:
        c = _client(server.port)
        for i in range(20):
            c.set(f"k{i}", "v")
        c.close()
    segment = sorted((data / "wal").glob("*.wal"))[-1]
    raw = segment.read_bytes()
    segment.write_bytes(raw[:-3])
    with weir_server(data_dir=data) as server:
        c = _client(server.port)
        assert c.get("k18") == b"v"
        assert c.get("k19") is None
        c.close()


def test_shutdown_saves_and_stops(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with weir_server(data_dir=data) as server:
        c = _client(server.port)
        c.set("kept", "1")
        with pytest.raises(redis.ResponseError, match="No shutdown in progress"):
            c.execute_command("SHUTDOWN", "ABORT")
        with pytest.raises(redis.ResponseError, match="syntax error"):
            c.execute_command("SHUTDOWN", "SAVE", "NOSAVE")
        # redis-py treats the closed connection as success, as with Redis.
        c.shutdown(save=True)
        assert server.proc.wait(15) == 0
    assert list((data / "snapshots").glob("*.snap"))
    with weir_server(data_dir=data) as server:
        assert _client(server.port).get("kept") == b"1"


def test_rdb_key_save_delay_keeps_a_bgsave_running(tmp_path: Path) -> None:
    """The hidden rdb-key-save-delay slows the save child per key, as Redis's does."""
    with weir_server(data_dir=tmp_path / "data") as server:
        c = _client(server.port)
        c.mset({f"k{i}": i for i in range(40)})
        assert c.config_get("*").get("rdb-key-save-delay") is None  # hidden from globs
        c.config_set("rdb-key-save-delay", 20_000)  # 20 ms a key: 0.8 s for the save
        assert c.config_get("rdb-key-save-delay") == {"rdb-key-save-delay": "20000"}
        assert c.bgsave() is True
        time.sleep(0.3)  # without the delay the save is over and reaped by now
        assert c.info("persistence")["rdb_bgsave_in_progress"] == 1
        _wait_bgsave(c)
        assert c.info("persistence")["rdb_last_bgsave_status"] == "ok"
        c.close()


def _wait_rewrite(client: redis.Redis) -> dict[str, int]:
    deadline = time.monotonic() + 30
    while True:
        info = client.info("persistence")
        if not (info["aof_rewrite_in_progress"] or info["aof_rewrite_scheduled"] or info["rdb_bgsave_in_progress"]):
            return info
        assert time.monotonic() < deadline, "background rewrite did not finish"
        time.sleep(0.05)


def test_bgrewriteaof_is_a_snapshot_that_compacts_the_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with weir_server(data_dir=data) as server:
        c = _client(server.port)
        c.mset({f"k{i}": i for i in range(100)})
        assert c.info("persistence")["aof_rewrites"] == 0
        assert raw_reply(server.port, "BGREWRITEAOF") == b"Background append only file rewriting started"
        info = _wait_rewrite(c)
        assert (info["aof_rewrites"], info["aof_last_bgrewrite_status"]) == (1, "ok")
        assert info["aof_last_rewrite_time_sec"] >= 0
        assert info["rdb_changes_since_last_save"] == 0
        c.close()
    assert list((data / "snapshots").glob("*.snap"))
    with weir_server(data_dir=data) as server:
        assert _client(server.port).get("k99") == b"99"


def test_bgsave_and_bgrewriteaof_inside_exec_are_scheduled(tmp_path: Path) -> None:
    """Redis schedules both while a transaction runs (server.in_exec); they start after."""
    from tests.compat.raw import command, exchange

    with weir_server(data_dir=tmp_path / "data") as server:
        c = _client(server.port)
        c.set("k", "v")
        (reply,) = exchange(server.port, [command("MULTI") + command("BGREWRITEAOF") + command("EXEC")])
        assert reply.startswith(b"+OK\r\n+QUEUED\r\n*1\r\n+Background append only file rewriting scheduled\r\n")
        assert _wait_rewrite(c)["aof_rewrites"] == 1
        (reply,) = exchange(server.port, [command("MULTI") + command("BGSAVE") + command("EXEC")])
        assert reply.startswith(b"+OK\r\n+QUEUED\r\n*1\r\n+Background saving scheduled\r\n")
        _wait_bgsave(c)
        assert c.info("persistence")["rdb_last_bgsave_status"] == "ok"
        c.close()


def test_bgrewriteaof_waits_for_a_running_snapshot(tmp_path: Path) -> None:
    """aof.c bgrewriteaofCommand: scheduled while another child runs, refused while one
    rewrite already does; BGSAVE meanwhile gets Redis's "Another child process" error."""
    with weir_server(data_dir=tmp_path / "data") as server:
        c = _client(server.port)
        c.mset({f"k{i}": i for i in range(20)})
        c.config_set("rdb-key-save-delay", 20_000)  # 20 ms a key: each save takes 0.4 s
        assert c.bgsave() is True
        assert raw_reply(server.port, "BGREWRITEAOF") == b"Background append only file rewriting scheduled"
        info = c.info("persistence")
        assert (info["rdb_bgsave_in_progress"], info["aof_rewrite_scheduled"]) == (1, 1)
        deadline = time.monotonic() + 30
        while not c.info("persistence")["aof_rewrite_in_progress"]:
            assert time.monotonic() < deadline, "the scheduled rewrite did not start"
            time.sleep(0.02)
        with pytest.raises(redis.ResponseError, match=r"^Background append only file rewriting already in progress$"):
            c.execute_command("BGREWRITEAOF")
        with pytest.raises(redis.ResponseError, match=r"^Another child process is active"):
            raw_reply(server.port, "BGSAVE")
        assert raw_reply(server.port, "BGSAVE", "SCHEDULE") == b"Background saving scheduled"
        c.config_set("rdb-key-save-delay", 0)
        # The scheduled BGSAVE starts as the rewrite is reaped: nothing runs only after both.
        info = _wait_rewrite(c)
        assert info["aof_rewrites"] == 1
        assert info["rdb_saves"] == 2  # the first BGSAVE and the scheduled one
        c.close()
