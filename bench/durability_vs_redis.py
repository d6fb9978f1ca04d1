"""Durability costs: weir against redis-server with persistence on, in one run.

    python bench/durability_vs_redis.py            # full: 1M keys for snapshots/recovery
    python bench/durability_vs_redis.py --quick    # small sizes, a smoke test
    python bench/durability_vs_redis.py --keys 200000 --requests 50000

Needs redis-server, redis-benchmark and redis-cli on PATH
(Debian/Ubuntu: `apt-get install redis-server redis-tools`; macOS: `brew install redis`).

Parts, each printed with the ratio against the peer measured in the same run:
  a. SET throughput, 50 clients, pipeline 1: weir `--appendfsync always|everysec`
     vs redis `--appendonly yes --appendfsync always|everysec`; plus weir's
     fsyncs per write (how well group commit batches).
  b. fsync on the event loop vs on a thread (SyncWorker), storage level
     (bench/log_append.py's group commit with 50 writers).
  c. snapshot (BGSAVE) time and recovery time (restart to first PONG) for
     N keys and 10K keys; weir also from the log alone (no snapshot).
  d. client latency (p50/p99/max) of a steady GET/SET load from another
     process, while a background snapshot of N keys runs and without one.
  e. backup RTO: `weir backup` + `weir restore` + start to first PONG.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import free_port  # noqa: E402

VALUE = b"v" * 10
LOAD_CHUNK = 5_000


# --- servers --------------------------------------------------------------------------


@dataclass
class Proc:
    proc: subprocess.Popen[bytes]
    port: int
    dir: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_weir(data: Path, *args: str) -> tuple[Proc, float]:
    """A weir server on `data`; returns it and the seconds until it answered PING."""
    port = free_port()
    log = open(data.parent / f"{data.name}.log", "ab")  # noqa: SIM115 - lives as long as the process
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "weir", "server", "--port", str(port), "--dir", str(data), *args],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )
    return Proc(proc, port, data), wait_pong(port, proc, start)


def start_redis(data: Path, *args: str) -> tuple[Proc, float]:
    port = free_port()
    data.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
         "--save", "", "--appendonly", "no", "--logfile", str(data / "redis.log"), *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    return Proc(proc, port, data), wait_pong(port, proc, start)


def wait_pong(port: int, proc: subprocess.Popen[bytes], start: float, timeout_s: float = 600) -> float:
    """Seconds from `start` until PING answers +PONG (not -LOADING, not refused)."""
    while time.perf_counter() - start < timeout_s:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(64).startswith(b"+PONG"):
                    return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"no PONG on port {port} within {timeout_s}s")


def cli(port: int, *args: str) -> str:
    return subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, check=True, timeout=600
    ).stdout.strip()


def info(port: int, section: str) -> dict[str, str]:
    out = {}
    for line in cli(port, "INFO", section).splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            out[key] = value.strip()
    return out


@contextmanager
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="weir-bench-dur-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --- a. throughput ----------------------------------------------------------------------


def benchmark_set(port: int, requests: int) -> float:
    proc = subprocess.run(
        ["redis-benchmark", "-p", str(port), "-t", "set", "-c", "50", "-n", str(requests),
         "-r", "100000", "--csv"], capture_output=True, text=True, timeout=900,
    )
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    for row in rows:
        if row and row[0] == "SET":
            return float(row[1])
    raise RuntimeError(f"redis-benchmark printed no SET result: {proc.stdout!r} {proc.stderr!r}")


def part_a(base: Path, requests: int, rounds: int) -> list[str]:
    lines = ["| policy | weir SET/s | redis SET/s | weir/redis | target | weir fsyncs per write |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for policy, target in (("always", 0.8), ("everysec", 0.7)):
        weir_rps, redis_rps, ratios = [], [], []
        for n in range(rounds):
            weir, _ = start_weir(base / f"a-weir-{policy}-{n}", "--appendfsync", policy)
            redis, _ = start_redis(base / f"a-redis-{policy}-{n}", "--appendonly", "yes",
                                   "--appendfsync", policy)
            try:
                before = int(info(weir.port, "persistence")["weir_fsyncs"])
                weir_rps.append(benchmark_set(weir.port, requests))
                fsyncs = int(info(weir.port, "persistence")["weir_fsyncs"]) - before
                ratios.append(fsyncs / requests)
                redis_rps.append(benchmark_set(redis.port, requests))
            finally:
                weir.stop()
                redis.stop()
        w, r = median(weir_rps), median(redis_rps)
        lines.append(f"| {policy} | {w:,.0f} | {r:,.0f} | {w / r:.2f}x | >= {target}x "
                     f"| {median(ratios):.3f} |")
        print(lines[-1], flush=True)
    return lines


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


# --- b. fsync on the loop vs on a thread ---------------------------------------------------


def part_b(base: Path, seconds: float, repeat: int) -> list[str]:
    from bench.log_append import bench_group, interleaved, payloads

    pool = payloads()
    lines = ["| writers | on the loop rec/s | SyncWorker rec/s | thread/loop | loop stall p99 (loop / thread) |",
             "| ---: | ---: | ---: | ---: | ---: |"]
    for writers in (1, 50):
        on_loop, threaded = interleaved(
            repeat,
            partial(bench_group, base / "b", seconds, writers, False, pool),
            partial(bench_group, base / "b", seconds, writers, True, pool),
        )
        lines.append(
            f"| {writers} | {on_loop.records_per_second:,.0f} | {threaded.records_per_second:,.0f} "
            f"| {threaded.records_per_second / on_loop.records_per_second:.2f}x "
            f"| {on_loop.stall_ms_p99:.1f} ms / {threaded.stall_ms_p99:.1f} ms |"
        )
        print(lines[-1], flush=True)
    return lines


# --- c. snapshot and recovery -----------------------------------------------------------------


def load_keys(port: int, keys: int) -> float:
    """SET key:N to a 10-byte value for N < keys, pipelined in batches; returns seconds.

    Batches of LOAD_CHUNK requests, each answered before the next is sent: like
    a pipelined client library, unlike one unbounded `redis-cli --pipe` stream.
    """
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        for low in range(0, keys, LOAD_CHUNK):
            count = min(keys, low + LOAD_CHUNK) - low
            chunk = []
            for n in range(low, low + count):
                key = b"key:%d" % n
                chunk.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$10\r\n%s\r\n" % (len(key), key, VALUE))
            sock.sendall(b"".join(chunk))
            expected = b"+OK\r\n" * count
            got = bytearray()
            while len(got) < len(expected):
                data = sock.recv(1 << 20)
                if not data:
                    raise RuntimeError("server closed the connection while loading")
                got += data
            if got != expected:
                raise RuntimeError(f"loading failed: {bytes(got[:200])!r}")
    return time.perf_counter() - start


def bgsave_seconds(port: int) -> float:
    """BGSAVE, then poll rdb_bgsave_in_progress from outside until it is done."""
    first = info(port, "persistence")
    before = int(first["rdb_saves"]) if "rdb_saves" in first else None
    start = time.perf_counter()
    cli(port, "BGSAVE")
    while True:
        persistence = info(port, "persistence")
        if persistence["rdb_bgsave_in_progress"] == "0":
            break
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    if persistence.get("rdb_last_bgsave_status") != "ok":
        raise RuntimeError("BGSAVE failed")
    if before is not None and int(persistence["rdb_saves"]) <= before:
        raise RuntimeError("BGSAVE did not complete")
    return elapsed


@dataclass
class Loaded:
    weir: Proc
    redis: Proc
    weir_load_s: float
    redis_load_s: float


def part_c(base: Path, keys: int, probe_seconds: float | None) -> tuple[list[str], dict[str, float]]:
    """Snapshot and recovery for `keys`; with probe_seconds, part d runs on the same servers."""
    extra: dict[str, float] = {}
    weir_dir, redis_dir = base / f"c-weir-{keys}", base / f"c-redis-{keys}"
    weir, _ = start_weir(weir_dir, "--appendfsync", "everysec")
    redis, _ = start_redis(redis_dir)
    try:
        weir_load = load_keys(weir.port, keys)
        redis_load = load_keys(redis.port, keys)
        assert int(cli(weir.port, "DBSIZE")) == keys and int(cli(redis.port, "DBSIZE")) == keys
        # Recovery from the log alone (no snapshot yet).
        weir.stop()
        weir, weir_log_recovery = start_weir(weir_dir, "--appendfsync", "everysec")
        if probe_seconds is not None:
            extra.update(part_d(weir, redis, probe_seconds))
        weir_save = bgsave_seconds(weir.port)
        redis_save = bgsave_seconds(redis.port)
        weir.stop()
        redis.stop()
        snap_bytes = sum(p.stat().st_size for p in (weir_dir / "snapshots").glob("*.snap"))
        rdb_bytes = (redis_dir / "dump.rdb").stat().st_size
        weir, weir_recovery = start_weir(weir_dir, "--appendfsync", "everysec")
        redis, redis_recovery = start_redis(redis_dir)
        # The latency probe of part d may have added its one key.
        assert int(cli(weir.port, "DBSIZE")) >= keys and int(cli(redis.port, "DBSIZE")) >= keys
    finally:
        weir.stop()
        redis.stop()
    empty_weir, weir_empty = start_weir(base / f"c-weir-empty-{keys}")
    empty_weir.stop()
    empty_redis, redis_empty = start_redis(base / f"c-redis-empty-{keys}")
    empty_redis.stop()
    lines = [
        f"| {keys:,} keys | weir | redis | weir/redis |",
        "| --- | ---: | ---: | ---: |",
        f"| load (pipelined, 5K per batch) | {weir_load:.2f} s | {redis_load:.2f} s | {weir_load / redis_load:.1f}x |",
        f"| BGSAVE, until rdb_bgsave_in_progress is 0 | {weir_save:.2f} s | {redis_save:.2f} s "
        f"| {weir_save / redis_save:.1f}x |",
        f"| snapshot file | {snap_bytes / 1e6:.1f} MB | {rdb_bytes / 1e6:.1f} MB | {snap_bytes / rdb_bytes:.1f}x |",
        f"| restart to first PONG, from the snapshot | {weir_recovery:.2f} s | {redis_recovery:.2f} s "
        f"| {weir_recovery / redis_recovery:.1f}x |",
        f"| restart to first PONG, weir from the log alone | {weir_log_recovery:.2f} s | | |",
        f"| start to first PONG, empty data dir (process start) | {weir_empty:.2f} s | {redis_empty:.2f} s | |",
    ]
    for line in lines[2:]:
        print(line, flush=True)
    return lines, extra


# --- d. latency during a background snapshot ---------------------------------------------------


def probe_main(port: int, seconds: float) -> None:
    """Run in its own process: alternate GET and SET on one connection; print latencies (ms)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    get = b"*2\r\n$3\r\nGET\r\n$9\r\nkey:12345\r\n"
    put = b"*3\r\n$3\r\nSET\r\n$11\r\nprobe:12345\r\n$10\r\n" + VALUE + b"\r\n"
    latencies = []
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        request = put if n % 2 else get
        n += 1
        start = time.perf_counter()
        sock.sendall(request)
        data = sock.recv(4096)
        while not data.endswith(b"\r\n"):
            data += sock.recv(4096)
        latencies.append((time.perf_counter() - start) * 1000)
        time.sleep(0.0005)  # steady, not saturating: about 1,500 requests/s
    sock.close()
    print(json.dumps(latencies))


def run_probe(port: int, seconds: float, during_bgsave: bool) -> tuple[dict[str, float], float]:
    proc = subprocess.Popen([sys.executable, __file__, "--probe", str(port), str(seconds)],
                            stdout=subprocess.PIPE, cwd=ROOT)
    save_s = 0.0
    if during_bgsave:
        time.sleep(min(0.5, seconds / 4))
        save_s = bgsave_seconds(port)
    out, _ = proc.communicate(timeout=seconds + 600)
    latencies = sorted(json.loads(out))
    return {
        "n": len(latencies),
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[len(latencies) * 99 // 100],
        "max": latencies[-1],
    }, save_s


def part_d(weir: Proc, redis: Proc, seconds: float) -> dict[str, float]:
    results: dict[str, float] = {}
    for name, proc in (("weir", weir), ("redis", redis)):
        idle, _ = run_probe(proc.port, seconds, False)
        busy, save_s = run_probe(proc.port, seconds, True)
        for key, value in idle.items():
            results[f"{name}.idle.{key}"] = value
        for key, value in busy.items():
            results[f"{name}.bgsave.{key}"] = value
        results[f"{name}.bgsave.seconds"] = save_s
    return results


def part_d_lines(keys: int, seconds: float, r: dict[str, float]) -> list[str]:
    lines = [f"Latency of a GET/SET probe (one connection, ~1.5K req/s, {seconds:.0f} s windows), {keys:,} keys:",
             "",
             "| server | window | requests | p50 ms | p99 ms | max ms |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for name in ("weir", "redis"):
        for window, label in (("idle", "no snapshot"), ("bgsave", f"BGSAVE ({r[f'{name}.bgsave.seconds']:.1f} s)")):
            p = f"{name}.{window}."
            lines.append(f"| {name} | {label} | {r[p + 'n']:,.0f} | {r[p + 'p50']:.2f} | {r[p + 'p99']:.2f} "
                         f"| {r[p + 'max']:.1f} |")
    lines.append("")
    lines.append(f"Worst spike during BGSAVE, weir/redis: {r['weir.bgsave.max'] / r['redis.bgsave.max']:.1f}x "
                 f"(max), p99 {r['weir.bgsave.p99'] / r['redis.bgsave.p99']:.1f}x")
    for line in lines:
        print(line, flush=True)
    return lines


# --- e. backup RTO ------------------------------------------------------------------------------


def part_e(base: Path, keys: int) -> list[str]:
    source_dir, target_dir, backup = base / "e-source", base / "e-target", base / "e-backup.snap"
    source, _ = start_weir(source_dir, "--appendfsync", "everysec")
    try:
        load_keys(source.port, keys)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "weir", "backup", "--port", str(source.port), "--out",
                        str(backup)], check=True, capture_output=True, cwd=ROOT, timeout=900)
        backup_s = time.perf_counter() - start
    finally:
        source.stop()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "weir", "restore", str(backup), "--dir", str(target_dir)],
                   check=True, capture_output=True, cwd=ROOT, timeout=900)
    restore_s = time.perf_counter() - start
    target, start_s = start_weir(target_dir, "--appendfsync", "everysec")
    try:
        assert int(cli(target.port, "DBSIZE")) == keys
    finally:
        target.stop()
    total = backup_s + restore_s + start_s
    lines = [f"| {keys:,} keys | seconds |", "| --- | ---: |",
             f"| `weir backup` (BGSAVE + copy + verify) | {backup_s:.2f} |",
             f"| `weir restore` (verify + install) | {restore_s:.2f} |",
             f"| `weir server` start to first PONG | {start_s:.2f} |",
             f"| total (RTO) | {total:.2f} |"]
    for line in lines[2:]:
        print(line, flush=True)
    return lines


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--probe":
        probe_main(int(sys.argv[2]), float(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--keys", type=int, default=None, help="keys for parts c-e (default 1M)")
    parser.add_argument("--requests", type=int, default=None, help="SETs per throughput run")
    parser.add_argument("--rounds", type=int, default=None, help="throughput runs per policy (median)")
    parser.add_argument("--parts", default="abcde", help="which parts to run, e.g. ac")
    options = parser.parse_args()
    missing = [tool for tool in ("redis-server", "redis-benchmark", "redis-cli") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"missing {', '.join(missing)}: install Redis 7 (Debian/Ubuntu: "
                 "`apt-get install redis-server redis-tools`; macOS: `brew install redis`)")
    keys = options.keys or (20_000 if options.quick else 1_000_000)
    requests = options.requests or (10_000 if options.quick else 100_000)
    rounds = options.rounds or (1 if options.quick else 3)
    probe_s = 3.0 if options.quick else 8.0
    version = cli_version()
    print(f"redis-server {version}; {os.cpu_count()} CPUs; keys {keys:,}; "
          f"SET runs of {requests:,} x {rounds}", flush=True)
    out: list[str] = []
    with workdir() as base:
        if "a" in options.parts:
            print("\na. SET throughput, redis-benchmark -t set -c 50 -n N -r 100000", flush=True)
            out += ["### SET throughput, 50 clients, pipeline 1", "", *part_a(base, requests, rounds), ""]
        if "b" in options.parts:
            print("\nb. group commit at the storage level: fsync on the loop vs SyncWorker", flush=True)
            out += ["### fsync on the event loop vs on a thread (storage level)", "",
                    *part_b(base, 0.5 if options.quick else 1.0, 1 if options.quick else 3), ""]
        if "c" in options.parts or "d" in options.parts:
            for size in sorted({10_000, keys}):
                print(f"\nc. snapshot and recovery, {size:,} keys", flush=True)
                probe = probe_s if ("d" in options.parts and size == keys) else None
                lines, extra = part_c(base, size, probe)
                out += [f"### Snapshot and recovery, {size:,} keys", "", *lines, ""]
                if extra:
                    print(f"\nd. latency during BGSAVE, {size:,} keys", flush=True)
                    out += ["### Latency during a background snapshot", "", *part_d_lines(size, probe_s, extra), ""]
        if "e" in options.parts:
            print(f"\ne. backup RTO, {keys:,} keys", flush=True)
            out += [f"### Backup RTO, {keys:,} keys", "", *part_e(base, keys), ""]
    print("\n--- markdown ---\n")
    print("\n".join(out))


def cli_version() -> str:
    text = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    for word in text.split():
        if word.startswith("v="):
            return word[2:]
    return text.strip()


if __name__ == "__main__":
    main()
