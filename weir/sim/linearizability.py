"""Linearizability checking of key-value histories.

The search is Wing and Gong's, with the improvements Lowe describes and
Porcupine implements:

- The history is split by key: a key-value store is linearizable iff each
  key, seen as a register, is (linearizability is compositional).
- Operations sit in a doubly linked list of call and return events. The
  search linearizes, at each step, some operation whose call precedes the
  first pending return, "lifting" it out of the list; on a dead end it
  backtracks by restoring the last lifted operation.
- A cache of (set of linearized operations, register value) pairs prunes
  every state that was already explored; sets are int bitmasks.

On failure, `minimize` removes operations one at a time while the rest
stays non-linearizable (and every read value still has a writer), which
leaves a counter-example small enough to read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from weir.sim.history import Operation


class _Node:
    __slots__ = ("match", "next", "op", "prev")

    def __init__(self, op: Operation | None) -> None:
        self.op = op
        self.prev: _Node | None = None
        self.next: _Node | None = None
        self.match: _Node | None = None
        """For a call: its return node. None for returns."""


def _step(state: str | None, op: Operation) -> tuple[bool, str | None]:
    if op.f == "put":
        return True, op.value
    return op.value == state, state


def linearizable(ops: Sequence[Operation]) -> bool:
    """Is this single-key history linearizable for a register starting empty?"""
    if not ops:
        return True
    bits = {op.id: 1 << position for position, op in enumerate(ops)}
    events: list[tuple[float, int, _Node]] = []
    for op in ops:
        call = _Node(op)
        ret = _Node(None)
        call.match = ret
        events.append((op.call, 0, call))
        events.append((op.ret, 1, ret))
    events.sort(key=lambda item: (item[0], item[1]))
    head = _Node(None)
    previous = head
    for _, _, node in events:
        previous.next = node
        node.prev = previous
        previous = node

    state: str | None = None
    linearized = 0
    cache: dict[int, set[str | None]] = defaultdict(set)
    stack: list[tuple[_Node, str | None]] = []
    entry = head.next
    while head.next is not None:
        assert entry is not None
        call_op = entry.op
        if call_op is not None:
            ok, new_state = _step(state, call_op)
            if ok:
                new_linearized = linearized | bits[call_op.id]
                seen = cache[new_linearized]
                if new_state not in seen:
                    seen.add(new_state)
                    stack.append((entry, state))
                    state = new_state
                    linearized = new_linearized
                    _lift(entry)
                    entry = head.next
                    continue
            entry = entry.next
        else:
            # A return reached before its call was linearized: backtrack.
            if not stack:
                return False
            entry, state = stack.pop()
            assert entry.op is not None
            linearized &= ~bits[entry.op.id]
            _unlift(entry)
            entry = entry.next
    return True


def _lift(call: _Node) -> None:
    assert call.prev is not None and call.next is not None and call.match is not None
    call.prev.next = call.next
    call.next.prev = call.prev
    ret = call.match
    assert ret.prev is not None
    ret.prev.next = ret.next
    if ret.next is not None:
        ret.next.prev = ret.prev


def _unlift(call: _Node) -> None:
    assert call.prev is not None and call.next is not None and call.match is not None
    ret = call.match
    assert ret.prev is not None
    ret.prev.next = ret
    if ret.next is not None:
        ret.next.prev = ret
    call.prev.next = call
    call.next.prev = call


@dataclass(frozen=True, slots=True)
class CheckResult:
    ok: bool
    ops: int
    keys: int
    key: str | None = None
    """The first key found not linearizable."""
    counterexample: tuple[Operation, ...] = ()

    def report(self) -> str:
        if self.ok:
            return f"linearizable: {self.ops} operations on {self.keys} keys"
        lines = [
            f"not linearizable: key {self.key!r}; no order of these "
            f"{len(self.counterexample)} operations is consistent with a register:"
        ]
        lines.extend("  " + op.describe() for op in self.counterexample)
        return "\n".join(lines)


def by_key(ops: Sequence[Operation]) -> dict[str, list[Operation]]:
    partitions: dict[str, list[Operation]] = {}
    for op in ops:
        partitions.setdefault(op.key, []).append(op)
    return partitions


def check(ops: Sequence[Operation], *, minimal: bool = True) -> CheckResult:
    """Check a key-value history key by key."""
    partitions = by_key(ops)
    for key in sorted(partitions):
        partition = partitions[key]
        if not linearizable(partition):
            example = minimize(partition) if minimal else partition
            return CheckResult(False, len(ops), len(partitions), key, tuple(example))
    return CheckResult(True, len(ops), len(partitions))


def _orphan_reads(ops: Sequence[Operation]) -> set[str]:
    """Values read that no put in ops wrote."""
    written = {op.value for op in ops if op.f == "put"}
    return {
        op.value for op in ops if op.f == "get" and op.value is not None and op.value not in written
    }


def minimize(ops: Sequence[Operation]) -> list[Operation]:
    """A 1-minimal non-linearizable sub-history of a non-linearizable one.

    Candidates may not read values whose put was removed: that would make
    any history fail and hide the real anomaly.
    """
    allowed = _orphan_reads(ops)

    def failing(trial: Sequence[Operation]) -> bool:
        return _orphan_reads(trial) <= allowed and not linearizable(trial)

    ordered = sorted(ops, key=lambda op: op.call)
    # The shortest failing prefix (by invocation) bounds the search below.
    current = ordered
    for end in range(1, len(ordered) + 1):
        if failing(ordered[:end]):
            current = ordered[:end]
            break
    changed = True
    while changed:
        changed = False
        for op in list(current):
            trial = [other for other in current if other is not op]
            if failing(trial):
                current = trial
                changed = True
    return current
