"""INFO [section ...] (server.c genRedisInfoString): the fields Redis tools read.

Memory figures are cheap estimates from the process's resident size; weir
does not account memory per key.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from weir import REDIS_VERSION, __version__
from weir.commands.latency import latencystats_lines
from weir.commands.table import COMMANDS, CommandSpec, command
from weir.resp.reply import Verbatim

if TYPE_CHECKING:
    from weir.server.client import Client
    from weir.server.server import Server

# Fixed for the life of the process, as Redis's run_id and replication id are.
RUN_ID = os.urandom(20).hex()
MASTER_REPLID = os.urandom(20).hex()
# Keys sampled per database to estimate avg_ttl, so INFO stays cheap on big keyspaces.
AVG_TTL_SAMPLE_KEYS_MAX = 1000


def human_bytes(n: int) -> str:
    """Redis's bytesToHuman: 1023B, 1.00K, 2.50M, ..."""
    if n < 1024:
        return f"{n}B"
    for unit, scale in (("K", 1024), ("M", 1024**2), ("G", 1024**3), ("T", 1024**4), ("P", 1024**5)):
        if n < scale * 1024 or unit == "P":
            return f"{n / scale:.2f}{unit}"
    raise AssertionError("unreachable")


def rss_bytes() -> int:
    """The resident set size now (from /proc when there is one, else the peak)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


class _OpsSampler:
    """instantaneous_ops_per_sec: commands per second between two INFO calls."""

    def __init__(self) -> None:
        self.at = time.monotonic()
        self.commands = 0
        self.rate = 0

    def sample(self, commands_total: int) -> int:
        now = time.monotonic()
        elapsed = now - self.at
        if elapsed >= 0.1:
            self.rate = int(max(commands_total - self.commands, 0) / elapsed)
            self.at = now
            self.commands = commands_total
        return self.rate


_SAMPLER = _OpsSampler()


def _all_specs() -> list[CommandSpec]:
    specs: list[CommandSpec] = []
    for spec in COMMANDS.values():
        if spec.subcommands:
            specs.extend(spec.subcommands.values())
        else:
            specs.append(spec)
    return specs


def _commands_total() -> int:
    return sum(spec.calls for spec in _all_specs())


Lines = list[tuple[str, object]]


def _server(server: Server) -> Lines:
    now = time.time()
    uptime = int(now - server.stats.started)
    hz = int(server.config.get("hz", "10"))
    return [
        ("redis_version", REDIS_VERSION),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_build_id", "0"),
        ("redis_mode", "standalone"),
        ("os", f"{platform.system()} {platform.release()} {platform.machine()}"),
        ("arch_bits", 64 if sys.maxsize > 2**32 else 32),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", "asyncio"),
        ("atomicvar_api", "none"),
        ("gcc_version", "0.0.0"),
        ("process_id", os.getpid()),
        ("process_supervised", "no"),
        ("run_id", RUN_ID),
        ("tcp_port", server.port),
        ("server_time_usec", int(now * 1_000_000)),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", hz),
        ("configured_hz", hz),
        ("lru_clock", int(now) & ((1 << 24) - 1)),
        ("executable", sys.argv[0] if sys.argv else ""),
        ("config_file", str(server.settings.config_file or "")),
        ("io_threads_active", 0),
        ("weir_version", __version__),
        ("python_version", platform.python_version()),
    ]


def _clients(server: Server) -> Lines:
    clients = server.clients.values()
    return [
        ("connected_clients", len(server.clients)),
        ("cluster_connections", 0),
        ("maxclients", server.settings.maxclients),
        ("client_recent_max_input_buffer", 0),
        ("client_recent_max_output_buffer", 0),
        ("blocked_clients", sum(1 for c in clients if c.blocked is not None)),
        ("tracking_clients", 0),
        ("clients_in_timeout_table", sum(1 for c in clients if c.blocked is not None and c.blocked.timer)),
    ]


@dataclass(frozen=True)
class MemoryFigures:
    used: int  # resident set size now
    peak: int
    startup: int  # resident set size once the server was up, before any data


def memory_figures(server: Server) -> MemoryFigures:
    used = rss_bytes()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return MemoryFigures(used, max(peak, used), server.startup_memory)


def _memory(server: Server) -> Lines:
    figures = memory_figures(server)
    used, peak = figures.used, figures.peak
    maxmemory = int(server.config.get("maxmemory", "0"))
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 0
    return [
        ("used_memory", used),
        ("used_memory_human", human_bytes(used)),
        ("used_memory_rss", used),
        ("used_memory_rss_human", human_bytes(used)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", human_bytes(peak)),
        ("used_memory_peak_perc", f"{100 * used / peak:.2f}%"),
        ("total_system_memory", total),
        ("total_system_memory_human", human_bytes(total)),
        ("used_memory_lua", 0),
        ("used_memory_scripts", 0),
        ("number_of_cached_scripts", 0),
        ("number_of_functions", 0),
        ("number_of_libraries", 0),
        ("maxmemory", maxmemory),
        ("maxmemory_human", human_bytes(maxmemory)),
        ("maxmemory_policy", server.config.get("maxmemory-policy", "noeviction")),
        ("mem_fragmentation_ratio", "1.00"),
        ("mem_allocator", "libc"),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


def _persistence(server: Server) -> Lines:
    # The log is weir's append-only file: it is always on when there is a data directory.
    persistence = server.persistence
    aof = 1 if persistence is not None else 0
    job = server.bgsave
    saving = job is not None and not job.rewrite
    rewriting = job is not None and job.rewrite
    rewrites = server.rewrite_stats
    write_ok = persistence is None or persistence.write_error is None
    return [
        ("loading", 0),
        ("async_loading", 0),
        ("rdb_changes_since_last_save", server.machine.dirty),
        ("rdb_bgsave_in_progress", 1 if saving else 0),
        ("rdb_last_save_time", server.last_save),
        ("rdb_last_bgsave_status", "ok" if server.last_bgsave_ok else "err"),
        ("rdb_last_bgsave_time_sec", server.last_bgsave_seconds),
        ("rdb_current_bgsave_time_sec", int(time.time() - job.started) if job is not None and saving else -1),
        ("rdb_saves", server.snapshots_taken),
        ("aof_enabled", aof),
        ("aof_rewrite_in_progress", 1 if rewriting else 0),
        ("aof_rewrite_scheduled", 1 if rewrites.scheduled else 0),
        ("aof_last_rewrite_time_sec", rewrites.last_seconds),
        ("aof_current_rewrite_time_sec", int(time.time() - job.started) if job is not None and rewriting else -1),
        ("aof_last_bgrewrite_status", "ok" if rewrites.last_ok else "err"),
        ("aof_rewrites", rewrites.done),
        ("aof_last_write_status", "ok" if write_ok else "err"),
        ("weir_appendfsync", persistence.policy.value if persistence is not None else "none"),
        ("weir_log_first_index", persistence.storage.first_index() if persistence is not None else 0),
        ("weir_log_last_index", persistence.storage.last_index() if persistence is not None else 0),
        ("weir_log_bytes", persistence.log_bytes() if persistence is not None else 0),
        ("weir_fsyncs", persistence.fsyncs if persistence is not None else 0),
    ]


def _stats(server: Server) -> Lines:
    stats = server.stats
    total = _commands_total()
    return [
        ("total_connections_received", stats.connections_received),
        ("total_commands_processed", total),
        ("instantaneous_ops_per_sec", _SAMPLER.sample(total)),
        ("rejected_connections", stats.rejected_connections),
        ("sync_full", 0),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", stats.expired_keys),
        ("expired_stale_perc", "0.00"),
        ("expired_time_cap_reached_count", 0),
        ("evicted_keys", 0),
        ("evicted_clients", 0),
        ("keyspace_hits", stats.keyspace_hits),
        ("keyspace_misses", stats.keyspace_misses),
        ("pubsub_channels", len(server.channels)),
        ("pubsub_patterns", len(server.patterns)),
        ("pubsubshard_channels", len(server.shard_channels)),
        ("latest_fork_usec", server.fork_stats.latest_us),
        ("total_forks", server.fork_stats.total),
        ("total_error_replies", stats.errors),
        ("unexpected_error_replies", 0),
        ("total_pubsub_messages", stats.pubsub_messages),
    ]


def _replication(server: Server) -> Lines:
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", MASTER_REPLID),
        ("master_replid2", "0" * 40),
        ("master_repl_offset", server.machine.applied_index),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_size", int(server.config.get("repl-backlog-size", "1048576"))),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def _cpu(server: Server) -> Lines:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return [
        ("used_cpu_sys", f"{own.ru_stime:.6f}"),
        ("used_cpu_user", f"{own.ru_utime:.6f}"),
        ("used_cpu_sys_children", f"{children.ru_stime:.6f}"),
        ("used_cpu_user_children", f"{children.ru_utime:.6f}"),
        ("used_cpu_sys_main_thread", f"{own.ru_stime:.6f}"),
        ("used_cpu_user_main_thread", f"{own.ru_utime:.6f}"),
    ]


def _modules(server: Server) -> Lines:
    return []


def _commandstats(server: Server) -> Lines:
    lines: Lines = []
    for spec in _all_specs():
        if spec.calls or spec.rejected_calls or spec.failed_calls:
            per_call = spec.usec / spec.calls if spec.calls else 0.0
            lines.append((
                f"cmdstat_{spec.full_name}",
                f"calls={spec.calls},usec={spec.usec},usec_per_call={per_call:.2f},"
                f"rejected_calls={spec.rejected_calls},failed_calls={spec.failed_calls}",
            ))
    return lines


def _errorstats(server: Server) -> Lines:
    return [(f"errorstat_{code}", f"count={count}") for code, count in server.stats.error_codes.items()]


def _latencystats(server: Server) -> Lines:
    return latencystats_lines(server)


def _cluster(server: Server) -> Lines:
    return [("cluster_enabled", 0)]


def _keyspace(server: Server) -> Lines:
    now = server.now_ms()
    lines: Lines = []
    for db in server.machine.dbs:
        keys = len(db)  # dictSize, expired keys not yet deleted included, as Redis
        if not keys:
            continue
        remaining = []
        for i, deadline in enumerate(db.expires.values()):
            if i >= AVG_TTL_SAMPLE_KEYS_MAX:
                break
            if deadline > now:
                remaining.append(deadline - now)
        expires = len(db.expires)
        avg_ttl = sum(remaining) // len(remaining) if remaining else 0
        lines.append((f"db{db.index}", f"keys={keys},expires={expires},avg_ttl={avg_ttl}"))
    return lines


# In Redis's order; the flag says whether `INFO` / `INFO default` shows the section.
SECTIONS: dict[str, tuple[str, Callable[[Server], Lines], bool]] = {
    "server": ("Server", _server, True),
    "clients": ("Clients", _clients, True),
    "memory": ("Memory", _memory, True),
    "persistence": ("Persistence", _persistence, True),
    "stats": ("Stats", _stats, True),
    "replication": ("Replication", _replication, True),
    "cpu": ("CPU", _cpu, True),
    "modules": ("Modules", _modules, True),
    "commandstats": ("Commandstats", _commandstats, False),
    "errorstats": ("Errorstats", _errorstats, True),
    "latencystats": ("Latencystats", _latencystats, False),
    "cluster": ("Cluster", _cluster, True),
    "keyspace": ("Keyspace", _keyspace, True),
}


def info_text(server: Server, names: list[str]) -> str:
    """The INFO text for the requested sections (none means default)."""
    wanted = {name.lower() for name in names} or {"default"}
    everything = bool(wanted & {"all", "everything"})
    default = "default" in wanted
    blocks = []
    for key, (title, render, in_default) in SECTIONS.items():
        if everything or key in wanted or (default and in_default):
            body = "".join(f"{field}:{value}\r\n" for field, value in render(server))
            blocks.append(f"# {title}\r\n{body}")
    return "\r\n".join(blocks)


@command("info", -1, "session loading stale", categories="@slow @dangerous")
def info_command(client: Client, argv: list[bytes]) -> Verbatim:
    text = info_text(client.server, [a.decode("utf-8", "replace") for a in argv[1:]])
    return Verbatim(text.encode())
