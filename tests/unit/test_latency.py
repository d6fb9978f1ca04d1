"""Latency histograms (Redis's HDR slots), the latency monitor's series, and GRAPH's text."""

from __future__ import annotations

from pathlib import Path

import pytest

from weir.commands.latency import (
    cumulative_buckets,
    format_percentile,
    graph_text,
    percentile_us,
    slot_highest_ns,
    slot_lowest_ns,
    slot_of_ns,
)
from weir.commands.table import LATENCY_NS_MAX, LATENCY_SLOTS, CommandSpec, lookup, resolve_write
from weir.config import Settings
from weir.server import config_table
from weir.server.latency import SAMPLES_MAX, EventSeries, LatencyMonitor, Sample
from weir.server.persistence import Persistence
from weir.server.server import Server
from weir.state.machine import StateMachine


def spec_with(*durations_us: int) -> CommandSpec:
    spec = CommandSpec("x", 1, frozenset(), 0, 0, 0, (), lambda ctx, argv: None)
    for us in durations_us:
        spec.record_latency(us)
    return spec


def naive_range(ns: int) -> tuple[int, int]:
    """The values sharing `ns`'s slot in an HDR histogram of 2 significant digits: exact
    below 256, then 128 slots per power of two."""
    if ns < 256:
        return ns, ns
    width = 1 << (ns.bit_length() - 8)
    low = ns - ns % width
    return low, low + width - 1


@pytest.mark.parametrize("ns", [1, 2, 255, 256, 257, 1000, 1023, 1024, 1031, 1032, 14_000, 88_000,
                                 131_072, 999_999, 2**29, LATENCY_NS_MAX])
def test_slots_group_values_as_hdr_does(ns: int) -> None:
    slot = slot_of_ns(ns)
    assert 0 <= slot < LATENCY_SLOTS
    assert (slot_lowest_ns(slot), slot_highest_ns(slot)) == naive_range(ns)


def test_slots_are_contiguous_and_ordered() -> None:
    previous_high = 0
    for slot in range(1, LATENCY_SLOTS):
        assert slot_lowest_ns(slot) == previous_high + 1
        assert slot_of_ns(slot_lowest_ns(slot)) == slot
        previous_high = slot_highest_ns(slot)
    assert previous_high >= LATENCY_NS_MAX


# Percentiles redis-server 7.0 printed in INFO latencystats for these durations.
@pytest.mark.parametrize("us,percentile,shown", [
    (14, 50.0, 14.015), (14, 0.0, 13.952), (88, 99.0, 88.063), (7, 99.9, 7.007),
    (0, 50.0, 0.001), (0, 0.0, 0.001), (1, 50.0, 1.003), (2, 50.0, 2.007), (3, 100.0, 3.007),
])
def test_percentiles_match_redis(us: int, percentile: float, shown: float) -> None:
    assert round(percentile_us(spec_with(us).latency_counts, percentile), 3) == shown


def test_percentile_picks_the_call_at_its_rank() -> None:
    counts = spec_with(5, 31, 88).latency_counts
    assert [round(percentile_us(counts, p), 3) for p in (0, 50, 100)] == [4.992, 31.103, 88.063]


@pytest.mark.parametrize("durations,buckets", [
    ([14], {16: 1}),
    ([7, 31], {8: 1, 33: 2}),
    ([8], {8: 1}), ([9], {16: 1}), ([33], {33: 1}), ([34], {66: 1}), ([66], {66: 1}),
    ([0, 1, 2], {1: 2, 2: 3}),
    ([120, 130], {132: 2}),
    ([1_000_000], {}),  # past hdr's last reported level: counted in calls only
], ids=["one", "two-levels", "8", "9", "33", "34", "66", "small", "same-level", "past-the-end"])
def test_cumulative_buckets_match_redis(durations: list[int], buckets: dict[int, int]) -> None:
    assert cumulative_buckets(spec_with(*durations).latency_counts) == buckets


def test_record_clamps_to_a_second() -> None:
    counts = spec_with(5_000_000).latency_counts
    assert counts[slot_of_ns(LATENCY_NS_MAX)] == 1


@pytest.mark.parametrize("value,shown", [(50.0, "50"), (99.9, "99.9"), (0.0, "0"), (99.99, "99.99"), (100.0, "100")])
def test_percentile_names(value: float, shown: str) -> None:
    assert format_percentile(value) == shown


def test_samples_of_one_second_merge_into_its_worst() -> None:
    monitor = LatencyMonitor()
    monitor.add("command", 5, 100)
    monitor.add("command", 9, 100)
    monitor.add("command", 3, 100)
    monitor.add("command", 2, 101)
    series = monitor.events["command"]
    assert [(s.time, s.latency_ms) for s in series.samples] == [(100, 9), (101, 2)]
    assert series.max_ms == 9


def test_a_series_keeps_its_newest_samples() -> None:
    monitor = LatencyMonitor()
    for second in range(SAMPLES_MAX + 5):
        monitor.add("fork", second + 1, second)
    samples = monitor.events["fork"].samples
    assert len(samples) == SAMPLES_MAX
    assert samples[0].time == 5
    assert monitor.events["fork"].max_ms == SAMPLES_MAX + 5


def test_threshold() -> None:
    monitor = LatencyMonitor()
    monitor.add_if_needed("command", 100)
    assert monitor.events == {}
    monitor.threshold_ms = 10
    monitor.add_if_needed("command", 9)
    monitor.add_if_needed("expire-cycle", 10)
    assert list(monitor.events) == ["expire-cycle"]


def test_reset_names_events_in_any_case() -> None:
    monitor = LatencyMonitor()
    for event in ("command", "fork", "expire-cycle"):
        monitor.add(event, 1, 1)
    assert monitor.reset("COMMAND") == 1
    assert monitor.reset("nosuch") == 0
    assert monitor.reset() == 2
    assert monitor.events == {}


def test_graph_is_redis_sparkline() -> None:
    # LATENCY GRAPH command of redis-server 7.0 for these samples, at second 12.
    series = EventSeries([Sample(8, 5), Sample(9, 1010), Sample(11, 1020), Sample(12, 1000)], 1020)
    assert graph_text("command", series, 12) == (
        "command - high 1020 ms, low 5 ms (all time high 1020 ms)\n"
        + "-" * 80 + "\n"
        " ###\n"
        " |||\n"
        " |||\n"
        "_|||\n"
        "    \n"
        "4310\n"
        "ssss\n"
    )


def test_graph_wraps_at_80_samples_and_labels_ages() -> None:
    series = EventSeries([Sample(t, 10) for t in range(90)], 10)
    lines = graph_text("fork", series, 89 + 7200).split("\n")
    assert lines[0] == "fork - high 10 ms, low 10 ms (all time high 10 ms)"
    # Equal samples draw the lowest step; labels read downwards ("2h").
    assert lines[2:10] == [" " * 80] * 3 + ["_" * 80, " " * 80, "2" * 80, "h" * 80, ""]
    assert lines[10:13] == [" " * 10] * 3


def test_the_dispatchers_events_are_command_or_fast_command() -> None:
    server = Server(Settings())
    config_table.apply(server, "latency-monitor-threshold", "5")
    assert server.latency_monitor_us == 5000
    get, debug = lookup(b"get"), lookup(b"debug")
    assert get is not None and debug is not None
    server.latency_command(get, 7000)
    server.latency_command(debug, 9000)
    assert {name: series.max_ms for name, series in server.latency.events.items()} == {
        "fast-command": 7, "command": 9,
    }
    config_table.apply(server, "latency-monitor-threshold", "0")
    assert server.latency_monitor_us > 10**15  # off: no command reaches it


def test_log_writes_are_aof_write_events(tmp_path: Path) -> None:
    persistence = Persistence(tmp_path, "always", StateMachine(resolve_write))
    monitor = persistence.latency = LatencyMonitor()
    monitor.threshold_ms = 1
    try:
        # 64 MB handed to the OS takes well over a millisecond.
        persistence.add(1, 1, b"x" * 64 * 1024 * 1024)
        persistence.write_pending()
        assert {"aof-write", "aof-write-alone"} <= set(monitor.events)
        persistence.child_active = True
        persistence.add(1, 2, b"y" * 64 * 1024 * 1024)
        persistence.sync()
        assert "aof-write-active-child" in monitor.events
        assert set(monitor.events) <= {"aof-write", "aof-write-alone", "aof-write-active-child", "aof-fsync-always"}
    finally:
        persistence.close()
