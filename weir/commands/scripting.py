"""FUNCTION and SCRIPT management (functions.c, eval.c) for a server with no scripts loaded.

weir runs no scripts yet, so the library and script caches are always empty:
these answer exactly as Redis does when nothing has been loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from weir.commands.args import help_reply
from weir.commands.table import command, container
from weir.errors import CommandError
from weir.resp.reply import OK, Status

if TYPE_CHECKING:
    from weir.server.client import Client

_CATS = "@scripting"
# What Redis 7.0 FUNCTION DUMP returns with no libraries: an empty payload, its version and CRC.
EMPTY_FUNCTION_DUMP = b"\n\x00]\x9b\\@\x0f\x7f\xa2\xda"

container("function", -2)


@command("list", -2, "session noscript", categories=_CATS, container="function")
def function_list_command(client: Client, argv: list[bytes]) -> list[Any]:
    """FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]"""
    i = 2
    seen_pattern = seen_code = False
    while i < len(argv):
        option = argv[i].lower()
        if option == b"withcode" and not seen_code:
            seen_code = True
        elif option == b"libraryname" and not seen_pattern:
            if i + 1 >= len(argv):
                raise CommandError("ERR library name argument was not given")
            seen_pattern = True
            i += 1
        else:
            raise CommandError(f"ERR Unknown argument {argv[i].decode('utf-8', 'replace')}")
        i += 1
    return []


def _flush_mode(argv: list[bytes], error: str) -> None:
    if len(argv) > 3 or (len(argv) == 3 and argv[2].upper() not in (b"SYNC", b"ASYNC")):
        raise CommandError(error)


# FLUSH and DELETE carry Redis's "write" flag, but with no libraries they change nothing,
# so they answer on the connection instead of going through the log.
@command("flush", -2, "session write noscript", categories=_CATS, container="function")
def function_flush_command(client: Client, argv: list[bytes]) -> Any:
    _flush_mode(argv, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    return OK


@command("delete", 3, "session write noscript", categories=_CATS, container="function")
def function_delete_command(client: Client, argv: list[bytes]) -> Any:
    raise CommandError("ERR Library not found")


@command("stats", 2, "session noscript allow_busy", categories=_CATS, container="function")
def function_stats_command(client: Client, argv: list[bytes]) -> dict[bytes, Any]:
    return {
        b"running_script": None,
        b"engines": {b"LUA": {b"libraries_count": 0, b"functions_count": 0}},
    }


@command("dump", 2, "session noscript", categories=_CATS, container="function")
def function_dump_command(client: Client, argv: list[bytes]) -> bytes:
    return EMPTY_FUNCTION_DUMP


@command("kill", 2, "session noscript allow_busy", categories=_CATS, container="function")
def function_kill_command(client: Client, argv: list[bytes]) -> Any:
    raise CommandError("NOTBUSY No scripts in execution right now.")


FUNCTION_HELP = [
    'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'LOAD [REPLACE] <FUNCTION CODE>',
    '    Create a new library with the given library name and code.',
    'DELETE <LIBRARY NAME>',
    '    Delete the given library.',
    'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
    '    Return general information on all the libraries:',
    '    * Library name',
    '    * The engine used to run the Library',
    '    * Library description',
    '    * Functions list',
    '    * Library code (if WITHCODE is given)',
    '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
    'STATS',
    '    Return information about the current function running:',
    '    * Function name',
    '    * Command used to run the function',
    '    * Duration in MS that the function is running',
    '    If no function is running, return nil',
    '    In addition, returns a list of available engines.',
    'KILL',
    '    Kill the current running function.',
    'FLUSH [ASYNC|SYNC]',
    '    Delete all the libraries.',
    '    When called without the optional mode argument, the behavior is determined by the',
    '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
    '    * ASYNC: Asynchronously flush the libraries.',
    '    * SYNC: Synchronously flush the libraries.',
    'DUMP',
    '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
    'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
    '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
    '    control how to handle existing libraries (default APPEND):',
    '    * FLUSH: delete all existing libraries.',
    '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
    '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
    '      libraries with the new libraries (notice that even on this option there is a chance of failure',
    '      in case of functions name collision with another library).',
    'HELP',
    '    Prints this help.',
]


@command("help", 2, "session loading stale", categories=_CATS, container="function")
def function_help_command(client: Client, argv: list[bytes]) -> list[Status]:
    return help_reply(FUNCTION_HELP)


container("script", -2)


@command("exists", -3, "session noscript", categories=_CATS, container="script")
def script_exists_command(client: Client, argv: list[bytes]) -> list[int]:
    return [0] * (len(argv) - 2)


@command("flush", -2, "session noscript", categories=_CATS, container="script")
def script_flush_command(client: Client, argv: list[bytes]) -> Any:
    _flush_mode(argv, "ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    return OK


@command("kill", 2, "session noscript allow_busy", categories=_CATS, container="script")
def script_kill_command(client: Client, argv: list[bytes]) -> Any:
    raise CommandError("NOTBUSY No scripts in execution right now.")


SCRIPT_HELP = [
    'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'DEBUG (YES|SYNC|NO)',
    '    Set the debug mode for subsequent scripts executed.',
    'EXISTS <sha1> [<sha1> ...]',
    '    Return information about the existence of the scripts in the script cache.',
    'FLUSH [ASYNC|SYNC]',
    '    Flush the Lua scripts cache. Very dangerous on replicas.',
    '    When called without the optional mode argument, the behavior is determined by the',
    '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
    '    * ASYNC: Asynchronously flush the scripts cache.',
    '    * SYNC: Synchronously flush the scripts cache.',
    'KILL',
    '    Kill the currently executing Lua script.',
    'LOAD <script>',
    '    Load a script into the scripts cache without executing it.',
    'HELP',
    '    Prints this help.',
]


@command("help", 2, "session loading stale", categories=_CATS, container="script")
def script_help_command(client: Client, argv: list[bytes]) -> list[Status]:
    return help_reply(SCRIPT_HELP)
