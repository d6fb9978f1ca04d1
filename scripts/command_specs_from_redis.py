"""Writes weir/commands/command_specs.json: Redis 7.0's tips and key specs for every
command weir has.

Tips (COMMAND INFO's eighth field) tell clients how to route and merge a command
(`request_policy:all_shards`, `nondeterministic_output` ...). Key specs (the ninth) describe where a command's keys are and what it
does to each (RO/RW, access/update/insert/delete, not_key ...). They are data from
Redis's command table (src/commands/*.json, BSD-3-Clause), so weir takes them from a
real redis-server 7.0 instead of restating them by hand:

    python scripts/key_specs_from_redis.py      # needs redis-server 7.0 installed

Run it again when weir gains commands; tests/compat/test_command_info.py fails on a
command whose tips or specs are missing or differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from tests.servers import redis_server  # noqa: E402
from weir import commands  # noqa: E402
from weir.commands.introspection import top_level  # noqa: E402

OUT = ROOT / "weir" / "commands" / "command_specs.json"


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def _pairs(flat: list[Any]) -> dict[str, Any]:
    """A RESP2 map (a flat array of field, value) in its order: RESP3 sets and maps may
    come back unordered from a client library, and the order is part of the reply."""
    return {_text(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}


def _spec(raw: list[Any]) -> dict[str, Any]:
    """One key spec, in Redis's field order, as JSON."""
    out: dict[str, Any] = {}
    for name, value in _pairs(raw).items():
        if name == "flags":
            out[name] = [_text(f) for f in value]
        elif name in ("begin_search", "find_keys"):
            search = _pairs(value)
            out[name] = {"type": _text(search["type"]), "spec": {k: _text(v) for k, v in _pairs(search["spec"]).items()}}
        else:
            out[name] = _text(value)
    return out


def main() -> None:
    commands.load_all()
    names = []
    for spec in top_level():
        names.append(spec.full_name)
        names.extend(sub.full_name for sub in spec.subcommands.values())
    table: dict[str, dict[str, Any]] = {}
    with redis_server() as server:
        conn = redis.Connection(port=server.port, protocol=2)  # no client-side reply parsing
        conn.connect()
        conn.send_command("COMMAND", "INFO", *names)
        for entry in conn.read_response():
            for info in [entry, *entry[9]] if entry is not None else []:
                table[_text(info[0])] = {"tips": [_text(t) for t in info[7]], "key_specs": [_spec(s) for s in info[8]]}
        conn.disconnect()
    lines = [f"{json.dumps(name)}:{json.dumps(info, separators=(',', ':'))}" for name, info in sorted(table.items())]
    OUT.write_text("{\n" + ",\n".join(lines) + "\n}\n")  # a command per line: diffs stay readable
    print(f"{OUT.relative_to(ROOT)}: tips and key specs of {len(table)} commands")


if __name__ == "__main__":
    main()
