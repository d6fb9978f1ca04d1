"""The state machine: applies committed command entries, deterministically.

A write command's handler *is* its apply function: it runs only here, when
the entry that carries it is applied, on every node alike. It reads "now"
from the entry (`ctx.now_ms`) and draws randomness from `ctx.rng()`, seeded
with the entry's index. Reads run the same lookups with the local clock and
never delete anything (logical expiry hides keys; only entries remove them).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

import msgpack

from weir.errors import CommandError, WrongTypeError
from weir.resp.reply import ErrorReply
from weir.state.entry import Command, unpack_command
from weir.state.keyspace import Database
from weir.state.rng import EntryRandom
from weir.state.types import BY_CLASS, EncodingLimits

try:
    from weir.state._cprefetch import prefetch_keys as _prefetch_keys
except ImportError:  # not built: commands run the same, without the prefetch hint
    _prefetch_keys = None  # type: ignore[assignment]

log = logging.getLogger("weir.state")

DATABASES = 16

Handler = Callable[["Ctx", list[bytes]], Any]
Resolver = Callable[[list[bytes]], Handler | None]


class KeyListener:
    """Told of every change to the keyspace, to invalidate WATCH and wake blocked clients."""

    def key_modified(self, db: int, key: bytes) -> None:
        return None

    def db_replaced(self, old: Database, new: Database | None, now_ms: int) -> None:
        """The contents of `old` are about to give way to those of `new` (SWAPDB) or to
        nothing (FLUSHDB, FLUSHALL): called before the change, when both can be read."""
        return None


class Ctx:
    """What a handler sees: the database, now, and (when applying) the entry's RNG."""

    __slots__ = ("_rng", "applying", "db", "dbi", "in_multi", "index", "machine", "now_ms")

    def __init__(self, machine: StateMachine) -> None:
        self.machine = machine
        self.db: Database = machine.dbs[0]
        self.dbi = 0
        self.now_ms = 0
        self.index = 0
        self.applying = False
        self.in_multi = False
        self._rng: EntryRandom | None = None

    def select(self, dbi: int) -> None:
        self.dbi = dbi
        self.db = self.machine.dbs[dbi]

    def rng(self) -> EntryRandom:
        """A generator seeded with the entry's index: every node draws the same numbers."""
        if self._rng is None:
            self._rng = EntryRandom(self.index)
        return self._rng

    @property
    def limits(self) -> EncodingLimits:
        return self.machine.limits

    # --- lookups ------------------------------------------------------------------

    def prefetch(self, argv: list[bytes], start: int, step: int) -> None:
        """Warm the cache for the keys argv[start::step] before a multi-key command
        walks them: their dict misses overlap instead of queueing (weir/state/_cprefetch.c)."""
        if _prefetch_keys is not None and len(argv) > start + step:  # one key: nothing to overlap
            _prefetch_keys(self.db.data, argv, start, step)

    def lookup(self, key: bytes) -> Any:
        """The live value of `key`, or None. Applying deletes an expired key it meets."""
        db = self.db
        value = db.data.get(key)
        if value is not None and db.expires:
            deadline = db.expires.get(key)
            if deadline is not None and deadline <= self.now_ms:
                if self.applying:
                    # Redis's expiry deletion touches WATCH but is no change for dirty.
                    db.delete(key)
                    self.signal(key)
                return None
        return value

    def lookup_as(self, key: bytes, cls: type) -> Any:
        """lookup(), and WRONGTYPE unless the value is missing or of `cls`."""
        value = self.lookup(key)
        if value is not None and type(value) is not cls:
            raise WrongTypeError()
        return value

    def exists(self, key: bytes) -> bool:
        return self.lookup(key) is not None

    # --- writes (only while applying) ----------------------------------------------

    def put(self, key: bytes, value: Any, *, keep_ttl: bool = False) -> None:
        """Store a new value, clearing the key's TTL unless keep_ttl."""
        assert self.applying, "state is written only by apply"
        db = self.db
        db.data[key] = value
        if not keep_ttl and db.expires:
            db.expires.pop(key, None)
        self.modified(key)

    def delete(self, key: bytes) -> bool:
        assert self.applying, "state is written only by apply"
        if self.lookup(key) is None:
            return False
        self.db.delete(key)
        self.modified(key)
        return True

    def shrunk(self, key: bytes, value: Any) -> None:
        """`value`, the collection at `key`, lost elements: note the change, or delete the
        key once it is empty (Redis never keeps an empty collection)."""
        if value:
            self.modified(key)
        else:
            self.delete(key)

    def set_expire(self, key: bytes, deadline_ms: int) -> None:
        assert self.applying, "state is written only by apply"
        self.db.expires[key] = deadline_ms
        self.modified(key)

    def modified(self, key: bytes, db: int | None = None) -> None:
        machine = self.machine
        machine.dirty += 1
        machine.listener.key_modified(self.dbi if db is None else db, key)

    def signal(self, key: bytes) -> None:
        """Touch `key` for WATCH and blocked clients without counting a change: Redis's
        signalModifiedKey alone, as LTRIM does when it trims nothing."""
        self.machine.listener.key_modified(self.dbi, key)


class StateMachine:
    """All databases plus what apply needs. `resolve` maps an argv to its apply handler."""

    def __init__(self, resolve: Resolver, databases: int = DATABASES) -> None:
        self.resolve = resolve
        self.dbs = [Database(i) for i in range(databases)]
        self.listener = KeyListener()
        self.limits = EncodingLimits()
        self.applied_index = 0
        self.applied_term = 0
        self.last_ts = 0
        self.dirty = 0  # writes since the last snapshot, for INFO persistence
        self._ctx = Ctx(self)
        self.read_ctx = Ctx(self)

    def apply(self, index: int, term: int, data: bytes) -> Any:
        """Apply one committed entry from the log (replay, followers) and return its reply.

        It never raises for what a command does: an entry that failed when first
        applied (WRONGTYPE, a syntax error) fails the same way here and changed
        nothing then either, so its error becomes the reply.
        """
        assert index == self.applied_index + 1, f"apply out of order: {index} after {self.applied_index}"
        command = unpack_command(data)
        self.applied_term = term
        try:
            return self.apply_command(index, command)
        except CommandError as exc:
            return ErrorReply(exc.message)
        except Exception as exc:  # a bug: every node meets it alike; stopping would stop them all
            log.exception("apply of entry %d failed", index)
            return ErrorReply(f"ERR internal error while applying entry {index}: {exc}")

    def _begin_entry(self, index: int, ts: int) -> Ctx:
        """The apply context, set up for entry `index` written at `ts`."""
        self.applied_index = index
        if ts > self.last_ts:
            self.last_ts = ts
        ctx = self._ctx
        ctx.now_ms = ts
        ctx.index = index
        ctx.applying = True
        ctx._rng = None
        return ctx

    def apply_command(self, index: int, command: Command) -> Any:
        ctx = self._begin_entry(index, command.ts)
        ctx.select(command.db)
        if not command.multi and len(command.argvs) == 1:
            return self._run(ctx, command.argvs[0])
        # A MULTI block, or a batch: independent commands sharing the entry's ts and
        # RNG, each with its own reply (a failing one does not stop the others).
        ctx.in_multi = command.multi
        try:
            return [self._run(ctx, argv, as_value=True) for argv in command.argvs]
        finally:
            ctx.in_multi = False

    def apply_one(
        self, index: int, ts: int, db: int, argv: list[bytes], handler: Handler, *, more: bool = False
    ) -> Any:
        """apply_command for one command whose handler the caller already resolved
        (the leader's hot path: no Command object, no second lookup). With `more`, the
        command continues entry `index` (a batch): it shares the entry's ts and RNG,
        exactly as apply_command will when the entry is replayed."""
        ctx = self._ctx if more else self._begin_entry(index, ts)
        if ctx.dbi != db:
            ctx.select(db)
        return handler(ctx, argv)

    def apply_noop(self, index: int, term: int) -> None:
        """Entries that carry no command (a new leader's empty entry, config changes)."""
        assert index == self.applied_index + 1, f"apply out of order: {index} after {self.applied_index}"
        self.applied_index = index
        self.applied_term = term

    def _run(self, ctx: Ctx, argv: list[bytes], as_value: bool = False) -> Any:
        handler = self.resolve(argv)
        if handler is None:
            # Only commands that passed the table are logged; an unknown name means
            # the log came from a newer version.
            message = f"ERR unknown command '{argv[0].decode(errors='replace')}' in the log"
            if as_value:
                return ErrorReply(message)
            raise CommandError(message)
        if not as_value:
            return handler(ctx, argv)
        try:
            return handler(ctx, argv)
        except CommandError as exc:
            return ErrorReply(exc.message)
        except Exception as exc:  # a bug: every node hits it alike, so answer, don't stop
            log.exception("apply of %r failed", argv[:2])
            return ErrorReply(f"ERR internal error while applying '{argv[0].decode(errors='replace')}': {exc}")

    # --- reads ---------------------------------------------------------------------

    def reader(self, dbi: int, now_ms: int) -> Ctx:
        """The shared read context, pointed at `dbi` and the local clock."""
        ctx = self.read_ctx
        ctx.db = self.dbs[dbi]
        ctx.dbi = dbi
        ctx.now_ms = now_ms
        return ctx

    # --- whole-state views ---------------------------------------------------------

    def iter_items(self) -> Iterator[tuple[int, bytes, int, Any, int | None]]:
        """Every key in a stable order: (db, key, type tag, dumped value, deadline)."""
        for db in self.dbs:
            for key in sorted(db.data):
                value = db.data[key]
                value_type = BY_CLASS[type(value)]
                yield db.index, key, value_type.tag, value_type.dump(value), db.expires.get(key)

    def digest(self) -> str:
        """A hash of the whole keyspace: equal on every node that applied the same log."""
        h = hashlib.blake2b(digest_size=20)
        packer = msgpack.Packer()
        for item in self.iter_items():
            h.update(packer.pack(item))
        return h.hexdigest()

    def flush_all(self, now_ms: int) -> None:
        for db in self.dbs:
            self.listener.db_replaced(db, None, now_ms)
            db.clear()
