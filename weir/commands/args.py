"""Argument parsing helpers shared by every family. They raise CommandError with Redis's text."""

from __future__ import annotations

import math
from typing import Final

from weir.errors import NOT_FLOAT, NOT_INTEGER, CommandError
from weir.resp.reply import Status

LONG_MIN: Final = -(2**63)
LONG_MAX: Final = 2**63 - 1


def parse_int(raw: bytes, error: str = NOT_INTEGER) -> int:
    """A signed 64-bit integer written exactly as Redis's string2ll accepts."""
    if not raw or len(raw) > 20:
        raise CommandError(error)
    body = raw[1:] if raw[:1] == b"-" else raw
    if not body.isdigit() or (body[:1] == b"0" and len(body) > 1) or (raw == b"-0"):
        raise CommandError(error)
    value = int(raw)
    if not LONG_MIN <= value <= LONG_MAX:
        raise CommandError(error)
    return value


def parse_float(raw: bytes, error: str = NOT_FLOAT) -> float:
    """A double as Redis's strtod-based parsing accepts it (inf allowed, NaN not)."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise CommandError(error) from None
    if not text or text != text.strip() or "_" in text:
        raise CommandError(error)
    try:
        value = float(text)
    except ValueError:
        raise CommandError(error) from None
    if math.isnan(value):
        raise CommandError(error)
    return value


def parse_timeout(raw: bytes, unit_ms: int = 1000) -> float:
    """A blocking timeout in seconds (decimals allowed); returns seconds, 0 = forever."""
    try:
        value = float(raw)
    except ValueError:
        raise CommandError("ERR timeout is not a float or out of range") from None
    if math.isnan(value) or math.isinf(value):
        raise CommandError("ERR timeout is not a float or out of range")
    if value < 0:
        raise CommandError("ERR timeout is negative")
    return value


def help_reply(lines: list[str]) -> list[Status]:
    """A HELP subcommand's reply: one simple string per line, as Redis sends it."""
    return [Status(line) for line in lines]


def lower(raw: bytes) -> bytes:
    return raw.lower()


def wrong_args(name: str) -> CommandError:
    return CommandError(f"ERR wrong number of arguments for '{name}' command")
