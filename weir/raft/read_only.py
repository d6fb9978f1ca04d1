"""ReadIndex batches confirmed by heartbeat rounds (Raft thesis 6.4).

The leader numbers each heartbeat broadcast with a round. A read request
records the commit index at arrival and joins the open batch; the next
broadcast assigns the batch its round. Once a quorum has acknowledged that
round (or a later one) the leader knows it was still leader after the
requests arrived, so every request of the batch may be served at its index.
Many reads thus share one round trip, and rounds also serve as the evidence
for leases (see `Raft.lease_valid`).
"""

from __future__ import annotations

from collections import deque


class ReadRequest:
    __slots__ = ("context", "source")

    def __init__(self, source: int, context: bytes) -> None:
        self.source = source
        self.context = context


class ReadBatch:
    """Requests that arrived while the commit index was `index`."""

    __slots__ = ("index", "requests", "round")

    def __init__(self, index: int) -> None:
        self.index = index
        self.round = 0
        """The heartbeat round that confirms the batch; 0 until broadcast."""
        self.requests: list[ReadRequest] = []


class ReadOnly:
    """Open and in-flight read batches of one leader term."""

    __slots__ = ("_open", "_sent", "round", "round_ticks")

    def __init__(self) -> None:
        self.round = 0
        """The latest heartbeat round broadcast in this term."""
        self.round_ticks: dict[int, int] = {}
        """Leader tick at which each recent round was broadcast."""
        self._open: ReadBatch | None = None
        self._sent: deque[ReadBatch] = deque()

    def add(self, index: int, source: int, context: bytes) -> None:
        batch = self._open
        if batch is None or batch.index != index:
            if batch is not None:
                # The commit index moved: the old batch keeps its index and
                # still needs a round.
                self._sent.append(batch)
            batch = self._open = ReadBatch(index)
        batch.requests.append(ReadRequest(source, context))

    def has_open(self) -> bool:
        return self._open is not None or bool(self._sent and self._sent[-1].round == 0)

    def has_pending(self) -> bool:
        return self._open is not None or bool(self._sent)

    def next_round(self, tick: int) -> int:
        """Start a heartbeat round; every unassigned batch joins it."""
        self.round += 1
        self.round_ticks[self.round] = tick
        for batch in reversed(self._sent):
            if batch.round:
                break
            batch.round = self.round
        if self._open is not None:
            self._open.round = self.round
            self._sent.append(self._open)
            self._open = None
        return self.round

    def release(self, acked_round: int) -> list[ReadBatch]:
        """Pop the batches whose round a quorum has acknowledged."""
        released = []
        sent = self._sent
        while sent and sent[0].round and sent[0].round <= acked_round:
            released.append(sent.popleft())
        return released

    def forget_ticks_before(self, tick: int) -> None:
        """Drop round ticks too old to grant a lease; bounds round_ticks."""
        stale = [r for r, t in self.round_ticks.items() if t < tick]
        for r in stale:
            del self.round_ticks[r]
