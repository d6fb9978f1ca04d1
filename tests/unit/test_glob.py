"""weir.glob against a line-by-line port of Redis's stringmatchlen (util.c)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weir.glob import glob_match


def stringmatch(pattern: bytes, string: bytes, nocase: bool = False) -> bool:
    """Redis 7.0 stringmatchlen, transcribed (the reference)."""

    def low(c: int) -> int:
        return c + 32 if nocase and 65 <= c <= 90 else c

    def match(p: int, s: int) -> bool:
        plen, slen = len(pattern), len(string)
        while p < plen and s < slen:
            c = pattern[p]
            if c == 0x2A:  # *
                while p + 1 < plen and pattern[p + 1] == 0x2A:
                    p += 1
                if p + 1 == plen:
                    return True
                while s < slen:
                    if match(p + 1, s):
                        return True
                    s += 1
                return False
            if c == 0x3F:  # ?
                s += 1
            elif c == 0x5B:  # [
                p += 1
                negate = p < plen and pattern[p] == 0x5E
                if negate:
                    p += 1
                matched = False
                while True:
                    if p < plen and pattern[p] == 0x5C and p + 1 < plen:
                        p += 1
                        if pattern[p] == string[s]:
                            matched = True
                    elif p >= plen or pattern[p] == 0x5D:
                        break
                    elif p + 2 < plen and pattern[p + 1] == 0x2D:
                        start, end = pattern[p], pattern[p + 2]
                        if start > end:
                            start, end = end, start
                        if nocase:
                            start, end = low(start), low(end)
                        p += 2
                        if start <= low(string[s]) <= end:
                            matched = True
                    elif low(pattern[p]) == low(string[s]):
                        matched = True
                    p += 1
                if p >= plen:
                    p -= 1  # an unterminated class: stay on its last byte
                if negate:
                    matched = not matched
                if not matched:
                    return False
                s += 1
            else:
                if c == 0x5C and p + 1 < plen:
                    p += 1
                    c = pattern[p]
                if low(c) != low(string[s]):
                    return False
                s += 1
            p += 1
            if s == slen:
                while p < plen and pattern[p] == 0x2A:
                    p += 1
                break
        return p == plen and s == slen

    return match(0, 0)


CASES = [
    (b"*", b"anything", True), (b"**", b"", False), (b"", b"", True), (b"", b"a", False), (b"h?llo", b"hello", True), (b"h?llo", b"hllo", False),
    (b"h*llo", b"heeeello", True), (b"h[ae]llo", b"hallo", True), (b"h[ae]llo", b"hillo", False),
    (b"h[^e]llo", b"hallo", True), (b"h[^e]llo", b"hello", False), (b"h[a-b]llo", b"hbllo", True),
    (b"h[b-a]llo", b"hallo", True), (b"h\\*llo", b"h*llo", True), (b"h\\*llo", b"hello", False),
    (b"[", b"[", False), (b"[a", b"a", True), (b"a*", b"A", False), (b"\\", b"\\", True),
    (b"[\\]]", b"]", True), (b"**a", b"ba", True), (b"a\x00*", b"a\x00b", True), (b"[]", b"x", False),
]


@pytest.mark.parametrize(("pattern", "string", "expected"), CASES, ids=[repr(c[:2]) for c in CASES])
def test_table(pattern: bytes, string: bytes, expected: bool) -> None:
    assert stringmatch(pattern, string) is expected
    assert glob_match(pattern, string) is expected


def test_a_lone_star_matches_everything() -> None:
    # Redis's callers (KEYS, SCAN) test for a lone "*" before matching; weir's does it here.
    assert glob_match(b"*", b"")


def test_nocase() -> None:
    assert glob_match(b"H*LLO", b"hello", nocase=True)
    assert not glob_match(b"H*LLO", b"hello")


alphabet = st.sampled_from(list(b"ab-*?[]^\\"))


@settings(max_examples=500, deadline=None)
@given(st.lists(alphabet, max_size=8).map(bytes), st.lists(st.sampled_from(list(b"ab-]^\\*")), max_size=6).map(bytes))
def test_same_as_redis(pattern: bytes, string: bytes) -> None:
    if pattern == b"*":
        return  # test_a_lone_star_matches_everything
    assert glob_match(pattern, string) == stringmatch(pattern, string), (pattern, string)
