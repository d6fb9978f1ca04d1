"""The writes of one event-loop pass, from many clients, go to the log as one entry,
and no reply leaves before the entry holding what it answers is written."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.unit.log.helpers import FailingFileIO
from weir.config import Settings
from weir.server.client import Client
from weir.server.server import Server
from weir.state.entry import unpack_command


class _Transport:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.sent: list[bytes] = []
        # The log's last index when each write reached the transport.
        self.log_index_at_send: list[int] = []

    def write(self, data: bytes) -> None:
        assert self.server.persistence is not None
        self.sent.append(data)
        self.log_index_at_send.append(self.server.persistence.last_index())

    def get_extra_info(self, name: str) -> object:
        return ("127.0.0.1", 1)

    def close(self) -> None:
        pass


def _command(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def _three_clients(tmp_path: Path) -> tuple[Server, list[Client], list[_Transport]]:
    server = Server(Settings(port=0, dir=str(tmp_path)))
    server.open_storage()
    transports = [_Transport(server) for _ in range(3)]
    clients = [Client(server) for _ in range(3)]
    for client, transport in zip(clients, transports, strict=True):
        client.connection_made(transport)  # type: ignore[arg-type]
    return server, clients, transports


async def _one_pass(tmp_path: Path) -> tuple[Server, list[_Transport]]:
    # Writes share an entry only within one millisecond (an entry's ts is each of its
    # commands' "now"): a pass that straddles one is two entries by design, so a busy
    # machine gets a few tries at a pass within one millisecond.
    for attempt in range(ONE_MILLISECOND_TRIES):
        directory = tmp_path / str(attempt)
        directory.mkdir()
        server, clients, transports = _three_clients(directory)
        # One pass of the loop: each client's request arrives and is answered in turn.
        clients[0].data_received(_command(b"SET", b"a", b"1"))
        clients[1].data_received(_command(b"INCR", b"a"))
        clients[2].data_received(_command(b"GET", b"a"))
        assert all(not t.sent for t in transports), "a reply left before its write was in the log"
        await asyncio.sleep(0)
        assert server.persistence is not None
        if server.persistence.last_index() == 1 or attempt == ONE_MILLISECOND_TRIES - 1:
            return server, transports
        server.close_storage()
    raise AssertionError("unreachable")


ONE_MILLISECOND_TRIES = 20


def test_one_pass_of_writes_is_one_entry_and_replies_wait_for_it(tmp_path: Path) -> None:
    server, transports = asyncio.run(_one_pass(tmp_path))
    try:
        assert [t.sent for t in transports] == [[b"+OK\r\n"], [b":2\r\n"], [b"$1\r\n2\r\n"]]
        assert all(t.log_index_at_send == [1] for t in transports)
        assert server.persistence is not None
        (record,) = server.persistence.storage.entries(1, 2)
        command = unpack_command(record.data)
        assert command.argvs == [[b"SET", b"a", b"1"], [b"INCR", b"a"]]
        assert not command.multi
    finally:
        server.close_storage()


def test_the_shared_entry_replays_to_the_same_state(tmp_path: Path) -> None:
    server, _ = asyncio.run(_one_pass(tmp_path))
    digest = server.machine.digest()
    server.close_storage()
    restarted = Server(Settings(port=0, dir=server.settings.dir))
    assert restarted.open_storage() == 1
    try:
        assert restarted.machine.digest() == digest
        assert restarted.machine.dbs[0].data[b"a"] == b"2"
    finally:
        restarted.close_storage()


async def _slow_pass(tmp_path: Path) -> tuple[Server, list[_Transport]]:
    server, clients, transports = _three_clients(tmp_path)
    clients[0].data_received(_command(b"SET", b"a", b"1"))
    clients[1].data_received(_command(b"DEBUG", b"SLEEP", b"0.3"))
    clients[2].data_received(
        _command(b"SET", b"k", b"v", b"PX", b"200") + _command(b"PTTL", b"k")
        + _command(b"GET", b"k")
    )
    await asyncio.sleep(0)
    return server, transports


def test_a_write_after_a_slow_command_gets_a_fresh_clock(tmp_path: Path) -> None:
    # The open entry's ts is every command's "now": a write 300 ms later must not
    # join it, or its TTL would have run out before it was acknowledged.
    server, transports = asyncio.run(_slow_pass(tmp_path))
    try:
        set_reply, pttl_reply, get_reply = (
            b"".join(transports[2].sent).split(b"\r\n", 3)[i] for i in (0, 1, 3)
        )
        assert set_reply == b"+OK"
        assert 100 < int(pttl_reply[1:]) <= 200
        assert get_reply == b"v\r\n"
        assert server.persistence is not None
        assert server.persistence.last_index() == 2
    finally:
        server.close_storage()


def _failing_disk(server: Server) -> FailingFileIO:
    """The log's disk, now failing every write (a full disk) until write_bytes_left is None."""
    assert server.persistence is not None
    disk = FailingFileIO()
    disk.write_bytes_left = 0
    server.persistence.storage._io = disk
    return disk


async def _failing_pass(tmp_path: Path) -> tuple[Server, list[_Transport]]:
    server, clients, transports = _three_clients(tmp_path)
    disk = _failing_disk(server)
    clients[0].data_received(_command(b"SET", b"a", b"1"))
    clients[1].data_received(_command(b"GET", b"a"))
    await asyncio.sleep(0)
    # The write failed: its acknowledgement waits, the read that shared its pass does not.
    assert server.persistence.write_error is not None
    assert transports[0].sent == []
    assert transports[1].sent == [b"$1\r\n1\r\n"]
    clients[2].data_received(_command(b"SET", b"b", b"2"))
    assert transports[2].sent[0].startswith(b"-MISCONF ")
    disk.write_bytes_left = None
    server._retry_write()
    return server, transports


def test_a_failed_write_holds_only_its_own_acknowledgement(tmp_path: Path) -> None:
    server, transports = asyncio.run(_failing_pass(tmp_path))
    try:
        assert transports[0].sent == [b"+OK\r\n"]
        assert server.persistence is not None and server.persistence.write_error is None
        assert server.persistence.last_index() == 1
    finally:
        server.close_storage()


async def _exec_refused(tmp_path: Path) -> list[bytes]:
    server, clients, transports = _three_clients(tmp_path)
    disk = _failing_disk(server)
    clients[0].data_received(_command(b"SET", b"a", b"1"))
    await asyncio.sleep(0)
    assert server.persistence.write_error is not None
    clients[1].data_received(_command(b"MULTI") + _command(b"SET", b"b", b"2") + _command(b"EXEC") + _command(b"PING"))
    disk.write_bytes_left = None
    server._retry_write()
    server.close_storage()
    return transports[1].sent


def test_an_exec_refused_for_the_log_ends_the_transaction(tmp_path: Path) -> None:
    replies = b"".join(asyncio.run(_exec_refused(tmp_path))).split(b"\r\n")
    assert replies[:2] == [b"+OK", b"+QUEUED"]
    assert replies[2].startswith(b"-MISCONF ")
    assert replies[3] == b"+PONG"
