"""String commands (t_string.c). A write handler runs only inside apply."""

from __future__ import annotations

from typing import Any

from weir.commands.args import parse_int
from weir.commands.table import command
from weir.errors import SYNTAX, CommandError
from weir.resp.reply import OK
from weir.state.machine import Ctx
from weir.state.types import check_type


def get_string(ctx: Ctx, key: bytes) -> bytes | None:
    """The string at key, None if missing; WRONGTYPE for other types."""
    value = ctx.lookup(key)
    if value is not None and type(value) is not bytes:
        check_type(value, bytes)
    return value


@command("get", 2, "readonly fast", 1, 1, 1, "@string")
def get_command(ctx: Ctx, argv: list[bytes]) -> bytes | None:
    return get_string(ctx, argv[1])


def _expire_arg(raw: bytes, name: str) -> int:
    value = parse_int(raw)
    if value <= 0:
        raise CommandError(f"ERR invalid expire time in '{name}' command")
    return value


def _set_generic(
    ctx: Ctx, key: bytes, value: bytes, *, nx: bool = False, xx: bool = False,
    deadline_ms: int | None = None, keep_ttl: bool = False, get: bool = False, name: str = "set",
) -> Any:
    old = ctx.lookup(key)
    if get and old is not None and type(old) is not bytes:
        check_type(old, bytes)
    if (nx and old is not None) or (xx and old is None):
        return old if get else None
    ctx.put(key, value, keep_ttl=keep_ttl)
    if deadline_ms is not None:
        ctx.set_expire(key, deadline_ms)
    return old if get else OK


@command("set", -3, "write denyoom", 1, 1, 1, "@string")
def set_command(ctx: Ctx, argv: list[bytes]) -> Any:
    """SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts-ms|KEEPTTL]"""
    if len(argv) == 3:
        ctx.put(argv[1], argv[2])
        return OK
    nx = xx = get = keep_ttl = False
    deadline_ms: int | None = None
    expire_given = False
    i = 3
    while i < len(argv):
        option = argv[i].upper()
        has_next = i + 1 < len(argv)
        if option == b"NX" and not xx:
            nx = True
        elif option == b"XX" and not nx:
            xx = True
        elif option == b"GET":
            get = True
        elif option == b"KEEPTTL" and not expire_given:
            keep_ttl = True
        elif option in (b"EX", b"PX", b"EXAT", b"PXAT") and has_next and not keep_ttl and not expire_given:
            amount = _expire_arg(argv[i + 1], "set")
            if option == b"EX":
                deadline_ms = ctx.now_ms + amount * 1000
            elif option == b"PX":
                deadline_ms = ctx.now_ms + amount
            elif option == b"EXAT":
                deadline_ms = amount * 1000
            else:
                deadline_ms = amount
            expire_given = True
            i += 1
        else:
            raise CommandError(SYNTAX)
        i += 1
    return _set_generic(ctx, argv[1], argv[2], nx=nx, xx=xx, deadline_ms=deadline_ms,
                        keep_ttl=keep_ttl, get=get)
