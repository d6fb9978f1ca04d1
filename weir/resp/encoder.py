"""Encode reply values as RESP2 or RESP3 bytes. The one place that knows the difference."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

from weir.resp.reply import (
    Double,
    ErrorReply,
    NoReply,
    NullArray,
    PairsReply,
    PushReply,
    SetReply,
    Status,
    Verbatim,
    reply_line,
)

try:
    from weir.resp._cwriter import bulk_array as _c_bulk_array
except ImportError:  # not built, or the build is stale (weir._compiled): the Python loop below
    _c_bulk_array = None  # type: ignore[assignment]

# Final: compiled, a C static instead of a dict lookup per reply.
_STATUS: Final = Status
_NULL2: Final = b"$-1\r\n"
_NULL3: Final = b"_\r\n"
_CRLF = b"\r\n"
_SMALL_INTS: Final = [b":%d\r\n" % i for i in range(-1, 1025)]
_BULK_HEADS = [b"$%d\r\n" % n for n in range(1024)]


def format_double(value: float) -> bytes:
    """Redis 7.0 prints doubles with %.17g, and infinities as inf / -inf."""
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    return b"%.17g" % value


def _error_line(message: str) -> bytes:
    return reply_line(b"-", message)


class Encoder:
    """Turns a reply value into bytes for one protocol version (2 or 3)."""

    __slots__ = ("_dispatch", "proto")

    def __init__(self, proto: int = 2) -> None:
        self.proto = proto
        self._dispatch: dict[type, Callable[[Any, list[bytes]], None]] = {
            bytes: self._bulk,
            bytearray: self._bulk,
            memoryview: self._bulk,
            str: self._str,
            int: self._int,
            bool: self._bool,
            float: self._float,
            type(None): self._null,
            list: self._array,
            tuple: self._array,
            dict: self._map,
            Status: self._status,
            ErrorReply: self._error,
            SetReply: self._set,
            PairsReply: self._pairs,
            PushReply: self._push,
            Verbatim: self._verbatim,
            NullArray: self._null_array,
            Double: self._double,
            NoReply: self._nothing,
        }

    def encode(self, value: Any) -> bytes:
        # Fast paths for the replies that dominate real traffic.
        kind = type(value)
        if kind is bytes:
            return b"$%d\r\n%b\r\n" % (len(value), value)
        if kind is _STATUS:
            return value.line
        if kind is int:
            return _SMALL_INTS[value + 1] if -1 <= value <= 1023 else b":%d\r\n" % value
        if value is None:
            return _NULL3 if self.proto == 3 else _NULL2
        out: list[bytes] = []
        self._write(value, out)
        return b"".join(out)

    def _write(self, value: Any, out: list[bytes]) -> None:
        try:
            handler = self._dispatch[type(value)]
        except KeyError:
            if not isinstance(value, bytes):  # a subclass (a raw-encoded string) is a bulk too
                raise TypeError(f"cannot encode reply of type {type(value).__name__}") from None
            handler = self._bulk
        handler(value, out)

    def _bulk(self, value: Any, out: list[bytes]) -> None:  # bytes-like
        out.append(b"$%d\r\n" % len(value))
        out.append(bytes(value))
        out.append(b"\r\n")

    def _str(self, value: str, out: list[bytes]) -> None:
        self._bulk(value.encode("utf-8", "surrogateescape"), out)

    def _int(self, value: int, out: list[bytes]) -> None:
        out.append(b":%d\r\n" % value)

    def _bool(self, value: bool, out: list[bytes]) -> None:
        if self.proto == 3:
            out.append(b"#t\r\n" if value else b"#f\r\n")
        else:
            out.append(b":1\r\n" if value else b":0\r\n")

    def _float(self, value: float, out: list[bytes]) -> None:
        text = format_double(value)
        if self.proto == 3:
            out.append(b"," + text + b"\r\n")
        else:
            self._bulk(text, out)

    def _double(self, value: Double, out: list[bytes]) -> None:
        if self.proto == 3:
            out.append(b"," + format_double(value.value) + b"\r\n")
        else:
            self._bulk(value.text, out)

    def _null(self, value: None, out: list[bytes]) -> None:
        out.append(_NULL3 if self.proto == 3 else _NULL2)

    def _null_array(self, value: NullArray, out: list[bytes]) -> None:
        out.append(_NULL3 if self.proto == 3 else b"*-1\r\n")

    def _aggregate(self, prefix: bytes, items: Any, out: list[bytes]) -> None:
        if _c_bulk_array is not None:
            whole = _c_bulk_array(prefix, items, _NULL3 if self.proto == 3 else _NULL2)
            if whole is not None:
                out.append(whole)
                return
        out.append(b"%b%d\r\n" % (prefix, len(items)))
        heads = _BULK_HEADS
        for item in items:
            if type(item) is bytes:
                size = len(item)
                out.append(heads[size] if size < 1024 else b"$%d\r\n" % size)
                out.append(item)
                out.append(_CRLF)
            else:
                self._write(item, out)

    def _array(self, value: Any, out: list[bytes]) -> None:  # list or tuple
        self._aggregate(b"*", value, out)

    def _set(self, value: SetReply, out: list[bytes]) -> None:
        self._aggregate(b"~" if self.proto == 3 else b"*", value, out)

    def _pairs(self, value: PairsReply, out: list[bytes]) -> None:
        if self.proto == 3:
            self._aggregate(b"*", value, out)
        else:
            self._aggregate(b"*", [item for pair in value for item in pair], out)

    def _push(self, value: PushReply, out: list[bytes]) -> None:
        self._aggregate(b">" if self.proto == 3 else b"*", value, out)

    def _map(self, value: dict[Any, Any], out: list[bytes]) -> None:
        if self.proto == 3:
            out.append(b"%%%d\r\n" % len(value))
        else:
            out.append(b"*%d\r\n" % (2 * len(value)))
        for key, item in value.items():
            self._write(key, out)
            self._write(item, out)

    def _status(self, value: Status, out: list[bytes]) -> None:
        out.append(value.line)

    def _error(self, value: ErrorReply, out: list[bytes]) -> None:
        out.append(_error_line(value.message))

    def _verbatim(self, value: Verbatim, out: list[bytes]) -> None:
        if self.proto == 3:
            body = value.fmt + b":" + value.text
            out.append(b"=%d\r\n%b\r\n" % (len(body), body))
        else:
            self._bulk(value.text, out)

    def _nothing(self, value: NoReply, out: list[bytes]) -> None:
        return None


def encode_error(message: str) -> bytes:
    return _error_line(message)
