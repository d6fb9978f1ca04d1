"""LATENCY (latency.c): the latency monitor's events and the per-command histograms.

The monitor itself is weir/server/latency.py; the histograms are counted by
CommandSpec.record_latency in the slots of Redis's HDR histogram, so the
values read back here (percentiles, HISTOGRAM's power-of-two buckets) are
those redis-server reports for the same microsecond durations.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from weir.commands.args import help_reply
from weir.commands.table import COMMANDS, LATENCY_SLOTS, CommandSpec, command, container
from weir.errors import CommandError
from weir.resp.reply import Status, Verbatim
from weir.server.latency import EventSeries

if TYPE_CHECKING:
    from weir.server.client import Client
    from weir.server.server import Server

# --- the histograms -------------------------------------------------------------------

# LATENCY HISTOGRAM reports cumulative counts at 1024 ns * 2**k (hdr_iter_log_init(1024, 2)).
_FIRST_REPORTED_NS = 1024


def slot_lowest_ns(slot: int) -> int:
    """The smallest value counted in `slot` (hdr_value_at_index)."""
    bucket = (slot >> 7) - 1
    sub = (slot & 127) + 128
    if bucket < 0:
        bucket, sub = 0, slot
    return sub << bucket


def slot_highest_ns(slot: int) -> int:
    """The largest value counted in `slot` (highest_equivalent_value)."""
    bucket = max((slot >> 7) - 1, 0)
    return slot_lowest_ns(slot) + (1 << bucket) - 1


def slot_of_ns(ns: int) -> int:
    """The slot of a value, as CommandSpec.record_latency computes it."""
    bucket = (ns | 255).bit_length() - 8
    return (bucket << 7) + (ns >> bucket)


def percentile_us(counts: list[int], percentile: float) -> float:
    """hdr_value_at_percentile, in microseconds: the highest value of the slot where the
    count reaches the percentile (the lowest, for percentile 0)."""
    total = sum(counts)
    wanted = max(int(min(percentile, 100.0) / 100 * total + 0.5), 1)
    seen = 0
    for slot, count in enumerate(counts):
        seen += count
        if seen >= wanted:
            ns = slot_lowest_ns(slot) if percentile == 0.0 else slot_highest_ns(slot)
            return ns / 1000
    return 0.0


def cumulative_buckets(counts: list[int]) -> dict[int, int]:
    """fillCommandCDF: at each reporting level 1024 ns * 2**k, the calls up to the highest
    value of that level's slot, keyed by that value in microseconds; a level that adds no
    call is left out, and the levels stop once every call is counted."""
    total = sum(counts)
    buckets: dict[int, int] = {}
    seen = 0
    previous = 0
    level_ns = _FIRST_REPORTED_NS
    slot = 0
    while seen < total:
        level_slot = slot_of_ns(level_ns)
        if level_slot >= LATENCY_SLOTS:
            break  # hdr's iterator ends with the counts: calls past the last level go unshown
        while slot <= level_slot:
            seen += counts[slot]
            slot += 1
        if seen > previous:
            buckets[slot_highest_ns(level_slot) // 1000] = seen
        previous = seen
        level_ns *= 2
    return buckets


def _histogram_reply(spec: CommandSpec) -> dict[bytes, Any]:
    counts = spec.latency_counts
    return {b"calls": sum(counts), b"histogram_usec": cumulative_buckets(counts)}


def all_specs() -> Iterator[CommandSpec]:
    for spec in COMMANDS.values():
        yield spec
        yield from spec.subcommands.values()


def format_percentile(percentile: float) -> str:
    """Redis prints "%f" with the trailing zeros (and a bare dot) trimmed: 50, 99.9."""
    text = f"{percentile:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def latencystats_lines(server: Server) -> list[tuple[str, object]]:
    """INFO latencystats: latency_percentiles_usec_<command>:p50=...,p99=...,p99.9=..."""
    if not server.latency_tracking:
        return []
    percentiles = [float(p) for p in server.config.get("latency-tracking-info-percentiles", "").split()]
    lines: list[tuple[str, object]] = []
    for spec in all_specs():
        if spec.latency_counts:
            value = ",".join(
                f"p{format_percentile(p)}={percentile_us(spec.latency_counts, p):.3f}" for p in percentiles
            )
            lines.append((f"latency_percentiles_usec_{spec.full_name}", value))
    return lines


# --- LATENCY ----------------------------------------------------------------------------

container("latency", -2)
_LATENCY = "session admin noscript loading stale"


@command("latest", 2, _LATENCY, container="latency")
def latency_latest_command(client: Client, argv: list[bytes]) -> list[Any]:
    """Each event: its name, the time and latency of its newest sample, its all-time max."""
    reply: list[Any] = []
    for name, series in client.server.latency.events.items():
        last = series.samples[-1]
        reply.append([name.encode(), last.time, last.latency_ms, series.max_ms])
    return reply


@command("history", 3, _LATENCY, container="latency")
def latency_history_command(client: Client, argv: list[bytes]) -> list[Any]:
    """[time, latency] pairs, oldest first; an unknown event (exact name) has none."""
    series = client.server.latency.events.get(argv[2].decode("utf-8", "replace"))
    if series is None:
        return []
    return [[sample.time, sample.latency_ms] for sample in series.samples]


@command("reset", -2, _LATENCY, container="latency")
def latency_reset_command(client: Client, argv: list[bytes]) -> int:
    monitor = client.server.latency
    if len(argv) == 2:
        return monitor.reset()
    return sum(monitor.reset(arg.decode("utf-8", "replace")) for arg in argv[2:])


@command("graph", 3, _LATENCY, container="latency")
def latency_graph_command(client: Client, argv: list[bytes]) -> Verbatim:
    event = argv[2].decode("utf-8", "replace")
    series = client.server.latency.events.get(event)
    if series is None:
        raise CommandError(f"ERR No samples available for event '{event}'")
    return Verbatim(graph_text(event, series, int(time.time())).encode())


@command("histogram", -2, _LATENCY, container="latency")
def latency_histogram_command(client: Client, argv: list[bytes]) -> dict[bytes, Any]:
    """LATENCY HISTOGRAM [command ...]: a container names all its subcommands; unknown
    names and commands never called are left out."""
    reply: dict[bytes, Any] = {}
    if len(argv) == 2:
        specs: list[CommandSpec] = list(all_specs())
    else:
        specs = []
        for raw in argv[2:]:
            spec = _lookup(raw)
            if spec is not None:
                specs.append(spec)
                specs.extend(spec.subcommands.values())
    for spec in specs:
        if spec.latency_counts:
            reply[spec.full_name.encode()] = _histogram_reply(spec)
    return reply


def _lookup(raw: bytes) -> CommandSpec | None:
    """lookupCommandBySds: `name` or `container|sub`, in any case."""
    name, bar, sub = raw.lower().partition(b"|")
    spec = COMMANDS.get(name)
    if spec is None or not bar:
        return spec
    return spec.subcommands.get(sub.decode("utf-8", "replace"))


LATENCY_HELP = [
    'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'DOCTOR',
    '    Return a human readable latency analysis report.',
    'GRAPH <event>',
    '    Return an ASCII latency graph for the <event> class.',
    'HISTORY <event>',
    '    Return time-latency samples for the <event> class.',
    'LATEST',
    '    Return the latest latency samples for all events.',
    'RESET [<event> ...]',
    '    Reset latency data of one or more <event> classes.',
    '    (default: reset all data for all event classes)',
    'HISTOGRAM [COMMAND ...]',
    '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
    '    If no commands are specified then all histograms are replied.',
    'HELP',
    '    Prints this help.',
]


@command("help", 2, "session loading stale", container="latency")
def latency_help_command(client: Client, argv: list[bytes]) -> list[Status]:
    return help_reply(LATENCY_HELP)


# --- GRAPH: latency.c latencyCommandGenSparkeline over sparkline.c ------------------------

GRAPH_COLUMNS = 80
GRAPH_ROWS = 4
_FILL = "_o#"


def _age_label(elapsed_s: int) -> str:
    if elapsed_s < 60:
        return f"{elapsed_s}s"
    if elapsed_s < 3600:
        return f"{elapsed_s // 60}m"
    if elapsed_s < 86400:
        return f"{elapsed_s // 3600}h"
    return f"{elapsed_s // 86400}d"


def graph_text(event: str, series: EventSeries, now_s: int) -> str:
    values = [sample.latency_ms for sample in series.samples]
    labels = [_age_label(now_s - sample.time) for sample in series.samples]
    high, low = max(values), min(values)
    out = [f"{event} - high {high} ms, low {low} ms (all time high {series.max_ms} ms)\n", "-" * GRAPH_COLUMNS + "\n"]
    for start in range(0, len(values), GRAPH_COLUMNS):
        if start:
            out.append("\n")
        out.append(_sparkline(values, labels, low, high, start, min(GRAPH_COLUMNS, len(values) - start)))
    return "".join(out)


def _sparkline(values: list[int], labels: list[str], low: int, high: int, offset: int, length: int) -> str:
    """sparklineRenderRange with SPARKLINE_FILL: GRAPH_ROWS rows of bars, a blank line,
    then each sample's label written downwards."""
    steps = len(_FILL) * GRAPH_ROWS
    span = (high - low) or 1
    lines: list[str] = []
    for row in range(GRAPH_ROWS):
        chars = []
        for j in range(offset, offset + length):
            # C: (int)(relval * steps) / relmax, then truncated again on assignment.
            step = min(max(int(int((values[j] - low) * steps) / span), 0), steps - 1)
            index = step - (GRAPH_ROWS - row - 1) * len(_FILL)
            chars.append(_FILL[index] if 0 <= index < len(_FILL) else "|" if index >= len(_FILL) else " ")
        lines.append("".join(chars) + "\n")
    lines.append(" " * length + "\n")
    depth = max(len(labels[j]) for j in range(offset, offset + length))
    for char in range(depth):
        lines.append(
            "".join(labels[j][char] if char < len(labels[j]) else " " for j in range(offset, offset + length)) + "\n"
        )
    return "".join(lines)


# --- DOCTOR: latency.c createLatencyReport ------------------------------------------------

_DISABLED = (
    "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. "
    'You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. '
    "If we weren't in a deep space mission I'd suggest to take a look at "
    "https://redis.io/topics/latency-monitor.\n"
)
_QUIET = (
    "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the "
    "slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think "
    "things over.\n"
)
_NO_ADVICE = (
    "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the "
    "Redis community to get some help, providing this report in your help request.\n"
)
# Redis's advice texts, in the order it prints them.
_ADVICE = {
    "better_vm": "- If you are using a virtual machine, consider upgrading it with a faster one using a "
    "hypervisior that provides less latency during fork() calls. Xen is known to have poor fork() "
    "performance. Even in the context of the same VM provider, certain kinds of instances can "
    "execute fork faster than others.\n",
    "slowlog_enabled": "- There are latency issues with potentially slow commands you are using. Try to "
    "enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {us}'. "
    "If the Slow log is disabled Redis is not able to log slow commands execution for you.\n",
    "slowlog_tuning": "- Your current Slow Log configuration only logs events that are slower than your "
    "configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {us}'.\n",
    "slowlog_inspect": "- Check your Slow Log to understand what are the commands you are running which "
    "are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n",
    "scheduler": "- The system is slow to execute Redis code paths not containing system calls. This "
    "usually means the system does not provide Redis CPU time to run for long periods. You should try "
    "to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other "
    "software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check "
    "with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check "
    "if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using "
    "Jemalloc. However this may create fragmentation problems.\n",
    "local_disk": "- It is strongly advised to use local disks for persistence, especially if you are "
    "using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n",
    "ssd": "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and "
    "AOF log rewriting (resulting in smaller memory usage and smaller final AOF rewrite buffer "
    "flushes). With extremely high write load SSD disks can be a good option. However Redis should "
    "perform reasonably with high load using normal disks. Use this advice as a last resort.\n",
    "data_writeback": "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost "
    "compared to data=ordered, however this mode of operation provides less guarantees, and sometimes "
    "it can happen that after a hard crash the AOF file will have a half-written command at the end "
    "and will require to be repaired before Redis restarts.\n",
    "disk_contention": "- Try to lower the disk contention. This is often caused by other disk intensive "
    "processes running in the same computer (including other Redis instances).\n",
    "no_appendfsync": "- Assuming from the point of view of data safety this is viable in your "
    "environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will "
    "not be performed while there is a child rewriting the AOF file or producing an RDB file (the "
    "moment where there is high disk contention).\n",
    "relax_fsync_policy": "- Your fsync policy is set to 'always'. It is very hard to get good "
    "performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n",
    "hz": "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' "
    "configuration parameter to 100 using 'CONFIG SET hz 100'.\n",
    "large_objects": "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a "
    "blocking operation. If you have very large objects that are often deleted, expired, or evicted, "
    "try to fragment those objects into multiple smaller objects.\n",
    "disable_thp": "- I detected a non zero amount of anonymous huge pages used by your process. This "
    "creates very serious latency events in different conditions, especially when Redis is persisting "
    "on disk. To disable THP support use the command 'echo never > "
    "/sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so "
    "that the command will be executed again after a reboot. Note that even if you have already "
    "disabled THP, you still need to restart the Redis process to get rid of the huge pages already "
    "created.\n",
}
# What each event suggests (the advice, in createLatencyReport's per-event checks).
_EVENT_ADVICE = {
    "fast-command": ("scheduler",),
    "aof-write-active-child": ("no_appendfsync", "data_writeback", "ssd"),
    "aof-write-alone": ("local_disk", "data_writeback", "ssd"),
    "aof-fsync-always": ("relax_fsync_policy",),
    "expire-cycle": ("hz", "large_objects"),
}


def anon_huge_pages_bytes() -> int:
    """AnonHugePages of this process (/proc/self/smaps_rollup), 0 where unknown."""
    try:
        with open("/proc/self/smaps_rollup") as smaps:
            for line in smaps:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def doctor_text(server: Server, now_s: int) -> str:
    monitor = server.latency
    if not monitor.events and not monitor.threshold_ms:
        return _DISABLED
    report: list[str] = []
    advice: set[str] = set()
    advices = 0
    for number, (name, series) in enumerate(monitor.events.items(), 1):
        if number == 1:
            report.append("Dave, I have observed latency spikes in this Redis instance. "
                          "You don't mind talking about it, do you Dave?\n\n")
        values = [sample.latency_ms for sample in series.samples]
        average = sum(values) // len(values)
        deviation = sum(abs(average - value) for value in values) // len(values)
        period = max(now_s - min(sample.time for sample in series.samples), 1)
        report.append(
            f"{number}. {name}: {len(values)} latency spikes (average {average}ms, mean deviation "
            f"{deviation}ms, period {period / len(values):.2f} sec). Worst all time event {series.max_ms}ms."
        )
        event = name.lower()
        if event == "fork":
            rate = server.fork_stats.rate_gb_per_s
            quality = "terrible" if rate < 10 else "poor" if rate < 25 else "good" if rate < 100 else "excellent"
            if rate < 25:
                advice.add("better_vm")
                advices += 1
            report.append(f" Fork rate is {rate:.2f} GB/sec ({quality}).")
        if event == "command":
            slowlog_us = server.slowlog_threshold_us
            if slowlog_us < 0:
                advice.add("slowlog_enabled")
                advices += 1
            elif slowlog_us // 1000 > monitor.threshold_ms:
                advice.add("slowlog_tuning")
                advices += 1
            advice.update(("slowlog_inspect", "large_objects"))
            advices += 2
        for each in _EVENT_ADVICE.get(event, ()):
            advice.add(each)
            advices += 1
        report.append("\n")
    if anon_huge_pages_bytes() > 0:
        advice.add("disable_thp")
        advices += 1
    if not monitor.events and not advices:
        report.append(_QUIET)
    elif monitor.events and not advices:
        report.append(_NO_ADVICE)
    else:
        report.append("\nI have a few advices for you:\n\n")
        always = server.persistence is not None and server.persistence.policy.value == "always"
        hz = int(server.config.get("hz", "10"))
        for key, text in _ADVICE.items():
            if key not in advice or (key == "relax_fsync_policy" and not always) or (key == "hz" and hz >= 100):
                continue
            report.append(text.format(us=monitor.threshold_ms * 1000))
    return "".join(report)


@command("doctor", 2, _LATENCY, container="latency")
def latency_doctor_command(client: Client, argv: list[bytes]) -> Verbatim:
    return Verbatim(doctor_text(client.server, int(time.time())).encode())
