"""The payload of a command entry in the log.

A command entry carries the leader's wall-clock `ts` (ms, never going
backwards), the database the client had selected, and one or more argvs
(more than one for a MULTI/EXEC block, which applies atomically). It is packed
with msgpack; the Raft layer sees only bytes.
"""

from __future__ import annotations

import msgpack

try:
    from weir.state._centry import pack_command as _c_pack_command
except ImportError:  # not built, or the build is stale (weir._compiled): msgpack packs it
    _c_pack_command = None  # type: ignore[assignment]

PAYLOAD_VERSION = 1

# One packer for every entry: msgpack.packb would build a new one per call.
_pack = msgpack.Packer().pack


class Command:
    """A decoded command entry. A plain slotted class: it is built once per write."""

    __slots__ = ("argvs", "db", "multi", "ts")

    def __init__(self, ts: int, db: int, argvs: list[list[bytes]], multi: bool = False) -> None:
        self.ts = ts
        self.db = db
        self.argvs = argvs
        self.multi = multi

    def pack(self) -> bytes:
        return pack_command(self.ts, self.db, self.argvs, self.multi)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Command) and (self.ts, self.db, self.argvs, self.multi) == (
            other.ts, other.db, other.argvs, other.multi
        )

    def __repr__(self) -> str:
        return f"Command(ts={self.ts}, db={self.db}, argvs={self.argvs!r}, multi={self.multi})"


def pack_command(ts: int, db: int, argvs: list[list[bytes]], multi: bool = False) -> bytes:
    if _c_pack_command is not None:
        data = _c_pack_command(PAYLOAD_VERSION, ts, db, argvs, multi)
        if data is not None:
            return data
    return _pack((PAYLOAD_VERSION, ts, db, argvs, multi))


def unpack_command(data: bytes) -> Command:
    version, ts, db, argvs, multi = msgpack.unpackb(data, use_list=True)
    if version != PAYLOAD_VERSION:
        raise ValueError(f"unknown command payload version {version}")
    return Command(ts, db, argvs, multi)
