"""The linearizability checker and the history format, on small known histories."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from weir.sim.history import Event, HistoryError, operations, read_jsonl, write_jsonl
from weir.sim.linearizability import check, linearizable, minimize


def invoke(process: int, f: str, key: str, value: str | None, time: float) -> Event:
    return Event("invoke", process, f, key, value, time)


def ok(process: int, f: str, key: str, value: str | None, time: float) -> Event:
    return Event("ok", process, f, key, value, time)


def put(process: int, key: str, value: str, start: float, end: float) -> list[Event]:
    return [invoke(process, "put", key, value, start), ok(process, "put", key, value, end)]


def get(process: int, key: str, value: str | None, start: float, end: float) -> list[Event]:
    return [invoke(process, "get", key, None, start), ok(process, "get", key, value, end)]


CASES = {
    "sequential": (put(1, "x", "a", 0, 1) + get(2, "x", "a", 2, 3), True),
    "read-of-initial": (get(1, "x", None, 0, 1), True),
    "stale-read": (put(1, "x", "a", 0, 1) + get(2, "x", None, 2, 3), False),
    "concurrent-read-either": (put(1, "x", "a", 0, 10) + get(2, "x", None, 2, 3), True),
    "read-from-the-future": (get(2, "x", "a", 0, 1) + put(1, "x", "a", 2, 3), False),
    "lost-overwrite": (
        put(1, "x", "a", 0, 1) + put(1, "x", "b", 2, 3) + get(2, "x", "a", 4, 5),
        False,
    ),
    "reads-disagree-on-order": (
        put(1, "x", "a", 0, 10)
        + put(2, "x", "b", 0, 10)
        + get(3, "x", "a", 11, 12)
        + get(3, "x", "b", 13, 14)
        + get(4, "x", "a", 15, 16),
        False,
    ),
    "keys-are-independent": (
        put(1, "x", "a", 0, 1) + put(1, "y", "b", 2, 3) + get(2, "x", "a", 4, 5),
        True,
    ),
    "touching-intervals-are-concurrent": (put(1, "x", "a", 0, 5) + get(2, "x", None, 5, 6), True),
}


@pytest.mark.parametrize(("events", "expected"), CASES.values(), ids=CASES.keys())
def test_known_histories(events: list[Event], expected: bool) -> None:
    assert check(operations(events)).ok is expected


def test_unknown_put_may_take_effect_late_or_never() -> None:
    events = [
        invoke(1, "put", "x", "a", 0),
        Event("info", 1, "put", "x", "a", 1),
        *get(2, "x", None, 5, 6),
        *get(2, "x", "a", 100, 101),
    ]
    assert check(operations(events)).ok
    events += get(2, "x", None, 200, 201)
    assert not check(operations(events)).ok, "once seen, it can't be undone"


def test_failed_operations_and_unknown_reads_are_dropped() -> None:
    events = [
        invoke(1, "put", "x", "a", 0),
        Event("fail", 1, "put", "x", "a", 1),
        invoke(2, "get", "x", None, 2),
        Event("info", 2, "get", "x", None, 3),
    ]
    assert operations(events) == []


def test_unfinished_put_counts_as_unknown() -> None:
    [op] = operations([invoke(1, "put", "x", "a", 0)])
    assert math.isinf(op.ret)


def test_same_time_return_and_next_invoke_of_one_process() -> None:
    events = put(1, "x", "a", 0, 5) + put(1, "x", "b", 5, 6)
    assert [op.value for op in operations(events)] == ["a", "b"]


@pytest.mark.parametrize(
    "events",
    [
        [invoke(1, "get", "x", None, 0), invoke(1, "get", "x", None, 1)],
        [ok(1, "get", "x", None, 0)],
        [invoke(1, "get", "x", None, 0), ok(1, "put", "x", "a", 1)],
    ],
    ids=["double-invoke", "orphan-completion", "mismatched-completion"],
)
def test_malformed_histories(events: list[Event]) -> None:
    with pytest.raises(HistoryError):
        operations(events)


def test_minimal_counterexample() -> None:
    rng = random.Random(5)
    events: list[Event] = []
    time = 0.0
    for i in range(30):
        events += put(1, "x", f"v{i}", time, time + 1)
        events += get(2, "x", f"v{i}", time + 2, time + 3)
        time += 4
        if rng.random() < 0.3:
            events += get(3, "y", None, time, time + 1)
    events += get(2, "x", "v3", time + 10, time + 11)  # stale: v29 was written
    result = check(operations(events))
    assert not result.ok
    assert result.key == "x"
    assert [op.value for op in result.counterexample] == ["v3", "v29", "v3"]
    assert "not linearizable" in result.report()


def test_minimize_keeps_the_writers_of_values_read() -> None:
    events = put(1, "x", "a", 0, 1) + put(1, "x", "b", 2, 3) + get(2, "x", "a", 4, 5)
    small = minimize(operations(events))
    assert sorted(op.value or "" for op in small) == ["a", "a", "b"]


def test_linearizable_on_many_random_sequential_histories() -> None:
    rng = random.Random(11)
    for _ in range(50):
        state: str | None = None
        events: list[Event] = []
        for i in range(40):
            if rng.random() < 0.5:
                state = f"v{i}"
                events += put(1, "k", state, 2 * i, 2 * i + 1)
            else:
                events += get(1, "k", state, 2 * i, 2 * i + 1)
        assert linearizable(operations(events))


def test_history_file_round_trip(tmp_path: Path) -> None:
    events = put(1, "x", "a", 0, 1) + get(2, "x", "a", 2, 3)
    path = tmp_path / "history.jsonl"
    with path.open("w") as handle:
        write_jsonl(events, handle)
    assert read_jsonl(path) == events


def test_history_file_without_times_uses_line_order(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    lines = [
        {"process": 1, "type": "invoke", "f": "put", "key": "x", "value": "a"},
        {"process": 1, "type": "ok", "f": "put", "key": "x", "value": "a"},
        {"process": 2, "type": "invoke", "f": "get", "key": "x", "value": None},
        {"process": 2, "type": "ok", "f": "get", "key": "x", "value": None},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert not check(operations(read_jsonl(path))).ok


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ('{"process": 1, "type": "begin", "f": "get", "key": "x"}', "type must be"),
        ('{"process": 1, "type": "invoke", "f": "cas", "key": "x"}', "f must be"),
        ('{"process": "1", "type": "invoke", "f": "get", "key": "x"}', "process"),
        ('{"process": 1, "type": "invoke", "f": "put", "key": "x"}', "needs a value"),
        ('{"process": 1, "type": "invoke", "f": "get", "key": "x", "time": "x"}', "time"),
    ],
    ids=["json", "type", "function", "process", "put-value", "time"],
)
def test_history_file_errors_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(HistoryError, match=message) as info:
        read_jsonl(path)
    assert "bad.jsonl:1" in str(info.value)
