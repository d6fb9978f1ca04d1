"""Blocking pops with several real clients: wake-ups, FIFO fairness, timeouts, MULTI."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from tests.integration.test_lists import same
from tests.servers import ServerProcess


@pytest.fixture
def connect(weir_proc: ServerProcess) -> Iterator[Callable[..., redis.Redis]]:
    clients: list[redis.Redis] = []

    def make(**options: Any) -> redis.Redis:
        client = redis.Redis(port=weir_proc.port, socket_timeout=10, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


class Waiter(threading.Thread):
    """Runs one blocking command in a thread and keeps its reply (or error)."""

    def __init__(self, client: redis.Redis, *args: Any) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.args = args
        self.result: Any = "pending"

    def run(self) -> None:
        try:
            self.result = self.client.execute_command(*self.args)
        except redis.ResponseError as exc:
            self.result = exc


def wait_blocked(r: redis.Redis, count: int) -> None:
    """Until `count` clients are blocked (INFO-free: poll CLIENT LIST flags)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        flags = [line for line in r.execute_command("CLIENT", "LIST").decode().splitlines() if "flags=b" in line]
        if len(flags) >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"{count} clients did not block")


def start(client: redis.Redis, *args: Any) -> Waiter:
    waiter = Waiter(client, *args)
    waiter.start()
    return waiter


def test_blpop_is_served_by_a_later_push(r: redis.Redis, connect: Callable[..., redis.Redis]) -> None:
    waiter = start(connect(), "BLPOP", "k1", "k2", 0)
    wait_blocked(r, 1)
    assert r.rpush("k2", "a", "b") == 2
    waiter.join(5)
    assert waiter.result == (b"k2", b"a")
    assert r.lrange("k2", 0, -1) == [b"b"]


def test_waiters_are_served_first_come_first_served(r: redis.Redis, connect: Callable[..., redis.Redis]) -> None:
    waiters = []
    for i in range(3):
        waiters.append(start(connect(), "BRPOP", "q", 0))
        wait_blocked(r, i + 1)
    r.rpush("q", "x", "y", "z")
    for waiter in waiters:
        waiter.join(5)
    assert [w.result for w in waiters] == [(b"q", b"z"), (b"q", b"y"), (b"q", b"x")]
    assert not r.exists("q")


def test_timeouts_answer_a_null_array(r: redis.Redis, r3: redis.Redis) -> None:
    started = time.monotonic()
    assert r.execute_command("BLPOP", "none", 0.1) is None
    assert time.monotonic() - started >= 0.09
    assert r.execute_command("BZPOPMIN", "none", "0.05") is None
    assert r.execute_command("BLMOVE", "none", "x", "LEFT", "LEFT", "0.05") is None
    assert r.execute_command("BLMPOP", "0.05", 1, "none", "LEFT") is None
    assert r3.execute_command("BZMPOP", "0.05", 1, "none", "MIN") is None


def test_timeout_and_argument_errors_match_redis(r: redis.Redis, real: redis.Redis) -> None:
    same(r, real, [
        "BLPOP k x", "BLPOP k -1", "BLPOP k inf", "BRPOP k nan", "BZPOPMIN k -0.5", "BLMOVE a b UP LEFT x",
        "BLMOVE a b LEFT LEFT x", "BRPOPLPUSH a b -1", "BLMPOP x 1 k LEFT", "BLMPOP 0 0 k LEFT",
        "BZMPOP 0 1 k SIDEWAYS", "SET str v", "BLPOP str 0", "BZPOPMAX str 0", "BLMOVE str b LEFT LEFT 0",
        "RPUSH l a b", "BLPOP l 0", "BRPOP l 0", "ZADD z 1 a 2 b", "BZPOPMIN z 0", "BZPOPMAX z 0",
        "RPUSH l2 a b c", "BLMPOP 0 2 none l2 RIGHT COUNT 2", "BLMOVE l2 d RIGHT LEFT 0",
        "BRPOPLPUSH d d 0", "ZADD z2 1 a 2 b", "BZMPOP 0 1 z2 MAX COUNT 5",
    ])


def test_inside_multi_a_blocking_pop_answers_at_once(r: redis.Redis, real: redis.Redis) -> None:
    for client in (r, real):
        pipe = client.pipeline(transaction=True)
        pipe.execute_command("BLPOP", "none", 0)
        pipe.execute_command("BZPOPMIN", "none", 0)
        pipe.execute_command("BLMOVE", "none", "x", "LEFT", "LEFT", 0)
        pipe.execute_command("BLMPOP", 0, 1, "none", "LEFT")
        pipe.rpush("l", "a")
        pipe.execute_command("BLPOP", "l", 0)
        assert pipe.execute() == [None, None, None, None, 1, (b"l", b"a")]


def test_push_inside_multi_serves_a_waiter(r: redis.Redis, connect: Callable[..., redis.Redis]) -> None:
    waiter = start(connect(), "BLPOP", "t", 0)
    wait_blocked(r, 1)
    pipe = r.pipeline(transaction=True)
    pipe.rpush("t", "a")
    pipe.rpush("t", "b")
    pipe.lrange("t", 0, -1)
    assert pipe.execute() == [1, 2, [b"a", b"b"]]
    waiter.join(5)
    assert waiter.result == (b"t", b"a")
    assert r.lrange("t", 0, -1) == [b"b"]


def test_blmove_wakes_a_client_blocked_on_its_target(r: redis.Redis, connect: Callable[..., redis.Redis]) -> None:
    second = start(connect(), "BLPOP", "stage2", 0)
    wait_blocked(r, 1)
    first = start(connect(), "BLMOVE", "stage1", "stage2", "LEFT", "RIGHT", 0)
    wait_blocked(r, 2)
    r.rpush("stage1", "job")
    first.join(5)
    second.join(5)
    assert first.result == b"job"
    assert second.result == (b"stage2", b"job")
    assert not r.exists("stage1") and not r.exists("stage2")


def test_bzpopmin_and_bzmpop_are_served(r: redis.Redis, connect: Callable[..., redis.Redis]) -> None:
    pop = start(connect(), "BZPOPMIN", "z", 0)
    wait_blocked(r, 1)
    mpop = start(connect(), "BZMPOP", 0, 2, "other", "z", "MAX", "COUNT", 2)
    wait_blocked(r, 2)
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    pop.join(5)
    mpop.join(5)
    assert pop.result == (b"z", b"a", 1.0)
    assert mpop.result == [b"z", [[b"c", b"3"], [b"b", b"2"]]]


def test_a_key_that_expires_during_the_transaction_serves_no_waiter(
    r: redis.Redis, connect: Callable[..., redis.Redis]
) -> None:
    """list.tcl "MULTI + LPUSH + EXPIRE + DEBUG SLEEP on blocked client, key already expired"."""
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        blocked = connect()
        client_id = blocked.client_id()
        waiter = start(blocked, "BRPOP", "k", 0)
        wait_blocked(r, 1)
        pipe = r.pipeline(transaction=True)
        pipe.rpush("k", "hello")
        pipe.pexpire("k", 100)
        pipe.execute_command("DEBUG", "SLEEP", "0.2")
        assert pipe.execute() == [1, True, b"OK"]
        assert "flags=b" in r.execute_command("CLIENT", "LIST", "ID", client_id).decode()
        assert r.execute_command("CLIENT", "UNBLOCK", client_id) == 1
        waiter.join(5)
        assert waiter.result is None
        assert r.exists("k") == 0
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_a_key_turned_into_another_type_serves_no_waiter(
    r: redis.Redis, connect: Callable[..., redis.Redis]
) -> None:
    """list.tcl "LPUSH + DEL + SET should not awake blocked client"; BZPOPMIN likewise on a list."""
    waiter = start(connect(), "BLPOP", "list", 0)
    zwaiter = start(connect(), "BZPOPMIN", "list", 0)
    wait_blocked(r, 2)
    pipe = r.pipeline(transaction=True)
    pipe.lpush("list", "a")
    pipe.delete("list")
    pipe.set("list", "foo")
    pipe.execute()
    r.delete("list")
    r.lpush("list", "b")
    waiter.join(5)
    assert waiter.result == (b"list", b"b")
    assert zwaiter.result == "pending"
    r.zadd("list", {"m": 1})
    zwaiter.join(5)
    assert zwaiter.result == (b"list", b"m", 1.0)


def test_a_waiter_is_served_from_the_key_that_woke_it(r: redis.Redis, connect: Callable[..., redis.Redis]) -> None:
    """Its other keys may hold anything, and the first key readied wins, as in Redis."""
    waiter = start(connect(), "BLPOP", "empty", "k1", "k2", 0)
    wait_blocked(r, 1)
    r.set("k1", "a string")
    r.rpush("k2", "x")
    waiter.join(5)
    assert waiter.result == (b"k2", b"x")
    waiter = start(connect(), "BLMPOP", 0, 2, "k3", "k4", "LEFT", "COUNT", 2)
    wait_blocked(r, 1)
    pipe = r.pipeline(transaction=True)
    pipe.rpush("k4", "c", "d", "e")
    pipe.rpush("k3", "f")
    pipe.execute()
    waiter.join(5)
    assert waiter.result == [b"k4", [b"c", b"d"]]


def test_client_unblock(r: redis.Redis, connect: Callable[..., redis.Redis]) -> None:
    blocked = connect()
    client_id = blocked.client_id()
    waiter = start(blocked, "BLPOP", "never", 0)
    wait_blocked(r, 1)
    assert r.execute_command("CLIENT", "UNBLOCK", client_id) == 1
    waiter.join(5)
    assert waiter.result is None
    waiter = start(blocked, "BLPOP", "never", 0)
    wait_blocked(r, 1)
    assert r.execute_command("CLIENT", "UNBLOCK", client_id, "ERROR") == 1
    waiter.join(5)
    assert str(waiter.result) == "UNBLOCKED client unblocked via CLIENT UNBLOCK"
    assert blocked.ping() is True


def test_a_blocked_client_runs_what_it_sent_meanwhile(r: redis.Redis, connect: Callable[..., redis.Redis]) -> None:
    pipe = connect().pipeline(transaction=False)
    pipe.execute_command("BLPOP", "p", 0)
    pipe.rpush("after", "x")
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.extend(pipe.execute()), daemon=True)
    thread.start()
    wait_blocked(r, 1)
    assert not r.exists("after")
    r.rpush("p", "v")
    thread.join(5)
    assert out == [(b"p", b"v"), 1]


def _first_reply(port: int, timeout: bytes) -> bytes:
    """What BLPOP with `timeout` answers within 0.2 s on a fresh connection (b"" if it blocks)."""
    with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
        sock.sendall(b"*3\r\n$5\r\nBLPOP\r\n$7\r\nnothing\r\n$%d\r\n%b\r\n" % (len(timeout), timeout))
        try:
            return sock.recv(100)
        except TimeoutError:
            return b""


def test_timeout_values_read_like_redis(weir_proc: ServerProcess, redis_proc: ServerProcess) -> None:
    values = [b"1e30", b"9.3e15", b"0x10", b"-0.0001", b" 1", b"1e-5", b"", b"1.", b".5", b"+1", b"abc"]
    ours = [_first_reply(weir_proc.port, value) for value in values]
    theirs = [_first_reply(redis_proc.port, value) for value in values]
    assert ours == theirs


def test_swapdb_serves_a_client_blocked_in_the_swapped_database(weir_proc: ServerProcess) -> None:
    setup = redis.Redis(port=weir_proc.port, socket_timeout=10)
    setup.flushall()
    setup.execute_command("SELECT", 1)
    setup.rpush("swapq", "from-db1")
    result: list[object] = []
    waiter = redis.Redis(port=weir_proc.port, socket_timeout=10)
    thread = threading.Thread(target=lambda: result.append(waiter.blpop(["swapq"], timeout=5)))
    thread.start()
    time.sleep(0.3)
    setup.swapdb(0, 1)
    thread.join(10)
    assert result == [(b"swapq", b"from-db1")]
    setup.close()
    waiter.close()


def test_blmove_onto_a_wrong_type_gets_the_error_and_the_next_waiter_is_served(
    r: redis.Redis, connect: Callable[..., redis.Redis]
) -> None:
    r.set("bm:target", "nolist")
    failing = start(connect(), "BLMOVE", "bm:src", "bm:target", "RIGHT", "LEFT", 0)
    wait_blocked(r, 1)
    popper = start(connect(), "BLPOP", "bm:src", 0)
    wait_blocked(r, 2)
    r.rpush("bm:src", "foo")
    failing.join(5)
    popper.join(5)
    assert isinstance(failing.result, redis.ResponseError) and str(failing.result).startswith("WRONGTYPE")
    assert popper.result == (b"bm:src", b"foo")  # not starved behind the failed waiter
    assert r.get("bm:target") == b"nolist"
