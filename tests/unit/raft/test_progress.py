"""Per-follower progress: inflight window and probe/replicate/snapshot states."""

from __future__ import annotations

from weir.raft.progress import Inflights, Progress, ProgressState


def new_progress(match: int = 0, next_index: int = 1, window: int = 3) -> Progress:
    return Progress(match=match, next_index=next_index, inflights=Inflights(window))


def test_inflights_fill_and_free_by_count() -> None:
    window = Inflights(3)
    for index in (5, 10, 15):
        assert not window.full()
        window.add(index, 100)
    assert window.full()
    window.free_le(9)
    assert window.count() == 2
    assert not window.full()
    window.free_le(15)
    assert window.count() == 0
    assert window.bytes == 0


def test_inflights_fill_by_bytes() -> None:
    window = Inflights(100, bytes_max=1000)
    window.add(1, 600)
    assert not window.full()
    window.add(2, 400)
    assert window.full()
    window.free_le(1)
    assert not window.full()
    assert window.bytes == 400


def test_replicate_pipelines_until_the_window_is_full() -> None:
    pr = new_progress(match=4, next_index=5)
    pr.become_replicate()
    pr.sent_entries(2, 0)
    assert pr.next == 7
    assert not pr.is_paused()
    pr.sent_entries(1, 0)
    pr.sent_entries(1, 0)
    assert pr.is_paused()
    assert pr.maybe_update(8)
    pr.inflights.free_le(8)
    assert not pr.is_paused()


def test_probe_sends_one_message_then_waits() -> None:
    pr = new_progress(match=0, next_index=5)
    assert pr.state == ProgressState.PROBE
    pr.sent_entries(3, 0)
    assert pr.next == 5, "probes do not advance next"
    assert pr.is_paused()
    assert pr.maybe_update(7)
    assert not pr.is_paused()
    assert pr.next == 8


def test_stale_acknowledgement_is_ignored() -> None:
    pr = new_progress(match=5, next_index=6)
    assert not pr.maybe_update(5)
    assert not pr.maybe_update(3)
    assert pr.match == 5


def test_rejection_in_replicate_restarts_after_match() -> None:
    pr = new_progress(match=5, next_index=6)
    pr.become_replicate()
    pr.sent_entries(10, 0)
    assert pr.next == 16
    assert not pr.maybe_decr_to(4, 4), "stale rejection below match"
    assert pr.maybe_decr_to(10, 7)
    assert pr.next == 6


def test_rejection_in_probe_uses_the_hint() -> None:
    pr = new_progress(match=2, next_index=11)
    assert not pr.maybe_decr_to(5, 4), "rejection of a probe not in flight"
    assert pr.maybe_decr_to(10, 6)
    assert pr.next == 7
    pr = new_progress(match=2, next_index=11)
    assert pr.maybe_decr_to(10, 0)
    assert pr.next == 3, "never below match + 1"


def test_snapshot_state_pauses_and_probes_after_it() -> None:
    pr = new_progress(match=3, next_index=4)
    pr.become_snapshot(20)
    assert pr.is_paused()
    assert pr.pending_snapshot == 20
    pr.become_probe()
    assert pr.state == ProgressState.PROBE
    assert pr.next == 21


def test_can_bump_commit() -> None:
    pr = new_progress(match=5, next_index=10)
    pr.sent_commit = 4
    assert pr.can_bump_commit(6)
    assert not pr.can_bump_commit(4)
    pr.sent_commit = 9
    assert not pr.can_bump_commit(12), "the follower can't commit past what it holds"
    pr.become_snapshot(20)
    assert not pr.can_bump_commit(30)
