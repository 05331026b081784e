"""Decode a consumed message, or account for it in the dead-letter topic.

Every message an agent consumes ends as exactly one of: an event to apply, or a record
in ``<prefix>.dlq`` with its original bytes (cut when oversized), source topic, partition,
offset and the reason (see docs/events.md). Both outcomes are counted.

A record is sent as an attachment of the message it replaces: Faust publishes it before it
commits that message's offset, so a crash can repeat a record but never lose one. A record
that could not be published would stop its partition's commits for good, which is why
every record is cut to fit (:meth:`~schemas.dead_letter.DeadLetter.fit`).
"""

from __future__ import annotations

import logging

from faust.types import EventT, TopicT

from schemas.dead_letter import DeadLetter, decode_or_dead_letter, wall_clock_ms
from schemas.errors import PROCESSING_ERROR
from streams import metrics

log = logging.getLogger(__name__)


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

    async def reject_failed(self, family: str, event: EventT, exc: BaseException) -> None:
        """Dead-letter a valid event whose handler raised, so it cannot stop the partition."""
        message = event.message
        log.error(
            "failed to apply %s[%d]@%d; dead-lettered as %s",
            message.topic,
            message.partition,
            message.offset,
            PROCESSING_ERROR,
            exc_info=exc,
        )
        letter = DeadLetter(
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key,
            value=bytes(event.value) if event.value is not None else b"",
            reason=PROCESSING_ERROR,
            error=f"the worker failed to apply it: {type(exc).__name__}: {exc}"[:1000],
            rejected_at=wall_clock_ms(),
        )
        await self.reject(family, letter)

    async def reject(self, family: str, letter: DeadLetter) -> None:
        letter = letter.fit()
        await self._dlq.send(key=letter.key, value=letter.to_json())
        metrics.DLQ_WRITES.labels(family, letter.reason).inc()
        metrics.EVENTS.labels(family, "rejected").inc()
        log.warning(
            "rejected %s[%d]@%d: %s", letter.topic, letter.partition, letter.offset, letter.error
        )
