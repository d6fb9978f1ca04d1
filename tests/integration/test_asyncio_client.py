"""redis-py's asyncio client, RESP2 and RESP3, against a real weir process."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from tests.servers import ServerProcess


@pytest.mark.parametrize("protocol", [2, 3])
def test_asyncio_client_concurrent_commands(weir_proc: ServerProcess, protocol: int) -> None:
    async def main() -> None:
        client = aioredis.Redis(port=weir_proc.port, protocol=protocol)
        try:
            await asyncio.gather(*(client.set(f"aio:{protocol}:{i}", i) for i in range(50)))
            values = await asyncio.gather(*(client.get(f"aio:{protocol}:{i}") for i in range(50)))
            assert values == [str(i).encode() for i in range(50)]
            async with client.pipeline(transaction=True) as pipe:
                pipe.incr(f"aio:{protocol}:n").incr(f"aio:{protocol}:n")
                assert await pipe.execute() == [1, 2]
            pubsub = client.pubsub()
            await pubsub.subscribe(f"aio:{protocol}:ch")
            assert (await pubsub.get_message(timeout=1))["type"] == "subscribe"
            assert await client.publish(f"aio:{protocol}:ch", "hello") == 1
            message = await pubsub.get_message(timeout=1)
            assert message["data"] == b"hello"
            await pubsub.aclose()
        finally:
            await client.aclose()

    asyncio.run(main())


def test_active_expiry_removes_keys_nobody_reads(weir_proc: ServerProcess) -> None:
    import time

    import redis

    client = redis.Redis(port=weir_proc.port)
    pipe = client.pipeline(transaction=False)
    for i in range(3000):
        pipe.set(f"vol:{i}", "x", px=50 if i % 2 else 600_000)
    pipe.execute()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        info = client.info("keyspace").get("db0", {})
        if client.info("stats")["expired_keys"] >= 1500 and info.get("expires", 0) <= 1500:
            break
        time.sleep(0.1)
    assert client.info("stats")["expired_keys"] >= 1500
    assert client.exists(*[f"vol:{i}" for i in range(0, 3000, 2)]) == 1500
    client.close()
