"""Pub/sub (pubsub.c). Messages are not in the log: fire and forget, as in Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from weir.commands.table import command, container
from weir.errors import CommandError
from weir.glob import compile_glob
from weir.resp.reply import NO_REPLY, PushReply

if TYPE_CHECKING:
    from weir.server.client import Client

_FLAGS = "session pubsub noscript loading stale"


def _count(client: Client) -> int:
    return len(client.channels) + len(client.patterns)


@command("subscribe", -2, _FLAGS, categories="@pubsub")
def subscribe_command(client: Client, argv: list[bytes]) -> Any:
    for channel in argv[1:]:
        if channel not in client.channels:
            client.channels[channel] = None
            client.server.subscribe(client.server.channels, channel, client)
        client.reply(PushReply([b"subscribe", channel, _count(client)]))
    return NO_REPLY


@command("psubscribe", -2, _FLAGS, categories="@pubsub")
def psubscribe_command(client: Client, argv: list[bytes]) -> Any:
    for pattern in argv[1:]:
        if pattern not in client.patterns:
            client.patterns[pattern] = None
            client.server.subscribe(client.server.patterns, pattern, client)
        client.reply(PushReply([b"psubscribe", pattern, _count(client)]))
    return NO_REPLY


def _unsubscribe(client: Client, argv: list[bytes], kind: bytes, mine: dict[bytes, None], table: Any) -> Any:
    names = argv[1:] or list(mine)
    if not names:
        client.reply(PushReply([kind, None, _count(client)]))
        return NO_REPLY
    for name in names:
        if name in mine:
            del mine[name]
            client.server.unsubscribe(table, name, client)
        client.reply(PushReply([kind, name, _count(client)]))
    return NO_REPLY


@command("unsubscribe", -1, _FLAGS, categories="@pubsub")
def unsubscribe_command(client: Client, argv: list[bytes]) -> Any:
    return _unsubscribe(client, argv, b"unsubscribe", client.channels, client.server.channels)


@command("punsubscribe", -1, _FLAGS, categories="@pubsub")
def punsubscribe_command(client: Client, argv: list[bytes]) -> Any:
    return _unsubscribe(client, argv, b"punsubscribe", client.patterns, client.server.patterns)


@command("publish", 3, "session pubsub loading stale fast may_replicate", categories="@pubsub")
def publish_command(client: Client, argv: list[bytes]) -> int:
    return client.server.publish(argv[1], argv[2])


container("pubsub", -2)


@command("channels", -2, "session pubsub loading stale", container="pubsub")
def pubsub_channels_command(client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError("ERR wrong number of arguments for 'pubsub|channels' command")
    names = list(client.server.channels)
    if len(argv) == 3:
        match = compile_glob(argv[2])
        names = [n for n in names if match(n)]
    return names


@command("numsub", -2, "session pubsub loading stale", container="pubsub")
def pubsub_numsub_command(client: Client, argv: list[bytes]) -> Any:
    out: list[Any] = []
    for channel in argv[2:]:
        out += [channel, len(client.server.channels.get(channel, ()))]
    return out


@command("numpat", 2, "session pubsub loading stale", container="pubsub")
def pubsub_numpat_command(client: Client, argv: list[bytes]) -> int:
    return len(client.server.patterns)


@command("shardchannels", -2, "session pubsub loading stale", container="pubsub")
def pubsub_shardchannels_command(client: Client, argv: list[bytes]) -> Any:
    return []


@command("shardnumsub", -2, "session pubsub loading stale", container="pubsub")
def pubsub_shardnumsub_command(client: Client, argv: list[bytes]) -> Any:
    out: list[Any] = []
    for channel in argv[2:]:
        out += [channel, 0]
    return out


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
