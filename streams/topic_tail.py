"""Read a whole topic on every worker, outside the consumer group.

Postings and model snapshots must reach every worker, not just the one that owns a
partition. Each worker therefore reads all partitions of those (compacted) topics from the
beginning with a group-less aiokafka consumer, and keeps following them. ``caught_up`` is
set once the reader has reached the end offsets that existed when it started, so the
worker can wait for a complete catalog before ranking anyone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

log = logging.getLogger(__name__)

BatchHandler = Callable[[list[ConsumerRecord], bool], Awaitable[None]]


def groupless_consumer(
    bootstrap: str, client_options: Mapping[str, Any], *topics: str, **options: Any
) -> AIOKafkaConsumer:
    """A consumer outside every group: it commits nothing and starts at the earliest
    offset. ``client_options`` are the TLS and SASL arguments
    (:func:`streams.kafka_security.aiokafka_kwargs`)."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **options,
        **client_options,
    )


class TopicTail:
    """Follow every partition of ``topic`` from offset 0; hand batches to ``handle``.

    ``handle(records, live)`` gets ``live=False`` while catching up with the history and
    ``live=True`` afterwards, so callers can skip work (fan-out) that a full re-rank after
    catch-up does anyway. ``client_options`` go to the consumer as they are: the TLS and
    SASL arguments of :func:`streams.kafka_security.aiokafka_kwargs`.
    """

    def __init__(
        self,
        topic: str,
        bootstrap: str,
        handle: BatchHandler,
        *,
        max_batch: int = 2000,
        fetch_max_bytes: int = 32 * 1024 * 1024,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.topic = topic
        self._bootstrap = bootstrap
        self._handle = handle
        self._max_batch = max_batch
        self._fetch_max_bytes = fetch_max_bytes
        self._client_options = dict(client_options or {})
        self.caught_up = asyncio.Event()
        self.records_read = 0
        self._consumer: AIOKafkaConsumer | None = None
        self._next: dict[TopicPartition, int] = {}  # next offset to handle, per partition
        self._progress = asyncio.Condition()

    async def run(self) -> None:
        # Subscribing without a group assigns every partition to this consumer, which
        # starts at the earliest offset (nothing is ever committed).
        consumer = groupless_consumer(
            self._bootstrap,
            self._client_options,
            self.topic,
            fetch_max_bytes=self._fetch_max_bytes,
            max_partition_fetch_bytes=self._fetch_max_bytes,
        )
        await consumer.start()
        self._consumer = consumer
        try:
            partitions = await self._wait_for_partitions(consumer)
            targets = await consumer.end_offsets(partitions)
            remaining = {tp for tp, end in targets.items() if end > 0}
            if not remaining:
                self.caught_up.set()
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=self._max_batch)
                live = self.caught_up.is_set()
                for tp, records in batches.items():
                    await self._handle(records, live)
                    self.records_read += len(records)
                    self._next[tp] = records[-1].offset + 1
                if batches:
                    async with self._progress:
                        self._progress.notify_all()
                if live:
                    continue
                # Compaction leaves gaps in offsets: compare positions, not record offsets.
                for tp in list(remaining):
                    if await consumer.position(tp) >= targets[tp]:
                        remaining.discard(tp)
                if not remaining:
                    log.info("%s: caught up after %d records", self.topic, self.records_read)
                    self.caught_up.set()
        finally:
            await consumer.stop()

    async def sync(self, *, stall_s: float = 5.0, max_wait_s: float = 30.0) -> bool:
        """Wait until every record written before this call has been handled.

        A read-your-writes barrier: an agent that meets an id this reader has not seen yet
        (an apply to a posting published a moment ago) calls it before concluding the id is
        unknown. It waits as long as the reader makes progress: a reader behind by a
        backlog (a restart under load) is slow, not stuck, and giving up on it after a fixed
        time would make the outcome depend on the machine's load. False when the reader is
        not running, when it read nothing for ``stall_s``, or after ``max_wait_s`` in all.
        """
        consumer = self._consumer
        if consumer is None or not consumer.assignment():
            return False
        targets = await consumer.end_offsets(list(consumer.assignment()))

        def done() -> bool:
            return all(self._next.get(tp, 0) >= end for tp, end in targets.items() if end > 0)

        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + max_wait_s
        while not done():
            read_before = self.records_read
            try:
                async with self._progress:
                    wait = min(stall_s, max(0.0, give_up_at - loop.time()))
                    await asyncio.wait_for(self._progress.wait_for(done), wait)
                return True
            except TimeoutError:
                if self.records_read == read_before or loop.time() >= give_up_at:
                    return False
        return True

    async def _wait_for_partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        waited = 0.0
        while not consumer.assignment():
            if waited >= 5.0:
                log.warning("%s: topic not found yet; run `jobmatch topics`", self.topic)
                waited = 0.0
            await asyncio.sleep(0.1)
            waited += 0.1
        return sorted(consumer.assignment())


class PartitionReader:
    """Reads offset ranges of partitions and a group's committed offsets, outside the
    consumer group, with one consumer and one admin client kept for every read (started at
    the first, closed by :meth:`close`): a compacted topic read across compacted segments
    can ask for a range at every hole.

    Not through Faust's consumer: its calls queue one after another on the consumer's
    thread, so a committed-offset request waiting out a rebalance there would stall the
    fetch that the table recovery after the rebalance needs."""

    def __init__(
        self,
        bootstrap: str,
        *,
        client_options: Mapping[str, Any] | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self._bootstrap = bootstrap
        self._client_options = dict(client_options or {})
        self._timeout_s = timeout_s
        self._consumer: AIOKafkaConsumer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._lock = asyncio.Lock()  # one read at a time: reads move the one assignment
        self._admin_started = asyncio.Lock()

    async def committed(self, group_id: str, tp: TopicPartition, timeout_s: float) -> int | None:
        """The group's committed offset of ``tp``; None if it never committed there.
        Raises ``TimeoutError`` after ``timeout_s``."""
        async with self._admin_started:  # agents ask at once after a rebalance
            if self._admin is None:
                admin = AIOKafkaAdminClient(
                    bootstrap_servers=self._bootstrap, **self._client_options
                )
                try:
                    await asyncio.wait_for(admin.start(), timeout_s)
                except BaseException:
                    await admin.close()
                    raise
                self._admin = admin
        offsets = await asyncio.wait_for(
            self._admin.list_consumer_group_offsets(group_id, partitions=[tp]), timeout_s
        )
        found = offsets.get(tp)
        return found.offset if found is not None and found.offset >= 0 else None

    async def read(self, tp: TopicPartition, first: int, end: int) -> list[ConsumerRecord]:
        """The records of ``tp`` from offset ``first`` up to ``end`` (excluded). Offsets the
        broker does not hold (compaction, transaction markers) are absent. Raises
        ``TimeoutError`` if the range cannot be read in time."""
        async with self._lock:
            consumer = await self._started()
            consumer.assign([tp])
            consumer.seek(tp, first)

            async def read() -> list[ConsumerRecord]:
                records: list[ConsumerRecord] = []
                # Compaction leaves gaps in offsets: compare the position, not the records.
                while await consumer.position(tp) < end:
                    batch = await consumer.getmany(tp, timeout_ms=200)
                    records += [r for r in batch.get(tp, ()) if first <= r.offset < end]
                return records

            return await asyncio.wait_for(read(), self._timeout_s)

    async def close(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            await consumer.stop()
        if self._admin is not None:
            admin, self._admin = self._admin, None
            await admin.close()

    async def _started(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = groupless_consumer(self._bootstrap, self._client_options)
            await consumer.start()
            self._consumer = consumer
        return self._consumer
