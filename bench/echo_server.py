"""The Python ceiling: a bare asyncio RESP server with no command table, log or state machine.

It parses with hiredis and answers from one dict: GET gives the stored bulk
string (or $-1), every write gives +OK, CONFIG gives an empty array (so
redis-benchmark starts). What weir loses against this server is the cost of
being a database rather than a socket loop.

    python -m bench.echo_server --port 7000
"""

from __future__ import annotations

import argparse
import asyncio

import hiredis

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is a declared dependency
    uvloop = None  # type: ignore[assignment]

OK = b"+OK\r\n"
NULL = b"$-1\r\n"


class EchoProtocol(asyncio.Protocol):
    def __init__(self, store: dict[bytes, bytes]) -> None:
        self.store = store
        self.reader = hiredis.Reader()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        reader = self.reader
        reader.feed(data)
        out = []
        store = self.store
        frame = reader.gets()
        while frame is not False:
            name = frame[0].upper() if frame else b""
            if name == b"GET":
                value = store.get(frame[1])
                out.append(NULL if value is None else b"$%d\r\n%b\r\n" % (len(value), value))
            elif name == b"SET":
                store[frame[1]] = frame[2]
                out.append(OK)
            elif name == b"CONFIG":
                out.append(b"*0\r\n")
            else:
                out.append(OK)
            frame = reader.gets()
        if out and self.transport is not None:
            self.transport.write(b"".join(out))


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    store: dict[bytes, bytes] = {}
    server = await loop.create_server(lambda: EchoProtocol(store), "127.0.0.1", port, backlog=511)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if uvloop is not None:
        uvloop.install()
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
