"""Side-by-side comparison of weir and a real redis-server through redis-py."""

from __future__ import annotations

from typing import Any

import redis

Command = tuple[Any, ...]


def outcome(client: redis.Redis, *args: Any) -> Any:
    """A reply, or the error's type and text, so errors compare like replies."""
    try:
        return client.execute_command(*args)
    except redis.ResponseError as exc:
        return (type(exc).__name__, str(exc))


def assert_same(r: redis.Redis, real: redis.Redis, commands: list[Command]) -> None:
    """Run the commands in order on both servers; every reply must be identical."""
    for command in commands:
        assert outcome(r, *command) == outcome(real, *command), command
