"""Read a test topic back from the real broker, and the workers' committed offsets."""

from __future__ import annotations

from kafka import KafkaConsumer, TopicPartition

from settings import Settings


def read_topic(
    settings: Settings, family: str, *, count: int, timeout_s: float = 30.0
) -> list[tuple[bytes, bytes]]:
    """The first ``count`` records (key, value) of ``family``'s topic, in partition order."""
    consumer = KafkaConsumer(
        settings.topic(family),
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=int(timeout_s * 1000),
    )
    out: list[tuple[bytes, bytes]] = []
    try:
        for record in consumer:
            out.append((record.key, record.value))
            if len(out) >= count:
                break
    finally:
        consumer.close()
    return out


def end_offset(settings: Settings, family: str) -> int:
    """The sum of the end offsets of ``family``'s topic (its record count, uncompacted)."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    try:
        parts = [
            TopicPartition(settings.topic(family), p)
            for p in consumer.partitions_for_topic(settings.topic(family)) or ()
        ]
        return sum(consumer.end_offsets(parts).values()) if parts else 0
    finally:
        consumer.close()


class CommitState:
    """Whether a group has committed the end of every partition; false while it has not.

    Its repr names the partitions still behind (offsets to go), so a wait that times out
    says where the group stopped."""

    def __init__(self, behind: dict[str, int] | None) -> None:
        self.behind = behind  # None: no metadata yet

    def __bool__(self) -> bool:
        return self.behind == {}

    def __repr__(self) -> str:
        if self.behind is None:
            return "CommitState(no metadata yet)"
        return f"CommitState(behind={self.behind})"


def committed_everything(settings: Settings, group: str) -> CommitState:
    """The group's committed offset is the end of every partition of the event topics.

    Then every event has been handled, and everything a worker produced while handling it
    is in Kafka: a worker flushes its producer before each commit. A barrier for checks
    that nothing else was produced (the dead letters, say)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=group, enable_auto_commit=False
    )
    try:
        parts = [
            TopicPartition(settings.topic(f), p)
            for f in ("postings", "profiles", "interactions")
            for p in consumer.partitions_for_topic(settings.topic(f)) or ()
        ]
        if len({tp.topic for tp in parts}) < 3:
            return CommitState(None)  # no metadata yet: "every partition" would be none
        ends = consumer.end_offsets(parts)
        behind = {
            f"{tp.topic}[{tp.partition}]": end - (consumer.committed(tp) or 0)
            for tp, end in ends.items()
        }
        return CommitState({name: n for name, n in behind.items() if n > 0})
    finally:
        consumer.close()
