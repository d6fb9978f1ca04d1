"""OBJECT IDLETIME and FREQ: which lookups are accesses, and the LRU clock and LFU
counter of evict.c, on a state machine whose clocks the test sets."""

from __future__ import annotations

import random
import sys

import pytest

from weir import commands
from weir.commands.table import COMMANDS, resolve_write
from weir.errors import CommandError
from weir.state.machine import ACCESSED_KEYS_MAX, LFU_INIT_VAL, StateMachine

try:
    from weir.state import _cprefetch
except ImportError:  # a pure-Python install records accesses in Python
    _cprefetch = None  # type: ignore[assignment]

commands.load_all()

START_S = 1_700_000_000


class Node:
    """A state machine driven as the server drives it: writes as entries at `now_s`,
    reads through the read context with the access clock at `now_s`."""

    def __init__(self) -> None:
        self.machine = StateMachine(resolve_write)
        self.machine.access_since_s = START_S
        self.now_s = START_S
        self.index = 0

    def run(self, *argv: bytes, touch: bool = True) -> object:
        spec = COMMANDS[argv[0].lower()]
        if len(argv) > 1 and spec.subcommands:
            spec = spec.subcommands[argv[1].decode().lower()]
        self.machine.set_access_clock(self.now_s)  # the server's clock tick, before any command
        if spec.write:
            self.index += 1
            return self.machine.apply_one(self.index, self.now_s * 1000, 0, list(argv), spec.handler)
        return spec.handler(self.machine.reader(0, self.now_s * 1000, touch), list(argv))

    def idle(self, key: bytes) -> object:
        return self.run(b"OBJECT", b"IDLETIME", key)


def test_idle_time_counts_from_the_last_write_or_read() -> None:
    node = Node()
    node.run(b"SET", b"k", b"v")
    node.now_s += 30
    assert node.idle(b"k") == 30
    node.run(b"GET", b"k")
    assert node.idle(b"k") == 0
    node.now_s += 5
    node.run(b"APPEND", b"k", b"w")  # a write's lookup is an access too
    node.now_s += 2
    assert node.idle(b"k") == 2


@pytest.mark.parametrize(
    "argv",
    [
        [b"TYPE", b"k"], [b"TTL", b"k"], [b"PTTL", b"k"], [b"EXPIRETIME", b"k"],
        [b"EXISTS", b"k"], [b"OBJECT", b"ENCODING", b"k"], [b"OBJECT", b"REFCOUNT", b"k"],
        [b"OBJECT", b"IDLETIME", b"k"], [b"MEMORY", b"USAGE", b"k"],
        [b"SCAN", b"0", b"TYPE", b"string"],
    ],
    ids=lambda argv: b" ".join(argv[:2]).decode(),
)
def test_lookups_that_are_no_access(argv: list[bytes]) -> None:
    node = Node()
    node.run(b"SET", b"k", b"v")
    node.now_s += 10
    node.run(*argv)
    assert node.idle(b"k") == 10


def test_touch_is_an_access_even_in_no_touch_mode() -> None:
    node = Node()
    node.run(b"SET", b"k", b"v")
    node.now_s += 10
    node.run(b"GET", b"k", touch=False)
    assert node.idle(b"k") == 10
    assert node.run(b"TOUCH", b"k", b"missing", touch=False) == 1
    assert node.idle(b"k") == 0


def test_no_access_is_recorded_while_a_snapshot_child_runs() -> None:
    node = Node()
    node.run(b"SET", b"k", b"v")
    node.now_s += 10
    node.machine.set_touching(False)
    node.run(b"GET", b"k")
    node.run(b"APPEND", b"k", b"w")  # lookupKeyWrite skips it too; the new value is fresh
    node.run(b"GET", b"k")
    node.now_s += 3
    assert node.idle(b"k") == 3
    node.machine.set_touching(True)
    node.run(b"GET", b"k")
    assert node.idle(b"k") == 0


def test_deleted_keys_leave_no_access_record() -> None:
    node = Node()
    node.run(b"MSET", b"a", b"1", b"b", b"2", b"c", b"3")
    node.run(b"RPUSH", b"l", b"x")
    node.run(b"DEL", b"a")
    node.run(b"LPOP", b"l")  # an emptied collection is deleted
    node.run(b"PEXPIRE", b"b", b"1")
    node.now_s += 1
    node.run(b"__expire", b"b")
    assert set(node.machine.dbs[0].access) == {b"c"}
    node.run(b"FLUSHALL")
    assert node.machine.dbs[0].access == {}


def test_a_key_loaded_without_a_record_is_idle_since_the_start() -> None:
    node = Node()
    node.run(b"SET", b"k", b"v")
    node.machine.dbs[0].access.clear()  # as after loading a snapshot
    node.now_s += 7
    assert node.idle(b"k") == 7


def test_swapdb_moves_access_records_with_the_keys() -> None:
    node = Node()
    node.run(b"SET", b"k", b"v")
    node.now_s += 4
    node.run(b"SWAPDB", b"0", b"1")
    assert node.machine.dbs[1].access == {b"k": START_S}
    assert node.machine.dbs[0].access == {}


def test_freq_needs_an_lfu_policy_and_idletime_an_lru_one() -> None:
    node = Node()
    node.run(b"SET", b"k", b"v")
    with pytest.raises(CommandError, match="An LFU maxmemory policy is not selected"):
        node.run(b"OBJECT", b"FREQ", b"k")
    node.machine.set_access_policy(True, node.now_s)
    with pytest.raises(CommandError, match="An LFU maxmemory policy is selected, idle time not tracked"):
        node.idle(b"k")
    assert node.run(b"OBJECT", b"FREQ", b"missing") is None
    assert node.idle(b"missing") is None


def test_lfu_counter_grows_logarithmically_and_decays_per_minute() -> None:
    node = Node()
    node.machine.lfu_draw = random.Random(0).random  # as the server gives it
    node.machine.set_access_policy(True, node.now_s)
    node.run(b"SET", b"k", b"v")
    assert node.run(b"OBJECT", b"FREQ", b"k") == LFU_INIT_VAL
    for _ in range(100):
        node.run(b"GET", b"k")
    hot = node.run(b"OBJECT", b"FREQ", b"k")
    assert isinstance(hot, int) and LFU_INIT_VAL < hot < 20  # log factor 10: slow growth
    node.machine.lfu_log_factor = 0
    for _ in range(300):
        node.run(b"GET", b"k")
    assert node.run(b"OBJECT", b"FREQ", b"k") == 255
    node.now_s += 60 * 3  # lfu-decay-time 1: one less a minute
    assert node.run(b"OBJECT", b"FREQ", b"k") == 252
    node.machine.lfu_decay_time_min = 0  # no decay: the stored counter, as last accessed
    node.now_s += 60 * 60
    assert node.run(b"OBJECT", b"FREQ", b"k") == 255


def test_an_overwrite_keeps_the_lfu_counter() -> None:
    node = Node()
    node.machine.set_access_policy(True, node.now_s)
    node.machine.lfu_log_factor = 0
    node.run(b"SET", b"k", b"v")
    for _ in range(10):
        node.run(b"GET", b"k")
    before = node.run(b"OBJECT", b"FREQ", b"k")
    node.run(b"SET", b"k", b"w")
    assert node.run(b"OBJECT", b"FREQ", b"k") == before


def test_switching_policy_starts_tracking_anew() -> None:
    node = Node()
    node.run(b"SET", b"k", b"v")
    node.now_s += 100
    node.machine.set_access_policy(True, node.now_s)
    assert node.run(b"OBJECT", b"FREQ", b"k") == LFU_INIT_VAL
    node.now_s += 5
    node.machine.set_access_policy(False, node.now_s)
    assert node.idle(b"k") == 0


def test_access_records_stay_out_of_the_digest() -> None:
    a, b = Node(), Node()
    for node in (a, b):
        node.run(b"SET", b"k", b"v")
    b.now_s += 50
    b.run(b"GET", b"k")
    assert a.machine.digest() == b.machine.digest()


def test_a_long_list_of_accesses_is_recorded_before_it_grows_past_its_bound() -> None:
    node = Node()
    node.run(b"SET", b"k", b"v")
    for _ in range(ACCESSED_KEYS_MAX + 10):
        node.run(b"GET", b"k")
    assert len(node.machine.dbs[0].accessed) <= ACCESSED_KEYS_MAX
    assert node.machine.dbs[0].access == {b"k": START_S}


@pytest.mark.skipif(_cprefetch is None, reason="the C module is not built")
@pytest.mark.parametrize("size", [10, 5000, 70_000], ids=["small", "int16", "int32"])
def test_the_c_recorder_matches_the_python_one(size: int) -> None:
    assert _cprefetch is not None
    data = {b"key:%012d" % i: b"v" for i in range(size)}
    keys = [b"key:%012d" % i for i in range(0, size, 3)] + [b"gone", b"key:%012d" % 1]
    access: dict[bytes, int] = {b"key:%012d" % 2: 7}
    clock = 10**12 + 1  # boxed: its refcount shows every reference the recorder keeps
    expected = {**access, **{k: clock for k in keys if k in data}}
    listed = list(keys)
    refs = sys.getrefcount(clock)
    _cprefetch.record_accesses(data, access, listed, clock)
    assert access == expected
    assert listed == []
    assert sys.getrefcount(clock) == refs + len(expected) - 1
    with pytest.raises(TypeError):
        _cprefetch.record_accesses(data, access, (), clock)  # type: ignore[arg-type]
