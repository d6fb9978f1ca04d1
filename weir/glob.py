"""Redis's glob-style patterns (stringmatchlen): * ? [abc] [^a-z] and \\ escapes."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache


@lru_cache(maxsize=1024)
def compile_glob(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A matcher for `pattern`; matching is on bytes, whole string."""
    if pattern == b"*":
        return lambda _: True
    out = bytearray()
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == 0x2A:  # *
            out += b".*"
        elif c == 0x3F:  # ?
            out += b"."
        elif c == 0x5C and i + 1 < n:  # backslash escapes the next byte
            i += 1
            out += re.escape(pattern[i : i + 1])
        elif c == 0x5B:  # [
            i += 1
            negate = i < n and pattern[i] == 0x5E
            if negate:
                i += 1
            members = bytearray()
            while i < n and pattern[i] != 0x5D:
                if pattern[i] == 0x5C and i + 1 < n:
                    i += 1
                    members += re.escape(pattern[i : i + 1])
                elif i + 2 < n and pattern[i + 1] == 0x2D:  # a range, even "a-]" as in Redis
                    lo, hi = sorted((pattern[i], pattern[i + 2]))
                    members += b"%s-%s" % (re.escape(bytes([lo])), re.escape(bytes([hi])))
                    i += 2
                else:
                    members += re.escape(pattern[i : i + 1])
                i += 1
            # An unterminated class matches what it has seen, as stringmatchlen does.
            if not members:
                out += b"[^\\s\\S]" if not negate else b"[\\s\\S]"
            else:
                out += b"[" + (b"^" if negate else b"") + bytes(members) + b"]"
        else:
            out += re.escape(pattern[i : i + 1])
        i += 1
    regex = re.compile(bytes(out), re.DOTALL | (re.IGNORECASE if nocase else 0))
    if not pattern:
        return lambda value: not value
    # stringmatchlen never matches an empty string against a non-empty pattern
    # (KEYS and SCAN treat a lone "*" as "everything" before matching, as above).
    return lambda value: bool(value) and regex.fullmatch(value) is not None


def glob_match(pattern: bytes, value: bytes, nocase: bool = False) -> bool:
    return compile_glob(pattern, nocase)(value)
