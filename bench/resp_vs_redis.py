"""RESP throughput: weir against redis-server and a bare asyncio echo server, in one run.

Starts the three servers on free ports, runs `redis-benchmark -q --csv`
against each (same clients, requests and pipeline depth), and prints the
requests per second with the ratios weir/redis and echo/redis. Each test runs
`--rounds` times, the three servers back to back in each round; the table shows
the median rps and the median of the per-round ratios (neighbours in time see
the same machine, which keeps the ratios steady on a noisy host). The echo
server (bench/echo_server.py) is the Python ceiling: hiredis + uvloop and a
dict, no command table, no log, no state machine.

    python -m bench.resp_vs_redis              # full run
    python -m bench.resp_vs_redis --quick      # fewer requests, for a smoke test
    python -m bench.resp_vs_redis --tests SET,GET --pipelines 1,16
    python -m bench.resp_vs_redis --tests lpush,lpop,sadd,spop,zadd,zrange,zrank

To add a test, add one entry to TESTS: a redis-benchmark built-in test name,
or a command line (with optional setup commands run once before it).
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from tests.servers import ServerProcess, free_port, redis_server, wait_for_port, weir_server  # noqa: E402


@dataclass(frozen=True)
class BenchTest:
    name: str
    # Empty: a redis-benchmark built-in test (-t name); else the command to send.
    command: tuple[str, ...] = ()
    # Commands run once (with redis-cli) before the test, to give it data.
    setup: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    # Run once per server before the test, given the port: bulk loads too big for redis-cli argv.
    loader: Callable[[int], None] | None = None
    # redis-benchmark -r: the range of __rand_int__ in the command.
    keyspace: int = 100_000


ZSET_MEMBERS = 200  # more than zset-max-listpack-entries: a skiplist on both servers
ZSET_SETUP = (("ZADD", "bench:z", *(part for i in range(ZSET_MEMBERS) for part in (str(i), f"m{i}"))),)
BIG_ZSET_KEY = "bench:z1m"
BIG_ZSET_MEMBERS = 1_000_000
LOAD_BATCH = 10_000


def load_big_zset(port: int) -> None:
    """1M members named as redis-benchmark's __rand_int__ (12 digits), by pipelined 10K-member ZADDs."""
    client = redis.Redis(port=port, socket_timeout=600)
    if client.execute_command("ZCARD", BIG_ZSET_KEY) == BIG_ZSET_MEMBERS:
        return  # loaded by an earlier pipeline depth
    pipe = client.pipeline(transaction=False)
    for start in range(0, BIG_ZSET_MEMBERS, LOAD_BATCH):
        pairs: list[str | int] = []
        for i in range(start, min(start + LOAD_BATCH, BIG_ZSET_MEMBERS)):
            pairs += (i, f"m:{i:012d}")
        pipe.execute_command("ZADD", BIG_ZSET_KEY, *pairs)
        if len(pipe) == 10:
            pipe.execute()
    pipe.execute()
    client.close()


TESTS: dict[str, BenchTest] = {
    test.name: test
    for test in [
        BenchTest("SET"),
        BenchTest("GET"),
        BenchTest("INCR"),
        BenchTest("HSET"),
        BenchTest("MSET"),
        BenchTest("LPUSH"),
        BenchTest("LPOP"),
        BenchTest("SADD"),
        BenchTest("SPOP"),
        BenchTest("ZADD"),
        BenchTest("ZRANGE", ("ZRANGE", "bench:z", "0", "99"), ZSET_SETUP),
        BenchTest("ZRANK", ("ZRANK", BIG_ZSET_KEY, "m:__rand_int__"), loader=load_big_zset,
                  keyspace=BIG_ZSET_MEMBERS),
    ]
}
DEFAULT_TESTS = "SET,GET,INCR,HSET,MSET"
SERVERS = ("weir", "redis", "echo")


@contextmanager
def echo_server() -> Iterator[ServerProcess]:
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="weir-echo-"))
    log_path = data / "echo.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.echo_server", "--port", str(port)],
            stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT,
        )
    server = ServerProcess(proc, port, data, log_path)
    try:
        wait_for_port(port, proc)
        yield server
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def run_benchmark(port: int, test: BenchTest, requests: int, clients: int, pipeline: int,
                  stores: bool = True) -> float:
    """Requests per second that redis-benchmark reports for one test (`stores`: not the echo server)."""
    for argv in test.setup:
        subprocess.run(["redis-cli", "-p", str(port), *argv], capture_output=True, check=True)
    if test.loader is not None and stores:
        test.loader(port)
    args = ["redis-benchmark", "-p", str(port), "-q", "--csv", "-c", str(clients),
            "-n", str(requests), "-P", str(pipeline), "-r", str(test.keyspace)]
    args += [*test.command] if test.command else ["-t", test.name.lower()]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"redis-benchmark failed on {test.name}: {proc.stderr.strip()}")
    rows = [row for row in csv.reader(io.StringIO(proc.stdout)) if row and row[0] != "test"]
    if not rows:
        raise RuntimeError(f"redis-benchmark printed no result for {test.name}: {proc.stdout!r}")
    # MSET reports one row; built-ins such as LPUSH may print a related row first.
    for row in rows:
        if row[0].split(" ")[0].upper() == test.name:
            return float(row[1])
    return float(rows[0][1])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="weir vs redis-server vs a bare asyncio RESP server")
    parser.add_argument("--tests", default=DEFAULT_TESTS,
                        help=f"comma-separated, from: {','.join(TESTS)} (default {DEFAULT_TESTS})")
    parser.add_argument("-n", "--requests", type=int, default=100_000, help="requests per test")
    parser.add_argument("-c", "--clients", type=int, default=50)
    parser.add_argument("--pipelines", default="1,16", help="pipeline depths (default 1,16)")
    parser.add_argument("--quick", action="store_true", help="10,000 requests per test")
    parser.add_argument("--appendfsync", default="everysec", help="weir's fsync policy")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of each test per server, interleaved; medians are shown (default 3)")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests = min(args.requests, 10_000)
    args.test_list = [name.strip().upper() for name in args.tests.split(",") if name.strip()]
    unknown = [name for name in args.test_list if name not in TESTS]
    if unknown:
        parser.error(f"unknown test(s) {', '.join(unknown)}; known: {', '.join(TESTS)}")
    args.pipeline_list = [int(p) for p in args.pipelines.split(",")]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    missing = [tool for tool in ("redis-server", "redis-benchmark", "redis-cli") if shutil.which(tool) is None]
    if missing:
        print(f"{', '.join(missing)} not found. Install them with:\n"
              "    apt-get install redis-server redis-tools", file=sys.stderr)
        return 1
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
    print(f"redis-benchmark -c {args.clients} -n {args.requests} -r 100000 (ZRANK: -r {BIG_ZSET_MEMBERS}); "
          f"{' '.join(version[:3])}; weir appendfsync {args.appendfsync}", flush=True)
    results: dict[tuple[str, int, str], list[float]] = {}
    started = time.monotonic()
    with ExitStack() as stack:
        ports = {
            "weir": stack.enter_context(weir_server("--appendfsync", args.appendfsync)).port,
            "redis": stack.enter_context(redis_server()).port,
            "echo": stack.enter_context(echo_server()).port,
        }
        for pipeline in args.pipeline_list:
            for name in args.test_list:
                for _ in range(args.rounds):
                    for server in SERVERS:
                        results.setdefault((name, pipeline, server), []).append(run_benchmark(
                            ports[server], TESTS[name], args.requests, args.clients, pipeline,
                            server != "echo",
                        ))
                print(f"  done {name} -P {pipeline}", file=sys.stderr, flush=True)
    print(format_table(results, args.test_list, args.pipeline_list))
    print(f"({time.monotonic() - started:.0f} s)")
    return 0


def format_table(results: dict[tuple[str, int, str], list[float]], tests: list[str],
                 pipelines: list[int]) -> str:
    """Median rps per server, and the median and range of the per-round ratios."""
    lines = ["| test | pipeline | weir rps | redis rps | echo rps | weir/redis | (range) | echo/redis |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for pipeline in pipelines:
        for name in tests:
            weir, redis, echo = (results[(name, pipeline, s)] for s in SERVERS)
            ratios = [w / r for w, r in zip(weir, redis, strict=True)]
            echo_ratio = statistics.median(e / r for e, r in zip(echo, redis, strict=True))
            lines.append(
                f"| {name} | {pipeline} | {statistics.median(weir):,.0f} | "
                f"{statistics.median(redis):,.0f} | {statistics.median(echo):,.0f} | "
                f"{statistics.median(ratios):.2f} | {min(ratios):.2f}-{max(ratios):.2f} | "
                f"{echo_ratio:.2f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
