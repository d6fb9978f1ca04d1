"""The replicated state machine of the simulation: a small key-value store.

Commands are entries' data: `put` carries the client id and a request
number so that a retried put applies at most once (a session table, as in
the Raft thesis section 6.3). The whole state, sessions included, goes into
snapshots.
"""

from __future__ import annotations

import hashlib
import json

_SEPARATOR = b"\x00"


def encode_put(client: int, request: int, key: str, value: str) -> bytes:
    return _SEPARATOR.join(
        (b"put", str(client).encode(), str(request).encode(), key.encode(), value.encode())
    )


class PutResult:
    __slots__ = ("applied", "client", "request")

    def __init__(self, client: int, request: int, applied: bool) -> None:
        self.client = client
        self.request = request
        self.applied = applied
        """False when the request was a duplicate of one applied before."""


class KVStore:
    """Keys to values, plus the last request number applied per client."""

    __slots__ = ("sessions", "values")

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.sessions: dict[int, int] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def apply(self, data: bytes) -> PutResult:
        kind, client_text, request_text, key, value = data.split(_SEPARATOR)
        assert kind == b"put", f"unknown command {kind!r}"
        client = int(client_text)
        request = int(request_text)
        if request <= self.sessions.get(client, 0):
            return PutResult(client, request, False)
        self.sessions[client] = request
        self.values[key.decode()] = value.decode()
        return PutResult(client, request, True)

    def snapshot(self) -> bytes:
        state = {
            "values": self.values,
            "sessions": {str(c): r for c, r in self.sessions.items()},
        }
        return json.dumps(state, sort_keys=True).encode()

    @classmethod
    def from_snapshot(cls, data: bytes) -> KVStore:
        store = cls()
        if data:
            state = json.loads(data)
            store.values = dict(state["values"])
            store.sessions = {int(c): r for c, r in state["sessions"].items()}
        return store

    def digest(self) -> str:
        return hashlib.sha256(self.snapshot()).hexdigest()[:16]
