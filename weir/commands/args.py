"""Argument parsing helpers shared by every family. They raise CommandError with Redis's text."""

from __future__ import annotations

import math
from typing import Final

from weir.errors import NOT_FLOAT, NOT_INTEGER, CommandError
from weir.resp.reply import Status

LONG_MIN: Final = -(2**63)
LONG_MAX: Final = 2**63 - 1
# Compiled, a comparison with a constant past 62 bits is a slow call: one with this
# settles almost every value first.
_WELL_INSIDE: Final = 1 << 61


def fits_long(value: int) -> bool:
    """True if `value` fits a signed 64-bit integer, as Redis's counters must."""
    return -_WELL_INSIDE < value < _WELL_INSIDE or LONG_MIN <= value <= LONG_MAX


def parse_int(raw: bytes, error: str = NOT_INTEGER) -> int:
    """A signed 64-bit integer written exactly as Redis's string2ll accepts: an
    optional "-", then digits with no leading zero (and no "-0")."""
    size = len(raw)
    if size == 0 or size > 20:
        raise CommandError(error)
    negative = raw[0] == 45  # "-"
    start = 1 if negative else 0
    if start == size or (raw[start] == 48 and (negative or size > 1)):  # "0"
        raise CommandError(error)
    if size - start > 18:
        # Past 62 bits compiled arithmetic boxes every step: leave big ones to int().
        if not raw[start:].isdigit():
            raise CommandError(error)
        value = int(raw)
    else:
        # A digit loop: compiled, it beats slicing, isdigit() and int() fourfold.
        value = 0
        for i in range(start, size):
            digit = raw[i] - 48
            if digit < 0 or digit > 9:
                raise CommandError(error)
            value = value * 10 + digit
        if negative:
            value = -value
    if not fits_long(value):
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
