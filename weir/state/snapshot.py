"""The state machine's image: a msgpack stream, produced in chunks and loaded back.

Layout: a header map, then one array per key (db, key, type tag, dumped value,
deadline or nil), then a trailer map with the key count. TTLs are absolute
deadlines, so an image loaded later expires keys at the same moment.
Pub/sub, clients and blocked state are not part of the state machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import msgpack

from weir.state.machine import StateMachine
from weir.state.types import BY_TAG

IMAGE_VERSION = 1
CHUNK_BYTES_TARGET = 256 * 1024


class SnapshotFormatError(ValueError):
    """The image is not one this version can load."""


def dump_chunks(machine: StateMachine, each_key: Callable[[], None] | None = None) -> Iterator[bytes]:
    """The image of `machine` as a stream of chunks of about CHUNK_BYTES_TARGET bytes;
    `each_key` runs after each key is packed (rdb-key-save-delay)."""
    packer = msgpack.Packer()
    buffer = bytearray(
        packer.pack(
            {
                "version": IMAGE_VERSION,
                "applied_index": machine.applied_index,
                "applied_term": machine.applied_term,
                "last_ts": machine.last_ts,
                "databases": len(machine.dbs),
            }
        )
    )
    count = 0
    for item in machine.iter_items():
        buffer += packer.pack(item)
        count += 1
        if each_key is not None:
            each_key()
        if len(buffer) >= CHUNK_BYTES_TARGET:
            yield bytes(buffer)
            buffer.clear()
    buffer += packer.pack({"keys": count})
    yield bytes(buffer)


def load_chunks(machine: StateMachine, chunks: Iterable[bytes]) -> None:
    """Replace the state of `machine` with the image in `chunks`."""
    unpacker = msgpack.Unpacker(raw=False, use_list=True, strict_map_key=False)
    header: dict[str, Any] | None = None
    trailer: dict[str, Any] | None = None
    count = 0
    for db in machine.dbs:
        db.clear()
    for chunk in chunks:
        unpacker.feed(chunk)
        for obj in unpacker:
            if header is None:
                if not isinstance(obj, dict) or obj.get("version") != IMAGE_VERSION:
                    raise SnapshotFormatError(f"unknown snapshot image header {obj!r:.80}")
                if obj["databases"] > len(machine.dbs):
                    raise SnapshotFormatError(
                        f"snapshot has {obj['databases']} databases, this server {len(machine.dbs)}"
                    )
                header = obj
            elif isinstance(obj, dict):
                trailer = obj
            else:
                if trailer is not None:
                    raise SnapshotFormatError("data after the snapshot trailer")
                dbi, key, tag, dumped, deadline = obj
                db = machine.dbs[dbi]
                db.data[key] = BY_TAG[tag].load(dumped)
                if deadline is not None:
                    db.expires[key] = deadline
                count += 1
    if header is None or trailer is None:
        raise SnapshotFormatError("snapshot image is truncated")
    if trailer.get("keys") != count:
        raise SnapshotFormatError(f"snapshot says {trailer.get('keys')} keys, found {count}")
    machine.applied_index = header["applied_index"]
    machine.applied_term = header["applied_term"]
    machine.last_ts = header["last_ts"]
