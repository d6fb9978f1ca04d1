"""Apply is deterministic: the same log gives the same replies and the same state digest.

Logs are random sequences of the write commands the table holds (each known
command has a small argv generator; commands without one are skipped, so the
test grows as families land). One application runs in a subprocess with a
different PYTHONHASHSEED: a reply or a dump that leaks a set's iteration
order shows up as a different digest there.

Also checked here, from the source: state/ never reads a clock or the global
RNG, and raft/ imports nothing of weir outside itself and no I/O modules.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weir import commands
from weir.commands.table import COMMANDS, resolve_write
from weir.errors import CommandError
from weir.resp.encoder import Encoder
from weir.state.entry import pack_command
from weir.state.machine import StateMachine

ROOT = Path(__file__).resolve().parents[2]
Gen = Callable[[random.Random], list[bytes]]
Entry = tuple[int, int, bytes]  # (index, term, payload)

KEYS = [b"a", b"b", b"c", b"{t}n", b"{t}m"]
MEMBERS = [b"m1", b"m2", b"m3", b"m4", b"m5", b"7", b"-2.5"]


def _key(r: random.Random) -> bytes:
    return r.choice(KEYS)


def _value(r: random.Random) -> bytes:
    return r.choice([b"", b"1", b"-3", b"10.5", b"x", b"hello", bytes(r.randrange(256) for _ in range(3))])


def _member(r: random.Random) -> bytes:
    return r.choice(MEMBERS)


def _int(r: random.Random) -> bytes:
    return str(r.choice([-1, 0, 1, 2, 3, 5, 100, 2**63])).encode()


def _ttl_ms(r: random.Random) -> bytes:
    # Short deadlines, so keys expire in the middle of a log whose clock moves by ms.
    return str(r.choice([1, 2, 5, 20, 100000])).encode()


def _score(r: random.Random) -> bytes:
    return r.choice([b"1", b"2.5", b"-3", b"0", b"inf", b"-inf", b"1e3"])


def _keys(r: random.Random, low: int = 1, high: int = 3) -> list[bytes]:
    return [_key(r) for _ in range(r.randint(low, high))]


def _members(r: random.Random) -> list[bytes]:
    return [_member(r) for _ in range(r.randint(1, 4))]


def _pairs(r: random.Random, first: Callable[[random.Random], bytes], second: Gen | Callable[[random.Random], bytes]) -> list[bytes]:
    out: list[bytes] = []
    for _ in range(r.randint(1, 3)):
        out += [first(r), second(r)]  # type: ignore[list-item]
    return out


def _set(r: random.Random) -> list[bytes]:
    options = r.choice([[], [b"NX"], [b"XX"], [b"GET"], [b"PX", _ttl_ms(r)], [b"EX", b"100"],
                        [b"KEEPTTL"], [b"PXAT", b"5"], [b"NX", b"GET"], [b"EX", b"0"]])
    return [b"SET", _key(r), _value(r), *options]


# One small generator per write command; add one when a family lands.
GENERATORS: dict[str, Gen] = {
    "set": _set,
    "setnx": lambda r: [b"SETNX", _key(r), _value(r)],
    "setex": lambda r: [b"SETEX", _key(r), b"100", _value(r)],
    "psetex": lambda r: [b"PSETEX", _key(r), _ttl_ms(r), _value(r)],
    "getset": lambda r: [b"GETSET", _key(r), _value(r)],
    "getdel": lambda r: [b"GETDEL", _key(r)],
    "getex": lambda r: [b"GETEX", _key(r), *r.choice([[], [b"PX", _ttl_ms(r)], [b"PERSIST"]])],
    "append": lambda r: [b"APPEND", _key(r), _value(r)],
    "setrange": lambda r: [b"SETRANGE", _key(r), r.choice([b"0", b"3", b"-1"]), _value(r)],
    "incr": lambda r: [b"INCR", _key(r)],
    "decr": lambda r: [b"DECR", _key(r)],
    "incrby": lambda r: [b"INCRBY", _key(r), _int(r)],
    "decrby": lambda r: [b"DECRBY", _key(r), _int(r)],
    "incrbyfloat": lambda r: [b"INCRBYFLOAT", _key(r), _score(r)],
    "mset": lambda r: [b"MSET", *_pairs(r, _key, _value)],
    "msetnx": lambda r: [b"MSETNX", *_pairs(r, _key, _value)],
    "del": lambda r: [b"DEL", *_keys(r)],
    "unlink": lambda r: [b"UNLINK", *_keys(r)],
    "expire": lambda r: [b"EXPIRE", _key(r), r.choice([b"0", b"1", b"100", b"-1"])],
    "pexpire": lambda r: [b"PEXPIRE", _key(r), _ttl_ms(r), *r.choice([[], [b"NX"], [b"XX"], [b"GT"], [b"LT"]])],
    "expireat": lambda r: [b"EXPIREAT", _key(r), r.choice([b"0", b"5000000000"])],
    "pexpireat": lambda r: [b"PEXPIREAT", _key(r), r.choice([b"3", b"50", b"5000000000000"])],
    "persist": lambda r: [b"PERSIST", _key(r)],
    "rename": lambda r: [b"RENAME", _key(r), _key(r)],
    "renamenx": lambda r: [b"RENAMENX", _key(r), _key(r)],
    "copy": lambda r: [b"COPY", _key(r), _key(r), *r.choice([[], [b"REPLACE"]])],
    "move": lambda r: [b"MOVE", _key(r), b"1"],
    "swapdb": lambda r: [b"SWAPDB", b"0", b"1"],
    "flushdb": lambda r: [b"FLUSHDB"],
    "flushall": lambda r: [b"FLUSHALL"],
    "__expire": lambda r: [b"__expire", *_keys(r)],
    "hset": lambda r: [b"HSET", _key(r), *_pairs(r, _member, _value)],
    "hmset": lambda r: [b"HMSET", _key(r), *_pairs(r, _member, _value)],
    "hsetnx": lambda r: [b"HSETNX", _key(r), _member(r), _value(r)],
    "hdel": lambda r: [b"HDEL", _key(r), *_members(r)],
    "hincrby": lambda r: [b"HINCRBY", _key(r), _member(r), _int(r)],
    "hincrbyfloat": lambda r: [b"HINCRBYFLOAT", _key(r), _member(r), _score(r)],
    "lpush": lambda r: [b"LPUSH", _key(r), *_members(r)],
    "rpush": lambda r: [b"RPUSH", _key(r), *_members(r)],
    "lpushx": lambda r: [b"LPUSHX", _key(r), *_members(r)],
    "rpushx": lambda r: [b"RPUSHX", _key(r), *_members(r)],
    "lpop": lambda r: [b"LPOP", _key(r), *r.choice([[], [b"2"]])],
    "rpop": lambda r: [b"RPOP", _key(r), *r.choice([[], [b"2"]])],
    "lrem": lambda r: [b"LREM", _key(r), r.choice([b"0", b"1", b"-1"]), _member(r)],
    "lset": lambda r: [b"LSET", _key(r), r.choice([b"0", b"-1", b"5"]), _member(r)],
    "ltrim": lambda r: [b"LTRIM", _key(r), r.choice([b"0", b"1"]), r.choice([b"-1", b"2"])],
    "linsert": lambda r: [b"LINSERT", _key(r), r.choice([b"BEFORE", b"AFTER"]), _member(r), _member(r)],
    "lmove": lambda r: [b"LMOVE", _key(r), _key(r), r.choice([b"LEFT", b"RIGHT"]), r.choice([b"LEFT", b"RIGHT"])],
    "rpoplpush": lambda r: [b"RPOPLPUSH", _key(r), _key(r)],
    "sadd": lambda r: [b"SADD", _key(r), *_members(r)],
    "srem": lambda r: [b"SREM", _key(r), *_members(r)],
    "spop": lambda r: [b"SPOP", _key(r), *r.choice([[], [b"2"], [b"10"]])],
    "smove": lambda r: [b"SMOVE", _key(r), _key(r), _member(r)],
    "sinterstore": lambda r: [b"SINTERSTORE", _key(r), *_keys(r)],
    "sunionstore": lambda r: [b"SUNIONSTORE", _key(r), *_keys(r)],
    "sdiffstore": lambda r: [b"SDIFFSTORE", _key(r), *_keys(r)],
    "zadd": lambda r: [b"ZADD", _key(r), *r.choice([[], [b"NX"], [b"XX"], [b"GT"], [b"CH"]]),
                       *_pairs(r, _score, _member)],
    "zincrby": lambda r: [b"ZINCRBY", _key(r), _score(r), _member(r)],
    "zrem": lambda r: [b"ZREM", _key(r), *_members(r)],
    "zpopmin": lambda r: [b"ZPOPMIN", _key(r), *r.choice([[], [b"2"]])],
    "zpopmax": lambda r: [b"ZPOPMAX", _key(r), *r.choice([[], [b"2"]])],
    "zremrangebyscore": lambda r: [b"ZREMRANGEBYSCORE", _key(r), b"-inf", _score(r)],
    "zremrangebyrank": lambda r: [b"ZREMRANGEBYRANK", _key(r), b"0", b"1"],
    "zunionstore": lambda r: [b"ZUNIONSTORE", _key(r), b"2", _key(r), _key(r)],
    "zinterstore": lambda r: [b"ZINTERSTORE", _key(r), b"2", _key(r), _key(r)],
}
# Rare, so a log keeps enough state to be interesting.
WEIGHTS = {"flushall": 1, "flushdb": 1, "swapdb": 2}


def available_generators() -> list[tuple[str, Gen]]:
    """Generators for registered, non-blocking write commands, in a stable order."""
    commands.load_all()
    out = []
    for name in sorted(GENERATORS):
        spec = COMMANDS.get(name.encode())
        if spec is not None and spec.write and not spec.blocking:
            out += [(name, GENERATORS[name])] * WEIGHTS.get(name, 10)
    return out


def random_log(r: random.Random, length: int) -> list[Entry]:
    gens = available_generators()
    entries: list[Entry] = []
    ts = 1_000
    for index in range(1, length + 1):
        ts += r.choice([0, 1, 1, 2, 7])
        db = r.choice([0, 0, 0, 1])
        if r.random() < 0.1:
            argvs = [r.choice(gens)[1](r) for _ in range(r.randint(1, 4))]
            entries.append((index, 1, pack_command(ts, db, argvs, multi=True)))
        else:
            entries.append((index, 1, pack_command(ts, db, [r.choice(gens)[1](r)])))
    return entries


def apply_log(entries: list[Entry]) -> tuple[str, list[bytes]]:
    """Apply a log to a fresh state machine: (digest, every reply as RESP3 bytes)."""
    commands.load_all()
    machine = StateMachine(resolve_write)
    encoder = Encoder(3)
    replies = []
    for index, term, data in entries:
        try:
            replies.append(encoder.encode(machine.apply(index, term, data)))
        except CommandError as exc:
            replies.append(b"-" + exc.message.encode())
    return machine.digest(), replies


def replies_hash(replies: list[bytes]) -> str:
    return hashlib.blake2b(b"\0".join(replies), digest_size=16).hexdigest()


def main() -> None:
    """Subprocess entry point: msgpack'd logs on stdin, JSON [digest, replies hash] out."""
    logs = msgpack.unpackb(sys.stdin.buffer.read(), use_list=True)
    results = []
    for entries in logs:
        digest, replies = apply_log([tuple(e) for e in entries])
        results.append([digest, replies_hash(replies)])
    json.dump(results, sys.stdout)


def test_there_is_something_to_generate() -> None:
    names = {name for name, _ in available_generators()}
    assert {"set", "del"} <= names


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(1, 120))
def test_applying_a_log_twice_gives_equal_state(r: random.Random, length: int) -> None:
    entries = random_log(r, length)
    first = apply_log(entries)
    second = apply_log(entries)
    assert first[1] == second[1]
    assert first[0] == second[0]


def test_apply_is_independent_of_hash_seed() -> None:
    logs = [random_log(random.Random(seed), 400) for seed in range(6)]
    local = [(digest, replies_hash(replies)) for digest, replies in map(apply_log, logs)]
    payload = msgpack.packb(logs)
    for hash_seed in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-c", "from tests.unit.test_determinism import main; main()"],
            input=payload, capture_output=True, cwd=ROOT, timeout=120,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        assert proc.returncode == 0, proc.stderr.decode()
        remote = [tuple(item) for item in json.loads(proc.stdout)]
        for seed, (mine, theirs) in enumerate(zip(local, remote)):
            assert mine[1] == theirs[1], f"replies differ for log seed {seed}, PYTHONHASHSEED={hash_seed}"
            assert mine[0] == theirs[0], f"digest differs for log seed {seed}, PYTHONHASHSEED={hash_seed}"


def test_a_log_changes_the_digest() -> None:
    empty = apply_log([])[0]
    entries = [(1, 1, pack_command(1000, 0, [[b"SET", b"k", b"v"]]))]
    assert apply_log(entries)[0] != empty


# --- layering, from the source ------------------------------------------------------

CLOCK_CALLS = {("time", name) for name in ("time", "monotonic", "perf_counter", "time_ns",
                                           "monotonic_ns", "perf_counter_ns", "sleep")}
GLOBAL_RANDOM = {"random", "choice", "choices", "randint", "randrange", "shuffle", "sample",
                 "uniform", "getrandbits", "seed", "randbytes", "gauss"}


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / "weir" / package).rglob("*.py"))


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _global_rng_or_clock_uses(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "random" and node.attr in GLOBAL_RANDOM:
                found.append(f"random.{node.attr}")
            clock = (node.value.id, node.attr) in CLOCK_CALLS
            wall = node.value.id == "datetime" and node.attr in ("now", "utcnow", "today")
            if clock or wall:
                found.append(f"{node.value.id}.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module == "random":
            found += [f"from random import {a.name}" for a in node.names if a.name != "Random"]
    return found


def test_state_reads_no_clock_and_no_global_rng() -> None:
    problems = []
    for path in _sources("state"):
        tree = ast.parse(path.read_text(), str(path))
        for name in _imports(tree):
            if name.split(".")[0] in ("time", "socket", "asyncio", "selectors") or name.startswith(
                ("weir.raft", "weir.server", "weir.cluster")
            ):
                problems.append(f"{path.name} imports {name}")
        problems += [f"{path.name} uses {use}" for use in _global_rng_or_clock_uses(tree)]
    assert problems == []


def test_raft_is_sans_io() -> None:
    sources = _sources("raft")
    if not sources:
        pytest.skip("weir/raft does not exist yet")
    problems = []
    for path in sources:
        tree = ast.parse(path.read_text(), str(path))
        for name in _imports(tree):
            top = name.split(".")[0]
            io_module = top in ("asyncio", "socket", "time", "os", "selectors", "threading")
            outside = top == "weir" and not (name == "weir.raft" or name.startswith("weir.raft."))
            if io_module or outside:
                problems.append(f"{path.name} imports {name}")
        problems += [f"{path.name} uses {use}" for use in _global_rng_or_clock_uses(tree)]
    assert problems == []


if __name__ == "__main__":
    main()
