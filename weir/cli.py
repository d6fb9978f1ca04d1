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
err = Console(stderr=True, soft_wrap=True)


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
    raise typer.Exit(run(settings))


@app.command()
def check(
    dir: Annotated[Path, typer.Argument(help="Data directory to verify.")],
    repair: Annotated[bool, typer.Option("--repair", help="Truncate the log at the first bad record.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Repair without asking.")] = False,
) -> None:
    """Verify a data directory's log and snapshots (offline)."""
    from weir.log.check import check_main

    if not (dir / "wal").is_dir():
        raise typer.Exit(check_main(str(dir), repair, yes))
    snapshots = dir / "snapshots"
    raise typer.Exit(
        check_main(str(dir / "wal"), repair, yes, snapshot_dir=str(snapshots) if snapshots.is_dir() else None)
    )


@app.command()
def backup(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write the backup to.")],
    host: Annotated[str, typer.Option(help="Server address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Server port.")] = 6379,
    password: Annotated[Optional[str], typer.Option(help="Password, if the server has one.")] = None,  # noqa: UP045
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the snapshot.")] = 600.0,
) -> None:
    """Take a consistent backup of a running server (a snapshot, copied to --out)."""
    from weir.backup import BackupError, backup_from_server

    try:
        info = backup_from_server(host, port, password, out, timeout)
    except BackupError as exc:
        err.print(f"[bold red]backup failed:[/] {exc}")
        raise typer.Exit(1) from None
    Console().print(f"[green]backup written[/] to {out} (index {info.index}, {info.body_bytes} bytes)")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="Backup file made by `weir backup`.")],
    dir: Annotated[Path, typer.Option("--dir", help="Data directory to rebuild.")] = Path("./data"),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing data directory's contents.")] = False,
) -> None:
    """Rebuild a node's data directory from a backup; start `weir server --dir DIR` after."""
    from weir.backup import BackupError, restore_to_dir

    try:
        info = restore_to_dir(file, dir, force)
    except BackupError as exc:
        err.print(f"[bold red]restore failed:[/] {exc}")
        raise typer.Exit(1) from None
    Console().print(f"[green]restored[/] {file} into {dir} (index {info.index}); start it with: weir server --dir {dir}")


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def sim(ctx: typer.Context) -> None:
    """Run the deterministic Raft cluster simulator (see `weir sim --help`)."""
    from weir.sim.cli import main as sim_main

    raise typer.Exit(sim_main(list(ctx.args)))


def main() -> None:
    app()
