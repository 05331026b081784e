"""The real Redis refusing the writer's writes (out of memory, a withdrawn permission) and
losing its keys: each is reported by reason, nothing marked is dropped, and writing
resumes by itself once the operator fixes the cause.

The operator's admin user breaks and restores the shared test Redis; every test puts it
back as it found it (tests run one at a time).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
import redis

from settings import Settings
from streams import metrics
from streams.redis_keys import RedisKeys
from streams.redis_rebuild import MarkerWatch
from tests.streams.test_redis_writer import make_writer, view

pytestmark = pytest.mark.integration


async def until(condition: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    """Wait for ``condition`` (the writer retries on its own clock; we watch it)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def blocked(reason: str) -> float:
    return metrics.REDIS_WRITE_BLOCKED.labels(reason)._value.get()


@pytest.fixture
def out_of_memory(redis_admin: redis.Redis) -> Iterator[Callable[[bool], None]]:
    """``out_of_memory(True)`` sets maxmemory below what Redis uses (policy noeviction);
    ``out_of_memory(False)`` and the teardown restore both settings."""
    saved = redis_admin.config_get("maxmemory", "maxmemory-policy")

    def switch(on: bool) -> None:
        if on:
            redis_admin.config_set("maxmemory-policy", "noeviction")
            redis_admin.config_set("maxmemory", 1)
        else:
            redis_admin.config_set("maxmemory", saved["maxmemory"])

    yield switch
    redis_admin.config_set("maxmemory", saved["maxmemory"])
    redis_admin.config_set("maxmemory-policy", saved["maxmemory-policy"])


async def test_out_of_memory_is_reported_and_writing_resumes_once_memory_is_raised(
    test_settings: Settings,
    redis_worker: redis.Redis,
    out_of_memory: Callable[[bool], None],
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    writer = make_writer(test_settings, {"S1": view(3)}, {})
    out_of_memory(True)
    task = asyncio.ensure_future(writer.run())
    try:
        writer.mark_seeker("S1", "profile")
        await until(lambda: writer.health.fault is not None, "a reported fault")
        fault = writer.health.fault
        assert fault is not None and fault.reason == "out_of_memory"
        assert fault.error.startswith(f"EVALSHA {keys.seeker_list('S1')}: ")
        assert "P0" not in fault.error and "희망" not in fault.error  # no list data
        assert blocked("out_of_memory") == 1
        assert writer.pending == 1 and not redis_worker.exists(keys.seeker_list("S1"))

        out_of_memory(False)
        await until(lambda: writer.health.fault is None, "writes resuming")
        await writer.wait_idle()
        assert redis_worker.zcard(keys.seeker_list("S1")) == 3
        assert blocked("out_of_memory") == 0
    finally:
        task.cancel()


async def test_a_withdrawn_permission_is_reported_and_writing_resumes_once_restored(
    test_settings: Settings, redis_worker: redis.Redis, redis_admin: redis.Redis
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    writer = make_writer(test_settings, {"S1": view(3)}, {})
    # The operator narrows the worker's keys to another prefix by mistake...
    redis_admin.execute_command("ACL", "SETUSER", "jobmatch-worker", "resetkeys", "~other:*")
    task = asyncio.ensure_future(writer.run())
    try:
        writer.mark_seeker("S1", "profile")
        writer.mark_posting("P1")
        await until(lambda: writer.health.fault is not None, "a reported fault")
        fault = writer.health.fault
        assert fault is not None and fault.reason == "no_permission"
        assert "no permissions" in fault.error and "jobmatch-worker" in fault.advice
        assert writer.pending >= 1
    finally:
        # ...and puts it back from the ACL file.
        redis_admin.execute_command("ACL", "LOAD")
    try:
        await until(lambda: writer.health.fault is None, "writes resuming")
        await writer.wait_idle()
        assert redis_worker.zcard(keys.seeker_list("S1")) == 3
        assert blocked("no_permission") == 0
    finally:
        task.cancel()


async def test_the_marker_tells_when_redis_lost_writes(
    test_settings: Settings, redis_worker: redis.Redis, out_of_memory: Callable[[bool], None]
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    marker = keys.worker_marker("test-worker")
    writer = make_writer(test_settings, {"S1": view(3)}, {}, marker_key=marker)
    watch = MarkerWatch(writer)
    assert await watch.lost() is False  # placed, nothing written yet
    for _ in range(3):
        writer.mark_seeker("S1", "profile")
        await writer.flush()
    assert writer.written_epoch == 3 and redis_worker.get(marker) == "3"
    assert 0 < redis_worker.ttl(marker) <= 3600
    assert await watch.lost() is False  # Redis has every acknowledged write

    # Redis comes back from an older file (or a lagging replica takes over): the marker
    # is behind the last write Redis acknowledged.
    redis_worker.set(marker, 2)
    writer.mark_seeker("S1", "profile")
    await writer.flush()  # a write after the loss does not hide it
    assert writer.written_epoch == 4 and redis_worker.get(marker) == "2"
    assert await watch.lost() is True
    assert await watch.lost() is False  # set to the last write again: told once
    redis_worker.unlink(marker)  # as FLUSHALL, or a restart without persistence, would
    writer.mark_seeker("S1", "profile")
    await writer.flush()
    assert not redis_worker.exists(marker)
    assert await watch.lost() is True
    assert await watch.lost() is False

    # The check is a write: while Redis refuses writes it reports that, and it clears
    # the fault once Redis takes writes again.
    out_of_memory(True)
    assert await watch.lost() is False
    assert writer.health.fault is not None and writer.health.fault.reason == "out_of_memory"
    out_of_memory(False)
    assert await watch.lost() is False
    assert writer.health.fault is None
