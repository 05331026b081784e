"""Read back everything a test wrote to one of its topics on the real broker."""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from settings import Settings


def read_all(settings: Settings, family: str, *, timeout_s: float = 30.0) -> list[ConsumerRecord]:
    """Every record of ``settings.topic(family)``, by partition then offset.

    Reads up to the end offsets at call time, so call it after the producer flushed: the
    result is then exactly what was written, nothing more.
    """
    topic = settings.topic(family)
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        numbers = sorted(consumer.partitions_for_topic(topic))
        partitions = [TopicPartition(topic, p) for p in numbers]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        expected = sum(consumer.end_offsets(partitions).values())
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout_s
        while len(records) < expected:
            assert time.monotonic() < deadline, f"read {len(records)} of {expected} from {topic}"
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()
