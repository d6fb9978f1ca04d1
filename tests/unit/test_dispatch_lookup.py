"""The dispatcher's shortcuts: command lookup by spelling, and the clock it shares."""

from __future__ import annotations

import time

from weir import commands
from weir.commands import table
from weir.commands.table import COMMANDS, SPELLINGS_MAX, find_command
from weir.config import Settings
from weir.server.server import Server

commands.load_all()


def test_any_case_finds_the_command_and_unknown_names_are_not_kept() -> None:
    for spelling in (b"get", b"GET", b"gEt", b"Get"):
        assert find_command(spelling) is COMMANDS[b"get"]
    assert find_command(b"nosuchcommand") is None
    assert b"nosuchcommand" not in table._SPELLINGS


def test_the_spelling_cache_stays_bounded() -> None:
    name = b"hincrbyfloat"  # 12 letters: 4096 case mixes
    for mask in range(1 << len(name)):
        spelling = bytes(c - 32 if mask >> i & 1 else c for i, c in enumerate(name))
        assert find_command(spelling) is COMMANDS[name]
    assert len(table._SPELLINGS) <= SPELLINGS_MAX


def test_ms_at_follows_the_wall_clock() -> None:
    server = Server(Settings(port=0))
    before = time.time_ns() // 1_000_000
    derived = server.ms_at(time.perf_counter_ns())
    after = time.time_ns() // 1_000_000
    assert before - 1 <= derived <= after + 1
    # A stale anchor is replaced: the wall clock is read again.
    server._clock_anchor_ns -= 10**9
    server._wall_minus_perf_ns += 5 * 10**9
    derived = server.ms_at(time.perf_counter_ns())
    assert abs(derived - time.time_ns() // 1_000_000) < 1000
