"""Send the same raw RESP bytes to two servers and compare the raw reply bytes."""

from __future__ import annotations

import re
import socket
import time

MARKER = b"weir-compat-step-end"
# After each step a PING with this marker is sent: once its reply is back, every
# reply of the step is too (PING answers in every mode; inside MULTI it is queued
# and comes back with EXEC, so a step runs a transaction to its end).
SYNC = b"*2\r\n$4\r\nPING\r\n$%d\r\n%b\r\n" % (len(MARKER), MARKER)
STEP_TIMEOUT_S = 2.0
# HELLO names the connection's id, which legitimately differs between servers.
_CLIENT_ID = re.compile(rb"\$2\r\nid\r\n:\d+\r\n")


def normalize(reply: bytes) -> bytes:
    return _CLIENT_ID.sub(b"$2\r\nid\r\n:<id>\r\n", reply)


def exchange(port: int, steps: list[bytes]) -> list[bytes]:
    """Send each step on one connection; the bytes that came back for each."""
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=STEP_TIMEOUT_S) as sock:
        for payload in steps:
            sock.sendall(payload + SYNC)
            reply = read_until_marker(sock)
            replies.append(normalize(reply))
            if reply.endswith(b"<closed>"):
                break
    return replies


def read_until_marker(sock: socket.socket) -> bytes:
    data = b""
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return data + b"<closed>"
        if not chunk:
            return data + b"<closed>"
        data += chunk
        if data.endswith(MARKER + b"\r\n"):
            return data
    return data + b"<timeout>"


def command(*args: bytes | str | int) -> bytes:
    """One request in multibulk form."""
    parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%b\r\n" % (len(p), p) for p in parts)
