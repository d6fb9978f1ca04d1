"""The runtime parameter table behind CONFIG GET/SET: Redis 7.0's standard parameters.

Every parameter has a type that parses and validates a value as Redis's
config.c does (yes/no booleans, integers with bounds and memory units, enums,
strings, and a few special forms such as `save` and `notify-keyspace-events`).
Values are kept as the strings CONFIG GET shows. Those weir uses are applied
to the running server by `apply()`; the others are kept so tools that set
them keep working.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from weir.log.sync import FsyncPolicy
from weir.server.latency import LATENCY_MONITOR_OFF_US
from weir.state.machine import (
    NOTIFY_ALL,
    NOTIFY_EVICTED,
    NOTIFY_EXPIRED,
    NOTIFY_GENERIC,
    NOTIFY_HASH,
    NOTIFY_KEY_MISS,
    NOTIFY_KEYEVENT,
    NOTIFY_KEYSPACE,
    NOTIFY_LIST,
    NOTIFY_MODULE,
    NOTIFY_NEW,
    NOTIFY_SET,
    NOTIFY_STREAM,
    NOTIFY_STRING,
    NOTIFY_ZSET,
)
from weir.state.types import EncodingLimits

if TYPE_CHECKING:
    from weir.server.server import Server

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
UINT_MAX = 2**32 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
ULONG_MAX = 2**64 - 1


class ConfigValueError(Exception):
    """A value a parameter refuses; the message is Redis's text after the dash."""


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    default: str
    # Turns a raw value into the canonical string CONFIG GET shows, or raises ConfigValueError.
    parse: Callable[[str], str]
    alias: str | None = None
    immutable: bool = False
    protected: bool = False
    hidden: bool = False  # only by its exact name: CONFIG GET * leaves it out, as Redis does


# --- value parsers ------------------------------------------------------------------

_MEMORY_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
                 "g": 1000**3, "gb": 1024**3}
# memtoull takes no digits at all ("", "kb") as 0.
_MEMORY_RE = re.compile(r"([0-9]*)([a-zA-Z]*)")
_INTEGER_RE = re.compile(r"-?(0|[1-9][0-9]*)")


def parse_memory(text: str) -> int | None:
    """Redis's memtoull: digits and an optional unit (k, kb, m, mb, g, gb); None if malformed."""
    match = _MEMORY_RE.fullmatch(text)
    if match is None:
        return None
    unit = _MEMORY_UNITS.get(match.group(2).lower())
    return None if unit is None else int(match.group(1) or 0) * unit


def boolean(text: str) -> str:
    lowered = text.lower()
    if lowered not in ("yes", "no"):
        raise ConfigValueError("argument must be 'yes' or 'no'")
    return lowered


def integer(low: int, high: int, memory: bool = False) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if memory:
            parsed = parse_memory(text)
            if parsed is None:
                raise ConfigValueError("argument must be a memory value")
            value = parsed
        elif _INTEGER_RE.fullmatch(text) and text != "-0":
            value = int(text)
        else:
            raise ConfigValueError("argument couldn't be parsed into an integer")
        if not low <= value <= high:
            raise ConfigValueError(f"argument must be between {low} and {high} inclusive")
        return str(value)

    return parse


def memory_or_percent(high: int, percent_max: int) -> Callable[[str], str]:
    """A PERCENT_CONFIG memory value (config.c): bytes as memtoull reads them, or N% of
    maxmemory with N a plain non-negative integer up to `percent_max` ("0%" reads as 0)."""
    def parse(text: str) -> str:
        if len(text) > 1 and text.endswith("%") and _INTEGER_RE.fullmatch(text[:-1]) and text[0] != "-":
            percent = int(text[:-1])
            if percent > percent_max:
                raise ConfigValueError(f"percentage argument must be less or equal to {percent_max}")
            return f"{percent}%" if percent else "0"
        value = parse_memory(text)
        if value is None:
            raise ConfigValueError("argument must be a memory or percent value")
        if value > high:
            raise ConfigValueError(f"argument must be between 0 and {high} inclusive")
        return str(value)

    return parse


def enum(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        lowered = text.lower()
        if lowered not in options:
            raise ConfigValueError(f"argument(s) must be one of the following: {', '.join(options)}")
        return lowered

    return parse


def string(text: str) -> str:
    return text


def _hz(text: str) -> str:
    # Redis clamps hz into [1, 500] after accepting any non-negative int.
    value = int(integer(0, INT_MAX)(text))
    return str(min(max(value, 1), 500))


def _save(text: str) -> str:
    parts = text.split()
    if len(parts) % 2 or any(_INTEGER_RE.fullmatch(p) is None or p.startswith("-") for p in parts):
        raise ConfigValueError("Invalid save parameters")
    return " ".join(str(int(p)) for p in parts)


# notify.c keyspaceEventsStringToFlags: each class character and its bits.
_KEYSPACE_CLASSES = {
    "A": NOTIFY_ALL, "g": NOTIFY_GENERIC, "$": NOTIFY_STRING, "l": NOTIFY_LIST, "s": NOTIFY_SET,
    "h": NOTIFY_HASH, "z": NOTIFY_ZSET, "x": NOTIFY_EXPIRED, "e": NOTIFY_EVICTED,
    "K": NOTIFY_KEYSPACE, "E": NOTIFY_KEYEVENT, "t": NOTIFY_STREAM, "m": NOTIFY_KEY_MISS,
    "d": NOTIFY_MODULE, "n": NOTIFY_NEW,
}
# keyspaceEventsFlagsToString's order for the classes A stands for (n too, though A omits it).
_KEYSPACE_TYPE_ORDER = (
    ("g", NOTIFY_GENERIC), ("$", NOTIFY_STRING), ("l", NOTIFY_LIST), ("s", NOTIFY_SET),
    ("h", NOTIFY_HASH), ("z", NOTIFY_ZSET), ("x", NOTIFY_EXPIRED), ("e", NOTIFY_EVICTED),
    ("t", NOTIFY_STREAM), ("d", NOTIFY_MODULE), ("n", NOTIFY_NEW),
)


def keyspace_events_flags(text: str) -> int:
    """notify-keyspace-events as bits (keyspaceEventsStringToFlags)."""
    flags = 0
    for char in text:
        bits = _KEYSPACE_CLASSES.get(char)
        if bits is None:
            raise ConfigValueError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
        flags |= bits
    return flags


def keyspace_events_string(flags: int) -> str:
    """keyspaceEventsFlagsToString: what CONFIG GET shows. With every class A stands for
    it prints "A" alone, dropping n, exactly as Redis 7.0 does."""
    if flags & NOTIFY_ALL == NOTIFY_ALL:
        out = "A"
    else:
        out = "".join(char for char, bits in _KEYSPACE_TYPE_ORDER if flags & bits)
    for char, bits in (("K", NOTIFY_KEYSPACE), ("E", NOTIFY_KEYEVENT), ("m", NOTIFY_KEY_MISS)):
        if flags & bits:
            out += char
    return out


def _notify_keyspace_events(text: str) -> str:
    return keyspace_events_string(keyspace_events_flags(text))


def _words(count: int | None, check: Callable[[str], bool], error: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        parts = text.split()
        if (count is not None and len(parts) != count) or not all(check(p) for p in parts):
            raise ConfigValueError(error)
        return " ".join(parts)

    return parse


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _client_output_buffer_limit(text: str) -> str:
    parts = text.split()
    classes = ("normal", "slave", "replica", "pubsub")
    if len(parts) % 4 or not parts:
        raise ConfigValueError("Wrong number of arguments in buffer limit configuration.")
    limits = dict(_parse_obl(_CLIENT_OUTPUT_BUFFER_DEFAULT.split()))
    for i in range(0, len(parts), 4):
        kind, hard, soft, seconds = parts[i:i + 4]
        if kind.lower() not in classes:
            raise ConfigValueError("Invalid client class specified in buffer limit configuration.")
        hard_bytes, soft_bytes = parse_memory(hard), parse_memory(soft)
        if hard_bytes is None or soft_bytes is None or not seconds.isdigit():
            raise ConfigValueError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        name = "slave" if kind.lower() == "replica" else kind.lower()
        limits[name] = f"{hard_bytes} {soft_bytes} {int(seconds)}"
    return " ".join(f"{name} {limits[name]}" for name in ("normal", "slave", "pubsub"))


def _parse_obl(parts: list[str]) -> list[tuple[str, str]]:
    return [(parts[i], " ".join(parts[i + 1:i + 4])) for i in range(0, len(parts), 4)]


_CLIENT_OUTPUT_BUFFER_DEFAULT = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"


def _immutable(text: str) -> str:
    return text


# --- the table ---------------------------------------------------------------------


def _b(name: str, default: str, alias: str | None = None, immutable: bool = False) -> Param:
    return Param(name, default, boolean, alias, immutable)


def _i(name: str, low: int, high: int, default: int, alias: str | None = None, *,
       memory: bool = False, immutable: bool = False) -> Param:
    return Param(name, str(default), integer(low, high, memory), alias, immutable)


def _e(name: str, default: str, *options: str, immutable: bool = False) -> Param:
    return Param(name, default, enum(*options), immutable=immutable)


def _s(name: str, default: str = "", alias: str | None = None, *, immutable: bool = False,
       protected: bool = False) -> Param:
    return Param(name, default, string, alias, immutable, protected)


PARAMS: list[Param] = [
    # booleans
    _b("rdbchecksum", "yes", immutable=True),
    _b("daemonize", "no", immutable=True),
    _b("io-threads-do-reads", "no", immutable=True),
    _b("always-show-logo", "no", immutable=True),
    _b("protected-mode", "yes"),
    _b("rdbcompression", "yes"),
    _b("rdb-del-sync-files", "no"),
    _b("activerehashing", "yes"),
    _b("stop-writes-on-bgsave-error", "yes"),
    _b("set-proc-title", "yes", immutable=True),
    _b("dynamic-hz", "yes"),
    _b("lazyfree-lazy-eviction", "no"),
    _b("lazyfree-lazy-expire", "no"),
    _b("lazyfree-lazy-server-del", "no"),
    _b("lazyfree-lazy-user-del", "no"),
    _b("lazyfree-lazy-user-flush", "no"),
    _b("repl-disable-tcp-nodelay", "no"),
    _b("repl-diskless-sync", "yes"),
    _b("aof-rewrite-incremental-fsync", "yes"),
    _b("no-appendfsync-on-rewrite", "no"),
    _b("cluster-require-full-coverage", "yes"),
    _b("rdb-save-incremental-fsync", "yes"),
    _b("aof-load-truncated", "yes"),
    _b("aof-use-rdb-preamble", "yes"),
    _b("aof-timestamp-enabled", "no"),
    _b("cluster-replica-no-failover", "no", "cluster-slave-no-failover"),
    _b("replica-lazy-flush", "no", "slave-lazy-flush"),
    _b("replica-serve-stale-data", "yes", "slave-serve-stale-data"),
    _b("replica-read-only", "yes", "slave-read-only"),
    _b("replica-ignore-maxmemory", "yes", "slave-ignore-maxmemory"),
    _b("jemalloc-bg-thread", "yes"),
    _b("activedefrag", "no"),
    _b("syslog-enabled", "no", immutable=True),
    _b("cluster-enabled", "no", immutable=True),
    _b("appendonly", "no"),
    _b("cluster-allow-reads-when-down", "no"),
    _b("cluster-allow-pubsubshard-when-down", "yes"),
    _b("crash-log-enabled", "yes"),
    _b("crash-memcheck-enabled", "yes"),
    _b("disable-thp", "yes", immutable=True),
    _b("cluster-allow-replica-migration", "yes"),
    _b("replica-announced", "yes"),
    _b("latency-tracking", "yes"),
    _b("aof-disable-auto-gc", "no"),
    _b("replica-ignore-disk-write-errors", "no"),
    _b("tls-cluster", "no"),
    _b("tls-replication", "no"),
    _b("tls-prefer-server-ciphers", "no"),
    _b("tls-session-caching", "yes"),
    # strings
    _s("aclfile", immutable=True),
    _s("unixsocket", immutable=True),
    _s("pidfile", immutable=True),
    _s("replica-announce-ip", "", "slave-announce-ip"),
    _s("masteruser"),
    _s("cluster-announce-ip"),
    _s("cluster-config-file", "nodes.conf", immutable=True),
    _s("syslog-ident", "redis", immutable=True),
    _s("dbfilename", "dump.rdb", protected=True),
    _s("appendfilename", "appendonly.aof", immutable=True),
    _s("appenddirname", "appendonlydir", immutable=True),
    _s("server_cpulist", immutable=True),
    _s("bio_cpulist", immutable=True),
    _s("aof_rewrite_cpulist", immutable=True),
    _s("bgsave_cpulist", immutable=True),
    _s("ignore-warnings"),
    _s("proc-title-template", "{title} {listen-addr} {server-mode}"),
    _s("bind-source-addr"),
    _s("logfile", immutable=True),
    _s("cluster-announce-hostname"),
    _s("masterauth"),
    _s("requirepass"),
    _s("dir", "./data", protected=True),
    _s("bind", "127.0.0.1"),
    _s("replicaof", "", "slaveof", immutable=True),
    _s("tls-cert-file"), _s("tls-key-file"), _s("tls-key-file-pass"), _s("tls-client-cert-file"),
    _s("tls-client-key-file"), _s("tls-client-key-file-pass"), _s("tls-dh-params-file"),
    _s("tls-ca-cert-file"), _s("tls-ca-cert-dir"), _s("tls-protocols"), _s("tls-ciphers"),
    _s("tls-ciphersuites"),
    # enums
    _e("supervised", "no", "upstart", "systemd", "auto", "no", immutable=True),
    _e("syslog-facility", "local0", "user", "local0", "local1", "local2", "local3", "local4",
       "local5", "local6", "local7", immutable=True),
    _e("repl-diskless-load", "disabled", "disabled", "on-empty-db", "swapdb"),
    _e("loglevel", "notice", "debug", "verbose", "notice", "warning"),
    _e("maxmemory-policy", "noeviction", "volatile-lru", "volatile-lfu", "volatile-random",
       "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
    _e("appendfsync", "everysec", "always", "everysec", "no"),
    _e("oom-score-adj", "no", "no", "yes", "relative", "absolute"),
    _e("acl-pubsub-default", "resetchannels", "allchannels", "resetchannels"),
    _e("sanitize-dump-payload", "no", "no", "yes", "clients"),
    _e("cluster-preferred-endpoint-type", "ip", "ip", "hostname", "unknown-endpoint"),
    _e("propagation-error-behavior", "ignore", "ignore", "panic", "panic-on-replicas"),
    _e("shutdown-on-sigint", "default", "default", "save", "nosave", "now", "force"),
    _e("shutdown-on-sigterm", "default", "default", "save", "nosave", "now", "force"),
    _e("enable-protected-configs", "no", "no", "yes", "local", immutable=True),
    _e("enable-debug-command", "no", "no", "yes", "local", immutable=True),
    _e("enable-module-command", "no", "no", "yes", "local", immutable=True),
    _e("tls-auth-clients", "yes", "no", "yes", "optional"),
    # integers
    _i("databases", 1, INT_MAX, 16, immutable=True),
    _i("port", 0, 65535, 6379),
    _i("io-threads", 1, 128, 1, immutable=True),
    _i("auto-aof-rewrite-percentage", 0, INT_MAX, 100),
    _i("cluster-replica-validity-factor", 0, INT_MAX, 10, "cluster-slave-validity-factor"),
    _i("list-max-listpack-size", INT_MIN, INT_MAX, -2, "list-max-ziplist-size"),
    _i("tcp-keepalive", 0, INT_MAX, 300),
    _i("cluster-migration-barrier", 0, INT_MAX, 1),
    _i("active-defrag-cycle-min", 1, 99, 1),
    _i("active-defrag-cycle-max", 1, 99, 25),
    _i("active-defrag-threshold-lower", 0, 1000, 10),
    _i("active-defrag-threshold-upper", 0, 1000, 100),
    _i("lfu-log-factor", 0, INT_MAX, 10),
    _i("lfu-decay-time", 0, INT_MAX, 1),
    _i("replica-priority", 0, INT_MAX, 100, "slave-priority"),
    _i("repl-diskless-sync-delay", 0, INT_MAX, 5),
    _i("maxmemory-samples", 1, 64, 5),
    _i("maxmemory-eviction-tenacity", 0, 100, 10),
    _i("timeout", 0, INT_MAX, 0),
    _i("replica-announce-port", 0, 65535, 0, "slave-announce-port"),
    _i("tcp-backlog", 0, INT_MAX, 511, immutable=True),
    _i("cluster-port", 0, 65535, 0, immutable=True),
    _i("cluster-announce-bus-port", 0, 65535, 0),
    _i("cluster-announce-port", 0, 65535, 0),
    _i("cluster-announce-tls-port", 0, 65535, 0),
    _i("repl-timeout", 1, INT_MAX, 60),
    _i("repl-ping-replica-period", 1, INT_MAX, 10, "repl-ping-slave-period"),
    _i("list-compress-depth", 0, INT_MAX, 0),
    _i("active-expire-effort", 1, 10, 1),
    Param("hz", "10", _hz),
    _i("min-replicas-to-write", 0, INT_MAX, 0, "min-slaves-to-write"),
    _i("min-replicas-max-lag", 0, INT_MAX, 10, "min-slaves-max-lag"),
    _i("shutdown-timeout", 0, INT_MAX, 10),
    _i("repl-diskless-sync-max-replicas", 0, INT_MAX, 0),
    _i("maxclients", 1, UINT_MAX, 10000),
    _i("active-defrag-max-scan-fields", 1, LONG_MAX, 1000),
    _i("slowlog-max-len", 0, LONG_MAX, 128),
    _i("acllog-max-len", 0, LONG_MAX, 128),
    _i("busy-reply-threshold", 0, LONG_MAX, 5000, "lua-time-limit"),
    _i("cluster-node-timeout", 0, LONG_MAX, 15000),
    _i("slowlog-log-slower-than", -1, LONG_MAX, 10000),
    _i("latency-monitor-threshold", 0, LONG_MAX, 0),
    _i("proto-max-bulk-len", 1024 * 1024, LONG_MAX, 512 * 1024 * 1024, memory=True),
    _i("stream-node-max-entries", 0, LONG_MAX, 100),
    _i("repl-backlog-size", 1, LONG_MAX, 1024 * 1024, memory=True),
    _i("maxmemory", 0, ULONG_MAX, 0, memory=True),
    _i("cluster-link-sendbuf-limit", 0, ULONG_MAX, 0, memory=True),
    _i("hash-max-listpack-entries", 0, LONG_MAX, 512, "hash-max-ziplist-entries"),
    _i("set-max-intset-entries", 0, LONG_MAX, 512),
    _i("zset-max-listpack-entries", 0, LONG_MAX, 128, "zset-max-ziplist-entries"),
    _i("active-defrag-ignore-bytes", 1, LONG_MAX, 100 * 1024 * 1024, memory=True),
    _i("hash-max-listpack-value", 0, LONG_MAX, 64, "hash-max-ziplist-value", memory=True),
    _i("stream-node-max-bytes", 0, LONG_MAX, 4096, memory=True),
    _i("zset-max-listpack-value", 0, LONG_MAX, 64, "zset-max-ziplist-value", memory=True),
    _i("hll-sparse-max-bytes", 0, LONG_MAX, 3000, memory=True),
    _i("tracking-table-max-keys", 0, LONG_MAX, 1000000),
    _i("client-query-buffer-limit", 1024 * 1024, LONG_MAX, 1024 * 1024 * 1024, memory=True),
    Param("maxmemory-clients", "0", memory_or_percent(LONG_MAX, 100)),
    _i("repl-backlog-ttl", 0, LONG_MAX, 3600),
    _i("auto-aof-rewrite-min-size", 0, LONG_MAX, 64 * 1024 * 1024, memory=True),
    _i("tls-port", 0, 65535, 0),
    _i("tls-session-cache-size", 0, INT_MAX, 20480),
    _i("tls-session-cache-timeout", 0, INT_MAX, 300),
    _i("socket-mark-id", 0, UINT_MAX, 0),
    Param("unixsocketperm", "0", _immutable, immutable=True),
    # special forms
    Param("save", "3600 1 300 100 60 10000", _save),
    Param("notify-keyspace-events", "", _notify_keyspace_events),
    Param("client-output-buffer-limit", _CLIENT_OUTPUT_BUFFER_DEFAULT, _client_output_buffer_limit),
    Param("oom-score-adj-values", "0 200 800",
          _words(3, lambda p: _INTEGER_RE.fullmatch(p) is not None and -2000 <= int(p) <= 2000,
                 "Invalid oom-score-adj-values, elements must be between -2000 and 2000.")),
    Param("latency-tracking-info-percentiles", "50 99 99.9",
          _words(None, lambda p: _is_number(p) and 0 <= float(p) <= 100,
                 "latency-tracking-info-percentiles must be between 0.0 and 100.0")),
]

# Redis's hidden parameters (HIDDEN_CONFIG), for tests and tools: rdb-key-save-delay slows
# a background save; the others are kept so that setting them keeps working.
PARAMS += [
    Param("rdb-key-save-delay", "0", integer(-(2**31), 2**31 - 1), hidden=True),
    Param("key-load-delay", "0", integer(-(2**31), 2**31 - 1), hidden=True),
    Param("watchdog-period", "0", integer(0, 2**31 - 1), hidden=True),
    Param("loading-process-events-interval-bytes", "2097152", integer(1024, 2**31 - 1), hidden=True),
    Param("use-exit-on-panic", "no", boolean, hidden=True),
]

# Every name (aliases too) to its parameter.
BY_NAME: dict[str, Param] = {}
for _param in PARAMS:
    BY_NAME[_param.name] = _param
    if _param.alias is not None:
        BY_NAME[_param.alias] = _param


def initial_values(server: Server) -> dict[str, str]:
    """Defaults, overridden by what the server was started with."""
    settings = server.settings
    values = {param.name: param.default for param in PARAMS}
    values.update({
        "port": str(server.port),
        "bind": settings.bind,
        "dir": str(settings.dir.resolve()),
        "requirepass": settings.requirepass or "",
        "databases": str(settings.databases),
        "maxclients": str(settings.maxclients),
        "timeout": str(settings.timeout),
        "proto-max-bulk-len": str(settings.proto_max_bulk_len),
        "client-query-buffer-limit": str(settings.client_query_buffer_limit),
        "appendfsync": settings.appendfsync,
        "loglevel": settings.loglevel,
        "protected-mode": "yes" if settings.protected_mode else "no",
        "appendonly": "yes",  # every write goes through the log
    })
    return values


def apply(server: Server, name: str, value: str, raw: str | None = None) -> None:
    """Make a changed parameter take effect where weir uses it. `raw` is the value as
    given, when its canonical form says less (notify-keyspace-events "An" shows "A")."""
    settings = server.settings
    limits: EncodingLimits = server.machine.limits
    if name in _LIMIT_FIELDS:
        setattr(limits, _LIMIT_FIELDS[name], int(value))
    elif name == "appendfsync" and server.persistence is not None:
        server.persistence.policy = FsyncPolicy(value)
    elif name == "slowlog-log-slower-than":
        server.slowlog_threshold_us = int(value)
    elif name == "latency-monitor-threshold":
        server.latency.threshold_ms = int(value)
        threshold_us = int(value) * 1000
        server.latency_monitor_us = min(threshold_us, LATENCY_MONITOR_OFF_US) or LATENCY_MONITOR_OFF_US
    elif name == "latency-tracking":
        server.latency_tracking = value == "yes"
    elif name == "port":
        try:
            server.rebind(int(value))
        except OSError as exc:
            raise ConfigValueError("Unable to listen on this port. Check server logs.") from exc
    elif name == "slowlog-max-len":
        server.resize_slowlog(int(value))
    elif name == "maxclients":
        settings.maxclients = int(value)
    elif name == "requirepass":
        settings.requirepass = value or None
    elif name == "timeout":
        settings.timeout = int(value)
    elif name == "proto-max-bulk-len":
        settings.proto_max_bulk_len = int(value)
    elif name == "client-query-buffer-limit":
        settings.client_query_buffer_limit = int(value)
    elif name == "maxmemory":
        server.maxmemory = int(value)
        server.check_memory()
    elif name == "maxmemory-policy":
        server.machine.set_access_policy(value.endswith("-lfu"), int(time.time()))
    elif name == "lfu-log-factor":
        server.machine.lfu_log_factor = int(value)
    elif name == "lfu-decay-time":
        server.machine.lfu_decay_time_min = int(value)
    elif name == "notify-keyspace-events":
        flags = keyspace_events_flags(value if raw is None else raw)
        # Without K or E nothing is published: the machine need not even look.
        server.machine.notify_flags = flags if flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT) else 0
    elif name == "save":
        numbers = [int(part) for part in value.split()]
        server.save_rules = list(zip(numbers[::2], numbers[1::2]))


_LIMIT_FIELDS = {
    "hash-max-listpack-entries": "hash_max_listpack_entries",
    "hash-max-listpack-value": "hash_max_listpack_value",
    "set-max-intset-entries": "set_max_intset_entries",
    "zset-max-listpack-entries": "zset_max_listpack_entries",
    "zset-max-listpack-value": "zset_max_listpack_value",
    "list-max-listpack-size": "list_max_listpack_size",
}


def install(server: Server) -> None:
    """Fill the server's parameter table and apply the values weir uses."""
    server.config = initial_values(server)
    for name in (*_LIMIT_FIELDS, "slowlog-log-slower-than", "slowlog-max-len", "maxmemory",
                 "maxmemory-policy", "lfu-log-factor", "lfu-decay-time",
                 "latency-monitor-threshold", "latency-tracking"):
        apply(server, name, server.config[name])
