"""Run the server until a signal: the event loop, logging, and orderly shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

from weir.config import Settings
from weir.server.server import Server

log = logging.getLogger("weir")

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def install_uvloop() -> bool:
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


async def serve(settings: Settings, on_ready: Callable[[Server], None] | None = None) -> None:
    server = Server(settings)
    await server.start()
    if on_ready is not None:
        on_ready(server)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    await server.stop()


def run(settings: Settings, on_ready: Callable[[Server], None] | None = None) -> None:
    uvloop_on = install_uvloop()
    logging.basicConfig(
        level=logging.DEBUG if settings.loglevel == "debug" else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    log.info("event loop: %s", "uvloop" if uvloop_on else "asyncio")
    if settings.bind not in LOOPBACK and settings.requirepass is None:
        log.warning(
            "binding to %s with no password: anyone who can reach this address can read and "
            "write every key. Set --requirepass (or WEIR_REQUIREPASS) or bind to 127.0.0.1.",
            settings.bind,
        )
    asyncio.run(serve(settings, on_ready))
