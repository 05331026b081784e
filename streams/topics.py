"""The Kafka topics of the contract and how they are configured.

One place names every topic, its partition count and its cleanup policy; the Faust app,
the producer library and ``jobmatch topics`` all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from settings import Settings

SNAPSHOT_MAX_BYTES = 16 * 1024 * 1024
# Co-engagement records are increments, so the topic is retained, not compacted: every
# worker folds all of them. Beyond 90 days (6.4 half-lives of the 14-day decay) a record
# weighs under 1.2 % of a new one, and compaction would drop increments, not versions.
NEIGHBOURS_RETENTION_MS = 90 * 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """A topic's name, partition count and topic-level configs."""

    name: str
    partitions: int
    configs: dict[str, str] = field(default_factory=dict)


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic jobmatch needs, for ``settings``.

    Profiles and interactions share ``seeker_partitions``: a seeker's profile and events
    must land on the same partition number so that one worker owns them (co-partitioning).
    """
    compacted = {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}
    return [
        TopicSpec(settings.topic("postings"), settings.posting_partitions, compacted),
        TopicSpec(settings.topic("profiles"), settings.seeker_partitions, compacted),
        TopicSpec(settings.topic("interactions"), settings.seeker_partitions),
        TopicSpec(settings.topic("dlq"), 1),
        # One partition, so exactly one worker (the trainer) reads every example in order.
        TopicSpec(settings.topic("training"), 1),
        # Versioned model snapshots; compaction keeps the latest per key.
        TopicSpec(
            settings.topic("models"),
            1,
            {**compacted, "max.message.bytes": str(SNAPSHOT_MAX_BYTES)},
        ),
        # Item-to-item co-engagements (online_model.neighbours), keyed by posting id. One
        # partition: every worker (and the recompute in the tests) folds them in one order,
        # so every worker holds bit-identical neighbours.
        TopicSpec(
            settings.topic("neighbours"),
            1,
            {"cleanup.policy": "delete", "retention.ms": str(NEIGHBOURS_RETENTION_MS)},
        ),
    ]
