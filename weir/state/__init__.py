"""The state machine: keyspace, value types, expiry, apply(entry), digest, snapshot.

Nothing here reads a clock, a socket or the global RNG: "now" is the entry's
timestamp and randomness comes from an RNG seeded with the entry's index.
"""
