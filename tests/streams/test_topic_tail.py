"""TopicTail.sync, the read-your-writes barrier, against the real broker.

A worker restarted under load reads the postings topic behind a backlog. An interaction
that names a posting the reader has not reached must wait for the reader while it makes
progress, not for a fixed time: giving up makes the seeker's history depend on the load.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaProducer

from settings import Settings
from streams.topic_tail import PartitionReader, TopicTail

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


async def test_read_range_returns_exactly_the_records_of_an_offset_range(
    kafka_topics: Settings,
) -> None:
    # The offset-order guard reads back what the consumer skipped (streams.offset_order).
    topic = kafka_topics.topic("interactions")
    _publish(kafka_topics, topic, BACKLOG)
    tp = TopicPartition(topic, 0)
    probe = AIOKafkaConsumer(bootstrap_servers=kafka_topics.kafka_bootstrap)
    await probe.start()
    try:
        end = (await probe.end_offsets([tp]))[tp]
    finally:
        await probe.stop()
    assert end > 30  # the keys spread over every partition
    reader = PartitionReader(kafka_topics.kafka_bootstrap, timeout_s=20)
    impatient = PartitionReader(kafka_topics.kafka_bootstrap, timeout_s=2)
    try:
        whole = await reader.read(tp, 0, end)
        assert [r.offset for r in whole] == list(range(end))
        middle = await reader.read(tp, 5, 25)  # backwards: the same consumer seeks back
        assert [(r.offset, r.key) for r in middle] == [(r.offset, r.key) for r in whole[5:25]]
        last = await reader.read(tp, end - 3, end)
        assert [r.offset for r in last] == [end - 3, end - 2, end - 1]
        other = TopicPartition(topic, 1)  # another partition
        assert [r.offset for r in await reader.read(other, 0, 3)] == [0, 1, 2]
        await impatient.read(tp, end - 1, end)
        with pytest.raises(TimeoutError):  # a range past the end of the log never completes
            await impatient.read(tp, end - 1, end + 1)
    finally:
        await reader.close()
        await impatient.close()


async def test_the_committed_offset_of_a_group_is_read_outside_the_group(
    kafka_topics: Settings,
) -> None:
    topic = kafka_topics.topic("interactions")
    _publish(kafka_topics, topic, 40)
    tp = TopicPartition(topic, 0)
    group = f"{kafka_topics.app_id}-offsets"
    reader = PartitionReader(kafka_topics.kafka_bootstrap)
    committer = AIOKafkaConsumer(
        bootstrap_servers=kafka_topics.kafka_bootstrap, group_id=group, enable_auto_commit=False
    )
    await committer.start()
    try:
        committer.assign([tp])
        await committer.commit({tp: 7})
        assert await reader.committed(group, tp, timeout_s=20) == 7
        never = TopicPartition(topic, 1)  # the group never committed there
        assert await reader.committed(group, never, timeout_s=20) is None
    finally:
        await committer.stop()
        await reader.close()
