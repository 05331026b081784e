"""The writer's hiredis command packing sends exactly the bytes redis-py would."""

from __future__ import annotations

import pytest
import redis
import redis.asyncio as aioredis
from redis.exceptions import DataError

from settings import Settings
from streams.redis_writer import HiredisPackingConnection, use_hiredis_packing

COMMANDS = [
    ("SET", "jobmatch:k", "지게차 운전원"),
    ("EVALSHA", "a" * 40, 3, "k1", "k2", "k3", 3600, 1764230400000, 7, "profile", 2,
     repr(0.1), "P1", repr(1.0000000000000002), "P2", "P1", b'["\xed\x9d\xac"]'),
    ("ZADD", b"jobmatch:z", 1.5, "m", 1e-20, "n", float("inf"), "o"),
    ("SCRIPT LOAD", "return 1"),
    ("HSET", "h", "f", memoryview(b"value")),  # hiredis refuses it: redis-py packs it
]  # fmt: skip


def _joined(chunks: list[bytes]) -> bytes:
    return b"".join(bytes(c) for c in chunks)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: str(c[0]))
def test_packing_matches_redis_py(command: tuple[object, ...]) -> None:
    ours = HiredisPackingConnection()
    theirs = aioredis.Connection()
    assert _joined(ours.pack_command(*command)) == _joined(theirs.pack_command(*command))


def test_a_bool_is_still_refused() -> None:
    with pytest.raises(DataError):
        HiredisPackingConnection().pack_command("SET", "k", True)


def test_only_plain_connections_are_switched() -> None:
    plain = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    tls = aioredis.Redis.from_url("rediss://127.0.0.1:6379/0")
    use_hiredis_packing(plain)
    use_hiredis_packing(tls)
    assert plain.connection_pool.connection_class is HiredisPackingConnection
    assert tls.connection_pool.connection_class is not HiredisPackingConnection


@pytest.mark.integration
async def test_a_packed_write_round_trips_through_redis(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    url = test_settings.redis_url_for("jobmatch-worker", test_settings.redis_worker_password)
    client = aioredis.Redis.from_url(url)
    use_hiredis_packing(client)
    key = f"{test_settings.key_prefix}:packed"
    try:
        await client.zadd(key, {"P1": 0.1, "지게차": 1.0000000000000002})
        assert redis_worker.zrange(key, 0, -1, withscores=True) == [
            ("P1", 0.1),
            ("지게차", 1.0000000000000002),
        ]
    finally:
        await client.aclose()
