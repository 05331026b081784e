"""Decode a consumed message, or account for it in the dead-letter topic.

Every message an agent consumes ends as exactly one of: an event to apply, or a record
in ``<prefix>.dlq`` with its original bytes, source topic, partition, offset and the
reason (see docs/events.md). Both outcomes are counted.
"""

from __future__ import annotations

import dataclasses
import logging

from faust.types import EventT, TopicT

from schemas.dead_letter import DeadLetter, decode_or_dead_letter
from streams import metrics

log = logging.getLogger(__name__)

# A dead letter carries the original bytes, but a rejected message near the broker's size
# limit (base64 adds a third) would not fit in a DLQ record. Longer values are cut; the
# original stays in its topic at the recorded offset for as long as the topic retains it.
MAX_DEAD_VALUE_BYTES = 256 * 1024


class DeadLetterSink:
    """Turns raw agent events into parsed events; rejects go to the DLQ topic."""

    def __init__(self, dlq: TopicT, *, max_bytes: int) -> None:
        self._dlq = dlq
        self._max_bytes = max_bytes

    async def decode(self, family: str, event: EventT) -> object | None:
        """The parsed event, or None after the message was dead-lettered."""
        message = event.message
        result = decode_or_dead_letter(
            family,
            event.value,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key,
            max_bytes=self._max_bytes,
        )
        if isinstance(result, DeadLetter):
            await self.reject(family, result)
            return None
        return result

    async def reject(self, family: str, letter: DeadLetter) -> None:
        size = len(letter.value)
        if size > MAX_DEAD_VALUE_BYTES:
            letter = dataclasses.replace(
                letter,
                value=letter.value[:MAX_DEAD_VALUE_BYTES],
                error=f"{letter.error} (value cut to its first {MAX_DEAD_VALUE_BYTES} of "
                f"{size} bytes; the original is at {letter.topic}[{letter.partition}]"
                f"@{letter.offset})",
            )
        await self._dlq.send(key=letter.key, value=letter.to_json())
        metrics.DLQ_WRITES.labels(family, letter.reason).inc()
        metrics.EVENTS.labels(family, "rejected").inc()
        log.warning(
            "rejected %s[%d]@%d: %s", letter.topic, letter.partition, letter.offset, letter.error
        )
