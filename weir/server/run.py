"""Run the server until a signal: the event loop, logging, and orderly shutdown."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable

from weir.config import Settings
from weir.errors import WeirError
from weir.server.server import Server

log = logging.getLogger("weir")

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# Show a progress bar while replaying a log at least this long.
PROGRESS_ENTRIES_MIN = 50_000
# Container allocations between young-generation collections. At CPython's 700 a
# collection ran every few dozen writes and, with the older generations it
# drags along, took 10-20% of a write's time; 50,000 young objects are a few MB
# and a millisecond to scan.
GC_YOUNG_THRESHOLD = 50_000


def install_uvloop() -> bool:
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


async def serve(server: Server, on_ready: Callable[[Server], None] | None = None) -> None:
    await server.start()
    if on_ready is not None:
        on_ready(server)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server.on_shutdown_request = stop.set
    await stop.wait()
    log.info("shutting down")
    await server.stop()


def _recover(server: Server) -> None:
    """Open the data directory, with a progress bar when the log is long."""
    from rich.progress import Progress

    with Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
        task = None

        def report(done: int, total: int) -> None:
            nonlocal task
            if total < PROGRESS_ENTRIES_MIN:
                return
            if task is None:
                task = progress.add_task("replaying log", total=total)
            progress.update(task, completed=done)

        server.open_storage(report)


def tune_gc() -> None:
    """After recovery: the dataset is long-lived, so later collections skip it."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def run(settings: Settings, on_ready: Callable[[Server], None] | None = None) -> int:
    """Serve until SIGINT/SIGTERM. Returns the process exit code."""
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
    try:
        server = Server(settings)
        _recover(server)
        tune_gc()
        asyncio.run(serve(server, on_ready))
    except WeirError as exc:
        log.error("%s", exc)
        return 1
    except OSError as exc:
        log.error("cannot start: %s", exc)
        return 1
    return 0
