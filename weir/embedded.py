"""Embedded mode: the same command table and log in-process, with no sockets.

    import weir
    db = weir.open("./data")
    db.set("k", "v"); db.get("k")          # b"v"
    db.execute("ZADD", "z", 1, "a")
    with db.pipeline() as p: ...           # queued, sent together
    db.close()

Replies are plain Python values (bytes, int, list, dict, None); an error
reply raises `weir.errors.CommandError` with Redis's text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from weir.config import Settings, load_settings
from weir.errors import CommandError
from weir.resp.reply import Double, ErrorReply, NoReply, NullArray, PushReply, Status, Verbatim
from weir.server.client import Client
from weir.server.server import Server


def _plain(value: Any) -> Any:
    """Reply values as a Python program wants them."""
    kind = type(value)
    if kind is Status:
        return value.text
    if kind is NullArray:
        return None
    if kind is Double:
        return value.value
    if kind is Verbatim:
        return value.text
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    return value


def _arg(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bool):
        raise TypeError("booleans are not valid arguments; use 0/1 or a string")
    if isinstance(value, (int, float)):
        return repr(value).encode()
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"cannot send argument of type {type(value).__name__}")


class _LocalClient(Client):
    """A Client whose replies are collected as values instead of written to a socket."""

    def __init__(self, server: Server) -> None:
        super().__init__(server)
        self.results: list[Any] = []
        server.clients[self.id] = self

    def reply(self, value: Any) -> None:
        if not isinstance(value, NoReply):
            self.results.append(value)

    def reply_error(self, message: str) -> None:
        self.results.append(ErrorReply(message))

    def reply_array(self, count: int, items: Iterator[Any]) -> None:
        self.results.append(list(items))

    def push_reply(self, value: PushReply) -> None:
        self.results.append(value)

    def flush(self) -> None:
        return None


class WeirDB:
    """An in-process weir database. Not thread-safe: use it from one thread."""

    def __init__(self, settings: Settings) -> None:
        self._server = Server(settings)
        self._server.open_storage()
        self._client = _LocalClient(self._server)
        self._closed = False

    def execute(self, *args: Any) -> Any:
        """Run one command, e.g. execute("HSET", "h", "f", "v")."""
        if self._closed:
            raise CommandError("ERR the database is closed")
        if not args:
            raise CommandError("ERR empty command")
        client = self._client
        client.execute([_arg(a) for a in args])
        self._server.after_batch()
        results, client.results = client.results, []
        if not results:
            return None
        value = results[-1]
        if type(value) is ErrorReply:
            raise CommandError(value.message)
        return _plain(value)

    def pipeline(self, transaction: bool = True) -> Pipeline:
        return Pipeline(self, transaction)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        command = name.upper().replace("_", " ").split()

        def call(*args: Any) -> Any:
            return self.execute(*command, *args)

        return call

    def close(self) -> None:
        """Flush the log and release the data directory."""
        if not self._closed:
            self._closed = True
            self._server.close_storage()

    def __enter__(self) -> WeirDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Pipeline:
    """Commands queued and run together; with transaction=True they run as MULTI/EXEC."""

    def __init__(self, db: WeirDB, transaction: bool) -> None:
        self._db = db
        self._transaction = transaction
        self._queued: list[tuple[Any, ...]] = []

    def execute_command(self, *args: Any) -> Pipeline:
        self._queued.append(args)
        return self

    def __getattr__(self, name: str) -> Callable[..., Pipeline]:
        if name.startswith("_"):
            raise AttributeError(name)
        command = name.upper().replace("_", " ").split()
        return lambda *args: self.execute_command(*command, *args)

    def execute(self) -> list[Any]:
        queued, self._queued = self._queued, []
        if not self._transaction:
            out: list[Any] = []
            for args in queued:
                try:
                    out.append(self._db.execute(*args))
                except CommandError as exc:
                    out.append(exc)
            return out
        self._db.execute("MULTI")
        for args in queued:
            self._db.execute(*args)
        results = self._db.execute("EXEC")
        if results is None:
            return []
        return [CommandError(r.message) if type(r) is ErrorReply else r for r in results]

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None and self._queued:
            self.execute()


def open(path: str | Path = "./data", **settings: Any) -> WeirDB:
    """Open (creating if needed) an embedded weir database in `path`."""
    return WeirDB(load_settings(None, dir=Path(path), **settings))
