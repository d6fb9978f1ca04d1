"""A sorted list of (score, member) pairs: sortedcontainers' layout, with ranks in O(log n).

Items live in sublists of at most 2 * LOAD, with the last item of each in
`_maxes`, so an insert or a search is a bisect over `_maxes` and one within a
sublist. sortedcontainers rebuilds its positional index after every change,
so a ZRANK after a ZADD on a million members costs a walk of the whole index;
here a Fenwick tree over the sublist lengths is updated in O(log n) by every
insert and removal, and rebuilt only when sublists split or merge (once per
LOAD inserts or so).

Each sublist's scores are also kept in an array('d') (and the maxes' scores in
another): a search bisects those contiguous doubles, and compares tuples only
among items whose score ties. Comparing tuples reads a tuple and a float
object per step, scattered in memory; that was most of a ZRANK on a million
members. The module is compiled (weir/_compiled.py) and tested against
sortedcontainers (tests/unit/test_sortedlist.py).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from typing import Any

try:
    from weir.state._cscores import bisect_pairs as _c_bisect_pairs
except ImportError:  # not built, or the build is stale (weir._compiled): the same in Python
    _c_bisect_pairs = None  # type: ignore[assignment]

LOAD = 1000


def _bisect(scores: Any, items: list[Any], item: Any, right: bool) -> int:
    """bisect_left (or _right) of the pair `item` in `items`, whose scores are `scores`."""
    if _c_bisect_pairs is not None:
        return _c_bisect_pairs(scores, items, item, right)
    score: float = item[0]
    low = bisect_left(scores, score)
    high = bisect_right(scores, score, low)
    if high == low:
        return low
    return bisect_right(items, item, low, high) if right else bisect_left(items, item, low, high)


class SortedItems:
    __slots__ = ("_len", "_lists", "_max_scores", "_maxes", "_scores", "_tree")

    def __init__(self) -> None:
        # Items are Any, not tuple[float, bytes]: compiled code would unbox and rebox every score.
        self._lists: list[list[Any]] = []
        self._scores: list[Any] = []  # array('d') per sublist
        self._maxes: list[Any] = []
        self._max_scores: Any = array("d")
        self._len = 0
        # Fenwick tree over the sublist lengths; empty when it must be rebuilt.
        self._tree: list[int] = []

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Any]:
        for sub in self._lists:
            yield from sub

    # --- the positional index ------------------------------------------------------

    def _build_tree(self) -> list[int]:
        count = len(self._lists)
        tree = [0] * (count + 1)
        for i in range(count):
            j = i + 1
            tree[j] += len(self._lists[i])
            parent = j + (j & -j)
            if parent <= count:
                tree[parent] += tree[j]
        self._tree = tree
        return tree

    def _update(self, pos: int, delta: int) -> None:
        tree = self._tree
        if not tree:
            return  # rebuilt on the next positional query
        count = len(tree) - 1
        j = pos + 1
        while j <= count:
            tree[j] += delta
            j += j & -j

    def _before(self, pos: int) -> int:
        """Items in the sublists before sublist `pos`."""
        if pos == 0:
            return 0
        tree = self._tree or self._build_tree()
        total = 0
        j = pos
        while j > 0:
            total += tree[j]
            j -= j & -j
        return total

    def _locate(self, index: int) -> tuple[int, int]:
        """(sublist, offset) of position 0 <= index < len."""
        lists = self._lists
        if index < len(lists[0]):
            return 0, index
        tree = self._tree or self._build_tree()
        count = len(tree) - 1
        pos = 0
        rest = index
        step = 1 << (count.bit_length() - 1)
        while step:
            nxt = pos + step
            if nxt <= count and tree[nxt] <= rest:
                pos = nxt
                rest -= tree[nxt]
            step >>= 1
        return pos, rest

    # --- changes -------------------------------------------------------------------

    def add(self, item: Any) -> None:
        lists, maxes = self._lists, self._maxes
        score = item[0]  # not annotated float: compiled code would unbox it, then box it per array
        self._len += 1
        if not maxes:
            lists.append([item])
            self._scores.append(array("d", [score]))
            maxes.append(item)
            self._max_scores.append(score)
            self._tree = []
            return
        pos = _bisect(self._max_scores, maxes, item, True)
        if pos == len(maxes):
            pos -= 1
            lists[pos].append(item)
            self._scores[pos].append(score)
            self._set_max(pos)
        else:
            scores = self._scores[pos]
            offset = _bisect(scores, lists[pos], item, True)
            lists[pos].insert(offset, item)
            scores.insert(offset, score)
        if len(lists[pos]) > 2 * LOAD:
            self._split(pos)
        else:
            self._update(pos, 1)

    def remove(self, item: Any) -> None:
        """Remove one item equal to `item`; ValueError if there is none."""
        pos, offset = self._find(item)
        if offset < 0:
            raise ValueError(f"{item!r} not in list")
        sub = self._lists[pos]
        del sub[offset]
        del self._scores[pos][offset]
        self._len -= 1
        if not sub:
            del self._lists[pos]
            del self._scores[pos]
            del self._maxes[pos]
            del self._max_scores[pos]
            self._tree = []
            return
        if offset == len(sub):
            self._set_max(pos)
        if len(sub) < LOAD // 4 and len(self._lists) > 1:
            self._merge(pos)
        else:
            self._update(pos, -1)

    def _set_max(self, pos: int) -> None:
        top = self._lists[pos][-1]
        self._maxes[pos] = top
        self._max_scores[pos] = top[0]

    def _split(self, pos: int) -> None:
        """Cut sublist `pos`, grown past 2 * LOAD, in two."""
        sub, scores = self._lists[pos], self._scores[pos]
        half, half_scores = sub[LOAD:], scores[LOAD:]
        del sub[LOAD:]
        del scores[LOAD:]
        self._lists.insert(pos + 1, half)
        self._scores.insert(pos + 1, half_scores)
        self._maxes.insert(pos + 1, half[-1])
        self._max_scores.insert(pos + 1, half[-1][0])
        self._set_max(pos)
        self._tree = []

    def _merge(self, pos: int) -> None:
        """Join a small sublist with a neighbour, splitting again if that is too big."""
        lists, scores = self._lists, self._scores
        left = pos - 1 if pos > 0 else pos
        joined = lists[left] + lists[left + 1]
        lists[left] = joined
        scores[left] = scores[left] + scores[left + 1]
        del lists[left + 1]
        del scores[left + 1]
        del self._maxes[left + 1]
        del self._max_scores[left + 1]
        self._set_max(left)
        self._tree = []
        if len(joined) > 2 * LOAD:
            self._split(left)

    # --- queries -------------------------------------------------------------------

    def _left(self, item: Any) -> tuple[int, int]:
        """(sublist, offset) where bisect_left puts `item`; sublist == len(_lists) past the end."""
        pos = _bisect(self._max_scores, self._maxes, item, False)
        if pos == len(self._lists):
            return pos, 0
        return pos, _bisect(self._scores[pos], self._lists[pos], item, False)

    def _find(self, item: Any) -> tuple[int, int]:
        """(sublist, offset) of an item equal to `item`, or offset -1 if there is none."""
        pos, offset = self._left(item)
        if pos == len(self._lists) or self._lists[pos][offset] != item:
            return pos, -1
        return pos, offset

    def bisect_left(self, item: Any) -> int:
        pos, offset = self._left(item)
        if pos == len(self._lists):
            return self._len
        return self._before(pos) + offset

    def index(self, item: Any) -> int:
        """The position of an item equal to `item`; ValueError if there is none."""
        pos, offset = self._find(item)
        if offset < 0:
            raise ValueError(f"{item!r} not in list")
        return self._before(pos) + offset

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("list index out of range")
        pos, offset = self._locate(index)
        return self._lists[pos][offset]

    def islice(self, start: int | None = None, stop: int | None = None, reverse: bool = False) -> list[Any]:
        """Items at positions [start, stop) (read as a slice's bounds), reversed if asked."""
        begin, end, _ = slice(start, stop).indices(self._len)
        out: list[Any] = []
        if begin < end:
            pos, offset = self._locate(begin)
            lists = self._lists
            needed = end - begin
            while needed > 0:
                sub = lists[pos]
                part = sub[offset : offset + needed]
                out += part
                needed -= len(part)
                pos += 1
                offset = 0
        if reverse:
            out.reverse()
        return out
