"""The real broker: topics of the contract, kafka-python -> aiokafka, a Faust agent."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import faust
import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from kafka import KafkaProducer

from settings import Settings
from streams.kafka_admin import KafkaUnreachable, connect_admin, ensure_topics

pytestmark = pytest.mark.integration


def test_topics_are_created_idempotently_with_the_contract_configs(kafka_topics: Settings) -> None:
    # A second run creates nothing and reports the same partition counts.
    again = ensure_topics(kafka_topics)
    assert not any(r.created for r in again)
    counts = {r.spec.name.split(".", 1)[1]: r.partitions for r in again}
    assert counts["profiles"] == counts["interactions"] == kafka_topics.seeker_partitions == 4
    assert counts["postings"] == kafka_topics.posting_partitions

    admin = connect_admin(kafka_topics)
    try:
        from kafka.admin import ConfigResource, ConfigResourceType

        resources = [
            ConfigResource(ConfigResourceType.TOPIC, kafka_topics.topic(n))
            for n in ("postings", "profiles", "interactions")
        ]
        described = admin.describe_configs(resources)
    finally:
        admin.close()
    # Only settings that differ from the broker default are listed: no entry means "delete".
    policies = {
        name.split(".", 1)[1]: configs.get("cleanup.policy", {"value": "delete"})["value"]
        for name, configs in described["topic"].items()
    }
    assert policies == {"postings": "compact", "profiles": "compact", "interactions": "delete"}


def test_partition_counts_are_configurable(test_settings: Settings) -> None:
    settings = dataclasses.replace(test_settings, seeker_partitions=2, posting_partitions=3)
    admin = connect_admin(settings)
    try:
        results = ensure_topics(settings, admin=admin)
        counts = {r.spec.name.split(".", 1)[1]: r.partitions for r in results}
        assert counts["profiles"] == counts["interactions"] == 2
        assert counts["postings"] == 3
    finally:
        admin.delete_topics([r.spec.name for r in results])
        admin.close()


def test_unreachable_broker_gives_a_clear_error() -> None:
    settings = dataclasses.replace(Settings.from_env(), kafka_bootstrap="127.0.0.1:1")
    with pytest.raises(KafkaUnreachable, match=r"127\.0\.0\.1:1: run `make up` first"):
        connect_admin(settings, timeout_s=1.0)


async def test_kafka_python_produces_and_aiokafka_consumes_the_same_records(
    kafka_topics: Settings,
) -> None:
    topic = kafka_topics.topic("interactions")
    sent = [
        (f"S{i}".encode(), orjson.dumps({"v": 1, "event_id": f"ev-{i}", "seeker_id": f"S{i}"}))
        for i in range(20)
    ]
    producer = KafkaProducer(bootstrap_servers=kafka_topics.kafka_bootstrap, acks="all")
    for key, value in sent:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_topics.kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    received: list[tuple[bytes, bytes]] = []
    try:
        async with asyncio.timeout(30):
            while len(received) < len(sent):
                batch = await consumer.getmany(timeout_ms=500)
                received += [(m.key, m.value) for msgs in batch.values() for m in msgs]
    finally:
        await consumer.stop()
    assert sorted(received) == sorted(sent)


async def test_a_faust_agent_consumes_from_the_real_broker(
    kafka_topics: Settings, tmp_path: Path
) -> None:
    topic_name = kafka_topics.topic("interactions")
    producer = KafkaProducer(bootstrap_servers=kafka_topics.kafka_bootstrap)
    for i in range(5):
        producer.send(topic_name, key=f"S{i}".encode(), value=f"value-{i}".encode())
    producer.flush()
    producer.close()

    app = faust.App(
        f"{kafka_topics.topic_prefix}-probe",
        broker=f"kafka://{kafka_topics.kafka_bootstrap}",
        store="memory://",
        web_enabled=False,
        datadir=str(tmp_path),
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
    )
    topic = app.topic(topic_name, key_serializer="raw", value_serializer="raw")
    received: list[bytes] = []
    done = asyncio.Event()

    @app.agent(topic, concurrency=1)
    async def collect(stream):  # type: ignore[no-untyped-def]
        async for value in stream:
            received.append(value)
            if len(received) == 5:
                done.set()

    await app.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=60)
    finally:
        await app.stop()
    assert sorted(received) == [f"value-{i}".encode() for i in range(5)]
