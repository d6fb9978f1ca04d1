"""The prefetch for multi-key commands and pipelined batches (weir/state/_cprefetch.c)
only reads: dicts, refcounts and command results are the same with it, for every index
width and key kind it meets."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from weir import commands
from weir.commands.table import find_command, resolve_write
from weir.state.entry import pack_command
from weir.state.machine import StateMachine

try:
    from weir.state import _cprefetch
except ImportError:  # pure-Python install: Ctx.prefetch is a no-op there
    _cprefetch = None  # type: ignore[assignment]

needs_c = pytest.mark.skipif(_cprefetch is None, reason="the C prefetch is not built")


def _bytes_dict(size: int, deleted: int = 0) -> dict[bytes, Any]:
    data: dict[bytes, Any] = {b"key:%012d" % i: b"v%d" % i for i in range(size)}
    for i in range(0, deleted * 2, 2):  # leaves dummy slots and empty entries behind
        del data[b"key:%012d" % i]
    return data


def _mixed_dict() -> dict[Any, Any]:
    """Int and bytes keys together."""
    data: dict[Any, Any] = {i: i for i in range(5000)}
    data[b"key:000000000001"] = 1
    return data


@needs_c
@pytest.mark.parametrize(
    "data",
    [
        _bytes_dict(10),  # small: skipped
        _bytes_dict(5000),  # 2-byte indices
        _bytes_dict(70_000),  # 4-byte indices
        _bytes_dict(9000, deleted=3000),
        {str(i): i for i in range(6000)},  # str keys: the compact entry layout
        _mixed_dict(),
    ],
    ids=["small", "int16", "int32", "deleted", "str-keys", "mixed"],
)
def test_prefetch_changes_nothing(data: dict[Any, Any]) -> None:
    assert _cprefetch is not None
    value = data[next(iter(data))] = object()  # referenced by the dict alone
    # Fresh equal copies, as a parser would give: the keys' own objects are not shared.
    probe = [_copy(k) for k in [b"SET", *data.keys()][:40]]
    probe += [_copy(b"missing"), _copy("absent"), 10**20 + 1, float("2.5")]
    refs = (sys.getrefcount(value), [sys.getrefcount(k) for k in probe])
    items = repr(list(data.items()))  # a string: holds no reference to what it shows
    for start, step in [(0, 1), (1, 1), (1, 2), (2, 3), (44, 1), (45, 1), (1000, 7)]:
        _cprefetch.prefetch_keys(data, probe, start, step)
    frames: list[Any] = [[b"GET", key] for key in probe] + [[b"PING"], [], (b"GET", probe[1]), b"GET"]
    _cprefetch.prefetch_frames(data, frames)
    del frames  # it holds references of its own
    assert (sys.getrefcount(value), [sys.getrefcount(k) for k in probe]) == refs
    assert repr(list(data.items())) == items


def _copy(key: Any) -> Any:
    if isinstance(key, bytes):
        return bytes(bytearray(key))
    if isinstance(key, str):
        return "".join(["#", key])[1:]
    return int(str(key)) + 10**20  # an int past the shared small ones


@needs_c
def test_an_unhashable_item_is_passed_over() -> None:
    assert _cprefetch is not None
    data = _bytes_dict(5000)
    argv: list[Any] = [b"MGET", [1], b"key:000000000001", {}]
    _cprefetch.prefetch_keys(data, argv, 1, 1)
    assert data[b"key:000000000001"] == b"v1"


@needs_c
@pytest.mark.parametrize(
    ("args", "error"),
    [
        (({}, [], 0), TypeError),
        (([], [], 0, 1), TypeError),
        (({}, (), 0, 1), TypeError),
        (({}, [], "0", 1), TypeError),
        (({}, [], -1, 1), ValueError),
        (({}, [], 0, 0), ValueError),
    ],
)
def test_bad_arguments_are_refused(args: tuple[Any, ...], error: type[Exception]) -> None:
    assert _cprefetch is not None
    with pytest.raises(error):
        _cprefetch.prefetch_keys(*args)


@needs_c
@pytest.mark.parametrize("args", [({},), ([], []), ({}, ()), ({}, [], 0)])
def test_bad_frames_arguments_are_refused(args: tuple[Any, ...]) -> None:
    assert _cprefetch is not None
    with pytest.raises(TypeError):
        _cprefetch.prefetch_frames(*args)


def test_multi_key_commands_on_a_large_keyspace() -> None:
    """MSET, MSETNX, MGET, EXISTS, TOUCH, DEL and UNLINK prefetch first; their results stand."""
    commands.load_all()
    machine = StateMachine(resolve_write)
    index = 0

    def write(*argv: bytes) -> Any:
        nonlocal index
        index += 1
        return machine.apply(index, 1, pack_command(1000, 0, [list(argv)]))

    def read(*argv: bytes) -> Any:
        spec = find_command(argv[0])
        assert spec is not None
        return spec.handler(machine.reader(0, 1000), list(argv))

    keys = [b"k%d" % i for i in range(20_000)]
    for chunk in range(0, len(keys), 1000):
        write(b"MSET", *(part for key in keys[chunk : chunk + 1000] for part in (key, key + b"!")))
    assert read(b"MGET", b"k5", b"nope", b"k19999") == [b"k5!", None, b"k19999!"]
    assert read(b"EXISTS", b"k1", b"k1", b"nope", b"k2") == 3
    assert read(b"TOUCH", b"k3", b"nope") == 1
    assert write(b"MSETNX", b"new0", b"x", b"k7", b"y") == 0
    assert write(b"MSETNX", b"new1", b"x", b"new2", b"y") == 1
    assert write(b"DEL", b"k1", b"k2", b"nope", b"k1") == 2
    assert write(b"UNLINK", b"k3", b"new1") == 2
    assert read(b"MGET", b"k1", b"k3", b"k4", b"new2") == [None, None, b"k4!", b"y"]
    assert len(machine.dbs[0]) == 20_000 - 3 + 1
