"""The Faust topic objects of a worker. Messages stay raw bytes: every agent validates them
itself so that nothing undecodable is dropped inside Faust before we can dead-letter it."""

from __future__ import annotations

from dataclasses import dataclass

import faust
from faust.types import TopicT

from settings import Settings


@dataclass(frozen=True)
class Channels:
    postings: TopicT
    profiles: TopicT
    interactions: TopicT
    dlq: TopicT
    training: TopicT
    models: TopicT
    neighbours: TopicT  # co-engagement records (streams.neighbour_feed)


def create_channels(app: faust.App, settings: Settings) -> Channels:
    def raw(name: str, partitions: int) -> TopicT:
        return app.topic(
            settings.topic(name),
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
        )

    return Channels(
        postings=raw("postings", settings.posting_partitions),
        profiles=raw("profiles", settings.seeker_partitions),
        interactions=raw("interactions", settings.seeker_partitions),
        dlq=raw("dlq", 1),
        training=raw("training", 1),
        models=raw("models", 1),
        neighbours=raw("neighbours", 1),
    )
