"""weir.glob against a line-by-line port of Redis 7.0's stringmatchlen (util.c)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weir.glob import compile_glob, glob_match

STAR, QUESTION, OPEN, CLOSE, BACKSLASH, DASH, CARET = b"*?[]\\-^"


def stringmatchlen(pattern: bytes, string: bytes, nocase: bool = False) -> bool:
    """Redis 7.0 stringmatchlen_impl, transcribed with its pointers as indexes (the reference).

    It keeps the C's reads of the pattern's terminating NUL, its signed chars
    in class ranges, the skipLongerMatches early exit and the nesting limit.
    Polynomial thanks to skipLongerMatches; it recurses one level per run of stars.
    """

    def at(i: int) -> int:
        return pattern[i] if i < len(pattern) else 0  # an sds ends in a NUL

    def lower(c: int) -> int:
        return c + 32 if 65 <= c <= 90 else c

    def signed(c: int) -> int:
        return c - 256 if c > 127 else c

    def same(a: int, b: int) -> bool:
        return lower(a) == lower(b) if nocase else a == b

    skip_longer_matches = False

    def impl(p: int, s: int, nesting: int) -> bool:
        nonlocal skip_longer_matches
        if nesting > 1000:
            return False
        plen, slen = len(pattern) - p, len(string) - s
        while plen and slen:
            c = pattern[p]
            if c == STAR:
                while plen and at(p + 1) == STAR:
                    p, plen = p + 1, plen - 1
                if plen == 1:
                    return True
                while slen:
                    if impl(p + 1, s, nesting + 1):
                        return True
                    if skip_longer_matches:
                        return False
                    s, slen = s + 1, slen - 1
                skip_longer_matches = True
                return False
            if c == QUESTION:
                s, slen = s + 1, slen - 1
            elif c == OPEN:
                p, plen = p + 1, plen - 1
                negate = at(p) == CARET
                if negate:
                    p, plen = p + 1, plen - 1
                matched = False
                while True:
                    if at(p) == BACKSLASH and plen >= 2:
                        p, plen = p + 1, plen - 1
                        if pattern[p] == string[s]:
                            matched = True
                    elif at(p) == CLOSE:
                        break
                    elif plen == 0:
                        p, plen = p - 1, plen + 1
                        break
                    elif plen >= 3 and at(p + 1) == DASH:
                        start, end, ch = (
                            signed(pattern[p]),
                            signed(pattern[p + 2]),
                            signed(string[s]),
                        )
                        if start > end:
                            start, end = end, start
                        if nocase:
                            start, end, ch = lower(start), lower(end), lower(ch)
                        p, plen = p + 2, plen - 2
                        if start <= ch <= end:
                            matched = True
                    elif same(pattern[p], string[s]):
                        matched = True
                    p, plen = p + 1, plen - 1
                if negate:
                    matched = not matched
                if not matched:
                    return False
                s, slen = s + 1, slen - 1
            else:
                if c == BACKSLASH and plen >= 2:
                    p, plen = p + 1, plen - 1
                if not same(pattern[p], string[s]):
                    return False
                s, slen = s + 1, slen - 1
            p, plen = p + 1, plen - 1
            if slen == 0:
                while at(p) == STAR:
                    p, plen = p + 1, plen - 1
                break
        return plen == 0 and slen == 0

    return impl(0, 0, 0)


# (pattern, string, nocase, expected); the unusual ones checked against redis-server 7.0.
CASES = [
    (b"", b"", False, True),
    (b"", b"a", False, False),
    (b"*", b"", False, False),  # stringmatchlen never matches "" unless the pattern is ""
    (b"**", b"", False, False),
    (b"*", b"anything", False, True),
    (b"**a", b"ba", False, True),
    (b"a*", b"a", False, True),
    (b"a**", b"a", False, True),
    (b"h?llo", b"hello", False, True),
    (b"h?llo", b"hllo", False, False),
    (b"?", b"\x00", False, True),
    (b"h*llo", b"heeeello", False, True),
    (b"h*llo", b"hllo", False, True),
    (b"*a*b*", b"xxaxxbxx", False, True),
    (b"*a*b*", b"xxbxxaxx", False, False),
    (b"a*b*c", b"abcbc", False, True),
    (b"a*ab", b"aab", False, True),
    (b"*ab*ab", b"abab", False, True),
    (b"*ab*ab", b"aba", False, False),
    (b"h[ae]llo", b"hallo", False, True),
    (b"h[ae]llo", b"hillo", False, False),
    (b"h[^e]llo", b"hallo", False, True),
    (b"h[^e]llo", b"hello", False, False),
    (b"h[a-b]llo", b"hbllo", False, True),
    (b"h[b-a]llo", b"hallo", False, True),  # a reversed range swaps its ends
    (b"[]", b"x", False, False),  # an empty class matches nothing
    (b"[]a]", b"]", False, False),
    (b"[^]", b"x", False, True),
    (b"[", b"[", False, False),  # unterminated: the class runs to the end of the pattern
    (b"[a", b"a", False, True),
    (b"[^", b"x", False, True),
    (b"[ab", b"b", False, True),
    (b"[a-", b"-", False, True),  # too short for a range: two members
    (b"[a-]", b"]", False, True),  # the range a..], unterminated
    (b"[a-]", b"b", False, False),
    (b"[a-\\]", b"\\", False, True),  # a range ending in a backslash, then the "]"
    (b"[\\]]", b"]", False, True),
    (b"[\\", b"\\", False, True),  # a class's trailing backslash is a member
    (b"[a\\", b"\\", False, True),
    (b"[\\a-z]", b"-", False, True),  # an escape is never a range's start
    (b"[\\a-z]", b"m", False, False),
    (b"[a-\xff]", b"\x00", False, True),  # ranges compare signed chars: here -1..97
    (b"[a-\xff]", b"b", False, False),
    (b"[a-\xff]", b"\xff", False, True),
    (b"[\x80-\x90]", b"\x85", False, True),
    (b"[\x80-\x90]", b"\x7f", False, False),
    (b"h\\*llo", b"h*llo", False, True),
    (b"h\\*llo", b"hello", False, False),
    (b"\\", b"\\", False, True),  # a trailing backslash is itself
    (b"a\\", b"a\\", False, True),
    (b"\\\\", b"\\", False, True),
    (b"a\x00*", b"a\x00b", False, True),
    (b"a*", b"A", False, False),
    (b"a*", b"A", True, True),
    (b"H*LLO", b"hello", True, True),
    (b"H*LLO", b"hello", False, False),
    (b"\\A", b"a", True, True),  # outside a class an escape still ignores case
    (b"[\\A]", b"a", True, False),  # inside one it is exact
    (b"[\\A]", b"A", True, True),
    (b"[A]", b"a", True, True),
    (b"[A-C]", b"b", True, True),
    (b"[a-c]", b"B", True, True),
    (b"[A-z]", b"_", True, False),  # nocase lowers the ends: a..z
    (b"[A-z]", b"_", False, True),
    (b"[Z-a]", b"a", True, False),  # swapped, then lowered to z..a: nothing
    (b"[Z-a]", b"z", True, False),
    (b"[Z-a]", b"_", False, True),
    (b"[^a]", b"A", True, False),
    (b"\xc9", b"\xe9", True, False),  # tolower in the C locale: ASCII only
]


@pytest.mark.parametrize(
    ("pattern", "string", "nocase", "expected"), CASES, ids=[repr(c[:3]) for c in CASES]
)
def test_table(pattern: bytes, string: bytes, nocase: bool, expected: bool) -> None:
    assert stringmatchlen(pattern, string, nocase) is expected
    assert glob_match(pattern, string, nocase) is expected


@pytest.mark.parametrize(
    ("pattern", "string", "expected"),
    [
        # The 1000-deep recursion limit: a pattern needing more star runs than that
        # (a run that ends the pattern aside) matches nothing, as on redis-server 7.0.
        (b"*a" * 1000, b"a" * 1000, True),
        (b"*a" * 1001, b"a" * 1001, False),
        (b"a*" * 1001, b"a" * 1001, True),
        (b"a*" * 1001, b"a" * 1500, True),
        (b"a*" * 1002, b"a" * 1002, False),
        (b"*" + b"a*" * 1000, b"a" * 1000, True),
        (b"*" + b"a*" * 1001, b"a" * 1001, False),
    ],
    ids=[
        "1000 runs",
        "1001 runs",
        "1001 runs ending the pattern",
        "1001 runs, longer",
        "1002 runs",
        "1001 from a star",
        "1002 from a star",
    ],
)
def test_nesting_limit(pattern: bytes, string: bytes, expected: bool) -> None:
    assert glob_match(pattern, string) is expected


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("pattern", "string", "expected"),
    [
        (b"a*" * 30 + b"b", b"a" * 100, False),
        (b"a*" * 30 + b"b", b"a" * 100 + b"b", True),
        (b"*a" * 30 + b"*b", b"a" * 100, False),
        (b"a*a*a*a*a*a*a*a*a*a*b", b"a" * 36, False),
        (b"*?" * 40 + b"b", b"a" * 200, False),
        (b"*[ab]" * 40 + b"c", b"ab" * 100, False),
        (b"*" * 2000, b"a" * 100, True),
        (b"*" * 2000 + b"b", b"a" * 100, False),
        (b"a*" * 2000, b"a" * 3000, False),
        (b"*a" * 500 + b"*b", b"a" * 2000, False),
    ],
    ids=[
        "a* x30 b",
        "a* x30 b, matching",
        "*a x30 *b",
        "10 stars, 36 bytes",
        "*? x40",
        "*[ab] x40",
        "2000 stars",
        "2000 stars then b",
        "a* x2000",
        "*a x500 *b",
    ],
)
def test_pathological_patterns_finish(pattern: bytes, string: bytes, expected: bool) -> None:
    assert compile_glob(pattern)(string) is expected
    assert compile_glob(pattern, True)(string.upper()) is expected


def test_pathological_patterns_agree_with_the_reference() -> None:
    for pattern, string in [
        (b"a*" * 30 + b"b", b"a" * 100),
        (b"*a" * 12 + b"*b", b"a" * 60 + b"b"),
    ]:
        assert glob_match(pattern, string) is stringmatchlen(pattern, string)


PATTERN_BYTES = [*b"aAbB*?[]^-\\", 0xFF]
STRING_BYTES = [*b"aAbB-]^\\*[", 0xFF, 0x00]


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(st.sampled_from(PATTERN_BYTES), max_size=10).map(bytes),
    st.lists(st.sampled_from(STRING_BYTES), max_size=8).map(bytes),
    st.booleans(),
)
def test_same_as_redis(pattern: bytes, string: bytes, nocase: bool) -> None:
    assert glob_match(pattern, string, nocase) == stringmatchlen(pattern, string, nocase), (
        pattern,
        string,
        nocase,
    )


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.sampled_from(list(b"ab*?")), max_size=16).map(bytes),
    st.lists(st.sampled_from(list(b"ab")), max_size=24).map(bytes),
)
def test_same_as_redis_with_many_stars(pattern: bytes, string: bytes) -> None:
    assert glob_match(pattern, string) == stringmatchlen(pattern, string), (pattern, string)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*b"aAzZ[]^-\\?*", 0x40, 0x5B, 0x60, 0x7B, 0x80, 0xFF]), max_size=8
    ).map(bytes)
)
def test_classes_over_every_byte(pattern: bytes) -> None:
    for byte in range(256):
        string = bytes([byte])
        for nocase in (False, True):
            assert glob_match(pattern, string, nocase) == stringmatchlen(pattern, string, nocase), (
                pattern,
                string,
                nocase,
            )
