"""The `weir` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from weir import REDIS_VERSION, __version__
from weir.errors import ConfigError

app = typer.Typer(
    help="weir: a Redis-compatible data platform replicated with Raft.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"weir {__version__} (redis_version {REDIS_VERSION})")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        Optional[bool],  # noqa: UP045 - typer reads the annotation at run time
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """weir: one program for data, queues, streams and consensus."""


@app.command()
def server(
    port: Annotated[Optional[int], typer.Option(help="RESP port (default 6379).")] = None,  # noqa: UP045
    bind: Annotated[Optional[str], typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,  # noqa: UP045
    dir: Annotated[Optional[Path], typer.Option("--dir", help="Data directory (default ./data).")] = None,  # noqa: UP045
    requirepass: Annotated[Optional[str], typer.Option(help="Password for the default user.")] = None,  # noqa: UP045
    appendfsync: Annotated[Optional[str], typer.Option(help="always | everysec | no")] = None,  # noqa: UP045
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML config file.")] = None,  # noqa: UP045
    loglevel: Annotated[Optional[str], typer.Option(help="debug | verbose | notice | warning")] = None,  # noqa: UP045
) -> None:
    """Start a weir server."""
    from weir.config import load_settings
    from weir.server.run import run

    try:
        settings = load_settings(
            config, port=port, bind=bind, dir=dir, requirepass=requirepass,
            appendfsync=appendfsync, loglevel=loglevel,
        )
    except ConfigError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    run(settings)


def main() -> None:
    app()
