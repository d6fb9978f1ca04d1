"""The reply encoder: every reply value, in RESP2 and RESP3, byte for byte."""

from __future__ import annotations

import math
from typing import Any

import hiredis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weir.resp.encoder import Encoder, encode_error, format_double
from weir.resp.reply import (
    NO_REPLY,
    NULL_ARRAY,
    OK,
    Double,
    ErrorReply,
    PushReply,
    SetReply,
    Status,
    Verbatim,
)

try:
    from weir.resp import _cwriter
except ImportError:  # not built, or source mode
    _cwriter = None  # type: ignore[assignment]

# (id, value, RESP2 bytes, RESP3 bytes)
CASES: list[tuple[str, Any, bytes, bytes]] = [
    ("bulk", b"abc", b"$3\r\nabc\r\n", b"$3\r\nabc\r\n"),
    ("bulk-empty", b"", b"$0\r\n\r\n", b"$0\r\n\r\n"),
    ("bulk-binary", b"\r\n\x00", b"$3\r\n\r\n\x00\r\n", b"$3\r\n\r\n\x00\r\n"),
    ("bytearray", bytearray(b"ab"), b"$2\r\nab\r\n", b"$2\r\nab\r\n"),
    ("memoryview", memoryview(b"ab"), b"$2\r\nab\r\n", b"$2\r\nab\r\n"),
    ("str-utf8", "é", b"$2\r\n\xc3\xa9\r\n", b"$2\r\n\xc3\xa9\r\n"),
    ("int-small", 7, b":7\r\n", b":7\r\n"),
    ("int-minus-one", -1, b":-1\r\n", b":-1\r\n"),
    ("int-big", 2**63 - 1, b":9223372036854775807\r\n", b":9223372036854775807\r\n"),
    ("int-negative", -(2**63), b":-9223372036854775808\r\n", b":-9223372036854775808\r\n"),
    ("true", True, b":1\r\n", b"#t\r\n"),
    ("false", False, b":0\r\n", b"#f\r\n"),
    ("null", None, b"$-1\r\n", b"_\r\n"),
    ("null-array", NULL_ARRAY, b"*-1\r\n", b"_\r\n"),
    ("status", OK, b"+OK\r\n", b"+OK\r\n"),
    ("status-other", Status("QUEUED"), b"+QUEUED\r\n", b"+QUEUED\r\n"),
    ("error", ErrorReply("ERR bad"), b"-ERR bad\r\n", b"-ERR bad\r\n"),
    ("error-newlines", ErrorReply("ERR a\r\nb"), b"-ERR a  b\r\n", b"-ERR a  b\r\n"),
    ("float", 1.5, b"$3\r\n1.5\r\n", b",1.5\r\n"),
    ("float-17g", 0.1, b"$19\r\n0.10000000000000001\r\n", b",0.10000000000000001\r\n"),
    ("float-exponent", 1e22, b"$5\r\n1e+22\r\n", b",1e+22\r\n"),
    ("float-integral", 3.0, b"$1\r\n3\r\n", b",3\r\n"),
    ("float-inf", math.inf, b"$3\r\ninf\r\n", b",inf\r\n"),
    ("float-minus-inf", -math.inf, b"$4\r\n-inf\r\n", b",-inf\r\n"),
    ("double-own-text", Double(3.0, b"3"), b"$1\r\n3\r\n", b",3\r\n"),
    ("double-incrbyfloat", Double(10.5, b"10.5"), b"$4\r\n10.5\r\n", b",10.5\r\n"),
    ("array-empty", [], b"*0\r\n", b"*0\r\n"),
    ("array", [b"a", 1, None], b"*3\r\n$1\r\na\r\n:1\r\n$-1\r\n", b"*3\r\n$1\r\na\r\n:1\r\n_\r\n"),
    ("tuple", (b"a",), b"*1\r\n$1\r\na\r\n", b"*1\r\n$1\r\na\r\n"),
    ("array-nested", [[b"a"], []], b"*2\r\n*1\r\n$1\r\na\r\n*0\r\n", b"*2\r\n*1\r\n$1\r\na\r\n*0\r\n"),
    ("array-of-errors", [OK, ErrorReply("ERR x")], b"*2\r\n+OK\r\n-ERR x\r\n", b"*2\r\n+OK\r\n-ERR x\r\n"),
    ("map", {b"a": 1, b"b": b"x"}, b"*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$1\r\nx\r\n",
     b"%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$1\r\nx\r\n"),
    ("map-empty", {}, b"*0\r\n", b"%0\r\n"),
    ("map-nested", {b"m": {b"k": [1.5]}}, b"*2\r\n$1\r\nm\r\n*2\r\n$1\r\nk\r\n*1\r\n$3\r\n1.5\r\n",
     b"%1\r\n$1\r\nm\r\n%1\r\n$1\r\nk\r\n*1\r\n,1.5\r\n"),
    ("set", SetReply([b"a", b"b"]), b"*2\r\n$1\r\na\r\n$1\r\nb\r\n", b"~2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    ("set-in-map", {b"s": SetReply([])}, b"*2\r\n$1\r\ns\r\n*0\r\n", b"%1\r\n$1\r\ns\r\n~0\r\n"),
    ("push", PushReply([b"message", b"ch", b"hi"]),
     b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"),
    ("push-with-int", PushReply([b"subscribe", b"ch", 1]),
     b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n", b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"),
    ("verbatim", Verbatim(b"hello"), b"$5\r\nhello\r\n", b"=9\r\ntxt:hello\r\n"),
    ("verbatim-markdown", Verbatim(b"# x", b"mkd"), b"$3\r\n# x\r\n", b"=7\r\nmkd:# x\r\n"),
    ("array-bulk-and-null", [b"a", None, b""], b"*3\r\n$1\r\na\r\n$-1\r\n$0\r\n\r\n",
     b"*3\r\n$1\r\na\r\n_\r\n$0\r\n\r\n"),
    ("array-long-bulk", [b"x" * 1500], b"*1\r\n$1500\r\n" + b"x" * 1500 + b"\r\n",
     b"*1\r\n$1500\r\n" + b"x" * 1500 + b"\r\n"),
    ("array-bulk-then-int", [b"a", 2], b"*2\r\n$1\r\na\r\n:2\r\n", b"*2\r\n$1\r\na\r\n:2\r\n"),
    ("bool-in-array", [True, False], b"*2\r\n:1\r\n:0\r\n", b"*2\r\n#t\r\n#f\r\n"),
    ("null-in-map", {b"k": None}, b"*2\r\n$1\r\nk\r\n$-1\r\n", b"%1\r\n$1\r\nk\r\n_\r\n"),
]


@pytest.mark.parametrize(("value", "resp2", "resp3"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_encoding(value: Any, resp2: bytes, resp3: bytes) -> None:
    assert Encoder(2).encode(value) == resp2
    assert Encoder(3).encode(value) == resp3


@pytest.mark.parametrize(("value", "resp2", "resp3"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hiredis_reads_what_is_written(value: Any, resp2: bytes, resp3: bytes) -> None:
    # Each reply is exactly one frame: complete only at its last byte, nothing left over.
    need_more = object()  # hiredis answers False for a RESP3 false, so ask for a sentinel
    for data in (resp2, resp3):
        reader = hiredis.Reader(notEnoughData=need_more)
        reader.feed(data[:-1])
        assert reader.gets() is need_more
        reader.feed(data[-1:])
        assert reader.gets() is not need_more
        assert reader.gets() is need_more


def test_no_reply_encodes_to_nothing() -> None:
    assert Encoder(2).encode(NO_REPLY) == b""
    assert Encoder(3).encode([NO_REPLY]) == b"*1\r\n"


def test_unknown_reply_type_is_a_bug() -> None:
    with pytest.raises(TypeError, match="cannot encode reply of type object"):
        Encoder(2).encode(object())


def test_encode_error_keeps_the_frame_intact() -> None:
    assert encode_error("ERR x\ny") == b"-ERR x y\r\n"
    assert encode_error("ERR é") == b"-ERR \xc3\xa9\r\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, b"0"), (-0.0, b"-0"), (1.0, b"1"), (1e17, b"1e+17"), (123456789.123, b"123456789.123"),
     (1 / 3, b"0.33333333333333331"), (5e-324, b"4.9406564584124654e-324"), (math.inf, b"inf"),
     (-math.inf, b"-inf")],
    ids=["zero", "minus-zero", "one", "1e17", "decimal", "third", "subnormal", "inf", "minus-inf"],
)
def test_format_double_is_printf_17g(value: float, text: bytes) -> None:
    assert format_double(value) == text


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False))
def test_format_double_round_trips(value: float) -> None:
    text = format_double(value)
    assert float(text) == value
    assert text == (b"%.17g" % value if math.isfinite(value) else text)


replies = st.recursive(
    st.one_of(st.binary(max_size=20), st.integers(-(2**63), 2**63 - 1), st.none(), st.booleans()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.binary(max_size=5), inner, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(replies)
def test_hiredis_decodes_nested_replies(value: Any) -> None:
    def flat(v: Any) -> Any:
        # RESP2 turns maps into flat arrays and booleans into integers.
        if isinstance(v, dict):
            return [x for k, item in v.items() for x in (k, flat(item))]
        if isinstance(v, list):
            return [flat(x) for x in v]
        if isinstance(v, bool):
            return int(v)
        return v

    reader = hiredis.Reader()
    reader.feed(Encoder(2).encode(value))
    assert reader.gets() == flat(value)
    need_more = object()
    reader = hiredis.Reader(notEnoughData=need_more)
    reader.feed(Encoder(3).encode(value))
    assert reader.gets() is not need_more
    assert reader.gets() is need_more


def _bulk_array_reference(head: bytes, items: list[bytes | None], null: bytes) -> bytes:
    body = b"".join(null if item is None else b"$%d\r\n%b\r\n" % (len(item), item) for item in items)
    return b"%b%d\r\n%b" % (head, len(items), body)


@pytest.mark.skipif(_cwriter is None, reason="the C reply writer is not built")
@settings(max_examples=200, deadline=None)
@given(st.lists(st.none() | st.binary(max_size=1100), max_size=30), st.sampled_from([b"*", b"~", b">"]),
       st.sampled_from([b"$-1\r\n", b"_\r\n"]), st.booleans())
def test_c_bulk_array_matches_the_reference(items: list[bytes | None], head: bytes, null: bytes,
                                            as_tuple: bool) -> None:
    assert _cwriter is not None
    value = tuple(items) if as_tuple else items
    assert _cwriter.bulk_array(head, value, null) == _bulk_array_reference(head, items, null)


@pytest.mark.skipif(_cwriter is None, reason="the C reply writer is not built")
def test_c_bulk_array_declines_other_elements_and_refuses_bad_arguments() -> None:
    assert _cwriter is not None
    for items in ([b"a", 1], [bytearray(b"a")], [[b"a"]], {b"a": b"b"}, SetReply([b"a"])):
        assert _cwriter.bulk_array(b"*", items, b"$-1\r\n") is None
    with pytest.raises(TypeError):
        _cwriter.bulk_array(b"**", [], b"$-1\r\n")
    with pytest.raises(TypeError):
        _cwriter.bulk_array(b"*", [])  # type: ignore[call-arg]
