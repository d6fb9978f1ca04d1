"""CONFIG GET/SET/RESETSTAT/REWRITE/HELP (config.c) over the runtime parameter table."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from weir.commands.args import help_reply
from weir.commands.table import command, container
from weir.errors import SYNTAX, CommandError
from weir.glob import compile_glob
from weir.resp.reply import OK, Status
from weir.server import config_table
from weir.server.config_table import BY_NAME, PARAMS, ConfigValueError

if TYPE_CHECKING:
    from weir.server.client import Client

_ADMIN = "session admin noscript loading stale"

container("config", -2)


@command("get", -3, _ADMIN, container="config")
def config_get_command(client: Client, argv: list[bytes]) -> dict[bytes, bytes]:
    """CONFIG GET parameter [parameter ...]: globs match names and aliases alike."""
    values = client.server.config
    found: dict[bytes, bytes] = {}
    for raw in argv[2:]:
        pattern = raw.lower()
        text = pattern.decode("utf-8", "replace")
        param = BY_NAME.get(text)
        if param is not None:
            found[pattern] = values[param.name].encode()
            continue
        match = compile_glob(raw, True)  # nocase, but as typed: escapes and ranges keep case
        for param in PARAMS:
            if param.hidden:
                continue
            for name in (param.name, param.alias):
                if name is not None and match(name.encode()):
                    found[name.encode()] = values[param.name].encode()
    return found


@command("set", -4, _ADMIN, container="config")
def config_set_command(client: Client, argv: list[bytes]) -> Any:
    """CONFIG SET parameter value [parameter value ...]: all pairs are checked before any applies."""
    if len(argv) % 2:
        raise CommandError(SYNTAX)
    server = client.server
    changes: dict[str, str] = {}
    raws: dict[str, str] = {}
    for i in range(2, len(argv), 2):
        name = argv[i].decode("utf-8", "replace")
        param = BY_NAME.get(name.lower())
        if param is None:
            raise CommandError(f"ERR Unknown option or number of arguments for CONFIG SET - '{name}'")
        if param.name in changes:
            raise _failed(name, "duplicate parameter")
        if param.immutable:
            raise _failed(name, "can't set immutable config")
        if param.protected:
            raise _failed(name, "can't set protected config")
        try:
            raws[param.name] = argv[i + 1].decode("utf-8", "surrogateescape")
            changes[param.name] = param.parse(raws[param.name])
        except ConfigValueError as exc:
            raise _failed(name, str(exc)) from None
    previous = {name: server.config[name] for name in changes}
    for name, value in changes.items():
        server.config[name] = value
        try:
            config_table.apply(server, name, value, raws[name])
        except ConfigValueError as exc:
            # As config.c restoreBackupConfig: a change that cannot take effect (a port
            # that cannot be bound) undoes the whole CONFIG SET.
            for undo, old in previous.items():
                server.config[undo] = old
                if undo != name:
                    config_table.apply(server, undo, old)
            raise _failed(name, str(exc)) from None
    return OK


def _failed(name: str, reason: str) -> CommandError:
    return CommandError(f"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")


@command("resetstat", 2, _ADMIN, container="config")
def config_resetstat_command(client: Client, argv: list[bytes]) -> Any:
    client.server.reset_stats()
    return OK


# Parameters that are also fields of the YAML settings file, and how they are typed there.
_SETTINGS_FIELDS: dict[str, tuple[str, type]] = {
    "port": ("port", int),
    "bind": ("bind", str),
    "requirepass": ("requirepass", str),
    "maxclients": ("maxclients", int),
    "timeout": ("timeout", int),
    "proto-max-bulk-len": ("proto_max_bulk_len", int),
    "client-query-buffer-limit": ("client_query_buffer_limit", int),
    "appendfsync": ("appendfsync", str),
    "loglevel": ("loglevel", str),
    "protected-mode": ("protected_mode", bool),
}


@command("rewrite", 2, _ADMIN, container="config")
def config_rewrite_command(client: Client, argv: list[bytes]) -> Any:
    """Write the running values back to the YAML file the server was started with."""
    server = client.server
    path = server.settings.config_file
    if path is None:
        raise CommandError("ERR The server is running without a config file")
    try:
        document = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CommandError(f"ERR Rewriting config file: {exc}") from None
    if not isinstance(document, dict):
        raise CommandError("ERR Rewriting config file: the file does not hold a mapping")
    for name, (field, kind) in _SETTINGS_FIELDS.items():
        value = server.config[name]
        if kind is bool:
            document[field] = value == "yes"
        elif kind is int:
            document[field] = int(value)
        elif name == "requirepass" and not value:
            document.pop(field, None)
        else:
            document[field] = value
    try:
        _write_atomically(Path(path), yaml.safe_dump(document, sort_keys=False))
    except OSError as exc:
        raise CommandError(f"ERR Rewriting config file: {exc}") from None
    return OK


def _write_atomically(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


CONFIG_HELP = [
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
]


@command("help", 2, "session loading stale", container="config")
def config_help_command(client: Client, argv: list[bytes]) -> list[Status]:
    return help_reply(CONFIG_HELP)
