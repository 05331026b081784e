"""The two topics every worker reads in full: postings (the catalog) and model snapshots."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import ConsumerRecord

from online_model.live.engine import LiveEngine
from online_model.snapshot import Snapshot, SnapshotError, loads
from schemas import parse_posting_event
from schemas.errors import ValidationError
from schemas.postings import Posting
from settings import Settings
from streams import metrics
from streams.kafka_security import aiokafka_kwargs
from streams.list_sink import ListSink
from streams.topic_tail import TopicTail

log = logging.getLogger(__name__)

TRAINING_OFFSET_HEADER = "jobmatch-training-offset"


class CatalogFeed:
    """Applies every posting event to this worker's catalog and fans out live ones.

    Invalid messages are skipped silently here: the postings agent, which reads the same
    messages in the consumer group, dead-letters them once. Versions order by
    (ts, event_id), so a late older event never undoes a newer one.
    """

    def __init__(self, settings: Settings, engine: LiveEngine, sink: ListSink) -> None:
        self._engine = engine
        self._sink = sink
        self._max_bytes = settings.max_message_bytes
        self._versions: dict[str, tuple[int, str]] = {}
        self.steps = 0  # fan-out steps handled (the event loop had a turn after each)
        self.tail = TopicTail(
            settings.topic("postings"),
            settings.kafka_bootstrap,
            self._handle,
            client_options=aiokafka_kwargs(settings),
        )

    async def _handle(self, records: list[ConsumerRecord], live: bool) -> None:
        for record in records:
            try:
                event = parse_posting_event(record.value, max_bytes=self._max_bytes)
            except ValidationError:
                continue
            version = (event.ts, event.event_id)
            if version <= self._versions.get(event.posting_id, (0, "")):
                continue
            self._versions[event.posting_id] = version
            if event.posting is not None:
                await self._fan_out(event.posting, live)
            else:
                self._sink.apply(self._engine.posting_closed(event.posting_id, live=live))
            if live:
                self._sink.note_event("posting" if event.posting is not None else "close", event.ts)

    async def _fan_out(self, posting: Posting, live: bool) -> None:
        """Apply a posting step by step (``LiveEngine.posting_upserted_steps``), handing
        each step's changes to the sink and the event loop to the agents in between: a
        posting reaching 15,000 seekers must not stall their events for its whole fan-out."""
        for changes in self._engine.posting_upserted_steps(posting, live=live):
            self._sink.apply(changes)
            self.steps += 1
            await asyncio.sleep(0)


class ModelFeed:
    """Hands every newer model snapshot to the engine; remembers the newest and the
    training-topic offset it covers (a message header), from which a trainer resumes."""

    def __init__(self, settings: Settings, engine: LiveEngine) -> None:
        self._engine = engine
        self.latest: Snapshot | None = None
        self.latest_training_offset: int | None = None
        self.tail = TopicTail(
            settings.topic("models"),
            settings.kafka_bootstrap,
            self._handle,
            client_options=aiokafka_kwargs(settings),
        )

    async def _handle(self, records: list[ConsumerRecord], live: bool) -> None:
        for record in records:
            try:
                snapshot = loads(record.value)
            except SnapshotError as exc:
                log.error("skipping a corrupt model snapshot at offset %d: %s", record.offset, exc)
                continue
            offset = dict(record.headers or ()).get(TRAINING_OFFSET_HEADER)
            if self.latest is None or snapshot.version > self.latest.version:
                self.latest = snapshot
                self.latest_training_offset = int(offset) if offset is not None else None
            if self._engine.offer_snapshot(snapshot):
                metrics.MODEL_VERSION.set(snapshot.version)
