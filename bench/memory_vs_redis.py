"""Memory per element of big collections: weir against redis-server, in one run.

For each type (set, sorted set, list, hash) it starts a fresh weir and a fresh
redis-server on free ports, loads one key of N elements into each with
pipelined commands of 1,000 elements, and prints bytes per element:

- weir: the process's VmRSS (/proc/PID/status) after loading minus before;
- redis: INFO memory `used_memory` delta (what the allocator handed out) and
  the VmRSS delta.

A fresh pair of servers per type keeps one type's freed memory from being
reused by the next. weir's RSS delta also holds its log's cache of the newest
records (16 MiB at most) and whatever the allocator keeps after the load's
transient buffers: it is what the process costs, not the bare structures.

    python -m bench.memory_vs_redis                  # 1,000,000 elements per type
    python -m bench.memory_vs_redis -n 100000 --types set,zset
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import redis_server, weir_server  # noqa: E402

BATCH = 1_000
# Commands per pipeline round trip: 100K elements in flight at most.
PIPELINE = 100


def _members(start: int, stop: int) -> Iterator[str]:
    return (f"member:{i:010d}" for i in range(start, stop))


def _set_args(start: int, stop: int) -> list[str | int]:
    return ["SADD", "k", *_members(start, stop)]


def _zset_args(start: int, stop: int) -> list[str | int]:
    args: list[str | int] = ["ZADD", "k"]
    for i, member in zip(range(start, stop), _members(start, stop)):
        args += (i, member)
    return args


def _list_args(start: int, stop: int) -> list[str | int]:
    return ["RPUSH", "k", *_members(start, stop)]


def _hash_args(start: int, stop: int) -> list[str | int]:
    args: list[str | int] = ["HSET", "k"]
    for i, member in zip(range(start, stop), _members(start, stop)):
        args += (member, i)
    return args


TYPES: dict[str, tuple[Callable[[int, int], list[str | int]], str]] = {
    "set": (_set_args, "SCARD"),
    "zset": (_zset_args, "ZCARD"),
    "list": (_list_args, "LLEN"),
    "hash": (_hash_args, "HLEN"),
}


def vm_rss(pid: int) -> int:
    """Resident set size of a process in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def load(client: redis.Redis, kind: str, elements: int) -> None:
    make_args, card = TYPES[kind]
    pipe = client.pipeline(transaction=False)
    for start in range(0, elements, BATCH):
        pipe.execute_command(*make_args(start, min(start + BATCH, elements)))
        if len(pipe) >= PIPELINE:
            pipe.execute()
    pipe.execute()
    loaded = client.execute_command(card, "k")
    if loaded != elements:
        raise RuntimeError(f"{kind}: loaded {loaded} elements, expected {elements}")


def settle() -> None:
    # Let both servers finish background work (log flushes, allocator purges) before reading RSS.
    time.sleep(1.5)


def measure(kind: str, elements: int) -> dict[str, float]:
    with ExitStack() as stack:
        weir = stack.enter_context(weir_server())
        real = stack.enter_context(redis_server())
        ours = stack.enter_context(redis.Redis(port=weir.port, socket_timeout=600))
        theirs = stack.enter_context(redis.Redis(port=real.port, socket_timeout=600))
        ours.ping()
        theirs.ping()
        settle()
        weir_before, redis_before = vm_rss(weir.proc.pid), vm_rss(real.proc.pid)
        redis_used_before = int(theirs.info("memory")["used_memory"])
        started = time.monotonic()
        load(ours, kind, elements)
        weir_seconds = time.monotonic() - started
        started = time.monotonic()
        load(theirs, kind, elements)
        redis_seconds = time.monotonic() - started
        settle()
        return {
            "weir_rss": (vm_rss(weir.proc.pid) - weir_before) / elements,
            "redis_used": (int(theirs.info("memory")["used_memory"]) - redis_used_before) / elements,
            "redis_rss": (vm_rss(real.proc.pid) - redis_before) / elements,
            "weir_load_s": weir_seconds,
            "redis_load_s": redis_seconds,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bytes per element of big collections, weir vs redis-server")
    parser.add_argument("-n", "--elements", type=int, default=1_000_000)
    parser.add_argument("--types", default=",".join(TYPES), help=f"comma-separated, from: {','.join(TYPES)}")
    args = parser.parse_args(argv)
    kinds = [kind.strip().lower() for kind in args.types.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in TYPES]
    if unknown:
        parser.error(f"unknown type(s) {', '.join(unknown)}; known: {', '.join(TYPES)}")
    print(f"{args.elements:,} elements per key, members 'member:' + 10 digits, {BATCH:,} per command", flush=True)
    lines = ["| type | weir RSS B/elem | redis used_memory B/elem | redis RSS B/elem | weir/redis (RSS) "
             "| load s (weir / redis) |",
             "|---|---:|---:|---:|---:|---:|"]
    for kind in kinds:
        m = measure(kind, args.elements)
        lines.append(f"| {kind} | {m['weir_rss']:.0f} | {m['redis_used']:.0f} | {m['redis_rss']:.0f} | "
                     f"{m['weir_rss'] / m['redis_rss']:.1f} | {m['weir_load_s']:.1f} / {m['redis_load_s']:.1f} |")
        print(f"  done {kind}", file=sys.stderr, flush=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
