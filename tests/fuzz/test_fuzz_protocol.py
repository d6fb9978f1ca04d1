"""Fuzz a running server: garbage, truncated frames, huge lengths, random commands.

The invariant, after every batch: the server still answers PING and its
process is alive. Bad input may close a connection, never the server.
Bounded to about 20 s in all; the seed is printed on failure so a batch can be replayed.
"""

from __future__ import annotations

import random
import socket
import time

import pytest
import redis

from tests.servers import ServerProcess, weir_server
from weir import commands
from weir.commands.table import COMMANDS

TIME_BUDGET_S = 8.0
SEEDS = range(4)
INTERESTING_ARGS = [
    b"", b"0", b"-1", b"1", b"-9223372036854775808", b"9223372036854775807", b"9223372036854775808",
    b"99999999999999999999999", b"-99999999", b"1.5", b"inf", b"-inf", b"nan", b"+inf", b"1e308",
    b"NX", b"XX", b"GT", b"LT", b"EX", b"PX", b"GET", b"KEEPTTL", b"COUNT", b"MATCH", b"*", b"[",
    b"LIMIT", b"WITHSCORES", b"BLOCK", b"STREAMS", b"$", b">", b"\x00\xff\r\n", b"x" * 1000,
]


def _send(port: int, payload: bytes, read: bool = True) -> None:
    """Write bytes and drain what comes back; the server may close on us."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(payload)
            if read:
                sock.settimeout(0.05)
                while sock.recv(65536):
                    pass
    except OSError:
        pass


def _alive(server: ServerProcess) -> None:
    assert server.proc.poll() is None, "the server exited:\n" + server.log()[-3000:]
    client = redis.Redis(port=server.port, socket_timeout=5)
    try:
        assert client.ping() is True
    finally:
        client.close()


def _frame(argv: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in argv)


def _random_arg(rng: random.Random, names: list[bytes]) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:
        return rng.choice(INTERESTING_ARGS)
    if kind == 1:
        return rng.randbytes(rng.randrange(12))
    if kind == 2:
        return str(rng.randint(-(2**70), 2**70)).encode()
    if kind == 3:
        return rng.choice(names)
    return rng.choice([b"k1", b"k2", b"k3", b"{t}a"])


@pytest.fixture(scope="module")
def server() -> ServerProcess:
    with weir_server() as proc:
        yield proc  # type: ignore[misc]


@pytest.fixture(scope="module")
def command_names() -> list[bytes]:
    commands.load_all()
    # Commands that would stop the server or hold the fuzzer for long are not fuzzed.
    dangerous = {b"shutdown", b"debug", b"monitor", b"sync", b"psync", b"replicaof", b"slaveof",
                 b"failover", b"cluster", b"save", b"bgsave", b"bgrewriteaof", b"quit", b"reset"}
    return sorted(name for name in COMMANDS if name not in dangerous and not name.startswith(b"__"))


def _plain(name: bytes) -> bool:
    """A command redis-py can send with execute_command and read one reply for."""
    spec = COMMANDS[name]
    return not (spec.session or spec.blocking or "pubsub" in spec.flags or name in (b"wait", b"waitaof"))


@pytest.mark.parametrize("seed", SEEDS)
def test_garbage_bytes(server: ServerProcess, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(30):
        prefix = rng.choice([b"", b"*", b"*1\r\n$", b"*2\r\n$3\r\nGET\r\n", b"$", b"\r\n", b"\"", b"'"])
        _send(server.port, prefix + rng.randbytes(rng.randrange(200)))
    _alive(server)


@pytest.mark.parametrize("seed", SEEDS)
def test_truncated_and_oversized_frames(server: ServerProcess, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(20):
        frame = _frame([b"SET", b"fz", rng.randbytes(rng.randrange(100))])
        _send(server.port, frame[: rng.randrange(len(frame))], read=False)
    for header in [b"*2147483647\r\n", b"*1\r\n$536870912\r\n", b"*1\r\n$9223372036854775807\r\n",
                   b"*99999999999999999999\r\n", b"*1\r\n$-2\r\n", b"*-100\r\n", b"*1\r\n$4\r\nPI",
                   b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\nabc", b"\"" * 70000, b"*" + b"9" * 70000]:
        _send(server.port, header, read=False)
    _alive(server)


def test_random_commands_raw_and_redis_py(server: ServerProcess, command_names: list[bytes]) -> None:
    deadline = time.monotonic() + TIME_BUDGET_S
    seed = 0
    client = redis.Redis(port=server.port, socket_timeout=5)
    try:
        while time.monotonic() < deadline:
            rng = random.Random(seed)
            batch = []
            for _ in range(50):
                name = rng.choice(command_names)
                argv = [name] + [_random_arg(rng, command_names) for _ in range(rng.randrange(6))]
                batch.append(argv)
            # Raw: one pipeline on one connection (a protocol-level close is fine).
            _send(server.port, b"".join(_frame(argv) for argv in batch))
            # redis-py: command by command; any error reply is fine, a dead server is not.
            for argv in [argv for argv in batch if _plain(argv[0])][:10]:
                try:
                    client.execute_command(*argv)
                except (redis.ResponseError, redis.DataError):
                    pass
                except redis.TimeoutError as exc:
                    raise AssertionError(f"seed {seed}: {argv!r} got no reply") from exc
            try:
                _alive(server)
            except AssertionError as exc:
                raise AssertionError(f"seed {seed} broke the server") from exc
            seed += 1
        assert seed > 0
    finally:
        client.close()
