"""The payload of a command entry in the log.

A command entry carries the leader's wall-clock `ts` (ms, never going
backwards), the database the client had selected, and one or more argvs
(more than one for a MULTI/EXEC block, which applies atomically). It is packed
with msgpack; the Raft layer sees only bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgpack

PAYLOAD_VERSION = 1


@dataclass(frozen=True, slots=True)
class Command:
    ts: int
    db: int
    argvs: list[list[bytes]]
    multi: bool = False

    def pack(self) -> bytes:
        return msgpack.packb((PAYLOAD_VERSION, self.ts, self.db, self.argvs, self.multi))


def pack_command(ts: int, db: int, argvs: list[list[bytes]], multi: bool = False) -> bytes:
    return msgpack.packb((PAYLOAD_VERSION, ts, db, argvs, multi))


def unpack_command(data: bytes) -> Command:
    version, ts, db, argvs, multi = msgpack.unpackb(data, use_list=True)
    if version != PAYLOAD_VERSION:
        raise ValueError(f"unknown command payload version {version}")
    return Command(ts, db, argvs, multi)
