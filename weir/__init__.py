"""weir: one Python program that is a whole data platform.

A Redis-compatible server whose every write goes through a Raft log.
"""

__version__ = "0.1.0"
# What INFO and HELLO report: weir speaks Redis 7.0.
REDIS_VERSION = "7.0.15"
