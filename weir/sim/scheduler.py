"""Virtual time: a queue of callbacks ordered by (time, insertion)."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any


class Scheduler:
    """Runs callbacks in virtual-time order; time is in microseconds.

    Nothing reads a real clock, so a run depends only on its seed.
    """

    __slots__ = ("_queue", "_sequence", "now")

    def __init__(self) -> None:
        self.now = 0
        self._sequence = 0
        self._queue: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []

    def at(self, time: int, callback: Callable[..., None], *args: Any) -> None:
        assert time >= self.now, "scheduling into the past"
        self._sequence += 1
        heapq.heappush(self._queue, (time, self._sequence, callback, args))

    def after(self, delay: int, callback: Callable[..., None], *args: Any) -> None:
        self.at(self.now + delay, callback, *args)

    def run_until(self, end: int, events_max: int) -> int:
        """Run events due up to `end`; returns how many ran.

        `events_max` bounds the run so that a livelock shows up as an error
        instead of a hang.
        """
        queue = self._queue
        pop = heapq.heappop
        count = 0
        while queue and queue[0][0] <= end:
            time, _, callback, args = pop(queue)
            self.now = time
            callback(*args)
            count += 1
            if count >= events_max:
                raise RuntimeError(f"more than {events_max} events before t={end}us")
        self.now = max(self.now, end)
        return count
