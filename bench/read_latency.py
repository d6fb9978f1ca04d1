"""What each fsync policy costs readers: GET latency while other clients write.

    python bench/read_latency.py                 # always and everysec, weir and redis-server

One server at a time (weir with `--appendfsync <policy>`, redis-server with
`appendonly yes` and the same policy): 40 clients run `redis-benchmark -t set`
without pause while 5 clients run `-t get`; the GET latency percentiles that
redis-benchmark prints are the result.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import ServerProcess, redis_server, weir_server  # noqa: E402

COLUMNS = ("avg", "min", "p50", "p95", "p99", "max")
SUMMARY = re.compile(r"avg\s+min\s+p50\s+p95\s+p99\s+max\s*\n\s*" + r"\s+".join([r"([\d.]+)"] * 6))


def read_latency(server: ServerProcess, gets: int) -> dict[str, float]:
    writers = subprocess.Popen(
        ["redis-benchmark", "-p", str(server.port), "-t", "set", "-c", "40", "-n", "100000000",
         "-r", "100000", "-q"],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)  # let the writers reach their pace
        out = subprocess.run(
            ["redis-benchmark", "-p", str(server.port), "-t", "get", "-c", "5", "-n", str(gets),
             "-r", "100000"],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        writers.kill()
        writers.wait()
    match = SUMMARY.search(out)
    if match is None:
        raise SystemExit(f"no latency summary in redis-benchmark's output:\n{out[-800:]}")
    return dict(zip(COLUMNS, map(float, match.groups()), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gets", type=int, default=20_000, help="GET requests measured per server")
    parser.add_argument("--policies", default="always,everysec")
    args = parser.parse_args()
    print("| server | policy | GET p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---:|---:|---:|---:|")
    for policy in args.policies.split(","):
        servers = (
            ("weir", weir_server("--appendfsync", policy)),
            ("redis", redis_server("--appendonly", "yes", "--appendfsync", policy)),
        )
        for name, context in servers:
            with context as server:
                result = read_latency(server, args.gets)
            print(f"| {name} | {policy} | {result['p50']:.2f} | {result['p95']:.2f} | "
                  f"{result['p99']:.2f} | {result['max']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
