"""One database of the keyspace: values and absolute expiry deadlines (ms)."""

from __future__ import annotations

from typing import Any


class Database:
    """`data` maps key to value; `expires` maps key to its deadline in ms; `access`
    maps key to when it was last read or written (seconds, or under an LFU policy
    the counter and its minute), for OBJECT IDLETIME and FREQ; `accessed` lists keys
    read since their access was last recorded (StateMachine.record_accesses).

    Invariants: every key in `expires` is in `data`; so is every key in `access`.
    `access` is local, as Redis's LRU field is: not part of the digest or snapshots.
    """

    __slots__ = ("access", "accessed", "data", "expires", "index")

    def __init__(self, index: int) -> None:
        self.index = index
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}
        self.access: dict[bytes, int] = {}
        self.accessed: list[bytes] = []

    def __len__(self) -> int:
        return len(self.data)

    def is_expired(self, key: bytes, now_ms: int) -> bool:
        deadline = self.expires.get(key)
        return deadline is not None and deadline <= now_ms

    def delete(self, key: bytes) -> bool:
        if self.data.pop(key, None) is None:
            return False
        self.expires.pop(key, None)
        self.access.pop(key, None)
        return True

    def clear(self) -> None:
        self.data.clear()
        self.expires.clear()
        self.access.clear()
        self.accessed.clear()
