"""A sorted list for sorted sets: sortedcontainers' layout, with ranks in O(log n).

Items live in sublists of at most 2 * LOAD, with the last item of each in
`_maxes`, so an insert or a search is a bisect over `_maxes` and one within a
sublist (both in C). sortedcontainers rebuilds its positional index after
every change, so a ZRANK after a ZADD on a million members costs a walk of
the whole index; here a Fenwick tree over the sublist lengths is updated in
O(log n) by every insert and removal, and rebuilt only when sublists split or
merge (once per LOAD inserts or so). The module is compiled (weir/_compiled.py)
and tested against sortedcontainers (tests/unit/test_sortedlist.py).

Items are compared as Python objects: (score, member) tuples here.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from typing import Any

LOAD = 1000


class SortedItems:
    __slots__ = ("_len", "_lists", "_maxes", "_tree")

    def __init__(self) -> None:
        self._lists: list[list[Any]] = []
        self._maxes: list[Any] = []
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
        self._len += 1
        if not maxes:
            lists.append([item])
            maxes.append(item)
            self._tree = []
            return
        pos = bisect_right(maxes, item)
        if pos == len(maxes):
            pos -= 1
            lists[pos].append(item)
            maxes[pos] = item
        else:
            insort(lists[pos], item)
        if len(lists[pos]) > 2 * LOAD:
            self._split(pos)
        else:
            self._update(pos, 1)

    def remove(self, item: Any) -> None:
        """Remove one item equal to `item`; ValueError if there is none."""
        maxes = self._maxes
        pos = bisect_left(maxes, item)
        if pos == len(maxes):
            raise ValueError(f"{item!r} not in list")
        sub = self._lists[pos]
        offset = bisect_left(sub, item)
        if sub[offset] != item:
            raise ValueError(f"{item!r} not in list")
        del sub[offset]
        self._len -= 1
        if not sub:
            del self._lists[pos]
            del maxes[pos]
            self._tree = []
            return
        if offset == len(sub):
            maxes[pos] = sub[-1]
        if len(sub) < LOAD // 4 and len(self._lists) > 1:
            self._merge(pos)
        else:
            self._update(pos, -1)

    def _split(self, pos: int) -> None:
        """Cut sublist `pos`, grown past 2 * LOAD, in two."""
        sub = self._lists[pos]
        half = sub[LOAD:]
        del sub[LOAD:]
        self._maxes[pos] = sub[-1]
        self._lists.insert(pos + 1, half)
        self._maxes.insert(pos + 1, half[-1])
        self._tree = []

    def _merge(self, pos: int) -> None:
        """Join a small sublist with a neighbour, splitting again if that is too big."""
        lists, maxes = self._lists, self._maxes
        left = pos - 1 if pos > 0 else pos
        joined = lists[left] + lists[left + 1]
        del lists[left + 1]
        del maxes[left + 1]
        lists[left] = joined
        maxes[left] = joined[-1]
        self._tree = []
        if len(joined) > 2 * LOAD:
            self._split(left)

    # --- queries -------------------------------------------------------------------

    def bisect_left(self, item: Any) -> int:
        maxes = self._maxes
        pos = bisect_left(maxes, item)
        if pos == len(maxes):
            return self._len
        return self._before(pos) + bisect_left(self._lists[pos], item)

    def index(self, item: Any) -> int:
        """The position of an item equal to `item`; ValueError if there is none."""
        maxes = self._maxes
        pos = bisect_left(maxes, item)
        if pos < len(maxes):
            sub = self._lists[pos]
            offset = bisect_left(sub, item)
            if sub[offset] == item:
                return self._before(pos) + offset
        raise ValueError(f"{item!r} not in list")

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
