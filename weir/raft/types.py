"""Values that flow in and out of the Raft core.

Everything here is plain data. Entries, hard states and snapshots are
immutable; a `Message` is filled in by the node that sends it and never
changed after it leaves that node (the simulator delivers one object to
several receivers when it duplicates a message).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from operator import attrgetter
from typing import NamedTuple

NONE = 0
"""The node id that means "no node" (no leader, no vote)."""

NO_LIMIT = 1 << 62
"""A size or count limit that is never reached."""

ENTRY_OVERHEAD_BYTES = 16
"""Bytes counted per entry on top of its payload when sizing messages."""


class RaftError(Exception):
    """Base of the errors the Raft core raises to its caller."""


class ProposalDroppedError(RaftError):
    """The proposal was not appended to any log (no leader, transfer, quota...)."""


class ReadIndexDroppedError(RaftError):
    """The read request cannot be served: this node knows no leader."""


class ConfChangeError(RaftError):
    """A configuration change is not valid for the current configuration."""


class ConfigError(RaftError):
    """A `Config` value is out of range."""


class StepLocalMessageError(RaftError):
    """A message type that only the node itself may create came from outside."""


class ReadyError(RaftError):
    """`ready()` and `advance()` were called out of order."""


class CompactedError(RaftError):
    """The requested index is older than the log's first index (compacted)."""


class UnavailableError(RaftError):
    """The requested index is newer than the log's last index."""


class SnapshotOutOfDateError(RaftError):
    """The snapshot is older than the one the storage already holds."""


class SnapshotTemporarilyUnavailableError(RaftError):
    """The storage is producing a snapshot; ask again later."""


class EntryKind(IntEnum):
    NORMAL = 0
    CONF_CHANGE = 1
    """Data is `ConfChange.encode()`: one or several changes, simple or joint."""


class Entry:
    """One log entry. `data` is opaque to Raft except for CONF_CHANGE entries.

    Immutable by convention: logs and messages share Entry objects.
    """

    __slots__ = ("data", "index", "kind", "term")

    def __init__(self, term: int, index: int, kind: EntryKind, data: bytes) -> None:
        self.term = term
        self.index = index
        self.kind = kind
        self.data = data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Entry):
            return NotImplemented
        return (
            self.term == other.term
            and self.index == other.index
            and self.kind == other.kind
            and self.data == other.data
        )

    def __hash__(self) -> int:
        return hash((self.term, self.index, self.kind, self.data))

    def __repr__(self) -> str:
        return f"Entry(term={self.term}, index={self.index}, kind={self.kind.name}, data={self.data!r})"


_entry_data = attrgetter("data")


def payload_bytes(entries: Sequence[Entry]) -> int:
    return sum(map(len, map(_entry_data, entries)))


def limit_size(entries: list[Entry], bytes_max: int) -> list[Entry]:
    """The longest prefix of `entries` within `bytes_max`, but never empty.

    Each entry counts its payload plus ENTRY_OVERHEAD_BYTES.
    """
    if bytes_max >= NO_LIMIT or len(entries) <= 1:
        return entries
    if payload_bytes(entries) + ENTRY_OVERHEAD_BYTES * len(entries) <= bytes_max:
        return entries
    total = 0
    for i, e in enumerate(entries):
        total += len(e.data) + ENTRY_OVERHEAD_BYTES
        if total > bytes_max and i > 0:
            return entries[:i]
    return entries


class MessageType(IntEnum):
    HUP = 0
    BEAT = 1
    PROP = 2
    APP = 3
    APP_RESP = 4
    VOTE = 5
    VOTE_RESP = 6
    SNAP = 7
    HEARTBEAT = 8
    HEARTBEAT_RESP = 9
    UNREACHABLE = 10
    SNAP_STATUS = 11
    CHECK_QUORUM = 12
    TRANSFER_LEADER = 13
    TIMEOUT_NOW = 14
    READ_INDEX = 15
    READ_INDEX_RESP = 16
    PRE_VOTE = 17
    PRE_VOTE_RESP = 18


LOCAL_MESSAGES = frozenset(
    {
        MessageType.HUP,
        MessageType.BEAT,
        MessageType.UNREACHABLE,
        MessageType.SNAP_STATUS,
        MessageType.CHECK_QUORUM,
    }
)
"""Types a node creates for itself; `RawNode.step` refuses them from peers."""


class Message:
    """A message between nodes, or from the application to its own node.

    Fields are used per type as in etcd's raftpb.Message:

    - APP: `index`/`log_term` name the entry preceding `entries`; `commit` is
      the leader's commit index.
    - APP_RESP: `index` is the follower's last index after appending, or on
      `reject` the index that did not match, with `reject_hint`/`log_term`
      pointing at the follower's best guess of a matching (index, term).
    - VOTE/PRE_VOTE: `index`/`log_term` are the candidate's last entry;
      `context` is `TRANSFER_CONTEXT` for a leadership transfer.
    - HEARTBEAT: `commit` is min(follower match, leader commit) and `index`
      the leader's heartbeat round, echoed in HEARTBEAT_RESP.`index`. Rounds
      confirm ReadIndex batches and leader leases.
    - READ_INDEX/READ_INDEX_RESP: `context` is the request id, `index` the
      read index in the response.
    - SNAP_STATUS (local): `reject` means the snapshot failed to send.
    """

    __slots__ = (
        "commit",
        "context",
        "entries",
        "index",
        "kind",
        "log_term",
        "reject",
        "reject_hint",
        "snapshot",
        "source",
        "target",
        "term",
    )

    def __init__(
        self,
        kind: MessageType,
        *,
        source: int = NONE,
        target: int = NONE,
        term: int = 0,
        log_term: int = 0,
        index: int = 0,
        entries: Sequence[Entry] = (),
        commit: int = 0,
        snapshot: Snapshot | None = None,
        reject: bool = False,
        reject_hint: int = 0,
        context: bytes = b"",
    ) -> None:
        self.kind = kind
        self.source = source
        self.target = target
        self.term = term
        self.log_term = log_term
        self.index = index
        self.entries = entries
        self.commit = commit
        self.snapshot = snapshot
        self.reject = reject
        self.reject_hint = reject_hint
        self.context = context

    def copy(self, **changes: object) -> Message:
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        kind = fields.pop("kind")
        return Message(kind, **fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = [f"{self.kind.name} {self.source}->{self.target} term={self.term}"]
        if self.log_term or self.index:
            parts.append(f"log_term={self.log_term} index={self.index}")
        if self.entries:
            first, last = self.entries[0].index, self.entries[-1].index
            parts.append(f"entries=[{first}..{last}]")
        if self.commit:
            parts.append(f"commit={self.commit}")
        if self.reject:
            parts.append(f"reject hint={self.reject_hint}")
        if self.snapshot is not None:
            parts.append(f"snapshot=({self.snapshot.index},{self.snapshot.term})")
        if self.context:
            parts.append(f"context={self.context!r}")
        return "Message(" + " ".join(parts) + ")"


class HardState(NamedTuple):
    """What must be on disk before any message of the same Ready is sent."""

    term: int = 0
    vote: int = NONE
    commit: int = 0


EMPTY_HARD_STATE = HardState()


@dataclass(frozen=True, slots=True)
class ConfState:
    """The membership a snapshot or an applied conf change leaves behind."""

    voters: tuple[int, ...] = ()
    learners: tuple[int, ...] = ()
    voters_outgoing: tuple[int, ...] = ()
    """Non-empty only in a joint configuration."""
    learners_next: tuple[int, ...] = ()
    """Voters of the outgoing config that become learners when leaving joint."""
    auto_leave: bool = False

    def members(self) -> frozenset[int]:
        return frozenset(self.voters + self.learners + self.voters_outgoing)

    def equivalent(self, other: ConfState) -> bool:
        """Equal up to the order of ids."""
        return (
            set(self.voters) == set(other.voters)
            and set(self.learners) == set(other.learners)
            and set(self.voters_outgoing) == set(other.voters_outgoing)
            and set(self.learners_next) == set(other.learners_next)
            and self.auto_leave == other.auto_leave
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """State machine image at `index` (whose entry had `term`)."""

    index: int = 0
    term: int = 0
    conf_state: ConfState = field(default_factory=ConfState)
    data: bytes = b""


EMPTY_SNAPSHOT = Snapshot()


class StateType(IntEnum):
    FOLLOWER = 0
    CANDIDATE = 1
    LEADER = 2
    PRE_CANDIDATE = 3


class SoftState(NamedTuple):
    """Volatile state worth telling the application about; never persisted."""

    lead: int
    state: StateType


@dataclass(frozen=True, slots=True)
class ReadState:
    """A read request `context` may be served once `index` is applied."""

    index: int
    context: bytes


@dataclass(frozen=True, slots=True)
class Ready:
    """Work the application must do, in this order, then call `advance()`.

    1. Persist: write `snapshot` (if any), append `entries_to_persist`
       (replacing any conflicting suffix), write `hard_state` (if any). When
       `must_sync`, fsync before going on.
    2. Send `messages`. They may only leave after step 1, because votes and
       append acknowledgements promise what is now on disk.
    3. Apply: install `snapshot` into the state machine, then apply
       `committed_entries` in order (calling `apply_conf_change` for
       CONF_CHANGE entries), and serve `read_states` whose index is applied.
    4. Call `advance()`.

    The lists are owned by the Ready; do not mutate them.
    """

    hard_state: HardState | None
    """None when unchanged since the previous Ready."""
    entries_to_persist: Sequence[Entry]
    messages: Sequence[Message]
    committed_entries: Sequence[Entry]
    snapshot: Snapshot | None
    read_states: Sequence[ReadState]
    soft_state: SoftState | None = None
    """None when unchanged since the previous Ready."""
    must_sync: bool = False


class ConfChangeType(IntEnum):
    ADD_NODE = 0
    REMOVE_NODE = 1
    ADD_LEARNER = 2


class ConfChangeTransition(IntEnum):
    AUTO = 0
    """Simple change when possible, else joint consensus left automatically."""
    JOINT_IMPLICIT = 1
    """Always joint consensus, left automatically once applied."""
    JOINT_EXPLICIT = 2
    """Always joint consensus; the application proposes an empty change to leave."""


class ConfChangeSingle(NamedTuple):
    kind: ConfChangeType
    node_id: int


_CC_HEADER = struct.Struct(">BBH")
_CC_CHANGE = struct.Struct(">BQ")
_CC_VERSION = 1


@dataclass(frozen=True, slots=True)
class ConfChange:
    """A membership change: several single changes applied atomically.

    An empty change with the AUTO transition leaves a joint configuration.
    """

    changes: tuple[ConfChangeSingle, ...] = ()
    transition: ConfChangeTransition = ConfChangeTransition.AUTO
    context: bytes = b""

    def leave_joint(self) -> bool:
        return self.transition == ConfChangeTransition.AUTO and not self.changes

    def enter_joint(self) -> tuple[bool, bool]:
        """(auto_leave, uses_joint): simple changes of one voter skip joint."""
        if self.transition != ConfChangeTransition.AUTO or len(self.changes) > 1:
            auto_leave = self.transition in (
                ConfChangeTransition.AUTO,
                ConfChangeTransition.JOINT_IMPLICIT,
            )
            return auto_leave, True
        return False, False

    def encode(self) -> bytes:
        parts = [_CC_HEADER.pack(_CC_VERSION, self.transition, len(self.changes))]
        parts.extend(_CC_CHANGE.pack(c.kind, c.node_id) for c in self.changes)
        parts.append(self.context)
        return b"".join(parts)

    @classmethod
    def decode(cls, data: bytes) -> ConfChange:
        """Inverse of `encode`; empty data is the leave-joint change.

        Raises ValueError on malformed data.
        """
        if not data:
            return cls()
        if len(data) < _CC_HEADER.size:
            raise ValueError("conf change: truncated header")
        version, transition, count = _CC_HEADER.unpack_from(data)
        if version != _CC_VERSION:
            raise ValueError(f"conf change: unknown version {version}")
        end = _CC_HEADER.size + count * _CC_CHANGE.size
        if len(data) < end:
            raise ValueError("conf change: truncated changes")
        changes = []
        for offset in range(_CC_HEADER.size, end, _CC_CHANGE.size):
            kind, node_id = _CC_CHANGE.unpack_from(data, offset)
            changes.append(ConfChangeSingle(ConfChangeType(kind), node_id))
        return cls(tuple(changes), ConfChangeTransition(transition), data[end:])


def describe_changes(changes: Sequence[ConfChangeSingle]) -> str:
    return " ".join(f"{c.kind.name.lower()}({c.node_id})" for c in changes)
