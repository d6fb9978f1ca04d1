"""Pub/sub (pubsub.c). Messages are not in the log: fire and forget, as in Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from weir.commands.table import command, container
from weir.errors import CommandError
from weir.glob import compile_glob
from weir.resp.reply import NO_REPLY, PushReply

if TYPE_CHECKING:
    from weir.server.client import Client

_FLAGS = "session pubsub noscript loading stale"


def _count(client: Client) -> int:
    """The count in (un)subscribe replies: shard channels are counted apart, as in Redis."""
    return len(client.channels) + len(client.patterns)


def _shard_count(client: Client) -> int:
    return len(client.shard_channels)


def _change(
    client: Client,
    argv: list[bytes],
    kind: bytes,
    mine: dict[bytes, None],
    table: dict[bytes, dict[Client, None]],
    count: Callable[[Client], int] = _count,
) -> Any:
    """(P|S)SUBSCRIBE or, when `kind` says so, (P|S)UNSUBSCRIBE: one confirmation per
    name, each a push that CLIENT REPLY OFF/SKIP does not silence (pubsub.c)."""
    if b"unsubscribe" not in kind:
        for name in argv[1:]:
            if name not in mine:
                mine[name] = None
                client.server.subscribe(table, name, client)
            client.push_reply(PushReply([kind, name, count(client)]))
        return NO_REPLY
    names = argv[1:] or list(mine)
    if not names:
        client.push_reply(PushReply([kind, None, count(client)]))
        return NO_REPLY
    for name in names:
        if name in mine:
            del mine[name]
            client.server.unsubscribe(table, name, client)
        client.push_reply(PushReply([kind, name, count(client)]))
    return NO_REPLY


@command("subscribe", -2, _FLAGS, categories="@pubsub")
def subscribe_command(client: Client, argv: list[bytes]) -> Any:
    return _change(client, argv, b"subscribe", client.channels, client.server.channels)


@command("ssubscribe", -2, _FLAGS, 1, -1, 1, categories="@pubsub")
def ssubscribe_command(client: Client, argv: list[bytes]) -> Any:
    server = client.server
    return _change(client, argv, b"ssubscribe", client.shard_channels, server.shard_channels, _shard_count)


@command("psubscribe", -2, _FLAGS, categories="@pubsub")
def psubscribe_command(client: Client, argv: list[bytes]) -> Any:
    return _change(client, argv, b"psubscribe", client.patterns, client.server.patterns)


@command("unsubscribe", -1, _FLAGS, categories="@pubsub")
def unsubscribe_command(client: Client, argv: list[bytes]) -> Any:
    return _change(client, argv, b"unsubscribe", client.channels, client.server.channels)


@command("punsubscribe", -1, _FLAGS, categories="@pubsub")
def punsubscribe_command(client: Client, argv: list[bytes]) -> Any:
    return _change(client, argv, b"punsubscribe", client.patterns, client.server.patterns)


@command("sunsubscribe", -1, _FLAGS, 1, -1, 1, categories="@pubsub")
def sunsubscribe_command(client: Client, argv: list[bytes]) -> Any:
    server = client.server
    return _change(client, argv, b"sunsubscribe", client.shard_channels, server.shard_channels, _shard_count)


@command("spublish", 3, "session pubsub loading stale fast may_replicate", 1, 1, 1, categories="@pubsub")
def spublish_command(client: Client, argv: list[bytes]) -> int:
    return client.server.spublish(argv[1], argv[2])


@command("publish", 3, "session pubsub loading stale fast may_replicate", categories="@pubsub")
def publish_command(client: Client, argv: list[bytes]) -> int:
    return client.server.publish(argv[1], argv[2])


container("pubsub", -2)


@command("channels", -2, "session pubsub loading stale", container="pubsub")
def pubsub_channels_command(client: Client, argv: list[bytes]) -> Any:
    return _active(argv, client.server.channels)


def _active(argv: list[bytes], table: dict[bytes, Any]) -> list[bytes]:
    """PUBSUB CHANNELS / SHARDCHANNELS [pattern]: the channels with a subscriber."""
    if len(argv) > 3:
        name = argv[1].decode("utf-8", "replace")  # as the client spelled it, like Redis
        raise CommandError(f"ERR unknown subcommand or wrong number of arguments for '{name}'. Try PUBSUB HELP.")
    names = list(table)
    if len(argv) == 3:
        match = compile_glob(argv[2])
        names = [n for n in names if match(n)]
    return names


def _numsub(argv: list[bytes], table: dict[bytes, Any]) -> list[Any]:
    out: list[Any] = []
    for channel in argv[2:]:
        out += [channel, len(table.get(channel, ()))]
    return out


@command("numsub", -2, "session pubsub loading stale", container="pubsub")
def pubsub_numsub_command(client: Client, argv: list[bytes]) -> Any:
    return _numsub(argv, client.server.channels)


@command("numpat", 2, "session pubsub loading stale", container="pubsub")
def pubsub_numpat_command(client: Client, argv: list[bytes]) -> int:
    return len(client.server.patterns)


@command("shardchannels", -2, "session pubsub loading stale", container="pubsub")
def pubsub_shardchannels_command(client: Client, argv: list[bytes]) -> Any:
    return _active(argv, client.server.shard_channels)


@command("shardnumsub", -2, "session pubsub loading stale", container="pubsub")
def pubsub_shardnumsub_command(client: Client, argv: list[bytes]) -> Any:
    return _numsub(argv, client.server.shard_channels)


@command("help", 2, "session loading stale", container="pubsub")
def pubsub_help_command(client: Client, argv: list[bytes]) -> Any:
    from weir.resp.reply import Status

    lines = [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ]
    return [Status(line) for line in lines]
