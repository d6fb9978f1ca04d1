"""One client connection: an asyncio.Protocol that parses, dispatches and replies.

All requests that arrive in one read are parsed and answered together and
their replies written in one call (pipelining). The dispatcher checks, in
order: known command, arity, authentication, subscribed mode, MULTI queueing;
then runs session commands here, reads against local state and writes through
the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from weir.commands.table import BLOCKED, CommandSpec, find_command
from weir.errors import CommandError, RemoteProtocolError
from weir.resp.encoder import Encoder, encode_error
from weir.resp.parser import ParserLimits, RequestStream, request_bytes, request_reader
from weir.resp.reply import NO_REPLY, QUEUED, ErrorReply, PushReply

try:
    from weir.state._cprefetch import prefetch_frames as _prefetch_frames
except ImportError:  # not built: batches run the same, without the prefetch hint
    _prefetch_frames = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from weir.server.server import Server

log = logging.getLogger("weir.client")

# Commands a client in MULTI runs at once instead of queueing.
_MULTI_IMMEDIATE = frozenset({b"exec", b"discard", b"multi", b"watch", b"quit", b"reset"})
_OOM_ALLOWED_IN_MULTI = frozenset({b"exec", b"discard", b"quit", b"reset"})
_OOM: Final = "OOM command not allowed when used memory > 'maxmemory'."
# What a RESP2 client in subscribed mode may still send.
_SUBSCRIBED_ALLOWED = frozenset(
    {b"subscribe", b"psubscribe", b"unsubscribe", b"punsubscribe", b"ssubscribe",
     b"sunsubscribe", b"ping", b"quit", b"reset"}
)
ENCODERS = {2: Encoder(2), 3: Encoder(3)}
# CLIENT REPLY, as bits of Client.reply_flags (networking.c CLIENT_REPLY_OFF, _SKIP, _SKIP_NEXT).
REPLY_OFF: Final = 1
REPLY_SKIP: Final = 2  # the replies of the command running now are dropped
REPLY_SKIP_NEXT: Final = 4  # CLIENT REPLY SKIP ran: the next command's replies are dropped
_SILENCED: Final = REPLY_OFF | REPLY_SKIP
# What Redis counts per queued argument in multi-mem (sizeof(robj*)).
_POINTER_BYTES: Final = 8
# A reply block (PROTO_REPLY_CHUNK_BYTES): CLIENT LIST's oll counts the pending output in these.
_REPLY_CHUNK_BYTES: Final = 16 * 1024
# Final: compiled, these are C statics; any other module name costs a dict lookup per use.
_perf_ns: Final = time.perf_counter_ns
_ERROR_REPLY: Final = ErrorReply
_NO_REPLY: Final = NO_REPLY


def unknown_command_error(argv: list[bytes]) -> str:
    """Redis's text, trailing space included: each argument is quoted and followed by one."""
    args = ""
    for arg in argv[1:]:
        if len(args) >= 128:
            break
        args += "'" + arg[: 128 - len(args)].decode("utf-8", "replace") + "' "
    name = argv[0][:128].decode("utf-8", "replace")
    return f"ERR unknown command '{name}', with args beginning with: {args}"


class BlockState:
    """Why and until when a client waits (BLPOP and friends)."""

    __slots__ = ("argv", "db", "duration_us", "keys", "spec", "timer")

    def __init__(self, spec: CommandSpec, argv: list[bytes], db: int, keys: list[bytes]) -> None:
        self.spec = spec
        self.argv = argv
        self.db = db
        self.keys = keys
        self.timer: asyncio.TimerHandle | None = None
        # How long the command's first run took: its SLOWLOG entry, written when it is
        # answered, counts that and the run that answers it (blocked.c updateStatsOnUnblock).
        self.duration_us = 0


class Client(asyncio.Protocol):
    def __init__(self, server: Server) -> None:
        # for the connection's lifetime
        self.server = server
        self.id = server.next_client_id()
        self.transport: asyncio.Transport | None = None
        self.addr = "?"
        self.laddr = "?"
        self.created = time.time()
        self.name: bytes = b""
        self.lib_name: bytes = b""
        self.lib_ver: bytes = b""
        # per session, changed by commands
        self.db = 0
        self.proto = 2
        self.encoder = ENCODERS[2]
        self.authenticated = server.settings.requirepass is None
        self.user = "default"
        self.reader: RequestStream = request_reader(
            ParserLimits(
                server.settings.proto_max_bulk_len,
                server.settings.client_query_buffer_limit,
                authenticated=self.authenticated,
            )
        )
        self.last_interaction = self.created
        # perf_counter_ns() when this client's current command started (see _dispatch).
        self._clock_ns = 0
        self.last_command = b"NULL"
        self.reply_flags = 0  # REPLY_OFF | REPLY_SKIP | REPLY_SKIP_NEXT
        self.no_evict = False
        self.no_touch = False
        # MULTI/EXEC and WATCH
        self.multi: list[list[bytes]] | None = None
        self.multi_error = False
        self.watched: dict[tuple[int, bytes], bool] = {}
        self.dirty_cas = False
        # pub/sub
        # Ordered, so UNSUBSCRIBE with no argument answers in subscription order as Redis does.
        self.channels: dict[bytes, None] = {}
        self.patterns: dict[bytes, None] = {}
        self.shard_channels: dict[bytes, None] = {}
        self.monitor = False
        self.blocked: BlockState | None = None
        # Made a write since its replies were last released (Server._write_failed).
        self.wrote = False
        self.closing = False
        self._out: list[bytes] = []
        self._paused = False

    # --- asyncio.Protocol ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass
        peer = transport.get_extra_info("peername")
        sock = transport.get_extra_info("sockname")
        self.addr = _format_addr(peer)
        self.laddr = _format_addr(sock)
        self.server.accept(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.forget(self)

    def pause_writing(self) -> None:
        self._paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self._paused = False
        if self.transport is not None and not self.closing:
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        reader = self.reader
        frames = reader.feed(data)
        if frames:
            now_ns = _perf_ns()
            self._clock_ns = now_ns
            self.last_interaction = self.server.ms_at(now_ns) / 1000
            if len(frames) > 1 and _prefetch_frames is not None:
                # A pipelined batch: its keys' cache misses overlap (weir/state/_cprefetch.c).
                _prefetch_frames(self.server.machine.dbs[self.db].data, frames)
            for argv in frames:
                if self.closing or self.blocked is not None:
                    if self.blocked is not None and not self.closing:
                        # Redis queues what a blocked client sends; so do we.
                        self.server.defer(self, argv)
                        continue
                    break
                # Not a bound-method local: compiled, self._dispatch is a direct C call.
                self._dispatch(argv)
            machine = self.server.machine
            if machine.dbs[self.db].accessed or machine.expired_seen:
                self.server.after_pass_soon()
        if reader.error is not None and not self.closing:
            # A reply like any: counted in errorstats, silenced by CLIENT REPLY OFF.
            self.reply_error(reader.error.message)
            self.close_after_reply()
        self.flush()

    # --- output ----------------------------------------------------------------------

    def flush(self) -> None:
        if self._out and self.transport is not None:
            if not self.server.may_reply(self):
                return
            out = self._out
            self._out = []
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))
        if self.closing and self.transport is not None:
            self.transport.close()

    def reply(self, value: Any) -> None:
        """Queue one reply, honouring CLIENT REPLY OFF/SKIP."""
        if value is _NO_REPLY:
            return
        if self.reply_flags & _SILENCED:
            return
        self._out.append(self.encoder.encode(value))

    def reply_error(self, message: str) -> None:
        stats = self.server.stats
        stats.errors += 1
        code = message.split(" ", 1)[0]
        stats.error_codes[code] = stats.error_codes.get(code, 0) + 1
        if self.reply_flags & _SILENCED:
            return
        self._out.append(encode_error(message))

    def reply_array(self, count: int, items: Iterator[Any]) -> None:
        """An array whose elements are made one by one (EXEC), each queued as it comes:
        what making one pushes (a SUBSCRIBE's confirmation, a message published to
        itself) lands in its place, and a CLIENT REPLY among them silences the rest,
        byte for byte as Redis's EXEC writes its header and then each command's reply."""
        if not self.reply_flags & _SILENCED:
            self._out.append(b"*%d\r\n" % count)
        for item in items:
            if type(item) is _ERROR_REPLY:
                self.reply_error(item.message)
            else:
                self.reply(item)

    def write_raw(self, data: bytes) -> None:
        """Queue bytes already in RESP, for reply types the encoder has no class for."""
        self._out.append(data)

    def push(self, value: PushReply) -> None:
        """Out-of-band data (pub/sub messages), sent now even mid-batch. Pushes are not
        replies: CLIENT REPLY OFF/SKIP never hold them back (networking.c CLIENT_PUSHING)."""
        self._out.append(self.encoder.encode(value))
        self.flush()

    def push_reply(self, value: PushReply) -> None:
        """A push answering this client's own command ((un)subscribe confirmations):
        not silenced by CLIENT REPLY either, and it leaves with the batch's replies."""
        self._out.append(self.encoder.encode(value))

    def send_now(self, value: Any) -> None:
        """A reply produced outside this client's own batch (a served blocked client)."""
        self.reply(value)
        self.flush()

    def close_after_reply(self) -> None:
        self.closing = True

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.flush()
            self.transport.close()

    def subscribed(self) -> bool:
        """In subscribed mode: listening on a channel, a pattern or a shard channel."""
        return bool(self.channels or self.patterns or self.shard_channels)

    def set_proto(self, proto: int) -> None:
        self.proto = proto
        self.encoder = ENCODERS[proto]

    # --- dispatch --------------------------------------------------------------------

    def execute(self, argv: list[bytes]) -> None:
        """Run one request and queue its reply."""
        self._clock_ns = _perf_ns()
        self._dispatch(argv)

    def _dispatch(self, argv: list[bytes]) -> None:
        """execute() once the clock is read: in a batch, the end of one command's run
        is the start of the next's, so each costs one clock reading, not two."""
        spec = find_command(argv[0])
        # The common case in one test: a known plain command, right arity, a client in
        # no special mode (AUTH, MULTI, subscribed, CLIENT REPLY SKIP) and a server not
        # paused or monitored.
        if (
            spec is not None
            and not spec.subcommands
            and self.multi is None
            and self.authenticated
            and not self.channels
            and not self.patterns
            and not self.shard_channels
            and not self.server.oom
            and self.server.pause_mode is None
            and not self.server.monitors
            and self.reply_flags < REPLY_SKIP
        ):
            arity = spec.arity
            argc = len(argv)
            if argc == arity or (arity < 0 and argc >= -arity):
                self.last_command = spec.name_bytes
                return self._run(spec, argv)
        self._execute_checked(argv, argv[0].lower() if spec is None else spec.name_bytes, spec)
        # Errors, QUEUED and the like never reach _run: the next command starts now.
        self._clock_ns = _perf_ns()

    def _execute_checked(self, argv: list[bytes], name: bytes, spec: CommandSpec | None) -> None:
        """Every check of the dispatcher, in Redis's order, then the command."""
        server = self.server
        flags = self.reply_flags
        if flags >= REPLY_SKIP:
            # resetClient: a skip ends with the command it silenced, and CLIENT REPLY SKIP
            # silences the command after it, whatever that command is.
            self.reply_flags = (flags & REPLY_OFF) | (REPLY_SKIP if flags & REPLY_SKIP_NEXT else 0)
        if spec is None:
            self.multi_error = self.multi is not None
            return self.reply_error(unknown_command_error(argv))
        if not spec.arity_ok(len(argv)):
            self.multi_error = self.multi is not None
            spec.rejected_calls += 1
            return self.reply_error(f"ERR wrong number of arguments for '{spec.name}' command")
        if spec.subcommands and len(argv) > 1:
            sub = spec.subcommands.get(argv[1].decode("utf-8", "replace").lower())
            if sub is None:
                self.multi_error = self.multi is not None
                return self.reply_error(
                    f"ERR unknown subcommand '{argv[1].decode('utf-8', 'replace')[:128]}'. "
                    f"Try {spec.name.upper()} HELP."
                )
            if not sub.arity_ok(len(argv)):
                self.multi_error = self.multi is not None
                return self.reply_error(
                    f"ERR wrong number of arguments for '{spec.name}|{sub.name}' command"
                )
            spec = sub
        if not self.authenticated and "no_auth" not in spec.flags:
            return self.reply_error("NOAUTH Authentication required.")
        if server.oom and self._refused_for_memory(spec, name):
            return None
        if self.multi is not None and name not in _MULTI_IMMEDIATE:
            if "no_multi" in spec.flags:
                self.multi_error = True
                return self.reply_error("ERR Command not allowed inside a transaction")
            self.multi.append(argv)
            return self.reply(QUEUED)
        if self.subscribed() and self.proto == 2 and name not in _SUBSCRIBED_ALLOWED:
            return self.reply_error(
                f"ERR Can't execute '{spec.full_name}': only (P|S)SUBSCRIBE / "
                "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            )
        if server.pause_mode is not None and (spec.write or server.pause_mode == "all"):
            return server.postpone(self, spec, argv)
        self.last_command = name if spec.container is None else spec.full_name.encode()
        self._run(spec, argv)
        # After the command, as call() does: its line shows the database it left selected,
        # and EXEC's comes after those of the commands it ran.
        if server.monitors and "admin" not in spec.flags:
            server.feed_monitors(self, argv)

    def _refused_for_memory(self, spec: CommandSpec, name: bytes) -> bool:
        """server.c processCommand over maxmemory: refuse a command that adds data, an
        EXEC that queued one, and anything but EXEC/DISCARD/QUIT/RESET inside MULTI."""
        in_multi = self.multi is not None
        refuse = "denyoom" in spec.flags or (in_multi and name not in _OOM_ALLOWED_IN_MULTI)
        if name == b"exec" and self.multi is not None:
            refuse = any(
                queued is not None and "denyoom" in queued.flags
                for queued in (find_command(argv[0]) for argv in self.multi)
            )
        if not refuse:
            return False
        spec.rejected_calls += 1
        if name == b"exec":
            self.multi = None
            self.multi_error = False
            self.server.unwatch_all(self)
            self.reply_error("EXECABORT Transaction discarded because of: " + _OOM)
        else:
            self.multi_error = in_multi
            self.reply_error(_OOM)
        return True

    def _run(self, spec: CommandSpec, argv: list[bytes]) -> None:
        server = self.server
        started = self._clock_ns
        try:
            if spec.session:
                reply = spec.handler(self, argv)
            elif spec.write:
                reply = server.write(self, spec, argv, server.ms_at(started))
            else:
                reply = spec.handler(
                    server.machine.reader(self.db, server.ms_at(started), not self.no_touch), argv
                )
        except CommandError as exc:
            spec.failed_calls += 1
            reply = ErrorReply(exc.message)
        except RemoteProtocolError as exc:
            self.close_after_reply()
            reply = ErrorReply(exc.message)
        except Exception as exc:  # a bug must not take the server down
            log.exception("command %r failed", argv[:2])
            spec.failed_calls += 1
            reply = ErrorReply(f"ERR internal error while running '{spec.full_name}': {exc}")
        if reply is BLOCKED:
            server.block(self, spec, argv, started)
        elif type(reply) is _ERROR_REPLY:
            self.reply_error(reply.message)
        else:
            self.reply(reply)
        # Read after the reply is encoded: the next command starts here, and, as in
        # Redis, building a command's reply is part of its time.
        ended = _perf_ns()
        self._clock_ns = ended
        server.count_command(self, spec, argv, (ended - started) // 1000)

    def info_line(self, running: list[bytes] | None = None) -> str:
        """One line of CLIENT LIST / CLIENT INFO. `running` is the argv of the command
        asking when this client is the one asking: Redis still holds its bytes (qbuf)
        and arguments (argv-mem) then. Computed here, never kept up per command."""
        now = time.time()
        flags = ""
        if self.multi is not None:
            flags += "x"
        if self.blocked is not None:
            flags += "b"
        if self.subscribed():
            flags += "P"
        if self.monitor:
            flags += "O"
        if self.dirty_cas:
            flags += "d"
        if self.closing:
            flags += "c"
        if self.no_evict:
            flags += "e"
        if self.no_touch:
            flags += "T"
        flags = flags or "N"
        reader = self.reader
        qbuf = reader.buffered_bytes  # a request not yet complete
        qbuf_free = reader.spare_bytes
        argv_mem = 0
        if running is not None:
            qbuf += request_bytes(running)
            argv_mem = sum(len(arg) for arg in running)
        elif self.blocked is not None:  # Redis keeps a blocked command's arguments
            argv_mem = sum(len(arg) for arg in self.blocked.argv)
        multi_mem = 0
        if self.multi:
            for queued in self.multi:
                multi_mem += sum(len(arg) for arg in queued) + _POINTER_BYTES * len(queued)
        # obl: replies made but not yet handed to the socket; omem: bytes the socket did
        # not take yet, in oll blocks of Redis's reply-list size.
        obl = sum(len(chunk) for chunk in self._out)
        omem = self.transport.get_write_buffer_size() if self.transport is not None else 0
        oll = -(-omem // _REPLY_CHUNK_BYTES)
        tot_mem = qbuf + qbuf_free + argv_mem + multi_mem + obl + omem
        return (
            f"id={self.id} addr={self.addr} laddr={self.laddr} fd={self._fd()} "
            f"name={self.name.decode(errors='replace')} age={int(now - self.created)} "
            f"idle={int(now - self.last_interaction)} flags={flags} db={self.db} "
            f"sub={len(self.channels)} psub={len(self.patterns)} ssub={len(self.shard_channels)} "
            f"multi={-1 if self.multi is None else len(self.multi)} qbuf={qbuf} "
            f"qbuf-free={qbuf_free} argv-mem={argv_mem} multi-mem={multi_mem} rbs=1024 rbp=0 "
            f"obl={obl} oll={oll} omem={omem} tot-mem={tot_mem} events={'rw' if omem else 'r'} "
            f"cmd={self._last_command_name()} user={self.user} "
            f"redir=-1 resp={self.proto} lib-name={self.lib_name.decode(errors='replace')} "
            f"lib-ver={self.lib_ver.decode(errors='replace')}"
        )

    def _last_command_name(self) -> str:
        return self.last_command.decode(errors="replace").lower()

    def _fd(self) -> int:
        sock = self.transport.get_extra_info("socket") if self.transport else None
        try:
            return int(sock.fileno()) if sock is not None else -1
        except (OSError, ValueError):
            return -1


def _format_addr(addr: Any) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        return f"{addr[0]}:{addr[1]}"
    if isinstance(addr, str):
        return f"{addr}:0"
    return "?"
