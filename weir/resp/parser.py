"""Request parsing, sans-IO: bytes in, argv lists out, limits on every size.

Three readers pass the same tests. `PyRequestParser` is the reference (it
speaks inline commands and gives Redis's exact protocol errors). The C reader
(weir/resp/_creader.c, built at install) does the same at C speed.
`HiredisReader` serves when the C reader was not built: hiredis on the hot
path, handing over to the reference parser the moment a connection sends
anything hiredis should not judge (inline commands, malformed frames).
`request_reader` picks the fastest one available.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from weir.errors import RemoteProtocolError

try:
    import hiredis
except ImportError:  # pragma: no cover - hiredis is a declared dependency
    hiredis = None  # type: ignore[assignment, unused-ignore]  # hiredis is absent from the isolated build

try:
    from weir.resp import _creader
except ImportError:  # not built, or the build is stale (weir._compiled)
    _creader = None  # type: ignore[assignment]

INLINE_BYTES_MAX = 64 * 1024  # Redis's PROTO_INLINE_MAX_SIZE
MULTIBULK_COUNT_MAX = 2**31 - 1  # the C reader gets all four at construction
UNAUTH_MULTIBULK_COUNT_MAX = 10
UNAUTH_BULK_BYTES_MAX = 16384


@dataclass(slots=True)
class ParserLimits:
    proto_bulk_bytes_max: int = 512 * 1024 * 1024
    query_buffer_bytes_max: int = 1024 * 1024 * 1024
    # Before AUTH, Redis accepts only tiny requests so a stranger cannot fill memory.
    authenticated: bool = True


def _protocol_error(text: str) -> RemoteProtocolError:
    return RemoteProtocolError(f"ERR Protocol error: {text}")


def split_inline(line: bytes) -> list[bytes]:
    """Split an inline command like Redis's sdssplitargs (quotes and escapes)."""
    args: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \t\n\r\x0b\x0c":
            i += 1
        if i >= n:
            return args
        current = bytearray()
        in_double = in_single = False
        while True:
            if in_double:
                if i >= n:
                    raise _protocol_error("unbalanced quotes in request")
                c = line[i]
                if c == 0x5C and i + 3 < n and line[i + 1] == 0x78 and _is_hex(line[i + 2 : i + 4]):
                    current.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 0x5C and i + 1 < n:
                    i += 1
                    current.append(_ESCAPES.get(line[i], line[i]))
                elif c == 0x22:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\x0b\x0c":
                        raise _protocol_error("unbalanced quotes in request")
                    in_double = False
                    i += 1
                    break
                else:
                    current.append(c)
            elif in_single:
                if i >= n:
                    raise _protocol_error("unbalanced quotes in request")
                c = line[i]
                if c == 0x5C and i + 1 < n and line[i + 1] == 0x27:
                    i += 1
                    current.append(0x27)
                elif c == 0x27:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\x0b\x0c":
                        raise _protocol_error("unbalanced quotes in request")
                    in_single = False
                    i += 1
                    break
                else:
                    current.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in b" \t\n\r\x0b\x0c":
                    break
                if c == 0x22:
                    in_double = True
                elif c == 0x27:
                    in_single = True
                else:
                    current.append(c)
            i += 1
        args.append(bytes(current))


_ESCAPES = {0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09, 0x62: 0x08, 0x61: 0x07}


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair)


def _parse_count(raw: bytes) -> int | None:
    """Redis's string2ll: optional '-', digits only, no spaces or '+'."""
    if not raw or len(raw) > 20:
        return None
    body = raw[1:] if raw[:1] == b"-" else raw
    if not body.isdigit() or (len(body) > 1 and body[:1] == b"0"):
        return None
    return int(raw)


class PyRequestParser:
    """The reference request parser. `feed` returns the complete commands; after a
    protocol error, `error` is set: the caller answers the commands before it,
    then sends the error and closes."""

    __slots__ = ("_buf", "_pos", "error", "limits")

    def __init__(self, limits: ParserLimits | None = None) -> None:
        self._buf = bytearray()
        self._pos = 0
        self.error: RemoteProtocolError | None = None
        self.limits = limits or ParserLimits()

    @property
    def buffered_bytes(self) -> int:
        return len(self._buf) - self._pos

    @property
    def spare_bytes(self) -> int:
        return self._buf.__alloc__() - len(self._buf)

    def feed(self, data: bytes) -> list[list[bytes]]:
        if self.error is not None:
            return []
        self._buf += data
        out: list[list[bytes]] = []
        try:
            while self._pos < len(self._buf):
                argv = self._next()
                if argv is None:
                    break
                if argv:
                    out.append(argv)
        except RemoteProtocolError as exc:
            self.error = exc
            self._buf.clear()
            self._pos = 0
            return out
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        if len(self._buf) > self.limits.query_buffer_bytes_max:
            self.error = RemoteProtocolError("ERR Protocol error: query buffer limit exceeded")
        return out

    def _next(self) -> list[bytes] | None:
        """One command, None when more bytes are needed; [] for an empty request."""
        if self._buf[self._pos] == 0x2A:  # '*'
            return self._multibulk()
        return self._inline()

    def _inline(self) -> list[bytes] | None:
        end = self._buf.find(b"\n", self._pos)
        if end < 0:
            if len(self._buf) - self._pos > INLINE_BYTES_MAX:
                raise _protocol_error("too big inline request")
            return None
        line = bytes(self._buf[self._pos : end])
        self._pos = end + 1
        return split_inline(line)

    def _multibulk(self) -> list[bytes] | None:
        buf, pos = self._buf, self._pos
        end = buf.find(b"\r\n", pos)
        if end < 0:
            if len(buf) - pos > INLINE_BYTES_MAX:
                raise _protocol_error("too big mbulk count string")
            return None
        count = _parse_count(bytes(buf[pos + 1 : end]))
        if count is None or count > MULTIBULK_COUNT_MAX:
            raise _protocol_error("invalid multibulk length")
        if count > UNAUTH_MULTIBULK_COUNT_MAX and not self.limits.authenticated:
            raise _protocol_error("unauthenticated multibulk length")
        pos = end + 2
        if count <= 0:
            self._pos = pos
            return []
        argv: list[bytes] = []
        for _ in range(count):
            if pos >= len(buf):
                return None
            end = buf.find(b"\r\n", pos)
            if end < 0:
                if len(buf) - pos > INLINE_BYTES_MAX:
                    raise _protocol_error("too big bulk count string")
                return None
            if buf[pos] != 0x24:  # '$'
                raise _protocol_error(f"expected '$', got '{chr(buf[pos])}'")
            size = _parse_count(bytes(buf[pos + 1 : end]))
            if size is None or size < 0 or size > self.limits.proto_bulk_bytes_max:
                raise _protocol_error("invalid bulk length")
            if size > UNAUTH_BULK_BYTES_MAX and not self.limits.authenticated:
                raise _protocol_error("unauthenticated bulk length")
            start = end + 2
            if len(buf) < start + size + 2:
                return None
            argv.append(bytes(buf[start : start + size]))
            pos = start + size + 2
        self._pos = pos
        return argv


def request_bytes(argv: list[bytes]) -> int:
    """Size of the canonical multibulk encoding of argv."""
    size = 3 + len(str(len(argv)))
    for arg in argv:
        size += len(arg) + 5 + len(str(len(arg)))
    return size


SAVED_BYTES_MAX = 1024 * 1024
# hiredis allocates a multibulk's whole array when it reads the header: "*2147483647"
# costs 16 GiB of address space and seconds to free. Counts of 7 digits and more
# (a false match inside a payload is harmless) go to the reference parser instead.
# A '*' and seven digits: cheap to search for (a literal first byte); a hit counts only
# at the start of a line (see _has_big_count).
_BIG_COUNT = re.compile(rb"\*[0-9]{7}")
_COUNT_SPLIT_BYTES = 16  # a header cut across two reads is looked for in this window


class RequestStream(Protocol):
    """What a connection needs of a reader."""

    @property
    def error(self) -> RemoteProtocolError | None: ...

    @property
    def limits(self) -> ParserLimits: ...  # mutable: AUTH lifts the unauthenticated limits

    @property
    def buffered_bytes(self) -> int: ...  # of a request not yet complete (CLIENT LIST qbuf)

    @property
    def spare_bytes(self) -> int: ...  # room allocated beyond them (qbuf-free)

    def feed(self, data: bytes) -> list[list[bytes]]: ...


def c_reader(limits: ParserLimits | None = None) -> Any:
    """The C reader, or None when it was not built."""
    if _creader is None:
        return None
    bounds = (INLINE_BYTES_MAX, MULTIBULK_COUNT_MAX, UNAUTH_MULTIBULK_COUNT_MAX, UNAUTH_BULK_BYTES_MAX)
    return _creader.Reader(
        limits or ParserLimits(), split_inline, _protocol_error, RemoteProtocolError, bounds
    )


def request_reader(limits: ParserLimits | None = None) -> RequestStream:
    """The fastest reader this install has."""
    reader: RequestStream | None = c_reader(limits)
    return reader if reader is not None else HiredisReader(limits)


class HiredisReader:
    """hiredis on the hot path; hands the connection to PyRequestParser when in doubt.

    hiredis does not say how many bytes it has consumed, so the reader keeps
    the chunks fed since the last frame boundary. When hiredis rejects them, or
    an inline command starts at a boundary, those bytes are re-read by the
    reference parser, which then serves the connection for good.
    """

    __slots__ = (
        "_at_boundary",
        "_delivered",
        "_fallback",
        "_frames",
        "_reader",
        "_saved",
        "_saved_bytes",
        "_saved_frames_bytes",
        "_tail",
        "error",
        "limits",
    )

    def __init__(self, limits: ParserLimits | None = None, *, use_hiredis: bool = True) -> None:
        self.limits = limits or ParserLimits()
        self.error: RemoteProtocolError | None = None
        self._fallback: PyRequestParser | None = None
        self._reader = hiredis.Reader() if (hiredis is not None and use_hiredis) else None
        if self._reader is None:
            self._fallback = PyRequestParser(self.limits)
        self._at_boundary = True
        self._saved: list[bytes] | None = []
        self._saved_bytes = 0
        self._saved_frames_bytes = 0  # bytes of those frames, known once a frame ends mid-chunk
        self._delivered = 0  # frames returned since the saved chunks began
        self._tail = b""  # the end of the previous chunk, for _BIG_COUNT
        # Frames returned since the saved bytes' offset _saved_frames_bytes, to confirm a boundary.
        self._frames: list[list[bytes]] | None = []

    @property
    def buffered_bytes(self) -> int:
        if self._fallback is not None:
            return self._fallback.buffered_bytes
        # hiredis's own length counts bytes it has consumed too: only a half-read request
        # counts, from where the last whole frame ended in the saved chunks.
        if self._at_boundary:
            return 0
        if self._saved is not None:
            return self._saved_bytes - self._saved_frames_bytes
        assert self._reader is not None
        return int(self._reader.len())

    @property
    def spare_bytes(self) -> int:
        # hiredis does not tell its buffer's size.
        return self._fallback.spare_bytes if self._fallback is not None else 0

    def feed(self, data: bytes) -> list[list[bytes]]:
        if self._fallback is not None:
            frames = self._fallback.feed(data)
            self.error = self._fallback.error
            return frames
        if not data:
            return []
        if self._at_boundary and (data[0] != 0x2A or not self.limits.authenticated):
            if self._boundary_confirmed():
                return self._hand_over([data], 0)
            self._at_boundary = False
        started_at_boundary = self._at_boundary
        if started_at_boundary:
            # A new request starts here: the saved window restarts with it. No header can
            # straddle the previous read, so only this one is searched for a huge count.
            self._saved = [data] if len(data) <= SAVED_BYTES_MAX else None
            self._saved_bytes = len(data)
            self._delivered = 0
            self._saved_frames_bytes = 0
            self._frames = []
            if _has_big_count(data):
                return self._avoid_big_count()
        else:
            if self._saved is not None:
                self._saved.append(data)
                self._saved_bytes += len(data)
                if self._saved_bytes > SAVED_BYTES_MAX:
                    self._saved = None
            if _has_big_count(data) or _has_big_count(self._tail + data[:_COUNT_SPLIT_BYTES]):
                return self._avoid_big_count()
        reader = self._reader
        assert reader is not None
        reader.feed(data)
        out: list[list[bytes]] = []
        try:
            frame = reader.gets()
            while frame is not False:
                if type(frame) is not list or not _all_bytes(frame):
                    raise hiredis.ProtocolError("not a multibulk of bulk strings")
                out.append(frame)
                frame = reader.gets()
        except hiredis.ProtocolError:
            self._delivered += len(out)
            if self._saved is None:
                self._reader = None
                self._fallback = PyRequestParser(self.limits)
                self.error = self._fallback.error = _protocol_error("invalid request")
                return [f for f in out if f]
            return [f for f in out if f] + self._hand_over(self._saved, self._delivered)
        self._delivered += len(out)
        if self._frames is not None:
            self._frames += out
            if len(self._frames) > _FRAMES_KEPT_MAX:
                self._frames = None
        if out:
            last = out[-1]
            tail = b"$%d\r\n%b\r\n" % (len(last[-1]), last[-1]) if last else b"*0\r\n"
            if len(data) < len(tail) and self._saved is not None:
                ended = b"".join(self._saved).endswith(tail)
            else:
                ended = data.endswith(tail)
            # Confirmed only when it matters: before an inline command is handed over.
            self._at_boundary = ended
        else:
            self._at_boundary = False
        if not self._at_boundary:
            # The window for a count cut across reads; tiny reads (a header sent byte
            # by byte) add up to it within one request.
            if started_at_boundary or len(data) >= _COUNT_SPLIT_BYTES:
                self._tail = data[-_COUNT_SPLIT_BYTES:]
            else:
                self._tail = (self._tail + data)[-_COUNT_SPLIT_BYTES:]
            self._check_partial(out)
            # Only a half-read request leaves bytes buffered in hiredis.
            if reader.len() > self.limits.query_buffer_bytes_max:
                self.error = _protocol_error("query buffer limit exceeded")
        # Redis drops empty multibulk requests (*0) silently.
        return out if all(out) else [f for f in out if f]

    def _boundary_confirmed(self) -> bool:
        """The tail matched a frame's end; the frames since the saved chunks began must
        add up to exactly those bytes (a value can end like a frame does)."""
        if self._saved is None or self._frames is None:
            return True
        return self._saved_frames_bytes + sum(request_bytes(f) for f in self._frames) == self._saved_bytes

    def _check_partial(self, out: list[list[bytes]]) -> None:
        """Validate the headers of a frame hiredis holds half-read (size limits).

        The frame may have begun in an earlier chunk (a header fed byte by byte),
        so the probe reads the saved chunks from where the last whole frame ended.
        """
        if self._saved is None:
            return
        offset = self._saved_frames_bytes + sum(request_bytes(f) for f in out)
        self._saved_frames_bytes = offset
        self._frames = []
        saved = self._saved
        pending = saved[0][offset:] if len(saved) == 1 else b"".join(saved)[offset:]
        probe = PyRequestParser(self.limits)
        probe.feed(pending)
        if probe.error is not None:
            self._reader = None
            self._fallback = probe
            self.error = probe.error

    def _avoid_big_count(self) -> list[list[bytes]]:
        if self._saved is not None:
            return self._hand_over(self._saved, self._delivered)
        # Past SAVED_BYTES_MAX the bytes cannot be re-read: refuse, as for a bad count.
        self._reader = None
        self._fallback = PyRequestParser(self.limits)
        self.error = self._fallback.error = _protocol_error("invalid multibulk length")
        return []

    def _hand_over(self, chunks: list[bytes], skip: int) -> list[list[bytes]]:
        self._reader = None
        self._fallback = PyRequestParser(self.limits)
        frames = self._fallback.feed(b"".join(chunks))
        self.error = self._fallback.error
        return frames[skip:]


_FRAMES_KEPT_MAX = 4096


def _has_big_count(data: bytes) -> bool:
    """A multibulk count of seven or more digits at the start of a line."""
    for match in _BIG_COUNT.finditer(data):
        start = match.start()
        if start == 0 or data[start - 1] == 0x0A:
            return True
    return False


def _all_bytes(frame: list[object]) -> bool:
    # A plain loop: cheaper than all() over a generator on this hot path.
    for arg in frame:  # noqa: SIM110
        if type(arg) is not bytes:
            return False
    return True
