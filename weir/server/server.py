"""The RESP server: accepts clients, owns the state machine and the write path.

Shutdown runs in order: stop accepting, close clients, wait for them, stop timers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from weir import commands
from weir.commands.info import rss_bytes
from weir.commands.table import BLOCKED, CommandSpec, is_read, resolve_write
from weir.config import Settings
from weir.errors import CommandError
from weir.glob import compile_glob
from weir.log.errors import LogWriteError
from weir.log.sync import FsyncPolicy, SyncWorker
from weir.resp.reply import NULL_ARRAY, ErrorReply, PushReply
from weir.server import config_table, snapshots
from weir.server.client import BlockState, Client
from weir.server.latency import LATENCY_MONITOR_OFF_US, LatencyMonitor
from weir.server.persistence import Persistence
from weir.server.writelog import SingleNodeLog
from weir.state.keyspace import Database
from weir.state.lists import ListValue
from weir.state.machine import NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, KeyListener, StateMachine
from weir.state.zset import ZSet

log = logging.getLogger("weir.server")

ACTIVE_EXPIRE_INTERVAL_S = 0.1
ACTIVE_EXPIRE_KEYS_PER_SWEEP = 500
# At most this much of each 100 ms goes to active expiry (Redis allows about 25%).
ACTIVE_EXPIRE_BUDGET_S = 0.01
SLOWLOG_ENTRIES_MAX_DEFAULT = 128
# Take a snapshot once the log has grown this much since the last one.
SNAPSHOT_LOG_BYTES_DEFAULT = 256 * 1024 * 1024
PERSIST_CHECK_INTERVAL_S = 0.1
CLOCK_ANCHOR_NS: Final = 100_000_000
# Final: a C static in compiled code, not a dict lookup per use.
_ALWAYS: Final = FsyncPolicy.ALWAYS


@dataclass(slots=True)
class Stats:
    started: float = field(default_factory=time.time)
    connections_received: int = 0
    rejected_connections: int = 0
    errors: int = 0
    expired_keys: int = 0
    keyspace_hits: int = 0
    keyspace_misses: int = 0
    pubsub_messages: int = 0
    # Error replies by their first word (INFO errorstats).
    error_codes: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class SlowlogEntry:
    id: int
    time: int
    duration_us: int
    argv: list[bytes]
    addr: str
    name: bytes


class _Listener(KeyListener):
    """Turns keyspace changes into WATCH invalidation, wake-ups of blocked clients and
    keyspace notifications."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def key_modified(self, db: int, key: bytes) -> None:
        server = self.server
        if server.watchers:
            watchers = server.watchers.get((db, key))
            if watchers:
                for client in watchers:
                    client.dirty_cas = True
        if server.blocked_on and (db, key) in server.blocked_on:
            server.ready_keys[(db, key)] = None

    def keyspace_event(self, db: int, event: bytes, key: bytes) -> None:
        """notify.c: `event` on __keyspace@<db>__:<key>, then `key` on __keyevent@<db>__:<event>.
        Published as the write applies, so they reach subscribers in Redis's order; like
        every output they wait in may_reply until the write is durable."""
        server = self.server
        if not server.channels and not server.patterns:
            return
        flags = server.machine.notify_flags
        where = b"@%d__:" % db
        of_write = event != b"keymiss"  # a miss announces no change: it waits like a read
        if flags & NOTIFY_KEYSPACE:
            server.publish(b"__keyspace" + where + key, event, of_write)
        if flags & NOTIFY_KEYEVENT:
            server.publish(b"__keyevent" + where + event, key, of_write)

    def db_replaced(self, old: Database, new: Database | None, now_ms: int) -> None:
        """multi.c touchAllWatchedKeysInDb: a watched key is touched if it existed or will
        exist; a key already expired when watched that stays gone or expired is not."""
        server = self.server
        db = old.index
        for db_key, watchers in server.watchers.items():
            if db_key[0] != db:
                continue
            key = db_key[1]
            existed = key in old.data
            arrives = new is not None and key in new.data
            if not (existed or arrives):
                continue
            arrives_expired = arrives and new is not None and new.is_expired(key, now_ms)
            for client in watchers:
                if client.watched.get(db_key):  # expired when watched
                    if not arrives:
                        client.watched[db_key] = False  # deleted now: logically no change
                        continue
                    if arrives_expired:
                        continue
                elif not existed and arrives_expired:
                    client.watched[db_key] = True  # nothing there is replaced by a stale key
                    continue
                client.dirty_cas = True
        # SWAPDB can bring a key some client waits on into this database.
        for db_key in server.blocked_on:
            if db_key[0] == db:
                server.ready_keys[db_key] = None


class Server:
    def __init__(self, settings: Settings) -> None:
        commands.load_all()
        self.settings = settings
        self.machine = StateMachine(resolve_write, settings.databases)
        self.machine.listener = _Listener(self)
        self.machine.lfu_draw = random.Random().random
        # Keys loaded from a snapshot carry no access time: they count from the start.
        self.machine.access_since_s = int(time.time())
        self.machine.is_read = is_read
        self.log = SingleNodeLog(self.machine)
        self.stats = Stats()
        # MEMORY STATS startup.allocated: what the process held before any data.
        self.startup_memory = rss_bytes()
        # maxmemory in bytes (0: no limit), and whether the process is over it: commands
        # that add data are refused then (check_memory, every active-expire pass).
        self.maxmemory = 0
        self.oom = False
        self.clients: dict[int, Client] = {}
        self.monitors: list[Client] = []
        self.watchers: dict[tuple[int, bytes], dict[Client, None]] = {}
        self.blocked_on: dict[tuple[int, bytes], deque[Client]] = {}
        self.ready_keys: dict[tuple[int, bytes], None] = {}
        self.deferred: dict[Client, list[list[bytes]]] = {}
        self.channels: dict[bytes, dict[Client, None]] = {}
        self.patterns: dict[bytes, dict[Client, None]] = {}
        self.shard_channels: dict[bytes, dict[Client, None]] = {}
        self._pattern_matchers: dict[bytes, Callable[[bytes], bool]] = {}
        self.slowlog: deque[SlowlogEntry] = deque(maxlen=SLOWLOG_ENTRIES_MAX_DEFAULT)
        self.slowlog_next_id = 0
        self.slowlog_threshold_us = 10_000
        # The latency monitor, and what the dispatcher compares against per command: a
        # command of latency_monitor_us or more is a `command`/`fast-command` event.
        self.latency = LatencyMonitor()
        self.latency_monitor_us = LATENCY_MONITOR_OFF_US
        # latency-tracking: every command's latency goes into its histogram.
        self.latency_tracking = True
        # Runtime CONFIG values (Redis's names); weir reads those it uses from here.
        self.config: dict[str, str] = {}
        self.active_expire = True
        self._expire_walks: dict[int, deque[bytes]] = {}
        # CLIENT PAUSE: "all" or "write" while a pause lasts, and the clients it holds.
        self.pause_mode: str | None = None
        self.paused: list[Client] = []
        self._pause_timer: asyncio.TimerHandle | None = None
        self.last_save = int(time.time())
        self._client_ids = 0
        # Any: uvloop's server is no asyncio.Server (its `sockets` is a list, not a tuple).
        self._server: Any = None
        self._rebinding: asyncio.Task[Any] | None = None
        self._timers: list[asyncio.TimerHandle] = []
        self._expire_task: asyncio.Task[None] | None = None
        self.port = settings.port
        config_table.install(self)
        self.hooks_on_shutdown: list[Callable[[], Any]] = []
        # Set by the runner: SHUTDOWN asks it to stop the server in order.
        self.on_shutdown_request: Callable[[], None] | None = None
        # Durability (open_storage): replies held until their batch is durable.
        self.persistence: Persistence | None = None
        self.held: dict[Client, None] = {}
        self._commit_scheduled = False
        self._after_pass_scheduled = False
        self._sync_worker: SyncWorker | None = None
        self._everysec_task: asyncio.Task[None] | None = None
        self._retry_handle: asyncio.TimerHandle | None = None
        # Snapshots: Redis-style `save` rules (seconds, changes) and a log-size trigger.
        self.save_rules: list[tuple[int, int]] = [(3600, 1), (300, 100), (60, 10000)]
        self.snapshot_log_bytes_max = SNAPSHOT_LOG_BYTES_DEFAULT
        self.bgsave: snapshots.BackgroundSave | None = None
        self.bgsave_dirty = 0
        # BGSAVE SCHEDULE while a rewrite ran: starts once it ends.
        self.bgsave_scheduled = False
        self.last_bgsave_ok = True
        self.last_bgsave_seconds = -1
        self.snapshots_taken = 0
        self.fork_stats = snapshots.ForkStats()
        # BGREWRITEAOF: the log is compacted by a snapshot (see start_bgsave).
        self.rewrite_stats = snapshots.RewriteStats()
        self._persist_task: asyncio.Task[None] | None = None
        # ms_at(): the wall clock minus the perf counter, and when that was measured
        # (never yet: the first call anchors).
        self._wall_minus_perf_ns = 0
        self._clock_anchor_ns = -CLOCK_ANCHOR_NS - 1

    # --- durability -------------------------------------------------------------------

    def open_storage(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Open the data directory, load the snapshot and replay the log. Returns entries replayed."""
        persistence = Persistence(Path(self.settings.dir), self.settings.appendfsync, self.machine)
        # Replaying writes that happened before must not announce them again.
        notify_flags, self.machine.notify_flags = self.machine.notify_flags, 0
        try:
            replayed = persistence.recover(progress)
        except BaseException:
            persistence.storage.close()
            raise
        finally:
            self.machine.notify_flags = notify_flags
        self.persistence = persistence
        persistence.before_write = self._end_batch
        persistence.latency = self.latency
        self.log = SingleNodeLog(self.machine, self.persistence)
        log.info("data directory %s: replayed %d log entries, %d keys",
                 self.settings.dir, replayed, sum(len(db) for db in self.machine.dbs))
        return replayed

    def _end_batch(self) -> None:
        self.log.end_batch()

    def close_storage(self) -> None:
        if self.persistence is not None:
            self.persistence.close()
            self.persistence = None

    def check_writable(self) -> None:
        persistence = self.persistence
        if persistence is not None and persistence.write_error is not None:
            raise CommandError(
                f"MISCONF Errors writing to the log on disk, writes are refused until it "
                f"recovers: {persistence.write_error}"
            )

    def may_reply(self, client: Client) -> bool:
        """False if the client's output must wait for its batch to be durable."""
        persistence = self.persistence
        if persistence is None:
            # A reply never leaves before the entry holding its command is closed.
            self.log.end_batch()
            return True
        if persistence.write_error is not None:
            # Meanwhile writes are refused (MISCONF) and reads answered, as Redis does;
            # only the clients whose batch failed wait for the retry.
            return client not in self.held
        if (
            self.log.batch_open()
            or persistence.pending
            or self._commit_scheduled
            or (persistence.policy is _ALWAYS and persistence.storage.needs_sync)
        ):
            # Replies wait for the end of this event-loop pass: what they answer (or
            # observed) must be written (and, with `always`, synced) first. The open
            # entry stays open until then, so every client's write in the pass shares it.
            self.held[client] = None
            if not self._commit_scheduled:
                self._commit_scheduled = True
                asyncio.get_running_loop().call_soon(self._group_commit)
            return False
        return True

    def after_pass_soon(self) -> None:
        """At the end of this loop pass, once for all clients: settle the keys its
        commands found into the access dicts, while the keyspace lines they touched are
        still cached (StateMachine.record_accesses), and delete the expired keys its
        reads met."""
        if self._after_pass_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # driven without a loop (tests): now
            self._after_pass()
            return
        self._after_pass_scheduled = True
        loop.call_soon(self._after_pass)

    def _after_pass(self) -> None:
        self._after_pass_scheduled = False
        self.machine.record_accesses()
        if self.machine.expired_seen:
            self.expire_seen()

    def expire_seen(self) -> int:
        """Redis's lazy expiry: propose the deletion of the expired keys reads met, as the
        active sweep does (the entry deletes those still due at its ts). Not while writes
        are refused or clients paused: Redis expires nothing during a pause either."""
        seen, self.machine.expired_seen = self.machine.expired_seen, []
        persistence = self.persistence
        if self.pause_mode is not None or (persistence is not None and persistence.write_error is not None):
            return 0
        by_db: dict[int, dict[bytes, None]] = {}
        for db, key in seen:
            by_db.setdefault(db, {})[key] = None
        removed = 0
        for db, keys in by_db.items():
            removed += self.propose_internal(db, [b"__expire", *keys])
        self.stats.expired_keys += removed
        return removed

    def _group_commit(self) -> None:
        """Once per event-loop pass: one append for every write of the pass, one fsync
        with `always`, then every held reply goes out."""
        self._commit_scheduled = False
        persistence = self.persistence
        assert persistence is not None
        try:
            if persistence.policy is FsyncPolicy.ALWAYS:
                persistence.sync()
            else:
                persistence.write_pending()
        except LogWriteError as exc:
            self._write_failed(exc)
            return
        self._release_held()

    def _release_held(self) -> None:
        held, self.held = self.held, {}
        for client in held:
            client.wrote = False
            client.flush()

    def _write_failed(self, exc: LogWriteError) -> None:
        assert self.persistence is not None
        if self.persistence.write_error is None:
            log.error("log write failed, refusing writes until it succeeds: %s", exc)
        self.persistence.write_error = exc
        # Only replies acknowledging an unwritten write must wait for the retry. A
        # reply that merely shared the pass goes now: reads made after the failure
        # see the same state, and are not held either.
        for client in [client for client in self.held if not client.wrote]:
            del self.held[client]
            client.flush()
        if self._retry_handle is None:
            self._retry_handle = asyncio.get_running_loop().call_later(1.0, self._retry_write)

    def _retry_write(self) -> None:
        self._retry_handle = None
        persistence = self.persistence
        if persistence is None:
            return
        try:
            # A failed append is retried; after a failed fsync the log refuses every
            # write (the kernel may have dropped the pages) until the server restarts.
            persistence.sync()
        except LogWriteError as exc:
            persistence.write_error = None
            self._write_failed(exc)
            return
        log.warning("log writes succeed again; accepting writes")
        persistence.write_error = None
        self._release_held()

    def after_batch(self) -> None:
        """Embedded mode (no event loop): what the end of a loop pass does, then make the
        batch durable as the policy says."""
        self._after_pass()
        persistence = self.persistence
        if persistence is None:
            return
        persistence.write_pending()
        if persistence.policy is FsyncPolicy.ALWAYS:
            persistence.sync()

    # --- snapshots --------------------------------------------------------------------

    def save_now(self) -> None:
        """SAVE: a snapshot in the foreground (clients wait, as with Redis's SAVE)."""
        if self.bgsave is not None:
            raise CommandError("ERR Background save already in progress")
        persistence = self._need_persistence()
        persistence.sync()
        snapshots.save(persistence.snapshot_dir, self.machine)
        self._snapshot_done(self.machine.applied_index, self.machine.applied_term, self.machine.dirty)

    def start_bgsave(self, rewrite: bool = False) -> None:
        """BGSAVE, or BGREWRITEAOF (`rewrite`): the same snapshot, which compacts the log
        it covers; a rewrite is only counted in INFO's aof_rewrite fields."""
        if self.bgsave is not None:
            raise CommandError("ERR Background save already in progress")
        persistence = self._need_persistence()
        # The child must not inherit records that the parent will also write.
        persistence.write_pending()
        self.bgsave_dirty = self.machine.dirty
        delay = int(self.config.get("rdb-key-save-delay", "0"))
        self.bgsave = job = snapshots.fork_save(persistence.snapshot_dir, self.machine, delay, rewrite)
        # As Redis with a child: reads stop recording access times, which would copy pages.
        self.machine.set_touching(False)
        if rewrite:
            self.rewrite_stats.scheduled = False
        else:
            self.bgsave_scheduled = False
        persistence.child_active = True
        self.fork_stats.add(job.fork_us)
        self.latency.add_if_needed("fork", job.fork_us // 1000)
        log.info("background snapshot started by pid %d at index %d", job.pid, job.index)

    def _need_persistence(self) -> Persistence:
        if self.persistence is None:
            raise CommandError("ERR this server has no data directory")
        return self.persistence

    def _snapshot_done(self, index: int, term: int, dirty: int, rewrite: bool = False) -> None:
        persistence = self._need_persistence()
        self.machine.dirty = max(0, self.machine.dirty - dirty)
        self.last_save = int(time.time())
        if not rewrite:
            self.snapshots_taken += 1
            self.last_bgsave_ok = True
        storage = persistence.storage
        if storage.last_index() >= index and persistence.write_error is None:
            storage.compact_prefix(index, term)
        persistence.log_bytes_at_snapshot = persistence.log_bytes()

    def check_snapshots(self) -> None:
        """Reap a finished background snapshot; start one when a rule or a scheduled
        BGSAVE/BGREWRITEAOF says so (in the same pass, as serverCron does)."""
        job = self.bgsave
        if job is not None:
            done = snapshots.poll_child(job)
            if done is None:
                return
            self._reap_snapshot(job, done)
            if not (self.rewrite_stats.scheduled or self.bgsave_scheduled):
                return
        persistence = self.persistence
        if persistence is None or persistence.write_error is not None:
            return
        if self.rewrite_stats.scheduled or self.bgsave_scheduled:
            self.start_bgsave(rewrite=self.rewrite_stats.scheduled)
            return
        elapsed = time.time() - self.last_save
        dirty = self.machine.dirty
        due = any(dirty >= changes and elapsed >= seconds for seconds, changes in self.save_rules)
        grown = persistence.log_bytes() - persistence.log_bytes_at_snapshot
        if due or grown >= self.snapshot_log_bytes_max:
            # A failed snapshot is retried only after a pause, as Redis does.
            if self.last_bgsave_ok or elapsed > 5:
                self.start_bgsave()

    def _reap_snapshot(self, job: snapshots.BackgroundSave, done: bool) -> None:
        self.bgsave = None
        self.machine.set_touching(True)
        if self.persistence is not None:
            self.persistence.child_active = False
        if job.rewrite:
            self.rewrite_stats.finished(job, done)
        else:
            self.last_bgsave_seconds = int(time.time() - job.started)
        if done:
            log.info("background snapshot at index %d done", job.index)
            self._snapshot_done(job.index, job.term, self.bgsave_dirty, job.rewrite)
        else:
            if not job.rewrite:
                self.last_bgsave_ok = False
            log.error("background snapshot failed (pid %d)", job.pid)

    async def _persist_loop(self) -> None:
        while True:
            await asyncio.sleep(PERSIST_CHECK_INTERVAL_S)
            try:
                self.check_snapshots()
            except Exception:
                log.exception("snapshot check failed")

    async def _everysec_loop(self) -> None:
        assert self.persistence is not None
        self._sync_worker = worker = SyncWorker(self.persistence.storage)
        while True:
            await asyncio.sleep(1.0)
            if self.persistence is None or self.persistence.policy is not FsyncPolicy.EVERYSEC:
                continue
            try:
                self.persistence.write_pending()
                await worker.sync()
            except LogWriteError as exc:
                self._write_failed(exc)

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.persistence is None:
            self.open_storage()
        assert self.persistence is not None
        self._everysec_task = asyncio.create_task(self._everysec_loop())
        self._persist_task = asyncio.create_task(self._persist_loop())
        self._server = await loop.create_server(
            lambda: Client(self), self.settings.bind, self.settings.port, reuse_address=True,
            backlog=511,
        )
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]
        self.config["port"] = str(self.port)
        self._expire_task = asyncio.create_task(self._active_expire_loop())
        log.info("weir listening on %s:%d", self.settings.bind, self.port)

    def rebind(self, port: int) -> None:
        """CONFIG SET port: listen on `port` (bound here, so an error reaches the caller and
        the old listener stays), then stop listening on the old one. Connected clients stay.
        Port 0 stops listening on TCP, as in Redis."""
        if self._server is None or port == self.port:
            return
        loop = asyncio.get_running_loop()
        listener: socket.socket | None = None
        if port:
            family, kind, proto, _, address = socket.getaddrinfo(
                self.settings.bind, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )[0]
            listener = socket.socket(family, kind, proto)
            try:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind(address)
                listener.listen(511)
            except OSError:
                listener.close()
                raise
        self._server.close()
        self._abandon_rebinding()
        self.port = port
        if listener is not None:
            # Connections wait in the listen backlog until the new server accepts them.
            self._rebinding = loop.create_task(
                loop.create_server(lambda: Client(self), sock=listener, backlog=511)
            )
            self._rebinding.add_done_callback(self._rebound)

    def _abandon_rebinding(self) -> None:
        """An earlier CONFIG SET port whose listener is not serving yet never will."""
        if self._rebinding is not None and not self._rebinding.done():
            self._rebinding.remove_done_callback(self._rebound)
            self._rebinding.add_done_callback(_close_unused_listener)

    def _rebound(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is None:
            self._server = task.result()

    async def serve_forever(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self._abandon_rebinding()
        for client in list(self.clients.values()):
            client.close()
        if self._server is not None:
            try:
                await asyncio.wait_for(self._server.wait_closed(), timeout=2)
            except TimeoutError:
                log.warning("clients did not close in time")
        if self._expire_task is not None:
            self._expire_task.cancel()
        if self._everysec_task is not None:
            self._everysec_task.cancel()
            try:
                await self._everysec_task
            except (asyncio.CancelledError, LogWriteError):
                pass
        if self._sync_worker is not None:
            self._sync_worker.close()
        if self._persist_task is not None:
            self._persist_task.cancel()
        if self.bgsave is not None:
            # Let a running snapshot finish: it is the newest image there will be.
            os.waitpid(self.bgsave.pid, 0)
            self.bgsave = None
        for hook in self.hooks_on_shutdown:
            hook()
        self.close_storage()

    # --- clients ----------------------------------------------------------------------

    def next_client_id(self) -> int:
        self._client_ids += 1
        return self._client_ids

    def accept(self, client: Client) -> bool:
        self.stats.connections_received += 1
        if len(self.clients) >= self.settings.maxclients:
            self.stats.rejected_connections += 1
            if client.transport is not None:
                client.transport.write(b"-ERR max number of clients reached\r\n")
                client.transport.close()
            return False
        self.clients[client.id] = client
        return True

    def forget(self, client: Client) -> None:
        self.clients.pop(client.id, None)
        self.unwatch_all(client)
        self.unblock(client)
        self.deferred.pop(client, None)
        self.unsubscribe_all(client)
        if client.monitor and client in self.monitors:
            self.monitors.remove(client)

    def now_ms(self) -> int:
        """Wall-clock milliseconds, from the same anchored clock as the dispatcher's."""
        return self.ms_at(time.perf_counter_ns())

    def ms_at(self, perf_ns: int) -> int:
        """Wall-clock milliseconds at a perf_counter_ns() reading the caller already took:
        a read needs the time for expiry and the dispatcher the clock for its timing,
        and one clock call can serve both. Re-anchored to the wall clock every 100 ms:
        a step of the system clock shows within that."""
        if perf_ns - self._clock_anchor_ns > CLOCK_ANCHOR_NS:
            self._wall_minus_perf_ns = time.time_ns() - time.perf_counter_ns()
            self._clock_anchor_ns = perf_ns
            self.machine.set_access_clock((perf_ns + self._wall_minus_perf_ns) // 1_000_000_000)
        return (perf_ns + self._wall_minus_perf_ns) // 1_000_000

    # --- writes -----------------------------------------------------------------------

    def write(self, client: Client, spec: CommandSpec, argv: list[bytes], now_ms: int) -> Any:
        """A client's write, at `now_ms` (the dispatcher's clock reading)."""
        if self.persistence is not None and self.persistence.write_error is not None:
            self.check_writable()
        client.wrote = True
        reply = self.log.submit_one(client.db, argv, spec.handler, now_ms)
        if self.ready_keys:
            self.serve_blocked()
        return reply

    def write_multi(
        self, client: Client, argvs: list[list[bytes]], boundary: Callable[[], None] | None = None
    ) -> list[Any]:
        """A MULTI block's state commands as one entry. Clients blocked on the keys it
        changed are served by EXEC once it is done (serve_blocked), as Redis does after
        the EXEC command; `boundary` times each command (StateMachine.apply_command)."""
        self.check_writable()
        client.wrote = True
        replies: list[Any] = self.log.submit(client.db, argvs, self.now_ms(), multi=True, boundary=boundary)
        return replies

    def propose_internal(self, db: int, argv: list[bytes]) -> Any:
        """A write the server makes on its own (active expiry)."""
        reply = self.log.submit(db, [argv], self.now_ms())
        if self.ready_keys:
            self.serve_blocked()
        return reply

    # --- blocking ---------------------------------------------------------------------

    def block(self, client: Client, spec: CommandSpec, argv: list[bytes], started_ns: int) -> None:
        """`client` waits; its command began at perf_counter_ns() `started_ns`."""
        assert spec.block_timeout is not None, f"{spec.name} blocks but has no timeout"
        timeout_s = spec.block_timeout(argv)
        keys = spec.keys(argv)
        state = BlockState(spec, argv, client.db, keys)
        state.duration_us = (time.perf_counter_ns() - started_ns) // 1000
        client.blocked = state
        for key in keys:
            self.blocked_on.setdefault((client.db, key), deque()).append(client)
        if timeout_s > 0:
            loop = asyncio.get_running_loop()
            state.timer = loop.call_later(timeout_s, self.unblock_with, client, NULL_ARRAY, None, False)

    def unblock(self, client: Client) -> None:
        state = client.blocked
        if state is None:
            return
        client.blocked = None
        if state.timer is not None:
            state.timer.cancel()
        for key in state.keys:
            queue = self.blocked_on.get((state.db, key))
            if queue is not None:
                try:
                    queue.remove(client)
                except ValueError:
                    pass
                if not queue:
                    del self.blocked_on[(state.db, key)]

    def unblock_with(self, client: Client, reply: Any, error: str | None = None, logged: bool = True) -> None:
        """End a client's wait with `reply` (timeout, CLIENT UNBLOCK) and run what it queued.
        A timeout is not `logged` in SLOWLOG, as in Redis 7.0; CLIENT UNBLOCK is."""
        state = client.blocked
        if state is None:
            return
        started_ns = time.perf_counter_ns()
        self.unblock(client)
        if error is not None:
            client.reply_error(error)
        else:
            client.reply(reply)
        if logged:
            self._answered(client, state, started_ns)
        self._resume(client)

    def _answered(self, client: Client, state: BlockState, started_ns: int) -> None:
        """blocked.c updateStatsOnUnblock: a blocked command is in SLOWLOG only once it is
        answered, for its first run plus the one that answered it (from `started_ns`)."""
        serve_us = (time.perf_counter_ns() - started_ns) // 1000
        state.spec.usec += serve_us
        duration_us = state.duration_us + serve_us
        if duration_us >= self.slowlog_threshold_us >= 0:
            self.slowlog_add(client, state.argv, duration_us)

    def serve_blocked(self) -> None:
        """Serve clients waiting on keys that changed, first come first served. As in
        Redis (blocked.c handleClientsBlockedOnKeys), a key that now holds another type
        than a waiter pops serves that waiter nothing: it keeps waiting."""
        while self.ready_keys:
            ready = list(self.ready_keys)
            self.ready_keys.clear()
            for db_key in ready:
                queue = self.blocked_on.get(db_key)
                data = self.machine.dbs[db_key[0]].data
                skipped = 0  # waiters at the head of the queue that pop another type
                while queue is not None and skipped < len(queue):
                    client = queue[skipped]
                    state = client.blocked
                    assert state is not None
                    value = data.get(db_key[1])
                    if value is not None and type(value) is not _popped_type(state.spec):
                        skipped += 1
                        continue
                    started_ns = time.perf_counter_ns()
                    try:
                        argv = _served_argv(state.spec, state.argv, db_key[1])
                        reply = self.log.submit(state.db, [argv], self.now_ms())
                    except CommandError as exc:
                        # BLMOVE onto a key of the wrong type: the waiter gets the error,
                        # the element stays, the next waiter is tried (as in Redis).
                        reply = ErrorReply(exc.message)
                    if reply is BLOCKED:
                        break
                    self.unblock(client)
                    client.wrote = True
                    if type(reply) is ErrorReply:
                        client.reply_error(reply.message)
                    else:
                        client.reply(reply)
                    self._answered(client, state, started_ns)
                    self._resume(client)

    # --- CLIENT PAUSE -----------------------------------------------------------------

    def pause_clients(self, mode: str, timeout_ms: int) -> None:
        """Hold commands (all, or only writes) for timeout_ms; a later pause may widen it."""
        if self.pause_mode != "all":
            self.pause_mode = mode
        if self._pause_timer is not None:
            self._pause_timer.cancel()
        self._pause_timer = asyncio.get_running_loop().call_later(timeout_ms / 1000, self.unpause_clients)

    def postpone(self, client: Client, spec: CommandSpec, argv: list[bytes]) -> None:
        """Hold a command until the pause ends; what the client sends meanwhile queues behind it."""
        client.blocked = BlockState(spec, argv, client.db, [])
        self.paused.append(client)

    def unpause_clients(self) -> None:
        if self._pause_timer is not None:
            self._pause_timer.cancel()
            self._pause_timer = None
        self.pause_mode = None
        held, self.paused = self.paused, []
        for client in held:
            state = client.blocked
            if state is None or client.closing:
                continue
            client.blocked = None
            client.execute(state.argv)
            self._resume(client)

    def defer(self, client: Client, argv: list[bytes]) -> None:
        self.deferred.setdefault(client, []).append(argv)

    def _resume(self, client: Client) -> None:
        pending = self.deferred.pop(client, None)
        if pending:
            for i, argv in enumerate(pending):
                if client.blocked is not None:
                    self.deferred[client] = pending[i:]
                    break
                client.execute(argv)
        client.flush()

    # --- WATCH ------------------------------------------------------------------------

    def watch(self, client: Client, key: bytes) -> None:
        db_key = (client.db, key)
        if db_key in client.watched:
            return
        db = self.machine.dbs[client.db]
        # Remember whether it was already expired, as Redis 7.0 does.
        client.watched[db_key] = db.is_expired(key, self.now_ms())
        self.watchers.setdefault(db_key, {})[client] = None

    def unwatch_all(self, client: Client) -> None:
        for db_key in client.watched:
            watchers = self.watchers.get(db_key)
            if watchers is not None:
                watchers.pop(client, None)
                if not watchers:
                    del self.watchers[db_key]
        client.watched.clear()
        client.dirty_cas = False

    def watched_key_expired(self, client: Client) -> bool:
        now = self.now_ms()
        for (dbi, key), was_expired in client.watched.items():
            if not was_expired and self.machine.dbs[dbi].is_expired(key, now):
                return True
        return False

    # --- pub/sub ----------------------------------------------------------------------

    def subscribe(self, table: dict[bytes, dict[Client, None]], name: bytes, client: Client) -> None:
        table.setdefault(name, {})[client] = None

    def _drop_sub(self, table: dict[bytes, dict[Client, None]], name: bytes, client: Client) -> None:
        members = table.get(name)
        if members is not None:
            members.pop(client, None)
            if not members:
                del table[name]
                if table is self.patterns:
                    self._pattern_matchers.pop(name, None)

    def unsubscribe(self, table: dict[bytes, dict[Client, None]], name: bytes, client: Client) -> None:
        self._drop_sub(table, name, client)

    def unsubscribe_all(self, client: Client) -> None:
        """Drop every channel, pattern and shard channel subscription of `client`, silently."""
        for mine, table in (
            (client.channels, self.channels),
            (client.patterns, self.patterns),
            (client.shard_channels, self.shard_channels),
        ):
            for name in mine:
                self._drop_sub(table, name, client)
            mine.clear()

    def spublish(self, channel: bytes, message: bytes) -> int:
        """SPUBLISH: shard channel subscribers only (patterns never see shard messages)."""
        members = self.shard_channels.get(channel)
        if members:
            for client in list(members):
                client.push(PushReply([b"smessage", channel, message]))
        self.stats.pubsub_messages += 1
        return len(members) if members else 0

    def publish(self, channel: bytes, message: bytes, of_write: bool = False) -> int:
        """PUBLISH, and keyspace notifications (`of_write`): a receiver's output then waits,
        like the writer's reply, for the write to be durable, even if the log fails."""
        receivers = 0
        members = self.channels.get(channel)
        if members:
            for client in list(members):
                client.wrote = client.wrote or of_write
                client.push(PushReply([b"message", channel, message]))
                receivers += 1
        if self.patterns:
            matchers = self._pattern_matchers
            for pattern, members in list(self.patterns.items()):
                # Compiled once per pattern, not through compile_glob's bounded cache:
                # past its size every publish would compile every pattern again.
                matcher = matchers.get(pattern)
                if matcher is None:
                    matcher = matchers[pattern] = compile_glob(pattern)
                if matcher(channel):
                    for client in list(members):
                        client.wrote = client.wrote or of_write
                        client.push(PushReply([b"pmessage", pattern, channel, message]))
                        receivers += 1
        self.stats.pubsub_messages += 1
        return receivers

    # --- MONITOR and SLOWLOG ----------------------------------------------------------

    def feed_monitors(self, client: Client, argv: list[bytes]) -> None:
        """replicationFeedMonitors: every monitor gets the line, the one that ran the
        command too. The line is a reply, not a push: CLIENT REPLY OFF silences it."""
        from weir.resp.reply import Status

        now = time.time()
        args = " ".join('"' + _monitor_escape(a) + '"' for a in redacted(argv))
        line = Status(f"{now:.6f} [{client.db} {client.addr}] {args}")
        for monitor in list(self.monitors):
            monitor.send_now(line)

    def reset_stats(self) -> None:
        """CONFIG RESETSTAT: zero what INFO counts (uptime stays)."""
        self.stats = Stats(started=self.stats.started)
        self.fork_stats = snapshots.ForkStats()
        for spec in commands.COMMANDS.values():
            for each in (spec, *spec.subcommands.values()):
                each.calls = each.usec = each.rejected_calls = each.failed_calls = 0
                each.latency_counts = []

    def latency_command(self, spec: CommandSpec, elapsed_us: int) -> None:
        """A command at or over latency-monitor-threshold (the dispatcher checked)."""
        event = "fast-command" if "fast" in spec.flags else "command"
        self.latency.add_if_needed(event, elapsed_us // 1000)

    def resize_slowlog(self, entries_max: int) -> None:
        self.slowlog = deque(self.slowlog, maxlen=entries_max)

    def count_command(self, client: Client, spec: CommandSpec, argv: list[bytes], elapsed_us: int) -> None:
        """What call() records of a command that ran: commandstats, the latency
        histogram and monitor, SLOWLOG."""
        spec.calls += 1
        spec.usec += elapsed_us
        if self.latency_tracking:
            spec.record_latency(elapsed_us)
        if elapsed_us >= self.latency_monitor_us:
            self.latency_command(spec, elapsed_us)
        if elapsed_us >= self.slowlog_threshold_us >= 0:
            self.slowlog_command(client, spec, argv, elapsed_us)

    def slowlog_command(self, client: Client, spec: CommandSpec, argv: list[bytes], duration_us: int) -> None:
        """A command that took at least slowlog-log-slower-than: logged, unless its flags
        say not to (EXEC: the commands it ran are logged one by one) or it is blocked
        (logged when answered, see _answered)."""
        if "skip_slowlog" in spec.flags or (client.blocked is not None and client.blocked.argv is argv):
            return
        self.slowlog_add(client, argv, duration_us)

    def slowlog_add(self, client: Client, argv: list[bytes], duration_us: int) -> None:
        argv = redacted(argv)
        shown = argv[:32]
        if len(argv) > 32:
            shown = [*argv[:31], b"... (%d more arguments)" % (len(argv) - 31)]
        shown = [a if len(a) <= 128 else a[:128] + b"... (%d more bytes)" % (len(a) - 128) for a in shown]
        self.slowlog.appendleft(
            SlowlogEntry(self.slowlog_next_id, int(time.time()), duration_us, shown, client.addr, client.name)
        )
        self.slowlog_next_id += 1

    # --- active expiry ----------------------------------------------------------------

    async def _active_expire_loop(self) -> None:
        while True:
            await asyncio.sleep(ACTIVE_EXPIRE_INTERVAL_S)
            try:
                self.check_memory()
                if self.active_expire:
                    self.expire_sweep()
                if self.settings.timeout > 0:
                    self.close_idle_clients(time.time())
            except Exception:  # the sweep must never stop for good
                log.exception("periodic server task failed")

    def check_memory(self) -> None:
        """Over maxmemory, weir refuses what would add data, as Redis's noeviction does.
        It does not evict under the other policies (docs/architecture.md)."""
        self.oom = self.maxmemory > 0 and rss_bytes() > self.maxmemory

    def close_idle_clients(self, now: float) -> int:
        """Close clients idle longer than `timeout` seconds; as in Redis, clients that
        wait (blocked) or listen (pub/sub, MONITOR) are left alone."""
        limit = self.settings.timeout
        idle = [
            client for client in self.clients.values()
            if now - client.last_interaction > limit
            and client.blocked is None and not client.subscribed()
            and not client.monitor and client.transport is not None
        ]
        for client in idle:
            client.close()
        return len(idle)

    def expire_sweep(self) -> int:
        """Propose the deletion of keys whose deadline has passed (the leader decides).

        Each database is walked in slices from where the last sweep stopped, so
        every volatile key is looked at within a bounded number of sweeps; a
        sweep stops at its time budget, as Redis's active expiry cycle does.
        """
        started = time.perf_counter()
        now = self.now_ms()
        removed = 0
        for db in self.machine.dbs:
            expires = db.expires
            if not expires:
                self._expire_walks.pop(db.index, None)
                continue
            # Bounded by the time budget and by one full pass over the database.
            for _ in range(max(1, len(expires) // ACTIVE_EXPIRE_KEYS_PER_SWEEP + 1)):
                walk = self._expire_walks.get(db.index)
                if not walk:
                    walk = self._expire_walks[db.index] = deque(expires)
                batch = [walk.popleft() for _ in range(min(ACTIVE_EXPIRE_KEYS_PER_SWEEP, len(walk)))]
                due = [key for key in batch if expires.get(key, now + 1) <= now]
                if due:
                    removed += self.propose_internal(db.index, [b"__expire", *due])
                if not walk or time.perf_counter() - started > ACTIVE_EXPIRE_BUDGET_S:
                    break
            if time.perf_counter() - started > ACTIVE_EXPIRE_BUDGET_S:
                break
        self.stats.expired_keys += removed
        self.latency.add_if_needed("expire-cycle", int((time.perf_counter() - started) * 1000))
        return removed


_REDACTED: Final = b"(redacted)"
# config.c SENSITIVE_CONFIG: CONFIG SET hides their values from MONITOR and SLOWLOG.
_SENSITIVE_CONFIGS = frozenset(
    {b"masteruser", b"masterauth", b"requirepass", b"tls-key-file-pass", b"tls-client-key-file-pass"}
)


def redacted(argv: list[bytes]) -> list[bytes]:
    """argv as MONITOR and SLOWLOG show it: secrets replaced where the command would
    hide them (redactClientCommandArgument in AUTH, HELLO ... AUTH and CONFIG SET)."""
    name = argv[0].lower()
    hide: list[int] = []
    if name == b"auth" and len(argv) <= 3:
        hide = list(range(1, len(argv)))
    elif name == b"hello" and len(argv) > 2 and argv[1] in (b"2", b"3"):
        i = 2
        while i < len(argv):
            option = argv[i].lower()
            if option == b"auth" and i + 2 < len(argv):
                hide += [i + 1, i + 2]
                i += 3
            elif option == b"setname" and i + 1 < len(argv):
                i += 2
            else:
                break
    elif name == b"config" and len(argv) > 3 and argv[1].lower() == b"set":
        hide = [i + 1 for i in range(2, len(argv) - 1, 2) if argv[i].lower() in _SENSITIVE_CONFIGS]
    if not hide:
        return argv
    shown = list(argv)
    for i in hide:
        shown[i] = _REDACTED
    return shown


# Blocking pops whose keys are all sources, and those of them that count their keys.
_POPS_FROM_ANY_KEY: Final = frozenset({"blpop", "brpop", "bzpopmin", "bzpopmax", "blmpop", "bzmpop"})
_NUMKEYS_BEFORE_KEYS: Final = frozenset({"blmpop", "bzmpop"})


def _served_argv(spec: CommandSpec, argv: list[bytes], key: bytes) -> list[bytes]:
    """The pop that serves a waiter from `key`, the key that became ready, alone: Redis
    serves a woken client from that key whatever its other keys hold (a string there is
    no WRONGTYPE), and from the first key to become ready when several do at once."""
    if spec.name not in _POPS_FROM_ANY_KEY:
        return argv
    positions = spec.key_positions(argv)
    if len(positions) <= 1:
        return argv
    first, last = positions[0], positions[-1]
    head = [*argv[: first - 1], b"1"] if spec.name in _NUMKEYS_BEFORE_KEYS else argv[:first]
    return [*head, key, *argv[last + 1 :]]


def _popped_type(spec: CommandSpec) -> type:
    """What a blocking command pops from: a sorted set (BZPOPMIN, BZMPOP...) or a list."""
    return ZSet if "@sortedset" in spec.acl_categories else ListValue


def _close_unused_listener(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is None:
        task.result().close()


def _monitor_escape(arg: bytes) -> str:
    out = []
    for byte in arg:
        if byte == 0x22 or byte == 0x5C:
            out.append("\\" + chr(byte))
        elif byte == 0x0A:
            out.append("\\n")
        elif byte == 0x0D:
            out.append("\\r")
        elif byte == 0x09:
            out.append("\\t")
        elif 32 <= byte < 127:
            out.append(chr(byte))
        else:
            out.append(f"\\x{byte:02x}")
    return "".join(out)
