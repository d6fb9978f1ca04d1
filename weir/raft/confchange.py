"""Membership changes, validated on a copy before they take effect.

A `Changer` never touches the tracker it is given: each method returns a new
(TrackerConfig, progress map) pair or raises ConfChangeError, so an invalid
change leaves the running configuration as it was. Voter changes always go
to the incoming half; the outgoing half only exists in a joint config and
keeps the old voters until the joint config is left.
"""

from __future__ import annotations

from collections.abc import Iterable

from weir.raft.progress import Inflights, Progress, ProgressTracker, TrackerConfig
from weir.raft.quorum import JointConfig, MajorityConfig
from weir.raft.types import (
    ConfChange,
    ConfChangeError,
    ConfChangeSingle,
    ConfChangeType,
    ConfState,
)

ChangeResult = tuple[TrackerConfig, dict[int, Progress]]


class _Work:
    """Mutable copy of a configuration being changed."""

    __slots__ = ("auto_leave", "incoming", "learners", "learners_next", "outgoing", "progress")

    def __init__(self, tracker: ProgressTracker) -> None:
        cfg = tracker.config
        self.incoming = set(cfg.voters.incoming.ids)
        self.outgoing = set(cfg.voters.outgoing.ids)
        self.learners = set(cfg.learners)
        self.learners_next = set(cfg.learners_next)
        self.auto_leave = cfg.auto_leave
        self.progress = {i: pr.clone() for i, pr in tracker.progress.items()}

    def result(self) -> ChangeResult:
        config = TrackerConfig(
            voters=JointConfig(MajorityConfig(self.incoming), MajorityConfig(self.outgoing)),
            learners=frozenset(self.learners),
            learners_next=frozenset(self.learners_next),
            auto_leave=self.auto_leave,
        )
        progress = {i: self.progress[i] for i in sorted(self.progress)}
        return config, progress

    def check_invariants(self) -> None:
        for node_id in self.incoming | self.outgoing | self.learners | self.learners_next:
            if node_id not in self.progress:
                raise ConfChangeError(f"no progress for {node_id}")
        for node_id in self.learners_next:
            if node_id not in self.outgoing:
                raise ConfChangeError(f"{node_id} is in learners_next but not an outgoing voter")
            if self.progress[node_id].is_learner:
                raise ConfChangeError(f"{node_id} is in learners_next but already a learner")
        for node_id in self.learners:
            if node_id in self.outgoing:
                raise ConfChangeError(f"{node_id} is a learner and an outgoing voter")
            if node_id in self.incoming:
                raise ConfChangeError(f"{node_id} is a learner and an incoming voter")
            if not self.progress[node_id].is_learner:
                raise ConfChangeError(f"{node_id} is a learner but not marked as one")
        if not self.outgoing:
            if self.learners_next:
                raise ConfChangeError("learners_next must be empty when not joint")
            if self.auto_leave:
                raise ConfChangeError("auto_leave must be false when not joint")


class Changer:
    """Computes the configuration that results from a change."""

    __slots__ = ("last_index", "tracker")

    def __init__(self, tracker: ProgressTracker, last_index: int) -> None:
        self.tracker = tracker
        self.last_index = last_index
        """New members are probed from here (see `_init_progress`)."""

    def apply_conf_change(self, cc: ConfChange) -> ChangeResult:
        """Dispatch `cc` to leave_joint, enter_joint or simple."""
        if cc.leave_joint():
            return self.leave_joint()
        auto_leave, use_joint = cc.enter_joint()
        if use_joint:
            return self.enter_joint(auto_leave, cc.changes)
        return self.simple(cc.changes)

    def enter_joint(self, auto_leave: bool, changes: Iterable[ConfChangeSingle]) -> ChangeResult:
        """From (voters)&&() to (voters + changes)&&(voters): C_old,new."""
        work = self._check_and_copy()
        if work.outgoing:
            raise ConfChangeError("config is already joint")
        if not work.incoming:
            raise ConfChangeError("can't make a zero-voter config joint")
        work.outgoing = set(work.incoming)
        self._apply(work, changes)
        work.auto_leave = auto_leave
        work.check_invariants()
        return work.result()

    def leave_joint(self) -> ChangeResult:
        """From (new)&&(old) to (new)&&(): staged learners become learners."""
        work = self._check_and_copy()
        if not work.outgoing:
            raise ConfChangeError("can't leave a non-joint config")
        for node_id in work.learners_next:
            work.learners.add(node_id)
            work.progress[node_id].is_learner = True
        work.learners_next.clear()
        for node_id in work.outgoing:
            if node_id not in work.incoming and node_id not in work.learners:
                del work.progress[node_id]
        work.outgoing.clear()
        work.auto_leave = False
        work.check_invariants()
        return work.result()

    def simple(self, changes: Iterable[ConfChangeSingle]) -> ChangeResult:
        """Changes that alter the voters by at most one, without joint consensus."""
        work = self._check_and_copy()
        if work.outgoing:
            raise ConfChangeError("can't apply simple config change in joint config")
        self._apply(work, changes)
        before = self.tracker.config.voters.incoming.ids
        if len(before.symmetric_difference(work.incoming)) > 1:
            raise ConfChangeError("more than one voter changed without entering joint config")
        work.check_invariants()
        return work.result()

    def _check_and_copy(self) -> _Work:
        work = _Work(self.tracker)
        work.check_invariants()
        return work

    def _apply(self, work: _Work, changes: Iterable[ConfChangeSingle]) -> None:
        for change in changes:
            if change.node_id == 0:
                continue
            if change.kind == ConfChangeType.ADD_NODE:
                self._make_voter(work, change.node_id)
            elif change.kind == ConfChangeType.ADD_LEARNER:
                self._make_learner(work, change.node_id)
            elif change.kind == ConfChangeType.REMOVE_NODE:
                self._remove(work, change.node_id)
            else:
                raise ConfChangeError(f"unexpected conf change type {change.kind}")
        if not work.incoming:
            raise ConfChangeError("removed all voters")

    def _make_voter(self, work: _Work, node_id: int) -> None:
        pr = work.progress.get(node_id)
        if pr is None:
            self._init_progress(work, node_id, is_learner=False)
            return
        pr.is_learner = False
        work.learners.discard(node_id)
        work.learners_next.discard(node_id)
        work.incoming.add(node_id)

    def _make_learner(self, work: _Work, node_id: int) -> None:
        pr = work.progress.get(node_id)
        if pr is None:
            self._init_progress(work, node_id, is_learner=True)
            return
        if pr.is_learner:
            return
        self._remove(work, node_id)
        work.progress[node_id] = pr
        # A voter of the outgoing config can only become a learner once the
        # joint config is left; until then it is staged in learners_next.
        if node_id in work.outgoing:
            work.learners_next.add(node_id)
        else:
            pr.is_learner = True
            work.learners.add(node_id)

    def _remove(self, work: _Work, node_id: int) -> None:
        if node_id not in work.progress:
            return
        work.incoming.discard(node_id)
        work.learners.discard(node_id)
        work.learners_next.discard(node_id)
        if node_id not in work.outgoing:
            del work.progress[node_id]

    def _init_progress(self, work: _Work, node_id: int, *, is_learner: bool) -> None:
        if is_learner:
            work.learners.add(node_id)
        else:
            work.incoming.add(node_id)
        tracker = self.tracker
        # Probing from the last index makes the first MsgApp carry the last
        # entry; a new node rejects it and the leader backs off from there.
        work.progress[node_id] = Progress(
            match=0,
            next_index=max(self.last_index, 1),
            inflights=Inflights(tracker.inflight_msgs_max, tracker.inflight_bytes_max),
            is_learner=is_learner,
            # Counted as active so check-quorum does not fire before it spoke.
            recent_active=True,
        )


def restore(
    conf_state: ConfState,
    *,
    last_index: int,
    inflight_msgs_max: int,
    inflight_bytes_max: int,
) -> ChangeResult:
    """Build the configuration `conf_state` describes, starting from empty.

    A joint ConfState is rebuilt by adding the outgoing voters one by one,
    then entering joint with the incoming side.
    """
    outgoing = [ConfChangeSingle(ConfChangeType.ADD_NODE, i) for i in conf_state.voters_outgoing]
    incoming = [ConfChangeSingle(ConfChangeType.REMOVE_NODE, i) for i in conf_state.voters_outgoing]
    incoming += [ConfChangeSingle(ConfChangeType.ADD_NODE, i) for i in conf_state.voters]
    incoming += [ConfChangeSingle(ConfChangeType.ADD_LEARNER, i) for i in conf_state.learners]
    incoming += [ConfChangeSingle(ConfChangeType.ADD_LEARNER, i) for i in conf_state.learners_next]
    tracker = ProgressTracker(inflight_msgs_max, inflight_bytes_max)
    if not outgoing:
        for change in incoming:
            tracker.config, tracker.progress = Changer(tracker, last_index).simple([change])
    else:
        for change in outgoing:
            tracker.config, tracker.progress = Changer(tracker, last_index).simple([change])
        tracker.config, tracker.progress = Changer(tracker, last_index).enter_joint(
            conf_state.auto_leave, incoming
        )
    return tracker.config, tracker.progress
