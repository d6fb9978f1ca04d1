"""The value types a key can hold, and what each knows about itself.

Each type registers: its TYPE name, how it is dumped to and loaded from
msgpack-able data (for snapshots and the digest), and its OBJECT ENCODING.
Strings are `bytes` (or `RawString`) and hashes are `Hash` (a dict); the
collection types register themselves from their own modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from weir.errors import WrongTypeError


@dataclass(frozen=True, slots=True)
class ValueType:
    name: str  # what TYPE answers
    tag: int  # stable id in snapshots; never reuse a number
    dump: Callable[[Any], Any]
    load: Callable[[Any], Any]
    encoding: Callable[[Any, EncodingLimits], str]


@dataclass(slots=True)
class EncodingLimits:
    """Redis's size thresholds for compact encodings (CONFIG SET can change them)."""

    hash_max_listpack_entries: int = 512
    hash_max_listpack_value: int = 64
    set_max_intset_entries: int = 512
    set_max_listpack_entries: int = 128
    set_max_listpack_value: int = 64
    zset_max_listpack_entries: int = 128
    zset_max_listpack_value: int = 64
    list_max_listpack_size: int = -2


BY_CLASS: dict[type, ValueType] = {}
BY_TAG: dict[int, ValueType] = {}


def register(cls: type, value_type: ValueType) -> None:
    assert value_type.tag not in BY_TAG, f"value type tag {value_type.tag} registered twice"
    BY_CLASS[cls] = value_type
    BY_TAG[value_type.tag] = value_type


def type_of(value: Any) -> ValueType:
    return BY_CLASS[type(value)]


def check_type(value: Any, cls: type) -> Any:
    """The value if it is of `cls` (or None); WRONGTYPE otherwise."""
    if value is not None and type(value) is not cls:
        raise WrongTypeError()
    return value


# --- strings -------------------------------------------------------------------

_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


def string_encoding(value: bytes, limits: EncodingLimits) -> str:
    if len(value) <= 20:
        try:
            number = int(value)
        except ValueError:
            pass
        else:
            if _LONG_MIN <= number <= _LONG_MAX and str(number).encode() == value:
                return "int"
    return "embstr" if len(value) <= 44 else "raw"


register(bytes, ValueType("string", 0, bytes, bytes, string_encoding))


class RawString(bytes):
    """A string Redis holds raw-encoded whatever its bytes: what APPEND, SETRANGE, SETBIT,
    BITFIELD and BITOP leave, since they write into an unshared sds (t_string.c
    dbUnshareStringValue) that no later command turns back into an int or embstr. SET,
    INCR and the rest store plain bytes again. A snapshot stores it as any string and
    loads it as plain bytes, as Redis's RDB load re-encodes strings."""

    __slots__ = ()


class FloatString(RawString):
    """INCRBYFLOAT's result: Redis builds it with createStringObject, never as an integer,
    so it reports embstr up to 44 bytes and raw beyond, whatever its digits."""

    __slots__ = ()


def is_string(value: Any) -> bool:
    return type(value) is bytes or isinstance(value, RawString)


def _raw_encoding(value: RawString, limits: EncodingLimits) -> str:
    return "raw"


def _float_encoding(value: FloatString, limits: EncodingLimits) -> str:
    return "embstr" if len(value) <= 44 else "raw"


# Same name and tag as bytes (TYPE, snapshots, digests alike); only their encodings differ.
BY_CLASS[RawString] = ValueType("string", 0, bytes, RawString, _raw_encoding)
BY_CLASS[FloatString] = ValueType("string", 0, bytes, FloatString, _float_encoding)


# --- hashes --------------------------------------------------------------------


class Hash(dict[bytes, bytes]):
    """A hash. `big` sticks once the hash outgrows listpack, as in Redis."""

    __slots__ = ("big",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.big = False


def hash_encoding(value: Hash, limits: EncodingLimits) -> str:
    if not value.big and (
        len(value) > limits.hash_max_listpack_entries
        or any(
            len(k) > limits.hash_max_listpack_value or len(v) > limits.hash_max_listpack_value
            for k, v in value.items()
        )
    ):
        value.big = True
    return "hashtable" if value.big else "listpack"


def _dump_hash(value: Hash) -> Any:
    return [value.big, list(value.items())]


def _load_hash(data: Any) -> Hash:
    big, items = data
    value = Hash(items)
    value.big = big
    return value


register(Hash, ValueType("hash", 1, _dump_hash, _load_hash, hash_encoding))


# The collection types register themselves; importing them here makes the registry complete.
from weir.state import lists, sets, zset  # noqa: E402, F401
