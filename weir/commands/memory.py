"""MEMORY (object.c memoryCommand): what a key costs, and the server's memory figures.

MEMORY USAGE measures weir's own objects (CPython sizes), not Redis's encodings:
the figure answers "what does this key cost in this process". Like Redis, it
samples a collection's elements (SAMPLES count, default 5, 0 for all) and
scales the average up to the whole collection.
"""

from __future__ import annotations

import sys
from itertools import islice
from typing import TYPE_CHECKING, Any

from weir.commands.args import help_reply, parse_int
from weir.commands.info import memory_figures
from weir.commands.table import command, container
from weir.errors import SYNTAX, CommandError
from weir.resp.reply import OK
from weir.state.sets import SetValue
from weir.state.types import Hash
from weir.state.zset import ZSet

if TYPE_CHECKING:
    from weir.server.client import Client
    from weir.state.machine import Ctx

SAMPLES_DEFAULT = 5
POINTER_BYTES = 8
# A dict entry (hash, key and value) with the table's spare room.
DICT_ENTRY_BYTES = 3 * POINTER_BYTES * 3 // 2

container("memory", -2)


@command("usage", -3, "readonly", 2, 2, 1, "@read @slow", container="memory")
def memory_usage_command(ctx: Ctx, argv: list[bytes]) -> int | None:
    """MEMORY USAGE key [SAMPLES count]"""
    samples = SAMPLES_DEFAULT
    i = 3
    while i < len(argv):
        if argv[i].lower() == b"samples" and i + 1 < len(argv):
            samples = parse_int(argv[i + 1])
            if samples < 0:
                raise CommandError(SYNTAX)
            i += 2
        else:
            raise CommandError(SYNTAX)
    value = ctx.peek(argv[2])
    if value is None:
        return None
    return DICT_ENTRY_BYTES + sys.getsizeof(argv[2]) + value_bytes(value, samples or None)


def value_bytes(value: Any, samples: int | None) -> int:
    """CPython bytes held by a value; a collection's elements sampled (None: all of them)."""
    if isinstance(value, bytes):
        return sys.getsizeof(value)
    # Each element: its objects, plus its slots in the value's dicts and lists.
    if isinstance(value, Hash):
        elements: Any = iter(value.items())
        slots = DICT_ENTRY_BYTES
    elif isinstance(value, ZSet):
        # A member is in the score dict and, in a (score, member) pair, in the order.
        elements = ((member, score, (score, member)) for score, member in value.order)
        slots = DICT_ENTRY_BYTES + POINTER_BYTES
    elif isinstance(value, SetValue):
        elements = iter(value)  # in the member list and, with its position, in a dict
        slots = DICT_ENTRY_BYTES + POINTER_BYTES
    else:
        elements = iter(value)
        slots = POINTER_BYTES
    picked = list(islice(elements, samples))
    if not picked:
        return sys.getsizeof(value)
    each = sum(_element_bytes(e) for e in picked) / len(picked) + slots
    return sys.getsizeof(value) + int(each * len(value))


def _element_bytes(element: Any) -> int:
    if isinstance(element, tuple):
        return sys.getsizeof(element) + sum(_element_bytes(part) for part in element)
    return sys.getsizeof(element)


@command("stats", 2, "session", categories="@slow", container="memory")
def memory_stats_command(client: Client, argv: list[bytes]) -> dict[bytes, Any]:
    """The figures of INFO memory that weir has, under MEMORY STATS's names."""
    figures = memory_figures(client.server)
    machine = client.server.machine
    keys = sum(len(db) for db in machine.dbs)
    out: dict[bytes, Any] = {
        b"peak.allocated": figures.peak,
        b"total.allocated": figures.used,
        b"startup.allocated": figures.startup,
        b"replication.backlog": 0,
        b"clients.slaves": 0,
        b"clients.normal": 0,
        b"aof.buffer": 0,
        b"lua.caches": 0,
        b"functions.caches": 0,
    }
    for db in machine.dbs:
        if len(db):
            out[f"db.{db.index}".encode()] = {
                b"overhead.hashtable.main": sys.getsizeof(db.data),
                b"overhead.hashtable.expires": sys.getsizeof(db.expires),
            }
    dataset = max(figures.used - figures.startup, 0)
    out[b"keys.count"] = keys
    out[b"keys.bytes-per-key"] = dataset // keys if keys else 0
    out[b"dataset.bytes"] = dataset
    out[b"dataset.percentage"] = 100 * dataset / figures.used if figures.used else 0.0
    out[b"peak.percentage"] = 100 * figures.used / figures.peak if figures.peak else 0.0
    out[b"fragmentation"] = 1.0
    return out


@command("doctor", 2, "session", categories="@slow", container="memory")
def memory_doctor_command(client: Client, argv: list[bytes]) -> bytes:
    return (
        b"Hi Sam, I can't find any memory issue in your instance. "
        b"I can only account for what occurs on this base."
    )


@command("malloc-stats", 2, "session", categories="@slow", container="memory")
def memory_malloc_stats_command(client: Client, argv: list[bytes]) -> bytes:
    return b"Stats not supported for the current allocator"


@command("purge", 2, "session", categories="@slow", container="memory")
def memory_purge_command(client: Client, argv: list[bytes]) -> Any:
    return OK


@command("help", 2, "session loading stale", categories="@slow", container="memory")
def memory_help_command(client: Client, argv: list[bytes]) -> Any:
    return help_reply([
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ])
