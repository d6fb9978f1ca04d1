"""String commands (t_string.c). A write handler runs only inside apply.

INCRBYFLOAT (and HINCRBYFLOAT) compute in x87 80-bit long double in Redis.
The long double helpers here redo that arithmetic exactly with fractions, so
results print digit for digit as Redis prints them ("%.17Lf", trailing zeros
cut).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any, Final

from weir.commands.args import LONG_MAX, LONG_MIN, fits_long, parse_int
from weir.commands.table import command
from weir.errors import SYNTAX, CommandError, WrongTypeError
from weir.resp.reply import OK
from weir.state.machine import NOTIFY_GENERIC, NOTIFY_STRING, Ctx
from weir.state.types import FloatString, RawString, is_string

# Redis's proto-max-bulk-len default: the largest string a command may build.
STRING_BYTES_MAX = 512 * 1024 * 1024
STRING_TOO_BIG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
NAN_OR_INF = "ERR increment would produce NaN or Infinity"
OVERFLOW = "ERR increment or decrement would overflow"
# Final: compiled, a C static instead of a dict lookup per SET.
_OK: Final = OK


def get_string(ctx: Ctx, key: bytes) -> bytes | None:
    """The string at key (bytes or RawString), None if missing; WRONGTYPE for other types."""
    value = ctx.lookup(key)
    # is_string(), inlined: GET's hot path makes no call to an interpreted module for it.
    if value is not None and type(value) is not bytes and not isinstance(value, RawString):
        raise WrongTypeError()
    return value


def check_string_length(size: int) -> None:
    if size > STRING_BYTES_MAX:
        raise CommandError(STRING_TOO_BIG)


# --- long double arithmetic --------------------------------------------------------

_LD_MANTISSA_BITS = 64
_LD_EXPONENT_MAX = 16384  # values at or above 2**16384 overflow to inf
_LD_EXPONENT_MIN = -16445  # below the smallest subnormal, values round to zero
_LD_CHARS_MAX = 5 * 1024  # MAX_LONG_DOUBLE_CHARS
_DECIMAL = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_HEX = re.compile(rb"[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][+-]?\d+)?")
_INF = re.compile(rb"[+-]?(inf|infinity)", re.IGNORECASE)


def _divide_half_even(numerator: int, denominator: int) -> int:
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient & 1):
        quotient += 1
    return quotient


def round_long_double(value: Fraction) -> Fraction | None:
    """`value` rounded to a 64-bit significand (ties to even); None when it overflows."""
    if value == 0:
        return value
    numerator, denominator = abs(value.numerator), value.denominator
    exponent = numerator.bit_length() - denominator.bit_length()
    if (numerator << max(-exponent, 0)) < (denominator << max(exponent, 0)):
        exponent -= 1
    # Now 2**exponent <= |value| < 2**(exponent+1).
    if exponent >= _LD_EXPONENT_MAX:
        return None
    if exponent < _LD_EXPONENT_MIN:
        return Fraction(0)  # underflow (subnormals are not modelled bit for bit)
    shift = _LD_MANTISSA_BITS - 1 - exponent
    if shift >= 0:
        significand = _divide_half_even(numerator << shift, denominator)
        result = Fraction(significand, 1 << shift)
    else:
        significand = _divide_half_even(numerator, denominator << -shift)
        result = Fraction(significand << -shift)
    if significand >> _LD_MANTISSA_BITS and exponent + 1 >= _LD_EXPONENT_MAX:
        return None
    return -result if value < 0 else result


def parse_long_double(raw: bytes) -> Fraction | float | None:
    """A number as Redis's string2ld (strtold) reads it; inf as float; None if invalid."""
    if not raw or len(raw) >= _LD_CHARS_MAX:
        return None
    if _DECIMAL.fullmatch(raw):
        mantissa, _, exp = raw.lower().partition(b"e")
        zero = mantissa.strip(b"+-.0") == b""
        # Exponents this far out are surely 0 or inf; Fraction would take ages.
        if exp and abs(int(exp)) > 20000:
            return Fraction(0) if zero else None
        value = round_long_double(Fraction(raw.decode()))
        if value is None or (value == 0 and not zero):
            return None  # ERANGE: overflow, or underflow to zero
        return value
    if _HEX.fullmatch(raw):
        try:
            return round_long_double(Fraction(float.fromhex(raw.decode())))
        except OverflowError:
            return None
    if _INF.fullmatch(raw):
        return -math.inf if raw[:1] == b"-" else math.inf
    return None


def add_long_double(base: Fraction | float, increment: Fraction | float) -> Fraction | None:
    """base + increment in long double; None for NaN or infinity."""
    if isinstance(base, float) or isinstance(increment, float):
        return None  # one side is infinite: the sum is inf or NaN
    return round_long_double(base + increment)


def format_long_double(value: Fraction) -> bytes:
    """"%.17Lf" with trailing zeros (and a bare '.') removed, as ld2string's human mode."""
    scaled = _divide_half_even(abs(value.numerator) * 10**17, value.denominator)
    sign = "-" if value < 0 else ""
    digits = str(scaled).rjust(18, "0")
    text = f"{sign}{digits[:-17]}.{digits[-17:]}".rstrip("0").rstrip(".")
    return b"0" if text == "-0" else text.encode()


# --- GET / SET family ------------------------------------------------------------------


@command("get", 2, "readonly fast", 1, 1, 1, "@string")
def get_command(ctx: Ctx, argv: list[bytes]) -> bytes | None:
    return get_string(ctx, argv[1])


def expire_deadline(ctx: Ctx, raw: bytes, unit_ms: int, relative: bool, name: str) -> int:
    """An absolute deadline in ms from SET/GETEX's EX/PX/EXAT/PXAT argument."""
    amount = parse_int(raw)
    error = f"ERR invalid expire time in '{name}' command"
    if amount <= 0 or (unit_ms == 1000 and amount > LONG_MAX // 1000):
        raise CommandError(error)
    deadline = amount * unit_ms + (ctx.now_ms if relative else 0)
    if deadline > LONG_MAX:
        raise CommandError(error)  # Redis sees the sum wrap negative
    return deadline


_EXPIRE_OPTIONS = {b"EX": (1000, True), b"PX": (1, True), b"EXAT": (1000, False), b"PXAT": (1, False)}


ExpireOption = tuple[bytes, bytes]  # (EX|PX|EXAT|PXAT, amount)


def _parse_extended(argv: list[bytes], start: int, for_set: bool) -> tuple[set[bytes], ExpireOption | None]:
    """SET's and GETEX's options, with the conflict rules of parseExtendedStringArgumentsOrReply."""
    flags: set[bytes] = set()
    expire: ExpireOption | None = None
    i = start
    while i < len(argv):
        option = argv[i].upper()
        has_next = i + 1 < len(argv)
        if (
            (for_set and option == b"NX" and b"XX" not in flags)
            or (for_set and option == b"XX" and b"NX" not in flags)
            or (for_set and option == b"GET")
            or (for_set and option == b"KEEPTTL" and expire is None)
            or (not for_set and option == b"PERSIST" and expire is None)
        ):
            flags.add(option)
        elif (
            option in _EXPIRE_OPTIONS and has_next and not flags & {b"KEEPTTL", b"PERSIST"}
            and (expire is None or expire[0] == option)
        ):
            expire = (option, argv[i + 1])
            i += 1
        else:
            raise CommandError(SYNTAX)
        i += 1
    return flags, expire


def _option_deadline(ctx: Ctx, expire: ExpireOption | None, name: str) -> int | None:
    if expire is None:
        return None
    unit_ms, relative = _EXPIRE_OPTIONS[expire[0]]
    return expire_deadline(ctx, expire[1], unit_ms, relative, name)


def _set_generic(
    ctx: Ctx, key: bytes, value: bytes, *, nx: bool = False, xx: bool = False,
    deadline_ms: int | None = None, keep_ttl: bool = False, get: bool = False,
) -> Any:
    old = ctx.lookup(key)
    if get and old is not None and not is_string(old):
        raise WrongTypeError()
    if (nx and old is not None) or (xx and old is None):
        return old if get else None
    ctx.put(key, value, keep_ttl=keep_ttl)
    ctx.notify(NOTIFY_STRING, b"set", key)
    if deadline_ms is not None:
        ctx.db.expires[key] = deadline_ms  # part of the same change: put() signalled it
        ctx.notify(NOTIFY_GENERIC, b"expire", key)
    return old if get else OK


@command("set", -3, "write denyoom", 1, 1, 1, "@string")
def set_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts-ms|KEEPTTL]"""
    if len(argv) == 3:
        ctx.put(argv[1], argv[2])
        ctx.notify(NOTIFY_STRING, b"set", argv[1])
        return _OK
    flags, expire = _parse_extended(argv, 3, True)
    deadline = _option_deadline(ctx, expire, "set")
    return _set_generic(ctx, argv[1], argv[2], nx=b"NX" in flags, xx=b"XX" in flags, deadline_ms=deadline,
                        keep_ttl=b"KEEPTTL" in flags, get=b"GET" in flags)


@command("setnx", 3, "write denyoom fast", 1, 1, 1, "@string")
def setnx_command(ctx: Ctx, argv: list[bytes]) -> int:
    return 0 if _set_generic(ctx, argv[1], argv[2], nx=True) is None else 1


@command("setex", 4, "write denyoom", 1, 1, 1, "@string")
def setex_command(ctx: Ctx, argv: list[bytes]) -> Any:
    deadline = expire_deadline(ctx, argv[2], 1000, True, "setex")
    return _set_generic(ctx, argv[1], argv[3], deadline_ms=deadline)


@command("psetex", 4, "write denyoom", 1, 1, 1, "@string")
def psetex_command(ctx: Ctx, argv: list[bytes]) -> Any:
    deadline = expire_deadline(ctx, argv[2], 1, True, "psetex")
    return _set_generic(ctx, argv[1], argv[3], deadline_ms=deadline)


@command("getset", 3, "write denyoom fast", 1, 1, 1, "@string")
def getset_command(ctx: Ctx, argv: list[bytes]) -> bytes | None:
    old = get_string(ctx, argv[1])
    if old is None:
        ctx.missed(argv[1])
    ctx.put(argv[1], argv[2])
    ctx.notify(NOTIFY_STRING, b"set", argv[1])
    return old


@command("getdel", 2, "write fast", 1, 1, 1, "@string")
def getdel_command(ctx: Ctx, argv: list[bytes]) -> bytes | None:
    old = get_string(ctx, argv[1])
    if old is None:
        ctx.missed(argv[1])
    else:
        ctx.delete(argv[1])
        ctx.notify(NOTIFY_GENERIC, b"del", argv[1])
    return old


@command("getex", -2, "write fast", 1, 1, 1, "@string")
def getex_command(ctx: Ctx, argv: list[bytes]) -> bytes | None:
    """GETEX key [EX s|PX ms|EXAT ts|PXAT ts-ms|PERSIST]"""
    flags, expire = _parse_extended(argv, 2, False)
    value = get_string(ctx, argv[1])
    if value is None:
        ctx.missed(argv[1])
        return None
    deadline = _option_deadline(ctx, expire, "getex")
    if deadline is not None:
        if deadline <= ctx.now_ms:
            ctx.delete(argv[1])
            ctx.notify(NOTIFY_GENERIC, b"del", argv[1])
        else:
            ctx.set_expire(argv[1], deadline)
            ctx.notify(NOTIFY_GENERIC, b"expire", argv[1])
    elif b"PERSIST" in flags and ctx.db.expires.pop(argv[1], None) is not None:
        ctx.modified(argv[1])
        ctx.notify(NOTIFY_GENERIC, b"persist", argv[1])
    return value


@command("mget", -2, "readonly fast", 1, -1, 1, "@string")
def mget_command(ctx: Ctx, argv: list[bytes]) -> list[bytes | None]:
    out: list[bytes | None] = []
    ctx.prefetch(argv, 1, 1)
    for key in argv[1:]:
        value = ctx.lookup(key)
        out.append(value if type(value) is bytes or isinstance(value, RawString) else None)
    return out


def _pairs_or_error(argv: list[bytes], name: str) -> None:
    if len(argv) % 2 == 0:
        raise CommandError(f"ERR wrong number of arguments for '{name}' command")


@command("mset", -3, "write denyoom", 1, -1, 2, "@string")
def mset_command(ctx: Ctx, argv: list[bytes]) -> Any:
    _pairs_or_error(argv, "mset")
    ctx.prefetch(argv, 1, 2)
    for i in range(1, len(argv), 2):
        ctx.put(argv[i], argv[i + 1])
        ctx.notify(NOTIFY_STRING, b"set", argv[i])
    return OK


@command("msetnx", -3, "write denyoom", 1, -1, 2, "@string")
def msetnx_command(ctx: Ctx, argv: list[bytes]) -> int:
    _pairs_or_error(argv, "msetnx")
    ctx.prefetch(argv, 1, 2)
    if any(ctx.lookup(argv[i]) is not None for i in range(1, len(argv), 2)):
        return 0
    for i in range(1, len(argv), 2):
        ctx.put(argv[i], argv[i + 1])
        ctx.notify(NOTIFY_STRING, b"set", argv[i])
    return 1


@command("append", 3, "write denyoom fast", 1, 1, 1, "@string")
def append_command(ctx: Ctx, argv: list[bytes]) -> int:
    old = get_string(ctx, argv[1])
    if old is None:
        ctx.put(argv[1], argv[2])
        ctx.notify(NOTIFY_STRING, b"append", argv[1])
        return len(argv[2])
    check_string_length(len(old) + len(argv[2]))
    value = RawString(old + argv[2])
    ctx.put(argv[1], value, keep_ttl=True)
    ctx.notify(NOTIFY_STRING, b"append", argv[1])
    return len(value)


@command("strlen", 2, "readonly fast", 1, 1, 1, "@string")
def strlen_command(ctx: Ctx, argv: list[bytes]) -> int:
    value = get_string(ctx, argv[1])
    return 0 if value is None else len(value)


# --- counters ----------------------------------------------------------------------------


def _incr_generic(ctx: Ctx, key: bytes, increment: int) -> int:
    old = get_string(ctx, key)
    current = 0 if old is None else parse_int(old)
    result = current + increment
    if not fits_long(result):
        raise CommandError(OVERFLOW)
    ctx.put(key, b"%d" % result, keep_ttl=True)
    ctx.notify(NOTIFY_STRING, b"incrby", key)
    return result


@command("incr", 2, "write denyoom fast", 1, 1, 1, "@string")
def incr_command(ctx: Ctx, argv: list[bytes]) -> int:
    return _incr_generic(ctx, argv[1], 1)


@command("decr", 2, "write denyoom fast", 1, 1, 1, "@string")
def decr_command(ctx: Ctx, argv: list[bytes]) -> int:
    return _incr_generic(ctx, argv[1], -1)


@command("incrby", 3, "write denyoom fast", 1, 1, 1, "@string")
def incrby_command(ctx: Ctx, argv: list[bytes]) -> int:
    return _incr_generic(ctx, argv[1], parse_int(argv[2]))


@command("decrby", 3, "write denyoom fast", 1, 1, 1, "@string")
def decrby_command(ctx: Ctx, argv: list[bytes]) -> int:
    decrement = parse_int(argv[2])
    if decrement == LONG_MIN:
        raise CommandError("ERR decrement would overflow")
    return _incr_generic(ctx, argv[1], -decrement)


@command("incrbyfloat", 3, "write denyoom fast", 1, 1, 1, "@string")
def incrbyfloat_command(ctx: Ctx, argv: list[bytes]) -> bytes:
    old = get_string(ctx, argv[1])
    base = Fraction(0) if old is None else parse_long_double(old)
    increment = parse_long_double(argv[2])
    if base is None or increment is None:
        raise CommandError("ERR value is not a valid float")
    result = add_long_double(base, increment)
    if result is None:
        raise CommandError(NAN_OR_INF)
    text = format_long_double(result)
    ctx.put(argv[1], FloatString(text), keep_ttl=True)
    ctx.notify(NOTIFY_STRING, b"incrbyfloat", argv[1])
    return text


# --- ranges ------------------------------------------------------------------------------


def _getrange(ctx: Ctx, argv: list[bytes]) -> bytes:
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    value = get_string(ctx, argv[1])
    if value is None:
        return b""
    length = len(value)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start = max(length + start, 0)
    if end < 0:
        end = max(length + end, 0)
    end = min(end, length - 1)
    if start > end or length == 0:
        return b""
    return value[start : end + 1]


@command("getrange", 4, "readonly", 1, 1, 1, "@string")
def getrange_command(ctx: Ctx, argv: list[bytes]) -> bytes:
    return _getrange(ctx, argv)


@command("substr", 4, "readonly", 1, 1, 1, "@string")
def substr_command(ctx: Ctx, argv: list[bytes]) -> bytes:
    return _getrange(ctx, argv)


@command("setrange", 4, "write denyoom", 1, 1, 1, "@string")
def setrange_command(ctx: Ctx, argv: list[bytes]) -> int:
    offset = parse_int(argv[2])
    patch = argv[3]
    if offset < 0:
        raise CommandError("ERR offset is out of range")
    old = get_string(ctx, argv[1])
    if not patch:
        return 0 if old is None else len(old)
    check_string_length(offset + len(patch))
    base = old or b""
    if len(base) < offset:
        base += bytes(offset - len(base))
    value = RawString(base[:offset] + patch + base[offset + len(patch) :])
    ctx.put(argv[1], value, keep_ttl=True)
    ctx.notify(NOTIFY_STRING, b"setrange", argv[1])
    return len(value)


# --- LCS ---------------------------------------------------------------------------------


@command("lcs", -3, "readonly", 1, 2, 1, "@string")
def lcs_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]"""
    first, second = ctx.lookup(argv[1]), ctx.lookup(argv[2])
    if (first is not None and not is_string(first)) or (second is not None and not is_string(second)):
        raise CommandError("ERR The specified keys must contain string values")
    a: bytes = first or b""
    b: bytes = second or b""
    get_len = get_idx = with_match_len = False
    min_match_len = 0
    i = 3
    while i < len(argv):
        option = argv[i].upper()
        if option == b"IDX":
            get_idx = True
        elif option == b"LEN":
            get_len = True
        elif option == b"WITHMATCHLEN":
            with_match_len = True
        elif option == b"MINMATCHLEN" and i + 1 < len(argv):
            min_match_len = max(parse_int(argv[i + 1]), 0)
            i += 1
        else:
            raise CommandError(SYNTAX)
        i += 1
    if get_idx and get_len:
        raise CommandError("ERR If you want both the length and indexes, please just use IDX.")
    if (len(a) + 1) * (len(b) + 1) * 4 > STRING_BYTES_MAX:
        raise CommandError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    table = _LcsRows(a, b)
    total = table.length(len(a), len(b))
    if get_len:
        return total
    # Walk back from the end, as Redis does, so ranges come out in its order.
    result = bytearray(total)
    matches: list[list[Any]] = []
    idx = total
    i, j = len(a), len(b)
    a_start = a_end = b_start = b_end = -1
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result[idx - 1] = a[i - 1]
            if a_start == -1:
                a_start = a_end = i - 1
                b_start = b_end = j - 1
            elif a_start == i and b_start == j:
                a_start -= 1
                b_start -= 1
            else:
                emit = True
            if a_start == 0 or b_start == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if table.length(i - 1, j) > table.length(i, j - 1):
                i -= 1
            else:
                j -= 1
            if a_start != -1:
                emit = True
        if emit:
            match_len = a_end - a_start + 1
            if min_match_len == 0 or match_len >= min_match_len:
                match: list[Any] = [[a_start, a_end], [b_start, b_end]]
                if with_match_len:
                    match.append(match_len)
                matches.append(match)
            a_start = -1
    if get_idx:
        return {b"matches": matches, b"len": total}
    return bytes(result)


class _LcsRows:
    """LCS lengths of every prefix pair, one bit vector per row (Allison-Dix / Hyyro).

    Row i is a bit vector over b whose zero bits below j count LCS(a[:i], b[:j]),
    so the table takes len(a) * len(b) bits and builds in len(a) big-integer steps.
    """

    __slots__ = ("rows",)

    def __init__(self, a: bytes, b: bytes) -> None:
        full = (1 << len(b)) - 1
        matches: dict[int, int] = {}
        for j, byte in enumerate(b):
            matches[byte] = matches.get(byte, 0) | (1 << j)
        row = full
        self.rows = [row]
        for byte in a:
            hit = row & matches.get(byte, 0)
            row = ((row + hit) | (row - hit)) & full
            self.rows.append(row)

    def length(self, i: int, j: int) -> int:
        return j - (self.rows[i] & ((1 << j) - 1)).bit_count()
