"""The offset-order guard (pure logic: a fake broker log and consumer). The broker side, a
rebalance that delivers a kept partition past its committed offset, is the fault suite's
join-and-leave scenario (tests/faults/test_rebalances.py); the range reader is tested
against the real broker in tests/streams/test_topic_tail.py."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from faust.types import TP

from streams.lag import ProcessedOffsets
from streams.offset_order import NO_GAP, MissedEvent, MissedMessage, OffsetOrder

TPA = TP("jobmatch.interactions", 3)


class FakeBroker:
    """A partition's log (offsets it holds) and the group's committed offset; records
    what the guard asked."""

    def __init__(
        self,
        committed: int | None,
        offsets: Sequence[int] = range(1000),
    ) -> None:
        self.committed = committed
        self.offsets = list(offsets)
        self.reads = 0
        self.ranges: list[tuple[int, int]] = []
        self.gaps: list[tuple[int, int]] = []

    async def read_committed(self, tp: TP) -> int | None:
        self.reads += 1
        return self.committed

    async def read_range(self, tp: TP, first: int, end: int) -> list[MissedEvent]:
        self.ranges.append((first, end))
        return [
            MissedEvent(MissedMessage(tp.topic, tp.partition, o, None), b"{}")
            for o in self.offsets
            if first <= o < end
        ]

    async def mark_gap(self, tp: TP, first: int, last: int) -> None:
        self.gaps.append((first, last))


def guard(broker: FakeBroker) -> tuple[OffsetOrder, ProcessedOffsets]:
    processed = ProcessedOffsets()
    order = OffsetOrder(processed, broker.read_committed, broker.read_range, broker.mark_gap)
    return order, processed


def deliver(order: OffsetOrder, processed: ProcessedOffsets, offsets: list[int]) -> list[int]:
    """Offer ``offsets`` as the agent does; the offsets handled, in the order handled."""

    async def run() -> list[int]:
        handled = []
        for offset in offsets:
            gap = await order.admit("interactions", TPA, offset)
            if gap is None:
                continue
            for missed in gap.events:
                processed.done(TPA, missed.message.offset)
                handled.append(missed.message.offset)
            if gap is not NO_GAP:
                await order.covered(TPA, gap)
            processed.done(TPA, offset)
            handled.append(offset)
        return handled

    return asyncio.run(run())


def test_events_in_order_from_the_committed_offset_are_all_handled() -> None:
    broker = FakeBroker(committed=10)
    order, processed = guard(broker)
    assert deliver(order, processed, [10, 11, 12]) == [10, 11, 12]
    assert broker.reads == 1  # the broker is asked once per assignment, not per event
    assert broker.ranges == [] and broker.gaps == []


def test_without_a_committed_offset_the_first_event_sets_the_order() -> None:
    broker = FakeBroker(committed=None)
    order, processed = guard(broker)
    assert deliver(order, processed, [57, 58]) == [57, 58]
    assert broker.ranges == []


def test_an_event_delivered_again_is_passed_over() -> None:
    order, processed = guard(FakeBroker(committed=10))
    assert deliver(order, processed, [10, 11, 12, 11, 12, 13]) == [10, 11, 12, 13]


def test_the_records_skipped_before_an_event_are_read_back_and_handled_first() -> None:
    broker = FakeBroker(committed=470)
    order, processed = guard(broker)
    # Delivered from 499 after the rebalance: 470..498 come from the broker first.
    assert deliver(order, processed, [499, 500]) == list(range(470, 501))
    assert broker.ranges == [(470, 499)]
    assert broker.gaps == [(470, 498)]  # Faust's commit may pass them now


def test_a_skip_in_the_middle_of_a_partition_is_filled_the_same_way() -> None:
    broker = FakeBroker(committed=10)
    order, processed = guard(broker)
    assert deliver(order, processed, [10, 11, 15, 16]) == [10, 11, 12, 13, 14, 15, 16]
    assert broker.gaps == [(12, 14)]


def test_offsets_the_broker_does_not_hold_are_marked_done_without_events() -> None:
    # 12..14 are not in the log (compaction, transaction markers): reading the range finds
    # nothing, and Faust may commit past them.
    broker = FakeBroker(committed=10, offsets=[10, 11, 15, 16])
    order, processed = guard(broker)
    assert deliver(order, processed, [10, 11, 15, 16]) == [10, 11, 15, 16]
    assert broker.ranges == [(12, 15)] and broker.gaps == [(12, 14)]


def test_a_revoked_partition_starts_from_the_committed_offset_when_it_comes_back() -> None:
    broker = FakeBroker(committed=10)
    order, processed = guard(broker)
    deliver(order, processed, [10, 11])
    processed.take({TPA})
    broker.committed = 40  # the other owner went on meanwhile
    assert deliver(order, processed, [12, 40, 41]) == [40, 41]
    assert broker.reads == 2


def test_when_the_committed_offset_cannot_be_read_the_event_is_handled() -> None:
    broker = FakeBroker(committed=10)

    async def unreachable(tp: TP) -> int | None:
        raise ConnectionError("broker away")

    broker.read_committed = unreachable  # type: ignore[method-assign]
    order, processed = guard(broker)
    assert deliver(order, processed, [15, 16]) == [15, 16]


@pytest.mark.parametrize(("first", "handled"), [(9, []), (10, [10]), (12, [10, 11, 12])])
def test_the_first_event_after_an_assignment_is_checked_against_the_commit(
    first: int, handled: list[int]
) -> None:
    order, processed = guard(FakeBroker(committed=10))
    assert deliver(order, processed, [first]) == handled
