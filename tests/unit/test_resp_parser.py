"""The request readers: PyRequestParser (reference), the C reader and HiredisReader must agree.

Every case is fed whole, byte by byte, and with trailing bytes (the start of a
next request), as h11's test_io.py does; both readers must give the same argv
lists and the same protocol error.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weir.errors import RemoteProtocolError
from weir.resp.parser import (
    INLINE_BYTES_MAX,
    HiredisReader,
    ParserLimits,
    PyRequestParser,
    RequestStream,
    c_reader,
    split_inline,
)

Reader = PyRequestParser | RequestStream
READERS: dict[str, Callable[[ParserLimits | None], Reader]] = {
    "python": lambda limits: PyRequestParser(limits),
    "hiredis": lambda limits: HiredisReader(limits),
}
if c_reader() is not None:
    READERS["c"] = c_reader


def encode(argv: list[bytes]) -> bytes:
    out = b"*%d\r\n" % len(argv)
    for arg in argv:
        out += b"$%d\r\n%b\r\n" % (len(arg), arg)
    return out


def run(reader: Reader, chunks: list[bytes]) -> tuple[list[list[bytes]], str | None]:
    """Feed chunks until an error; the frames delivered and the error text."""
    frames: list[list[bytes]] = []
    for chunk in chunks:
        frames += reader.feed(chunk)
        if reader.error is not None:
            break
    return frames, None if reader.error is None else reader.error.message


def split_modes(data: bytes) -> dict[str, list[bytes]]:
    return {
        "whole": [data],
        "bytewise": [data[i : i + 1] for i in range(len(data))],
        "halves": [data[: len(data) // 2], data[len(data) // 2 :]],
    }


OK_CASES: list[tuple[str, bytes, list[list[bytes]]]] = [
    ("multibulk", b"*2\r\n$4\r\nECHO\r\n$3\r\na b\r\n", [[b"ECHO", b"a b"]]),
    ("multibulk-binary", b"*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\x00\xff\r\n", [[b"ECHO", b"\r\n\x00\xff"]]),
    ("empty-bulk", b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", [[b"ECHO", b""]]),
    ("inline", b"PING\r\n", [[b"PING"]]),
    ("inline-lf-only", b"PING\n", [[b"PING"]]),
    ("inline-spaces", b"  SET   k \t v  \r\n", [[b"SET", b"k", b"v"]]),
    ("inline-double-quotes", b'SET k "a b"\r\n', [[b"SET", b"k", b"a b"]]),
    ("inline-single-quotes", b"SET k 'a \"b'\r\n", [[b"SET", b"k", b'a "b']]),
    ("inline-hex-escape", b'SET k "\\x41\\x00z"\r\n', [[b"SET", b"k", b"A\x00z"]]),
    ("inline-escapes", b'SET k "\\n\\r\\t\\b\\a\\\\\\""\r\n', [[b"SET", b"k", b'\n\r\t\b\a\\"']]),
    ("inline-single-escape", b"SET k 'it\\'s'\r\n", [[b"SET", b"k", b"it's"]]),
    ("inline-empty-quoted", b'SET k ""\r\n', [[b"SET", b"k", b""]]),
    ("empty-lines", b"\r\n\n\r\nPING\r\n", [[b"PING"]]),
    ("star-zero", b"*0\r\n*1\r\n$4\r\nPING\r\n", [[b"PING"]]),
    ("star-minus-one", b"*-1\r\n*1\r\n$4\r\nPING\r\n", [[b"PING"]]),
    (
        "pipeline-mixed",
        b"*1\r\n$4\r\nPING\r\nECHO x\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n",
        [[b"PING"], [b"ECHO", b"x"], [b"GET", b"k"], [b"PING"]],
    ),
    ("pipeline-multibulk", encode([b"SET", b"k", b"v"]) * 3, [[b"SET", b"k", b"v"]] * 3),
]

ERROR_CASES: list[tuple[str, bytes, list[list[bytes]], str]] = [
    ("expected-dollar", b"*1\r\nx3\r\nfoo\r\n", [], "expected '$', got 'x'"),
    ("invalid-multibulk-length", b"*abc\r\n", [], "invalid multibulk length"),
    ("multibulk-plus-sign", b"*+1\r\n$4\r\nPING\r\n", [], "invalid multibulk length"),
    ("multibulk-too-big", b"*2147483648\r\n", [], "invalid multibulk length"),
    ("invalid-bulk-length", b"*1\r\n$x\r\n", [], "invalid bulk length"),
    ("negative-bulk-length", b"*1\r\n$-1\r\n", [], "invalid bulk length"),
    ("bulk-beyond-proto-max", b"*1\r\n$99999999999\r\n", [], "invalid bulk length"),
    ("unbalanced-double", b'SET k "abc\r\n', [], "unbalanced quotes in request"),
    ("unbalanced-single", b"SET k 'abc\r\n", [], "unbalanced quotes in request"),
    ("quote-then-text", b'SET k "a"b\r\n', [], "unbalanced quotes in request"),
    (
        "error-after-good-frames",
        b"PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n!4\r\n",
        [[b"PING"], [b"PING"]],
        "expected '$', got '!'",
    ),
]


@pytest.mark.parametrize("reader_name", list(READERS))
@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in OK_CASES], ids=[c[0] for c in OK_CASES])
def test_valid_requests_parse_in_every_split(reader_name: str, data: bytes, expected: list[list[bytes]]) -> None:
    for mode, chunks in split_modes(data).items():
        assert run(READERS[reader_name](None), chunks) == (expected, None), mode
    # Trailing bytes of a next request change nothing about the complete ones.
    trailing = [data, b"*2\r\n$3\r\nGET\r\n$1"]
    assert run(READERS[reader_name](None), trailing) == (expected, None)
    assert run(READERS[reader_name](None), [data + b"PIN"]) == (expected, None)


@pytest.mark.parametrize("reader_name", list(READERS))
@pytest.mark.parametrize(
    ("data", "expected", "error"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_protocol_errors_in_every_split(
    reader_name: str, data: bytes, expected: list[list[bytes]], error: str
) -> None:
    limits = ParserLimits(proto_bulk_bytes_max=1024 * 1024)
    for mode, chunks in split_modes(data).items():
        frames, message = run(READERS[reader_name](limits), chunks)
        assert frames == expected, mode
        assert message == f"ERR Protocol error: {error}", mode
    frames, message = run(READERS[reader_name](limits), [data + b"*1\r\n$4\r\nPING\r\n"])
    assert (frames, message) == (expected, f"ERR Protocol error: {error}")


@pytest.mark.parametrize("reader_name", list(READERS))
def test_a_reader_stays_failed_after_an_error(reader_name: str) -> None:
    reader = READERS[reader_name](None)
    reader.feed(b"*1\r\nx\r\n")
    assert reader.error is not None
    assert reader.feed(b"*1\r\n$4\r\nPING\r\n") == []


@pytest.mark.parametrize("reader_name", list(READERS))
def test_too_big_inline_request(reader_name: str) -> None:
    reader = READERS[reader_name](None)
    frames, message = run(reader, [b"SET k ", b"x" * INLINE_BYTES_MAX])
    assert (frames, message) == ([], "ERR Protocol error: too big inline request")
    # Just under the limit is still waiting for its newline.
    reader = READERS[reader_name](None)
    assert run(reader, [b"x" * (INLINE_BYTES_MAX - 1)]) == ([], None)


@pytest.mark.parametrize("reader_name", list(READERS))
def test_too_big_count_strings(reader_name: str) -> None:
    _, message = run(READERS[reader_name](None), [b"*" + b"1" * (INLINE_BYTES_MAX + 1)])
    assert message == "ERR Protocol error: too big mbulk count string"
    _, message = run(READERS[reader_name](None), [b"*1\r\n$" + b"1" * (INLINE_BYTES_MAX + 1)])
    assert message == "ERR Protocol error: too big bulk count string"


@pytest.mark.parametrize("reader_name", list(READERS))
@pytest.mark.parametrize(
    ("data", "error"),
    [
        (encode([b"AUTH"] + [b"x"] * 10), "unauthenticated multibulk length"),
        (encode([b"AUTH", b"x" * 16385]), "unauthenticated bulk length"),
    ],
    ids=["multibulk-count", "bulk-length"],
)
def test_unauthenticated_limits(reader_name: str, data: bytes, error: str) -> None:
    for mode, chunks in split_modes(data).items():
        limits = ParserLimits(authenticated=False)
        assert run(READERS[reader_name](limits), chunks) == ([], f"ERR Protocol error: {error}"), mode
    # The limits are exactly Redis's: 10 arguments and 16 KiB pass.
    small = encode([b"AUTH"] + [b"x"] * 9) + encode([b"AUTH", b"x" * 16384])
    limits = ParserLimits(authenticated=False)
    assert len(run(READERS[reader_name](limits), [small])[0]) == 2


@pytest.mark.parametrize("reader_name", list(READERS))
def test_proto_max_bulk_len(reader_name: str) -> None:
    limits = ParserLimits(proto_bulk_bytes_max=1024 * 1024)
    ok = encode([b"SET", b"k", b"v" * 1024 * 1024])
    assert run(READERS[reader_name](limits), [ok]) == ([[b"SET", b"k", b"v" * 1024 * 1024]], None)
    too_big = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n"
    for mode, chunks in split_modes(too_big).items():
        reader = READERS[reader_name](ParserLimits(proto_bulk_bytes_max=1024 * 1024))
        assert run(reader, chunks) == ([], "ERR Protocol error: invalid bulk length"), mode


@pytest.mark.parametrize("reader_name", list(READERS))
def test_query_buffer_limit(reader_name: str) -> None:
    limits = ParserLimits(query_buffer_bytes_max=1024 * 1024)
    reader = READERS[reader_name](limits)
    # One argument of 2 MiB, sent in 64 KiB pieces, overflows a 1 MiB query buffer.
    chunks = [b"*2\r\n$4\r\nECHO\r\n$2097152\r\n"] + [b"x" * 65536] * 32
    assert run(reader, chunks) == ([], "ERR Protocol error: query buffer limit exceeded")


@pytest.mark.parametrize("reader_name", list(READERS))
@pytest.mark.parametrize(
    "chunks",
    [[b"*2147483647\r\n$4\r\nPING\r\n"], [b"*1\r\n$4\r\nPING\r\n*2147", b"483647\r\n"],
     [b"*1\r\n$4\r\nPING\r\n", *(bytes([c]) for c in b"*2147483647\r\n")]],
    ids=["whole", "split-header", "bytewise-header"],
)
def test_a_huge_multibulk_count_just_waits(reader_name: str, chunks: list[bytes]) -> None:
    # Nothing is allocated for the announced arguments (hiredis would build the array first).
    frames, message = run(READERS[reader_name](None), chunks)
    assert message is None
    assert frames == ([] if len(chunks) == 1 else [[b"PING"]])


@pytest.mark.parametrize("reader_name", list(READERS))
@pytest.mark.parametrize("mode", ["whole", "bytewise", "halves"])
def test_buffered_bytes_counts_only_a_partial_request(reader_name: str, mode: str) -> None:
    # CLIENT LIST's qbuf: the bytes of the request not yet complete, not those consumed.
    partial = b"*2\r\n$4\r\nECHO\r\n$10\r\nabc"
    reader = READERS[reader_name](None)
    assert reader.buffered_bytes == 0
    frames, _ = run(reader, split_modes(encode([b"PING"]) + partial)[mode])
    assert frames == [[b"PING"]]
    assert reader.buffered_bytes == len(partial)
    assert reader.spare_bytes >= 0
    assert reader.feed(b"defghij\r\n") == [[b"ECHO", b"abcdefghij"]]
    assert reader.buffered_bytes == 0


@pytest.mark.parametrize(
    ("line", "argv"),
    [
        (b"", []),
        (b"   ", []),
        (b"a b c", [b"a", b"b", b"c"]),
        (b'"\\x4g"', [b"x4g"]),
        (b'"\\x41"', [b"A"]),
        (b"'\\n'", [b"\\n"]),
        (b'"a""b"', None),
        (b"'a'b", None),
        (b'"abc', None),
    ],
    ids=["empty", "blank", "words", "bad-hex", "hex", "single-no-escape", "adjacent-quotes",
         "single-then-text", "unterminated"],
)
def test_split_inline_matches_sdssplitargs(line: bytes, argv: list[bytes] | None) -> None:
    if argv is None:
        with pytest.raises(RemoteProtocolError, match="unbalanced quotes"):
            split_inline(line)
    else:
        assert split_inline(line) == argv


# --- property tests -----------------------------------------------------------------

argvs = st.lists(st.lists(st.binary(max_size=40), min_size=1, max_size=6), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(argvs, st.data())
def test_encoded_argvs_parse_back_in_any_split(commands: list[list[bytes]], data: st.DataObject) -> None:
    stream = b"".join(encode(argv) for argv in commands)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    for make in READERS.values():
        assert run(make(None), chunks) == (commands, None)


inline_words = st.lists(st.from_regex(rb"\A[A-Za-z0-9_:.-]{1,12}\Z"), min_size=1, max_size=5)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(argvs.map(lambda c: ("bulk", c)), inline_words.map(lambda w: ("inline", [w]))),
                min_size=1, max_size=5), st.data())
def test_mixed_pipelines_parse_back(parts: list[tuple[str, list[list[bytes]]]], data: st.DataObject) -> None:
    stream = b""
    expected: list[list[bytes]] = []
    for kind, commands in parts:
        for argv in commands:
            stream += encode(argv) if kind == "bulk" else b" ".join(argv) + b"\r\n"
            expected.append(argv)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    for make in READERS.values():
        assert run(make(None), chunks) == (expected, None)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=6))
def test_garbage_parses_or_sets_a_protocol_error(chunks: list[bytes]) -> None:
    """h11's fuzz invariant: bytes yield frames or a RemoteProtocolError, nothing else."""
    results = []
    for make in READERS.values():
        reader = make(ParserLimits(proto_bulk_bytes_max=1024 * 1024))
        frames = []
        for chunk in chunks:
            frames += reader.feed(chunk)
            assert all(type(arg) is bytes for frame in frames for arg in frame)
            assert all(frame for frame in frames)
            if reader.error is not None:
                assert isinstance(reader.error, RemoteProtocolError)
                assert reader.error.message.startswith("ERR Protocol error: ")
                break
        results.append((frames, reader.error is not None))
    # The two readers agree on what garbage means.
    assert results[0] == results[1]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80).map(lambda b: b"*" + b))
def test_garbage_after_a_star_agrees(data: bytes) -> None:
    results = []
    for make in READERS.values():
        for mode, chunks in split_modes(data).items():
            reader = make(ParserLimits(proto_bulk_bytes_max=1024 * 1024))
            frames, message = run(reader, chunks)
            results.append((frames, message, mode))
    expected = {(repr(f), m) for f, m, _ in results}
    assert len(expected) == 1, results
