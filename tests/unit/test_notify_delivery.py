"""Keyspace notifications leave no sooner than the reply to the write they announce, a
replayed log announces nothing, and they change nothing in what apply does."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.unit.log.helpers import FailingFileIO
from tests.unit.test_group_commit import _command, _failing_disk, _three_clients, _Transport
from weir.config import Settings
from weir.server.client import Client
from weir.server.server import Server
from weir.state.entry import pack_command
from weir.state.machine import NOTIFY_ALL, NOTIFY_KEYEVENT

_PSUBSCRIBE = _command(b"PSUBSCRIBE", b"__keyevent@0__:*")
_PUSH = b"*4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n$18\r\n__keyevent@0__:set\r\n$1\r\na\r\n"


def _listening(tmp_path: Path) -> tuple[Server, list[Client], list[_Transport]]:
    server, clients, transports = _three_clients(tmp_path)
    clients[1].data_received(_PSUBSCRIBE)
    clients[0].data_received(_command(b"CONFIG", b"SET", b"notify-keyspace-events", b"E$"))
    for transport in transports:
        transport.sent.clear()
    return server, clients, transports


async def _one_pass(tmp_path: Path) -> tuple[Server, list[_Transport]]:
    server, clients, transports = _listening(tmp_path)
    clients[0].data_received(_command(b"SET", b"a", b"1"))
    assert transports[1].sent == [], "a notification left before its write was in the log"
    await asyncio.sleep(0)
    return server, transports


def test_a_notification_waits_for_its_write_like_the_reply(tmp_path: Path) -> None:
    server, transports = asyncio.run(_one_pass(tmp_path))
    try:
        assert transports[0].sent == [b"+OK\r\n"]
        assert transports[1].sent == [_PUSH]
        assert transports[1].log_index_at_send == transports[0].log_index_at_send
    finally:
        server.close_storage()


async def _failing_pass(tmp_path: Path) -> tuple[Server, list[_Transport], FailingFileIO]:
    server, clients, transports = _listening(tmp_path)
    disk = _failing_disk(server)
    clients[0].data_received(_command(b"SET", b"a", b"1"))
    await asyncio.sleep(0)
    return server, transports, disk


def test_a_notification_of_a_write_not_yet_logged_waits_for_the_retry(tmp_path: Path) -> None:
    server, transports, disk = asyncio.run(_failing_pass(tmp_path))
    try:
        assert server.persistence is not None and server.persistence.write_error is not None
        assert transports[0].sent == [] and transports[1].sent == []
        disk.write_bytes_left = None
        server._retry_write()
        assert transports[0].sent == [b"+OK\r\n"]
        assert transports[1].sent == [_PUSH]
    finally:
        server.close_storage()


class _Sink:
    """A transport that keeps what it is sent, before storage is open too."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.sent.append(data)

    def get_extra_info(self, name: str) -> object:
        return ("127.0.0.1", 1)

    def close(self) -> None:
        pass


def _hears_everything(server: Server) -> tuple[Client, _Sink]:
    """A client subscribed to every channel, through the server's own listener (the
    state machine's listener is a compiled class: a test cannot stand in for it)."""
    client, sink = Client(server), _Sink()
    client.connection_made(sink)  # type: ignore[arg-type]
    server.subscribe(server.patterns, b"*", client)
    client.patterns[b"*"] = None
    return client, sink


def _heard(client: Client, sink: _Sink) -> bool:
    return bool(sink.sent or client._out)


def test_replaying_the_log_announces_nothing(tmp_path: Path) -> None:
    server, _ = asyncio.run(_one_pass(tmp_path))
    server.close_storage()
    restarted = Server(Settings(port=0, dir=str(tmp_path)))
    client, sink = _hears_everything(restarted)
    restarted.machine.notify_flags = NOTIFY_ALL | NOTIFY_KEYEVENT
    try:
        assert restarted.open_storage() == 1
        assert restarted.machine.dbs[0].data[b"a"] == b"1"
        assert not _heard(client, sink)
        assert restarted.machine.notify_flags == NOTIFY_ALL | NOTIFY_KEYEVENT
    finally:
        restarted.close_storage()


def test_notifications_change_nothing_that_apply_does() -> None:
    entries = [
        [b"SET", b"a", b"1", b"PX", b"5"], [b"LPUSH", b"l", b"x", b"y"], [b"RPOP", b"l", b"2"],
        [b"RENAME", b"a", b"b"], [b"SADD", b"s", b"m"], [b"SPOP", b"s"], [b"__expire", b"b"],
    ]
    digests = []
    for flags in (0, NOTIFY_ALL | NOTIFY_KEYEVENT):
        server = Server(Settings(port=0))
        client, sink = _hears_everything(server)
        machine = server.machine
        machine.notify_flags = flags
        for index, argv in enumerate(entries, start=1):
            machine.apply(index, 1, pack_command(1000 + 10 * index, 0, [argv], False))
        digests.append(machine.digest())
        assert _heard(client, sink) == bool(flags)
    assert digests[0] == digests[1]
