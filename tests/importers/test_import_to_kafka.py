"""``jobmatch import-postings`` without -o: the events land on the real broker."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from cli import main
from importers import import_rows
from schemas import parse_event
from settings import Settings

from .exports import EXPORTS

pytestmark = pytest.mark.integration


def _consume_all(
    settings: Settings, expected: int, deadline_s: float = 30.0
) -> list[ConsumerRecord]:
    """Read the postings topic from the start until ``expected`` records or the deadline."""
    topic = settings.topic("postings")
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + deadline_s
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def test_import_sends_every_row_keyed_by_posting_id(
    kafka_topics: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The CLI reads its settings from the environment: point it at the test's topics.
    monkeypatch.setenv("JOBMATCH_TOPIC_PREFIX", kafka_topics.topic_prefix)
    assert main(["import-postings", "work24", str(EXPORTS["work24"]), "--quiet"]) == 0
    report = capsys.readouterr().out
    assert f"events sent:     257 (to topic {kafka_topics.topic('postings')})" in report

    records = _consume_all(kafka_topics, expected=257)
    assert len(records) == 257
    events = {}
    for record in records:
        event = parse_event("postings", record.value)
        # Keyed per the contract: the posting id as UTF-8 bytes.
        assert record.key == event.posting_id.encode("utf-8")
        events[event.posting_id] = event
    expected = {r.event.posting_id: r.event for r in import_rows("work24", EXPORTS["work24"])}
    assert events == expected
