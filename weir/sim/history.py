"""Client histories: invocation and completion events, and their file format.

A history file has one JSON object per line::

    {"process": 3, "type": "invoke", "f": "put", "key": "k1", "value": "v7", "time": 1200}
    {"process": 3, "type": "ok", "f": "put", "key": "k1", "value": "v7", "time": 1500}
    {"process": 1, "type": "invoke", "f": "get", "key": "k1", "value": null, "time": 1300}
    {"process": 1, "type": "ok", "f": "get", "key": "k1", "value": "v7", "time": 1600}

- `process` is a client; each has at most one operation outstanding.
- `type` is `invoke`, then one of `ok` (it happened, with this result),
  `fail` (it certainly did not happen) or `info` (unknown: a put may or may
  not have taken effect, at any time after its invocation).
- `f` is `get` or `put`; `value` is the put's value, or what the get
  returned (`null` for a missing key).
- `time` is any monotonic number (for example nanoseconds). Events are
  ordered by time; at equal times invocations come first, which treats the
  operations as concurrent. Without `time` on any line, line order is time
  order. An operation left without completion counts as `info`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

EVENT_TYPES = ("invoke", "ok", "fail", "info")
FUNCTIONS = ("get", "put")


class HistoryError(ValueError):
    """A history file is malformed; the message names the line."""


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    process: int
    f: str
    key: str
    value: str | None
    time: float

    def to_json(self) -> str:
        return json.dumps(
            {
                "process": self.process,
                "type": self.type,
                "f": self.f,
                "key": self.key,
                "value": self.value,
                "time": self.time,
            }
        )


@dataclass(frozen=True, slots=True)
class Operation:
    """One client operation with its real-time interval [call, ret].

    `ret` is infinite when the outcome is unknown. Operations whose
    intervals touch (one returns at the time the other is invoked) count as
    concurrent.
    """

    id: int
    process: int
    f: str
    key: str
    value: str | None
    """The put's value, or the get's result."""
    call: float
    ret: float

    def describe(self) -> str:
        if self.f == "put":
            text = f"put({self.key!r}, {self.value!r})"
            outcome = "ok" if math.isfinite(self.ret) else "unknown"
        else:
            text = f"get({self.key!r})"
            outcome = repr(self.value)
        end = f"{self.ret:12.3f}" if math.isfinite(self.ret) else "           …"
        return f"[{self.call:12.3f} .. {end}] process {self.process:<3} {text} -> {outcome}"


def operations(events: Sequence[Event]) -> list[Operation]:
    """Pair each invocation with its completion; drop what surely did nothing.

    Failed operations and gets with unknown outcome cannot affect the state
    and are left out. Raises HistoryError when a process invokes twice
    without completing, or completes what it did not invoke.
    """
    # Stable: a process's own events keep their file order at equal times.
    order = sorted(range(len(events)), key=lambda i: events[i].time)
    open_calls: dict[int, int] = {}
    result: list[Operation] = []

    def add(call_index: int, ret: float, value: str | None) -> None:
        call = events[call_index]
        result.append(
            Operation(
                id=len(result),
                process=call.process,
                f=call.f,
                key=call.key,
                value=value,
                call=call.time,
                ret=ret,
            )
        )

    for event_index in order:
        event = events[event_index]
        if event.type == "invoke":
            if event.process in open_calls:
                raise HistoryError(f"process {event.process} invokes twice at time {event.time}")
            open_calls[event.process] = event_index
            continue
        call_index = open_calls.pop(event.process, None)
        if call_index is None:
            raise HistoryError(f"process {event.process} completes nothing at time {event.time}")
        call = events[call_index]
        if event.f != call.f or event.key != call.key:
            raise HistoryError(
                f"process {event.process} completes {event.f}({event.key!r}) "
                f"but invoked {call.f}({call.key!r})"
            )
        if event.type == "ok":
            value = event.value if call.f == "get" else call.value
            add(call_index, event.time, value)
        elif event.type == "info" and call.f == "put":
            add(call_index, math.inf, call.value)
    for call_index in open_calls.values():
        call = events[call_index]
        if call.f == "put":
            add(call_index, math.inf, call.value)
    return result


def write_jsonl(events: Iterable[Event], out: IO[str]) -> None:
    for event in events:
        out.write(event.to_json())
        out.write("\n")


def read_jsonl(path: Path) -> list[Event]:
    events: list[Event] = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            events.append(_parse_event(line, f"{path}:{line_number}", len(events)))
    return events


def _parse_event(line: str, where: str, position: int) -> Event:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise HistoryError(f"{where}: not JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise HistoryError(f"{where}: expected a JSON object")
    event_type = raw.get("type")
    if event_type not in EVENT_TYPES:
        raise HistoryError(f"{where}: type must be one of {', '.join(EVENT_TYPES)}")
    function = raw.get("f")
    if function not in FUNCTIONS:
        raise HistoryError(f"{where}: f must be one of {', '.join(FUNCTIONS)}")
    process = raw.get("process")
    if not isinstance(process, int) or isinstance(process, bool):
        raise HistoryError(f"{where}: process must be an integer")
    key = raw.get("key")
    if not isinstance(key, str):
        raise HistoryError(f"{where}: key must be a string")
    value = raw.get("value")
    if value is not None and not isinstance(value, str):
        raise HistoryError(f"{where}: value must be a string or null")
    if function == "put" and value is None:
        raise HistoryError(f"{where}: a put needs a value")
    time = raw.get("time", position)
    if not isinstance(time, int | float) or isinstance(time, bool):
        raise HistoryError(f"{where}: time must be a number")
    return Event(event_type, process, function, key, value, float(time))
