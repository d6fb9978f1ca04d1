"""The server's own cost per command, with no sockets: requests go straight into
`Client.data_received` and replies into a transport that drops them.

    python -m bench.inprocess [--keys 100000] [--passes 5] [--requests 32000] [--commands GET,SET]

A profiling harness for the hot path (parse, dispatch, apply, log, encode), not a
comparison: redis-benchmark against real servers is bench/resp_vs_redis.py. Two
shapes: 50 clients at pipeline 1 served in one loop pass (so their writes share a
log entry, as under redis-benchmark -c 50), and one client at pipeline 16. Keys
are drawn at random from a keyspace loaded first, so lookups miss the cache as
they do in a real server. It prints the mean over the passes (work the server
does every so many commands, such as recording accesses, counts), in µs per command;
run it twice, or interleaved with a build to compare, on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Callable

from weir.config import Settings
from weir.server.client import Client
from weir.server.server import Server

CLIENTS = 50
PIPELINE = 16


class NullTransport:
    def write(self, data: bytes) -> None:
        pass

    def get_extra_info(self, name: str) -> object:
        return ("127.0.0.1", 1)

    def close(self) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0


def frame(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def key(i: int) -> bytes:
    return b"key:%012d" % i


REQUESTS: dict[str, Callable[[random.Random, int], bytes]] = {
    "GET": lambda r, n: frame(b"GET", key(r.randrange(n))),
    "SET": lambda r, n: frame(b"SET", key(r.randrange(n)), b"xxx"),
    "INCR": lambda r, n: frame(b"INCR", b"counter:%d" % r.randrange(n)),
    "HSET": lambda r, n: frame(b"HSET", b"hash:%d" % r.randrange(n), b"field", b"xxx"),
    "MSET": lambda r, n: frame(b"MSET", *[a for _ in range(10) for a in (key(r.randrange(n)), b"xxx")]),
}


async def run(keys: int, passes: int, requests: int, names: list[str]) -> None:
    server = Server(Settings(port=0, dir=tempfile.mkdtemp(prefix="weir-bench-"), appendfsync="no"))
    server.open_storage()
    clients = [Client(server) for _ in range(CLIENTS)]
    for client in clients:
        client.connection_made(NullTransport())  # type: ignore[arg-type]
    loader = clients[0]
    for start in range(0, keys, 1000):
        loader.data_received(b"".join(frame(b"SET", key(i), b"xxx") for i in range(start, min(keys, start + 1000))))
        await asyncio.sleep(0)  # the pass ends: its group commit writes the entry
    rng = random.Random(1)
    print(f"{keys:,} keys, mean of {passes} passes of {requests:,} requests, µs per command")
    print(f"{'command':8} {'50 clients, pipeline 1':>24} {'1 client, pipeline 16':>24}")
    for name in names:
        make = REQUESTS[name]
        singles = [make(rng, keys) for _ in range(requests)]
        batches = [b"".join(make(rng, keys) for _ in range(PIPELINE)) for _ in range(requests // PIPELINE)]
        single_s = batch_s = 0.0
        for _ in range(passes):
            started = time.perf_counter()
            for i in range(0, requests, CLIENTS):
                for client, request in zip(clients, singles[i : i + CLIENTS], strict=False):
                    client.data_received(request)
                await asyncio.sleep(0)
            single_s += time.perf_counter() - started
            started = time.perf_counter()
            for batch in batches:
                loader.data_received(batch)
                await asyncio.sleep(0)
            batch_s += time.perf_counter() - started
        per_single = single_s / (passes * requests)
        per_batch = batch_s / (passes * len(batches) * PIPELINE)
        print(f"{name:8} {per_single * 1e6:>24.2f} {per_batch * 1e6:>24.2f}")
    server.close_storage()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--requests", type=int, default=32_000)
    parser.add_argument("--commands", default=",".join(REQUESTS), help="comma-separated, of " + ", ".join(REQUESTS))
    args = parser.parse_args()
    names = [name.strip().upper() for name in args.commands.split(",")]
    if unknown := [name for name in names if name not in REQUESTS]:
        parser.error(f"unknown command(s): {', '.join(unknown)}")
    asyncio.run(run(args.keys, args.passes, args.requests, names))


if __name__ == "__main__":
    main()
