"""parse_int accepts exactly what Redis's string2ll accepts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weir.commands.args import LONG_MAX, LONG_MIN, parse_int
from weir.errors import CommandError

_STRING2LL = re.compile(rb"-?[1-9][0-9]*|0")


def _reference(raw: bytes) -> int | None:
    if not _STRING2LL.fullmatch(raw):
        return None
    value = int(raw)
    return value if LONG_MIN <= value <= LONG_MAX else None


def _parsed(raw: bytes) -> int | None:
    try:
        return parse_int(raw)
    except CommandError:
        return None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"0", 0), (b"7", 7), (b"-7", -7), (b"9223372036854775807", LONG_MAX),
        (b"-9223372036854775808", LONG_MIN), (b"9223372036854775808", None),
        (b"-9223372036854775809", None), (b"-0", None), (b"007", None), (b"-07", None),
        (b"", None), (b"-", None), (b"+1", None), (b" 1", None), (b"1 ", None),
        (b"1_000", None), (b"1.0", None), (b"\xd9\xa1", None), (b"99999999999999999999", None),
    ],
)
def test_edge_cases(raw: bytes, expected: int | None) -> None:
    assert _parsed(raw) == expected


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_every_integer_round_trips_or_overflows(value: int) -> None:
    raw = b"%d" % value
    assert _parsed(raw) == _reference(raw)


@given(st.binary(max_size=22) | st.text("-0123456789+ ._", max_size=22).map(str.encode))
def test_any_bytes_match_the_reference(raw: bytes) -> None:
    assert _parsed(raw) == _reference(raw)
