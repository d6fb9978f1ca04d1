"""The error hierarchy. Each error names the side at fault."""

from __future__ import annotations


class WeirError(Exception):
    """Base of every error weir raises on purpose."""


class RemoteProtocolError(WeirError):
    """The peer broke the wire protocol; the connection must close after the reply."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CommandError(WeirError):
    """A command failed; `message` is the exact text of the Redis error reply."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WrongTypeError(CommandError):
    def __init__(self) -> None:
        super().__init__("WRONGTYPE Operation against a key holding the wrong kind of value")


class NotLeaderError(WeirError):
    def __init__(self, leader_hint: str | None) -> None:
        super().__init__(f"not the leader (leader: {leader_hint or 'unknown'})")
        self.leader_hint = leader_hint


class ProposalDroppedError(WeirError):
    """A proposal was not committed (leadership lost, log full, shutting down)."""


class ConfigError(WeirError):
    """A setting is invalid; the message names it."""


# Errors built once, as Redis does with its shared objects.
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
NO_SUCH_KEY = "ERR no such key"
OUT_OF_RANGE = "ERR index out of range"
DB_INDEX = "ERR DB index is out of range"


def wrong_arity(name: str) -> CommandError:
    return CommandError(f"ERR wrong number of arguments for '{name}' command")
