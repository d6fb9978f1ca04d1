"""Limits a user can hit: max clients, bulk and query-buffer sizes, huge pipelines, exposure."""

from __future__ import annotations

import socket
import threading
import time

import redis

from tests.servers import weir_server


def _read_until_closed(sock: socket.socket, timeout_s: float = 5.0) -> bytes:
    sock.settimeout(timeout_s)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def test_maxclients_refuses_the_next_client() -> None:
    with weir_server(env={"WEIR_MAXCLIENTS": "3"}) as server:
        clients = [redis.Redis(port=server.port, single_connection_client=True) for _ in range(3)]
        try:
            assert all(c.ping() for c in clients)
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as extra:
                assert _read_until_closed(extra) == b"-ERR max number of clients reached\r\n"
            clients[0].close()
            time.sleep(0.2)
            # A freed slot is usable again.
            again = redis.Redis(port=server.port)
            assert again.ping() is True
            again.close()
        finally:
            for c in clients:
                c.close()


def test_proto_max_bulk_len_rejects_a_bigger_argument() -> None:
    with weir_server(env={"WEIR_PROTO_MAX_BULK_LEN": str(1024 * 1024)}) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n")
            assert _read_until_closed(sock) == b"-ERR Protocol error: invalid bulk length\r\n"
        client = redis.Redis(port=server.port)
        assert client.set("k", b"x" * (1024 * 1024)) is True
        assert client.get("k") == b"x" * (1024 * 1024)
        client.close()


def test_client_query_buffer_limit_closes_the_client() -> None:
    with weir_server(env={"WEIR_CLIENT_QUERY_BUFFER_LIMIT": str(1024 * 1024)}) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n")
            try:
                for _ in range(32):
                    sock.sendall(b"x" * 65536)
            except OSError:
                pass  # the server may already have closed the connection
            reply = _read_until_closed(sock)
            assert reply in (b"-ERR Protocol error: query buffer limit exceeded\r\n", b"")
        client = redis.Redis(port=server.port)
        assert client.ping() is True
        client.close()


def test_a_100mb_pipeline_does_not_kill_the_server() -> None:
    with weir_server() as server:
        value = b"v" * 1000
        frame = b"*3\r\n$3\r\nSET\r\n$4\r\npipe\r\n$1000\r\n" + value + b"\r\n"
        batch = frame * 1000  # ~1 MB
        received = bytearray()
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:

            def drain() -> None:
                while len(received) < 100 * 1000 * 5:
                    chunk = sock.recv(1 << 20)
                    if not chunk:
                        return
                    received.extend(chunk)

            reader = threading.Thread(target=drain, daemon=True)
            reader.start()
            for _ in range(100):
                sock.sendall(batch)
            reader.join(60)
        assert bytes(received) == b"+OK\r\n" * 100_000
        client = redis.Redis(port=server.port)
        assert client.get("pipe") == value
        client.close()
        assert server.proc.poll() is None


def test_binding_to_all_interfaces_without_a_password_warns() -> None:
    with weir_server("--bind", "0.0.0.0") as server:
        time.sleep(0.2)
        log = server.log()
        assert "0.0.0.0" in log
        assert "no password" in log
    with weir_server("--bind", "0.0.0.0", "--requirepass", "secret") as server:
        time.sleep(0.2)
        assert "no password" not in server.log()

