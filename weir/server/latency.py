"""The latency monitor (Redis's latency.c): spikes of named events over a threshold.

With `latency-monitor-threshold` N > 0, an event that lasted N ms or more is
recorded under its name (`command`, `fast-command`, `expire-cycle`, `fork`,
`aof-write`, `aof-fsync-always`, ...). Each event keeps its last
`SAMPLES_MAX` samples, one per second at most (a second's worst), and its
all-time maximum. LATENCY reads them (weir/commands/latency.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# Redis's LATENCY_TS_LEN.
SAMPLES_MAX = 160
# The dispatcher's threshold while the monitor is off: no command takes that long. (Small
# enough to stay an unboxed integer in compiled code.)
LATENCY_MONITOR_OFF_US = 1 << 60


@dataclass(slots=True)
class Sample:
    time: int  # Unix seconds
    latency_ms: int


@dataclass(slots=True)
class EventSeries:
    """The samples of one event, oldest first (a ring of SAMPLES_MAX in latency.c)."""

    samples: list[Sample] = field(default_factory=list)
    max_ms: int = 0


class LatencyMonitor:
    def __init__(self) -> None:
        # 0: off. Callers test it before timing anything.
        self.threshold_ms = 0
        self.events: dict[str, EventSeries] = {}

    def add_if_needed(self, event: str, latency_ms: int) -> None:
        """latencyAddSampleIfNeeded: record only when on and at or over the threshold."""
        if self.threshold_ms and latency_ms >= self.threshold_ms:
            self.add(event, latency_ms, int(time.time()))

    def add(self, event: str, latency_ms: int, now_s: int) -> None:
        series = self.events.get(event)
        if series is None:
            series = self.events[event] = EventSeries()
        series.max_ms = max(series.max_ms, latency_ms)
        samples = series.samples
        if samples and samples[-1].time == now_s:
            # One sample per second: the worst of that second.
            samples[-1].latency_ms = max(samples[-1].latency_ms, latency_ms)
            return
        samples.append(Sample(now_s, latency_ms))
        if len(samples) > SAMPLES_MAX:
            del samples[0]

    def reset(self, event: str | None = None) -> int:
        """Forget one event (named in any case, as latencyResetEvent's strcasecmp) or all."""
        if event is None:
            count = len(self.events)
            self.events.clear()
            return count
        wanted = event.lower()
        doomed = [name for name in self.events if name.lower() == wanted]
        for name in doomed:
            del self.events[name]
        return len(doomed)
