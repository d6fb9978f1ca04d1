"""The list type: a deque, O(1) at both ends (Redis's quicklist plays the same role)."""

from __future__ import annotations

from collections import deque
from typing import Any

from weir.state.types import EncodingLimits, ValueType, register


class ListValue(deque[bytes]):
    """A list. deque indexes in O(n/64) from the nearer end, enough for LINDEX/LSET."""

    __slots__ = ()


def list_encoding(value: ListValue, limits: EncodingLimits) -> str:
    # Redis 7.0 keeps every list in a quicklist, whatever its size.
    return "quicklist"


def _dump_list(value: ListValue) -> Any:
    return list(value)


def _load_list(data: Any) -> ListValue:
    return ListValue(data)


register(ListValue, ValueType("list", 2, _dump_list, _load_list, list_encoding))
