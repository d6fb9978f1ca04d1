"""COMMAND INFO of every command weir implements, diffed against a real redis-server 7.0."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import ServerProcess, raw_reply

pytestmark = pytest.mark.compat

# Commands newer than Redis 7.0 that weir offers anyway (real 7.0 has no entry to compare).
NEWER_THAN_7_0 = {"client|setinfo", "client|no-touch"}


def _shape(entry: list[Any]) -> dict[str, Any]:
    name, arity, flags, first, last, step, categories = entry[:7]
    return {
        "name": name.decode(),
        "arity": arity,
        "flags": sorted(f.decode() for f in flags),
        "keys": (first, last, step),
        "categories": sorted(c.decode() for c in categories),
        "tips": entry[7],
        "key_specs": entry[8],
        "subcommands": {sub[0].decode(): _shape(sub) for sub in entry[9]},
    }


@pytest.fixture(scope="module")
def both(weir_proc: ServerProcess, redis_proc: ServerProcess) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    ours = {e[0].decode(): _shape(e) for e in raw_reply(weir_proc.port, "COMMAND", "INFO")}
    names = sorted(ours)
    theirs = {}
    for name, entry in zip(names, raw_reply(redis_proc.port, "COMMAND", "INFO", *names)):
        if entry is not None:
            theirs[name] = _shape(entry)
    yield ours, theirs


def _diff(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    problems = []
    for field in ("arity", "flags", "keys", "categories", "tips", "key_specs"):
        if ours[field] != theirs[field]:
            problems.append(f"{ours['name']} {field}: weir {ours[field]} redis {theirs[field]}")
    for name, sub in ours["subcommands"].items():
        if name in theirs["subcommands"]:
            problems.extend(_diff(sub, theirs["subcommands"][name]))
        elif name not in NEWER_THAN_7_0:
            problems.append(f"{name}: not a Redis 7.0 subcommand")
    return problems


def test_every_command_is_known_to_redis(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    ours, theirs = both
    assert sorted(set(ours) - set(theirs)) == []


def test_command_info_matches_redis(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    ours, theirs = both
    problems = [p for name in sorted(ours) if name in theirs for p in _diff(ours[name], theirs[name])]
    assert problems == [], "\n".join(problems)


def test_command_count_and_list_agree(weir_proc: ServerProcess) -> None:
    count = raw_reply(weir_proc.port, "COMMAND", "COUNT")
    listed = raw_reply(weir_proc.port, "COMMAND", "LIST")
    assert count == len([n for n in listed if b"|" not in n])
