"""SortedItems against sortedcontainers.SortedList: same answers for every operation.

LOAD is made tiny so that a few dozen items split and merge sublists and
exercise the Fenwick index rebuilds.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sortedcontainers import SortedList

from weir.state import sortedlist
from weir.state.sortedlist import SortedItems

# Few distinct scores, so many ties are settled by member; -0.0 equals 0.0 as in Redis.
scores = st.integers(-20, 20).map(float) | st.sampled_from([-0.0, math.inf, -math.inf])
items = st.tuples(scores, st.binary(max_size=2))
ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), items),
        st.tuples(st.just("remove"), items),
        st.tuples(st.just("index"), items),
        st.tuples(st.just("bisect_left"), items),
        st.tuples(st.just("getitem"), st.integers(-60, 60)),
        st.tuples(st.just("islice"), st.tuples(st.integers(-70, 70) | st.none(), st.integers(-70, 70) | st.none(), st.booleans())),
    ),
    max_size=200,
)


def outcome(call: Callable[[object], object], arg: object) -> object:
    try:
        return call(arg)
    except (ValueError, IndexError) as exc:
        return type(exc)


@pytest.fixture(autouse=True)
def tiny_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sortedlist, "LOAD", 4)


@settings(max_examples=300)
@given(ops)
def test_sorted_items_behave_like_sortedcontainers(script: list[tuple[str, object]]) -> None:
    ours, theirs = SortedItems(), SortedList()
    for name, arg in script:
        if name == "add":
            ours.add(arg)
            theirs.add(arg)
        elif name == "remove":
            assert outcome(ours.remove, arg) == outcome(theirs.remove, arg)
        elif name == "index":
            assert outcome(ours.index, arg) == outcome(theirs.index, arg)
        elif name == "bisect_left":
            assert ours.bisect_left(arg) == theirs.bisect_left(arg)
        elif name == "getitem":
            assert outcome(ours.__getitem__, arg) == outcome(theirs.__getitem__, arg)
        else:
            start, stop, reverse = arg  # type: ignore[misc]
            assert ours.islice(start, stop, reverse) == list(theirs.islice(start, stop, reverse))
        assert len(ours) == len(theirs)
    assert list(ours) == list(theirs)


def test_many_items_split_and_merge_sublists() -> None:
    ours = SortedItems()
    for i in range(200):
        ours.add((float(i % 17), b"%d" % i))
    assert len(ours._lists) > 10
    expected = sorted((float(i % 17), b"%d" % i) for i in range(200))
    assert list(ours) == expected
    assert [ours.index(item) for item in expected] == list(range(200))
    for item in expected[::2]:
        ours.remove(item)
    assert list(ours) == expected[1::2]
    assert [ours[i] for i in range(100)] == expected[1::2]


try:
    from weir.state import _cscores
except ImportError:  # not built, or source mode
    _cscores = None  # type: ignore[assignment]


@pytest.mark.skipif(_cscores is None, reason="the C pair search is not built")
@given(st.lists(items, max_size=40).map(sorted), items, st.booleans())
def test_c_pair_search_matches_bisect(pairs: list[tuple[float, bytes]], item: tuple[float, bytes],
                                      right: bool) -> None:
    assert _cscores is not None
    table = array("d", [score for score, _ in pairs])
    expected = (bisect.bisect_right if right else bisect.bisect_left)(pairs, item)
    assert _cscores.bisect_pairs(table, pairs, item, right) == expected


@pytest.mark.skipif(_cscores is None, reason="the C pair search is not built")
def test_c_pair_search_compares_other_members_as_python_does() -> None:
    assert _cscores is not None
    pairs = [(1.0, "a"), (1.0, "c"), (2.0, "b")]
    table = array("d", [1.0, 1.0, 2.0])
    assert _cscores.bisect_pairs(table, pairs, (1.0, "b"), False) == 1
    assert _cscores.bisect_pairs(table, pairs, (1.0, "c"), True) == 2


@pytest.mark.skipif(_cscores is None, reason="the C pair search is not built")
def test_c_pair_search_refuses_bad_arguments() -> None:
    assert _cscores is not None
    search = _cscores.bisect_pairs
    with pytest.raises(TypeError):
        search(array("i", [1]), [(1.0, b"a")], (1.0, b"a"), False)
    with pytest.raises(TypeError):
        search(array("d", [1.0]), [(1.0, b"a")], (1.0,), False)
    with pytest.raises(TypeError):
        search(array("d", [1.0]), [(1.0, b"a")], ("x", b"a"), False)
    with pytest.raises(TypeError):
        search(array("d", [1.0, 1.0]), [(1.0, b"a"), [1.0, b"b"]], (1.0, b"b"), False)
    with pytest.raises(ValueError):
        search(array("d", [1.0]), [], (1.0, b"a"), False)
    with pytest.raises(TypeError):
        search(array("d", [1.0, 1.0]), [(1.0, b"a"), (1.0, 2)], (1.0, b"b"), False)
