"""Consumer lag per topic family, for the ``jobmatch_consumer_lag_messages`` gauge.

Lag is counted from what the agents have *processed*, not from the consumer's fetch
position: Faust prefetches into a buffer, so the position can be far ahead of the work.
"""

from __future__ import annotations

from collections import defaultdict

import faust
from faust.types import TP

from streams import metrics


class ProcessedOffsets:
    """The next offset to process per partition, as the agents move on."""

    def __init__(self) -> None:
        self._next: dict[TP, int] = {}

    def done(self, tp: TP, offset: int) -> None:
        self._next[tp] = offset + 1

    def get(self, tp: TP) -> int | None:
        return self._next.get(tp)


async def update_consumer_lag(
    app: faust.App, families: dict[str, str], processed: ProcessedOffsets
) -> dict[str, int]:
    """Set (and return) the lag for the assigned partitions; ``families``: topic -> family."""
    consumer = app.consumer
    lag: dict[str, int] = defaultdict(int)
    for tp in consumer.assignment():
        family = families.get(tp.topic)
        if family is None:
            continue
        highwater = consumer.highwater(tp)
        done = processed.get(tp)
        if done is None:
            done = await consumer.position(tp)  # nothing processed since start-up
        if highwater is None or done is None:
            continue
        lag[family] += max(highwater - done, 0)
    for family in families.values():
        metrics.CONSUMER_LAG.labels(family).set(lag.get(family, 0))
    return {family: lag.get(family, 0) for family in families.values()}
