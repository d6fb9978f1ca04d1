"""Simulated clients: one operation at a time, retried across nodes.

A client sends each request to the node it believes is leader and follows
leader hints. A put is retried under the same request number, so the
store's session table applies it at most once; when the client gives up,
the put's outcome is unknown (`info`). A read that gives up simply failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from weir.sim.history import Event
from weir.sim.node import Reply, Request

if TYPE_CHECKING:
    from weir.sim.simulation import Simulation

ATTEMPT_TIMEOUT_US = 50_000
OPERATION_DEADLINE_US = 250_000
THINK_TIME_US_MAX = 8_000
RETRY_BACKOFF_US = 5_000


class SimClient:
    __slots__ = (
        "_deadline",
        "_f",
        "_key",
        "_maybe_applied",
        "_request",
        "_sequence",
        "_token",
        "_value",
        "id",
        "leader_guess",
        "sim",
    )

    def __init__(self, sim: Simulation, client_id: int) -> None:
        self.sim = sim
        self.id = client_id
        self.leader_guess = 0
        self._sequence = 0
        self._request = 0
        self._token = 0
        """Identifies the current attempt; replies to older ones are ignored."""
        self._f = ""
        self._key = ""
        self._value: str | None = None
        self._deadline = 0
        self._maybe_applied = False

    def start(self) -> None:
        self.sim.scheduler.after(self.sim.rng.randrange(THINK_TIME_US_MAX), self._next_operation)

    def _next_operation(self) -> None:
        sim = self.sim
        if sim.scheduler.now >= sim.clients_stop_us:
            return
        rng = sim.rng
        self._key = f"k{rng.randrange(sim.options.keys)}"
        if rng.random() < 0.5:
            self._f = "put"
            self._sequence += 1
            self._value = f"{self.id}.{self._sequence}"
            self._request += 1
        else:
            self._f = "get"
            self._value = None
        self._deadline = sim.scheduler.now + OPERATION_DEADLINE_US
        self._maybe_applied = False
        sim.record(Event("invoke", self.id, self._f, self._key, self._value, sim.now_ms()))
        self._attempt(self.leader_guess or sim.pick_node())

    def _attempt(self, node_id: int) -> None:
        sim = self.sim
        self._token += 1
        token = self._token
        request = Request(self.id, token, self._f, self._key, self._value, self._request)
        sim.send_request(node_id, request)
        sim.scheduler.after(ATTEMPT_TIMEOUT_US, self._timeout, token, node_id)

    def _timeout(self, token: int, node_id: int) -> None:
        if token != self._token:
            return
        if self._f == "put":
            self._maybe_applied = True
        if self.leader_guess == node_id:
            self.leader_guess = 0
        self._retry(self.sim.pick_node(exclude=node_id))

    def on_reply(self, reply: Reply, node_id: int) -> None:
        if reply.token != self._token:
            return
        sim = self.sim
        if reply.ok:
            self.leader_guess = node_id
            self._token += 1
            value = reply.value if self._f == "get" else self._value
            sim.record(Event("ok", self.id, self._f, self._key, value, sim.now_ms()))
            sim.ops_ok += 1
            sim.scheduler.after(sim.rng.randrange(THINK_TIME_US_MAX), self._next_operation)
            return
        hint = reply.leader_hint
        if hint and hint != node_id:
            self.leader_guess = hint
            self._token += 1
            self._retry(hint, backoff=False)
        else:
            self.leader_guess = 0
            self._token += 1
            self._retry(sim.pick_node(exclude=node_id))

    def _retry(self, node_id: int, *, backoff: bool = True) -> None:
        sim = self.sim
        if sim.scheduler.now >= self._deadline:
            self._give_up()
            return
        delay = sim.rng.randrange(1, RETRY_BACKOFF_US) if backoff else 0
        self._token += 1
        token = self._token
        sim.scheduler.after(delay, self._retry_now, token, node_id)

    def _retry_now(self, token: int, node_id: int) -> None:
        if token == self._token:
            self._attempt(node_id)

    def _give_up(self) -> None:
        sim = self.sim
        self._token += 1
        kind = "info" if self._maybe_applied else "fail"
        sim.record(Event(kind, self.id, self._f, self._key, self._value, sim.now_ms()))
        sim.scheduler.after(sim.rng.randrange(THINK_TIME_US_MAX), self._next_operation)
