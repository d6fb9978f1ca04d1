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
from typing import Any, Final

import msgpack

from weir.errors import CommandError, WrongTypeError
from weir.resp.reply import ErrorReply
from weir.state.entry import Command, unpack_command
from weir.state.keyspace import Database
from weir.state.rng import EntryRandom
from weir.state.types import BY_CLASS, EncodingLimits

try:
    from weir.state._cprefetch import prefetch_keys as _prefetch_keys
    from weir.state._cprefetch import record_accesses as _record_accesses
except ImportError:  # not built: commands run the same, without the prefetch hint
    _prefetch_keys = None  # type: ignore[assignment]
    _record_accesses = None  # type: ignore[assignment]

log = logging.getLogger("weir.state")

DATABASES = 16
LFU_INIT_VAL = 5  # a new key's LFU counter (evict.c), so it is not evicted at once
# Lookups list the keys they find; past this many, the lookup records them at once (the
# server records them at the end of each loop pass): a bound on the keys lists keep alive.
ACCESSED_KEYS_MAX = 65_536

# Keyspace notification classes, the bits of notify-keyspace-events (server.h NOTIFY_*).
NOTIFY_KEYSPACE: Final = 1 << 0  # K: publish on __keyspace@<db>__:<key>
NOTIFY_KEYEVENT: Final = 1 << 1  # E: publish on __keyevent@<db>__:<event>
NOTIFY_GENERIC: Final = 1 << 2  # g
NOTIFY_STRING: Final = 1 << 3  # $
NOTIFY_LIST: Final = 1 << 4  # l
NOTIFY_SET: Final = 1 << 5  # s
NOTIFY_HASH: Final = 1 << 6  # h
NOTIFY_ZSET: Final = 1 << 7  # z
NOTIFY_EXPIRED: Final = 1 << 8  # x
NOTIFY_EVICTED: Final = 1 << 9  # e
NOTIFY_STREAM: Final = 1 << 10  # t
NOTIFY_KEY_MISS: Final = 1 << 11  # m
NOTIFY_MODULE: Final = 1 << 13  # d
NOTIFY_NEW: Final = 1 << 14  # n
NOTIFY_ALL: Final = (  # A
    NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET
    | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE
)

Handler = Callable[["Ctx", list[bytes]], Any]
Resolver = Callable[[list[bytes]], Handler | None]


class KeyListener:
    """Told of every change to the keyspace, to invalidate WATCH and wake blocked clients,
    and of the keyspace events (notify.c) that notify-keyspace-events asks for."""

    def key_modified(self, db: int, key: bytes) -> None:
        return None

    def keyspace_event(self, db: int, event: bytes, key: bytes) -> None:
        """`event` happened to `key`: called only for a class StateMachine.notify_flags has."""
        return None

    def db_replaced(self, old: Database, new: Database | None, now_ms: int) -> None:
        """The contents of `old` are about to give way to those of `new` (SWAPDB) or to
        nothing (FLUSHDB, FLUSHALL): called before the change, when both can be read."""
        return None


class Ctx:
    """What a handler sees: the database, now, and (when applying) the entry's RNG."""

    __slots__ = (
        "_rng", "access_s", "applying", "db", "dbi", "in_multi", "index", "machine", "now_ms",
        "reading", "touch",
    )

    def __init__(self, machine: StateMachine) -> None:
        self.machine = machine
        self.db: Database = machine.dbs[0]
        self.dbi = 0
        self.now_ms = 0
        self.index = 0
        self.applying = False
        self.in_multi = False
        # A read running inside an entry (MULTI): its misses are still `keymiss`.
        self.reading = False
        self._rng: EntryRandom | None = None
        # Whether a lookup counts as an access (OBJECT IDLETIME/FREQ), and the time it
        # records, in seconds: one int object a second, so a million reads store no
        # million ints (the read context's is set by the server's clock, apply's from ts).
        self.touch = True
        self.access_s = 0

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
        """The live value of `key`, or None; finding it is an access (db.c lookupKey).
        Applying deletes an expired key it meets."""
        db = self.db
        value = db.data.get(key)
        if value is not None:
            if db.expires:
                deadline = db.expires.get(key)
                if deadline is not None and deadline <= self.now_ms:
                    if self.applying:
                        db.delete(key)
                        self.signal(key)  # expiry touches WATCH, no change for dirty
                        self.notify(NOTIFY_EXPIRED, b"expired", key)
                        if self.reading:
                            self.notify(NOTIFY_KEY_MISS, b"keymiss", key)
                        return None
                    # A read never deletes: the server proposes the deletion after the
                    # pass (Redis's lazy expiry, through the log like active expiry).
                    seen = self.machine.expired_seen
                    if len(seen) < ACCESSED_KEYS_MAX:  # past it, active expiry gets them
                        seen.append((self.dbi, key))
                    if self.machine.notify_flags & NOTIFY_KEY_MISS:
                        self.notify(NOTIFY_KEY_MISS, b"keymiss", key)
                    return None
            if self.touch:
                if self.machine.lfu:
                    self.machine.note_lfu_access(db, key, self.access_s)
                else:
                    self._list_access(db, key)
        elif self.machine.notify_flags & NOTIFY_KEY_MISS and (not self.applying or self.reading):
            # Reads that miss (lookupKeyRead); a write's own lookups never notify a miss.
            self.notify(NOTIFY_KEY_MISS, b"keymiss", key)
        return value

    def peek(self, key: bytes) -> Any:
        """lookup() that is no access, as Redis's LOOKUP_NOTOUCH (TYPE, TTL, EXISTS): a
        miss is still a `keymiss`."""
        touch = self.touch
        self.touch = False
        value = self.lookup(key)
        self.touch = touch
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
        """Store a new value, clearing the key's TTL unless keep_ttl: a change."""
        self.store(key, value, keep_ttl=keep_ttl)
        self.modified(key)

    def store(self, key: bytes, value: Any, *, keep_ttl: bool = False) -> None:
        """put() that signals and counts no change: a key made before it is filled (the
        caller signals once, as Redis counts creating and filling as one change), or a
        value swapped for an equal one of another encoding. A key it adds is `new`."""
        assert self.applying, "state is written only by apply"
        db = self.db
        if self.machine.notify_flags & (NOTIFY_NEW | NOTIFY_EXPIRED):
            self._announce_add(key, keep_ttl)
        db.data[key] = value
        if not keep_ttl and db.expires:
            db.expires.pop(key, None)
        # A new value is fresh (createObject); under LFU it keeps the key's count (dbSetValue).
        if not self.machine.lfu:
            self._list_access(db, key)
        elif key not in db.access:
            db.access[key] = self.machine.lfu_initial(self.access_s)

    def _list_access(self, db: Database, key: bytes) -> None:
        """An access under LRU: a list append now, the dict store (a cache miss or three)
        later, for a whole batch of keys at once (StateMachine.record_accesses)."""
        accessed = db.accessed
        accessed.append(key)
        if len(accessed) > ACCESSED_KEYS_MAX:
            self.machine.record_accesses()

    def _announce_add(self, key: bytes, keep_ttl: bool) -> None:
        """put()'s events before it stores: `expired` for a stale key it replaces unread
        (SET, MSET: Redis's lookupKeyWrite deletes it first; the state ends the same, as
        put clears the TTL), then `new` (dbAdd). Only announces: state never depends on
        the flags."""
        db = self.db
        if key in db.data:
            if keep_ttl or not db.is_expired(key, self.now_ms):
                return  # an overwrite (under KEEPTTL the caller's lookup removed a stale key)
            self.notify(NOTIFY_EXPIRED, b"expired", key)
        self.notify(NOTIFY_NEW, b"new", key)

    def delete(self, key: bytes) -> bool:
        assert self.applying, "state is written only by apply"
        if self.lookup(key) is None:
            return False
        self.db.delete(key)
        self.modified(key)
        return True

    def shrunk(self, key: bytes, value: Any) -> None:
        """`value`, the collection at `key`, lost elements: note the change, or delete the
        key once it is empty (Redis never keeps an empty collection, and says `del`)."""
        if value:
            self.modified(key)
        elif self.delete(key):
            self.notify(NOTIFY_GENERIC, b"del", key)

    def set_expire(self, key: bytes, deadline_ms: int) -> None:
        assert self.applying, "state is written only by apply"
        self.db.expires[key] = deadline_ms
        self.modified(key)

    def modified(self, key: bytes, db: int | None = None) -> None:
        machine = self.machine
        machine.dirty += 1
        machine.listener.key_modified(self.dbi if db is None else db, key)

    def missed(self, key: bytes) -> None:
        """A write read `key` the way Redis's lookupKeyRead does and found nothing: `keymiss`
        (a read's own lookup reports it already)."""
        if self.machine.notify_flags & NOTIFY_KEY_MISS and self.applying:
            self.notify(NOTIFY_KEY_MISS, b"keymiss", key)

    def notify(self, event_class: int, event: bytes, key: bytes, db: int = -1) -> None:
        """notifyKeyspaceEvent: `event` (of `event_class`) on `key` in this database or
        `db`. Off, it costs one test; on, the listener publishes (never during replay)."""
        machine = self.machine
        if machine.notify_flags & event_class:
            machine.listener.keyspace_event(self.dbi if db < 0 else db, event, key)

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
        # Access tracking (OBJECT IDLETIME/FREQ). Local, like Redis's LRU field: it never
        # reaches the digest, snapshots or the log. `lfu` follows maxmemory-policy.
        self.lfu = False
        self.lfu_log_factor = 10
        self.lfu_decay_time_min = 1
        # LFU's logarithmic increment draws from the server's RNG (the counter is local
        # bookkeeping, never state); without one, every access counts (lfu-log-factor 0).
        self.lfu_draw: Callable[[], float] | None = None
        self.touching = True  # False while a snapshot child runs (no copy-on-write of it)
        self.access_since_s = 0  # what a key with no access recorded counts from
        # Expired keys reads met, (db, key): the server proposes their deletion.
        self.expired_seen: list[tuple[int, bytes]] = []
        # The classes of keyspace events to report (NOTIFY_*); 0 unless K or E is on,
        # so with notifications off every notify() stops at one test.
        self.notify_flags = 0
        # Tells a read from a write by its argv (set by the server, which has the command
        # table): only needed for `keymiss` of the reads inside a MULTI entry.
        self.is_read: Callable[[list[bytes]], bool] | None = None
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
        ctx.access_s = ts // 1000
        ctx.index = index
        ctx.applying = True
        ctx._rng = None
        return ctx

    def apply_command(self, index: int, command: Command, boundary: Callable[[], None] | None = None) -> Any:
        """Apply one entry. `boundary`, if given, is called before the first command of a
        block and after each one: the server times each command of a MULTI (SLOWLOG,
        commandstats) between two calls, and the state machine reads no clock."""
        ctx = self._begin_entry(index, command.ts)
        ctx.select(command.db)
        if not command.multi and len(command.argvs) == 1:
            return self._run(ctx, command.argvs[0])
        # A MULTI block, or a batch: independent commands sharing the entry's ts and
        # RNG, each with its own reply (a failing one does not stop the others).
        ctx.in_multi = command.multi
        try:
            if boundary is None:
                return [self._run(ctx, argv, as_value=True) for argv in command.argvs]
            boundary()
            replies = []
            for argv in command.argvs:
                replies.append(self._run(ctx, argv, as_value=True))
                boundary()
            return replies
        finally:
            ctx.in_multi = False
            ctx.reading = False

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
        if ctx.in_multi and self.notify_flags & NOTIFY_KEY_MISS and self.is_read is not None:
            ctx.reading = self.is_read(argv)
        try:
            return handler(ctx, argv)
        except CommandError as exc:
            return ErrorReply(exc.message)
        except Exception as exc:  # a bug: every node hits it alike, so answer, don't stop
            log.exception("apply of %r failed", argv[:2])
            return ErrorReply(f"ERR internal error while applying '{argv[0].decode(errors='replace')}': {exc}")

    # --- reads ---------------------------------------------------------------------

    def reader(self, dbi: int, now_ms: int, touch: bool = True) -> Ctx:
        """The shared read context, pointed at `dbi` and the local clock; `touch` False
        for a client in CLIENT NO-TOUCH mode."""
        ctx = self.read_ctx
        ctx.db = self.dbs[dbi]
        ctx.dbi = dbi
        ctx.now_ms = now_ms
        ctx.touch = touch and self.touching
        return ctx

    # --- access tracking (evict.c's LRU clock and LFU counter, without eviction) ------

    def set_access_clock(self, now_s: int) -> None:
        """The local clock for accesses, in seconds (the server's clock tick). The keys
        listed so far were accessed at the clock's old value: they are recorded first."""
        if now_s != self.read_ctx.access_s:
            self.record_accesses()
            self.read_ctx.access_s = now_s

    def set_touching(self, enabled: bool) -> None:
        self.touching = enabled
        self._ctx.touch = enabled

    def record_accesses(self) -> None:
        """Record the accesses listed since the access clock last moved, at its time."""
        clock = self.read_ctx.access_s
        for db in self.dbs:
            if not db.accessed:
                continue
            if _record_accesses is not None:
                _record_accesses(db.data, db.access, db.accessed, clock)
                continue
            data, access = db.data, db.access
            for key in db.accessed:
                if key in data:  # deleted since: no record, or `access` would outgrow `data`
                    access[key] = clock
            db.accessed.clear()

    def set_access_policy(self, lfu: bool, now_s: int) -> None:
        """LRU times and LFU counters do not convert: switching starts tracking anew."""
        if lfu != self.lfu:
            self.lfu = lfu
            self.access_since_s = now_s
            for db in self.dbs:
                db.access.clear()
                db.accessed.clear()

    def idle_seconds(self, db: Database, key: bytes, now_s: int) -> int:
        self.record_accesses()
        return max(0, now_s - db.access.get(key, self.access_since_s))

    def lfu_initial(self, now_s: int) -> int:
        return _lfu_packed(now_s, LFU_INIT_VAL)

    def lfu_counter(self, db: Database, key: bytes, now_s: int) -> int:
        """LFUDecrAndReturn: the counter less one per lfu-decay-time minutes idle."""
        packed = db.access.get(key)
        if packed is None:
            packed = self.lfu_initial(self.access_since_s)
        counter = packed & 0xFF
        if self.lfu_decay_time_min:
            now_min = (now_s // 60) & 0xFFFF
            last_min = (packed >> 8) & 0xFFFF
            elapsed = now_min - last_min if now_min >= last_min else 0xFFFF - last_min + now_min
            counter = max(0, counter - elapsed // self.lfu_decay_time_min)
        return counter

    def note_lfu_access(self, db: Database, key: bytes, now_s: int) -> None:
        """updateLFU: decay, then a logarithmic increment (LFULogIncr)."""
        counter = self.lfu_counter(db, key, now_s)
        if counter < 255:
            base = max(0, counter - LFU_INIT_VAL)
            draw = self.lfu_draw
            if draw is None or draw() < 1.0 / (base * self.lfu_log_factor + 1):
                counter += 1
        db.access[key] = _lfu_packed(now_s, counter)

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


def _lfu_packed(now_s: int, counter: int) -> int:
    """Redis's 24 LFU bits: the minute of the access (16 bits) and the counter (8)."""
    return ((now_s // 60) & 0xFFFF) << 8 | counter
