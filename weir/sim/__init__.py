"""Deterministic simulation of a weir Raft cluster, and a linearizability checker.

`weir sim` (weir.sim.cli) runs seeded simulations: nodes, network, disks and
clients in one process on virtual time. See docs/raft.md for replaying a
failing seed.
"""
