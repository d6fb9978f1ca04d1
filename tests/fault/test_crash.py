"""kill -9 at random moments: every acknowledged write survives, nothing torn appears.

Each writer thread has its own connection and commits numbered transactions
(two keys per transaction). After each SIGKILL the server restarts on the same
directory and every transaction a writer saw acknowledged must be there,
whole; the one in flight may or may not be; none beyond it.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest
import redis

from tests.servers import free_port, weir_server

WRITERS = 8


def _writer(port: int, wid: int, start: int, stop: threading.Event, acked: list[int]) -> None:
    client = redis.Redis(port=port, socket_timeout=5)
    n = start
    try:
        while not stop.is_set():
            n += 1
            pipe = client.pipeline(transaction=True)
            pipe.set(f"a:{wid}:{n}", n).set(f"b:{wid}:{n}", n)
            pipe.execute()
            acked[wid] = n
    except (redis.ConnectionError, redis.TimeoutError, ConnectionError):
        pass
    finally:
        client.close()


def _verify(port: int, acked: list[int]) -> None:
    client = redis.Redis(port=port, socket_timeout=10)
    try:
        for wid, last in enumerate(acked):
            if last:
                pipe = client.pipeline(transaction=False)
                for n in range(1, last + 1):
                    pipe.get(f"a:{wid}:{n}")
                values = pipe.execute()
                missing = [n for n, v in zip(range(1, last + 1), values) if v != str(n).encode()]
                assert not missing, f"writer {wid}: acknowledged transactions lost: {missing[:10]}"
            in_flight_a = client.exists(f"a:{wid}:{last + 1}")
            in_flight_b = client.exists(f"b:{wid}:{last + 1}")
            assert in_flight_a == in_flight_b, (
                f"writer {wid}: transaction {last + 1} applied in part"
            )
            assert not client.exists(f"a:{wid}:{last + 2}"), f"writer {wid}: writes from nowhere"
            if in_flight_a:
                acked[wid] = last + 1
    finally:
        client.close()


def _crash_cycles(tmp_path: Path, policy: str, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    acked = [0] * WRITERS
    for cycle in range(kills):
        with weir_server("--appendfsync", policy, data_dir=data_dir) as server:
            _verify(server.port, acked)
            stop = threading.Event()
            threads = [
                threading.Thread(target=_writer, args=(server.port, wid, acked[wid], stop, acked))
                for wid in range(WRITERS)
            ]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(0.2, 0.8))
            server.kill()
            stop.set()
            for thread in threads:
                thread.join(10)
        assert sum(acked) > 0 or cycle == 0
    with weir_server("--appendfsync", policy, data_dir=data_dir) as server:
        _verify(server.port, acked)
    assert sum(acked) > 0, "no write was ever acknowledged"


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_kill_9_loses_no_acknowledged_write(tmp_path: Path, policy: str) -> None:
    _crash_cycles(tmp_path, policy, kills=3, seed=1)


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["always", "everysec", "no"])
def test_kill_9_twenty_times(tmp_path: Path, policy: str) -> None:
    _crash_cycles(tmp_path, policy, kills=20, seed=int(time.time()))


def test_free_port_is_usable() -> None:
    assert 0 < free_port() < 65536
