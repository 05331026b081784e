"""Hand each partition's events to the agents in offset order, with none skipped.

After a rebalance, faust-streaming can deliver a partition this worker kept starting
*past* the offset the group just committed (measured in the fault suite: committed 1236,
first event 1263). Faust had dropped the records in between
(fetched in the old generation, or while its flow was stopped) and its read position had
moved on. What follows is either a commit that stops at the gap for good (the next owner
handles everything since again) or, when Faust has forgotten the committed offset, a
commit past the gap: events that nobody ever handles. Related upstream reports:
faust-streaming/faust#216, #221, #502.

:class:`OffsetOrder` checks every event against the next offset the worker expects on its
partition, starting from the group's committed offset after each assignment:

- in order: handled;
- behind (handled already, delivered again): passed over, never acknowledged;
- ahead: the records in between are read from the broker with a reader of their own and
  handed back to be handled first, then Faust is told that those offsets are done (its gap
  bookkeeping), so its commit covers them and goes on. Offsets the broker does not have
  (compaction, transaction markers) are simply absent from what is read. Faust's own gap
  bookkeeping cannot tell those holes from the records it dropped: it enters both alike.
  If the range cannot be read (the broker went away meanwhile), the agent fails and the
  worker stops (streams.agents): nothing past the gap was acknowledged, so the next owner
  handles it.

A rewind of Faust's consumer would be simpler to say but does not work: Faust's fetch
loop runs ahead of the agents and drops every record below its own read position.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from faust.types import TP

from streams import metrics
from streams.lag import ProcessedOffsets

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MissedMessage:
    """The fields of a Faust message the agents read."""

    topic: str
    partition: int
    offset: int
    key: bytes | None

    @property
    def tp(self) -> TP:
        return TP(self.topic, self.partition)


@dataclass(frozen=True)
class MissedEvent:
    """A record the consumer skipped, read back from the broker: handled like a Faust
    event, but never acknowledged through Faust (see :meth:`OffsetOrder.covered`)."""

    message: MissedMessage
    value: bytes | None


@dataclass(frozen=True)
class Gap:
    """Offsets ``first`` to ``end - 1`` of a partition, which the consumer skipped, and the
    broker's records among them (``events``, in order; none where the broker has none)."""

    first: int
    end: int
    events: Sequence[MissedEvent]


NO_GAP = Gap(0, 0, ())

CommittedReader = Callable[[TP], Awaitable[int | None]]
# (partition, first offset, end offset) -> the broker's records in [first, end), in order
RangeReader = Callable[[TP, int, int], Awaitable[Sequence[MissedEvent]]]
# (partition, first offset, last offset): tell Faust's consumer those offsets are done
GapMarker = Callable[[TP, int, int], Awaitable[None]]


class OffsetOrder:
    """Decides, per event, what the agent handles (see the module docstring).

    ``read_committed`` asks the broker for the group's committed offset of a partition
    (None: never committed); ``read_range`` reads the records of an offset range;
    ``mark_gap`` makes Faust's consumer count an offset range as acknowledged."""

    def __init__(
        self,
        processed: ProcessedOffsets,
        read_committed: CommittedReader,
        read_range: RangeReader,
        mark_gap: GapMarker,
    ) -> None:
        self._processed = processed
        self._read_committed = read_committed
        self._read_range = read_range
        self._mark_gap = mark_gap

    async def admit(self, family: str, tp: TP, offset: int) -> Gap | None:
        """None: pass the event over. Otherwise the gap before it (usually ``NO_GAP``):
        handle its events first, in order, then call :meth:`covered`."""
        expected = self._processed.get(tp)
        if expected is None:
            expected = await self._committed(tp)
            if expected is None:
                return NO_GAP  # nothing to compare with: the group never committed here
            self._processed.expect(tp, expected)
        if offset == expected:
            return NO_GAP
        if offset < expected:
            metrics.EVENTS_OUT_OF_ORDER.labels(family, "behind").inc()
            return None
        missed = await self._read_range(tp, expected, offset)
        log.warning(
            "%s[%d]: event at offset %d while %d was expected next; handling the %d records "
            "in between first",
            tp.topic,
            tp.partition,
            offset,
            expected,
            len(missed),
        )
        metrics.EVENTS_OUT_OF_ORDER.labels(family, "ahead").inc()
        return Gap(expected, offset, missed)

    async def covered(self, tp: TP, gap: Gap) -> None:
        """The gap's events were handled outside Faust's stream: let its commit pass."""
        await self._mark_gap(tp, gap.first, gap.end - 1)

    async def _committed(self, tp: TP) -> int | None:
        try:
            return await self._read_committed(tp)
        except Exception as exc:  # the broker is away: order from the first event on
            log.warning(
                "%s[%d]: could not read the committed offset (%r); not checking order",
                tp.topic,
                tp.partition,
                exc,
            )
            return None
