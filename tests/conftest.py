"""Shared fixtures: real server processes on free ports, and clients for them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.servers import ServerProcess, redis_server, redis_server_path, weir_server


@pytest.fixture(scope="session")
def weir_proc() -> Iterator[ServerProcess]:
    """One weir server shared by a test session; tests use distinct keys or flush."""
    with weir_server() as server:
        yield server


@pytest.fixture
def r(weir_proc: ServerProcess) -> Iterator[redis.Redis]:
    """A redis-py client on a flushed weir server (RESP2)."""
    client = redis.Redis(port=weir_proc.port, socket_timeout=10)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def r3(weir_proc: ServerProcess) -> Iterator[redis.Redis]:
    client = redis.Redis(port=weir_proc.port, protocol=3, socket_timeout=10)
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="session")
def redis_proc() -> Iterator[ServerProcess]:
    if redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    # DEBUG is off by default in Redis 7; weir has it on, and tests compare its replies.
    with redis_server("--enable-debug-command", "yes") as server:
        yield server


@pytest.fixture
def real(redis_proc: ServerProcess) -> Iterator[redis.Redis]:
    """A redis-py client on a flushed real redis-server, to compare against."""
    client = redis.Redis(port=redis_proc.port, socket_timeout=10)
    client.flushall()
    yield client
    client.close()
