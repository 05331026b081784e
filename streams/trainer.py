"""The single trainer: learns from every training example and publishes model snapshots.

Examples go to a one-partition topic, so exactly one member of the trainer consumer
group (one worker) reads them, in order; if that worker dies, Kafka hands the partition
to another. Each snapshot records in a header the training-topic offset it has learned
up to; a trainer that takes over restores the newest snapshot and resumes from that
offset, so the model never skips or double-counts an example across a fail-over (the
examples after the last snapshot are learned again, from the same starting state).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition

from online_model.snapshot import dumps
from online_model.training import Trainer
from settings import Settings
from streams import metrics
from streams.feeds import TRAINING_OFFSET_HEADER, ModelFeed
from streams.kafka_security import aiokafka_kwargs
from streams.topics import SNAPSHOT_MAX_BYTES

log = logging.getLogger(__name__)

# Publish a snapshot this often even without new examples, so the reference time of
# time features (posting age, days to deadline) keeps moving.
IDLE_SNAPSHOT_FACTOR = 20


def snapshot_due(settings: Settings, examples: int, elapsed_s: float) -> bool:
    """Whether to publish a snapshot ``elapsed_s`` after the last, ``examples`` learned
    since: after ``snapshot_every_examples`` but not within the minimum interval; after
    the interval if there is anything new; and now and then even without (time features)."""
    enough = (
        examples >= settings.snapshot_every_examples
        and elapsed_s >= settings.snapshot_min_interval_seconds
    )
    late = examples > 0 and elapsed_s >= settings.snapshot_interval_seconds
    idle = elapsed_s >= settings.snapshot_interval_seconds * IDLE_SNAPSHOT_FACTOR
    return enough or late or idle


def training_examples(value: bytes) -> list[dict[str, Any]]:
    """The examples in one training message: a batch (a JSON array), or one example as
    workers wrote before they batched (a topic keeps those until retention drops them).
    Anything else is skipped with a warning: one bad message must not stop training."""
    try:
        payload = orjson.loads(value)
    except orjson.JSONDecodeError:
        payload = None
    if isinstance(payload, dict):
        return [payload]
    if isinstance(payload, list) and all(isinstance(item, dict) for item in payload):
        return payload
    log.warning("trainer: skipped a training message that is not examples: %.80r", value)
    return []


class _Assignment(ConsumerRebalanceListener):
    def __init__(self) -> None:
        self.changed = asyncio.Event()
        self.partitions: set[TopicPartition] = set()

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self.partitions -= set(revoked)
        self.changed.set()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.partitions |= set(assigned)
        self.changed.set()


class TrainerService:
    """Runs in every worker; active only in the one that holds the training partition."""

    def __init__(self, settings: Settings, model_feed: ModelFeed) -> None:
        self._settings = settings
        self._feed = model_feed
        self._topic = settings.topic("training")
        self.trainer: Trainer | None = None
        self._since_snapshot = 0
        self._last_snapshot = time.monotonic()
        self._next_offset = 0
        self._published_version = 0
        self._counted = (0, 0)  # (labelled, positives) already in the Prometheus counters

    async def run(self) -> None:
        settings = self._settings
        assignment = _Assignment()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=f"{settings.app_id}-trainer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=2000,
            **aiokafka_kwargs(settings),
        )
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            acks="all",
            max_request_size=SNAPSHOT_MAX_BYTES,
            compression_type=None,
            **aiokafka_kwargs(settings),
        )
        await producer.start()
        await consumer.start()
        consumer.subscribe([self._topic], listener=assignment)
        try:
            await self._feed.tail.caught_up.wait()
            while True:
                if assignment.changed.is_set():
                    assignment.changed.clear()
                    await self._on_assignment(consumer, producer, assignment.partitions)
                if self.trainer is None:
                    await consumer.getmany(timeout_ms=500)  # keeps the membership alive
                    continue
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        for example in training_examples(record.value):
                            self._observe(example)
                        self._next_offset = record.offset + 1
                await self._maybe_publish(producer)
        finally:
            await consumer.stop()
            await producer.stop()

    async def _on_assignment(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        partitions: set[TopicPartition],
    ) -> None:
        if not partitions:
            if self.trainer is not None:
                log.info("trainer: partition revoked; another worker trains now")
            self.trainer = None
            return
        (tp,) = partitions
        latest = self._feed.latest
        if latest is None:
            self.trainer = Trainer()
            self._next_offset = 0
            consumer.seek(tp, 0)
            log.info("trainer: no snapshot yet; publishing the prior as version 1")
            await self._publish(producer)
        else:
            self.trainer = Trainer.from_snapshot(latest)
            # The feed may not have delivered our own latest snapshot yet: never reuse a
            # version number, or workers would ignore the next snapshot.
            self.trainer.version = max(self.trainer.version, self._published_version)
            self._next_offset = self._feed.latest_training_offset or 0
            consumer.seek(tp, self._next_offset)
            log.info(
                "trainer: resuming from snapshot v%d at offset %d",
                latest.version,
                self._next_offset,
            )

    def _observe(self, example: dict) -> None:  # type: ignore[type-arg]
        assert self.trainer is not None
        self._since_snapshot += self.trainer.observe(example)

    def _count_examples(self) -> None:
        assert self.trainer is not None
        trained = self.trainer.metrics()
        labelled, positives = int(trained["labelled"]), int(trained["positives"])
        old_labelled, old_positives = self._counted
        if labelled < old_labelled:  # restored from a snapshot: a new trainer's counts
            old_labelled, old_positives = 0, 0
        metrics.TRAINING_EXAMPLES.labels("positive").inc(positives - old_positives)
        metrics.TRAINING_EXAMPLES.labels("negative").inc(
            (labelled - positives) - (old_labelled - old_positives)
        )
        self._counted = (labelled, positives)

    async def _maybe_publish(self, producer: AIOKafkaProducer) -> None:
        elapsed = time.monotonic() - self._last_snapshot
        if snapshot_due(self._settings, self._since_snapshot, elapsed):
            await self._publish(producer)

    async def _publish(self, producer: AIOKafkaProducer) -> None:
        assert self.trainer is not None
        now_ms = int(time.time() * 1000)
        # Impressions whose action window has closed become negatives now.
        self.trainer.flush(now_ms - self.trainer.joiner.window_ms)
        self._count_examples()
        snapshot = self.trainer.snapshot(now_ms=now_ms)
        await producer.send_and_wait(
            self._settings.topic("models"),
            key=b"ranker",
            value=dumps(snapshot),
            headers=[(TRAINING_OFFSET_HEADER, str(self._next_offset).encode())],
        )
        self._since_snapshot = 0
        self._last_snapshot = time.monotonic()
        self._published_version = snapshot.version
        trained = self.trainer.metrics()
        metrics.SNAPSHOTS_PUBLISHED.inc()
        if trained["labelled"]:
            metrics.MODEL_AUC.set(trained["auc"])
            metrics.MODEL_LOGLOSS.set(trained["logloss"])
        log.info(
            "trainer: published v%d (%d examples, auc %.3f)",
            snapshot.version,
            trained["labelled"],
            trained["auc"],
        )
