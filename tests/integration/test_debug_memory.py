"""DEBUG DIGEST / DIGEST-VALUE and MEMORY, through redis-py on a real weir process."""

from __future__ import annotations

import redis

from tests.compare import outcome

ZERO = b"0" * 40


def digest_value(r: redis.Redis, *keys: str) -> list[bytes]:
    return [d if isinstance(d, bytes) else d.encode() for d in r.execute_command("DEBUG", "DIGEST-VALUE", *keys)]


def test_dataset_digest_follows_content_not_history(r: redis.Redis) -> None:
    assert r.execute_command("DEBUG", "DIGEST") == ZERO
    r.set("a", "1")
    first = r.execute_command("DEBUG", "DIGEST")
    assert first != ZERO and len(first) == 40
    r.set("a", "2")
    assert r.execute_command("DEBUG", "DIGEST") != first
    r.set("a", "1")
    assert r.execute_command("DEBUG", "DIGEST") == first
    r.set("tmp", "x")
    r.delete("tmp")
    assert r.execute_command("DEBUG", "DIGEST") == first
    r.expire("a", 100)  # a deadline is part of the content
    assert r.execute_command("DEBUG", "DIGEST") != first


def test_value_digests(r: redis.Redis) -> None:
    r.sadd("s1", "a", "b", "c")
    r.sadd("s2", "c", "b", "a")
    r.hset("h1", mapping={"f": "1", "g": "2"})
    r.hset("h2", mapping={"g": "2", "f": "1"})
    r.rpush("l1", "a", "b")
    r.rpush("l2", "b", "a")
    r.zadd("z1", {"a": 1, "b": 2})
    r.copy("z1", "z2")
    r.zadd("z3", {"a": 1, "b": 3})
    s1, s2, h1, h2, l1, l2, z1, z2, z3, missing = digest_value(r, "s1", "s2", "h1", "h2", "l1", "l2", "z1", "z2", "z3", "nope")
    assert s1 == s2 and h1 == h2 and z1 == z2  # sets and hashes in any order; a copy
    assert l1 != l2 and z1 != z3 and s1 != h1
    assert missing == ZERO
    r.set("str", "abc")
    r.sadd("one", "abc")
    assert digest_value(r, "str")[0] != digest_value(r, "one")[0]  # the type counts too


def test_memory_usage(r: redis.Redis) -> None:
    assert r.memory_usage("nope") is None
    r.set("small", "x")
    r.set("large", "x" * 10_000)
    assert 0 < r.memory_usage("small") < r.memory_usage("large")
    assert r.memory_usage("large") >= 10_000
    r.hset("h", mapping={f"field:{i}": "v" * (i % 50) for i in range(1000)})
    r.hset("h10", mapping={f"field:{i}": "v" for i in range(10)})
    sampled, exact = r.memory_usage("h"), r.memory_usage("h", samples=0)
    assert r.memory_usage("h10") < exact
    assert exact / 2 < sampled < exact * 2  # five samples scaled up land near the full count
    for key, fill in (("l", lambda: r.rpush("l", *range(500))), ("s", lambda: r.sadd("s", *range(500))),
                      ("z", lambda: r.zadd("z", {str(i): i for i in range(500)}))):
        fill()
        assert r.memory_usage(key) > 500 * 8, key


def test_memory_stats(r: redis.Redis) -> None:
    r.mset({"a": "1", "b": "2"})
    r.execute_command("SELECT", "3")
    stats = r.memory_stats()
    assert stats["keys.count"] == 2
    assert stats["total.allocated"] > 0 and stats["peak.allocated"] >= stats["total.allocated"]
    assert "db.0" in stats
    assert r.execute_command("MEMORY", "DOCTOR")
    assert r.execute_command("MEMORY", "PURGE") in (True, b"OK")


def test_quicklist_packed_threshold_accepts_what_redis_does(r: redis.Redis, real: redis.Redis) -> None:
    """list.tcl sets the threshold to 1b and restores it with 0 around its plain-node tests."""
    for size in ("1b", "0", "", "kb", "4095mb", "4096mb", "-1", "1.5"):
        assert outcome(r, "DEBUG", "QUICKLIST-PACKED-THRESHOLD", size) == outcome(
            real, "DEBUG", "QUICKLIST-PACKED-THRESHOLD", size), size
    assert r.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1b")
    big = [letter * 500 for letter in "abcd"]
    r.lpush("list", *big)
    r.linsert("list", "after", big[3], "e" * 500)
    assert r.lpop("list") == b"d" * 500
    assert r.lpop("list") == b"e" * 500
    assert r.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0")
