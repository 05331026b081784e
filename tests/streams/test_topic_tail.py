"""TopicTail.sync, the read-your-writes barrier, against the real broker.

A worker restarted under load reads the postings topic behind a backlog. An interaction
that names a posting the reader has not reached must wait for the reader while it makes
progress, not for a fixed time: giving up makes the seeker's history depend on the load.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kafka import KafkaProducer

from settings import Settings
from streams.topic_tail import TopicTail

pytestmark = pytest.mark.integration

BACKLOG = 400


def _publish(settings: Settings, topic: str, n: int) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    try:
        for i in range(n):
            producer.send(topic, key=f"k{i}".encode(), value=b"{}")
        producer.flush()
    finally:
        producer.close()


async def _running(tail: TopicTail) -> asyncio.Task[None]:
    task = asyncio.create_task(tail.run())
    while tail._consumer is None or not tail._consumer.assignment():
        await asyncio.sleep(0.01)
    return task


async def test_sync_waits_for_a_slow_reader_that_makes_progress(kafka_topics: Settings) -> None:
    topic = kafka_topics.topic("postings")
    seen: list[Any] = []

    async def slow(records: list[Any], live: bool) -> None:
        await asyncio.sleep(0.02)  # a busy worker: each small batch takes a while
        seen.extend(records)

    tail = TopicTail(topic, kafka_topics.kafka_bootstrap, slow, max_batch=5)
    task = await _running(tail)
    try:
        _publish(kafka_topics, topic, BACKLOG)
        # 80 batches of 20 ms: well over the stall limit in all, never a stall.
        assert await tail.sync(stall_s=0.5, max_wait_s=60)
        assert len(seen) == BACKLOG
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_sync_gives_up_on_a_reader_that_reads_nothing(kafka_topics: Settings) -> None:
    topic = kafka_topics.topic("postings")
    release = asyncio.Event()

    async def stuck(records: list[Any], live: bool) -> None:
        await release.wait()

    tail = TopicTail(topic, kafka_topics.kafka_bootstrap, stuck)
    task = await _running(tail)
    try:
        _publish(kafka_topics, topic, 3)
        assert not await tail.sync(stall_s=0.3, max_wait_s=60)
    finally:
        release.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
