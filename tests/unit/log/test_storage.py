"""LogStorage: append, read, truncate, compact and reopen, across segment rollover."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.log.helpers import FailingFileIO, make_records, segment_paths
from weir.log import (
    FsyncPolicy,
    HardState,
    LogCompactedError,
    LogRecord,
    LogStorage,
    LogUnavailableError,
    RecordTooLargeError,
)
from weir.log import storage as storage_module
from weir.log.records import RECORD_HEADER_BYTES

# 48-byte payloads make 73-byte records: about 13 per 1 KiB segment.
SEGMENT_BYTES = 1024


def open_log(directory: Path, **options: object) -> LogStorage:
    options.setdefault("segment_bytes_max", SEGMENT_BYTES)
    return LogStorage.open(directory, **options)  # type: ignore[arg-type]


def test_a_new_log_is_empty(tmp_path: Path) -> None:
    with open_log(tmp_path / "data") as log:
        assert (log.first_index(), log.last_index(), log.last_term()) == (1, 0, 0)
        assert log.term(0) == 0
        assert log.entries(1, 1) == []
        assert log.recovery_report is not None
        assert log.recovery_report.torn_tail is None
    assert [path.name for path in segment_paths(tmp_path / "data")] == ["00000000000000000001.wal"]


def test_appended_entries_read_back_from_cache_and_disk(tmp_path: Path) -> None:
    records = make_records(1, 100)
    with open_log(tmp_path, cache_bytes_max=10 * 73) as log:
        log.append(records[:40])
        log.append(records[40:])
        assert log.last_index() == 100
        assert len(segment_paths(tmp_path)) > 5
        assert log.entries(1, 101) == records
        assert log.entries(37, 64) == records[36:63]
        assert [log.term(index) for index in range(1, 101)] == [1] * 100


def test_entries_survive_reopen_across_segments(tmp_path: Path) -> None:
    records = make_records(1, 60, term=1) + make_records(61, 60, term=4)
    with open_log(tmp_path) as log:
        log.append(records)
        log.sync()
    with open_log(tmp_path) as log:
        assert (log.first_index(), log.last_index(), log.last_term()) == (1, 120, 4)
        assert log.entries(1, 121) == records
        assert log.term(60) == 1
        assert log.term(61) == 4
        log.append(make_records(121, 5, term=4))
        assert log.last_index() == 125


def test_segment_names_sort_by_first_index(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        log.append(make_records(1, 50))
    names = [path.name for path in segment_paths(tmp_path)]
    firsts = [int(name.removesuffix(".wal")) for name in names]
    assert names == sorted(names)
    assert firsts == sorted(firsts)
    assert firsts[0] == 1


def test_a_record_larger_than_a_segment_gets_a_segment_of_its_own(tmp_path: Path) -> None:
    big = LogRecord(1, 2, 0, b"x" * (3 * SEGMENT_BYTES))
    with open_log(tmp_path) as log:
        log.append([*make_records(1, 1), big, *make_records(3, 1)])
        assert log.entries(1, 4)[1] == big
    with open_log(tmp_path) as log:
        assert log.entries(2, 3) == [big]


@pytest.mark.parametrize(
    ("max_bytes", "count"),
    [(0, 1), (72, 1), (73, 1), (146, 2), (147, 2), (10_000, 30)],
    ids=["zero-gives-one", "under-one", "exactly-one", "exactly-two", "over-two", "all"],
)
def test_max_bytes_limits_entries_but_returns_at_least_one(
    tmp_path: Path, max_bytes: int, count: int
) -> None:
    with open_log(tmp_path, cache_bytes_max=0) as log:
        log.append(make_records(1, 30))
        from_disk = log.entries(1, 31, max_bytes=max_bytes)
    with open_log(tmp_path / "cached") as log:
        log.append(make_records(1, 30))
        from_cache = log.entries(1, 31, max_bytes=max_bytes)
    assert len(from_disk) == count
    assert from_disk == from_cache


def test_max_bytes_spans_disk_and_cache(tmp_path: Path) -> None:
    records = make_records(1, 40)
    with open_log(tmp_path, cache_bytes_max=10 * 73) as log:
        log.append(records)
        assert log.entries(5, 41, max_bytes=20 * 73) == records[4:24]


def test_reads_outside_the_log_raise(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        log.append(make_records(1, 20))
        log.compact_prefix(5, 1)
        with pytest.raises(LogCompactedError):
            log.entries(5, 7)
        with pytest.raises(LogCompactedError):
            log.term(4)
        with pytest.raises(LogUnavailableError):
            log.entries(10, 22)
        with pytest.raises(LogUnavailableError):
            log.term(21)
        assert log.term(5) == 1


def test_truncate_suffix_inside_a_segment(tmp_path: Path) -> None:
    records = make_records(1, 50)
    with open_log(tmp_path) as log:
        log.append(records)
        log.truncate_suffix(31)
        assert log.last_index() == 30
        assert log.entries(1, 31) == records[:30]
        log.append(make_records(31, 3, term=2))
        assert log.term(31) == 2
    with open_log(tmp_path) as log:
        assert log.last_index() == 33
        assert log.entries(29, 34) == records[28:30] + make_records(31, 3, term=2)


def test_truncate_suffix_at_a_segment_start_removes_later_segments(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        log.append(make_records(1, 60))
        second = int(segment_paths(tmp_path)[1].name.removesuffix(".wal"))
        log.truncate_suffix(second)
        assert log.last_index() == second - 1
        assert len(segment_paths(tmp_path)) == 1
    with open_log(tmp_path) as log:
        assert log.last_index() == second - 1


def test_truncate_everything_keeps_an_empty_log(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        log.append(make_records(1, 60))
        log.truncate_suffix(1)
        assert (log.first_index(), log.last_index()) == (1, 0)
        log.append(make_records(1, 2, term=3))
    with open_log(tmp_path) as log:
        assert log.entries(1, 3) == make_records(1, 2, term=3)


def test_truncate_past_the_end_does_nothing(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        log.append(make_records(1, 5))
        log.truncate_suffix(6)
        assert log.last_index() == 5


def test_appending_an_existing_index_truncates_first(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        log.append(make_records(1, 40, term=1))
        replacement = make_records(20, 5, term=2)
        log.append(replacement)
        assert log.last_index() == 24
        assert log.entries(18, 25) == make_records(18, 2, term=1) + replacement
    with open_log(tmp_path) as log:
        assert log.entries(18, 25) == make_records(18, 2, term=1) + replacement


def test_appending_with_a_gap_is_a_caller_bug(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        log.append(make_records(1, 3))
        with pytest.raises(AssertionError):
            log.append(make_records(5, 1))
        with pytest.raises(AssertionError):
            log.append([*make_records(4, 1), *make_records(6, 1)])
        # A refused batch leaves nothing behind.
        assert log.last_index() == 3
        log.append(make_records(4, 1))
    with open_log(tmp_path) as log:
        assert log.last_index() == 4


def test_decreasing_terms_are_a_caller_bug(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        log.append(make_records(1, 3, term=5))
        with pytest.raises(AssertionError):
            log.append(make_records(4, 1, term=4))


def test_a_record_over_the_format_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage_module, "RECORD_PAYLOAD_BYTES_MAX", 16)
    with open_log(tmp_path) as log:
        with pytest.raises(RecordTooLargeError):
            log.append([LogRecord(1, 1, 0, b"x" * 17)])
        assert log.last_index() == 0


def test_compact_prefix_drops_covered_segments_and_remembers_the_term(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        log.append(make_records(1, 30, term=1) + make_records(31, 30, term=2))
        before = len(segment_paths(tmp_path))
        log.compact_prefix(40, 2)
        assert log.first_index() == 41
        assert log.term(40) == 2
        assert log.entries(41, 61) == make_records(41, 20, term=2)
        files = segment_paths(tmp_path)
        assert len(files) < before
        # The segment holding index 40 survives; nothing after it was lost.
        assert int(files[0].name.removesuffix(".wal")) <= 41
        log.compact_prefix(40, 2)
        log.compact_prefix(10, 1)
        assert log.first_index() == 41


def test_compacting_everything_keeps_the_last_index(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        log.append(make_records(1, 30, term=3))
        log.compact_prefix(30, 3)
        assert (log.first_index(), log.last_index(), log.last_term(), log.term(30)) == (
            31,
            30,
            3,
            3,
        )
        log.append(make_records(31, 1, term=3))
        assert log.last_index() == 31


@pytest.mark.parametrize(
    ("upto_index", "upto_term"), [(100, 7), (20, 9)], ids=["past-the-end", "term-mismatch"]
)
def test_compact_prefix_to_a_snapshot_the_log_lacks_resets_it(
    tmp_path: Path, upto_index: int, upto_term: int
) -> None:
    with open_log(tmp_path) as log:
        log.append(make_records(1, 30, term=1))
        log.compact_prefix(upto_index, upto_term)
        assert (log.first_index(), log.last_index()) == (upto_index + 1, upto_index)
        assert log.term(upto_index) == upto_term
        assert [path.name for path in segment_paths(tmp_path)] == [f"{upto_index + 1:020d}.wal"]
    with open_log(tmp_path) as log:
        assert (log.first_index(), log.last_index(), log.term(upto_index)) == (
            upto_index + 1,
            upto_index,
            upto_term,
        )
        log.append(make_records(upto_index + 1, 2, term=upto_term))


def test_after_reopen_the_start_is_at_segment_granularity(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        log.append(make_records(1, 60))
        log.compact_prefix(40, 1)
    with open_log(tmp_path) as log:
        first = log.first_index()
        assert first <= 41
        assert log.term(first - 1) == 1
        # The server repeats the compaction after loading its snapshot.
        log.compact_prefix(40, 1)
        assert log.first_index() == 41


def test_sync_state(tmp_path: Path) -> None:
    with open_log(tmp_path, fsync_policy="always") as log:
        assert log.fsync_policy is FsyncPolicy.ALWAYS
        log.sync()
        assert not log.needs_sync
        log.append(make_records(1, 3))
        assert log.needs_sync
        assert log.bytes_unsynced == 3 * (RECORD_HEADER_BYTES + 48)
        assert log.synced_index == 0
        log.sync()
        assert not log.needs_sync
        assert log.bytes_unsynced == 0
        assert log.synced_index == 3
        log.truncate_suffix(2)
        assert log.synced_index == 1
        log.sync()
        assert log.synced_index == 1


def test_a_truncation_voids_the_claim_of_a_sync_round_in_flight(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        log.append(make_records(1, 10, term=1))
        job = log.begin_sync()
        assert job is not None
        log.append(make_records(6, 5, term=2))
        job.run()
        log.end_sync(job)
        # The round synced the old entries 6..10, not their replacements.
        assert log.synced_index == 0
        assert log.needs_sync
        log.sync()
        assert log.synced_index == 10


def test_sync_on_the_loop_covers_a_round_still_running_elsewhere(tmp_path: Path) -> None:
    io = FailingFileIO()
    with open_log(tmp_path, file_io=io) as log:
        log.append(make_records(1, 10))
        log.sync()
        log.append(make_records(11, 1))
        running = log.begin_sync()
        assert running is not None
        # A rollover: the next record lands in a new segment.
        log.append(make_records(12, 20))
        syncs = io.syncs
        log.sync()
        # Every segment was synced here, the one the running round covers included.
        assert len(segment_paths(tmp_path)) >= 2
        assert io.syncs - syncs == len(segment_paths(tmp_path))
        assert log.synced_index == 31
        running.run()
        log.end_sync(running)
        assert log.synced_index == 31


def test_size_bytes_matches_the_files_on_disk(tmp_path: Path) -> None:
    def on_disk() -> int:
        return sum(path.stat().st_size for path in segment_paths(tmp_path))

    with open_log(tmp_path) as log:
        assert log.size_bytes() == on_disk() > 0
        log.append(make_records(1, 100))
        assert log.size_bytes() == on_disk()
        log.truncate_suffix(57)
        assert log.size_bytes() == on_disk()
        log.compact_prefix(40, 1)
        assert log.size_bytes() == on_disk()
    with open_log(tmp_path) as log:
        assert log.size_bytes() == on_disk()


def test_cache_stays_within_its_budget(tmp_path: Path) -> None:
    records = make_records(1, 200)
    with open_log(tmp_path, segment_bytes_max=1 << 20, cache_bytes_max=1000) as log:
        for record in records:
            log.append([record])
        assert log.entries(1, 201) == records


def test_hard_state_is_saved_and_reloaded(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        assert log.hard_state == HardState(0, 0, 0)
        log.save_hard_state(HardState(term=3, vote=2, commit=10))
    with open_log(tmp_path) as log:
        assert log.hard_state == HardState(3, 2, 10)


def test_open_removes_leftover_temp_files(tmp_path: Path) -> None:
    (tmp_path / "hardstate.tmp").write_bytes(b"half")
    with open_log(tmp_path) as log:
        assert log.recovery_report is not None
        assert log.recovery_report.removed_temp_files == (tmp_path / "hardstate.tmp",)
    assert not (tmp_path / "hardstate.tmp").exists()


def test_segment_size_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="segment_bytes_max"):
        LogStorage.open(tmp_path, segment_bytes_max=8)


def test_close_is_idempotent(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    log.close()
    log.close()
