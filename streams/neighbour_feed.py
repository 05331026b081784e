"""The item-to-item neighbour topic: what a worker publishes, and what every worker reads.

The worker that owns a seeker sees their history, so it makes the co-engagement record of
each of their first positive engagements with a posting
(:func:`online_model.neighbours.co_engagement`) and sends it to the ``neighbours`` topic
(keyed by posting id, a small JSON object). Every worker reads the whole topic like the
catalog (a group-less :class:`~streams.topic_tail.TopicTail` from offset 0) and folds every
record into its engine's :class:`~online_model.neighbours.NeighbourIndex`, so each worker
holds every posting's neighbours although it sees only its own seekers' interactions.
"""

from __future__ import annotations

import logging

import orjson
from aiokafka import ConsumerRecord
from faust.types import TopicT

from online_model.live.engine import LiveEngine
from online_model.neighbours import CoEngagement
from settings import Settings
from streams.kafka_security import aiokafka_kwargs
from streams.list_sink import ListSink
from streams.topic_tail import TopicTail

log = logging.getLogger(__name__)


async def publish(topic: TopicT, record: CoEngagement) -> None:
    """Send one co-engagement record (the key spreads nothing: the topic has one partition,
    but a posting id key lets an operator find a posting's records)."""
    await topic.send(key=record.posting_id.encode(), value=orjson.dumps(record.to_obj()))


class NeighbourFeed:
    """Folds every co-engagement record into the engine; the seekers it re-ranks are
    written by the sink after their backfill re-rank (:meth:`LiveEngine.refill`)."""

    def __init__(self, settings: Settings, engine: LiveEngine, sink: ListSink) -> None:
        self._engine = engine
        self._sink = sink
        self.tail = TopicTail(
            settings.topic("neighbours"),
            settings.kafka_bootstrap,
            self._handle,
            client_options=aiokafka_kwargs(settings),
        )

    async def _handle(self, records: list[ConsumerRecord], live: bool) -> None:
        del live  # the index needs every record; re-ranks wait for the refill tick anyway
        parsed: list[CoEngagement] = []
        for record in records:
            try:
                parsed.append(CoEngagement.from_obj(orjson.loads(record.value)))
            except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
                # Only workers write this topic; a bad record is a bug, not user input.
                log.error("skipping a bad neighbour record at offset %d: %s", record.offset, exc)
        if parsed:
            self._sink.apply(self._engine.learn_neighbours(parsed))
