"""Command entries: the C packer writes exactly msgpack's bytes, and entries round-trip."""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weir.state.entry import PAYLOAD_VERSION, Command, pack_command, unpack_command

try:
    from weir.state import _centry
except ImportError:  # not built, or source mode
    _centry = None  # type: ignore[assignment]

# Sizes on both sides of every msgpack length and integer format boundary.
ints = st.one_of(
    st.sampled_from([0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1,
                     -1, -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1, -(2**63)]),
    st.integers(-(2**63), 2**63 - 1),
)
argv = st.lists(st.binary(max_size=300) | st.sampled_from([b"x" * 65535, b"y" * 65536]), max_size=20)
argvs = st.lists(argv, max_size=20)


@settings(max_examples=300, deadline=None)
@given(ints, ints, argvs, st.booleans())
def test_pack_command_round_trips(ts: int, db: int, commands: list[list[bytes]], multi: bool) -> None:
    data = pack_command(ts, db, commands, multi)
    assert data == msgpack.packb((PAYLOAD_VERSION, ts, db, commands, multi))
    assert unpack_command(data) == Command(ts, db, commands, multi)


@pytest.mark.skipif(_centry is None, reason="the C entry packer is not built")
@settings(max_examples=300, deadline=None)
@given(ints, ints, ints, argvs, st.booleans())
def test_c_packer_writes_msgpack_bytes(version: int, ts: int, db: int, commands: list[list[bytes]],
                                       multi: bool) -> None:
    assert _centry is not None
    expected = msgpack.packb((version, ts, db, commands, multi))
    assert _centry.pack_command(version, ts, db, commands, multi) == expected


@pytest.mark.skipif(_centry is None, reason="the C entry packer is not built")
def test_c_packer_declines_what_it_does_not_pack() -> None:
    assert _centry is not None
    pack = _centry.pack_command
    assert pack(1, 2**64, 0, [], False) is None  # past int64
    assert pack(1, 0, 0, [[bytearray(b"x")]], False) is None  # type: ignore[list-item]
    assert pack(1, 0, 0, [(b"x",)], False) is None  # type: ignore[list-item]
    assert pack(1, 0, 0, ([b"x"],), False) is None  # type: ignore[arg-type]
    assert pack(1, 0, 0, [], 1) is None  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pack(1, 0, 0, [])  # type: ignore[call-arg]
    # What the C packer declines, msgpack still packs.
    assert unpack_command(pack_command(0, 0, [[bytearray(b"x")]])).argvs == [[b"x"]]  # type: ignore[list-item]
