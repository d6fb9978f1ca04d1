"""Redis's glob-style patterns (util.c stringmatchlen): * ? [abc] [^a-z] and \\ escapes.

A pattern is parsed as stringmatchlen walks it, into tokens that each match
one byte (a set of bytes) and runs of stars. Between the runs, tokens form
fixed-width segments that need no backtracking: the first is anchored at the
start, the last at the end, and each middle one is found by leftmost search
after the one before (an earlier match never leaves less room for the rest).
Each segment is a regex without quantifiers, so with many stars a match costs
at most about len(value) * len(pattern) steps of `re`'s C code, where a regex
with a `.*` per star backtracks exponentially. Patterns with one star or none
stay a single regex, which is as cheap.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_STAR, _QUESTION, _OPEN, _CLOSE, _BACKSLASH, _DASH, _CARET = b"*?[]\\-^"
# stringmatchlen recurses once per run of stars and gives up past this depth
# ("protection against abusive patterns"), so a pattern with more runs than
# this (a final run that ends the pattern aside) matches nothing.
_MAX_NESTING = 1000
_ANY = b"."  # with re.DOTALL
_NOTHING = b"(?!)"


def _signed(byte: int) -> int:
    """The byte as C's (signed) char: class ranges compare these."""
    return byte - 256 if byte > 127 else byte


def _lower(c: int) -> int:
    """tolower() in the C locale, on a char value (negative ones included)."""
    return c + 32 if 65 <= c <= 90 else c


def _byte(byte: int, nocase: bool) -> list[tuple[int, int]]:
    """The byte (and with nocase its other case) as intervals of bytes."""
    if nocase and (65 <= byte <= 90 or 97 <= byte <= 122):
        return [(byte & ~0x20, byte & ~0x20), (byte | 0x20, byte | 0x20)]
    return [(byte, byte)]


def _range(start: int, end: int, nocase: bool) -> list[tuple[int, int]]:
    """The bytes whose signed value (lowered with nocase) is in start..end."""
    if start > end:
        return []
    if start >= 0:
        spans = [(start, end)]
    elif end < 0:
        spans = [(start + 256, end + 256)]
    else:
        spans = [(0, end), (start + 256, 255)]
    if not nocase:
        return spans
    # A-Z compare as their lower case: out where they are, in where a-z are.
    kept = [(lo, min(hi, 64)) for lo, hi in spans] + [(max(lo, 91), hi) for lo, hi in spans]
    kept.append((max(start, 97) - 32, min(end, 122) - 32))
    return [(lo, hi) for lo, hi in kept if lo <= hi]


def _regex(spans: list[tuple[int, int]], negate: bool) -> bytes:
    """A regex class matching one byte in (or with negate, out of) the intervals."""
    inner = b"".join(
        b"\\x%02x" % lo if lo == hi else b"\\x%02x-\\x%02x" % (lo, hi) for lo, hi in spans
    )
    return b"[" + (b"^" if negate else b"") + inner + b"]"


def _class(pattern: bytes, i: int, nocase: bool) -> tuple[bytes, int]:
    """The regex for one `[...]` (i is past the `[`) and where the pattern resumes.

    As in stringmatchlen: `\\x` is x exactly (case kept even with nocase), a
    range's ends swap if reversed and compare as signed chars (lowercased with
    nocase, after the swap), `^` only negates first, and a class with no `]`
    runs to the end of the pattern.
    """
    n = len(pattern)
    negate = i < n and pattern[i] == _CARET
    if negate:
        i += 1
    members: list[tuple[int, int]] = []
    exact_letter = False
    while i < n and pattern[i] != _CLOSE:
        c = pattern[i]
        if c == _BACKSLASH and i + 1 < n:
            i += 1
            members += _byte(pattern[i], False)
            exact_letter |= nocase and pattern[i : i + 1].isalpha()
        elif i + 2 < n and pattern[i + 1] == _DASH:
            start, end = sorted((_signed(c), _signed(pattern[i + 2])))
            if nocase:
                start, end = _lower(start), _lower(end)
            members += _range(start, end, nocase)
            i += 2
        else:
            members += _byte(c, nocase)
        i += 1
    resume = min(i + 1, n)  # past the `]`, if there is one
    if not members:
        return (_ANY if negate else _NOTHING), resume
    # The members are exact. A nocase regex folds case, which changes nothing
    # (every member comes with its other case) unless a letter was escaped.
    if exact_letter:
        return b"(?-i:" + _regex(members, negate) + b")", resume
    return _regex(members, negate), resume


def _segments(pattern: bytes, nocase: bool) -> list[list[bytes]]:
    """The pattern's runs of one-byte tokens between runs of stars, as regexes."""
    segments: list[list[bytes]] = [[]]
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == _STAR:
            while i < n and pattern[i] == _STAR:
                i += 1
            segments.append([])
            continue
        if c == _OPEN:
            token, i = _class(pattern, i + 1, nocase)
            segments[-1].append(token)
            continue
        if c == _QUESTION:
            token = _ANY
        else:
            if c == _BACKSLASH and i + 1 < n:  # a trailing backslash is itself
                i += 1
            token = re.escape(pattern[i : i + 1])  # with nocase, the regex ignores case
        segments[-1].append(token)
        i += 1
    return segments


@lru_cache(maxsize=1024)
def compile_glob(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A matcher for `pattern` with stringmatchlen's exact answers, on bytes.

    Like stringmatchlen, a pattern with a star never matches the empty
    string, not even a lone "*": KEYS and SCAN test for "*" themselves.
    """
    segments = _segments(pattern, nocase)
    flags = re.DOTALL | (re.IGNORECASE if nocase else 0)  # bytes: ASCII only, as tolower()
    stars = len(segments) - 1
    if stars > _MAX_NESTING + 1 or (stars == _MAX_NESTING + 1 and segments[-1]):
        return lambda value: False
    if stars <= 1:
        # One `.*` at most: re tries the last segment once per position.
        whole = re.compile(b".*".join(b"".join(tokens) for tokens in segments), flags).fullmatch
        if not stars:
            return lambda value: whole(value) is not None
        return lambda value: value != b"" and whole(value) is not None
    head_width, tail_width = len(segments[0]), len(segments[-1])
    head = re.compile(b"".join(segments[0]), flags).match if segments[0] else None
    tail = re.compile(b"".join(segments[-1]), flags).match if segments[-1] else None
    middle = [re.compile(b"".join(tokens), flags).search for tokens in segments[1:-1]]
    shortest = max(1, sum(len(tokens) for tokens in segments))

    def match(value: bytes) -> bool:
        if len(value) < shortest:
            return False
        end = len(value) - tail_width
        if head is not None and head(value) is None:
            return False
        if tail is not None and tail(value, end) is None:
            return False
        pos = head_width
        for search in middle:
            found = search(value, pos, end)
            if found is None:
                return False
            pos = found.end()
        return True

    return match


def glob_match(pattern: bytes, value: bytes, nocase: bool = False) -> bool:
    return compile_glob(pattern, nocase)(value)
