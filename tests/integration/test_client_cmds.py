"""CLIENT and its subcommands, compared with a real redis-server where the reply is comparable."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
import redis

from tests.compare import outcome
from tests.servers import ServerProcess

ERROR_CASES = {
    "setname-space": ("CLIENT", "SETNAME", "a b"),
    "setname-newline": ("CLIENT", "SETNAME", "a\nb"),
    "list-bad-type": ("CLIENT", "LIST", "TYPE", "foo"),
    "list-bad-id": ("CLIENT", "LIST", "ID", "abc"),
    "list-missing-id": ("CLIENT", "LIST", "ID", "99999"),
    "list-syntax": ("CLIENT", "LIST", "foo"),
    "kill-old-form": ("CLIENT", "KILL", "1.2.3.4:5"),
    "kill-no-match": ("CLIENT", "KILL", "ID", "99999"),
    "kill-bad-option": ("CLIENT", "KILL", "foo", "bar"),
    "kill-bad-id": ("CLIENT", "KILL", "ID", "abc"),
    "kill-bad-type": ("CLIENT", "KILL", "TYPE", "foo"),
    "kill-bad-skipme": ("CLIENT", "KILL", "SKIPME", "maybe"),
    "kill-odd": ("CLIENT", "KILL", "ID", "1", "TYPE"),
    "reply-bad": ("CLIENT", "REPLY", "foo"),
    "unblock-bad-id": ("CLIENT", "UNBLOCK", "abc"),
    "unblock-bad-reason": ("CLIENT", "UNBLOCK", "1", "foo"),
    "unblock-nobody": ("CLIENT", "UNBLOCK", "99999"),
    "pause-bad-timeout": ("CLIENT", "PAUSE", "abc"),
    "pause-bad-mode": ("CLIENT", "PAUSE", "10", "foo"),
    "no-evict-bad": ("CLIENT", "NO-EVICT", "maybe"),
    "getredir": ("CLIENT", "GETREDIR"),
    "unknown-sub": ("CLIENT", "NOSUCH"),
    "arity": ("CLIENT", "ID", "extra"),
    "container-arity": ("CLIENT",),
}


@pytest.mark.parametrize("args", list(ERROR_CASES.values()), ids=list(ERROR_CASES))
def test_client_matches_redis(r: redis.Redis, real: redis.Redis, args: tuple[str, ...]) -> None:
    assert outcome(r, *args) == outcome(real, *args)


def test_help_lists_the_redis_subcommands(r: redis.Redis, real: redis.Redis) -> None:
    def subcommands(lines: list[bytes]) -> set[bytes]:
        return {line.split()[0] for line in lines[1:] if line[:1] not in (b" ", b"")}

    # Client-side caching (TRACKING, CACHING) is not offered.
    theirs = subcommands(real.execute_command("CLIENT", "HELP")) - {b"TRACKING", b"CACHING"}
    assert theirs <= subcommands(r.execute_command("CLIENT", "HELP"))


def test_trackinginfo_matches_redis(r: redis.Redis, real: redis.Redis) -> None:
    assert r.execute_command("CLIENT", "TRACKINGINFO") == real.execute_command("CLIENT", "TRACKINGINFO")


def test_id_name_info_and_list(r: redis.Redis) -> None:
    client_id = r.client_id()
    assert r.client_getname() is None
    assert r.client_setname("worker-1") is True
    assert r.client_getname() == "worker-1"
    info = r.client_info()
    assert str(info["id"]) == str(client_id)
    assert info["name"] == "worker-1"
    listed = r.client_list()
    assert any(c["id"] == str(client_id) and c["name"] == "worker-1" for c in listed)
    assert [c["id"] for c in r.client_list(client_id=[client_id])] == [str(client_id)]
    assert all(c["sub"] == "0" for c in r.client_list(_type="normal"))
    assert r.client_list(_type="replica") == []
    r.client_setname("")
    assert r.client_getname() is None


def test_list_type_pubsub(r: redis.Redis) -> None:
    pubsub = r.pubsub()
    pubsub.subscribe("news")
    pubsub.get_message(timeout=1)
    try:
        subscribers = r.client_list(_type="pubsub")
        assert len(subscribers) == 1
        assert subscribers[0]["sub"] == "1"
    finally:
        pubsub.close()


def _ids(client: redis.Redis) -> set[str]:
    time.sleep(0.05)
    return {c["id"] for c in client.client_list()}


def test_kill_by_id_and_old_form(r: redis.Redis, weir_proc: ServerProcess) -> None:
    victim = redis.Redis(port=weir_proc.port)
    victim_id = victim.client_id()
    assert r.client_kill_filter(_id=victim_id) == 1
    assert str(victim_id) not in _ids(r)
    victim.close()
    second = redis.Redis(port=weir_proc.port)
    second_id = second.client_id()
    addr = next(c["addr"] for c in r.client_list() if c["id"] == str(second_id))
    assert r.client_kill(addr) is True
    assert str(second_id) not in _ids(r)
    second.close()


def test_kill_skipme(r: redis.Redis, weir_proc: ServerProcess) -> None:
    own_id = r.client_id()
    assert r.execute_command("CLIENT", "KILL", "ID", own_id) == 0
    assert r.execute_command("CLIENT", "KILL", "ID", own_id, "SKIPME", "no") == 1
    observer = redis.Redis(port=weir_proc.port)
    assert str(own_id) not in _ids(observer)
    observer.close()


def _raw(port: int, payload: bytes, wait_s: float = 0.3) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(payload)
        sock.settimeout(wait_s)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except TimeoutError:
            pass
        return data


def test_reply_off_skip_on(weir_proc: ServerProcess, redis_proc: ServerProcess) -> None:
    payload = (b"CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n"
               b"CLIENT REPLY SKIP\r\nECHO skipped\r\nECHO shown\r\nNOSUCH\r\n")
    assert _raw(weir_proc.port, payload) == _raw(redis_proc.port, payload)


def _fields(line: bytes) -> dict[str, str]:
    return dict(field.split("=", 1) for field in line.decode().split())


def _info_fields(reply: bytes) -> dict[str, str]:
    """The CLIENT INFO line in a raw reply ending with it (a bulk string)."""
    return _fields(reply.rsplit(b"\r\n", 2)[-2].split(b"\r\n")[-1])


INFO = b"*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n"
QUEUED = (b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
          b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$100\r\n" + b"x" * 100 + b"\r\n")


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        # qbuf counts the request being run: 26 bytes for CLIENT INFO.
        (INFO, ("qbuf", "argv-mem", "multi-mem", "obl", "oll", "omem", "flags", "multi")),
        # obl: the replies made before it in the batch. (Redis's qbuf also counts the
        # batch's earlier requests; weir's only the one being run.)
        (b"*1\r\n$4\r\nPING\r\n" + INFO, ("argv-mem", "obl", "oll", "omem")),
        # multi-mem: the queued arguments plus a pointer each.
        (QUEUED, ()),
    ],
    ids=["alone", "after-a-reply", "queued"],
)
def test_client_info_memory_fields_match_redis(
    weir_proc: ServerProcess, redis_proc: ServerProcess, payload: bytes, fields: tuple[str, ...]
) -> None:
    if not fields:
        for port in (weir_proc.port, redis_proc.port):
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(b"CLIENT ID\r\n")
                client_id = sock.recv(100)[1:-2]
                sock.sendall(payload)
                time.sleep(0.1)
                listed = redis.Redis(port=port).execute_command("CLIENT", "LIST", "ID", client_id)
            line = _fields(listed if isinstance(listed, bytes) else listed.encode())
            assert (line["multi"], line["multi-mem"], line["flags"]) == ("2", str(5 + 3 * 8 + 104 + 3 * 8), "x")
        return
    ours, theirs = (_info_fields(_raw(port, payload)) for port in (weir_proc.port, redis_proc.port))
    for field in fields:
        assert ours[field] == theirs[field], field
    assert int(ours["tot-mem"]) >= int(ours["qbuf"]) + int(ours["argv-mem"])


def test_client_info_inside_exec_shows_the_transaction(weir_proc: ServerProcess, redis_proc: ServerProcess) -> None:
    payload = (b"MULTI\r\nSET a 1\r\nCLIENT INFO\r\nEXEC\r\n")
    ours, theirs = (_info_fields(_raw(port, payload)) for port in (weir_proc.port, redis_proc.port))
    for field in ("flags", "multi", "multi-mem", "obl", "cmd"):
        assert ours[field] == theirs[field], field


def test_qbuf_grows_while_a_big_argument_is_half_sent(r: redis.Redis, weir_proc: ServerProcess) -> None:
    def qbuf() -> int:
        time.sleep(0.1)
        (line,) = [c for c in r.client_list() if c["name"] == "half-sent"]
        return int(line["qbuf"])

    with socket.create_connection(("127.0.0.1", weir_proc.port), timeout=2) as sock:
        sock.sendall(b"CLIENT SETNAME half-sent\r\n")
        assert sock.recv(100) == b"+OK\r\n"
        assert qbuf() == 0
        header = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\n"
        sock.sendall(header + b"v" * 100_000)
        assert qbuf() == len(header) + 100_000
        sock.sendall(b"v" * 100_000)
        assert qbuf() == len(header) + 200_000
        sock.sendall(b"v" * 800_000 + b"\r\n")
        assert sock.recv(100) == b"+OK\r\n"
        assert qbuf() == 0


def test_blocked_client_keeps_its_arguments(r: redis.Redis, weir_proc: ServerProcess) -> None:
    waiter = redis.Redis(port=weir_proc.port, socket_timeout=10)
    waiter.client_setname("waiter")
    blocked = waiter.connection_pool.get_connection()
    blocked.send_command("BLPOP", "argv-list", "0")
    time.sleep(0.1)
    (line,) = [c for c in r.client_list() if c["name"] == "waiter"]
    assert line["flags"] == "b"
    assert line["argv-mem"] == str(len("BLPOP") + len("argv-list") + len("0"))
    r.lpush("argv-list", "x")
    assert blocked.read_response() == [b"argv-list", b"x"]


def test_protocol_errors_count_in_errorstats(r: redis.Redis, real: redis.Redis,
                                            weir_proc: ServerProcess, redis_proc: ServerProcess) -> None:
    for client, port in ((r, weir_proc.port), (real, redis_proc.port)):
        client.config_resetstat()
        assert _raw(port, b"*x\r\n") == b"-ERR Protocol error: invalid multibulk length\r\n"
        _raw(port, b"CLIENT REPLY OFF\r\n*x\r\n")
    assert r.info("errorstats") == real.info("errorstats") == {"errorstat_ERR": {"count": 2}}


def test_unblock_timeout_and_error(r: redis.Redis, weir_proc: ServerProcess) -> None:
    for reason, expected in (("TIMEOUT", None), ("ERROR", "UNBLOCKED")):
        blocked = redis.Redis(port=weir_proc.port, socket_timeout=10)
        blocked_id = blocked.client_id()
        result: list[Any] = []

        def wait(client: redis.Redis = blocked, result: list[Any] = result) -> None:
            try:
                result.append(client.blpop(["nothing-here"], timeout=0))
            except redis.ResponseError as exc:
                result.append(str(exc))

        thread = threading.Thread(target=wait)
        thread.start()
        deadline = time.monotonic() + 5
        while r.info("clients")["blocked_clients"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert r.client_unblock(blocked_id, error=reason == "ERROR") == 1
        thread.join(5)
        if expected is None:
            assert result == [None]
        else:
            assert result[0].startswith("UNBLOCKED client unblocked via CLIENT UNBLOCK")
        assert r.client_unblock(blocked_id) == 0
        blocked.close()


def test_pause_write_holds_writes_not_reads(r: redis.Redis, weir_proc: ServerProcess) -> None:
    r.set("paused", "before")
    other = redis.Redis(port=weir_proc.port)
    try:
        assert r.client_pause(300, all=False) is True
        started = time.monotonic()
        assert other.get("paused") == b"before"
        assert time.monotonic() - started < 0.2
        assert other.set("paused", "after") is True
        assert time.monotonic() - started >= 0.25
        assert r.get("paused") == b"after"
        assert r.client_pause(5000, all=False) is True
        assert r.client_unpause() in (True, b"OK")
        assert other.set("paused", "again") is True
    finally:
        r.client_unpause()
        other.close()


def test_setinfo_and_no_evict_no_touch(r: redis.Redis) -> None:
    assert r.execute_command("CLIENT", "SETINFO", "LIB-NAME", "mylib") == b"OK"
    assert r.execute_command("CLIENT", "SETINFO", "LIB-VER", "1.2") == b"OK"
    with pytest.raises(redis.ResponseError, match="Unrecognized option 'foo'"):
        r.execute_command("CLIENT", "SETINFO", "foo", "x")
    with pytest.raises(redis.ResponseError, match="lib-name cannot contain spaces"):
        r.execute_command("CLIENT", "SETINFO", "lib-name", "a b")
    info = r.client_info()
    assert info["lib-name"] == "mylib"
    assert info["lib-ver"] == "1.2"
    assert r.client_no_evict("on") == b"OK"
    assert "e" in r.client_info()["flags"]
    assert r.execute_command("CLIENT", "NO-TOUCH", "ON") == b"OK"
    assert "T" in r.client_info()["flags"]


def test_idle_clients_are_closed_after_timeout(weir_proc: ServerProcess) -> None:
    admin = redis.Redis(port=weir_proc.port, socket_timeout=10)
    admin.config_set("timeout", 1)
    try:
        idle = redis.Redis(port=weir_proc.port, socket_timeout=10)
        idle.ping()
        listener = admin.pubsub()
        listener.subscribe("idle-test")
        listener.get_message(timeout=1)
        idle_id = idle.client_id()
        time.sleep(2.5)
        ids = {client["id"] for client in admin.client_list()}
        assert idle_id not in ids
        assert listener.connection is not None
        admin.publish("idle-test", "still here")
        message = listener.get_message(timeout=2)
        assert message is not None and message["data"] == b"still here"
        listener.close()
        idle.close()
    finally:
        admin.config_set("timeout", 0)
        admin.close()
