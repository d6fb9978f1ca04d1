"""SSCAN and ZSCAN: paging, MATCH, COUNT, compact encodings, and the SCAN guarantee (every
member present for the whole scan is returned) while another client changes the collection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis

from tests.integration.test_lists import same

Page = tuple[int, list[bytes]]


def _raw(client: redis.Redis) -> redis.Redis:
    """The same connection pool without redis-py's SSCAN/ZSCAN reply parsing."""
    raw = redis.Redis(connection_pool=client.connection_pool)
    for name in ("SSCAN", "ZSCAN"):
        raw.response_callbacks.pop(name, None)
    return raw


def _page(client: redis.Redis, command: str, key: str, cursor: int, *options: str | int) -> Page:
    next_cursor, items = client.execute_command(command, key, cursor, *options)
    return int(next_cursor), items


def _full_scan(client: redis.Redis, command: str, key: str, *options: str | int,
               between: Callable[[], None] | None = None) -> tuple[list[bytes], int]:
    """Every item a whole scan returns (pairs flattened for ZSCAN), and the number of calls."""
    cursor, items, calls = 0, [], 0
    while True:
        cursor, page = _page(client, command, key, cursor, *options)
        items += page
        calls += 1
        if cursor == 0:
            return items, calls
        assert calls < 100_000, "scan does not terminate"
        if between is not None:
            between()


def test_big_set_pages_and_covers_everything(r: redis.Redis, real: redis.Redis) -> None:
    members = [f"m{i}" for i in range(1000)]
    for client in (r, real):
        client.sadd("s", *members)
    ours, theirs = _raw(r), _raw(real)
    cursor, page = _page(ours, "SSCAN", "s", 0, "COUNT", 20)
    assert cursor != 0 and 10 <= len(page) <= 30
    seen, calls = _full_scan(ours, "SSCAN", "s", "COUNT", 20)
    assert sorted(seen) == sorted(m.encode() for m in members) and len(seen) == len(set(seen))
    assert 40 <= calls <= 60
    assert set(seen) == set(_full_scan(theirs, "SSCAN", "s", "COUNT", 20)[0])
    # MATCH filters each page after it is taken, as in Redis: the union is what matters.
    matched, _ = _full_scan(ours, "SSCAN", "s", "MATCH", "m1*", "COUNT", 7)
    assert set(matched) == set(_full_scan(theirs, "SSCAN", "s", "MATCH", "m1*", "COUNT", 7)[0])
    assert len(matched) == 111


def test_big_zset_pages_with_scores(r: redis.Redis, real: redis.Redis) -> None:
    scores = {f"m{i}": i / 7 for i in range(600)}
    scores["neg"] = -0.0
    for client in (r, real):
        client.zadd("z", scores)
    ours, theirs = _raw(r), _raw(real)
    cursor, page = _page(ours, "ZSCAN", "z", 0)
    assert cursor != 0 and len(page) == 2 * 10
    seen, _ = _full_scan(ours, "ZSCAN", "z", "COUNT", 50)
    pairs = dict(zip(seen[::2], seen[1::2]))
    assert len(pairs) == len(seen) // 2 == 601
    reference, _ = _full_scan(theirs, "ZSCAN", "z", "COUNT", 50)
    assert pairs == dict(zip(reference[::2], reference[1::2]))  # scores formatted alike


def test_compact_encodings_answer_in_one_call_like_redis(r: redis.Redis, real: redis.Redis) -> None:
    """An intset or a listpack zset is returned whole, cursor 0, whatever the cursor and COUNT."""
    script: list[str | list[Any]] = [
        "SADD i 30 -5 7 1000000 2", "OBJECT ENCODING i", "SSCAN i 0", "SSCAN i 0 COUNT 1", "SSCAN i 12345",
        "SSCAN i 0 MATCH 1*", "SSCAN i -1", "SSCAN i +3", "ZADD z 3 c 1.5 a 2 b -0 n 1e20 big",
        "OBJECT ENCODING z", "ZSCAN z 0", "ZSCAN z 0 COUNT 1", "ZSCAN z 99", "ZSCAN z 0 MATCH b*",
    ]
    same(_raw(r), _raw(real), script)
    # A small hashtable set fits one default page on both, in hash order on Redis's side.
    for client in (r, real):
        client.sadd("h", "a", "b", "c")
    ours, theirs = _page(_raw(r), "SSCAN", "h", 0), _page(_raw(real), "SSCAN", "h", 0)
    assert (ours[0], sorted(ours[1])) == (theirs[0], sorted(theirs[1])) == (0, [b"a", b"b", b"c"])


def test_errors_and_option_order_like_redis(r: redis.Redis, real: redis.Redis) -> None:
    """Cursor first, then the key, then the options: a missing key ignores bad options."""
    script: list[str | list[Any]] = [
        "SET str v", "SADD s a b", "ZADD z 1 a", "SSCAN none 0 COUNT 0", "SSCAN none 0 BOGUS", "SSCAN none x",
        "SSCAN str 0 COUNT 0", "SSCAN str x", "SSCAN s 0 COUNT 0", "SSCAN s 0 COUNT x", "SSCAN s 0 MATCH",
        "SSCAN s 0 NOVALUES", "SSCAN s 0 TYPE set", "SSCAN s 18446744073709551616", "ZSCAN none 0 COUNT -1",
        "ZSCAN str 0 COUNT 0", "ZSCAN z 0 COUNT 0", "ZSCAN z 0 NOVALUES", "ZSCAN z abc", "ZSCAN z 0 MATCH",
    ]
    same(_raw(r), _raw(real), script)


def test_set_scan_survives_growth_and_shrinking(r: redis.Redis) -> None:
    stable = {f"keep{i}".encode() for i in range(1500)}
    r.sadd("s", *stable)
    r.sadd("s", *(f"churn{i}" for i in range(1500)))
    other = redis.Redis(connection_pool=r.connection_pool)
    step = iter(range(10**6))

    def change() -> None:
        # Between calls the set first doubles, then loses every churn member, then grows again.
        n = next(step)
        if n < 40:
            other.sadd("s", *(f"new{n}-{i}" for i in range(100)))
        elif n < 60:
            other.srem("s", *(f"churn{i}" for i in range((n - 40) * 75, (n - 39) * 75)))
        else:
            other.sadd("s", f"late{n}")

    seen, calls = _full_scan(_raw(r), "SSCAN", "s", "COUNT", 50, between=change)
    assert stable <= set(seen)
    assert calls >= 50  # paged, not one reply


def test_zset_scan_survives_writes_and_score_changes(r: redis.Redis) -> None:
    stable = {f"keep{i}": float(i) for i in range(1000)}
    r.zadd("z", stable)
    r.zadd("z", {f"gone{i}": -1.0 for i in range(500)})
    other = redis.Redis(connection_pool=r.connection_pool)
    step = iter(range(10**6))

    def change() -> None:
        n = next(step)
        # Moving a member's score must not move it in the scan order.
        other.zincrby("z", 1000, f"keep{(n * 37) % 1000}")
        other.zadd("z", {f"new{n}-{i}": float(i) for i in range(30)})
        other.zrem("z", *(f"gone{i}" for i in range(n * 10, n * 10 + 10)))

    seen, _ = _full_scan(_raw(r), "ZSCAN", "z", "COUNT", 40, between=change)
    members = set(seen[::2])
    assert {m.encode() for m in stable} <= members
    final = dict(r.zscan_iter("z"))
    for member, score in zip(seen[::2], seen[1::2]):
        if member in final and member.startswith(b"keep"):
            assert float(score) <= final[member]


def test_key_replaced_or_deleted_mid_scan(r: redis.Redis) -> None:
    r.sadd("s", *(f"m{i}" for i in range(300)))
    raw = _raw(r)
    cursor, _ = _page(raw, "SSCAN", "s", 0, "COUNT", 10)
    r.delete("s")
    assert _page(raw, "SSCAN", "s", cursor) == (0, [])
    r.sadd("s", *(f"x{i}" for i in range(300)))
    rest: list[bytes] = []
    while True:
        cursor, page = _page(raw, "SSCAN", "s", cursor, "COUNT", 10)
        rest += page
        if cursor == 0:
            break
    assert set(rest) <= {f"x{i}".encode() for i in range(300)}
    r.set("s", "now a string")
    try:
        raw.execute_command("SSCAN", "s", 0)
        raise AssertionError("SSCAN on a string must fail")
    except redis.ResponseError as exc:
        assert str(exc).startswith("WRONGTYPE")


def test_many_interleaved_scans(r: redis.Redis) -> None:
    """More collections scanned at once than the scan-order cache holds: each scan stays complete."""
    keys = [f"s{k}" for k in range(40)]
    pipe = r.pipeline(transaction=False)
    for key in keys:
        pipe.sadd(key, *(f"{key}-{i}" for i in range(60)))
        pipe.zadd("z" + key, {f"{key}-{i}": i for i in range(200)})
    pipe.execute()
    raw = _raw(r)
    cursors = {key: 0 for key in keys}
    seen: dict[str, list[bytes]] = {key: [] for key in keys}
    zseen: dict[str, list[bytes]] = {key: [] for key in keys}
    zcursors = dict(cursors)
    started = False
    while not started or any(cursors.values()) or any(zcursors.values()):
        for key in keys:
            if not started or cursors[key]:
                cursors[key], page = _page(raw, "SSCAN", key, cursors[key], "COUNT", 7)
                seen[key] += page
            if not started or zcursors[key]:
                zcursors[key], page = _page(raw, "ZSCAN", "z" + key, zcursors[key], "COUNT", 9)
                zseen[key] += page[::2]
        r.sadd(keys[0], "extra")  # a write between rounds dates every cached order
        started = True
    for key in keys:
        assert {f"{key}-{i}".encode() for i in range(60)} <= set(seen[key])
        assert sorted(zseen[key]) == sorted(f"{key}-{i}".encode() for i in range(200))
