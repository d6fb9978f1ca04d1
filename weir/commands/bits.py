"""Bit operations on strings (bitops.c): SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from weir.commands.args import parse_int
from weir.commands.strings import STRING_BYTES_MAX, get_string
from weir.commands.table import command
from weir.errors import SYNTAX, CommandError
from weir.state.machine import NOTIFY_GENERIC, NOTIFY_STRING, Ctx
from weir.state.types import RawString

BIT_OFFSET_ERROR = "ERR bit offset is not an integer or out of range"
BITFIELD_TYPE_ERROR = (
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)
# Counting set bits per byte value, for BITCOUNT's edge masks.
_POPCOUNT = bytes(bin(i).count("1") for i in range(256))


def _bit_offset(raw: bytes, hash_allowed: bool = False, bits: int = 0) -> int:
    """A bit offset (BITFIELD also takes "#n", meaning n * bits); limited to 512MB of bytes."""
    use_hash = hash_allowed and raw[:1] == b"#"
    offset = parse_int(raw[1:] if use_hash else raw, BIT_OFFSET_ERROR)
    if use_hash:
        offset *= bits
    if offset < 0 or (offset >> 3) >= STRING_BYTES_MAX:
        raise CommandError(BIT_OFFSET_ERROR)
    return offset


def _unshare(ctx: Ctx, key: bytes, value: bytes) -> None:
    """Store `value` at key as a raw-encoded string without signalling a change, as
    lookupStringForBitCommand leaves a string a write did not alter."""
    if type(value) is not RawString:
        ctx.store(key, RawString(value), keep_ttl=True)


def _grown(ctx: Ctx, key: bytes, byte_count: int) -> bytes:
    """The string at key padded with zero bytes to at least byte_count bytes."""
    value = get_string(ctx, key) or b""
    if len(value) < byte_count:
        value += bytes(byte_count - len(value))
    return value


def _source(ctx: Ctx, key: bytes) -> bytes:
    value = get_string(ctx, key)
    if value is None:
        ctx.missed(key)
    return value or b""


@command("setbit", 4, "write denyoom", 1, 1, 1, "@bitmap")
def setbit_command(ctx: Ctx, argv: list[bytes]) -> int:
    offset = _bit_offset(argv[2])
    error = "ERR bit is not an integer or out of range"
    on = parse_int(argv[3], error)
    if on not in (0, 1):
        raise CommandError(error)
    current = get_string(ctx, argv[1])
    exists = current is not None
    byte, mask = offset >> 3, 1 << (7 - (offset & 7))
    if current is not None and byte < len(current) and bool(current[byte] & mask) == on:
        # bitops.c setbitCommand: a bit already so, in a string that need not grow, is
        # no write (no WATCH touched, no change counted); the string is unshared all the
        # same, so it is raw-encoded from now on.
        _unshare(ctx, argv[1], current)
        return on
    value = bytearray(_grown(ctx, argv[1], byte + 1))
    old = 1 if value[byte] & mask else 0
    if on:
        value[byte] |= mask
    else:
        value[byte] &= ~mask
    ctx.put(argv[1], RawString(value), keep_ttl=exists)
    ctx.notify(NOTIFY_STRING, b"setbit", argv[1])  # only a change gets here
    return old


@command("getbit", 3, "readonly fast", 1, 1, 1, "@bitmap")
def getbit_command(ctx: Ctx, argv: list[bytes]) -> int:
    offset = _bit_offset(argv[2])
    value = get_string(ctx, argv[1])
    byte = offset >> 3
    if value is None or byte >= len(value):
        return 0
    return 1 if value[byte] & (1 << (7 - (offset & 7))) else 0


def _range_unit(raw: bytes) -> bool:
    """True for BIT, False for BYTE."""
    unit = raw.upper()
    if unit == b"BIT":
        return True
    if unit == b"BYTE":
        return False
    raise CommandError(SYNTAX)


def _clamp(start: int, end: int, total: int) -> tuple[int, int]:
    if start < 0:
        start = max(total + start, 0)
    if end < 0:
        end = max(total + end, 0)
    return start, min(end, total - 1)


@command("bitcount", -2, "readonly", 1, 1, 1, "@bitmap")
def bitcount_command(ctx: Ctx, argv: list[bytes]) -> int:
    """BITCOUNT key [start end [BYTE|BIT]]"""
    value = get_string(ctx, argv[1])
    if value is None:
        return 0
    if len(argv) == 2:
        return int.from_bytes(value, "big").bit_count()
    if len(argv) not in (4, 5):
        raise CommandError(SYNTAX)
    start, end = parse_int(argv[2]), parse_int(argv[3])
    is_bit = len(argv) == 5 and _range_unit(argv[4])
    total = len(value) * 8 if is_bit else len(value)
    if start < 0 and end < 0 and start > end:
        return 0
    start, end = _clamp(start, end, total)
    if start > end:
        return 0
    if not is_bit:
        return int.from_bytes(value[start : end + 1], "big").bit_count()
    first, last = start >> 3, end >> 3
    count = int.from_bytes(value[first : last + 1], "big").bit_count()
    # Drop the bits before start in the first byte and after end in the last.
    count -= _POPCOUNT[value[first] & ~((1 << (8 - (start & 7))) - 1) & 0xFF]
    count -= _POPCOUNT[value[last] & ((1 << (7 - (end & 7))) - 1)]
    return count


@command("bitpos", -3, "readonly", 1, 1, 1, "@bitmap")
def bitpos_command(ctx: Ctx, argv: list[bytes]) -> int:
    """BITPOS key bit [start [end [BYTE|BIT]]]"""
    bit = parse_int(argv[2])
    if bit not in (0, 1):
        raise CommandError("ERR The bit argument must be 1 or 0.")
    value = get_string(ctx, argv[1])
    if value is None:
        return -1 if bit else 0
    if len(argv) > 6:
        raise CommandError(SYNTAX)
    end_given = len(argv) >= 5
    is_bit = False
    if len(argv) == 3:
        start, end = 0, len(value) - 1
    else:
        start = parse_int(argv[3])
        if len(argv) == 6:
            is_bit = _range_unit(argv[5])
        total = len(value) * 8 if is_bit else len(value)
        end = parse_int(argv[4]) if end_given else total - 1
        start, end = _clamp(start, end, total)
    if start > end:
        return -1
    if is_bit:
        first_bit, last_bit = start, end
    else:
        first_bit, last_bit = start * 8, end * 8 + 7
    segment = value[first_bit >> 3 : (last_bit >> 3) + 1]
    width = len(segment) * 8
    number = int.from_bytes(segment, "big")
    # Bits of the segment outside [first_bit, last_bit] must not match.
    lead, trail = first_bit & 7, 7 - (last_bit & 7)
    inside = ((1 << (width - lead)) - 1) & ~((1 << trail) - 1)
    target = number & inside if bit else ~number & inside
    if target:
        return (first_bit - lead) + width - target.bit_length()
    if bit == 0 and not end_given:
        # Redis treats the string as padded with zeros on the right.
        return last_bit + 1
    return -1


@command("bitop", -4, "write denyoom", 2, -1, 1, "@bitmap")
def bitop_command(ctx: Ctx, argv: list[bytes]) -> int:
    """BITOP AND|OR|XOR|NOT destkey key [key ...]"""
    op = argv[1].upper()
    if op not in (b"AND", b"OR", b"XOR", b"NOT"):
        raise CommandError(SYNTAX)
    if op == b"NOT" and len(argv) != 4:
        raise CommandError("ERR BITOP NOT must be called with a single source key.")
    sources = [_source(ctx, key) for key in argv[3:]]
    size = max(len(source) for source in sources)
    if size == 0:
        if ctx.delete(argv[2]):
            ctx.notify(NOTIFY_GENERIC, b"del", argv[2])
        return 0
    numbers = [int.from_bytes(source.ljust(size, b"\0"), "big") for source in sources]
    result = numbers[0]
    if op == b"NOT":
        result = ~result & ((1 << (size * 8)) - 1)
    for number in numbers[1:]:
        if op == b"AND":
            result &= number
        elif op == b"OR":
            result |= number
        else:
            result ^= number
    ctx.put(argv[2], RawString(result.to_bytes(size, "big")))
    ctx.notify(NOTIFY_STRING, b"set", argv[2])
    return size


# --- BITFIELD ----------------------------------------------------------------------------


@dataclass(slots=True)
class _FieldOp:
    op: bytes  # GET, SET or INCRBY
    signed: bool
    bits: int
    offset: int
    value: int
    overflow: bytes  # WRAP, SAT or FAIL


def _field_type(raw: bytes) -> tuple[bool, int]:
    if raw[:1] not in (b"i", b"u"):
        raise CommandError(BITFIELD_TYPE_ERROR)
    signed = raw[:1] == b"i"
    bits = parse_int(raw[1:], BITFIELD_TYPE_ERROR)
    if bits < 1 or bits > (64 if signed else 63):
        raise CommandError(BITFIELD_TYPE_ERROR)
    return signed, bits


def _parse_field_ops(argv: list[bytes]) -> list[_FieldOp]:
    ops: list[_FieldOp] = []
    overflow = b"WRAP"
    i = 2
    while i < len(argv):
        remaining = len(argv) - i - 1
        name = argv[i].upper()
        if name == b"OVERFLOW" and remaining >= 1:
            overflow = argv[i + 1].upper()
            if overflow not in (b"WRAP", b"SAT", b"FAIL"):
                raise CommandError("ERR Invalid OVERFLOW type specified")
            i += 2
            continue
        if not ((name == b"GET" and remaining >= 2) or (name in (b"SET", b"INCRBY") and remaining >= 3)):
            raise CommandError(SYNTAX)
        signed, bits = _field_type(argv[i + 1])
        offset = _bit_offset(argv[i + 2], True, bits)
        value = 0
        if name != b"GET":
            value = parse_int(argv[i + 3])
        ops.append(_FieldOp(name, signed, bits, offset, value, overflow))
        i += 3 if name == b"GET" else 4
    return ops


def _read_field(data: bytes | bytearray, offset: int, bits: int, signed: bool) -> int:
    first, last = offset >> 3, (offset + bits - 1) >> 3
    chunk = bytes(data[first : last + 1]).ljust(last - first + 1, b"\0")
    shift = (last - first + 1) * 8 - (offset & 7) - bits
    number = (int.from_bytes(chunk, "big") >> shift) & ((1 << bits) - 1)
    if signed and number >> (bits - 1):
        number -= 1 << bits
    return number


def _write_field(data: bytearray, offset: int, bits: int, number: int) -> None:
    first, last = offset >> 3, (offset + bits - 1) >> 3
    width = (last - first + 1) * 8
    shift = width - (offset & 7) - bits
    mask = ((1 << bits) - 1) << shift
    current = int.from_bytes(data[first : last + 1], "big")
    current = (current & ~mask) | ((number << shift) & mask)
    data[first : last + 1] = current.to_bytes(width // 8, "big")


def _fit(op: _FieldOp, number: int) -> int | None:
    """number fitted to the field under its overflow policy; None when FAIL refuses it."""
    if op.signed:
        low, high = -(1 << (op.bits - 1)), (1 << (op.bits - 1)) - 1
    else:
        low, high = 0, (1 << op.bits) - 1
    if low <= number <= high:
        return number
    if op.overflow == b"FAIL":
        return None
    if op.overflow == b"SAT":
        return high if number > high else low
    wrapped = number & ((1 << op.bits) - 1)
    if op.signed and wrapped >> (op.bits - 1):
        wrapped -= 1 << op.bits
    return wrapped


def _bitfield(ctx: Ctx, argv: list[bytes], read_only: bool) -> list[int | None]:
    ops = _parse_field_ops(argv)
    writes = [op for op in ops if op.op != b"GET"]
    if not writes:
        data: bytes | bytearray = get_string(ctx, argv[1]) or b""
        exists = grown = False
    else:
        if read_only:
            raise CommandError("ERR BITFIELD_RO only supports the GET subcommand")
        current = get_string(ctx, argv[1])
        exists = current is not None
        highest = max(op.offset + op.bits - 1 for op in writes)
        data = bytearray(_grown(ctx, argv[1], (highest >> 3) + 1))
        # bitops.c bitfieldGeneric: a key created or grown makes every write a change;
        # otherwise only a write that alters its field counts.
        grown = current is None or len(current) < len(data)
    changes = 0
    out: list[int | None] = []
    for op in ops:
        old = _read_field(data, op.offset, op.bits, op.signed)
        if op.op == b"GET":
            out.append(old)
            continue
        if op.op == b"SET":
            # Redis reads an unsigned SET value as the 64-bit pattern of the integer given.
            wanted = op.value if op.signed else op.value & ((1 << 64) - 1)
        else:
            wanted = old + op.value
        fitted = _fit(op, wanted)
        if fitted is None:
            out.append(None)
            continue
        assert isinstance(data, bytearray)
        _write_field(data, op.offset, op.bits, fitted)
        if grown or fitted != old:
            changes += 1
        out.append(old if op.op == b"SET" else fitted)
    if changes:
        ctx.put(argv[1], RawString(data), keep_ttl=exists)
        ctx.machine.dirty += changes - 1
        ctx.notify(NOTIFY_STRING, b"setbit", argv[1])
    elif writes:
        # No field changed: Redis has still made room and unshared the string, quietly.
        _unshare(ctx, argv[1], bytes(data))
    return out


@command("bitfield", -2, "write denyoom", 1, 1, 1, "@bitmap")
def bitfield_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset incr] [OVERFLOW WRAP|SAT|FAIL]"""
    return _bitfield(ctx, argv, read_only=False)


@command("bitfield_ro", -2, "readonly fast", 1, 1, 1, "@bitmap")
def bitfield_ro_command(ctx: Ctx, argv: list[bytes]) -> Any:
    return _bitfield(ctx, argv, read_only=True)
