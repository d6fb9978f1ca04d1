"""Start real server processes (weir, redis-server) on free ports for tests and benchmarks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on port {port} within {timeout_s}s")


class ServerProcess:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, data_dir: Path, log_path: Path) -> None:
        self.proc = proc
        self.port = port
        self.dir = data_dir
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def weir_server(*args: str, data_dir: Path | None = None, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """A `weir server` process on a free port; stopped on exit."""
    port = free_port()
    owned = data_dir is None
    data = Path(tempfile.mkdtemp(prefix="weir-test-")) if data_dir is None else data_dir
    log_path = data.parent / f"{data.name}-{port}.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "weir", "server", "--port", str(port), "--dir", str(data), *args],
            stdout=log_file, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )
    server = ServerProcess(proc, port, data, log_path)
    try:
        wait_for_port(port, proc)
        yield server
    finally:
        server.stop()
        if owned:
            shutil.rmtree(data, ignore_errors=True)
            log_path.unlink(missing_ok=True)


def redis_server_path() -> str | None:
    return shutil.which("redis-server")


@contextmanager
def redis_server(*args: str) -> Iterator[ServerProcess]:
    """A real redis-server on a free port, with no persistence unless args say so."""
    path = redis_server_path()
    if path is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="redis-test-"))
    log_path = data / "redis.log"
    proc = subprocess.Popen(
        [path, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--save", "",
         "--appendonly", "no", "--logfile", str(log_path), *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    server = ServerProcess(proc, port, data, log_path)
    try:
        wait_for_port(port, proc)
        yield server
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def raw_reply(port: int, *args: object, protocol: int = 2) -> Any:
    """A reply as the server sent it, decoded by redis-py's parser only (no command
    callbacks: redis-py reshapes some replies, and turns statuses into True)."""
    import redis  # test and benchmark dependency, not the package's

    conn = redis.Connection(port=port, protocol=protocol, socket_timeout=10)
    try:
        conn.connect()
        conn.send_command(*args)
        return conn.read_response()
    finally:
        conn.disconnect()
