"""weir: one Python program that is a whole data platform.

A Redis-compatible server whose every write goes through a Raft log.
"""

from weir import _compiled

_compiled.guard()

__version__ = "0.1.0"
# What INFO and HELLO report: weir speaks Redis 7.0.
REDIS_VERSION = "7.0.15"


def open(path: str = "./data", **settings: object) -> object:
    """An embedded, in-process weir database; see weir.embedded."""
    from weir.embedded import open as _open

    return _open(path, **settings)
