"""Redis loses every key of a running worker (as FLUSHALL or a restart without persistence
would): the worker notices by itself and writes every one of them again.

The shared test Redis serves other tests' prefixes, so the loss here is this test's keys
only (the worker's marker among them); tests/faults/test_redis_faults.py does the real
FLUSHALL and restart on a Redis of its own.
"""

from __future__ import annotations

import pytest
import redis

from settings import Settings
from tests.streams.pipeline.conftest import StartWorker
from tests.streams.pipeline.test_recovery_and_scale_out import (
    NO_TRAINING,
    all_done,
    assert_lists_equal_recompute,
    market_events,
    send,
)
from tests.streams.pipeline.worker_process import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def dump(client: redis.Redis, prefix: str) -> dict[str, object]:
    """Every key under ``prefix`` with its value; the markers and write times left out."""
    keys: dict[str, object] = {}
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        kind = client.type(key)
        if kind == "zset":
            keys[key] = client.zrange(key, 0, -1, withscores=True)
        elif kind == "hash":
            fields = client.hgetall(key)
            if key.endswith(":meta"):
                fields = {k: v for k, v in fields.items() if k not in ("updated_at", "reason")}
            keys[key] = fields
        elif not key.endswith(":marker"):
            keys[key] = kind
    return keys


def test_a_worker_rewrites_every_key_redis_lost(
    start_worker: StartWorker,
    kafka_topics: Settings,
    reader: redis.Redis,
    redis_worker: redis.Redis,
) -> None:
    events = market_events(6_000)
    n_postings = sum(1 for family, _ in events if family == "postings")
    worker = start_worker(**NO_TRAINING)
    send(kafka_topics, events)
    wait_for(
        lambda: all_done([worker], n_postings, kafka_topics),
        timeout=180,
        interval=0.5,
        what="catch-up",
    )
    prefix = kafka_topics.key_prefix
    before = dump(reader, prefix)
    assert sum(":posting:{" in key and ":reco:" not in key for key in before) > 100
    assert sum(":reco:posting:{" in key for key in before) > 100  # employer lists

    lost = list(redis_worker.scan_iter(match=f"{prefix}:*", count=1000))
    assert any(key.endswith(":marker") for key in lost)
    redis_worker.unlink(*lost)

    health = wait_for(
        lambda: (h := worker.health()) and h["redis"]["rebuild"]["rebuilds"] == 1 and h,
        timeout=60,
        what="the worker noticing the loss",
    )
    wait_for(
        lambda: all_done([worker], n_postings, kafka_topics),
        timeout=120,
        interval=0.5,
        what="rebuild",
    )
    health = worker.health() or {}
    assert health["redis"]["rebuild"] == {"active": False, "rebuilds": 1}, health
    assert worker.counter("jobmatch_redis_data_losses_total") == 1
    assert worker.counter("jobmatch_list_refreshes_total", reason="repair") > 500

    # Every list, employer list and display hash is back as it was.
    after = dump(reader, prefix)
    assert sorted(after) == sorted(before)
    assert after == before
    assert assert_lists_equal_recompute(kafka_topics, reader, events) > 500
