"""Stuck partitions: lag with no progress for a minute (pure logic, a hand-driven clock;
the broker side of /health is tested against the real broker in tests/faults/)."""

from __future__ import annotations

from faust.types import TP

from streams.lag import STUCK_AFTER_S, ProcessedOffsets

A, B = TP("jobmatch.interactions", 0), TP("jobmatch.interactions", 1)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_partition_with_lag_and_no_progress_for_a_minute_is_stuck() -> None:
    clock = Clock()
    offsets = ProcessedOffsets(clock)
    offsets.done(A, 10)
    assert offsets.stuck({A: 5, B: 0}) == []
    clock.now += STUCK_AFTER_S - 1
    assert offsets.stuck({A: 5, B: 0}) == []
    clock.now += 1
    assert offsets.stuck({A: 5, B: 0}) == [A]


def test_progress_or_no_lag_resets_the_clock() -> None:
    clock = Clock()
    offsets = ProcessedOffsets(clock)
    assert offsets.stuck({A: 5, B: 3}) == []
    clock.now += STUCK_AFTER_S / 2
    offsets.done(A, 11)  # A moved on
    assert offsets.stuck({A: 5, B: 0}) == []  # B caught up
    clock.now += STUCK_AFTER_S / 2 + 1
    assert offsets.stuck({A: 5, B: 3}) == []
    clock.now += STUCK_AFTER_S
    assert sorted(offsets.stuck({A: 5, B: 3})) == [A, B]


def test_a_partition_seen_for_the_first_time_is_not_stuck_and_revoked_ones_are_forgotten() -> None:
    clock = Clock()
    offsets = ProcessedOffsets(clock)
    offsets.stuck({A: 5})
    clock.now += STUCK_AFTER_S
    assert offsets.stuck({B: 5}) == []  # A revoked, B new
    clock.now += STUCK_AFTER_S
    assert offsets.stuck({A: 5, B: 5}) == [B]  # A counts afresh from now
