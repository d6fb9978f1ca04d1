"""Reply values that commands return. Only resp/ knows how they look on the wire.

Plain Python values map directly:
  bytes/str -> bulk string     int -> integer        None -> null
  list/tuple -> array          dict -> map (RESP3) / flat array (RESP2)
  float -> double (RESP3) / bulk string (RESP2)      bool -> boolean / integer
The classes below cover what plain values cannot say.
"""

from __future__ import annotations

from typing import Any


def reply_line(prefix: bytes, text: str) -> bytes:
    """A status or error line; CR and LF become spaces so no text can break the framing."""
    return prefix + text.replace("\r", " ").replace("\n", " ").encode("utf-8", "replace") + b"\r\n"


class Status:
    """A simple string reply, such as +OK."""

    __slots__ = ("line", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        # Encoded once: the same in RESP2 and RESP3, and +OK is the most common reply.
        self.line = reply_line(b"+", text)

    def __repr__(self) -> str:
        return f"Status({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Status) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


class ErrorReply:
    """An error as a value, for places that hold errors among other replies (EXEC)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"ErrorReply({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ErrorReply) and other.message == self.message

    def __hash__(self) -> int:
        return hash(self.message)


class SetReply(list[Any]):
    """A set: `~` in RESP3, a plain array in RESP2."""


class PairsReply(list[Any]):
    """[member, score] pairs: nested arrays in RESP3, one flat array in RESP2 (WITHSCORES)."""


class PushReply(list[Any]):
    """Out-of-band data (pub/sub messages): `>` in RESP3, an array in RESP2."""


class Verbatim:
    """A verbatim string (`=` in RESP3), a bulk string in RESP2."""

    __slots__ = ("fmt", "text")

    def __init__(self, text: bytes, fmt: bytes = b"txt") -> None:
        self.text = text
        self.fmt = fmt


class NullArray:
    """The RESP2 null array (*-1), which RESP3 sends as null."""

    __slots__ = ()


class Double:
    """A double whose RESP2 form is given (INCRBYFLOAT-style formatting differs from %.17g)."""

    __slots__ = ("text", "value")

    def __init__(self, value: float, text: bytes) -> None:
        self.value = value
        self.text = text


class NoReply:
    """The command sends nothing (CLIENT REPLY OFF, a blocked client)."""

    __slots__ = ()


OK = Status("OK")
QUEUED = Status("QUEUED")
PONG = Status("PONG")
NULL_ARRAY = NullArray()
NO_REPLY = NoReply()
