"""Embedded mode: `weir.open(dir)` runs the command table and the log in-process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import weir
from weir.embedded import WeirDB
from weir.errors import CommandError


@pytest.fixture
def db(tmp_path: Path) -> Iterator[WeirDB]:
    handle = weir.open(tmp_path / "data")
    yield handle
    handle.close()


def test_set_get_hset_execute(db: WeirDB) -> None:
    assert db.set("k", "v") == "OK"
    assert db.get("k") == b"v"
    assert db.get("missing") is None
    assert db.hset("h", "f1", "a") == 1
    assert db.execute("HSET", "h", "f2", 2) == 1
    assert db.hgetall("h") == {b"f1": b"a", b"f2": b"2"}
    assert db.execute("INCRBY", "n", 5) == 5
    assert db.execute("RPUSH", "l", "a", "b", b"\x00\xff") == 3
    assert db.execute("LRANGE", "l", 0, -1) == [b"a", b"b", b"\x00\xff"]
    assert db.dbsize() == 4


def test_errors_raise_command_error_with_redis_text(db: WeirDB) -> None:
    db.set("s", "x")
    with pytest.raises(CommandError) as info:
        db.execute("LPUSH", "s", "y")
    assert str(info.value) == "WRONGTYPE Operation against a key holding the wrong kind of value"
    with pytest.raises(CommandError, match=r"^ERR wrong number of arguments for 'get' command$"):
        db.execute("GET")
    with pytest.raises(CommandError, match=r"^ERR unknown command 'NOSUCH'"):
        db.execute("NOSUCH", "a")
    with pytest.raises(CommandError, match=r"^ERR value is not an integer or out of range$"):
        db.execute("INCR", "s")
    # A failed command changed nothing.
    assert db.get("s") == b"x"


def test_pipeline_without_transaction_returns_errors_in_place(db: WeirDB) -> None:
    pipe = db.pipeline(transaction=False)
    pipe.set("a", 1).lpush("a", "x").incr("a").get("a")
    results = pipe.execute()
    assert results[0] == "OK"
    assert isinstance(results[1], CommandError)
    assert results[1].message.startswith("WRONGTYPE")
    assert results[2:] == [2, b"2"]


def test_transaction_pipeline_and_multi_exec(db: WeirDB) -> None:
    with db.pipeline() as pipe:
        pipe.set("t", 1).incr("t").incr("t")
    assert db.get("t") == b"3"

    pipe = db.pipeline()
    pipe.set("u", "x").lpush("u", "y").get("u")
    results = pipe.execute()
    # As in Redis, a runtime error inside EXEC does not roll back the others.
    assert isinstance(results[1], CommandError)
    assert results[2] == b"x"

    assert db.execute("MULTI") == "OK"
    assert db.execute("SET", "m", "1") == "QUEUED"
    db.execute("INCR", "m")
    assert db.execute("EXEC")[1] == 2


def test_watch_conflict_aborts_transaction(db: WeirDB) -> None:
    db.set("w", "1")
    db.execute("WATCH", "w")
    db.set("w", "2")  # same client, but a change after WATCH still aborts
    db.execute("MULTI")
    db.execute("SET", "w", "3")
    assert db.execute("EXEC") is None
    assert db.get("w") == b"2"


def test_reopen_after_close_sees_everything(tmp_path: Path) -> None:
    path = tmp_path / "data"
    db = weir.open(path)
    for i in range(300):
        db.set(f"k{i}", i)
    db.hset("h", "f", "v")
    db.set("s", "x")
    with pytest.raises(CommandError):
        db.lpush("s", "y")  # a logged write that failed must not break replay
    with db.pipeline() as pipe:
        pipe.incr("counter").incr("counter")
    db.close()
    with pytest.raises(CommandError, match="closed"):
        db.get("k1")

    with weir.open(path) as again:
        assert again.get("k299") == b"299"
        assert again.hget("h", "f") == b"v"
        assert again.get("s") == b"x"
        assert again.get("counter") == b"2"
        assert again.dbsize() == 303


def test_close_flushes_with_everysec(tmp_path: Path) -> None:
    # With everysec nothing syncs on its own in embedded mode: close() must.
    path = tmp_path / "data"
    script = textwrap.dedent(
        f"""
        import os, weir
        db = weir.open({str(path)!r}, appendfsync="everysec")
        db.set("flushed", "yes")
        db.close()
        os._exit(0)  # no interpreter cleanup: only what close() did counts
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    with weir.open(path) as db:
        assert db.get("flushed") == b"yes"


def test_second_process_gets_clear_lock_error(tmp_path: Path) -> None:
    path = tmp_path / "data"
    script = textwrap.dedent(
        f"""
        import sys, weir
        from weir.log.errors import DataDirLockedError
        try:
            weir.open({str(path)!r})
        except DataDirLockedError as exc:
            print(exc)
            sys.exit(3)
        sys.exit(0)
        """
    )
    with weir.open(path) as db:
        db.set("k", "v")
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stdout + done.stderr
    assert str(path) in done.stdout
    # Once released, the directory opens again in another process.
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
