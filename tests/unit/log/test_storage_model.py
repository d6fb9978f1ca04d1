"""LogStorage against an in-memory model: random appends, truncations, compactions and reopens."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.unit.log.helpers import payload
from weir.log import LogRecord, LogStorage


class LogModel:
    """The log as Raft sees it: entries after a compaction point (index, term)."""

    def __init__(self) -> None:
        self.compacted_index = 0
        self.compacted_term = 0
        self.entries: list[LogRecord] = []

    @property
    def last_index(self) -> int:
        return self.compacted_index + len(self.entries)

    def term(self, index: int) -> int:
        if index == self.compacted_index:
            return self.compacted_term
        return self.entries[index - self.compacted_index - 1].term

    def append(self, records: list[LogRecord]) -> None:
        self.truncate_suffix(records[0].index)
        self.entries += records

    def truncate_suffix(self, from_index: int) -> None:
        del self.entries[max(0, from_index - self.compacted_index - 1) :]

    def compact_prefix(self, upto_index: int, upto_term: int) -> None:
        if upto_index <= self.compacted_index:
            return
        if upto_index <= self.last_index and self.term(upto_index) == upto_term:
            del self.entries[: upto_index - self.compacted_index]
        else:
            self.entries = []
        self.compacted_index, self.compacted_term = upto_index, upto_term


class LogMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="weir-log-model-"))
        self.log = self.open()
        self.model = LogModel()

    def open(self) -> LogStorage:
        # Small segments and cache: many rollovers, and reads that go to disk.
        return LogStorage.open(self.directory, segment_bytes_max=600, cache_bytes_max=900)

    @rule(
        data=st.data(),
        count=st.integers(1, 12),
        term_step=st.integers(0, 2),
        size=st.integers(0, 150),
    )
    def append(self, data: st.DataObject, count: int, term_step: int, size: int) -> None:
        model = self.model
        start = data.draw(
            st.integers(model.compacted_index + 1, model.last_index + 1), label="start"
        )
        term = model.term(start - 1) + term_step
        records = [
            LogRecord(term, index, index % 4, payload(index, term, size))
            for index in range(start, start + count)
        ]
        self.log.append(records)
        model.append(records)

    @rule(data=st.data())
    def truncate_suffix(self, data: st.DataObject) -> None:
        model = self.model
        from_index = data.draw(st.integers(model.compacted_index + 1, model.last_index + 2))
        self.log.truncate_suffix(from_index)
        model.truncate_suffix(from_index)

    @rule(data=st.data(), matching=st.booleans(), term_step=st.integers(0, 3))
    def compact_prefix(self, data: st.DataObject, matching: bool, term_step: int) -> None:
        model = self.model
        upto = data.draw(st.integers(model.compacted_index, model.last_index + 3))
        if matching and upto <= model.last_index:
            term = model.term(upto)
        else:
            last_term = model.term(model.last_index)
            term = last_term + term_step if upto > model.last_index else last_term + 1 + term_step
        self.log.compact_prefix(upto, term)
        model.compact_prefix(upto, term)

    @rule()
    def sync(self) -> None:
        self.log.sync()
        assert self.log.synced_index == self.model.last_index

    @rule()
    def reopen(self) -> None:
        self.log.close()
        self.log = self.open()
        # A compaction point survives at segment granularity: the log may start
        # earlier, and the server repeats its snapshot's compaction.
        assert self.log.first_index() <= self.model.compacted_index + 1
        assert self.log.last_index() == self.model.last_index
        self.log.compact_prefix(self.model.compacted_index, self.model.compacted_term)

    @precondition(lambda self: self.model.last_index > 0)
    @rule(data=st.data(), max_bytes=st.none() | st.integers(0, 400))
    def read_range(self, data: st.DataObject, max_bytes: int | None) -> None:
        model = self.model
        lo = data.draw(st.integers(model.compacted_index + 1, model.last_index + 1))
        hi = data.draw(st.integers(lo, model.last_index + 1))
        got = self.log.entries(lo, hi, max_bytes=max_bytes)
        expected = model.entries[lo - model.compacted_index - 1 : hi - model.compacted_index - 1]
        assert got == expected[: len(got)]
        if max_bytes is None or not expected:
            assert len(got) == len(expected)
        else:
            assert got
            assert len(got) == 1 or sum(25 + len(record.data) for record in got) <= max_bytes

    @invariant()
    def matches_the_model(self) -> None:
        log, model = self.log, self.model
        assert log.first_index() == model.compacted_index + 1
        assert log.last_index() == model.last_index
        assert log.last_term() == model.term(model.last_index)
        for index in range(model.compacted_index, model.last_index + 1):
            assert log.term(index) == model.term(index)
        assert log.entries(log.first_index(), log.last_index() + 1) == model.entries

    def teardown(self) -> None:
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


LogMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_log_matches_model = LogMachine.TestCase
