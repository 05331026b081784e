"""Read a test topic back from the real broker."""

from __future__ import annotations

from kafka import KafkaConsumer

from streams.config import Settings


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
